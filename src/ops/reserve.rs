//! Reservations: create, replace and delete one, on both HA peers. ops says what (this
//! reservation at this address); the Kea layer picks how (host_cmds or the config edit).
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use crate::kea::{self, KeaClient, ReservationChange, ReservationSpec, WritePath};
use crate::model::lease::hex_colon;
use crate::model::{IpState, LeaseMark};

use super::actions::{
    opt_hostname, state_word, validate_client_id, validate_mac, ActionOutcome, Ident,
    ReservationRequest, ReservationType,
};
use super::now;
use crate::config::Role;
use crate::ops::{OpError, Session};

impl Session {
    /// Creates or replaces the reservation at `ip`.
    pub async fn reserve(
        &self,
        server: &str,
        ip: Ipv4Addr,
        r: &ReservationRequest,
        confirmed: bool,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing_reservation(server, Role::Operator, "reserve", ip)
            .await?;
        let ident = match &r.ident {
            Ident::Mac(m) => Ident::Mac(validate_mac(m)?),
            Ident::ClientId(c) => Ident::ClientId(validate_client_id(c)?),
        };
        let hostname = opt_hostname(&r.hostname)?;
        let scope = match self.scope_of(server, ip).await {
            Err(OpError::NotFound(_)) => {
                return Err(self.outside_scopes(server, ip, "a reservation").await)
            }
            r => r?,
        };
        let peers = self.peers(server).await?;
        let view = Self::views_of(&peers[..1], &scope)
            .await?
            .into_iter()
            .next()
            .expect("one peer");
        let d = view.detail(ip);
        match d.state {
            IpState::Excluded => {
                return Err(OpError::Refused(format!(
                    "{ip} is excluded from scope {}: reservations are not offered on excluded \
                     addresses; remove the exclusion first (ddish scope unexclude)",
                    scope.cidr
                )))
            }
            IpState::Outside => {
                return Err(OpError::Refused(format!(
                    "{ip} is outside the range of scope {} ({})",
                    scope.cidr, scope.range
                )))
            }
            _ => {}
        }
        if d.is_network || d.is_broadcast || d.is_gateway {
            return Err(OpError::Refused(format!(
                "{ip} is the {} of {}: it cannot be reserved",
                if d.is_gateway {
                    "gateway"
                } else if d.is_network {
                    "network address"
                } else {
                    "broadcast address"
                },
                scope.cidr
            )));
        }
        if r.kind != ReservationType::Dhcp {
            let raw = peers[0].1.config_get_reply().await?.hooks()?;
            let has_bootp = raw["Dhcp4"]["hooks-libraries"].as_array().is_some_and(|l| {
                l.iter().any(|h| {
                    h["library"]
                        .as_str()
                        .is_some_and(|p| p.contains("libdhcp_bootp"))
                })
            });
            if !has_bootp {
                return Err(OpError::Refused(format!(
                    "{server} has no BOOTP hook (libdhcp_bootp.so in hooks-libraries): add it, \
                     or make a DHCP-only reservation"
                )));
            }
        }
        // Another reservation with the same identifier elsewhere in the subnet.
        let same = |res: &crate::model::Reservation| match &ident {
            Ident::Mac(m) => {
                res.hw
                    .as_deref()
                    .and_then(|h| validate_mac(h).ok())
                    .as_deref()
                    == Some(m)
            }
            Ident::ClientId(c) => {
                res.client_id
                    .as_deref()
                    .and_then(|h| validate_client_id(h).ok())
                    .as_deref()
                    == Some(c)
            }
        };
        if let Some(other) = scope
            .reservations
            .iter()
            .find(|res| res.ip != ip && same(res))
        {
            return Err(OpError::Refused(format!(
                "that identifier already has a reservation in {} at {}: edit or delete that one",
                scope.cidr, other.ip
            )));
        }
        // Leased to someone else: Kea accepts, the client keeps the address (KEA_FACTS §5).
        if let Some(l) = d.lease.filter(|l| !l.is_expired(now())) {
            let same_client = match &ident {
                Ident::Mac(m) => l.hw.to_string() == *m && l.mark == LeaseMark::None,
                Ident::ClientId(c) => l.client_id.as_deref().map(hex_colon).as_deref() == Some(c),
            };
            if !same_client && !confirmed {
                return Err(OpError::NeedsConfirmation(format!(
                    "{ip} is {} ({}{}){}: Kea accepts the reservation, but that lease stays \
                     until it ends and the reserved client gets another address meanwhile. Reserve anyway?",
                    state_word(d.state),
                    if l.hw.is_zero() || l.hw.is_none() { "no MAC".to_string() } else { l.hw.to_string() },
                    l.hostname.as_deref().map(|h| format!(", {h}")).unwrap_or_default(),
                    l.expires()
                        .map(|e| format!(" until {}", crate::export::rfc3339(e)))
                        .unwrap_or_default()
                )));
            }
        }
        let mut ctx = json!({"type": r.kind.label()});
        if let Some(desc) = r.description.as_deref().filter(|s| !s.trim().is_empty()) {
            ctx["description"] = json!(desc.trim());
        }
        let (hw_address, client_id) = match &ident {
            Ident::Mac(m) => (Some(m.clone()), None),
            Ident::ClientId(c) => (None, Some(c.clone())),
        };
        let spec = ReservationSpec {
            ip,
            hw_address,
            client_id,
            hostname: hostname.clone(),
            ddish: ctx,
        };
        if let Some(g) = scope.reservation_at(ip).filter(|x| x.global) {
            return Err(OpError::Refused(format!(
                "{ip} has a global reservation (Dhcp4 reservations) for {}: delete it first \
                 (ddish ip unreserve {ip}), then reserve it in scope {}",
                g.hw.as_deref()
                    .or(g.client_id.as_deref())
                    .unwrap_or("another client"),
                scope.cidr
            )));
        }
        // Another client's reservation is replaced only when the user says so (the CLI's
        // --yes, the console's question): a script must not silently take an address over.
        if let Some(x) = scope.reservation_at(ip).filter(|x| !same(x)) {
            if !confirmed {
                return Err(OpError::NeedsConfirmation(format!(
                    "{ip} is already reserved for {}{}: replace that reservation?",
                    x.hw.as_deref()
                        .map(str::to_string)
                        .or_else(|| x.client_id.as_deref().map(|c| format!("client-id {c}")))
                        .unwrap_or_else(|| "another client".into()),
                    x.hostname
                        .as_deref()
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default()
                )));
            }
        }
        let before = scope.reservation_at(ip).map(|x| {
            json!({
                "ip-address": x.ip.to_string(), "hw-address": x.hw, "client-id": x.client_id,
                "hostname": x.hostname, "description": x.description,
            })
        });
        let entry = self.entry(
            server,
            if before.is_some() {
                "reservation-edit"
            } else {
                "reserve"
            },
            Some(&scope),
            Some(ip),
            before.clone(),
            Some(spec.to_json()),
        );
        let change = ReservationChange::Put {
            subnet_id: scope.id,
            reservation: spec,
        };
        let result = self
            .reservation_everywhere(server, &peers, &change, before)
            .await;
        let mut warnings = Vec::new();
        if d.lease.is_some_and(|l| !l.is_expired(now())) && confirmed {
            warnings.push(format!(
                "{ip} stays leased to its current client until the lease ends"
            ));
        }
        let summary = format!(
            "{ip} reserved for {}{}",
            match &ident {
                Ident::Mac(m) => m.clone(),
                Ident::ClientId(c) => format!("client-id {c}"),
            },
            hostname.map(|h| format!(" ({h})")).unwrap_or_default()
        );
        self.conclude(entry, result, server, Some(ip), summary, warnings)
    }

