use super::*;
use serde_json::json;

fn sample() -> Value {
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "user-context": {"ddish": {"networks": [
            {"cidr": "10.0.0.0/8", "kind": "container", "title": "Corp"},
            {"cidr": "10.10.0.0/16", "kind": "network", "title": "HQ", "description": "head office",
             "scopes": ["10.10.0.0/24", "10.10.9.0/24", "junk"]},
            {"cidr": "bogus"},
            {"cidr": "10.30.0.0/16", "kind": "weird"},
            "not an object"
        ]}, "other-tool": 1},
        "subnet4": [
            {"id": 1, "subnet": "10.10.0.0/24",
             "pools": [{"pool": "10.10.0.100-10.10.0.149", "client-class": "HA_server1"},
                       {"pool": "10.10.0.150-10.10.0.199", "client-class": "HA_server2"},
                       {"pool": "nonsense"}],
             "option-data": [{"name": "domain-name-servers", "code": 6, "data": "10.10.0.53", "always-send": false},
                             {"name": "routers", "code": 3, "data": "10.10.0.1, 10.10.0.2", "always-send": true}],
             "valid-lifetime": 600,
             "user-context": {"scope": "lab-main", "ddish": {"title": "Main", "description": "the main scope"}},
             "reservations": [
                {"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10", "hostname": "printer1",
                 "client-classes": ["BOOTP"], "user-context": {"owner": "it", "comment": "hall printer"}},
                {"client-id": "01AABBCC003002", "ip-address": "10.10.0.11",
                 "user-context": {"comment": "c", "ddish": {"description": "desk 2"}}},
                {"hw-address": "aa:bb:cc:00:00:09", "hostname": "no-ip"}]},
            {"id": 2, "subnet": "10.20.0.5/24", "pools": [{"pool": "10.20.0.100 - 10.20.0.199"}],
             "client-class": "never",
             "user-context": {"ddish": {"range": {"start": "10.20.0.50", "end": "10.20.0.220"}}}},
            {"id": 4, "subnet": "10.40.0.0/24", "pools": [],
             "user-context": {"ddish": {"inactive": true, "range": "10.40.0.10 - 10.40.0.20"}}},
            {"id": 5, "subnet": "not-a-cidr"},
            {"subnet": "10.50.0.0/24"},
            {"id": 6, "subnet": "10.60.0.0/24", "user-context": {"ddish": {"range": "garbage"}},
             "pools": [{"pool": "10.60.0.128/25"}]}
        ],
        "shared-networks": [
            {"name": "floor3", "option-data": [{"name": "routers", "data": "10.70.0.1"}],
             "subnet4": [
                {"id": 7, "subnet": "10.70.0.0/24", "pools": [{"pool": "10.70.0.10-10.70.0.20"}]},
                {"id": 8, "subnet": "10.71.0.0/24", "option-data": [{"code": 3, "data": "10.71.0.254"}]}]},
            {"subnet4": [{"id": 9, "subnet": "10.90.0.0/24"}]}
        ]
    }})
}

