//! Errors of the lab harness. Display is meant for the person at the terminal: what failed,
//! where the log is, how to fix it. No secrets ever go into these messages.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Kea or BIND (or a helper tool) is missing on this machine.
    #[error(
        "the lab needs {}, not found on this machine (looked in PATH, /usr/sbin, /sbin{}).\n\
         Install the Debian/Ubuntu packages: sudo apt-get install {}\n\
         (or run scripts/install-deps.sh)",
        missing.join(", "),
        if missing.iter().any(|m| m.contains("hooks")) { ", /usr/lib/*/kea/hooks" } else { "" },
        packages.join(" ")
    )]
    NotInstalled {
        missing: Vec<String>,
        packages: Vec<String>,
    },

    /// A port the lab wants is taken by another process.
    #[error("port 127.0.0.1:{port} ({what}) is already in use{detail}\nPick other ports with --port-base, or stop whatever listens there.")]
    PortInUse {
        port: u16,
        what: String,
        /// `ss` output naming the owner, if available (starts with ": ").
        detail: String,
    },

    /// `up` on a directory that already has a running lab.
    #[error(
        "a lab is already running in {dir} (see {pids}): run `ddish lab down --dir {dir}` first"
    )]
    AlreadyRunning { dir: PathBuf, pids: PathBuf },

    /// Bad options or a directory that can't be used.
    #[error("{0}")]
    Invalid(String),

    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        what: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A daemon could not be started at all.
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    /// A daemon started but never became ready (or died).
    #[error("{what}\nlog: {}{}", log.display(), if tail.is_empty() { String::new() } else { format!("\nlast log lines:\n{tail}") })]
    NotReady {
        what: String,
        log: PathBuf,
        tail: String,
    },

    /// A control-API or DNS check answered something unexpected.
    #[error("{0}")]
    Check(String),
}

impl LabError {
    pub(crate) fn io(
        what: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LabError::Io {
            what: what.into(),
            path: path.into(),
            source,
        }
    }
}
