//! Where ddish keeps its files: XDG config, data and state directories.
use std::path::{Path, PathBuf};

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "ddish")
}

/// A directory to use when the platform gives no home (containers, odd service accounts).
fn fallback_dir() -> PathBuf {
    std::env::temp_dir().join("ddish")
}

/// The default configuration file: `$XDG_CONFIG_HOME/ddish/config.toml` on Linux.
pub fn default_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Where ddish keeps data (the default journal): `$XDG_DATA_HOME/ddish`.
pub fn data_dir() -> PathBuf {
    project_dirs().map_or_else(fallback_dir, |d| d.data_dir().to_path_buf())
}

/// Where ddish keeps state (logs): `$XDG_STATE_HOME/ddish`, or the data dir where the
/// platform has no state dir.
pub fn state_dir() -> PathBuf {
    match project_dirs() {
        Some(d) => d
            .state_dir()
            .map_or_else(|| d.data_dir().to_path_buf(), Path::to_path_buf),
        None => fallback_dir(),
    }
}

/// `~/x` expanded to the home directory, then a relative path joined to `base`.
pub fn resolve(base: &Path, raw: &str) -> PathBuf {
    let expanded = match raw.strip_prefix("~/") {
        Some(rest) => match directories::BaseDirs::new() {
            Some(b) => b.home_dir().join(rest),
            None => PathBuf::from(raw),
        },
        None => PathBuf::from(raw),
    };
    if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_config_dir() {
        assert_eq!(
            resolve(Path::new("/etc/ddish"), "k.pass"),
            PathBuf::from("/etc/ddish/k.pass")
        );
        assert_eq!(
            resolve(Path::new("/etc/ddish"), "/abs/k"),
            PathBuf::from("/abs/k")
        );
    }

    #[test]
    fn default_path_ends_in_config_toml() {
        if let Some(p) = default_path() {
            assert!(p.ends_with("ddish/config.toml"), "{}", p.display());
        }
        assert!(state_dir().to_string_lossy().contains("ddish"));
        assert!(data_dir().to_string_lossy().contains("ddish"));
    }
}
