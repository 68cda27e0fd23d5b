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
    /// What answered, for the comment ("Kea 2.6.3 through its Control Agent").
    pub found: String,
}

/// A TOML string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One `[[server]]` table.
pub fn server_block(s: &NewServer) -> String {
    let mut out = format!(
        "\n# {}\n[[server]]\nname = {}\nurl = {}\n",
        s.found,
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

/// Writes the file readable by its owner only (it names password files and users).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
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
            found: "Kea 2.6.3 through its Control Agent".into(),
        };
        let d = NewServer {
            name: "kea-2".into(),
            url: "http://127.0.0.1:8001/".into(),
            api: ApiStyle::Direct,
            service: "dhcp4".into(),
            user: None,
            password_file: None,
            found: "Kea 3.0.4 directly".into(),
        };
        let text = starter(
            &[s, d],
            Path::new("/usr/share/doc/ddish/config.example.toml"),
        );
        let c = crate::config::parse(&text, Path::new("/tmp/ddish/config.toml")).unwrap();
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.servers[0].user.as_deref(), Some("ddish \"ops\""));
        assert_eq!(c.servers[1].api, ApiStyle::Direct);
        let empty = starter(&[], Path::new("x"));
        assert!(crate::config::parse(&empty, Path::new("/tmp/c.toml"))
            .unwrap()
            .servers
            .is_empty());
    }
}
