//! Full-window screens on the console's stack, and jumps from them to a tab.

use crossterm::event::KeyEvent;

use crate::model::{ScopeDef, ScopeStatus};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::screen::{Jump, Screen, ScreenCtx, ScreenOut};
use crate::tui::screens;
use crate::tui::views::{Load, ScopeState, ServerTab, View};

use super::*;

impl App {
    // ----- full-window screens -----

    /// Opens a screen by its keymap action; a screen that needs a server tab gets the
    /// active one.
    pub(super) fn open_screen(&mut self, which: keymap::ScreenKey) -> Vec<Request> {
        match screens::open(which, self) {
            Ok(screen) => self.push_screen(screen),
            Err(why) => {
                self.set_status(StatusKind::Error, why);
                Vec::new()
            }
        }
    }

    /// Opens `screen` on top and starts it (screens open from keys; tests open their own).
    pub fn push_screen(&mut self, screen: Box<dyn Screen>) -> Vec<Request> {
        let (id, _) = self.ids();
        self.screens.push(ScreenSlot { id, screen });
        self.with_screen(|s, app| s.start(app))
    }

    /// Runs `f` on the top screen with the rest of the console readable, then carries out
    /// what it asked for.
    pub(super) fn with_screen(
        &mut self,
        f: impl FnOnce(&mut dyn Screen, &ScreenCtx) -> ScreenOut,
    ) -> Vec<Request> {
        let Some(mut slot) = self.screens.pop() else {
            return Vec::new();
        };
        let out = f(slot.screen.as_mut(), &ScreenCtx::new(self));
        let id = slot.id;
        self.screens.push(slot);
        self.apply_screen_out(id, out)
    }

    pub(super) fn apply_screen_out(&mut self, id: u64, out: ScreenOut) -> Vec<Request> {
        let mut reqs: Vec<Request> = out
            .jobs
            .into_iter()
            .map(|job| {
                let (rid, gen) = self.ids();
                Request {
                    id: rid,
                    gen,
                    target: Target::Screen {
                        screen: id,
                        label: job.label.clone(),
                        write: job.write(),
                    },
                    kind: RequestKind::Screen(job),
                    baseline: None,
                }
            })
            .collect();
        if let Some(st) = out.status {
            self.status = Some(st);
        }
        if out.restart {
            self.restart = true;
            self.quit = true;
        }
        if out.close {
            self.screens.retain(|s| s.id != id);
            // Back on a server tab: it was not refreshed while covered.
            if self.screens.is_empty()
                && self.active > 0
                && out.jump.is_none()
                && out.open.is_none()
            {
                reqs.extend(self.refresh(true));
            }
        }
        if let Some(next) = out.open {
            reqs.extend(self.push_screen(next));
        }
        if let Some(j) = out.jump {
            self.screens.clear();
            reqs.extend(self.jump(j));
        }
        reqs
    }

    pub(super) fn screen_key(&mut self, k: KeyEvent) -> Vec<Request> {
        let typing = self.screens.last().is_some_and(|s| s.screen.typing());
        let Some(mut slot) = self.screens.pop() else {
            return Vec::new();
        };
        let mut out = slot.screen.on_key(k, &ScreenCtx::new(self));
        let id = slot.id;
        self.screens.push(slot);
        if out.ignored && !typing {
            out.ignored = false;
            match keymap::lookup(&[Context::Screens], &k, self.rights()) {
                // A screen that has nothing left to clear or close inside itself.
                Some(Action::Back) => out.close = true,
                _ => {
                    // The console's own keys: quit, help, tabs, export, refresh.
                    let ctx = [Context::Global];
                    match keymap::lookup(&ctx, &k, self.rights()) {
                        Some(Action::Quit) => self.request_quit(),
                        Some(Action::Help) => self.help = Some(0),
                        Some(Action::Refresh) => {
                            let mut r = self.apply_screen_out(id, out);
                            r.extend(self.refresh(true));
                            return r;
                        }
                        Some(Action::Export) => {
                            let mut r = self.apply_screen_out(id, out);
                            r.extend(self.export());
                            return r;
                        }
                        Some(Action::OpenScreen(which)) => {
                            // Another screen's key switches to it (W inside E).
                            let mut r = self.apply_screen_out(id, out);
                            match screens::open(which, self) {
                                Ok(next) => {
                                    self.screens.clear();
                                    r.extend(self.push_screen(next));
                                }
                                // The screen in view stays; the reason shows below it.
                                Err(why) => self.set_status(StatusKind::Error, why),
                            }
                            return r;
                        }
                        Some(a @ (Action::NextTab | Action::PrevTab | Action::GoTab(_))) => {
                            // Leaving the screen for a tab closes it.
                            self.screens.clear();
                            return self.act(a);
                        }
                        _ => {}
                    }
                }
            }
        }
        self.apply_screen_out(id, out)
    }

