//! nwcap: Azure Network Watcher packet captures from the command line.
//!
//! Arguments are parsed in two steps (as ripgrep does): clap fills plain
//! `Args` structs, then each subcommand resolves them into the real objects
//! (readers, filters, clients) and runs. Errors in one input file never stop
//! the others; the exit status tells.

mod cmd;
mod global;
mod messages;
mod progress;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// mimalloc instead of the system allocator. A flow allocates on the
/// worker that updates it and is freed on the one that writes it; glibc's
/// malloc spent about 15 % of a million-flow run on that (`_int_malloc`,
/// `unlink_chunk`, `_int_free`, measured with perf), mimalloc's per-thread
/// heaps take cross-thread frees without a lock. Its v2 line: v3 kept
/// about 30 MB more resident on `synth.pcap` (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Azure Network Watcher packet captures: manage, fetch, analyse.
#[derive(Debug, Parser)]
#[command(name = "nwcap", version, about, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: global::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage Network Watcher packet captures over ARM: start, show, status, list, stop, delete, wait.
    Capture(cmd::capture::Args),
    /// Summarise capture files (like capinfos): format, packets, bytes, times, damage.
    Info(cmd::info::Args),
    /// Download finished captures from Azure Storage (blob or prefix URL), resumable.
    Fetch(cmd::fetch::Args),
    /// Extract matching packets to a new capture in the input's format (forensic copy).
    Filter(cmd::filter::Args),
    /// Wait for a capture to stop, fetch its files, and print their flows with its own filters re-applied.
    Analyze(Box<cmd::analyze::Args>),
    /// One row per bidirectional flow (Zeek-like conn table), as table, CSV, JSON, NDJSON or Parquet.
    Flows(cmd::flows::Args),
    /// Top talkers, ports, services, protocols or conversations of the flow table.
    Top(cmd::top::Args),
    /// The flow table's columns and types (for DuckDB, pyarrow, Zeek tools).
    Schema(cmd::schema::Args),
    /// One self-contained HTML page of pictures: throughput, top talkers, connection outcomes, largest flows.
    Report(Box<cmd::report::Args>),
    /// Which capture source each file belongs to (Network Watcher's storage layout), without opening it.
    Sources(cmd::sources::Args),
    /// Shell completion script for bash, zsh, fish, PowerShell or elvish.
    Completions(cmd::shell::CompletionsArgs),
    /// The manual page (roff), or with -o DIR one page per subcommand.
    Man(cmd::shell::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = cli.global.resolve();
    let result = match cli.command {
        Command::Capture(args) => cmd::capture::run(args, &global),
        Command::Info(args) => cmd::info::run(args, &global),
        Command::Fetch(args) => cmd::fetch::run(args, &global),
        Command::Filter(args) => cmd::filter::run(args, &global),
        Command::Analyze(args) => cmd::analyze::run(*args, &global),
        Command::Flows(args) => cmd::flows::run(args, &global),
        Command::Top(args) => cmd::top::run(args, &global),
        Command::Schema(args) => cmd::schema::run(args, &global),
        Command::Report(args) => cmd::report::run(*args, &global),
        Command::Sources(args) => cmd::sources::run(args, &global),
        Command::Completions(args) => cmd::shell::completions(args, Cli::command(), &global),
        Command::Man(args) => cmd::shell::man(args, Cli::command(), &global),
    };
    match result {
        Ok(code) => code,
        // `nwcap ... | head`: the reader has gone, nothing left to say.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nwcap: error: {err:#}");
            ExitCode::from(global::EXIT_ERROR)
        }
    }
}

/// True when an error comes from writing to a pipe whose reader has exited.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
