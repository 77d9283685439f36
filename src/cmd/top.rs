//! `nwcap top`: aggregates of the flow table (talkers, ports, services,
//! protocols, conversations), summed as the flows come
//! ([`nwcap_summary::top_sink`]).

use std::process::ExitCode;

use nwcap_summary::TopBy;

use crate::cmd::input::InputArgs;
use crate::cmd::output::OutputArgs;
use crate::global::Global;
use crate::messages;
use crate::progress::Bar;

/// `--by`, typed when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// Per IP address, as originator or responder.
    Talkers,
    /// Per (proto, resp_p).
    Ports,
    /// Per service confirmed by content.
    Services,
    /// Per transport protocol.
    Protocols,
    /// Per unordered address pair.
    Conversations,
}

impl From<ByArg> for TopBy {
    fn from(b: ByArg) -> TopBy {
        match b {
            ByArg::Talkers => TopBy::Talkers,
            ByArg::Ports => TopBy::Ports,
            ByArg::Services => TopBy::Services,
            ByArg::Protocols => TopBy::Protocols,
            ByArg::Conversations => TopBy::Conversations,
        }
    }
}

/// Arguments of `nwcap top`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// What to rank.
    #[arg(long, value_enum, value_name = "WHAT")]
    by: ByArg,
    /// Rows to keep. `--n` is the old spelling.
    #[arg(
        short = 'n',
        long = "limit",
        alias = "n",
        value_name = "N",
        default_value_t = 10
    )]
    limit: usize,
    #[command(flatten)]
    output: OutputArgs,
}

/// Run `nwcap top`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let run = args.input.resolve()?;
    // `--sql` filters the flow table before the aggregate.
    let (opts, out) = args.output.resolve(None)?;
    let mut sink = nwcap_summary::top_sink(args.by.into(), args.limit, &opts, &out)?;
    let bar = Bar::new(global);
    let result = nwcap_engine::run(&run.groups, &run.settings, Some(&bar), sink.as_mut());
    bar.finish();
    let report = result.map_err(messages::engine_error)?;
    messages::inputs(&report, global);
    if report.nothing_read() {
        anyhow::bail!("no input could be read");
    }
    Ok(messages::exit_code(&report))
}
