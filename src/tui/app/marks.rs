//! Marks (Space) on scopes and servers and what runs on them: bulk changes (form ->
//! preview -> confirm -> outcome) and activating, deactivating or deleting the marked scopes
//! (preview per server, then one job per server).

use ipnet::Ipv4Net;

use crate::model::ScopeStatus;
use crate::ops::bulk::Target as BulkTarget;

use crate::ops::bulk::{ServerOutcome, ServerPreview};
use crate::tui::actions::{BulkKind, Command, Modal, Pending, ScopesOp, Step};
use crate::tui::app::{App, BulkResult, Request, RequestKind, StatusKind, Target};
use crate::tui::views::{find_node, View};

use super::layout_flow::*;

impl App {
    /// Space: marks or unmarks the scope (or every scope of the network) under the cursor,
    /// or the server on the Servers tab.
    pub(super) fn toggle_mark(&mut self) {
        if self.active == 0 {
            let vis = self.fleet.visible();
            if let Some(i) = vis.get(self.fleet.list.cursor) {
                let name = self.fleet.rows[*i].name.clone();
                if !self.server_marks.remove(&name) {
                    self.server_marks.insert(name);
                }
            }
            return;
        }
        let Some((data, sel)) = self.selected() else {
            return;
        };
        let server = data.name.clone();
        let cidrs: Vec<Ipv4Net> = match sel {
            Selected::Scope(d) if d.status == ScopeStatus::Missing => {
                let msg = format!(
                    "{} is missing on {server}: nothing to change on it (a re-creates or forgets it)",
                    d.cidr
                );
                self.set_status(StatusKind::Error, msg);
                return;
            }
            Selected::Scope(d) => vec![d.cidr],
            _ => {
                // A network, container or group: all of its scopes at once (in a network
                // view: the network's).
                let Some(t) = self.tab() else { return };
                let rows = t.tree.rows(&data.tree);
                let node = match t.stack.last() {
                    Some(View::Network(n)) => find_node(&data.tree.roots, &n.key),
                    _ => rows.get(t.tree.list.cursor).map(|r| r.node),
                };
                let Some(node) = node else {
                    return;
                };
                data.tree
                    .scopes_under(node)
                    .into_iter()
                    .map(|i| &data.tree.scopes[i].def)
                    .filter(|d| d.status != ScopeStatus::Missing)
                    .map(|d| d.cidr)
                    .collect()
            }
        };
        let all = cidrs
            .iter()
            .all(|c| self.marks.contains(&(server.clone(), *c)));
        for c in cidrs {
            let k = (server.clone(), c);
            if all {
                self.marks.remove(&k);
            } else {
                self.marks.insert(k);
            }
        }
    }

    /// `B`: the menu of bulk changes for the marked scopes or servers.
    pub(super) fn open_bulk(&mut self) {
        let servers = self.active == 0;
        let target = if servers {
            if self.server_marks.is_empty() {
                self.set_status(
                    StatusKind::Error,
                    "no server marked: Space marks servers on this tab",
                );
                return;
            }
            // Config order, as the Servers tab lists them.
            let names = self
                .fleet
                .rows
                .iter()
                .filter(|r| self.server_marks.contains(&r.name))
                .map(|r| r.name.clone())
                .collect::<Vec<_>>();
            format!("{} marked server(s): {}", names.len(), names.join(", "))
        } else {
            if self.marks.is_empty() {
                self.set_status(
                    StatusKind::Error,
                    "no scope marked: Space marks scopes in the tree or a network (on any server tab)",
                );
                return;
            }
            let (n, s) = self.mark_counts();
            format!("{n} marked scope(s) on {s} server(s)")
        };
        let mut items: Vec<Step> = BulkKind::offered(servers)
            .into_iter()
            .map(Step::Bulk)
            .collect();
        if !servers {
            items.extend(
                [ScopesOp::Activate, ScopesOp::Deactivate, ScopesOp::Delete].map(Step::Scopes),
            );
        }
        self.choose(format!("Bulk change · {target}"), items);
    }

    /// (marked scopes, servers they are on).
    pub fn mark_counts(&self) -> (usize, usize) {
        let mut servers: Vec<&str> = self.marks.iter().map(|(s, _)| s.as_str()).collect();
        servers.dedup();
        (self.marks.len(), servers.len())
    }

    pub(super) fn bulk_target(&self, servers: bool) -> BulkTarget {
        if servers {
            BulkTarget::Servers(
                self.fleet
                    .rows
                    .iter()
                    .filter(|r| self.server_marks.contains(&r.name))
                    .map(|r| r.name.clone())
                    .collect(),
            )
        } else {
            BulkTarget::Scopes(self.marks.iter().cloned().collect())
        }
    }

