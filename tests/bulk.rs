//! Issue 4 part 5 through the `ddish` binary on real standalone Kea servers on loopback
//! (free ports): find-and-replace across scopes on two servers changes exactly the
//! matching values and survives a restart; a failing server leaves the others changed and
//! itself untouched; the preview writes nothing; bad names/values are refused before
//! anything is sent; client classes on two servers.
use std::path::Path;
use std::process::Output;

use ddish::lab::{minimal_dhcp4, KeaInstance};
use serde_json::{json, Value};

mod common;
use common::{ddish, text};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write_config(dir: &Path, servers: &[(&str, u16)]) -> String {
    let mut s = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n",
        dir.join("journal.jsonl").display()
    );
    for (name, port) in servers {
        s.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/\"\nrole = \"admin\"\n"
        ));
    }
    let p = dir.join("ddish.toml");
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

fn start(dir: &Path, name: &str, port: u16, dhcp4: Value) -> KeaInstance {
    KeaInstance::start(&dir.join(name), name, port, port + 1, dhcp4, None, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dhcp4(k: &KeaInstance) -> Value {
    let r = k.command("config-get", None).expect("config-get");
    assert_eq!(r["result"], 0, "{r}");
    r["arguments"]["Dhcp4"].clone()
}

/// The option-data of the subnet `cidr` (top level or in a shared network).
fn subnet(d: &Value, cidr: &str) -> Value {
    let mut all: Vec<Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
    }
    all.into_iter()
        .find(|s| s["subnet"] == cidr)
        .unwrap_or_else(|| panic!("no subnet {cidr}"))
}

fn option(d: &Value, cidr: &str, name: &str) -> Option<String> {
    let s = subnet(d, cidr);
    s["option-data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["name"] == name)
        .map(|o| o["data"].as_str().unwrap().to_string())
}

fn dns(data: &str) -> Value {
    json!([{"name": "domain-name-servers", "data": data}, {"name": "domain-name", "data": "example.org"}])
}

fn server_a() -> Value {
    let mut c = minimal_dhcp4(json!([
        {"id": 1, "subnet": "10.10.0.0/24", "pools": [{"pool": "10.10.0.100 - 10.10.0.199"}],
         "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.99"},
                         {"name": "routers", "data": "10.10.0.1"}]},
        {"id": 2, "subnet": "10.11.0.0/24", "pools": [{"pool": "10.11.0.100 - 10.11.0.199"}],
         "option-data": dns("192.0.2.99")},
        {"id": 3, "subnet": "10.12.0.0/24", "pools": [{"pool": "10.12.0.100 - 10.12.0.199"}],
         "option-data": dns("192.0.2.53")}
    ]));
    c["Dhcp4"]["option-data"] = json!([{"name": "domain-name-servers", "data": "192.0.2.53"}]);
    c["Dhcp4"]["client-classes"] = json!([{"name": "lab", "test": "pkt4.mac == 0x0102030405"}]);
    c["Dhcp4"]["subnet4"][1]["client-class"] = json!("lab");
    c
}

fn server_b() -> Value {
    minimal_dhcp4(json!([
        {"id": 7, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.100 - 10.20.0.199"}],
         "option-data": dns("192.0.2.153, 192.0.2.53")},
        {"id": 8, "subnet": "10.21.0.0/24", "pools": [{"pool": "10.21.0.100 - 10.21.0.199"}],
         "option-data": dns("192.0.2.53")}
    ]))
}

