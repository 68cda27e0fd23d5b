//! IP actions (issue 3), once for the console and the CLI: hold next/random free, release,
//! claim, reservations, exclusions, ping, DNS records, history. Every write goes to the
//! server and its HA peers (lease commands are not replicated, KEA_FACTS.md §7), config
//! changes through the safe write protocol, and every action is journaled.
use crate::ops::Invalid;
use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::audit::{Entry, Journal};
use crate::config::Role;
use crate::kea::{self, KeaClient};
use crate::model::lease::{hex_colon, parse_hex_bytes, HwAddr};
use crate::model::{IpState, Lease, LeaseMark, ScopeDef, ScopeView};

use super::now;
use crate::ops::{OpError, Session};

mod dns;
mod exclusions;
mod leases;

/// How many taken addresses `hold_free` steps over before giving up (another admin or a
/// DHCP client may take the one it picked between the look and the write).
pub(super) const MAX_HOLD_TRIES: usize = 16;

#[derive(Clone, Debug)]
pub struct ActionOutcome {
    pub server: String,
    /// Every server written, in order.
    pub peers: Vec<String>,
    pub ip: Option<Ipv4Addr>,
    pub summary: String,
    pub warnings: Vec<String>,
    /// The scope on `server` after a lease change, from what the operation read and wrote
    /// (None where it does not know it): the console shows it without reading it again.
    pub view: Option<Arc<ScopeView>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRequest {
    pub mac: String,
    pub hostname: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    Mac(String),
    ClientId(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationType {
    Dhcp,
    Bootp,
    Both,
}

impl ReservationType {
    pub fn label(self) -> &'static str {
        match self {
            ReservationType::Dhcp => "dhcp",
            ReservationType::Bootp => "bootp",
            ReservationType::Both => "both",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationRequest {
    pub ident: Ident,
    pub kind: ReservationType,
    pub hostname: Option<String>,
    pub description: Option<String>,
}

/// `server`'s view among `views` (read from `peers`, in order; maybe only the first) with
/// the lease of `ip` now `lease`: the scope after a lease change, without reading it again.
pub(super) fn view_after(
    peers: &[(String, KeaClient)],
    views: &[ScopeView],
    server: &str,
    ip: Ipv4Addr,
    lease: Option<Lease>,
) -> Option<Arc<ScopeView>> {
    let i = peers.iter().position(|(n, _)| n == server)?;
    Some(Arc::new(views.get(i)?.with_lease_at(ip, lease, now())))
}

/// A MAC address in any common notation, normalised to `aa:bb:cc:dd:ee:ff`.
pub fn validate_mac(s: &str) -> Result<String, Invalid> {
    match HwAddr::parse(s) {
        Some(HwAddr::Eth(b)) if b != [0; 6] => Ok(hex_colon(&b)),
        Some(HwAddr::Eth(_)) => Err("00:00:00:00:00:00 is not a client's MAC address".into()),
        _ => {
            Err(format!("'{s}' is not a MAC address: six hex bytes, e.g. aa:bb:cc:dd:ee:ff").into())
        }
    }
}

/// A DHCP client identifier (option 61): hex bytes, at least two, normalised to `01:aa:..`.
pub fn validate_client_id(s: &str) -> Result<String, Invalid> {
    match parse_hex_bytes(s) {
        Some(b) if b.len() >= 2 && b.len() <= 255 => Ok(hex_colon(&b)),
        _ => Err(format!(
            "'{s}' is not a client identifier: hex bytes such as 01:aa:bb:cc:dd:ee:ff"
        )
        .into()),
    }
}

pub use crate::dns::validate_hostname;

pub(crate) fn opt_hostname(h: &Option<String>) -> Result<Option<String>, OpError> {
    match h.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(h) => {
            validate_hostname(h).map_err(OpError::Refused)?;
            Ok(Some(h.to_string()))
        }
    }
}

pub(crate) fn state_word(s: IpState) -> String {
    s.label().to_lowercase()
}

pub(crate) use crate::kea::subnet_mut;

impl Session {
    pub(crate) fn journal(&self) -> Journal {
        Journal::new(&self.config().settings.journal)
    }

    /// Appends to the journal; a journal that can't be written is a warning, not a failure
    /// of the action already done on the server.
    pub(crate) fn record(&self, e: Entry, warnings: &mut Vec<String>) {
        if let Err(err) = self.journal().append(&e) {
            tracing::warn!("journal: {err}");
            warnings.push(format!("not written to the history journal: {err}"));
        }
    }

    /// Journals the outcome of a write and turns it into the action's result (the
    /// warnings only matter when it succeeded).
    pub(crate) fn conclude(
        &self,
        entry: Entry,
        result: Result<Vec<String>, OpError>,
        server: &str,
        ip: Option<Ipv4Addr>,
        summary: String,
        mut warnings: Vec<String>,
    ) -> Result<ActionOutcome, OpError> {
        match result {
            Ok(peers) => {
                self.record(entry, &mut warnings);
                Ok(ActionOutcome {
                    server: server.to_string(),
                    peers,
                    ip,
                    summary,
                    warnings,
                    view: None,
                })
            }
            Err(err) => {
                self.record_failure(entry, &err);
                Err(err)
            }
        }
    }

    pub(crate) fn record_failure(&self, e: Entry, err: &OpError) {
        let mut e = e;
        e.result = err.to_string();
        let _ = self.journal().append(&e);
    }

    pub fn role(&self, server: &str) -> Role {
        self.config()
            .server(server)
            .map(|s| s.role)
            .unwrap_or(Role::Viewer)
    }

    /// Whether the user may act at `need` level on `server`.
    pub fn may(&self, server: &str, need: Role) -> Result<(), OpError> {
        let role = self.role(server);
        let read_only = self.read_only();
        if !read_only && role.allows(need) {
            return Ok(());
        }
        Err(OpError::Forbidden {
            server: server.to_string(),
            role,
            need,
            read_only,
        })
    }

    /// The scope of `server` that contains `ip`, with every reservation it has (hosts
    /// databases' too). One config-get: an action needs neither the statistics nor the
    /// version a full load reads. Where the server has subnet_cmds and host_cmds, a few
    /// small commands instead.
    pub async fn scope_of(&self, server: &str, ip: Ipv4Addr) -> Result<ScopeDef, OpError> {
        let found = if kea::reads_by_commands(&*self.commands(server).await?) {
            match self.subnet_ref_of(server, ip).await? {
                Some(s) => kea::scope_of_subnet(&self.client(server)?, &s).await?,
                None => None,
            }
        } else {
            let config = self.recent_config(server).await?.model()?;
            let def = config
                .scopes
                .into_iter()
                .filter(|s| s.cidr.contains(&ip))
                .max_by_key(|s| s.cidr.prefix_len());
            match def {
                // host_cmds without subnet_cmds (a hosts database): its reservations too.
                Some(d) => Some(self.with_all_reservations(server, &d).await?),
                None => None,
            }
        };
        found.ok_or_else(|| OpError::NotFound(format!("{ip} is in no scope on {server}")))
    }

    /// Finds the server and scope of an address for the CLI. Without `server`, every server
    /// is asked; matches on HA peers of one another count as one (the first configured).
    pub async fn locate(
        self: &Arc<Self>,
        ip: Ipv4Addr,
        server: Option<&str>,
    ) -> Result<(String, ScopeDef), OpError> {
        let (name, def) = self.locate_as(ip, server, true).await?;
        match def {
            Some(d) => Ok((name, d)),
            None => Ok((name.clone(), self.scope_of(&name, ip).await?)),
        }
    }

    /// The subnet of `server`'s subnet4-list (subnet_cmds) that holds `ip`: the longest
    /// prefix, as Kea picks it. The one lookup for an action and for its write's intent.
    pub(crate) async fn subnet_ref_of(
        &self,
        server: &str,
        ip: Ipv4Addr,
    ) -> Result<Option<kea::SubnetRef>, OpError> {
        Ok(self
            .subnet_refs(server)
            .await?
            .iter()
            .filter(|s| s.cidr.contains(&ip))
            .max_by_key(|s| s.cidr.prefix_len())
            .cloned())
    }

    /// Whether a scope of `server` holds `ip`, with that scope where it was read for it:
    /// `full` reads it; else a server with subnet_cmds answers from its subnet list alone
    /// (the action reads the scope itself, under its write lock).
    async fn scope_holding(
        &self,
        server: &str,
        ip: Ipv4Addr,
        full: bool,
    ) -> Result<Option<ScopeDef>, OpError> {
        if full || !kea::reads_by_commands(&*self.commands(server).await?) {
            return self.scope_of(server, ip).await.map(Some);
        }
        if self.subnet_ref_of(server, ip).await?.is_some() {
            Ok(None)
        } else {
            Err(OpError::NotFound(format!(
                "{ip} is in no scope on {server}"
            )))
        }
    }

    /// [`locate`](Self::locate); the scope only where `full` or where it had to be read.
    async fn locate_as(
        self: &Arc<Self>,
        ip: Ipv4Addr,
        server: Option<&str>,
        full: bool,
    ) -> Result<(String, Option<ScopeDef>), OpError> {
        if let Some(s) = server {
            return Ok((s.to_string(), self.scope_holding(s, ip, full).await?));
        }
        let names: Vec<String> = self
            .config()
            .servers
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let tasks: Vec<_> = names
            .iter()
            .map(|n| {
                let me = Arc::clone(self);
                let n = n.clone();
                tokio::spawn(async move { me.scope_holding(&n, ip, full).await })
            })
            .collect();
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for (t, n) in tasks.into_iter().zip(&names) {
            match t.await {
                Ok(Ok(def)) => found.push((n.clone(), def)),
                Ok(Err(OpError::NotFound(_))) => {}
                Ok(Err(e)) => errors.push(e.to_string()),
                Err(e) => errors.push(format!("{n}: internal error: {e}")),
            }
        }
        if found.is_empty() {
            let mut msg = format!("{ip} is in no scope on any configured server");
            if !errors.is_empty() {
                msg.push_str(&format!(" that answered; failing: {}", errors.join("; ")));
            }
            return Err(OpError::NotFound(msg));
        }
        if found.len() > 1 {
            let peers: Vec<String> = self
                .peers(&found[0].0)
                .await
                .map(|p| p.into_iter().map(|(n, _)| n).collect())
                .unwrap_or_default();
            if !found.iter().all(|(n, _)| peers.contains(n)) {
                return Err(OpError::Refused(format!(
                    "{ip} is in scopes on {}: pick one with --server NAME",
                    found
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(found.remove(0))
    }

    /// The server for an action on `ip`: where a scope holds it, else where a network
    /// does (network-level claims).
    pub async fn locate_server(
        self: &Arc<Self>,
        ip: Ipv4Addr,
        server: Option<&str>,
    ) -> Result<String, OpError> {
        match self.locate_as(ip, server, false).await {
            Ok((s, _)) => Ok(s),
            Err(OpError::NotFound(msg)) => {
                let names: Vec<String> = match server {
                    Some(s) => vec![s.to_string()],
                    None => self
                        .config()
                        .servers
                        .iter()
                        .map(|s| s.name.clone())
                        .collect(),
                };
                for n in names {
                    if self.network_of(&n, ip).await.is_ok() {
                        return Ok(n);
                    }
                }
                Err(OpError::NotFound(msg))
            }
            Err(e) => Err(e),
        }
    }

    /// Journal entries of an address, newest first.
    pub(crate) fn entry(
        &self,
        server: &str,
        action: &str,
        scope: Option<&ScopeDef>,
        ip: Option<Ipv4Addr>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Entry {
        let mut e = Entry::new(server, action);
        e.scope = scope.map(|s| s.cidr.to_string());
        e.ip = ip;
        e.before = before;
        e.after = after;
        e.result = "ok".into();
        e
    }
}

/// A lease as the journal keeps it.
pub(super) fn lease_json(l: &Lease) -> Value {
    json!({
        "ip-address": l.ip.to_string(),
        "hw-address": if l.hw.is_none() { Value::Null } else { json!(l.hw.to_string()) },
        "hostname": l.hostname.as_deref(),
        "valid-lft": l.valid_lft,
        "cltt": l.cltt,
        "mark": match l.mark { LeaseMark::Held => "held", LeaseMark::Claimed => "claimed", LeaseMark::None => "" },
    })
}

pub(super) fn human_secs(s: u64) -> String {
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_and_client_id_are_normalised() {
        assert_eq!(
            validate_mac("AA-BB-CC-00-00-01").unwrap(),
            "aa:bb:cc:00:00:01"
        );
        assert_eq!(validate_mac("aabb.cc00.0001").unwrap(), "aa:bb:cc:00:00:01");
        assert!(validate_mac("aa:bb:cc").is_err());
        assert!(validate_mac("00:00:00:00:00:00").is_err());
        assert!(validate_mac("zz:bb:cc:00:00:01")
            .unwrap_err()
            .0
            .contains("not a MAC"));
        assert_eq!(
            validate_client_id("01AABBCC000003").unwrap(),
            "01:aa:bb:cc:00:00:03"
        );
        assert!(validate_client_id("1").is_err());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_secs(3600), "1 h");
        assert_eq!(human_secs(86_400), "1 d");
        assert_eq!(human_secs(90), "90 s");
        assert_eq!(human_secs(600), "10 min");
    }
}
