use super::*;
use crate::model::HwAddr;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn partial(host: Option<&str>, hex: Option<&str>) -> Term {
    Term::Partial {
        host: host.map(str::to_string),
        hex: hex.map(str::to_string),
    }
}

fn lease(addr: &str, hw: &str, cid: Option<&[u8]>, host: Option<&str>) -> Lease {
    Lease {
        ip: ip(addr),
        subnet_id: 1,
        hw: HwAddr::parse(hw).unwrap(),
        client_id: cid.map(|c| c.to_vec().into_boxed_slice()),
        hostname: host.map(Into::into),
        cltt: 0,
        valid_lft: 3600,
        state: crate::model::LeaseState::Default,
        mark: crate::model::LeaseMark::None,
        extra: None,
    }
}

#[test]
fn terms_are_read_as_an_admin_means_them() {
    assert_eq!(Term::parse(" 10.0.0.5 "), Ok(Term::Ip(ip("10.0.0.5"))));
    assert_eq!(
        Term::parse("10.0.0.77/24"),
        Ok(Term::Range {
            first: ip("10.0.0.0"),
            last: ip("10.0.0.255")
        })
    );
    assert_eq!(
        Term::parse("10.0.0.5 - 10.0.0.9"),
        Ok(Term::Range {
            first: ip("10.0.0.5"),
            last: ip("10.0.0.9")
        })
    );
    assert_eq!(
        Term::parse("0.0.0.0/0"),
        Ok(Term::Range {
            first: ip("0.0.0.0"),
            last: ip("255.255.255.255")
        })
    );
    assert_eq!(
        Term::parse("AA-BB-CC-00-00-01"),
        Ok(Term::Mac("aa:bb:cc:00:00:01".into()))
    );
    assert_eq!(
        Term::parse("aabbcc000001"),
        Ok(Term::Mac("aa:bb:cc:00:00:01".into()))
    );
    // A prefix with half a byte at the end; colons cannot be in a hostname.
    assert_eq!(Term::parse("AA:BB:C"), Ok(partial(None, Some("aa:bb:c"))));
    assert_eq!(
        Term::parse("01:aa:bb:cc:00:00:01"),
        Ok(partial(None, Some("01:aa:bb:cc:00:00:01")))
    );
    // Hex that could be a hostname too is searched both ways.
    assert_eq!(
        Term::parse("beef"),
        Ok(partial(Some("beef"), Some("be:ef")))
    );
    assert_eq!(
        Term::parse("ab-cd"),
        Ok(partial(Some("ab-cd"), Some("ab:cd")))
    );
    assert_eq!(
        Term::parse("Printer1.Example.test."),
        Ok(partial(Some("printer1.example.test"), None))
    );
    assert_eq!(Term::parse("web-0"), Ok(partial(Some("web-0"), None)));
    // Bare hex pairs from the left; an odd last digit is half a byte.
    assert_eq!(Term::parse("abc"), Ok(partial(Some("abc"), Some("ab:c"))));
}

#[test]
fn bad_terms_say_what_is_wrong() {
    assert!(Term::parse("")
        .unwrap_err()
        .contains("nothing to search for"));
    assert!(Term::parse("bad host!")
        .unwrap_err()
        .contains("letters, digits"));
    assert!(Term::parse("10.0.0.0/33").unwrap_err().contains("0-32"));
    assert!(Term::parse("10.0.0.9-10.0.0.1")
        .unwrap_err()
        .contains("lower address first"));
}

