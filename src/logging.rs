//! Logging to `<state dir>/ddish.log`, never to the terminal (the TUI owns it).
//! The filter comes from `DDISH_LOG` (tracing's env-filter syntax), default `info`
//! (`debug` with `verbose`).
use std::path::{Path, PathBuf};

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Keeps the background log writer alive; drop it last so buffered lines are flushed.
#[must_use = "logging stops when the guard is dropped"]
pub struct LogGuard {
    _worker: WorkerGuard,
    /// The file being written.
    pub file: PathBuf,
}

/// Where logs go by default: ddish's XDG state directory.
pub fn default_log_dir() -> PathBuf {
    crate::config::state_dir()
}

/// Start logging to `dir/ddish.log` (creating `dir`). Fails if the directory can't be
/// created, the filter in `DDISH_LOG` is invalid, or a logger is already installed.
pub fn init(dir: &Path, verbose: bool) -> anyhow::Result<LogGuard> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
    let file = dir.join("ddish.log");
    // Open once now so a permission problem is reported here, not lost in the writer thread.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .with_context(|| format!("cannot open the log file {}", file.display()))?;

    let filter = match std::env::var("DDISH_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).with_context(|| {
            format!("DDISH_LOG={spec:?} is not a valid log filter (try DDISH_LOG=debug)")
        })?,
        _ => EnvFilter::new(if verbose { "debug" } else { "info" }),
    };

    let appender = tracing_appender::rolling::never(dir, "ddish.log");
    // The default queue preallocates 128k lines (4 MB of a CLI run's RSS); ddish logs a
    // few lines per action, and a full queue blocks rather than drops (lossy off).
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(false)
        .finish(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    Ok(LogGuard {
        _worker: worker,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_file_in_new_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/logs");
        let guard = init(&dir, false).unwrap();
        assert_eq!(guard.file, dir.join("ddish.log"));
        tracing::info!(probe = "logging-test", "hello from the logging test");
        tracing::debug!("debug line that the default filter drops");
        drop(guard); // flushes the writer thread
        let text = std::fs::read_to_string(dir.join("ddish.log")).unwrap();
        assert!(text.contains("hello from the logging test"), "{text}");
        assert!(text.contains("logging-test"), "{text}");
        assert!(!text.contains("debug line"), "{text}");
        assert!(!text.contains('\u{1b}'), "no ANSI colour codes in the file");
    }
}
