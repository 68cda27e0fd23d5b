//! Set-up the integration tests share: running the ddish binary, temp dirs the servers can
//! reach, Kea commands that must succeed, the lab, and (in submodules) scripted servers, a
//! DHCP client, a fault proxy, TLS material and a tmux driver.
#![allow(dead_code)]

pub mod canned;
pub mod dhcp_client;
pub mod proxy;
pub mod tls;
pub mod tmux;

use std::path::Path;
use std::process::{Command, Output};

use ddish::lab::KeaInstance;
use serde_json::Value;

/// Runs the ddish binary with `args`, no terminal, its log and exports kept out of the
/// user's state and data directories.
pub fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

/// [`run`] with more environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddish"))
        .args(args)
        .envs(env.iter().copied())
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("ddish-test-state"),
        )
        .env(
            "XDG_DATA_HOME",
            std::env::temp_dir().join("ddish-test-data"),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ddish")
}

/// [`run`] with `--config cfg`.
pub fn ddish(cfg: impl AsRef<Path>, args: &[&str]) -> Output {
    let cfg = cfg.as_ref().to_string_lossy().into_owned();
    let mut all = vec!["--config", cfg.as_str()];
    all.extend_from_slice(args);
    run(&all)
}

/// Exit code and both outputs, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Its stdout, after asserting it exited 0 (both outputs shown otherwise).
pub fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A Kea command through the instance's API; panics when it cannot be sent.
pub fn cmd(k: &KeaInstance, command: &str, args: Option<Value>) -> Value {
    k.command(command, args)
        .unwrap_or_else(|e| panic!("{command}: {e}"))
}

/// How many times kea-dhcp4 received `command` (its log has one COMMAND_RECEIVED line each).
pub fn received(k: &KeaInstance, command: &str) -> usize {
    commands_received(k)
        .iter()
        .filter(|c| *c == command)
        .count()
}

/// Every command kea-dhcp4 received so far, in order (one COMMAND_RECEIVED line each).
pub fn commands_received(k: &KeaInstance) -> Vec<String> {
    std::fs::read_to_string(&k.dhcp_log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split("Received command '").nth(1))
        .filter_map(|l| l.split('\'').next())
        .map(str::to_string)
        .collect()
}

/// `ddish check` after a killed write on the lab pair: each peer reported as it runs
/// (`states[i]` "old" or "new"), and HA drift reported exactly when the two differ.
pub fn assert_peers_reported(out: &str, states: &[&str]) {
    for (i, state) in states.iter().enumerate() {
        let want = if *state == "old" {
            "old:"
        } else {
            "changed since"
        };
        assert!(
            out.contains(&format!("  kea-{}: {want}", i + 1)),
            "kea-{} should be {state}:\n{out}",
            i + 1
        );
    }
    assert_eq!(
        out.contains("DRIFT between HA peers kea-1 and kea-2:"),
        states[0] != states[1],
        "{out}"
    );
}

/// A temp dir under /tmp that Kea's daemons can reach (0711: they may run as nobody when
/// the tests run as root; under /tmp: Kea's control socket paths must stay short).
pub fn kea_dir(prefix: &str) -> tempfile::TempDir {
    dir_with_mode(prefix, 0o711)
}

/// [`kea_dir`] that named (as nobody) can also read: 0755.
pub fn shared_dir(prefix: &str) -> tempfile::TempDir {
    dir_with_mode(prefix, 0o755)
}

fn dir_with_mode(prefix: &str, mode: u32) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

/// The lab (a load-balancing Kea pair with authentication, plus BIND) in `dir/lab` on five
/// free consecutive ports ([`ports`]).
pub fn lab(dir: &Path) -> ddish::lab::Lab {
    let mut last = None;
    // The lab takes five consecutive ports; another process may take one between the check
    // and Kea's bind: then the next block.
    for attempt in 0..5 {
        match ddish::lab::Lab::start(&ddish::lab::LabOptions {
            dir: dir.join(if attempt == 0 {
                "lab".to_string()
            } else {
                format!("lab-{attempt}")
            }),
            port_base: ports(5),
            ha_mode: ddish::lab::HaMode::LoadBalancing,
            with_auth: true,
            ..Default::default()
        }) {
            Ok(lab) => return lab,
            Err(e @ ddish::lab::LabError::PortInUse { .. }) => last = Some(e),
            Err(e) => panic!("the lab does not start: {e}"),
        }
    }
    panic!("the lab found no free ports after 5 tries: {last:?}")
}

/// `n` consecutive loopback ports, free for TCP and UDP when asked, never handed out twice
/// in this test process: for a test's own servers instead of hand-picked numbers. Below
/// Linux's ephemeral range (32768+), where outgoing connections take theirs; the start is
/// spread by pid so two test binaries run side by side rarely meet.
pub fn ports(n: u16) -> u16 {
    use std::net::{TcpListener, UdpSocket};
    use std::sync::atomic::{AtomicU16, Ordering};
    const LOW: u16 = 31_000;
    const HIGH: u16 = 32_700;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = HIGH - LOW;
    let spread = (std::process::id() % 16) as u16 * (span / 16);
    for _ in 0..span {
        let offset = NEXT.fetch_add(n, Ordering::Relaxed);
        let base = LOW + (spread + offset) % (span - n);
        let free = (base..base + n).all(|p| {
            TcpListener::bind(("127.0.0.1", p)).is_ok() && UdpSocket::bind(("127.0.0.1", p)).is_ok()
        });
        if free {
            return base;
        }
    }
    panic!("no {n} free consecutive ports in {LOW}-{HIGH}");
}

/// Whether the tests run as root (some need it to drop privileges).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether `net.ipv4.ping_group_range` lets `gid` open ping sockets.
pub fn ping_group_covers(gid: u32) -> bool {
    let s = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let mut it = s.split_whitespace().map(|x| x.parse::<u64>());
    match (it.next(), it.next()) {
        (Some(Ok(lo)), Some(Ok(hi))) => lo <= u64::from(gid) && u64::from(gid) <= hi,
        _ => false,
    }
}

/// The uid and gid tests drop to for an unprivileged run.
pub const NOBODY: u32 = 65534;

/// `program` to run as nobody with no capabilities and CAP_NET_RAW out of reach (setpriv):
/// how an admin without ICMP rights runs ddish.
pub fn as_nobody(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut c = std::process::Command::new("setpriv");
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-net_raw",
        "--",
    ])
    .arg(program);
    c
}

/// A Kea on two fresh loopback ports; a port taken between the pick and the start (by a
/// process outside this test's control, e.g. a DNS client's random source port) is
/// picked again rather than failing the test.
#[allow(dead_code)]
pub fn kea_on_free_ports(
    dir: &Path,
    name: &str,
    dhcp4: serde_json::Value,
    auth: Option<(&str, &str)>,
) -> KeaInstance {
    let mut last = None;
    for attempt in 0..5 {
        let port = ports(2);
        match KeaInstance::start(
            &dir.join(format!("{name}-{attempt}")),
            name,
            port,
            port + 1,
            dhcp4.clone(),
            auth,
            None,
        ) {
            Ok(k) => return k,
            Err(e @ ddish::lab::LabError::PortInUse { .. }) => last = Some(e),
            Err(e) => panic!("{name}: Kea does not start: {e}"),
        }
    }
    panic!("{name}: no free ports after 5 tries: {last:?}")
}
