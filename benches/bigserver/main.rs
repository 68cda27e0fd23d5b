//! Big-server benchmark: one real kea-dhcp4 with 10,000 /24 subnets plus a /16 and 1,000,000
//! leases in its memfile, started here for every Kea the machine has (the system's, and
//! Kea 2.6 / 3.0 from `scripts/kea-versions.sh`), and ddish's own commands timed beside
//! Kea's time for the same requests sent with curl. Prints figures; asserts nothing about
//! time. Traffic: loopback only.
//!
//! Run: `cargo bench --bench bigserver` (release). Setups: `DDISH_BIG_SETUPS="system:agent
//! trixie:agent sid:agent sid:direct"` (the default; a root that is not installed is named
//! and skipped), roots under `DDISH_KEA_CACHE` (default /var/cache/ddish-kea). Each setup
//! takes a few minutes (Kea loads 1M leases in 10-30 s, each config-set reloads them).
//! `DDISH_BIG_SERVE=1` starts the first setup's server and keeps it up for measuring by hand
//! (`ddish -v` logs each Kea call with its time); `DDISH_BIG_BIN` runs a copy of the binary.
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use ddish::lab::{write_ddish_toml, DdishToml, KeaDist, KeaInstance, LabApi, TomlServer};

mod data;
mod measure;

use data::*;
use measure::*;

const PORT_BASE: u16 = 19_400;

struct Setup {
    label: String,
    dist: KeaDist,
}

fn setups() -> Vec<Setup> {
    let cache = std::env::var("DDISH_KEA_CACHE").unwrap_or_else(|_| "/var/cache/ddish-kea".into());
    let wanted = std::env::var("DDISH_BIG_SETUPS")
        .unwrap_or_else(|_| "system:agent trixie:agent sid:agent sid:direct".into());
    let mut out = Vec::new();
    for w in wanted.split_whitespace() {
        let (root, api) = w.split_once(':').unwrap_or((w, "agent"));
        let api = LabApi::parse(api).expect("api is agent or direct");
        let root_dir = (root != "system").then(|| PathBuf::from(&cache).join(root));
        if let Some(d) = &root_dir {
            if !d.join(".ddish-ready").exists() {
                println!(
                    "skipped {w}: {} is not installed (scripts/kea-versions.sh {root})",
                    d.display()
                );
                continue;
            }
        }
        match KeaDist::new(root_dir, api) {
            Ok(dist) => {
                let version = dist.version().unwrap_or_else(|_| "?".into());
                out.push(Setup {
                    label: format!("Kea {version} {}", api.as_str()),
                    dist,
                })
            }
            Err(e) => println!("skipped {w}: {e}"),
        }
    }
    out
}

