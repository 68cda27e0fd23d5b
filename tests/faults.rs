//! Faults and races on the real lab (a Kea HA pair + BIND on loopback, free ports):
//! what must still hold when several writers meet, the server is stopped mid-write, or the
//! journal cannot be written. Each test prints its figures.
use std::process::{Command, Stdio};
use std::time::Instant;

use ddish::lab::Lab;
use serde_json::Value;

mod common;
use common::ddish;

/// The reservations of subnet `subnet` on peer `i`, as (ip, hw-address).
fn reservations(lab: &Lab, i: usize, subnet: &str) -> Vec<(String, String)> {
    let r = common::cmd(&lab.kea[i], "config-get", None);
    let d = &r["arguments"]["Dhcp4"];
    let mut all: Vec<Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
    }
    let s = all
        .into_iter()
        .find(|s| s["subnet"] == subnet)
        .unwrap_or_else(|| panic!("{subnet} on peer {i}"));
    s["reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["ip-address"].as_str().unwrap_or("").to_string(),
                r["hw-address"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Eight `ddish ip reserve` on eight free addresses of one HA pair at the same time (the
/// config-edit path on Kea 2.2: each is config-get, config-test, config-set on both peers):
/// every one reports done and every one is on both peers. Before the per-server write lock,
/// 2 to 4 of 3 to 5 reported reservations were missing afterwards. Then reserving over
/// another client's reservation asks first (no terminal, no --yes: refused, unchanged).
#[test]
fn concurrent_reservations_are_all_kept() {
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    let ips: Vec<String> = [101, 102, 103, 104, 105, 106, 108, 109]
        .iter()
        .map(|i| format!("10.20.0.{i}"))
        .collect();
    let started = Instant::now();
    let children: Vec<_> = ips
        .iter()
        .enumerate()
        .map(|(n, ip)| {
            spawn_ddish(&cfg, dir.path(), |c| {
                c.args(["ip", "reserve", ip, "--mac"])
                    .arg(format!("02:00:00:00:fa:{n:02x}"))
                    .args(["--hostname", &format!("race{n}"), "--yes"]);
            })
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let took = started.elapsed();
    let mut waited = 0;
    for (ip, o) in ips.iter().zip(&outputs) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{ip}: {}\n{err}",
            String::from_utf8_lossy(&o.stdout)
        );
        waited += usize::from(err.contains("waiting for another ddish writing to"));
    }
    let mut lost = 0;
    for i in 0..2 {
        let have = reservations(&lab, i, "10.20.0.0/24");
        for (n, ip) in ips.iter().enumerate() {
            let mac = format!("02:00:00:00:fa:{n:02x}");
            if !have.iter().any(|(a, m)| a == ip && *m == mac) {
                lost += 1;
                eprintln!("peer {i}: {ip} {mac} reported reserved but missing");
            }
        }
    }
    assert_eq!(lost, 0, "every reported reservation is on both peers");
    assert!(waited > 0, "the writers met at the lock (none waited)");
    // One journal line per write, all "ok".
    let journal = std::fs::read_to_string(lab.info.dir.join("journal.jsonl")).unwrap();
    let oks = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "reserve" && e["result"] == "ok")
        .count();
    assert_eq!(oks, 8, "{journal}");

    // Over another client's reservation: asked, and without an answer nothing changes.
    let o = ddish(
        &cfg,
        &["ip", "reserve", &ips[0], "--mac", "02:00:00:00:fb:01"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("already reserved for 02:00:00:00:fa:00 (race0)"),
        "{err}"
    );
    for i in 0..2 {
        assert!(reservations(&lab, i, "10.20.0.0/24")
            .contains(&(ips[0].clone(), "02:00:00:00:fa:00".into())));
    }
    println!(
        "F3 eight concurrent `ip reserve` on one HA pair: 8/8 done, 0 lost, {waited} waited \
         for the lock, {:.1} s in all",
        took.as_secs_f64()
    );
}

/// A lock held by a stopped ddish: the next writer waits, says for whom, and when the
/// holder goes the write runs. (SIGSTOP a ddish in the middle of its write.)
#[test]
fn a_stopped_writer_holds_others_back_and_names_itself() {
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    // Kea's config-set is made slow by stopping the first ddish right after it started:
    // a stopped process keeps its locks.
    let first = spawn_ddish(&cfg, dir.path(), |c| {
        c.args([
            "ip",
            "reserve",
            "10.20.0.110",
            "--mac",
            "02:00:00:00:fc:01",
            "--yes",
        ]);
    });
    // Stop it once it holds the lock (the lock file names it).
    let lock = lab.info.dir.join("locks").join("kea-1.lock");
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    let pid = first.id().to_string();
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains(&format!("pid {pid}"))) {
        assert!(
            Instant::now() < deadline,
            "the first ddish never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    signal(first.id(), libc::SIGSTOP);
    let second = spawn_ddish(&cfg, dir.path(), |c| {
        c.args([
            "ip",
            "reserve",
            "10.20.0.111",
            "--mac",
            "02:00:00:00:fc:02",
            "--yes",
        ]);
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    let held_for = Instant::now();
    signal(first.id(), libc::SIGCONT);
    let a = first.wait_with_output().unwrap();
    let b = second.wait_with_output().unwrap();
    let b_err = String::from_utf8_lossy(&b.stderr);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(b.status.code(), Some(0), "{b_err}");
    assert!(
        b_err.contains("waiting for another ddish writing to kea-")
            && b_err.contains(&format!("pid {pid}"))
            && b_err.contains("reserve"),
        "the waiter says whom it waits for: {b_err}"
    );
    for i in 0..2 {
        let have = reservations(&lab, i, "10.20.0.0/24");
        assert!(have.contains(&("10.20.0.110".into(), "02:00:00:00:fc:01".into())));
        assert!(have.contains(&("10.20.0.111".into(), "02:00:00:00:fc:02".into())));
    }
    println!(
        "F1/F3 a writer stopped for 2 s holding the lock: the other waited and then wrote \
         ({:.1} s after the holder resumed)",
        held_for.elapsed().as_secs_f64()
    );
}

/// The ddish binary on `cfg` with what `args` adds (its state under `dir`), no terminal.
fn ddish_command(
    cfg: impl AsRef<std::path::Path>,
    dir: &std::path::Path,
    args: impl FnOnce(&mut Command),
) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ddish"));
    c.arg("--config").arg(cfg.as_ref());
    args(&mut c);
    c.env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::null());
    c
}

/// [`ddish_command`] started, stdout and stderr kept.
fn spawn_ddish(
    cfg: impl AsRef<std::path::Path>,
    dir: &std::path::Path,
    args: impl FnOnce(&mut Command),
) -> std::process::Child {
    ddish_command(cfg, dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// [`ddish_command`] started, its output thrown away.
fn spawn_quiet(
    cfg: impl AsRef<std::path::Path>,
    dir: &std::path::Path,
    args: impl FnOnce(&mut Command),
) -> std::process::Child {
    ddish_command(cfg, dir, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a child process id this test spawned.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0);
}

/// F1: `ddish ip reserve` on an HA pair killed (SIGKILL) as Kea receives each step of the
/// write. Each peer then runs the old or the new configuration, never a third; the next
/// ddish warns about the unfinished write, and `ddish check` compares each server with what
/// it ran before the write (then forgets it).
#[test]
fn a_killed_write_leaves_old_or_new_and_is_reported() {
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    let old: Vec<Vec<(String, String)>> = (0..2)
        .map(|i| reservations(&lab, i, "10.20.0.0/24"))
        .collect();
    // The steps of this version's reservation write: host_cmds where Kea has them (2.6+
    // with the hook, 3.0), else the config edit.
    let commands = common::cmd(&lab.kea[0], "list-commands", None)["arguments"].to_string();
    let steps: [(usize, &str); 3] = if commands.contains("\"reservation-add\"") {
        [
            (0, "reservation-add"),
            (1, "reservation-add"),
            (0, "config-write"),
        ]
    } else {
        [(0, "config-test"), (0, "config-set"), (1, "config-set")]
    };
    let mut table = Vec::new();
    let mut killed_rounds = 0;
    for (n, (peer, step)) in steps.into_iter().enumerate() {
        let ip = format!("10.20.0.{}", 120 + n);
        let mac = format!("02:00:00:00:fd:{n:02x}");
        let seen = common::received(&lab.kea[peer], step);
        let mut child = spawn_quiet(&cfg, dir.path(), |c| {
            c.args(["ip", "reserve", &ip, "--mac", &mac, "--yes"]);
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while common::received(&lab.kea[peer], step) == seen {
            assert!(
                Instant::now() < deadline,
                "kea-{} never got {step}",
                peer + 1
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "ddish ended before {step}"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        // On a fast path (host_cmds) ddish may finish just before the kill lands: then
        // there is nothing unfinished to report, only the states to check.
        let killed = std::os::unix::process::ExitStatusExt::signal(&status).is_some();
        // Kea finishes what it received; then each peer is old or new.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let sorted = |mut v: Vec<(String, String)>| {
            v.sort();
            v
        };
        let mut states = Vec::new();
        for (i, was) in old.iter().enumerate() {
            let now = sorted(reservations(&lab, i, "10.20.0.0/24"));
            // Kea writes the MAC back with or without colons, depending on the version.
            let with = |m: String| {
                let mut v = was.clone();
                v.push((ip.clone(), m));
                sorted(v)
            };
            let state = if now == sorted(was.clone()) {
                "old"
            } else if now == with(mac.clone()) || now == with(mac.replace(':', "")) {
                "new"
            } else {
                panic!("kea-{}: neither old nor new: {now:?}", i + 1)
            };
            states.push(state);
        }
        if killed {
            killed_rounds += 1;
            reported(&cfg, &ip, &states);
            table.push(format!(
                "killed at {step} on kea-{}: kea-1 {}, kea-2 {}",
                peer + 1,
                states[0],
                states[1]
            ));
        } else {
            assert_eq!(states, ["new", "new"], "a finished write is on both peers");
            table.push(format!(
                "at {step} on kea-{}: done before the kill",
                peer + 1
            ));
        }
        put_back(&lab, &ip);
    }
    assert!(killed_rounds > 0, "no kill landed in the middle: {table:?}");
    println!(
        "F1 SIGKILL of `ip reserve` on an HA pair: {}",
        table.join("; ")
    );
}

/// After a killed write: the next ddish warns once, `ddish check` compares each server and
/// names drift between the peers, and the failover list shows the drift too.
fn reported(cfg: &std::path::Path, ip: &str, states: &[&str]) {
    let o = ddish(cfg, &["ip", "show", ip]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("an earlier write did not finish: 'reserve' on kea-1, kea-2"),
        "{err}"
    );
    let o = ddish(cfg, &["check"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("UNFINISHED WRITE 'reserve'"), "{out}");
    // Each peer old or changed, also on Kea 2.2 (by the digest of its config-get).
    common::assert_peers_reported(&out, states);
    if states[0] != states[1] {
        let only = if states[0] == "new" { "kea-1" } else { "kea-2" };
        assert!(
            out.contains(&format!("reservation {ip} only on {only}")),
            "{out}"
        );
        let o = ddish(cfg, &["failover", "list", "--server", "kea-1"]);
        let list = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            list.contains("differs: subnet") && list.contains(&format!("reservation {ip} only on")),
            "{list}{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = ddish(cfg, &["ip", "show", ip]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("did not finish"),
        "reported once"
    );
}

/// Both peers back to the reservations they had before `ip`'s round.
fn put_back(lab: &Lab, ip: &str) {
    for (i, k) in lab.kea.iter().enumerate() {
        let r = common::cmd(k, "config-get", None);
        let mut c = r["arguments"].clone();
        if let Some(o) = c.as_object_mut() {
            o.remove("hash");
        }
        let s = ddish::kea::find_subnet_mut(&mut c["Dhcp4"], |s| s["subnet"] == "10.20.0.0/24")
            .unwrap();
        s["reservations"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["ip-address"] != ip);
        // As another tool would: waits out the lease file cleanup Kea >= 2.6 runs on a load.
        let set = k.config_set(c).unwrap();
        assert_eq!(set["result"], 0, "kea-{}: {set}", i + 1);
    }
}

/// F8: history that cannot be written never stops a change. A journal whose folder cannot
/// exist (its parent is a file), and a journal a stopped reader keeps locked: the
/// reservation is made on both peers, and ddish warns that history was not kept.
#[test]
fn a_broken_journal_warns_and_the_write_completes() {
    use std::os::unix::io::AsRawFd;
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let text = std::fs::read_to_string(&lab.info.config_path).unwrap();
    let journal = lab.info.dir.join("journal.jsonl");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let broken = text.replace(
        &format!("{:?}", journal.display().to_string()),
        &format!("{:?}", blocker.join("journal.jsonl").display().to_string()),
    );
    assert_ne!(broken, text, "the journal line was replaced");
    let cfg = dir.path().join("broken.toml");
    std::fs::write(&cfg, broken).unwrap();
    let run = |cfg: &std::path::Path, ip: &str, mac: &str| {
        let started = Instant::now();
        let o = ddish_command(cfg, dir.path(), |c| {
            c.args(["ip", "reserve", ip, "--mac", mac, "--yes"]);
        })
        .output()
        .unwrap();
        (o, started.elapsed())
    };
    let (o, t1) = run(&cfg, "10.20.0.130", "02:00:00:00:fe:01");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(all.contains("not written to the history journal"), "{all}");

    // A reader stopped while holding the journal's shared lock.
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal)
        .unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH) }, 0);
    let (o, t2) = run(&lab.info.config_path, "10.20.0.131", "02:00:00:00:fe:02");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(
        all.contains("not written to the history journal") && all.contains("held it"),
        "{all}"
    );
    drop(f);
    for i in 0..2 {
        let have = reservations(&lab, i, "10.20.0.0/24");
        assert!(have.iter().any(|(ip, _)| ip == "10.20.0.130"));
        assert!(have.iter().any(|(ip, _)| ip == "10.20.0.131"));
    }
    println!(
        "F8 journal folder impossible: reserved on both peers in {:.1} s with a warning; \
         journal locked by a stopped reader: reserved in {:.1} s with a warning",
        t1.as_secs_f64(),
        t2.as_secs_f64()
    );
}

/// The baseline of a console change is the configuration its view showed, not what a
/// background refresh loaded since: another admin's change between the two stops the
/// write; made from the refreshed view, it goes through.
#[test]
fn a_change_is_made_against_the_view_it_came_from() {
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let cfg = ddish::config::load(&lab.info.config_path).unwrap();
    let session = ddish::ops::Session::new(cfg);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let shown = rt.block_on(session.load_server("kea-1")).unwrap();
    // Another admin changes kea-1 (a global option), outside ddish.
    let mut c = common::cmd(&lab.kea[0], "config-get", None)["arguments"].clone();
    if let Some(o) = c.as_object_mut() {
        o.remove("hash");
    }
    c["Dhcp4"]["valid-lifetime"] = serde_json::json!(4321);
    assert_eq!(lab.kea[0].config_set(c).unwrap()["result"], 0);
    // The background refresh loads it; the user still looks at `shown`.
    let refreshed = rt.block_on(session.load_server("kea-1")).unwrap();
    assert_ne!(shown.baseline, refreshed.baseline);
    let scope = shown
        .tree
        .scopes
        .iter()
        .find(|s| s.def.cidr.to_string() == "10.20.0.0/24")
        .unwrap()
        .def
        .clone();
    let (a, b) = (
        "10.20.0.195".parse().unwrap(),
        "10.20.0.196".parse().unwrap(),
    );
    let stale = rt.block_on(ddish::ops::acting_on(
        shown.baseline.clone(),
        session.exclude("kea-1", &scope, a, b, true),
    ));
    let e = stale.expect_err("made against a view older than the server");
    assert!(e.to_string().contains("changed"), "{e}");
    let fresh = rt.block_on(ddish::ops::acting_on(
        refreshed.baseline.clone(),
        session.exclude("kea-1", &scope, a, b, true),
    ));
    assert!(fresh.is_ok(), "{fresh:?}");
    println!("F3 console baseline: a change from a view older than the server is refused");
}

/// A CLI write told to stop politely (SIGTERM) or losing its terminal (SIGHUP) in the middle
/// runs to its end: the reservation is on both peers and ddish reports it done.
#[test]
fn sigterm_and_sighup_do_not_cut_a_cli_write() {
    let dir = common::kea_dir("ddish-faults-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    let commands = common::cmd(&lab.kea[0], "list-commands", None)["arguments"].to_string();
    let step = if commands.contains("\"reservation-add\"") {
        "reservation-add"
    } else {
        "config-test"
    };
    for (n, sig) in [(0, libc::SIGTERM), (1, libc::SIGHUP)] {
        let ip = format!("10.20.0.{}", 140 + n);
        let mac = format!("02:00:00:00:fe:{:02x}", 0x10 + n);
        let seen = common::received(&lab.kea[0], step);
        let child = spawn_ddish(&cfg, dir.path(), |c| {
            c.args(["ip", "reserve", &ip, "--mac", &mac, "--yes"]);
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while common::received(&lab.kea[0], step) == seen {
            assert!(Instant::now() < deadline, "kea-1 never got {step}");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        signal(child.id(), sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "signal {sig}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for i in 0..2 {
            assert!(reservations(&lab, i, "10.20.0.0/24")
                .iter()
                .any(|(a, _)| *a == ip));
        }
    }
    println!(
        "F1 SIGTERM and SIGHUP during `ip reserve` at {step}: the write finished on both peers"
    );
}