#[test]
fn scopes() {
    let c = parse_config(&sample()).unwrap();
    let ids: Vec<u32> = c.scopes.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        vec![1, 2, 4, 6, 7, 8],
        "bad subnets and unnamed networks skipped"
    );

    let s = c.scope(1).unwrap();
    assert_eq!(s.cidr.to_string(), "10.10.0.0/24");
    assert_eq!(
        s.pools.to_string(),
        "10.10.0.100 - 10.10.0.199",
        "pools merged"
    );
    assert_eq!(
        s.range.to_string(),
        "10.10.0.10 - 10.10.0.199",
        "derived from pools + reservations"
    );
    assert!(!s.range_marked);
    assert_eq!(s.gateway, Some(Ipv4Addr::new(10, 10, 0, 1)));
    assert_eq!(s.valid_lifetime, Some(600));
    assert_eq!(s.title.as_deref(), Some("Main"));
    assert_eq!(s.description.as_deref(), Some("the main scope"));
    assert_eq!(s.status, ScopeStatus::Active);
    assert_eq!(s.shared_network, None);
    assert_eq!(s.options.len(), 2);
    assert_eq!(
        s.options[1],
        OptionData {
            name: Some("routers".into()),
            code: Some(3),
            data: "10.10.0.1, 10.10.0.2".into(),
            always_send: true
        }
    );
    assert_eq!(s.reservations.len(), 2, "reservation without ip skipped");
    // Kea 2.x spelling; the unreadable pool carries no class.
    assert_eq!(s.pool_classes.len(), 2);
    assert_eq!(
        s.serving_peer(Ipv4Addr::new(10, 10, 0, 149)),
        Some("server1")
    );
    assert_eq!(
        s.serving_peer(Ipv4Addr::new(10, 10, 0, 150)),
        Some("server2")
    );
    assert_eq!(
        s.serving_peer(Ipv4Addr::new(10, 10, 0, 10)),
        None,
        "outside pools"
    );
    let r = &s.reservations[0];
    assert_eq!(r.hw.as_deref(), Some("aa:bb:cc:00:00:01"));
    assert_eq!(r.hostname.as_deref(), Some("printer1"));
    assert_eq!(r.description.as_deref(), Some("hall printer"));
    assert_eq!(r.client_classes, vec!["BOOTP"]);
    let r = &s.reservations[1];
    assert_eq!(r.client_id.as_deref(), Some("01AABBCC003002"));
    assert_eq!(
        r.description.as_deref(),
        Some("desk 2"),
        "ddish description wins over comment"
    );

    let s = c.scope(2).unwrap();
    assert_eq!(s.cidr.to_string(), "10.20.0.0/24", "truncated");
    assert_eq!(s.status, ScopeStatus::Inactive);
    assert_eq!(s.client_class.as_deref(), Some("never"));
    assert!(s.range_marked);
    assert_eq!(s.range.to_string(), "10.20.0.50 - 10.20.0.220");
    assert_eq!(s.gateway, None);

    let s = c.scope(4).unwrap();
    assert_eq!(s.status, ScopeStatus::Inactive);
    assert_eq!(s.range.to_string(), "10.40.0.10 - 10.40.0.20");
    assert!(s.pools.is_empty());

    let s = c.scope(6).unwrap();
    assert!(
        !s.range_marked,
        "unreadable range mark falls back to derived"
    );
    assert_eq!(
        s.range.to_string(),
        "10.60.0.128 - 10.60.0.254",
        "clipped to hosts"
    );

    let s = c.scope(7).unwrap();
    assert_eq!(s.shared_network.as_deref(), Some("floor3"));
    assert_eq!(
        s.gateway,
        Some(Ipv4Addr::new(10, 70, 0, 1)),
        "inherited from the shared network"
    );
    let s = c.scope(8).unwrap();
    assert_eq!(
        s.gateway,
        Some(Ipv4Addr::new(10, 71, 0, 254)),
        "own routers by code"
    );
    assert_eq!(s.range.to_string(), "10.71.0.1 - 10.71.0.254");
}

#[test]
fn kea_3_class_lists() {
    // Kea 3.0 config-get: `client-classes` lists on subnets (and pools).
    let c = parse_config(&json!({"Dhcp4": {"subnet4": [
        {"id": 1, "subnet": "10.1.0.0/24", "client-classes": ["never"],
         "pools": [{"pool": "10.1.0.10-10.1.0.20", "client-classes": ["HA_a"]}]},
        {"id": 2, "subnet": "10.2.0.0/24", "client-classes": []},
        {"id": 3, "subnet": "10.3.0.0/24", "client-classes": ["voip", "lab"]}]}}))
    .unwrap();
    assert_eq!(c.scope(1).unwrap().status, ScopeStatus::Inactive);
    assert_eq!(c.scope(2).unwrap().status, ScopeStatus::Active);
    assert_eq!(c.scope(2).unwrap().client_class, None);
    assert_eq!(
        c.scope(3).unwrap().client_class.as_deref(),
        Some("voip, lab")
    );
    let one = c.scope(1).unwrap();
    assert_eq!(one.serving_peer(Ipv4Addr::new(10, 1, 0, 15)), Some("a"));
    assert_eq!(one.serving_peer(Ipv4Addr::new(10, 1, 0, 21)), None);
}

#[test]
fn networks() {
    let c = parse_config(&sample()).unwrap();
    assert_eq!(c.networks.len(), 2);
    assert_eq!(c.networks[0].kind, NetworkKind::Container);
    assert_eq!(c.networks[0].title.as_deref(), Some("Corp"));
    assert!(c.networks[0].scopes.is_empty());
    let n = &c.networks[1];
    assert_eq!(n.kind, NetworkKind::Network);
    assert_eq!(n.description.as_deref(), Some("head office"));
    let scopes: Vec<String> = n.scopes.iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, vec!["10.10.0.0/24", "10.10.9.0/24"]);
}

#[test]
fn arguments_come_back_whole() {
    assert_eq!(config_arguments(&body_of(&sample())).unwrap(), sample());
}

