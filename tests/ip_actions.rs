//! Issue 3 through the `ddish` binary on the real lab (a Kea HA pair + BIND on loopback,
//! free ports): holds, claims, reservations and exclusions land on BOTH peers,
//! concurrent `ip next` never hold the same address, refusals exit non-zero with a reason,
//! DNS A+PTR by TSIG update, ping, history.
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use ddish::lab::{self, HaMode, Lab, LabOptions};
use serde_json::{json, Value};

mod common;
use common::ddish;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        out(o),
        err(o)
    );
    out(o)
}

struct Peers<'a> {
    ports: [u16; 2],
    auth: (&'a str, &'a str),
}

impl Peers<'_> {
    fn cmd(&self, i: usize, command: &str, args: Value) -> Value {
        lab::kea_command(
            self.ports[i],
            Some(self.auth),
            Some("dhcp4"),
            command,
            Some(args),
        )
        .unwrap_or_else(|e| panic!("{command} on peer {i}: {e}"))
    }

    /// The lease of `ip` on each peer (None when there is none).
    fn leases(&self, ip: &str) -> [Option<Value>; 2] {
        [0, 1].map(|i| {
            let r = self.cmd(i, "lease4-get", json!({"ip-address": ip}));
            (r["result"] == 0).then(|| r["arguments"].clone())
        })
    }

    fn subnet(&self, i: usize, id: u64) -> Value {
        let r = lab::kea_command(
            self.ports[i],
            Some(self.auth),
            Some("dhcp4"),
            "config-get",
            None,
        )
        .unwrap();
        let d = &r["arguments"]["Dhcp4"];
        let mut all: Vec<Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
        for n in d["shared-networks"].as_array().into_iter().flatten() {
            all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
        }
        all.into_iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("subnet {id} on peer {i}"))
    }
}

