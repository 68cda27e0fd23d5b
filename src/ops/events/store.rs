//! Where observations live: next to the journal (`settings.journal`), so admins sharing a
//! journal on a jump host share the observed events and the last snapshot too.
//!
//! `<stem>.events.jsonl`: observed events, one JSON object a line, appended under
//! flock(LOCK_EX) in one write (as the journal is), read under LOCK_SH.
//! `<stem>.snapshot.json`: the fleet as last observed, replaced by rename.
//! `<stem>.observe.lock`: held exclusively while an observation compares and writes, so
//! two ddish observing at once don't both report the same change.
use super::EventsError;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::audit::Entry;
use crate::config::Config;

use super::observe::Snapshot;
use super::Event;

/// The files of one journal's observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFiles {
    pub events: PathBuf,
    pub snapshot: PathBuf,
    pub lock: PathBuf,
}

/// What the events file held: readable events in file order, and unreadable lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    pub events: Vec<Event>,
    pub skipped: usize,
}

fn fix(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            "check its permissions (admins sharing it need a common group on a setgid directory: chgrp GROUP DIR; chmod 2770 DIR), or \
             set `journal` under [settings] to a path in a directory you may write"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "the disk (or your quota) is full: free some space"
        }
        _ => "check the path and its permissions, or set `journal` under [settings] elsewhere",
    }
}

fn err(what: &str, path: &Path, e: io::Error) -> EventsError {
    EventsError::File(format!(
        "cannot {what} {}: {e}; {}",
        path.display(),
        fix(&e)
    ))
}

impl EventFiles {
    /// The files next to `journal`: `journal.jsonl` gives `journal.events.jsonl`, ...
    pub fn new(journal: &Path) -> EventFiles {
        let dir = journal.parent().unwrap_or(Path::new(""));
        let stem = journal
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "journal".to_string());
        EventFiles {
            events: dir.join(format!("{stem}.events.jsonl")),
            snapshot: dir.join(format!("{stem}.snapshot.json")),
            lock: dir.join(format!("{stem}.observe.lock")),
        }
    }

    pub fn for_config(cfg: &Config) -> EventFiles {
        EventFiles::new(&cfg.settings.journal)
    }

    /// Every readable observed event in file order; a missing file is none.
    pub fn read_events(&self) -> Result<Vec<Event>, EventsError> {
        let s = self.read_stored()?;
        if s.skipped > 0 {
            tracing::warn!(path = %self.events.display(), skipped = s.skipped, "unreadable event lines skipped");
        }
        Ok(s.events)
    }

    pub fn read_stored(&self) -> Result<Stored, EventsError> {
        let f = match File::open(&self.events) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Stored::default()),
            Err(e) => return Err(err("open the events file", &self.events, e)),
        };
        let mut bytes = Vec::new();
        {
            let _l = Flock::new(&f, libc::LOCK_SH)
                .map_err(|e| err("lock the events file", &self.events, e))?;
            (&f).read_to_end(&mut bytes)
                .map_err(|e| err("read the events file", &self.events, e))?;
        }
        let mut out = Stored::default();
        for raw in bytes.split(|&b| b == b'\n') {
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Event>(raw) {
                Ok(e) => out.events.push(e),
                Err(_) => out.skipped += 1,
            }
        }
        Ok(out)
    }

    fn ensure_dir(&self) -> Result<(), EventsError> {
        if let Some(dir) = self.lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err("create the directory", dir, e))?;
        }
        Ok(())
    }

    fn open_rw(path: &Path, append: bool) -> io::Result<File> {
        crate::audit::open_with_mode(
            OpenOptions::new()
                .read(true)
                .write(!append)
                .append(append)
                .create(true)
                .truncate(false),
            path,
        )
    }

    /// Takes the observation lock (waits for another ddish to finish its observation).
    pub(super) fn lock(&self) -> Result<ObserveLock, EventsError> {
        self.ensure_dir()?;
        let f = Self::open_rw(&self.lock, false)
            .map_err(|e| err("open the observation lock", &self.lock, e))?;
        flock(&f, libc::LOCK_EX).map_err(|e| err("lock", &self.lock, e))?;
        Ok(ObserveLock(f))
    }

    /// The last snapshot, or `None` before the first observation. An unreadable snapshot
    /// counts as none (the next observation starts afresh) rather than failing.
    pub(super) fn read_snapshot(
        &self,
        _lock: &ObserveLock,
    ) -> Result<Option<Snapshot>, EventsError> {
        match std::fs::read(&self.snapshot) {
            Ok(b) => match serde_json::from_slice(&b) {
                Ok(s) => Ok(Some(s)),
                Err(e) => {
                    tracing::warn!(path = %self.snapshot.display(), "unreadable snapshot, starting afresh: {e}");
                    Ok(None)
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err("read the snapshot", &self.snapshot, e)),
        }
    }

    /// Replaces the snapshot (write to a temporary file, then rename: never half a file).
    pub(super) fn write_snapshot(
        &self,
        _lock: &ObserveLock,
        s: &Snapshot,
    ) -> Result<(), EventsError> {
        let body = serde_json::to_vec(s).unwrap_or_default();
        let tmp = self
            .snapshot
            .with_extension(format!("json.{}", std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = crate::audit::open_with_mode(
                OpenOptions::new().write(true).create(true).truncate(true),
                &tmp,
            )?;
            f.write_all(&body)?;
            f.sync_data()?;
            std::fs::rename(&tmp, &self.snapshot)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err("write the snapshot", &self.snapshot, e)
        })
    }

    /// Appends events, one line each, in one write under LOCK_EX.
    pub(super) fn append(&self, _lock: &ObserveLock, events: &[Event]) -> Result<(), EventsError> {
        if events.is_empty() {
            return Ok(());
        }
        let buf = lines(events);
        let f = Self::open_rw(&self.events, true)
            .map_err(|e| err("open the events file", &self.events, e))?;
        let _l = Flock::new(&f, libc::LOCK_EX)
            .map_err(|e| err("lock the events file", &self.events, e))?;
        (&f).write_all(&buf)
            .map_err(|e| err("write to the events file", &self.events, e))
    }
}

