use super::*;

fn subnet(pools: Value) -> Value {
    json!({"id": 1, "subnet": "10.10.0.0/24", "pools": pools})
}

#[test]
fn ha_block_round_trips() {
    let p = HaParams {
        mode: "load-balancing".into(),
        this_server_name: "a".into(),
        peers: vec![
            HaPeerParams {
                name: "a".into(),
                url: "http://127.0.0.1:1/".into(),
                role: "primary".into(),
                auto_failover: true,
                basic_auth_user: Some("u".into()),
                basic_auth_password: Some("pw".into()),
            },
            HaPeerParams {
                name: "b".into(),
                url: "http://127.0.0.1:2/".into(),
                role: "secondary".into(),
                auto_failover: false,
                basic_auth_user: None,
                basic_auth_password: None,
            },
        ],
        heartbeat_delay: 2000,
        max_response_delay: 6000,
        max_ack_delay: 5000,
        max_unacked_clients: 0,
    };
    let mut cfg =
        json!({"Dhcp4": {"hooks-libraries": [{"library": "/k/hooks/libdhcp_stat_cmds.so"}]}});
    assert_eq!(missing_ha_hooks(&cfg), vec![LEASE_CMDS_LIB, HA_LIB]);
    let dir = hooks_dir_of(&cfg);
    set_ha(&mut cfg, &p, &dir).unwrap();
    assert_eq!(
        cfg["Dhcp4"]["hooks-libraries"][0]["library"],
        "/k/hooks/libdhcp_lease_cmds.so"
    );
    assert_eq!(
        cfg["Dhcp4"]["hooks-libraries"][2]["library"],
        "/k/hooks/libdhcp_ha.so"
    );
    assert!(missing_ha_hooks(&cfg).is_empty());
    assert_eq!(crate::kea::validate_ha(&cfg), Ok(()));
    let back = read_ha(&cfg).unwrap();
    assert_eq!(back, p);
    assert!(!format!("{back:?}").contains("pw"));
    assert_eq!(back.partner().unwrap().name, "b");
    assert_eq!(back.check_peer_urls(false), Ok(()));
    let mut named = back.clone();
    named.peers[1].url = "http://kea-b.example:8000/".into();
    assert!(named
        .check_peer_urls(false)
        .unwrap_err()
        .contains("IP address"));
    named.peers[1].url = "https://127.0.0.1:8000/".into();
    assert!(named.check_peer_urls(false).unwrap_err().contains("TLS"));
    assert_eq!(named.check_peer_urls(true), Ok(()));
    // An edit keeps what ddish does not manage, and drops a removed login.
    cfg["Dhcp4"]["hooks-libraries"][2]["parameters"]["high-availability"][0]["sync-timeout"] =
        json!(30000);
    cfg["Dhcp4"]["hooks-libraries"][2]["parameters"]["high-availability"][0]["peers"][1]
        ["cert-file"] = json!("/c.pem");
    let mut q = p.clone();
    q.peers[0].basic_auth_user = None;
    q.peers[0].basic_auth_password = None;
    q.heartbeat_delay = 3000;
    set_ha(&mut cfg, &q, &dir).unwrap();
    let rel = &cfg["Dhcp4"]["hooks-libraries"][2]["parameters"]["high-availability"][0];
    assert_eq!(rel["sync-timeout"], 30000);
    assert_eq!(rel["heartbeat-delay"], 3000);
    assert_eq!(rel["peers"][1]["cert-file"], "/c.pem");
    assert!(rel["peers"][0].get("basic-auth-password").is_none());
    assert_eq!(read_ha(&cfg).unwrap(), q);
    remove_ha(&mut cfg).unwrap();
    assert!(read_ha(&cfg).is_none());
    assert_eq!(hooks(&cfg).len(), 2);
}

#[test]
fn pools_split_share_and_halve() {
    let mut s = subnet(json!([{"pool": "10.10.0.100-10.10.0.199", "option-data": []}]));
    split_subnet_pools(&mut s, "a", "b").unwrap();
    assert_eq!(
        s["pools"],
        json!([{"pool": "10.10.0.100-10.10.0.149", "client-class": "HA_a", "option-data": []},
               {"pool": "10.10.0.150-10.10.0.199", "client-class": "HA_b", "option-data": []}])
    );
    // Already split between a and b: unchanged, even with the names swapped.
    let before = s.clone();
    split_subnet_pools(&mut s, "b", "a").unwrap();
    assert_eq!(s, before);
    share_subnet_pools(&mut s).unwrap();
    assert_eq!(
        s["pools"],
        json!([{"pool": "10.10.0.100-10.10.0.199", "option-data": []}])
    );
    half_subnet_pools(&mut s, false).unwrap();
    assert_eq!(
        s["pools"],
        json!([{"pool": "10.10.0.150-10.10.0.199", "option-data": []}])
    );
    let mut c = subnet(json!([{"pool": "10.10.0.1-10.10.0.9", "client-class": "voip"}]));
    assert!(split_subnet_pools(&mut c, "a", "b")
        .unwrap_err()
        .0
        .contains("voip"));
}

#[test]
fn subnets_move() {
    let mut cfg = json!({"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.1.0.0/24"}],
        "shared-networks": [{"name": "n", "subnet4": [{"id": 2, "subnet": "10.2.0.0/24"}]}]}});
    assert_eq!(subnets_mut(&mut cfg).len(), 2);
    put_subnet(
        &mut cfg,
        json!({"id": 2, "subnet": "10.2.0.0/24", "pools": []}),
    );
    assert_eq!(cfg["Dhcp4"]["subnet4"].as_array().unwrap().len(), 2);
    assert!(cfg["Dhcp4"]["shared-networks"][0]["subnet4"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(remove_subnet(&mut cfg, 1));
    assert!(!remove_subnet(&mut cfg, 1));
    set_failover_mark(&mut cfg, Some("x")).unwrap();
    assert_eq!(failover_mark(&cfg).as_deref(), Some("x"));
    set_failover_mark(&mut cfg, None).unwrap();
    assert_eq!(failover_mark(&cfg), None);
}
