use super::*;

fn spec() -> FailoverSpec {
    let mut s = FailoverSpec::new("kea-1", PartnerRef::Configured("kea-2".into()));
    s.scopes = vec!["10.10.0.0/24".parse().unwrap()];
    s
}

#[test]
fn defaults_are_valid_and_named() {
    let s = spec();
    assert_eq!(s.name, "kea-1-kea-2");
    assert_eq!(s.validate(), Ok(()));
    assert!(!format!("{s:?}").contains("secret"));
}

#[test]
fn fields_say_what_is_wrong() {
    let e = validate_field(Field::HeartbeatDelay, "2s").unwrap_err();
    assert!(
        e.contains("not a whole number") && e.contains("1000"),
        "{e}"
    );
    let e = validate_field(Field::HeartbeatDelay, "10").unwrap_err();
    assert!(e.contains("out of range"), "{e}");
    assert!(validate_field(Field::MaxUnackedClients, "0").is_ok());
    assert!(validate_field(Field::Name, "a b").is_err());
    assert!(validate_field(Field::Partner, "http://127.0.0.1:18002/").is_ok());
    assert!(validate_field(Field::Partner, "http://:1/").is_err());
    assert!(validate_field(Field::Partner, "http://10.0.0.1:99999/").is_err());
    assert!(validate_field(Field::Partner, "http://kea-2.example:8000/")
        .unwrap_err()
        .contains("IP address"));
    assert!(validate_field(Field::Scopes, "10.10.0.1/24")
        .unwrap_err()
        .contains("10.10.0.0/24"));
    assert!(validate_field(Field::Scopes, "").is_err());
    assert!(validate_field(Field::Mode, "lb").is_ok());
    assert!(validate_field(Field::Mode, "active").is_err());
    assert!(validate_field(Field::PeerUser, "a:b").is_err());
    assert!(validate_field(Field::AutoFailover, "maybe").is_err());
    assert!(validate_field(Field::Primary, "partner").is_ok());
}

#[test]
fn cross_field_rules() {
    let mut s = spec();
    s.max_response_delay_ms = s.heartbeat_delay_ms;
    let errs = s.validate().unwrap_err();
    assert_eq!(errs[0].0, Field::MaxResponseDelay);
    let mut s = spec();
    s.peer_user = Some("ha".into());
    assert_eq!(s.validate().unwrap_err()[0].0, Field::PeerPassword);
    s.peer_password = Some("pw".into());
    assert_eq!(s.validate(), Ok(()));
    assert!(!format!("{s:?}").contains("pw\""));
    let mut s = spec();
    s.partner = PartnerRef::Configured("kea-1".into());
    assert_eq!(s.validate().unwrap_err()[0].0, Field::Partner);
}

#[test]
fn pools_split_by_address_count() {
    let r = |a: u32, b: u32| Range::from_u32(a, b).unwrap();
    assert_eq!(
        split_pools(&[r(100, 199)]),
        (vec![r(100, 149)], vec![r(150, 199)])
    );
    assert_eq!(
        split_pools(&[r(50, 59), r(10, 19)]),
        (vec![r(10, 19)], vec![r(50, 59)])
    );
    assert_eq!(
        split_pools(&[r(10, 12), r(20, 30)]),
        (vec![r(10, 12), r(20, 23)], vec![r(24, 30)])
    );
    assert_eq!(split_pools(&[r(5, 5)]), (vec![r(5, 5)], vec![]));
    assert_eq!(split_pools(&[]), (vec![], vec![]));
}

#[test]
fn names_are_sanitised() {
    assert_eq!(peer_name("kea 1/a"), "kea-1-a");
    assert_eq!(
        default_name("a", &PartnerRef::Url("http://127.0.0.1:8000/".into())),
        "a-127.0.0.1-8000"
    );
}
