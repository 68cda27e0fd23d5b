//! End to end: the real `ddish` binary in tmux on the real lab (Kea HA pair + BIND on
//! loopback). Open a server, a scope, an IP; quit; the terminal is back to normal (no
//! alternate screen, canonical mode, echo). Then the fleet screens (W, Z, A, E, F), the failover
//! screen (M), Create New, a tree action, a bulk change and a configuration edit in the
//! editor (K), each checked on what the screen shows and, for changes, on the servers.
//!
//! Ports: free ones (`common::ports`), one lab each, started with `ddish lab up`, stopped
//! with `ddish lab down` by a guard. The labs run one at a time
//! (LAB_LOCK): each loads ~20,000 leases and syncs them between the HA peers.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use ddish::lab::{HaMode, Lab, LabOptions};

mod common;
use common::tmux::{line_with, Tmux};

/// One lab at a time in this test binary (see the module doc).
static LAB_LOCK: Mutex<()> = Mutex::new(());

fn lab_lock() -> std::sync::MutexGuard<'static, ()> {
    // A failed test poisons the lock; the next one still runs.
    LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A lab started with the real `ddish lab up`; dropping it runs `ddish lab down`, also when
/// the test failed.
struct LabUp {
    /// The lab dir (`ddish lab up --dir`).
    dir: PathBuf,
    /// XDG state/data dir of the CLI runs (their log files).
    xdg: PathBuf,
    /// The lab's ddish.toml.
    config: PathBuf,
    port_base: u16,
}

impl LabUp {
    fn start(root: &Path, port_base: u16, hot_standby: bool) -> LabUp {
        let dir = root.join("lab");
        // The guard exists before `up` runs: a lab that half started is stopped too.
        let lab = LabUp {
            config: dir.join("ddish.toml"),
            xdg: root.join("xdg-cli"),
            dir,
            port_base,
        };
        let mut args = vec![
            "lab".to_string(),
            "up".into(),
            "--dir".into(),
            lab.dir.display().to_string(),
            "--port-base".into(),
            port_base.to_string(),
        ];
        if hot_standby {
            args.push("--hot-standby".into());
        }
        let out = lab.ddish(&args);
        assert!(
            out.status.success(),
            "ddish lab up failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(lab.config.exists(), "lab up wrote no ddish.toml");
        lab
    }

    /// Runs the real `ddish` with `args` (logs into `xdg`).
    fn ddish<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_ddish"))
            .args(args)
            .env("XDG_STATE_HOME", &self.xdg)
            .env("XDG_DATA_HOME", &self.xdg)
            .output()
            .expect("ddish runs")
    }

    /// `ddish --config <lab> ARGS`, which must succeed; its stdout.
    fn cli(&self, args: &[&str]) -> String {
        let mut all = vec!["--config".to_string(), self.config.display().to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        let out = self.ddish(&all);
        assert!(
            out.status.success(),
            "ddish {all:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `command` sent to server `i`'s kea-dhcp4 through its control agent, straight (not
    /// through ddish): what the server itself says.
    fn kea(&self, i: u16, command: &str) -> serde_json::Value {
        let password = std::fs::read_to_string(self.dir.join("kea-password")).unwrap();
        let r = ddish::lab::kea_command(
            self.port_base + i,
            Some(("ddish", password.trim())),
            Some("dhcp4"),
            command,
            None,
        )
        .unwrap_or_else(|e| panic!("{command} on kea-{}: {e}", i + 1));
        assert_eq!(r["result"], 0, "{command} on kea-{}: {r}", i + 1);
        r
    }
}

impl Drop for LabUp {
    fn drop(&mut self) {
        let out = self.ddish(&["lab", "down", "--dir", &self.dir.display().to_string()]);
        if !out.status.success() {
            eprintln!(
                "ddish lab down --dir {} failed: {}",
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn temp_root(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .unwrap()
}

#[test]
fn open_server_scope_ip_then_quit_restores_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is not installed: run scripts/install-deps.sh");
    }
    let _one_lab = lab_lock();
    let dir = tempfile::Builder::new()
        .prefix("ddish-e2e-")
        .tempdir_in("/tmp")
        .unwrap();
    let lab = Lab::start(&LabOptions {
        dir: dir.path().to_path_buf(),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    })
    .expect("lab starts");
    let t = Tmux::start(dir.path(), "e2e", "", &lab.info.config_path);

    // Servers tab: both lab servers up.
    let s = t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);
    assert!(s.contains("q quit"), "footer hints shown:\n{s}");
    // Open kea-1: its IPAM tree.
    t.keys(&["Enter"]);
    let s = t.wait_for(&["10.0.0.0/8", "10.10.0.0/24", "Corporate"]);
    assert!(
        s.contains("Missing"),
        "the scope with no subnet behind it:\n{s}"
    );
    // The tree lists container, Campus network, its /16, HQ network, then the HQ scope
    // (parents before children, shorter prefixes first): four down, Enter.
    t.keys(&["Down", "Down", "Down", "Down", "Enter"]);
    let s = t.wait_for(&["IP grid", "Available", "Reserved", "Held"]);
    assert!(s.contains("HQ clients"), "{s}");
    // Enter on the first address of the range: the printer's reservation.
    t.keys(&["Enter"]);
    let s = t.wait_for(&["10.10.0.10", "printer1", "aa:bb:cc:00:00:01"]);
    assert!(s.contains("Reservation"), "{s}");
    // Close the popup, quit.
    t.keys(&["Escape", "q"]);
    t.assert_restored(0);
    // Logs went to the file, not to the screen.
    assert!(dir.path().join("xdg/ddish/ddish.log").exists());
    drop(lab);
}

#[test]
fn a_panic_gives_the_terminal_back() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-e2e-panic-")
        .tempdir_in("/tmp")
        .unwrap();
    // No server needs to answer: the console panics after its first frame.
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[server]]\nname = \"nowhere\"\nurl = \"http://127.0.0.1:{}/\"\n",
            common::ports(1)
        ),
    )
    .unwrap();
    let t = Tmux::start(dir.path(), "panic", "DDISH_CRASH_TEST=1", &cfg);
    // A panic exits 101 after the hook gave the terminal back.
    t.assert_restored(101);
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(
        stderr.contains("DDISH_CRASH_TEST"),
        "the panic message is printed after the restore: {stderr}"
    );
}

