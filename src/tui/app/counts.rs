//! Summary cards above the scope level (issue 13 item 9): a server's and a network's
//! addresses counted by state (available, assigned, claimed, held, reserved, excluded...)
//! by a background job, for at most `ops::MAX_COUNTED` scopes at a time.
use crate::model::tree::ScopeSummary;
use crate::model::{ScopeCounts, ScopeDef, ScopeStatus};
use crate::ops::{Command, Outcome, MAX_COUNTED};
use crate::tui::screen::{JobResult, ScreenJob};

use super::*;

/// The key the server-wide count is kept under.
pub const SERVER_KEY: &str = "server";

impl App {
    /// A count of `scopes` for the summary `key` of `server` ("server" or a network's node
    /// key); too many to count is said at once, without a request.
    pub(super) fn count_request(
        &mut self,
        server: String,
        key: String,
        scopes: &[&ScopeSummary],
    ) -> Option<Request> {
        let live = scopes
            .iter()
            .filter(|s| s.def.status != ScopeStatus::Missing)
            .count();
        if live > MAX_COUNTED {
            // Too many scopes to read the leases of: Kea's statistics tell the rest.
            let has_stats = self
                .tabs
                .iter()
                .find(|t| t.name == server)
                .and_then(|t| t.data.as_ref())
                .is_some_and(|d| d.has_command("stat-lease4-get"));
            let counts = if has_stats {
                stats_counts(scopes)
            } else {
                Err(format!(
                    "{live} scopes: no lease statistics on this server (libdhcp_stat_cmds); \
                     open a network or block (at most {MAX_COUNTED} scopes) for its counts"
                ))
            };
            self.set_counts(&server, &key, counts);
            return None;
        }
        if key == SERVER_KEY {
            // Marked as under way, so the next poll's load does not count again meanwhile.
            self.set_counts(&server, &key, Err("counting…".into()));
        }
        // Cloned only now: a big server's thousands of definitions never are.
        let scopes: Vec<ScopeDef> = scopes
            .iter()
            .filter(|s| s.def.status != ScopeStatus::Missing)
            .map(|s| s.def.clone())
            .collect();
        let (id, gen) = self.ids();
        Some(Request {
            id,
            gen,
            target: Target::Counts {
                server: server.clone(),
                key,
            },
            kind: RequestKind::Screen(ScreenJob::new(
                "counts",
                Command::CountScopes { server, scopes },
            )),
            baseline: None,
        })
    }

    pub(super) fn on_counts(&mut self, server: &str, key: &str, res: JobResult) {
        let counts = match res.0 {
            Ok(Outcome::Counts(c)) => Ok(c),
            Ok(o) => {
                tracing::error!("unexpected outcome of a count: {o:?}");
                Err("internal error while counting; details are in the ddish log".into())
            }
            Err(e) => Err(e),
        };
        self.set_counts(server, key, counts);
    }

    /// After new statistics (or their failure, `failed`): every summary told from
    /// statistics, the server's and its open networks', is told again.
    pub(super) fn recount_from_stats(&mut self, server: &str, failed: Option<&str>) {
        let Some(tab) = self.tabs.iter().find(|t| t.name == server) else {
            return;
        };
        let Some(data) = tab.data.clone() else {
            return;
        };
        let told = |c: &Option<Result<ScopeCounts, String>>| match c {
            Some(Ok(c)) => c.from_stats,
            Some(Err(e)) => e.ends_with(NO_STATS),
            None => false,
        };
        let mut again: Vec<(String, Vec<usize>)> = Vec::new();
        if told(&tab.counts) {
            again.push((SERVER_KEY.into(), (0..data.tree.scopes.len()).collect()));
        }
        for v in &tab.stack {
            if let View::Network(n) = v {
                if told(&n.counts) {
                    again.push((n.key.clone(), n.scopes(&data.tree).unwrap_or_default()));
                }
            }
        }
        for (key, idx) in again {
            let counts = match failed {
                Some(e) => Err(format!("lease statistics not read: {e}")),
                None => {
                    let scopes: Vec<&ScopeSummary> =
                        idx.iter().map(|i| &data.tree.scopes[*i]).collect();
                    stats_counts(&scopes)
                }
            };
            self.set_counts(server, &key, counts);
        }
    }

    fn set_counts(&mut self, server: &str, key: &str, counts: Result<ScopeCounts, String>) {
        let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return;
        };
        if key == SERVER_KEY {
            tab.counts = Some(counts);
            return;
        }
        for v in tab.stack.iter_mut() {
            if let View::Network(n) = v {
                if n.key == key {
                    n.counts = Some(counts.clone());
                }
            }
        }
    }
}

/// Said while a big server's statistics have not arrived.
const NO_STATS: &str = "waiting for Kea's lease statistics";

/// The summary of many scopes from their statistics and configuration (holds and claims
/// in assigned); none until some statistics are there, rather than zero leases.
fn stats_counts(scopes: &[&ScopeSummary]) -> Result<ScopeCounts, String> {
    if scopes.iter().all(|s| s.stats.is_none()) {
        return Err(format!("{} scopes: {NO_STATS}", scopes.len()));
    }
    let mut c = ScopeCounts {
        from_stats: true,
        ..ScopeCounts::default()
    };
    for s in scopes {
        c.merge(&crate::export::counts_from_stats(s));
    }
    Ok(c)
}
