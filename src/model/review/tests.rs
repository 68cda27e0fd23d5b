//! The review's checks, one scenario each.
mod checks {
    use super::super::*;
    use crate::model::scope::Reservation;
    use crate::model::{Range, RangeSet};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn scope(id: u32, cidr: &str, pool: Option<(&str, &str)>) -> ScopeDef {
        let cidr: Ipv4Net = cidr.parse().unwrap();
        let pools = match pool {
            Some((a, b)) => RangeSet::from_ranges([Range::new(ip(a), ip(b)).unwrap()]),
            None => RangeSet::default(),
        };
        ScopeDef::bare(id, cidr, pools)
    }

    fn res(addr: &str, mac: &str) -> Reservation {
        Reservation {
            ip: ip(addr),
            hw: Some(mac.into()),
            client_id: None,
            hostname: None,
            description: None,
            client_classes: vec![],
            global: false,
        }
    }

    fn checks(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.check).collect()
    }

    #[test]
    fn a_clean_server_has_no_finding() {
        let mut a = scope(1, "10.0.0.0/24", Some(("10.0.0.100", "10.0.0.199")));
        a.reservations.push(res("10.0.0.10", "aa:bb:cc:00:00:01"));
        let b = scope(2, "10.0.1.0/24", Some(("10.0.1.100", "10.0.1.199")));
        assert!(review(&[a, b], &HashMap::new(), &Thresholds::default()).is_empty());
    }

    #[test]
    fn each_check_finds_its_problem_worst_first() {
        let mut a = scope(1, "10.0.0.0/24", Some(("10.0.0.100", "10.0.0.199")));
        a.reservations.push(res("10.0.5.10", "aa:bb:cc:00:00:01")); // outside
        a.reservations.push(res("10.0.0.20", "aa:bb:cc:00:00:02"));
        a.reservations.push(res("10.0.0.21", "AA:BB:CC:00:00:02")); // same MAC twice
        a.reservations.push(res("10.0.0.22", "aa:bb:cc:00:00:03"));
        a.reservations.push(res("10.0.0.22", "aa:bb:cc:00:00:04")); // same IP twice
        a.options.push(crate::model::scope::OptionData {
            name: Some("no-such-option".into()),
            code: None,
            data: "x".into(),
            always_send: false,
        });
        // Inside a: overlapping, and its pool holds a reservation of a.
        let inner = scope(2, "10.0.0.0/25", Some(("10.0.0.20", "10.0.0.30")));
        let empty = scope(3, "10.9.0.0/24", None);
        let same = scope(4, "10.9.0.0/24", Some(("10.9.0.10", "10.9.0.20")));
        let mut st = HashMap::new();
        st.insert(
            4,
            ScopeStats {
                total: 11,
                assigned: 11,
                declined: 0,
            },
        );
        let f = review(&[a, inner, empty, same], &st, &Thresholds::default());
        let c = checks(&f);
        for want in [
            "overlap",
            "reservation-outside",
            "reservation-in-other-pool",
            "duplicate-address",
            "duplicate-identifier",
            "no-pool",
            "utilization",
            "unknown-option",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        // Errors lead, then warnings, then information.
        let sev: Vec<Severity> = f.iter().map(|x| x.severity).collect();
        let mut sorted = sev.clone();
        sorted.sort();
        assert_eq!(sev, sorted);
        assert_eq!(f[0].severity, Severity::Error);
        // The same subnet twice is an error, a subnet inside another a warning.
        let twice = f
            .iter()
            .find(|x| x.text.starts_with("the same subnet twice"))
            .unwrap();
        assert_eq!(twice.severity, Severity::Error);
        let inside = f
            .iter()
            .find(|x| x.text.starts_with("overlapping"))
            .unwrap();
        assert_eq!(inside.severity, Severity::Warning);
    }
}

mod redundant {
    use super::super::*;
    use crate::model::RangeSet;

    fn opt(name: Option<&str>, code: Option<u16>, data: &str) -> OptionData {
        OptionData {
            name: name.map(str::to_string),
            code,
            data: data.into(),
            always_send: false,
        }
    }

    #[test]
    fn options_that_repeat_what_the_scope_inherits_are_noted() {
        let mut a = ScopeDef::bare(1, "10.0.0.0/24".parse().unwrap(), RangeSet::new());
        a.options = vec![
            opt(Some("domain-name-servers"), None, "192.0.2.53,192.0.2.54"),
            opt(None, Some(3), "10.0.0.1"),
            opt(Some("ntp-servers"), None, "192.0.2.123"),
        ];
        let mut b = a.clone();
        b.id = 2;
        b.cidr = "10.0.1.0/24".parse().unwrap();
        b.shared_network = Some("floor".into());
        let inherited = Inherited {
            global: vec![
                opt(Some("domain-name-servers"), None, "192.0.2.53, 192.0.2.54"),
                opt(Some("routers"), None, "10.0.0.1"),
                opt(Some("ntp-servers"), None, "192.0.2.1"),
            ],
            shared: HashMap::from([(
                "floor".to_string(),
                vec![opt(Some("domain-name-servers"), None, "192.0.2.99")],
            )]),
            defined: Vec::new(),
        };
        let f = review_with(&[a, b], &HashMap::new(), &Thresholds::default(), &inherited);
        let texts: Vec<&str> = f
            .iter()
            .filter(|x| x.check == "redundant-option")
            .map(|x| x.text.as_str())
            .collect();
        // 10.0.0.0/24: DNS servers (same list, other spacing) and routers (by code) repeat
        // the server's; its NTP server differs. 10.0.1.0/24's DNS servers differ from its
        // shared network's (which overrides the server), so only routers repeats there.
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(texts[0].contains("scope 10.0.0.0/24 sets domain-name-servers"));
        assert!(texts[0].contains("as the server already does"));
        assert!(texts[1].contains("10.0.0.0/24 sets routers = 10.0.0.1"));
        assert!(texts[2].contains("10.0.1.0/24 sets routers"));
        assert!(f.iter().all(|x| !x.text.contains("ntp-servers")));
    }

