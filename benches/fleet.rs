//! Fleet refresh benchmark (issue 6): status refresh of many real Kea servers (each a
//! kea-dhcp4 + Control Agent on loopback, started here) at once, against the slowest single
//! server. Prints figures; asserts nothing about time. Run: `cargo bench --bench fleet`.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use ddish::lab::{leases_csv, minimal_dhcp4, KeaInstance, SeedLease};
use ddish::ops::fleet::{self, ServiceState};
use ddish::ops::Session;
use serde_json::{json, Value};

const USER: &str = "ddish";
const PASS: &str = "fleet-secret-pw";

fn tempdir() -> tempfile::TempDir {
    // Kea's control socket path must stay short; the daemons (as nobody) must reach it.
    let d = tempfile::Builder::new()
        .prefix("ddish-fleet-bench-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("ddish.toml");
    std::fs::write(
        &p,
        format!("[settings]\nrequest_timeout = 2\njournal = \"journal.jsonl\"\n{body}"),
    )
    .unwrap();
    p
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Two scopes with some leases, as a small real server has.
fn subnets() -> Value {
    json!([
        {"id": 1, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.10 - 10.20.0.19"}]},
        {"id": 2, "subnet": "10.21.0.0/24", "pools": [{"pool": "10.21.0.10 - 10.21.0.100"}]}
    ])
}

fn leases() -> String {
    let now = ddish::ops::now();
    let l: Vec<SeedLease> = (0..9u8)
        .map(|i| {
            SeedLease::new(
                std::net::Ipv4Addr::new(10, 20, 0, 10 + i),
                1,
                &format!("aa:bb:cc:00:00:{:02x}", 0x10 + i),
                &format!("host{i}"),
                3600,
                60,
                now,
            )
        })
        .collect();
    leases_csv(&l)
}

fn kea(dir: &Path, name: &str, ca: u16) -> KeaInstance {
    KeaInstance::start(
        &dir.join(name),
        name,
        ca,
        ca + 1,
        minimal_dhcp4(subnets()),
        Some((USER, PASS)),
        Some(&leases()),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn main() {
    const N: u16 = 16;
    let dir = tempdir();
    let d = dir.path();
    let started = std::time::Instant::now();
    let servers: Vec<KeaInstance> = (0..N)
        .map(|i| kea(d, &format!("bench-{i}"), 21460 + 2 * i))
        .collect();
    println!(
        "started {N} Kea servers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    std::fs::write(d.join("right.pass"), format!("{PASS}\n")).unwrap();
    let body: String = servers
        .iter()
        .map(|k| {
            format!(
                "\n[[server]]\nname = \"{}\"\nurl = \"{}\"\nuser = \"{USER}\"\npassword_file = \"right.pass\"\n",
                k.name, k.ca_url
            )
        })
        .collect();
    let cfg = ddish::config::load(&write_config(d, &body)).unwrap_or_else(|e| panic!("{e}"));
    let session = Session::new(cfg);
    let rt = rt();
    // Warm up the clients (connections), then time each server alone.
    let _ = rt.block_on(fleet::status_all(&session, 32));
    let mut slowest = Duration::ZERO;
    for k in &servers {
        let t = std::time::Instant::now();
        let s = rt.block_on(fleet::server_status(
            &session,
            &k.name,
            Duration::from_secs(10),
        ));
        assert_eq!(s.state, ServiceState::Running, "{s:?}");
        slowest = slowest.max(t.elapsed());
    }
    let rounds = 5;
    let mut fleet_times = Vec::new();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let rows = rt.block_on(fleet::status_all(&session, 32));
        fleet_times.push(t.elapsed());
        assert!(rows.iter().all(|r| r.state == ServiceState::Running));
    }
    // The same one at a time, for scale: on a 2-core machine that also runs every Kea,
    // the fleet refresh is bound by CPU, not by waiting.
    let t = std::time::Instant::now();
    let rows = rt.block_on(fleet::status_all(&session, 1));
    let serial = t.elapsed();
    assert!(rows.iter().all(|r| r.state == ServiceState::Running));
    println!(
        "one at a time: {:.1} ms; cores: {}",
        serial.as_secs_f64() * 1000.0,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let best = fleet_times.iter().min().copied().unwrap_or_default();
    let mean = fleet_times.iter().sum::<Duration>() / rounds;
    println!(
        "slowest single server: {:.1} ms; whole fleet of {N}: best {:.1} ms, mean {:.1} ms \
         ({:.2}x the slowest member)",
        slowest.as_secs_f64() * 1000.0,
        best.as_secs_f64() * 1000.0,
        mean.as_secs_f64() * 1000.0,
        mean.as_secs_f64() / slowest.as_secs_f64().max(1e-9)
    );
}
