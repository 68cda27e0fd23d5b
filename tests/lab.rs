//! The lab harness against real Kea 2.2 and BIND 9.18 on loopback (ports 20200-20399).
use ddish::lab::{self, HaMode, KeaInstance, Lab, LabError, LabOptions};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const HA_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `down` even when an assertion fails, so no test leaks daemons.
struct DownOnDrop(PathBuf);
impl Drop for DownOnDrop {
    fn drop(&mut self) {
        let _ = lab::down(&self.0);
    }
}

fn opts(dir: &Path, base: u16) -> LabOptions {
    LabOptions {
        dir: dir.to_path_buf(),
        port_base: base,
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    }
}

/// Subnet ids in a config-get answer, top level and inside shared networks.
fn subnet_ids(config: &serde_json::Value) -> BTreeSet<u64> {
    let d = &config["arguments"]["Dhcp4"];
    let mut ids: BTreeSet<u64> = d["subnet4"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    for sn in d["shared-networks"].as_array().unwrap() {
        ids.extend(
            sn["subnet4"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_u64().unwrap()),
        );
    }
    ids
}

/// Whether the lab's servers are reached on kea-dhcp4's own HTTP socket (Kea 3.0, no agent).
fn direct_api() -> bool {
    lab::KeaDist::from_env().unwrap().api == lab::LabApi::Direct
}

/// Processes one lab Kea server runs: kea-dhcp4 and its kea-ctrl-agent, or kea-dhcp4 alone
/// where it answers the API itself (the direct API starts no agent).
fn daemons_per_kea() -> usize {
    if direct_api() {
        1
    } else {
        2
    }
}

/// The HA hook's entry: where it sits in the list depends on which hooks this Kea ships
/// (the lab adds host_cmds, subnet_cmds and class_cmds where they exist, Kea 3.0).
fn ha_hook(config: &serde_json::Value) -> &serde_json::Value {
    config["arguments"]["Dhcp4"]["hooks-libraries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h["library"]
                .as_str()
                .is_some_and(|l| l.ends_with("/libdhcp_ha.so"))
        })
        .unwrap_or_else(|| panic!("no HA hook in {config}"))
}

fn lease_count(port: u16, auth: Option<(&str, &str)>, subnet: u32) -> usize {
    let r = lab::kea_command(
        port,
        auth,
        Some("dhcp4"),
        "lease4-get-all",
        Some(json!({"subnets": [subnet]})),
    )
    .unwrap();
    r["arguments"]["leases"].as_array().map_or(0, Vec::len)
}

