//! The configuration as the rest of ddish sees it, after validation.
//! (The helper writing config loading may restructure internals; these public types and
//! field names are the contract other modules use.)
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How ddish reaches a Kea daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiStyle {
    /// Through kea-ctrl-agent: requests carry `"service": [<service>]`.
    Agent,
    /// Straight to the daemon's own HTTP control socket (Kea 2.7+/3.0): no `service`.
    Direct,
}

/// What a user may do on a server, and what an action needs: the one permission type of
/// ddish (the config's `role`, the console's keys, the operations' checks). Ordered: each
/// role may do what the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Role {
    /// Reading, navigating, ping, history.
    Viewer,
    /// Address actions: hold, claim, reserve, DNS.
    #[default]
    Operator,
    /// Scope and configuration changes.
    Admin,
}

impl Role {
    /// Whether this role may do what `need` needs.
    pub fn allows(self, need: Role) -> bool {
        self >= need
    }

    /// As the config file spells it.
    pub fn word(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

/// Where a password or secret comes from. The value itself is read only when needed and
/// never stored in `Config`, so it can't leak into logs or debug dumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    /// Typed in for one operation (a failover partner known only by its URL); never from
    /// the config file. Debug and Display mask it.
    Given(super::Secret),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    pub name: String,
    /// Base URL of the Control Agent or the daemon's HTTP socket, e.g. `http://127.0.0.1:8000/`.
    pub url: String,
    pub api: ApiStyle,
    /// Kea service name for the Control Agent style (default `dhcp4`).
    pub service: String,
    pub user: Option<String>,
    pub password: Option<SecretSource>,
    /// PEM CA bundle to trust for `https://` URLs.
    pub ca_file: Option<PathBuf>,
    /// Basic auth over `http://` to a host other than loopback is refused unless this is
    /// set: the password would cross the network readable.
    pub allow_plain_http: bool,
    pub tags: Vec<String>,
    /// Free key/value fields (region, site, ...), for grouping (issue 6).
    pub fields: BTreeMap<String, String>,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DnsServerConfig {
    pub name: String,
    pub addr: SocketAddr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ZoneConfig {
    /// Zone name without trailing dot, e.g. `example.test` or `0.10.10.in-addr.arpa`.
    pub name: String,
    /// Address of the zone's primary server (where UPDATEs go).
    pub primary: SocketAddr,
    pub key_name: Option<String>,
    /// `hmac-sha256` (default), `hmac-sha384` or `hmac-sha512`.
    pub algorithm: String,
    /// File with the base64 secret, or a BIND key file (`secret "...";`).
    pub secret_file: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DnsConfig {
    pub servers: Vec<DnsServerConfig>,
    pub zones: Vec<ZoneConfig>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub refresh_interval: Duration,
    pub request_timeout: Duration,
    /// How long one config-set / config-test / config-write may take before ddish stops
    /// waiting for its answer and asks the server what it runs.
    pub write_timeout: Duration,
    /// Lifetime of a held IP.
    pub hold_time: Duration,
    /// Percent: utilization below is Under.
    pub utilization_under: f64,
    /// Percent: utilization at or above is Over.
    pub utilization_over: f64,
    pub journal: PathBuf,
    /// `journal_group`: (name, gid). Journal, events and exports go to this group, 0640.
    pub journal_group: Option<(String, u32)>,
}

/// A saved events query (`[[query]]`): a name and the filter text the events view and
/// `ddish events --query NAME` apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedQuery {
    pub name: String,
    pub filter: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub servers: Vec<ServerConfig>,
    pub dns: DnsConfig,
    pub settings: Settings,
    /// Saved events queries, in file order.
    pub queries: Vec<SavedQuery>,
    /// The file it was read from, if any.
    pub source: Option<PathBuf>,
}

impl Config {
    pub fn server(&self, name: &str) -> Option<&ServerConfig> {
        self.servers.iter().find(|s| s.name == name)
    }

    pub fn thresholds(&self) -> crate::model::Thresholds {
        crate::model::Thresholds {
            under: self.settings.utilization_under,
            over: self.settings.utilization_over,
        }
    }
}
