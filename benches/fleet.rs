//! Fleet refresh benchmark (issue 6): the status refresh of many real Kea servers (each a
//! kea-dhcp4 + Control Agent on loopback, started here) against the slowest single server.
//! Prints figures; asserts nothing about time. Run: `cargo bench --bench fleet`
//! (`DDISH_BENCH_SERVERS=N` to change the fleet size, default 32, at most 40).
//!
//! Every Kea here shares this machine's cores with ddish, so a refresh of all of them is
//! bound by CPU: it can't take less than the CPU all servers need divided by the cores.
//! The bench prints that bound next to the fleet time (how well the refreshes overlap),
//! then the case the requirement is about in real life: one server slow for reasons
//! outside the machine (here: its Control Agent stopped for 150 ms), where the fleet must
//! take barely longer than that server alone.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use ddish::lab::{leases_csv, minimal_dhcp4, KeaInstance, SeedLease};
use ddish::model::tree::ScopeSummary;
use ddish::model::ServerTree;
use ddish::ops::fleet::{self, ServiceState, StatusCache};
use ddish::ops::Session;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

const USER: &str = "ddish";
const PASS: &str = "fleet-secret-pw";
const FIRST_PORT: u16 = 21620;
const MAX_SERVERS: usize = 40;
const SLOW: Duration = Duration::from_millis(150);

