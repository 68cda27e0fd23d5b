use super::*;
use crate::model::{HwAddr, Lease, LeaseMark, LeaseState, ScopeDef};

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn net(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

#[test]
fn findings_by_state_and_answer() {
    use IpState::*;
    assert_eq!(finding(Available, true), Some(Finding::Conflict));
    assert_eq!(finding(Expired, true), Some(Finding::Conflict));
    assert_eq!(finding(Assigned, false), Some(Finding::Silent));
    assert_eq!(finding(Claimed, false), Some(Finding::Silent));
    // Static devices belong in exclusions, reservations and outside the pools.
    for s in [Excluded, Reserved, Outside, Held, Declined] {
        assert_eq!(finding(s, true), None, "{s:?}");
    }
    for s in [Available, Excluded, Reserved, Held, Expired, Outside] {
        assert_eq!(finding(s, false), None, "{s:?}");
    }
    assert_eq!(finding(Assigned, true), None);
}

#[test]
fn rates_are_bounded() {
    assert_eq!(check_rate(50), Ok(50));
    assert_eq!(check_rate(MAX_RATE), Ok(MAX_RATE));
    assert!(check_rate(0).unwrap_err().contains("1 to 1000"));
    assert!(check_rate(MAX_RATE + 1).is_err());
    let s = Sweep::new("kea", net("10.0.0.0/24"), 50);
    assert_eq!(s.interval(), Duration::from_millis(20));
    assert_eq!(s.estimate(), Duration::from_millis(20 * 254) + ECHO_TIMEOUT);
}

#[test]
fn a_sweep_takes_only_the_scopes_host_addresses() {
    let mut s = Sweep::new("kea", net("10.0.0.0/29"), 50);
    assert_eq!(s.total(), 6);
    assert_eq!(s.next, Some(ip("10.0.0.1")));
    let (ips, after) = s.take(4);
    assert_eq!(
        ips,
        [
            ip("10.0.0.1"),
            ip("10.0.0.2"),
            ip("10.0.0.3"),
            ip("10.0.0.4")
        ]
    );
    assert_eq!(after, Some(ip("10.0.0.5")));
    s.next = after;
    // Asked for more than is left: stops at the last host, never the broadcast.
    let (ips, after) = s.take(100);
    assert_eq!(ips, [ip("10.0.0.5"), ip("10.0.0.6")]);
    assert_eq!(after, None);
    s.next = None;
    assert!(s.done());
    assert_eq!(s.take(10), (Vec::new(), None));
    // A /31 and a /32 have no network or broadcast address to leave out.
    assert_eq!(Sweep::new("kea", net("10.0.0.4/31"), 1).total(), 2);
    let one = Sweep::new("kea", net("10.0.0.9/32"), 1);
    assert_eq!(one.take(5), (vec![ip("10.0.0.9")], None));
    // The top of the address space does not wrap around.
    let top = Sweep::new("kea", net("255.255.255.252/30"), 1);
    assert_eq!(
        top.take(9),
        (vec![ip("255.255.255.253"), ip("255.255.255.254")], None)
    );
    // A cursor placed before the hosts (never by take) starts at the first host.
    let mut odd = Sweep::new("kea", net("10.0.0.0/30"), 1);
    odd.next = Some(ip("9.255.255.255"));
    assert_eq!(odd.take(1).0, [ip("10.0.0.1")]);
}

fn lease(a: &str) -> Lease {
    Lease {
        ip: ip(a),
        subnet_id: 1,
        hw: HwAddr::parse("aa:bb:cc:00:00:01").unwrap(),
        client_id: None,
        hostname: None,
        cltt: 1_000,
        valid_lft: 3600,
        state: LeaseState::Default,
        mark: LeaseMark::None,
        extra: None,
    }
}

#[test]
fn rows_say_what_each_pinged_address_means() {
    let pools =
        crate::model::RangeSet::from_ranges(vec![
            Range::new(ip("10.0.0.2"), ip("10.0.0.5")).unwrap()
        ]);
    let def = ScopeDef::bare(1, net("10.0.0.0/29"), pools);
    let view = ScopeView::build(def, vec![lease("10.0.0.3"), lease("10.0.0.4")], 1_500);
    let mut s = Sweep::new("kea", net("10.0.0.0/29"), 50);
    assert!(rows(&s, &view).is_empty(), "nothing pinged yet");
    // Pinged .1 to .4: .1 (outside the scope's range, answers: a static device where it
    // belongs),
    // .2 (free, answers: conflict), .3 (leased, answers), .4 (leased, silent).
    s.sent = 4;
    s.next = Some(ip("10.0.0.5"));
    s.answered.insert(ip("10.0.0.1"), 300);
    s.answered.insert(ip("10.0.0.2"), 450);
    s.answered.insert(ip("10.0.0.3"), 500);
    let r = rows(&s, &view);
    let got: Vec<(Ipv4Addr, IpState, Option<Finding>)> =
        r.iter().map(|x| (x.ip, x.state, x.finding)).collect();
    assert_eq!(
        got,
        [
            (ip("10.0.0.1"), IpState::Outside, None),
            (ip("10.0.0.2"), IpState::Available, Some(Finding::Conflict)),
            (ip("10.0.0.3"), IpState::Assigned, None),
            (ip("10.0.0.4"), IpState::Assigned, Some(Finding::Silent)),
        ]
    );
    assert_eq!(r[1].rtt, Some(Duration::from_micros(450)));
    // .5 (free) was not pinged yet: no finding, whatever the answers say.
    assert_eq!(s.finding_at(ip("10.0.0.5"), IpState::Available), None);
    assert_eq!(s.progress(), "4 of 6 pinged, 3 answer");
    // The network and broadcast addresses are never findings.
    s.next = None;
    s.answered.insert(ip("10.0.0.0"), 1);
    assert_eq!(s.finding_at(ip("10.0.0.0"), IpState::Available), None);
    assert_eq!(rows(&s, &view).len(), 6);
}
