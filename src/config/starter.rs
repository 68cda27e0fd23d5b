//! The text of a starter configuration (`ddish config init`) and of one `[[server]]` table
//! (also appended when a server is added from the console): commented, so the file teaches
//! what it holds; every other key is in config.example.toml.
use std::path::Path;

use super::ApiStyle;

/// A server to write, as found at its URL.
#[derive(Clone, Debug, PartialEq)]
pub struct NewServer {
    pub name: String,
    pub url: String,
    pub api: ApiStyle,
    pub service: String,
    pub user: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
    /// A CA bundle for an https:// server's certificate.
    pub ca_file: Option<std::path::PathBuf>,
    /// A login over plain http:// to a host that is not loopback (the password crosses the
    /// network readable: said so in the file).
    pub allow_plain_http: bool,
    /// What answered, for the comment ("Kea 2.6.3 through its Control Agent").
    pub found: String,
}

/// A TOML string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One `[[server]]` table.
pub fn server_block(s: &NewServer) -> String {
    // The comment is one line whatever the server sent.
    let found: String = s.found.chars().filter(|c| !c.is_control()).collect();
    let mut out = format!(
        "\n# {found}\n[[server]]\nname = {}\nurl = {}\n",
        quoted(&s.name),
        quoted(&s.url)
    );
    match s.api {
        ApiStyle::Agent => out.push_str(&format!(
            "api = \"agent\"\nservice = {}\n",
            quoted(&s.service)
        )),
        ApiStyle::Direct => out.push_str("api = \"direct\"\n"),
    }
    if let Some(u) = &s.user {
        out.push_str(&format!("user = {}\n", quoted(u)));
    }
    if let Some(p) = &s.password_file {
        out.push_str(&format!(
            "password_file = {}\n",
            quoted(&p.to_string_lossy())
        ));
    }
    if let Some(c) = &s.ca_file {
        out.push_str(&format!("ca_file = {}\n", quoted(&c.to_string_lossy())));
    }
    if s.allow_plain_http {
        out.push_str(
            "# The login crosses the network readable over plain http: prefer https.\n\
             allow_plain_http = true\n",
        );
    }
    out.push_str(
        "# Your rights here: viewer, operator (addresses) or admin (scopes, configuration).\n\
         role = \"operator\"\n",
    );
    out
}

/// A whole starter file with these servers (none: a commented example to fill in).
pub fn starter(servers: &[NewServer], example: &Path) -> String {
    let mut out = format!(
        "# ddish configuration, written by `ddish config init`. Every key, with what it\n\
         # does, is in {}.\n\
         # Relative paths are resolved against this file's directory; \"~/\" is your home.\n\
         \n\
         [settings]\n\
         # Seconds between refreshes, and for one request to a server.\n\
         refresh_interval = 30\n\
         request_timeout = 10\n\
         # Seconds a held address stays held (0: until released).\n\
         hold_time = 3600\n\
         # The append-only history of every change.\n\
         journal = \"~/.local/share/ddish/journal.jsonl\"\n",
        example.display()
    );
    if servers.is_empty() {
        out.push_str(
            "\n# One [[server]] table per Kea DHCP server, e.g.:\n\
             # [[server]]\n\
             # name = \"kea-hq\"\n\
             # url = \"https://kea-hq.example.net:8000/\"\n\
             # user = \"ddish\"\n\
             # password_file = \"kea-hq.pass\"\n",
        );
    }
    for s in servers {
        out.push_str(&server_block(s));
    }
    out.push_str(
        "\n# DNS zones ddish may update (RFC 2136 with TSIG), e.g.:\n\
         # [[zone]]\n\
         # name = \"example.net\"\n\
         # primary = \"192.0.2.53:53\"\n\
         # key_name = \"ddish-key\"\n\
         # secret_file = \"ddish-key.secret\"\n",
    );
    out
}

/// Writes the file readable by its owner only (it names users and password files): a
/// private temporary file beside it, synced, then renamed over it, so a crash or a full
/// disk leaves the old file whole; the mode is 0600 whatever the old file's was.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_parses_and_holds_its_servers() {
        let s = NewServer {
            name: "kea-1".into(),
            url: "http://127.0.0.1:8000/".into(),
            api: ApiStyle::Agent,
            service: "dhcp4".into(),
            user: Some("ddish \"ops\"".into()),
            password_file: Some("/etc/ddish/kea.pass".into()),
            ca_file: None,
            allow_plain_http: true,
            found: "Kea 2.6.3 through its Control Agent".into(),
        };
        let d = NewServer {
            name: "kea-2".into(),
            url: "https://127.0.0.1:8001/".into(),
            api: ApiStyle::Direct,
            service: "dhcp4".into(),
            user: None,
            password_file: None,
            ca_file: Some("/etc/ssl/kea-ca.pem".into()),
            allow_plain_http: false,
            found: "Kea 3.0.4 directly\n[[server]]".into(),
        };
        let text = starter(
            &[s, d],
            Path::new("/usr/share/doc/ddish/config.example.toml"),
        );
        let c = crate::config::parse(&text, Path::new("/tmp/ddish/config.toml")).unwrap();
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.servers[0].user.as_deref(), Some("ddish \"ops\""));
        assert_eq!(c.servers[1].api, ApiStyle::Direct);
        assert!(c.servers[0].allow_plain_http);
        assert_eq!(
            c.servers[1].ca_file.as_deref(),
            Some(Path::new("/etc/ssl/kea-ca.pem"))
        );
        let empty = starter(&[], Path::new("x"));
        assert!(crate::config::parse(&empty, Path::new("/tmp/c.toml"))
            .unwrap()
            .servers
            .is_empty());
    }
}
