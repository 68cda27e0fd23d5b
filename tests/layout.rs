//! Issue 4 parts 1-4 through the `ddish` binary on the real lab (a Kea HA pair in
//! load-balancing + BIND on loopback, free ports): networks and containers, a scope
//! created in a network lands on both peers with one id and split pools and is served (a
//! relayed DHCP probe gets an offer from its pool), deactivate/activate, every refusal exits
//! 3 with its reason, delete asks, duplicate, and missing scopes re-created or forgotten.
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ddish::lab::{self, HaMode, Lab, LabOptions};
use serde_json::{json, Value};

mod common;
use common::ddish;

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(cfg: &str, args: &[&str]) -> String {
    let o = ddish(cfg, args);
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}\nstdout: {out}\nstderr: {err}"
    );
    out
}

/// Runs a command that must be refused (exit 3) with `reason` in its message.
fn refused(cfg: &str, args: &[&str], reason: &str) {
    let o = ddish(cfg, args);
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{args:?}\nstdout: {out}\nstderr: {err}"
    );
    assert!(
        err.contains(reason),
        "{args:?}: wanted '{reason}' in: {err}"
    );
}

struct Peers {
    ports: [u16; 2],
    auth: (String, String),
}

impl Peers {
    fn cmd(&self, i: usize, command: &str, args: Option<Value>) -> Value {
        let r = lab::kea_command(
            self.ports[i],
            Some((&self.auth.0, &self.auth.1)),
            Some("dhcp4"),
            command,
            args,
        )
        .unwrap_or_else(|e| panic!("{command} on peer {i}: {e}"));
        assert_eq!(r["result"], 0, "{command} on peer {i}: {r}");
        r
    }

    fn dhcp4(&self, i: usize) -> Value {
        self.cmd(i, "config-get", None)["arguments"]["Dhcp4"].clone()
    }

    /// The subnet with this CIDR on peer `i`.
    fn subnet(&self, i: usize, cidr: &str) -> Option<Value> {
        let d = self.dhcp4(i);
        let mut all: Vec<Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
        for n in d["shared-networks"].as_array().into_iter().flatten() {
            all.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
        }
        all.into_iter().find(|s| s["subnet"] == cidr)
    }

    fn network(&self, i: usize, cidr: &str) -> Option<Value> {
        self.dhcp4(i)["user-context"]["ddish"]["networks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["cidr"] == cidr)
            .cloned()
    }

    /// Rewrites the network list on both peers behind ddish's back (to make a scope missing).
    fn list_in_network(&self, net: &str, scope: &str) {
        for i in 0..2 {
            let mut d = self.dhcp4(i);
            if let Some(o) = d.as_object_mut() {
                o.remove("hash");
            }
            for n in d["user-context"]["ddish"]["networks"]
                .as_array_mut()
                .unwrap()
            {
                if n["cidr"] == net {
                    n["scopes"].as_array_mut().unwrap().push(json!(scope));
                }
            }
            let r = lab::kea_config_set(
                self.ports[i],
                Some((&self.auth.0, &self.auth.1)),
                json!({"Dhcp4": d}),
            )
            .unwrap();
            assert_eq!(r["result"], 0, "config-set on peer {i}: {r}");
        }
    }
}

fn write_config(dir: &Path, info: &lab::LabInfo) -> String {
    let mut s = format!(
        "[settings]\njournal = \"{}\"\n",
        dir.join("journal.jsonl").display()
    );
    for (name, url) in &info.servers {
        s.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"{}\"\npassword_file = \"{}\"\nrole = \"admin\"\n",
            info.user.as_deref().unwrap(),
            info.password_file.as_ref().unwrap().display()
        ));
    }
    let p = dir.join("ddish.toml");
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

