//! Faults between ddish and a Kea API, made by a fault proxy on loopback (free ports) or
//! a canned HTTP server: late and lost answers, a peer lost after its
//! config-set, redirects and oversized replies. Each test prints its figures.
use std::path::Path;
use std::time::{Duration, Instant};

use ddish::config::{ApiStyle, Role, SecretSource, ServerConfig};
use ddish::kea::KeaClient;
use ddish::lab::KeaInstance;
use serde_json::{json, Value};

mod common;
use common::proxy::{Fault, FaultProxy};

fn kea_dir() -> tempfile::TempDir {
    common::kea_dir("ddish-faults-")
}

/// A standalone Kea (the lab's version and API) with one subnet, 10.40.0.0/24.
fn solo(dir: &tempfile::TempDir, name: &str, port: u16) -> KeaInstance {
    let subnets = json!([{"id": 1, "subnet": "10.40.0.0/24",
        "pools": [{"pool": "10.40.0.100 - 10.40.0.199"}]}]);
    KeaInstance::start(
        &dir.path().join(name),
        name,
        port,
        port + 1,
        ddish::lab::minimal_dhcp4(subnets),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A fault proxy in front of `k`'s API.
fn proxy_for(k: &KeaInstance) -> FaultProxy {
    let upstream: std::net::SocketAddr = k
        .ca_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    FaultProxy::start(upstream)
}

/// A server entry as an admin would write it for `url`.
fn server(name: &str, url: String, api: ApiStyle, password_file: Option<&Path>) -> ServerConfig {
    ServerConfig {
        name: name.into(),
        url,
        api,
        service: "dhcp4".into(),
        user: password_file.map(|_| "admin".to_string()),
        password: password_file.map(|p| SecretSource::File(p.to_path_buf())),
        ca_file: None,
        allow_plain_http: false,
        tags: vec![],
        fields: Default::default(),
        role: Role::default(),
    }
}

/// A client of `k` through `proxy`, as the ddish config would make it (agent or direct as
/// the lab's Kea is reached), config writes limited to `write_timeout`.
fn proxied_client(k: &KeaInstance, proxy: &FaultProxy, write_timeout: Duration) -> KeaClient {
    let api = match ddish::lab::KeaDist::from_env().unwrap().api {
        ddish::lab::LabApi::Agent => ApiStyle::Agent,
        ddish::lab::LabApi::Direct => ApiStyle::Direct,
    };
    KeaClient::new(
        &server(&k.name, proxy.url(), api, None),
        Duration::from_secs(10),
    )
    .unwrap()
    .with_write_timeout(write_timeout)
}

/// F2: a config-set whose answer comes after ddish's write timeout. ddish never sends a
/// second config-set over one that may still run: it asks the server what it runs and
/// judges by that. Answer lost after Kea applied it -> done, one config-set; request lost
/// before Kea saw it -> "nothing changed", no config-set at all (the old code re-sent the
/// previous config at once: a second full reload, and the change undone).
#[test]
fn a_late_config_set_is_never_overlapped() {
    let dir = kea_dir();
    let k = solo(&dir, "late", common::ports(2));
    let proxy = proxy_for(&k);
    let client = proxied_client(&k, &proxy, Duration::from_secs(2));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let add = |id: u64, cidr: &'static str| {
        move |cfg: &mut Value| {
            cfg["Dhcp4"]["subnet4"]
                .as_array_mut()
                .ok_or("no subnet4")?
                .push(serde_json::json!({"id": id, "subnet": cidr}));
            Ok(())
        }
    };
    let has = |cidr: &str| {
        common::cmd(&k, "config-get", None)["arguments"]["Dhcp4"]["subnet4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["subnet"] == cidr)
    };

    // The answer is held back 6 s: Kea applied it, ddish hears nothing for 2 s.
    proxy.set("config-set", Fault::HoldAnswer(Duration::from_secs(6)));
    let sets = common::received(&k, "config-set");
    let started = Instant::now();
    let r = rt.block_on(ddish::kea::safe_config_edit(
        &client,
        None,
        add(2, "10.41.0.0/24"),
    ));
    let took = started.elapsed();
    let o = r.unwrap_or_else(|e| panic!("the late config-set took; ddish must see it: {e}"));
    assert!(o.written && o.verified, "{o:?}");
    assert_eq!(
        common::received(&k, "config-set") - sets,
        1,
        "exactly one config-set reached Kea"
    );
    assert!(has("10.41.0.0/24"));

    // The request never reaches Kea: ddish asks, finds the old config, sends nothing more.
    proxy.set("config-set", Fault::Swallow(Duration::from_secs(6)));
    let sets = common::received(&k, "config-set");
    let e = rt
        .block_on(ddish::kea::safe_config_edit(
            &client,
            None,
            add(3, "10.42.0.0/24"),
        ))
        .expect_err("a config-set Kea never saw is not done");
    assert!(matches!(e, ddish::kea::WriteError::NotTaken { .. }), "{e}");
    assert!(e.to_string().contains("nothing changed"), "{e}");
    assert!(!e.changed_server());
    assert_eq!(
        common::received(&k, "config-set"),
        sets,
        "no config-set at all"
    );
    assert!(!has("10.42.0.0/24"));
    assert!(has("10.41.0.0/24"), "the earlier change stays");

    // Kea takes it, then stays silent (every config-get lost) past the settle budget
    // (10/3 of the 2 s write timeout): "unsettled", and still no second config-set.
    proxy.set("config-set", Fault::HoldAnswer(Duration::from_secs(30)));
    let sets = common::received(&k, "config-set");
    let silent_started = Instant::now();
    let e = std::thread::scope(|s| {
        let write = s.spawn(|| {
            rt.block_on(ddish::kea::safe_config_edit(
                &client,
                None,
                add(4, "10.43.0.0/24"),
            ))
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while common::received(&k, "config-set") == sets {
            assert!(Instant::now() < deadline, "Kea never got the config-set");
            std::thread::sleep(Duration::from_millis(10));
        }
        proxy.set("config-get", Fault::Swallow(Duration::from_secs(3)));
        write.join().unwrap()
    })
    .expect_err("a server that never answers again is not done");
    let silent = silent_started.elapsed();
    proxy.set("", Fault::Pass);
    assert!(
        matches!(e, ddish::kea::WriteError::Unsettled { waited_secs, .. } if waited_secs >= 5),
        "{e}"
    );
    assert!(e.to_string().contains("nothing else was sent"), "{e}");
    assert_eq!(common::received(&k, "config-set") - sets, 1);
    assert!(has("10.43.0.0/24"), "Kea applied it meanwhile");
    println!(
        "F2 config-set answer 4 s later than the write timeout: 1 config-set in Kea's log, \
         change reported done after {:.1} s; config-set lost before Kea: 0 sent, reported \
         unchanged; server silent after taking it: reported unsettled after {:.1} s, 1 \
         config-set",
        took.as_secs_f64(),
        silent.as_secs_f64()
    );
}

/// A loopback HTTP server that answers every request with `reply` (then closes).
fn canned_server(reply: &'static [u8]) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(reply);
        }
    });
    addr
}

fn client_at(addr: std::net::SocketAddr, password_file: &Path) -> KeaClient {
    let s = server(
        "kea-x",
        format!("http://{addr}/"),
        ApiStyle::Agent,
        Some(password_file),
    );
    KeaClient::new(&s, Duration::from_secs(5)).unwrap()
}

/// F6/F7 without a Kea: a redirect is not followed (the request and its password would go
/// where the config does not say), a reply announcing more than the cap is refused before
/// it is read, and neither error shows the password.
#[test]
fn redirects_and_oversized_replies_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "fault-secret-7731\n").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();

    let to = canned_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n",
    );
    let e = rt
        .block_on(client_at(to, &pw).call("version-get", None))
        .expect_err("a redirect is an error");
    let text = e.to_string();
    assert!(
        text.contains("HTTP 302") && text.contains("does not follow"),
        "{text}"
    );
    assert!(!text.contains("fault-secret-7731"));

    let big = canned_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n[{\"result\": 0",
    );
    let started = Instant::now();
    let e = rt
        .block_on(client_at(big, &pw).call("config-get", None))
        .expect_err("a 300 MB reply is refused");
    let text = e.to_string();
    assert!(text.contains("larger than 256 MB"), "{text}");
    assert!(!text.contains("fault-secret-7731"));
    println!(
        "F6 redirect: refused (HTTP 302, not followed); F7 300 MB reply: refused in {} ms \
         before reading it",
        started.elapsed().as_millis()
    );
}

