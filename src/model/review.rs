//! Configuration review: what in a server's scopes is wrong or suspicious, worst first.
//! Pure: the scopes as read from Kea in, findings out (`ddish review`, the review screen).
use std::collections::HashMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::options;
use super::scope::{OptionData, ScopeDef, ScopeStats};
use super::{ScopeStatus, Thresholds, UtilBand};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Kea will hand out the same address twice, or never the one meant.
    Error,
    /// Works, but not as an admin would expect.
    Warning,
    Info,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One thing found: where (the scope, the address) and what, with what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// A short name of the check ("overlap", "pool-outside", ...), for filtering.
    pub check: &'static str,
    pub scope: Option<Ipv4Net>,
    pub ip: Option<Ipv4Addr>,
    pub text: String,
}

fn finding(
    severity: Severity,
    check: &'static str,
    scope: Option<Ipv4Net>,
    ip: Option<Ipv4Addr>,
    text: String,
) -> Finding {
    Finding {
        severity,
        check,
        scope,
        ip,
        text,
    }
}

/// Every finding on one server's scopes, worst first (then by scope and address).
/// `stats` (lease counts by subnet id) adds the utilization check.
pub fn review(
    scopes: &[ScopeDef],
    stats: &HashMap<u32, ScopeStats>,
    t: &Thresholds,
) -> Vec<Finding> {
    review_with(scopes, stats, t, &Inherited::default())
}

/// The option values a scope inherits: the server's, and each shared network's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inherited {
    pub global: Vec<OptionData>,
    pub shared: HashMap<String, Vec<OptionData>>,
}

