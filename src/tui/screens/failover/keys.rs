//! Keys on the failover screen: the list, the wizard, the change form and the questions.
use crossterm::event::KeyEvent;

use crate::ops::failover::FailoverInfo;
use crate::tui::screen::ScreenCtx;

use crate::tui::app::{Status, StatusKind};
use crate::tui::keymap::{self, Action, Context, Role, ScreenKey};
use crate::tui::screen::ScreenOut;

use super::dialogs::{Change, DeleteChooser, EditForm, ScopePicker};
use super::view::{in_maintenance, partner_name};
use super::wizard::{PartnerItem, ScopeItem, Step, WizOut, Wizard};

use super::*;

impl FailoverScreen {
    pub(super) fn list_key(&mut self, k: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let n = self.rels.len();
        // Resolved as for an admin: a viewer's change key gets `refuse_change`'s reason
        // rather than nothing (the footer shows a viewer none of them).
        let ctx = [
            Context::Screen(ScreenKey::Failover),
            Context::Screens,
            Context::Lists,
        ];
        match keymap::lookup(&ctx, &k, Role::Admin) {
            Some(Action::Down) => {
                if n > 0 {
                    self.cursor = (self.cursor + 1).min(n - 1);
                }
                ScreenOut::none()
            }
            Some(Action::Up) => {
                self.cursor = self.cursor.saturating_sub(1);
                ScreenOut::none()
            }
            Some(Action::Add) => self.add(app),
            Some(Action::Edit) => self.with_selected(app, |s, r| {
                if r.mode.is_none() {
                    return Self::error(format!(
                        "failover {} runs in {} mode, which ddish does not change: edit it in Kea's config, or delete it and add it again",
                        r.name, r.mode_text
                    ));
                }
                s.mode = Mode::Edit(Box::new(EditForm::new(r)));
                ScreenOut::none()
            }),
            Some(Action::Delete) => self.with_selected(app, |s, r| {
                s.mode = Mode::Delete(DeleteChooser::new(r));
                ScreenOut::none()
            }),
            Some(Action::AddScope) => {
                let scopes = self.server_scopes(app);
                self.with_selected(app, |s, r| {
                    let Some(all) = scopes else {
                        return Self::error(format!(
                            "{} is still loading: wait for its scopes, then press s",
                            s.server
                        ));
                    };
                    let items: Vec<ScopeItem> = all
                        .into_iter()
                        .filter(|i| !r.scopes.contains(&i.cidr))
                        .map(|i| ScopeItem { picked: false, ..i })
                        .collect();
                    if items.is_empty() {
                        return Self::error(format!(
                            "every scope of {} is already in failover {}",
                            s.server, r.name
                        ));
                    }
                    s.mode = Mode::AddScope(ScopePicker {
                        rel: r.name.clone(),
                        items,
                        cursor: 0,
                        tried: false,
                    });
                    ScreenOut::none()
                })
            }
            Some(Action::Maintenance) => self.with_selected(app, |s, r| {
                let start = !in_maintenance(r);
                let partner = partner_name(r).to_string();
                let text = if start {
                    format!(
                        "Start maintenance of failover {}? {} takes over every client alone and {partner} goes in-maintenance, serving nobody: you can then stop {partner} safely. Cancel it afterwards with m again.",
                        r.name, s.server
                    )
                } else {
                    format!(
                        "Cancel maintenance of failover {}? Both servers go back to {} and share the clients again.",
                        r.name, r.mode_text
                    )
                };
                s.mode = Mode::Confirm(Confirm {
                    title: if start {
                        "Start maintenance".into()
                    } else {
                        "Cancel maintenance".into()
                    },
                    text,
                    job: Change::Maintenance {
                        rel: r.name.clone(),
                        start,
                    },
                });
                ScreenOut::none()
            }),
            _ => ScreenOut::ignored(),
        }
    }

    /// Runs `f` on the selected relationship when a change may start.
    pub(super) fn with_selected(
        &mut self,
        app: &ScreenCtx,
        f: impl FnOnce(&mut Self, &FailoverInfo) -> ScreenOut,
    ) -> ScreenOut {
        if let Some(why) = self.refuse_change(app) {
            return Self::error(why);
        }
        let Some(r) = self.selected().cloned() else {
            return Self::error(format!(
                "{} has no failover yet: press a to add one",
                self.server
            ));
        };
        f(self, &r)
    }

