//! The ddish binary in a tmux session: keys in, screen text out, and the terminal's state
//! after ddish exits. What the end-to-end and console fault tests drive the console with.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    /// The tmux server's socket, inside the test's temp dir (gone with it).
    socket: PathBuf,
    session: &'static str,
}

impl Tmux {
    pub fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", self.session, k]);
            // One key at a time, as a person types: Esc followed at once by a letter would
            // read as Alt+letter.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", self.session])
    }

    /// Types `text` literally (no key names), as one burst.
    pub fn type_text(&self, text: &str) {
        self.cmd(&["send-keys", "-t", self.session, "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits until the screen contains every needle; panics with the screen otherwise.
    pub fn wait_for(&self, needles: &[&str]) -> String {
        self.wait_until(&format!("{needles:?}"), Duration::from_secs(30), |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    /// Waits until `ok(screen)`; panics with `what` and the last screen after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("waited {} s for {what}; screen:\n{s}", timeout.as_secs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The first screen line containing `needle` ("" when none).
pub fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

impl Tmux {
    /// Runs `ddish --config CFG` (with `env` before it) in a new 80x24 tmux session. After
    /// ddish exits, the pane shows `EXIT=<code>`, the terminal's icanon/echo modes and
    /// `MODES-DONE`; stderr goes to `dir/stderr`, state and data dirs into `dir/xdg`.
    pub fn start(dir: &Path, name: &'static str, env: &str, cfg: &Path) -> Tmux {
        Tmux::start_sized(dir, name, env, cfg, (80, 24))
    }

    /// [`Tmux::start`] in a terminal of `(columns, rows)`.
    pub fn start_sized(
        dir: &Path,
        name: &'static str,
        env: &str,
        cfg: &Path,
        size: (u16, u16),
    ) -> Tmux {
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
            socket: dir.join("tmux.sock"),
            session: name,
        };
        t.cmd(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &size.0.to_string(),
            "-y",
            &size.1.to_string(),
            "sh",
            &script.to_string_lossy(),
        ]);
        t
    }

    /// After ddish exited: its exit code was `code` and the terminal is back to normal
    /// (canonical mode, echo, no alternate screen).
    pub fn assert_restored(&self, code: i32) {
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
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
