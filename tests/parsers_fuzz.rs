//! Property tests mirroring the fuzz targets in `fuzz/` (which run with cargo-fuzz on a
//! nightly toolchain, scripts/fuzz.sh): whatever a server, a file or a user hands ddish,
//! the parsers answer with a value or an error, never a panic; and what they build keeps
//! its invariants. Inputs are random bytes, random JSON in Kea's vocabulary, and real
//! replies with parts replaced.
use std::net::Ipv4Addr;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use ddish::kea;
use ddish::model::ScopeView;

/// Keys Kea's replies use, so random JSON reaches deep into the parsers.
const KEYS: &[&str] = &[
    "Dhcp4",
    "subnet4",
    "shared-networks",
    "id",
    "subnet",
    "pools",
    "pool",
    "reservations",
    "ip-address",
    "hw-address",
    "client-id",
    "hostname",
    "user-context",
    "ddish",
    "option-data",
    "name",
    "data",
    "code",
    "result",
    "text",
    "arguments",
    "leases",
    "valid-lft",
    "cltt",
    "state",
    "subnet-id",
    "result-set",
    "columns",
    "rows",
    "timestamp",
    "hash",
    "ha-servers",
    "high-availability",
    "client-class",
    "range",
    "start",
    "end",
    "held",
    "claimed",
    "title",
    "valid-lifetime",
    "hooks-libraries",
    "library",
    "parameters",
    "pid",
    "uptime",
    "reload",
    "fqdn-fwd",
    "fqdn-rev",
    "expire",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u64..70000).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("10.0.0.0/24"),
            Just("10.0.0.10 - 10.0.0.20"),
            Just("10.0.0.5"),
            Just("aa:bb:cc:dd:ee:ff"),
            Just("0.0.0.0/0"),
            Just("10.0.0.20-10.0.0.10"),
            Just("255.255.255.255/32"),
            Just("1.2.3.4/8"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn kea_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                let m: Map<String, Value> =
                    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                Value::Object(m)
            }),
        ]
    })
}

