//! Finding the Kea/BIND programs and Kea's hooks directory.
use super::LabError;
use std::path::{Path, PathBuf};

/// Debian package providing each program the lab needs.
const PROGRAMS: &[(&str, &str)] = &[
    ("kea-dhcp4", "kea-dhcp4-server"),
    ("kea-ctrl-agent", "kea-ctrl-agent"),
    ("named", "bind9"),
    ("tsig-keygen", "bind9-utils"),
];

/// The hook the lab can't do without (the HA and stat hooks ship in the same package).
const LEASE_CMDS: &str = "libdhcp_lease_cmds.so";

/// Full path of `program`: PATH first, then the sbin dirs PATH often lacks for plain users.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Same as [`find_program`], as an error naming the package when missing.
pub(crate) fn program(name: &str) -> Result<PathBuf, LabError> {
    find_program(name).ok_or_else(|| LabError::NotInstalled {
        missing: vec![name.to_string()],
        packages: PROGRAMS
            .iter()
            .filter(|(p, _)| *p == name)
            .map(|(_, pkg)| pkg.to_string())
            .collect(),
    })
}

/// Kea's hooks directory: `$DDISH_KEA_HOOKS` if set, else the first of
/// /usr/lib/<triplet>/kea/hooks, /usr/lib/kea/hooks, /usr/local/lib/kea/hooks that holds
/// libdhcp_lease_cmds.so.
pub fn hooks_dir() -> Result<PathBuf, LabError> {
    let mut candidates = Vec::new();
    if let Some(d) = std::env::var_os("DDISH_KEA_HOOKS") {
        candidates.push(PathBuf::from(d));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        let mut triplets: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("kea/hooks"))
            .collect();
        triplets.sort();
        candidates.extend(triplets);
    }
    candidates.push(PathBuf::from("/usr/lib/kea/hooks"));
    candidates.push(PathBuf::from("/usr/local/lib/kea/hooks"));
    candidates
        .into_iter()
        .find(|d| d.join(LEASE_CMDS).is_file())
        .ok_or_else(|| LabError::NotInstalled {
            missing: vec![format!("Kea hooks ({LEASE_CMDS})")],
            packages: vec!["kea-dhcp4-server".into()],
        })
}

/// Checks that everything `ddish lab` runs is installed; the error lists every missing piece
/// and the packages to install.
pub fn check_installed() -> Result<(), LabError> {
    check_installed_for(false)
}

/// [`check_installed`] for a lab whose Kea comes from a root dir (`--kea-root`): then only
/// BIND (and setpriv) must be on the system.
pub fn check_installed_for(own_kea: bool) -> Result<(), LabError> {
    let find = |p: &str| {
        if own_kea && p.starts_with("kea-") {
            Some(PathBuf::from(p))
        } else {
            find_program(p)
        }
    };
    let hooks = if own_kea {
        Ok(PathBuf::new())
    } else {
        hooks_dir()
    };
    check_with(&find, hooks, crate::lab::proc::is_root())
}

fn check_with(
    find: &dyn Fn(&str) -> Option<PathBuf>,
    hooks: Result<PathBuf, LabError>,
    root: bool,
) -> Result<(), LabError> {
    let mut missing = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    for (prog, pkg) in PROGRAMS {
        if find(prog).is_none() {
            missing.push(prog.to_string());
            if !packages.iter().any(|p| p == pkg) {
                packages.push(pkg.to_string());
            }
        }
    }
    if let Err(LabError::NotInstalled {
        missing: m,
        packages: p,
    }) = hooks
    {
        missing.extend(m);
        for pkg in p {
            if !packages.contains(&pkg) {
                packages.push(pkg);
            }
        }
    }
    if root && find("setpriv").is_none() {
        missing.push("setpriv (to drop root for the daemons)".into());
        packages.push("util-linux".into());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LabError::NotInstalled { missing, packages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_missing_package_once() {
        let nothing = |_: &str| None;
        let hooks = Err(LabError::NotInstalled {
            missing: vec!["Kea hooks (libdhcp_lease_cmds.so)".into()],
            packages: vec!["kea-dhcp4-server".into()],
        });
        let msg = check_with(&nothing, hooks, false).unwrap_err().to_string();
        assert!(
            msg.contains(
                "sudo apt-get install kea-dhcp4-server kea-ctrl-agent bind9 bind9-utils\n"
            ),
            "{msg}"
        );
        assert!(msg.contains("scripts/install-deps.sh"), "{msg}");
        assert!(
            msg.contains("kea-dhcp4, kea-ctrl-agent, named, tsig-keygen"),
            "{msg}"
        );
    }

    #[test]
    fn only_bind_missing_names_only_bind() {
        let no_bind =
            |p: &str| (!matches!(p, "named" | "tsig-keygen")).then(|| PathBuf::from("/x"));
        let msg = check_with(&no_bind, Ok("/h".into()), true)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("install bind9 bind9-utils\n"), "{msg}");
        assert!(!msg.contains("kea-ctrl-agent"), "{msg}");
    }
}
