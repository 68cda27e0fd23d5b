//! Watching the fleet (issue 6) against real Kea 2.2 and BIND 9.18 on loopback: service
//! states of failing servers next to a running one, zone health with a lagging and a
//! stopped secondary, fleet-wide search and utilization alerts. Ports 21400-21499.
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ddish::lab::{leases_csv, minimal_dhcp4, DnsInstance, KeaInstance, SeedLease};
use ddish::model::UtilBand;
use ddish::ops::fleet::{self, ServiceState, StatusCache};
use ddish::ops::search::{self, Term};
use ddish::ops::zones::{self, ZoneKind, ZoneStatus};
use ddish::ops::Session;
use serde_json::{json, Value};

mod common;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("ddish.toml");
    std::fs::write(
        &p,
        format!("[settings]\nrequest_timeout = 2\njournal = \"journal.jsonl\"\n{body}"),
    )
    .unwrap();
    p
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

const USER: &str = "ddish";
const PASS: &str = "fleet-secret-pw";

/// Subnet 1: a pool of 10 with 9 leases (90 %: over); subnet 2: a pool with no leases
/// (0 %: under); a reservation for "printer-hq" outside the pool.
fn subnets() -> Value {
    json!([
        {"id": 1, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.10 - 10.20.0.19"}],
         "reservations": [{"hw-address": "aa:bb:cc:00:00:99", "ip-address": "10.20.0.5",
                           "hostname": "printer-hq"}]},
        {"id": 2, "subnet": "10.21.0.0/24", "pools": [{"pool": "10.21.0.10 - 10.21.0.100"}]}
    ])
}

fn leases() -> String {
    let now = ddish::ops::now();
    let l: Vec<SeedLease> = (0..9u8)
        .map(|i| {
            SeedLease::new(
                std::net::Ipv4Addr::new(10, 20, 0, 10 + i),
                1,
                &format!("aa:bb:cc:00:00:{:02x}", 0x10 + i),
                &format!("host{i}"),
                3600,
                60,
                now,
            )
        })
        .collect();
    leases_csv(&l)
}