    /// Deletes the reservation at `ip`.
    pub async fn unreserve(&self, server: &str, ip: Ipv4Addr) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing_reservation(server, Role::Operator, "unreserve", ip)
            .await?;
        let scope = self.scope_of(server, ip).await?;
        let Some(existing) = scope.reservation_at(ip).cloned() else {
            return Err(OpError::Refused(format!(
                "{ip} has no reservation in {}",
                scope.cidr
            )));
        };
        let peers = self.peers(server).await?;
        let before = json!({"ip-address": ip.to_string(), "hw-address": existing.hw,
            "client-id": existing.client_id, "hostname": existing.hostname});
        let entry = self.entry(
            server,
            "unreserve",
            Some(&scope),
            Some(ip),
            Some(before.clone()),
            None,
        );
        let change = ReservationChange::Delete {
            subnet_id: if existing.global { 0 } else { scope.id },
            ip,
        };
        let result = self
            .reservation_everywhere(server, &peers, &change, Some(before))
            .await;
        let summary = format!("reservation of {ip} deleted");
        self.conclude(entry, result, server, Some(ip), summary, Vec::new())
    }

    /// Makes a reservation change on every peer, by host_cmds where all of them have it
    /// (checked against the hash and the reservation the user saw), else by the safe config
    /// edit. `seen` is the reservation the user acted on (None: none at the address).
    async fn reservation_everywhere(
        &self,
        server: &str,
        peers: &[(String, KeaClient)],
        change: &ReservationChange,
        seen: Option<Value>,
    ) -> Result<Vec<String>, OpError> {
        let clients: Vec<&KeaClient> = peers.iter().map(|(_, c)| c).collect();
        if kea::reservation_write_path(&clients).await == WritePath::ConfigEdit {
            return self
                .edit_everywhere(server, peers, &change.reach(), |cfg| {
                    change.edit_config(cfg)
                })
                .await;
        }
        let main = peers.iter().position(|(n, _)| n == server).unwrap_or(0);
        let mut expect = vec![kea::Expect::default(); clients.len()];
        expect[main] = kea::Expect {
            hash: self.seen_hash(server),
            reservation: Some(seen),
        };
        let results = kea::reservation_by_commands(&clients, &expect, change).await;
        for (n, _) in peers {
            self.forget_digest(n);
        }
        Self::gather(server, results)
    }
}