/// W, Z, A and F from the Servers tab; a hit of F opens the scope with the address's popup.
#[test]
fn fleet_screens_status_zones_and_find_jump_to_the_address() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-fleet-");
    let lab = LabUp::start(root.path(), common::ports(5), false);
    let t = Tmux::start(root.path(), "fleet", "", &lab.config);
    t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);

    // W: service status; both Kea servers running, the lab's named answering.
    t.keys(&["W"]);
    let s = t.wait_until("both servers running", Duration::from_secs(30), |s| {
        s.contains("Service status")
            && line_with(s, " kea-1 ").contains("running")
            && line_with(s, " kea-2 ").contains("running")
            && line_with(s, " lab-ns ").contains("answering")
    });
    assert!(s.contains("DHCP servers: 2 · 2 running · 0 failing"), "{s}");

    // Esc: back on the Servers tab.
    t.keys(&["Escape"]);
    t.wait_until("the Servers tab again", Duration::from_secs(10), |s| {
        !s.contains("Service status") && s.contains("2 reachable")
    });

    // Z: the lab's three zones, each with its status (BIND is up: OK).
    t.keys(&["Z"]);
    let s = t.wait_until("the zones checked", Duration::from_secs(30), |s| {
        s.contains("DNS zones")
            && [
                "example.test",
                "0.10.10.in-addr.arpa",
                "99.0.127.in-addr.arpa",
            ]
            .iter()
            .all(|z| line_with(s, z).contains("OK"))
    });
    assert!(s.contains("DNS zones: 3 · 3 OK · 0 with problems"), "{s}");

    // A: the nearly full DMZ scope is over its threshold on both servers.
    t.keys(&["Escape"]);
    t.wait_until("the Servers tab again", Duration::from_secs(10), |s| {
        !s.contains("DNS zones") && s.contains("2 reachable")
    });
    t.keys(&["A"]);
    let s = t.wait_until("both servers' alerts", Duration::from_secs(30), |s| {
        s.contains("Utilization alerts") && s.contains("2 of 2 servers read")
    });
    for server in ["kea-1", "kea-2"] {
        assert!(
            s.lines().any(|l| l.contains("▲ over")
                && l.contains(server)
                && l.contains("192.0.2.0/28")
                && l.contains("92.9%")),
            "192.0.2.0/28 over on {server}:\n{s}"
        );
    }

    // F: find scanner1's address (a reservation and its lease).
    t.keys(&["Escape"]);
    t.wait_until("the Servers tab again", Duration::from_secs(10), |s| {
        !s.contains("Utilization alerts") && s.contains("2 reachable")
    });
    t.keys(&["F"]);
    t.wait_for(&["Find on every server", "Find:"]);
    t.type_text("10.10.0.11");
    t.keys(&["Enter"]);
    // Hits come in server by server; wait for the last one.
    let s = t.wait_until("every server's hits", Duration::from_secs(30), |s| {
        s.contains("hits for 10.10.0.11") && !s.contains("still searching")
    });
    // Both servers' reservation and lease, the PTR, and the A record naming it (by zone
    // transfer).
    assert!(s.contains("6 hits for 10.10.0.11"), "{s}");
    let first = line_with(&s, "resv. ip");
    assert!(
        first.contains("kea-1") && first.contains("10.10.0.0/24") && first.contains("10.10.0.11"),
        "the reservation on kea-1 is a hit:\n{s}"
    );
    assert!(
        line_with(&s, "lease ip").contains("10.10.0.11"),
        "the lease is a hit:\n{s}"
    );
    assert!(
        line_with(&s, "DNS PTR").contains("10.10.0.11"),
        "the lab zone's PTR record is a hit:\n{s}"
    );
    assert!(
        line_with(&s, "DNS A").contains("10.10.0.11"),
        "the A record of scanner1 is a hit:\n{s}"
    );

    // Enter on the first hit: kea-1's tab, the HQ scope, the popup of 10.10.0.11.
    t.keys(&["Enter"]);
    let s = t.wait_for(&[
        "kea-1 › IPAM tree › 10.10.0.0/24 (HQ clients) › 10.10.0.11",
        "┌ 10.10.0.11 ",
        "scanner1",
        "aa:bb:cc:00:00:02",
        "Reservation",
        // Its DNS names, from the lab zones (PTR and A).
        "scanner1.example.test (PTR, A)",
    ]);
    assert!(s.contains("2 kea-1"), "kea-1 opened in a tab:\n{s}");

    // q from the popup quits; the terminal is back.
    t.keys(&["q"]);
    t.assert_restored(0);
    drop(t);
    drop(lab);
}

