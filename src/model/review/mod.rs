//! Configuration review: what in a server's scopes is wrong or suspicious, worst first.
//! Pure: the scopes as read from Kea in, findings out (`ddish review`, the review screen).
use std::collections::HashMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::lease::{hex_colon, parse_hex_bytes};
use super::options;
use super::scope::{lease_state, OptionData, Reservation, ScopeDef, ScopeStats};
use super::{HwAddr, IpState, Lease, ScopeStatus, Thresholds, UtilBand};

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

/// The option values a scope inherits (the server's, and each shared network's), and the
/// server's own option definitions, which make a non-standard name known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inherited {
    pub global: Vec<OptionData>,
    pub shared: HashMap<String, Vec<OptionData>>,
    pub defined: Vec<crate::model::option_defs::CustomOptionDef>,
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
        unknown_options(s, &inherited.defined, &mut out);
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
    worst_first(&mut out);
    out
}

/// Orders findings worst first, then by scope, address and text.
pub fn worst_first(out: &mut [Finding]) {
    out.sort_by(|a, b| {
        (a.severity, a.scope, a.ip, &a.text).cmp(&(b.severity, b.scope, b.ip, &b.text))
    });
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

/// The client a reservation names, for finding texts.
fn who(r: &Reservation) -> String {
    r.hw.clone()
        .or_else(|| r.client_id.as_ref().map(|c| format!("client-id {c}")))
        .unwrap_or_else(|| "its client".into())
}

/// A reservation whose address Kea has leased to another client (a lease older than the
/// reservation, or a client that asked for it): the reserved client cannot get it until
/// that lease ends. `None` when the lease is the reserved client's, is over, or the
/// reservation names its client by something a lease does not carry (flex-id, circuit-id).
pub fn leased_by_another(s: &ScopeDef, r: &Reservation, l: &Lease, now: i64) -> Option<Finding> {
    if l.ip != r.ip
        || !matches!(
            lease_state(l, now),
            IpState::Assigned | IpState::Claimed | IpState::Held
        )
    {
        return None;
    }
    let hw = r.hw.as_deref().and_then(HwAddr::parse);
    let cid = r.client_id.as_deref().and_then(parse_hex_bytes);
    if hw.is_none() && cid.is_none() {
        return None;
    }
    let same_hw = hw.is_some_and(|h| h == l.hw);
    let same_cid = cid.is_some_and(|c| l.client_id.as_deref() == Some(&c[..]));
    if same_hw || same_cid {
        return None;
    }
    let holder = if l.hw.is_none() {
        l.client_id.as_deref().map_or_else(
            || "an unknown client".into(),
            |c| format!("client-id {}", hex_colon(c)),
        )
    } else {
        hex_colon(l.hw.bytes())
    };
    // ddish's own marks never renew: say what ends them.
    let text = match l.mark {
        crate::model::LeaseMark::Held => format!(
            "{} is reserved for {} but held in ddish: the reserved client cannot have it \
             until the hold is released (ddish ip release {})",
            r.ip,
            who(r),
            r.ip
        ),
        crate::model::LeaseMark::Claimed => format!(
            "{} is reserved for {} but claimed in ddish for {holder}: unclaim it (ddish ip \
             unclaim {}) or move the reservation",
            r.ip,
            who(r),
            r.ip
        ),
        crate::model::LeaseMark::None => format!(
            "{} is reserved for {} but leased to {holder}: the reserved client cannot have \
             it until {holder} renews (Kea then moves it elsewhere) or the lease ends",
            r.ip,
            who(r),
        ),
    };
    Some(finding(
        Severity::Error,
        "reserved-leased-by-another",
        Some(s.cidr),
        Some(r.ip),
        text,
    ))
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
        // An exclusion an admin made amid the pools (ddish's range marked): addresses set
        // aside from DHCP. A reservation there is still handed out; one of the two is
        // likely stale. Out-of-pool reservations beyond the pools are Kea's usual practice.
        let ip = u32::from(r.ip);
        if s.range_marked && !s.pools.contains(ip) && s.pools.hull().is_some_and(|h| h.contains(ip))
        {
            out.push(finding(
                Severity::Info,
                "reservation-excluded",
                Some(s.cidr),
                Some(r.ip),
                format!(
                    "{} is reserved for {} but lies in an exclusion of {}: the reservation \
                     still hands it out; delete the one that is stale",
                    r.ip,
                    who(r),
                    s.cidr
                ),
            ));
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

fn unknown_options(
    s: &ScopeDef,
    defined: &[crate::model::option_defs::CustomOptionDef],
    out: &mut Vec<Finding>,
) {
    for o in &s.options {
        if let Some(name) = o.name.as_deref() {
            if options::lookup(name).is_none()
                && o.code.is_none()
                && !defined.iter().any(|d| d.name == name)
            {
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
mod tests;
