//! The `ddish` binary against real Kea 2.2 and BIND on loopback: `check`, `export`,
//! `lab up/down`, and each kind of failing server with its own message (free ports).
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ddish::lab::{self, minimal_dhcp4, KeaInstance};
use serde_json::json;

mod common;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// CSV rows as maps from header to value.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn check_and_export_on_the_lab() {
    let dir = common::kea_dir("ddish-cli-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.to_str().unwrap().to_string();

    let o = common::run(&["--config", &cfg, "check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("SERVER"), "{out}");
    for name in ["kea-1", "kea-2"] {
        let line = out.lines().find(|l| l.starts_with(name)).expect(name);
        assert!(
            line.contains(" yes ") && line.contains(&lab.info.kea_version),
            "{line}"
        );
    }

    // Scopes: every required column, the missing scope, counts that add up.
    let o = common::run(&[
        "-c", &cfg, "export", "--what", "scopes", "--server", "kea-1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text.lines().next().unwrap();
    for col in [
        "server",
        "cidr",
        "start",
        "end",
        "status",
        "total",
        "available",
        "assigned",
        "reserved",
        "excluded",
        "held",
        "utilization_pct",
        "title",
        "description",
    ] {
        assert!(
            header.split(',').any(|h| h == col),
            "missing column {col}: {header}"
        );
    }
    let rows = csv_rows(&text);
    let hq = rows
        .iter()
        .find(|r| r["cidr"] == "10.10.0.0/24")
        .expect("HQ scope");
    assert_eq!(hq["status"], "Active");
    assert_eq!(
        (hq["start"].as_str(), hq["end"].as_str()),
        ("10.10.0.10", "10.10.0.199")
    );
    assert_eq!(hq["title"], "HQ clients");
    let n = |k: &str| {
        hq[k]
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{k}: {}", hq[k]))
    };
    assert_eq!(n("total"), 190);
    assert_eq!(
        n("total"),
        [
            "available",
            "assigned",
            "claimed",
            "held",
            "reserved",
            "excluded",
            "declined",
            "expired"
        ]
        .iter()
        .map(|k| n(k))
        .sum::<u64>()
    );
    assert!(n("held") >= 1 && n("claimed") >= 1 && n("reserved") >= 1 && n("excluded") >= 1);
    let missing = rows
        .iter()
        .find(|r| r["cidr"] == "10.10.99.0/24")
        .expect("missing scope");
    assert_eq!(missing["status"], "Inactive (not on server)");
    assert_eq!(missing["utilization_pct"], "");
    let inactive = rows
        .iter()
        .find(|r| r["cidr"] == "10.30.0.0/26")
        .expect("inactive");
    assert_eq!(inactive["status"], "Inactive");
    let shared = rows
        .iter()
        .find(|r| r["cidr"] == "10.20.0.0/24")
        .expect("shared");
    assert_eq!(shared["shared_network"], "floor2");

    // Networks: the container and its networks.
    let o = common::run(&["-c", &cfg, "export", "--what", "networks"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let nets = csv_rows(&stdout(&o));
    assert!(nets
        .iter()
        .any(|r| r["server"] == "kea-2" && r["kind"] == "Container" && r["cidr"] == "10.0.0.0/8"));
    assert!(nets.iter().any(|r| r["kind"] == "Network"
        && r["cidr"] == "10.10.0.0/16"
        && r["parent"] == "10.0.0.0/8"));

    // IPs to a file: each state where the sample data put it.
    let file = dir.path().join("ips.csv");
    let o = common::run(&[
        "-c",
        &cfg,
        "export",
        "--what",
        "ips",
        "--server",
        "kea-1",
        "--scope",
        "10.10.0.0/24",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let ips = csv_rows(&std::fs::read_to_string(&file).unwrap());
    let ip = |a: &str| {
        ips.iter()
            .find(|r| r["ip"] == a)
            .unwrap_or_else(|| panic!("{a}"))
    };
    assert_eq!(ip("10.10.0.10")["state"], "Reserved");
    assert_eq!(ip("10.10.0.10")["hostname"], "printer1");
    assert_eq!(ip("10.10.0.10")["mac"], "aa:bb:cc:00:00:01");
    assert_eq!(ip("10.10.0.120")["state"], "Held");
    assert_eq!(ip("10.10.0.121")["state"], "Claimed");
    assert_eq!(ip("10.10.0.150")["state"], "Declined");
    assert_eq!(ip("10.10.0.140")["state"], "Excluded");
    assert_eq!(ips.len(), 190, "one row per address of the range");
    // A scope on both HA peers needs --server.
    let o = common::run(&[
        "-c",
        &cfg,
        "export",
        "--what",
        "ips",
        "--scope",
        "10.10.0.0/24",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--server"), "{}", stderr(&o));
    // ips without --scope, an unknown server: refused with a reason.
    let o = common::run(&["-c", &cfg, "export", "--what", "ips"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("--scope"), "{}", stderr(&o));
    let o = common::run(&["-c", &cfg, "export", "--what", "scopes", "--server", "nope"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("kea-1"), "{}", stderr(&o));
    // The password never shows in any output.
    let pw = lab.info.password().expect("lab has auth");
    for out in [text, std::fs::read_to_string(&file).unwrap()] {
        assert!(!out.contains(&pw));
    }
}

fn write_config(dir: &Path, servers: &str) -> String {
    let p = dir.join("ddish.toml");
    std::fs::write(
        &p,
        format!("[settings]\nrequest_timeout = 2\njournal = \"journal.jsonl\"\n{servers}"),
    )
    .unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn each_failing_server_has_its_own_message() {
    let dir = common::kea_dir("ddish-cli-");
    let subnets = json!([
        {"id": 7, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.50"}]},
        {"id": 8, "subnet": "198.51.100.0/24", "pools": [{"pool": "198.51.100.10 - 198.51.100.20"}]}
    ]);
    let [p_plain, p_authed, p_offline, p_hung] = [0; 4].map(|_| common::ports(2));
    let p_down = common::ports(1);
    // A plain Kea: no ddish marks at all.
    let plain = KeaInstance::start(
        &dir.path().join("plain"),
        "plain",
        p_plain,
        p_plain + 1,
        minimal_dhcp4(subnets.clone()),
        None,
        None,
    )
    .expect("plain kea");
    // One with auth (the config will carry a wrong password).
    let authed = KeaInstance::start(
        &dir.path().join("authed"),
        "authed",
        p_authed,
        p_authed + 1,
        minimal_dhcp4(subnets.clone()),
        Some(("ddish", "right-password")),
        None,
    )
    .expect("authed kea");
    // One whose kea-dhcp4 is stopped behind a live Control Agent.
    let mut offline = KeaInstance::start(
        &dir.path().join("offline"),
        "offline",
        p_offline,
        p_offline + 1,
        minimal_dhcp4(subnets.clone()),
        None,
        None,
    )
    .expect("offline kea");
    offline.stop_dhcp();
    // One whose Control Agent hangs (SIGSTOP): requests time out.
    let hung = KeaInstance::start(
        &dir.path().join("hung"),
        "hung",
        p_hung,
        p_hung + 1,
        minimal_dhcp4(subnets),
        None,
        None,
    )
    .expect("hung kea");
    hung.pause_ca();
    std::fs::write(dir.path().join("wrong.pass"), "wrong-password\n").unwrap();

    let cfg = write_config(
        dir.path(),
        &format!(
            r#"
[[server]]
name = "plain"
url = "http://127.0.0.1:{p_plain}/"
[[server]]
name = "authed"
url = "http://127.0.0.1:{p_authed}/"
user = "ddish"
password_file = "wrong.pass"
[[server]]
name = "offline"
url = "http://127.0.0.1:{p_offline}/"
[[server]]
name = "hung"
url = "http://127.0.0.1:{p_hung}/"
[[server]]
name = "down"
url = "http://127.0.0.1:{p_down}/"
"#
        ),
    );
    let o = common::run(&["-c", &cfg, "check"]);
    hung.resume_ca();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{}", stderr(&o));
    let line = |n: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("no line for {n}: {out}"))
            .to_string()
    };
    let plain_line = line("plain");
    let version = ddish::lab::KeaDist::from_env().unwrap().version().unwrap();
    assert!(
        plain_line.contains(" yes ") && plain_line.contains(&version),
        "{plain_line}"
    );
    assert!(
        plain_line.split_whitespace().any(|w| w == "2"),
        "2 scopes: {plain_line}"
    );
    let auth = line("authed");
    assert!(
        auth.contains("authentication failed") && auth.contains("authed"),
        "{auth}"
    );
    let off = line("offline");
    assert!(
        off.to_lowercase().contains("offline") || off.contains("not running"),
        "{off}"
    );
    let h = line("hung");
    assert!(h.contains("timed out") || h.contains("timeout"), "{h}");
    let d = line("down");
    assert!(d.contains("refused") || d.contains("not running"), "{d}");
    // Each failure its own message.
    let msgs: std::collections::BTreeSet<String> = ["authed", "offline", "hung", "down"]
        .iter()
        .map(|n| {
            line(n)
                .split_whitespace()
                .skip(5)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(msgs.len(), 4, "{out}");
    assert!(!out.contains("wrong-password") && !out.contains("right-password"));

    // The plain server's subnets come out ungrouped, each with its counters.
    let o = common::run(&[
        "-c", &cfg, "export", "--what", "scopes", "--server", "plain",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&stdout(&o));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["cidr"], "192.0.2.0/24");
    assert_eq!(rows[0]["total"], "41");
    assert_eq!(rows[0]["available"], "41");
    // A failing server makes export fail with its message, not a partial file.
    let o = common::run(&[
        "-c", &cfg, "export", "--what", "networks", "--server", "authed",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("authentication failed"),
        "{}",
        stderr(&o)
    );
    drop((plain, authed, offline, hung));
}

#[test]
fn bad_config_exits_1_with_file_and_line() {
    let dir = common::kea_dir("ddish-cli-");
    let cfg = write_config(
        dir.path(),
        "[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1:20420/\"\npasword_file = \"x\"\n",
    );
    for args in [
        vec!["-c", cfg.as_str(), "check"],
        vec!["-c", cfg.as_str(), "export", "--what", "servers"],
    ] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o);
        assert!(e.contains("ddish.toml:7"), "{e}");
        assert!(e.contains("password_file"), "{e}");
    }
    let o = common::run(&["-c", "/nonexistent/ddish.toml", "check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/ddish.toml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lab_up_and_down_from_the_cli() {
    let dir = common::kea_dir("ddish-cli-");
    let d = dir.path().to_str().unwrap();
    let base = common::ports(5).to_string();
    let o = common::run(&["lab", "up", "--dir", d, "--port-base", &base]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = stdout(&o).trim().to_string();
    assert_eq!(path, dir.path().join("ddish.toml").to_str().unwrap());
    // A second up on the same dir is refused while the first runs.
    let other = common::ports(5).to_string();
    let again = common::run(&["lab", "up", "--dir", d, "--port-base", &other]);
    assert_ne!(again.status.code(), Some(0));
    let pids: Vec<u32> = std::fs::read_to_string(dir.path().join("run/pids"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect();
    // 2 kea-dhcp4, 2 agents (none with the direct API), named.
    let direct = ddish::lab::KeaDist::from_env().unwrap().api == ddish::lab::LabApi::Direct;
    assert_eq!(pids.len(), if direct { 3 } else { 5 });
    let o = common::run(&["--config", &path, "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = common::run(&["lab", "down", "--dir", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o)
            .lines()
            .filter(|l| l.starts_with("stopped"))
            .count(),
        if direct { 3 } else { 5 }
    );
    std::thread::sleep(Duration::from_millis(200));
    for p in pids {
        assert!(!lab::pid_alive(p), "pid {p} still alive after lab down");
    }
}
