//! Keys in the popups over the tree (`App::layer`): menus, forms, questions, outcomes,
//! the claims list of a network.

use crate::ops::bulk::ServerPreview;
use ipnet::Ipv4Net;

use crate::tui::actions::{
    confirm_key, form_key, still_busy, Command, Confirm, ConfirmKey, FormKey, Modal, Step,
};
use crate::tui::app::{App, Request, RequestKind, StatusKind, Target};
use crate::tui::keymap::Action;

impl App {
    /// A key while popups of the layer are open: the top one takes it.
    pub(super) fn layer_action(&mut self, a: Action) -> Vec<Request> {
        let claims = |app: &App, net: Ipv4Net| {
            app.tab()
                .and_then(|t| t.data.as_ref())
                .and_then(|d| d.networks.iter().find(|n| n.cidr == net))
                .map(|n| n.claims.clone())
                .unwrap_or_default()
        };
        let claim_list = match self.layer.last() {
            Some(Modal::ClaimList { network, .. }) => claims(self, *network),
            _ => Vec::new(),
        };
        let busy = self
            .layer_pending
            .as_ref()
            .map(|p| p.job.doing())
            .or_else(|| {
                self.scopes_waiting
                    .first()
                    .map(|w| format!("{} the marked scopes", w.2.doing()))
            });
        let Some(top) = self.layer.last_mut() else {
            return Vec::new();
        };
        match top {
            Modal::Choose(m) => match a {
                Action::Up => m.cursor = m.cursor.saturating_sub(1),
                Action::Down => m.cursor = (m.cursor + 1).min(m.items.len().saturating_sub(1)),
                Action::Back => {
                    self.layer.pop();
                }
                Action::Open => {
                    let step = m.items.get(m.cursor).cloned();
                    self.layer.pop();
                    if let Some(step) = step {
                        return self.run_step(step);
                    }
                }
                _ => {}
            },
            Modal::Form(f) => match form_key(f, a, busy) {
                FormKey::Stay => {}
                FormKey::Close => {
                    self.layer.pop();
                }
                FormKey::Busy(msg) => self.set_status(StatusKind::Busy, msg),
                FormKey::Submit(job) => {
                    if let Command::BulkPreview(change) = &job {
                        let apply = change.clone();
                        self.layer.push(Modal::Preview {
                            rows: None,
                            apply,
                            scroll: 0,
                        });
                        return self.send_bulk(job);
                    }
                    return self.send_layout(job);
                }
            },
            Modal::Confirm(_) => match confirm_key(&mut self.layer, a) {
                ConfirmKey::Yes(job) => return self.send_layout(job),
                ConfirmKey::No => {
                    // A configuration edit ends with its question.
                    self.config_edit = None;
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                ConfirmKey::Stay => {}
            },
            Modal::Preview {
                rows,
                apply,
                scroll,
            } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::No | Action::Back => {
                    self.layer.pop();
                    self.set_status(
                        StatusKind::Info,
                        "not applied: nothing was changed (the form is back)",
                    );
                }
                Action::Yes => {
                    if let Err(why) = preview_ready(rows, true) {
                        self.set_status(StatusKind::Error, why);
                        return Vec::new();
                    }
                    if let Some(doing) = busy {
                        self.set_status(StatusKind::Busy, still_busy(&doing));
                        return Vec::new();
                    }
                    let change = apply.clone();
                    let title = format!("Outcome · {}", change.op().describe());
                    // The form under the preview has done its job (n instead goes back
                    // to it).
                    self.layer.clear();
                    self.layer.push(Modal::Outcome {
                        title,
                        rows: None,
                        scroll: 0,
                    });
                    return self.send_bulk(Command::BulkApply(change));
                }
                _ => {}
            },
            Modal::ScopesPreview {
                op,
                scopes,
                rows,
                scroll,
            } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::No | Action::Back => {
                    self.layer.pop();
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                Action::Yes => {
                    let rows = match preview_ready(rows, false) {
                        Ok(r) => r.clone(),
                        Err(why) => {
                            self.set_status(StatusKind::Error, why);
                            return Vec::new();
                        }
                    };
                    if let Some(doing) = busy {
                        self.set_status(StatusKind::Busy, still_busy(&doing));
                        return Vec::new();
                    }
                    let (op, scopes) = (*op, scopes.clone());
                    return self.apply_scopes(op, scopes, &rows);
                }
                _ => {}
            },
            Modal::Outcome { scroll, .. }
            | Modal::Classes { scroll, .. }
            | Modal::Message { scroll, .. }
            | Modal::History { scroll, .. } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::Back => {
                    self.layer.pop();
                }
                _ => {}
            },
            Modal::ClaimList { network, cursor } => match a {
                Action::Up => *cursor = cursor.saturating_sub(1),
                Action::Down => *cursor = (*cursor + 1).min(claim_list.len().saturating_sub(1)),
                Action::Back => {
                    self.layer.pop();
                }
                Action::Add => {
                    let n = *network;
                    return self.run_step(Step::ClaimNet(n));
                }
                Action::Export => {
                    let n = *network;
                    return self.export_claims(n);
                }
                Action::Delete => match claim_list.get(*cursor) {
                    Some(c) => {
                        let text = format!(
                            "Unclaim {} in network {network} (claimed for {}{})? The address becomes free again.",
                            c.ip,
                            c.mac,
                            c.hostname
                                .as_deref()
                                .map(|h| format!(", {h}"))
                                .unwrap_or_default()
                        );
                        let job = Command::Unclaim { ip: c.ip };
                        self.layer.push(Modal::Confirm(Confirm {
                            title: "Unclaim".into(),
                            text,
                            job,
                        }));
                    }
                    None => self.set_status(StatusKind::Error, "no claim selected: a adds one"),
                },
                _ => {}
            },
            Modal::Menu(_) | Modal::Ping { .. } | Modal::Exclusions { .. } => {
                if a == Action::Back {
                    self.layer.pop();
                }
            }
        }
        Vec::new()
    }

    /// `e` in a network's claims: its claims as CSV, written by the worker.
    pub(super) fn export_claims(&mut self, network: Ipv4Net) -> Vec<Request> {
        let Some(t) = self.tab() else {
            return Vec::new();
        };
        let server = t.name.clone();
        let networks: Vec<_> = t
            .data
            .as_ref()
            .map(|d| {
                d.networks
                    .iter()
                    .filter(|n| n.cidr == network)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (id, gen) = self.ids();
        self.export_id = Some(id);
        self.set_status(StatusKind::Busy, "exporting to CSV…");
        vec![Request {
            id,
            gen,
            target: Target::Export,
            kind: RequestKind::Export(super::ExportJob::Claims { server, networks }),
            baseline: None,
        }]
    }
}

/// Whether a preview can be applied: it has come, without error, some server can take the
/// change, and (with `need_changes`) it changes something. The reason otherwise.
fn preview_ready(
    rows: &Option<Result<Vec<ServerPreview>, String>>,
    need_changes: bool,
) -> Result<&Vec<ServerPreview>, String> {
    match rows {
        None => Err("the preview is still coming: wait for it".into()),
        Some(Err(e)) => Err(format!("no preview ({e}): nothing to apply")),
        Some(Ok(r)) if r.iter().all(|p| p.error.is_some()) => {
            Err("no server can take this change (see why above): nothing to apply".into())
        }
        Some(Ok(r)) if need_changes && r.iter().all(|p| p.changes.is_empty()) => {
            Err("nothing to change on any server: nothing to apply".into())
        }
        Some(Ok(r)) => Ok(r),
    }
}