/// (pool without spaces, its one client class or null) of each pool, in either of Kea's
/// spellings (3.0 prints `client-classes` lists).
fn pools(subnet: &Value) -> Vec<(String, Value)> {
    subnet["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["pool"].as_str().unwrap().replace(' ', ""),
                match ddish::kea::classes_of(p)[..] {
                    [c] => Value::from(c),
                    [] => Value::Null,
                    _ => panic!("pool with several classes: {p}"),
                },
            )
        })
        .collect()
}

/// An offer from either lab server for a few MACs (in load-balancing each client belongs to
/// one of them), relayed from `giaddr`.
/// A config-set restarts the HA service (a few seconds of WAITING/SYNCING, serving nobody):
/// waits for load-balancing first.
async fn any_offer(lab: &Lab, giaddr: Ipv4Addr) -> Option<ddish::probe::dhcp::Offer> {
    tokio::task::block_in_place(|| lab.wait_ha(Duration::from_secs(60))).expect("HA back");
    let dhcp_ports = lab.info.ports.dhcp;
    for m in 1..=3u8 {
        let mac = [0x02, 0xdd, 0x15, 0x4a, 0, m];
        for port in dhcp_ports {
            let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let o = ddish::probe::dhcp::discover(server, giaddr, mac, Duration::from_millis(800))
                .await
                .expect("probe runs");
            if o.is_some() {
                return o;
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn networks_and_scopes_on_an_ha_pair() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-layout-")
        .tempdir_in("/tmp")
        .unwrap();
    let opts = LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    };
    let mut lab = tokio::task::spawn_blocking(move || {
        let lab = Lab::start(&opts).expect("lab starts");
        lab.wait_ha(Duration::from_secs(60)).expect("HA up");
        lab
    })
    .await
    .unwrap();
    let peers = Peers {
        ports: lab.info.ports.ca,
        auth: ("ddish".into(), lab.info.password().unwrap()),
    };
    let cfg = write_config(dir.path(), &lab.info);
    let cfg = cfg.as_str();
    let on = ["--server", "kea-1"];
    let with = |args: &[&'static str]| -> Vec<&str> {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(on);
        v
    };

    // --- networks: created on both peers (Kea 2.2 keeps the top-level user-context) ---
    ok(
        cfg,
        &with(&[
            "network",
            "create",
            "10.77.0.0/24",
            "--title",
            "Probe net",
            "--description",
            "for the probe",
        ]),
    );
    for i in 0..2 {
        let n = peers
            .network(i, "10.77.0.0/24")
            .expect("network on both peers");
        assert_eq!(n["kind"], "network");
        assert_eq!(n["title"], "Probe net");
        // The lab's own networks are still there next to it.
        assert!(peers.network(i, "10.10.0.0/16").is_some());
    }
    ok(
        cfg,
        &with(&[
            "network",
            "edit",
            "10.77.0.0/24",
            "--title",
            "Probe network",
        ]),
    );
    assert_eq!(
        peers.network(1, "10.77.0.0/24").unwrap()["title"],
        "Probe network"
    );
    // Nesting: nothing inside a network; siblings don't overlap.
    refused(
        cfg,
        &with(&["network", "create", "10.77.0.0/25"]),
        "holds only scopes",
    );
    refused(
        cfg,
        &with(&["network", "create", "10.77.0.0/23"]),
        "create it as a container",
    );
    refused(
        cfg,
        &with(&["network", "create", "10.77.0.0/24"]),
        "already exists",
    );

    // --- scope refusals (exit 3, nothing written) ---
    let base = ["scope", "create", "--network", "10.77.0.0/24"];
    let mk = |extra: &[&'static str]| -> Vec<&str> {
        let mut v: Vec<&str> = base.to_vec();
        v.extend(extra);
        v.extend(on);
        v
    };
    refused(
        cfg,
        &mk(&["--start", "10.77.0.150", "--end", "10.77.0.100"]),
        "comes after the end",
    );
    refused(
        cfg,
        &mk(&["--start", "10.77.0.100", "--end", "10.77.1.10"]),
        "outside the network",
    );
    refused(
        cfg,
        &mk(&["--gateway", "10.78.0.1"]),
        "gateway 10.78.0.1 is outside",
    );
    refused(
        cfg,
        &mk(&["--dns", "10.77.0.53,ns.example"]),
        "'ns.example' is not an IPv4 address",
    );
    refused(cfg, &mk(&["--lease-time", "10"]), "out of range");
    refused(
        cfg,
        &mk(&["--subnet", "10.78.0.0/26"]),
        "outside its network",
    );
    refused(
        cfg,
        &with(&["scope", "create", "--network", "10.10.0.0/16"]),
        "overlaps the scope(s) 10.10.0.0/24",
    );
    assert!(peers.subnet(0, "10.77.0.0/24").is_none());

    // --- create: same id on both peers, pools split by HA class, listed in the network ---
    ok(
        cfg,
        &mk(&[
            "--start",
            "10.77.0.100",
            "--end",
            "10.77.0.150",
            "--gateway",
            "10.77.0.1",
            "--dns",
            "10.77.0.53,10.77.0.54",
            "--domain",
            "probe.example",
            "--lease-time",
            "600",
            "--relay",
            "127.0.0.77",
            "--title",
            "Probe scope",
        ]),
    );
    let s: Vec<Value> = (0..2)
        .map(|i| {
            peers
                .subnet(i, "10.77.0.0/24")
                .expect("scope on both peers")
        })
        .collect();
    assert_eq!(s[0]["id"], s[1]["id"]);
    assert!(
        s[0]["id"].as_u64().unwrap() > 6,
        "a new id above the lab's: {}",
        s[0]["id"]
    );
    assert_eq!(s[0]["pools"], s[1]["pools"]);
    assert_eq!(
        pools(&s[0]),
        vec![
            ("10.77.0.100-10.77.0.125".to_string(), json!("HA_kea-1")),
            ("10.77.0.126-10.77.0.150".to_string(), json!("HA_kea-2")),
        ]
    );
    assert_eq!(s[0]["valid-lifetime"], 600);
    assert_eq!(s[0]["relay"]["ip-addresses"], json!(["127.0.0.77"]));
    assert_eq!(s[0]["user-context"]["ddish"]["title"], "Probe scope");
    assert_eq!(
        s[0]["user-context"]["ddish"]["range"],
        json!({"start": "10.77.0.100", "end": "10.77.0.150"})
    );
    for i in 0..2 {
        assert_eq!(
            peers.network(i, "10.77.0.0/24").unwrap()["scopes"],
            json!(["10.77.0.0/24"])
        );
    }
    // A second scope over it is refused.
    refused(cfg, &mk(&[]), "overlaps the scope(s) 10.77.0.0/24");

    // --- served: a relayed probe gets an offer from its pool with its options ---
    let giaddr: Ipv4Addr = "127.0.0.77".parse().unwrap();
    let o = any_offer(&lab, giaddr)
        .await
        .expect("an offer from the new scope");
    let yi = u32::from(o.yiaddr);
    assert!(
        (u32::from(Ipv4Addr::new(10, 77, 0, 100))..=u32::from(Ipv4Addr::new(10, 77, 0, 150)))
            .contains(&yi),
        "{o:?}"
    );
    assert_eq!(o.routers, vec![Ipv4Addr::new(10, 77, 0, 1)]);
    assert_eq!(
        o.dns_servers,
        vec![Ipv4Addr::new(10, 77, 0, 53), Ipv4Addr::new(10, 77, 0, 54)]
    );
    assert_eq!(o.domain_name.as_deref(), Some("probe.example"));
    assert_eq!(o.lease_time, Some(600));

    // --- deactivate: no offer; activate: offers again ---
    refused(
        cfg,
        &with(&["scope", "deactivate", "--scope", "10.77.0.0/24"]),
        "--yes",
    );
    ok(
        cfg,
        &with(&["scope", "deactivate", "--scope", "10.77.0.0/24", "--yes"]),
    );
    for i in 0..2 {
        let s = peers.subnet(i, "10.77.0.0/24").unwrap();
        assert!(ddish::kea::has_class(&s, "never"), "{s}");
        assert_eq!(s["user-context"]["ddish"]["inactive"], true);
    }
    assert_eq!(
        any_offer(&lab, giaddr).await,
        None,
        "inactive scope offers nothing"
    );
    ok(
        cfg,
        &with(&["scope", "activate", "--scope", "10.77.0.0/24"]),
    );
    assert!(ddish::kea::classes_of(&peers.subnet(1, "10.77.0.0/24").unwrap()).is_empty());
    assert!(any_offer(&lab, giaddr).await.is_some(), "active again");

    // --- edit: lease time, raw option, range; same on both peers ---
    ok(
        cfg,
        &with(&[
            "scope",
            "edit",
            "--scope",
            "10.77.0.0/24",
            "--lease-time",
            "1200",
            "--option",
            "ntp-servers=10.77.0.5",
            "--end",
            "10.77.0.160",
        ]),
    );
    for i in 0..2 {
        let s = peers.subnet(i, "10.77.0.0/24").unwrap();
        assert_eq!(s["valid-lifetime"], 1200);
        assert!(
            s["option-data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["name"] == "ntp-servers" && o["data"] == "10.77.0.5"),
            "{s}"
        );
        assert_eq!(s["user-context"]["ddish"]["range"]["end"], "10.77.0.160");
        assert_eq!(pools(&s)[1].0, "10.77.0.131-10.77.0.160");
    }
    // Option names and value types are checked against Kea's table before sending.
    refused(
        cfg,
        &with(&[
            "scope",
            "edit",
            "--scope",
            "10.77.0.0/24",
            "--option",
            "ntp-server=10.77.0.5",
        ]),
        "ntp-servers",
    );
    refused(
        cfg,
        &with(&[
            "scope",
            "edit",
            "--scope",
            "10.77.0.0/24",
            "--option",
            "ntp-servers=10.77.0.x",
        ]),
        "10.77.0.x",
    );
    refused(
        cfg,
        &with(&[
            "scope",
            "edit",
            "--scope",
            "10.77.0.0/24",
            "--lease-time",
            "99999999",
        ]),
        "out of range",
    );
    refused(
        cfg,
        &with(&[
            "scope",
            "edit",
            "--scope",
            "10.77.0.0/24",
            "--gateway",
            "10.1.1.1",
        ]),
        "outside",
    );

    // --- a network with a scope can't be deleted or become a container ---
    refused(
        cfg,
        &with(&["network", "delete", "10.77.0.0/24", "--yes"]),
        "still holds the scope(s) 10.77.0.0/24",
    );
    refused(
        cfg,
        &with(&["network", "to-container", "10.77.0.0/24"]),
        "holds the scope(s) 10.77.0.0/24",
    );

    // --- duplicate onto another CIDR (a network there lists it) ---
    ok(cfg, &with(&["network", "create", "10.78.0.0/24"]));
    ok(
        cfg,
        &with(&[
            "scope",
            "duplicate",
            "--scope",
            "10.77.0.0/24",
            "--to-cidr",
            "10.78.0.0/24",
        ]),
    );
    for i in 0..2 {
        let s = peers.subnet(i, "10.78.0.0/24").expect("copy on both peers");
        assert_eq!(s["valid-lifetime"], 1200);
        assert_eq!(
            s["user-context"]["ddish"]["range"],
            json!({"start": "10.78.0.100", "end": "10.78.0.160"})
        );
        let opts = s["option-data"].as_array().unwrap();
        assert!(
            opts.iter()
                .any(|o| o["name"] == "routers" && o["data"] == "10.78.0.1"),
            "{s}"
        );
        assert!(opts.iter().any(|o| o["name"] == "ntp-servers"), "{s}");
        assert_eq!(
            peers.network(i, "10.78.0.0/24").unwrap()["scopes"],
            json!(["10.78.0.0/24"])
        );
    }
    let ids: Vec<Value> = (0..2)
        .map(|i| peers.subnet(i, "10.78.0.0/24").unwrap()["id"].clone())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], peers.subnet(0, "10.77.0.0/24").unwrap()["id"]);

    // --- delete: asks, then goes from both peers and from the network's list ---
    refused(
        cfg,
        &with(&["scope", "delete", "--scope", "10.78.0.0/24"]),
        "lease(s)",
    );
    assert!(peers.subnet(0, "10.78.0.0/24").is_some());
    ok(
        cfg,
        &with(&["scope", "delete", "--scope", "10.78.0.0/24", "--yes"]),
    );
    for i in 0..2 {
        assert!(peers.subnet(i, "10.78.0.0/24").is_none());
        assert_eq!(
            peers.network(i, "10.78.0.0/24").unwrap()["scopes"],
            json!([])
        );
    }

    // --- missing scopes: listed by a network, not on the server ---
    peers.list_in_network("10.78.0.0/24", "10.78.0.0/24");
    let out = ok(cfg, &["export", "--what", "scopes", "--server", "kea-1"]);
    assert!(
        out.lines()
            .any(|l| l.contains("10.78.0.0/24") && l.contains("not on server")),
        "{out}"
    );
    refused(
        cfg,
        &with(&["scope", "forget", "--scope", "10.77.0.0/24", "--yes"]),
        "is on the server",
    );
    ok(
        cfg,
        &with(&["scope", "recreate", "--scope", "10.78.0.0/24"]),
    );
    for i in 0..2 {
        let s = peers.subnet(i, "10.78.0.0/24").expect("re-created on both");
        assert_eq!(
            s["user-context"]["ddish"]["range"],
            json!({"start": "10.78.0.1", "end": "10.78.0.254"})
        );
    }
    ok(
        cfg,
        &with(&["scope", "delete", "--scope", "10.78.0.0/24", "--yes"]),
    );
    peers.list_in_network("10.78.0.0/24", "10.78.0.0/24");
    ok(
        cfg,
        &with(&["scope", "forget", "--scope", "10.78.0.0/24", "--yes"]),
    );
    for i in 0..2 {
        assert_eq!(
            peers.network(i, "10.78.0.0/24").unwrap()["scopes"],
            json!([])
        );
    }

    // --- containers: to-container, nesting, delete refused while it holds networks ---
    ok(cfg, &with(&["network", "to-container", "10.78.0.0/24"]));
    assert_eq!(
        peers.network(1, "10.78.0.0/24").unwrap()["kind"],
        "container"
    );
    ok(cfg, &with(&["network", "create", "10.78.0.0/26"]));
    refused(
        cfg,
        &with(&["network", "delete", "10.78.0.0/24", "--yes"]),
        "still holds 10.78.0.0/26",
    );
    ok(cfg, &with(&["network", "delete", "10.78.0.0/26", "--yes"]));
    ok(cfg, &with(&["network", "delete", "10.78.0.0/24", "--yes"]));
    assert!(peers.network(0, "10.78.0.0/24").is_none());
    assert!(peers.network(1, "10.78.0.0/24").is_none());

    // --- several servers configured: --server is required ---
    refused(cfg, &["network", "create", "10.79.0.0/24"], "--server");

    // --- journaled ---
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    for action in [
        "network-create",
        "scope-create",
        "scope-deactivate",
        "scope-delete",
        "scope-forget",
    ] {
        assert!(
            journal.contains(&format!("\"{action}\"")),
            "{action} journaled"
        );
    }

    // --- config-write persisted it: a restarted kea-1 still has the network and scope ---
    tokio::task::block_in_place(|| {
        lab.kea[0].stop_dhcp();
        lab.kea[0].start_dhcp().expect("kea-1 restarts");
    });
    assert!(peers.network(0, "10.77.0.0/24").is_some());
    assert_eq!(
        peers.subnet(0, "10.77.0.0/24").unwrap()["valid-lifetime"],
        1200
    );
    drop(lab);
}

/// Two standalone servers: one pool without HA, a duplicate onto the
/// other server is served there, several scopes (de)activated and deleted in one command,
/// and --read-only changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn duplicate_onto_another_server_and_many_scopes() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-layout2-")
        .tempdir_in("/tmp")
        .unwrap();
    let d = dir.path().to_path_buf();
    let (pa, pb) = (common::ports(2), common::ports(2));
    let (a, b) = tokio::task::spawn_blocking(move || {
        let a = lab::KeaInstance::start(
            &d.join("a"),
            "a",
            pa,
            pa + 1,
            lab::minimal_dhcp4(json!([{"id": 1, "subnet": "10.40.0.0/24"}])),
            None,
            None,
        )
        .expect("kea a");
        let b = lab::KeaInstance::start(
            &d.join("b"),
            "b",
            pb,
            pb + 1,
            lab::minimal_dhcp4(json!([{"id": 5, "subnet": "10.41.0.0/24"}])),
            None,
            None,
        )
        .expect("kea b");
        (a, b)
    })
    .await
    .unwrap();
    let cfg_path = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "[settings]\njournal = \"{}\"\n[[server]]\nname = \"a\"\nurl = \"{}\"\nrole = \"admin\"\n\
             [[server]]\nname = \"b\"\nurl = \"{}\"\nrole = \"admin\"\n",
            dir.path().join("journal.jsonl").display(),
            a.ca_url,
            b.ca_url
        ),
    )
    .unwrap();
    let cfg = cfg_path.to_str().unwrap();
    let subnet = |k: &lab::KeaInstance, cidr: &str| -> Option<Value> {
        let r = k.command("config-get", None).unwrap();
        r["arguments"]["Dhcp4"]["subnet4"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subnet"] == cidr)
            .cloned()
    };

    refused(
        cfg,
        &[
            "--read-only",
            "network",
            "create",
            "10.50.0.0/24",
            "--server",
            "a",
        ],
        "read-only",
    );
    ok(cfg, &["network", "create", "10.50.0.0/24", "--server", "a"]);
    ok(cfg, &["network", "create", "10.51.0.0/24", "--server", "a"]);
    ok(
        cfg,
        &[
            "scope",
            "create",
            "--network",
            "10.50.0.0/24",
            "--start",
            "10.50.0.10",
            "--end",
            "10.50.0.20",
            "--relay",
            "127.0.0.50",
            "--gateway",
            "10.50.0.1",
            "--server",
            "a",
        ],
    );
    let s = subnet(&a, "10.50.0.0/24").expect("scope on a");
    assert_eq!(s["id"], 2);
    assert_eq!(
        pools(&s),
        vec![("10.50.0.10-10.50.0.20".to_string(), Value::Null)]
    );

    // Duplicate onto b: same CIDR, a free id there (above b's 5), served by b.
    ok(
        cfg,
        &[
            "scope",
            "duplicate",
            "--scope",
            "10.50.0.0/24",
            "--to-server",
            "b",
            "--server",
            "a",
        ],
    );
    let s = subnet(&b, "10.50.0.0/24").expect("copy on b");
    assert_eq!(s["id"], 6);
    assert_eq!(
        s["user-context"]["ddish"]["range"],
        json!({"start": "10.50.0.10", "end": "10.50.0.20"})
    );
    let server: SocketAddr = format!("127.0.0.1:{}", b.dhcp_port).parse().unwrap();
    let o = ddish::probe::dhcp::discover(
        server,
        "127.0.0.50".parse().unwrap(),
        [0x02, 0xdd, 0x15, 0x4b, 0, 1],
        Duration::from_secs(3),
    )
    .await
    .unwrap()
    .expect("b serves the copy");
    assert!(o.yiaddr.to_string().starts_with("10.50.0."), "{o:?}");
    assert_eq!(o.routers, vec![Ipv4Addr::new(10, 50, 0, 1)]);
    refused(
        cfg,
        &[
            "scope",
            "duplicate",
            "--scope",
            "10.50.0.0/24",
            "--to-server",
            "b",
            "--server",
            "a",
        ],
        "overlaps the scope(s) 10.50.0.0/24 on b",
    );

    // Many scopes at once.
    ok(
        cfg,
        &[
            "scope",
            "create",
            "--network",
            "10.51.0.0/24",
            "--server",
            "a",
        ],
    );
    ok(
        cfg,
        &[
            "scope",
            "edit",
            "--scope",
            "10.51.0.0/24",
            "--inactive",
            "--server",
            "a",
        ],
    );
    assert!(ddish::kea::has_class(
        &subnet(&a, "10.51.0.0/24").unwrap(),
        "never"
    ));
    ok(
        cfg,
        &[
            "scope",
            "edit",
            "--scope",
            "10.51.0.0/24",
            "--active",
            "--server",
            "a",
        ],
    );
    assert!(ddish::kea::classes_of(&subnet(&a, "10.51.0.0/24").unwrap()).is_empty());
    ok(
        cfg,
        &[
            "scope",
            "deactivate",
            "--scope",
            "10.50.0.0/24",
            "--scope",
            "10.51.0.0/24",
            "--yes",
            "--server",
            "a",
        ],
    );
    for c in ["10.50.0.0/24", "10.51.0.0/24"] {
        assert!(ddish::kea::has_class(&subnet(&a, c).unwrap(), "never"));
    }
    ok(
        cfg,
        &[
            "scope",
            "delete",
            "--scope",
            "10.50.0.0/24",
            "--scope",
            "10.51.0.0/24",
            "--yes",
            "--server",
            "a",
        ],
    );
    assert!(subnet(&a, "10.50.0.0/24").is_none());
    assert!(subnet(&a, "10.51.0.0/24").is_none());
    assert!(subnet(&a, "10.40.0.0/24").is_some(), "the others stay");
    refused(
        cfg,
        &[
            "scope",
            "activate",
            "--scope",
            "10.50.0.0/24",
            "--server",
            "a",
        ],
        "no scope 10.50.0.0/24",
    );
    drop((a, b));
}

