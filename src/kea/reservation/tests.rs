use super::*;

fn spec() -> ReservationSpec {
    ReservationSpec {
        ip: Ipv4Addr::new(10, 1, 0, 5),
        hw_address: Some("aa:bb:cc:00:00:05".into()),
        client_id: None,
        hostname: Some("pc5".into()),
        ddish: json!({"type": "DHCP"}),
    }
}

#[test]
fn config_edit_replaces_the_address_and_deletes() {
    let mut cfg = json!({"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.1.0.0/24",
        "reservations": [{"ip-address": "10.1.0.5", "hw-address": "11:11:11:11:11:11"},
                         {"ip-address": "10.1.0.6", "hw-address": "22:22:22:22:22:22"}]}]}});
    let put = ReservationChange::Put {
        subnet_id: 1,
        reservation: spec(),
    };
    put.edit_config(&mut cfg).unwrap();
    let list = cfg["Dhcp4"]["subnet4"][0]["reservations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["hw-address"], "aa:bb:cc:00:00:05");
    let del = ReservationChange::Delete {
        subnet_id: 1,
        ip: Ipv4Addr::new(10, 1, 0, 6),
    };
    del.edit_config(&mut cfg).unwrap();
    assert!(del
        .edit_config(&mut cfg)
        .unwrap_err()
        .0
        .contains("no reservation"));
    let missing = ReservationChange::Delete {
        subnet_id: 9,
        ip: Ipv4Addr::new(10, 1, 0, 6),
    };
    assert!(missing.edit_config(&mut cfg).is_err());
}

#[test]
fn the_path_follows_the_commands() {
    let cmds = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        reservation_path(&cmds(&["config-get", "lease4-add"])),
        WritePath::ConfigEdit
    );
    assert_eq!(
        reservation_path(&cmds(&[
            "reservation-add",
            "reservation-del",
            "reservation-get"
        ])),
        WritePath::Commands
    );
}

#[test]
fn essence_ignores_what_kea_adds() {
    let mut read = with_subnet(&spec(), 1);
    read["boot-file-name"] = json!("");
    read["option-data"] = json!([]);
    read["hw-address"] = json!("AA:BB:CC:00:00:05");
    assert_eq!(essence(&read), essence(&spec().to_json()));
}
