//! The events filter: the text typed after `/` in the events view, in a saved `[[query]]`
//! or after `ddish events --query`.
//!
//! Terms are separated by spaces ("double quotes" keep a phrase together); every term must
//! match. A plain word matches any field, case-insensitively. `server:`, `kind:`, `user:`,
//! `result:` and `description:` (or `desc:`) look in that field only; `kind:` also takes a
//! kind's code (`outside-change`). An IPv4 address matches events that mention it or a
//! network holding it; a CIDR matches events that mention an address inside it or a
//! network overlapping it. `since:` takes RFC 3339 (`2026-11-23T14:00:00Z`), a date
//! (`2026-11-23`, UTC midnight) or an age (`30m`, `2h`, `7d`, `1w`). A leading `-` negates
//! a term.
use super::EventsError;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::config::Config;

use super::Event;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Field {
    Any,
    Server,
    Kind,
    User,
    Result,
    Description,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Match {
    /// Lower-cased text.
    Text(Field, String),
    Addr(Ipv4Addr),
    Net(Ipv4Net),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    negate: bool,
    m: Match,
}

/// A parsed events filter. `EventQuery::default()` passes everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    terms: Vec<Term>,
    /// Only events at or after this epoch second.
    pub since: Option<i64>,
    text: String,
}

impl EventQuery {
    /// Parses a filter; ages in `since:` count back from now.
    pub fn parse(text: &str) -> Result<EventQuery, EventsError> {
        Self::parse_at(text, super::super::now())
    }

    /// [`parse`](Self::parse) with ages counted back from `now`.
    pub fn parse_at(text: &str, now: i64) -> Result<EventQuery, EventsError> {
        let mut q = EventQuery {
            text: text.trim().to_string(),
            ..EventQuery::default()
        };
        for raw in split_terms(text)? {
            let (negate, body) = match raw.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, raw.clone()),
            };
            if let Some((key, value)) = body.split_once(':') {
                let field = match key.to_ascii_lowercase().as_str() {
                    "server" => Some(Field::Server),
                    "kind" => Some(Field::Kind),
                    "user" => Some(Field::User),
                    "result" => Some(Field::Result),
                    "description" | "desc" => Some(Field::Description),
                    "since" => {
                        if negate {
                            return Err(EventsError::Query(format!(
                                "'{raw}': since: cannot be negated"
                            )));
                        }
                        q.since = Some(parse_since(value, now)?);
                        continue;
                    }
                    // Anything else with a colon (a MAC address, a time) is a plain word.
                    _ => None,
                };
                if let Some(field) = field {
                    if value.is_empty() {
                        return Err(EventsError::Query(format!(
                            "'{raw}' has no value: write {key}:VALUE, e.g. server:kea-hq"
                        )));
                    }
                    q.terms.push(Term {
                        negate,
                        m: Match::Text(field, value.to_lowercase()),
                    });
                    continue;
                }
            }
            let m = if let Ok(a) = body.parse::<Ipv4Addr>() {
                Match::Addr(a)
            } else if let Ok(n) = body.parse::<Ipv4Net>() {
                Match::Net(n.trunc())
            } else {
                Match::Text(Field::Any, body.to_lowercase())
            };
            q.terms.push(Term { negate, m });
        }
        Ok(q)
    }

    /// Narrows to events at or after `since` too (the later of the two limits wins).
    pub fn and_since(mut self, since: Option<i64>) -> EventQuery {
        self.since = match (self.since, since) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Passes everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.since.is_none()
    }

    pub fn matches(&self, e: &Event) -> bool {
        if self.since.is_some_and(|s| e.time < s) {
            return false;
        }
        self.terms.iter().all(|t| term_matches(&t.m, e) != t.negate)
    }
}

/// The saved query named `q` (case-insensitive) from the config, else `q` itself as a
/// filter.
pub fn resolve_query(cfg: &Config, q: &str) -> Result<EventQuery, EventsError> {
    match cfg
        .queries
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(q.trim()))
    {
        Some(saved) => EventQuery::parse(&saved.filter).map_err(|e| {
            EventsError::Query(format!("saved query '{}' in the config: {e}", saved.name))
        }),
        None => EventQuery::parse(q),
    }
}

fn split_terms(text: &str) -> Result<Vec<String>, EventsError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(EventsError::Query(format!(
            "unclosed quote in the filter '{text}': close the phrase with \""
        )));
    }
    if any && !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn term_matches(m: &Match, e: &Event) -> bool {
    match m {
        Match::Text(field, t) => match field {
            Field::Server => contains(&e.server, t),
            Field::Kind => contains(e.kind.label(), t) || contains(e.kind.code(), t),
            Field::User => contains(&e.user, t),
            Field::Result => e.result.as_deref().is_some_and(|r| contains(r, t)),
            Field::Description => contains(&e.description, t),
            Field::Any => {
                contains(&e.server, t)
                    || contains(e.kind.label(), t)
                    || contains(e.kind.code(), t)
                    || contains(&e.description, t)
                    || contains(&e.user, t)
                    || e.result.as_deref().is_some_and(|r| contains(r, t))
                    || contains(&crate::export::rfc3339(e.time), t)
            }
        },
        Match::Addr(a) => mentions(e).iter().any(|x| match x {
            Mention::Addr(b) => a == b,
            Mention::Net(n) => n.contains(a),
        }),
        Match::Net(n) => mentions(e).iter().any(|x| match x {
            Mention::Addr(b) => n.contains(b),
            Mention::Net(m) => n.contains(m) || m.contains(n),
        }),
    }
}