#[test]
fn global_reservations_are_read_on_both_passes() {
    let body = |extra: &str| {
        format!(
            r#"{{"result": 0, "arguments": {{"Dhcp4": {{
            "reservations": [{{"ip-address": "10.1.0.9", "hw-address": "aa:bb:cc:00:00:09"}},
                             {{"hw-address": "aa:bb:cc:00:00:10"}}],
            "subnet4": [{{"id": 1, "subnet": "10.1.0.0/24"}}{extra}]}}}}}}"#
        )
    };
    // A broken second subnet sends it to the lenient pass, which must agree.
    for b in [
        body(""),
        body(r#", {"id": 2, "subnet": "10.2.0.0/24", "pools": [{"pool": 7}]}"#),
    ] {
        let c = parse_config_body(b.as_bytes()).unwrap();
        let r = &c.scopes[0].reservations;
        assert_eq!(r.len(), 1, "{b}");
        assert!(r[0].global && r[0].ip == Ipv4Addr::new(10, 1, 0, 9));
    }
}

#[test]
fn kea_2_4_hash_is_read_and_never_sent_back() {
    // Kea >= 2.4: {"Dhcp4": ..., "hash": "<sha256>"}; config-set refuses the extra key.
    let mut with_hash = sample();
    with_hash["hash"] = json!("5C3C90EF7035249E2FF74D003C19F34EE0B83A3D329E741B52B2EF95A2C637CB");
    let args = config_arguments(&body_of(&with_hash)).unwrap();
    assert_eq!(args, sample());
    assert!(args.get("hash").is_none());
    let read = parse_config_body(&body_of(&with_hash)).unwrap();
    assert_eq!(read.scopes, parse_config(&sample()).unwrap().scopes);
    assert_eq!(
        read.hash.as_deref(),
        Some("5C3C90EF7035249E2FF74D003C19F34EE0B83A3D329E741B52B2EF95A2C637CB")
    );
}

fn body_of(args: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!([{"arguments": args, "result": 0}])).unwrap()
}

#[test]
fn body_path_matches_value_path() {
    let from_body = parse_config_body(&body_of(&sample())).unwrap();
    let from_value = parse_config(&sample()).unwrap();
    assert_eq!(
        (from_body.scopes, from_body.networks),
        (from_value.scopes, from_value.networks)
    );
    // Big enough for the two-thread path.
    let mut big = sample();
    let subnets: Vec<Value> = (0..6000u32)
        .map(|i| json!({"id": 100 + i, "subnet": format!("10.{}.{}.0/24", 100 + i / 256, i % 256),
            "pools": [{"pool": format!("10.{}.{}.10-10.{}.{}.20", 100 + i / 256, i % 256, 100 + i / 256, i % 256)}],
            "option-data": [{"name": "routers", "code": 3, "data": "10.0.0.1", "always-send": false, "csv-format": true, "space": "dhcp4"}],
            "user-context": {"ddish": {"title": format!("s{i}")}}, "relay": {"ip-addresses": []}}))
        .collect();
    big["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .extend(subnets);
    let body = body_of(&big);
    assert!(body.len() > 1 << 20);
    let from_body = parse_config_body(&body).unwrap();
    assert_eq!(from_body.scopes.len(), 6 + 6000);
    let from_value = parse_config(&big).unwrap();
    assert_eq!(
        (from_body.scopes, from_body.networks),
        (from_value.scopes, from_value.networks)
    );
}

#[test]
fn typed_pass_reads_real_kea_output() {
    // A config-get reply captured from Kea 2.2 (defaults expanded, shared formatting).
    let body = include_bytes!("../testdata/config-get-kea-2.2.json");
    let ((scopes, _, _, _), _) = typed_model(body).expect("typed pass");
    assert_eq!(scopes.len(), 4);
    assert_eq!(scopes[0].title.as_deref(), Some("scope 1"));
    assert_eq!(
        scopes[0].valid_lifetime,
        Some(7200),
        "Kea expands inherited values"
    );
    assert_eq!(scopes[0].reservations[0].hostname.as_deref(), Some("h1"));
    assert_eq!(scopes[3].pools.len(), 65536 - 10 - 5);
    let c = parse_config_body(body).unwrap();
    assert_eq!(c.scopes, scopes);
}

#[test]
fn body_path_falls_back_per_subnet() {
    // A wrongly typed field fails the typed pass; only that subnet is lost.
    let mut v = sample();
    v["Dhcp4"]["subnet4"][0]["valid-lifetime"] = json!("long");
    let c = parse_config_body(&body_of(&v)).unwrap();
    let ids: Vec<u32> = c.scopes.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![2, 4, 6, 7, 8]);
}

