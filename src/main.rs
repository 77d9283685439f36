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

/// mimalloc instead of the system allocator, tuned ([`tune_allocator`]).
/// A flow allocates on the worker that updates it and is freed on the one
/// that writes it; each step of the engine frees what the last one
/// allocated (flows on their way out, columns, encoded pages) and
/// allocates as much again. glibc's malloc spent about 15 % of a
/// million-flow run in its own bookkeeping (`_int_malloc`,
/// `unlink_chunk`, `_int_free`), and much of the rest of its memory came
/// back as fresh pages the kernel zeroes (`clear_page_erms`). Its v2 line:
/// v3 kept more resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options set here (numbers of `mi_option_e` in mimalloc.h of
/// its v2 line, which libmimalloc-sys does not name), with the variable
/// that overrides each and its value:
/// - `purge_delay` 250 ms instead of 10: pages freed by one step are
///   reused by the next rather than handed back and faulted in again
///   (steps take tens of milliseconds; at 1000 ms the million-flow run
///   took the same time and 5-15 MB more, with more spread between runs);
/// - `allow_thp` 0: no transparent huge pages for its segments, where a
///   first touch zeroed 2 MB at a time. mimalloc applies this one when it
///   starts (`prctl(PR_SET_THP_DISABLE)`, for the process), before `main`:
///   [`tune_allocator`] does the same.
///
/// On the million-flow benchmark, together: 8-30 % less wall time than
/// glibc's malloc over three sittings, 10-20 % more peak RSS (README
/// "Performance").
const ALLOCATOR_OPTIONS: [(&str, libmimalloc_sys::mi_option_t, std::ffi::c_long); 2] = [
    ("MIMALLOC_PURGE_DELAY", 15, 250),
    ("MIMALLOC_ALLOW_THP", 37, 0),
];

/// Sets [`ALLOCATOR_OPTIONS`], except those the environment sets.
fn tune_allocator() {
    for (var, option, value) in ALLOCATOR_OPTIONS {
        if std::env::var_os(var).is_none() {
            // SAFETY: sets an integer in mimalloc's table of options,
            // which it allows at any time from any thread.
            unsafe { libmimalloc_sys::mi_option_set(option, value) };
        }
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: a prctl with integer arguments only; an error (an old
        // kernel) leaves huge pages as they were.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

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
    tune_allocator();
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
