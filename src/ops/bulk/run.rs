//! Preview and apply: fresh config-gets per server, then one safe write per server.
use std::net::Ipv4Addr;

use futures_util::future::join_all;
use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::audit::Entry;

use crate::config::Role;
use crate::ops::{OpError, Session};

use super::*;

impl Session {
    /// What the change would do on each server, from fresh config-gets; writes nothing.
    pub async fn bulk_preview(&self, change: &BulkChange) -> Vec<ServerPreview> {
        let groups = change.groups();
        join_all(groups.iter().map(|(server, scopes)| async move {
            let r = async {
                let mut raw = self.client(server)?.config_get_raw().await?;
                let base = raw.clone();
                let mut lines =
                    edit::edit(&mut raw, scopes.as_deref(), &change.op).map_err(OpError::from)?;
                let peers = self.peers(server).await?;
                let warnings = match (&change.op, scopes) {
                    (BulkOp::Exclude(a, b), Some(marked)) => {
                        leased_inside(&base, &peers, marked, *a, *b).await?
                    }
                    _ => Vec::new(),
                };
                let others: Vec<String> = peers
                    .into_iter()
                    .map(|(n, _)| n)
                    .filter(|n| n != server)
                    .collect();
                if !lines.is_empty() && !others.is_empty() {
                    lines.push(format!(
                        "(the same change on its HA peer {})",
                        others.join(", ")
                    ));
                }
                Ok::<_, OpError>((lines, warnings))
            }
            .await;
            match r {
                Ok((changes, warnings)) => ServerPreview {
                    server: server.clone(),
                    changes,
                    error: None,
                    warnings,
                },
                Err(e) => ServerPreview {
                    server: server.clone(),
                    changes: Vec::new(),
                    error: Some(e.to_string()),
                    warnings: Vec::new(),
                },
            }
        }))
        .await
    }

    /// Applies the change: one safe write per server (all its marked scopes in one
    /// config-set; its HA peers get the same edit), servers concurrently. A server whose
    /// HA peer is also marked is written once, with both servers' scopes.
    pub async fn bulk_apply(&self, change: &BulkChange) -> Vec<ServerOutcome> {
        let groups = change.groups();
        // HA peers of each marked server, to write a pair once.
        let peer_lists = join_all(groups.iter().map(|(s, _)| async move {
            self.may(s, Role::Admin)?;
            self.peers(s).await
        }))
        .await;
        // Each marked server ends as its own write (a job), a failure before writing, or
        // a row pointing at the job of its HA peer that wrote it.
        enum Slot {
            Failed(String),
            Job(usize),
            WithPeer(usize),
        }
        let mut slots: Vec<(String, Slot)> = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        for ((server, scopes), peers) in groups.into_iter().zip(peer_lists) {
            let peers = match peers {
                Ok(p) => p,
                Err(e) => {
                    slots.push((server, Slot::Failed(e.to_string())));
                    continue;
                }
            };
            let joined = jobs
                .iter()
                .position(|(_, _, p)| p.iter().any(|(n, _)| n == &server));
            match joined {
                Some(j) => {
                    // The peer's server-level change covers this one; scopes are added.
                    if let Some(l) = jobs[j].1.as_mut() {
                        for c in scopes.into_iter().flatten() {
                            if !l.contains(&c) {
                                l.push(c);
                            }
                        }
                    }
                    slots.push((server, Slot::WithPeer(j)));
                }
                None => {
                    slots.push((server.clone(), Slot::Job(jobs.len())));
                    jobs.push((server, scopes, peers));
                }
            }
        }
        let done = join_all(jobs.iter().map(|(server, scopes, peers)| {
            self.bulk_one(server, scopes.as_deref(), peers, &change.op)
        }))
        .await;
        slots
            .into_iter()
            .map(|(server, slot)| match slot {
                Slot::Failed(e) => ServerOutcome {
                    server,
                    peers: Vec::new(),
                    result: Err(e),
                },
                Slot::Job(j) => done[j].clone(),
                Slot::WithPeer(j) => {
                    let by = &done[j];
                    ServerOutcome {
                        server,
                        peers: by.peers.clone(),
                        result: match &by.result {
                            Ok(_) => Ok(format!("written with its HA peer {}", by.server)),
                            Err(_) => Err(format!(
                                "not changed: written with its HA peer {}, which failed",
                                by.server
                            )),
                        },
                    }
                }
            })
            .collect()
    }

