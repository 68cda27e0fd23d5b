//! The mode of the files ddish keeps beside its journal (journal, events, snapshot, write
//! locks): private (0600) unless the directory is set up for sharing the Unix way, group
//! writable with the setgid bit (`chgrp admins DIR; chmod 2770 DIR`): then 0660, and the
//! group comes from the directory. With `journal_group` in the config, new files (exports
//! too) are given to that group and readable by it (0640): auditors read, only ddish users
//! who own a file write it. History can name clients and addresses; nobody else on a jump
//! host should read it by default.
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::OnceLock;

/// The gid of `journal_group`, set once from the config.
static GROUP: OnceLock<u32> = OnceLock::new();

/// From the config's `journal_group`: files ddish creates from now on go to this group.
pub fn share_with_group(gid: u32) {
    let _ = GROUP.set(gid);
}

/// 0660 in a shared (setgid, group-writable) directory, 0640 with `journal_group`, else 0600.
pub fn file_mode_in(dir: &Path) -> u32 {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.permissions().mode() & 0o2020 == 0o2020 => 0o660,
        _ if GROUP.get().is_some() => 0o640,
        _ => 0o600,
    }
}

/// Opens `path` with `opts` at [`file_mode_for`] it; a file this creates goes to
/// `journal_group` when one is set (a failure to do so is logged: the file stays private).
pub fn open_with_mode(opts: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    let existed = path.exists();
    let f = opts.mode(file_mode_for(path)).open(path)?;
    if let (false, Some(gid)) = (existed, GROUP.get()) {
        // SAFETY: fchown on a descriptor this function owns; -1 keeps the owner.
        if unsafe { libc::fchown(f.as_raw_fd(), u32::MAX, *gid) } != 0 {
            tracing::warn!(
                "cannot give {} to journal_group (gid {gid}): {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(f)
}

/// [`file_mode_in`] the directory of `file`.
pub fn file_mode_for(file: &Path) -> u32 {
    file_mode_in(file.parent().unwrap_or(Path::new(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_unless_the_directory_is_shared() {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o775)).unwrap();
        assert_eq!(file_mode_in(d.path()), 0o600);
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o2770)).unwrap();
        assert_eq!(file_mode_for(&d.path().join("journal.jsonl")), 0o660);
        assert_eq!(file_mode_in(&d.path().join("missing")), 0o600);
    }
}
