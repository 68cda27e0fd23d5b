//! Conflict detection by ping sweep (issue 13 item 5), the pure part: which addresses a
//! sweep may ping (the scope's own host addresses, never beyond), how fast, where a sweep
//! stands between steps, and what its answers mean beside DHCP's view of each address:
//! an address that answers but is free in DHCP is a conflict (a static IP DHCP may hand
//! out again); a leased one that is silent may be a client gone.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use ipnet::Ipv4Net;

use super::{IpState, Range, ScopeView};

/// Pings per second unless told otherwise.
pub const DEFAULT_RATE: u32 = 50;
/// The most a sweep may send per second: a sweep must never look like a flood.
pub const MAX_RATE: u32 = 1000;
/// How long each address gets to answer.
pub const ECHO_TIMEOUT: Duration = Duration::from_secs(1);

/// What a sweep found at an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finding {
    /// Answers ping but DHCP thinks it free: someone uses it without a lease.
    Conflict,
    /// Leased (or claimed) but does not answer: the client may be gone, or firewalled.
    Silent,
}

impl Finding {
    pub fn label(self) -> &'static str {
        match self {
            Finding::Conflict => "conflict",
            Finding::Silent => "silent",
        }
    }

    /// One line for the IP popup and the CLI.
    pub fn explain(self) -> &'static str {
        match self {
            Finding::Conflict => {
                "answers ping but is free in DHCP: a static address DHCP may hand out again"
            }
            Finding::Silent => "leased but does not answer ping: the client may be gone",
        }
    }
}

/// What an answer (or its absence) means for an address in this DHCP state.
pub fn finding(state: IpState, answered: bool) -> Option<Finding> {
    match (state, answered) {
        (IpState::Available | IpState::Expired, true) => Some(Finding::Conflict),
        (IpState::Assigned | IpState::Claimed, false) => Some(Finding::Silent),
        _ => None,
    }
}

/// Checks a rate asked for: 1 to [`MAX_RATE`] per second.
pub fn check_rate(rate: u32) -> Result<u32, String> {
    if (1..=MAX_RATE).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "a sweep rate of {rate}/s is out of range: give 1 to {MAX_RATE} pings per second"
        ))
    }
}

/// One sweep of a scope: what it pings, how fast, where it stands and what answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    pub server: String,
    pub cidr: Ipv4Net,
    /// Pings per second.
    pub rate: u32,
    /// The next address to ping; `None` once every one was.
    pub next: Option<Ipv4Addr>,
    /// Addresses pinged so far.
    pub sent: u64,
    /// The addresses that answered, with the round-trip time in microseconds.
    pub answered: BTreeMap<Ipv4Addr, u32>,
}

impl Sweep {
    /// A sweep of the scope's host addresses (not the network or broadcast address of a
    /// subnet bigger than a /31).
    pub fn new(server: &str, cidr: Ipv4Net, rate: u32) -> Sweep {
        let hosts = Range::hosts_of_net(&cidr);
        Sweep {
            server: server.to_string(),
            cidr,
            rate,
            next: (hosts.start <= hosts.end).then(|| Ipv4Addr::from(hosts.start)),
            sent: 0,
            answered: BTreeMap::new(),
        }
    }

    pub fn total(&self) -> u64 {
        Range::hosts_of_net(&self.cidr).len()
    }

    pub fn done(&self) -> bool {
        self.next.is_none()
    }

    /// The next `n` addresses to ping (never outside the scope's hosts), and where the
    /// sweep stands after them.
    pub fn take(&self, n: u64) -> (Vec<Ipv4Addr>, Option<Ipv4Addr>) {
        let hosts = Range::hosts_of_net(&self.cidr);
        let Some(next) = self.next else {
            return (Vec::new(), None);
        };
        let start = u32::from(next).max(hosts.start);
        if start > hosts.end || n == 0 {
            return (Vec::new(), (start <= hosts.end).then_some(next));
        }
        let last = u64::from(start) + n - 1;
        let end = last.min(u64::from(hosts.end)) as u32;
        let ips = (start..=end).map(Ipv4Addr::from).collect();
        let after = (end < hosts.end).then(|| Ipv4Addr::from(end + 1));
        (ips, after)
    }

    /// Time between two pings at this rate.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(1) / self.rate.max(1)
    }

    /// How long the whole sweep takes at its rate (plus the last echo's wait).
    pub fn estimate(&self) -> Duration {
        self.interval() * self.total().min(u64::from(u32::MAX)) as u32 + ECHO_TIMEOUT
    }

    pub fn answers(&self, ip: Ipv4Addr) -> Option<Duration> {
        self.answered
            .get(&ip)
            .map(|us| Duration::from_micros(u64::from(*us)))
    }

    /// What the sweep found at an address of the scope, given its DHCP state; nothing
    /// for addresses not pinged yet.
    pub fn finding_at(&self, ip: Ipv4Addr, state: IpState) -> Option<Finding> {
        self.pinged(ip)
            .then(|| finding(state, self.answered.contains_key(&ip)))
            .flatten()
    }

    /// Whether the sweep has pinged this address (one of the scope's hosts, before the
    /// cursor).
    pub fn pinged(&self, ip: Ipv4Addr) -> bool {
        let before = match self.next {
            None => self.sent > 0,
            Some(n) => ip < n,
        };
        before && Range::hosts_of_net(&self.cidr).contains(u32::from(ip))
    }

    /// "1,234 of 65,534 pinged, 17 answer".
    pub fn progress(&self) -> String {
        format!(
            "{} of {} pinged, {} answer",
            self.sent,
            self.total(),
            self.answered.len()
        )
    }
}

/// How many conflicts and silent leases the sweep shows in the scope's current states.
pub fn counts(sweep: &Sweep, view: &ScopeView) -> (usize, usize) {
    let r = rows(sweep, view);
    let n = |f: Finding| r.iter().filter(|x| x.finding == Some(f)).count();
    (n(Finding::Conflict), n(Finding::Silent))
}

/// One address of a swept scope, for lists and CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRow {
    pub ip: Ipv4Addr,
    pub state: IpState,
    pub rtt: Option<Duration>,
    pub finding: Option<Finding>,
}

/// Every pinged address of the scope with its state, answer and finding, in address order.
pub fn rows(sweep: &Sweep, view: &ScopeView) -> Vec<SweepRow> {
    let hosts = Range::hosts_of_net(&sweep.cidr);
    let end = match sweep.next {
        Some(n) => u32::from(n).saturating_sub(1),
        None => hosts.end,
    };
    if hosts.start > end || sweep.sent == 0 {
        return Vec::new();
    }
    (hosts.start..=end)
        .map(Ipv4Addr::from)
        .map(|ip| {
            let state = view.state_of(ip);
            SweepRow {
                ip,
                state,
                rtt: sweep.answers(ip),
                finding: sweep.finding_at(ip, state),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
