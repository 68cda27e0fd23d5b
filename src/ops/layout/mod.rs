//! Shaping the address space (issue 4): networks and containers in
//! `Dhcp4.user-context.ddish.networks`, DHCP scopes in them, and the scope actions (edit,
//! activate/deactivate, duplicate, delete, re-create or forget a missing scope). Every change
//! goes to the server and its HA peers through the safe write protocol and is journaled.
//! The rules themselves (nesting, refusals) are in [`rules`]; Kea's JSON for subnets and
//! ddish's marks in `kea::subnet_json` and `kea::marks`.
mod networks;
mod removal;
pub mod rules;
mod scopes;

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::audit::Entry;
use crate::kea::KeaClient;
use crate::model::NetworkDef;

use super::actions::ActionOutcome;
use crate::kea::subnet_json::*;
use crate::ops::{OpError, Session};

pub use rules::{ScopeProps, LEASE_TIME_RANGE};

/// Changes to a scope; `None` leaves a property as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeEdit {
    pub start: Option<Ipv4Addr>,
    pub end: Option<Ipv4Addr>,
    /// `Some(None)` removes the gateway.
    pub gateway: Option<Option<Ipv4Addr>>,
    /// `Some(vec![])` removes the DNS servers.
    pub dns: Option<Vec<String>>,
    /// `Some("")` removes the domain name.
    pub domain: Option<String>,
    pub lease_time: Option<u32>,
    /// `Some("")` clears.
    pub title: Option<String>,
    pub description: Option<String>,
    pub relay: Option<Vec<Ipv4Addr>>,
    /// Activate (`Some(true)`) or deactivate.
    pub active: Option<bool>,
    /// Raw DHCP options (Kea name, data) to set or replace.
    pub set_options: Vec<(String, String)>,
    /// Option names to remove.
    pub remove_options: Vec<String>,
}

/// Leases and reservations a scope holds, shown before a delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeHoldings {
    pub leases: u64,
    /// In the server's configuration: they go with the scope.
    pub reservations: usize,
    /// In a hosts database: they stay there when the scope goes.
    pub in_database: usize,
}

impl ScopeHoldings {
    /// "3 lease(s), 2 reservation(s)", and the hosts database's when there are any.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} lease(s), {} reservation(s)",
            self.leases, self.reservations
        );
        if self.in_database > 0 {
            s.push_str(&format!(
                " (and {} in the hosts database, which stay there)",
                self.in_database
            ));
        }
        s
    }

    /// The end of a delete's summary: "(3 lease(s), 2 reservation(s) went with it)", plus
    /// what stays in the hosts database.
    fn gone_with(&self, it: &str) -> String {
        let mut s = format!(
            "({} lease(s), {} reservation(s) went with {it}",
            self.leases, self.reservations
        );
        if self.in_database > 0 {
            s.push_str(&format!(
                "; {} in the hosts database stay there",
                self.in_database
            ));
        }
        s.push(')');
        s
    }
}

pub(super) fn refused(s: impl Into<String>) -> OpError {
    OpError::Refused(s.into())
}

pub(super) fn network_of(nets: &[NetworkDef], cidr: &Ipv4Net) -> Result<NetworkDef, OpError> {
    nets.iter()
        .find(|n| n.cidr == *cidr)
        .cloned()
        .ok_or_else(|| {
            OpError::NotFound(format!(
                "no network {cidr} on this server: list them with `ddish export --what networks`"
            ))
        })
}

/// A scope that is not on the server, with how to see which are.
pub(super) fn no_scope(server: &str, cidr: &Ipv4Net) -> OpError {
    OpError::NotFound(format!(
        "no scope {cidr} on server {server}: list them with \
         `ddish export --what scopes --server {server}`"
    ))
}

impl Session {
    /// The main server's config in outline (each subnet's id and prefix, ddish's marks, the
    /// hooks) and its networks (not remembered as "what the user saw").
    pub(super) async fn layout_base(
        &self,
        server: &str,
    ) -> Result<(Value, Vec<NetworkDef>), OpError> {
        let raw = self.client(server)?.config_get_outline().await?;
        let nets = crate::kea::parse_config(&raw)?.networks;
        Ok((raw, nets))
    }

    /// Writes `edit` on the server and its HA peers and journals it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn layout_write<F>(
        &self,
        server: &str,
        peers: &[(String, KeaClient)],
        // The subnets the edit is confined to (subnet4-update where the peers have
        // subnet_cmds); empty: the edit is about ddish's marks and the subnet lists, by id
        // and prefix only, and goes as a config edit.
        ids: &[u32],
        action: &str,
        scope: Option<Ipv4Net>,
        after: Value,
        summary: String,
        edit: F,
    ) -> Result<ActionOutcome, OpError>
    where
        F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
    {
        let mut entry = Entry::new(server, action).after(after).result("ok");
        entry.scope = scope.map(|s| s.to_string());
        // Without ids the edit is about ddish's marks (networks, scope lists) and reads the
        // subnets' ids and prefixes at most: none is held whole.
        let written = if ids.is_empty() {
            let reach = crate::kea::Reach::Subnets(Vec::new());
            self.edit_everywhere(server, peers, &reach, edit).await
        } else {
            self.edit_scopes_everywhere(server, peers, ids, edit).await
        };
        self.conclude(entry, written, server, None, summary, Vec::new())
    }
}

/// The network listing `cidr` as a scope.
pub(super) fn listing_network(nets: &[NetworkDef], cidr: &Ipv4Net) -> Result<Ipv4Net, OpError> {
    nets.iter()
        .find(|n| n.scopes.contains(cidr))
        .map(|n| n.cidr)
        .ok_or_else(|| {
            OpError::NotFound(format!("no network on this server lists the scope {cidr}"))
        })
}

/// The scopes a network holds: those it lists and the server's subnets inside it.
pub(super) fn scopes_held(raw: &Value, n: &NetworkDef) -> Vec<Ipv4Net> {
    let mut out = n.scopes.clone();
    for c in all_subnets(raw).iter().filter_map(|s| subnet_cidr(s)) {
        if n.cidr.contains(&c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

pub(super) fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(Ipv4Net::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
