//! Starting daemons unprivileged, stopping exactly them, and the pids file.
//!
//! As root every daemon is exec'd through `setpriv` as nobody (65534), so the PID we record is
//! the daemon's own (setpriv execs, no wrapper stays). Each daemon gets its own process group:
//! a Ctrl-C in the terminal that ran `ddish lab up` must not take the lab down with it.
use super::{tools, LabError};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// uid/gid the daemons run as when ddish runs as root.
pub const NOBODY: u32 = 65534;
/// How long a daemon gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and can't fail.
    unsafe { libc::geteuid() == 0 }
}

/// What to run: a daemon's program, arguments, extra environment and log file.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, OsString)>,
    /// stdout+stderr go here (appended).
    pub log: PathBuf,
}

/// One running daemon we started. Dropping it stops it (unless detached).
#[derive(Debug)]
pub(crate) struct Daemon {
    pub spec: Spec,
    child: Option<Child>,
}

impl Daemon {
    pub fn start(spec: Spec) -> Result<Daemon, LabError> {
        let mut d = Daemon { spec, child: None };
        d.restart()?;
        Ok(d)
    }

    /// Starts the daemon again with the same spec (after `stop`).
    pub fn restart(&mut self) -> Result<(), LabError> {
        self.stop();
        use std::os::unix::fs::OpenOptionsExt;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            // The log lives in nobody's dir: never follow a link planted there.
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.spec.log)
            .map_err(|e| LabError::io("cannot open log file", &self.spec.log, e))?;
        let log2 = log
            .try_clone()
            .map_err(|e| LabError::io("cannot open log file", &self.spec.log, e))?;
        own_by_nobody(&self.spec.log);
        let mut cmd = as_daemon_user(&self.spec.program)?;
        cmd.args(&self.spec.args)
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0);
        let child = cmd.spawn().map_err(|e| LabError::Spawn {
            program: self.spec.program.display().to_string(),
            source: e,
        })?;
        self.child = Some(child);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// True while the process runs (reaps it when it has exited).
    pub fn alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn signal(&self, sig: libc::c_int) {
        if let Some(pid) = self.pid() {
            // SAFETY: plain kill(2) on a child we spawned and have not reaped yet.
            unsafe {
                libc::kill(pid as libc::pid_t, sig);
            }
        }
    }

    /// SIGCONT (in case it was paused), SIGTERM, wait up to 5 s, then SIGKILL; reaps it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own unreaped child: the PID can't have been reused.
        unsafe {
            libc::kill(pid, libc::SIGCONT);
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Forgets the process without stopping it (it outlives us); returns its PID.
    pub fn detach(&mut self) -> Option<u32> {
        self.child.take().map(|c| c.id())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A command running `program` as the daemons' user: nobody (through `setpriv`, which execs
/// it, so its PID is the program's) when ddish runs as root, else ddish's own user.
pub(crate) fn as_daemon_user(program: &Path) -> Result<Command, LabError> {
    Ok(if is_root() {
        let mut c = Command::new(tools::program("setpriv")?);
        c.arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg("--")
            .arg(program);
        c
    } else {
        Command::new(program)
    })
}

/// `D/run/pids`: one "name pid" line per started daemon; `down` kills only these.
#[derive(Clone, Debug)]
pub struct PidFile {
    pub path: PathBuf,
}

impl PidFile {
    pub fn new(dir: &Path) -> PidFile {
        PidFile {
            path: dir.join("run").join("pids"),
        }
    }

    pub fn append(&self, name: &str, pid: u32) -> Result<(), LabError> {
        if let Some(parent) = self.path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| LabError::io("cannot create directory", parent, e))?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| LabError::io("cannot write", &self.path, e))?;
        writeln!(f, "{name} {pid}").map_err(|e| LabError::io("cannot write", &self.path, e))
    }

    /// The recorded daemons; an absent file reads as none.
    pub fn read(&self) -> Result<Vec<(String, u32)>, LabError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(LabError::io("cannot read", &self.path, e)),
        };
        Ok(text
            .lines()
            .filter_map(|l| {
                let (name, pid) = l.trim().rsplit_once(' ')?;
                Some((name.to_string(), pid.parse().ok()?))
            })
            .collect())
    }

    pub fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The argv of a process, or None when it no longer exists.
fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// True when `pid` runs (zombies count as gone; reaps them if they are our children).
pub fn pid_alive(pid: u32) -> bool {
    // SAFETY: waitpid with WNOHANG on a PID that may or may not be our child; at worst ECHILD.
    unsafe {
        libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG);
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the field after the parenthesized command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Is `pid` still the daemon we recorded? It must run a program whose arguments mention
/// `dir` (every lab daemon gets a config file under it), so a reused PID is never killed.
pub fn is_ours(pid: u32, dir: &Path) -> bool {
    // With the trailing slash, /tmp/lab never matches a daemon of /tmp/lab2.
    let dir = format!("{}/", dir.to_string_lossy().trim_end_matches('/'));
    cmdline(pid).is_some_and(|argv| argv.iter().any(|a| a.contains(&dir)))
}

/// Stops recorded daemons: SIGCONT+SIGTERM to each still ours, wait up to 5 s, SIGKILL the
/// rest. Returns one entry per daemon, "name (pid N)" plus a note when it was not a plain
/// stop (already exited, SIGKILL needed, PID reused by another program).
pub fn stop_recorded(entries: &[(String, u32)], dir: &Path) -> Vec<String> {
    let mut report = Vec::new();
    let mut waiting = Vec::new();
    for (name, pid) in entries {
        if !pid_alive(*pid) {
            report.push(format!("{name} (pid {pid}: had already exited)"));
        } else if !is_ours(*pid, dir) {
            report.push(format!(
                "{name} (pid {pid}: left alone, that PID now belongs to another program)"
            ));
        } else {
            // SAFETY: kill(2) on a PID verified above to be our daemon.
            unsafe {
                libc::kill(*pid as libc::pid_t, libc::SIGCONT);
                libc::kill(*pid as libc::pid_t, libc::SIGTERM);
            }
            waiting.push((name.clone(), *pid));
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    while !waiting.is_empty() && Instant::now() < deadline {
        waiting.retain(|(name, pid)| {
            let alive = pid_alive(*pid);
            if !alive {
                report.push(format!("{name} (pid {pid})"));
            }
            alive
        });
        std::thread::sleep(Duration::from_millis(20));
    }
    for (name, pid) in waiting {
        // SAFETY: same PID as above, still alive and still ours after the grace period.
        if is_ours(pid, dir) {
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        let until = Instant::now() + Duration::from_secs(2);
        while pid_alive(pid) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        report.push(format!("{name} (pid {pid}, with SIGKILL after 5 s)"));
    }
    report
}

/// As root, hands `path` (one file or dir, not recursive) to nobody so the daemons can write.
pub fn own_by_nobody(path: &Path) {
    if is_root() {
        // lchown: never follow a link out of the lab dir.
        let _ = std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY));
    }
}

/// As root: every ancestor of `dir` must let nobody through, or the daemons can't reach
/// their files (a dir under /root or a 0700 temp dir's parent would fail obscurely later).
pub fn check_reachable_by_nobody(dir: &Path) -> Result<(), LabError> {
    use std::os::unix::fs::MetadataExt;
    if !is_root() {
        return Ok(());
    }
    for anc in dir.ancestors().skip(1) {
        let Ok(m) = fs::metadata(anc) else { continue };
        let ok = m.mode() & 0o001 != 0 || m.uid() == NOBODY;
        if !ok {
            return Err(LabError::Invalid(format!(
                "{} can't be used for the lab: its parent {} is not accessible to user nobody, \
                 which the daemons run as (mode {:o}). Use a directory under /tmp or /var/tmp \
                 (--dir).",
                dir.display(),
                anc.display(),
                m.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

/// The last `n` lines of a log, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let Ok(text) = fs::read_to_string(path) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Creates `dir` (and parents) and, as root, hands it to nobody.
pub fn make_dir(dir: &Path) -> Result<(), LabError> {
    fs::create_dir_all(dir).map_err(|e| LabError::io("cannot create directory", dir, e))?;
    own_by_nobody(dir);
    Ok(())
}

/// chmod, with the error naming the path.
pub fn set_mode(path: &Path, mode: u32) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| LabError::io("cannot set the mode of", path, e))
}

/// Writes a file the daemons read (and may rewrite: Kea's config-write), owned by nobody as root.
pub fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), LabError> {
    write_own_file(path, contents, mode)?;
    own_by_nobody(path);
    Ok(())
}

/// Writes a file for ddish itself (owned by whoever runs ddish, e.g. the CA password).
///
/// The old file is removed first and the new one created exclusively: the lab dirs belong to
/// nobody, and root must never write through a link someone planted there.
pub fn write_own_file(path: &Path, contents: &str, mode: u32) -> Result<(), LabError> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = fs::remove_file(path);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| LabError::io("cannot write", path, e))?;
    f.write_all(contents.as_bytes())
        .map_err(|e| LabError::io("cannot write", path, e))
}

/// Random hex string from the kernel (passwords).
pub fn random_hex(bytes: usize) -> Result<String, LabError> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| LabError::io("cannot read", "/dev/urandom", e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
