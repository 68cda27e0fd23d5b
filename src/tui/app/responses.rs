//! The worker's answers: server and scope loads, changes, screen jobs.
use std::sync::Arc;

use ipnet::Ipv4Net;

use crate::model::ScopeView;
use crate::ops::ServerData;
use crate::tui::actions::{Confirm, Done, Fail, Modal};
use crate::tui::views::Load;

use super::*;

impl App {
    // ----- responses -----

    pub(super) fn on_response(&mut self, r: Response) -> Vec<Request> {
        match (r.target, r.payload) {
            (Target::Screen { screen, label, .. }, Payload::Screen(res)) => {
                if self.screens.last().is_some_and(|s| s.id == screen) {
                    return self.with_screen(|s, app| s.on_result(&label, res, app));
                }
                tracing::debug!(screen, label = %label, "result for a closed screen dropped");
            }
            (Target::Fleet(name), Payload::Health(h)) => {
                match self.fleet.rows.iter_mut().find(|x| x.name == name) {
                    Some(row) if row.gen == r.gen => {
                        row.health = Some(*h);
                        row.checking = false;
                    }
                    _ => tracing::debug!(server = %name, gen = r.gen, "stale check dropped"),
                }
            }
            (Target::Server(name), Payload::Server(res)) => {
                self.next_id += 1;
                let stats_id = self.next_id;
                let Some(tab) = self.tabs.iter_mut().find(|t| t.name == name) else {
                    return Vec::new();
                };
                if tab.gen != r.gen {
                    tracing::debug!(server = %name, gen = r.gen, "stale server load dropped");
                    return Vec::new();
                }
                // The tree comes first; its utilization follows (`LoadStats`).
                let stats = match &res {
                    Ok(data) if data.has_command("stat-lease4-get") => Some(Request {
                        id: stats_id,
                        gen: r.gen,
                        target: Target::Server(name.clone()),
                        kind: RequestKind::LoadStats,
                        baseline: None,
                    }),
                    _ => None,
                };
                let mut unreadable = None;
                let mut count = None;
                match res {
                    Ok(data) => {
                        // The summary counts: on the first load, and after r (which clears
                        // them); not at every poll, which would keep Kea reading leases.
                        if tab.counts.is_none() {
                            count = Some(data.clone());
                        }
                        // Said once per change, not at every poll.
                        let before = tab.data.as_ref().map(|d| d.skipped.clone());
                        if before.as_ref() != Some(&data.skipped) {
                            unreadable = data.skipped_note();
                        }
                        apply_server(tab, data, self.now)
                    }
                    Err(e) => tab.load = Load::Failed(e),
                }
                if let Some(note) = unreadable {
                    self.warn(note);
                }
                let mut out = self.finish_jump(&name);
                out.extend(stats);
                if let Some(data) = count {
                    let all: Vec<&crate::model::tree::ScopeSummary> =
                        data.tree.scopes.iter().collect();
                    out.extend(self.count_request(name, counts::SERVER_KEY.into(), &all));
                }
                return out;
            }
            (Target::Server(name), Payload::Stats(res)) => {
                let now = self.now;
                let Some(tab) = self.tabs.iter_mut().find(|t| t.name == name) else {
                    return Vec::new();
                };
                let failed = match (&tab.data, res) {
                    (Some(data), Ok(stats)) if tab.gen == r.gen => {
                        let data = Arc::new(data.with_stats(&stats));
                        apply_server(tab, data, now);
                        None
                    }
                    (_, Err(e)) if tab.gen == r.gen => Some(e),
                    _ => {
                        tracing::debug!(server = %name, gen = r.gen, "stale stats dropped");
                        None
                    }
                };
                self.recount_from_stats(&name, failed.as_deref());
                if let Some(e) = failed {
                    self.set_status(
                        StatusKind::Error,
                        format!("{name}: lease counts not read ({e}); utilization unknown"),
                    );
                }
                return Vec::new();
            }
            (Target::Scope { server, .. }, Payload::Scope(res)) => {
                let now = self.now;
                let Some(s) = self
                    .tabs
                    .iter_mut()
                    .find(|t| t.name == server)
                    .and_then(|t| t.scope_by_gen(r.gen))
                else {
                    tracing::debug!(server = %server, gen = r.gen, "stale scope load dropped");
                    return Vec::new();
                };
                match res {
                    Ok(v) => {
                        let first = s.data.is_none();
                        s.def = v.def.clone();
                        s.label = s.def.label();
                        s.data = Some(v);
                        s.load = Load::Loaded;
                        s.loaded_at = Some(now);
                        s.refilter();
                        if first {
                            s.cursor_to_range_start();
                            if let Some(ip) = s.jump_ip.take() {
                                let net = u32::from(s.cidr.network());
                                let at = u32::from(ip).wrapping_sub(net) as usize;
                                if at < v_len(s) {
                                    s.cursor = at;
                                    s.popup = true;
                                }
                            }
                        }
                    }
                    Err(e) => s.load = Load::Failed(e),
                }
                // A jump opened the popup: its DNS names too.
                if let Some(ti) = self.scope_tab() {
                    return self.popup_dns_names(ti).into_iter().collect();
                }
            }
            (Target::Export, Payload::Exported(res)) => {
                if self.export_id != Some(r.id) {
                    // An older export finished after a newer one was asked for: still a
                    // file the user wants to know about.
                    tracing::info!(id = r.id, "earlier export finished");
                }
                self.status = Some(match res {
                    Ok(p) => Status {
                        text: format!("exported to {}", p.display()),
                        kind: StatusKind::Info,
                    },
                    Err(e) => Status {
                        text: format!("export failed: {e}"),
                        kind: StatusKind::Error,
                    },
                });
            }
            (Target::Scope { server, .. }, Payload::Reloaded(res)) => {
                self.on_reloaded(&server, r.gen, res)
            }
            (Target::Action { server, cidr }, Payload::Action(res)) => {
                self.wrote_to(&server, &res);
                return self.on_action_done(&server, cidr, r.id, res);
            }
            (Target::Layout { server }, Payload::EditBase(res)) => {
                return self.on_edit_base(&server, res);
            }
            (Target::Layout { server }, Payload::Action(res)) => {
                self.wrote_to(&server, &res);
                return self.on_layout_done(&server, r.id, res);
            }
            (Target::Bulk | Target::Layout { .. }, Payload::Bulk(res)) => {
                return self.on_bulk(r.id, res);
            }
            (Target::DnsNames { server, cidr }, Payload::Screen(res)) => {
                self.on_dns_names(&server, cidr, res);
            }
            (Target::Counts { server, key }, Payload::Screen(res)) => {
                self.on_counts(&server, &key, res);
            }
            (Target::Sweep { server, cidr }, Payload::Screen(res)) => {
                return self.on_sweep_step(&server, cidr, r.id, res);
            }
            (Target::Action { server, cidr }, Payload::Ping { ip, result }) => {
                let waits = |m: &Modal| matches!(m, Modal::Ping { ip: i, .. } if *i == ip);
                match self.answer_popup(&server, cidr, waits) {
                    Some(Modal::Ping { result: slot, .. }) => *slot = Some(result),
                    _ => tracing::debug!(%ip, "ping answer for a closed popup dropped"),
                }
            }
            (Target::Action { server, cidr }, Payload::History { ip, rows }) => {
                let waits = |m: &Modal| matches!(m, Modal::History { ip: i, .. } if *i == ip);
                if let Some(Modal::History { rows: slot, .. }) =
                    self.answer_popup(&server, cidr, waits)
                {
                    *slot = Some(rows);
                }
            }
            (t, _) => tracing::warn!(target = ?t, "response of the wrong kind dropped"),
        }
        Vec::new()
    }

