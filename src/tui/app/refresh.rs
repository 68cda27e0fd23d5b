//! Reloading what is shown (fleet checks, the refresh tick) and exports.

use crate::model::{NodeKind, ScopeStatus};
use crate::tui::views::{Load, View};

use super::*;

impl App {
    pub(super) fn check_fleet(&mut self, force: bool) -> Vec<Request> {
        let mut out = Vec::new();
        for i in 0..self.fleet.rows.len() {
            if self.fleet.rows[i].checking && !force {
                continue;
            }
            let (id, gen) = self.ids();
            let row = &mut self.fleet.rows[i];
            row.checking = true;
            row.gen = gen;
            out.push(Request {
                id,
                gen,
                target: Target::Fleet(row.name.clone()),
                kind: RequestKind::CheckServer,
                baseline: None,
            });
        }
        out
    }

    /// `r` (force) or the refresh timer: the Servers tab is always re-checked by the timer;
    /// the visible server view reloads (the timer skips one still loading, so a slow server
    /// is not restarted forever).
    pub(super) fn refresh(&mut self, force: bool) -> Vec<Request> {
        if !self.screens.is_empty() {
            // The screen on top reloads what it shows; the fleet is still watched.
            let mut out = self.with_screen(|s, app| s.on_refresh(force, app));
            if !force {
                out.extend(self.check_fleet(false));
            }
            return out;
        }
        let mut out = Vec::new();
        if !force || self.active == 0 {
            out = self.check_fleet(force);
        }
        let Some(ti) = self.active.checked_sub(1) else {
            return out;
        };
        let (id, gen) = self.ids();
        let Some(tab) = self.tabs.get_mut(ti) else {
            return out;
        };
        let latest = tab.data.clone();
        match tab.stack.last_mut() {
            Some(View::Scope(s)) => {
                if s.load == Load::Loading && !force {
                    return out;
                }
                if let Some(d) = latest
                    .as_ref()
                    .and_then(|d| d.tree.scopes.iter().find(|x| x.def.cidr == s.cidr).cloned())
                {
                    s.def = d.def;
                }
                if s.def.status == ScopeStatus::Missing {
                    return out;
                }
                s.load = Load::Loading;
                s.gen = gen;
                // With the tree: reservations and pools live in the definition, which
                // another admin may have changed.
                out.push(Request {
                    id,
                    gen,
                    target: Target::Scope {
                        server: tab.name.clone(),
                        cidr: s.cidr,
                    },
                    kind: RequestKind::ReloadScope(s.cidr),
                    baseline: None,
                });
            }
            _ => {
                if tab.load == Load::Loading && !force {
                    return out;
                }
                tab.load = Load::Loading;
                tab.gen = gen;
                if force {
                    // r counts the addresses again with the new load.
                    tab.counts = None;
                }
                out.push(Request {
                    id,
                    gen,
                    target: Target::Server(tab.name.clone()),
                    kind: RequestKind::LoadServer,
                    baseline: None,
                });
            }
        }
        out
    }

    pub(super) fn export(&mut self) -> Option<Request> {
        let job = match self.export_job() {
            Ok(j) => j,
            Err(why) => {
                self.status = Some(Status {
                    text: why,
                    kind: StatusKind::Error,
                });
                return None;
            }
        };
        let (id, gen) = self.ids();
        self.export_id = Some(id);
        self.status = Some(Status {
            text: "exporting to CSV…".into(),
            kind: StatusKind::Busy,
        });
        Some(Request {
            id,
            gen,
            target: Target::Export,
            kind: RequestKind::Export(job),
            baseline: None,
        })
    }

    /// The rows of the current view, filter applied.
    pub(super) fn export_job(&self) -> Result<ExportJob, String> {
        if let Some(top) = self.screens.last() {
            return top
                .screen
                .export()
                .map(ExportJob::Table)
                .ok_or_else(|| format!("nothing to export on {}", top.screen.title()));
        }
        let Some(tab) = self.tab() else {
            let rows = self
                .fleet
                .visible()
                .into_iter()
                .map(|i| self.fleet.rows[i].health_or_unchecked())
                .collect();
            return Ok(ExportJob::Servers(rows));
        };
        let not_loaded = || format!("nothing to export: {} is not loaded yet", tab.name);
        match tab.stack.last() {
            Some(View::Scope(s)) => {
                let view = s.data.clone().ok_or_else(not_loaded)?;
                Ok(ExportJob::Ips {
                    server: tab.name.clone(),
                    view,
                    filter: s.filter.clone(),
                    sweep: s.sweep.as_ref().map(|st| st.sweep.clone()),
                })
            }
            Some(View::Network(n)) => {
                let data = tab.data.as_ref().ok_or_else(not_loaded)?;
                let idx = n
                    .scopes(&data.tree)
                    .ok_or_else(|| format!("{} is no longer on {}", n.label, tab.name))?;
                Ok(ExportJob::Scopes {
                    server: tab.name.clone(),
                    data: data.clone(),
                    scopes: idx,
                    what: "network-scopes".into(),
                })
            }
            None => {
                let data = tab.data.as_ref().ok_or_else(not_loaded)?;
                let full = tab.tree.all_open();
                let idx: Vec<usize> = full
                    .rows(&data.tree)
                    .iter()
                    .filter_map(|r| match r.node.kind {
                        NodeKind::Scope(i) => Some(i),
                        _ => None,
                    })
                    .collect();
                Ok(ExportJob::Scopes {
                    server: tab.name.clone(),
                    data: data.clone(),
                    scopes: idx,
                    what: "scopes".into(),
                })
            }
        }
    }
}
