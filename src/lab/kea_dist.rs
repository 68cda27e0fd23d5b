//! Which Kea the lab runs, and how it is reached: the system's own (Debian 12: 2.2, Debian 13:
//! 2.6), or one installed under a root directory by `scripts/kea-versions.sh` (Debian trixie
//! -> 2.6, sid -> 3.0), through a Control Agent or the daemon's own HTTP socket (Kea >= 2.7).
//!
//! A root's daemons run on the host, unprivileged, with the root's own dynamic loader and
//! libraries (`ld.so --library-path`), so they see the lab's temp dirs and need no chroot.
//! `KEA_HOOKS_PATH` points Kea at the root's hooks: Kea >= 2.6.2 loads hook libraries only
//! from its hooks directory.
use super::{tools, LabError};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable naming a Kea root for the lab and the tests (`ddish lab --kea-root`).
pub const ENV_ROOT: &str = "DDISH_KEA_ROOT";
/// Environment variable choosing `agent` (default) or `direct` (`ddish lab --kea-api`).
pub const ENV_API: &str = "DDISH_KEA_API";

/// How ddish talks to a lab server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LabApi {
    /// kea-ctrl-agent in front of kea-dhcp4's unix socket (every version).
    #[default]
    Agent,
    /// kea-dhcp4's own HTTP control socket, no agent (Kea 3.0: the agent is deprecated).
    Direct,
}

impl LabApi {
    pub fn parse(s: &str) -> Result<LabApi, LabError> {
        match s {
            "agent" => Ok(LabApi::Agent),
            "direct" => Ok(LabApi::Direct),
            other => Err(LabError::Invalid(format!(
                "Kea API '{other}' is not known: use agent (kea-ctrl-agent) or direct (the \
                 daemon's own HTTP socket, Kea 3.0)"
            ))),
        }
    }

    /// The word ddish.toml uses (`api = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            LabApi::Agent => "agent",
            LabApi::Direct => "direct",
        }
    }
}

/// A Kea installation and the API style the lab uses on it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeaDist {
    /// `None`: the system's Kea (PATH, /usr/sbin).
    pub root: Option<PathBuf>,
    pub api: LabApi,
    /// A hooks directory instead of the package's (a test's dir of chosen libraries; Kea
    /// 2.6.2+/3.0 load hooks only from the one KEA_HOOKS_PATH names).
    pub hooks: Option<PathBuf>,
}

impl KeaDist {
    /// From [`ENV_ROOT`] and [`ENV_API`]; the system's Kea through an agent when unset.
    pub fn from_env() -> Result<KeaDist, LabError> {
        let root = std::env::var_os(ENV_ROOT)
            .filter(|r| !r.is_empty())
            .map(PathBuf::from);
        let api = match std::env::var(ENV_API) {
            Ok(s) if !s.is_empty() => LabApi::parse(&s)?,
            _ => LabApi::Agent,
        };
        KeaDist::new(root, api)
    }

    /// Checks that `root` holds a Kea (kea-dhcp4 and a loader).
    pub fn new(root: Option<PathBuf>, api: LabApi) -> Result<KeaDist, LabError> {
        let root = match root {
            None => None,
            Some(r) => {
                let r = std::path::absolute(&r).map_err(|e| LabError::io("bad Kea root", &r, e))?;
                if !r.join("usr/sbin/kea-dhcp4").is_file() {
                    return Err(LabError::Invalid(format!(
                        "{} holds no Kea (no usr/sbin/kea-dhcp4): build it with \
                         scripts/kea-versions.sh (trixie for Kea 2.6, sid for Kea 3.0)",
                        r.display()
                    )));
                }
                loader(&r)?;
                Some(r)
            }
        };
        Ok(KeaDist {
            root,
            api,
            hooks: None,
        })
    }

    /// The program to exec and the arguments that come before the daemon's own.
    pub fn command(&self, program: &str) -> Result<(PathBuf, Vec<OsString>), LabError> {
        let Some(root) = &self.root else {
            return Ok((tools::program(program)?, Vec::new()));
        };
        let bin = root.join("usr/sbin").join(program);
        if !bin.is_file() {
            return Err(LabError::Invalid(format!(
                "{} has no {program}: rebuild it with scripts/kea-versions.sh",
                root.display()
            )));
        }
        let libs = lib_dirs(root)
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(":");
        Ok((
            loader(root)?,
            vec!["--library-path".into(), libs.into(), bin.into_os_string()],
        ))
    }