fn kea(dir: &Path, name: &str, ca: u16) -> KeaInstance {
    KeaInstance::start(
        &dir.join(name),
        name,
        ca,
        ca + 1,
        minimal_dhcp4(subnets()),
        Some((USER, PASS)),
        Some(&leases()),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn each_server_shows_its_own_state_search_and_alerts() {
    let dir = common::shared_dir("ddish-fleet-");
    let d = dir.path();
    let kea_ok = kea(d, "kea-ok", 21400);
    // Behind a Control Agent, a stopped kea-dhcp4 leaves the agent answering "daemon
    // stopped". With the direct API (Kea 3.0, no agent) the daemon is the endpoint: stopped,
    // it is unreachable like a stopped agent.
    let stopped = if kea_ok.dist.api == ddish::lab::LabApi::Direct {
        ServiceState::Unreachable
    } else {
        ServiceState::DaemonStopped
    };
    let mut nodaemon = kea(d, "kea-nodaemon", 21402);
    nodaemon.stop_dhcp();
    let mut noca = kea(d, "kea-noca", 21404);
    noca.stop_ca();
    let _badpw = kea(d, "kea-badpw", 21406);
    // A hung Control Agent (SIGSTOP): requests time out.
    let hung = kea(d, "kea-hung", 21408);
    hung.pause_ca();
    std::fs::write(d.join("right.pass"), format!("{PASS}\n")).unwrap();
    std::fs::write(d.join("wrong.pass"), "not-the-password\n").unwrap();
    // api: as a user of this Kea configures it (agent, or direct: kea-dhcp4's own HTTP
    // socket, Kea 3.0).
    let api = kea_ok.dist.api.as_str();
    let server = |name: &str, port: u16, pw: &str, region: &str| {
        format!(
            "\n[[server]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/\"\napi = \"{api}\"\n\
             user = \"{USER}\"\npassword_file = \"{pw}\"\n\
             fields = {{ region = \"{region}\", site = \"s-{name}\" }}\n"
        )
    };
    let cfg_path = write_config(
        d,
        &[
            server("kea-ok", 21400, "right.pass", "eu"),
            server("kea-nodaemon", 21402, "right.pass", "eu"),
            server("kea-noca", 21404, "right.pass", "us"),
            server("kea-badpw", 21406, "wrong.pass", "us"),
            server("kea-hung", 21408, "right.pass", "ap"),
        ]
        .concat(),
    );
    let cfg = ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    let thresholds = cfg.thresholds();
    let session = Session::new(cfg);
    let rt = rt();

    // Library: each server its own state, the running one complete.
    let rows = rt.block_on(fleet::status_all(&session, 32));
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "kea-ok",
            "kea-nodaemon",
            "kea-noca",
            "kea-badpw",
            "kea-hung"
        ],
        "config order"
    );
    assert_eq!(rows[4].state, ServiceState::Timeout, "{:?}", rows[4]);
    hung.resume_ca();
    let rows = rows[..4].to_vec();
    let states: Vec<ServiceState> = rows.iter().map(|r| r.state).collect();
    assert_eq!(
        states,
        [
            ServiceState::Running,
            stopped,
            ServiceState::Unreachable,
            ServiceState::AuthFailed
        ],
        "{rows:#?}"
    );
    let ok = &rows[0];
    let version = ddish::lab::KeaDist::from_env().unwrap().version().unwrap();
    assert_eq!(ok.version.as_deref(), Some(version.as_str()));
    assert_eq!(ok.scopes, Some(2));
    assert!(ok.uptime.is_some_and(|u| u >= 0));
    assert_eq!(ok.utilization.map(|u| u.used), Some(9));
    assert_eq!(ok.last_good, Some(ok.checked_at));
    for r in &rows[1..] {
        assert!(
            r.error.as_deref().is_some_and(|e| e.contains(&r.name)),
            "{r:?}"
        );
        assert!(r.last_good.is_none() && r.version.is_none());
        assert!(!r.error.as_deref().unwrap().contains(PASS));
    }

    // Alerts: the 90 % scope first (over), then the empty one (under).
    let alerts = fleet::utilization_alerts(&rows, &thresholds);
    let got: Vec<(String, UtilBand)> = alerts
        .iter()
        .map(|a| (a.scope.to_string(), a.band))
        .collect();
    assert_eq!(
        got,
        [
            ("10.20.0.0/24".to_string(), UtilBand::Over),
            ("10.21.0.0/24".to_string(), UtilBand::Under)
        ]
    );
    assert_eq!(alerts[0].server, "kea-ok");

    // Search by a lease's MAC and by a reservation's hostname.
    let term = Term::parse("AA-BB-CC-00-00-12").unwrap();
    let res = rt.block_on(search::search_all(&session, &term, 8, true));
    let hit = res
        .hits
        .iter()
        .find(|h| h.matched == "lease mac")
        .unwrap_or_else(|| panic!("{res:#?}"));
    assert_eq!(hit.server, "kea-ok");
    assert_eq!(hit.ip, Some("10.20.0.12".parse().unwrap()));
    assert_eq!(hit.scope, Some("10.20.0.0/24".parse().unwrap()));
    assert_eq!(hit.state, "assigned");
    assert_eq!(res.errors.len(), 3, "the three failing servers: {res:#?}");
    let res = rt.block_on(search::search_all(
        &session,
        &Term::parse("printer-hq").unwrap(),
        8,
        true,
    ));
    let hit = res
        .hits
        .iter()
        .find(|h| h.matched == "reservation hostname")
        .unwrap_or_else(|| panic!("{res:#?}"));
    assert_eq!(hit.ip, Some("10.20.0.5".parse().unwrap()));
    assert_eq!(hit.state, "reserved");
    let res = rt.block_on(search::search_all(
        &session,
        &Term::parse("10.20.0.14").unwrap(),
        8,
        true,
    ));
    assert!(
        res.hits
            .iter()
            .any(|h| h.matched == "lease ip" && h.detail.contains("aa:bb:cc:00:00:14")),
        "{res:#?}"
    );

    // The CLI: JSON with every state, exit 2 because some fail.
    let c = cfg_path.to_str().unwrap();
    let o = common::run(&[
        "-c",
        c,
        "status",
        "--json",
        "--alerts",
        "--server",
        "kea-ok",
        "--server",
        "kea-nodaemon",
        "--server",
        "kea-noca",
        "--server",
        "kea-badpw",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let st: Vec<&str> = v["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        st,
        ["running", stopped.label(), "unreachable", "auth failed"]
    );
    assert_eq!(v["alerts"][0]["scope"], "10.20.0.0/24");
    assert_eq!(v["alerts"][0]["band"], "over");
    assert!(!stdout(&o).contains(PASS));
    // Grouped by region: two groups with their servers.
    let o = common::run(&["-c", c, "status", "--group", "region"]);
    let out = stdout(&o);
    assert!(out.contains("== region=eu (2 servers, 1 failing)"), "{out}");
    assert!(out.contains("== region=us (2 servers, 2 failing)"), "{out}");
    // Filtered to the running server only: all fine, exit 0.
    let o = common::run(&["-c", c, "status", "--group", "site=s-kea-ok"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("kea-ok") && !stdout(&o).contains("kea-badpw"));
    // find through the binary.
    let o = common::run(&["-c", c, "find", "aa:bb:cc:00:00:12"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("10.20.0.12"), "{}", stdout(&o));
    let o = common::run(&["-c", c, "find", "printer-hq", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["ip"] == "10.20.0.5" && h["matched"] == "reservation hostname"));
    let o = common::run(&["-c", c, "find", "no-such-host"]);
    assert_ne!(o.status.code(), Some(0));
}

fn zone_text(origin: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n$TTL 300\n@ IN SOA ns1.fleet.test. hostmaster.fleet.test. ( 1 3600 600 86400 300 )\n  \
         IN NS ns1.fleet.test.\n"
    )
}

#[test]
fn zone_health_names_the_lagging_and_the_down_server() {
    const FWD: &str = "fleet.test";
    const REV: &str = "0.20.10.in-addr.arpa";
    let dir = common::shared_dir("ddish-fleet-");
    let d = dir.path();
    let fwd = format!("{}ns1 IN A 127.0.0.1\n", zone_text(FWD));
    let rev = zone_text(REV);
    let primary = DnsInstance::start(&d.join("ns1"), 21450, &[(FWD, &fwd), (REV, &rev)])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut secondary = DnsInstance::start_secondary(&d.join("ns2"), 21451, &primary)
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = d.join("key.secret");
    std::fs::write(&secret, format!("{}\n", primary.secret_b64)).unwrap();
    let zone = |z: &str| {
        format!(
            "\n[[dns.zone]]\nname = \"{z}\"\nprimary = \"127.0.0.1:21450\"\nkey_name = \"{}\"\n\
             algorithm = \"hmac-sha256\"\nsecret_file = \"{}\"\n",
            primary.key_name,
            secret.display()
        )
    };
    let cfg_path = write_config(
        d,
        &format!(
            "\n[[dns.server]]\nname = \"ns1\"\naddr = \"127.0.0.1:21450\"\n\
             \n[[dns.server]]\nname = \"ns2\"\naddr = \"127.0.0.1:21451\"\n{}{}",
            zone(FWD),
            zone(REV)
        ),
    );
    let cfg = ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    let rt = rt();

    let all = rt.block_on(zones::zones_health(&cfg, 8));
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].zone.as_str(), all[0].kind),
        (FWD, ZoneKind::Forward)
    );
    assert_eq!(
        (all[1].zone.as_str(), all[1].kind),
        (REV, ZoneKind::Ipv4Reverse)
    );
    for z in &all {
        assert_eq!(z.status, ZoneStatus::Ok, "{z:#?}");
        assert_eq!(z.servers.len(), 2);
        assert!(z
            .servers
            .iter()
            .all(|s| s.authoritative && s.serial == Some(1)));
        assert!(z.servers[0].primary && !z.servers[1].primary);
        // ns1 is in the config and the zone's NS record; ns2 only in the config.
        assert_eq!(z.ns, ["ns1.fleet.test"], "{z:#?}");
        assert_eq!(z.servers[0].source_label(), "config+NS");
        assert_eq!(z.servers[1].source_label(), "config");
        assert!(z.ns_problems.is_empty(), "{z:#?}");
    }
    let dns = rt.block_on(fleet::dns_status_all(&cfg, 8));
    assert!(
        dns.iter().all(|s| s.answering && s.rtt_ms.is_some()),
        "{dns:#?}"
    );

    // An update on the primary; without NOTIFY the secondary stays behind.
    let out = rt
        .block_on(ddish::dns::add_record(
            &cfg.dns,
            &ddish::dns::RecordRequest {
                zone: FWD.into(),
                hostname: "new-host".into(),
                ip: "10.20.0.77".parse().unwrap(),
                ttl: 300,
                ptr: false,
                comment: None,
            },
            Duration::from_secs(3),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.all_done(), "{out:?}");
    let fwd_health = rt.block_on(zones::zone_health(
        &cfg,
        &cfg.dns.zones[0],
        Duration::from_secs(3),
    ));
    assert_eq!(
        fwd_health.status,
        ZoneStatus::SerialsDiffer {
            lagging: vec!["ns2".into()]
        },
        "{fwd_health:#?}"
    );
    assert!(fwd_health.status.to_string().contains("ns2"));
    // The reverse zone did not change: still OK.
    let rev_health = rt.block_on(zones::zone_health(
        &cfg,
        &cfg.dns.zones[1],
        Duration::from_secs(3),
    ));
    assert_eq!(rev_health.status, ZoneStatus::Ok);

    // The new record is found by name in DNS.
    let (hits, errors) = rt.block_on(search::search_dns(
        &cfg,
        &Term::parse("new-host").unwrap(),
        Duration::from_secs(3),
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        hits.iter().any(|h| h.matched == "DNS A"
                && h.ip == Some("10.20.0.77".parse().unwrap())
                // Named as the config names the primary, not by its address.
                && h.server == "ns1"),
        "{hits:?}"
    );

    // The CLI says the same, exit 2.
    let c = cfg_path.to_str().unwrap();
    let o = common::run(&["-c", c, "zones", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v[0]["status"], "serials differ");
    assert_eq!(v[0]["lagging"], json!(["ns2"]));
    assert_eq!(v[1]["status"], "OK");

    // `ddish status` covers the DNS servers: both answer.
    let o = common::run(&["-c", c, "status", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["dns"][0]["answering"], true);
    assert_eq!(v["dns"][1]["answering"], true);

    // An address's PTR is found by the address.
    let out = rt
        .block_on(ddish::dns::add_record(
            &cfg.dns,
            &ddish::dns::RecordRequest {
                zone: FWD.into(),
                hostname: "ptr-host".into(),
                ip: "10.20.0.78".parse().unwrap(),
                ttl: 300,
                ptr: true,
                comment: None,
            },
            Duration::from_secs(3),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.all_done(), "{out:?}");
    let (hits, errors) = rt.block_on(search::search_dns(
        &cfg,
        &Term::parse("10.20.0.78").unwrap(),
        Duration::from_secs(3),
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        hits.iter()
            .any(|h| h.matched == "DNS PTR" && h.detail.ends_with("PTR ptr-host.fleet.test")),
        "{hits:?}"
    );

    // The zone's records by AXFR, with the key from the config.
    let o = common::run(&["-c", c, "zones", "--records", FWD]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("new-host.fleet.test ") && l.contains("10.20.0.77")),
        "{}",
        stdout(&o)
    );
    let o = common::run(&["-c", c, "zones", "--records", "nope.test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no zone 'nope.test'"));

    // Stop the secondary: some servers down, naming it.
    secondary.stop();
    let all = rt.block_on(zones::zones_health(&cfg, 8));
    for z in &all {
        assert_eq!(
            z.status,
            ZoneStatus::SomeDown {
                down: vec!["ns2".into()]
            },
            "{z:#?}"
        );
    }
    let o = common::run(&["-c", c, "zones"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("fleet.test (forward): some servers down (ns2)"),
        "{}",
        stdout(&o)
    );
    let dns = rt.block_on(fleet::dns_status_all(&cfg, 8));
    assert!(dns[0].answering && !dns[1].answering, "{dns:#?}");
    assert_eq!(common::run(&["-c", c, "status"]).status.code(), Some(2));
}

/// The zone's NS records add servers: one the config also lists (matched by name), and one
/// only the NS record names, at a loopback address where nothing answers.
#[test]
fn zone_servers_come_from_config_and_ns_records() {
    const Z: &str = "ns.fleet.test";
    let dir = common::shared_dir("ddish-fleet-");
    let d = dir.path();
    // NETWORK RULE: every NS name resolves to a loopback address.
    let body = format!(
        "$ORIGIN {Z}.\n$TTL 300\n@ IN SOA ns1.{Z}. hostmaster.{Z}. ( 7 3600 600 86400 300 )\n  \
         IN NS ns1.{Z}.\n  IN NS ns2.{Z}.\n  IN NS ns3.{Z}.\n\
         ns1 IN A 127.0.0.1\nns2 IN A 127.0.0.1\nns3 IN A 127.0.0.3\n"
    );
    let primary =
        DnsInstance::start(&d.join("p"), 21452, &[(Z, &body)]).unwrap_or_else(|e| panic!("{e}"));
    let _secondary = DnsInstance::start_secondary(&d.join("s"), 21453, &primary)
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg_path = write_config(
        d,
        &format!(
            "\n[[dns.server]]\nname = \"ns1\"\naddr = \"127.0.0.1:21452\"\n\
             \n[[dns.server]]\nname = \"ns2\"\naddr = \"127.0.0.1:21453\"\n\
             \n[[dns.zone]]\nname = \"{Z}\"\nprimary = \"ns1\"\n"
        ),
    );
    let cfg = ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    let z = rt().block_on(zones::zone_health(
        &cfg,
        &cfg.dns.zones[0],
        Duration::from_secs(2),
    ));
    assert_eq!(
        z.ns,
        [format!("ns1.{Z}"), format!("ns2.{Z}"), format!("ns3.{Z}")]
    );
    let got: Vec<(String, String, &str, bool, Option<u32>)> = z
        .servers
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.addr.to_string(),
                s.source_label(),
                s.authoritative,
                s.serial,
            )
        })
        .collect();
    let want = vec![
        (
            "ns1".to_string(),
            "127.0.0.1:21452".to_string(),
            "config+NS",
            true,
            Some(7),
        ),
        (
            "ns2".to_string(),
            "127.0.0.1:21453".to_string(),
            "config+NS",
            true,
            Some(7),
        ),
        // Only in NS: its address with the primary's port; nothing listens there.
        (
            format!("ns3.{Z}"),
            "127.0.0.3:21452".to_string(),
            "NS",
            false,
            None,
        ),
    ];
    assert_eq!(got, want, "{z:#?}");
    assert!(z.servers[0].primary && !z.servers[1].primary && !z.servers[2].primary);
    assert_eq!(
        z.servers[2].ns_name.as_deref(),
        Some(format!("ns3.{Z}").as_str())
    );
    assert!(!z.servers[2].reachable);
    assert_eq!(
        z.status,
        ZoneStatus::SomeDown {
            down: vec![format!("ns3.{Z}")]
        }
    );
    // The CLI shows where each server came from.
    let o = common::run(&["-c", cfg_path.to_str().unwrap(), "zones", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let sources: Vec<&str> = v[0]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["config+NS", "config+NS", "NS"]);
    assert_eq!(v[0]["ns"].as_array().unwrap().len(), 3);
}

/// A refresh reuses the server's configuration until it reloads one (config-set behind
/// ddish's back) or restarts: the scopes shown are always the server's.
#[test]
fn status_refresh_reuses_the_config_until_the_server_reloads() {
    let dir = common::shared_dir("ddish-fleet-");
    let d = dir.path();
    let mut k = kea(d, "kea-cache", 21410);
    std::fs::write(d.join("right.pass"), format!("{PASS}\n")).unwrap();
    let cfg_path = write_config(
        d,
        &format!(
            "\n[[server]]\nname = \"kea-cache\"\nurl = \"{}\"\napi = \"{}\"\nuser = \"{USER}\"\n\
             password_file = \"right.pass\"\n",
            k.ca_url,
            k.dist.api.as_str()
        ),
    );
    let session = Session::new(ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}")));
    let rt = rt();
    let limit = Duration::from_secs(5);
    let status = |rt: &tokio::runtime::Runtime| {
        let (s, digest) = rt.block_on(fleet::server_status_digest(&session, "kea-cache", limit));
        assert_eq!(s.state, ServiceState::Running, "{s:?}");
        (
            s.scopes.unwrap(),
            digest.unwrap(),
            s.utilization.unwrap().used,
        )
    };
    // A configuration is reused only once it is 3 s old.
    std::thread::sleep(Duration::from_millis(3500));
    let first = status(&rt);
    assert_eq!((first.0, first.2), (2, 9));
    assert!(StatusCache::holds(&k.ca_url), "the configuration is kept");
    assert_eq!(
        status(&rt),
        first,
        "the same answer from the kept configuration"
    );

    // A subnet added through Kea's API: the next refresh shows it.
    let got = k
        .command("config-get", None)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut args = got["arguments"].clone();
    args["Dhcp4"]["subnet4"].as_array_mut().unwrap().push(
        json!({"id": 3, "subnet": "10.22.0.0/24", "pools": [{"pool": "10.22.0.10 - 10.22.0.20"}]}),
    );
    let r = k.config_set(args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["result"], 0, "{r}");
    let after = status(&rt);
    assert_eq!(after.0, 3, "the new subnet is seen");
    assert_ne!(after.1, first.1, "another digest");

    // A restart reloads the file (without that subnet, never written): seen at once.
    k.stop_dhcp();
    k.start_dhcp().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status(&rt).0, 2);
}
