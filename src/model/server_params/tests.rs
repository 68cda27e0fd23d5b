use super::*;

#[test]
fn every_parameter_has_a_unique_name_and_a_group() {
    for (i, p) in PARAMS.iter().enumerate() {
        assert!(!p.group.is_empty() && !p.help.is_empty(), "{p:?}");
        assert!(
            PARAMS[i + 1..].iter().all(|q| q.name != p.name),
            "{} twice",
            p.name
        );
    }
}

#[test]
fn values_are_typed_by_the_parameter() {
    assert_eq!(parse("valid-lifetime", " 7200 "), Ok(json!(7200)));
    assert_eq!(parse("authoritative", "Yes"), Ok(json!(true)));
    assert_eq!(parse("match-client-id", "off"), Ok(json!(false)));
    assert_eq!(parse("t1-percent", "0.5"), Ok(json!(0.5)));
    assert_eq!(
        parse("ddns-replace-client-name", "always"),
        Ok(json!("always"))
    );
    assert_eq!(parse("next-server", "192.0.2.9"), Ok(json!("192.0.2.9")));
    assert_eq!(
        parse("boot-file-name", "pxelinux.0"),
        Ok(json!("pxelinux.0"))
    );
    assert_eq!(
        parse("ddns-qualifying-suffix", "example.test."),
        Ok(json!("example.test."))
    );
    assert_eq!(parse("ddns-qualifying-suffix", ""), Ok(json!("")));
    assert_eq!(
        parse("expired-leases-processing.hold-reclaimed-time", "3600"),
        Ok(json!(3600))
    );
}

#[test]
fn bad_values_say_what_is_expected() {
    let e = |n: &str, v: &str| parse(n, v).unwrap_err();
    assert!(e("valid-lifetime", "2h").contains("whole number"));
    assert!(e("valid-lifetime", "-1").contains("whole number"));
    assert!(e("authoritative", "maybe").contains("true or false"));
    assert!(e("t2-percent", "1.5").contains("fraction between 0 and 1"));
    assert!(e("t1-percent", "0").contains("fraction between 0 and 1"));
    assert!(e("t2-percent", "1").contains("fraction between 0 and 1"));
    assert!(e("ddns-replace-client-name", "sometimes").contains("never, always"));
    assert!(e("next-server", "10.0.0").contains("IPv4 address"));
    assert!(e("boot-file-name", "a\"b").contains("quotes"));
    assert!(e("server-hostname", &"x".repeat(64)).contains("at most 63 bytes"));
    assert!(parse("server-hostname", &"x".repeat(63)).is_ok());
    assert!(e("ddns-generated-prefix", "-bad").contains("DNS name"));
    assert!(e("ddns-generated-prefix", "").contains("DNS name"));
    let unknown = e("valid-lifetimes", "1");
    assert!(unknown.contains("not a server parameter"), "{unknown}");
    assert!(unknown.contains("did you mean valid-lifetime"), "{unknown}");
    assert!(e("frobnicate", "1").contains("`ddish server show` lists them"));
}

#[test]
fn dotted_names_live_in_their_map() {
    let mut d = json!({"valid-lifetime": 3600});
    assert_eq!(get(&d, "valid-lifetime"), Some(&json!(3600)));
    assert_eq!(get(&d, "expired-leases-processing.max-reclaim-time"), None);
    set(
        &mut d,
        "expired-leases-processing.max-reclaim-time",
        json!(250),
    );
    set(
        &mut d,
        "expired-leases-processing.hold-reclaimed-time",
        json!(10),
    );
    assert_eq!(
        d["expired-leases-processing"],
        json!({"max-reclaim-time": 250, "hold-reclaimed-time": 10})
    );
    assert_eq!(shown(get(&d, "valid-lifetime")), "3600");
    assert_eq!(shown(None), "(not set)");
    assert_eq!(shown(Some(&json!("x"))), "\"x\"");
}

#[test]
fn parameters_that_depend_on_each_other_are_checked_together() {
    let ok = json!({"valid-lifetime": 3600, "min-valid-lifetime": 600, "max-valid-lifetime": 7200,
                    "renew-timer": 900, "rebind-timer": 1800});
    assert!(check_together(&ok).is_empty());
    let bad = json!({"valid-lifetime": 3600, "min-valid-lifetime": 4000, "max-valid-lifetime": 3000,
                     "renew-timer": 1800, "rebind-timer": 900, "t1-percent": 0.9, "t2-percent": 0.5});
    let e = check_together(&bad);
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(e[0].contains("min-valid-lifetime (4000) is above"));
    assert!(e[1].contains("max-valid-lifetime (3000) is below"));
    assert!(e[2].contains("renew-timer (1800) must be below rebind-timer (900)"));
    assert!(e[3].contains("t1-percent"));
    // Timers past the lease time; calculated timers are Kea's own business.
    let late = json!({"valid-lifetime": 600, "rebind-timer": 900});
    assert!(check_together(&late)[0].contains("rebind-timer (900) must be below"));
    let calc = json!({"valid-lifetime": 600, "rebind-timer": 900, "renew-timer": 1000,
                      "calculate-tee-times": true});
    assert!(check_together(&calc).is_empty());
}