#[test]
fn up_serves_sample_data_reaches_ha_and_down_stops_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let _guard = DownOnDrop(dir.clone());
    let info = lab::up(&opts(&dir, 20200)).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(info.config_path, dir.join("ddish.toml"));
    let password = info.password().expect("auth is on");
    let auth = Some(("ddish", password.as_str()));
    let [ca1, ca2] = info.ports.ca;

    // Both CAs reach their dhcp4; without credentials they refuse.
    for port in [ca1, ca2] {
        let r = lab::kea_command(port, auth, Some("dhcp4"), "status-get", None).unwrap();
        assert_eq!(r["result"], 0, "{r}");
        let err = lab::kea_command(port, None, Some("dhcp4"), "status-get", None).unwrap_err();
        assert!(err.contains("401"), "{err}");
    }

    // The six sample scopes and the ddish networks are in the running config.
    let cfg = lab::kea_command(ca1, auth, Some("dhcp4"), "config-get", None).unwrap();
    assert_eq!(subnet_ids(&cfg), (1..=6).collect());
    let networks = &cfg["arguments"]["Dhcp4"]["user-context"]["ddish"]["networks"];
    assert_eq!(networks.as_array().unwrap().len(), 3);
    let ha = &ha_hook(&cfg)["parameters"]["high-availability"][0];
    assert_eq!(ha["mode"], "load-balancing");

    // Kea loaded exactly the seeded leases (both peers got the same file).
    let counts = lab::sample_lease_counts();
    for (subnet, want) in &counts {
        assert_eq!(
            lease_count(ca1, auth, *subnet),
            *want,
            "kea-1 subnet {subnet}"
        );
        if *subnet != lab::ids::CAMPUS {
            assert_eq!(
                lease_count(ca2, auth, *subnet),
                *want,
                "kea-2 subnet {subnet}"
            );
        }
    }
    assert!(counts[&lab::ids::CAMPUS] >= 20_000);
    let held = lab::kea_command(
        ca1,
        auth,
        Some("dhcp4"),
        "lease4-get",
        Some(json!({"ip-address": "10.10.0.120"})),
    )
    .unwrap();
    assert_eq!(
        held["arguments"]["user-context"]["ddish"]["held"], true,
        "{held}"
    );
    let declined = lab::kea_command(
        ca1,
        auth,
        Some("dhcp4"),
        "lease4-get",
        Some(json!({"ip-address": "10.10.0.150"})),
    )
    .unwrap();
    assert_eq!(declined["arguments"]["state"], 1, "{declined}");

    // HA converges with peer basic auth.
    info.wait_ha(HA_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));

    // named serves every zone.
    assert_eq!(info.zones.len(), 3);
    for z in &info.zones {
        assert_eq!(
            lab::soa_serial(info.dns, z, Duration::from_secs(2)).unwrap(),
            1,
            "{z}"
        );
    }

    // ddish.toml points at all of it.
    let toml: toml::Table = std::fs::read_to_string(&info.config_path)
        .unwrap()
        .parse()
        .unwrap();
    let servers = toml["server"].as_array().unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(
        servers[0]["url"].as_str().unwrap(),
        format!("http://127.0.0.1:{ca1}/")
    );
    assert_eq!(
        servers[0]["password_file"].as_str().unwrap(),
        dir.join("kea-password").to_str().unwrap()
    );
    assert_eq!(toml["dns"]["zone"].as_array().unwrap().len(), 3);
    assert_eq!(
        toml["dns"]["zone"][0]["secret_file"].as_str().unwrap(),
        info.dns_key_file.to_str().unwrap()
    );
    assert!(std::fs::read_to_string(&info.dns_key_file)
        .unwrap()
        .contains("lab-key"));

    // A second up on the same dir refuses.
    match lab::up(&opts(&dir, 20205)) {
        Err(LabError::AlreadyRunning { .. }) => {}
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }

    // down stops exactly the recorded daemons: both Kea servers' and named.
    let recorded = lab::PidFile::new(&dir).read().unwrap();
    let daemons = 2 * daemons_per_kea() + 1;
    assert_eq!(recorded.len(), daemons, "{recorded:?}");
    assert!(recorded.iter().all(|(_, pid)| lab::pid_alive(*pid)));
    let report = lab::down(&dir).unwrap();
    assert_eq!(report.len(), daemons, "{report:?}");
    for (name, pid) in &recorded {
        assert!(!lab::pid_alive(*pid), "{name} ({pid}) still runs");
    }
    assert!(!info.pids_file.exists());
    assert!(lab::down(&dir).unwrap().is_empty());
}

#[test]
fn up_refuses_a_taken_port_and_starts_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let _guard = DownOnDrop(dir.clone());
    // Held over UDP only: the named case, where a clash would otherwise go unnoticed.
    let _squatter = std::net::UdpSocket::bind("127.0.0.1:20214").unwrap();
    let err = lab::up(&opts(&dir, 20210)).unwrap_err();
    match &err {
        LabError::PortInUse { port, .. } => assert_eq!(*port, 20214),
        other => panic!("expected PortInUse, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("127.0.0.1:20214") && msg.contains("named"),
        "{msg}"
    );
    assert!(lab::PidFile::new(&dir).read().unwrap().is_empty());
}

#[test]
fn up_refuses_bad_options_and_foreign_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let err = lab::up(&opts(tmp.path(), 80)).unwrap_err();
    assert!(err.to_string().contains("1024"), "{err}");
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let err = lab::up(&opts(tmp.path(), 20230)).unwrap_err();
    assert!(
        err.to_string().contains("not a ddish lab directory"),
        "{err}"
    );
    assert!(tmp.path().join("precious.txt").exists());
}

#[test]
fn standalone_kea_instance_restarts_pauses_and_cleans_up_on_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let subnets = json!([{"id": 1, "subnet": "10.40.0.0/24",
                          "pools": [{"pool": "10.40.0.100 - 10.40.0.199"}]}]);
    let mut k = KeaInstance::start(
        &tmp.path().join("k"),
        "solo",
        20240,
        20241,
        lab::minimal_dhcp4(subnets),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pids = k.pids();
    assert_eq!(pids.len(), daemons_per_kea(), "{pids:?}");

    let r = k
        .command(
            "lease4-add",
            Some(json!({"ip-address": "10.40.0.150", "hw-address": "02:40:00:00:00:01"})),
        )
        .unwrap();
    assert_eq!(r["result"], 0, "{r}");
    let cfg = k.command("config-get", None).unwrap();
    assert!(cfg["arguments"]["Dhcp4"]["user-context"].is_null());

    // kea-dhcp4 down: the CA says it can't forward; back up: the lease is still there.
    // With the direct API no agent is left to answer: nothing listens on the port.
    k.stop_dhcp();
    if direct_api() {
        let e = k.command("status-get", None).unwrap_err().to_string();
        assert!(e.contains("refused"), "{e}");
    } else {
        let r = k.command("status-get", None).unwrap();
        assert_eq!(r["result"], 1, "{r}");
    }
    k.start_dhcp().unwrap();
    let r = k
        .command("lease4-get", Some(json!({"ip-address": "10.40.0.150"})))
        .unwrap();
    assert_eq!(r["result"], 0, "{r}");

    // A paused CA (kea-dhcp4 itself with the direct API) accepts the connection but never
    // answers.
    k.pause_ca();
    let slow = lab::ca_post(
        20240,
        None,
        &json!({"command": "status-get"}),
        Duration::from_millis(500),
    );
    assert!(slow.is_err());
    k.resume_ca();
    assert_eq!(k.ca_command("status-get", None).unwrap()["result"], 0);

    drop(k);
    for (name, pid) in pids {
        assert!(!lab::pid_alive(pid), "{name} ({pid}) survived drop");
    }
}

