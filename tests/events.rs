//! Configuration events (issue 6 parts 4 and 7) against real Kea 2.2 and BIND 9.18 on
//! loopback: a config changed through Kea's API behind ddish's back shows as "changed
//! outside ddish", a change made with ddish does not; scopes appearing, vanishing and being
//! deactivated; a service going down and coming back; a zone serial moving; filtering by
//! IP inside a CIDR, by server, by a saved query; CSV export. Free loopback ports.
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ddish::lab::{minimal_dhcp4, DnsInstance, KeaInstance};
use serde_json::{json, Value};

mod common;
use common::text;

const USER: &str = "ddish";
const PASS: &str = "events-secret-pw";
const ZONE: &str = "evt.test";

/// The journal names the uid's user, not $USER: a wrong $USER changes nothing.
fn ddish(cfg: &Path, args: &[&str]) -> Output {
    let cfg = cfg.to_string_lossy().into_owned();
    let mut all = vec!["-c", cfg.as_str()];
    all.extend_from_slice(args);
    common::run_env(&all, &[("USER", "someone-else")])
}

/// `ddish events --json` with `args`: the events, newest first.
fn events(cfg: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["events", "--json"];
    all.extend_from_slice(args);
    let o = ddish(cfg, &all);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    v.as_array().expect("a JSON array").clone()
}

fn kinds_of<'a>(ev: &'a [Value], kind: &str) -> Vec<&'a Value> {
    ev.iter().filter(|e| e["kind"] == kind).collect()
}

/// Adds (or, with `remove`, drops) a subnet straight through Kea's API: config-get,
/// edit, config-set. ddish is not involved and nothing is journaled.
fn change_behind_ddish(k: &KeaInstance, edit: impl FnOnce(&mut Vec<Value>)) {
    let got = k
        .command("config-get", None)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut args = got["arguments"].clone();
    if let Some(o) = args.as_object_mut() {
        o.remove("hash");
    }
    let subnets = args["Dhcp4"]["subnet4"].as_array_mut().expect("subnet4");
    let mut list = std::mem::take(subnets);
    edit(&mut list);
    args["Dhcp4"]["subnet4"] = Value::Array(list);
    let r = k.config_set(args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["result"], 0, "config-set: {r}");
}

