//! Layout changes sent and answered: refusals, the job, the outcome and the reload.

use ipnet::Ipv4Net;

use crate::tui::actions::{still_busy, Command, Confirm, Done, Fail, Modal, Pending};
use crate::tui::app::{App, Request, RequestKind, StatusKind, Target};
use crate::tui::views::{Load, View};

impl App {
    pub(super) fn gone(&mut self, c: Ipv4Net) -> Vec<Request> {
        let name = self.tab().map(|t| t.name.clone()).unwrap_or_default();
        self.refuse(format!("{c} is no longer on {name}: r reloads"))
    }

    /// A refusal in full, in a popup (lists of scopes can be long).
    pub(super) fn refuse(&mut self, text: String) -> Vec<Request> {
        self.set_status(StatusKind::Error, text.clone());
        self.layer.push(Modal::Message {
            title: "Not possible".into(),
            text,
            error: true,
            scroll: 0,
        });
        Vec::new()
    }

    /// Sends a change of the active server's address space.
    pub(super) fn send_layout(&mut self, job: Command) -> Vec<Request> {
        let Some(ti) = self.active_tab_index() else {
            return Vec::new();
        };
        if let Some(p) = &self.layer_pending {
            let msg = still_busy(&p.job.doing());
            self.set_status(StatusKind::Busy, msg);
            return Vec::new();
        }
        let (id, gen) = self.ids();
        let server = self.tabs[ti].name.clone();
        let baseline = self.tabs[ti].baseline();
        self.layer_pending = Some(Pending {
            id,
            job: job.clone(),
        });
        let msg = format!("{} on {server}…", job.doing());
        self.set_status(StatusKind::Busy, msg);
        vec![Request {
            id,
            gen,
            target: Target::Layout { server },
            kind: RequestKind::Action(job),
            baseline,
        }]
    }

    /// The answer to a layout change: status, popups, the tree reloaded and the item
    /// selected.
    pub(super) fn on_layout_done(
        &mut self,
        server: &str,
        id: u64,
        res: Result<Done, Fail>,
    ) -> Vec<Request> {
        let job = match self.layer_pending.take() {
            Some(p) if p.id == id => Some(p.job),
            other => {
                self.layer_pending = other;
                None
            }
        };
        if matches!(job, Some(Command::ConfigEdit { .. })) {
            let refused = match &res {
                Err(Fail::Failed(m)) => Some(m.as_str()),
                _ => None,
            };
            self.config_edit_done(refused);
            if self.config_edit.is_some() {
                // Back to the editor with Kea's reason: nothing was written.
                self.set_status(
                    StatusKind::Error,
                    "Kea refused the configuration: the editor opens again with its reason",
                );
                return Vec::new();
            }
        }
        match res {
            Ok(done) => {
                // The list of claims stays open: it shows the change once reloaded.
                self.layer.retain(|m| matches!(m, Modal::ClaimList { .. }));
                let mut line = done.summary.clone();
                for w in &done.warnings {
                    line.push_str(" · ⚠ ");
                    line.push_str(w);
                }
                let kind = if done.warnings.is_empty() {
                    StatusKind::Info
                } else {
                    StatusKind::Warn
                };
                if !done.warnings.is_empty() {
                    let mut text = done.summary.clone();
                    for w in &done.warnings {
                        text.push_str("\n⚠ ");
                        text.push_str(w);
                    }
                    self.layer.push(Modal::Message {
                        title: "Done, with warnings".into(),
                        text,
                        error: false,
                        scroll: 0,
                    });
                }
                self.set_status(kind, line);
                let mut out = Vec::new();
                if let Some(job) = &job {
                    if let Command::DeleteScope { cidr, .. } | Command::ForgetScope { cidr } = job {
                        self.marks.remove(&(server.to_string(), *cidr));
                    }
                    if let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) {
                        t.select = super::super::actions::select_after(job);
                        // The view of a network that is gone goes with it.
                        if let (
                            Command::DeleteNetwork { cidr } | Command::ToContainer { cidr },
                            Some(View::Network(n)),
                        ) = (job, t.stack.last())
                        {
                            if n.key == format!("net:{cidr}") {
                                t.stack.pop();
                            }
                        }
                    }
                    if let Command::DuplicateScope {
                        to_server: Some(other),
                        to_cidr,
                        cidr,
                    } = job
                    {
                        let key = format!("scope:{}", to_cidr.unwrap_or(*cidr));
                        if let Some(t) = self.tabs.iter_mut().find(|t| t.name == *other) {
                            t.select = Some(key);
                        }
                        out.extend(self.reload_tab(other));
                    }
                }
                out.extend(self.reload_tab(server));
                out
            }
            Err(Fail::NeedsConfirmation(msg)) => {
                // The busy line is over: the question is on screen.
                self.status = None;
                match job {
                    Some(job) => self.layer.push(Modal::Confirm(Confirm {
                        title: "Are you sure?".into(),
                        text: msg,
                        job: job.confirmed(),
                    })),
                    None => self.set_status(StatusKind::Error, msg),
                }
                Vec::new()
            }
            Err(Fail::Failed(msg)) => {
                let what = job
                    .as_ref()
                    .map(|j| j.doing())
                    .unwrap_or_else(|| "the change".into());
                self.set_status(StatusKind::Error, format!("{what} failed: {msg}"));
                match self.layer.last_mut() {
                    Some(Modal::Form(f)) => f.error = Some(msg),
                    _ => self.layer.push(Modal::Message {
                        title: format!("{} failed", super::capitalize(&what)),
                        text: msg,
                        error: true,
                        scroll: 0,
                    }),
                }
                Vec::new()
            }
        }
    }

    /// Reloads the tree of `server` when its tab is open.
    pub(super) fn reload_tab(&mut self, server: &str) -> Vec<Request> {
        let (id, gen) = self.ids();
        let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return Vec::new();
        };
        t.gen = gen;
        t.load = Load::Loading;
        vec![Request {
            id,
            gen,
            target: Target::Server(server.to_string()),
            kind: RequestKind::LoadServer,
            baseline: None,
        }]
    }
}
