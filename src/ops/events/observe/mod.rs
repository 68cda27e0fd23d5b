//! Observing the fleet: a snapshot of what matters for events (per DHCP server: running,
//! config digest, scopes and whether each is active; per DNS server: answering; per zone:
//! the serial at its primary), compared with the previous one kept on disk.
//!
//! A thing not seen in this observation (a failed load, a server left out by a filter)
//! keeps its last known values, so a server that goes down and comes back is compared with
//! what it was before it went down. A thing never seen before records no event.
//!
//! "Changed outside ddish": the configuration digest moved and no successful ddish change
//! in the journal explains it. Explaining entries are those written after the journal mark
//! taken before the previous read (by time when there is no mark), naming that server, or
//! its HA peer when both run HA and both moved (ddish writes a pair under one entry), and
//! not a lease- or DNS-only action. An outside change made in the same window as a ddish
//! change on the same server is therefore not told apart.
use super::EventsError;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::audit::Entry;
use crate::config::Config;
use crate::model::ScopeStatus;
use crate::ops::fleet::{self, DnsStatus, ServiceStatus};
use crate::ops::zones::{self, ZoneHealth};
use crate::ops::Session;

use super::store::{journal_mark, read_journal, EventFiles, JournalLog};
use super::{Event, EventKind};

/// Seconds of leeway around the window a journal entry must fall in to explain a change
/// (clocks of admins' sessions on one host agree; this covers the second rounding).
pub const EXPLAIN_SLACK: i64 = 2;

/// Journal actions that never touch a server's configuration (leases, DNS records): they
/// don't explain a configuration change.
const NOT_CONFIG: [&str; 4] = ["hold", "release", "dns-add", "dns-delete"];

/// The fleet as observed: what events are computed from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Epoch seconds of the observation that last wrote it.
    pub taken_at: i64,
    #[serde(default)]
    pub servers: BTreeMap<String, ServerSnap>,
    #[serde(default)]
    pub dns: BTreeMap<String, DnsSnap>,
    #[serde(default)]
    pub zones: BTreeMap<String, ZoneSnap>,
    /// The journal's size before this refresh ([`journal_mark`]): journal entries past
    /// it were written after the configurations were read.
    #[serde(default)]
    pub journal_mark: Option<u64>,
}

/// One DHCP server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSnap {
    /// The service state's label (`running`, `daemon stopped`, ...).
    pub state: String,
    pub running: bool,
    /// Runs the HA hook (its peers get ddish's writes to it too).
    #[serde(default)]
    pub ha: bool,
    /// Digest of its configuration, as last read.
    #[serde(default)]
    pub digest: Option<u64>,
    /// Its scopes (CIDR -> active), as last read.
    #[serde(default)]
    pub scopes: Option<BTreeMap<String, bool>>,
    /// When `digest` and `scopes` were read.
    #[serde(default)]
    pub read_at: Option<i64>,
    /// The journal's size before they were read.
    #[serde(default)]
    pub journal_mark: Option<u64>,
    pub seen_at: i64,
}

/// One DNS server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsSnap {
    pub addr: String,
    pub answering: bool,
    pub seen_at: i64,
}

/// One zone: its serial at the primary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneSnap {
    /// The primary's name (a configured DNS server's, or its address).
    pub primary: String,
    #[serde(default)]
    pub serial: Option<u32>,
    #[serde(default)]
    pub read_at: Option<i64>,
    #[serde(default)]
    pub journal_mark: Option<u64>,
    pub seen_at: i64,
}

impl Snapshot {
    /// Sets the journal mark taken before the refresh this snapshot comes from (see
    /// [`journal_mark`]): without it, journal entries are matched by time alone, which
    /// can't tell a ddish change made in the same second as the previous refresh.
    pub fn marked(mut self, mark: u64) -> Snapshot {
        self.journal_mark = Some(mark);
        for s in self.servers.values_mut() {
            if s.digest.is_some() {
                s.journal_mark = Some(mark);
            }
        }
        for z in self.zones.values_mut() {
            if z.serial.is_some() {
                z.journal_mark = Some(mark);
            }
        }
        self
    }

