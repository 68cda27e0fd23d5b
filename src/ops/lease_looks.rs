//! The last look at each scope's leases this ddish took, and the changes since recorded
//! as events (issue 13 item 7): the console reads a scope's leases at every refresh, so
//! an address's history can say who had it between ddish's looks. The first look at a
//! scope only sets its baseline. Kept in memory (a bounded number of addresses) and
//! written to the events file beside the journal, which every ddish sharing it reads.
use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::lease_watch::{self, Change, Look};
use crate::model::Lease;

use super::events::{Event, EventFiles, EventKind};

/// Addresses remembered over all scopes; the scope looked at longest ago goes first.
const MAX_REMEMBERED: usize = 262_144;
/// Changes itemised per look; beyond them one event says how many more (a scope first
/// seen after a long time away, or a mass renumbering).
const MAX_PER_LOOK: usize = 1_000;

#[derive(Default)]
pub(super) struct LeaseLooks {
    looks: HashMap<(String, u32), Look>,
    /// Least recently looked first.
    order: VecDeque<(String, u32)>,
}

impl LeaseLooks {
    /// Remembers this look at `server`'s subnet `id` and returns the changes since the
    /// last one (none at the first).
    fn saw(&mut self, server: &str, id: u32, leases: &[Lease], now: i64) -> Vec<Change> {
        let key = (server.to_string(), id);
        let fresh = lease_watch::look(leases, now);
        let changes = match self.looks.get(&key) {
            Some(before) => lease_watch::diff(before, &fresh),
            None => Vec::new(),
        };
        self.order.retain(|k| *k != key);
        self.order.push_back(key.clone());
        self.looks.insert(key, fresh);
        let mut total: usize = self.looks.values().map(HashMap::len).sum();
        while total > MAX_REMEMBERED && self.order.len() > 1 {
            if let Some(old) = self.order.pop_front() {
                total -= self.looks.remove(&old).map_or(0, |l| l.len());
            }
        }
        changes
    }
}

/// The events a look's changes make: one per address, at most [`MAX_PER_LOOK`], then one
/// that counts the rest.
fn events(server: &str, scope: Ipv4Net, changes: &[Change], now: i64) -> Vec<Event> {
    let event = |description: String, ip: Option<Ipv4Addr>| Event {
        time: now,
        server: server.to_string(),
        kind: EventKind::LeaseChanged,
        description,
        user: String::new(),
        result: None,
        scope: Some(scope),
        ip,
    };
    let mut out: Vec<Event> = changes
        .iter()
        .take(MAX_PER_LOOK)
        .map(|c| event(c.describe(), Some(c.ip())))
        .collect();
    if changes.len() > MAX_PER_LOOK {
        out.push(event(
            format!(
                "{} more lease changes in {scope} since ddish last looked (not itemised)",
                changes.len() - MAX_PER_LOOK
            ),
            None,
        ));
    }
    out
}

impl super::Session {
    /// Records a look at `scope`'s leases (subnet `id` on `server`): the changes since the
    /// last look become events. A file problem is logged, never the reader's failure.
    pub(super) async fn saw_leases(&self, server: &str, id: u32, scope: Ipv4Net, leases: &[Lease]) {
        let now = super::now();
        let changes = self
            .lease_looks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .saw(server, id, leases, now);
        if changes.is_empty() {
            return;
        }
        let files = EventFiles::for_config(self.config());
        // Two consoles on one scope see a change within a refresh of each other.
        let window = (2 * self.config().settings.refresh_interval.as_secs()).max(60) as i64;
        let events = events(server, scope, &changes, now);
        let server = server.to_string();
        // The file's lock may wait on another ddish: not on an async worker thread. Awaited,
        // so what the look saw is in the file when the look returns.
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = files.append_unrecorded(&events, window) {
                tracing::warn!("lease changes of {scope} on {server} not recorded: {e}");
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HwAddr, LeaseMark, LeaseState};

    fn lease(last: u8, mac: &str) -> Lease {
        Lease {
            ip: Ipv4Addr::new(10, 0, 0, last),
            subnet_id: 1,
            hw: HwAddr::parse(mac).unwrap(),
            client_id: None,
            hostname: None,
            cltt: 100,
            valid_lft: 3_600,
            state: LeaseState::Default,
            mark: LeaseMark::None,
            extra: None,
        }
    }

    #[test]
    fn the_first_look_is_a_baseline_and_memory_is_bounded() {
        let mut l = LeaseLooks::default();
        assert!(l
            .saw("a", 1, &[lease(1, "aa:00:00:00:00:01")], 200)
            .is_empty());
        let c = l.saw("a", 1, &[lease(1, "bb:00:00:00:00:01")], 300);
        assert_eq!(c.len(), 1);
        // Another server's subnet 1 is another scope.
        assert!(l.saw("b", 1, &[], 300).is_empty());
        // Past the bound the scope looked at longest ago is forgotten (never the fresh one).
        let many: Vec<Lease> = (0..=255u8).map(|i| lease(i, "aa:00:00:00:00:01")).collect();
        for id in 2..(2 + (MAX_REMEMBERED / 256) as u32 + 1) {
            l.saw("c", id, &many, 300);
        }
        let total: usize = l.looks.values().map(HashMap::len).sum();
        assert!(total <= MAX_REMEMBERED, "{total}");
        assert!(!l.looks.contains_key(&("a".to_string(), 1)));
    }

    #[test]
    fn a_flood_of_changes_is_counted_not_itemised() {
        let scope: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        let changes: Vec<Change> = (0..1_005u32)
            .map(|i| Change::Ended {
                ip: Ipv4Addr::from(0x0a00_0000 + i),
                from: lease_watch::Seen::of(&lease(1, "aa:00:00:00:00:01"), 200).unwrap(),
            })
            .collect();
        let e = events("kea", scope, &changes, 500);
        assert_eq!(e.len(), MAX_PER_LOOK + 1);
        assert!(e
            .last()
            .unwrap()
            .description
            .starts_with("5 more lease changes"));
        assert!(e
            .iter()
            .all(|x| x.kind == EventKind::LeaseChanged && x.scope == Some(scope)));
    }
}
