use super::*;

fn cfg() -> Value {
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
        "client-classes": [
            {"name": "printers", "test": "substring(option[60].hex,0,4) == 'HPLJ'"},
            {"name": "voip", "test": "member('printers') and pkt4.mac == 0x01"},
            {"name": "lab"}
        ],
        "subnet4": [
            {"id": 1, "subnet": "10.10.0.0/24", "pools": [{"pool": "10.10.0.100 - 10.10.0.199"}],
             "option-data": [
                {"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.99"},
                {"name": "routers", "data": "10.10.0.1"}],
             "client-class": "lab"},
            {"id": 2, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.10-10.20.0.20", "client-class": "HA_server1"}],
             "option-data": [{"code": 6, "data": "192.0.2.153,192.0.2.53"}]}
        ],
        "shared-networks": [{"name": "floor", "subnet4": [
            {"id": 3, "subnet": "10.30.0.0/24", "option-data": [{"name": "domain-name-servers", "data": "192.0.2.99"}]}]}]
    }})
}

fn nets(v: &[&str]) -> Vec<Ipv4Net> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

fn replace() -> BulkOp {
    BulkOp::ReplaceOption {
        name: "domain-name-servers".into(),
        from: "192.0.2.53".into(),
        to: "192.0.2.54".into(),
    }
}

#[test]
fn replace_changes_only_matching_elements_in_marked_scopes() {
    let mut c = cfg();
    let n = nets(&["10.10.0.0/24", "10.20.0.0/24", "10.30.0.0/24"]);
    let lines = edit(&mut c, Some(&n), &replace()).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let d = &c["Dhcp4"];
    assert_eq!(
        d["subnet4"][0]["option-data"][0]["data"],
        "192.0.2.54, 192.0.2.99"
    );
    assert_eq!(d["subnet4"][0]["option-data"][1]["data"], "10.10.0.1");
    assert_eq!(
        d["subnet4"][1]["option-data"][0]["data"],
        "192.0.2.153, 192.0.2.54"
    );
    assert_eq!(
        d["shared-networks"][0]["subnet4"][0]["option-data"][0]["data"],
        "192.0.2.99"
    );
    // The server level was not marked.
    assert_eq!(d["option-data"][0]["data"], "192.0.2.53");
    assert!(lines[0].starts_with("10.10.0.0/24: domain-name-servers 192.0.2.53 -> 192.0.2.54"));
}

#[test]
fn server_level_and_unknown_scope() {
    let mut c = cfg();
    let lines = edit(&mut c, None, &replace()).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(c["Dhcp4"]["option-data"][0]["data"], "192.0.2.54");
    let e = edit(&mut cfg(), Some(&nets(&["10.99.0.0/24"])), &replace()).unwrap_err();
    assert!(e.0.contains("no scope 10.99.0.0/24"), "{e}");
}

