//! Issue 5 on two real Kea 2.2 servers on loopback, started standalone (free ports):
//! create a failover from the wizard's operations (load balancing through the ops API, hot
//! standby through `ddish failover create`), both reach the mode's state, the scopes match
//! on both with the same ids, a relayed DHCP probe is answered; stop one server and the
//! other goes partner-down; start it again and both are back; delete and both are
//! standalone with the scopes where the admin chose and configs that pass config-test.
//! Refusals exit non-zero with the reason.
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddish::lab::{self, KeaInstance};
use ddish::model::failover::{FailoverSpec, HaMode, PartnerRef};
use ddish::ops::failover::{self, FailoverInfo, Keep};
use ddish::ops::Session;
use serde_json::{json, Value};

mod common;
use common::ddish;

const USER: &str = "admin";
const PASSWORD: &str = "pw-F1-s3cret";

fn scope_a() -> Value {
    json!({"id": 7, "subnet": "10.50.0.0/24", "relay": {"ip-addresses": ["127.0.0.1"]},
           "pools": [{"pool": "10.50.0.100 - 10.50.0.199"}],
           "option-data": [{"name": "routers", "data": "10.50.0.1"}]})
}

fn scope_b() -> Value {
    json!({"id": 9, "subnet": "10.51.0.0/24", "pools": [{"pool": "10.51.0.10 - 10.51.0.49"}]})
}

/// Server A with two scopes, server B with none; each its own CA on `base`, `base + 2`.
fn start_pair(dir: &Path, base: u16, auth: bool) -> (KeaInstance, KeaInstance) {
    let a_auth = auth.then_some((USER, PASSWORD));
    let a = KeaInstance::start(
        &dir.join("a"),
        "kea-a",
        base,
        base + 1,
        lab::minimal_dhcp4(json!([scope_a(), scope_b()])),
        a_auth,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let b = KeaInstance::start(
        &dir.join("b"),
        "kea-b",
        base + 2,
        base + 3,
        lab::minimal_dhcp4(json!([])),
        a_auth,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (a, b)
}

fn write_config(dir: &Path, servers: &[&KeaInstance], auth: bool, role: &str) -> String {
    let pw = dir.join("password");
    std::fs::write(&pw, PASSWORD).unwrap();
    let mut s = format!(
        "[settings]\njournal = \"{}\"\n",
        dir.join("journal.jsonl").display()
    );
    // As an admin of this Kea configures it: through the agent, or (Kea 3.0 without one)
    // the daemon's own HTTP socket.
    let api = match lab::KeaDist::from_env().unwrap().api {
        lab::LabApi::Agent => "agent",
        lab::LabApi::Direct => "direct",
    };
    for k in servers {
        s.push_str(&format!(
            "[[server]]\nname = \"{}\"\nurl = \"{}\"\napi = \"{api}\"\nrole = \"{role}\"\n",
            k.name, k.ca_url
        ));
        if auth {
            s.push_str(&format!(
                "user = \"{USER}\"\npassword_file = \"{}\"\n",
                pw.display()
            ));
        }
    }
    let p = dir.join(format!("ddish-{role}.toml"));
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

fn session(cfg: &str) -> Arc<Session> {
    Session::new(ddish::config::load(Path::new(cfg)).unwrap_or_else(|e| panic!("{e}")))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A command that must be refused: non-zero exit, `reason` in stderr, nothing written.
fn refused(cfg: &str, args: &[&str], reason: &str) {
    let o = ddish(cfg, args);
    let text = out(&o);
    assert_ne!(o.status.code(), Some(0), "{args:?} was accepted: {text}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(reason),
        "{args:?}: wanted '{reason}' in {text}"
    );
}

fn cmd(k: &KeaInstance, command: &str, args: Option<Value>) -> Value {
    let r = k.command(command, args).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r["result"] == 0 || r["result"] == 3,
        "{command} on {}: {r}",
        k.name
    );
    r
}

fn config(k: &KeaInstance) -> Value {
    let mut c = cmd(k, "config-get", None)["arguments"].clone();
    if let Some(o) = c.as_object_mut() {
        o.remove("hash");
    }
    c
}

/// (id, subnet, pools as (range, class)).
type Scope = (u64, String, Vec<(String, String)>);

/// Every subnet of a server, sorted by id.
fn scopes(k: &KeaInstance) -> Vec<Scope> {
    let c = config(k);
    let mut v: Vec<_> = c["Dhcp4"]["subnet4"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let pools = s["pools"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        p["pool"].as_str().unwrap_or("").to_string(),
                        ddish::kea::classes_of(p).join(","),
                    )
                })
                .collect();
            (
                s["id"].as_u64().unwrap(),
                s["subnet"].as_str().unwrap().to_string(),
                pools,
            )
        })
        .collect();
    v.sort();
    v
}

