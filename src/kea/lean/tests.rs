use super::*;
use serde_json::json;

fn config() -> Value {
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "subnet4": [
            {"id": 1, "subnet": "10.1.0.0/24", "pools": [{"pool": "10.1.0.10 - 10.1.0.20"}]},
            {"id": 2, "subnet": "10.2.0.0/24", "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "10.2.0.5"}]}
        ],
        "shared-networks": [{"name": "n", "subnet4": [{"id": 3, "subnet": "10.3.0.0/24", "user-context": {"x": 1}},
                                                    {"id": "four", "subnet": "10.4.0.0/24"}]}]
    }, "hash": "H"})
}

fn body(v: &Value) -> bytes::Bytes {
    serde_json::to_vec(&json!([{"result": 0, "arguments": v}]))
        .unwrap()
        .into()
}

fn sent(l: &LeanConfig) -> Value {
    serde_json::from_slice(&serde_json::to_vec(&l.wire()).unwrap()).unwrap()
}

#[test]
fn held_subnets_go_out_as_they_came() {
    let mut whole = config();
    whole.as_object_mut().unwrap().remove("hash");
    for reach in [
        Reach::Whole,
        Reach::Subnets(vec![2]),
        Reach::Subnets(vec![]),
    ] {
        let l = LeanConfig::from_body(&body(&config()), &reach, None).unwrap();
        assert_eq!(l.hash.as_deref(), Some("H"));
        assert_eq!(sent(&l), whole, "{reach:?}");
        assert_eq!(l.holds_any(), reach != Reach::Whole);
        let v = LeanConfig::from_value(config(), &reach);
        assert_eq!(sent(&v), whole, "{reach:?}");
        assert_eq!(v.into_whole().unwrap(), whole);
    }
    let b = body(&config());
    let l = LeanConfig::from_body(&b, &Reach::Subnets(vec![2]), None).unwrap();
    assert_eq!(l.open_ids(), BTreeSet::from([2]));
    // Held texts are slices of the reply, not copies.
    let range = b.as_ptr() as usize..b.as_ptr() as usize + b.len();
    assert!(l.holds_any());
    assert!(l
        .held
        .values()
        .all(|t| range.contains(&(t.as_ptr() as usize))));
    // A subnet with an odd id is kept whole, for the write's checks to name.
    let odd = &l.value["Dhcp4"]["shared-networks"][0]["subnet4"][1];
    assert_eq!(odd, &json!({"id": "four", "subnet": "10.4.0.0/24"}));
    // The stub keeps what an edit may read: id and prefix.
    assert_eq!(l.value["Dhcp4"]["subnet4"][0]["subnet"], "10.1.0.0/24");
    assert_eq!(
        l.value["Dhcp4"]["shared-networks"][0]["subnet4"][0]["id"],
        3
    );
    // One subnet found by its prefix comes whole; the outline has no marks left.
    let three = l.find_subnet(|s| s["subnet"] == "10.3.0.0/24").unwrap();
    assert_eq!(
        three,
        Some(config()["Dhcp4"]["shared-networks"][0]["subnet4"][0].clone())
    );
    assert_eq!(l.find_subnet(|s| s["id"] == 7).unwrap(), None);
    let outline = l.outline();
    assert_eq!(
        outline["Dhcp4"]["subnet4"][0],
        json!({"id": 1, "subnet": "10.1.0.0/24"})
    );
    assert_eq!(count_stubs(&outline), 0);
    assert_eq!(
        outline["Dhcp4"]["subnet4"][1],
        config()["Dhcp4"]["subnet4"][1]
    );
}

#[test]
fn an_edit_in_reach_is_sent_and_one_out_of_reach_refused() {
    let l = LeanConfig::from_body(&body(&config()), &Reach::Subnets(vec![2]), None).unwrap();
    let mut e = l.clone();
    e.value["Dhcp4"]["subnet4"][1]["reservations"] = json!([]);
    e.value["Dhcp4"]["valid-lifetime"] = json!(7200);
    assert_eq!(l.check_held(&e.value), Ok(()));
    let out = sent(&e);
    assert_eq!(out["Dhcp4"]["subnet4"][1]["reservations"], json!([]));
    assert_eq!(
        out["Dhcp4"]["subnet4"][0]["pools"][0]["pool"],
        "10.1.0.10 - 10.1.0.20"
    );
    // Dropping a held subnet is allowed; changing or copying one is not.
    let mut dropped = l.clone();
    dropped.value["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    assert_eq!(l.check_held(&dropped.value), Ok(()));
    let mut changed = l.clone();
    changed.value["Dhcp4"]["subnet4"][0]["valid-lifetime"] = json!(1);
    assert!(l
        .check_held(&changed.value)
        .unwrap_err()
        .contains("subnet 1"));
    let mut copied = l.clone();
    let s = copied.value["Dhcp4"]["subnet4"][0].clone();
    copied.value["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .push(s);
    assert!(l.check_held(&copied.value).is_err());
    let mut elsewhere = l.clone();
    elsewhere.value["Dhcp4"]["user-context"] = json!({"x": l.value["Dhcp4"]["subnet4"][0]});
    assert!(l.check_held(&elsewhere.value).is_err());
}

#[test]
fn align_opens_what_differs_and_nothing_else() {
    let reach = Reach::Subnets(vec![]);
    let mut a = LeanConfig::from_body(&body(&config()), &reach, None).unwrap();
    let mut other = config();
    other["Dhcp4"]["subnet4"][1]["valid-lifetime"] = json!(60);
    other["Dhcp4"]["subnet4"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 9, "subnet": "10.9.0.0/24"}));
    let mut b = LeanConfig::from_body(&body(&other), &Reach::Subnets(vec![1]), Some(&a)).unwrap();
    // The unchanged subnet 3 is the same text, shared.
    assert!(b
        .held
        .values()
        .any(|t| a.held.values().any(|u| t.as_ptr() == u.as_ptr())));
    let opened = align(&mut a, &mut b).unwrap();
    // 1: open on one side; 2: text differs; 9: only in b; 3: the same text, stays held.
    assert_eq!(opened, BTreeSet::from([1, 2, 9]));
    assert_eq!(a.open_ids(), BTreeSet::from([1, 2]));
    assert_eq!(b.open_ids(), BTreeSet::from([1, 2, 9]));
    let summary = super::super::semantic::diff_summary(&a.value, &b.value);
    assert_eq!(summary, json!({"subnets": {"added": [9], "changed": [2]}}));
}