/// M on a server tab of the lab pair (hot-standby here) lists the relationship with both
/// servers' live state; Esc back to the tree, whose header says the same. 120x30.
#[test]
fn failover_screen_lists_the_lab_pair_in_hot_standby() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-failover-");
    let lab = LabUp::start(root.path(), common::ports(5), true);
    let t = Tmux::start_sized(root.path(), "failover", "", &lab.config, (120, 30));
    t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);
    t.keys(&["Enter"]);
    t.wait_for(&["kea-1 › IPAM tree", "10.0.0.0/8", "Corporate"]);

    // The pair reaches hot-standby a few seconds after `lab up`; the screen refreshes by
    // itself (refresh_interval 10 s).
    t.keys(&["M"]);
    let s = t.wait_until(
        "kea-1-kea-2 with both servers in hot-standby",
        Duration::from_secs(90),
        |s| {
            let row = line_with(s, "kea-1-kea-2 ");
            s.contains("Failover · kea-1")
                && row.contains("hot standby")
                && row.contains("kea-2")
                && row.matches("hot-standby").count() == 2
        },
    );
    assert!(
        line_with(&s, "kea-1-kea-2 ").contains(" ok"),
        "the link between the peers is ok:\n{s}"
    );
    assert!(
        s.contains("kea-1 primary (this server) · kea-2 standby"),
        "the roles:\n{s}"
    );
    let partner = format!("Partner URL  http://127.0.0.1:{}/", lab.port_base + 1);
    assert!(s.contains(&partner), "{s}");

    // Esc: the tree again. It was loaded before the pair was in hot-standby; the refresh
    // timer (10 s) reloads the visible tree, and its header then carries both states.
    t.keys(&["Escape"]);
    t.wait_until("the tree again", Duration::from_secs(10), |s| {
        !s.contains("Failover · kea-1") && s.contains("kea-1 › IPAM tree")
    });
    t.wait_until(
        "the tree header with both HA states",
        Duration::from_secs(30),
        |s| s.contains("HA hot-standby (partner hot-standby)"),
    );

    t.keys(&["q"]);
    t.assert_restored(0);
    drop(t);
    drop(lab);
}