#[test]
fn in_process_hot_standby_lab_without_auth_stops_on_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = opts(&tmp.path().join("lab"), 20250);
    o.ha_mode = HaMode::HotStandby;
    o.with_auth = false;
    let lab = Lab::start(&o).unwrap_or_else(|e| panic!("{e}"));
    assert!(lab.info.password_file.is_none());
    let toml = std::fs::read_to_string(&lab.info.config_path).unwrap();
    assert!(!toml.contains("password_file"), "{toml}");
    lab.wait_ha(HA_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let standby = lab.kea[1].command("ha-heartbeat", None).unwrap();
    assert_eq!(standby["arguments"]["scopes"], json!([]), "{standby}");
    let pids = lab.pids();
    assert_eq!(pids.len(), 2 * daemons_per_kea() + 1, "{pids:?}");
    let pids_file = lab.info.pids_file.clone();
    drop(lab);
    for (name, pid) in pids {
        assert!(!lab::pid_alive(pid), "{name} ({pid}) survived drop");
    }
    assert!(!pids_file.exists());
}

#[test]
fn check_installed_finds_kea_and_bind_here() {
    lab::check_installed().unwrap_or_else(|e| panic!("{e}"));
    assert!(lab::hooks_dir().unwrap().join("libdhcp_ha.so").is_file());
}

#[test]
fn dns_primary_and_secondary_serve_zones_and_stop_on_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let zone = "$TTL 300\n@ IN SOA ns1.t.test. h.t.test. ( 7 3600 600 86400 300 )\n  IN NS ns1.t.test.\nns1 IN A 127.0.0.1\n";
    let primary = lab::DnsInstance::start(&tmp.path().join("p"), 20260, &[("t.test", zone)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(primary.soa_serial("t.test").unwrap(), 7);
    assert_eq!(primary.key_name, "lab-key");
    assert!(!format!("{primary:?}").contains(&primary.secret_b64));
    // Another named on the same port is refused, not silently sharing it.
    let err =
        lab::DnsInstance::start(&tmp.path().join("x"), 20260, &[("t.test", zone)]).unwrap_err();
    assert!(
        matches!(err, LabError::PortInUse { port: 20260, .. }),
        "{err}"
    );

    let secondary = lab::DnsInstance::start_secondary(&tmp.path().join("s"), 20261, &primary)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secondary.soa_serial("t.test").unwrap(), 7);
    let pids: Vec<u32> = primary
        .pids()
        .into_iter()
        .chain(secondary.pids())
        .map(|(_, p)| p)
        .collect();
    assert_eq!(pids.len(), 2);
    drop(secondary);
    drop(primary);
    assert!(pids.iter().all(|p| !lab::pid_alive(*p)));
    assert!(lab::soa_serial(
        "127.0.0.1:20260".parse().unwrap(),
        "t.test",
        Duration::from_millis(300)
    )
    .is_err());
}

#[test]
fn kea_instance_with_a_bad_config_says_why_and_where_the_log_is() {
    let tmp = tempfile::tempdir().unwrap();
    // Pool outside its subnet: kea-dhcp4 refuses the config and exits.
    let subnets = json!([{"id": 1, "subnet": "10.40.0.0/24",
                          "pools": [{"pool": "10.99.0.1 - 10.99.0.9"}]}]);
    let err = KeaInstance::start(
        &tmp.path().join("bad"),
        "bad",
        20270,
        20271,
        lab::minimal_dhcp4(subnets),
        None,
        None,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("kea-dhcp4 for bad (port 20271) exited during start-up"),
        "{msg}"
    );
    assert!(msg.contains("log: ") && msg.contains("10.99.0.1"), "{msg}");
    // Nothing is left behind: both ports are free again.
    lab::check_ports_free(&[(20270, "ca".into()), (20271, "dhcp".into())]).unwrap();
}