    /// The hooks directory (holding libdhcp_lease_cmds.so).
    pub fn hooks_dir(&self) -> Result<PathBuf, LabError> {
        if let Some(h) = &self.hooks {
            return Ok(h.clone());
        }
        match &self.root {
            None => tools::hooks_dir(),
            Some(root) => lib_dirs(root)
                .into_iter()
                .map(|d| d.join("kea/hooks"))
                .find(|d| d.join("libdhcp_lease_cmds.so").is_file())
                .ok_or_else(|| {
                    LabError::Invalid(format!(
                        "{} has no Kea hooks (libdhcp_lease_cmds.so): rebuild it with \
                         scripts/kea-versions.sh",
                        root.display()
                    ))
                }),
        }
    }

    /// Environment for a daemon whose files live in `dir`. Kea >= 2.6.2 keeps logs, lease
    /// files and unix sockets in /var/log/kea, /var/lib/kea and /run/kea unless these name
    /// another directory (KEA_FACTS.md §14; `kea-dhcp4 -t` does not check it); 2.2 ignores
    /// them. The pid and lock file variables keep Kea out of the root-only /run/kea.
    pub fn env(&self, dir: &Path) -> Result<Vec<(String, OsString)>, LabError> {
        let mut env: Vec<(String, OsString)> = [
            "KEA_PIDFILE_DIR",
            "KEA_LOCKFILE_DIR",
            "KEA_LOG_FILE_DIR",
            "KEA_DHCP_DATA_DIR",
            "KEA_CONTROL_SOCKET_DIR",
        ]
        .iter()
        .map(|k| (k.to_string(), dir.as_os_str().to_owned()))
        .collect();
        if self.root.is_some() || self.hooks.is_some() {
            env.push(("KEA_HOOKS_PATH".into(), self.hooks_dir()?.into_os_string()));
        }
        Ok(env)
    }

    /// `kea-dhcp4 -v`, e.g. "3.0.4".
    pub fn version(&self) -> Result<String, LabError> {
        let (prog, pre) = self.command("kea-dhcp4")?;
        let out = std::process::Command::new(&prog)
            .args(&pre)
            .arg("-v")
            .output()
            .map_err(|e| LabError::Spawn {
                program: prog.display().to_string(),
                source: e,
            })?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if v.is_empty() {
            return Err(LabError::Invalid(format!(
                "kea-dhcp4 -v printed no version ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(v)
    }

    /// (major, minor) of [`version`](Self::version).
    pub fn version_number(&self) -> Result<(u32, u32), LabError> {
        let v = self.version()?;
        parse_version(&v)
            .ok_or_else(|| LabError::Invalid(format!("kea-dhcp4 -v printed '{v}', not a version")))
    }

    /// A one-line description for messages: "Kea 3.0.4 in /var/cache/ddish-kea/sid, direct".
    pub fn describe(&self) -> String {
        let v = self.version().unwrap_or_else(|_| "?".into());
        match &self.root {
            None => format!("Kea {v} (system), {}", self.api.as_str()),
            Some(r) => format!("Kea {v} in {}, {}", r.display(), self.api.as_str()),
        }
    }
}

/// "2.6.3" -> (2, 6).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split(['.', '-', ' ']);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn lib_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for base in ["usr/lib", "lib"] {
        if let Ok(entries) = std::fs::read_dir(root.join(base)) {
            let mut t: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with("-linux-gnu"))
                })
                .collect();
            t.sort();
            dirs.extend(t);
        }
        dirs.push(root.join(base));
    }
    dirs
}

/// The root's own dynamic loader: its libc may be newer than the host's.
fn loader(root: &Path) -> Result<PathBuf, LabError> {
    ["lib64/ld-linux-x86-64.so.2", "lib/ld-linux-aarch64.so.1"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.exists())
        .ok_or_else(|| {
            LabError::Invalid(format!(
                "{} has no dynamic loader (lib64/ld-linux-x86-64.so.2): is it a Debian root \
                 made by scripts/kea-versions.sh?",
                root.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_api_words() {
        assert_eq!(parse_version("2.2.0"), Some((2, 2)));
        assert_eq!(parse_version("3.0.4\n"), Some((3, 0)));
        assert_eq!(parse_version("x"), None);
        assert_eq!(LabApi::parse("direct").unwrap(), LabApi::Direct);
        let e = LabApi::parse("ca").unwrap_err().to_string();
        assert!(e.contains("agent") && e.contains("direct"), "{e}");
    }

    #[test]
    fn a_root_without_kea_says_how_to_make_one() {
        let d = tempfile::tempdir().unwrap();
        let e = KeaDist::new(Some(d.path().into()), LabApi::Agent)
            .unwrap_err()
            .to_string();
        assert!(e.contains("scripts/kea-versions.sh"), "{e}");
    }
}
