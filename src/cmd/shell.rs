//! `nwcap completions SHELL` and `nwcap man`: what a packager installs
//! beside the binary, generated from the clap command itself (clap_complete,
//! clap_mangen), so they always list the flags this binary has.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap_complete::Shell;
use nwcap_summary::{Output, OutputFile};

use crate::global::Global;

/// Arguments of `nwcap completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
bash: nwcap completions bash > ~/.local/share/bash-completion/completions/nwcap\n  \
zsh:  nwcap completions zsh > \"${fpath[1]}/_nwcap\"\n  \
fish: nwcap completions fish > ~/.config/fish/completions/nwcap.fish\n  \
PowerShell: nwcap completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
    /// Write the script to FILE instead of stdout (`-` = stdout).
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
}

/// Arguments of `nwcap man`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without -o, nwcap(1) is printed (read it with `nwcap man | man -l -`). \
With -o DIR, DIR gets nwcap.1 and a page per subcommand (nwcap-flows.1, \
nwcap-capture-start.1, ...), ready for a man1 folder."
)]
pub struct ManArgs {
    /// Write every page (nwcap.1 and one per subcommand) into folder DIR.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Run `nwcap completions`.
pub fn completions(
    args: CompletionsArgs,
    mut cmd: clap::Command,
    _global: &Global,
) -> anyhow::Result<ExitCode> {
    let out = args
        .output
        .as_deref()
        .map_or(Output::Stdout, Output::from_arg);
    let mut file = OutputFile::create(&out)?;
    clap_complete::generate(args.shell, &mut cmd, "nwcap", &mut file);
    file.flush()?;
    file.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// Run `nwcap man`.
pub fn man(args: ManArgs, cmd: clap::Command, _global: &Global) -> anyhow::Result<ExitCode> {
    let cmd = cmd.disable_help_subcommand(true);
    match args.output {
        None => {
            let mut file = OutputFile::create(&Output::Stdout)?;
            clap_mangen::Man::new(cmd).render(&mut file)?;
            file.commit()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut cmd = cmd;
            cmd.build();
            write_pages(&cmd, &dir)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cmd`'s page and those of its visible subcommands, each written
/// atomically as `<display name>.1` in `dir`.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut file = OutputFile::create(&Output::Path(dir.join(man.get_filename())))?;
    man.render(&mut file)?;
    file.commit()?;
    Ok(())
}