/// A hot-standby pair: one pool without HA classes on both peers, and
/// the scope is served.
#[tokio::test(flavor = "multi_thread")]
async fn hot_standby_scope_has_one_pool_and_is_served() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-layout3-")
        .tempdir_in("/tmp")
        .unwrap();
    let opts = LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::HotStandby,
        with_auth: true,
        ..Default::default()
    };
    let lab = tokio::task::spawn_blocking(move || {
        let lab = Lab::start(&opts).expect("lab starts");
        lab.wait_ha(Duration::from_secs(60)).expect("HA up");
        lab
    })
    .await
    .unwrap();
    let peers = Peers {
        ports: lab.info.ports.ca,
        auth: ("ddish".into(), lab.info.password().unwrap()),
    };
    let cfg = write_config(dir.path(), &lab.info);
    let cfg = cfg.as_str();
    ok(
        cfg,
        &["network", "create", "10.88.0.0/24", "--server", "kea-2"],
    );
    ok(
        cfg,
        &[
            "scope",
            "create",
            "--network",
            "10.88.0.0/24",
            "--start",
            "10.88.0.50",
            "--end",
            "10.88.0.60",
            "--relay",
            "127.0.0.88",
            "--server",
            "kea-2",
        ],
    );
    let s: Vec<Value> = (0..2)
        .map(|i| peers.subnet(i, "10.88.0.0/24").expect("on both peers"))
        .collect();
    assert_eq!(s[0]["id"], s[1]["id"]);
    for x in &s {
        assert_eq!(
            pools(x),
            vec![("10.88.0.50-10.88.0.60".to_string(), Value::Null)]
        );
    }
    let o = any_offer(&lab, "127.0.0.88".parse().unwrap())
        .await
        .expect("the active server offers");
    assert!(o.yiaddr.to_string().starts_with("10.88.0."), "{o:?}");
    drop(lab);
}

