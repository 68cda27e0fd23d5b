//! Appending to and reading the journal file.
//!
//! Several ddish processes may share one file. Each entry is one line written by a single
//! write(2) on an O_APPEND descriptor while holding flock(LOCK_EX), so lines never
//! interleave; readers take LOCK_SH so they never see half a line.
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::entry::Entry;
use super::error::AuditError;
use super::redact::redact;

/// The `result` of a write's intent line, written before the write touches a server.
pub const INTENT: &str = "intent";

/// The largest journal ddish reads whole (a line is ~300 bytes: ~1.7M entries).
pub const MAX_READ: u64 = 512 << 20;

#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

/// The readable entries of a journal (in file order) and how many lines were unreadable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalRead {
    pub entries: Vec<Entry>,
    pub skipped: usize,
}

impl Journal {
    pub fn new(path: &Path) -> Journal {
        Journal {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry, with secrets in `before`/`after` masked. Creates the file and its
    /// directory when missing.
    pub fn append(&self, e: &Entry) -> Result<(), AuditError> {
        let mut e = e.clone();
        e.before = e.before.map(redact);
        e.after = e.after.map(redact);
        // Serializing plain data (strings, numbers, JSON values) cannot fail.
        let mut line = serde_json::to_vec(&e).unwrap_or_default();
        line.push(b'\n');

        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| AuditError::CreateDir {
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        // Readable too: the newline check below reads the file's last byte.
        // Private, or group-writable in a shared (setgid) directory.
        let f = super::open_with_mode(
            OpenOptions::new().read(true).append(true).create(true),
            &self.path,
        )
        .map_err(|source| self.err_open(source))?;
        // Bounded: a reader stopped while holding its shared lock must not hang the write
        // that has already reached the server (it then warns that history was not kept).
        let _lock =
            Flock::within(&f, libc::LOCK_EX, APPEND_WAIT).map_err(|source| AuditError::Lock {
                path: self.path.clone(),
                source,
            })?;
        // A process that died mid-write leaves a line without its newline; start on a fresh
        // line so this entry is not glued to (and lost with) that fragment.
        if !ends_with_newline(&f).map_err(|source| self.err_write(source))? {
            line.insert(0, b'\n');
        }
        // One write(2) for the whole line in the normal case; write_all only loops on a
        // short write, still under the lock.
        (&f).write_all(&line)
            .map_err(|source| self.err_write(source))
    }

    /// Every readable entry in file order; a missing file is an empty journal. Malformed
    /// lines are skipped and counted, never an error.
    pub fn read(&self) -> Result<JournalRead, AuditError> {
        self.read_filtered(|_| true)
    }

    /// Every readable entry in file order (see [`Journal::read`]).
    pub fn read_all(&self) -> Result<Vec<Entry>, AuditError> {
        let r = self.read()?;
        if r.skipped > 0 {
            tracing::warn!(path = %self.path.display(), skipped = r.skipped, "unreadable journal lines skipped");
        }
        Ok(r.entries)
    }

    /// The entries about one IP, newest first.
    pub fn for_ip(&self, ip: Ipv4Addr) -> Result<Vec<Entry>, AuditError> {
        // Entries are written by serde in one fixed form, so a line about this IP contains
        // `"ip":"<ip>"`; testing that first avoids parsing the rest of a large journal.
        let needle = format!("\"ip\":\"{ip}\"");
        let mut entries: Vec<Entry> = self
            .read_filtered(|line| line.contains(&needle))?
            .entries
            .into_iter()
            .filter(|e| e.ip == Some(ip))
            .collect();
        // Later lines first among equal times: reverse, then a stable sort by time.
        entries.reverse();
        entries.sort_by_key(|e| std::cmp::Reverse(e.time));
        Ok(entries)
    }

    fn read_filtered(&self, keep: impl Fn(&str) -> bool) -> Result<JournalRead, AuditError> {
        let f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(JournalRead::default()),
            Err(source) => return Err(self.err_open(source)),
        };
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_READ {
            return Err(AuditError::TooBig {
                path: self.path.clone(),
                size,
                limit: MAX_READ,
            });
        }
        let mut bytes = Vec::new();
        {
            let _lock = Flock::new(&f, libc::LOCK_SH).map_err(|source| AuditError::Lock {
                path: self.path.clone(),
                source,
            })?;
            (&f).take(MAX_READ)
                .read_to_end(&mut bytes)
                .map_err(|source| AuditError::Read {
                    path: self.path.clone(),
                    source,
                })?;
        }
        let mut out = JournalRead::default();
        for raw in bytes.split(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(raw) else {
                out.skipped += 1;
                continue;
            };
            if line.trim().is_empty() || !keep(line) {
                continue;
            }
            match serde_json::from_str::<Entry>(line) {
                // A write's intent line is not a change (its outcome line follows).
                Ok(e) if e.result == INTENT => {}
                Ok(e) => out.entries.push(e),
                Err(_) => out.skipped += 1,
            }
        }
        Ok(out)
    }

    fn err_open(&self, source: io::Error) -> AuditError {
        AuditError::Open {
            path: self.path.clone(),
            source,
        }
    }

    fn err_write(&self, source: io::Error) -> AuditError {
        AuditError::Write {
            path: self.path.clone(),
            source,
        }
    }
}

fn ends_with_newline(f: &File) -> io::Result<bool> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    f.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] == b'\n')
}

/// An flock held until drop (closing the descriptor would release it too).
struct Flock<'a>(&'a File);

/// How long an append waits for the journal's lock.
const APPEND_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl<'a> Flock<'a> {
    /// [`Flock::new`] giving up after `wait` (a `WouldBlock` error naming the wait).
    fn within(f: &'a File, op: libc::c_int, wait: std::time::Duration) -> io::Result<Flock<'a>> {
        let started = std::time::Instant::now();
        while !super::flock::try_lock(f, op)? {
            if started.elapsed() >= wait {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "another process has held it for {} s (a stopped `ddish`?)",
                        wait.as_secs()
                    ),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(Flock(f))
    }

    fn new(f: &'a File, op: libc::c_int) -> io::Result<Flock<'a>> {
        loop {
            // SAFETY: the descriptor is open for the lifetime of `f`.
            if unsafe { libc::flock(f.as_raw_fd(), op) } == 0 {
                return Ok(Flock(f));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

impl Drop for Flock<'_> {
    fn drop(&mut self) {
        // SAFETY: as above; unlocking cannot harm, and close releases it anyway.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
