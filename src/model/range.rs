//! IPv4 address ranges as inclusive `u32` intervals, and sets of disjoint ranges.
//! Pools, exclusions and scope ranges are all built from these.
use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// Whether two prefixes share an address (one holds the other's network address).
pub fn nets_overlap(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// An inclusive range of IPv4 addresses; `start <= end` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Range {
    pub start: u32,
    pub end: u32,
}

impl Range {
    /// `None` when `end` comes before `start`.
    pub fn new(start: Ipv4Addr, end: Ipv4Addr) -> Option<Self> {
        Self::from_u32(u32::from(start), u32::from(end))
    }

    pub fn from_u32(start: u32, end: u32) -> Option<Self> {
        (start <= end).then_some(Range { start, end })
    }

    pub fn single(ip: Ipv4Addr) -> Self {
        let v = u32::from(ip);
        Range { start: v, end: v }
    }

    /// Every address of a network, network and broadcast included.
    pub fn of_net(net: &ipnet::Ipv4Net) -> Self {
        Range {
            start: u32::from(net.network()),
            end: u32::from(net.broadcast()),
        }
    }

    /// The usable host addresses of a network: without network and broadcast address,
    /// except for /31 and /32 where every address is usable (RFC 3021).
    pub fn hosts_of_net(net: &ipnet::Ipv4Net) -> Self {
        let all = Self::of_net(net);
        if net.prefix_len() >= 31 {
            all
        } else {
            Range {
                start: all.start + 1,
                end: all.end - 1,
            }
        }
    }

    /// Parses Kea's pool syntax: `"a.b.c.d - e.f.g.h"`, `"a.b.c.d-e.f.g.h"` or a CIDR
    /// `"a.b.c.d/nn"`.
    pub fn parse_pool(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once('-') {
            let a: Ipv4Addr = a.trim().parse().ok()?;
            let b: Ipv4Addr = b.trim().parse().ok()?;
            Self::new(a, b)
        } else if s.contains('/') {
            let net: ipnet::Ipv4Net = s.parse().ok()?;
            Some(Self::of_net(&net.trunc()))
        } else {
            let a: Ipv4Addr = s.parse().ok()?;
            Some(Self::single(a))
        }
    }

    pub fn first(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.start)
    }

    pub fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.end)
    }

    /// Number of addresses (a /0 holds 2^32, hence u64).
    pub fn len(&self) -> u64 {
        u64::from(self.end - self.start) + 1
    }

    /// A range is never empty; present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, ip: u32) -> bool {
        self.start <= ip && ip <= self.end
    }

    pub fn contains_range(&self, other: &Range) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: &Range) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    pub fn intersect(&self, other: &Range) -> Option<Range> {
        Range::from_u32(self.start.max(other.start), self.end.min(other.end))
    }

    /// Kea's pool string for this range.
    pub fn to_pool_string(&self) -> String {
        format!("{}-{}", self.first(), self.last())
    }

    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> {
        (self.start..=self.end).map(Ipv4Addr::from)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.first())
        } else {
            write!(f, "{} - {}", self.first(), self.last())
        }
    }
}

/// A set of addresses kept as sorted, disjoint, non-adjacent ranges: overlapping or adjacent
/// inserts merge, so two sets with the same addresses are always equal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<Range>,
}

impl RangeSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_ranges<I: IntoIterator<Item = Range>>(it: I) -> Self {
        let mut v: Vec<Range> = it.into_iter().collect();
        v.sort_unstable();
        let mut out: Vec<Range> = Vec::with_capacity(v.len());
        for r in v {
            match out.last_mut() {
                // Adjacent (last.end + 1 == r.start) merges too; saturating keeps 255.255.255.255 safe.
                Some(last) if r.start <= last.end.saturating_add(1) => {
                    last.end = last.end.max(r.end);
                }
                _ => out.push(r),
            }
        }
        RangeSet { ranges: out }
    }

    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of addresses in the set.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(Range::len).sum()
    }

    pub fn insert(&mut self, r: Range) {
        let mut v = std::mem::take(&mut self.ranges);
        v.push(r);
        *self = Self::from_ranges(v);
    }

    pub fn contains(&self, ip: u32) -> bool {
        // Binary search: the last range starting at or before ip.
        let i = self.ranges.partition_point(|r| r.start <= ip);
        i > 0 && self.ranges[i - 1].end >= ip
    }

    /// The smallest range covering every address of the set.
    pub fn hull(&self) -> Option<Range> {
        Some(Range {
            start: self.ranges.first()?.start,
            end: self.ranges.last()?.end,
        })
    }

    /// Addresses of `self` that are not in `other`.
    pub fn subtract(&self, other: &RangeSet) -> RangeSet {
        let mut out = Vec::new();
        let mut j = 0;
        for r in &self.ranges {
            let mut cur = Some(*r);
            while j < other.ranges.len() && other.ranges[j].end < r.start {
                j += 1;
            }
            let mut k = j;
            while let (Some(c), Some(o)) = (cur, other.ranges.get(k)) {
                if o.start > c.end {
                    break;
                }
                if o.start > c.start {
                    out.push(Range {
                        start: c.start,
                        end: o.start - 1,
                    });
                }
                cur = if o.end >= c.end {
                    None
                } else {
                    Some(Range {
                        start: o.end + 1,
                        end: c.end,
                    })
                };
                k += 1;
            }
            if let Some(c) = cur {
                out.push(c);
            }
        }
        RangeSet { ranges: out }
    }

    /// Addresses in both sets.
    pub fn intersect(&self, other: &RangeSet) -> RangeSet {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a, b) = (self.ranges[i], other.ranges[j]);
            if let Some(x) = a.intersect(&b) {
                out.push(x);
            }
            if a.end < b.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }

    pub fn union(&self, other: &RangeSet) -> RangeSet {
        RangeSet::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Range> {
        self.ranges.iter()
    }
}

