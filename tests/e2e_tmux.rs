//! End to end: the real `ddish` binary in tmux on the real lab (Kea HA pair + BIND on
//! loopback, ports 20450-20454). Open a server, a scope, an IP; quit; the terminal is back
//! to normal (no alternate screen, canonical mode, echo).
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ddish::lab::{HaMode, Lab, LabOptions};

struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", self.session, k]);
            // One key at a time, as a person types: Esc followed at once by a letter would
            // read as Alt+letter.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", self.session])
    }

    /// Waits until the screen contains every needle; panics with the screen otherwise.
    fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("waited 30 s for {needles:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Tmux {
    /// Runs `ddish --config CFG` (with `env` before it) in a new 80x24 tmux session. After
    /// ddish exits, the pane shows `EXIT=<code>`, the terminal's icanon/echo modes and
    /// `MODES-DONE`; stderr goes to `dir/stderr`, state and data dirs into `dir/xdg`.
    fn start(dir: &Path, name: &'static str, env: &str, cfg: &Path) -> Tmux {
        let xdg = dir.join("xdg");
        let script = dir.join(format!("{name}.sh"));
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n{env} XDG_STATE_HOME={x} XDG_DATA_HOME={x} {bin} --config {cfg} 2>{d}/stderr\n\
                 echo EXIT=$?\nstty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '\n\
                 echo MODES-DONE\nsleep 60\n",
                x = xdg.display(),
                d = dir.display(),
                bin = env!("CARGO_BIN_EXE_ddish"),
                cfg = cfg.display()
            ),
        )
        .unwrap();
        let t = Tmux {
            socket: format!("ddish-{name}-{}", std::process::id()),
            session: name,
        };
        t.cmd(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "80",
            "-y",
            "24",
            "sh",
            &script.to_string_lossy(),
        ]);
        t
    }

    /// After ddish exited: its exit code was `code` and the terminal is back to normal
    /// (canonical mode, echo, no alternate screen).
    fn assert_restored(&self, code: i32) {
        let s = self.wait_for(&["MODES-DONE"]);
        assert!(
            s.contains(&format!("EXIT={code}")),
            "exit code {code} expected:\n{s}"
        );
        assert!(
            s.contains("icanon") && !s.contains("-icanon"),
            "canonical mode back:\n{s}"
        );
        assert!(
            s.contains("echo") && !s.contains("-echo "),
            "echo back:\n{s}"
        );
        assert_eq!(
            self.cmd(&[
                "display-message",
                "-p",
                "-t",
                self.session,
                "#{alternate_on}"
            ])
            .trim(),
            "0",
            "alternate screen left"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn open_server_scope_ip_then_quit_restores_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is not installed: run scripts/install-deps.sh");
    }
    let dir = tempfile::Builder::new()
        .prefix("ddish-e2e-")
        .tempdir_in("/tmp")
        .unwrap();
    let lab = Lab::start(&LabOptions {
        dir: dir.path().to_path_buf(),
        port_base: 20450,
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
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
        "[[server]]\nname = \"nowhere\"\nurl = \"http://127.0.0.1:20459/\"\n",
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