    #[test]
    fn an_option_the_server_defines_is_known() {
        let mut a = ScopeDef::bare(1, "10.0.0.0/24".parse().unwrap(), RangeSet::new());
        a.options = vec![opt(Some("tftp-list"), None, "10.0.0.9")];
        let unknown = |defined: Vec<crate::model::option_defs::CustomOptionDef>| {
            let inherited = Inherited {
                defined,
                ..Inherited::default()
            };
            review_with(
                &[a.clone()],
                &HashMap::new(),
                &Thresholds::default(),
                &inherited,
            )
            .iter()
            .filter(|x| x.check == "unknown-option")
            .count()
        };
        assert_eq!(unknown(Vec::new()), 1);
        let defs = crate::model::option_defs::CustomOptionDef::list_from(&serde_json::json!({
            "option-def": [{"name": "tftp-list", "code": 224, "type": "ipv4-address"}]
        }));
        assert_eq!(unknown(defs), 0);
    }

    #[test]
    fn a_reservation_leased_by_another_client() {
        let mut s = ScopeDef::bare(1, "10.0.0.0/24".parse().unwrap(), RangeSet::new());
        let by_mac = Reservation {
            ip: "10.0.0.5".parse().unwrap(),
            hw: Some("AA-BB-CC-00-00-01".into()),
            ..Reservation::default()
        };
        let by_cid = Reservation {
            ip: "10.0.0.6".parse().unwrap(),
            client_id: Some("01:02:03".into()),
            ..Reservation::default()
        };
        let by_flex = Reservation {
            ip: "10.0.0.7".parse().unwrap(),
            ..Reservation::default()
        };
        s.reservations = vec![by_mac.clone(), by_cid.clone(), by_flex.clone()];
        let lease = |ip: &str, mac: &str, cid: Option<&[u8]>, valid: u32| Lease {
            ip: ip.parse().unwrap(),
            subnet_id: 1,
            hw: HwAddr::parse(mac).unwrap(),
            client_id: cid.map(|c| c.to_vec().into_boxed_slice()),
            hostname: None,
            cltt: 1_000,
            valid_lft: valid,
            state: crate::model::LeaseState::Default,
            mark: Default::default(),
            extra: None,
        };
        let now = 1_100;
        // Its own client (MAC spelled another way), another client, an expired lease.
        assert!(leased_by_another(
            &s,
            &by_mac,
            &lease("10.0.0.5", "aa:bb:cc:00:00:01", None, 3600),
            now
        )
        .is_none());
        let f = leased_by_another(
            &s,
            &by_mac,
            &lease("10.0.0.5", "11:22:33:44:55:66", None, 3600),
            now,
        )
        .expect("another client");
        assert_eq!(
            (f.severity, f.check),
            (Severity::Error, "reserved-leased-by-another")
        );
        assert!(
            f.text
                .contains("reserved for AA-BB-CC-00-00-01 but leased to 11:22:33:44:55:66"),
            "{}",
            f.text
        );
        assert!(leased_by_another(
            &s,
            &by_mac,
            &lease("10.0.0.5", "11:22:33:44:55:66", None, 10),
            now
        )
        .is_none());
        // By client id: the same id under another MAC is the same client.
        assert!(leased_by_another(
            &s,
            &by_cid,
            &lease("10.0.0.6", "11:22:33:44:55:66", Some(&[1, 2, 3]), 3600),
            now
        )
        .is_none());
        assert!(leased_by_another(
            &s,
            &by_cid,
            &lease("10.0.0.6", "11:22:33:44:55:66", Some(&[9]), 3600),
            now
        )
        .is_some());
        // A flex-id reservation names nothing a lease carries: not judged.
        assert!(leased_by_another(
            &s,
            &by_flex,
            &lease("10.0.0.7", "11:22:33:44:55:66", None, 3600),
            now
        )
        .is_none());
    }

    #[test]
    fn a_reservation_in_an_exclusion_amid_the_pools() {
        let pools = RangeSet::from_ranges([
            crate::model::Range::new([10, 0, 0, 10].into(), [10, 0, 0, 49].into()).unwrap(),
            crate::model::Range::new([10, 0, 0, 61].into(), [10, 0, 0, 99].into()).unwrap(),
        ]);
        let mut s = ScopeDef::bare(1, "10.0.0.0/24".parse().unwrap(), pools);
        let r = |ip: [u8; 4]| Reservation {
            ip: Ipv4Addr::from(ip),
            hw: Some("aa:bb:cc:00:00:01".into()),
            ..Reservation::default()
        };
        // In the hole between the pools, and beyond them (Kea's usual out-of-pool practice).
        s.reservations = vec![r([10, 0, 0, 55]), r([10, 0, 0, 200])];
        let excluded = |s: &ScopeDef| {
            review(
                std::slice::from_ref(s),
                &HashMap::new(),
                &Thresholds::default(),
            )
            .into_iter()
            .filter(|f| f.check == "reservation-excluded")
            .map(|f| f.ip.unwrap().to_string())
            .collect::<Vec<_>>()
        };
        // A derived range (no exclusion made in ddish): nothing to say.
        assert!(excluded(&s).is_empty());
        s.range_marked = true;
        assert_eq!(excluded(&s), ["10.0.0.55"]);
    }
}
