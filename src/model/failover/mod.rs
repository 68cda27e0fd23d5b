//! Failover (Kea HA) set-up as data: mode, roles, timings, credentials, and their
//! validation field by field (as the admin types) and as a whole. No I/O.
use std::fmt;

use ipnet::Ipv4Net;

use super::Range;

/// Kea's HA modes ddish sets up (passive-backup is not a failover).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HaMode {
    LoadBalancing,
    HotStandby,
}

impl HaMode {
    /// The `mode` value in Kea's HA config.
    pub fn kea_name(self) -> &'static str {
        match self {
            HaMode::LoadBalancing => "load-balancing",
            HaMode::HotStandby => "hot-standby",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            HaMode::LoadBalancing => "load balance",
            HaMode::HotStandby => "hot standby",
        }
    }

    /// `load-balancing`, `load-balance`, `lb`, `hot-standby`, `hs`, `standby` (any case).
    pub fn parse(s: &str) -> Option<HaMode> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "load-balancing" | "load-balance" | "loadbalancing" | "lb" => {
                Some(HaMode::LoadBalancing)
            }
            "hot-standby" | "hotstandby" | "hs" | "standby" => Some(HaMode::HotStandby),
            _ => None,
        }
    }

    /// The role of the server that is not primary.
    pub fn second_role(self) -> PeerRole {
        match self {
            HaMode::LoadBalancing => PeerRole::Secondary,
            HaMode::HotStandby => PeerRole::Standby,
        }
    }

    /// The HA state both peers settle in when all is well.
    pub fn normal_state(self) -> &'static str {
        self.kea_name()
    }
}

impl fmt::Display for HaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kea_name())
    }
}

/// A peer's role in Kea's HA config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerRole {
    Primary,
    Secondary,
    Standby,
}

impl PeerRole {
    pub fn kea_name(self) -> &'static str {
        match self {
            PeerRole::Primary => "primary",
            PeerRole::Secondary => "secondary",
            PeerRole::Standby => "standby",
        }
    }

    pub fn parse(s: &str) -> Option<PeerRole> {
        match s {
            "primary" => Some(PeerRole::Primary),
            "secondary" => Some(PeerRole::Secondary),
            "standby" => Some(PeerRole::Standby),
            _ => None,
        }
    }
}

impl fmt::Display for PeerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kea_name())
    }
}

/// The partner in the wizard's step 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartnerRef {
    /// A server of ddish's config, by name.
    Configured(String),
    /// A Control Agent URL not in ddish's config (ddish reaches it with the peer credentials).
    Url(String),
}

impl PartnerRef {
    /// A configured server's name, else an `http(s)://` URL.
    pub fn parse(s: &str) -> PartnerRef {
        let s = s.trim();
        if s.starts_with("http://") || s.starts_with("https://") {
            PartnerRef::Url(s.to_string())
        } else {
            PartnerRef::Configured(s.to_string())
        }
    }
}

impl fmt::Display for PartnerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartnerRef::Configured(n) => f.write_str(n),
            PartnerRef::Url(u) => f.write_str(u),
        }
    }
}

/// Kea's defaults for the timings (Kea ARM, HA hook).
pub const DEFAULT_HEARTBEAT_DELAY_MS: u32 = 10_000;
pub const DEFAULT_MAX_RESPONSE_DELAY_MS: u32 = 60_000;
pub const DEFAULT_MAX_ACK_DELAY_MS: u32 = 10_000;
pub const DEFAULT_MAX_UNACKED_CLIENTS: u32 = 10;

/// Accepted ranges (inclusive): wide enough for any real set-up, narrow enough to catch
/// seconds typed as milliseconds and the like.
pub const HEARTBEAT_DELAY_RANGE: (u32, u32) = (1_000, 600_000);
pub const MAX_RESPONSE_DELAY_RANGE: (u32, u32) = (2_000, 3_600_000);
pub const MAX_ACK_DELAY_RANGE: (u32, u32) = (1_000, 600_000);
pub const MAX_UNACKED_CLIENTS_RANGE: (u32, u32) = (0, 1_000);