/// F5: the second peer of a pair takes its config-set, then its check (list-commands) is
/// lost. That peer is put back as well as the first, so the pair ends on one side (the old
/// one) instead of one peer new and the other rolled back.
#[test]
fn a_peer_lost_after_its_config_set_is_put_back_with_the_other() {
    let dir = kea_dir();
    let (a, b) = (
        solo(&dir, "pa", common::ports(2)),
        solo(&dir, "pb", common::ports(2)),
    );
    let (pa, pb) = (proxy_for(&a), proxy_for(&b));
    let ca = proxied_client(&a, &pa, Duration::from_secs(10));
    let cb = proxied_client(&b, &pb, Duration::from_secs(10));
    pb.set_after(
        "config-set",
        "list-commands",
        Fault::Swallow(Duration::from_secs(11)),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let results = rt.block_on(ddish::kea::safe_config_edit_pair_on(
        &[&ca, &cb],
        vec![ddish::kea::Base::Fetch, ddish::kea::Base::Fetch],
        &[],
        &ddish::kea::Reach::Whole,
        |cfg: &mut Value| {
            cfg["Dhcp4"]["subnet4"]
                .as_array_mut()
                .ok_or("no subnet4")?
                .push(serde_json::json!({"id": 2, "subnet": "10.41.0.0/24"}));
            Ok(())
        },
    ));
    assert!(results.iter().all(|(_, r)| r.is_err()), "{results:?}");
    let has_new = |k: &KeaInstance| {
        common::cmd(k, "config-get", None)["arguments"]["Dhcp4"]["subnet4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["subnet"] == "10.41.0.0/24")
    };
    assert!(!has_new(&a), "the first peer was rolled back: {results:?}");
    assert!(
        !has_new(&b),
        "the peer whose check was lost is put back too: {results:?}"
    );
    println!(
        "F5 second peer's list-commands lost after its config-set: both peers back on the old \
         configuration ({})",
        results
            .iter()
            .map(|(n, r)| format!(
                "{n}: {}",
                r.as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
                    .chars()
                    .take(60)
                    .collect::<String>()
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// F5 during lease writes (`ip hold` / `ip next` add the hold on every peer, since lease
/// commands are not replicated): the second peer stopped, dropping the request, taking it
/// but losing the answer, or taking it and then hanging. Each time either no peer keeps the
/// lease, or the error names the peer whose state is unknown.
#[test]
fn a_lost_lease_add_on_a_peer_is_undone_or_reported() {
    let dir = kea_dir();
    let (a, b) = (
        solo(&dir, "la", common::ports(2)),
        solo(&dir, "lb", common::ports(2)),
    );
    let (pa, pb) = (proxy_for(&a), proxy_for(&b));
    let quick = |k: &KeaInstance, p: &FaultProxy| {
        let api = match ddish::lab::KeaDist::from_env().unwrap().api {
            ddish::lab::LabApi::Agent => ApiStyle::Agent,
            ddish::lab::LabApi::Direct => ApiStyle::Direct,
        };
        KeaClient::new(&server(&k.name, p.url(), api, None), Duration::from_secs(2)).unwrap()
    };
    let (ca, cb) = (quick(&a, &pa), quick(&b, &pb));
    let stopped = KeaClient::new(
        &server(
            "lb",
            format!("http://127.0.0.1:{}/", common::ports(1)),
            ApiStyle::Agent,
            None,
        ),
        Duration::from_secs(2),
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lease = |k: &KeaInstance, ip: &str| {
        let r = common::cmd(k, "lease4-get", Some(json!({"ip-address": ip})));
        r["result"] == 0
    };
    let args = |ip: &str| {
        json!({"ip-address": ip, "subnet-id": 1, "hw-address": "00:00:00:00:00:00",
               "valid-lft": 600, "user-context": {"ddish": {"held": true, "at": ip}}})
    };
    let mut rows = Vec::new();

    // Stopped: refused, nothing reached it; the first peer's add is undone.
    let e = rt
        .block_on(ddish::kea::lease_add_all(
            &[&ca, &stopped],
            &args("10.40.0.110"),
        ))
        .expect_err("a stopped peer fails the add");
    assert!(
        !lease(&a, "10.40.0.110") && !lease(&b, "10.40.0.110"),
        "{e}"
    );
    assert!(e.to_string().contains("removed there again"), "{e}");
    rows.push(format!("stopped: none holds it ({e})"));

    // The request dropped before the server: none holds it.
    pb.set("lease4-add", Fault::Swallow(Duration::from_secs(3)));
    let e = rt
        .block_on(ddish::kea::lease_add_all(&[&ca, &cb], &args("10.40.0.111")))
        .expect_err("a dropped add fails");
    assert!(
        !lease(&a, "10.40.0.111") && !lease(&b, "10.40.0.111"),
        "{e}"
    );
    assert!(!e.to_string().contains("UNKNOWN"), "{e}");
    rows.push("request dropped: none holds it".to_string());

    // Taken, answer lost: ddish asks, finds its own lease there and removes it too.
    pb.set("lease4-add", Fault::HoldAnswer(Duration::from_secs(3)));
    let e = rt
        .block_on(ddish::kea::lease_add_all(&[&ca, &cb], &args("10.40.0.112")))
        .expect_err("a lost answer fails the add");
    assert!(
        !lease(&a, "10.40.0.112") && !lease(&b, "10.40.0.112"),
        "the peer that took it silently is cleaned too: {e}"
    );
    let text = e.to_string();
    assert!(text.contains("la") && text.contains("lb"), "{text}");
    rows.push("taken, answer lost: found and removed on both".to_string());

    // Taken, then the peer hangs (its answers to the add and to the question are lost):
    // the peer holds the lease and the error says its state is unknown, naming it.
    pb.set("lease4-add", Fault::HoldAnswer(Duration::from_secs(3)));
    pb.set_after(
        "lease4-add",
        "lease4-get",
        Fault::HoldAnswer(Duration::from_secs(3)),
    );
    let e = rt
        .block_on(ddish::kea::lease_add_all(&[&ca, &cb], &args("10.40.0.113")))
        .expect_err("a hung peer fails the add");
    let text = e.to_string();
    assert!(!lease(&a, "10.40.0.113"), "{text}");
    assert!(lease(&b, "10.40.0.113"), "lb took it before it hung");
    assert!(
        text.contains("whether lb took it is UNKNOWN") && text.contains("ip show 10.40.0.113"),
        "{text}"
    );
    rows.push("taken, then hung: reported UNKNOWN on lb (it holds it)".to_string());
    println!(
        "F5 lease add on an HA pair, second peer faulty: {}",
        rows.join("; ")
    );
}