#[test]
fn outside_changes_ddish_changes_services_zones_filters_and_csv() {
    let dir = common::shared_dir("ddish-events-");
    let d = dir.path();
    let p = common::ports(2);
    let mut kea = KeaInstance::start(
        &d.join("kea-a"),
        "kea-a",
        p,
        p + 1,
        minimal_dhcp4(json!([
            {"id": 1, "subnet": "10.40.0.0/24", "pools": [{"pool": "10.40.0.10 - 10.40.0.50"}]},
            {"id": 2, "subnet": "10.41.0.0/24", "pools": [{"pool": "10.41.0.10 - 10.41.0.50"}]}
        ])),
        Some((USER, PASS)),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // NETWORK RULE: the zone's NS resolves to loopback.
    let zone = format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. ( 1 3600 600 86400 300 )\n  \
         IN NS ns1.{ZONE}.\nns1 IN A 127.0.0.1\n"
    );
    let mut bind = DnsInstance::start(&d.join("ns1"), common::ports(1), &[(ZONE, &zone)])
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("kea.pass"), format!("{PASS}\n")).unwrap();
    let secret = d.join("key.secret");
    std::fs::write(&secret, format!("{}\n", bind.secret_b64)).unwrap();
    let cfg_path = d.join("ddish.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "[settings]\nrequest_timeout = 2\njournal = \"journal.jsonl\"\n\n\
             [[server]]\nname = \"kea-a\"\nurl = \"{url}\"\napi = \"{api}\"\nuser = \"{USER}\"\npassword_file = \"kea.pass\"\nrole = \"admin\"\n\n\
             [dns]\n[[dns.server]]\nname = \"ns1\"\naddr = \"{dns}\"\n\n\
             [[dns.zone]]\nname = \"{ZONE}\"\nprimary = \"ns1\"\nkey_name = \"{key}\"\nsecret_file = \"{secret}\"\n\n\
             [[query]]\nname = \"outside a\"\nfilter = \"server:kea-a kind:outside\"\n",
            url = kea.ca_url,
            dns = bind.addr,
            // As a user of this Kea configures it: agent, or direct (kea-dhcp4's own HTTP
            // socket, Kea 3.0).
            api = kea.dist.api.as_str(),
            key = bind.key_name,
            secret = secret.display()
        ),
    )
    .unwrap();
    let cfg = cfg_path.as_path();
    let cfg_loaded = ddish::config::load(cfg).unwrap_or_else(|e| panic!("{e}"));
    let files = ddish::ops::events::EventFiles::for_config(&cfg_loaded);

    // The first observation (by `ddish status`) is the baseline: no events.
    let o = ddish(cfg, &["status"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(files.snapshot.exists(), "status recorded a snapshot");
    assert!(events(cfg, &["--no-refresh"]).is_empty());
    let o = ddish(cfg, &["events", "--no-refresh"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("no events"),
        "{}",
        text(&o)
    );

    // The DHCP service goes down, then comes back (from its config file, the same config:
    // no change seen). Behind a Control Agent, the agent answers that its daemon is gone;
    // with the direct API (Kea 3.0, no agent) the daemon is the endpoint, and a stopped one
    // is simply unreachable.
    let stopped = if kea.dist.api == ddish::lab::LabApi::Direct {
        "unreachable"
    } else {
        "daemon stopped"
    };
    kea.stop_dhcp();
    let ev = events(cfg, &[]);
    let down = kinds_of(&ev, "service-down");
    assert_eq!(down.len(), 1, "{ev:#?}");
    assert_eq!(down[0]["server"], "kea-a");
    assert!(
        down[0]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("is not running: {stopped}")),
        "{ev:#?}"
    );
    kea.start_dhcp().unwrap_or_else(|e| panic!("{e}"));
    let ev = events(cfg, &[]);
    let up = kinds_of(&ev, "service-up");
    assert_eq!(up.len(), 1, "{ev:#?}");
    assert_eq!(up[0]["server"], "kea-a");
    assert!(
        up[0]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("running again (was {stopped})")),
        "{ev:#?}"
    );

    assert!(kinds_of(&ev, "outside-change").is_empty(), "{ev:#?}");

    // A subnet added through Kea's API, not through ddish.
    change_behind_ddish(&kea, |s| {
        s.push(json!({"id": 3, "subnet": "10.42.0.0/24",
                      "pools": [{"pool": "10.42.0.10 - 10.42.0.50"}]}))
    });
    let ev = events(cfg, &[]);
    let outside = kinds_of(&ev, "outside-change");
    assert_eq!(outside.len(), 1, "{ev:#?}");
    assert_eq!(outside[0]["server"], "kea-a");
    assert_eq!(outside[0]["kind_label"], "config changed outside ddish");
    assert_eq!(outside[0]["user"], "");
    assert!(
        outside[0]["description"]
            .as_str()
            .unwrap()
            .contains("scope 10.42.0.0/24 appeared"),
        "{ev:#?}"
    );
    let appeared = kinds_of(&ev, "scope-appeared");
    assert_eq!(appeared.len(), 1, "{ev:#?}");
    assert_eq!(appeared[0]["scope"], "10.42.0.0/24");

    // A change made with ddish: journaled as a ddish change, seen as a deactivated scope
    // by tester, and NOT as a change outside ddish.
    let o = ddish(
        cfg,
        &[
            "scope",
            "deactivate",
            "--server",
            "kea-a",
            "--scope",
            "10.41.0.0/24",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ev = events(cfg, &[]);
    assert_eq!(
        kinds_of(&ev, "outside-change").len(),
        1,
        "still only the first: {ev:#?}"
    );
    let by_ddish = kinds_of(&ev, "ddish-change");
    assert_eq!(by_ddish.len(), 1, "{ev:#?}");
    assert_eq!(by_ddish[0]["result"], "ok");
    assert!(
        by_ddish[0]["description"]
            .as_str()
            .unwrap()
            .contains("10.41.0.0/24"),
        "{ev:#?}"
    );
    assert_eq!(
        by_ddish[0]["user"].as_str().unwrap(),
        ddish::audit::current_user()
    );
    assert!(by_ddish[0]["description"]
        .as_str()
        .unwrap()
        .starts_with("scope-deactivate"));
    let deact = kinds_of(&ev, "scope-deactivated");
    assert_eq!(deact.len(), 1, "{ev:#?}");
    assert_eq!(deact[0]["scope"], "10.41.0.0/24");
    assert_eq!(
        deact[0]["user"].as_str().unwrap(),
        ddish::audit::current_user()
    );
    assert!(
        ev[0]["time"].as_i64() >= ev[ev.len() - 1]["time"].as_i64(),
        "newest first"
    );

    // A ddish hold (a lease, no config change): a ddish change with its address.
    let o = ddish(cfg, &["ip", "hold", "10.40.0.15", "--server", "kea-a"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // The subnet removed behind ddish's back, seen by `ddish status`.
    change_behind_ddish(&kea, |s| s.retain(|x| x["id"] != 3));
    let o = ddish(cfg, &["status"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("new event"),
        "{}",
        text(&o)
    );
    let ev = events(cfg, &["--no-refresh"]);
    assert_eq!(kinds_of(&ev, "outside-change").len(), 2, "{ev:#?}");
    let vanished = kinds_of(&ev, "scope-vanished");
    assert_eq!(vanished.len(), 1, "{ev:#?}");
    assert_eq!(vanished[0]["scope"], "10.42.0.0/24");
    assert!(vanished[0]["description"]
        .as_str()
        .unwrap()
        .contains("outside ddish"));

    // The zone changes behind ddish's back (an update straight from the library, not
    // journaled): `ddish zones` sees the serial move.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt
        .block_on(ddish::dns::add_record(
            &cfg_loaded.dns,
            &ddish::dns::RecordRequest {
                zone: ZONE.into(),
                hostname: "outside-host".into(),
                ip: "10.40.0.99".parse().unwrap(),
                ttl: 300,
                ptr: false,
                comment: None,
            },
            Duration::from_secs(3),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.all_done(), "{out:?}");
    let o = ddish(cfg, &["zones"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ev = events(cfg, &["--no-refresh"]);
    let moved = kinds_of(&ev, "zone-serial-moved");
    assert_eq!(moved.len(), 1, "{ev:#?}");
    assert_eq!(moved[0]["server"], "ns1");
    assert!(
        moved[0]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("zone {ZONE} serial 1 -> 2")),
        "{ev:#?}"
    );

    // The DNS server stops answering.
    bind.stop();
    let o = ddish(cfg, &["status"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let ev = events(cfg, &["--no-refresh"]);
    let dns_down: Vec<&Value> = kinds_of(&ev, "service-down")
        .into_iter()
        .filter(|e| e["server"] == "ns1")
        .collect();
    assert_eq!(dns_down.len(), 1, "{ev:#?}");
    assert!(dns_down[0]["description"]
        .as_str()
        .unwrap()
        .contains("stopped answering"));

    // Filters. An address inside 10.42.0.0/24 finds that scope's events only.
    let ev = events(cfg, &["--no-refresh", "--query", "10.42.0.77"]);
    // (All may fall in one second: compare without the order.)
    let mut kinds: Vec<&str> = ev.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "outside-change",
            "outside-change",
            "scope-appeared",
            "scope-vanished"
        ],
        "{ev:#?}"
    );
    // A network holding the held address finds the hold (and nothing on 10.41/10.42).
    let ev = events(cfg, &["--no-refresh", "--query", "10.40.0.0/25"]);
    assert!(
        ev.iter()
            .any(|e| e["ip"] == "10.40.0.15" && e["kind"] == "ddish-change"),
        "{ev:#?}"
    );
    assert!(ev
        .iter()
        .all(|e| !e["description"].as_str().unwrap().contains("10.41.")
            && !e["description"].as_str().unwrap().contains("10.42.")));
    // By server: the DNS events.
    let ev = events(cfg, &["--no-refresh", "--query", "server:ns1"]);
    let mut kinds: Vec<&str> = ev.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["service-down", "zone-serial-moved"], "{ev:#?}");
    // A saved query by its name.
    let ev = events(cfg, &["--no-refresh", "--query", "outside a"]);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert!(ev.iter().all(|e| e["kind"] == "outside-change"));
    // Words and users.
    let me = ddish::audit::current_user();
    let me = me.split('@').next().unwrap();
    let ev = events(
        cfg,
        &["--no-refresh", "--query", &format!("user:{me} deactivate")],
    );
    assert_eq!(
        ev.len(),
        2,
        "the ddish change and the scope it deactivated: {ev:#?}"
    );
    // --since: a time in the future leaves nothing; an hour back leaves everything.
    assert!(events(cfg, &["--no-refresh", "--since", "2099-01-01"]).is_empty());
    let everything = events(cfg, &["--no-refresh"]);
    assert_eq!(
        events(cfg, &["--no-refresh", "--since", "1h"]).len(),
        everything.len()
    );
    // A bad filter is a clear error, exit 2.
    let o = ddish(cfg, &["events", "--query", "server:"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("server:VALUE"),
        "{}",
        text(&o)
    );
    let o = ddish(cfg, &["events", "--since", "soon"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // CSV of the filtered view.
    let csv_path = d.join("out.csv");
    let o = ddish(
        cfg,
        &[
            "events",
            "--no-refresh",
            "--query",
            "kea-a",
            "-o",
            csv_path.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let body = std::fs::read_to_string(&csv_path).unwrap();
    let mut r = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["time", "server", "kind", "description", "user", "result"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let want = events(cfg, &["--no-refresh", "--query", "kea-a"]);
    assert_eq!(rows.len(), want.len());
    assert!(rows.iter().any(|x| &x[2] == "config changed outside ddish"));
    assert!(rows
        .iter()
        .all(|x| x[1].is_empty() || &x[1] == "kea-a" || x[3].contains("kea-a")));
    assert!(!body.contains(PASS) && !body.contains(&bind.secret_b64));
    // The table, for people.
    let o = ddish(cfg, &["events", "--no-refresh", "--query", "outside a"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("TIME "), "{out}");
    assert!(out.contains("config changed outside ddish"), "{out}");
    // The saved queries are listed.
    let o = ddish(cfg, &["events", "--saved"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("outside a"),
        "{}",
        text(&o)
    );
}

/// Lease changes between two looks at a scope (issue 13 item 7): a console-like session
/// reads the scope, leases change on the real Kea (one granted, one moved to another
/// client, one gone), the session reads it again; `ip history` and `events` then tell
/// each change, and the first look alone records nothing.
#[test]
fn lease_changes_between_looks_are_in_the_history() {
    let dir = common::kea_dir("ddish-lease-looks-");
    let port = common::ports(2);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "looks",
        port,
        port + 1,
        minimal_dhcp4(json!([{"id": 7, "subnet": "10.77.0.0/24",
            "pools": [{"pool": "10.77.0.10 - 10.77.0.99"}]}])),
        None,
        None,
    )
    .expect("Kea starts");
    let api = if kea.dist.api == ddish::lab::LabApi::Direct {
        "direct"
    } else {
        "agent"
    };
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[settings]\njournal = \"{}\"\n\n[[server]]\nname = \"looks\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\n",
            dir.path().join("journal.jsonl").display(),
            kea.ca_url
        ),
    )
    .unwrap();
    let add = |ip: &str, mac: &str, host: &str| {
        let r = common::cmd(
            &kea,
            "lease4-add",
            Some(json!({"ip-address": ip, "hw-address": mac, "hostname": host, "subnet-id": 7})),
        );
        assert_eq!(r["result"], 0, "{r}");
    };
    let del = |ip: &str| {
        let r = common::cmd(&kea, "lease4-del", Some(json!({"ip-address": ip})));
        assert_eq!(r["result"], 0, "{r}");
    };
    add("10.77.0.11", "aa:00:00:00:00:11", "pc11");
    add("10.77.0.12", "aa:00:00:00:00:12", "pc12");
    let config = ddish::config::load(&cfg).expect("config loads");
    let session = ddish::ops::Session::new(config);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let look = || {
        rt.block_on(async {
            let data = session.load_server("looks").await.expect("server loads");
            let def = data.tree.scopes[0].def.clone();
            session
                .load_scope("looks", &def)
                .await
                .expect("scope loads")
        })
    };
    look();
    assert!(
        events(&cfg, &["--no-refresh", "-q", "kind:lease-changed"]).is_empty(),
        "the first look is a baseline"
    );
    add("10.77.0.13", "aa:00:00:00:00:13", "pc13");
    del("10.77.0.11");
    add("10.77.0.11", "bb:00:00:00:00:11", "laptop");
    del("10.77.0.12");
    look();
    let seen = events(&cfg, &["--no-refresh", "-q", "kind:lease-changed"]);
    let texts: Vec<&str> = seen
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 3, "{texts:#?}");
    assert!(
        texts.contains(&"10.77.0.13 leased to aa:00:00:00:00:13 (pc13)"),
        "{texts:#?}"
    );
    assert!(texts.contains(&"10.77.0.12 no longer leased (was aa:00:00:00:00:12 (pc12))"));
    let h = ddish(&cfg, &["ip", "history", "10.77.0.11", "--server", "looks"]);
    let out = String::from_utf8_lossy(&h.stdout);
    assert!(h.status.success(), "{}", text(&h));
    assert!(
        out.contains("lease-changed")
            && out.contains("10.77.0.11 now leased to bb:00:00:00:00:11 (laptop) (was aa:00:00:00:00:11 (pc11))")
            && out.contains("(seen on the server)"),
        "{out}"
    );
    // A look with nothing changed adds nothing.
    look();
    assert_eq!(
        events(&cfg, &["--no-refresh", "-q", "kind:lease-changed"]).len(),
        3
    );
}
