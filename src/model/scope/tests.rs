use super::*;

fn def(cidr: &str, pools: &[&str]) -> ScopeDef {
    let cidr: Ipv4Net = cidr.parse().unwrap();
    let pools = RangeSet::from_ranges(pools.iter().map(|p| Range::parse_pool(p).unwrap()));
    ScopeDef::bare(1, cidr, pools)
}

fn lease(ip: &str, mark: LeaseMark, state: LeaseState, cltt: i64) -> Lease {
    Lease {
        ip: ip.parse().unwrap(),
        subnet_id: 1,
        hw: HwAddr::parse("aa:bb:cc:dd:ee:ff").unwrap(),
        client_id: None,
        hostname: Some("host".into()),
        cltt,
        valid_lft: 100,
        state,
        mark,
        extra: None,
    }
}

#[test]
fn a_lease_change_without_a_reload() {
    let d = def("10.0.0.0/24", &["10.0.0.10-10.0.0.40"]);
    let lease = |n: u8, mark| Lease {
        ip: Ipv4Addr::new(10, 0, 0, n),
        subnet_id: 1,
        hw: HwAddr::None,
        client_id: None,
        hostname: None,
        cltt: 100,
        valid_lft: 600,
        state: LeaseState::Default,
        mark,
        extra: None,
    };
    let v = ScopeView::build(d, vec![lease(12, LeaseMark::None)], 200);
    let ip = Ipv4Addr::new(10, 0, 0, 20);
    let held = v.with_lease_at(ip, Some(lease(20, LeaseMark::Held)), 200);
    assert_eq!(held.state_of(ip), IpState::Held);
    assert_eq!(held.leases.len(), 2);
    assert_eq!(
        held.state_of(Ipv4Addr::new(10, 0, 0, 12)),
        v.state_of(Ipv4Addr::new(10, 0, 0, 12))
    );
    let released = held.with_lease_at(ip, None, 200);
    assert_eq!(released.state_of(ip), IpState::Available);
    assert_eq!(released.leases.len(), 1);
}

#[test]
fn serving_peer_needs_one_ha_class() {
    let mut d = def("10.0.0.0/24", &["10.0.0.10-10.0.0.40"]);
    let ip = |n| Ipv4Addr::new(10, 0, 0, n);
    assert_eq!(d.serving_peer(ip(12)), None, "no classes: either peer");
    d.pool_classes = vec![
        (
            Range::parse_pool("10.0.0.10-10.0.0.19").unwrap(),
            "HA_a".into(),
        ),
        (
            Range::parse_pool("10.0.0.20-10.0.0.29").unwrap(),
            "voip".into(),
        ),
        (
            Range::parse_pool("10.0.0.30-10.0.0.40").unwrap(),
            "HA_a".into(),
        ),
        (
            Range::parse_pool("10.0.0.30-10.0.0.40").unwrap(),
            "HA_b".into(),
        ),
    ];
    assert_eq!(d.serving_peer(ip(10)), Some("a"));
    assert_eq!(d.serving_peer(ip(19)), Some("a"));
    assert_eq!(d.serving_peer(ip(25)), None, "not an HA class");
    assert_eq!(d.serving_peer(ip(35)), None, "open to both peers");
    assert_eq!(d.serving_peer(ip(9)), None);
}

#[test]
fn global_reservations_land_in_the_narrowest_scope_and_are_not_free() {
    let mut wide = def("10.0.0.0/16", &["10.0.1.0-10.0.1.255"]);
    wide.id = 1;
    let mut narrow = def("10.0.0.0/24", &["10.0.0.100-10.0.0.110"]);
    narrow.id = 2;
    narrow.reservations.push(Reservation {
        ip: "10.0.0.101".parse().unwrap(),
        hostname: Some("subnet-own".into()),
        ..Default::default()
    });
    let mut scopes = vec![wide, narrow];
    let g = |ip: &str, h: &str| Reservation {
        ip: ip.parse().unwrap(),
        hostname: Some(h.into()),
        ..Default::default()
    };
    attach_global_reservations(
        &mut scopes,
        vec![
            g("10.0.0.100", "global-a"),
            g("10.0.0.101", "global-b"),
            g("10.0.1.7", "global-c"),
            g("192.0.2.1", "nowhere"),
        ],
    );
    let names = |s: &ScopeDef| -> Vec<(String, bool)> {
        s.reservations
            .iter()
            .map(|r| (r.hostname.clone().unwrap(), r.global))
            .collect()
    };
    assert_eq!(names(&scopes[0]), vec![("global-c".to_string(), true)]);
    // The subnet's own reservation at .101 wins over the global one.
    assert_eq!(
        names(&scopes[1]),
        vec![
            ("subnet-own".to_string(), false),
            ("global-a".to_string(), true)
        ]
    );
    let v = ScopeView::build(scopes[1].clone(), vec![], 0);
    assert_eq!(v.state_of("10.0.0.100".parse().unwrap()), IpState::Reserved);
    assert_eq!(
        crate::model::alloc::next_free(&[&v], None),
        Some("10.0.0.102".parse().unwrap()),
        "next-free skips both the global and the subnet reservation"
    );
}

