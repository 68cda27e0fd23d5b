//! Configuration events (issue 6 part 4): one view of ddish's own journal (who changed what,
//! on which server, with what result) and the changes ddish sees on the servers between
//! refreshes (a config changed outside ddish, a scope appeared, vanished or was
//! (de)activated, a zone serial moved, a service went down or came back).
//!
//! No database: an observation compares a fresh snapshot of the fleet with the previous one
//! kept in a file next to the journal, and appends what changed to an events file there
//! (JSON lines, flock-ed like the journal), so admins sharing a jump host share both.
//! [`list`] merges the journal and the observed events, newest first, through an
//! [`EventQuery`].
mod observe;
mod query;
mod store;

/// Why events could not be queried, read or recorded. Each message says what went wrong,
/// where, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// A filter that does not parse (typed, or a saved query in the config).
    #[error("{0}")]
    Query(String),
    /// A file beside the journal (events, snapshot, lock) or the journal itself.
    #[error("{0}")]
    File(String),
    /// The recording task itself failed.
    #[error("{0}")]
    Internal(String),
}

use std::io::Write;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::audit::{Entry, Journal};
use crate::config::Config;
use crate::export::ExportError;

pub use observe::{
    observe, record, DnsSnap, Observed, ServerSnap, Snapshot, ZoneSnap, EXPLAIN_SLACK,
};
pub use query::{parse_since, resolve_query, EventQuery};
pub use store::{journal_mark, EventFiles, Stored};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A change made with ddish (from the journal), whatever its result.
    DdishChange,
    /// The server's configuration changed and no ddish journal entry explains it.
    OutsideChange,
    ScopeAppeared,
    ScopeVanished,
    ScopeDeactivated,
    ScopeReactivated,
    /// A zone's SOA serial at its primary moved.
    ZoneSerialMoved,
    /// A DHCP server stopped running, or a DNS server stopped answering.
    ServiceDown,
    /// It runs (answers) again.
    ServiceUp,
    /// An address's lease changed hands between two looks at its scope.
    LeaseChanged,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::DdishChange,
        EventKind::OutsideChange,
        EventKind::ScopeAppeared,
        EventKind::ScopeVanished,
        EventKind::ScopeDeactivated,
        EventKind::ScopeReactivated,
        EventKind::ZoneSerialMoved,
        EventKind::ServiceDown,
        EventKind::ServiceUp,
        EventKind::LeaseChanged,
    ];

    /// Words for tables and CSV.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::DdishChange => "ddish change",
            EventKind::OutsideChange => "config changed outside ddish",
            EventKind::ScopeAppeared => "scope appeared",
            EventKind::ScopeVanished => "scope vanished",
            EventKind::ScopeDeactivated => "scope deactivated",
            EventKind::ScopeReactivated => "scope reactivated",
            EventKind::ZoneSerialMoved => "zone serial moved",
            EventKind::ServiceDown => "service down",
            EventKind::ServiceUp => "service up",
            EventKind::LeaseChanged => "lease changed",
        }
    }

    /// One word, as stored in the events file and accepted by `kind:`.
    pub fn code(self) -> &'static str {
        match self {
            EventKind::DdishChange => "ddish-change",
            EventKind::OutsideChange => "outside-change",
            EventKind::ScopeAppeared => "scope-appeared",
            EventKind::ScopeVanished => "scope-vanished",
            EventKind::ScopeDeactivated => "scope-deactivated",
            EventKind::ScopeReactivated => "scope-reactivated",
            EventKind::ZoneSerialMoved => "zone-serial-moved",
            EventKind::ServiceDown => "service-down",
            EventKind::ServiceUp => "service-up",
            EventKind::LeaseChanged => "lease-changed",
        }
    }

    /// Seen on the servers, as opposed to recorded by ddish when it acted.
    pub fn is_observed(self) -> bool {
        self != EventKind::DdishChange
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One configuration event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// The DHCP or DNS server it concerns (a zone's primary for zone events).
    pub server: String,
    pub kind: EventKind,
    pub description: String,
    /// `user@host` who made a ddish change (or whose ddish change explains an observed
    /// one); empty when nobody known: a change outside ddish, a service going down.
    #[serde(default)]
    pub user: String,
    /// A ddish change's result: `ok` or the error; `None` for observed events.
    #[serde(default)]
    pub result: Option<String>,
    /// The scope it concerns, if any (for jumps and filters).
    #[serde(default)]
    pub scope: Option<Ipv4Net>,
    /// The address it concerns, if any.
    #[serde(default)]
    pub ip: Option<Ipv4Addr>,
}