impl fmt::Display for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.ranges.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(a: u32, b: u32) -> Range {
        Range::from_u32(a, b).unwrap()
    }

    #[test]
    fn parse_pool_forms() {
        let a = Range::parse_pool("10.0.0.10 - 10.0.0.20").unwrap();
        assert_eq!(a.to_string(), "10.0.0.10 - 10.0.0.20");
        assert_eq!(a.len(), 11);
        assert_eq!(Range::parse_pool("10.0.0.10-10.0.0.20"), Some(a));
        let c = Range::parse_pool("10.64.0.128/25").unwrap();
        assert_eq!(
            (c.first(), c.last()),
            (
                "10.64.0.128".parse().unwrap(),
                "10.64.0.255".parse().unwrap()
            )
        );
        assert_eq!(Range::parse_pool("10.0.0.20 - 10.0.0.10"), None);
        assert_eq!(Range::parse_pool("nonsense"), None);
        assert_eq!(Range::parse_pool("10.0.0.1").map(|r| r.len()), Some(1));
    }

    #[test]
    fn hosts_of_net_edges() {
        let n: ipnet::Ipv4Net = "10.0.0.0/24".parse().unwrap();
        assert_eq!(Range::hosts_of_net(&n).len(), 254);
        let n: ipnet::Ipv4Net = "10.0.0.0/31".parse().unwrap();
        assert_eq!(Range::hosts_of_net(&n).len(), 2);
        let n: ipnet::Ipv4Net = "10.0.0.7/32".parse().unwrap();
        assert_eq!(Range::hosts_of_net(&n).len(), 1);
        let n: ipnet::Ipv4Net = "0.0.0.0/0".parse().unwrap();
        assert_eq!(Range::of_net(&n).len(), 1 << 32);
    }

    #[test]
    fn merge_adjacent_and_overlapping() {
        let s = RangeSet::from_ranges([r(10, 20), r(21, 30), r(5, 12), r(40, 50)]);
        assert_eq!(s.ranges(), &[r(5, 30), r(40, 50)]);
        let s = RangeSet::from_ranges([r(u32::MAX - 1, u32::MAX), r(u32::MAX, u32::MAX)]);
        assert_eq!(s.ranges(), &[r(u32::MAX - 1, u32::MAX)]);
    }

    #[test]
    fn subtract_cases() {
        let s = RangeSet::from_ranges([r(0, 100)]);
        let x = RangeSet::from_ranges([r(0, 0), r(10, 20), r(100, 200)]);
        assert_eq!(s.subtract(&x).ranges(), &[r(1, 9), r(21, 99)]);
        assert!(s.subtract(&s).is_empty());
        assert_eq!(s.subtract(&RangeSet::new()), s);
    }

    fn arb_set() -> impl Strategy<Value = RangeSet> {
        prop::collection::vec((0u32..2000, 0u32..50), 0..8)
            .prop_map(|v| RangeSet::from_ranges(v.into_iter().map(|(a, l)| r(a, a + l))))
    }

    fn members(s: &RangeSet) -> std::collections::BTreeSet<u32> {
        s.iter().flat_map(|r| r.start..=r.end).collect()
    }

    proptest! {
        #[test]
        fn set_ops_match_naive(a in arb_set(), b in arb_set()) {
            let (ma, mb) = (members(&a), members(&b));
            prop_assert_eq!(members(&a.subtract(&b)), ma.difference(&mb).copied().collect());
            prop_assert_eq!(members(&a.intersect(&b)), ma.intersection(&mb).copied().collect());
            prop_assert_eq!(members(&a.union(&b)), ma.union(&mb).copied().collect());
            prop_assert_eq!(a.len(), ma.len() as u64);
            for ip in 0u32..2100 {
                prop_assert_eq!(a.contains(ip), ma.contains(&ip));
            }
        }

        #[test]
        fn normal_form(a in arb_set()) {
            // Sorted, disjoint and not adjacent: the canonical form makes equality meaningful.
            for w in a.ranges().windows(2) {
                prop_assert!(w[0].end + 1 < w[1].start);
            }
        }
    }
}
