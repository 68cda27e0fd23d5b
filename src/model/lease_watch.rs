//! Lease changes between two looks at a scope (issue 13 item 7): which addresses were
//! leased, moved to another client, declined or ended since ddish last read the scope's
//! leases. Pure: ops keeps the last look and records what this finds as events. ddish's
//! own holds and claims are left out (the journal already tells them); renewals are no
//! change.
use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::lease::hex_colon;
use super::scope::lease_state;
use super::{IpState, Lease};

/// Who held an address at a look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// "aa:bb:cc:dd:ee:ff", else "client-id 01:02:..", else "an unknown client".
    pub client: Box<str>,
    pub hostname: Option<Box<str>>,
    pub declined: bool,
}

impl Seen {
    /// The client holding `l`'s address now; `None` when the lease no longer holds it
    /// (expired, reclaimed, released) or is ddish's own hold or claim.
    pub fn of(l: &Lease, now: i64) -> Option<Seen> {
        let declined = match lease_state(l, now) {
            IpState::Assigned => false,
            IpState::Declined => true,
            _ => return None,
        };
        let client: Box<str> = if !l.hw.is_none() && !l.hw.is_zero() {
            hex_colon(l.hw.bytes()).into()
        } else if let Some(c) = l.client_id.as_deref() {
            format!("client-id {}", hex_colon(c)).into()
        } else {
            "an unknown client".into()
        };
        Some(Seen {
            client,
            hostname: l.hostname.clone().filter(|h| !h.is_empty()),
            declined,
        })
    }

    fn who(&self) -> String {
        match &self.hostname {
            Some(h) => format!("{} ({h})", self.client),
            None => self.client.to_string(),
        }
    }
}

/// A scope's leases at one look, by address.
pub type Look = HashMap<Ipv4Addr, Seen>;

/// The look a lease list gives.
pub fn look(leases: &[Lease], now: i64) -> Look {
    leases
        .iter()
        .filter_map(|l| Seen::of(l, now).map(|s| (l.ip, s)))
        .collect()
}

/// What changed at one address between two looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Leased {
        ip: Ipv4Addr,
        to: Seen,
    },
    /// Another client has it now.
    Moved {
        ip: Ipv4Addr,
        from: Seen,
        to: Seen,
    },
    /// Its client reported it in use by someone else.
    Declined {
        ip: Ipv4Addr,
        by: Seen,
    },
    /// The lease is gone (released, expired and reclaimed, or deleted).
    Ended {
        ip: Ipv4Addr,
        from: Seen,
    },
}

impl Change {
    pub fn ip(&self) -> Ipv4Addr {
        match self {
            Change::Leased { ip, .. }
            | Change::Moved { ip, .. }
            | Change::Declined { ip, .. }
            | Change::Ended { ip, .. } => *ip,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Change::Leased { ip, to } => format!("{ip} leased to {}", to.who()),
            Change::Moved { ip, from, to } => {
                format!("{ip} now leased to {} (was {})", to.who(), from.who())
            }
            Change::Declined { ip, by } => {
                format!("{ip} declined by {}: another host answers on it", by.who())
            }
            Change::Ended { ip, from } => format!("{ip} no longer leased (was {})", from.who()),
        }
    }
}

/// The changes from `before` to `after`, in address order.
pub fn diff(before: &Look, after: &Look) -> Vec<Change> {
    let mut out = Vec::new();
    for (ip, now) in after {
        match before.get(ip) {
            None if now.declined => out.push(Change::Declined {
                ip: *ip,
                by: now.clone(),
            }),
            None => out.push(Change::Leased {
                ip: *ip,
                to: now.clone(),
            }),
            Some(was) if was.client != now.client => out.push(Change::Moved {
                ip: *ip,
                from: was.clone(),
                to: now.clone(),
            }),
            Some(was) if now.declined && !was.declined => out.push(Change::Declined {
                ip: *ip,
                by: now.clone(),
            }),
            // The same client (a renewal, a new hostname): no change of holder.
            Some(_) => {}
        }
    }
    for (ip, was) in before {
        if !after.contains_key(ip) {
            out.push(Change::Ended {
                ip: *ip,
                from: was.clone(),
            });
        }
    }
    out.sort_by_key(|c| u32::from(c.ip()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HwAddr, LeaseMark, LeaseState};

    fn lease(ip: [u8; 4], mac: &str, host: Option<&str>) -> Lease {
        Lease {
            ip: Ipv4Addr::from(ip),
            subnet_id: 1,
            hw: HwAddr::parse(mac).unwrap(),
            client_id: None,
            hostname: host.map(Into::into),
            cltt: 1_000,
            valid_lft: 3_600,
            state: LeaseState::Default,
            mark: LeaseMark::None,
            extra: None,
        }
    }

    #[test]
    fn each_kind_of_change_and_no_change() {
        let now = 2_000;
        let mut held = lease([10, 0, 0, 9], "aa:00:00:00:00:09", None);
        held.mark = LeaseMark::Held;
        let before = look(
            &[
                lease([10, 0, 0, 1], "aa:00:00:00:00:01", Some("pc1")),
                lease([10, 0, 0, 2], "aa:00:00:00:00:02", None),
                lease([10, 0, 0, 3], "aa:00:00:00:00:03", None),
                lease([10, 0, 0, 4], "aa:00:00:00:00:04", None),
                held.clone(),
            ],
            now,
        );
        let mut renewed = lease([10, 0, 0, 1], "aa:00:00:00:00:01", Some("pc1-new"));
        renewed.cltt = 1_900;
        let mut declined = lease([10, 0, 0, 4], "aa:00:00:00:00:04", None);
        declined.state = LeaseState::Declined;
        let mut expired = lease([10, 0, 0, 6], "aa:00:00:00:00:06", None);
        expired.valid_lft = 10;
        let after = look(
            &[
                renewed,
                lease([10, 0, 0, 2], "bb:00:00:00:00:02", Some("laptop")),
                declined,
                lease([10, 0, 0, 5], "aa:00:00:00:00:05", None),
                expired,
                held,
            ],
            now,
        );
        let d: Vec<String> = diff(&before, &after).iter().map(Change::describe).collect();
        assert_eq!(
            d,
            [
                "10.0.0.2 now leased to bb:00:00:00:00:02 (laptop) (was aa:00:00:00:00:02)",
                "10.0.0.3 no longer leased (was aa:00:00:00:00:03)",
                "10.0.0.4 declined by aa:00:00:00:00:04: another host answers on it",
                "10.0.0.5 leased to aa:00:00:00:00:05",
            ]
        );
        assert!(diff(&after, &after).is_empty());
    }
}
