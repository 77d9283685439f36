//! Where the extract goes: stdout, or a file written atomically by the
//! one output writer every command uses ([`nwcap_summary::OutputFile`]:
//! a temporary file renamed over OUT when complete, devices and FIFOs
//! written in place, symbolic links followed). An extract is refused on a
//! terminal and may not overwrite one of its inputs.

use std::fmt;
use std::io::{self, IsTerminal};
use std::path::Path;

use nwcap_summary::{Output, OutputFile};

/// The `-o` argument.
#[derive(Debug, Clone)]
pub(super) struct Target(Output);

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Output::Stdout => f.write_str("stdout"),
            Output::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Target {
    pub fn new(path: &Path) -> Target {
        Target(Output::from_arg(&path.to_string_lossy()))
    }

    /// True when OUT already exists and is `input` (same file).
    pub fn is_same_file(&self, input: &Path) -> bool {
        let Output::Path(out) = &self.0 else {
            return false;
        };
        match (out.canonicalize(), input.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// Opens the output (the temporary file, for a path).
    pub fn create(&self) -> anyhow::Result<OutputFile> {
        if self.0 == Output::Stdout && io::stdout().is_terminal() {
            anyhow::bail!(
                "refusing to write a capture to a terminal\nhint: redirect -o - to a file or pipe it (| tshark -r -)"
            );
        }
        Ok(OutputFile::create(&self.0)?)
    }
}
