//! `ddish scope sweep` (issue 13 item 5) on a real Kea serving a 127.0.98.0/28 scope: every
//! address of 127.0.0.0/8 answers ping, so each free pool address is a conflict and the
//! leased, reserved and out-of-pool ones are not; the rate is kept; every pinged address
//! goes to the CSV; without ICMP rights the message says how to fix it.
mod common;

use std::net::Ipv4Addr;
use std::time::Instant;

use ddish::lab::{leases_csv, minimal_dhcp4, KeaInstance, SeedLease};
use serde_json::json;

#[test]
fn sweep_finds_the_free_addresses_that_answer_and_keeps_its_rate() {
    let dir = common::shared_dir("ddish-sweep-");
    let d = dir.path();
    let port = common::ports(2);
    let subnets = json!([
        {"id": 1, "subnet": "127.0.98.0/28", "pools": [{"pool": "127.0.98.2 - 127.0.98.12"}],
         "reservations": [{"hw-address": "aa:bb:cc:00:98:05", "ip-address": "127.0.98.5"}]}
    ]);
    let now = ddish::ops::now();
    let leases: Vec<SeedLease> = [3u8, 4]
        .iter()
        .map(|i| {
            SeedLease::new(
                Ipv4Addr::new(127, 0, 98, *i),
                1,
                &format!("aa:bb:cc:00:98:{i:02x}"),
                &format!("lo-{i}"),
                3600,
                60,
                now,
            )
        })
        .collect();
    let kea = KeaInstance::start(
        &d.join("kea"),
        "kea-sw",
        port,
        port + 1,
        minimal_dhcp4(subnets),
        None,
        Some(&leases_csv(&leases)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = d.join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[settings]\njournal = \"{}\"\n[[server]]\nname = \"kea-sw\"\nurl = \"{}\"\n\
             api = \"{}\"\nallow_plain_http = true\n",
            d.join("journal.jsonl").display(),
            kea.ca_url,
            kea.dist.api.as_str()
        ),
    )
    .unwrap();
    let csv = d.join("sweep.csv");

    // Every host address answers: the free pool addresses are conflicts (exit 2), the
    // leased (.3 .4), reserved (.5) and out-of-pool (.1 .13 .14) ones are not.
    let started = Instant::now();
    let o = common::ddish(
        &cfg,
        &[
            "scope",
            "sweep",
            "--scope",
            "127.0.98.0/28",
            "--rate",
            "10",
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    let took = started.elapsed();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", common::text(&o));
    let conflicts: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("answers ping but is free in DHCP"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let want: Vec<String> = [2, 6, 7, 8, 9, 10, 11, 12]
        .iter()
        .map(|i| format!("127.0.98.{i}"))
        .collect();
    assert_eq!(conflicts, want, "{out}");
    assert!(
        out.contains("swept 14 addresses of 127.0.98.0/28 on kea-sw at 10/s")
            && out.contains("14 answer; 8 conflict(s), 0 silent lease(s)"),
        "{out}"
    );
    // 14 pings at 10/s cannot take less than 1.3 s: the rate is kept.
    assert!(took.as_millis() >= 1300, "{took:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("14 of 14 pinged, 14 answer"), "{err}");

    // The CSV: every pinged address, never the network or broadcast address.
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "server,scope,ip,state,answers,rtt_ms,finding");
    assert_eq!(lines.len(), 15, "{text}");
    assert!(lines[1].starts_with("kea-sw,127.0.98.0/28,127.0.98.1,Outside range,true,"));
    assert!(lines
        .iter()
        .any(|l| l.contains(",127.0.98.2,Available,true,") && l.ends_with(",conflict")));
    assert!(lines
        .iter()
        .any(|l| l.contains(",127.0.98.3,Assigned,true,") && l.ends_with(',')));
    assert!(lines
        .iter()
        .any(|l| l.contains(",127.0.98.5,Reserved,true,")));
    assert!(!text.contains("127.0.98.0,") && !text.contains("127.0.98.15,"));

    // Bad input: a rate out of range, a scope that is not there.
    let o = common::ddish(
        &cfg,
        &["scope", "sweep", "--scope", "127.0.98.0/28", "--rate", "0"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    assert!(common::text(&o).contains("give 1 to 1000 pings per second"));
    let o = common::ddish(&cfg, &["scope", "sweep", "--scope", "127.0.97.0/28"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        common::text(&o).contains("127.0.97"),
        "{}",
        common::text(&o)
    );

    // Without ICMP rights (nobody, no CAP_NET_RAW): the fix is named, nothing panics.
    if !common::is_root() {
        eprintln!("skipped the unprivileged half: needs root to drop to nobody");
        return;
    }
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = common::as_nobody(env!("CARGO_BIN_EXE_ddish"))
        .args([
            "-c",
            cfg.to_str().unwrap(),
            "scope",
            "sweep",
            "--scope",
            "127.0.98.0/28",
            "--rate",
            "100",
        ])
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .current_dir("/")
        .output()
        .expect("run setpriv (util-linux)");
    let text = common::text(&out);
    if common::ping_group_covers(common::NOBODY) {
        // This host lets every group ping: the unprivileged path is DGRAM, and works.
        assert_eq!(out.status.code(), Some(2), "{text}");
    } else {
        assert_eq!(out.status.code(), Some(3), "{text}");
        assert!(text.contains("ICMP not permitted"), "{text}");
        assert!(text.contains("sudo setcap cap_net_raw+ep"), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}
