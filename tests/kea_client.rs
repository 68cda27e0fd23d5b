//! KeaClient against a real Kea on 127.0.0.1 (the lab's [`KeaInstance`]: kea-dhcp4 and its
//! Control Agent, or kea-dhcp4's own HTTP socket with DDISH_KEA_API=direct), started and
//! killed by each test on ports from `common::ports`.
mod common;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use ddish::config::{ApiStyle, Role, SecretSource, ServerConfig};
use ddish::kea::{KeaClient, KeaError};
use ddish::lab::{KeaDist, KeaInstance, KeaOptions, LabApi, TlsFiles};
use ddish::model::{LeaseMark, LeaseState, NetworkKind, ScopeStatus};
use serde_json::json;
use tempfile::TempDir;

/// The Kea the environment names (DDISH_KEA_ROOT / DDISH_KEA_API), with `opts`, in its own
/// directory (kept alive by the returned guard).
fn start(opts: KeaOptions) -> (KeaInstance, TempDir) {
    let dir = common::kea_dir("ddish-kc-");
    let port = common::ports(2);
    let dist = KeaDist::from_env().expect("DDISH_KEA_ROOT / DDISH_KEA_API");
    let kea = KeaInstance::start_with(
        &dist,
        &dir.path().join("kea"),
        "kea-test",
        port,
        port + 1,
        lab_config(),
        &opts,
    )
    .expect("Kea starts");
    (kea, dir)
}

fn api() -> ApiStyle {
    match KeaDist::from_env().map(|d| d.api) {
        Ok(LabApi::Direct) => ApiStyle::Direct,
        _ => ApiStyle::Agent,
    }
}

/// kea-dhcp4's start-up output and log, and the agent's, for failure messages.
fn logs(k: &KeaInstance) -> String {
    [&k.dhcp_out, &k.dhcp_log, &k.ca_out, &k.ca_log]
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("--- {}\n{}\n", p.display(), tail.join("\n"))
        })
        .collect()
}

fn server(url: &str) -> ServerConfig {
    ServerConfig {
        name: "kea-test".into(),
        url: url.into(),
        api: api(),
        service: "dhcp4".into(),
        user: None,
        password: None,
        ca_file: None,
        allow_plain_http: false,
        tags: vec![],
        fields: Default::default(),
        role: Role::default(),
    }
}

fn client(s: &ServerConfig) -> KeaClient {
    KeaClient::new(s, Duration::from_secs(5)).expect("client")
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn lab_config() -> serde_json::Value {
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "interfaces-config": {"interfaces": []},
        "hooks-libraries": [{"library": "libdhcp_lease_cmds.so"}, {"library": "libdhcp_stat_cmds.so"}],
        "user-context": {"ddish": {"networks": [
            {"cidr": "10.10.0.0/16", "kind": "network", "title": "HQ", "scopes": ["10.10.0.0/24", "10.10.9.0/24"]},
            {"cidr": "10.0.0.0/8", "kind": "container", "title": "Corp"}]}},
        "subnet4": [
            {"id": 1, "subnet": "10.10.0.0/24", "pools": [{"pool": "10.10.0.100 - 10.10.0.199"}],
             "option-data": [{"name": "routers", "data": "10.10.0.1"}, {"name": "domain-name-servers", "data": "10.10.0.53"}],
             "valid-lifetime": 600,
             "user-context": {"site": "hq", "ddish": {"title": "Main", "description": "first floor",
                              "range": {"start": "10.10.0.10", "end": "10.10.0.220"}}},
             "reservations": [
                {"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10", "hostname": "printer1",
                 "user-context": {"ddish": {"description": "hall printer"}}},
                {"client-id": "01:aa:bb:cc:00:30:02", "ip-address": "10.10.0.11", "user-context": {"comment": "desk"}}]},
            {"id": 2, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.100-10.20.0.199"}],
             "client-class": "never", "user-context": {"ddish": {"inactive": true}}}],
        "shared-networks": [
            {"name": "floor3", "option-data": [{"name": "routers", "data": "10.30.0.1"}],
             "subnet4": [{"id": 3, "subnet": "10.30.0.0/24", "pools": [{"pool": "10.30.0.50-10.30.0.60"}]}]}]
    }})
}

