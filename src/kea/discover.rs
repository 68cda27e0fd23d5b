//! What answers at a URL (for `ddish config init` and adding a server in the console):
//! a Control Agent and the kea-dhcp4 daemon behind it, or the daemon's own HTTP socket
//! (Kea 3.0), and its version. One list-commands without a service tells them apart: a
//! daemon lists its lease commands, an agent only its own. A dhcp6 daemon is refused
//! (ddish manages DHCPv4).
use std::time::Duration;

use crate::config::{ApiStyle, Role, SecretSource, ServerConfig};

use super::client::KeaClient;
use super::error::KeaError;

/// How ddish will reach the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub api: ApiStyle,
    /// dhcp4 or dhcp6.
    pub service: String,
    pub version: String,
}

impl Found {
    /// "through its Control Agent (dhcp4)", "directly (dhcp4's own HTTP socket)".
    pub fn how(&self) -> String {
        match self.api {
            ApiStyle::Agent => format!("through its Control Agent ({})", self.service),
            ApiStyle::Direct => format!("directly ({}'s own HTTP socket)", self.service),
        }
    }
}

/// The server config to try `url` with.
pub fn trial(
    name: &str,
    url: &str,
    user: Option<&str>,
    password: Option<SecretSource>,
    ca_file: Option<std::path::PathBuf>,
    allow_plain_http: bool,
) -> ServerConfig {
    ServerConfig {
        name: name.to_string(),
        url: url.to_string(),
        api: ApiStyle::Agent,
        service: "dhcp4".to_string(),
        user: user.map(str::to_string),
        password,
        ca_file,
        allow_plain_http,
        tags: Vec::new(),
        fields: Default::default(),
        role: Role::Viewer,
    }
}

/// The DHCP service a daemon's own command list shows, if it is a DHCP daemon.
fn daemon_service(commands: &[String]) -> Option<&'static str> {
    let has = |p: &str| commands.iter().any(|c| c.starts_with(p));
    if has("lease4-") || has("subnet4-") {
        Some("dhcp4")
    } else if has("lease6-") || has("subnet6-") {
        Some("dhcp6")
    } else {
        None
    }
}

/// Asks `base` (a server config whose api/service are tried in turn) what answers.
pub async fn discover(base: &ServerConfig, timeout: Duration) -> Result<Found, KeaError> {
    let with = |api: ApiStyle, service: &str| {
        let mut s = base.clone();
        s.api = api;
        s.service = service.to_string();
        KeaClient::new(&s, timeout)
    };
    // Without a service: a daemon answers for itself, an agent for itself.
    let direct = with(ApiStyle::Direct, "dhcp4")?;
    let own = direct.list_commands().await?;
    let is_daemon = own
        .iter()
        .any(|c| c == "dhcp-disable" || c == "leases-reclaim");
    let service = match daemon_service(&own) {
        Some(s) => Some(s),
        // A daemon without the lease and subnet hooks: its config says which one.
        None if is_daemon => {
            let r = direct.call("config-get", None).await?;
            let args = r.arguments.unwrap_or_default();
            if args.get("Dhcp6").is_some() {
                Some("dhcp6")
            } else {
                Some("dhcp4")
            }
        }
        None => None,
    };
    if service == Some("dhcp6") {
        return Err(KeaError::Config(format!(
            "{}: a kea-dhcp6 daemon answers at {}: ddish manages kea-dhcp4 servers only \
             (DHCPv6 is not supported yet); give the dhcp4 daemon's URL",
            base.name, base.url
        )));
    }
    if let Some(service) = service {
        let version = clean(&direct.version_get().await?);
        return Ok(Found {
            api: ApiStyle::Direct,
            service: service.to_string(),
            version,
        });
    }
    // An agent: its dhcp4 daemon (its own error when it is down or not configured).
    let c = with(ApiStyle::Agent, "dhcp4")?;
    c.list_commands().await?;
    Ok(Found {
        api: ApiStyle::Agent,
        service: "dhcp4".to_string(),
        version: clean(&c.version_get().await?),
    })
}

/// A version text as a server sent it, safe to print and to put in a comment: control
/// characters out, at most 64 characters.
fn clean(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daemon_is_told_by_its_lease_commands() {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            daemon_service(&v(&["config-get", "lease4-add"])),
            Some("dhcp4")
        );
        assert_eq!(daemon_service(&v(&["subnet6-list"])), Some("dhcp6"));
        assert_eq!(
            daemon_service(&v(&["config-get", "list-commands", "status-get"])),
            None
        );
    }
}
