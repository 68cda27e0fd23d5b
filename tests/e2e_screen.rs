//! The console under GNU screen (issue 15: admins run it in screen or tmux over SSH), at
//! 80x24: the Servers tab draws, q quits with exit 0; in monochrome (--color never) it
//! still draws; and on a terminal that cannot draw (TERM=dumb) it refuses in words.
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Screen {
    name: String,
    dir: std::path::PathBuf,
}

impl Screen {
    /// `cmd` in a detached 80x24 screen session; the shell says EXIT=<code> after it.
    fn start(dir: &Path, name: &str, cmd: &str) -> Screen {
        let s = Screen {
            name: format!("{name}-{}", std::process::id()),
            dir: dir.to_path_buf(),
        };
        // screen wants its socket directory private.
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().mode(0o700).create(dir.join("s"));
        let status = Command::new("screen")
            .args(["-U", "-c", "/dev/null", "-dmS", &s.name])
            .args(["bash", "-c", &format!("{cmd}; echo EXIT=$?; sleep 120")])
            .env("SCREENDIR", dir.join("s"))
            .env("XDG_STATE_HOME", dir.join("xdg"))
            .env("XDG_DATA_HOME", dir.join("xdg"))
            .status()
            .expect("screen runs (scripts/install-deps.sh installs it)");
        assert!(status.success());
        s
    }

    fn cmd(&self, args: &[&str]) {
        Command::new("screen")
            .args(["-S", &self.name, "-X"])
            .args(args)
            .env("SCREENDIR", self.dir.join("s"))
            .status()
            .expect("screen runs");
    }

    /// The window's text now (a fresh file each time: screen writes it a moment later).
    fn text(&self) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let f = self
            .dir
            .join(format!("hardcopy-{}", N.fetch_add(1, Ordering::Relaxed)));
        self.cmd(&["hardcopy", &f.to_string_lossy()]);
        std::thread::sleep(Duration::from_millis(400));
        String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned()
    }

    fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.text();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let ls = Command::new("screen")
                    .arg("-ls")
                    .env("SCREENDIR", self.dir.join("s"))
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                panic!("waited for {needles:?}; sessions:\n{ls}\nscreen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.cmd(&["quit"]);
    }
}

#[test]
fn the_console_runs_under_gnu_screen_and_refuses_a_dumb_terminal() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-scr-")
        .tempdir_in("/tmp")
        .unwrap();
    let cfg = dir.path().join("ddish.toml");
    // A server nobody answers for: the tab says so, the console stays live.
    std::fs::write(
        &cfg,
        "[[server]]\nname = \"kea-away\"\nurl = \"http://127.0.0.1:9/\"\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_ddish");
    for (name, extra) in [("colour", ""), ("mono", "--color never")] {
        let s = Screen::start(
            dir.path(),
            name,
            &format!("TERM=screen {bin} {extra} --config {}", cfg.display()),
        );
        let t = s.wait_for(&["Servers", "kea-away", "q quit"]);
        assert!(t.lines().count() <= 24, "80x24:\n{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 80), "80x24:\n{t}");
        s.cmd(&["stuff", "q"]);
        s.wait_for(&["EXIT=0"]);
    }
    let s = Screen::start(
        dir.path(),
        "dumb",
        &format!("TERM=dumb {bin} --config {}", cfg.display()),
    );
    let t = s.wait_for(&["EXIT=2"]);
    assert!(t.contains("cannot draw on TERM=dumb"), "{t}");
}
