//! Capture sources on the command line: the flags that choose how input
//! files are put into sources (`--source NAME`, `--source-per-file`, else
//! Network Watcher's storage layout), shared by `flows`, `top` and
//! `analyze`, and `nwcap sources`, which prints the sources of a list of
//! files without opening them (what the Spark job plans its tasks with).
//! The rule itself is the engine's: [`nwcap_engine::sources`].

use std::io::Write;
use std::process::ExitCode;

use nwcap_engine::SourceRule;
use nwcap_engine::sources::plan;

use crate::global::Global;

/// How input files are put into capture sources.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SourceArgs {
    /// Every file is one capture source named NAME (the `source` column).
    /// Default: the source is read from Network Watcher's storage path
    /// (`.../virtualmachines/VM/...`, scale-set instances); other files
    /// are one source together.
    #[arg(long = "source", value_name = "NAME", help_heading = "Capture sources")]
    pub source_name: Option<String>,
    /// Every file is its own capture source (named by its file name).
    #[arg(long, conflicts_with = "source_name", help_heading = "Capture sources")]
    pub source_per_file: bool,
}

impl SourceArgs {
    /// The rule the flags choose: `--source`, then `--source-per-file`,
    /// else the storage layout.
    pub fn rule(&self) -> anyhow::Result<SourceRule> {
        if let Some(name) = &self.source_name {
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                anyhow::bail!(
                    "--source {}: a source name needs a visible character and no control characters",
                    name.escape_debug()
                );
            }
            return Ok(SourceRule::Named(name.clone()));
        }
        Ok(if self.source_per_file {
            SourceRule::PerFile
        } else {
            SourceRule::Layout
        })
    }
}

/// `--format` of `nwcap sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourcesFormat {
    /// One line per file: SOURCE, a tab, FILE.
    Text,
    /// A JSON array of `{"source": NAME, "files": [...]}`.
    Json,
}

/// Arguments of `nwcap sources`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Files are not opened: names alone decide (local paths, blob URLs and \
abfss:// paths alike). Sources come in name order, each with its files in the order given; \
`nwcap flows` reads a source's files in order of their first record."
)]
pub struct Args {
    /// Capture file names (paths, blob URLs, abfss:// paths).
    #[arg(required = true)]
    pub files: Vec<String>,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SourcesFormat,
}

/// One source in `nwcap sources --format json`.
#[derive(serde::Serialize)]
struct SourceJson<'a> {
    source: &'a str,
    files: Vec<&'a str>,
}

/// Run `nwcap sources`.
pub fn run(args: Args, _global: &Global) -> anyhow::Result<ExitCode> {
    let rule = args.sources.rule()?;
    let names: Vec<&str> = args.files.iter().map(String::as_str).collect();
    let plans = plan(&names, &rule);
    let mut out = std::io::stdout().lock();
    match args.format {
        SourcesFormat::Text => {
            for p in &plans {
                for &i in &p.members {
                    writeln!(out, "{}\t{}", p.name, names[i])?;
                }
            }
        }
        SourcesFormat::Json => {
            let rows: Vec<SourceJson<'_>> = plans
                .iter()
                .map(|p| SourceJson {
                    source: &p.name,
                    files: p.members.iter().map(|&i| names[i]).collect(),
                })
                .collect();
            serde_json::to_writer(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