fn has_command(k: &KeaInstance, c: &str) -> bool {
    cmd(k, "list-commands", None)["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == c)
}

/// Both servers' current config passes config-test.
fn config_tests_pass(k: &KeaInstance) {
    let r = k
        .command("config-test", Some(config(k)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["result"], 0, "config-test on {}: {r}", k.name);
}

/// Polls `list` until `pred` holds (bounded); returns the last info.
fn wait_info(
    rt: &tokio::runtime::Runtime,
    s: &Session,
    server: &str,
    what: &str,
    pred: impl Fn(&FailoverInfo) -> bool,
) -> FailoverInfo {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let l = rt.block_on(failover::list(s, server)).unwrap();
        assert_eq!(l.len(), 1, "{server}: {l:?}");
        if pred(&l[0]) {
            return l[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "{server} never showed {what}: {:?}",
            l[0]
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Offers for 16 clients, asking each server: (mac index, server index, address).
fn probe(rt: &tokio::runtime::Runtime, servers: &[&KeaInstance]) -> Vec<(u8, usize, Ipv4Addr)> {
    let mut got = Vec::new();
    for m in 1..=16u8 {
        for (i, k) in servers.iter().enumerate() {
            let to: SocketAddr = format!("127.0.0.1:{}", k.dhcp_port).parse().unwrap();
            let offer = rt
                .block_on(ddish::probe::dhcp::discover(
                    to,
                    Ipv4Addr::LOCALHOST,
                    [0x02, 0xf1, 0, 0, 0, m],
                    Duration::from_millis(700),
                ))
                .unwrap();
            if let Some(o) = offer {
                got.push((m, i, o.yiaddr));
            }
        }
    }
    got
}

fn in_range(ip: Ipv4Addr, a: [u8; 4], b: [u8; 4]) -> bool {
    (u32::from(Ipv4Addr::from(a))..=u32::from(Ipv4Addr::from(b))).contains(&u32::from(ip))
}

fn net(s: &str) -> ipnet::Ipv4Net {
    s.parse().unwrap()
}

fn fast(spec: &mut FailoverSpec) {
    spec.heartbeat_delay_ms = 2000;
    spec.max_response_delay_ms = 6000;
    spec.max_ack_delay_ms = 5000;
    spec.max_unacked_clients = 0;
}

#[test]
fn load_balancing_create_outage_and_delete() {
    let dir = common::kea_dir("ddish-failover-");
    let (a, mut b) = start_pair(dir.path(), common::ports(4), true);
    let cfg = write_config(dir.path(), &[&a, &b], true, "admin");
    let s = session(&cfg);
    let rt = rt();
    // Leases A holds before the pair exists: B must have them afterwards (sync).
    for i in 0..3u8 {
        cmd(
            &a,
            "lease4-add",
            Some(json!({"ip-address": format!("10.50.0.{}", 20 + i),
                        "hw-address": format!("02:aa:00:00:00:{i:02x}")})),
        );
    }

    // The wizard's operations: plan (last page), then create.
    let mut spec = FailoverSpec::new("kea-a", PartnerRef::Configured("kea-b".into()));
    spec.scopes = vec![net("10.50.0.0/24")];
    spec.mode = HaMode::LoadBalancing;
    fast(&mut spec);
    // No peer login given: both servers log ddish in as USER with the same password in
    // the ddish config, so that is the login they get for each other (checked below by
    // the relationship's peer user and its health).
    assert!(spec.peer_user.is_none() && spec.peer_password.is_none());
    let plan = rt.block_on(failover::plan(&s, &spec)).unwrap();
    assert_eq!(plan.copy_to_partner, spec.scopes);
    // 10.51 stays out: the admin is told what that means under Kea 2.2's HA.
    assert!(
        plan.warnings.iter().any(|w| w.contains("10.51.0.0/24")),
        "{plan:?}"
    );
    assert!(plan
        .hooks_added
        .iter()
        .any(|(srv, h)| srv == "kea-b" && h.iter().any(|l| l == "libdhcp_ha.so")));
    let o = rt.block_on(failover::create(&s, &spec)).unwrap();
    assert!(o.converged, "{o:?}");
    assert_eq!(
        o.states,
        vec![
            ("kea-a".to_string(), "load-balancing".to_string()),
            ("kea-b".to_string(), "load-balancing".to_string())
        ]
    );
    lab::wait_ha_state(&[&a, &b], "load-balancing", Duration::from_secs(30)).unwrap();

    // The chosen scope on both with the same id, pools split between the two HA classes.
    assert_eq!(scopes(&b).len(), 1);
    assert_eq!(scopes(&a)[0], scopes(&b)[0]);

    // Add scope to failover: 10.51 is copied and included.
    let o = rt
        .block_on(failover::add_scope(
            &s,
            "kea-a",
            "kea-a-kea-b",
            net("10.51.0.0/24"),
        ))
        .unwrap();
    assert!(o.converged, "{o:?}");
    let sa = scopes(&a);
    assert_eq!(sa, scopes(&b));
    assert_eq!(
        sa[0],
        (
            7,
            "10.50.0.0/24".into(),
            vec![
                ("10.50.0.100-10.50.0.149".into(), "HA_kea-a".into()),
                ("10.50.0.150-10.50.0.199".into(), "HA_kea-b".into())
            ]
        )
    );
    assert_eq!(sa[1].0, 9);
    assert_eq!(sa[1].2.len(), 2, "{sa:?}");
    // B pulled A's leases.
    for i in 0..3u8 {
        let r = cmd(
            &b,
            "lease4-get",
            Some(json!({"ip-address": format!("10.50.0.{}", 20 + i)})),
        );
        assert_eq!(
            r["result"],
            0,
            "lease 10.50.0.{} missing on kea-b: {r}",
            20 + i
        );
    }
    // The peer password is in Kea's config (it needs it) but never in the journal.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(journal.contains("failover-create"), "{journal}");
    assert!(
        !journal.contains(PASSWORD),
        "password in journal: {journal}"
    );

    // Manage Failover shows it, from both sides.
    let info = rt.block_on(failover::list(&s, "kea-a")).unwrap().remove(0);
    assert_eq!(info.name, "kea-a-kea-b");
    assert_eq!(info.mode, Some(HaMode::LoadBalancing));
    assert_eq!(info.partner_server.as_deref(), Some("kea-b"));
    assert_eq!(
        (info.this_role.as_str(), info.partner_role.as_str()),
        ("primary", "secondary")
    );
    assert_eq!(info.scopes, vec![net("10.50.0.0/24"), net("10.51.0.0/24")]);
    assert!(info.healthy(), "{info:?}");
    assert_eq!(info.peer_user.as_deref(), Some(USER));
    assert!(!format!("{info:?}").contains(PASSWORD));
    let o = ddish(&cfg, &["failover", "list", "--server", "kea-b"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("kea-a-kea-b") && text.contains("load-balancing (partner load-balancing)"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");

    // A relayed probe is answered, each server from its own half.
    let offers = probe(&rt, &[&a, &b]);
    assert!(!offers.is_empty(), "no server answered a relayed DISCOVER");
    for (m, i, ip) in &offers {
        let (lo, hi) = if *i == 0 { (100, 149) } else { (150, 199) };
        assert!(
            in_range(*ip, [10, 50, 0, lo], [10, 50, 0, hi]),
            "client {m} got {ip} from server {i}"
        );
    }
    assert!(
        offers.iter().any(|o| o.1 == 0) && offers.iter().any(|o| o.1 == 1),
        "{offers:?}"
    );
    // Each client answered by exactly one server.
    for m in 1..=16u8 {
        assert!(
            offers.iter().filter(|o| o.0 == m).count() <= 1,
            "{offers:?}"
        );
    }

    // Edit the timings: both servers get them and settle again.
    let edit = failover::FailoverEdit {
        heartbeat_delay_ms: Some(3000),
        max_response_delay_ms: Some(9000),
        ..Default::default()
    };
    let o = rt
        .block_on(failover::edit(&s, "kea-a", "kea-a-kea-b", &edit))
        .unwrap();
    assert!(o.converged, "{o:?}");
    for side in ["kea-a", "kea-b"] {
        let i = rt.block_on(failover::list(&s, side)).unwrap().remove(0);
        assert_eq!(
            (i.heartbeat_delay_ms, i.max_response_delay_ms),
            (3000, 9000),
            "{side}"
        );
    }

    // Maintenance: kea-a serves alone, kea-b in maintenance; cancel: both back.
    let o = rt
        .block_on(failover::maintenance_start(&s, "kea-a", "kea-a-kea-b"))
        .unwrap();
    assert_eq!(
        o.states,
        vec![
            ("kea-a".to_string(), "partner-in-maintenance".to_string()),
            ("kea-b".to_string(), "in-maintenance".to_string())
        ]
    );
    let o = rt
        .block_on(failover::maintenance_cancel(&s, "kea-a", "kea-a-kea-b"))
        .unwrap();
    assert!(o.converged, "{o:?}");

    // Partner down, then back.
    b.stop_dhcp();
    let info = wait_info(&rt, &s, "kea-a", "partner-down", |i| {
        i.local_state.as_deref() == Some("partner-down")
    });
    assert!(info.partner_error.is_some(), "{info:?}");
    assert!(!info.healthy());
    b.start_dhcp().unwrap();
    wait_info(
        &rt,
        &s,
        "kea-a",
        "load-balancing on both",
        FailoverInfo::healthy,
    );

    // Delete: 10.50 stays on both (each half), 10.51 only on the partner.
    let keep = Keep {
        on_this: vec![net("10.50.0.0/24")],
        on_partner: vec![net("10.50.0.0/24"), net("10.51.0.0/24")],
    };
    let o = rt
        .block_on(failover::delete(&s, "kea-a", "kea-a-kea-b", &keep))
        .unwrap();
    assert_eq!(
        o.states,
        vec![
            ("kea-a".to_string(), "standalone".to_string()),
            ("kea-b".to_string(), "standalone".to_string())
        ],
        "{o:?}"
    );
    for k in [&a, &b] {
        assert!(!has_command(k, "ha-heartbeat"), "{} still has HA", k.name);
        assert!(has_command(k, "lease4-add"));
        config_tests_pass(k);
    }
    assert_eq!(
        scopes(&a),
        vec![(
            7,
            "10.50.0.0/24".into(),
            vec![("10.50.0.100-10.50.0.149".into(), String::new())]
        )]
    );
    assert_eq!(
        scopes(&b),
        vec![
            (
                7,
                "10.50.0.0/24".into(),
                vec![("10.50.0.150-10.50.0.199".into(), String::new())]
            ),
            (
                9,
                "10.51.0.0/24".into(),
                vec![("10.51.0.10-10.51.0.49".into(), String::new())]
            )
        ]
    );
    assert!(rt.block_on(failover::list(&s, "kea-a")).unwrap().is_empty());
    // Both serve again, from pools that do not overlap.
    let offers = probe(&rt, &[&a, &b]);
    assert!(
        offers.iter().any(|o| o.1 == 0) && offers.iter().any(|o| o.1 == 1),
        "{offers:?}"
    );
}

#[test]
fn hot_standby_through_the_cli() {
    let dir = common::kea_dir("ddish-failover-");
    let (a, mut b) = start_pair(dir.path(), common::ports(4), false);
    let cfg = write_config(dir.path(), &[&a, &b], false, "admin");
    let s = session(&cfg);
    let rt = rt();

    let o = ddish(
        &cfg,
        &[
            "failover",
            "create",
            "--server",
            "kea-a",
            "--partner",
            "kea-b",
            "--scope",
            "10.50.0.0/24,10.51.0.0/24",
            "--mode",
            "hot-standby",
            "--name",
            "hs-pair",
            "--heartbeat-delay",
            "2000",
            "--max-response-delay",
            "6000",
            "--max-ack-delay",
            "5000",
            "--max-unacked-clients",
            "0",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("kea-a: hot-standby") && text.contains("kea-b: hot-standby"),
        "{text}"
    );
    lab::wait_ha_state(&[&a, &b], "hot-standby", Duration::from_secs(30)).unwrap();

    // One shared pool on both, same ids.
    let sa = scopes(&a);
    assert_eq!(sa, scopes(&b));
    assert_eq!(
        sa[0],
        (
            7,
            "10.50.0.0/24".into(),
            vec![("10.50.0.100-10.50.0.199".into(), String::new())]
        )
    );
    let info = rt.block_on(failover::list(&s, "kea-b")).unwrap().remove(0);
    assert_eq!(info.name, "hs-pair");
    assert_eq!(
        (info.this_role.as_str(), info.partner_role.as_str()),
        ("standby", "primary")
    );

    // The primary answers, the standby does not.
    let offers = probe(&rt, &[&a, &b]);
    assert!(
        offers.iter().any(|o| o.1 == 0),
        "the primary answered nothing: {offers:?}"
    );
    assert!(
        offers.iter().all(|o| o.1 == 0),
        "the standby answered: {offers:?}"
    );

    // Standby down: the primary goes partner-down; back: hot-standby on both.
    b.stop_dhcp();
    wait_info(&rt, &s, "kea-a", "partner-down", |i| {
        i.local_state.as_deref() == Some("partner-down")
    });
    b.start_dhcp().unwrap();
    wait_info(
        &rt,
        &s,
        "kea-a",
        "hot-standby on both",
        FailoverInfo::healthy,
    );

    // Edit the mode through the CLI: load balancing, pools split on both.
    let o = ddish(
        &cfg,
        &[
            "failover",
            "edit",
            "--server",
            "kea-a",
            "--name",
            "hs-pair",
            "--mode",
            "load-balancing",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("kea-b: load-balancing"), "{text}");
    let sa = scopes(&a);
    assert_eq!(sa, scopes(&b));
    assert_eq!(
        sa[0].2,
        vec![
            (
                "10.50.0.100-10.50.0.149".to_string(),
                "HA_kea-a".to_string()
            ),
            (
                "10.50.0.150-10.50.0.199".to_string(),
                "HA_kea-b".to_string()
            )
        ]
    );
    let info = rt.block_on(failover::list(&s, "kea-b")).unwrap().remove(0);
    assert_eq!(
        (info.this_role.as_str(), info.partner_role.as_str()),
        ("secondary", "primary")
    );

    // Delete through the CLI: everything stays on the primary only, pools whole again.
    let o = ddish(
        &cfg,
        &[
            "failover",
            "delete",
            "--server",
            "kea-a",
            "--name",
            "hs-pair",
            "--keep-here",
            "10.50.0.0/24,10.51.0.0/24",
            "--yes",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("kea-a: standalone") && text.contains("kea-b: standalone"),
        "{text}"
    );
    for k in [&a, &b] {
        assert!(!has_command(k, "ha-heartbeat"));
        config_tests_pass(k);
    }
    let sa = scopes(&a);
    assert_eq!(sa.len(), 2);
    assert_eq!(
        sa[0].2,
        vec![("10.50.0.100-10.50.0.199".to_string(), String::new())]
    );
    assert!(scopes(&b).is_empty(), "{:?}", scopes(&b));
    let offers = probe(&rt, &[&a, &b]);
    assert!(
        offers.iter().any(|o| o.1 == 0) && offers.iter().all(|o| o.1 == 0),
        "{offers:?}"
    );
}

#[test]
fn refusals_exit_non_zero_and_change_nothing() {
    let dir = common::kea_dir("ddish-failover-");
    let (a, b) = start_pair(dir.path(), common::ports(4), true);
    let cfg = write_config(dir.path(), &[&a, &b], true, "admin");
    let viewer = write_config(dir.path(), &[&a, &b], true, "viewer");
    let before = (config(&a), config(&b));
    let create = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "failover",
            "create",
            "--server",
            "kea-a",
            "--partner",
            "kea-b",
            "--scope",
            "10.50.0.0/24",
            "--peer-user",
            USER,
            "--peer-password-file",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(dir.path().join("password").display().to_string());
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |c: &str, args: Vec<String>, reason: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(c, &a, reason);
    };
    run(
        &cfg,
        create(&["--heartbeat-delay", "2s"]),
        "not a whole number",
    );
    run(&cfg, create(&["--heartbeat-delay", "20"]), "out of range");
    run(
        &cfg,
        create(&["--heartbeat-delay", "5000", "--max-response-delay", "5000"]),
        "must be more than the heartbeat delay",
    );
    run(&cfg, create(&["--mode", "active"]), "not a mode");
    run(&cfg, create(&["--name", "a b"]), "not allowed in the name");
    let mut own = create(&[]);
    own[5] = "kea-a".into();
    run(&cfg, own, "this server");
    let mut missing = create(&[]);
    missing[7] = "10.99.0.0/24".into();
    run(&cfg, missing, "scope 10.99.0.0/24 is not on kea-a");
    run(&viewer, create(&[]), "role");
    // No peer login given, and the two servers log ddish in as different users: none can
    // be taken from the config, so create asks for one. (With the same user and password
    // that login is used: see load_balancing_create_outage_and_delete.)
    let text = std::fs::read_to_string(&cfg).unwrap();
    let at = text.rfind(&format!("user = \"{USER}\"")).unwrap();
    let other = format!(
        "{}user = \"someone-else\"{}",
        &text[..at],
        &text[at + USER.len() + 9..]
    );
    let two_users = dir.path().join("ddish-two-users.toml");
    std::fs::write(&two_users, other).unwrap();
    refused(
        two_users.to_str().unwrap(),
        &[
            "failover",
            "create",
            "--server",
            "kea-a",
            "--partner",
            "kea-b",
            "--scope",
            "10.50.0.0/24",
        ],
        "asks for a login",
    );
    refused(
        &cfg,
        &[
            "failover", "delete", "--server", "kea-a", "--name", "x", "--yes",
        ],
        "has no failover",
    );
    // Nothing was written anywhere.
    assert_eq!(config(&a), before.0);
    assert_eq!(config(&b), before.1);
    assert!(!has_command(&a, "ha-heartbeat") && !has_command(&b, "ha-heartbeat"));
}

/// The second server refuses (its "HA hook" is a different library, so the HA commands never
/// appear after config-set): the first is put back as it was, and the error says so.
#[test]
fn partner_refusal_puts_the_first_back() {
    use std::os::unix::fs::symlink;
    let dir = common::kea_dir("ddish-failover-");
    let dist = lab::KeaDist::from_env().unwrap();
    let real = dist.hooks_dir().unwrap();
    let fake = dir.path().join("hooks");
    std::fs::create_dir(&fake).unwrap();
    for lib in ["libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so"] {
        symlink(real.join(lib), fake.join(lib)).unwrap();
    }
    // Passes config-test (a loadable Kea hook) but provides no HA commands.
    symlink(
        real.join("libdhcp_stat_cmds.so"),
        fake.join("libdhcp_ha.so"),
    )
    .unwrap();
    let p = common::ports(4);
    let a = KeaInstance::start(
        &dir.path().join("a"),
        "kea-a",
        p,
        p + 1,
        lab::minimal_dhcp4(json!([scope_a()])),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut b_cfg = lab::minimal_dhcp4(json!([]));
    b_cfg["Dhcp4"]["hooks-libraries"] = json!([
        {"library": fake.join("libdhcp_lease_cmds.so")},
        {"library": fake.join("libdhcp_stat_cmds.so")}]);
    // Kea 2.6.2+/3.0 load hooks only from KEA_HOOKS_PATH: b's is the fake dir.
    let b_dist = lab::KeaDist {
        hooks: Some(fake.clone()),
        ..dist
    };
    let b = KeaInstance::start_on(
        &b_dist,
        &dir.path().join("b"),
        "kea-b",
        p + 2,
        p + 3,
        b_cfg,
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = write_config(dir.path(), &[&a, &b], false, "admin");
    let before = (config(&a), scopes(&a));
    let o = ddish(
        &cfg,
        &[
            "failover",
            "create",
            "--server",
            "kea-a",
            "--partner",
            "kea-b",
            "--scope",
            "10.50.0.0/24",
            "--heartbeat-delay",
            "2000",
            "--max-response-delay",
            "6000",
        ],
    );
    let text = out(&o);
    assert_ne!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("server kea-a: the change was applied, then taken back because its HA peer kea-b failed")
            && text.contains("server is healthy again"),
        "{text}"
    );
    // kea-a runs what it ran before, still without HA, and still serves.
    assert_eq!(scopes(&a), before.1);
    assert!(ddish::kea::same_meaning(&config(&a), &before.0));
    assert!(!has_command(&a, "ha-heartbeat") && has_command(&a, "lease4-add"));
    let rt = rt();
    assert!(
        !probe(&rt, &[&a]).is_empty(),
        "kea-a no longer answers DHCP"
    );
    // kea-b got its last good configuration back too.
    assert!(has_command(&b, "lease4-add") && !has_command(&b, "ha-heartbeat"));
    assert!(scopes(&b).is_empty());
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(
        journal.contains("failover-create") && journal.contains("taken back"),
        "{journal}"
    );
}

/// Edit the partner: the old one goes standalone without the failover's scopes, the new one
/// gets them and the pair settles again.
#[test]
fn moving_to_a_new_partner() {
    let dir = common::kea_dir("ddish-failover-");
    let (a, b) = start_pair(dir.path(), common::ports(4), false);
    let pc = common::ports(2);
    let c = KeaInstance::start(
        &dir.path().join("c"),
        "kea-c",
        pc,
        pc + 1,
        lab::minimal_dhcp4(json!([])),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = write_config(dir.path(), &[&a, &b, &c], false, "admin");
    let s = session(&cfg);
    let rt = rt();
    let mut spec = FailoverSpec::new("kea-a", PartnerRef::Configured("kea-b".into()));
    spec.scopes = vec![net("10.50.0.0/24")];
    fast(&mut spec);
    let o = rt.block_on(failover::create(&s, &spec)).unwrap();
    assert!(o.converged, "{o:?}");

    let o = ddish(
        &cfg,
        &[
            "failover",
            "edit",
            "--server",
            "kea-a",
            "--name",
            "kea-a-kea-b",
            "--partner",
            "kea-c",
            "--new-name",
            "a-c",
            "--yes",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let info = wait_info(
        &rt,
        &s,
        "kea-a",
        "load-balancing with kea-c",
        FailoverInfo::healthy,
    );
    assert_eq!(info.name, "a-c");
    assert_eq!(info.partner_server.as_deref(), Some("kea-c"));
    assert_eq!(info.scopes, vec![net("10.50.0.0/24")]);
    assert_eq!(scopes(&a)[0], scopes(&c)[0]);
    assert!(scopes(&b).is_empty(), "{:?}", scopes(&b));
    assert!(!has_command(&b, "ha-heartbeat"));
    config_tests_pass(&b);
    assert!(rt.block_on(failover::list(&s, "kea-b")).unwrap().is_empty());
}

/// Both servers log ddish in as the same user but with different passwords: no login can
/// serve both directions, so create asks for one before touching either server (the URLs
/// here answer nothing; the refusal comes first).
#[test]
fn a_shared_user_with_different_passwords_asks_for_the_peer_password() {
    let dir = common::kea_dir("ddish-failover-login-");
    let d = dir.path();
    std::fs::write(d.join("a.pass"), "one-password\n").unwrap();
    std::fs::write(d.join("b.pass"), "another-password\n").unwrap();
    let port = common::ports(2);
    let server = |name: &str, port: u16, pw: &str| {
        format!(
            "[[server]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/\"\nrole = \"admin\"\n\
             user = \"{USER}\"\npassword_file = \"{}\"\n",
            d.join(pw).display()
        )
    };
    let cfg = d.join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "{}{}",
            server("kea-a", port, "a.pass"),
            server("kea-b", port + 1, "b.pass")
        ),
    )
    .unwrap();
    let s = session(cfg.to_str().unwrap());
    let mut spec = FailoverSpec::new("kea-a", PartnerRef::Configured("kea-b".into()));
    spec.scopes = vec![net("10.50.0.0/24")];
    let e = rt()
        .block_on(failover::plan(&s, &spec))
        .expect_err("no login fits both")
        .to_string();
    assert!(
        e.contains("kea-a and kea-b log ddish in as") && e.contains("different passwords"),
        "{e}"
    );
    assert!(!e.contains("one-password") && !e.contains("another-password"));
    // A login typed by the admin is used as given.
    spec.peer_user = Some("ha".into());
    spec.peer_password = Some("typed".into());
    let e = rt()
        .block_on(failover::plan(&s, &spec))
        .expect_err("nothing answers there")
        .to_string();
    assert!(!e.contains("different passwords"), "{e}");
}
