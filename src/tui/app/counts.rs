//! Summary cards above the scope level (issue 13 item 9): a server's and a network's
//! addresses counted by state (available, assigned, claimed, held, reserved, excluded...)
//! by a background job, for at most `ops::MAX_COUNTED` scopes at a time.
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
        scopes: &[&ScopeDef],
    ) -> Option<Request> {
        let live = scopes
            .iter()
            .filter(|d| d.status != ScopeStatus::Missing)
            .count();
        if live > MAX_COUNTED {
            let why = format!(
                "{live} scopes: open a network or block (at most {MAX_COUNTED}) for its counts"
            );
            self.set_counts(&server, &key, Err(why));
            return None;
        }
        if key == SERVER_KEY {
            // Marked as under way, so the next poll's load does not count again meanwhile.
            self.set_counts(&server, &key, Err("counting…".into()));
        }
        // Cloned only now: a big server's thousands of definitions never are.
        let scopes: Vec<ScopeDef> = scopes
            .iter()
            .filter(|d| d.status != ScopeStatus::Missing)
            .map(|d| (*d).clone())
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