impl Event {
    /// A journal entry as an event. The description is the action, its scope and address,
    /// then the plain values of what it wrote (secrets were masked when journaled).
    pub fn from_entry(e: &Entry) -> Event {
        let mut parts = vec![e.action.clone()];
        if let Some(s) = &e.scope {
            parts.push(format!("scope {s}"));
        }
        if let Some(ip) = e.ip {
            parts.push(format!("ip {ip}"));
        }
        if let Some(after) = &e.after {
            let brief = brief_json(&crate::audit::redact(after.clone()));
            if !brief.is_empty() {
                parts.push(brief);
            }
        }
        Event {
            time: e.time,
            server: e.server.clone(),
            kind: EventKind::DdishChange,
            description: parts.join(" "),
            user: e.user.clone(),
            result: Some(e.result.clone()),
            scope: e.scope.as_deref().and_then(|s| s.parse().ok()),
            ip: e.ip,
        }
    }

    /// The row of tables and CSV, in [`CSV_HEADER`] order.
    pub fn row(&self) -> Vec<String> {
        vec![
            crate::export::rfc3339(self.time),
            self.server.clone(),
            self.kind.label().to_string(),
            self.description.clone(),
            self.user.clone(),
            self.result.clone().unwrap_or_default(),
        ]
    }
}

/// Columns of [`Event::row`] and [`write_csv`].
pub const CSV_HEADER: [&str; 6] = ["time", "server", "kind", "description", "user", "result"];

/// Longest brief of a change's values kept in a description.
const BRIEF_MAX: usize = 240;

/// `key=value` for the scalar values (and lists of scalars) of a JSON object, at most
/// [`BRIEF_MAX`] characters: enough to search on, short enough for a table cell.
fn brief_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    let mut out: Vec<String> = Vec::new();
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let text = match x {
                    Value::Array(items) => {
                        let s: Vec<String> = items.iter().filter_map(scalar).collect();
                        (!s.is_empty()).then(|| s.join("; "))
                    }
                    other => scalar(other),
                };
                if let Some(t) = text {
                    out.push(format!("{k}={t}"));
                }
            }
        }
        other => out.extend(scalar(other)),
    }
    let mut s = out.join(" ");
    if s.chars().count() > BRIEF_MAX {
        s = s.chars().take(BRIEF_MAX - 1).collect();
        s.push('…');
    }
    s
}

/// Every event that passes `q`, newest first (see below for ties): the journal's entries and the observed
/// events of `cfg`'s journal directory. A missing journal or events file is no events;
/// unreadable lines are skipped.
pub fn list(cfg: &Config, q: &EventQuery) -> Result<Vec<Event>, EventsError> {
    let journal = Journal::new(&cfg.settings.journal)
        .read()
        .map_err(|e| EventsError::File(e.to_string()))?;
    let mut out: Vec<Event> = journal
        .entries
        .iter()
        .map(Event::from_entry)
        .filter(|e| q.matches(e))
        .collect();
    let files = EventFiles::for_config(cfg);
    out.extend(files.read_events()?.into_iter().filter(|e| q.matches(e)));
    // Newest first. Equal times keep file order, so an observation's summary (a change
    // outside ddish) comes before the scope changes it found, and a ddish change before
    // what was seen of it.
    out.sort_by_key(|e| std::cmp::Reverse(e.time));
    Ok(out)
}

