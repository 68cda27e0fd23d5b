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
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use ddish::lab::{write_ddish_toml, DdishToml, KeaDist, KeaInstance, LabApi, TomlServer};

const SUBNETS: u32 = 10_000;
const LEASES: u32 = 1_000_000;
/// The /16 holds this many of them; the rest are spread over the /24s.
const BIG_SCOPE_LEASES: u32 = 65_000;
const PORT_BASE: u16 = 19_400;

/// The /24 number `i` (0-based): 10.(1 + i/256).(i%256).0/24, subnet id i+1.
fn net24(i: u32) -> (u8, u8) {
    ((1 + i / 256) as u8, (i % 256) as u8)
}

/// Dhcp4 with the subnets, the hooks this Kea ships, and ddish's networks.
fn big_dhcp4(dist: &KeaDist) -> Value {
    let mut subnets = Vec::with_capacity(SUBNETS as usize + 1);
    for i in 0..SUBNETS {
        let (a, b) = net24(i);
        subnets.push(json!({
            "id": i + 1,
            "subnet": format!("10.{a}.{b}.0/24"),
            "pools": [{"pool": format!("10.{a}.{b}.20-10.{a}.{b}.250")}],
            "option-data": [
                {"name": "routers", "data": format!("10.{a}.{b}.1")},
                {"name": "domain-name-servers", "data": format!("10.{a}.{b}.53")}
            ],
            "reservations": [{"hw-address": format!("aa:bb:cc:{:02x}:{:02x}:01", (i >> 8) & 0xff, i & 0xff),
                              "ip-address": format!("10.{a}.{b}.10"), "hostname": format!("printer{i}")}],
            "user-context": {"ddish": {"title": format!("floor {i}")}}
        }));
    }
    subnets.push(json!({
        "id": SUBNETS + 1,
        "subnet": "10.200.0.0/16",
        "pools": [{"pool": "10.200.0.10-10.200.255.250"}],
        "option-data": [{"name": "routers", "data": "10.200.0.1"}]
    }));
    let dir = dist.hooks_dir().expect("the Kea's hooks directory");
    let hooks: Vec<Value> = [
        "libdhcp_lease_cmds.so",
        "libdhcp_stat_cmds.so",
        "libdhcp_host_cmds.so",
        "libdhcp_subnet_cmds.so",
        "libdhcp_class_cmds.so",
    ]
    .iter()
    .filter(|l| dir.join(l).is_file())
    .map(|l| json!({"library": l}))
    .collect();
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "interfaces-config": {"interfaces": []},
        "hooks-libraries": hooks,
        "user-context": {"ddish": {"networks": [
            {"cidr": "10.0.0.0/8", "kind": "container", "title": "Corp"},
            {"cidr": "10.200.0.0/16", "kind": "network", "title": "Campus"}
        ]}},
        "subnet4": subnets
    }})
}

/// The memfile: 65,000 leases in the /16, the rest 93-94 per /24 from .20 up.
fn big_leases_csv() -> String {
    let expire = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 30 * 86_400;
    let mut s = String::with_capacity(LEASES as usize * 80);
    s.push_str(ddish::lab::MEMFILE_HEADER);
    s.push('\n');
    let mut n: u32 = 0;
    let mut line = |s: &mut String, ip: Ipv4Addr, subnet: u32| {
        let _ = writeln!(
            s,
            "{ip},02:{:02x}:{:02x}:{:02x}:{:02x}:01,,86400,{expire},{subnet},0,0,host{n}.example.test,0,",
            (n >> 24) & 0xff,
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        );
        n += 1;
    };
    for k in 0..BIG_SCOPE_LEASES {
        let ip = u32::from(Ipv4Addr::new(10, 200, 0, 10)) + k;
        line(&mut s, Ipv4Addr::from(ip), SUBNETS + 1);
    }
    let rest = LEASES - BIG_SCOPE_LEASES;
    for i in 0..SUBNETS {
        let (a, b) = net24(i);
        let count = rest / SUBNETS + u32::from(i < rest % SUBNETS);
        for k in 0..count {
            line(&mut s, Ipv4Addr::new(10, a, b, 20 + k as u8), i + 1);
        }
    }
    s
}

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

