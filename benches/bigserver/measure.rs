//! Timing both sides: Kea's own answer by curl, and ddish (the release binary per action,
//! with its peak RSS; the console's open in-process).
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use ddish::lab::{KeaDist, LabApi};

/// One timed request through curl: Kea's own time for it (plus loopback HTTP).
pub fn curl(url: &str, body: &Path) -> (Duration, usize, Result<(), String>) {
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
pub fn request(dir: &Path, dist: &KeaDist, command: &str, arguments: Option<&Value>) -> PathBuf {
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
pub fn ddish(config: &Path, args: &[&str]) -> (Duration, i64, i32, String, Duration) {
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

pub fn ms(d: Duration) -> String {
    if d >= Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// Median of the runs.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub struct Row {
    pub what: String,
    pub time: String,
    pub note: String,
}

/// The console's open of a server tab, in-process as its worker runs it: the tree first
/// (`load_server_tree`: what the user sees), then the lease counts for utilization; each
/// right after Kea's own config-get (curl, `kea_config_get`), three times, medians.
pub fn console_open_rows(
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
    let (kea, tree, all) = (median(kea), median(tree), median(all));
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
