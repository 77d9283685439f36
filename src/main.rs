//! nwcap: Azure Network Watcher packet captures from the command line.
//!
//! Arguments are parsed in two steps (as ripgrep does): clap fills plain
//! `Args` structs, then each subcommand resolves them into the real objects
//! (readers, filters, clients) and runs. Errors in one input file never stop
//! the others; the exit status tells.

mod cmd;
mod escape;
mod global;
mod timefmt;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Summarise capture files (like capinfos): format, packets, bytes, times, damage.
    Info(cmd::info::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = cli.global.resolve();
    let result = match cli.command {
        Command::Info(args) => cmd::info::run(args, &global),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("nwcap: error: {err:#}");
            ExitCode::from(global::EXIT_ERROR)
        }
    }
}