/// Events as JSON lines, for one write.
fn lines(events: &[Event]) -> Vec<u8> {
    let mut buf = Vec::new();
    for e in events {
        buf.extend(serde_json::to_vec(e).unwrap_or_default());
        buf.push(b'\n');
    }
    buf
}

/// The end of the events file read for a lease change already recorded.
const SEEN_TAIL_BYTES: u64 = 512 * 1024;

impl EventFiles {
    /// Appends the events another ddish sharing this file has not recorded already within
    /// `window_secs` (same server, kind, address and description): admins watching the same
    /// scope, each seeing a change at its own refresh, record it once. The window is a few
    /// refreshes, so the same change again later is recorded again. Read and written under
    /// one LOCK_EX. Returns how many were new.
    pub(crate) fn append_unrecorded(
        &self,
        events: &[Event],
        window_secs: i64,
    ) -> Result<usize, EventsError> {
        use std::io::{Seek, SeekFrom};
        if events.is_empty() {
            return Ok(0);
        }
        self.ensure_dir()?;
        let f = Self::open_rw(&self.events, true)
            .map_err(|e| err("open the events file", &self.events, e))?;
        let _l = Flock::new(&f, libc::LOCK_EX)
            .map_err(|e| err("lock the events file", &self.events, e))?;
        let len = f
            .metadata()
            .map_err(|e| err("read the events file", &self.events, e))?
            .len();
        let mut tail = Vec::new();
        // Writes go to the end whatever this read's position (the file is O_APPEND).
        (&f).seek(SeekFrom::Start(len.saturating_sub(SEEN_TAIL_BYTES)))
            .and_then(|_| (&f).read_to_end(&mut tail))
            .map_err(|e| err("read the events file", &self.events, e))?;
        let newest = events.iter().map(|e| e.time).max().unwrap_or(0);
        let key = |e: &Event| (e.server.clone(), e.kind, e.ip, e.description.clone());
        let recorded: std::collections::HashSet<_> = tail
            .split(|&b| b == b'\n')
            .filter_map(|l| serde_json::from_slice::<Event>(l).ok())
            .filter(|e| e.time >= newest - window_secs)
            .map(|e| key(&e))
            .collect();
        let new: Vec<Event> = events
            .iter()
            .filter(|e| !recorded.contains(&key(e)))
            .cloned()
            .collect();
        let n = new.len();
        if n > 0 {
            let buf = lines(&new);
            (&f).write_all(&buf)
                .map_err(|e| err("write to the events file", &self.events, e))?;
        }
        Ok(n)
    }
}

