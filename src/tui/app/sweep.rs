//! The scope view's ping sweep (`P`): one job per step so the view stays live, progress in
//! the status line, findings kept on the scope for the grid, the popup and the export.
use crate::model::sweep::{Sweep, DEFAULT_RATE};
use crate::ops::{Command, Outcome};
use crate::tui::screen::{JobResult, ScreenJob};
use crate::tui::views::SweepState;

use super::*;

impl App {
    /// `P` in a scope view: start a sweep of the scope, or stop the one running.
    pub(super) fn sweep_key(&mut self, ti: usize) -> Vec<Request> {
        let server = self.tabs[ti].name.clone();
        let (id, gen) = self.ids();
        let Some(s) = self.scope_mut(ti) else {
            return Vec::new();
        };
        let cidr = s.cidr;
        if let Some(st) = s.sweep.as_mut().filter(|st| st.running()) {
            st.step = None;
            let msg = format!("sweep of {cidr} stopped: {}", st.sweep.progress());
            self.set_status(StatusKind::Info, msg);
            return Vec::new();
        }
        let sweep = Sweep::new(&server, cidr, DEFAULT_RATE);
        let msg = format!(
            "sweeping {cidr}: {} addresses at {DEFAULT_RATE}/s, about {}; P stops it",
            sweep.total(),
            crate::ops::sweep::human(sweep.estimate())
        );
        s.sweep = Some(SweepState {
            sweep: sweep.clone(),
            step: Some(id),
            error: None,
        });
        self.set_status(StatusKind::Busy, msg);
        vec![step_request(id, gen, sweep)]
    }

    /// A step answered: keep its answers; send the next step, or say what was found.
    pub(super) fn on_sweep_step(
        &mut self,
        server: &str,
        cidr: ipnet::Ipv4Net,
        id: u64,
        res: JobResult,
    ) -> Vec<Request> {
        let (next_id, gen) = self.ids();
        let Some(st) = self
            .tabs
            .iter_mut()
            .find(|t| t.name == server)
            .and_then(|t| t.scope_by_cidr(cidr))
            .and_then(|s| s.sweep.as_mut())
            .filter(|st| st.step == Some(id))
        else {
            // Stopped, or a newer sweep of the scope: this answer is not wanted.
            return Vec::new();
        };
        let sweep = match res.0 {
            Ok(Outcome::Sweep(sw)) => *sw,
            Ok(o) => {
                st.step = None;
                tracing::error!("unexpected outcome of a sweep step: {o:?}");
                let e = "internal error in the sweep; details are in the ddish log".to_string();
                st.error = Some(e.clone());
                self.set_status(StatusKind::Error, e);
                return Vec::new();
            }
            Err(e) => {
                st.step = None;
                st.error = Some(e.clone());
                let msg = format!("sweep of {cidr} stopped: {e}");
                self.set_status(StatusKind::Error, msg);
                return Vec::new();
            }
        };
        st.sweep = sweep.clone();
        if !sweep.done() {
            st.step = Some(next_id);
            let msg = format!("sweeping {cidr}: {}; P stops it", sweep.progress());
            self.set_status(StatusKind::Busy, msg);
            return vec![step_request(next_id, gen, sweep)];
        }
        st.step = None;
        let msg = format!(
            "sweep of {cidr} done: {} · ! conflict, ? silent",
            sweep.progress()
        );
        self.set_status(StatusKind::Info, msg);
        // The findings compare answers with DHCP now: read the scope again.
        let in_view = self.scope_tab().is_some_and(|ti| {
            self.tabs[ti].name == server
                && matches!(self.tabs[ti].stack.last(), Some(View::Scope(s)) if s.cidr == cidr)
        });
        if in_view && self.screens.is_empty() {
            return self.refresh(true);
        }
        Vec::new()
    }
}

fn step_request(id: u64, gen: u64, sweep: Sweep) -> Request {
    Request {
        id,
        gen,
        target: Target::Sweep {
            server: sweep.server.clone(),
            cidr: sweep.cidr,
        },
        kind: RequestKind::Screen(ScreenJob::new("sweep", Command::SweepStep(Box::new(sweep)))),
        baseline: None,
    }
}
