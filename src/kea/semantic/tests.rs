use super::*;

fn cfg(subnets: Value) -> Value {
    json!({"Dhcp4": {"valid-lifetime": 3600, "subnet4": subnets,
        "shared-networks": [{"name": "floor2", "subnet4": [{"id": 9, "subnet": "10.9.0.0/24"}]}]}})
}

#[test]
fn kea_rewritings_do_not_count() {
    let sent = cfg(json!([{"id": 1, "subnet": "10.10.0.0/24",
        "pools": [{"pool": "10.10.0.100 - 10.10.0.149"}, {"pool": "10.10.0.192/26"}],
        "reservations": [
            {"client-id": "01:aa:bb:cc:00:30:02", "ip-address": "10.10.0.11"},
            {"hw-address": "AA:BB:CC:00:00:01", "ip-address": "10.10.0.10"}]}]));
    let read = cfg(json!([{"subnet": "10.10.0.0/24", "id": 1,
        "pools": [{"pool": "10.10.0.192/26"}, {"pool": "10.10.0.100-10.10.0.149"}],
        "reservations": [
            {"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10"},
            {"client-id": "01AABBCC003002", "ip-address": "10.10.0.11"}]}]));
    assert!(same_meaning(&sent, &read));
    assert_eq!(diff_summary(&sent, &read), json!({}));
    // Kea spells a pool that is exactly a prefix as one: a single address as /32, two as
    // /31 (seen after excluding one address next to a pool's start).
    let one = cfg(json!([{"id": 1, "subnet": "10.10.0.0/24",
        "pools": [{"pool": "10.10.0.20 - 10.10.0.20"}, {"pool": "10.10.0.30 - 10.10.0.31"},
                  {"pool": "10.10.0.100 - 10.10.0.149"}, {"pool": "10.10.0.192/26"}],
        "reservations": []}]));
    let kea = cfg(json!([{"id": 1, "subnet": "10.10.0.0/24",
        "pools": [{"pool": "10.10.0.20/32"}, {"pool": "10.10.0.30/31"},
                  {"pool": "10.10.0.100-10.10.0.149"}, {"pool": "10.10.0.192-10.10.0.255"}],
        "reservations": []}]));
    assert!(same_meaning(&one, &kea));
    // A real change does count.
    let mut other = read.clone();
    other["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = json!("10.10.0.192/27");
    assert!(!same_meaning(&sent, &other));
}

/// The copy-free comparison says what comparing two normalised copies says.
#[test]
fn same_meaning_agrees_with_normalise() {
    let base = cfg(json!([
        {"id": 1, "subnet": "10.1.0.0/24", "pools": [{"pool": "10.1.0.10 - 10.1.0.20"}, {"pool": "10.1.0.30-10.1.0.40"}],
         "reservations": [{"hw-address": "AA:BB:CC:00:00:01", "ip-address": "10.1.0.5"}],
         "user-context": {"ddish": {"title": "a"}}},
        {"id": 2, "subnet": "10.2.0.0/24", "relay": {"ip-addresses": ["127.0.0.1", "127.0.0.2"]}}]));
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<Edit> = vec![
        Box::new(|_| {}),
        Box::new(|c| c["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = json!("10.1.0.10-10.1.0.20")),
        Box::new(|c| c["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = json!("10.1.0.10-10.1.0.21")),
        Box::new(|c| {
            let p = c["Dhcp4"]["subnet4"][0]["pools"].as_array_mut().unwrap();
            p.reverse();
        }),
        Box::new(|c| c["Dhcp4"]["subnet4"].as_array_mut().unwrap().reverse()),
        Box::new(|c| {
            c["Dhcp4"]["subnet4"][1]["relay"]["ip-addresses"]
                .as_array_mut()
                .unwrap()
                .reverse()
        }),
        Box::new(|c| {
            c["Dhcp4"]["subnet4"][0]["reservations"][0]["hw-address"] = json!("aa-bb-cc-00-00-01")
        }),
        Box::new(|c| c["Dhcp4"]["subnet4"][0]["user-context"]["ddish"]["title"] = json!("b")),
        Box::new(|c| c["Dhcp4"]["subnet4"][0]["valid-lifetime"] = json!(60)),
        Box::new(|c| {
            c["Dhcp4"].as_object_mut().unwrap().remove("valid-lifetime");
        }),
        Box::new(|c| {
            c["Dhcp4"]["subnet4"]
                .as_array_mut()
                .unwrap()
                .pop()
                .map(|_| ())
                .unwrap()
        }),
    ];
    for (i, e) in edits.iter().enumerate() {
        let mut other = base.clone();
        e(&mut other);
        assert_eq!(
            same_meaning(&base, &other),
            normalise(&base) == normalise(&other),
            "edit {i}"
        );
        assert_eq!(
            same_meaning(&other, &base),
            same_meaning(&base, &other),
            "edit {i}"
        );
    }
}

#[test]
fn user_context_is_compared_verbatim() {
    let a = cfg(json!([{"id": 1, "user-context": {"pool": "a - b"}}]));
    let b = cfg(json!([{"id": 1, "user-context": {"pool": "a-b"}}]));
    assert!(!same_meaning(&a, &b));
}

#[test]
fn summary_lists_subnets_networks_and_globals() {
    let before =
        cfg(json!([{"id": 1, "subnet": "10.1.0.0/24"}, {"id": 2, "subnet": "10.2.0.0/24"}]));
    let mut after = cfg(
        json!([{"id": 1, "subnet": "10.1.0.0/24", "valid-lifetime": 60},
                               {"id": 3, "subnet": "10.3.0.0/24"}]),
    );
    after["Dhcp4"]["valid-lifetime"] = json!(600);
    after["Dhcp4"]["shared-networks"][0]["interface"] = json!("lo");
    let s = diff_summary(&before, &after);
    assert_eq!(
        s,
        json!({"subnets": {"added": [3], "removed": [2], "changed": [1]},
               "shared-networks": {"changed": ["floor2"]},
               "globals": ["valid-lifetime"]})
    );
    assert_eq!(
        describe_summary(&s),
        "subnets added 3; subnets removed 2; subnets changed 1; shared networks changed floor2; settings changed: valid-lifetime"
    );
    let parts = changed_parts(&after, &s);
    assert_eq!(parts["subnets"].as_array().unwrap().len(), 2, "{parts}");
    assert_eq!(parts["globals"], json!({"valid-lifetime": 600}));
    assert_eq!(parts["shared-networks"][0]["name"], "floor2");
    assert!(parts["shared-networks"][0].get("subnet4").is_none());
}

#[test]
fn moving_a_subnet_into_a_network_is_a_change() {
    let before = cfg(json!([{"id": 1, "subnet": "10.1.0.0/24"}]));
    let mut after = cfg(json!([]));
    after["Dhcp4"]["shared-networks"][0]["subnet4"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 1, "subnet": "10.1.0.0/24"}));
    assert_eq!(
        diff_summary(&before, &after),
        json!({"subnets": {"changed": [1]}})
    );
    let parts = changed_parts(&after, &json!({"subnets": {"changed": [1]}}));
    assert_eq!(parts["subnets"][0]["(shared-network)"], "floor2");
}

#[test]
fn secrets_are_masked() {
    let v = mask_secrets(json!({"peers": [{"basic-auth-password": "p", "name": "a"}],
                                "lease-database": {"password": "x", "type": "mysql"}}));
    assert_eq!(v["peers"][0]["basic-auth-password"], "***");
    assert_eq!(v["lease-database"]["password"], "***");
    assert_eq!(v["peers"][0]["name"], "a");
}

#[test]
fn edit_is_live_allows_kea_defaults_but_not_missing_values() {
    let base = cfg(
        json!([{"id": 1, "subnet": "10.1.0.0/24", "client-class": "never",
                           "pools": [], "reservations": []}]),
    );
    let mut edited = base.clone();
    edited["Dhcp4"]["subnet4"][0]
        .as_object_mut()
        .unwrap()
        .remove("client-class");
    edited["Dhcp4"]["subnet4"][0]["reservations"] =
        json!([{"hw-address": "AA:BB:CC:00:00:01", "ip-address": "10.1.0.5"}]);
    edited["Dhcp4"]["subnet4"].as_array_mut().unwrap().push(
        json!({"id": 2, "subnet": "10.2.0.0/24", "pools": [{"pool": "10.2.0.10 - 10.2.0.20"}]}),
    );
    // As Kea would read it back: defaults added, forms rewritten.
    let read = cfg(json!([
        {"id": 2, "subnet": "10.2.0.0/24", "valid-lifetime": 3600,
         "pools": [{"pool": "10.2.0.10-10.2.0.20", "option-data": []}]},
        {"id": 1, "subnet": "10.1.0.0/24", "pools": [], "valid-lifetime": 3600,
         "reservations": [{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.1.0.5",
                           "hostname": "", "option-data": []}]}]));
    assert_eq!(edit_is_live(&base, &edited, &read), Ok(()));
    // The last class deleted: Kea leaves the emptied list out of its config-get.
    let mut with_class = base.clone();
    with_class["Dhcp4"]["client-classes"] = json!([{"name": "phones"}]);
    let mut no_class = with_class.clone();
    no_class["Dhcp4"]["client-classes"] = json!([]);
    assert_eq!(edit_is_live(&with_class, &no_class, &base), Ok(()));
    assert!(edit_is_live(&with_class, &no_class, &with_class).is_err());
    // A reservation replaced by one without Kea's defaults reads back with them.
    let mut one = base.clone();
    one["Dhcp4"]["subnet4"][0]["reservations"] = json!([{"hw-address": "aa:bb:cc:00:00:01",
        "ip-address": "10.1.0.5", "hostname": "a", "boot-file-name": "",
        "next-server": "0.0.0.0", "client-classes": []}]);
    let mut renamed = one.clone();
    renamed["Dhcp4"]["subnet4"][0]["reservations"] =
        json!([{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.1.0.5", "hostname": "b"}]);
    let mut back = one.clone();
    back["Dhcp4"]["subnet4"][0]["reservations"][0]["hostname"] = json!("b");
    assert_eq!(edit_is_live(&one, &renamed, &back), Ok(()));
    assert!(edit_is_live(&one, &renamed, &one).is_err());
    // Kea 3.0 spells a pool's class as a list.
    let mut pooled = base.clone();
    pooled["Dhcp4"]["subnet4"][0]["pools"] = json!([{"pool": "10.1.0.10-10.1.0.20"}]);
    let mut classed = pooled.clone();
    classed["Dhcp4"]["subnet4"][0]["pools"][0]["client-class"] = json!("HA_kea-1");
    let mut as_30 = pooled.clone();
    as_30["Dhcp4"]["subnet4"][0]["pools"][0]["client-classes"] = json!(["HA_kea-1"]);
    assert_eq!(edit_is_live(&pooled, &classed, &as_30), Ok(()));
    // The removal did not take: still inactive.
    let mut stale = read.clone();
    stale["Dhcp4"]["subnet4"][1]["client-class"] = json!("never");
    assert!(edit_is_live(&base, &edited, &stale).is_err());
    // The new subnet is missing.
    let mut missing = read.clone();
    missing["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    assert_eq!(
        edit_is_live(&base, &edited, &missing),
        Err("subnet 2 is missing".into())
    );
    // A different reservation IP.
    let mut wrong = read;
    wrong["Dhcp4"]["subnet4"][1]["reservations"][0]["ip-address"] = json!("10.1.0.6");
    assert!(edit_is_live(&base, &edited, &wrong).is_err());
}