#[test]
fn replace_across_two_servers_changes_exactly_the_matches_and_a_failing_server_stays_untouched() {
    let dir = common::kea_dir("ddish-bulk-");
    let (pa, pb, pc) = (common::ports(2), common::ports(2), common::ports(2));
    let mut a = start(dir.path(), "a", pa, server_a());
    let b = start(dir.path(), "b", pb, server_b());
    let mut c = start(dir.path(), "c", pc, server_b());
    let cfg = write_config(dir.path(), &[("a", pa), ("b", pb), ("c", pc)]);
    let before = [dhcp4(&a), dhcp4(&b), dhcp4(&c)];
    let scopes = "a:10.10.0.0/24,a:10.11.0.0/24,b:10.20.0.0/24,b:10.21.0.0/24";
    let replace = |scopes: &str, extra: &[&str]| {
        let mut args = vec![
            "options",
            "replace",
            "--name",
            "domain-name-servers",
            "--from",
            "192.0.2.53",
            "--to",
            "192.0.2.54",
            "--scopes",
            scopes,
        ];
        args.extend_from_slice(extra);
        ddish(&cfg, &args)
    };

    // The preview shows each change and writes nothing.
    let o = replace(scopes, &["--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("10.10.0.0/24: domain-name-servers 192.0.2.53 -> 192.0.2.54"),
        "{out}"
    );
    assert!(out.contains("10.20.0.0/24"), "{out}");
    assert!(!out.contains("10.11.0.0/24"), "no match there: {out}");
    assert_eq!(dhcp4(&a), before[0]);
    assert_eq!(dhcp4(&b), before[1]);

    // No --yes and no terminal: preview, refused, nothing written.
    let o = replace(scopes, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("--yes"), "{}", text(&o));
    assert_eq!(dhcp4(&a), before[0]);
    assert_eq!(dhcp4(&b), before[1]);

    // Now with a third server whose Control Agent is down.
    c.stop_ca();
    let o = replace(&format!("{scopes},c:10.20.0.0/24"), &["--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = stdout(&o);
    let row = |n: &str| {
        out.lines()
            .rev()
            .find(|l| l.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("no row for {n}: {out}"))
            .to_string()
    };
    assert!(row("a").contains(" ok "), "{out}");
    assert!(row("b").contains(" ok "), "{out}");
    assert!(row("c").contains("FAILED"), "{out}");

    let after_a = dhcp4(&a);
    let after_b = dhcp4(&b);
    assert_eq!(
        option(&after_a, "10.10.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.54, 192.0.2.99")
    );
    assert_eq!(
        option(&after_a, "10.10.0.0/24", "routers").as_deref(),
        Some("10.10.0.1")
    );
    assert_eq!(
        option(&after_a, "10.11.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.99")
    );
    // Not marked: untouched, nor the server-level option.
    assert_eq!(
        option(&after_a, "10.12.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.53")
    );
    assert_eq!(
        after_a["option-data"][0]["data"], "192.0.2.53",
        "server level untouched"
    );
    assert_eq!(
        option(&after_b, "10.20.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.153, 192.0.2.54")
    );
    assert_eq!(
        option(&after_b, "10.21.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.54")
    );
    assert_eq!(
        option(&after_b, "10.21.0.0/24", "domain-name").as_deref(),
        Some("example.org")
    );
    // The failing server is exactly as it was.
    c.start_ca().expect("c's agent back");
    assert_eq!(dhcp4(&c), before[2]);

    // config-write persisted it: a restarted kea-dhcp4 still has it.
    a.stop_dhcp();
    a.start_dhcp().expect("a restarts");
    let restarted = dhcp4(&a);
    assert_eq!(
        option(&restarted, "10.10.0.0/24", "domain-name-servers").as_deref(),
        Some("192.0.2.54, 192.0.2.99")
    );

    // One journal entry per server, the failure included.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    let entries: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["action"] == "bulk-option-replace")
        .collect();
    assert_eq!(entries.len(), 2, "{journal}");
    assert!(entries
        .iter()
        .any(|e| e["server"] == "a" && e["result"] == "ok"));
    assert!(entries
        .iter()
        .any(|e| e["server"] == "b" && e["result"] == "ok"));

    // Running it again finds nothing to change.
    let o = replace(scopes, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("nothing to change"), "{}", text(&o));
}

#[test]
fn bad_names_and_values_are_refused_before_anything_is_sent() {
    let dir = common::kea_dir("ddish-bulk-");
    // Nothing listens on this port: a refusal (3) proves nothing was sent (else 2).
    let gone = common::ports(1);
    let cfg = write_config(dir.path(), &[("gone", gone)]);
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "options",
                "set",
                "--name",
                "domain-name-server",
                "--data",
                "192.0.2.1",
            ],
            "did you mean 'domain-name-servers'",
        ),
        (
            &["options", "set", "--name", "routers", "--data", "10.0.0.x"],
            "not an IPv4 address",
        ),
        (
            &[
                "options",
                "set",
                "--name",
                "default-ip-ttl",
                "--data",
                "300",
            ],
            "out of range for uint8",
        ),
        (
            &[
                "options",
                "set",
                "--name",
                "ip-forwarding",
                "--data",
                "maybe",
            ],
            "not a boolean",
        ),
        (&["options", "lease-time", "--seconds", "5"], "out of range"),
        (
            &["options", "ddns", "--param", "ddns-send-updates=perhaps"],
            "not a boolean",
        ),
        (
            &[
                "options",
                "replace",
                "--name",
                "domain-name-servers",
                "--from",
                "192.0.2.53",
                "--to",
                "192.0.2",
            ],
            "not an IPv4 address",
        ),
    ];
    for (args, want) in cases {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--servers", "gone", "--yes"]);
        let o = ddish(&cfg, &a);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
    let o = ddish(
        &cfg,
        &[
            "options",
            "delete",
            "--name",
            "routers",
            "--scopes",
            "nosuch:10.0.0.0/24",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("no server named 'nosuch'"),
        "{}",
        text(&o)
    );
    let o = ddish(
        &cfg,
        &[
            "class",
            "create",
            "--name",
            "HA_server1",
            "--servers",
            "gone",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // An operator may not make scope changes: the server's row says why.
    let p = dir.path().join("operator.toml");
    std::fs::write(
        &p,
        format!("[[server]]\nname = \"gone\"\nurl = \"http://127.0.0.1:{gone}/\"\nrole = \"operator\"\n"),
    )
    .unwrap();
    let o = ddish(
        p.to_str().unwrap(),
        &[
            "options",
            "lease-time",
            "--seconds",
            "600",
            "--servers",
            "gone",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("role = \"admin\""), "{}", text(&o));
}

#[test]
fn classes_options_and_parameters_on_two_servers() {
    let dir = common::kea_dir("ddish-bulk-");
    let (pa, pb) = (common::ports(2), common::ports(2));
    let a = start(dir.path(), "a", pa, server_a());
    let b = start(dir.path(), "b", pb, server_b());
    let cfg = write_config(dir.path(), &[("a", pa), ("b", pb)]);

    let o = ddish(
        &cfg,
        &[
            "class",
            "create",
            "--name",
            "phones",
            "--test",
            "option[60].text == 'phone'",
            "--option",
            "tftp-server-name=tftp.example.org",
            "--servers",
            "a,b",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for k in [&a, &b] {
        let d = dhcp4(k);
        let c = d["client-classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "phones")
            .unwrap_or_else(|| panic!("phones on {}: {d}", k.name))
            .clone();
        assert_eq!(c["test"], "option[60].text == 'phone'");
        assert_eq!(c["option-data"][0]["data"], "tftp.example.org");
    }
    let o = ddish(&cfg, &["class", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("a ") && l.contains("phones")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("b ") && l.contains("phones")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(" lab ") && l.contains("scope 10.11.0.0/24")),
        "{out}"
    );

    // Edit the test on both.
    let o = ddish(
        &cfg,
        &[
            "class",
            "edit",
            "--name",
            "phones",
            "--test",
            "option[60].text == 'ip-phone'",
            "--servers",
            "a,b",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(dhcp4(&b)["client-classes"].to_string().contains("ip-phone"));

    // A class whose test names 'lab' (defined on a only): b's config-test rejects it, so a
    // is changed and b is left exactly as it was.
    let before_b = dhcp4(&b);
    let o = ddish(
        &cfg,
        &[
            "class",
            "create",
            "--name",
            "lab-members",
            "--test",
            "member('lab')",
            "--servers",
            "a,b",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("a ") && l.contains(" ok ")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("b ") && l.contains("FAILED")),
        "{out}"
    );
    assert!(dhcp4(&a)["client-classes"]
        .to_string()
        .contains("lab-members"));
    assert_eq!(dhcp4(&b), before_b);
    // And 'lab' is now used by that class too.
    let o = ddish(&cfg, &["class", "list", "--server", "a"]);
    assert!(stdout(&o).contains("class lab-members"), "{}", text(&o));

    // A class a scope uses is not deleted; the scope is named.
    let before = dhcp4(&a);
    let o = ddish(
        &cfg,
        &[
            "class",
            "delete",
            "--name",
            "lab",
            "--servers",
            "a",
            "--yes",
        ],
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("scope 10.11.0.0/24"), "{}", text(&o));
    assert_eq!(dhcp4(&a), before);

    let o = ddish(
        &cfg,
        &[
            "class",
            "delete",
            "--name",
            "phones",
            "--servers",
            "a,b",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for k in [&a, &b] {
        assert!(!dhcp4(k)["client-classes"].to_string().contains("phones"));
    }

    // Server-level option, scope lease time and ddns parameters: Kea accepts each.
    let o = ddish(
        &cfg,
        &[
            "options",
            "set",
            "--name",
            "ntp-servers",
            "--data",
            "192.0.2.123",
            "--servers",
            "a,b",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for k in [&a, &b] {
        assert!(dhcp4(k)["option-data"].to_string().contains("192.0.2.123"));
    }
    let o = ddish(
        &cfg,
        &[
            "options",
            "lease-time",
            "--seconds",
            "7200",
            "--scopes",
            "a:10.10.0.0/24,b:10.20.0.0/24",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(subnet(&dhcp4(&a), "10.10.0.0/24")["valid-lifetime"], 7200);
    assert_eq!(subnet(&dhcp4(&b), "10.20.0.0/24")["valid-lifetime"], 7200);
    assert_ne!(subnet(&dhcp4(&b), "10.21.0.0/24")["valid-lifetime"], 7200);
    let o = ddish(
        &cfg,
        &[
            "options",
            "ddns",
            "--param",
            "ddns-send-updates=false",
            "--param",
            "ddns-qualifying-suffix=example.org.",
            "--scopes",
            "b:10.21.0.0/24",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = subnet(&dhcp4(&b), "10.21.0.0/24");
    assert_eq!(s["ddns-send-updates"], false);
    assert_eq!(s["ddns-qualifying-suffix"], "example.org.");
    let o = ddish(
        &cfg,
        &[
            "options",
            "exclude",
            "10.10.0.100",
            "10.10.0.109",
            "--scopes",
            "a:10.10.0.0/24",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let pools = subnet(&dhcp4(&a), "10.10.0.0/24")["pools"].to_string();
    assert!(pools.contains("10.10.0.110"), "{pools}");
    let o = ddish(
        &cfg,
        &[
            "options",
            "delete",
            "--name",
            "routers",
            "--scopes",
            "a:10.10.0.0/24",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(option(&dhcp4(&a), "10.10.0.0/24", "routers"), None);
}

#[test]
fn an_ha_pair_marked_on_both_peers_is_written_once_on_both() {
    use ddish::lab::{HaMode, Lab, LabOptions};
    let dir = common::kea_dir("ddish-bulk-");
    let lab = Lab::start(&LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    })
    .expect("lab starts");
    let mut s = format!(
        "[settings]\nrequest_timeout = 10\njournal = \"{}\"\n",
        dir.path().join("journal.jsonl").display()
    );
    for (name, url) in &lab.info.servers {
        s.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"{}\"\npassword_file = \"{}\"\nrole = \"admin\"\n",
            lab.info.user.as_deref().unwrap(),
            lab.info.password_file.as_ref().unwrap().display()
        ));
    }
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(&cfg, s).unwrap();
    let cfg = cfg.to_str().unwrap();
    let names: Vec<&str> = lab.info.servers.iter().map(|(n, _)| n.as_str()).collect();
    let scopes = format!("{}:10.10.0.0/24,{}:10.10.0.0/24", names[0], names[1]);
    let password = lab.info.password().unwrap();
    let auth = ("ddish", password.as_str());
    let dns_of = |i: usize| {
        let r = ddish::lab::kea_command(
            lab.info.ports.ca[i],
            Some(auth),
            Some("dhcp4"),
            "config-get",
            None,
        )
        .unwrap();
        option(
            &r["arguments"]["Dhcp4"],
            "10.10.0.0/24",
            "domain-name-servers",
        )
    };
    assert_eq!(dns_of(0).as_deref(), Some("10.10.0.53"));

    let o = ddish(
        cfg,
        &[
            "options",
            "replace",
            "--name",
            "domain-name-servers",
            "--from",
            "10.10.0.53",
            "--to",
            "10.10.0.54",
            "--scopes",
            &scopes,
            "--dry-run",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        stdout(&o).contains("the same change on its HA peer"),
        "{}",
        text(&o)
    );

    let o = ddish(
        cfg,
        &[
            "options",
            "replace",
            "--name",
            "domain-name-servers",
            "--from",
            "10.10.0.53",
            "--to",
            "10.10.0.54",
            "--scopes",
            &scopes,
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    assert!(out.contains("written with its HA peer"), "{out}");
    assert_eq!(dns_of(0).as_deref(), Some("10.10.0.54"));
    assert_eq!(dns_of(1).as_deref(), Some("10.10.0.54"));
    // One write, so one journal entry for the pair.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains("bulk-option-replace"))
            .count(),
        1,
        "{journal}"
    );
}

/// Issue 4: an exclusion over addresses still leased warns in the preview (the console and
/// the CLI ask before applying), with leases counted on both peers of the real lab pair
/// (lease commands are not replicated); an exclusion over free addresses does not.
#[tokio::test(flavor = "multi_thread")]
async fn bulk_exclusion_over_live_leases_warns_in_the_preview_counting_both_peers() {
    use ddish::lab::{self, HaMode, Lab, LabOptions};
    use ddish::ops::bulk::{BulkChange, BulkOp, Target};
    use ddish::ops::Session;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = common::kea_dir("ddish-bulk-");
    let opts = LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    };
    let lab = tokio::task::spawn_blocking(move || {
        let lab = Lab::start(&opts).expect("lab starts");
        lab.wait_ha(std::time::Duration::from_secs(60))
            .expect("HA up");
        lab
    })
    .await
    .unwrap();
    let pw = lab.info.password().unwrap();
    let cmd = |i: usize, c: &str, args: Option<Value>| {
        lab::kea_command(
            lab.info.ports.ca[i],
            Some(("ddish", &pw)),
            Some("dhcp4"),
            c,
            args,
        )
        .unwrap_or_else(|e| panic!("{c} on peer {i}: {e}"))
    };
    // One lease on each peer only, inside 10.20.0.180-10.20.0.189.
    for (i, addr, mac) in [
        (0, "10.20.0.181", "02:00:00:00:01:81"),
        (1, "10.20.0.182", "02:00:00:00:01:82"),
    ] {
        let r = cmd(
            i,
            "lease4-add",
            Some(json!({"ip-address": addr, "hw-address": mac, "valid-lft": 3600})),
        );
        assert_eq!(r["result"], 0, "{r}");
    }
    // What the pair holds in the range, counted here independently.
    let mut live: Vec<String> = Vec::new();
    for i in 0..2 {
        let r = cmd(i, "lease4-get-all", None);
        for l in r["arguments"]["leases"].as_array().into_iter().flatten() {
            let a = l["ip-address"].as_str().unwrap().to_string();
            let n: std::net::Ipv4Addr = a.parse().unwrap();
            let ends = l["cltt"].as_i64().unwrap() + l["valid-lft"].as_i64().unwrap();
            if n.octets()[..3] == [10, 20, 0]
                && (180..=189).contains(&n.octets()[3])
                && ends > ddish::ops::now()
                && !live.contains(&a)
            {
                live.push(a);
            }
        }
    }
    assert!(live.len() >= 2, "{live:?}");

    let mut cfg = format!(
        "[settings]\njournal = \"{}\"\n",
        dir.path().join("journal.jsonl").display()
    );
    for (name, url) in &lab.info.servers {
        cfg.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"ddish\"\npassword_file = \"{}\"\nrole = \"admin\"\n",
            lab.info.password_file.as_ref().unwrap().display()
        ));
    }
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let session = Session::new(config);
    let server = lab.info.servers[0].0.clone();
    let exclude = |a: &str, b: &str| {
        BulkChange::new(
            Target::Scopes(vec![(server.clone(), "10.20.0.0/24".parse().unwrap())]),
            BulkOp::Exclude(a.parse().unwrap(), b.parse().unwrap()),
        )
        .unwrap()
    };
    let p = session
        .bulk_preview(&exclude("10.20.0.180", "10.20.0.189"))
        .await;
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].error, None, "{p:?}");
    assert_eq!(p[0].warnings.len(), 1, "{p:?}");
    let w = &p[0].warnings[0];
    assert!(
        w.starts_with(&format!(
            "10.20.0.0/24: {} leased addresses in 10.20.0.180-10.20.0.189",
            live.len()
        )),
        "{w}"
    );
    assert!(w.contains("each lease runs until it expires"), "{w}");
    // Free addresses: no warning.
    let p = session
        .bulk_preview(&exclude("10.20.0.170", "10.20.0.175"))
        .await;
    assert!(p[0].warnings.is_empty(), "{p:?}");
    drop(lab);
}
