//! `ddish review` on real Kea servers: a server whose scopes overlap (one's reservation in
//! the other's pool) and has a scope serving nobody is reported worst first with exit 2; a
//! clean one exits 0 with "no findings".
mod common;

use ddish::lab::minimal_dhcp4;
use serde_json::json;

#[test]
fn findings_worst_first_and_a_clean_server() {
    let dir = common::kea_dir("ddish-review-");
    let messy = json!([
        {"id": 1, "subnet": "10.70.0.0/24", "pools": [{"pool": "10.70.0.100 - 10.70.0.199"}],
         "reservations": [{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.70.0.20"},
                          {"hw-address": "aa:bb:cc:00:00:02", "ip-address": "10.70.0.21"}],
         "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54"}]},
        {"id": 2, "subnet": "10.70.0.0/25", "pools": [{"pool": "10.70.0.10 - 10.70.0.30"}]},
        {"id": 3, "subnet": "10.71.0.0/24"}
    ]);
    let clean = json!([
        {"id": 1, "subnet": "10.72.0.0/24", "pools": [{"pool": "10.72.0.100 - 10.72.0.199"}]}
    ]);
    // The server-wide DNS servers, which subnet 1 repeats.
    let mut messy_cfg = minimal_dhcp4(messy);
    messy_cfg["Dhcp4"]["option-data"] =
        json!([{"name": "domain-name-servers", "data": "192.0.2.53,192.0.2.54"}]);
    let a = common::kea_on_free_ports(dir.path(), "messy", messy_cfg, None);
    let b = common::kea_on_free_ports(dir.path(), "clean", minimal_dhcp4(clean), None);
    let api = if a.dist.api == ddish::lab::LabApi::Direct {
        "direct"
    } else {
        "agent"
    };
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[server]]\nname = \"messy\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\n\n\
             [[server]]\nname = \"clean\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\n",
            a.ca_url, b.ca_url
        ),
    )
    .unwrap();

    // Another client holds a lease on a reserved address (one taken before the reservation
    // was made); the reserved client's own lease on another reservation is no finding.
    for (ip, mac) in [
        ("10.70.0.20", "11:22:33:44:55:66"),
        ("10.70.0.21", "aa:bb:cc:00:00:02"),
    ] {
        let r = common::cmd(
            &a,
            "lease4-add",
            Some(json!({"ip-address": ip, "hw-address": mac, "subnet-id": 1})),
        );
        assert_eq!(r["result"], 0, "{r}");
    }

    let o = common::ddish(&cfg, &["review", "--server", "messy"]);
    assert_eq!(o.status.code(), Some(2), "{}", common::text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("error"), "errors first:\n{out}");
    assert!(
        out.contains("10.70.0.20 is reserved in 10.70.0.0/24 but lies in a pool of 10.70.0.0/25"),
        "{out}"
    );
    assert!(
        out.contains("overlapping subnets: 10.70.0.0/24 (id 1) and 10.70.0.0/25 (id 2)"),
        "{out}"
    );
    assert!(
        out.contains(
            "10.70.0.20 is reserved for aa:bb:cc:00:00:01 but leased to 11:22:33:44:55:66"
        ),
        "{out}"
    );
    assert!(
        !out.contains("10.70.0.21 is reserved for"),
        "its own client: {out}"
    );
    assert!(
        out.contains("scope 10.71.0.0/24 has no pool and no reservation"),
        "{out}"
    );
    assert!(
        out.contains(
            "scope 10.70.0.0/24 sets domain-name-servers = 192.0.2.53, 192.0.2.54 as the server already does"
        ),
        "{out}"
    );

    let o = common::ddish(&cfg, &["review", "--server", "clean"]);
    assert_eq!(common::ok(&o).trim(), "no findings");

    // JSON, both servers: the findings carry their server, check and scope.
    let o = common::ddish(&cfg, &["review", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", common::text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert!(rows.iter().all(|r| r["server"] == "messy"), "{v}");
    assert!(rows
        .iter()
        .any(|r| r["check"] == "no-pool" && r["scope"] == "10.71.0.0/24"));
}

/// Kea's own documentation examples (Debian's kea-doc, installed by scripts/install-deps.sh)
/// reviewed as files: every one is read, comments and `.5` numbers included, and the only
/// findings are the two examples' subnets that have neither pool nor reservation (they
/// show option and shared-network syntax; such a scope really serves nobody).
#[test]
fn keas_documentation_examples_read_without_false_alarms() {
    let dir = std::path::Path::new("/usr/share/doc/kea/examples/kea4");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/install-deps.sh", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "Kea ships 25 dhcp4 examples: {files:?}");
    let expected: &[(&str, &str)] = &[
        ("all-options.json", "192.0.2.0/24"),
        ("shared-network.json", "10.0.0.0/8"),
        ("shared-network.json", "192.0.2.0/24"),
    ];
    let mut subnets = 0;
    let mut found = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let o = common::run(&["review", "--json", "--file", &f.to_string_lossy()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("not reviewed") && !err.contains("not checked"),
            "{name}: {}",
            common::text(&o)
        );
        // "<file>: N subnet(s), ..." says what was read.
        subnets += err
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{name}: no summary: {}", common::text(&o)));
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        for r in &rows {
            assert_eq!(r["check"], "no-pool", "{name}: {r}");
            assert_eq!(r["severity"], "warning", "{name}: {r}");
            assert_eq!(r["file"], f.to_string_lossy().as_ref(), "{name}: {r}");
            found.push((name.clone(), r["scope"].as_str().unwrap().to_string()));
        }
        let code = if rows.is_empty() { 0 } else { 2 };
        assert_eq!(o.status.code(), Some(code), "{name}: {}", common::text(&o));
    }
    found.sort();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(found, expected);
    // 25 files hold 36 subnets (ids given as Kea would: most examples leave them out).
    assert!(subnets >= 30, "only {subnets} subnets read");
}

/// A file with a mistake in it: the line is named, exit 2; a file with findings lists them
/// like a server's; `--file` and `--server` do not mix.
#[test]
fn a_config_file_with_problems() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "{\n  \"Dhcp4\": {\n    \"subnet4\": [,]\n  }\n}\n").unwrap();
    let o = common::run(&["review", "--file", &bad.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2), "{}", common::text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.conf") && err.contains("line 3"), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("no findings"));

    let messy = dir.path().join("kea-dhcp4.conf");
    std::fs::write(
        &messy,
        "# overlapping, as an admin might write it\n{ \"Dhcp4\": { \"subnet4\": [\n\
         { \"subnet\": \"10.70.0.0/24\", \"pools\": [ { \"pool\": \"10.70.0.10 - 10.70.0.99\" } ] },\n\
         /* the same addresses again */\n\
         { \"subnet\": \"10.70.0.0/25\", \"pools\": [ { \"pool\": \"10.70.0.50 - 10.70.0.60\" } ],\n\
           \"reservations\": [ { \"hw-address\": \"aa:bb:cc:00:00:01\", \"ip-address\": \"10.70.0.20\" } ] }\n\
         ] } }\n",
    )
    .unwrap();
    let o = common::run(&["review", "--file", &messy.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2), "{}", common::text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("error"), "worst first: {out}");
    assert!(
        out.contains("10.70.0.0/25") && out.contains("overlap"),
        "{out}"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("2 subnet(s), 1 reservation(s)"),
        "{}",
        common::text(&o)
    );
    let o = common::run(&[
        "review",
        "--server",
        "x",
        "--file",
        &messy.to_string_lossy(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "clap refuses the mix: {}",
        common::text(&o)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}