    /// Activate, deactivate or delete the marked scopes: refused without the admin role
    /// on every server involved, else their preview (read from the servers) opens.
    pub(super) fn open_scopes_preview(&mut self, op: ScopesOp) -> Vec<Request> {
        let scopes: Vec<(String, Ipv4Net)> = self.marks.iter().cloned().collect();
        if scopes.is_empty() {
            self.set_status(StatusKind::Error, "no scope marked: Space marks scopes");
            return Vec::new();
        }
        let mut lacking: Vec<&str> = scopes
            .iter()
            .map(|(s, _)| s.as_str())
            .filter(|s| !self.rights_for(s).allows(crate::config::Role::Admin))
            .collect();
        lacking.dedup();
        if !lacking.is_empty() {
            let text = format!(
                "{} scopes needs the admin role on every server involved, and you are not \
                 admin on {} (config `role = \"admin\"`, and no --read-only): nothing was \
                 changed; unmark its scopes (Space) to go on with the others",
                op.doing(),
                lacking.join(", ")
            );
            return self.refuse(super::capitalize(&text));
        }
        self.layer.push(Modal::ScopesPreview {
            op,
            scopes: scopes.clone(),
            rows: None,
            scroll: 0,
        });
        self.send_bulk(Command::ScopesPreview { op, scopes })
    }

    /// `y` on that preview: one job per server that can take it; the others are in the
    /// outcome table as failed with their reason.
    pub(super) fn apply_scopes(
        &mut self,
        op: ScopesOp,
        scopes: Vec<(String, Ipv4Net)>,
        rows: &[ServerPreview],
    ) -> Vec<Request> {
        let mut servers: Vec<(String, Vec<Ipv4Net>)> = Vec::new();
        for (s, c) in scopes {
            match servers.iter_mut().find(|(n, _)| *n == s) {
                Some((_, v)) => v.push(c),
                None => servers.push((s, vec![c])),
            }
        }
        self.layer.clear();
        self.layer.push(Modal::Outcome {
            title: format!("Outcome · {} the marked scopes", op.doing()),
            rows: None,
            scroll: 0,
        });
        self.scopes_done.clear();
        self.scopes_waiting.clear();
        let mut out = Vec::new();
        for (server, cidrs) in servers {
            let why = rows
                .iter()
                .find(|p| p.server == server)
                .and_then(|p| p.error.clone());
            if let Some(e) = why {
                self.scopes_done.push(ServerOutcome {
                    server,
                    peers: Vec::new(),
                    result: Err(format!("not sent: {e}")),
                });
                continue;
            }
            let (id, gen) = self.ids();
            self.scopes_waiting
                .push((id, server.clone(), op, cidrs.clone()));
            out.push(Request {
                id,
                gen,
                target: Target::Bulk,
                kind: RequestKind::Action(Command::ScopesApply { server, op, cidrs }),
                baseline: None,
            });
        }
        self.set_status(
            StatusKind::Busy,
            format!(
                "{} the marked scopes on {} server(s)…",
                op.doing(),
                out.len()
            ),
        );
        out
    }

    /// One server's answer to `apply_scopes`: marks of deleted scopes go, its tree (and
    /// its peers') reloads; the table fills once every server has answered.
    pub(super) fn on_scopes_applied(
        &mut self,
        id: u64,
        res: Result<BulkResult, String>,
    ) -> Vec<Request> {
        let Some(i) = self.scopes_waiting.iter().position(|w| w.0 == id) else {
            return Vec::new();
        };
        let (_, server, op, cidrs) = self.scopes_waiting.remove(i);
        let row = match res {
            Ok(BulkResult::Outcome(mut rows)) if !rows.is_empty() => rows.remove(0),
            Ok(_) => ServerOutcome {
                server: server.clone(),
                peers: Vec::new(),
                result: Err("internal error: no outcome came back; r reloads to see".into()),
            },
            Err(e) => ServerOutcome {
                server: server.clone(),
                peers: Vec::new(),
                result: Err(e),
            },
        };
        let mut out = Vec::new();
        if row.result.is_ok() {
            if op == ScopesOp::Delete {
                for c in &cidrs {
                    self.marks.remove(&(server.clone(), *c));
                }
            }
            let mut seen: Vec<String> = Vec::new();
            for s in std::iter::once(server.clone()).chain(row.peers.clone()) {
                if !seen.contains(&s) {
                    out.extend(self.reload_tab(&s));
                    seen.push(s);
                }
            }
        }
        self.scopes_done.push(row);
        if !self.scopes_waiting.is_empty() {
            let msg = format!(
                "{} the marked scopes: {} server(s) still to answer…",
                op.doing(),
                self.scopes_waiting.len()
            );
            self.set_status(StatusKind::Busy, msg);
            return out;
        }
        // Server-name order (as the marks sort), whatever order the answers came in.
        let mut rows = std::mem::take(&mut self.scopes_done);
        rows.sort_by(|a, b| a.server.cmp(&b.server));
        let failed = rows.iter().filter(|r| r.result.is_err()).count();
        if failed == 0 {
            self.set_status(
                StatusKind::Info,
                format!("{}: done on {} server(s)", op.label(), rows.len()),
            );
        } else {
            self.set_status(
                StatusKind::Error,
                format!(
                    "{failed} of {} server(s) failed: see the outcome table",
                    rows.len()
                ),
            );
        }
        match self
            .layer
            .iter_mut()
            .rev()
            .find(|m| matches!(m, Modal::Outcome { .. }))
        {
            Some(Modal::Outcome { rows: slot, .. }) => *slot = Some(rows),
            _ => tracing::debug!("scope outcome for a closed popup"),
        }
        out
    }