/// Everything the Add Failover wizard asks. `server` is the ddish server the wizard was
/// opened on ("this server"). Debug masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct FailoverSpec {
    pub name: String,
    pub mode: HaMode,
    pub server: String,
    pub partner: PartnerRef,
    /// This server is the primary (else the partner is, and this one is secondary/standby).
    pub primary_is_this: bool,
    /// Scopes of this server to put in the failover (copied to the partner).
    pub scopes: Vec<Ipv4Net>,
    pub heartbeat_delay_ms: u32,
    pub max_response_delay_ms: u32,
    pub max_ack_delay_ms: u32,
    pub max_unacked_clients: u32,
    /// Kea's `auto-failover` on both peers: go partner-down and serve everything by itself.
    pub auto_failover: bool,
    /// Basic-auth login each peer uses on the other's Control Agent (both or neither).
    pub peer_user: Option<String>,
    pub peer_password: Option<String>,
}

impl fmt::Debug for FailoverSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverSpec")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("server", &self.server)
            .field("partner", &self.partner)
            .field("primary_is_this", &self.primary_is_this)
            .field("scopes", &self.scopes)
            .field("heartbeat_delay_ms", &self.heartbeat_delay_ms)
            .field("max_response_delay_ms", &self.max_response_delay_ms)
            .field("max_ack_delay_ms", &self.max_ack_delay_ms)
            .field("max_unacked_clients", &self.max_unacked_clients)
            .field("auto_failover", &self.auto_failover)
            .field("peer_user", &self.peer_user)
            .field("peer_password", &self.peer_password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl FailoverSpec {
    /// A spec with Kea's default timings, load balancing, this server primary, automatic
    /// failover on, no scopes and no credentials yet; the name is `<server>-<partner>`.
    pub fn new(server: &str, partner: PartnerRef) -> FailoverSpec {
        let name = default_name(server, &partner);
        FailoverSpec {
            name,
            mode: HaMode::LoadBalancing,
            server: server.to_string(),
            partner,
            primary_is_this: true,
            scopes: Vec::new(),
            heartbeat_delay_ms: DEFAULT_HEARTBEAT_DELAY_MS,
            max_response_delay_ms: DEFAULT_MAX_RESPONSE_DELAY_MS,
            max_ack_delay_ms: DEFAULT_MAX_ACK_DELAY_MS,
            max_unacked_clients: DEFAULT_MAX_UNACKED_CLIENTS,
            auto_failover: true,
            peer_user: None,
            peer_password: None,
        }
    }

    /// Every field, then the rules between fields. Errors come per field, in form order.
    pub fn validate(&self) -> Result<(), Vec<(Field, String)>> {
        let mut errs = Vec::new();
        let mut check = |f: Field, text: &str| {
            if let Err(e) = validate_field(f, text) {
                errs.push((f, e));
            }
        };
        check(Field::Scopes, &join_scopes(&self.scopes));
        check(Field::Partner, &self.partner.to_string());
        check(Field::Name, &self.name);
        check(Field::HeartbeatDelay, &self.heartbeat_delay_ms.to_string());
        check(
            Field::MaxResponseDelay,
            &self.max_response_delay_ms.to_string(),
        );
        check(Field::MaxAckDelay, &self.max_ack_delay_ms.to_string());
        check(
            Field::MaxUnackedClients,
            &self.max_unacked_clients.to_string(),
        );
        if let Some(u) = &self.peer_user {
            check(Field::PeerUser, u);
        }
        if let Some(p) = &self.peer_password {
            check(Field::PeerPassword, p);
        }
        if let PartnerRef::Configured(p) = &self.partner {
            if p == &self.server {
                errs.push((
                    Field::Partner,
                    format!("{p} is this server: pick another server as its partner"),
                ));
            }
        }
        if let Err((f, e)) = check_timings(
            self.heartbeat_delay_ms,
            self.max_response_delay_ms,
            self.max_ack_delay_ms,
        ) {
            errs.push((f, e));
        }
        if let Err((f, e)) =
            check_credentials(self.peer_user.as_deref(), self.peer_password.as_deref())
        {
            errs.push((f, e));
        }
        let mut seen: Vec<Ipv4Net> = Vec::new();
        for s in &self.scopes {
            if seen.contains(s) {
                errs.push((Field::Scopes, format!("{s} is listed twice")));
            }
            seen.push(*s);
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// `<server>-<partner>` (partner URL reduced to host and port), sanitised to a valid name.
pub fn default_name(server: &str, partner: &PartnerRef) -> String {
    let p = match partner {
        PartnerRef::Configured(n) => n.clone(),
        PartnerRef::Url(u) => url_host_port(u).unwrap_or_else(|| u.clone()),
    };
    peer_name(&format!("{server}-{p}"))
}

/// A name Kea accepts as an HA peer name and in its `HA_<name>` client classes: letters,
/// digits, `.`, `_` and `-`; anything else becomes `-`.
pub fn peer_name(s: &str) -> String {
    let out: String = s
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "peer".into()
    } else {
        out
    }
}

/// `host:port` of an `http(s)://host:port/...` URL.
pub fn url_host_port(u: &str) -> Option<String> {
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))?;
    let hp = rest.split('/').next()?;
    (!hp.is_empty()).then(|| hp.to_string())
}

fn join_scopes(s: &[Ipv4Net]) -> String {
    s.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The wizard's fields, in form order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Step 1: comma-separated CIDRs.
    Scopes,
    /// Step 2: a configured server's name or a Control Agent URL.
    Partner,
    Name,
    /// `load-balancing` / `hot-standby` (see [`HaMode::parse`]).
    Mode,
    /// `this` or `partner`: which server is primary.
    Primary,
    HeartbeatDelay,
    MaxResponseDelay,
    MaxAckDelay,
    MaxUnackedClients,
    /// `on` / `off` (also yes/no, true/false).
    AutoFailover,
    PeerUser,
    PeerPassword,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Scopes,
        Field::Partner,
        Field::Name,
        Field::Mode,
        Field::Primary,
        Field::HeartbeatDelay,
        Field::MaxResponseDelay,
        Field::MaxAckDelay,
        Field::MaxUnackedClients,
        Field::AutoFailover,
        Field::PeerUser,
        Field::PeerPassword,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::Scopes => "Scopes",
            Field::Partner => "Partner server",
            Field::Name => "Relationship name",
            Field::Mode => "Mode",
            Field::Primary => "Primary server",
            Field::HeartbeatDelay => "Heartbeat delay (ms)",
            Field::MaxResponseDelay => "Max response delay (ms)",
            Field::MaxAckDelay => "Max ack delay (ms)",
            Field::MaxUnackedClients => "Max unacked clients",
            Field::AutoFailover => "Automatic failover",
            Field::PeerUser => "Peer user",
            Field::PeerPassword => "Peer password",
        }
    }

    /// One line of help for the form.
    pub fn help(self) -> &'static str {
        match self {
            Field::Scopes => "This server's scopes to share with the partner (CIDRs, comma-separated). Kea 2.2's HA covers every scope on both servers.",
            Field::Partner => "A server from your ddish config, or the partner's Control Agent URL (http://host:port/).",
            Field::Name => "A name for this relationship: letters, digits, '.', '_' or '-'.",
            Field::Mode => "load-balancing: both serve, each half of the clients. hot-standby: the primary serves, the standby takes over when it fails.",
            Field::Primary => "Which server is primary: 'this' or 'partner'. In hot standby the primary serves all clients.",
            Field::HeartbeatDelay => "How often each server checks its partner (Kea heartbeat-delay, default 10000 ms).",
            Field::MaxResponseDelay => "Silence after which the partner counts as unreachable (Kea max-response-delay, default 60000 ms; more than the heartbeat delay).",
            Field::MaxAckDelay => "How long a client may wait unanswered before it counts as unacked (Kea max-ack-delay, default 10000 ms).",
            Field::MaxUnackedClients => "Unacked clients that prove the partner is down (Kea max-unacked-clients, default 10; 0: go partner-down as soon as it is unreachable).",
            Field::AutoFailover => "on: a server whose partner is down serves all clients by itself (Kea auto-failover). off: an admin must decide.",
            Field::PeerUser => "Basic-auth user each server uses on its partner's Control Agent (needed when the agents ask for a login).",
            Field::PeerPassword => "That user's password (stored in both servers' HA config; never shown or journaled by ddish).",
        }
    }
}

