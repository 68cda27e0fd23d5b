//! Writes in flight: before a write touches its first server, ddish leaves an intent file in
//! the `locks/` folder (and an `intent` line in the journal); the write's lock guard removes
//! the file when the write is over, whatever its outcome. A file whose process is gone is a
//! write that was killed (SIGKILL, power, a lost SSH session) in the middle: the next start
//! reports it, and `ddish check` compares each server with what it ran when the write
//! began.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One write in flight, as its intent file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Unique per write: `<pid>-<epoch ms>-<n>`.
    pub id: String,
    /// What the write does ("reserve", "scope create", ...).
    pub what: String,
    /// `user@host`.
    pub user: String,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub started: i64,
    /// Each server the write may touch, with Kea's config hash (config-hash-get, Kea 2.4+)
    /// when the write began, or on Kea 2.2 `ddish-digest:<hex>` of its config-get; None
    /// where the server did not answer.
    pub servers: BTreeMap<String, Option<String>>,
}

impl Intent {
    fn file_in(&self, dir: &Path) -> PathBuf {
        dir.join(format!("intent-{}.json", self.id))
    }
}

/// Writes the intent file into `dir` (the locks folder); its path, for removal.
pub fn record(dir: &Path, intent: &Intent) -> std::io::Result<PathBuf> {
    let path = intent.file_in(dir);
    let body = serde_json::to_vec(intent).unwrap_or_default();
    let mut f = super::open_with_mode(
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true),
        &path,
    )?;
    f.write_all(&body)?;
    f.sync_data()?;
    Ok(path)
}

/// The intents in `dir` whose process is gone: writes that never finished. A file that
/// cannot be read is skipped (a write being recorded this very moment).
pub fn unfinished(dir: &Path) -> Vec<Intent> {
    let Ok(list) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Intent> = list
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("intent-") && n.ends_with(".json")
        })
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Intent>(&b).ok())
        .filter(|i| !alive(i.pid, &i.user))
        .collect();
    out.sort_by_key(|i| i.started);
    out
}

/// Forgets an unfinished intent (after it was reported and checked).
pub fn dismiss(dir: &Path, intent: &Intent) -> std::io::Result<()> {
    match std::fs::remove_file(intent.file_in(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether the process that wrote the intent still runs: same host and the pid exists.
/// (A reused pid keeps an intent "in flight" until that process ends: reported late, never
/// falsely.)
fn alive(pid: u32, user: &str) -> bool {
    let here = super::current_user();
    let host = |u: &str| u.rsplit_once('@').map(|(_, h)| h.to_string());
    if host(user) != host(&here) {
        // Another host's write (a shared journal folder): it is not ours to judge.
        return true;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(pid: u32) -> Intent {
        Intent {
            id: format!("{pid}-1-0"),
            what: "reserve".into(),
            user: super::super::current_user(),
            pid,
            started: 1,
            servers: BTreeMap::from([("kea-1".into(), Some("abc".into())), ("kea-2".into(), None)]),
        }
    }

    #[test]
    fn a_dead_writer_leaves_an_unfinished_intent() {
        let d = tempfile::tempdir().unwrap();
        let live = intent(std::process::id());
        let p = record(d.path(), &live).unwrap();
        assert!(unfinished(d.path()).is_empty(), "this process is alive");
        // A child that has exited and been reaped: its pid is gone.
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = c.id();
        c.wait().unwrap();
        let dead = intent(dead_pid);
        record(d.path(), &dead).unwrap();
        let found = unfinished(d.path());
        assert_eq!(found, vec![dead.clone()]);
        dismiss(d.path(), &dead).unwrap();
        assert!(unfinished(d.path()).is_empty());
        std::fs::remove_file(p).unwrap();
        assert!(dismiss(d.path(), &live).is_ok(), "already gone is fine");
    }
}