    /// Sends a many-server job (preview, apply, class listing).
    pub(super) fn send_bulk(&mut self, job: Command) -> Vec<Request> {
        let (id, gen) = self.ids();
        let msg = format!("{}…", job.doing());
        self.set_status(StatusKind::Busy, msg);
        if !job.is_read() {
            self.layer_pending = Some(Pending {
                id,
                job: job.clone(),
            });
        }
        vec![Request {
            id,
            gen,
            target: Target::Bulk,
            kind: RequestKind::Action(job),
            baseline: None,
        }]
    }

    /// A preview, an outcome or a class listing arrived.
    pub(super) fn on_bulk(&mut self, id: u64, res: Result<BulkResult, String>) -> Vec<Request> {
        if self.scopes_waiting.iter().any(|w| w.0 == id) {
            return self.on_scopes_applied(id, res);
        }
        let applied = match self.layer_pending.take() {
            Some(p) if p.id == id => true,
            other => {
                self.layer_pending = other;
                false
            }
        };
        let mut out = Vec::new();
        match res {
            Ok(BulkResult::Preview(rows)) => {
                let errors = rows.iter().filter(|r| r.error.is_some()).count();
                let warns = rows.iter().map(|r| r.warnings.len()).sum::<usize>();
                if let Some(
                    Modal::Preview { rows: slot, .. } | Modal::ScopesPreview { rows: slot, .. },
                ) = self.layer.last_mut()
                {
                    *slot = Some(Ok(rows));
                    let mut msg = "preview ready: y applies, n cancels".to_string();
                    if errors > 0 {
                        msg = format!("{msg} · {errors} server(s) cannot take it");
                    }
                    if warns > 0 {
                        msg = format!("{msg} · ⚠ {warns} warning(s): read them first");
                    }
                    let kind = if errors + warns > 0 {
                        StatusKind::Warn
                    } else {
                        StatusKind::Info
                    };
                    self.set_status(kind, msg);
                } else {
                    tracing::debug!("preview for a closed popup dropped");
                }
            }
            Ok(BulkResult::Outcome(rows)) => {
                let failed = rows.iter().filter(|r| r.result.is_err()).count();
                let (kind, msg) = if failed == 0 {
                    (
                        StatusKind::Info,
                        format!("applied on {} server(s)", rows.len()),
                    )
                } else {
                    (
                        StatusKind::Error,
                        format!(
                            "{failed} of {} server(s) failed: see the outcome table",
                            rows.len()
                        ),
                    )
                };
                self.set_status(kind, msg);
                let servers: Vec<String> = rows
                    .iter()
                    .flat_map(|r| std::iter::once(r.server.clone()).chain(r.peers.clone()))
                    .collect();
                match self
                    .layer
                    .iter_mut()
                    .rev()
                    .find(|m| matches!(m, Modal::Outcome { .. }))
                {
                    Some(Modal::Outcome { rows: slot, .. }) => *slot = Some(rows),
                    _ => tracing::debug!(applied, "outcome for a closed popup"),
                }
                // The trees of the servers written show the change.
                let mut seen = Vec::new();
                for s in servers {
                    if !seen.contains(&s) {
                        out.extend(self.reload_tab(&s));
                        seen.push(s);
                    }
                }
            }
            Ok(BulkResult::Classes(rows)) => {
                if let Some(Modal::Classes { rows: slot, .. }) = self.layer.last_mut() {
                    *slot = Some(Ok(rows));
                }
                self.status = None;
            }
            Err(e) => {
                self.set_status(StatusKind::Error, e.clone());
                // An outcome still waiting gives way to the reason.
                if matches!(self.layer.last(), Some(Modal::Outcome { rows: None, .. })) {
                    self.layer.pop();
                }
                match self.layer.last_mut() {
                    Some(Modal::Preview { rows, .. } | Modal::ScopesPreview { rows, .. }) => {
                        *rows = Some(Err(e))
                    }
                    Some(Modal::Classes { rows, .. }) => *rows = Some(Err(e)),
                    _ => self.layer.push(Modal::Message {
                        title: "Bulk change".into(),
                        text: e,
                        error: true,
                        scroll: 0,
                    }),
                }
            }
        }
        out
    }
}
