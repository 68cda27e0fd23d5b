//! Shaping the address space (issue 4): networks and containers in
//! `Dhcp4.user-context.ddish.networks`, DHCP scopes in them, and the scope actions (edit,
//! activate/deactivate, duplicate, delete, re-create or forget a missing scope). Every change
//! goes to the server and its HA peers through the safe write protocol and is journaled.
//! The rules themselves (nesting, refusals) are in [`rules`]; Kea's JSON for subnets and
//! ddish's marks in `kea::subnet_json` and `kea::marks`.
pub mod rules;

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::audit::Entry;
use crate::kea::KeaClient;
use crate::model::{NetworkDef, NetworkKind, Range};

use super::actions::{subnet_mut, ActionOutcome, Need};
use super::session::{OpError, Session};
use crate::kea::marks::*;
use crate::kea::subnet_json::*;
use rules::*;

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

fn refused(s: impl Into<String>) -> OpError {
    OpError::Refused(s.into())
}

fn network_of(nets: &[NetworkDef], cidr: &Ipv4Net) -> Result<NetworkDef, OpError> {
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
fn no_scope(server: &str, cidr: &Ipv4Net) -> OpError {
    OpError::NotFound(format!(
        "no scope {cidr} on server {server}: list them with \
         `ddish export --what scopes --server {server}`"
    ))
}

impl Session {
    /// The main server's config in outline (each subnet's id and prefix, ddish's marks, the
    /// hooks) and its networks (not remembered as "what the user saw").
    async fn layout_base(&self, server: &str) -> Result<(Value, Vec<NetworkDef>), OpError> {
        let raw = self.client(server)?.config_get_outline().await?;
        let nets = crate::kea::parse_config(&raw)?.networks;
        Ok((raw, nets))
    }

    /// Writes `edit` on the server and its HA peers and journals it.
    #[allow(clippy::too_many_arguments)]
    async fn layout_write<F>(
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
        F: Fn(&mut Value) -> Result<(), String>,
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

    // ---- networks and containers ----

    /// Creates a network or container at `cidr`. A new network lists the server's subnets
    /// inside it as its scopes.
    pub async fn create_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
        kind: NetworkKind,
        title: Option<String>,
        description: Option<String>,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "network create").await?;
        let (raw, nets) = self.layout_base(server).await?;
        check_network_place(&nets, cidr, kind).map_err(refused)?;
        let inside: Vec<Ipv4Net> = all_subnets(&raw)
            .iter()
            .filter_map(|s| subnet_cidr(s))
            .filter(|c| cidr.contains(c))
            .collect();
        // Subnets not already inside a network the new container would hold.
        let loose: Vec<Ipv4Net> = inside
            .iter()
            .filter(|c| {
                !nets
                    .iter()
                    .any(|n| cidr.contains(&n.cidr) && n.cidr.contains(*c))
            })
            .copied()
            .collect();
        if kind == NetworkKind::Container && !loose.is_empty() {
            return Err(refused(format!(
                "{cidr} holds the scope(s) {}, and a container holds only networks: \
                 create a network instead",
                list(&loose)
            )));
        }
        let inside = if kind == NetworkKind::Network {
            inside
        } else {
            Vec::new()
        };
        let mut entry = json!({"cidr": cidr.to_string(), "kind": kind_word(kind),
                               "scopes": inside.iter().map(|c| c.to_string()).collect::<Vec<_>>()});
        if let Some(t) = title.as_deref().filter(|t| !t.is_empty()) {
            entry["title"] = json!(t);
        }
        if let Some(d) = description.as_deref().filter(|d| !d.is_empty()) {
            entry["description"] = json!(d);
        }
        let peers = self.peers(server).await?;
        let e2 = entry.clone();
        self.layout_write(
            server,
            &peers,
            &[],
            &format!("{}-create", kind_word(kind)),
            None,
            entry,
            format!("{} {cidr} created", kind_word(kind)),
            move |cfg| {
                let list = networks_mut(cfg)?;
                if network_entry_mut(list, &cidr).is_some() {
                    return Err(format!("{cidr} already exists"));
                }
                list.push(e2.clone());
                Ok(())
            },
        )
        .await
    }

    /// Changes a network's title and description (`Some("")` clears).
    pub async fn edit_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
        title: Option<String>,
        description: Option<String>,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "network edit").await?;
        let (_, nets) = self.layout_base(server).await?;
        network_of(&nets, &cidr)?;
        let peers = self.peers(server).await?;
        let after = json!({"cidr": cidr.to_string(), "title": title, "description": description});
        self.layout_write(
            server,
            &peers,
            &[],
            "network-edit",
            None,
            after,
            format!("{cidr} changed"),
            move |cfg| {
                let n = network_mut(cfg, &cidr)?;
                for (k, v) in [("title", &title), ("description", &description)] {
                    match v.as_deref() {
                        None => {}
                        Some("") => {
                            if let Some(o) = n.as_object_mut() {
                                o.remove(k);
                            }
                        }
                        Some(s) => n[k] = json!(s),
                    }
                }
                Ok(())
            },
        )
        .await
    }

    /// Turns a network into a container; refused while it holds scopes.
    pub async fn network_to_container(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing(server, Need::Admin, "network to container")
            .await?;
        let (raw, nets) = self.layout_base(server).await?;
        let n = network_of(&nets, &cidr)?;
        if n.kind == NetworkKind::Container {
            return Err(refused(format!("{cidr} is already a container")));
        }
        let held = scopes_held(&raw, &n);
        if !held.is_empty() {
            return Err(refused(format!(
                "{cidr} holds the scope(s) {}, and a container holds only networks: \
                 delete or move them first",
                list(&held)
            )));
        }
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "network-to-container",
            None,
            json!({"cidr": cidr.to_string(), "kind": "container"}),
            format!("{cidr} is now a container"),
            move |cfg| {
                let n = network_mut(cfg, &cidr)?;
                n["kind"] = json!("container");
                if let Some(o) = n.as_object_mut() {
                    o.remove("scopes");
                }
                Ok(())
            },
        )
        .await
    }

    /// Deletes a network (refused while it holds scopes, listing them) or a container
    /// (refused while it holds networks).
    pub async fn delete_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "network delete").await?;
        let (raw, nets) = self.layout_base(server).await?;
        let n = network_of(&nets, &cidr)?;
        match n.kind {
            NetworkKind::Network => {
                let held = scopes_held(&raw, &n);
                if !held.is_empty() {
                    return Err(refused(format!(
                        "network {cidr} still holds the scope(s) {}: delete them (or forget \
                         missing ones) first",
                        list(&held)
                    )));
                }
                if !n.claims.is_empty() {
                    return Err(refused(format!(
                        "network {cidr} still holds claimed addresses ({}): unclaim them first",
                        n.claims
                            .iter()
                            .map(|c| c.ip.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            NetworkKind::Container => {
                let kids: Vec<Ipv4Net> = nets
                    .iter()
                    .filter(|x| x.cidr != cidr && cidr.contains(&x.cidr))
                    .map(|x| x.cidr)
                    .collect();
                if !kids.is_empty() {
                    return Err(refused(format!(
                        "container {cidr} still holds {}: delete them first",
                        list(&kids)
                    )));
                }
            }
        }
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "network-delete",
            None,
            json!({"cidr": cidr.to_string()}),
            format!("{} {cidr} deleted", kind_word(n.kind)),
            move |cfg| {
                let list = networks_mut(cfg)?;
                let before = list.len();
                list.retain(|x| {
                    x["cidr"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()) != Some(cidr)
                });
                if list.len() == before {
                    return Err(format!("{cidr} is no longer on this server: reload"));
                }
                Ok(())
            },
        )
        .await
    }

    // ---- scopes ----

    /// A subnet id free on every peer: the largest id over all of them, plus one. `raw` is
    /// `server`'s outline, read a moment ago; only the other peers are read. (An id taken
    /// meanwhile is caught before sending: the write refuses a subnet id used twice.)
    async fn free_subnet_id(
        &self,
        server: &str,
        raw: &Value,
        peers: &[(String, KeaClient)],
    ) -> Result<u32, OpError> {
        let mut max = max_subnet_id(raw);
        for (_, c) in peers.iter().filter(|(n, _)| n != server) {
            max = max.max(max_subnet_id(&c.config_get_outline().await?));
        }
        max.checked_add(1)
            .ok_or_else(|| refused("no free subnet id left (the largest is 4294967295)"))
    }

    /// Creates a DHCP scope in network `network` on the server and its HA peers, and lists
    /// it in the network. Its subnet is the network's CIDR ("the mask comes from the
    /// network"), or `subnet` when given, which must lie inside the network.
    pub async fn create_scope(
        &self,
        server: &str,
        network: Ipv4Net,
        subnet: Option<Ipv4Net>,
        props: &ScopeProps,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope create").await?;
        let (raw, nets) = self.layout_base(server).await?;
        let n = network_of(&nets, &network)?;
        if n.kind == NetworkKind::Container {
            return Err(refused(format!(
                "{network} is a container: a scope goes into a network"
            )));
        }
        let cidr = subnet.unwrap_or(network);
        check_scope_subnet(network, cidr).map_err(refused)?;
        self.create_scope_in(server, &raw, cidr, Some(network), props, "scope-create")
            .await
    }

    /// The common part of create, re-create and duplicate: `cidr` on `server`, listed in the
    /// network `listed_in` when given.
    async fn create_scope_in(
        &self,
        server: &str,
        raw: &Value,
        cidr: Ipv4Net,
        listed_in: Option<Ipv4Net>,
        props: &ScopeProps,
        action: &str,
    ) -> Result<ActionOutcome, OpError> {
        let v = validate_scope(cidr, props).map_err(refused)?;
        let clash = overlapping_subnets(raw, &cidr);
        if !clash.is_empty() {
            return Err(refused(format!(
                "{cidr} overlaps the scope(s) {} on {server}: scopes on one server must not overlap",
                list(&clash)
            )));
        }
        let peers = self.peers(server).await?;
        let id = self.free_subnet_id(server, raw, &peers).await?;
        let split = ha_split(raw);
        let subnet = scope_subnet(id, &v, props, split.as_ref()).map_err(refused)?;
        let s2 = subnet.clone();
        self.layout_write(
            server,
            &peers,
            &[],
            action,
            Some(cidr),
            subnet,
            format!(
                "scope {cidr} ({}) {} with subnet id {id}{}",
                v.range,
                if action == "scope-duplicate" {
                    "created as a copy"
                } else {
                    "created"
                },
                if props.active { "" } else { ", inactive" }
            ),
            move |cfg| {
                let clash = overlapping_subnets(cfg, &cidr);
                if !clash.is_empty() {
                    return Err(format!("{cidr} overlaps {} here", list(&clash)));
                }
                let d = cfg.get_mut("Dhcp4").ok_or("no Dhcp4 object")?;
                if !d["subnet4"].is_array() {
                    d["subnet4"] = json!([]);
                }
                d["subnet4"]
                    .as_array_mut()
                    .expect("just made an array")
                    .push(s2.clone());
                if let Some(net) = listed_in {
                    list_scope(cfg, &net, &cidr)?;
                }
                Ok(())
            },
        )
        .await
    }

    /// The raw subnet with this CIDR on the server, and its id.
    async fn raw_scope(&self, server: &str, cidr: &Ipv4Net) -> Result<(Value, u32), OpError> {
        let not_found = || no_scope(server, cidr);
        let s = if crate::kea::reads_by_commands(&*self.commands(server).await?) {
            // subnet4-get: one subnet, not a whole config. Its reservations live in the host
            // manager (subnet4-get leaves them out): added as the config would hold them.
            let id = self.scope_ids(server, std::slice::from_ref(cidr)).await?[0];
            let c = self.client(server)?;
            let mut subnet = crate::kea::subnet_get(&c, id)
                .await?
                .ok_or_else(not_found)?;
            subnet["reservations"] = Value::Array(crate::kea::subnet_hosts(&c, id).await?);
            subnet
        } else {
            self.recent_config(server)
                .await?
                .subnet_where(|s| subnet_cidr(s) == Some(*cidr))?
                .ok_or_else(not_found)?
        };
        let id = s["id"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| refused(format!("scope {cidr} has no valid subnet id")))?;
        Ok((s, id))
    }

    /// The subnet ids of `cidrs` on the server, in order: from subnet4-list where it has
    /// subnet_cmds, else from its config-get.
    async fn scope_ids(&self, server: &str, cidrs: &[Ipv4Net]) -> Result<Vec<u32>, OpError> {
        let listed: Vec<(Ipv4Net, u32)> =
            if crate::kea::reads_by_commands(&*self.commands(server).await?) {
                self.subnet_refs(server)
                    .await?
                    .iter()
                    .map(|s| (s.cidr, s.id))
                    .collect()
            } else {
                let model = self.recent_config(server).await?.model()?;
                model.scopes.iter().map(|s| (s.cidr, s.id)).collect()
            };
        cidrs
            .iter()
            .map(|c| {
                listed
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, id)| *id)
                    .ok_or_else(|| no_scope(server, c))
            })
            .collect()
    }

    /// Changes a scope's properties and options on every peer.
    pub async fn edit_scope(
        &self,
        server: &str,
        cidr: Ipv4Net,
        e: &ScopeEdit,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope edit").await?;
        let (raw_subnet, id) = self.raw_scope(server, &cidr).await?;
        let def = crate::kea::parse_config(&json!({"Dhcp4": {"subnet4": [raw_subnet.clone()]}}))?
            .scopes
            .into_iter()
            .next()
            .ok_or_else(|| refused(format!("scope {cidr} could not be read")))?;
        let current_dns: Vec<String> = def
            .options
            .iter()
            .find(|o| o.name.as_deref() == Some("domain-name-servers") || o.code == Some(6))
            .map(|o| o.data.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default();
        let props = ScopeProps {
            start: Some(e.start.unwrap_or(def.range.first())),
            end: Some(e.end.unwrap_or(def.range.last())),
            gateway: e.gateway.unwrap_or(def.gateway),
            dns: e.dns.clone().unwrap_or(current_dns),
            domain: e.domain.clone(),
            lease_time: e.lease_time,
            ..Default::default()
        };
        let v = validate_scope(cidr, &props).map_err(refused)?;
        // Unknown names and values of the wrong type are refused before anything is sent,
        // from ddish's table of Kea's option definitions; values are sent normalised.
        let mut e = e.clone();
        for (name, data) in e.set_options.iter_mut() {
            if name.trim().is_empty() {
                return Err(refused("an option needs a name, e.g. ntp-servers"));
            }
            *data = crate::model::options::validate(name.trim(), data).map_err(refused)?;
        }
        let e = &e;
        let range_changed = v.range != def.range;
        let mut warnings = Vec::new();
        if range_changed && !def.exclusions().is_empty() {
            warnings.push(format!(
                "the range changed: the exclusions {} were dropped",
                def.exclusions()
            ));
        }
        // The HA pool split matters only when the pools are rewritten for a new range.
        let split = if range_changed {
            ha_split(&self.recent_config(server).await?.hooks()?)
        } else {
            None
        };
        let peers = self.peers(server).await?;
        let e2 = e.clone();
        let v2 = v.clone();
        let after = json!({"start": e.start.map(|x| x.to_string()), "end": e.end.map(|x| x.to_string()),
            "gateway": e.gateway.map(|g| g.map(|g| g.to_string())), "dns": e.dns, "domain": e.domain,
            "lease-time": e.lease_time, "active": e.active, "title": e.title, "description": e.description,
            "options": e.set_options, "removed-options": e.remove_options});
        let mut out = self
            .layout_write(
                server,
                &peers,
                &[id],
                "scope-edit",
                Some(cidr),
                after,
                format!("scope {cidr} changed"),
                move |cfg| {
                    let s = subnet_mut(cfg, id)?;
                    if range_changed {
                        s["pools"] = pools_for(v2.range, split.as_ref());
                        ddish_mut(s)["range"] = json!({"start": v2.range.first().to_string(),
                                                       "end": v2.range.last().to_string()});
                    }
                    if let Some(g) = e2.gateway {
                        set_option(s, "routers", g.map(|g| g.to_string()));
                    }
                    if e2.dns.is_some() {
                        let d = (!v2.dns.is_empty()).then(|| join_ips(&v2.dns));
                        set_option(s, "domain-name-servers", d);
                    }
                    if let Some(d) = &e2.domain {
                        set_option(s, "domain-name", Some(d.clone()).filter(|d| !d.is_empty()));
                    }
                    if let Some(t) = e2.lease_time {
                        set_lease_time(s, t);
                    }
                    if let Some(t) = &e2.title {
                        set_text(s, "title", Some(t));
                    }
                    if let Some(d) = &e2.description {
                        set_text(s, "description", Some(d));
                    }
                    if let Some(r) = &e2.relay {
                        if r.is_empty() {
                            if let Some(o) = s.as_object_mut() {
                                o.remove("relay");
                            }
                        } else {
                            s["relay"] = json!({"ip-addresses":
                                r.iter().map(|x| x.to_string()).collect::<Vec<_>>()});
                        }
                    }
                    if let Some(a) = e2.active {
                        set_active(s, a);
                    }
                    for n in &e2.remove_options {
                        set_option(s, n, None);
                    }
                    for (n, d) in &e2.set_options {
                        set_option(s, n.trim(), Some(d.clone()));
                    }
                    Ok(())
                },
            )
            .await?;
        out.warnings.extend(warnings);
        Ok(out)
    }

    /// Activates (`active`) or deactivates a scope on every peer. An inactive scope stays
    /// configured but Kea selects it for no client (KEA_FACTS §6).
    pub async fn set_scope_active(
        &self,
        server: &str,
        cidr: Ipv4Net,
        active: bool,
    ) -> Result<ActionOutcome, OpError> {
        self.set_scopes_active(server, &[cidr], active).await
    }

    /// [`Session::set_scope_active`] for many scopes of one server in one write (one
    /// config-set per peer, so the HA pair restarts its service once).
    pub async fn set_scopes_active(
        &self,
        server: &str,
        cidrs: &[Ipv4Net],
        active: bool,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing(server, Need::Admin, "scope activate/deactivate")
            .await?;
        if cidrs.is_empty() {
            return Err(refused("no scope given"));
        }
        let ids = self.scope_ids(server, cidrs).await?;
        let peers = self.peers(server).await?;
        let names = list(cidrs);
        let mut out = self
            .layout_write(
                server,
                &peers,
                &ids.clone(),
                if active {
                    "scope-activate"
                } else {
                    "scope-deactivate"
                },
                None,
                json!({"active": active, "scopes": names}),
                format!(
                    "{} {names} {}",
                    if cidrs.len() == 1 { "scope" } else { "scopes" },
                    if active {
                        "activated"
                    } else {
                        "deactivated: they allocate nothing"
                    }
                ),
                move |cfg| {
                    for id in &ids {
                        set_active(subnet_mut(cfg, *id)?, active);
                    }
                    Ok(())
                },
            )
            .await?;
        if cidrs.len() == 1 {
            out.summary = out.summary.replace("they allocate", "it allocates");
        }
        Ok(out)
    }

    /// How many leases (stat-lease4-get) and reservations the scope has.
    pub async fn scope_holdings(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ScopeHoldings, OpError> {
        let (s, id) = self.raw_scope(server, &cidr).await?;
        let c = self.client(server)?;
        let stats = c.stat_lease4_get().await.unwrap_or_default();
        let leases = stats.get(&id).map(|s| s.assigned + s.declined).unwrap_or(0);
        let all = s["reservations"].as_array().map_or(0, Vec::len);
        // Where the subnet was read by commands, its reservations are every source's.
        // A count that fails must not stop a delete: all are then counted as the config's.
        let in_memory = if crate::kea::reads_by_commands(&*self.commands(server).await?) {
            crate::kea::subnet_hosts_in_memory(&c, id)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!("{server}: reservations in memory not counted: {e}");
                    all
                })
        } else {
            all
        };
        Ok(ScopeHoldings {
            leases,
            reservations: in_memory.min(all),
            in_database: all.saturating_sub(in_memory),
        })
    }

    /// Deletes a scope from every peer (and from its network's list). Without `confirmed`
    /// it asks, saying how many leases and reservations go with it.
    pub async fn delete_scope(
        &self,
        server: &str,
        cidr: Ipv4Net,
        confirmed: bool,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope delete").await?;
        let h = self.scope_holdings(server, cidr).await?;
        if !confirmed {
            return Err(OpError::NeedsConfirmation(format!(
                "delete scope {cidr} on {server} with its {} lease(s) and {} reservation(s)?{}",
                h.leases,
                h.reservations,
                if h.in_database > 0 {
                    format!(" ({} more in the hosts database stay there)", h.in_database)
                } else {
                    String::new()
                }
            )));
        }
        let (_, id) = self.raw_scope(server, &cidr).await?;
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "scope-delete",
            Some(cidr),
            json!({"id": id, "leases": h.leases, "reservations": h.reservations,
                   "database_reservations_kept": h.in_database}),
            format!("scope {cidr} deleted {}", h.gone_with("it")),
            move |cfg| {
                let d = cfg.get_mut("Dhcp4").ok_or("no Dhcp4 object")?;
                let is_it = |s: &Value| s["id"].as_u64() == Some(u64::from(id));
                let mut found = false;
                if let Some(l) = d["subnet4"].as_array_mut() {
                    let n = l.len();
                    l.retain(|s| !is_it(s));
                    found |= l.len() != n;
                }
                if let Some(nets) = d["shared-networks"].as_array_mut() {
                    for net in nets {
                        if let Some(l) = net["subnet4"].as_array_mut() {
                            let n = l.len();
                            l.retain(|s| !is_it(s));
                            found |= l.len() != n;
                        }
                    }
                }
                if !found {
                    return Err(format!("subnet id {id} is no longer on the server: reload"));
                }
                unlist_scope(cfg, &cidr)?;
                Ok(())
            },
        )
        .await
    }

    /// [`Session::delete_scope`] for many scopes of one server, confirmed: ONE config edit
    /// on the server and its HA peers removes them all (so the pair restarts its service
    /// once, and either every scope goes or none does). Each scope gets its own journal
    /// entry, with the leases and reservations that went with it.
    pub async fn delete_scopes(
        &self,
        server: &str,
        cidrs: &[Ipv4Net],
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope delete").await?;
        if cidrs.is_empty() {
            return Err(refused("no scope given"));
        }
        let mut gone = Vec::with_capacity(cidrs.len());
        for c in cidrs {
            let h = self.scope_holdings(server, *c).await?;
            let (_, id) = self.raw_scope(server, c).await?;
            gone.push((*c, id, h));
        }
        let peers = self.peers(server).await?;
        let ids: Vec<u32> = gone.iter().map(|g| g.1).collect();
        let nets: Vec<Ipv4Net> = cidrs.to_vec();
        let edit = move |cfg: &mut Value| -> Result<(), String> {
            let d = cfg.get_mut("Dhcp4").ok_or("no Dhcp4 object")?;
            let mut found = vec![false; ids.len()];
            let mut drop_from = |l: &mut Vec<Value>| {
                l.retain(|s| {
                    let hit = ids
                        .iter()
                        .position(|id| s["id"].as_u64() == Some(u64::from(*id)));
                    if let Some(i) = hit {
                        found[i] = true;
                    }
                    hit.is_none()
                })
            };
            if let Some(l) = d["subnet4"].as_array_mut() {
                drop_from(l);
            }
            if let Some(nets) = d["shared-networks"].as_array_mut() {
                for net in nets {
                    if let Some(l) = net["subnet4"].as_array_mut() {
                        drop_from(l);
                    }
                }
            }
            if let Some(i) = found.iter().position(|f| !f) {
                return Err(format!(
                    "scope {} (subnet id {}) is no longer on the server: reload",
                    nets[i], ids[i]
                ));
            }
            for n in &nets {
                unlist_scope(cfg, n)?;
            }
            Ok(())
        };
        let entry = |c: &Ipv4Net, id: u32, h: &ScopeHoldings| {
            let mut e = Entry::new(server, "scope-delete")
                .after(json!({"id": id, "leases": h.leases, "reservations": h.reservations}))
                .result("ok");
            e.scope = Some(c.to_string());
            e
        };
        let reach = crate::kea::Reach::Subnets(Vec::new());
        match self.edit_everywhere(server, &peers, &reach, edit).await {
            Ok(done) => {
                let mut warnings = Vec::new();
                for (c, id, h) in &gone {
                    self.record(entry(c, *id, h), &mut warnings);
                }
                warnings.dedup();
                let leases: u64 = gone.iter().map(|g| g.2.leases).sum();
                let all = ScopeHoldings {
                    leases,
                    reservations: gone.iter().map(|g| g.2.reservations).sum(),
                    in_database: gone.iter().map(|g| g.2.in_database).sum(),
                };
                Ok(ActionOutcome {
                    server: server.to_string(),
                    peers: done,
                    ip: None,
                    summary: format!(
                        "{} {} deleted {}",
                        if cidrs.len() == 1 { "scope" } else { "scopes" },
                        list(cidrs),
                        all.gone_with(if cidrs.len() == 1 { "it" } else { "them" }),
                    ),
                    warnings,
                    view: None,
                })
            }
            Err(e) => {
                for (c, id, h) in &gone {
                    self.record_failure(entry(c, *id, h), &e);
                }
                Err(e)
            }
        }
    }

    /// Copies a scope's properties onto `to_cidr` (same server, same prefix length: range,
    /// gateway and pools move along) or onto `to_server` (same CIDR). Reservations are not
    /// copied (they belong to clients of the original scope).
    pub async fn duplicate_scope(
        &self,
        server: &str,
        cidr: Ipv4Net,
        to_cidr: Option<Ipv4Net>,
        to_server: Option<&str>,
    ) -> Result<ActionOutcome, OpError> {
        let target = to_server.unwrap_or(server);
        let lock = self.writing(target, Need::Admin, "scope duplicate").await?;
        let new_cidr = to_cidr.unwrap_or(cidr).trunc();
        if target == server && new_cidr == cidr {
            return Err(refused(
                "duplicate onto another CIDR (--to-cidr) or another server (--to-server)",
            ));
        }
        if new_cidr.prefix_len() != cidr.prefix_len() {
            return Err(refused(format!(
                "{new_cidr} is a /{} and {cidr} a /{}: a copy keeps the size of the scope",
                new_cidr.prefix_len(),
                cidr.prefix_len()
            )));
        }
        let (src, _) = self.raw_scope(server, &cidr).await?;
        let def = crate::kea::parse_config(&json!({"Dhcp4": {"subnet4": [src.clone()]}}))?
            .scopes
            .into_iter()
            .next()
            .ok_or_else(|| refused(format!("scope {cidr} could not be read")))?;
        // Addresses move by the distance between the two subnets.
        let shift = |ip: Ipv4Addr| {
            Ipv4Addr::from(
                u32::from(ip) - u32::from(cidr.network()) + u32::from(new_cidr.network()),
            )
        };
        let range = Range::new(shift(def.range.first()), shift(def.range.last()))
            .ok_or_else(|| refused("the shifted range is empty"))?;
        let opt = |n: &str, code: u16| {
            def.options
                .iter()
                .find(|o| o.name.as_deref() == Some(n) || o.code == Some(code))
                .map(|o| o.data.clone())
        };
        let props = ScopeProps {
            start: Some(range.first()),
            end: Some(range.last()),
            gateway: def.gateway.filter(|g| cidr.contains(g)).map(shift),
            dns: opt("domain-name-servers", 6)
                .map(|d| d.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            domain: opt("domain-name", 15),
            lease_time: def.valid_lifetime,
            active: def.status.is_active(),
            title: def.title.clone(),
            description: def.description.clone(),
            relay: src["relay"]["ip-addresses"]
                .as_array()
                .map(|l| l.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
                .unwrap_or_default(),
        };
        let (raw, nets) = self.layout_base(target).await?;
        let home = nets
            .iter()
            .filter(|n| n.kind == NetworkKind::Network && n.cidr.contains(&new_cidr))
            .max_by_key(|n| n.cidr.prefix_len())
            .map(|n| n.cidr);
        let mut out = self
            .create_scope_in(target, &raw, new_cidr, home, &props, "scope-duplicate")
            .await?;
        // Other options (not routers/DNS/domain) go along as they are.
        let others: Vec<(String, String)> = def
            .options
            .iter()
            .filter(|o| !matches!(o.code, Some(3 | 6 | 15)))
            .filter_map(|o| Some((o.name.clone()?, o.data.clone())))
            .filter(|(n, _)| {
                !matches!(
                    n.as_str(),
                    "routers" | "domain-name-servers" | "domain-name"
                )
            })
            .collect();
        if !others.is_empty() {
            let e = ScopeEdit {
                set_options: others,
                ..Default::default()
            };
            // edit_scope takes the same locks (a second flock in one process waits too).
            drop(lock);
            self.edit_scope(target, new_cidr, &e).await.map_err(|err| {
                refused(format!(
                    "{new_cidr} was created on {target}, but its other options were not copied: {err}"
                ))
            })?;
        }
        if !def.reservations.is_empty() {
            out.warnings.push(format!(
                "{} reservation(s) of {cidr} were not copied",
                def.reservations.len()
            ));
        }
        out.summary = format!(
            "{cidr} on {server} copied to {new_cidr} on {target}: {}",
            out.summary
        );
        Ok(out)
    }

    /// Re-creates a scope a network lists but the server lacks, with defaults (the whole
    /// subnet as range, active, the server's lease time).
    pub async fn recreate_scope(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope recreate").await?;
        let (raw, nets) = self.layout_base(server).await?;
        let net = listing_network(&nets, &cidr)?;
        let props = ScopeProps {
            active: true,
            ..Default::default()
        };
        self.create_scope_in(server, &raw, cidr, Some(net), &props, "scope-recreate")
            .await
    }

    /// Drops a missing scope from its network's list.
    pub async fn forget_scope(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "scope forget").await?;
        let (raw, nets) = self.layout_base(server).await?;
        listing_network(&nets, &cidr)?;
        if all_subnets(&raw)
            .iter()
            .any(|s| subnet_cidr(s) == Some(cidr))
        {
            return Err(refused(format!(
                "{cidr} is on the server: delete the scope instead of forgetting it"
            )));
        }
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "scope-forget",
            Some(cidr),
            json!({"forgotten": cidr.to_string()}),
            format!("missing scope {cidr} forgotten"),
            move |cfg| {
                unlist_scope(cfg, &cidr)?;
                Ok(())
            },
        )
        .await
    }
}

/// The network listing `cidr` as a scope.
fn listing_network(nets: &[NetworkDef], cidr: &Ipv4Net) -> Result<Ipv4Net, OpError> {
    nets.iter()
        .find(|n| n.scopes.contains(cidr))
        .map(|n| n.cidr)
        .ok_or_else(|| {
            OpError::NotFound(format!("no network on this server lists the scope {cidr}"))
        })
}

/// The scopes a network holds: those it lists and the server's subnets inside it.
fn scopes_held(raw: &Value, n: &NetworkDef) -> Vec<Ipv4Net> {
    let mut out = n.scopes.clone();
    for c in all_subnets(raw).iter().filter_map(|s| subnet_cidr(s)) {
        if n.cidr.contains(&c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(Ipv4Net::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