/// n on the tree: a new network 10.99.0.0/24 in the Corporate container; the tree shows it,
/// the events screen (E) lists the change, and `ddish export --what networks` finds it on
/// both servers.
#[test]
fn create_new_network_from_the_tree() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-create-");
    let lab = LabUp::start(root.path(), common::ports(5), false);
    let t = Tmux::start(root.path(), "create", "", &lab.config);
    t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);
    t.keys(&["Enter"]);
    t.wait_for(&["kea-1 › IPAM tree", "10.0.0.0/8", "Corporate"]);
    assert!(
        !t.screen().contains("10.99.0.0/24"),
        "not there before: {}",
        t.screen()
    );

    // n: the Create New menu; network is its first entry.
    t.keys(&["n"]);
    let s = t.wait_for(&["Create new", "network", "container"]);
    assert!(line_with(&s, "› network").contains("network"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for(&["New network in 10.0.0.0/8", "CIDR", "Title"]);
    t.type_text("10.99.0.0/24");
    t.keys(&["Tab"]);
    t.wait_for(&["CIDR          10.99.0.0/24"]);
    t.type_text("E2E test net");
    t.wait_for(&["E2E test net"]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["network 10.99.0.0/24 created"]);
    assert!(
        s.contains("(on kea-1, kea-2)"),
        "written on both peers:\n{s}"
    );
    let s = t.wait_until(
        "the new network in the tree",
        Duration::from_secs(30),
        |s| !s.contains("New network in") && line_with(s, "10.99.0.0/24").contains("E2E test net"),
    );
    assert!(
        line_with(&s, "10.99.0.0/24").contains("Network"),
        "a network, not a scope:\n{s}"
    );

    // E: the change is in ddish's journal, as the events screen shows it.
    t.keys(&["E"]);
    let s = t.wait_for(&["Events", "network-create cidr=10.99.0.0/24"]);
    let row = line_with(&s, "network-create");
    assert!(
        row.contains("kea-1") && row.contains("ddish change"),
        "the event row:\n{s}"
    );

    t.keys(&["q"]);
    t.assert_restored(0);
    drop(t);

    // The real CLI reads it back from both servers.
    let csv = lab.cli(&["export", "--what", "networks"]);
    for server in ["kea-1", "kea-2"] {
        let row = csv
            .lines()
            .find(|l| l.starts_with(&format!("{server},")) && l.contains(",10.99.0.0/24,"))
            .unwrap_or_else(|| panic!("10.99.0.0/24 not on {server}:\n{csv}"));
        assert!(
            row.contains("Network,10.99.0.0/24,10.0.0.0/8,") && row.contains("E2E test net"),
            "{row}"
        );
    }
    drop(lab);
}

/// Space marks a scope, B: lease duration 7200 with a preview, y applies; the outcome table
/// says both peers were written, and both Kea servers have the new lifetime.
#[test]
fn bulk_lease_time_on_a_marked_scope() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-bulk-");
    let lab = LabUp::start(root.path(), common::ports(5), false);
    let lifetime = |i: u16| {
        let r = lab.kea(i, "config-get");
        let subnets = r["arguments"]["Dhcp4"]["subnet4"].as_array().cloned();
        let sub = subnets
            .unwrap_or_default()
            .into_iter()
            .find(|s| s["subnet"] == "127.0.99.0/24")
            .expect("127.0.99.0/24 on the server");
        sub["valid-lifetime"].as_u64()
    };
    assert_eq!(lifetime(0), Some(3600), "the sample's lifetime before");

    let t = Tmux::start(root.path(), "bulk", "", &lab.config);
    t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);
    t.keys(&["Enter"]);
    t.wait_for(&["kea-1 › IPAM tree", "127.0.99.0/24", "192.0.2.0/28"]);
    // The last row is 192.0.2.0/28; the loopback scope is just above it.
    t.keys(&["G", "Up", "Space"]);
    let s = t.wait_for(&["1 scope marked on 1 server"]);
    assert!(
        line_with(&s, "127.0.99.0/24").starts_with("│✓"),
        "the scope carries the mark:\n{s}"
    );
    assert!(!line_with(&s, "192.0.2.0/28").contains('✓'), "{s}");

    t.keys(&["B"]);
    t.wait_for(&[
        "Bulk change · 1 marked scope(s) on 1 server(s)",
        "› lease duration",
    ]);
    t.keys(&["Enter"]);
    t.wait_for(&["Lease duration · 1 marked scope", "Lease (s)"]);
    t.type_text("7200");
    t.keys(&["Enter"]);
    // The preview asks the servers first ("asking every server…"), then lists the change.
    let s = t.wait_until("the preview", Duration::from_secs(60), |s| {
        s.contains("Preview: nothing is written yet") && !s.contains("asking every server")
    });
    assert!(
        s.contains("127.0.99.0/24: valid-lifetime 3600 -> 7200"),
        "the preview names the change:\n{s}"
    );
    assert!(s.contains("the same change on its HA peer kea-2"), "{s}");
    // Nothing written yet.
    assert_eq!(lifetime(0), Some(3600), "the preview wrote nothing");

    t.keys(&["y"]);
    let s = t.wait_until("the outcome", Duration::from_secs(60), |s| {
        s.contains("Outcome · valid-lifetime 7200") && !s.contains("writing on every server")
    });
    let row = line_with(&s, "✓ ok");
    assert!(
        row.contains("kea-1") && row.contains("written on kea-1, kea-2"),
        "the outcome row:\n{s}"
    );
    assert_eq!(lifetime(0), Some(7200), "kea-1 has the new lifetime");
    assert_eq!(lifetime(1), Some(7200), "kea-2 has the new lifetime");

    t.keys(&["Escape", "q"]);
    t.assert_restored(0);
    drop(t);
    drop(lab);
}

