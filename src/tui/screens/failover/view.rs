//! What the Manage Failover list shows of one relationship, and how long each server has
//! been in its HA state. Kea 2.2's status-get does not say since when, so the screen notes
//! the time it first saw the current state; a state that was already there when the screen
//! opened shows as "at least".
use std::collections::HashMap;

use crate::ops::failover::FailoverInfo;

/// The relationship is in maintenance (or its partner is), so `m` cancels it.
pub fn in_maintenance(r: &FailoverInfo) -> bool {
    matches!(
        r.local_state.as_deref(),
        Some("in-maintenance" | "partner-in-maintenance")
    ) || matches!(
        r.partner_state.as_deref(),
        Some("in-maintenance" | "partner-in-maintenance")
    )
}

/// How the partner is called: its ddish server name, else Kea's peer name.
pub fn partner_name(r: &FailoverInfo) -> &str {
    r.partner_server.as_deref().unwrap_or(&r.partner_peer)
}

/// When each relationship's state (this server's and the partner's) was first seen.
#[derive(Clone, Debug, Default)]
pub struct Since {
    seen: HashMap<String, Seen>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    local: Option<String>,
    partner: Option<String>,
    local_since: i64,
    partner_since: i64,
    /// The change was seen happen (else the state was there at the first look).
    local_exact: bool,
    partner_exact: bool,
}

/// How long a state has lasted, as shown: `2m` or `≥ 2m`.
pub fn lasted(since: i64, exact: bool, now: i64) -> String {
    let d = crate::tui::render::fmt::duration(now.saturating_sub(since).max(0));
    if exact {
        d
    } else {
        format!("≥ {d}")
    }
}

impl Since {
    /// Notes the states of a fresh list read at `now`.
    pub fn update(&mut self, rels: &[FailoverInfo], now: i64) {
        let mut next = HashMap::new();
        for r in rels {
            let s = match self.seen.remove(&r.name) {
                None => Seen {
                    local: r.local_state.clone(),
                    partner: r.partner_state.clone(),
                    local_since: now,
                    partner_since: now,
                    local_exact: false,
                    partner_exact: false,
                },
                Some(mut s) => {
                    if s.local != r.local_state {
                        s.local = r.local_state.clone();
                        s.local_since = now;
                        s.local_exact = true;
                    }
                    if s.partner != r.partner_state {
                        s.partner = r.partner_state.clone();
                        s.partner_since = now;
                        s.partner_exact = true;
                    }
                    s
                }
            };
            next.insert(r.name.clone(), s);
        }
        self.seen = next;
    }

    /// (this server's, the partner's) state duration at `now`.
    pub fn of(&self, name: &str, now: i64) -> Option<(String, String)> {
        let s = self.seen.get(name)?;
        Some((
            lasted(s.local_since, s.local_exact, now),
            lasted(s.partner_since, s.partner_exact, now),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(local: &str, partner: &str) -> FailoverInfo {
        let mut r = super::super::tests_support::info("a-b");
        r.local_state = Some(local.into());
        r.partner_state = Some(partner.into());
        r
    }

    #[test]
    fn durations_follow_changes() {
        let mut s = Since::default();
        s.update(&[rel("load-balancing", "load-balancing")], 100);
        assert_eq!(s.of("a-b", 160).unwrap(), ("≥ 1m".into(), "≥ 1m".into()));
        s.update(&[rel("partner-down", "unavailable")], 170);
        s.update(&[rel("partner-down", "unavailable")], 180);
        assert_eq!(s.of("a-b", 200).unwrap(), ("30s".into(), "30s".into()));
        // Gone from the list: forgotten.
        s.update(&[], 210);
        assert!(s.of("a-b", 210).is_none());
    }

    #[test]
    fn maintenance_on_either_side() {
        assert!(!in_maintenance(&rel("load-balancing", "load-balancing")));
        assert!(in_maintenance(&rel(
            "partner-in-maintenance",
            "in-maintenance"
        )));
    }
}