/// `Session::delete_scopes` on a real Kea: admin only, all or nothing
/// (one scope missing: none goes), then two scopes in one write, one journal entry each.
#[tokio::test(flavor = "multi_thread")]
async fn delete_scopes_is_one_write_all_or_nothing_and_admin_only() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::Builder::new()
        .prefix("ddish-dels-")
        .tempdir_in("/tmp")
        .unwrap();
    let p = common::ports(2);
    let kea = lab::KeaInstance::start(
        &dir.path().join("k"),
        "k",
        p,
        p + 1,
        lab::minimal_dhcp4(json!([
            {"id": 1, "subnet": "10.50.0.0/24", "pools": [{"pool": "10.50.0.100 - 10.50.0.199"}],
             "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "10.50.0.10"}]},
            {"id": 2, "subnet": "10.51.0.0/24", "pools": [{"pool": "10.51.0.100 - 10.51.0.199"}]},
            {"id": 3, "subnet": "10.52.0.0/24", "pools": [{"pool": "10.52.0.100 - 10.52.0.199"}]}
        ])),
        None,
        None,
    )
    .expect("kea starts");
    let journal = dir.path().join("journal.jsonl");
    let cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n\
         [[server]]\nname = \"k\"\nurl = \"http://127.0.0.1:{p}/\"\nrole = \"admin\"\n\
         [[server]]\nname = \"k-op\"\nurl = \"http://127.0.0.1:{p}/\"\nrole = \"operator\"\n",
        journal.display()
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let s = ddish::ops::Session::new(config);
    let n = |c: &str| -> ipnet::Ipv4Net { c.parse().unwrap() };
    let cidrs = || -> Vec<String> {
        let r = kea.command("config-get", None).unwrap();
        r["arguments"]["Dhcp4"]["subnet4"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["subnet"].as_str().unwrap().to_string())
            .collect()
    };
    let all = vec!["10.50.0.0/24", "10.51.0.0/24", "10.52.0.0/24"];

    let e = s
        .delete_scopes("k-op", &[n("10.50.0.0/24")])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("role = \"admin\""), "{e}");
    let e = s
        .delete_scopes("k", &[n("10.50.0.0/24"), n("10.99.0.0/24")])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no scope 10.99.0.0/24"), "{e}");
    assert_eq!(cidrs(), all, "nothing deleted when one scope is missing");

    let out = s
        .delete_scopes("k", &[n("10.50.0.0/24"), n("10.51.0.0/24")])
        .await
        .expect("deleted");
    assert_eq!(
        out.summary,
        "scopes 10.50.0.0/24, 10.51.0.0/24 deleted (0 lease(s), 1 reservation(s) went with them)"
    );
    assert_eq!(out.peers, vec!["k".to_string()]);
    assert_eq!(cidrs(), vec!["10.52.0.0/24"]);
    let j = std::fs::read_to_string(&journal).unwrap();
    let entries: Vec<Value> = j
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["action"] == "scope-delete" && e["result"] == "ok")
        .collect();
    assert_eq!(entries.len(), 2, "{j}");
    assert_eq!(entries[0]["scope"], "10.50.0.0/24");
    assert_eq!(entries[1]["scope"], "10.51.0.0/24");
}
