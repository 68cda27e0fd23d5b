//! Journal failures, worded for the admin who has to fix them.
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot create the directory {} for the history journal: {source}; {}", dir.display(), fix(source))]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("cannot open the history journal {}: {source}; {}", path.display(), fix(source))]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot lock the history journal {}: {source}; {}", path.display(), fix(source))]
    Lock { path: PathBuf, source: io::Error },
    #[error("cannot write to the history journal {}: {source}; {}", path.display(), fix(source))]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read the history journal {}: {source}; {}", path.display(), fix(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("the history journal {} is {} MB, more than ddish reads ({} MB): move it aside (ddish starts a new one) and keep the old one as an archive", path.display(), size >> 20, limit >> 20)]
    TooBig {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
}

/// What to do about an I/O failure on the journal.
fn fix(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            "check its permissions (admins sharing one journal need a common group and \
             a setgid directory: chgrp GROUP DIR; chmod 2770 DIR), or set `journal` under [settings] in the config to a file you may write"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "the disk (or your quota) is full: free some space"
        }
        io::ErrorKind::ReadOnlyFilesystem => {
            "the file system is read-only: set `journal` under [settings] to a writable path"
        }
        io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory | io::ErrorKind::AlreadyExists => {
            "something else is in the way on that path: set `journal` under [settings] to a file path"
        }
        _ => "check the path, its permissions and the disk, or set `journal` under [settings] to another path",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_the_fix() {
        let e = AuditError::Write {
            path: "/srv/ddish/journal.jsonl".into(),
            source: io::Error::from_raw_os_error(libc::EACCES),
        };
        let m = e.to_string();
        assert!(m.starts_with("cannot write to the history journal /srv/ddish/journal.jsonl"));
        assert!(m.contains("permissions") && m.contains("chmod 2770"), "{m}");
        let e = AuditError::Write {
            path: "/srv/j".into(),
            source: io::Error::from_raw_os_error(libc::ENOSPC),
        };
        assert!(
            e.to_string().contains("disk (or your quota) is full"),
            "{e}"
        );
    }
}