#[tokio::test]
async fn reads_a_real_server() {
    let (kea, _dir) = start(KeaOptions::default());
    let c = client(&server(&kea.ca_url));

    // Capabilities.
    let version = c.version_get().await.expect("version-get");
    assert_eq!(
        ddish::lab::parse_version(&version),
        kea.dist.version_number().ok(),
        "{version}"
    );
    let cmds = c.list_commands().await.unwrap();
    for needed in ["config-get", "lease4-get-page", "stat-lease4-get"] {
        assert!(
            cmds.iter().any(|c| c == needed),
            "{needed} missing from {cmds:?}"
        );
    }
    let caps = c.capabilities().await.unwrap();
    assert!(caps.lease_cmds() && caps.stat_cmds());
    assert!(!caps.ha() && !caps.host_cmds() && !caps.subnet_cmds());

    // status-get reports the daemon we started.
    let st = c.status_get().await.unwrap();
    assert_eq!(st.pid, kea.dhcp_pid().map(i64::from));
    assert!(st.ha.is_none());

    // config-get as IPAM.
    let cfg = c.config_get().await.unwrap();
    let raw = c.config_get_raw().await.unwrap();
    assert_eq!(
        raw["Dhcp4"]["valid-lifetime"], 3600,
        "whole config for writes"
    );
    let mut ids: Vec<u32> = cfg.scopes.iter().map(|s| s.id).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3]);
    let s1 = cfg.scope(1).unwrap();
    assert_eq!(s1.title.as_deref(), Some("Main"));
    assert_eq!(s1.description.as_deref(), Some("first floor"));
    assert!(s1.range_marked);
    assert_eq!(s1.range.to_string(), "10.10.0.10 - 10.10.0.220");
    assert_eq!(s1.pools.to_string(), "10.10.0.100 - 10.10.0.199");
    assert_eq!(s1.gateway, Some(ip("10.10.0.1")));
    assert_eq!(s1.valid_lifetime, Some(600));
    assert_eq!(s1.status, ScopeStatus::Active);
    assert_eq!(s1.reservations.len(), 2);
    let printer = s1.reservation_at(ip("10.10.0.10")).unwrap();
    assert_eq!(printer.hostname.as_deref(), Some("printer1"));
    assert_eq!(printer.description.as_deref(), Some("hall printer"));
    let desk = s1.reservation_at(ip("10.10.0.11")).unwrap();
    assert_eq!(desk.description.as_deref(), Some("desk"));
    assert!(desk.client_id.is_some());
    let s2 = cfg.scope(2).unwrap();
    assert_eq!(s2.status, ScopeStatus::Inactive);
    assert!(!s2.range_marked);
    let s3 = cfg.scope(3).unwrap();
    assert_eq!(s3.shared_network.as_deref(), Some("floor3"));
    assert_eq!(s3.gateway, Some(ip("10.30.0.1")));
    assert_eq!(cfg.networks.len(), 2);
    assert_eq!(cfg.networks[0].title.as_deref(), Some("HQ"));
    assert_eq!(cfg.networks[0].scopes.len(), 2);
    assert_eq!(cfg.networks[1].kind, NetworkKind::Container);

    // The config as read is a valid base for writes: config-test accepts it unchanged.
    let r = c.call_ref("config-test", Some(&raw)).await.unwrap();
    assert_eq!(r.result, 0, "{r:?}");
    // The Control Agent's own commands (no service).
    if kea.dist.api == LabApi::Agent {
        let r = c.call_agent("list-commands", None).await.unwrap();
        let local: Vec<&str> = r
            .arguments
            .as_ref()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(
            local.contains(&"config-reload") && !local.contains(&"lease4-get-page"),
            "{local:?}"
        );
    }

    // Counters before any lease.
    let stats = c.stat_lease4_get().await.unwrap();
    assert_eq!(stats.len(), 3);
    assert_eq!(stats[&1].total, 100);
    assert_eq!(stats[&1].assigned, 0);
    assert_eq!(stats[&3].total, 11);

    // Leases added through the API, one held by ddish, one declined.
    for i in 101..=105 {
        let r = c
            .call(
                "lease4-add",
                Some(json!({"ip-address": format!("10.10.0.{i}"), "hw-address": format!("aa:bb:cc:00:01:{i:02x}"),
                            "hostname": format!("pc-{i}"), "valid-lft": 600})),
            )
            .await
            .unwrap();
        assert_eq!(r.result, 0, "{r:?}");
    }
    c.call(
        "lease4-add",
        Some(json!({"ip-address": "10.10.0.150", "hw-address": "00:00:00:00:00:00", "valid-lft": 600,
                    "user-context": {"ddish": {"held": true, "comment": "for the new printer", "by": "alice"}}})),
    )
    .await
    .unwrap();
    c.call(
        "lease4-add",
        Some(json!({"ip-address": "10.10.0.151", "hw-address": "aa:bb:cc:00:02:01", "state": 1})),
    )
    .await
    .unwrap();
    c.call(
        "lease4-add",
        Some(json!({"ip-address": "10.30.0.55", "hw-address": "aa:bb:cc:00:03:01", "client-id": "01:aa:bb:cc:00:03:01"})),
    )
    .await
    .unwrap();
    let dup = c
        .call(
            "lease4-add",
            Some(json!({"ip-address": "10.10.0.101", "hw-address": "aa:bb:cc:00:01:65"})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&dup, KeaError::Failed { command, text, .. } if command == "lease4-add" && text.contains("already exists")),
        "{dup:?}"
    );
    assert!(dup.to_string().contains("kea-test"), "{dup}");

    let leases = c.lease4_get_all(1).await.unwrap();
    assert_eq!(leases.len(), 7);
    let held = leases.iter().find(|l| l.ip == ip("10.10.0.150")).unwrap();
    assert_eq!(held.mark, LeaseMark::Held);
    assert_eq!(held.comment(), Some("for the new printer"));
    assert!(held.hw.is_zero());
    assert_eq!(held.hostname, None);
    let declined = leases.iter().find(|l| l.ip == ip("10.10.0.151")).unwrap();
    assert_eq!(declined.state, LeaseState::Declined);
    let pc = leases.iter().find(|l| l.ip == ip("10.10.0.103")).unwrap();
    assert_eq!(pc.hostname.as_deref(), Some("pc-103"));
    assert_eq!(pc.hw.to_string(), "aa:bb:cc:00:01:67");
    assert_eq!((pc.valid_lft, pc.subnet_id), (600, 1));
    let other = c.lease4_get_all(3).await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(
        other[0].client_id.as_deref(),
        Some(&[1u8, 0xaa, 0xbb, 0xcc, 0, 3, 1][..])
    );
    assert!(
        c.lease4_get_all(2).await.unwrap().is_empty(),
        "result 3 is an empty list"
    );

    let stats = c.stat_lease4_get().await.unwrap();
    assert_eq!((stats[&1].assigned, stats[&1].declined), (6, 1));
    assert_eq!(stats[&3].assigned, 1);

    // Paging over the whole server in pages of 3: 8 leases, address order, no repeats.
    let mut all = Vec::new();
    let mut from = None;
    let mut pages = 0;
    loop {
        let page = c.lease4_get_page(from, 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        pages += 1;
        from = page.last().map(|l| l.ip);
        all.extend(page);
    }
    assert_eq!(pages, 3);
    let ips: Vec<Ipv4Addr> = all.iter().map(|l| l.ip).collect();
    let mut sorted = ips.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ips, sorted);
    assert_eq!(ips.len(), 8);
    assert_eq!(ips.last(), Some(&ip("10.30.0.55")));
    // A limit of 0 is clamped to 1 (Kea itself rejects 0).
    assert_eq!(c.lease4_get_page(None, 0).await.unwrap().len(), 1);
    assert_eq!(
        c.lease4_get_page(Some(ip("10.10.0.104")), 100_000)
            .await
            .unwrap()
            .len(),
        4
    );

    // Result 3 through `call`, result 2, and a service the CA has no socket for.
    let r = c
        .call("lease4-get", Some(json!({"ip-address": "10.10.0.250"})))
        .await
        .unwrap();
    assert!(r.is_empty());
    let e = c.call("subnet4-list", None).await.unwrap_err();
    assert_eq!(
        e,
        KeaError::Unsupported {
            server: "kea-test".into(),
            command: "subnet4-list".into()
        }
    );
    assert_eq!(e.kind_label(), "unsupported");
    if kea.dist.api == LabApi::Agent {
        let mut s6 = server(&kea.ca_url);
        s6.service = "dhcp6".into();
        let e = client(&s6).status_get().await.unwrap_err();
        assert!(
            matches!(&e, KeaError::NoService { service, .. } if service == "dhcp6"),
            "{e:?}"
        );
    }

    // https:// to a plain-http endpoint.
    let e = client(&server(&format!("https://127.0.0.1:{}/", kea.ca_port)))
        .version_get()
        .await
        .unwrap_err();
    assert!(matches!(e, KeaError::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("plain http"), "{e}");
}

