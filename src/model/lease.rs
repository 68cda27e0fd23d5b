//! A DHCPv4 lease as ddish keeps it in memory: compact, since a /16 scope holds 65,000 and
//! the budget is under 150 bytes per lease.
use std::fmt;
use std::net::Ipv4Addr;

/// Kea's lease `state` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LeaseState {
    Default = 0,
    Declined = 1,
    ExpiredReclaimed = 2,
    /// Kea >= 3.0: released by its client and kept (lifetime 0) so the client gets the
    /// same address back ("lease affinity"); free for others.
    Released = 3,
    /// Any other value Kea may add later, kept so nothing is hidden.
    Other = 255,
}

impl LeaseState {
    pub fn from_kea(v: i64) -> Self {
        match v {
            0 => LeaseState::Default,
            1 => LeaseState::Declined,
            2 => LeaseState::ExpiredReclaimed,
            3 => LeaseState::Released,
            _ => LeaseState::Other,
        }
    }
}

/// What ddish itself put on a lease, read from `user-context.ddish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum LeaseMark {
    #[default]
    None = 0,
    Held = 1,
    Claimed = 2,
}

/// A hardware address. Ethernet inline; anything else (InfiniBand, odd lengths) boxed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum HwAddr {
    #[default]
    None,
    Eth([u8; 6]),
    Other(Box<[u8]>),
}

impl HwAddr {
    /// Parses `aa:bb:cc:dd:ee:ff`, `aa-bb-..`, `aabb.ccdd.eeff` or bare hex.
    pub fn parse(s: &str) -> Option<HwAddr> {
        let bytes = parse_hex_bytes(s)?;
        Some(match bytes.len() {
            0 => HwAddr::None,
            6 => {
                let mut b = [0u8; 6];
                b.copy_from_slice(&bytes);
                HwAddr::Eth(b)
            }
            _ => HwAddr::Other(bytes.into_boxed_slice()),
        })
    }

    pub fn is_none(&self) -> bool {
        matches!(self, HwAddr::None)
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            HwAddr::None => &[],
            HwAddr::Eth(b) => b,
            HwAddr::Other(b) => b,
        }
    }

    /// All-zero hardware address: what ddish puts on holds (KEA_FACTS.md §10).
    pub fn is_zero(&self) -> bool {
        !self.is_none() && self.bytes().iter().all(|b| *b == 0)
    }
}

impl fmt::Display for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex_colon(self.bytes()))
    }
}

/// Lowercase hex bytes joined by colons: `aa:bb:cc`.
pub fn hex_colon(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Hex bytes separated by `:`, `-`, `.` or nothing. `None` on anything else.
pub fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = if s.contains([':', '-']) {
        s.split([':', '-']).collect()
    } else {
        let flat: String = s.chars().filter(|c| *c != '.').collect();
        if !flat.len().is_multiple_of(2) {
            return None;
        }
        return (0..flat.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(flat.get(i..i + 2)?, 16).ok())
            .collect();
    };
    parts
        .iter()
        .map(|p| {
            if p.is_empty() || p.len() > 2 {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaseExtra {
    /// Free-text comment ddish stored in `user-context.ddish.comment`.
    pub comment: Option<Box<str>>,
    /// Who set the hold or claim (`user-context.ddish.by`).
    pub by: Option<Box<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub ip: Ipv4Addr,
    pub subnet_id: u32,
    pub hw: HwAddr,
    pub client_id: Option<Box<[u8]>>,
    pub hostname: Option<Box<str>>,
    /// Client last transmission time, seconds since the epoch.
    pub cltt: i64,
    /// Lifetime in seconds; 0xFFFFFFFF is Kea's "infinite".
    pub valid_lft: u32,
    pub state: LeaseState,
    pub mark: LeaseMark,
    /// Rarely present: boxed so the common lease stays small.
    pub extra: Option<Box<LeaseExtra>>,
}

impl Lease {
    pub const INFINITE: u32 = u32::MAX;

    /// Expiry time (seconds since the epoch); `None` when the lifetime is infinite.
    pub fn expires(&self) -> Option<i64> {
        (self.valid_lft != Self::INFINITE).then(|| self.cltt + i64::from(self.valid_lft))
    }

    pub fn is_expired(&self, now: i64) -> bool {
        matches!(
            self.state,
            LeaseState::ExpiredReclaimed | LeaseState::Released
        ) || self.expires().is_some_and(|e| e <= now)
    }

    pub fn comment(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.comment.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hw_forms() {
        let a = HwAddr::parse("AA:bb:cc:00:00:01").unwrap();
        assert_eq!(a.to_string(), "aa:bb:cc:00:00:01");
        assert_eq!(HwAddr::parse("aa-bb-cc-00-00-01"), Some(a.clone()));
        assert_eq!(HwAddr::parse("aabb.cc00.0001"), Some(a.clone()));
        assert_eq!(HwAddr::parse("aabbcc000001"), Some(a));
        assert_eq!(HwAddr::parse("zz:00"), None);
        assert_eq!(HwAddr::parse("abc"), None);
        assert!(HwAddr::parse("00:00:00:00:00:00").unwrap().is_zero());
        assert!(matches!(HwAddr::parse("01:02:03"), Some(HwAddr::Other(_))));
    }

    #[test]
    fn expiry() {
        let mut l = Lease {
            ip: "10.0.0.1".parse().unwrap(),
            subnet_id: 1,
            hw: HwAddr::None,
            client_id: None,
            hostname: None,
            cltt: 1000,
            valid_lft: 600,
            state: LeaseState::Default,
            mark: LeaseMark::None,
            extra: None,
        };
        assert_eq!(l.expires(), Some(1600));
        assert!(!l.is_expired(1599));
        assert!(l.is_expired(1600));
        l.valid_lft = Lease::INFINITE;
        assert_eq!(l.expires(), None);
        assert!(!l.is_expired(i64::MAX));
    }

    #[test]
    fn lease_is_compact() {
        // The per-lease memory budget is 150 bytes including heap; the struct itself must
        // leave room for a hostname and a client id.
        assert!(
            std::mem::size_of::<Lease>() <= 96,
            "{}",
            std::mem::size_of::<Lease>()
        );
    }
}
