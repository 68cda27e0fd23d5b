//! `find` / `F` partial search (issue 13 item 6) on a real Kea with 2,500 leases and a real
//! BIND: hostname substrings, MAC prefixes, CIDRs and ranges found by walking the leases
//! 1,000 per page (a range walks only its own addresses), reservations, holds and DNS names
//! found alongside; "not found" exits 1; a server that stops answering mid-walk is named
//! with where its walk stopped.
mod common;

use std::net::Ipv4Addr;

use ddish::lab::{leases_csv, minimal_dhcp4, DnsInstance, KeaInstance, LabApi, SeedLease};
use ddish::ops::search::{self, SearchResult, Term};
use ddish::ops::Session;
use serde_json::{json, Value};

const LEASES: u32 = 2_500;
const FIRST: Ipv4Addr = Ipv4Addr::new(10, 30, 0, 10);

/// Lease i: FIRST + i, MAC aa:bb:cc:00:HH:LL (i's two bytes), hostname host-i.
fn seed(i: u32) -> (Ipv4Addr, String, String) {
    (
        Ipv4Addr::from(u32::from(FIRST) + i),
        format!("aa:bb:cc:00:{:02x}:{:02x}", i >> 8, i & 0xff),
        format!("host-{i}"),
    )
}

fn leases() -> String {
    let now = ddish::ops::now();
    let l: Vec<SeedLease> = (0..LEASES)
        .map(|i| {
            let (ip, mac, host) = seed(i);
            SeedLease::new(ip, 1, &mac, &host, 3600, 60, now)
        })
        .collect();
    leases_csv(&l)
}

/// Seeded leases for which `keep` holds, as sorted addresses.
fn expected(keep: impl Fn(Ipv4Addr, &str, &str) -> bool) -> Vec<Ipv4Addr> {
    (0..LEASES)
        .map(seed)
        .filter(|(ip, mac, host)| keep(*ip, mac, host))
        .map(|(ip, _, _)| ip)
        .collect()
}