/// A real lab config-get reply (Kea 2.2's shape), to be mutated.
fn real_config() -> Value {
    json!({"Dhcp4": {
        "subnet4": [
            {"id": 1, "subnet": "10.10.0.0/24",
             "pools": [{"pool": "10.10.0.100-10.10.0.199", "client-class": "HA_kea-1"}],
             "option-data": [{"name": "routers", "data": "10.10.0.1", "code": 3}],
             "reservations": [{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10",
                               "hostname": "printer1"}],
             "user-context": {"ddish": {"title": "HQ", "range": {"start": "10.10.0.10",
                                                              "end": "10.10.0.199"}}}}],
        "shared-networks": [{"name": "floor", "subnet4": [
            {"id": 2, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.100 - 10.20.0.199"}]}]}],
        "reservations": [{"ip-address": "10.20.0.50", "hw-address": "02:00:00:00:00:01"}],
        "user-context": {"ddish": {"networks": [{"cidr": "10.0.0.0/8", "kind": "container"}]}},
        "valid-lifetime": 3600
    }, "hash": "ABCDEF"})
}

/// Replaces the value at a random path of `v` (chosen by `picks`) with `with`.
fn mutate(v: &mut Value, picks: &[usize], with: Value) {
    let Some((&p, rest)) = picks.split_first() else {
        *v = with;
        return;
    };
    let child = match v {
        Value::Object(m) if !m.is_empty() => {
            let k = m.keys().nth(p % m.len()).cloned().unwrap();
            m.get_mut(&k)
        }
        Value::Array(a) if !a.is_empty() => {
            let n = a.len();
            a.get_mut(p % n)
        }
        _ => None,
    };
    match child {
        Some(c) => mutate(c, rest, with),
        None => *v = with,
    }
}

fn lease_body(leases: &[(u8, u8, i64, i64)]) -> Vec<u8> {
    let list: Vec<Value> = leases
        .iter()
        .map(|(c, d, lft, state)| {
            json!({"ip-address": format!("10.9.{c}.{d}"), "hw-address": "aa:bb:cc:dd:ee:ff",
                   "subnet-id": 1, "valid-lft": lft, "cltt": 1_700_000_000i64, "state": state,
                   "hostname": "h"})
        })
        .collect();
    serde_json::to_vec(&json!([{"result": 0, "text": "ok", "arguments": {"leases": list}}]))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes as a Kea reply: an error or a value, never a panic.
    #[test]
    fn kea_reply_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = kea::parse_response(&body, "config-get");
        let _ = kea::parse_config_body(&body);
        let _ = kea::parse_leases(&body);
    }

    /// Random JSON in Kea's words, through every reply parser.
    #[test]
    fn kea_json_never_panics(v in kea_json()) {
        let body = serde_json::to_vec(&v).unwrap();
        let _ = kea::parse_response(&body, "status-get");
        let _ = kea::parse_config_body(&body);
        let _ = kea::parse_leases(&body);
        let wrapped = serde_json::to_vec(&json!([{"result": 0, "arguments": v}])).unwrap();
        let _ = kea::parse_leases(&wrapped);
        let _ = kea::parse_config(&v);
        let _ = kea::parse_stats(&v);
        let _ = kea::parse_status(&v);
    }

    /// A real config with one part replaced by anything: parsed or refused, never a panic;
    /// the byte and the value parsers agree on whether it is readable. Comparing it with
    /// itself finds no difference.
    #[test]
    fn mutated_configs(picks in prop::collection::vec(0usize..8, 0..6), with in kea_json()) {
        let mut c = real_config();
        mutate(&mut c, &picks, with);
        let body = serde_json::to_vec(&json!([{"result": 0, "arguments": c}])).unwrap();
        let by_bytes = kea::parse_config_body(&body);
        let by_value = kea::parse_config(&c);
        // The fast path reads whatever the careful one reads, and the same scopes. (It is
        // more lenient: serde takes a struct from an array, so `{"Dhcp4": []}` reads as
        // empty there and as an error on the careful path.)
        if let Ok(v) = &by_value {
            let b = by_bytes.as_ref().map_err(|e| e.to_string());
            prop_assert!(b.is_ok(), "{} {:?}", c, b.err());
            let b = b.unwrap();
            prop_assert_eq!(&b.scopes, &v.scopes);
            prop_assert_eq!(&b.networks, &v.networks);
        }
        prop_assert!(kea::same_meaning(&c, &c));
        let summary = kea::diff_summary(&c, &c);
        prop_assert!(kea::edit_is_live(&c, &c, &c).is_ok(), "{}", summary);
        let _ = kea::drift(&c, "a", &real_config(), "b");
    }

    /// Whatever text a config file holds: loaded or refused with a message, never a panic.
    #[test]
    fn config_text_never_panics(text in "[\\[\\]a-z_=\" 0-9.:/\n#-]{0,400}") {
        let dir = std::env::temp_dir();
        let _ = ddish::config::parse(&text, &dir.join("fuzz.toml"));
    }

    /// The example config with one line replaced by anything.
    #[test]
    fn mutated_example_config(line in 0usize..200, with in "[ -~]{0,60}") {
        let example = include_str!("../config.example.toml");
        let mut lines: Vec<&str> = example.lines().collect();
        let i = line % lines.len();
        lines[i] = &with;
        let text = lines.join("\n");
        let dir = std::env::temp_dir();
        if let Err(e) = ddish::config::parse(&text, &dir.join("fuzz.toml")) {
            // A refusal names where.
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// Any bytes as a journal: every readable line read, the rest counted, never a panic.
    #[test]
    fn journal_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, &body).unwrap();
        let j = ddish::audit::Journal::new(&path);
        let r = j.read().unwrap();
        let lines = body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
        prop_assert!(r.entries.len() + r.skipped <= lines);
        let _ = j.for_ip(Ipv4Addr::new(10, 0, 0, 1));
    }

    /// TSIG key files and identifiers typed by a user.
    #[test]
    fn secrets_and_identifiers_never_panic(text in "[ -~\n]{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        std::fs::write(&p, &text).unwrap();
        let _ = ddish::config::read_tsig_secret(&p);
        if let Ok(m) = ddish::ops::validate_mac(&text) {
            // What is accepted is canonical and accepted again as itself.
            prop_assert_eq!(ddish::ops::validate_mac(&m), Ok(m.clone()));
        }
        if let Ok(c) = ddish::ops::validate_client_id(&text) {
            prop_assert_eq!(ddish::ops::validate_client_id(&c), Ok(c.clone()));
        }
        let _ = ddish::ops::validate_hostname(&text);
    }

    /// A scope of any size from /16 to /32 with any range and leases: one state per
    /// address, and the counts add up to the addresses in the range.
    #[test]
    fn scope_views_keep_their_counts(
        prefix in 16u8..=32,
        start in any::<u16>(),
        len in 0u32..70000,
        leases in prop::collection::vec((any::<u8>(), any::<u8>(), -10i64..100_000, 0i64..4), 0..64),
    ) {
        let net = ipnet::Ipv4Net::new(Ipv4Addr::new(10, 9, 0, 0), prefix).unwrap().trunc();
        let first = u32::from(net.network()).saturating_add(u32::from(start) % net.hosts().count().max(1) as u32);
        let last = first.saturating_add(len).min(u32::from(net.broadcast()));
        let cfg = json!({"Dhcp4": {"subnet4": [{"id": 1, "subnet": net.to_string(),
            "pools": [{"pool": format!("{} - {}", Ipv4Addr::from(first), Ipv4Addr::from(last))}]}]}});
        let def = kea::parse_config(&cfg).unwrap().scopes.into_iter().next().unwrap();
        let leases = kea::parse_leases(&lease_body(&leases)).unwrap_or_default();
        let v = ScopeView::build(def, leases, 1_700_000_050);
        prop_assert_eq!(v.len() as u64, 1u64 << (32 - prefix));
        let c = &v.counts;
        prop_assert_eq!(
            c.available + c.assigned + c.claimed + c.held + c.reserved + c.excluded + c.declined + c.expired,
            c.total
        );
        prop_assert!(c.total <= v.len() as u64);
    }
}

/// The largest scope the grid is built for: a /8 (16M addresses) once.
#[test]
fn a_slash_8_scope_builds() {
    let cfg = json!({"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8",
        "pools": [{"pool": "10.0.0.10 - 10.255.255.200"}]}]}});
    let def = kea::parse_config(&cfg)
        .unwrap()
        .scopes
        .into_iter()
        .next()
        .unwrap();
    let v = ScopeView::build(def, Vec::new(), 0);
    assert_eq!(v.len(), 1 << 24);
    assert!(v.counts.total >= (1 << 24) - 256, "{:?}", v.counts);
}