/// Checks one field's text as typed. The message says what is wrong and how to fix it.
/// Empty text is valid for the optional fields (peer user and password).
pub fn validate_field(field: Field, text: &str) -> Result<(), String> {
    let t = text.trim();
    match field {
        Field::Scopes => parse_scopes(t).map(|_| ()),
        Field::Partner => {
            if t.is_empty() {
                return Err("pick a partner server, or type its Control Agent URL".into());
            }
            match PartnerRef::parse(t) {
                PartnerRef::Url(u) => check_url(&u),
                PartnerRef::Configured(n) => {
                    if n.chars().any(char::is_whitespace) {
                        Err(format!("'{n}' is neither a server name (no spaces) nor a URL (http://host:port/)"))
                    } else {
                        Ok(())
                    }
                }
            }
        }
        Field::Name => {
            if t.is_empty() {
                Err("give the relationship a name, e.g. kea-1-kea-2".into())
            } else if t.len() > 64 {
                Err("the name is longer than 64 characters: shorten it".into())
            } else if let Some(c) = t
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                Err(format!(
                    "'{c}' is not allowed in the name: use letters, digits, '.', '_' or '-'"
                ))
            } else {
                Ok(())
            }
        }
        Field::Mode => HaMode::parse(t)
            .map(|_| ())
            .ok_or_else(|| format!("'{t}' is not a mode: load-balancing or hot-standby")),
        Field::Primary => parse_primary(t).map(|_| ()),
        Field::HeartbeatDelay => parse_number(field, t, HEARTBEAT_DELAY_RANGE).map(|_| ()),
        Field::MaxResponseDelay => parse_number(field, t, MAX_RESPONSE_DELAY_RANGE).map(|_| ()),
        Field::MaxAckDelay => parse_number(field, t, MAX_ACK_DELAY_RANGE).map(|_| ()),
        Field::MaxUnackedClients => parse_number(field, t, MAX_UNACKED_CLIENTS_RANGE).map(|_| ()),
        Field::AutoFailover => parse_on_off(t).map(|_| ()),
        Field::PeerUser => {
            if t.is_empty() {
                Ok(())
            } else if t.contains(':') {
                Err("a basic-auth user cannot contain ':'".into())
            } else if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err("the user cannot contain spaces or control characters".into())
            } else if t.len() > 64 {
                Err("the user is longer than 64 characters".into())
            } else {
                Ok(())
            }
        }
        Field::PeerPassword => {
            // Not trimmed: a password may start or end with a space.
            if text.chars().any(char::is_control) {
                Err("the password cannot contain control characters".into())
            } else if text.len() > 256 {
                Err("the password is longer than 256 characters".into())
            } else {
                Ok(())
            }
        }
    }
}

