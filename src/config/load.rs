//! Reading and validating the configuration file: TOML errors and bad values become
//! `ConfigError`s that point at the offending line with a hint.
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::raw::RawConfig;
use super::Config;

const SETTINGS_KEYS: &[&str] = &[
    "refresh_interval",
    "request_timeout",
    "write_timeout",
    "hold_time",
    "utilization_under",
    "utilization_over",
    "journal",
    "journal_group",
];
const SERVER_KEYS: &[&str] = &[
    "name",
    "url",
    "api",
    "service",
    "user",
    "password_file",
    "password_env",
    "ca_file",
    "allow_plain_http",
    "tags",
    "role",
    "fields",
];
const DNS_SERVER_KEYS: &[&str] = &["name", "addr"];
const ZONE_KEYS: &[&str] = &["name", "primary", "key_name", "algorithm", "secret_file"];
const QUERY_KEYS: &[&str] = &["name", "filter"];
const ALGORITHMS: &[&str] = &["hmac-sha256", "hmac-sha384", "hmac-sha512"];
const SERVICES: &[&str] = &["dhcp4", "dhcp6", "d2"];
const SECTIONS: &[(&str, &[&str])] = &[
    ("[settings]", SETTINGS_KEYS),
    ("[[server]]", SERVER_KEYS),
    ("[[dns.server]]", DNS_SERVER_KEYS),
    ("[[dns.zone]]", ZONE_KEYS),
    ("[[query]]", QUERY_KEYS),
];

/// Read and validate the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ConfigError::file(
            path,
            "no configuration file here",
            format!(
                "write one with `ddish config init --server URL` (it asks the server what \
                 answers there), or copy /usr/share/doc/ddish/config.example.toml (in the \
                 sources: config.example.toml) to {} and edit it, or pass --config FILE",
                path.display()
            ),
        ),
        ErrorKind::PermissionDenied => ConfigError::file(
            path,
            "cannot read the configuration file: permission denied",
            "make it readable by the user running ddish (chmod 600 and chown to that user)",
        ),
        ErrorKind::InvalidData => ConfigError::file(
            path,
            "the configuration file is not UTF-8 text",
            "save it as UTF-8",
        ),
        _ => ConfigError::file(
            path,
            format!("cannot read the configuration file: {e}"),
            "check the path given to --config",
        ),
    })?;
    // Absolute, so relative paths inside stay right whatever the working directory later is.
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    parse(&text, &path)
}

/// Parse and validate configuration `text`; `path` names it in errors, and relative paths
/// inside resolve against its directory.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let v = Validator { text, path, base };
    let settings = v.settings(raw.settings)?;
    let servers = v.servers(raw.server)?;
    let dns = v.dns(raw.dns)?;
    let queries = v.queries(raw.query)?;
    Ok(Config {
        servers,
        dns,
        settings,
        queries,
        source: Some(path.to_path_buf()),
    })
}

mod toml_error;
mod validate;

use toml_error::toml_error;
use validate::Validator;

/// `ip:port`, `[v6]:port`, or a bare IP (port 53).
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

#[cfg(test)]
mod tests;

/// The gid of group `name` (getgrnam), if it exists.
fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam with a valid C string; the result is read at once, before any other
    // call could reuse its static buffer.
    let g = unsafe { libc::getgrnam(c.as_ptr()) };
    if g.is_null() {
        None
    } else {
        // SAFETY: non-null, points to a struct group.
        Some(unsafe { (*g).gr_gid })
    }
}