#[test]
fn a_bad_subnet_in_the_second_half_falls_back_too() {
    // Past SPLIT_SUBNETS the subnets are read on two threads; a bad one in the half the
    // other thread reads still sends the whole body to the lenient pass.
    let mut v = sample();
    let subnets: Vec<Value> = (0..3000u32)
        .map(|i| json!({"id": 100 + i, "subnet": format!("10.{}.{}.0/24", 100 + i / 256, i % 256)}))
        .collect();
    v["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .extend(subnets);
    // Index 2900 of subnet4: the sample's 6 top-level subnets come first.
    v["Dhcp4"]["subnet4"][2900]["valid-lifetime"] = json!("long");
    let c = parse_config_body(&body_of(&v)).unwrap();
    assert!(c.scopes.iter().all(|s| s.id != 2900 - 6 + 100));
    assert!(
        c.skipped.iter().any(|s| s.contains("10.111.78.0/24")),
        "{:?}",
        c.skipped
    );
    let ids: Vec<u32> = c
        .scopes
        .iter()
        .map(|s| s.id)
        .filter(|&i| i >= 100)
        .collect();
    assert_eq!(ids.len(), 2999);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order");
}

#[test]
fn body_path_errors() {
    assert!(matches!(
        parse_config_body(
            br#"[{"result":1,"text":"unable to forward command to the dhcp4 service: x"}]"#
        ),
        Err(KeaError::DaemonOffline { .. })
    ));
    assert!(matches!(
        parse_config_body(br#"[{"result":0,"arguments":{"Dhcp6":{}}}]"#),
        Err(KeaError::Malformed { .. })
    ));
    assert!(matches!(
        parse_config_body(b"[{"),
        Err(KeaError::Malformed { .. })
    ));
}

#[test]
fn odd_shapes_never_panic() {
    assert!(parse_config(&json!({})).is_err());
    assert!(parse_config(&json!({"Dhcp4": 5})).is_err());
    assert!(parse_config(&json!([1])).is_err());
    // A subnet4 or shared-networks that is not a list is no Kea config: an error
    // naming it, not an empty server.
    let e = parse_config(&json!({"Dhcp4": {"subnet4": {"x": 1}}})).unwrap_err();
    assert!(
        e.to_string().contains("subnet4 in Dhcp4 is an object"),
        "{e}"
    );
    let e = parse_config(&json!({"Dhcp4": {"shared-networks": 3}})).unwrap_err();
    assert!(
        e.to_string()
            .contains("shared-networks in Dhcp4 is a number"),
        "{e}"
    );
    let c = parse_config(&json!({"Dhcp4": {"subnet4": null,
        "user-context": {"ddish": {"networks": {"a": 1}}}}}))
    .unwrap();
    assert!(c.scopes.is_empty() && c.networks.is_empty() && c.skipped.is_empty());
    let c = parse_config(
        &json!({"Dhcp4": {"subnet4": [1, null, "x", {"id": -1, "subnet": "10.0.0.0/8"},
        {"id": 1, "subnet": "10.0.0.0/8", "pools": [3], "reservations": [{"ip-address": 7}],
         "option-data": [{"name": 1}]},
        {"id": 2, "subnet": "10.1.0.0/16", "pools": [{"pool": "x"}, {"pool": "10.1.0.5-10.1.0.1"}],
         "user-context": {"ddish": {"range": {"start": "10.1.0.9", "end": "10.1.0.1"}}}}]}}),
    )
    .unwrap();
    // Wrongly typed fields skip their subnet; unreadable values inside are dropped.
    let ids: Vec<u32> = c.scopes.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![2]);
    // ...and each is named, so the user learns what is not shown.
    assert_eq!(c.skipped.len(), 5, "{:?}", c.skipped);
    assert!(
        c.skipped.iter().any(|s| s.contains("id -1")),
        "{:?}",
        c.skipped
    );
    assert!(!c.scopes[0].range_marked);
}

#[test]
fn option_definitions_read_in_both_passes() {
    let cfg = json!({"Dhcp4": {
        "option-def": [{"name": "tftp-list", "code": 224, "type": "ipv4-address", "array": true},
                       {"name": "sub", "code": 1, "type": "uint8", "space": "vendor-x"}],
        "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}]}});
    let typed = parse_config_body(
        &serde_json::to_vec(&json!([{"result": 0, "arguments": cfg.clone()}])).unwrap(),
    )
    .unwrap();
    let lenient = parse_config(&cfg).unwrap();
    for c in [typed, lenient] {
        let names: Vec<(&str, &str)> = c
            .option_defs
            .iter()
            .map(|d| (d.name.as_str(), d.space.as_str()))
            .collect();
        assert_eq!(names, [("tftp-list", "dhcp4"), ("sub", "vendor-x")]);
        assert!(c.option_defs[0].array);
    }
}
