//! Per-server write locks shared by the ddish processes on one host: flock on a file per
//! server in a `locks/` folder beside the journal, so two admins (or two scripts) sharing a
//! jump host never interleave writes on one server. Kea has no compare-and-set: between
//! ddish's "unchanged since read" check and its config-set another writer could slip in,
//! and one of the two changes would be lost. The lock closes that window on this host;
//! writers elsewhere are caught by the check and the read-back after the write.
//!
//! The holder writes who it is into the file, so the one who waits can say whom for. A
//! process that dies releases its locks with its descriptors.
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a busy lock is tried again.
const RETRY: Duration = Duration::from_millis(50);

/// Why the locks could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another ddish is writing to {server} ({holder}); waited {} s: try again when it is \
         done",
        waited.as_secs()
    )]
    Busy {
        server: String,
        holder: String,
        waited: Duration,
    },
    #[error("cannot use the write lock {}: {source} (check the folder beside the journal is writable, or set `journal` in the config)", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// The locks of some servers, held until dropped.
#[derive(Debug)]
pub struct WriteLock {
    _files: Vec<File>,
    /// Whether another process held one of them first: what this process read before
    /// waiting may be out of date.
    pub waited: bool,
    /// The write's intent file (`intent.rs`), removed with the lock: a write that ends in
    /// any way but death leaves none.
    intent: Option<PathBuf>,
}

impl WriteLock {
    /// No lock at all: where no lock folder can be written, a write still goes ahead
    /// (the caller warns); the unchanged-since-read check and the read-back still hold.
    pub fn none() -> WriteLock {
        WriteLock {
            _files: Vec::new(),
            waited: false,
            intent: None,
        }
    }

    /// Ties the intent file at `path` to this lock.
    pub fn set_intent(&mut self, path: PathBuf) {
        self.intent = Some(path);
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if let Some(p) = self.intent.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The folder of the lock files for a journal at `journal`.
pub fn lock_dir(journal: &Path) -> PathBuf {
    journal
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("locks")
}

/// Locks every server in `servers` (in name order, so two processes locking overlapping
/// sets cannot deadlock), waiting up to `wait` for each busy one. `waiting(server, holder)`
/// is called once per server found busy. `holder` says who this process is and what it
/// writes (user@host, pid, since when, the action), for whoever waits next.
pub async fn lock_servers(
    dir: &Path,
    servers: &[&str],
    holder: &str,
    wait: Duration,
    mut waiting: impl FnMut(&str, &str),
) -> Result<WriteLock, LockError> {
    let mut names: Vec<&str> = servers.to_vec();
    names.sort_unstable();
    names.dedup();
    std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let started = Instant::now();
    let mut files = Vec::new();
    let mut waited = false;
    for name in names {
        let path = dir.join(format!("{}.lock", file_stem(name)));
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let (mut f, writable) = open(&path).map_err(io_err)?;
        let mut told = false;
        loop {
            match super::flock::try_lock(&f, libc::LOCK_EX) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(io_err(e)),
            }
            let holder = read_holder(&mut f);
            if started.elapsed() >= wait {
                return Err(LockError::Busy {
                    server: name.to_string(),
                    holder,
                    waited: started.elapsed(),
                });
            }
            if !told {
                waiting(name, &holder);
                told = true;
                waited = true;
            }
            tokio::time::sleep(RETRY).await;
        }
        if writable {
            // Best effort: a reader that finds no holder text still waits correctly.
            let _ = write_holder(&mut f, holder);
        }
        files.push(f);
    }
    Ok(WriteLock {
        _files: files,
        waited,
        intent: None,
    })
}

/// A server name as a file name: anything but letters, digits, `.`, `-`, `_` becomes `_`
/// (two names that collide only share a lock).
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// Read-write where allowed; flock needs only an open descriptor, so a lock file another
/// admin created without group write still locks (without naming its holder).
fn open(path: &Path) -> io::Result<(File, bool)> {
    match super::open_with_mode(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        path,
    ) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            File::open(path).map(|f| (f, false))
        }
        Err(e) => Err(e),
    }
}

fn read_holder(f: &mut File) -> String {
    let mut s = String::new();
    let _ = f.rewind();
    let _ = f.take(512).read_to_string(&mut s);
    let s = s.trim();
    if s.is_empty() {
        "holder unknown".into()
    } else {
        s.to_string()
    }
}

fn write_holder(f: &mut File, holder: &str) -> io::Result<()> {
    f.set_len(0)?;
    f.rewind()?;
    f.write_all(holder.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_file_names() {
        assert_eq!(file_stem("kea-1"), "kea-1");
        assert_eq!(file_stem("../etc/x y"), "___etc_x_y");
        assert_eq!(file_stem(""), "_");
    }

    #[tokio::test]
    async fn a_second_locker_waits_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_servers(
            dir.path(),
            &["b", "a"],
            "ip reserve",
            Duration::ZERO,
            |_, _| {},
        )
        .await
        .unwrap();
        assert!(!first.waited);
        // flock locks belong to the open file description: a second open in this process
        // conflicts like another process would.
        let mut seen = Vec::new();
        let err = lock_servers(
            dir.path(),
            &["a"],
            "scope create",
            Duration::from_millis(120),
            |s, h| seen.push((s.to_string(), h.to_string())),
        )
        .await
        .unwrap_err();
        let LockError::Busy { server, holder, .. } = &err else {
            panic!("expected Busy, got {err}");
        };
        assert_eq!(server, "a");
        assert!(holder.contains("ip reserve"), "{holder}");
        assert_eq!(seen.len(), 1);
        assert!(err.to_string().contains("another ddish is writing to a"));
        drop(first);
        let again = lock_servers(dir.path(), &["a", "b"], "x", Duration::ZERO, |_, _| {})
            .await
            .unwrap();
        assert!(!again.waited);
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_servers(dir.path(), &["a"], "one", Duration::ZERO, |_, _| {})
            .await
            .unwrap();
        let d = dir.path().to_path_buf();
        let waiter = tokio::spawn(async move {
            lock_servers(&d, &["a"], "two", Duration::from_secs(10), |_, _| {})
                .await
                .map(|l| l.waited)
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        drop(first);
        assert!(waiter.await.unwrap().unwrap(), "the second one waited");
    }
}
