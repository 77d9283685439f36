//! One module per subcommand. Each has `Args` (clap) and
//! `run(Args, &Global) -> anyhow::Result<ExitCode>`.

pub mod analyze;
pub mod capture;
pub mod fetch;
pub mod filter;
pub mod flows;
pub mod info;
pub mod input;
pub mod output;
pub mod report;
pub mod schema;
pub mod shell;
pub mod sources;
pub mod target;
pub mod top;