#[test]
fn walks_start_and_stop_where_the_term_allows() {
    let t = Term::parse("10.0.1.0/24").unwrap();
    assert!(t.needs_walk());
    assert_eq!(t.walk_from(), Some(ip("10.0.0.255")));
    assert!(!t.walk_done_at(ip("10.0.1.255")));
    assert!(t.walk_done_at(ip("10.0.2.0")));
    // A range from 0.0.0.0 starts at the beginning, not before it.
    assert_eq!(Term::parse("0.0.0.0/8").unwrap().walk_from(), None);
    let host = Term::parse("printer").unwrap();
    assert!(host.needs_walk());
    assert_eq!(host.walk_from(), None);
    assert!(!host.walk_done_at(ip("255.255.255.255")));
    assert!(!Term::parse("10.0.0.1").unwrap().needs_walk());
    assert!(!Term::parse("aa:bb:cc:00:00:01").unwrap().needs_walk());
}

#[test]
fn leases_match_by_address_mac_client_id_or_name() {
    let l = lease(
        "10.0.1.7",
        "aa:bb:cc:00:00:07",
        Some(&[1, 0xaa, 0xbb, 0xcc, 0, 0, 7]),
        Some("Printer-HQ.example.test"),
    );
    let m = |t: &str| Term::parse(t).unwrap().lease_match(&l);
    assert_eq!(m("10.0.1.7"), Some("lease ip"));
    assert_eq!(m("10.0.1.0/24"), Some("lease ip"));
    assert_eq!(m("10.0.1.8-10.0.1.9"), None);
    assert_eq!(m("10.0.1.7-10.0.1.7"), Some("lease ip"));
    assert_eq!(m("aa:bb:cc:00:00:07"), Some("lease mac"));
    assert_eq!(m("aa:bb:cc:00:00:08"), None);
    assert_eq!(m("AA-BB"), Some("lease mac"));
    assert_eq!(m("aa:b"), Some("lease mac"));
    assert_eq!(m("01:aa:bb"), Some("lease client-id"));
    assert_eq!(m("02:aa"), None);
    assert_eq!(m("printer"), Some("lease hostname"));
    assert_eq!(m("ter-hq.EXAMPLE"), Some("lease hostname"));
    assert_eq!(m("printer-hq.example.test."), Some("lease hostname"));
    assert_eq!(m("scanner"), None);
    // A hold has an all-zero MAC and no name: found by address only.
    let hold = lease("10.0.1.9", "00:00:00:00:00:00", None, None);
    assert_eq!(
        Term::parse("00:00").unwrap().lease_match(&hold),
        Some("lease mac")
    );
    assert_eq!(Term::parse("printer").unwrap().lease_match(&hold), None);
    // A lease with no MAC never matches a hex term.
    let bare = lease("10.0.1.10", "", None, None);
    assert_eq!(Term::parse("aa").unwrap().lease_match(&bare), None);
}

#[test]
fn reservations_match_like_leases() {
    let r = Reservation {
        ip: ip("10.0.1.5"),
        hw: Some("AA-BB-CC-00-00-05".into()),
        client_id: Some("01:aa:bb:cc:00:00:05".into()),
        hostname: Some("cam-05".into()),
        ..Reservation::default()
    };
    let m = |t: &str| Term::parse(t).unwrap().reservation_match(&r);
    assert_eq!(m("10.0.1.0-10.0.1.5"), Some("reservation ip"));
    assert_eq!(m("aa:bb:cc:00:00:05"), Some("reservation mac"));
    assert_eq!(m("aa:bb:cc"), Some("reservation mac"));
    assert_eq!(m("01:aa"), Some("reservation client-id"));
    assert_eq!(m("cam"), Some("reservation hostname"));
    assert_eq!(m("10.0.1.6/32"), None);
}

#[test]
fn reverse_names_give_their_address() {
    assert_eq!(ptr_ipv4("7.1.0.10.in-addr.arpa"), Some(ip("10.0.1.7")));
    assert_eq!(ptr_ipv4("7.1.0.10.IN-ADDR.ARPA."), Some(ip("10.0.1.7")));
    assert_eq!(ptr_ipv4("1.0.10.in-addr.arpa"), None);
    assert_eq!(ptr_ipv4("x.1.0.10.in-addr.arpa"), None);
    assert_eq!(ptr_ipv4("host.example.test"), None);
}
