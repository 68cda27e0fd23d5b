//! Allocation and pool arithmetic: which address is free on every HA peer, the next or a
//! random one, and how exclusions cut and restore pools.
use std::net::Ipv4Addr;

use super::range::{Range, RangeSet};
use super::scope::ScopeView;
use super::state::IpState;

/// Whether `ip` is free for ddish to hold or claim: Available in every peer's view of the
/// scope (in a pool, no lease, no reservation, not held or claimed), and not the gateway,
/// the network or the broadcast address.
pub fn is_free_everywhere(views: &[&ScopeView], ip: Ipv4Addr) -> bool {
    let Some(first) = views.first() else {
        return false;
    };
    let d = first.detail(ip);
    if d.is_gateway || d.is_network || d.is_broadcast {
        return false;
    }
    views.iter().all(|v| v.state_of(ip) == IpState::Available)
}

/// Free addresses in address order from the scope's start.
pub fn free_addresses<'a>(views: &'a [&'a ScopeView]) -> impl Iterator<Item = Ipv4Addr> + 'a {
    let range = views.first().map(|v| v.def.range);
    range
        .into_iter()
        .flat_map(|r| r.iter())
        .filter(move |ip| is_free_everywhere(views, *ip))
}

/// The first free address at or after `from` (the scope start when `None`).
pub fn next_free(views: &[&ScopeView], from: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
    let from = from.map(u32::from).unwrap_or(0);
    free_addresses(views).find(|ip| u32::from(*ip) >= from)
}

/// The free addresses in the order "random free" tries them: a uniformly random
/// permutation (Fisher-Yates), so the first is uniform among all free addresses and a
/// taken one falls back to another uniform pick. `pick(n)` returns an index below `n`.
pub fn random_order(
    mut free: Vec<Ipv4Addr>,
    mut pick: impl FnMut(usize) -> usize,
) -> Vec<Ipv4Addr> {
    for i in (1..free.len()).rev() {
        let j = pick(i + 1).min(i);
        free.swap(i, j);
    }
    free
}

/// A uniformly random free address (the first of [`random_order`]).
pub fn random_free(views: &[&ScopeView], pick: impl FnMut(usize) -> usize) -> Option<Ipv4Addr> {
    random_order(free_addresses(views).collect(), pick)
        .first()
        .copied()
}

/// Pools after excluding `excl`: each pool keeps its group (Kea pool object it came from,
/// e.g. its HA client-class); a pool cut in the middle becomes two of the same group.
pub fn exclude_from_pools(pools: &[(Range, usize)], excl: Range) -> Vec<(Range, usize)> {
    let cut = RangeSet::from_ranges([excl]);
    let mut out = Vec::new();
    for (r, g) in pools {
        for piece in RangeSet::from_ranges([*r]).subtract(&cut).iter() {
            out.push((*piece, *g));
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

/// Pools after returning `add` (clipped to `range`) to DHCP. Each new piece joins the group
/// of the pool it touches (the one ending just before it, else the one starting just after
/// it, else the nearest), so an HA load-balancing split keeps its halves; adjacent pools of
/// one group merge.
pub fn include_in_pools(pools: &[(Range, usize)], add: Range, range: Range) -> Vec<(Range, usize)> {
    let Some(add) = add.intersect(&range) else {
        return pools.to_vec();
    };
    let have = RangeSet::from_ranges(pools.iter().map(|(r, _)| *r));
    let new = RangeSet::from_ranges([add]).subtract(&have);
    let mut out: Vec<(Range, usize)> = pools.to_vec();
    for piece in new.iter() {
        let group = pools
            .iter()
            .find(|(r, _)| r.end.checked_add(1) == Some(piece.start))
            .or_else(|| {
                pools
                    .iter()
                    .find(|(r, _)| piece.end.checked_add(1) == Some(r.start))
            })
            .or_else(|| {
                pools.iter().min_by_key(|(r, _)| {
                    let d1 = i64::from(r.start) - i64::from(piece.end);
                    let d2 = i64::from(piece.start) - i64::from(r.end);
                    d1.abs().min(d2.abs())
                })
            })
            .map(|(_, g)| *g)
            .unwrap_or(0);
        out.push((*piece, group));
    }
    // Merge touching pieces of one group.
    out.sort_by_key(|(r, _)| r.start);
    let mut merged: Vec<(Range, usize)> = Vec::with_capacity(out.len());
    for (r, g) in out {
        match merged.last_mut() {
            Some((last, lg)) if *lg == g && last.end.checked_add(1) == Some(r.start) => {
                last.end = r.end
            }
            _ => merged.push((r, g)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lease::{HwAddr, Lease, LeaseMark, LeaseState};
    use crate::model::scope::{Reservation, ScopeDef};
    use proptest::prelude::*;

    fn r(a: &str, b: &str) -> Range {
        Range::new(a.parse().unwrap(), b.parse().unwrap()).unwrap()
    }

    fn view(leases: &[&str], gw: Option<&str>) -> ScopeView {
        let cidr: ipnet::Ipv4Net = "10.0.0.0/24".parse().unwrap();
        let pools = RangeSet::from_ranges([r("10.0.0.1", "10.0.0.10")]);
        let mut def = ScopeDef::bare(1, cidr, pools);
        def.range = r("10.0.0.1", "10.0.0.20");
        def.range_marked = true;
        def.reservations = vec![Reservation {
            ip: "10.0.0.3".parse().unwrap(),
            ..Default::default()
        }];
        def.gateway = gw.map(|g| g.parse().unwrap());
        let leases = leases
            .iter()
            .map(|ip| Lease {
                ip: ip.parse().unwrap(),
                subnet_id: 1,
                hw: HwAddr::None,
                client_id: None,
                hostname: None,
                cltt: 100,
                valid_lft: 1000,
                state: LeaseState::Default,
                mark: LeaseMark::None,
                extra: None,
            })
            .collect();
        ScopeView::build(def, leases, 200)
    }

    #[test]
    fn free_on_every_peer() {
        let a = view(&["10.0.0.2"], Some("10.0.0.1"));
        let b = view(&["10.0.0.4"], Some("10.0.0.1"));
        // .1 gateway, .2 leased on a, .3 reserved, .4 leased on b.
        assert_eq!(
            next_free(&[&a, &b], None),
            Some("10.0.0.5".parse().unwrap())
        );
        assert_eq!(next_free(&[&a], None), Some("10.0.0.4".parse().unwrap()));
        assert_eq!(
            next_free(&[&a, &b], Some("10.0.0.8".parse().unwrap())),
            Some("10.0.0.8".parse().unwrap())
        );
        // Excluded (.11-.20) is never free.
        assert_eq!(
            next_free(&[&a, &b], Some("10.0.0.11".parse().unwrap())),
            None
        );
        assert_eq!(free_addresses(&[&a, &b]).count(), 6);
        assert_eq!(random_free(&[], |_| 0), None);
        let picked = random_free(&[&a, &b], |n| n - 1).unwrap();
        assert!(free_addresses(&[&a, &b]).any(|f| f == picked));
    }

    #[test]
    fn random_order_is_uniform_over_every_pick_sequence() {
        // Every sequence of picks Fisher-Yates can draw for 4 addresses (4 * 3 * 2 = 24,
        // equally likely): each address comes first in exactly a quarter of them, and each
        // sequence gives a different order (all 24 permutations).
        let free: Vec<Ipv4Addr> = (1..=4).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
        let mut firsts = std::collections::HashMap::new();
        let mut orders = std::collections::HashSet::new();
        for a in 0..4 {
            for b in 0..3 {
                for c in 0..2 {
                    let mut seq = [a, b, c].into_iter();
                    let o = random_order(free.clone(), |_| seq.next().unwrap());
                    *firsts.entry(o[0]).or_insert(0) += 1;
                    orders.insert(o);
                }
            }
        }
        assert_eq!(orders.len(), 24);
        assert!(firsts.values().all(|n| *n == 6), "{firsts:?}");
    }

    #[test]
    fn exclusion_cuts_and_keeps_groups() {
        let pools = vec![
            (r("10.0.0.100", "10.0.0.149"), 0),
            (r("10.0.0.150", "10.0.0.199"), 1),
        ];
        let cut = exclude_from_pools(&pools, r("10.0.0.140", "10.0.0.160"));
        assert_eq!(
            cut,
            vec![
                (r("10.0.0.100", "10.0.0.139"), 0),
                (r("10.0.0.161", "10.0.0.199"), 1)
            ]
        );
        let mid = exclude_from_pools(&pools, r("10.0.0.110", "10.0.0.119"));
        assert_eq!(mid.len(), 3);
        assert_eq!(mid[1], (r("10.0.0.120", "10.0.0.149"), 0));
        // Back in: each side rejoins its own half.
        let back = include_in_pools(
            &cut,
            r("10.0.0.140", "10.0.0.160"),
            r("10.0.0.10", "10.0.0.199"),
        );
        assert_eq!(back.len(), 2);
        let total: u64 = back.iter().map(|(r, _)| r.len()).sum();
        assert_eq!(total, 100);
        assert_eq!(
            back[0].0.start,
            u32::from("10.0.0.100".parse::<Ipv4Addr>().unwrap())
        );
        // Clipped to the scope range.
        let out = include_in_pools(
            &pools,
            r("10.0.0.1", "10.0.0.120"),
            r("10.0.0.90", "10.0.0.199"),
        );
        assert_eq!(out[0].0, r("10.0.0.90", "10.0.0.149"));
    }

    proptest! {
        #[test]
        fn exclude_then_include_restores_addresses(a in 0u32..200, l in 0u32..60) {
            let base = 0x0a00_0000u32;
            let pools = vec![
                (Range::from_u32(base + 20, base + 99).unwrap(), 0),
                (Range::from_u32(base + 100, base + 180).unwrap(), 1),
            ];
            let range = Range::from_u32(base + 1, base + 254).unwrap();
            let excl = Range::from_u32(base + a, base + a + l).unwrap();
            let cut = exclude_from_pools(&pools, excl);
            for (p, _) in &cut {
                prop_assert!(!p.overlaps(&excl));
            }
            let set = |v: &[(Range, usize)]| RangeSet::from_ranges(v.iter().map(|(r, _)| *r));
            let back = include_in_pools(&cut, excl, range);
            // Every address that was pooled is pooled again, plus the excluded ones in range.
            let want = set(&pools).union(&RangeSet::from_ranges([excl.intersect(&range).unwrap_or(excl)]).intersect(&RangeSet::from_ranges([range])));
            prop_assert_eq!(set(&back), want);
            // Pools never overlap.
            for w in back.windows(2) {
                prop_assert!(w[0].0.end < w[1].0.start);
            }
        }
    }
}
