//! The mode of the files ddish keeps beside its journal (journal, events, snapshot, write
//! locks): private (0600) unless the directory is set up for sharing the Unix way, group
//! writable with the setgid bit (`chgrp admins DIR; chmod 2770 DIR`): then 0660, and the
//! group comes from the directory. History can name clients and addresses; nobody else on a
//! jump host should read it by default.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// 0660 in a shared (setgid, group-writable) directory, else 0600.
pub fn file_mode_in(dir: &Path) -> u32 {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.permissions().mode() & 0o2020 == 0o2020 => 0o660,
        _ => 0o600,
    }
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