enum Mention {
    Addr(Ipv4Addr),
    Net(Ipv4Net),
}

/// Every IPv4 address and network an event names: its `ip` and `scope` fields and any
/// found in its description (split at anything but digits, dots and slashes, so
/// `10.0.0.5-10.0.0.9` gives both ends).
fn mentions(e: &Event) -> Vec<Mention> {
    let mut out = Vec::new();
    out.extend(e.ip.map(Mention::Addr));
    out.extend(e.scope.map(Mention::Net));
    for tok in e
        .description
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/'))
    {
        let tok = tok.trim_matches('.');
        if tok.is_empty() {
            continue;
        }
        if let Ok(a) = tok.parse::<Ipv4Addr>() {
            out.push(Mention::Addr(a));
        } else if let Ok(n) = tok.parse::<Ipv4Net>() {
            out.push(Mention::Net(n.trunc()));
        }
    }
    out
}

/// A `since` value as an epoch second: RFC 3339, a date (UTC midnight) or an age counted
/// back from `now` (`45s`, `30m`, `2h`, `7d`, `1w`).
pub fn parse_since(s: &str, now: i64) -> Result<i64, EventsError> {
    let s = s.trim();
    let bad = || {
        format!(
            "'{s}' is not a time: write an age (30m, 2h, 7d, 1w), a date (2026-11-23) or \
             RFC 3339 (2026-11-23T14:00:00Z)"
        )
    };
    if s.is_empty() {
        return Err(EventsError::Query(bad()));
    }
    let unit = s.chars().last().filter(|c| c.is_ascii_alphabetic());
    let age: Option<i64> = unit.and_then(|_| s[..s.len() - 1].parse().ok());
    if let (Some(unit), Some(n)) = (unit, age) {
        let secs = match unit.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(EventsError::Query(bad())),
        };
        if n < 0 {
            return Err(EventsError::Query(bad()));
        }
        return n
            .checked_mul(secs)
            .map(|d| now - d)
            .ok_or_else(|| EventsError::Query(bad()));
    }
    parse_rfc3339(s).ok_or_else(|| EventsError::Query(bad()))
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (a space may stand for `T`).
fn parse_rfc3339(s: &str) -> Option<i64> {
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=days_in_month(y, m)).contains(&day) {
        return None;
    }
    let mut t = days_from_civil(y, m, day) * 86_400;
    if let Some(rest) = rest {
        let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else {
            let i = rest.rfind(['+', '-'])?;
            let (c, o) = rest.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':')?;
            let (oh, om) = (num(oh)?, num(om)?);
            if oh > 23 || om > 59 {
                return None;
            }
            (c, sign * (oh * 3600 + om * 60))
        };
        let clock = clock.split('.').next()?;
        let mut c = clock.split(':');
        let (h, mi, se) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
        if c.next().is_some() || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        t += h * 3600 + mi * 60 + se - offset;
    }
    Some(t)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::super::EventKind;
    use super::*;

    fn ev(server: &str, kind: EventKind, desc: &str, user: &str) -> Event {
        Event {
            time: 1_000_000,
            server: server.into(),
            kind,
            description: desc.into(),
            user: user.into(),
            result: None,
            scope: None,
            ip: None,
        }
    }

    fn q(s: &str) -> EventQuery {
        EventQuery::parse_at(s, 2_000_000).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn words_all_must_appear_case_insensitive() {
        let e = ev(
            "kea-hq",
            EventKind::ScopeAppeared,
            "Scope Lab-Net appeared",
            "",
        );
        assert!(q("lab-net").matches(&e));
        assert!(q("LAB-NET kea-hq").matches(&e));
        assert!(!q("lab-net kea-branch").matches(&e));
        assert!(q("").matches(&e));
        assert!(q("\"scope lab-net\"").matches(&e));
        assert!(!q("\"lab-net scope\"").matches(&e));
        assert!(q("-branch").matches(&e));
        assert!(!q("-lab").matches(&e));
    }

    #[test]
    fn fields_look_in_their_field_only() {
        let e = ev(
            "kea-hq",
            EventKind::OutsideChange,
            "changed by kea-branch admin",
            "",
        );
        assert!(q("server:kea-hq").matches(&e));
        assert!(!q("server:kea-branch").matches(&e));
        assert!(q("kea-branch").matches(&e));
        assert!(q("kind:config").matches(&e));
        assert!(q("kind:outside-change").matches(&e));
        assert!(q("KIND:outside").matches(&e));
        assert!(!q("kind:scope").matches(&e));
        let mut d = ev("kea-hq", EventKind::DdishChange, "hold", "alice@jump");
        d.result = Some("ok".into());
        assert!(q("user:alice").matches(&d));
        assert!(!q("user:bob").matches(&d));
        assert!(q("result:ok").matches(&d));
        assert!(!q("result:ok").matches(&e));
        assert!(q("desc:hold").matches(&d));
        // A MAC is a word, not a field.
        let m = ev("a", EventKind::DdishChange, "claim aa:bb:cc:00:00:01", "");
        assert!(q("AA:BB:CC:00:00:01").matches(&m));
    }

    #[test]
    fn addresses_and_networks() {
        let e = ev(
            "kea-hq",
            EventKind::ScopeAppeared,
            "scope 10.20.0.0/24 appeared (pool 10.20.0.10-10.20.0.19)",
            "",
        );
        assert!(q("10.20.0.15").matches(&e), "address inside the scope");
        assert!(q("10.20.0.0/16").matches(&e), "network holding the scope");
        assert!(q("10.20.0.128/25").matches(&e), "network inside the scope");
        assert!(!q("10.21.0.0/24").matches(&e));
        assert!(!q("10.30.0.1").matches(&e));
        let mut h = ev("kea-hq", EventKind::DdishChange, "hold", "");
        h.ip = Some("192.0.2.7".parse().unwrap());
        assert!(q("192.0.2.0/24").matches(&h));
        assert!(q("192.0.2.7").matches(&h));
        assert!(!q("192.0.2.8").matches(&h));
        // A word that only looks like part of an address is text.
        assert!(q("10.20").matches(&e));
    }

    #[test]
    fn since_ages_dates_and_rfc3339() {
        assert_eq!(parse_since("30m", 10_000), Ok(10_000 - 1800));
        assert_eq!(parse_since("2h", 10_000), Ok(10_000 - 7200));
        assert_eq!(parse_since("7d", 1_000_000), Ok(1_000_000 - 604_800));
        assert_eq!(parse_since("1w", 1_000_000), Ok(1_000_000 - 604_800));
        assert_eq!(parse_since("1970-01-02", 0), Ok(86_400));
        assert_eq!(parse_since("2000-02-29T00:00:00Z", 0), Ok(951_782_400));
        assert_eq!(
            parse_since("2026-11-23T10:58:50Z", 0),
            Ok(1_795_431_530),
            "same date as export::rfc3339's test"
        );
        assert_eq!(
            parse_since("2026-11-23T12:58:50.123+02:00", 0),
            Ok(1_795_431_530)
        );
        for bad in [
            "",
            "yesterday",
            "5y",
            "2026-02-30",
            "2026-11-23T25:00:00Z",
            "-3h",
        ] {
            assert!(parse_since(bad, 0).is_err(), "{bad}");
        }
        let e = ev("a", EventKind::ServiceDown, "", "");
        assert!(q("since:1970-01-12").matches(&e)); // 950,400 <= 1,000,000
        assert!(!q("since:1970-01-13").matches(&e));
        assert!(!q("since:10m").matches(&e), "now is 2,000,000");
        assert!(q("").and_since(Some(999_999)).matches(&e));
        assert!(!q("since:1970-01-12").and_since(Some(1_000_001)).matches(&e));
    }

    #[test]
    fn errors_say_how_to_fix() {
        for (text, want) in [
            ("server:", "server:VALUE"),
            ("since:soon", "30m"),
            ("\"open phrase", "unclosed quote"),
        ] {
            let e = EventQuery::parse_at(text, 0).unwrap_err();
            assert!(
                matches!(&e, EventsError::Query(m) if m.contains(want)),
                "{e}"
            );
        }
    }

    #[test]
    fn saved_queries_by_name() {
        let mut cfg = crate::config::Config {
            servers: vec![],
            dns: Default::default(),
            settings: crate::config::Settings {
                refresh_interval: std::time::Duration::from_secs(30),
                request_timeout: std::time::Duration::from_secs(5),
                write_timeout: std::time::Duration::from_secs(90),
                hold_time: std::time::Duration::from_secs(3600),
                utilization_under: 10.0,
                utilization_over: 80.0,
                journal: "j.jsonl".into(),
                journal_group: None,
            },
            queries: vec![],
            source: None,
        };
        cfg.queries.push(crate::config::SavedQuery {
            name: "HQ changes".into(),
            filter: "server:kea-hq kind:config".into(),
        });
        let r = resolve_query(&cfg, "hq changes").unwrap();
        assert_eq!(r.text(), "server:kea-hq kind:config");
        let r = resolve_query(&cfg, "server:x").unwrap();
        assert_eq!(r.text(), "server:x");
    }
}
