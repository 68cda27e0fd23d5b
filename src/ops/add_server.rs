//! Adding a Kea server to the configuration file from the console (issue 15): what answers
//! at its URL is asked first (agent or direct, dhcp4 or dhcp6, version), then one
//! `[[server]]` table is appended to the file (a starter is written where there is none),
//! and only if the whole file still reads as a valid configuration.
use std::path::PathBuf;
use std::time::Duration;

use crate::config::starter::{self, NewServer};
use crate::config::SecretSource;

use super::{OpError, Session};

/// A server as typed into the console's form.
#[derive(Clone, Debug, PartialEq)]
pub struct AddServer {
    pub name: String,
    pub url: String,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub allow_plain_http: bool,
}

impl Session {
    /// Asks the URL, appends the server, returns what was written where.
    pub async fn add_server(&self, a: &AddServer) -> Result<String, OpError> {
        let refuse = |m: String| OpError::Refused(m);
        if self.read_only {
            return Err(refuse(
                "ddish runs with --read-only: the configuration file is not changed".into(),
            ));
        }
        let path = self.config().source.clone().ok_or_else(|| {
            refuse(
                "this configuration was not read from a file: nothing to add the server to".into(),
            )
        })?;
        if self.config().server(&a.name).is_some() {
            return Err(refuse(format!(
                "a server named {} is already configured: pick another name",
                a.name
            )));
        }
        if a.user.is_some() != a.password_file.is_some() {
            return Err(refuse(
                "a user needs a password file, and a password file a user".into(),
            ));
        }
        let base = crate::kea::discover::trial(
            &a.name,
            &a.url,
            a.user.as_deref(),
            a.password_file.clone().map(SecretSource::File),
            a.ca_file.clone(),
            a.allow_plain_http,
        );
        let timeout = self
            .config()
            .settings
            .request_timeout
            .min(Duration::from_secs(10));
        let f = crate::kea::discover::discover(&base, timeout).await?;
        let how = f.how();
        let server = NewServer {
            name: a.name.clone(),
            url: a.url.clone(),
            api: f.api,
            service: f.service,
            user: a.user.clone(),
            password_file: a.password_file.clone(),
            ca_file: a.ca_file.clone(),
            allow_plain_http: a.allow_plain_http,
            found: format!("Kea {} {how}, added from the console", f.version),
        };
        let example = std::path::Path::new("/usr/share/doc/ddish/config.example.toml");
        let mut text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => starter::starter(&[], example),
            Err(e) => return Err(refuse(format!("cannot read {}: {e}", path.display()))),
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&starter::server_block(&server));
        crate::config::parse(&text, &path)
            .map_err(|e| refuse(format!("not written: the file would not read: {e}")))?;
        starter::write_private(&path, &text)
            .map_err(|e| refuse(format!("cannot write {}: {e}", path.display())))?;
        Ok(format!(
            "{}: Kea {} answers {how}; added to {}",
            a.name,
            f.version,
            path.display()
        ))
    }
}
