//! `ddish review` on real Kea servers: a server whose scopes overlap (one's reservation in
//! the other's pool) and has a scope serving nobody is reported worst first with exit 2; a
//! clean one exits 0 with "no findings".
mod common;

use ddish::lab::{minimal_dhcp4, KeaInstance};
use serde_json::json;

#[test]
fn findings_worst_first_and_a_clean_server() {
    let dir = common::kea_dir("ddish-review-");
    let port = common::ports(4);
    let messy = json!([
        {"id": 1, "subnet": "10.70.0.0/24", "pools": [{"pool": "10.70.0.100 - 10.70.0.199"}],
         "reservations": [{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.70.0.20"}],
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
    let a = KeaInstance::start(
        &dir.path().join("a"),
        "messy",
        port,
        port + 1,
        messy_cfg,
        None,
        None,
    )
    .expect("Kea starts with overlapping subnets");
    let b = KeaInstance::start(
        &dir.path().join("b"),
        "clean",
        port + 2,
        port + 3,
        minimal_dhcp4(clean),
        None,
        None,
    )
    .expect("Kea starts");
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