    /// `a`: the Add Failover wizard (kept with its values if it was left for a retry).
    pub(super) fn add(&mut self, app: &ScreenCtx) -> ScreenOut {
        if let Some(why) = self.refuse_change(app) {
            return Self::error(why);
        }
        if let Some(r) = self.rels.first() {
            return Self::error(format!(
                "{} already has failover {} (Kea 2.2 runs one per server): add scopes to it with s",
                self.server, r.name
            ));
        }
        if self.wizard.is_none() {
            let Some(scopes) = self.server_scopes(app) else {
                return Self::error(format!(
                    "{} is still loading: wait for its scopes, then press a",
                    self.server
                ));
            };
            let partners = app
                .fleet
                .rows
                .iter()
                .filter(|r| r.name != self.server)
                .map(|r| PartnerItem {
                    name: r.name.clone(),
                    url: r.url.clone(),
                    user: r.user.clone(),
                })
                .collect();
            let this_user = app
                .fleet
                .rows
                .iter()
                .find(|r| r.name == self.server)
                .and_then(|r| r.user.clone());
            self.wizard = Some(Box::new(Wizard::new(
                &self.server,
                &self.server_url,
                this_user,
                scopes,
                partners,
            )));
        }
        self.mode = Mode::Wizard;
        ScreenOut::none()
    }

    pub(super) fn wizard_key(&mut self, k: KeyEvent, now: i64) -> ScreenOut {
        let Some(w) = self.wizard.as_mut() else {
            self.mode = Mode::List;
            return ScreenOut::none();
        };
        let before = w.step;
        // The plan found a problem: create would refuse the same way, so say it now.
        let next = keymap::lookup(&[Context::Wizard], &k, Role::Viewer) == Some(Action::Open);
        if w.step == Step::Summary && w.help.is_none() && next {
            if let Some(Err(e)) = &self.plan {
                return Self::error(format!(
                    "can't create yet: {e} (Esc goes back to fix it; Enter on the summary checks again)"
                ));
            }
        }
        match w.key(k) {
            WizOut::Cancel => {
                self.wizard = None;
                self.plan = None;
                self.mode = Mode::List;
                ScreenOut::none()
            }
            WizOut::Create(spec) => {
                self.busy = Some(format!("creating failover {}", spec.name));
                let out = ScreenOut {
                    status: Some(Status {
                        text: format!("creating failover {}…", spec.name),
                        kind: StatusKind::Busy,
                    }),
                    ..ScreenOut::job(jobs::create(&spec))
                };
                self.mode = Mode::Creating(spec, now);
                out
            }
            WizOut::None if w.step == Step::Summary && before != Step::Summary => {
                // Ask both servers what create would do, for the summary.
                self.plan = None;
                match w.spec() {
                    Ok(spec) => ScreenOut::job(jobs::plan(&spec)),
                    Err(_) => ScreenOut::none(),
                }
            }
            WizOut::None => ScreenOut::none(),
        }
    }

    pub(super) fn edit_key(&mut self, k: KeyEvent) -> ScreenOut {
        let Mode::Edit(f) = &mut self.mode else {
            return ScreenOut::none();
        };
        match keymap::lookup(&[Context::Form], &k, Role::Viewer) {
            Some(Action::Back) => self.mode = Mode::List,
            Some(Action::Open) => match f.submit() {
                Ok(edit) => {
                    let mut text = format!(
                        "Change failover {} on {} and {}?",
                        f.info.name,
                        f.info.this_server,
                        partner_name(&f.info)
                    );
                    if let Some(p) = &edit.partner {
                        text.push_str(&format!(
                            " The new partner {p} gets the scopes; {} goes back to standalone without them.",
                            partner_name(&f.info)
                        ));
                    }
                    if edit.mode.is_some() || edit.primary_is_this.is_some() {
                        text.push_str(
                            " Both servers are set back to back and re-agree within seconds.",
                        );
                    }
                    let rel = f.info.name.clone();
                    self.mode = Mode::Confirm(Confirm {
                        title: "Change failover".into(),
                        text,
                        job: Change::Edit { rel, edit },
                    });
                }
                Err(e) => return Self::error(e),
            },
            _ => {
                f.fields.key(k);
            }
        }
        ScreenOut::none()
    }

    pub(super) fn confirm_key(&mut self, k: KeyEvent) -> ScreenOut {
        let Mode::Confirm(c) = &self.mode else {
            return ScreenOut::none();
        };
        match keymap::lookup(&[Context::Confirm], &k, Role::Viewer) {
            Some(Action::Yes) => {
                let change = c.job.clone();
                self.mode = Mode::List;
                let doing = change.doing();
                self.busy = Some(doing.clone());
                ScreenOut {
                    status: Some(Status {
                        text: format!("{doing}…"),
                        kind: StatusKind::Busy,
                    }),
                    ..ScreenOut::job(jobs::change(&self.server, &change))
                }
            }
            Some(Action::No) => {
                self.mode = Mode::List;
                ScreenOut::none()
            }
            _ => ScreenOut::none(),
        }
    }
}