    async fn bulk_one(
        &self,
        server: &str,
        scopes: Option<&[Ipv4Net]>,
        peers: &[(String, crate::kea::KeaClient)],
        op: &BulkOp,
    ) -> ServerOutcome {
        let names: Vec<&str> = peers.iter().map(|(n, _)| n.as_str()).collect();
        let _lock = match self.lock_servers(&names, "bulk change").await {
            Ok(l) => l,
            Err(e) => {
                return ServerOutcome {
                    server: server.to_string(),
                    peers: Vec::new(),
                    result: Err(e.to_string()),
                }
            }
        };
        let mut entry = Entry::new(server, op.action());
        entry.before = Some(json!({
            "scopes": scopes.map(|s| s.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
            "operation": op.describe(),
        }));
        // What would change, from the server's current config: nothing to do is no write.
        let planned = async {
            let c = self.client(server)?;
            let mut raw = c.config_get_raw().await?;
            edit::edit(&mut raw, scopes, op).map_err(OpError::from)
        }
        .await;
        let lines = match planned {
            Ok(l) => l,
            Err(e) => {
                self.record_failure(entry, &e);
                return ServerOutcome {
                    server: server.to_string(),
                    peers: Vec::new(),
                    result: Err(e.to_string()),
                };
            }
        };
        if lines.is_empty() {
            return ServerOutcome {
                server: server.to_string(),
                peers: Vec::new(),
                result: Ok("nothing to change".into()),
            };
        }
        let result = self
            .edit_everywhere(server, peers, &crate::kea::Reach::Whole, |cfg| {
                edit::edit(cfg, scopes, op).map(|_| ())
            })
            .await;
        entry.after = Some(json!({"changes": lines}));
        match result {
            Ok(done) => {
                let mut warnings = Vec::new();
                self.record(entry, &mut warnings);
                let mut summary = format!(
                    "{} change{}",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" }
                );
                if done.len() > 1 {
                    summary.push_str(&format!(" (written on {})", done.join(", ")));
                }
                for w in warnings {
                    summary.push_str(&format!("; warning: {w}"));
                }
                ServerOutcome {
                    server: server.to_string(),
                    peers: done,
                    result: Ok(summary),
                }
            }
            Err(e) => {
                self.record_failure(entry, &e);
                ServerOutcome {
                    server: server.to_string(),
                    peers: Vec::new(),
                    result: Err(e.to_string()),
                }
            }
        }
    }
}

/// Addresses of `start`-`end` still leased in each marked scope, on the server or one of
/// its HA peers: an exclusion stops DHCP from handing them out again, but each lease runs
/// until it expires. One warning per scope that has any.
async fn leased_inside(
    raw: &Value,
    peers: &[(String, crate::kea::KeaClient)],
    marked: &[Ipv4Net],
    start: Ipv4Addr,
    end: Ipv4Addr,
) -> Result<Vec<String>, OpError> {
    let (a, b) = (u32::from(start), u32::from(end));
    let defs = crate::kea::parse_config(raw)?.scopes;
    let now = crate::ops::now();
    let mut out = Vec::new();
    for cidr in marked {
        let Some(def) = defs.iter().find(|d| d.cidr == *cidr) else {
            continue;
        };
        let mut leased: Vec<Ipv4Addr> = Vec::new();
        for (_, c) in peers {
            for l in c.lease4_get_all(def.id).await? {
                let n = u32::from(l.ip);
                if (a..=b).contains(&n) && !l.is_expired(now) {
                    leased.push(l.ip);
                }
            }
        }
        leased.sort();
        leased.dedup();
        if let Some(first) = leased.first() {
            out.push(format!(
                "{cidr}: {} leased address{} in {start}-{end} (first {first}): excluding stops \
                 DHCP from handing them out again, but each lease runs until it expires",
                leased.len(),
                if leased.len() == 1 { "" } else { "es" },
            ));
        }
    }
    Ok(out)
}