/// The lease hits' addresses, sorted.
fn lease_ips(r: &SearchResult, matched: &str) -> Vec<Ipv4Addr> {
    let mut v: Vec<Ipv4Addr> = r
        .hits
        .iter()
        .filter(|h| h.matched == matched)
        .filter_map(|h| match h.ip {
            Some(std::net::IpAddr::V4(a)) => Some(a),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn has(r: &SearchResult, matched: &str, ip: &str) -> bool {
    r.hits
        .iter()
        .any(|h| h.matched == matched && h.ip.map(|i| i.to_string()).as_deref() == Some(ip))
}

fn zone(origin: &str, body: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n$TTL 300\n@ IN SOA ns1.search.test. hostmaster.search.test. \
         ( 1 3600 600 86400 300 )\n  IN NS ns1.search.test.\n{body}"
    )
}

#[test]
fn partial_terms_walk_the_leases_and_find_names_macs_and_ranges() {
    let dir = common::shared_dir("ddish-search-");
    let d = dir.path();
    let port = common::ports(3);
    let subnets = json!([
        {"id": 1, "subnet": "10.30.0.0/20", "pools": [{"pool": "10.30.0.10 - 10.30.15.250"}],
         "reservations": [{"hw-address": "de:ad:be:ef:00:01", "ip-address": "10.30.15.251",
                           "hostname": "printer-lobby"}]},
        {"id": 2, "subnet": "10.31.0.0/24", "pools": [{"pool": "10.31.0.10 - 10.31.0.99"}],
         "reservations": [{"hw-address": "de:ad:be:ef:00:02", "ip-address": "10.31.0.5",
                           "hostname": "printer-hq"}]}
    ]);
    let kea = KeaInstance::start(
        &d.join("kea"),
        "kea-s",
        port,
        port + 1,
        minimal_dhcp4(subnets),
        None,
        Some(&leases()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let fwd = zone(
        "search.test",
        "ns1 IN A 127.0.0.1\nprinter-lobby IN A 10.30.15.251\ncam-7 IN A 10.30.4.7\n",
    );
    let rev = zone("30.10.in-addr.arpa", "7.4 IN PTR cam-7.search.test.\n");
    let dns = DnsInstance::start(
        &d.join("ns1"),
        port + 2,
        &[("search.test", &fwd), ("30.10.in-addr.arpa", &rev)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let secret = d.join("key.secret");
    std::fs::write(&secret, format!("{}\n", dns.secret_b64)).unwrap();
    let api = kea.dist.api.as_str();
    let dns_zone = |z: &str| {
        format!(
            "\n[[dns.zone]]\nname = \"{z}\"\nprimary = \"{}\"\nkey_name = \"{}\"\n\
             algorithm = \"hmac-sha256\"\nsecret_file = \"{}\"\n",
            dns.addr,
            dns.key_name,
            secret.display()
        )
    };
    let cfg_path = d.join("ddish.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "[settings]\nrequest_timeout = 3\njournal = \"journal.jsonl\"\n\
             [[server]]\nname = \"kea-s\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\n\
             \n[[dns.server]]\nname = \"ns1\"\naddr = \"{}\"\n{}{}",
            kea.ca_url,
            dns.addr,
            dns_zone("search.test"),
            dns_zone("30.10.in-addr.arpa")
        ),
    )
    .unwrap();
    let cfg = ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    let session = Session::new(cfg);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let find = |t: &str| {
        rt.block_on(search::search_all(
            &session,
            &Term::parse(t).unwrap(),
            4,
            true,
        ))
    };

    // Part of a hostname: every lease whose name contains it, over three pages.
    let r = find("host-12");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let want = expected(|_, _, h| h.contains("host-12"));
    assert_eq!(want.len(), 111, "host-12, host-120..129, host-1200..1299");
    assert_eq!(lease_ips(&r, "lease hostname"), want);
    assert!(r
        .hits
        .iter()
        .all(|h| h.state == "assigned" && h.scope == Some("10.30.0.0/20".parse().unwrap())));

    // Reservations and DNS names by part of their name.
    let r = find("printer");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(has(&r, "reservation hostname", "10.30.15.251"), "{r:#?}");
    assert!(has(&r, "reservation hostname", "10.31.0.5"), "{r:#?}");
    assert!(has(&r, "DNS A", "10.30.15.251"), "{r:#?}");
    assert!(lease_ips(&r, "lease hostname").is_empty());

    // The start of a MAC, in either spelling.
    let want = expected(|_, m, _| m.starts_with("aa:bb:cc:00:09"));
    assert_eq!(want.len(), 196);
    assert_eq!(lease_ips(&find("aa:bb:cc:00:09"), "lease mac"), want);
    assert_eq!(lease_ips(&find("AA-BB-CC-00-09"), "lease mac"), want);
    assert_eq!(lease_ips(&find("aa:bb:cc:00:09:c"), "lease mac").len(), 4);

    // A CIDR: its leases and DNS records, and the walk reads only that range.
    let r = find("10.30.4.0/24");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let want = expected(|ip, _, _| {
        "10.30.4.0/24"
            .parse::<ipnet::Ipv4Net>()
            .unwrap()
            .contains(&ip)
    });
    assert_eq!(want.len(), 256);
    assert_eq!(lease_ips(&r, "lease ip"), want);
    assert!(has(&r, "DNS A", "10.30.4.7"), "{r:#?}");
    assert!(
        r.hits.iter().any(|h| h.matched == "DNS PTR"
            && h.detail == "7.4.30.10.in-addr.arpa PTR cam-7.search.test"),
        "{r:#?}"
    );
    let servers = ["kea-s".to_string()];
    let term = Term::parse("10.30.4.0/24").unwrap();
    let mut walk = rt
        .block_on(search::search_servers(&session, &servers, &term, 1))
        .walks
        .pop()
        .expect("a range needs a walk");
    assert_eq!(walk.after, Some("10.30.3.255".parse().unwrap()));
    while !walk.done {
        walk = rt
            .block_on(search::walk_step(&session, walk, 1))
            .unwrap_or_else(|e| panic!("{e}"))
            .1;
    }
    assert_eq!(walk.read, 256, "only the range's own leases are read");

    // A whole-server walk goes page by page and ends after the last lease.
    let term = Term::parse("nothing-by-this-name").unwrap();
    let mut walk = rt
        .block_on(search::search_servers(&session, &servers, &term, 1))
        .walks
        .pop()
        .expect("a name needs a walk");
    let (hits, w) = rt.block_on(search::walk_step(&session, walk, 1)).unwrap();
    assert!(hits.is_empty());
    assert_eq!((w.read, w.done), (1000, false));
    assert_eq!(w.after, Some(seed(999).0));
    walk = w;
    let (_, w) = rt.block_on(search::walk_step(&session, walk, 5)).unwrap();
    assert_eq!((w.read, w.done), (u64::from(LEASES), true));

    // A hold is found by its range, in its own state, beside a reservation.
    let o = common::ddish(
        &cfg_path,
        &["ip", "hold", "10.30.15.240", "--server", "kea-s"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
    let r = find("10.30.15.200-10.30.15.255");
    assert!(
        r.hits.iter().any(
            |h| h.ip.map(|i| i.to_string()).as_deref() == Some("10.30.15.240") && h.state == "held"
        ),
        "{r:#?}"
    );
    assert!(has(&r, "reservation ip", "10.30.15.251"), "{r:#?}");

    // The CLI: JSON, --exact, progress on stderr, exit 1 with "not found".
    let o = common::ddish(&cfg_path, &["find", "host-12", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let n = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["matched"] == "lease hostname")
        .count();
    assert_eq!(n, 111);
    assert!(
        // The seeded leases and the hold.
        String::from_utf8_lossy(&o.stderr).contains("kea-s: 2,501 leases read"),
        "{}",
        common::text(&o)
    );
    let o = common::ddish(&cfg_path, &["find", "host-12", "--exact"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("10.30.0.22"), "host-12 itself: {out}");
    assert!(!out.contains("host-120"), "no walk with --exact: {out}");
    assert!(!String::from_utf8_lossy(&o.stderr).contains("leases read"));
    let o = common::ddish(&cfg_path, &["find", "10.64.0.1"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "not found");
    let o = common::ddish(&cfg_path, &["find", "10.30.0.9-10.30.0.1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::text(&o).contains("lower address first"));

    // A server that stops answering mid-walk: named, with where its walk stopped; the
    // hits before are kept.
    let term = Term::parse("host-2").unwrap();
    let walks = rt
        .block_on(search::search_servers(&session, &servers, &term, 1))
        .walks;
    let (first, w) = rt
        .block_on(search::walk_step(&session, walks[0].clone(), 1))
        .unwrap();
    assert!(!first.is_empty() && !w.done);
    if kea.dist.api == LabApi::Direct {
        kea.pause_dhcp();
    } else {
        kea.pause_ca();
    }
    let started = std::time::Instant::now();
    let r = rt.block_on(search::walk_all(&session, vec![w], 4));
    if kea.dist.api == LabApi::Direct {
        kea.resume_dhcp();
    } else {
        kea.resume_ca();
    }
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(r.errors.len(), 1, "{r:#?}");
    let (server, msg) = &r.errors[0];
    assert_eq!(server, "kea-s");
    assert!(
        msg.starts_with(&format!("lease walk stopped after {}", seed(999).0)),
        "{msg}"
    );
}
