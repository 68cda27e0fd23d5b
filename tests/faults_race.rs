//! F3 against another tool: two ddish sessions (each its own lock file handle, as two
//! processes) reserve addresses on one real Kea while a third writer, a plain HTTP client
//! doing config-get, edit, config-set as a script or a web IPAM would, adds reservations of
//! its own at random moments. 200 trials. No write may be reported done that the server does
//! not hold; how often ddish undoes the other writer's change without knowing it (the
//! window Kea leaves: no compare-and-set) is printed. Kea on free ports.
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ddish::lab::KeaInstance;
use ddish::ops::{Ident, OpError, ReservationRequest, ReservationType, Session};
use serde_json::json;

mod common;

const TRIALS: usize = 200;

fn reservations(k: &KeaInstance) -> Vec<String> {
    let r = common::cmd(k, "config-get", None);
    r["arguments"]["Dhcp4"]["subnet4"][0]["reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ip-address"].as_str().map(str::to_string))
        .collect()
}

/// The other tool: config-get, add one reservation, config-set (no lock, no check).
fn other_tool_reserves(k: &KeaInstance, ip: &str, mac: &str) -> bool {
    let Ok(r) = k.command("config-get", None) else {
        return false;
    };
    let mut cfg = r["arguments"].clone();
    if let Some(top) = cfg.as_object_mut() {
        top.remove("hash");
    }
    let Some(list) = cfg["Dhcp4"]["subnet4"][0]["reservations"].as_array_mut() else {
        return false;
    };
    list.push(json!({"ip-address": ip, "hw-address": mac}));
    k.config_set(cfg).is_ok_and(|r| r["result"] == 0)
}

fn ddish_reserves(session: &Session, ip: Ipv4Addr, mac: String) -> Result<(), OpError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let req = ReservationRequest {
        ident: Ident::Mac(mac),
        kind: ReservationType::Dhcp,
        hostname: None,
        description: None,
    };
    rt.block_on(session.reserve("kea-r", ip, &req, true))
        .map(|_| ())
}

#[test]
fn ddish_never_reports_a_change_the_server_lost_to_another_tool() {
    let dir = common::kea_dir("ddish-race-");
    let subnets = json!([{"id": 1, "subnet": "10.40.0.0/21", "reservations": [],
        "pools": [{"pool": "10.40.0.1 - 10.40.7.250"}]}]);
    let p = common::ports(2);
    let k = KeaInstance::start(
        &dir.path().join("kea"),
        "kea-r",
        p,
        p + 1,
        ddish::lab::minimal_dhcp4(subnets),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let api = match ddish::lab::KeaDist::from_env().unwrap().api {
        ddish::lab::LabApi::Agent => "agent",
        ddish::lab::LabApi::Direct => "direct",
    };
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[settings]\njournal = \"{}\"\n\n[[server]]\nname = \"kea-r\"\nurl = \"{}\"\napi = \"{api}\"\nrole = \"admin\"\n",
            dir.path().join("journal.jsonl").display(),
            k.ca_url
        ),
    )
    .unwrap();
    let load = || Session::new(ddish::config::load(&cfg).unwrap());
    let (a, b) = (load(), load());

    // How long one ddish reservation takes here: the other tool's offsets span it.
    let t = Instant::now();
    ddish_reserves(&a, "10.40.6.1".parse().unwrap(), "02:ee:00:00:00:01".into()).unwrap();
    let span_ms = (t.elapsed().as_millis() as u64).max(20);

    let (mut done, mut changed, mut unverified) = (0usize, 0usize, 0usize);
    let (mut other_done, mut ddish_lost, mut other_lost) = (0usize, Vec::new(), Vec::new());
    for i in 0..TRIALS {
        let (hi, lo) = ((i / 250) as u8, (i % 250 + 1) as u8);
        let ip_a = format!("10.40.{}.{lo}", hi);
        let ip_b = format!("10.40.{}.{lo}", 2 + hi);
        let ip_o = format!("10.40.{}.{lo}", 4 + hi);
        let mac = |n: u8| format!("02:ee:{n:02x}:{hi:02x}:{lo:02x}:01");
        let delay = Duration::from_millis(fastrand::u64(0..span_ms * 2));
        let (ra, rb, ro) = std::thread::scope(|s| {
            let ta = s.spawn(|| ddish_reserves(&a, ip_a.parse().unwrap(), mac(1)));
            let tb = s.spawn(|| ddish_reserves(&b, ip_b.parse().unwrap(), mac(2)));
            let to = s.spawn(|| {
                std::thread::sleep(delay);
                other_tool_reserves(&k, &ip_o, &mac(3))
            });
            (ta.join().unwrap(), tb.join().unwrap(), to.join().unwrap())
        });
        let now = reservations(&k);
        for (ip, r) in [(&ip_a, ra), (&ip_b, rb)] {
            match r {
                Ok(()) if now.contains(ip) => done += 1,
                Ok(()) => ddish_lost.push(format!("trial {i}: ddish said {ip} done, not held")),
                // Said, not silent: stopped before sending (changed meanwhile), or sent and
                // then overwritten by the other tool (not verified, exit 4).
                Err(OpError::Changed(_)) => changed += 1,
                Err(OpError::Unverified(_)) => unverified += 1,
                Err(e) => panic!("trial {i}: {ip}: {e}"),
            }
        }
        if ro {
            other_done += 1;
            if !now.contains(&ip_o) {
                other_lost.push(format!(
                    "trial {i}: the other tool's {ip_o} (set after {} ms) is gone",
                    delay.as_millis()
                ));
            }
        }
    }
    let dist = ddish::lab::KeaDist::from_env().unwrap();
    let version = dist.version().unwrap_or_default();
    println!(
        "F3 Kea {version}, {TRIALS} trials, two ddish sessions + another tool's config-set at \
         0-{} ms: ddish {done} done and held, {changed} stopped as changed meanwhile, \
         {unverified} reported not verified (overwritten after); ddish said done but not held: \
         {}; the other tool {other_done} set, undone by ddish without a word: {}",
        span_ms * 2,
        ddish_lost.len(),
        other_lost.len()
    );
    for l in &other_lost {
        println!("  {l}");
    }
    // Nothing ddish reported done is missing.
    assert!(ddish_lost.is_empty(), "{ddish_lost:#?}");
    assert!(done > TRIALS / 2, "most ddish writes get through: {done}");
    // The other tool's change undone without a word is a measured figure, not asserted:
    // Kea has no compare-and-set, and a config-set queued behind ddish's last check
    // (config-hash-get, or config-get on 2.2) lands before ddish's own. ddish stops for the
    // rest (changed meanwhile) and reports when its own change is overwritten after.
}