fn write_config(dir: &Path, info: &lab::LabInfo, role: &str, secret_file: &Path) -> String {
    let mut s = format!(
        "[settings]\nhold_time = 600\njournal = \"{}\"\n",
        dir.join("journal.jsonl").display()
    );
    for (name, url) in &info.servers {
        s.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"{}\"\npassword_file = \"{}\"\nrole = \"{role}\"\n",
            info.user.as_deref().unwrap(),
            info.password_file.as_ref().unwrap().display()
        ));
    }
    s.push_str(&format!(
        "[dns]\n[[dns.server]]\nname = \"ns\"\naddr = \"{}\"\n",
        info.dns
    ));
    for z in &info.zones {
        s.push_str(&format!(
            "[[dns.zone]]\nname = \"{z}\"\nprimary = \"{}\"\nkey_name = \"lab-key\"\nsecret_file = \"{}\"\n",
            info.dns,
            secret_file.display()
        ));
    }
    let p = dir.join(format!(
        "{role}-{}.toml",
        secret_file.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn ip_actions_on_an_ha_pair() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-ip-")
        .tempdir_in("/tmp")
        .unwrap();
    let lab = Lab::start(&LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    })
    .expect("lab starts");
    let password = lab.info.password().unwrap();
    let peers = Peers {
        ports: lab.info.ports.ca,
        auth: ("ddish", &password),
    };
    let key = lab.info.dns_key_file.clone();
    let cfg = write_config(dir.path(), &lab.info, "admin", &key);

    // --- hold next: on both peers, marked held, lifetime = hold_time ---
    let ip = ok(&ddish(&cfg, &["ip", "next", "--scope", "10.20.0.0/24"]))
        .trim()
        .to_string();
    assert!(ip.starts_with("10.20.0."), "{ip}");
    for l in peers.leases(&ip) {
        let l = l.expect("held lease on both peers");
        assert_eq!(l["user-context"]["ddish"]["held"], true);
        assert_eq!(l["valid-lft"], 600);
    }
    let show = ok(&ddish(&cfg, &["ip", "show", &ip]));
    assert!(show.contains("state        Held"), "{show}");
    assert_eq!(show.matches("(held by ddish)").count(), 2, "{show}");

    // --- hold_time = 0: held until released (Kea's infinite lifetime) ---
    let forever = dir.path().join("forever.toml");
    std::fs::write(
        &forever,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("hold_time = 600", "hold_time = 0"),
    )
    .unwrap();
    let o = ddish(
        forever.display().to_string(),
        &["ip", "next", "--scope", "10.20.0.0/24"],
    );
    let kept = ok(&o).trim().to_string();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("until released")
            || String::from_utf8_lossy(&o.stdout).contains("until released"),
        "{}",
        common::text(&o)
    );
    for l in peers.leases(&kept) {
        let l = l.expect("held lease on both peers");
        assert_eq!(l["valid-lft"], 4294967295u64, "{l}");
    }
    ok(&ddish(&cfg, &["ip", "release", &kept, "--yes"]));

    // --- two `ip next` at once never hold the same address ---
    for _ in 0..3 {
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_ddish"))
                .args(["--config", &cfg, "ip", "next", "--scope", "10.20.0.0/24"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let (ia, ib) = (ok(&a).trim().to_string(), ok(&b).trim().to_string());
        assert_ne!(ia, ib, "both held {ia}");
        for i in [&ia, &ib] {
            assert!(
                peers.leases(i).iter().all(Option::is_some),
                "{i} on both peers"
            );
        }
    }

    // --- release: gone on both; releasing a non-held address is refused ---
    ok(&ddish(&cfg, &["ip", "release", &ip, "--yes"]));
    assert_eq!(peers.leases(&ip), [None, None]);
    let r = ddish(&cfg, &["ip", "release", "10.10.0.100", "--yes"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("is assigned, not held"), "{}", err(&r));
    // Destructive without a terminal and without --yes: refused, nothing changed.
    let held = ok(&ddish(&cfg, &["ip", "next", "--scope", "10.20.0.0/24"]))
        .trim()
        .to_string();
    let r = ddish(&cfg, &["ip", "release", &held]);
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("--yes"), "{}", err(&r));
    assert!(peers.leases(&held).iter().all(Option::is_some));

    // --- claim: the held IP becomes a claim for the MAC on both peers ---
    let bad = ddish(&cfg, &["ip", "claim", &held, "--mac", "aa:bb:zz:00:00:01"]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(err(&bad).contains("not a MAC address"), "{}", err(&bad));
    let badh = ddish(
        &cfg,
        &[
            "ip",
            "claim",
            &held,
            "--mac",
            "aa:bb:cc:00:00:99",
            "--hostname",
            "bad_name!",
        ],
    );
    assert_eq!(badh.status.code(), Some(3), "{}", err(&badh));
    ok(&ddish(
        &cfg,
        &[
            "ip",
            "claim",
            &held,
            "--mac",
            "AA-BB-CC-00-00-99",
            "--hostname",
            "kiosk-2",
            "--comment",
            "lobby",
        ],
    ));
    for l in peers.leases(&held) {
        let l = l.expect("claim on both peers");
        assert_eq!(l["hw-address"], "aa:bb:cc:00:00:99");
        assert_eq!(l["hostname"], "kiosk-2");
        assert_eq!(l["user-context"]["ddish"]["claimed"], true);
        assert_eq!(l["user-context"]["ddish"]["comment"], "lobby");
    }
    ok(&ddish(&cfg, &["ip", "unclaim", &held, "--yes"]));
    assert_eq!(peers.leases(&held), [None, None]);

    // --- reservations: never on an excluded address; leased needs confirmation ---
    let r = ddish(
        &cfg,
        &["ip", "reserve", "10.10.0.140", "--mac", "aa:bb:cc:00:01:40"],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("excluded"), "{}", err(&r));
    let r = ddish(
        &cfg,
        &["ip", "reserve", "10.10.0.100", "--mac", "aa:bb:cc:00:01:00"],
    );
    assert_eq!(
        r.status.code(),
        Some(3),
        "leased to another client: must confirm"
    );
    assert!(
        err(&r).contains("Reserve anyway") && err(&r).contains("--yes"),
        "{}",
        err(&r)
    );
    let r = ddish(
        &cfg,
        &[
            "ip",
            "reserve",
            "10.20.0.180",
            "--mac",
            "aa:bb:cc:00:01:80",
            "--type",
            "bootp",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("BOOTP hook"), "{}", err(&r));
    ok(&ddish(
        &cfg,
        &[
            "ip",
            "reserve",
            "10.20.0.180",
            "--mac",
            "aa:bb:cc:00:01:80",
            "--hostname",
            "cam-1",
            "--description",
            "door camera",
        ],
    ));
    for i in 0..2 {
        let s = peers.subnet(i, 2);
        let res = s["reservations"].as_array().unwrap();
        let r = res
            .iter()
            .find(|r| r["ip-address"] == "10.20.0.180")
            .expect("reservation on both peers");
        assert_eq!(r["hw-address"], "aa:bb:cc:00:01:80");
        assert_eq!(r["hostname"], "cam-1");
        assert_eq!(r["user-context"]["ddish"]["description"], "door camera");
    }
    // The same MAC on another address is refused.
    let r = ddish(
        &cfg,
        &["ip", "reserve", "10.20.0.181", "--mac", "aa:bb:cc:00:01:80"],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("already has a reservation"), "{}", err(&r));
    ok(&ddish(&cfg, &["ip", "unreserve", "10.20.0.180", "--yes"]));
    for i in 0..2 {
        let s = peers.subnet(i, 2);
        assert!(!s["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ip-address"] == "10.20.0.180"));
    }

    // --- a client's lease copied as its reservation (`R` in the console) ---
    for i in 0..2 {
        let r = peers.cmd(
            i,
            "lease4-add",
            json!({"ip-address": "10.20.0.185", "hw-address": "aa:bb:cc:00:01:85",
                   "hostname": "printer-5", "valid-lft": 3600}),
        );
        assert_eq!(r["result"], 0, "{r}");
    }
    let r = ddish(&cfg, &["ip", "reserve-lease", "10.20.0.186"]);
    assert_eq!(r.status.code(), Some(3), "no lease there: {}", err(&r));
    assert!(err(&r).contains("only an address leased"), "{}", err(&r));
    ok(&ddish(&cfg, &["ip", "reserve-lease", "10.20.0.185"]));
    for i in 0..2 {
        let s = peers.subnet(i, 2);
        let r = s["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ip-address"] == "10.20.0.185")
            .cloned()
            .expect("reservation on both peers");
        assert_eq!(r["hw-address"], "aa:bb:cc:00:01:85");
        assert_eq!(r["hostname"], "printer-5");
    }
    ok(&ddish(&cfg, &["ip", "unreserve", "10.20.0.185", "--yes"]));

    // --- exclusions: refusals, then pools rewritten on both peers ---
    let r = ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.199",
            "10.20.0.190",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("comes before"), "{}", err(&r));
    let r = ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.10",
            "10.20.0.20",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("outside the range"), "{}", err(&r));
    let r = ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.10.0.0/24",
            "10.10.0.5",
            "10.10.0.12",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    let r = ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.10.0.0/24",
            "10.10.0.10",
            "10.10.0.12",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("covers the reservation"), "{}", err(&r));
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.190",
            "10.20.0.199",
            "--yes",
        ],
    ));
    // Adjacent exclusion merges with it.
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.185",
            "10.20.0.189",
            "--yes",
        ],
    ));
    for i in 0..2 {
        let s = peers.subnet(i, 2);
        let pools: Vec<String> = s["pools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pool"].as_str().unwrap().replace(' ', ""))
            .collect();
        assert!(
            pools.iter().any(|p| p.ends_with("-10.20.0.184")),
            "peer {i}: {pools:?}"
        );
        assert!(
            !pools.iter().any(|p| p.contains("10.20.0.19")),
            "peer {i}: {pools:?}"
        );
        assert_eq!(
            s["user-context"]["ddish"]["range"]["end"], "10.20.0.199",
            "range pinned"
        );
    }
    let csv = ok(&ddish(
        &cfg,
        &[
            "export",
            "--what",
            "ips",
            "--server",
            "kea-1",
            "--scope",
            "10.20.0.0/24",
        ],
    ));
    assert!(csv.contains("10.20.0.192,Excluded"), "{csv}");
    // A reservation on the now excluded address is refused.
    let r = ddish(
        &cfg,
        &["ip", "reserve", "10.20.0.192", "--mac", "aa:bb:cc:00:01:92"],
    );
    assert_eq!(r.status.code(), Some(3));
    ok(&ddish(
        &cfg,
        &[
            "scope",
            "unexclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.185",
            "10.20.0.199",
            "--yes",
        ],
    ));
    for i in 0..2 {
        let s = peers.subnet(i, 2);
        let covered: u32 = s["pools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let r = ddish::model::Range::parse_pool(p["pool"].as_str().unwrap()).unwrap();
                r.len() as u32
            })
            .sum();
        assert_eq!(covered, 100, "pools restored on peer {i}");
    }

    // --- at network level (outside every scope) only a claim is possible ---
    let r = ddish(
        &cfg,
        &["ip", "reserve", "10.10.5.5", "--mac", "aa:bb:cc:00:05:05"],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("only a claim"), "{}", err(&r));
    let r = ddish(&cfg, &["ip", "hold", "10.10.5.5"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("only a claim"), "{}", err(&r));
    let o = ok(&ddish(
        &cfg,
        &[
            "ip",
            "claim",
            "10.10.5.5",
            "--mac",
            "aa:bb:cc:00:05:05",
            "--hostname",
            "nas-1",
            "--comment",
            "rack 2",
        ],
    ));
    assert!(o.contains("network 10.10.0.0/16"), "{o}");
    let claims_on = |i: usize| -> Vec<Value> {
        let r = lab::kea_command(
            peers.ports[i],
            Some(peers.auth),
            Some("dhcp4"),
            "config-get",
            None,
        )
        .unwrap();
        r["arguments"]["Dhcp4"]["user-context"]["ddish"]["networks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["cidr"] == "10.10.0.0/16")
            .and_then(|n| n["claims"].as_array().cloned())
            .unwrap_or_default()
    };
    for i in 0..2 {
        let c = claims_on(i);
        assert!(
            c.iter().any(|c| c["ip"] == "10.10.5.5"
                && c["mac"] == "aa:bb:cc:00:05:05"
                && c["hostname"] == "nas-1"),
            "peer {i}: {c:?}"
        );
    }
    let show = ok(&ddish(&cfg, &["ip", "show", "10.10.5.5"]));
    assert!(
        show.contains("outside every scope") && show.contains("Claimed  mac aa:bb:cc:00:05:05"),
        "{show}"
    );
    // The networks export carries the claim in its row.
    let csv = ok(&ddish(&cfg, &["export", "--what", "networks"]));
    let head = csv.lines().next().unwrap_or_default();
    assert!(head.ends_with(",claims"), "{head}");
    assert!(
        csv.lines()
            .any(|l| l.contains("10.10.0.0/16") && l.contains("10.10.5.5 aa:bb:cc:00:05:05 nas-1")),
        "{csv}"
    );
    let r = ddish(
        &cfg,
        &["ip", "claim", "10.10.5.5", "--mac", "aa:bb:cc:00:05:06"],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("already claimed"), "{}", err(&r));
    ok(&ddish(&cfg, &["ip", "unclaim", "10.10.5.5", "--yes"]));
    for i in 0..2 {
        assert!(!claims_on(i).iter().any(|c| c["ip"] == "10.10.5.5"));
    }
    let r = ddish(
        &cfg,
        &["ip", "claim", "172.16.0.5", "--mac", "aa:bb:cc:00:05:07"],
    );
    assert_ne!(r.status.code(), Some(0));
    assert!(err(&r).contains("no scope"), "{}", err(&r));

    // --- roles and --read-only ---
    let viewer = write_config(dir.path(), &lab.info, "viewer", &key);
    let r = ddish(&viewer, &["ip", "next", "--scope", "10.20.0.0/24"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("viewer"), "{}", err(&r));
    let operator = write_config(dir.path(), &lab.info, "operator", &key);
    let r = ddish(
        &operator,
        &[
            "scope",
            "exclude",
            "--scope",
            "10.20.0.0/24",
            "10.20.0.190",
            "10.20.0.199",
            "--yes",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("admin"), "{}", err(&r));
    let r = ddish(
        &cfg,
        &["--read-only", "ip", "next", "--scope", "10.20.0.0/24"],
    );
    assert_eq!(r.status.code(), Some(3));
    assert!(err(&r).contains("read-only"), "{}", err(&r));

    // --- history: every action on the address, newest first ---
    let h = ok(&ddish(&cfg, &["ip", "history", &held]));
    let actions: Vec<&str> = h
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    // Newest first; the address may have been held and released before (next free
    // hands out the lowest free address again).
    assert_eq!(actions[..3], ["unclaim", "claim", "hold"], "{h}");
    assert!(!h.contains(&password));
    // The story also tells the changes that covered the address: an exclusion over it,
    // then its return to the pools; --server keeps one server's entries.
    for (cmd, _) in [("exclude", ()), ("unexclude", ())] {
        ok(&ddish(
            &cfg,
            &[
                "scope",
                cmd,
                "--scope",
                "10.20.0.0/24",
                &held,
                &held,
                "--yes",
            ],
        ));
    }
    let h = ok(&ddish(&cfg, &["ip", "history", &held]));
    let lines: Vec<&str> = h.lines().collect();
    assert!(
        lines[0].contains("unexclude") && lines[0].contains("(a range covering it)"),
        "{h}"
    );
    assert!(
        lines[1].contains(" exclude ") && lines[1].contains("(a range covering it)"),
        "{h}"
    );
    assert!(
        lines[2].contains("unclaim") && !lines[2].contains("covering"),
        "{h}"
    );
    let server = lines[0].split_whitespace().nth(2).unwrap().to_string();
    let mine = ok(&ddish(&cfg, &["ip", "history", &held, "--server", &server]));
    assert!(
        mine.lines()
            .all(|l| l.split_whitespace().nth(2) == Some(server.as_str())),
        "{mine}"
    );
    assert!(mine.contains("unexclude"), "{mine}");
    let r = ddish(&cfg, &["ip", "history", &held, "--server", "nope"]);
    assert_ne!(r.status.code(), Some(0));
    assert!(err(&r).contains("no server named 'nope'"), "{}", err(&r));
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(!journal.contains(&password));

    // --- DNS: A + PTR by TSIG update, visible by AXFR; a wrong key is named as such ---
    let o = ok(&ddish(
        &cfg,
        &[
            "dns",
            "add",
            "--ip",
            "10.10.0.160",
            "--zone",
            "example.test",
            "--hostname",
            "newhost",
            "--ptr",
        ],
    ));
    assert!(o.contains("verified"), "{o}");
    let dns_cfg = ddish::config::load(Path::new(&cfg)).unwrap().dns;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let zone = |n: &str| dns_cfg.zones.iter().find(|z| z.name == n).unwrap().clone();
    let fwd = rt
        .block_on(ddish::dns::axfr(
            &zone("example.test"),
            std::time::Duration::from_secs(5),
        ))
        .unwrap();
    assert!(
        fwd.iter()
            .any(|r| r.name.starts_with("newhost.") && r.rtype == "A" && r.data == "10.10.0.160"),
        "{fwd:?}"
    );
    let rev = rt
        .block_on(ddish::dns::axfr(
            &zone("0.10.10.in-addr.arpa"),
            std::time::Duration::from_secs(5),
        ))
        .unwrap();
    assert!(
        rev.iter().any(|r| r.name.starts_with("160.")
            && r.rtype == "PTR"
            && r.data.starts_with("newhost.example.test")),
        "{rev:?}"
    );
    let again = ddish(
        &cfg,
        &[
            "dns",
            "add",
            "--ip",
            "10.10.0.160",
            "--zone",
            "example.test",
            "--hostname",
            "newhost",
        ],
    );
    assert_ne!(again.status.code(), Some(0));
    assert!(err(&again).contains("already exists"), "{}", err(&again));
    ok(&ddish(
        &cfg,
        &[
            "dns",
            "delete",
            "--ip",
            "10.10.0.160",
            "--zone",
            "example.test",
            "--hostname",
            "newhost",
            "--yes",
        ],
    ));
    let fwd = rt
        .block_on(ddish::dns::axfr(
            &zone("example.test"),
            std::time::Duration::from_secs(5),
        ))
        .unwrap();
    assert!(!fwd.iter().any(|r| r.name.starts_with("newhost.")));
    let wrong = dir.path().join("wrong.key");
    std::fs::write(
        &wrong,
        "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1sYWItb25lLTEyMzQ1Ng==\n",
    )
    .unwrap();
    let wcfg = write_config(dir.path(), &lab.info, "admin", &wrong);
    let w = ddish(
        &wcfg,
        &[
            "dns",
            "add",
            "--ip",
            "10.10.0.161",
            "--zone",
            "example.test",
            "--hostname",
            "h161",
        ],
    );
    assert_ne!(w.status.code(), Some(0));
    assert!(err(&w).contains("TSIG key rejected"), "{}", err(&w));

    // --- a config changed behind ddish's back: the write stops, nothing is written ---
    let session = ddish::ops::Session::new(ddish::config::load(Path::new(&cfg)).unwrap());
    rt.block_on(session.load_server("kea-1")).unwrap();
    let mut theirs = lab::kea_command(
        peers.ports[0],
        Some(peers.auth),
        Some("dhcp4"),
        "config-get",
        None,
    )
    .unwrap()["arguments"]
        .clone();
    for net in theirs["Dhcp4"]["shared-networks"].as_array_mut().unwrap() {
        for sub in net["subnet4"].as_array_mut().unwrap() {
            if sub["id"] == 2 {
                sub["reservations"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"ip-address": "10.20.0.170", "hw-address": "aa:bb:cc:00:01:70"}));
            }
        }
    }
    let set = lab::kea_config_set(peers.ports[0], Some(peers.auth), theirs).unwrap();
    assert_eq!(set["result"], 0, "{set}");
    let req = ddish::ops::ReservationRequest {
        ident: ddish::ops::Ident::Mac("aa:bb:cc:00:01:71".into()),
        kind: ddish::ops::ReservationType::Dhcp,
        hostname: None,
        description: None,
    };
    let ip171: std::net::Ipv4Addr = "10.20.0.171".parse().unwrap();
    let r = rt.block_on(session.reserve("kea-1", ip171, &req, true));
    match r {
        Err(ddish::ops::OpError::Changed(m)) => {
            assert!(
                m.contains("changed on the server since you loaded it"),
                "{m}"
            )
        }
        other => panic!("expected the write to stop: {other:?}"),
    }
    let has = |i: usize, ip: &str| {
        peers.subnet(i, 2)["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ip-address"] == ip)
    };
    assert!(has(0, "10.20.0.170") && !has(0, "10.20.0.171") && !has(1, "10.20.0.171"));
    // After a reload the same write goes through, on both peers, keeping theirs.
    rt.block_on(session.load_server("kea-1")).unwrap();
    rt.block_on(session.reserve("kea-1", ip171, &req, true))
        .unwrap();
    assert!(has(0, "10.20.0.170") && has(0, "10.20.0.171") && has(1, "10.20.0.171"));

    // --- ping inside 127.0.0.0/8 (the lab's ping scope) ---
    let p = ok(&ddish(&cfg, &["ip", "ping", "127.0.99.1"]));
    assert!(p.contains("reachable") && p.contains("socket"), "{p}");
    let _: SocketAddr = lab.info.dns;
}