#[tokio::test]
async fn refused_when_nothing_listens() {
    let port = common::ports(1);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} is in use by something else"
    );
    let url = format!("http://127.0.0.1:{port}/");
    let e = client(&server(&url)).version_get().await.unwrap_err();
    assert_eq!(
        e,
        KeaError::Refused {
            server: "kea-test".into(),
            url: url.clone()
        }
    );
    assert!(e.to_string().contains(&url), "{e}");
    assert!(e.is_connection());
}

#[tokio::test]
async fn daemon_offline_behind_the_agent() {
    let (mut kea, _dir) = start(KeaOptions::default());
    if kea.dist.api == LabApi::Direct {
        // No agent in between: a stopped daemon is a refused connection (tested above).
        return;
    }
    let c = client(&server(&kea.ca_url));
    assert!(c.status_get().await.is_ok());
    kea.stop_dhcp();
    let e = c.status_get().await.unwrap_err();
    assert_eq!(
        e,
        KeaError::DaemonOffline {
            server: "kea-test".into(),
            service: "dhcp4".into()
        },
        "{}",
        logs(&kea)
    );
    assert_eq!(e.kind_label(), "daemon offline");
    // CA-answered failure on every command, not only status-get.
    assert!(matches!(
        c.lease4_get_all(1).await,
        Err(KeaError::DaemonOffline { .. })
    ));
}