/// One timed request through curl: Kea's own time for it (plus loopback HTTP).
fn curl(url: &str, body: &Path) -> (Duration, usize, Result<(), String>) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-H",
            "Content-Type: application/json",
            "-H",
            "Expect:",
        ])
        .args([
            "--max-time",
            "300",
            "-w",
            "\n%{time_total} %{size_download}",
            "--data-binary",
        ])
        .arg(format!("@{}", body.display()))
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (reply, tail) = text.rsplit_once('\n').unwrap_or(("", &text));
    let mut it = tail.split_whitespace();
    let secs: f64 = it.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
    let size: usize = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    // Kea answers a list of one object; result 0 is success, 3 "empty" (also fine here).
    let verdict = match serde_json::from_str::<Value>(reply) {
        Ok(v) if matches!(v[0]["result"].as_i64(), Some(0 | 3)) => Ok(()),
        Ok(v) => Err(v[0]["text"]
            .as_str()
            .unwrap_or("no text")
            .chars()
            .take(120)
            .collect()),
        Err(_) => Err(format!(
            "not JSON: {}",
            reply.chars().take(120).collect::<String>()
        )),
    };
    (Duration::from_secs_f64(secs.max(0.0)), size, verdict)
}

/// A request body file for `command` as this setup's API wants it.
fn request(dir: &Path, dist: &KeaDist, command: &str, arguments: Option<&Value>) -> PathBuf {
    let mut req = json!({ "command": command });
    if dist.api == LabApi::Agent {
        req["service"] = json!(["dhcp4"]);
    }
    if let Some(a) = arguments {
        req["arguments"] = a.clone();
    }
    let path = dir.join(format!("req-{command}.json"));
    std::fs::write(&path, serde_json::to_vec(&req).expect("json")).expect("write request");
    path
}

/// Runs ddish; returns wall time, peak RSS (KiB), exit code and its first output line.
/// The peak is the child's own VmHWM, sampled while it runs: the rusage of a child started
/// by vfork+exec reports the parent's peak (this process holds the whole test data).
fn ddish(config: &Path, args: &[&str]) -> (Duration, i64, i32, String, Duration) {
    // DDISH_BIG_BIN: a copy of the binary, so a rebuild meanwhile does not change it.
    let bin = std::env::var("DDISH_BIG_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ddish").into());
    // Its log (one line per Kea call with its time) tells how long config-write took.
    let state = config.with_file_name("state");
    let log = state.join("ddish").join("ddish.log");
    let _ = std::fs::remove_file(&log);
    let started = Instant::now();
    let child = Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("XDG_STATE_HOME", &state)
        .env("DDISH_LOG", "ddish::kea::client=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ddish starts");
    let status_file = format!("/proc/{}/status", child.id());
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        // A zombie's status has no VmHWM: the loop ends when the process has exited.
        while let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        }) {
            peak = peak.max(kb);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    });
    let out = child.wait_with_output().expect("ddish runs");
    let wall = started.elapsed();
    let peak = sampler.join().unwrap_or(0);
    let code = out.status.code().unwrap_or(-1);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(110)
        .collect();
    let writes: f64 = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("command=\"config-write\""))
        .filter_map(|l| {
            l.split("ms=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .sum();
    (
        wall,
        peak,
        code,
        first,
        Duration::from_secs_f64(writes / 1e3),
    )
}

fn ms(d: Duration) -> String {
    if d >= Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// Median of the runs.
fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    what: String,
    time: String,
    note: String,
}

/// The console's open of a server tab, in-process as its worker runs it: the tree first
/// (`load_server_tree`: what the user sees), then the lease counts for utilization; each
/// right after Kea's own config-get (curl, `kea_config_get`), three times, medians.
fn console_open_rows(
    rows: &mut Vec<Row>,
    cfg: &Path,
    kea_config_get: impl Fn() -> Duration,
) -> Result<(), String> {
    let config = ddish::config::load(cfg).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let session = ddish::ops::Session::new(config);
    // The console has met the server already (the Servers tab checks every server first):
    // its client and a connection exist when the tab opens.
    rt.block_on(session.commands("big"))
        .map_err(|e| e.to_string())?;
    let (mut kea, mut tree, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut scopes = 0;
    for _ in 0..3 {
        kea.push(kea_config_get());
        let started = Instant::now();
        let data = rt
            .block_on(session.load_server_tree("big"))
            .map_err(|e| e.to_string())?;
        tree.push(started.elapsed());
        rt.block_on(session.server_stats("big"))
            .map_err(|e| e.to_string())?;
        all.push(started.elapsed());
        scopes = data.tree.scopes.len();
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (kea, tree, all) = (median(&mut kea), median(&mut tree), median(&mut all));
    rows.push(Row {
        what: "ddish: console open, the tree shown".into(),
        time: ms(tree),
        note: format!(
            "{scopes} scopes; {:.2}x Kea's config-get ({}) just before",
            tree.as_secs_f64() / kea.as_secs_f64(),
            ms(kea)
        ),
    });
    rows.push(Row {
        what: "ddish: console open, utilization filled in".into(),
        time: ms(all),
        note: String::new(),
    });
    Ok(())
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
