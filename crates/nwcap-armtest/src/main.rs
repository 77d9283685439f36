//! `nwcap-armtest serve`: the ARM emulator as a local service, for trying
//! `nwcap capture`, `fetch` and `analyze` on one machine. Paired with
//! Azurite (`--azurite PORT`, or `--blob-endpoint` and `--account-key`),
//! a capture that stops writes a real capture file to its `storagePath`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use nwcap_armtest::{ArmTestServer, BlobStorage, SeedResource, ServerConfig, TEST_SUBSCRIPTION};

/// The published key of Azurite's development account `devstoreaccount1`.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A local Azure Resource Manager emulator for Network Watcher packet captures.
#[derive(Debug, Parser)]
#[command(name = "nwcap-armtest", version)]
enum Cli {
    /// Serve the emulator until interrupted (Ctrl-C).
    Serve(Serve),
}

#[derive(Debug, clap::Args)]
struct Serve {
    /// Address to listen on (loopback; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seconds of emulated time per real second (60: a 5-minute capture
    /// lasts 5 s).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Azurite's blob port on 127.0.0.1: captures to the storage account
    /// `devstoreaccount1` are written there.
    #[arg(long, value_name = "PORT", conflicts_with = "blob_endpoint")]
    azurite: Option<u16>,
    /// Blob endpoint of another emulator or account (with --account-key).
    #[arg(long, value_name = "URL", requires = "account_key")]
    blob_endpoint: Option<String>,
    /// Key of the --blob-endpoint account (base64); the account is the
    /// endpoint's last path segment.
    #[arg(
        long,
        value_name = "KEY",
        env = "NWCAP_ARMTEST_ACCOUNT_KEY",
        hide_env_values = true
    )]
    account_key: Option<String>,
    /// The capture sessions replay (pcap or pcapng) [default: the bundled
    /// testdata/sample.pcap].
    #[arg(long, value_name = "FILE")]
    capture: Option<PathBuf>,
    /// "InProgress" answers before an operation completes.
    #[arg(long, default_value_t = 1)]
    lro_polls: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Cli::Serve(args) = Cli::parse();
    let mut config = ServerConfig {
        time_scale: args.time_scale,
        lro_polls: args.lro_polls,
        ..ServerConfig::default()
    };
    if let Some(path) = &args.capture {
        config.capture_source =
            Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let storage = match (args.azurite, &args.blob_endpoint, &args.account_key) {
        (Some(port), _, _) => Some(BlobStorage {
            account: "devstoreaccount1".into(),
            endpoint: format!("http://127.0.0.1:{port}/devstoreaccount1"),
            key: AZURITE_KEY.into(),
        }),
        (None, Some(endpoint), Some(key)) => {
            let account = endpoint
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|a| !a.is_empty() && !a.contains(':'))
                .ok_or(
                    "--blob-endpoint must end with the account name (http://HOST:PORT/ACCOUNT)",
                )?;
            Some(BlobStorage {
                account: account.to_owned(),
                endpoint: endpoint.trim_end_matches('/').to_owned(),
                key: key.clone(),
            })
        }
        _ => None,
    };
    if let Some(s) = &storage
        && !config
            .storage_accounts
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(&s.account))
    {
        config
            .storage_accounts
            .push(SeedResource::new("rg2", &s.account, "westus"));
    }
    config.storage = storage.clone();
    let server = ArmTestServer::bind(config.clone(), args.listen)?;
    println!("ARM emulator listening on {}", server.endpoint());
    println!();
    println!("  export NWCAP_ARM_ENDPOINT={}", server.endpoint());
    println!("  export NWCAP_ACCESS_TOKEN=emulator AZURE_SUBSCRIPTION_ID={TEST_SUBSCRIPTION}");
    if let Some(s) = &storage {
        // Azurite's development key is public; another account's key is not printed.
        let key = if args.azurite.is_some() {
            AZURITE_KEY
        } else {
            "<the key>"
        };
        println!(
            "  export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName={};AccountKey={key};BlobEndpoint={};'",
            s.account, s.endpoint
        );
        println!(
            "  storage account id: /subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/{}",
            s.account
        );
    }
    println!();
    for vm in config.vms.iter().chain(&config.scale_sets) {
        let kind = if vm.instances > 0 { "scale set" } else { "VM" };
        println!(
            "  {kind} {}/{} in {} ({}, {}, agent {})",
            vm.resource_group,
            vm.name,
            vm.location,
            vm.os.as_str(),
            vm.address,
            if vm.agent { "installed" } else { "missing" }
        );
    }
    println!("time runs {}x; Ctrl-C stops", args.time_scale);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    drop(server);
    Ok(())
}