/// A number field's value, checked against its range.
pub fn parse_number(field: Field, t: &str, (lo, hi): (u32, u32)) -> Result<u32, String> {
    let n: u32 = t.trim().parse().map_err(|_| {
        if t.trim().is_empty() {
            format!(
                "{} is empty: type a whole number from {lo} to {hi}",
                field.label()
            )
        } else {
            format!(
                "'{}' is not a whole number: {} takes {lo} to {hi}",
                t.trim(),
                field.label()
            )
        }
    })?;
    if n < lo || n > hi {
        return Err(format!(
            "{n} is out of range: {} takes {lo} to {hi}",
            field.label()
        ));
    }
    Ok(n)
}

/// `this` / `partner` (also `local`/`remote`, `yes`/`no`): whether this server is primary.
pub fn parse_primary(t: &str) -> Result<bool, String> {
    match t.trim().to_ascii_lowercase().as_str() {
        "this" | "local" | "here" | "yes" | "y" => Ok(true),
        "partner" | "remote" | "other" | "no" | "n" => Ok(false),
        other => Err(format!(
            "'{other}' does not say which server is primary: type 'this' or 'partner'"
        )),
    }
}

/// `on`/`off`, `yes`/`no`, `true`/`false`.
pub fn parse_on_off(t: &str) -> Result<bool, String> {
    match t.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "y" | "true" | "1" => Ok(true),
        "off" | "no" | "n" | "false" | "0" => Ok(false),
        other => Err(format!("'{other}' is not on or off")),
    }
}

/// Comma- or space-separated CIDRs, at least one.
pub fn parse_scopes(t: &str) -> Result<Vec<Ipv4Net>, String> {
    let parts: Vec<&str> = t
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return Err("pick at least one scope of this server".into());
    }
    let mut out = Vec::new();
    for p in parts {
        let n: Ipv4Net = p
            .parse()
            .map_err(|_| format!("'{p}' is not a scope: type its CIDR, e.g. 10.10.0.0/24"))?;
        if n.trunc() != n {
            return Err(format!("{p} has host bits set: the scope is {}", n.trunc()));
        }
        out.push(n);
    }
    Ok(out)
}