    /// A fresh tree and scope after a change.
    pub(super) fn on_reloaded(
        &mut self,
        server: &str,
        gen: u64,
        res: Result<(Arc<ServerData>, Arc<ScopeView>), String>,
    ) {
        let now = self.now;
        let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return;
        };
        if tab.scope_by_gen(gen).is_none() {
            tracing::debug!(server = %server, gen, "stale scope reload dropped");
            return;
        }
        match res {
            Ok((data, view)) => {
                // A tree load of its own still running will bring its own answer.
                if tab.load != Load::Loading {
                    apply_server(tab, data, now);
                }
                let Some(s) = tab.scope_by_gen(gen) else {
                    return;
                };
                s.def = view.def.clone();
                s.label = s.def.label();
                s.data = Some(view);
                s.load = Load::Loaded;
                s.loaded_at = Some(now);
                s.refilter();
            }
            Err(e) => {
                if let Some(s) = tab.scope_by_gen(gen) {
                    s.load = Load::Failed(e);
                }
            }
        }
    }

    /// The answer to a change: status, popups, and a reload of the scope.
    pub(super) fn on_action_done(
        &mut self,
        server: &str,
        cidr: Ipv4Net,
        id: u64,
        res: Result<Done, Fail>,
    ) -> Vec<Request> {
        let (rid, rgen) = self.ids();
        let now = self.now;
        let mut status = None;
        let mut out = Vec::new();
        let tab = self.tabs.iter_mut().find(|t| t.name == server);
        let tab_name = tab.as_ref().map(|t| t.name.clone());
        let scope = tab.and_then(|t| t.scope_by_cidr(cidr));
        let Some(s) = scope else {
            // The view was closed meanwhile: the outcome still goes to the status line.
            match res {
                Ok(d) => self.set_status(StatusKind::Info, d.summary),
                Err(Fail::NeedsConfirmation(m)) | Err(Fail::Failed(m)) => {
                    self.set_status(StatusKind::Error, m)
                }
            }
            return out;
        };
        let job = match s.pending.take() {
            Some(p) if p.id == id => Some(p.job),
            other => {
                s.pending = other;
                None
            }
        };
        match res {
            Ok(done) => {
                // Forms, questions and the menu have done their job; panels stay.
                s.modals.retain(|m| {
                    matches!(
                        m,
                        Modal::Exclusions { .. } | Modal::Ping { .. } | Modal::History { .. }
                    )
                });
                let kind = if done.warnings.is_empty() {
                    StatusKind::Info
                } else {
                    let mut text = done.summary.clone();
                    for w in &done.warnings {
                        text.push_str("\n⚠ ");
                        text.push_str(w);
                    }
                    s.modals.push(Modal::Message {
                        title: "Done, with warnings".into(),
                        text,
                        error: false,
                        scroll: 0,
                    });
                    StatusKind::Warn
                };
                let mut line = done.summary.clone();
                for w in &done.warnings {
                    line.push_str(" · ⚠ ");
                    line.push_str(w);
                }
                status = Some((kind, line));
                // A lease change brings the scope as it is now: shown at once. Anything
                // else reloads it.
                let fresh = done.view.clone().filter(|v| v.def.cidr == s.cidr);
                // A new generation either way: an older reload in flight is stale now.
                s.gen = rgen;
                if let Some(view) = &fresh {
                    s.def = view.def.clone();
                    s.label = s.def.label();
                    s.data = Some(view.clone());
                    s.load = Load::Loaded;
                    s.loaded_at = Some(now);
                    s.refilter();
                }
                if let (Some(ip), Some(v)) = (done.ip, &s.data) {
                    if let Some(i) = v.index_of(ip) {
                        s.cursor = i;
                    }
                }
                if fresh.is_some() {
                    // Nothing to reload.
                } else if let Some(server) = tab_name {
                    s.load = Load::Loading;
                    out.push(Request {
                        id: rid,
                        gen: rgen,
                        target: Target::Scope {
                            server,
                            cidr: s.cidr,
                        },
                        kind: RequestKind::ReloadScope(s.cidr),
                        baseline: None,
                    });
                }
            }
            Err(Fail::NeedsConfirmation(msg)) => match job {
                Some(job) => s.modals.push(Modal::Confirm(Confirm {
                    title: "Are you sure?".into(),
                    text: msg,
                    job: job.confirmed(),
                })),
                None => status = Some((StatusKind::Error, msg)),
            },
            Err(Fail::Failed(msg)) => {
                let what = job
                    .as_ref()
                    .map(|j| j.doing())
                    .unwrap_or_else(|| "the change".into());
                status = Some((StatusKind::Error, format!("{what} failed: {msg}")));
                match s.modals.last_mut() {
                    // The form stays open with its values, the reason in it.
                    Some(Modal::Form(f)) => f.error = Some(msg),
                    _ => s.modals.push(Modal::Message {
                        title: format!("{} failed", capitalize(&what)),
                        text: msg,
                        error: true,
                        scroll: 0,
                    }),
                }
            }
        }
        if let Some((k, t)) = status {
            self.set_status(k, t);
        }
        out
    }

    /// The newest popup still open in the scope `cidr` of `server` that `waits` for this
    /// answer (a ping or history popup of its address).
    fn answer_popup(
        &mut self,
        server: &str,
        cidr: ipnet::Ipv4Net,
        waits: impl Fn(&Modal) -> bool,
    ) -> Option<&mut Modal> {
        self.tabs
            .iter_mut()
            .find(|t| t.name == server)
            .and_then(|t| t.scope_by_cidr(cidr))
            .and_then(|s| s.modals.iter_mut().rev().find(|m| waits(m)))
    }
}
