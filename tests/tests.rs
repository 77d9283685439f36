//! nwcap's CLI integration tests: one test binary (as ripgrep does), one
//! module per subcommand, shared helpers under `support/`.

mod analyze;
mod capture;
mod cases;
mod dataset;
mod datatools;
mod engine;
mod exit;
mod fetch;
mod filter;
mod flows;
mod info;
mod mutation;
mod readme;
mod report;
mod shell;
mod spark;
mod support;
mod terminal;
mod zeek;
