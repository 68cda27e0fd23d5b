//! ICMP ping against loopback only (127.0.0.1 and ::1): as root, and as an unprivileged
//! child process (the test binary re-run under setpriv as nobody without CAP_NET_RAW).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ddish::probe::{ping, PingError, SocketKind};

mod common;
use common::NOBODY;

const CHILD_ENV: &str = "DDISH_PING_CHILD";

#[tokio::test]
async fn ping_loopback_v4_as_root() {
    if !common::is_root() {
        eprintln!("skipped: needs root (RAW socket) unless ping_group_range allows DGRAM");
        return;
    }
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let r = ping(ip, 2, Duration::from_secs(2))
        .await
        .expect("ping 127.0.0.1");
    eprintln!("127.0.0.1: {r:?}");
    assert_eq!(r.ip, ip);
    assert!(r.reachable);
    assert!(r.rtt.is_some());
    assert_eq!(r.sent, 2);
    assert!(r.received >= 1);
    // Root may use either kind: DGRAM when its group is in ping_group_range, else RAW.
    let expected = if my_groups().into_iter().any(common::ping_group_covers) {
        SocketKind::Dgram
    } else {
        SocketKind::Raw
    };
    assert_eq!(r.socket, expected);
}

#[tokio::test]
async fn ping_loopback_v6_as_root() {
    if !common::is_root() || std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: needs root and ::1 on this host");
        return;
    }
    let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let r = ping(ip, 1, Duration::from_secs(2)).await.expect("ping ::1");
    eprintln!("::1: {r:?}");
    assert!(r.reachable);
    assert!(r.rtt.is_some());
    assert_eq!((r.sent, r.received), (1, 1));
}

/// The effective gid and the supplementary groups of this process.
fn my_groups() -> Vec<u32> {
    // SAFETY: getegid has no preconditions and cannot fail.
    let mut g = vec![unsafe { libc::getegid() }];
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(l) = status.lines().find_map(|l| l.strip_prefix("Groups:")) {
        g.extend(l.split_whitespace().filter_map(|x| x.parse::<u32>().ok()));
    }
    g
}

#[test]
fn unprivileged_ping_reports_the_fix_or_uses_dgram() {
    if !common::is_root() {
        eprintln!("skipped: needs root to drop to nobody with setpriv");
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = common::as_nobody(&exe)
        .args(["--exact", "child_ping_as_is", "--ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .current_dir("/")
        .output()
        .expect("run setpriv (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CHILD_RESULT "))
        .unwrap_or_else(|| panic!("no result from the child:\n{stdout}\n{stderr}"));

    if common::ping_group_covers(NOBODY) {
        // The host lets every group use ping sockets; this test may not change the sysctl,
        // so the unprivileged path that exists here is DGRAM, and it must work.
        eprintln!("ping_group_range covers gid {NOBODY}: checking the unprivileged DGRAM path");
        assert_eq!(line, "ok DGRAM reachable");
    } else {
        eprintln!("ping_group_range excludes gid {NOBODY}: expecting the privilege message");
        let msg = line
            .strip_prefix("err ")
            .unwrap_or_else(|| panic!("{line}"));
        assert!(msg.starts_with("ICMP not permitted: "), "{msg}");
        assert!(msg.contains("sudo setcap cap_net_raw+ep"), "{msg}");
        assert!(
            msg.contains("sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
            "{msg}"
        );
    }
}

/// Runs only as the child of the test above (it sets the env var): pings 127.0.0.1 with
/// whatever privilege the process has and prints one line for the parent to check.
#[tokio::test]
#[ignore = "child half of unprivileged_ping_reports_the_fix_or_uses_dgram"]
async fn child_ping_as_is() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    match ping(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, Duration::from_secs(2)).await {
        Ok(r) => println!(
            "CHILD_RESULT ok {} {}",
            r.socket,
            if r.reachable {
                "reachable"
            } else {
                "unreachable"
            }
        ),
        Err(e @ PingError::NotPermitted { .. }) => println!("CHILD_RESULT err {e}"),
        Err(e) => println!("CHILD_RESULT other {e}"),
    }
}