/// `a` on a scope of the tree: deactivate, confirm; the tree and both servers (read back with
/// `ddish export --what scopes`) say Inactive.
#[test]
fn tree_actions_deactivate_a_scope() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-actions-");
    let lab = LabUp::start(root.path(), common::ports(5), false);
    let t = Tmux::start(root.path(), "actions", "", &lab.config);
    t.wait_for(&["Servers", "kea-1", "kea-2", "2.2.0"]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["kea-1 › IPAM tree", "10.20.0.0/24", "192.0.2.0/28"]);
    assert!(line_with(&s, "10.20.0.0/24").contains("Active"), "{s}");
    // From the last row (192.0.2.0/28) up past 127.0.99.0/24, the group, 10.30.0.0/26.
    t.keys(&["G", "Up", "Up", "Up", "Up", "a"]);
    let s = t.wait_for(&["Scope 10.20.0.0/24 · Active", "edit scope", "delete scope"]);
    assert!(line_with(&s, "deactivate").contains("10.20.0.0/24"), "{s}");
    t.keys(&["Down"]);
    t.wait_until("deactivate selected", Duration::from_secs(10), |s| {
        line_with(s, "deactivate 10.20.0.0/24").contains("›")
    });
    t.keys(&["Enter"]);
    t.wait_for(&["Deactivate the scope 10.20.0.0/24 on kea-1?", "y yes"]);
    t.keys(&["y"]);
    let s = t.wait_for(&["scope 10.20.0.0/24 deactivated"]);
    assert!(
        s.contains("(on kea-1, kea-2)"),
        "written on both peers:\n{s}"
    );
    t.wait_until("the tree shows it inactive", Duration::from_secs(30), |s| {
        line_with(s, "10.20.0.0/24").contains("Inactive")
    });

    t.keys(&["q"]);
    t.assert_restored(0);
    drop(t);

    let csv = lab.cli(&["export", "--what", "scopes"]);
    for server in ["kea-1", "kea-2"] {
        let row = csv
            .lines()
            .find(|l| l.starts_with(&format!("{server},")) && l.contains(",10.20.0.0/24,"))
            .unwrap_or_else(|| panic!("10.20.0.0/24 not on {server}:\n{csv}"));
        assert!(row.contains(",Inactive,"), "{row}");
    }
    drop(lab);
}

/// K on a server tab: the running configuration in $EDITOR (a script here), the console
/// gives it the terminal and takes it back; the change shows in a question, y writes it to
/// both peers.
#[test]
fn k_edits_the_configuration_in_the_editor() {
    let _one_lab = lab_lock();
    let root = temp_root("ddish-e2e-kedit-");
    let lab = LabUp::start(root.path(), common::ports(5), false);
    let ed = root.path().join("ed.sh");
    std::fs::write(
        &ed,
        "#!/bin/sh\nsed -i 's/^    \"valid-lifetime\": [0-9]*/    \"valid-lifetime\": 4242/' \"$1\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ed, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = format!("EDITOR={} VISUAL=", ed.display());
    let t = Tmux::start_sized(root.path(), "kedit", &env, &lab.config, (120, 30));
    t.wait_for(&["Servers", "kea-1", "kea-2"]);
    t.keys(&["Enter"]);
    t.wait_for(&["kea-1 › IPAM tree"]);
    t.keys(&["K"]);
    t.wait_for(&["Write the configuration", "/Dhcp4/valid-lifetime", "4242"]);
    t.keys(&["y"]);
    let s = t.wait_for(&["1 change written: /Dhcp4/valid-lifetime"]);
    assert!(s.contains("kea-1") && s.contains("kea-2"), "{s}");
    for server in ["kea-1", "kea-2"] {
        let o = common::ddish(
            &lab.config,
            &[
                "config",
                "show",
                "--server",
                server,
                "--section",
                "valid-lifetime",
            ],
        );
        assert_eq!(common::ok(&o).trim(), "4242", "{server}");
    }
    t.keys(&["q"]);
    t.assert_restored(0);
    drop(t);
    drop(lab);
}
