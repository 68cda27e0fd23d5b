//! Since when each service has been in its state, across refreshes.
use std::collections::HashMap;
use std::time::Duration;

use super::*;

/// How long each keyed thing has been in its current state: fed every refresh, it answers
/// "since when" (a service down since 14:02, a zone with differing serials for 5 min).
#[derive(Clone, Debug, Default)]
pub struct StateClock {
    seen: HashMap<String, (String, i64)>,
}

impl StateClock {
    /// Records `state` for `key` at `at`; returns when that state began (`at` if it is new).
    pub fn observe(&mut self, key: &str, state: &str, at: i64) -> i64 {
        match self.seen.get(key) {
            Some((s, since)) if s == state => *since,
            _ => {
                self.seen.insert(key.to_string(), (state.to_string(), at));
                at
            }
        }
    }
}

/// Per-server polling state for a background refresher: back-off after failures, the last
/// good refresh and since when the current state holds.
#[derive(Clone, Debug)]
pub struct FleetWatch {
    interval: Duration,
    max_backoff: Duration,
    entries: HashMap<String, WatchEntry>,
    clock: StateClock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchEntry {
    pub state: ServiceState,
    /// Epoch seconds since the server has been in `state`.
    pub since: i64,
    pub last_good: Option<i64>,
    /// Failed refreshes in a row.
    pub failures: u32,
    /// Epoch seconds when the server is next due.
    pub next_due: i64,
}

impl FleetWatch {
    /// `interval`: the normal refresh period; a failing server waits twice as long after
    /// each failure, up to `max_backoff`, so dead servers don't eat the polling budget.
    pub fn new(interval: Duration, max_backoff: Duration) -> FleetWatch {
        FleetWatch {
            interval,
            max_backoff: max_backoff.max(interval),
            entries: HashMap::new(),
            clock: StateClock::default(),
        }
    }

    /// The servers among `names` due for a refresh at `at` (never refreshed ones included).
    pub fn due(&self, names: &[String], at: i64) -> Vec<String> {
        names
            .iter()
            .filter(|n| self.entries.get(*n).is_none_or(|e| e.next_due <= at))
            .cloned()
            .collect()
    }

    pub fn entry(&self, name: &str) -> Option<&WatchEntry> {
        self.entries.get(name)
    }

    /// Takes in one refresh result: schedules the next one and fills in `last_good` from
    /// earlier refreshes when this one failed.
    pub fn record(&mut self, s: &mut ServiceStatus) {
        let prev = self.entries.get(&s.name).copied();
        let failures = if s.state.is_ok() {
            0
        } else {
            prev.map_or(0, |p| p.failures).saturating_add(1)
        };
        if s.last_good.is_none() {
            s.last_good = prev.and_then(|p| p.last_good);
        }
        let wait = if failures == 0 {
            self.interval
        } else {
            (self.interval * 2u32.saturating_pow(failures.min(16))).min(self.max_backoff)
        };
        let since = self.clock.observe(&s.name, s.state.label(), s.checked_at);
        self.entries.insert(
            s.name.clone(),
            WatchEntry {
                state: s.state,
                since,
                last_good: s.last_good,
                failures,
                next_due: s.checked_at + wait.as_secs().max(1) as i64,
            },
        );
    }
}
