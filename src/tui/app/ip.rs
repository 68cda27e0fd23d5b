//! Actions on addresses and scopes: keys to commands, popups on the scope view.

use crossterm::event::KeyEvent;

use crate::tui::actions::{
    confirm_key, form_key, still_busy, Command, Confirm, ConfirmKey, FormKey, Modal, Pending,
};
use crate::tui::form::Form;
use crate::tui::ip_actions::{self, IpStep};
use crate::tui::keymap::Action;
use crate::tui::views::{ScopeState, View};

use super::*;

impl App {
    // ----- IP and scope actions -----

    /// The active tab's index when its top view is a scope.
    pub(super) fn scope_tab(&self) -> Option<usize> {
        let ti = self.active.checked_sub(1)?;
        matches!(self.tabs.get(ti)?.stack.last(), Some(View::Scope(_))).then_some(ti)
    }

    pub(super) fn scope_mut(&mut self, ti: usize) -> Option<&mut ScopeState> {
        match self.tabs.get_mut(ti)?.stack.last_mut() {
            Some(View::Scope(s)) => Some(&mut **s),
            _ => None,
        }
    }

    /// A change to `server` went through: its tab's view is no longer the baseline.
    pub(super) fn wrote_to<T, E>(&mut self, server: &str, res: &Result<T, E>) {
        if res.is_ok() {
            let now = self.now;
            if let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) {
                t.wrote_at = Some(now);
            }
        }
    }

    /// A warning on the status line (what the console found at start).
    /// q: quits, unless a change is being written; then it asks first (a second q quits,
    /// and the console still finishes the change before the process exits).
    pub(super) fn request_quit(&mut self) {
        let busy = self
            .status
            .as_ref()
            .is_some_and(|s| s.kind == StatusKind::Busy);
        if busy && !self.quit_asked {
            self.quit_asked = true;
            let what = self
                .status
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            self.warn(format!(
                "a change is being written ({what}): press q again to quit; ddish finishes \
                 it before it exits"
            ));
            return;
        }
        self.quit = true;
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.set_status(StatusKind::Warn, text);
    }

    pub(super) fn show_progress(&mut self) {
        if let Some((step, since)) = &self.progress {
            let text = format!("{step}, {} s", (self.now - since).max(0));
            if let Some(s) = self.status.as_mut().filter(|s| s.kind == StatusKind::Busy) {
                s.text = text;
            }
        }
    }

    pub(super) fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.progress = None;
        if kind == StatusKind::Busy {
            // A new change: q asks again.
            self.quit_asked = false;
        }
        self.status = Some(Status {
            text: text.into(),
            kind,
        });
    }

    /// Keys a form takes as text (the bound ones, Tab, Enter..., went through `act`).
    pub(super) fn type_in_form(&mut self, k: KeyEvent) {
        let f = if let Some(Modal::Form(f)) = self.layer.last_mut() {
            f
        } else {
            let Some(ti) = self.scope_tab() else { return };
            let Some(Modal::Form(f)) = self.scope_mut(ti).and_then(|s| s.modals.last_mut()) else {
                return;
            };
            f
        };
        f.type_key(&k);
    }

    /// An action key in a scope view, the IP popup or the action menu.
    pub(super) fn ip_action(&mut self, ti: usize, a: Action) -> Vec<Request> {
        if a == Action::Sweep {
            return self.sweep_key(ti);
        }
        let rights = self.rights_for(&self.tabs[ti].name);
        let dns = self.dns.clone();
        let Some(s) = self.scope_mut(ti) else {
            return Vec::new();
        };
        let Some(v) = s.data.clone() else {
            let msg = format!("{} is not loaded yet: wait for it, or r to retry", s.cidr);
            self.set_status(StatusKind::Error, msg);
            return Vec::new();
        };
        let writes = !matches!(
            a,
            Action::Actions | Action::Ping | Action::History | Action::Exclusions
        );
        if let (true, Some(p)) = (writes, &s.pending) {
            let msg = still_busy(&p.job.doing());
            self.set_status(StatusKind::Busy, msg);
            return Vec::new();
        }
        let ip = v.ip_at(s.cursor);
        let job = match ip_actions::step(a, &v, ip, rights, &dns) {
            IpStep::Run(job) => job,
            IpStep::Open(m) => {
                s.modals.push(m);
                return Vec::new();
            }
            IpStep::OpenAndRun(m, job) => {
                s.modals.push(m);
                job
            }
            IpStep::Refuse(why) => {
                self.set_status(StatusKind::Error, why);
                return Vec::new();
            }
        };
        self.send_job(ti, job).into_iter().collect()
    }

    /// Sends a job for the scope on tab `ti`; a change is remembered as pending.
    pub(super) fn send_job(&mut self, ti: usize, job: Command) -> Option<Request> {
        let (id, gen) = self.ids();
        let server = self.tabs[ti].name.clone();
        // What the user acted on: the configuration the tab shows.
        let baseline = self.tabs[ti].baseline();
        let s = self.scope_mut(ti)?;
        let cidr = s.cidr;
        if !job.is_read() {
            s.pending = Some(Pending {
                id,
                job: job.clone(),
            });
            let msg = format!("{} on {server}…", job.doing());
            self.set_status(StatusKind::Busy, msg);
        }
        Some(Request {
            id,
            gen,
            target: Target::Action { server, cidr },
            kind: RequestKind::Action(job),
            baseline,
        })
    }

    /// A key while popups are open over the scope view: the top one takes it.
    pub(super) fn modal_action(&mut self, ti: usize, a: Action) -> Vec<Request> {
        let Some(s) = self.scope_mut(ti) else {
            return Vec::new();
        };
        let excl_len = s
            .data
            .as_ref()
            .map_or(0, |v| v.def.exclusions().ranges().len());
        let view = s.data.clone();
        let busy = s.pending.as_ref().map(|p| p.job.doing());
        let Some(top) = s.modals.last_mut() else {
            return Vec::new();
        };
        match top {
            Modal::Menu(m) => match a {
                Action::Up => m.cursor = m.cursor.saturating_sub(1),
                Action::Down => m.cursor = (m.cursor + 1).min(m.items.len().saturating_sub(1)),
                Action::Back => {
                    s.modals.pop();
                }
                Action::Open => {
                    let item = m.items.get(m.cursor).copied();
                    s.modals.pop();
                    if let Some(item) = item {
                        return self.ip_action(ti, item);
                    }
                }
                Action::Actions => {}
                other if ip_actions::is_ip_action(other) => {
                    s.modals.pop();
                    return self.ip_action(ti, other);
                }
                _ => {}
            },
            Modal::Form(f) => match form_key(f, a, busy) {
                FormKey::Stay => {}
                FormKey::Close => {
                    s.modals.pop();
                }
                FormKey::Busy(msg) => self.set_status(StatusKind::Busy, msg),
                FormKey::Submit(job) => {
                    if let Command::DnsDelete {
                        ip,
                        zone,
                        hostname,
                        ptr,
                    } = &job
                    {
                        let text = format!(
                            "Delete {hostname}.{zone} → {ip}{} from DNS?",
                            if *ptr { " and its PTR" } else { "" }
                        );
                        s.modals.push(Modal::Confirm(Confirm {
                            title: "Delete DNS records".into(),
                            text,
                            job,
                        }));
                        return Vec::new();
                    }
                    return self.send_job(ti, job).into_iter().collect();
                }
            },
            Modal::Confirm(_) => match confirm_key(&mut s.modals, a) {
                ConfirmKey::Yes(job) => return self.send_job(ti, job).into_iter().collect(),
                ConfirmKey::No => {
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                ConfirmKey::Stay => {}
            },
            Modal::Ping { .. } => {
                if a == Action::Back {
                    s.modals.pop();
                }
            }
            Modal::History { scroll, .. } | Modal::Message { scroll, .. } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::Back => {
                    s.modals.pop();
                }
                _ => {}
            },
            Modal::Exclusions { cursor } => match a {
                Action::Up => *cursor = cursor.saturating_sub(1),
                Action::Down => *cursor = (*cursor + 1).min(excl_len.saturating_sub(1)),
                Action::Back => {
                    s.modals.pop();
                }
                Action::Add | Action::Edit | Action::Delete => {
                    let Some(v) = view else { return Vec::new() };
                    let sel = v.def.exclusions().ranges().get(*cursor).copied();
                    match (a, sel) {
                        (Action::Add, _) => s
                            .modals
                            .push(Modal::Form(Box::new(Form::exclusion(&v, None)))),
                        (Action::Edit, Some(r)) => s
                            .modals
                            .push(Modal::Form(Box::new(Form::exclusion(&v, Some(r))))),
                        (Action::Delete, Some(r)) => {
                            if let Some(doing) = busy {
                                self.set_status(StatusKind::Busy, still_busy(&doing));
                                return Vec::new();
                            }
                            s.modals.push(Modal::Confirm(Confirm {
                                title: "Remove exclusion".into(),
                                text: format!(
                                    "Remove the exclusion {r} ({} address{})? The addresses go back into the pools and DHCP may hand them out.",
                                    r.len(),
                                    if r.len() == 1 { "" } else { "es" }
                                ),
                                job: Command::Unexclude {
                                    scope: Box::new(v.def.clone()),
                                    range: r,
                                },
                            }))
                        }
                        _ => {
                            self.set_status(StatusKind::Error, "no exclusion selected: a adds one")
                        }
                    }
                }
                _ => {}
            },
            // The console-level popups live in `layer`, never over a scope.
            Modal::Choose(_)
            | Modal::Preview { .. }
            | Modal::ScopesPreview { .. }
            | Modal::Outcome { .. }
            | Modal::Classes { .. }
            | Modal::ClaimList { .. } => {
                if a == Action::Back {
                    s.modals.pop();
                }
            }
        }
        Vec::new()
    }
}