    /// What one refresh saw. Pass only what was refreshed: the rest keeps its last known
    /// state when recorded.
    /// `servers`: each status with the digest of the configuration it read
    /// ([`fleet::status_of_digest`]).
    pub fn from_status(
        servers: &[(ServiceStatus, Option<u64>)],
        dns: &[DnsStatus],
        zones: &[ZoneHealth],
        at: i64,
    ) -> Snapshot {
        let mut s = Snapshot {
            taken_at: at,
            ..Snapshot::default()
        };
        for (r, digest) in servers {
            let scopes = r.tree.as_ref().map(|t| {
                t.scopes
                    .iter()
                    .filter(|x| x.def.id != 0 && x.def.status != ScopeStatus::Missing)
                    .map(|x| (x.def.cidr.to_string(), x.def.status == ScopeStatus::Active))
                    .collect()
            });
            let digest = *digest;
            s.servers.insert(
                r.name.clone(),
                ServerSnap {
                    state: r.state.label().to_string(),
                    running: r.state.is_ok(),
                    ha: r.ha_state.is_some(),
                    read_at: digest.map(|_| r.checked_at),
                    journal_mark: None,
                    digest,
                    scopes: if digest.is_some() { scopes } else { None },
                    seen_at: r.checked_at,
                },
            );
        }
        for d in dns {
            s.dns.insert(
                d.name.clone(),
                DnsSnap {
                    addr: d.addr.to_string(),
                    answering: d.answering,
                    seen_at: d.checked_at,
                },
            );
        }
        for z in zones {
            let Some(p) = z.servers.iter().find(|c| c.primary) else {
                continue;
            };
            let serial = p.serial.filter(|_| p.authoritative);
            s.zones.insert(
                z.zone.clone(),
                ZoneSnap {
                    primary: p.name.clone(),
                    serial,
                    read_at: serial.map(|_| z.checked_at),
                    journal_mark: None,
                    seen_at: z.checked_at,
                },
            );
        }
        s
    }
}

/// What an observation found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// The new events, in the order they were appended.
    pub events: Vec<Event>,
    /// No snapshot was there before: this observation is the baseline, no events.
    pub first: bool,
    pub at: i64,
}

/// Refreshes every configured DHCP server, DNS server and zone, then [`record`]s what
/// changed since the last observation (by any ddish sharing this journal).
pub async fn observe(session: &Session) -> Result<Observed, EventsError> {
    let cfg = session.config();
    let conc = fleet::DEFAULT_CONCURRENCY;
    let names: Vec<String> = cfg.servers.iter().map(|s| s.name.clone()).collect();
    let mark = journal_mark(cfg);
    let (servers, dns, zones) = tokio::join!(
        fleet::status_of_digest(session, &names, conc),
        fleet::dns_status_all(cfg, conc),
        zones::zones_health(cfg, conc)
    );
    let snap = Snapshot::from_status(&servers, &dns, &zones, super::super::now()).marked(mark);
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || record(&cfg, &snap))
        .await
        .map_err(|e| EventsError::Internal(format!("internal error while recording events: {e}")))?
}

/// Compares `fresh` with the stored snapshot, appends the changes as events next to the
/// journal and stores the merged snapshot, all under the observation lock. Blocking (file
/// locks): call it from a blocking thread in async code.
pub fn record(cfg: &Config, fresh: &Snapshot) -> Result<Observed, EventsError> {
    let files = EventFiles::for_config(cfg);
    let lock = files.lock()?;
    let prev = files.read_snapshot(&lock)?;
    let first = prev.is_none();
    let prev = prev.unwrap_or_default();
    let events = if first {
        Vec::new()
    } else {
        diff(&prev, fresh, &mut || {
            read_journal(&cfg.settings.journal).unwrap_or_else(|e| {
                tracing::warn!("events: the journal can't be read to explain changes: {e}");
                JournalLog::default()
            })
        })
    };
    let merged = merge(prev, fresh);
    files.append(&lock, &events)?;
    files.write_snapshot(&lock, &merged)?;
    Ok(Observed {
        events,
        first,
        at: fresh.taken_at,
    })
}