#[tokio::test]
async fn basic_auth() {
    let (kea, _dir) = start(KeaOptions {
        ca_auth: Some(("admin", "s3cret")),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let pw = |name: &str, text: &str| -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut s = server(&kea.ca_url);
    s.user = Some("admin".into());
    s.password = Some(SecretSource::File(pw("good", "s3cret\n")));
    assert!(client(&s).version_get().await.is_ok());

    s.password = Some(SecretSource::File(pw("bad", "wrong\n")));
    let e = client(&s).version_get().await.unwrap_err();
    assert_eq!(
        e,
        KeaError::Unauthorized {
            server: "kea-test".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "authentication failed for server kea-test (HTTP 401): check user and password_file"
    );
    let e = client(&server(&kea.ca_url)).config_get().await.unwrap_err();
    assert_eq!(e.kind_label(), "auth failed");
}

#[tokio::test]
async fn timeout_and_lost_connection() {
    let (mut kea, _dir) = start(KeaOptions::default());
    let s = server(&kea.ca_url);
    let quick = KeaClient::new(&s, Duration::from_millis(800)).unwrap();
    assert!(quick.status_get().await.is_ok());

    // A hung endpoint (the agent, or kea-dhcp4 itself): the kernel still accepts the
    // connection, nothing answers.
    kea.pause_ca();
    let e = quick.status_get().await.unwrap_err();
    assert_eq!(
        e,
        KeaError::Timeout {
            server: "kea-test".into(),
            command: "status-get".into(),
            secs: 1
        }
    );
    assert_eq!(e.kind_label(), "timeout");

    // It dies while a request waits: the connection is lost, not timed out.
    let patient = KeaClient::new(&s, Duration::from_secs(30)).unwrap();
    let pending = tokio::spawn(async move { patient.status_get().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    kea.kill_ca();
    let e = pending.await.unwrap().unwrap_err();
    assert!(matches!(e, KeaError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.kind_label(), "unreachable");
}

#[tokio::test]
async fn tls_with_and_without_ca_file() {
    let certs = common::kea_dir("ddish-kc-tls-");
    let tls = make_tls(certs.path());
    let (kea, _dir) = start(KeaOptions {
        tls: Some(tls.clone()),
        ..Default::default()
    });
    assert!(kea.ca_url.starts_with("https://"), "{}", kea.ca_url);
    let mut s = server(&kea.ca_url);
    let e = client(&s).version_get().await.unwrap_err();
    assert!(matches!(e, KeaError::Tls { .. }), "{e:?}\n{}", logs(&kea));
    assert_eq!(e.kind_label(), "tls error");

    s.ca_file = Some(tls.ca.clone());
    let c = client(&s);
    let v = c.version_get().await;
    assert!(v.is_ok(), "{v:?}\n{}", logs(&kea));
    assert_eq!(c.lease4_get_all(1).await.unwrap().len(), 0);

    // Plain http to the TLS port: no Kea reply, never a success.
    let e = client(&server(&format!("http://127.0.0.1:{}/", kea.ca_port)))
        .version_get()
        .await
        .unwrap_err();
    assert!(
        e.is_connection() || matches!(e, KeaError::Malformed { .. }),
        "{e:?}"
    );
}

/// A CA certificate and a server certificate for 127.0.0.1 signed by it (openssl CLI).
fn make_tls(d: &std::path::Path) -> TlsFiles {
    use common::tls;
    tls::make_ca(d, "ddish test CA");
    tls::make_csr(d, "srv", "127.0.0.1");
    tls::sign(
        d,
        "srv.csr",
        "srv.pem",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    TlsFiles {
        ca: d.join("ca.pem"),
        cert: d.join("srv.pem"),
        key: d.join("srv.key"),
    }
}
