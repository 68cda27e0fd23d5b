//! Scopes: create, edit, activate and deactivate.

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::config::Role;
use crate::kea::marks::*;
use crate::kea::subnet_json::*;
use crate::kea::KeaClient;
use crate::model::NetworkKind;
use crate::ops::actions::{subnet_mut, ActionOutcome};
use crate::ops::{OpError, Session};

use super::rules::*;
use super::*;

impl Session {
    // ---- scopes ----

    /// A subnet id free on every peer: the largest id over all of them, plus one. `raw` is
    /// `server`'s outline, read a moment ago; only the other peers are read. (An id taken
    /// meanwhile is caught before sending: the write refuses a subnet id used twice.)
    pub(super) async fn free_subnet_id(
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
        let _lock = self.writing(server, Role::Admin, "scope create").await?;
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
    pub(super) async fn create_scope_in(
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
                    return Err(format!("{cidr} overlaps {} here", list(&clash)).into());
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
    pub(super) async fn raw_scope(
        &self,
        server: &str,
        cidr: &Ipv4Net,
    ) -> Result<(Value, u32), OpError> {
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
    pub(super) async fn scope_ids(
        &self,
        server: &str,
        cidrs: &[Ipv4Net],
    ) -> Result<Vec<u32>, OpError> {
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
        let _lock = self.writing(server, Role::Admin, "scope edit").await?;
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
            .writing(server, Role::Admin, "scope activate/deactivate")
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
}