/// `fresh` over `prev`: what was not read this time keeps its last known value.
fn merge(mut prev: Snapshot, fresh: &Snapshot) -> Snapshot {
    prev.taken_at = fresh.taken_at;
    prev.journal_mark = fresh.journal_mark;
    for (name, s) in &fresh.servers {
        let mut s = s.clone();
        if s.digest.is_none() {
            if let Some(p) = prev.servers.get(name) {
                s.digest = p.digest;
                s.scopes = p.scopes.clone();
                s.read_at = p.read_at;
                s.journal_mark = p.journal_mark;
            }
        }
        prev.servers.insert(name.clone(), s);
    }
    for (name, d) in &fresh.dns {
        prev.dns.insert(name.clone(), d.clone());
    }
    for (name, z) in &fresh.zones {
        let mut z = z.clone();
        if z.serial.is_none() {
            if let Some(p) = prev.zones.get(name) {
                z.serial = p.serial;
                z.read_at = p.read_at;
                z.journal_mark = p.journal_mark;
            }
        }
        prev.zones.insert(name.clone(), z);
    }
    prev
}

/// The scope changes between two scope maps, as (kind, cidr), in CIDR order.
fn scope_changes(
    before: &BTreeMap<String, bool>,
    after: &BTreeMap<String, bool>,
) -> Vec<(EventKind, String)> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let kind = match (before.get(k), after.get(k)) {
                (None, Some(_)) => EventKind::ScopeAppeared,
                (Some(_), None) => EventKind::ScopeVanished,
                (Some(true), Some(false)) => EventKind::ScopeDeactivated,
                (Some(false), Some(true)) => EventKind::ScopeReactivated,
                _ => return None,
            };
            Some((kind, k.clone()))
        })
        .collect()
}

fn scope_words(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ScopeAppeared => "appeared",
        EventKind::ScopeVanished => "vanished",
        EventKind::ScopeDeactivated => "was deactivated",
        EventKind::ScopeReactivated => "was reactivated",
        _ => "changed",
    }
}

fn observed(at: i64, server: &str, kind: EventKind, description: String) -> Event {
    Event {
        time: at,
        server: server.to_string(),
        kind,
        description,
        user: String::new(),
        result: None,
        scope: None,
        ip: None,
    }
}