#[test]
fn set_and_delete_options() {
    let mut c = cfg();
    let n = nets(&["10.10.0.0/24", "10.30.0.0/24"]);
    let set = BulkOp::SetOption {
        name: "ntp-servers".into(),
        data: "192.0.2.1".into(),
    };
    assert_eq!(edit(&mut c, Some(&n), &set).unwrap().len(), 2);
    // Twice: nothing more to change.
    assert!(edit(&mut c, Some(&n), &set).unwrap().is_empty());
    let del = BulkOp::DeleteOption {
        name: "routers".into(),
    };
    let lines = edit(&mut c, Some(&n), &del).unwrap();
    assert_eq!(lines, vec!["10.10.0.0/24: routers deleted (was 10.10.0.1)"]);
    // Set on an option given by code edits that entry.
    let set6 = BulkOp::SetOption {
        name: "domain-name-servers".into(),
        data: "192.0.2.7".into(),
    };
    edit(&mut c, Some(&nets(&["10.20.0.0/24"])), &set6).unwrap();
    assert_eq!(
        c["Dhcp4"]["subnet4"][1]["option-data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c["Dhcp4"]["subnet4"][1]["option-data"][0]["data"],
        "192.0.2.7"
    );
}

#[test]
fn lease_time_moves_pinned_bounds_and_widens_others() {
    let mut c = json!({"Dhcp4": {"subnet4": [
        {"subnet": "10.1.0.0/24", "valid-lifetime": 3600, "min-valid-lifetime": 3600, "max-valid-lifetime": 3600},
        {"subnet": "10.2.0.0/24", "valid-lifetime": 3600, "min-valid-lifetime": 600, "max-valid-lifetime": 5000}]}});
    edit(
        &mut c,
        Some(&nets(&["10.1.0.0/24", "10.2.0.0/24"])),
        &BulkOp::LeaseTime(7200),
    )
    .unwrap();
    let s = &c["Dhcp4"]["subnet4"];
    assert_eq!(
        (
            s[0]["min-valid-lifetime"].as_u64(),
            s[0]["max-valid-lifetime"].as_u64()
        ),
        (Some(7200), Some(7200))
    );
    assert_eq!(
        (
            s[1]["min-valid-lifetime"].as_u64(),
            s[1]["max-valid-lifetime"].as_u64()
        ),
        (Some(600), Some(7200))
    );
}

#[test]
fn lease_time_and_ddns() {
    let mut c = cfg();
    let n = nets(&["10.10.0.0/24"]);
    let lines = edit(&mut c, Some(&n), &BulkOp::LeaseTime(7200)).unwrap();
    assert_eq!(
        lines,
        vec!["10.10.0.0/24: valid-lifetime (inherited) -> 7200"]
    );
    let op = BulkOp::Ddns(vec![
        ("ddns-send-updates".into(), json!(true)),
        ("ddns-qualifying-suffix".into(), json!("example.org.")),
    ]);
    assert_eq!(edit(&mut c, None, &op).unwrap().len(), 2);
    assert_eq!(c["Dhcp4"]["ddns-send-updates"], true);
}

#[test]
fn exclusions_rewrite_pools_and_respect_reservations() {
    let mut c = cfg();
    c["Dhcp4"]["subnet4"][0]["reservations"] =
        json!([{"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "10.10.0.150"}]);
    let n = nets(&["10.10.0.0/24"]);
    let op = BulkOp::Exclude(
        "10.10.0.100".parse().unwrap(),
        "10.10.0.109".parse().unwrap(),
    );
    let lines = edit(&mut c, Some(&n), &op).unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        c["Dhcp4"]["subnet4"][0]["pools"][0]["pool"],
        "10.10.0.110-10.10.0.199"
    );
    let op = BulkOp::Exclude(
        "10.10.0.140".parse().unwrap(),
        "10.10.0.160".parse().unwrap(),
    );
    let e = edit(&mut c, Some(&n), &op).unwrap_err();
    assert!(e.0.contains("reservation of 10.10.0.150"), "{e}");
    let op = BulkOp::Exclude("10.10.0.20".parse().unwrap(), "10.10.0.10".parse().unwrap());
    assert!(edit(&mut c, Some(&n), &op)
        .unwrap_err()
        .0
        .contains("before the start"));
}

#[test]
fn classes_create_edit_delete() {
    let mut c = cfg();
    let spec = ClassSpec {
        name: "phones".into(),
        test: Some("option[60].text == 'phone'".into()),
        options: vec![("tftp-server-name".into(), "tftp.example".into())],
    };
    let lines = edit(&mut c, None, &BulkOp::PutClass(spec.clone(), true)).unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(edit(&mut c, None, &BulkOp::PutClass(spec.clone(), true))
        .unwrap_err()
        .0
        .contains("already exists"));
    let edit_spec = ClassSpec {
        name: "phones".into(),
        test: Some("option[60].text == 'ip-phone'".into()),
        options: vec![],
    };
    assert_eq!(
        edit(&mut c, None, &BulkOp::PutClass(edit_spec, false))
            .unwrap()
            .len(),
        1
    );
    let missing = ClassSpec {
        name: "nope".into(),
        test: None,
        options: vec![],
    };
    assert!(edit(&mut c, None, &BulkOp::PutClass(missing, false))
        .unwrap_err()
        .0
        .contains("no client class"));
    assert_eq!(
        edit(&mut c, None, &BulkOp::DeleteClass("phones".into())).unwrap(),
        vec!["class phones deleted"]
    );
    // In use: refused, with the users.
    let e = edit(&mut c, None, &BulkOp::DeleteClass("lab".into())).unwrap_err();
    assert!(e.0.contains("scope 10.10.0.0/24"), "{e}");
    let e = edit(&mut c, None, &BulkOp::DeleteClass("printers".into())).unwrap_err();
    assert!(e.0.contains("class voip"), "{e}");
    assert_eq!(
        class_users(&c["Dhcp4"], "HA_server1"),
        vec!["pool 10.20.0.10-10.20.0.20 in 10.20.0.0/24"]
    );
}

#[test]
fn server_parameters_keep_the_lease_bounds_and_refuse_what_breaks_a_rule() {
    let mut c = json!({"Dhcp4": {"valid-lifetime": 3600, "min-valid-lifetime": 3600,
        "max-valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
        "expired-leases-processing": {"hold-reclaimed-time": 3600}}});
    let op = BulkOp::Params(vec![
        ("authoritative".into(), json!(true)),
        ("valid-lifetime".into(), json!(7200)),
        (
            "expired-leases-processing.hold-reclaimed-time".into(),
            json!(600),
        ),
    ]);
    let lines = edit(&mut c, None, &op).unwrap();
    assert_eq!(
        lines,
        [
            "server: valid-lifetime 3600 -> 7200",
            "server: min-valid-lifetime 3600 -> 7200",
            "server: max-valid-lifetime 3600 -> 7200",
            "server: authoritative (not set) -> true",
            "server: expired-leases-processing.hold-reclaimed-time 3600 -> 600",
        ]
    );
    assert_eq!(
        c["Dhcp4"]["expired-leases-processing"]["hold-reclaimed-time"],
        600
    );
    // The same again: nothing to change.
    assert!(edit(&mut c, None, &op).unwrap().is_empty());
    // A rebind timer past the lease: refused, saying which and why.
    let e = edit(
        &mut c,
        None,
        &BulkOp::Params(vec![("rebind-timer".into(), json!(9000))]),
    )
    .unwrap_err();
    assert!(
        e.0.contains("rebind-timer (9000) must be below valid-lifetime (7200)"),
        "{e}"
    );
    // Changed together, the timers pass.
    let ok = BulkOp::Params(vec![
        ("rebind-timer".into(), json!(6000)),
        ("renew-timer".into(), json!(3000)),
    ]);
    assert_eq!(edit(&mut c, None, &ok).unwrap().len(), 2);
    // A server already off a rule (Kea accepted it) may change something else.
    let mut odd = json!({"Dhcp4": {"valid-lifetime": 600, "rebind-timer": 900}});
    let other = BulkOp::Params(vec![("authoritative".into(), json!(false))]);
    assert_eq!(edit(&mut odd, None, &other).unwrap().len(), 1);
}