/// [`review`] with the inherited option values, for the redundant-option check.
pub fn review_with(
    scopes: &[ScopeDef],
    stats: &HashMap<u32, ScopeStats>,
    t: &Thresholds,
    inherited: &Inherited,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // Which scopes overlap which: only those can hold each other's addresses in a pool.
    let overlaps = overlapping_subnets(scopes, &mut out);
    for (i, s) in scopes.iter().enumerate() {
        pools_outside(s, &mut out);
        let others: Vec<&ScopeDef> = overlaps
            .get(&i)
            .map(|v| v.iter().map(|j| &scopes[*j]).collect())
            .unwrap_or_default();
        reservations(s, &others, &mut out);
        unknown_options(s, &mut out);
        redundant_options(s, inherited, &mut out);
        if s.pools.is_empty() && s.reservations.is_empty() && s.status == ScopeStatus::Active {
            out.push(finding(
                Severity::Warning,
                "no-pool",
                Some(s.cidr),
                None,
                format!(
                    "scope {} has no pool and no reservation: it serves nobody; add a pool \
                     or deactivate it",
                    s.cidr
                ),
            ));
        }
        if let (ScopeStatus::Active, Some(st)) = (s.status, stats.get(&s.id)) {
            let u = st.utilization();
            if u.band(t) == UtilBand::Over {
                out.push(finding(
                    Severity::Warning,
                    "utilization",
                    Some(s.cidr),
                    None,
                    format!(
                        "scope {} is {:.1}% used ({} of {}): over the {}% threshold; \
                         widen its pools or move clients",
                        s.cidr,
                        u.percent(),
                        st.assigned + st.declined,
                        st.total,
                        t.over
                    ),
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.severity, a.scope, a.ip, &a.text).cmp(&(b.severity, b.scope, b.ip, &b.text))
    });
    out
}

/// Reports every overlapping pair and returns, per scope index, the scopes it overlaps.
/// Sorted by start, a scope can only overlap those starting before its end: a sweep, not
/// every pair (a server may hold 10,000 subnets).
fn overlapping_subnets(scopes: &[ScopeDef], out: &mut Vec<Finding>) -> HashMap<usize, Vec<usize>> {
    let mut order: Vec<usize> = (0..scopes.len()).collect();
    order.sort_by_key(|i| (scopes[*i].cidr.network(), scopes[*i].cidr.prefix_len()));
    let mut with: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, &i) in order.iter().enumerate() {
        let a = &scopes[i];
        for &j in &order[k + 1..] {
            let b = &scopes[j];
            if b.cidr.network() > a.cidr.broadcast() {
                break;
            }
            let (sev, what) = if a.cidr == b.cidr {
                (Severity::Error, "the same subnet twice")
            } else {
                (Severity::Warning, "overlapping subnets")
            };
            out.push(finding(
                sev,
                "overlap",
                Some(a.cidr),
                None,
                format!(
                    "{what}: {} (id {}) and {} (id {}); a client may get an address \
                     from either; make them disjoint",
                    a.cidr, a.id, b.cidr, b.id
                ),
            ));
            with.entry(i).or_default().push(j);
            with.entry(j).or_default().push(i);
        }
    }
    with
}

fn pools_outside(s: &ScopeDef, out: &mut Vec<Finding>) {
    let (lo, hi) = (u32::from(s.cidr.network()), u32::from(s.cidr.broadcast()));
    for p in s.pools.iter() {
        if p.start < lo || p.end > hi {
            out.push(finding(
                Severity::Error,
                "pool-outside",
                Some(s.cidr),
                Some(Ipv4Addr::from(p.start)),
                format!("pool {p} of scope {} is outside its subnet", s.cidr),
            ));
        }
    }
}

/// `others`: the scopes overlapping `s` (only their pools can hold its addresses).
fn reservations(s: &ScopeDef, others: &[&ScopeDef], out: &mut Vec<Finding>) {
    let mut by_ident: HashMap<String, Vec<Ipv4Addr>> = HashMap::new();
    let mut by_ip: HashMap<Ipv4Addr, usize> = HashMap::new();
    for r in s.reservations.iter().filter(|r| !r.global) {
        if !s.cidr.contains(&r.ip) {
            out.push(finding(
                Severity::Error,
                "reservation-outside",
                Some(s.cidr),
                Some(r.ip),
                format!(
                    "reservation of {} is outside its subnet {}: Kea never hands it out",
                    r.ip, s.cidr
                ),
            ));
        }
        for other in others {
            if other.pools.contains(u32::from(r.ip)) {
                out.push(finding(
                    Severity::Error,
                    "reservation-in-other-pool",
                    Some(s.cidr),
                    Some(r.ip),
                    format!(
                        "{} is reserved in {} but lies in a pool of {}: Kea may lease it to \
                         another client there",
                        r.ip, s.cidr, other.cidr
                    ),
                ));
            }
        }
        *by_ip.entry(r.ip).or_default() += 1;
        if let Some(id) = r.hw.as_ref().or(r.client_id.as_ref()) {
            by_ident
                .entry(id.to_ascii_lowercase())
                .or_default()
                .push(r.ip);
        }
    }
    for (id, ips) in by_ident.into_iter().filter(|(_, v)| v.len() > 1) {
        let list = ips.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        out.push(finding(
            Severity::Warning,
            "duplicate-identifier",
            Some(s.cidr),
            ips.first().copied(),
            format!(
                "{id} is reserved {} times in {}: {}; the client gets only one of them",
                ips.len(),
                s.cidr,
                list.join(", ")
            ),
        ));
    }
    for (ip, n) in by_ip.into_iter().filter(|(_, n)| *n > 1) {
        out.push(finding(
            Severity::Error,
            "duplicate-address",
            Some(s.cidr),
            Some(ip),
            format!(
                "{ip} is reserved {n} times in {}: for different clients",
                s.cidr
            ),
        ));
    }
}

fn unknown_options(s: &ScopeDef, out: &mut Vec<Finding>) {
    for o in &s.options {
        if let Some(name) = o.name.as_deref() {
            if options::lookup(name).is_none() && o.code.is_none() {
                out.push(finding(
                    Severity::Info,
                    "unknown-option",
                    Some(s.cidr),
                    None,
                    format!(
                        "option {name} in {} is not a standard DHCPv4 option: it needs the \
                         server's own option-def",
                        s.cidr
                    ),
                ));
            }
        }
    }
}

/// The standard name of an option entry (by name, or its code's name).
fn option_key(o: &OptionData) -> Option<String> {
    match (&o.name, o.code) {
        (Some(n), _) => Some(n.clone()),
        (None, Some(c)) => u8::try_from(c)
            .ok()
            .and_then(options::by_code)
            .map(|d| d.name.to_string())
            .or_else(|| Some(format!("code {c}"))),
        _ => None,
    }
}

/// Scope options that set what the scope inherits anyway (from its shared network, else
/// the server): harmless now, but a later change of the inherited value no longer reaches
/// the scope.
fn redundant_options(s: &ScopeDef, inherited: &Inherited, out: &mut Vec<Finding>) {
    let norm = |d: &str| options::split_list(d).join(",");
    let from_shared = s
        .shared_network
        .as_ref()
        .and_then(|n| inherited.shared.get(n));
    for o in &s.options {
        let Some(key) = option_key(o) else { continue };
        let same_key = |x: &&OptionData| option_key(x).as_deref() == Some(key.as_str());
        // The nearest level that sets it is what the scope would get without its own.
        let (above, level) = match from_shared.and_then(|l| l.iter().find(same_key)) {
            Some(x) => (Some(x), "its shared network"),
            None => (inherited.global.iter().find(same_key), "the server"),
        };
        if let Some(a) = above {
            // Same value and the same always-send: a repeat only there to force sending
            // changes what clients get, so it is not noted.
            if norm(&a.data) == norm(&o.data) && a.always_send == o.always_send {
                out.push(finding(
                    Severity::Info,
                    "redundant-option",
                    Some(s.cidr),
                    None,
                    format!(
                        "scope {} sets {key} = {} as {level} already does: remove it so a \
                         change there reaches this scope too",
                        s.cidr, o.data
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scope::Reservation;
    use crate::model::{Range, RangeSet};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn scope(id: u32, cidr: &str, pool: Option<(&str, &str)>) -> ScopeDef {
        let cidr: Ipv4Net = cidr.parse().unwrap();
        let pools = match pool {
            Some((a, b)) => RangeSet::from_ranges([Range::new(ip(a), ip(b)).unwrap()]),
            None => RangeSet::default(),
        };
        ScopeDef::bare(id, cidr, pools)
    }

    fn res(addr: &str, mac: &str) -> Reservation {
        Reservation {
            ip: ip(addr),
            hw: Some(mac.into()),
            client_id: None,
            hostname: None,
            description: None,
            client_classes: vec![],
            global: false,
        }
    }

    fn checks(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.check).collect()
    }

    #[test]
    fn a_clean_server_has_no_finding() {
        let mut a = scope(1, "10.0.0.0/24", Some(("10.0.0.100", "10.0.0.199")));
        a.reservations.push(res("10.0.0.10", "aa:bb:cc:00:00:01"));
        let b = scope(2, "10.0.1.0/24", Some(("10.0.1.100", "10.0.1.199")));
        assert!(review(&[a, b], &HashMap::new(), &Thresholds::default()).is_empty());
    }

    #[test]
    fn each_check_finds_its_problem_worst_first() {
        let mut a = scope(1, "10.0.0.0/24", Some(("10.0.0.100", "10.0.0.199")));
        a.reservations.push(res("10.0.5.10", "aa:bb:cc:00:00:01")); // outside
        a.reservations.push(res("10.0.0.20", "aa:bb:cc:00:00:02"));
        a.reservations.push(res("10.0.0.21", "AA:BB:CC:00:00:02")); // same MAC twice
        a.reservations.push(res("10.0.0.22", "aa:bb:cc:00:00:03"));
        a.reservations.push(res("10.0.0.22", "aa:bb:cc:00:00:04")); // same IP twice
        a.options.push(crate::model::scope::OptionData {
            name: Some("no-such-option".into()),
            code: None,
            data: "x".into(),
            always_send: false,
        });
        // Inside a: overlapping, and its pool holds a reservation of a.
        let inner = scope(2, "10.0.0.0/25", Some(("10.0.0.20", "10.0.0.30")));
        let empty = scope(3, "10.9.0.0/24", None);
        let same = scope(4, "10.9.0.0/24", Some(("10.9.0.10", "10.9.0.20")));
        let mut st = HashMap::new();
        st.insert(
            4,
            ScopeStats {
                total: 11,
                assigned: 11,
                declined: 0,
            },
        );
        let f = review(&[a, inner, empty, same], &st, &Thresholds::default());
        let c = checks(&f);
        for want in [
            "overlap",
            "reservation-outside",
            "reservation-in-other-pool",
            "duplicate-address",
            "duplicate-identifier",
            "no-pool",
            "utilization",
            "unknown-option",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        // Errors lead, then warnings, then information.
        let sev: Vec<Severity> = f.iter().map(|x| x.severity).collect();
        let mut sorted = sev.clone();
        sorted.sort();
        assert_eq!(sev, sorted);
        assert_eq!(f[0].severity, Severity::Error);
        // The same subnet twice is an error, a subnet inside another a warning.
        let twice = f
            .iter()
            .find(|x| x.text.starts_with("the same subnet twice"))
            .unwrap();
        assert_eq!(twice.severity, Severity::Error);
        let inside = f
            .iter()
            .find(|x| x.text.starts_with("overlapping"))
            .unwrap();
        assert_eq!(inside.severity, Severity::Warning);
    }
}

#[cfg(test)]
mod redundant_tests {
    use super::*;
    use crate::model::RangeSet;

    fn opt(name: Option<&str>, code: Option<u16>, data: &str) -> OptionData {
        OptionData {
            name: name.map(str::to_string),
            code,
            data: data.into(),
            always_send: false,
        }
    }

    #[test]
    fn options_that_repeat_what_the_scope_inherits_are_noted() {
        let mut a = ScopeDef::bare(1, "10.0.0.0/24".parse().unwrap(), RangeSet::new());
        a.options = vec![
            opt(Some("domain-name-servers"), None, "192.0.2.53,192.0.2.54"),
            opt(None, Some(3), "10.0.0.1"),
            opt(Some("ntp-servers"), None, "192.0.2.123"),
        ];
        let mut b = a.clone();
        b.id = 2;
        b.cidr = "10.0.1.0/24".parse().unwrap();
        b.shared_network = Some("floor".into());
        let inherited = Inherited {
            global: vec![
                opt(Some("domain-name-servers"), None, "192.0.2.53, 192.0.2.54"),
                opt(Some("routers"), None, "10.0.0.1"),
                opt(Some("ntp-servers"), None, "192.0.2.1"),
            ],
            shared: HashMap::from([(
                "floor".to_string(),
                vec![opt(Some("domain-name-servers"), None, "192.0.2.99")],
            )]),
        };
        let f = review_with(&[a, b], &HashMap::new(), &Thresholds::default(), &inherited);
        let texts: Vec<&str> = f
            .iter()
            .filter(|x| x.check == "redundant-option")
            .map(|x| x.text.as_str())
            .collect();
        // 10.0.0.0/24: DNS servers (same list, other spacing) and routers (by code) repeat
        // the server's; its NTP server differs. 10.0.1.0/24's DNS servers differ from its
        // shared network's (which overrides the server), so only routers repeats there.
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(texts[0].contains("scope 10.0.0.0/24 sets domain-name-servers"));
        assert!(texts[0].contains("as the server already does"));
        assert!(texts[1].contains("10.0.0.0/24 sets routers = 10.0.0.1"));
        assert!(texts[2].contains("10.0.1.0/24 sets routers"));
        assert!(f.iter().all(|x| !x.text.contains("ntp-servers")));
    }
}
