//! Writing a ddish.toml that points at lab (or test) servers.
use super::{proc, LabError};
use std::fmt::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One `[[server]]` entry (a Kea Control Agent).
#[derive(Clone, Debug, PartialEq)]
pub struct TomlServer {
    pub name: String,
    pub url: String,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub tags: Vec<String>,
    /// `agent` or `direct`.
    pub api: String,
}

/// One named and the zones it is primary for, all with the same TSIG key.
#[derive(Clone, Debug, PartialEq)]
pub struct TomlDns {
    pub server_name: String,
    pub addr: SocketAddr,
    pub zones: Vec<String>,
    pub key_name: String,
    pub algorithm: String,
    /// BIND key file or bare base64 secret file.
    pub secret_file: PathBuf,
}

/// Everything [`write_ddish_toml`] writes.
#[derive(Clone, Debug, PartialEq)]
pub struct DdishToml {
    pub servers: Vec<TomlServer>,
    pub dns: Option<TomlDns>,
    pub journal: PathBuf,
    pub refresh_interval: u64,
    pub request_timeout: u64,
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn qp(p: &Path) -> String {
    q(&p.to_string_lossy())
}

impl DdishToml {
    pub fn render(&self) -> String {
        let mut s = String::from(
            "# Written by `ddish lab up`: the lab's Kea pair and BIND on loopback.\n\n",
        );
        let _ = writeln!(s, "[settings]");
        let _ = writeln!(s, "refresh_interval = {}", self.refresh_interval);
        let _ = writeln!(s, "request_timeout = {}", self.request_timeout);
        let _ = writeln!(s, "journal = {}", qp(&self.journal));
        for sv in &self.servers {
            let _ = writeln!(s, "\n[[server]]");
            let _ = writeln!(s, "name = {}", q(&sv.name));
            let _ = writeln!(s, "url = {}", q(&sv.url));
            let _ = writeln!(s, "api = {}", q(&sv.api));
            if let Some(u) = &sv.user {
                let _ = writeln!(s, "user = {}", q(u));
            }
            if let Some(p) = &sv.password_file {
                let _ = writeln!(s, "password_file = {}", qp(p));
            }
            let tags: Vec<String> = sv.tags.iter().map(|t| q(t)).collect();
            let _ = writeln!(s, "tags = [{}]", tags.join(", "));
            // The lab is yours to break: every action, scope changes included.
            let _ = writeln!(s, "role = \"admin\"");
        }
        if let Some(d) = &self.dns {
            let _ = writeln!(s, "\n[dns]\n\n[[dns.server]]");
            let _ = writeln!(s, "name = {}", q(&d.server_name));
            let _ = writeln!(s, "addr = {}", q(&d.addr.to_string()));
            for z in &d.zones {
                let _ = writeln!(s, "\n[[dns.zone]]");
                let _ = writeln!(s, "name = {}", q(z));
                let _ = writeln!(s, "primary = {}", q(&d.addr.to_string()));
                let _ = writeln!(s, "key_name = {}", q(&d.key_name));
                let _ = writeln!(s, "algorithm = {}", q(&d.algorithm));
                let _ = writeln!(s, "secret_file = {}", qp(&d.secret_file));
            }
        }
        s
    }
}

/// Writes `spec` to `path` (mode 0644: it holds file names, never secrets).
pub fn write_ddish_toml(path: &Path, spec: &DdishToml) -> Result<(), LabError> {
    proc::write_own_file(path, &spec.render(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_valid_toml_with_escapes() {
        let spec = DdishToml {
            servers: vec![TomlServer {
                name: "kea \"1\"".into(),
                url: "http://127.0.0.1:18001/".into(),
                user: Some("ddish".into()),
                password_file: Some("/tmp/x/kea-password".into()),
                tags: vec!["lab".into()],
                api: "agent".into(),
            }],
            dns: Some(TomlDns {
                server_name: "lab-ns".into(),
                addr: "127.0.0.1:18005".parse().unwrap(),
                zones: vec!["example.test".into(), "0.10.10.in-addr.arpa".into()],
                key_name: "lab-key".into(),
                algorithm: "hmac-sha256".into(),
                secret_file: "/tmp/x/dns/tsig.key".into(),
            }),
            journal: "/tmp/x/journal.jsonl".into(),
            refresh_interval: 10,
            request_timeout: 10,
        };
        let v: toml::Table = spec.render().parse().expect("valid TOML");
        assert_eq!(v["server"][0]["name"].as_str(), Some("kea \"1\""));
        assert_eq!(
            v["dns"]["zone"][1]["name"].as_str(),
            Some("0.10.10.in-addr.arpa")
        );
        assert_eq!(v["settings"]["refresh_interval"].as_integer(), Some(10));
    }
}