fn check_url(u: &str) -> Result<(), String> {
    let hp = url_host_port(u).ok_or_else(|| {
        format!("'{u}' is not a Control Agent URL: http://host:port/ or https://host:port/")
    })?;
    let (host, port) = match hp.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (hp.as_str(), None),
    };
    if host.is_empty() {
        return Err(format!("'{u}' has no host"));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_err() {
        return Err(format!(
            "'{host}' is a name: Kea 2.2's HA peers need the Control Agent's IP address in the URL (it does not resolve names)"
        ));
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("'{p}' is not a port number (1-65535)")),
        }
    }
    Ok(())
}

/// Rules between the timings: max-response-delay must exceed heartbeat-delay (else every
/// heartbeat counts as a failure, Kea ARM).
pub fn check_timings(
    heartbeat: u32,
    max_response: u32,
    _max_ack: u32,
) -> Result<(), (Field, String)> {
    if max_response <= heartbeat {
        return Err((
            Field::MaxResponseDelay,
            format!(
                "max response delay ({max_response} ms) must be more than the heartbeat delay ({heartbeat} ms); several heartbeats, e.g. {}, is usual",
                heartbeat.saturating_mul(3)
            ),
        ));
    }
    Ok(())
}

/// Peer user and password come together or not at all.
pub fn check_credentials(
    user: Option<&str>,
    password: Option<&str>,
) -> Result<(), (Field, String)> {
    let user = user.map(str::trim).filter(|s| !s.is_empty());
    let password = password.filter(|s| !s.is_empty());
    match (user, password) {
        (Some(_), None) => Err((
            Field::PeerPassword,
            "a peer user needs a password: type it, or clear the user".into(),
        )),
        (None, Some(_)) => Err((
            Field::PeerUser,
            "a peer password needs a user: type it, or clear the password".into(),
        )),
        _ => Ok(()),
    }
}

/// Splits a scope's pools into two halves with as many addresses each as possible (the
/// first half one more when odd): the pools of a load-balancing pair, one half per peer's
/// `HA_<name>` class. Pools come sorted; a pool may be cut in two.
pub fn split_pools(pools: &[Range]) -> (Vec<Range>, Vec<Range>) {
    let mut sorted = pools.to_vec();
    sorted.sort();
    let total: u64 = sorted.iter().map(Range::len).sum();
    let mut first_left = total.div_ceil(2);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for r in sorted {
        if first_left == 0 {
            b.push(r);
        } else if r.len() <= first_left {
            first_left -= r.len();
            a.push(r);
        } else {
            let cut = r.start + (first_left as u32) - 1;
            a.extend(Range::from_u32(r.start, cut));
            b.extend(Range::from_u32(cut + 1, r.end));
            first_left = 0;
        }
    }
    (a, b)
}

/// The Windows DHCP failover terms an admin may look for, and what Kea does instead
/// (shown in the wizard's help).
pub const WINDOWS_TERMS: &[(&str, &str)] = &[
    (
        "Maximum client lead time (MCLT)",
        "Kea has none. A server sends each new or renewed lease to its partner before it answers the client, so the partner always knows every lease and no lead time is needed. When one server is down, the other goes partner-down and serves its clients with the leases it already holds.",
    ),
    (
        "State switchover interval",
        "Kea decides from its timings instead: after max response delay without a heartbeat answer the partner counts as unreachable; with max unacked clients > 0 it also waits until that many clients went unanswered for max ack delay. Then, with automatic failover on, it goes partner-down by itself; with it off, an admin must decide.",
    ),
    (
        "Load balance percentage",
        "Kea always splits 50/50: each client is hashed (client id or MAC) to one of the two servers. ddish gives each server its own half of every pool (Kea's HA_<server> classes), so the two never hand out the same address.",
    ),
    (
        "Reserve percentage (hot standby)",
        "Kea needs no reserve: the standby serves nothing while the primary is up, knows every lease, and when it takes over it uses the whole shared pool.",
    ),
    (
        "Shared secret / message authentication",
        "Kea's peers talk through each other's Control Agent: give the basic-auth user and password the agents ask for (and use https:// URLs where the agents have TLS).",
    ),
    (
        "Failover per scope",
        "Kea 2.2 runs one HA relationship per server and it covers every scope on it: a scope on only one of the two is served only when that server handles the client. Put every scope of both servers in the failover.",
    ),
];

#[cfg(test)]
mod tests;
