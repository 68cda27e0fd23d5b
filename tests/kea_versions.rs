//! Issue 10 on whichever Kea the lab runs (the system's, or DDISH_KEA_ROOT / DDISH_KEA_API:
//! scripts/test.sh runs this file on 2.2, 2.6 and 3.0, agent and direct): `ddish check`
//! names the version and the write path; reservations take host_cmds where Kea has them
//! (no reload, persisted across a daemon restart) and the config edit elsewhere; a failing
//! HA peer leaves neither changed; a global reservation is Reserved and never handed out; a
//! config changed behind ddish's back stops the write.
use std::net::Ipv4Addr;
use std::time::Duration;

use ddish::lab::{HaMode, KeaInstance, Lab, LabOptions};
use serde_json::{json, Value};

mod common;
use common::{cmd, ddish, ok};

/// The subnet `id` as the server holds it now.
fn subnet(k: &KeaInstance, id: u64) -> Value {
    let r = cmd(k, "config-get", None);
    let d = &r["arguments"]["Dhcp4"];
    let mut all: Vec<Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
    }
    all.into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("subnet {id} on {}", k.name))
}

fn reserved_mac(k: &KeaInstance, id: u64, ip: &str) -> Option<String> {
    subnet(k, id)["reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["ip-address"] == ip)
        .and_then(|r| r["hw-address"].as_str().map(str::to_ascii_lowercase))
}

/// Changes a server's config through Kea's own API, as another tool would.
fn config_set_behind(k: &KeaInstance, edit: impl FnOnce(&mut Value)) {
    let mut cfg = cmd(k, "config-get", None)["arguments"].clone();
    edit(&mut cfg);
    let r = k.config_set(cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["result"], 0, "config-set behind ddish's back: {r}");
}

fn reload_secs(k: &KeaInstance) -> i64 {
    cmd(k, "status-get", None)["arguments"]["reload"]
        .as_i64()
        .expect("status-get reload")
}

#[test]
fn writes_on_this_kea_version() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-kv-")
        .tempdir_in("/tmp")
        .unwrap();
    let mut lab = Lab::start(&LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    })
    .expect("lab starts");
    lab.wait_ha(Duration::from_secs(60)).expect("HA pair up");
    let cfg = lab.info.config_path.clone();
    let version = lab.info.kea_version.clone();
    let commands: Vec<String> =
        serde_json::from_value(cmd(&lab.kea[0], "list-commands", None)["arguments"].clone())
            .unwrap();
    let host_cmds = commands.iter().any(|c| c == "reservation-add");
    eprintln!(
        "Kea {version} via {:?}, host_cmds: {host_cmds}",
        lab.info.api
    );

    // --- check: the version and the write path ---
    let check = ok(&ddish(&cfg, &["check"]));
    assert!(check.contains("WRITES"), "{check}");
    for line in check.lines().skip(1) {
        assert!(line.contains(&version), "{line}");
        if host_cmds {
            assert!(line.contains("commands (reservations"), "{line}");
        } else {
            assert!(
                line.contains("config edit") && !line.contains("commands"),
                "{line}"
            );
        }
    }

    // --- a reservation on both peers; on host_cmds without a reload ---
    let ip = "10.10.0.190";
    let before: Vec<i64> = lab.kea.iter().map(reload_secs).collect();
    std::thread::sleep(Duration::from_millis(1100));
    ok(&ddish(
        &cfg,
        &[
            "ip",
            "reserve",
            ip,
            "--mac",
            "02:00:00:00:01:90",
            "--hostname",
            "kv190",
            "-y",
        ],
    ));
    for (i, k) in lab.kea.iter().enumerate() {
        assert_eq!(
            reserved_mac(k, 1, ip).as_deref(),
            Some("02:00:00:00:01:90"),
            "{}",
            k.name
        );
        let after = reload_secs(k);
        if host_cmds {
            // "reload" is seconds since the last config load: it kept counting.
            assert!(
                after > before[i],
                "{}: reload {} -> {after}",
                k.name,
                before[i]
            );
        } else {
            assert!(after < before[i] + 1, "{}: config-set reloads", k.name);
        }
    }
    let show = ok(&ddish(&cfg, &["ip", "show", ip]));
    assert!(show.contains("state        Reserved"), "{show}");
    // Edited in place (same MAC: reservation-update on host_cmds), then for a new MAC.
    ok(&ddish(
        &cfg,
        &[
            "ip",
            "reserve",
            ip,
            "--mac",
            "02:00:00:00:01:90",
            "--hostname",
            "kv190b",
            "-y",
        ],
    ));
    ok(&ddish(
        &cfg,
        &["ip", "reserve", ip, "--mac", "02:00:00:00:01:91", "-y"],
    ));
    for k in &lab.kea {
        assert_eq!(reserved_mac(k, 1, ip).as_deref(), Some("02:00:00:00:01:91"));
    }
    // config-write was done: a restarted daemon still has it.
    lab.kea[0].stop_dhcp();
    lab.kea[0].start_dhcp().expect("kea-1 restarts");
    assert_eq!(
        reserved_mac(&lab.kea[0], 1, ip).as_deref(),
        Some("02:00:00:00:01:91"),
        "the reservation survives a restart"
    );
    lab.wait_ha(Duration::from_secs(60)).expect("HA pair back");

    // --- a peer that refuses leaves neither changed ---
    // kea-2 alone gets a reservation for the MAC ddish is about to use: Kea refuses the
    // duplicate identifier there (host_cmds' reservation-add, or config-test).
    let dup = "02:00:00:00:01:92";
    config_set_behind(&lab.kea[1], |c| {
        let subs = c["Dhcp4"]["subnet4"].as_array_mut().unwrap();
        let s = subs.iter_mut().find(|s| s["id"] == 1).unwrap();
        s["reservations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"ip-address": "10.10.0.192", "hw-address": dup}));
    });
    let r = ddish(&cfg, &["ip", "reserve", "10.10.0.191", "--mac", dup, "-y"]);
    assert_ne!(r.status.code(), Some(0));
    let e = String::from_utf8_lossy(&r.stderr);
    assert!(e.contains("kea-2"), "{e}");
    assert_eq!(reserved_mac(&lab.kea[0], 1, "10.10.0.191"), None, "{e}");
    assert_eq!(reserved_mac(&lab.kea[1], 1, "10.10.0.191"), None, "{e}");
    config_set_behind(&lab.kea[1], |c| {
        let subs = c["Dhcp4"]["subnet4"].as_array_mut().unwrap();
        let s = subs.iter_mut().find(|s| s["id"] == 1).unwrap();
        s["reservations"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["hw-address"] != dup);
    });

    // --- unreserve on both peers ---
    ok(&ddish(&cfg, &["ip", "unreserve", ip, "-y"]));
    for k in &lab.kea {
        assert_eq!(reserved_mac(k, 1, ip), None, "{}", k.name);
    }

    // --- a global reservation is Reserved and never handed out ---
    let first = ok(&ddish(&cfg, &["ip", "next", "--scope", "10.20.0.0/24"]))
        .trim()
        .to_string();
    ok(&ddish(&cfg, &["ip", "release", &first, "-y"]));
    for k in &lab.kea {
        config_set_behind(k, |c| {
            c["Dhcp4"]["reservations"] =
                json!([{"ip-address": first, "hw-address": "02:00:00:00:02:01"}]);
        });
    }
    let show = ok(&ddish(&cfg, &["ip", "show", &first]));
    assert!(show.contains("state        Reserved"), "{show}");
    assert!(show.contains("(global)"), "{show}");
    let next = ok(&ddish(&cfg, &["ip", "next", "--scope", "10.20.0.0/24"]))
        .trim()
        .to_string();
    assert_ne!(next, first, "next-free skipped the global reservation");
    ok(&ddish(&cfg, &["ip", "release", &next, "-y"]));
    let r = ddish(
        &cfg,
        &["ip", "reserve", &first, "--mac", "02:00:00:00:02:02", "-y"],
    );
    assert_ne!(r.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("global reservation"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    ok(&ddish(&cfg, &["ip", "unreserve", &first, "-y"]));
    for k in &lab.kea {
        let g = cmd(k, "config-get", None)["arguments"]["Dhcp4"]["reservations"].clone();
        assert!(
            g.as_array().is_none_or(|l| l.is_empty()),
            "{}: global reservation deleted: {g}",
            k.name
        );
    }

    // --- an exclusion and a deactivation: subnet4-update where subnet_cmds are there ---
    let subnet_cmds = commands.iter().any(|c| c == "subnet4-update");
    let pools_hold = |k: &KeaInstance, ip: &str| -> bool {
        let ip: Ipv4Addr = ip.parse().unwrap();
        subnet(k, 1)["pools"].as_array().unwrap().iter().any(|p| {
            let t = p["pool"].as_str().unwrap().replace(' ', "");
            let (a, b) = t.split_once('-').unwrap();
            (a.parse::<Ipv4Addr>().unwrap()..=b.parse::<Ipv4Addr>().unwrap()).contains(&ip)
        })
    };
    // status-get "reload" is whole seconds since the last config load: a command kept it
    // counting through the write, a config-set set it back below the write's own duration.
    let kept_counting = |before: &[i64], took: Duration, what: &str| {
        for (i, k) in lab.kea.iter().enumerate() {
            let after = reload_secs(k);
            if subnet_cmds {
                assert!(
                    after > before[i],
                    "{} {what}: reload {} -> {after}",
                    k.name,
                    before[i]
                );
            } else {
                assert!(
                    after <= took.as_secs() as i64 + 1,
                    "{} {what}: config-set reloads ({after} s after, the write took {took:?})",
                    k.name
                );
            }
        }
    };
    let before: Vec<i64> = lab.kea.iter().map(reload_secs).collect();
    std::thread::sleep(Duration::from_millis(1100));
    let t0 = std::time::Instant::now();
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.10.0.0/24",
            "10.10.0.120",
            "10.10.0.125",
            "-y",
        ],
    ));
    for k in &lab.kea {
        assert!(!pools_hold(k, "10.10.0.122"), "{}: excluded", k.name);
        assert!(pools_hold(k, "10.10.0.126"), "{}: the rest stays", k.name);
    }
    kept_counting(&before, t0.elapsed(), "exclude");
    let before: Vec<i64> = lab.kea.iter().map(reload_secs).collect();
    std::thread::sleep(Duration::from_millis(1100));
    let t0 = std::time::Instant::now();
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "deactivate",
            "--scope",
            "10.10.0.0/24",
            "--yes",
            "--server",
            "kea-1",
        ],
    ));
    for k in &lab.kea {
        assert!(ddish::kea::has_class(&subnet(k, 1), "never"), "{}", k.name);
    }
    kept_counting(&before, t0.elapsed(), "deactivate");
    // config-write was done: a restarted daemon still has both.
    lab.kea[1].stop_dhcp();
    lab.kea[1].start_dhcp().expect("kea-2 restarts");
    assert!(
        !pools_hold(&lab.kea[1], "10.10.0.122"),
        "exclusion survives a restart"
    );
    assert!(ddish::kea::has_class(&subnet(&lab.kea[1], 1), "never"));
    lab.wait_ha(Duration::from_secs(60)).expect("HA pair back");
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "activate",
            "--scope",
            "10.10.0.0/24",
            "--server",
            "kea-1",
        ],
    ));
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "unexclude",
            "--scope",
            "10.10.0.0/24",
            "10.10.0.120",
            "10.10.0.125",
            "-y",
        ],
    ));
    for k in &lab.kea {
        assert!(
            pools_hold(k, "10.10.0.122"),
            "{}: back in the pools",
            k.name
        );
        assert!(
            ddish::kea::classes_of(&subnet(k, 1)).is_empty(),
            "{}",
            k.name
        );
    }

    // --- a client class created, edited, deleted: class_cmds where they are there ---
    let class_cmds = commands.iter().any(|c| c == "class-update");
    let class_of = |k: &KeaInstance| -> Option<Value> {
        cmd(k, "config-get", None)["arguments"]["Dhcp4"]["client-classes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "kv-phones")
            .cloned()
    };
    let class_step = |args: &[&str], what: &str| {
        let before: Vec<i64> = lab.kea.iter().map(reload_secs).collect();
        std::thread::sleep(Duration::from_millis(1100));
        let t0 = std::time::Instant::now();
        let mut a = vec!["class"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--name", "kv-phones", "--servers", "kea-1,kea-2", "-y"]);
        ok(&ddish(&cfg, &a));
        let took = t0.elapsed();
        for (i, k) in lab.kea.iter().enumerate() {
            let after = reload_secs(k);
            if class_cmds {
                assert!(
                    after > before[i],
                    "{} {what}: reload {} -> {after}",
                    k.name,
                    before[i]
                );
            } else {
                assert!(
                    after <= took.as_secs() as i64 + 1,
                    "{} {what}: config-set",
                    k.name
                );
            }
        }
    };
    class_step(
        &[
            "create",
            "--test",
            "substring(option[60].hex,0,4) == 'SIPP'",
        ],
        "class create",
    );
    for k in &lab.kea {
        let c = class_of(k).unwrap_or_else(|| panic!("{}: class created", k.name));
        assert!(c["test"].as_str().unwrap().contains("SIPP"), "{c}");
    }
    class_step(
        &["edit", "--test", "substring(option[60].hex,0,4) == 'POLY'"],
        "class edit",
    );
    for k in &lab.kea {
        let c = class_of(k).unwrap();
        assert!(
            c["test"].as_str().unwrap().contains("POLY"),
            "{}: {c}",
            k.name
        );
    }
    class_step(&["delete"], "class delete");
    for k in &lab.kea {
        assert_eq!(class_of(k), None, "{}: class deleted", k.name);
    }

    // --- a config changed behind ddish's back between read and write stops the write ---
    let rt = tokio::runtime::Runtime::new().unwrap();
    let session = ddish::ops::Session::new(ddish::config::load(&cfg).unwrap());
    rt.block_on(session.load_server("kea-1")).unwrap();
    config_set_behind(&lab.kea[0], |c| {
        c["Dhcp4"]["valid-lifetime"] = json!(4000);
    });
    let req = ddish::ops::ReservationRequest {
        ident: ddish::ops::Ident::Mac("02:00:00:00:01:93".into()),
        kind: ddish::ops::ReservationType::Dhcp,
        hostname: None,
        description: None,
    };
    let ip193: Ipv4Addr = "10.10.0.193".parse().unwrap();
    match rt.block_on(session.reserve("kea-1", ip193, &req, true)) {
        Err(ddish::ops::OpError::Changed(m)) => {
            assert!(
                m.contains("changed on the server since you loaded it"),
                "{m}"
            )
        }
        other => panic!("expected the write to stop: {other:?}"),
    }
    for k in &lab.kea {
        assert_eq!(reserved_mac(k, 1, "10.10.0.193"), None, "{}", k.name);
    }
    // After a reload the same write goes through.
    rt.block_on(session.load_server("kea-1")).unwrap();
    rt.block_on(session.reserve("kea-1", ip193, &req, true))
        .unwrap();
    for k in &lab.kea {
        assert_eq!(
            reserved_mac(k, 1, "10.10.0.193").as_deref(),
            Some("02:00:00:00:01:93")
        );
    }

    // The same for an exclusion (subnet4-update on subnet_cmds, else the config edit).
    rt.block_on(session.load_server("kea-1")).unwrap();
    config_set_behind(&lab.kea[0], |c| {
        c["Dhcp4"]["valid-lifetime"] = json!(4100);
    });
    let scope = rt.block_on(session.scope_of("kea-1", ip193)).unwrap();
    let (a, b): (Ipv4Addr, Ipv4Addr) = (
        "10.10.0.130".parse().unwrap(),
        "10.10.0.131".parse().unwrap(),
    );
    match rt.block_on(session.exclude("kea-1", &scope, a, b, true)) {
        Err(ddish::ops::OpError::Changed(m)) => {
            assert!(
                m.contains("changed on the server since you loaded it"),
                "{m}"
            )
        }
        other => panic!("expected the exclusion to stop: {other:?}"),
    }
    for k in &lab.kea {
        assert!(pools_hold(k, "10.10.0.130"), "{}: nothing excluded", k.name);
    }
}