fn run_setup(s: &Setup, index: u16) -> Result<Vec<Row>, String> {
    let dir = tempfile::Builder::new()
        .prefix("ddish-big-")
        .tempdir_in("/tmp")
        .map_err(|e| e.to_string())?;
    let port = PORT_BASE + index * 4;
    let t = Instant::now();
    let csv = big_leases_csv();
    let dhcp4 = big_dhcp4(&s.dist);
    eprintln!(
        "[{}] data made in {:?} ({} MB of leases)",
        s.label,
        t.elapsed(),
        csv.len() >> 20
    );
    let t = Instant::now();
    let kea = KeaInstance::start_on(
        &s.dist,
        &dir.path().join("kea"),
        "big",
        port,
        port + 1,
        dhcp4,
        None,
        Some(&csv),
    )
    .map_err(|e| format!("start: {e}"))?;
    drop(csv);
    kea.wait_lfc_done();
    let mut rows = vec![Row {
        what: "kea-dhcp4 start with 1M leases (until the API answers)".into(),
        time: ms(t.elapsed()),
        note: String::new(),
    }];
    let url = kea.ca_url.clone();
    let cfg = dir.path().join("ddish.toml");
    write_ddish_toml(
        &cfg,
        &DdishToml {
            servers: vec![TomlServer {
                name: "big".into(),
                url: url.clone(),
                user: None,
                password_file: None,
                tags: vec![],
                api: s.dist.api.as_str().into(),
            }],
            dns: None,
            journal: dir.path().join("journal.jsonl"),
            refresh_interval: 30,
            request_timeout: 120,
        },
    )
    .map_err(|e| e.to_string())?;
    if std::env::var_os("DDISH_BIG_SERVE").is_some() {
        // For profiling by hand: the server stays up until this process is stopped.
        println!(
            "serving {}: ddish --config {}   (Ctrl-C stops it)",
            s.label,
            cfg.display()
        );
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let kea_row =
        |rows: &mut Vec<Row>, what: &str, command: &str, args: Option<Value>, runs: usize| {
            let body = request(&work, &s.dist, command, args.as_ref());
            let mut times = Vec::new();
            let mut size = 0;
            let mut verdict = Ok(());
            let mut tries = 0;
            while times.len() < runs {
                let (d, n, v) = curl(&url, &body);
                // Kea >= 2.6 refuses a load while the last one's kea-lfc runs (KEA_FACTS.md §14).
                if matches!(&v, Err(t) if t.contains("lease file cleanup is in progress"))
                    && tries < 600
                {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                times.push(d);
                size = n;
                verdict = v;
            }
            rows.push(Row {
                what: format!("Kea: {what}"),
                time: ms(median(times)),
                note: match verdict {
                    Ok(()) if tries > 0 => format!(
                        "{} kB, after waiting for kea-lfc {tries} times",
                        size / 1000
                    ),
                    Ok(()) => format!("{} kB", size / 1000),
                    Err(t) => format!("FAILED: {t}"),
                },
            });
            kea.wait_lfc_done();
        };
    kea_row(&mut rows, "status-get", "status-get", None, 5);
    kea_row(&mut rows, "config-get", "config-get", None, 3);
    kea_row(
        &mut rows,
        "stat-lease4-get (all subnets)",
        "stat-lease4-get",
        None,
        3,
    );
    kea_row(
        &mut rows,
        "lease4-get-all one /24",
        "lease4-get-all",
        Some(json!({"subnets": [5000]})),
        5,
    );
    kea_row(
        &mut rows,
        "lease4-get-all the /16 (65,000)",
        "lease4-get-all",
        Some(json!({"subnets": [SUBNETS + 1]})),
        3,
    );
    let caps = kea
        .command("list-commands", None)
        .map_err(|e| e.to_string())?;
    let has = |c: &str| {
        caps["arguments"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x == c))
    };
    if has("config-hash-get") {
        kea_row(&mut rows, "config-hash-get", "config-hash-get", None, 3);
    }
    if has("subnet4-get") {
        kea_row(
            &mut rows,
            "subnet4-get one subnet",
            "subnet4-get",
            Some(json!({"id": 5000})),
            5,
        );
        kea_row(&mut rows, "subnet4-list", "subnet4-list", None, 3);
    }
    if has("subnet4-update") {
        // The subnet as it is: Kea's own cost of replacing one subnet in place.
        let got = kea
            .command("subnet4-get", Some(json!({"id": 6000})))
            .map_err(|e| e.to_string())?;
        let subnet = got["arguments"]["subnet4"][0].clone();
        kea_row(
            &mut rows,
            "subnet4-update one subnet (unchanged)",
            "subnet4-update",
            Some(json!({"subnet4": [subnet]})),
            1,
        );
    }
    if has("reservation-add") {
        let r = json!({"reservation": {"subnet-id": 77, "ip-address": "10.1.76.9", "hw-address": "02:99:00:00:00:01"}, "operation-target": "memory"});
        kea_row(
            &mut rows,
            "reservation-add (memory)",
            "reservation-add",
            Some(r),
            1,
        );
        let d = json!({"subnet-id": 77, "ip-address": "10.1.76.9", "operation-target": "memory"});
        kea_row(
            &mut rows,
            "reservation-del (memory)",
            "reservation-del",
            Some(d),
            1,
        );
    }
    kea_row(&mut rows, "config-write", "config-write", None, 1);
    // config-test and config-set of the running config itself: Kea's full cost of a config edit.
    let mut running =
        kea.command("config-get", None).map_err(|e| e.to_string())?["arguments"].take();
    if let Some(o) = running.as_object_mut() {
        o.remove("hash");
    }
    kea_row(
        &mut rows,
        "config-test (full config)",
        "config-test",
        Some(running.clone()),
        1,
    );
    kea_row(
        &mut rows,
        "config-set (full config)",
        "config-set",
        Some(running),
        1,
    );
    // Kea 2.6/3.0 run kea-lfc after a load: let it finish before ddish writes.
    std::thread::sleep(Duration::from_secs(3));

    let ddish_row = |rows: &mut Vec<Row>, what: &str, args: &[&str]| {
        let (wall, rss, code, first, config_write) = ddish(&cfg, args);
        rows.push(Row {
            what: format!("ddish: {what}"),
            time: ms(wall),
            note: format!(
                "peak RSS {} MB{}{}",
                rss / 1024,
                if config_write.is_zero() {
                    String::new()
                } else {
                    format!(", {} of it config-write", ms(config_write))
                },
                if code == 0 {
                    String::new()
                } else {
                    format!(", exit {code}: {first}")
                }
            ),
        });
    };
    ddish_row(
        &mut rows,
        "check (opens the server: tree + statistics)",
        &["check"],
    );
    let get = request(&work, &s.dist, "config-get", None);
    console_open_rows(&mut rows, &cfg, || curl(&url, &get).0)?;
    ddish_row(
        &mut rows,
        "ip next --scope one /24 (hold)",
        &["ip", "next", "--scope", "10.20.99.0/24"],
    );
    ddish_row(
        &mut rows,
        "ip release of it",
        &["ip", "release", "10.20.99.114", "--yes"],
    );
    ddish_row(
        &mut rows,
        "ip reserve (new reservation)",
        &["ip", "reserve", "10.30.7.240", "--mac", "02:77:00:00:00:01"],
    );
    ddish_row(
        &mut rows,
        "ip unreserve (delete it)",
        &["ip", "unreserve", "10.30.7.240", "--yes"],
    );
    ddish_row(
        &mut rows,
        "scope exclude one address",
        &[
            "scope",
            "exclude",
            "--scope",
            "10.31.7.0/24",
            "10.31.7.249",
            "10.31.7.250",
            "--yes",
        ],
    );
    ddish_row(
        &mut rows,
        "scope edit (lease time of one /24)",
        &[
            "scope",
            "edit",
            "--scope",
            "10.32.7.0/24",
            "--lease-time",
            "7200",
        ],
    );
    drop(kea);
    Ok(rows)
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    let setups = setups();
    if setups.is_empty() {
        println!("no Kea to run: install kea-dhcp4-server or run scripts/kea-versions.sh");
        return;
    }
    let mut report = String::new();
    for (i, s) in setups.iter().enumerate() {
        println!(
            "\n== {}: 10,000 /24 subnets + one /16, 1,000,000 leases",
            s.label
        );
        match run_setup(s, i as u16) {
            Ok(rows) => {
                let _ = writeln!(
                    report,
                    "\n{}\n| what | time | note |\n|---|---|---|",
                    s.label
                );
                for r in rows {
                    println!("{:<58} {:>10}  {}", r.what, r.time, r.note);
                    let _ = writeln!(report, "| {} | {} | {} |", r.what, r.time, r.note);
                }
            }
            Err(e) => println!("{}: failed: {e}", s.label),
        }
    }
    println!("\n--- as markdown ---{report}");
}