/// A journal entry and the byte offset of its line: entries past an observation's mark
/// were written after it.
#[derive(Clone, Debug)]
pub(super) struct Logged {
    pub offset: u64,
    pub entry: Entry,
}

/// The journal's size now: the mark an observation takes before it refreshes.
pub fn journal_mark(cfg: &Config) -> u64 {
    std::fs::metadata(&cfg.settings.journal).map_or(0, |m| m.len())
}

/// The journal as read for an observation: its entries with their offsets, and its size.
#[derive(Clone, Debug, Default)]
pub(super) struct JournalLog {
    pub entries: Vec<Logged>,
    pub size: u64,
}

/// Every readable journal entry with its offset, read under LOCK_SH (the journal's writers
/// append whole lines under LOCK_EX). A missing journal is empty.
pub(super) fn read_journal(path: &Path) -> Result<JournalLog, EventsError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(JournalLog::default()),
        Err(e) => return Err(err("open the history journal", path, e)),
    };
    let mut bytes = Vec::new();
    {
        let _l =
            Flock::new(&f, libc::LOCK_SH).map_err(|e| err("lock the history journal", path, e))?;
        (&f).read_to_end(&mut bytes)
            .map_err(|e| err("read the history journal", path, e))?;
    }
    let mut out = JournalLog {
        entries: Vec::new(),
        size: bytes.len() as u64,
    };
    let mut offset = 0u64;
    for raw in bytes.split(|&b| b == b'\n') {
        if let Ok(entry) = serde_json::from_slice::<Entry>(raw) {
            out.entries.push(Logged { offset, entry });
        }
        offset += raw.len() as u64 + 1;
    }
    Ok(out)
}

/// The held observation lock; released on drop (closing the file).
pub(super) struct ObserveLock(#[allow(dead_code)] File);

fn flock(f: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: the descriptor is open for the lifetime of `f`.
        if unsafe { libc::flock(f.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// An flock held until drop.
struct Flock<'a>(&'a File);

impl<'a> Flock<'a> {
    fn new(f: &'a File, op: libc::c_int) -> io::Result<Flock<'a>> {
        flock(f, op)?;
        Ok(Flock(f))
    }
}

impl Drop for Flock<'_> {
    fn drop(&mut self) {
        let _ = flock(self.0, libc::LOCK_UN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_change_two_ddish_saw_is_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let files = EventFiles::new(&dir.path().join("journal.jsonl"));
        let ev = |t: i64, d: &str| Event {
            time: t,
            server: "kea".into(),
            kind: super::super::EventKind::LeaseChanged,
            description: d.into(),
            user: String::new(),
            result: None,
            scope: None,
            ip: Some("10.0.0.5".parse().unwrap()),
        };
        assert_eq!(
            files
                .append_unrecorded(&[ev(1_000, "10.0.0.5 leased to a")], 60)
                .unwrap(),
            1
        );
        // The second console saw the same change at its own refresh; a new one is new.
        let again = [
            ev(1_030, "10.0.0.5 leased to a"),
            ev(1_030, "10.0.0.5 no longer leased"),
        ];
        assert_eq!(files.append_unrecorded(&again, 60).unwrap(), 1);
        // Long after, the same words are another change.
        assert_eq!(
            files
                .append_unrecorded(&[ev(5_000, "10.0.0.5 leased to a")], 60)
                .unwrap(),
            1
        );
        assert_eq!(files.read_events().unwrap().len(), 3);
    }

    #[test]
    fn files_sit_next_to_the_journal() {
        let f = EventFiles::new(Path::new("/srv/ddish/hist.jsonl"));
        assert_eq!(f.events, Path::new("/srv/ddish/hist.events.jsonl"));
        assert_eq!(f.snapshot, Path::new("/srv/ddish/hist.snapshot.json"));
        assert_eq!(f.lock, Path::new("/srv/ddish/hist.observe.lock"));
    }
}