#[test]
fn states_and_counts() {
    let mut d = def(
        "10.0.0.0/24",
        &["10.0.0.100-10.0.0.149", "10.0.0.160-10.0.0.199"],
    );
    d.range = Range::parse_pool("10.0.0.100-10.0.0.199").unwrap();
    d.reservations.push(Reservation {
        ip: "10.0.0.110".parse().unwrap(),
        ..Default::default()
    });
    let now = 1_000;
    let v = ScopeView::build(
        d,
        vec![
            lease("10.0.0.101", LeaseMark::None, LeaseState::Default, now),
            lease("10.0.0.102", LeaseMark::Held, LeaseState::Default, now),
            lease("10.0.0.103", LeaseMark::Claimed, LeaseState::Default, now),
            lease("10.0.0.104", LeaseMark::None, LeaseState::Declined, now),
            lease(
                "10.0.0.105",
                LeaseMark::None,
                LeaseState::Default,
                now - 500,
            ),
            lease(
                "10.0.0.106",
                LeaseMark::None,
                LeaseState::ExpiredReclaimed,
                now,
            ),
            lease("10.0.0.110", LeaseMark::None, LeaseState::Default, now),
        ],
        now,
    );
    assert_eq!(v.len(), 256);
    let s = |ip: &str| v.state_of(ip.parse().unwrap());
    assert_eq!(s("10.0.0.0"), IpState::Outside);
    assert_eq!(s("10.0.0.99"), IpState::Outside);
    assert_eq!(s("10.0.0.100"), IpState::Available);
    assert_eq!(s("10.0.0.101"), IpState::Assigned);
    assert_eq!(s("10.0.0.102"), IpState::Held);
    assert_eq!(s("10.0.0.103"), IpState::Claimed);
    assert_eq!(s("10.0.0.104"), IpState::Declined);
    assert_eq!(s("10.0.0.105"), IpState::Expired);
    assert_eq!(s("10.0.0.106"), IpState::Expired);
    assert_eq!(s("10.0.0.110"), IpState::Reserved);
    assert_eq!(s("10.0.0.150"), IpState::Excluded);
    assert_eq!(s("10.0.0.200"), IpState::Outside);
    let c = v.counts;
    assert_eq!(c.total, 100);
    assert_eq!(c.excluded, 10);
    assert_eq!(
        (c.assigned, c.held, c.claimed, c.declined, c.expired, c.reserved),
        (1, 1, 1, 1, 2, 1)
    );
    assert_eq!(c.available, 90 - 7);
    // 5 used of 90 allocatable.
    assert_eq!(c.utilization().percent_floor(), 5);
    let d = v.detail("10.0.0.110".parse().unwrap());
    assert!(d.lease.is_some() && d.reservation.is_some());
    assert_eq!(d.mac().as_deref(), Some("aa:bb:cc:dd:ee:ff"));
}

#[test]
fn derived_range_covers_out_of_pool_reservations() {
    let cidr: Ipv4Net = "10.10.0.0/24".parse().unwrap();
    let pools = RangeSet::from_ranges([Range::parse_pool("10.10.0.100-10.10.0.199").unwrap()]);
    let res = vec![Reservation {
        ip: "10.10.0.10".parse().unwrap(),
        ..Default::default()
    }];
    let r = ScopeDef::derive_range(&cidr, &pools, &res);
    assert_eq!(r.to_string(), "10.10.0.10 - 10.10.0.199");
    // No pools, no reservations: the subnet's hosts.
    let r = ScopeDef::derive_range(&cidr, &RangeSet::new(), &[]);
    assert_eq!(r.to_string(), "10.10.0.1 - 10.10.0.254");
}

#[test]
fn slash16_is_cheap_to_index() {
    let d = def("10.64.0.0/16", &["10.64.0.10-10.64.255.250"]);
    let v = ScopeView::build(d, vec![], 0);
    assert_eq!(v.len(), 65536);
    assert_eq!(v.counts.total, 65_536 - 10 - 5);
    assert_eq!(v.ip_at(65535).to_string(), "10.64.255.255");
    assert_eq!(v.index_of("10.64.1.0".parse().unwrap()), Some(256));
}
