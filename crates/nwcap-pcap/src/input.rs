//! Where a capture comes from: a path (a regular file, a FIFO, a device
//! such as `/dev/stdin`) or standard input (`-`).

use std::fmt;
use std::path::{Path, PathBuf};

/// One input of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// A path: a regular file is mapped block by block, anything else (a
    /// FIFO, `/dev/stdin`, a process substitution) is read as a stream.
    Path(PathBuf),
    /// Standard input (`-` on the command line), read as a stream.
    Stdin,
}

impl Input {
    /// The input a command-line argument names: `-` is standard input.
    pub fn from_arg(arg: impl AsRef<Path>) -> Input {
        let arg = arg.as_ref();
        if arg.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::Path(arg.to_path_buf())
        }
    }

    /// The path, for inputs that have one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::Path(p) => Some(p),
            Input::Stdin => None,
        }
    }

    /// The path, or for standard input its name (`<stdin>`): what a
    /// reader reports the input as.
    pub fn path_or_name(&self) -> PathBuf {
        self.path()
            .map_or_else(|| PathBuf::from(self.name()), Path::to_path_buf)
    }

    /// The name used in messages and in the flow table's `file` column.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// True when the input is a regular file (it can be mapped and opened
    /// again); false for standard input, FIFOs, devices and missing paths.
    pub fn is_regular_file(&self) -> bool {
        self.path()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| m.is_file())
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Path(p) => write!(f, "{}", p.display()),
            Input::Stdin => f.write_str("<stdin>"),
        }
    }
}

impl From<&Path> for Input {
    fn from(p: &Path) -> Input {
        Input::from_arg(p)
    }
}

impl From<&PathBuf> for Input {
    fn from(p: &PathBuf) -> Input {
        Input::from_arg(p)
    }
}

impl From<&str> for Input {
    fn from(p: &str) -> Input {
        Input::from_arg(p)
    }
}

impl From<PathBuf> for Input {
    fn from(p: PathBuf) -> Input {
        Input::from_arg(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_is_stdin() {
        assert_eq!(Input::from_arg("-"), Input::Stdin);
        assert_eq!(Input::from_arg("-").name(), "<stdin>");
        assert_eq!(
            Input::from_arg("a.pcap"),
            Input::Path(PathBuf::from("a.pcap"))
        );
        assert!(!Input::Stdin.is_regular_file());
        assert!(!Input::from_arg("/nonexistent/x.pcap").is_regular_file());
    }
}
