//! What a search term means and what it matches, as MS IPAM's find does: an address, an
//! address range or CIDR, a MAC or client-ID prefix, a hostname substring. Pure: ops asks
//! Kea and DNS, this decides which leases, reservations and records are hits.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::lease::{hex_colon, parse_hex_bytes};
use super::{Lease, Reservation};

/// A parsed search term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// One address: looked up directly (lease4-get), no lease walk.
    Ip(Ipv4Addr),
    /// Every address from `first` to `last` (a CIDR or `a-b`): leases walked in address
    /// order from `first` only.
    Range { first: Ipv4Addr, last: Ipv4Addr },
    /// Six bytes: a whole MAC (also tried as a client ID), looked up directly.
    Mac(String),
    /// Anything shorter or longer: a hostname substring and/or the start of a MAC or client
    /// ID (colon hex, lowercase, may end in half a byte). Needs a walk of every lease.
    Partial {
        host: Option<String>,
        hex: Option<String>,
    },
}

impl Term {
    /// Reads user input. An IPv4 address; `a.b.c.d/len`; `a.b.c.d-e.f.g.h`; hex with `:`
    /// or `-` separators, or twelve bare hex digits (six bytes: a MAC); otherwise the
    /// start of a MAC / client ID and, where it could be one, part of a hostname.
    pub fn parse(s: &str) -> Result<Term, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err(
                "nothing to search for: give an IP, range, CIDR, MAC, client ID or hostname".into(),
            );
        }
        if let Ok(ip) = s.parse::<Ipv4Addr>() {
            return Ok(Term::Ip(ip));
        }
        if let Some(t) = range(s)? {
            return Ok(t);
        }
        let lower = s.to_ascii_lowercase();
        let hex = hex_prefix(&lower);
        if let Some(h) = &hex {
            // Six whole bytes are a MAC: Kea finds it by its own lookups.
            if parse_hex_bytes(h).is_some_and(|b| b.len() == 6) && h.len() == 17 {
                return Ok(Term::Mac(h.clone()));
            }
        }
        let host = lower.trim_end_matches('.');
        let host = (!host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        .then(|| host.to_string());
        if host.is_none() && hex.is_none() {
            return Err(format!(
                "'{s}' is not an IPv4 address, range, CIDR, MAC, client ID or part of a \
                 hostname (letters, digits, '-', '.' and '_' only)"
            ));
        }
        Ok(Term::Partial { host, hex })
    }

    /// Whether finding everything needs a walk over the server's leases (no Kea command
    /// matches a range, a prefix or a substring).
    pub fn needs_walk(&self) -> bool {
        matches!(self, Term::Range { .. } | Term::Partial { .. })
    }

    /// Where a lease walk starts: the address before the range (lease4-get-page's `from`
    /// is exclusive), or the beginning.
    pub fn walk_from(&self) -> Option<Ipv4Addr> {
        match self {
            Term::Range { first, .. } => u32::from(*first).checked_sub(1).map(Ipv4Addr::from),
            _ => None,
        }
    }

    /// Whether a walk in address order has passed everything this term can match.
    pub fn walk_done_at(&self, ip: Ipv4Addr) -> bool {
        matches!(self, Term::Range { last, .. } if ip > *last)
    }

    /// The address range the term names, if any.
    pub fn ips(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        match self {
            Term::Ip(ip) => Some((*ip, *ip)),
            Term::Range { first, last } => Some((*first, *last)),
            _ => None,
        }
    }

    fn covers(&self, ip: Ipv4Addr) -> bool {
        self.ips().is_some_and(|(a, b)| a <= ip && ip <= b)
    }

    /// The hostname part, for exact lookups and DNS names.
    pub fn host(&self) -> Option<&str> {
        match self {
            Term::Partial { host, .. } => host.as_deref(),
            _ => None,
        }
    }

    /// Whether a name (hostname, DNS owner name) matches: it contains the term.
    pub fn name_matches(&self, name: &str) -> bool {
        self.host().is_some_and(|h| {
            name.trim_end_matches('.')
                .to_ascii_lowercase()
                .contains(h.trim_end_matches('.'))
        })
    }

    /// Whether hex bytes (a MAC or client ID) match: equal to a MAC term, or starting with
    /// a prefix term.
    fn hex_matches(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return false;
        }
        match self {
            Term::Mac(m) => hex_colon(bytes) == *m,
            Term::Partial { hex: Some(p), .. } => hex_colon(bytes).starts_with(p.as_str()),
            _ => false,
        }
    }

    /// What of the lease matched ("lease ip", "lease mac", ...), if anything.
    pub fn lease_match(&self, l: &Lease) -> Option<&'static str> {
        if self.covers(l.ip) {
            Some("lease ip")
        } else if self.hex_matches(l.hw.bytes()) {
            Some("lease mac")
        } else if l.client_id.as_deref().is_some_and(|c| self.hex_matches(c)) {
            Some("lease client-id")
        } else if l.hostname.as_deref().is_some_and(|h| self.name_matches(h)) {
            Some("lease hostname")
        } else {
            None
        }
    }

    /// What of the reservation matched, if anything.
    pub fn reservation_match(&self, r: &Reservation) -> Option<&'static str> {
        let hex = |s: &Option<String>| {
            s.as_deref()
                .and_then(parse_hex_bytes)
                .is_some_and(|b| self.hex_matches(&b))
        };
        if self.covers(r.ip) {
            Some("reservation ip")
        } else if hex(&r.hw) {
            Some("reservation mac")
        } else if hex(&r.client_id) {
            Some("reservation client-id")
        } else if r.hostname.as_deref().is_some_and(|h| self.name_matches(h)) {
            Some("reservation hostname")
        } else {
            None
        }
    }

    /// Whether a DNS address record's address is one the term names.
    pub fn record_ip_matches(&self, ip: Ipv4Addr) -> bool {
        self.covers(ip)
    }
}

