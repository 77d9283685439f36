//! `nwcap-armtest`: runs the ARM test server until stdin closes, for trying
//! `nwcap capture` by hand (`--arm-endpoint` the printed URL,
//! `--access-token` anything).

use std::io::Read;

fn main() -> std::io::Result<()> {
    let server = nwcap_armtest::ArmTestServer::start()?;
    println!("{}", server.endpoint());
    eprintln!("arm test server running; close stdin (ctrl-d) to stop");
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    Ok(())
}