fn tempdir() -> tempfile::TempDir {
    // Kea's control socket path must stay short; the daemons (as nobody) must reach it.
    let d = tempfile::Builder::new()
        .prefix("ddish-fleet-bench-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Before,
    Cold,
    Steady,
}

/// The refresh as ddish did it before the configuration was reused: four requests at once
/// on every refresh, and the scope tree built from them.
async fn before(session: &Session, name: &str) -> bool {
    let Ok(c) = session.client(name) else {
        return false;
    };
    let (v, cfg, st, stats) = tokio::join!(
        c.version_get(),
        c.config_get(),
        c.status_get(),
        c.stat_lease4_get()
    );
    let (Ok(_), Ok(cfg), Ok(_), Ok(stats)) = (v, cfg, st, stats) else {
        return false;
    };
    let scopes = cfg
        .scopes
        .into_iter()
        .map(|def| ScopeSummary {
            stats: stats.get(&def.id).copied(),
            def,
        })
        .collect();
    let tree = ServerTree::build(&cfg.networks, scopes);
    tree.scopes.len() == 2
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU seconds used so far by these processes (utime + stime from /proc).
fn cpu_of(pids: &[u32]) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|s| {
            // Fields after the command name (which may hold spaces) start after ')'.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        / hz
}

fn main() {
    let n: usize = std::env::var("DDISH_BENCH_SERVERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
        .clamp(1, MAX_SERVERS);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let dir = tempdir();
    let d = dir.path();
    let started = Instant::now();
    let servers: Vec<KeaInstance> = (0..n)
        .map(|i| kea(d, &format!("bench-{i}"), FIRST_PORT + 2 * i as u16))
        .collect();
    println!(
        "started {n} Kea servers (kea-dhcp4 + kea-ctrl-agent each) in {:.1} s; {cores} cores",
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
    let cfg_path = d.join("ddish.toml");
    std::fs::write(
        &cfg_path,
        format!("[settings]\nrequest_timeout = 5\njournal = \"journal.jsonl\"\n{body}"),
    )
    .unwrap();
    let cfg = ddish::config::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    let session = Session::new(cfg);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // A configuration is only reused once it is 3 s old (see StatusCache): let them age.
    std::thread::sleep(Duration::from_secs(4));
    // Warm the connections (keep-alive) and check every server runs.
    let rows = rt.block_on(fleet::status_all(&session, 64));
    assert!(
        rows.iter().all(|r| r.state == ServiceState::Running),
        "{rows:#?}"
    );
    let limit = Duration::from_secs(10);

    // Each command alone on one server: where a refresh's time goes.
    let c = session.client(&servers[0].name).unwrap();
    let phase = |label: &str, f: &dyn Fn() -> Duration| {
        let t = median((0..30).map(|_| f()).collect());
        println!("  {label:<16} {:>7.2} ms", ms(t));
    };
    println!("one request alone to one server (median of 30):");
    macro_rules! time {
        ($e:expr) => {
            &|| {
                let t = Instant::now();
                rt.block_on($e).expect("request");
                t.elapsed()
            }
        };
    }
    phase("version-get", time!(c.version_get()));
    phase("config-get", time!(c.config_get()));
    phase("status-get", time!(c.status_get()));
    phase("stat-lease4-get", time!(c.stat_lease4_get()));
    phase("list-commands", time!(c.list_commands()));

    // Kea's processes and ours, for the CPU figures.
    let mut pids: Vec<u32> = servers
        .iter()
        .flat_map(|k| k.pids().into_iter().map(|(_, p)| p))
        .collect();
    pids.push(std::process::id());

    for (label, mode) in [
        (
            "before (as ddish refreshed until now: version, config, status, stats each time)",
            Mode::Before,
        ),
        (
            "first refresh now (version, config, status, stats, commands)",
            Mode::Cold,
        ),
        (
            "steady refresh now (status, stats; config reused)",
            Mode::Steady,
        ),
    ] {
        let prepare = || {
            if mode == Mode::Cold {
                StatusCache::clear()
            }
        };
        let one = |name: &str| -> bool {
            match mode {
                Mode::Before => rt.block_on(before(&session, name)),
                _ => {
                    rt.block_on(fleet::server_status(&session, name, limit))
                        .state
                        == ServiceState::Running
                }
            }
        };
        let all = || -> bool {
            match mode {
                Mode::Before => rt
                    .block_on(async {
                        stream::iter(servers.iter())
                            .map(|k| before(&session, &k.name))
                            .buffer_unordered(64)
                            .collect::<Vec<bool>>()
                            .await
                    })
                    .into_iter()
                    .all(|ok| ok),
                _ => rt
                    .block_on(fleet::status_all(&session, 64))
                    .iter()
                    .all(|r| r.state == ServiceState::Running),
            }
        };
        // Each server alone, 10 times: the slowest server's median.
        let mut medians = Vec::new();
        let mut slowest = Duration::ZERO;
        let mut slowest_name = String::new();
        let cpu0 = cpu_of(&pids);
        let own0 = cpu_of(&[std::process::id()]);
        let mut singles = 0u32;
        for k in &servers {
            let times: Vec<Duration> = (0..10)
                .map(|_| {
                    prepare();
                    let t = Instant::now();
                    let ok = one(&k.name);
                    let e = t.elapsed();
                    assert!(ok, "{} failed", k.name);
                    singles += 1;
                    e
                })
                .collect();
            let m = median(times);
            medians.push(m);
            if m > slowest {
                slowest = m;
                slowest_name = k.name.clone();
            }
        }
        let cpu_single = (cpu_of(&pids) - cpu0) / singles as f64;
        let own_single = (cpu_of(&[std::process::id()]) - own0) / singles as f64;
        let typical = median(medians);
        // The whole fleet at once, 10 rounds.
        let mut fleet_times = Vec::new();
        for _ in 0..10 {
            prepare();
            let t = Instant::now();
            let ok = all();
            fleet_times.push(t.elapsed());
            assert!(ok, "a server failed");
        }
        let best = *fleet_times.iter().min().unwrap();
        let med = median(fleet_times);
        // The most the fleet could overlap on this machine: all servers' CPU over the cores.
        let bound = Duration::from_secs_f64(cpu_single * n as f64 / cores as f64);
        println!("{label}:");
        println!(
            "  single server: slowest {:.2} ms ({slowest_name}, its median of 10), typical {:.2} ms; CPU per server refresh {:.2} ms (ddish's share {:.2} ms)",
            ms(slowest),
            ms(typical),
            cpu_single * 1000.0,
            own_single * 1000.0
        );
        println!(
            "  fleet of {n}: median {:.1} ms, best {:.1} ms = {:.1}x the slowest member",
            ms(med),
            ms(best),
            med.as_secs_f64() / slowest.as_secs_f64().max(1e-9)
        );
        println!(
            "  CPU bound on {cores} cores: {:.1} ms ({n} x CPU per server / cores); fleet median = {:.2}x that bound",
            ms(bound),
            med.as_secs_f64() / bound.as_secs_f64().max(1e-9)
        );
    }

    // How the ratio grows with the fleet on this machine: each size's fleet refresh
    // against its own slowest member (steady refreshes, medians of 10).
    println!("fleet size sweep, steady refresh (every Kea on this machine's {cores} cores):");
    for size in [1usize, 2, 4, 8, 16, 32, 40] {
        if size > n {
            break;
        }
        let names: Vec<String> = servers[..size].iter().map(|k| k.name.clone()).collect();
        let slowest = names
            .iter()
            .map(|name| {
                median(
                    (0..10)
                        .map(|_| {
                            let t = Instant::now();
                            rt.block_on(fleet::server_status(&session, name, limit));
                            t.elapsed()
                        })
                        .collect(),
                )
            })
            .max()
            .unwrap_or_default();
        let cpu0 = cpu_of(&pids);
        let whole = median(
            (0..10)
                .map(|_| {
                    let t = Instant::now();
                    rt.block_on(fleet::status_of(&session, &names, 64));
                    t.elapsed()
                })
                .collect(),
        );
        let cpu = (cpu_of(&pids) - cpu0) / 10.0;
        println!(
            "  {size:>2} servers: slowest alone {:>6.2} ms, fleet {:>6.2} ms = {:>5.2}x; CPU per fleet refresh {:>6.2} ms",
            ms(slowest),
            ms(whole),
            whole.as_secs_f64() / slowest.as_secs_f64().max(1e-9),
            cpu * 1000.0
        );
    }

    // One server slow for reasons outside this machine: its Control Agent stopped for
    // SLOW, then resumed. Alone, then with the whole fleet.
    let slow = &servers[n / 2];
    let ca = slow.ca_pid().expect("CA pid") as libc::pid_t;
    let with_slow = |f: &dyn Fn() -> Duration| -> Duration {
        // SAFETY: signals to a child process this bench started and still owns.
        unsafe { libc::kill(ca, libc::SIGSTOP) };
        let resumer = std::thread::spawn(move || {
            std::thread::sleep(SLOW);
            // SAFETY: as above.
            unsafe { libc::kill(ca, libc::SIGCONT) };
        });
        let t = f();
        resumer.join().unwrap();
        t
    };
    let alone = median(
        (0..5)
            .map(|_| {
                with_slow(&|| {
                    let t = Instant::now();
                    let s = rt.block_on(fleet::server_status(&session, &slow.name, limit));
                    assert_eq!(s.state, ServiceState::Running, "{s:?}");
                    t.elapsed()
                })
            })
            .collect(),
    );
    let all = median(
        (0..5)
            .map(|_| {
                with_slow(&|| {
                    let t = Instant::now();
                    let rows = rt.block_on(fleet::status_all(&session, 64));
                    assert!(rows.iter().all(|r| r.state == ServiceState::Running));
                    t.elapsed()
                })
            })
            .collect(),
    );
    println!(
        "one server slow ({} ms stall of its Control Agent), steady refresh:",
        SLOW.as_millis()
    );
    println!(
        "  that server alone {:.1} ms; fleet of {n} {:.1} ms = {:.2}x the slowest member (+{:.1} ms)",
        ms(alone),
        ms(all),
        all.as_secs_f64() / alone.as_secs_f64().max(1e-9),
        ms(all.saturating_sub(alone))
    );
}