/// `a.b.c.d/len` or `a.b.c.d-e.f.g.h` (spaces allowed around the dash).
fn range(s: &str) -> Result<Option<Term>, String> {
    if let Some((a, len)) = s.split_once('/') {
        if a.trim().parse::<Ipv4Addr>().is_err() {
            return Ok(None);
        }
        let net: Ipv4Net = format!("{}/{}", a.trim(), len.trim())
            .parse()
            .map_err(|_| format!("'{s}' is not a CIDR: the prefix length must be 0-32"))?;
        return Ok(Some(Term::Range {
            first: net.network(),
            last: net.broadcast(),
        }));
    }
    let Some((a, b)) = s.split_once('-') else {
        return Ok(None);
    };
    let (Ok(first), Ok(last)) = (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>()) else {
        return Ok(None);
    };
    if first > last {
        return Err(format!(
            "the range '{s}' ends before it starts: write the lower address first"
        ));
    }
    Ok(Some(Term::Range { first, last }))
}

/// The term as the start of colon hex (`aa:bb:c`), if it reads as one: hex digits with `:`
/// or `-` between groups of one or two, or bare hex digits (paired from the left).
fn hex_prefix(s: &str) -> Option<String> {
    let is_hex =
        |p: &str| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_hexdigit());
    if s.contains([':', '-']) {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        let (last, whole) = parts.split_last()?;
        // Every group but the last is a whole byte; the last may be half of one.
        if !whole.iter().all(|p| p.len() == 2 && is_hex(p)) || !is_hex(last) {
            return None;
        }
        let mut out = whole.join(":");
        if !out.is_empty() {
            out.push(':');
        }
        out.push_str(last);
        return Some(out);
    }
    if s.len() < 2 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let b = s.as_bytes();
    let groups: Vec<&str> = b
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Some(groups.join(":"))
}

/// The IPv4 address a reverse name (`4.3.2.1.in-addr.arpa`) stands for, when it has all
/// four labels.
pub fn ptr_ipv4(name: &str) -> Option<Ipv4Addr> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let rest = n.strip_suffix(".in-addr.arpa")?;
    let mut o: Vec<u8> = rest
        .split('.')
        .map(|p| p.parse::<u8>().ok())
        .collect::<Option<_>>()?;
    if o.len() != 4 {
        return None;
    }
    o.reverse();
    Some(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
}

#[cfg(test)]
mod tests;
