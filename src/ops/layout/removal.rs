//! What a scope holds, and its removal: delete, duplicate, re-create or forget a missing one.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::audit::Entry;
use crate::config::Role;
use crate::kea::marks::*;
use crate::kea::subnet_json::*;
use crate::model::{NetworkKind, Range};
use crate::ops::actions::ActionOutcome;
use crate::ops::{OpError, Session};

use super::rules::*;
use super::*;

impl Session {
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
        let _lock = self.writing(server, Role::Admin, "scope delete").await?;
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
                    return Err(crate::kea::EditRefused(format!(
                        "subnet id {id} is no longer on the server: reload"
                    )));
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
        let _lock = self.writing(server, Role::Admin, "scope delete").await?;
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
        let edit = move |cfg: &mut Value| -> Result<(), crate::kea::EditRefused> {
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
                return Err(crate::kea::EditRefused(format!(
                    "scope {} (subnet id {}) is no longer on the server: reload",
                    nets[i], ids[i]
                )));
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
        let lock = self.writing(target, Role::Admin, "scope duplicate").await?;
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
        let _lock = self.writing(server, Role::Admin, "scope recreate").await?;
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
        let _lock = self.writing(server, Role::Admin, "scope forget").await?;
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