/// The events as CSV: [`CSV_HEADER`], then one row each. No secrets: journal values were
/// masked when written and observed events carry none.
pub fn write_csv<W: Write>(w: W, events: &[Event]) -> Result<(), ExportError> {
    let header: Vec<String> = CSV_HEADER.iter().map(|s| s.to_string()).collect();
    let rows: Vec<Vec<String>> = events.iter().map(Event::row).collect();
    crate::export::table_csv(w, &header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn journal_entry_becomes_a_ddish_change_without_secrets() {
        let e = Entry::new("kea-a", "scope-create")
            .scope("10.30.0.0/24")
            .after(json!({"title": "lab", "pools": ["10.30.0.10 - 10.30.0.20"],
                          "password": "hunter2"}));
        let ev = Event::from_entry(&e);
        assert_eq!(ev.kind, EventKind::DdishChange);
        assert_eq!(ev.scope, Some("10.30.0.0/24".parse().unwrap()));
        assert!(ev
            .description
            .starts_with("scope-create scope 10.30.0.0/24"));
        assert!(ev.description.contains("title=lab"), "{}", ev.description);
        assert!(ev.description.contains("pools=10.30.0.10 - 10.30.0.20"));
        assert!(!ev.description.contains("hunter2"), "{}", ev.description);
        assert_eq!(ev.result.as_deref(), Some("ok"));
    }

    #[test]
    fn csv_has_header_and_rows() {
        let ev = Event {
            time: 0,
            server: "kea-a".into(),
            kind: EventKind::OutsideChange,
            description: "scope 10.1.0.0/24 appeared, \"quoted\"".into(),
            user: String::new(),
            result: None,
            scope: None,
            ip: None,
        };
        let mut buf = Vec::new();
        write_csv(&mut buf, &[ev]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "time,server,kind,description,user,result\n\
             1970-01-01T00:00:00Z,kea-a,config changed outside ddish,\
             \"scope 10.1.0.0/24 appeared, \"\"quoted\"\"\",,\n"
        );
    }

    fn config_in(dir: &std::path::Path) -> Config {
        Config {
            servers: vec![],
            dns: Default::default(),
            settings: crate::config::Settings {
                refresh_interval: std::time::Duration::from_secs(30),
                request_timeout: std::time::Duration::from_secs(5),
                write_timeout: std::time::Duration::from_secs(90),
                hold_time: std::time::Duration::from_secs(3600),
                utilization_under: 10.0,
                utilization_over: 80.0,
                journal: dir.join("shared").join("journal.jsonl"),
                journal_group: None,
            },
            queries: vec![],
            source: None,
        }
    }

    fn snap(at: i64, digest: u64, scopes: &[&str]) -> Snapshot {
        let mut s = Snapshot {
            taken_at: at,
            ..Snapshot::default()
        };
        s.servers.insert(
            "kea-a".into(),
            ServerSnap {
                state: "running".into(),
                running: true,
                ha: false,
                digest: Some(digest),
                scopes: Some(scopes.iter().map(|c| (c.to_string(), true)).collect()),
                read_at: Some(at),
                journal_mark: None,
                seen_at: at,
            },
        );
        s
    }

    #[test]
    fn record_keeps_a_baseline_then_appends_what_changed_and_list_merges() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_in(dir.path());
        let first = record(&cfg, &snap(100, 1, &["10.0.0.0/24"]).marked(0)).unwrap();
        assert!(first.first && first.events.is_empty());
        let files = EventFiles::for_config(&cfg);
        assert!(files.snapshot.exists() && !files.events.exists());
        // A ddish change, then a refresh (its mark taken as it starts) that sees it.
        let mut e = Entry::new("kea-a", "scope-create").scope("10.1.0.0/24");
        e.time = 150;
        Journal::new(&cfg.settings.journal).append(&e).unwrap();
        let mark = journal_mark(&cfg);
        let r = record(
            &cfg,
            &snap(200, 2, &["10.0.0.0/24", "10.1.0.0/24"]).marked(mark),
        )
        .unwrap();
        assert!(!r.first);
        assert_eq!(r.events.len(), 1, "{:?}", r.events);
        assert_eq!(r.events[0].kind, EventKind::ScopeAppeared);
        // Then one behind ddish's back.
        let r = record(
            &cfg,
            &snap(300, 3, &["10.0.0.0/24"]).marked(journal_mark(&cfg)),
        )
        .unwrap();
        let kinds: Vec<EventKind> = r.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::OutsideChange, EventKind::ScopeVanished]);
        // The list: newest first, the journal's entry among the observed events.
        let all = list(&cfg, &EventQuery::default()).unwrap();
        let got: Vec<(i64, EventKind)> = all.iter().map(|e| (e.time, e.kind)).collect();
        assert_eq!(
            got,
            [
                (300, EventKind::OutsideChange),
                (300, EventKind::ScopeVanished),
                (200, EventKind::ScopeAppeared),
                (150, EventKind::DdishChange)
            ]
        );
        let q = EventQuery::parse("kind:outside").unwrap();
        assert_eq!(list(&cfg, &q).unwrap().len(), 1);
        // The files live next to the journal.
        assert_eq!(files.events.parent(), cfg.settings.journal.parent());
    }

    #[test]
    fn kinds_round_trip_through_their_code() {
        for k in EventKind::ALL {
            let s = serde_json::to_string(&k).unwrap();
            assert_eq!(s, format!("\"{}\"", k.code()));
            assert_eq!(serde_json::from_str::<EventKind>(&s).unwrap(), k);
        }
    }
}