    /// Goes to a server tab, and to a scope and address in it once the server is loaded.
    pub(super) fn jump(&mut self, j: Jump) -> Vec<Request> {
        let (server, target) = match j {
            Jump::Server(s) => (s, None),
            Jump::Scope { server, cidr, ip } => (server, Some((cidr, ip))),
        };
        if !self.fleet.rows.iter().any(|r| r.name == server) {
            self.set_status(
                StatusKind::Error,
                format!("no server named {server} in the config"),
            );
            return Vec::new();
        }
        let mut out: Vec<Request> = self.open_server(&server).into_iter().collect();
        if let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) {
            tab.stack.clear();
            tab.jump = target;
        }
        out.extend(self.finish_jump(&server));
        out
    }

    /// Opens the scope a jump asked for once its server's tree is there.
    pub(super) fn finish_jump(&mut self, server: &str) -> Vec<Request> {
        let Some(ti) = self.tabs.iter().position(|t| t.name == server) else {
            return Vec::new();
        };
        let tab = &mut self.tabs[ti];
        let (Some(data), Some((cidr, ip))) = (tab.data.clone(), tab.jump) else {
            return Vec::new();
        };
        tab.jump = None;
        let Some(def) = data
            .tree
            .scopes
            .iter()
            .find(|s| s.def.cidr == cidr)
            .map(|s| s.def.clone())
        else {
            self.set_status(
                StatusKind::Error,
                format!("scope {cidr} is not on {server} (any more)"),
            );
            return Vec::new();
        };
        let req = self.open_scope(ti, def);
        if let Some(View::Scope(s)) = self.tabs[ti].stack.last_mut() {
            s.jump_ip = ip;
        }
        req.into_iter().collect()
    }

    pub(super) fn open_server(&mut self, name: &str) -> Option<Request> {
        if let Some(i) = self.tabs.iter().position(|t| t.name == name) {
            self.active = i + 1;
            return None;
        }
        let (id, gen) = self.ids();
        self.tabs.push(ServerTab::new(name, gen));
        self.active = self.tabs.len();
        Some(Request {
            id,
            gen,
            target: Target::Server(name.to_string()),
            kind: RequestKind::LoadServer,
            baseline: None,
        })
    }

    pub(super) fn open_scope(&mut self, ti: usize, def: ScopeDef) -> Option<Request> {
        let (id, gen) = self.ids();
        let tab = &mut self.tabs[ti];
        let mut s = ScopeState::new(def, gen);
        let req = if s.def.status == ScopeStatus::Missing {
            s.load = Load::Failed(format!(
                "scope {} is listed by a ddish network but is not a subnet on {} any more: \
                 Esc, then a on it re-creates or forgets it",
                s.cidr, tab.name
            ));
            None
        } else {
            Some(Request {
                id,
                gen,
                target: Target::Scope {
                    server: tab.name.clone(),
                    cidr: s.cidr,
                },
                kind: RequestKind::LoadScope(Box::new(s.def.clone())),
                baseline: None,
            })
        };
        tab.stack.push(View::Scope(Box::new(s)));
        req
    }
}