/// The events between `prev` and `fresh`. `journal` is read at most once, and only when a
/// configuration or a zone serial moved.
fn diff(prev: &Snapshot, fresh: &Snapshot, journal: &mut dyn FnMut() -> JournalLog) -> Vec<Event> {
    let at = fresh.taken_at;
    let mut log: Option<JournalLog> = None;
    let mut log_of = |journal: &mut dyn FnMut() -> JournalLog| -> JournalLog {
        log.get_or_insert_with(&mut *journal).clone()
    };
    // Entries written after the mark taken before the previous read explain what changed
    // since; the time window is the fallback (no mark, or a journal that shrank: rotated or
    // truncated, its offsets no longer comparable).
    let candidates = |log: &JournalLog, mark: Option<u64>, since: i64| -> Vec<Entry> {
        log.entries
            .iter()
            .filter(|l| {
                let e = &l.entry;
                e.time <= at + EXPLAIN_SLACK
                    && match mark {
                        Some(m) if m <= log.size => l.offset >= m,
                        _ => e.time >= since - EXPLAIN_SLACK,
                    }
            })
            .map(|l| l.entry.clone())
            .collect()
    };
    let mut out = Vec::new();

    // Servers whose configuration moved (for the HA rule below).
    let moved: BTreeSet<&String> = fresh
        .servers
        .iter()
        .filter(|(n, s)| {
            let p = prev.servers.get(*n);
            matches!((p.and_then(|p| p.digest), s.digest), (Some(a), Some(b)) if a != b)
        })
        .map(|(n, _)| n)
        .collect();

    for (name, s) in &fresh.servers {
        let Some(p) = prev.servers.get(name) else {
            continue;
        };
        if p.running && !s.running {
            out.push(observed(
                at,
                name,
                EventKind::ServiceDown,
                format!("DHCP server {name} is not running: {}", s.state),
            ));
        } else if !p.running && s.running {
            out.push(observed(
                at,
                name,
                EventKind::ServiceUp,
                format!("DHCP server {name} is running again (was {})", p.state),
            ));
        }
        let (Some(before), Some(after)) = (p.digest, s.digest) else {
            continue;
        };
        if before == after {
            continue;
        }
        let since = p.read_at.unwrap_or(p.seen_at);
        let all = candidates(&log_of(journal), p.journal_mark, since);
        // A ddish write to an HA server goes to its peers too, journaled under the server
        // the user acted on: a peer whose configuration moved in the same window counts.
        let explains = |e: &&Entry| {
            !NOT_CONFIG.contains(&e.action.as_str())
                && (e.server == *name
                    || (s.ha
                        && moved.contains(&e.server)
                        && fresh.servers.get(&e.server).is_some_and(|o| o.ha)))
        };
        // Only a ddish change that went through explains a change; a failed one (it may
        // have written nothing) is named as a possible cause but doesn't hide the event.
        let by: Option<&Entry> = all
            .iter()
            .filter(explains)
            .filter(|e| e.is_ok())
            .max_by_key(|e| e.time);
        let failed: Option<&Entry> = all
            .iter()
            .filter(explains)
            .filter(|e| !e.is_ok())
            .max_by_key(|e| e.time);
        let changes = match (&p.scopes, &s.scopes) {
            (Some(b), Some(a)) => scope_changes(b, a),
            _ => Vec::new(),
        };
        if by.is_none() {
            let what = if changes.is_empty() {
                "no scope appeared, vanished or changed state".to_string()
            } else {
                changes
                    .iter()
                    .map(|(k, c)| format!("scope {c} {}", scope_words(*k)))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            out.push(observed(
                at,
                name,
                EventKind::OutsideChange,
                format!(
                    "configuration of {name} changed outside ddish since {} ({what}){}",
                    crate::export::rfc3339(since),
                    match failed {
                        Some(f) => format!(
                            "; a failed ddish {} by {} at {} may have caused it",
                            f.action,
                            f.user,
                            crate::export::rfc3339(f.time)
                        ),
                        None => String::new(),
                    }
                ),
            ));
        }
        for (kind, cidr) in changes {
            let mut e = observed(
                at,
                name,
                kind,
                format!(
                    "scope {cidr} {} on {name}{}",
                    scope_words(kind),
                    match by {
                        Some(b) => format!(" (ddish {} by {})", b.action, b.user),
                        None => " (outside ddish)".to_string(),
                    }
                ),
            );
            e.user = by.map(|b| b.user.clone()).unwrap_or_default();
            e.scope = cidr.parse().ok();
            out.push(e);
        }
    }

    for (name, d) in &fresh.dns {
        let Some(p) = prev.dns.get(name) else {
            continue;
        };
        if p.answering && !d.answering {
            out.push(observed(
                at,
                name,
                EventKind::ServiceDown,
                format!("DNS server {name} ({}) stopped answering", d.addr),
            ));
        } else if !p.answering && d.answering {
            out.push(observed(
                at,
                name,
                EventKind::ServiceUp,
                format!("DNS server {name} ({}) answers again", d.addr),
            ));
        }
    }

    for (zone, z) in &fresh.zones {
        let Some(p) = prev.zones.get(zone) else {
            continue;
        };
        let (Some(before), Some(after)) = (p.serial, z.serial) else {
            continue;
        };
        if before == after {
            continue;
        }
        let since = p.read_at.unwrap_or(p.seen_at);
        let all = candidates(&log_of(journal), p.journal_mark, since);
        let by = all
            .iter()
            .filter(|e| {
                e.action.starts_with("dns-")
                    && e.after
                        .as_ref()
                        .and_then(|a| a.get("zone"))
                        .and_then(|v| v.as_str())
                        .is_some_and(|v| v.trim_end_matches('.').eq_ignore_ascii_case(zone))
            })
            .max_by_key(|e| e.time);
        let mut e = observed(
            at,
            &z.primary,
            EventKind::ZoneSerialMoved,
            format!(
                "zone {zone} serial {before} -> {after} at its primary {}{}",
                z.primary,
                match by {
                    Some(b) => format!(" (ddish {} by {})", b.action, b.user),
                    None => String::new(),
                }
            ),
        );
        e.user = by.map(|b| b.user.clone()).unwrap_or_default();
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests;
