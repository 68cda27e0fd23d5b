//! F1 from the console: the ddish console in tmux, on the lab (free ports), is
//! SIGKILLed while Kea receives its change (deactivating a scope on an HA pair). Each peer
//! must run the old or the new configuration, never a third, and the next `ddish check`
//! reports the unfinished write with each peer's state.
use std::os::unix::io::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

use ddish::lab::Lab;

mod common;
use common::tmux::{line_with, Tmux};

/// Whether peer `i` serves 10.20.0.0/24 as inactive (the change) or active (as before).
fn inactive(lab: &Lab, i: usize) -> bool {
    let r = common::cmd(&lab.kea[i], "config-get", None);
    let d = &r["arguments"]["Dhcp4"];
    let mut all: Vec<serde_json::Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
    }
    let s = all
        .iter()
        .find(|s| s["subnet"] == "10.20.0.0/24")
        .expect("10.20.0.0/24");
    let class = s["client-class"] == "never"
        || s["client-classes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "never"));
    let marked = s["user-context"]["ddish"]["inactive"] == true;
    assert_eq!(class, marked, "kea-{}: half a change: {s}", i + 1);
    class
}

/// How many config changes kea-1 has received: config-set, or subnet4-update where Kea has
/// subnet_cmds.
fn changes(lab: &Lab) -> usize {
    common::received(&lab.kea[0], "config-set") + common::received(&lab.kea[0], "subnet4-update")
}

#[test]
fn a_console_killed_mid_write_leaves_old_or_new_and_is_reported() {
    let dir = common::kea_dir("ddish-f1c-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    // The kill races the console's write: on a loaded machine the console may finish both
    // peers and its journal line before the signal lands. Such a trial proves nothing; the
    // scope is put back and the console tried again, the second time with the journal held
    // by a stopped reader: the console then waits (5 s) to write its outcome line after
    // both peers have the change, and is killed there.
    for (n, (name, hold)) in [("f1c", false), ("f1c-2", true)].into_iter().enumerate() {
        if trial(&dir, &lab, name, hold) {
            return;
        }
        println!(
            "trial {}: the console finished before the kill; again",
            n + 1
        );
        let back = common::ddish(
            &cfg,
            &[
                "scope",
                "activate",
                "--scope",
                "10.20.0.0/24",
                "--server",
                "kea-1",
            ],
        );
        common::ok(&back);
    }
    panic!("the console finished its write before the kill, even waiting on the journal");
}

/// One console killed mid-write; false when it finished before the kill (nothing to check).
/// With `hold`, the journal is locked by the test (as by a stopped reader) and the console
/// is killed once both peers have the change, while it waits to write its outcome.
fn trial(dir: &tempfile::TempDir, lab: &Lab, name: &'static str, hold: bool) -> bool {
    assert!(!inactive(lab, 0) && !inactive(lab, 1));
    let cfg = lab.info.config_path.clone();
    let t = Tmux::start(dir.path(), name, "", &cfg);
    t.wait_for(&["Servers", "kea-1", "kea-2"]);
    t.keys(&["Enter"]);
    t.wait_for(&["kea-1 › IPAM tree", "10.20.0.0/24", "192.0.2.0/28"]);
    // From the last row (192.0.2.0/28) up past 127.0.99.0/24, the group, 10.30.0.0/26.
    t.keys(&["G", "Up", "Up", "Up", "Up", "a", "Down"]);
    t.wait_until("deactivate selected", Duration::from_secs(10), |s| {
        line_with(s, "deactivate 10.20.0.0/24").contains("›")
    });
    t.keys(&["Enter"]);
    t.wait_for(&["Deactivate the scope 10.20.0.0/24 on kea-1?", "y yes"]);
    let pid = String::from_utf8_lossy(
        &Command::new("pgrep")
            .args(["-f", &format!("ddish --config {}", cfg.display())])
            .output()
            .unwrap()
            .stdout,
    )
    .lines()
    .next()
    .expect("the console's pid")
    .trim()
    .parse::<i32>()
    .unwrap();

    let journal = ddish::config::load(&cfg).unwrap().settings.journal;
    let held = hold.then(|| {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal)
            .unwrap();
        // SAFETY: flock on a descriptor this test owns.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH) }, 0);
        f
    });
    // Kill it the moment kea-1 has the change in hand (held: once both peers have it).
    let seen = changes(lab);
    t.keys(&["y"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let arrived = || {
        if hold {
            inactive(lab, 0) && inactive(lab, 1)
        } else {
            changes(lab) != seen
        }
    };
    while !arrived() {
        assert!(Instant::now() < deadline, "the change never arrived");
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: a pid of our own child tree, found just above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    t.wait_for(&["EXIT=137"]);
    drop(held);
    // Kea finishes what it received; then each peer is old or new (asserted whole).
    std::thread::sleep(Duration::from_millis(500));
    let states: Vec<&str> = (0..2)
        .map(|i| if inactive(lab, i) { "new" } else { "old" })
        .collect();

    let check = Command::new(env!("CARGO_BIN_EXE_ddish"))
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .env("XDG_STATE_HOME", dir.path().join("xdg"))
        .env("XDG_DATA_HOME", dir.path().join("xdg"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    if check.status.code() == Some(0) && states == ["new", "new"] {
        return false;
    }
    assert_eq!(check.status.code(), Some(2), "{out}");
    assert!(out.contains("UNFINISHED WRITE"), "{out}");
    common::assert_peers_reported(&out, &states);
    println!(
        "F1 console SIGKILLed {} (deactivate 10.20.0.0/24 on an HA pair): kea-1 {}, kea-2 {}; \
         `ddish check` reported the unfinished write{}",
        if hold {
            "after both peers had the change, before its journal line"
        } else {
            "as kea-1 received the change"
        },
        states[0],
        states[1],
        if states[0] != states[1] {
            " and the drift"
        } else {
            ""
        }
    );
    true
}
