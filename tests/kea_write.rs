//! The safe write protocol and the all-peers lease writes against real Kea 2.2 on loopback
//! (free ports): standalone `KeaInstance`s and a lab HA pair.
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use ddish::config::{ApiStyle, Role, SecretSource, ServerConfig};
use ddish::kea::{
    ha_peers, lease_add_all, lease_del_all, lease_update_all, safe_config_edit,
    safe_config_edit_allowing, safe_config_edit_pair, safe_config_edit_pair_allowing,
    safe_config_edit_pair_on, same_meaning, subnet_mut, subnets_by_id, Base, Deleted, EditRefused,
    HaPeer, KeaClient, LeaseWriteError, Reach, WriteError,
};
use ddish::lab::{self, ids, HaMode, KeaInstance, Lab, LabOptions};
use serde_json::{json, Value};

mod common;
use common::received;

const HA_TIMEOUT: Duration = Duration::from_secs(40);

fn client(name: &str, url: &str, auth: Option<(&str, &Path)>) -> KeaClient {
    let s = ServerConfig {
        name: name.into(),
        url: url.into(),
        // As a user of the lab's Kea configures it: through the agent, or (Kea 3.0)
        // kea-dhcp4's own HTTP socket, which takes requests without a "service".
        api: match lab::KeaDist::from_env().unwrap().api {
            lab::LabApi::Agent => ApiStyle::Agent,
            lab::LabApi::Direct => ApiStyle::Direct,
        },
        service: "dhcp4".into(),
        user: auth.map(|(u, _)| u.to_string()),
        password: auth.map(|(_, p)| SecretSource::File(p.to_path_buf())),
        ca_file: None,
        allow_plain_http: false,
        tags: vec![],
        fields: Default::default(),
        role: Role::default(),
    };
    KeaClient::new(&s, Duration::from_secs(10)).expect("client")
}

fn solo(dir: &Path, ca_port: u16) -> KeaInstance {
    let subnets = json!([{"id": 1, "subnet": "10.40.0.0/24",
        "pools": [{"pool": "10.40.0.100 - 10.40.0.199"}],
        "reservations": [
            {"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.40.0.10"},
            {"client-id": "01:aa:bb:cc:00:00:02", "ip-address": "10.40.0.11"}]}]);
    KeaInstance::start(
        &dir.join("k"),
        "solo",
        ca_port,
        ca_port + 1,
        lab::minimal_dhcp4(subnets),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn solo_client(k: &KeaInstance) -> KeaClient {
    client(&k.name, &k.ca_url, None)
}

fn subnet_ids(config: &Value) -> Vec<u64> {
    subnets_by_id(config).keys().copied().collect()
}

fn add_subnet(c: &mut Value, subnet: Value) -> Result<(), EditRefused> {
    c["Dhcp4"]["subnet4"]
        .as_array_mut()
        .ok_or("no subnet4")?
        .push(subnet);
    Ok(())
}

#[tokio::test]
async fn standalone_edit_is_live_persisted_verified_and_survives_restart() {
    let tmp = common::kea_dir("ddish-write-");
    let mut k = solo(tmp.path(), common::ports(2));
    let c = solo_client(&k);

    let new = json!({"id": 2, "subnet": "10.41.0.0/24",
        "pools": [{"pool": "10.41.0.10 - 10.41.0.20"}],
        "user-context": {"ddish": {"title": "new scope"}},
        "reservations": [{"client-id": "01:aa:bb:cc:00:00:09", "ip-address": "10.41.0.5"}]});
    let out = safe_config_edit(&c, None, |cfg| add_subnet(cfg, new.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.written && out.persisted && out.verified, "{out:?}");
    assert_eq!(out.summary, json!({"subnets": {"added": [2]}}));
    assert_eq!(out.before, json!({}), "subnet 2 did not exist before");
    assert_eq!(out.after["subnets"][0]["id"], 2);
    assert_eq!(
        out.after["subnets"][0]["user-context"],
        json!({"ddish": {"title": "new scope"}})
    );

    // Live.
    let live = c.config_get_raw().await.unwrap();
    assert_eq!(subnet_ids(&live), vec![1, 2]);
    assert_eq!(
        subnets_by_id(&live)[&2].1["pools"][0]["pool"],
        "10.41.0.10-10.41.0.20"
    );
    // Persisted: the -c file has it.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&k.config_path).unwrap())
        .expect("config file is JSON");
    assert_eq!(subnet_ids(&file), vec![1, 2]);
    // And a restart keeps it. The restart blocks (it waits for the daemon), so it runs off
    // this test's single-threaded runtime: with the direct API the client's kept-alive
    // connection goes to kea-dhcp4 itself and dies with it, and only a runtime left free to
    // poll that connection sees it close and drops it from the pool (as ddish's own
    // multi-threaded runtime does). Blocking the runtime across the restart would hand the
    // dead connection to the next request ("connection closed before message completed").
    let k = tokio::task::spawn_blocking(move || {
        k.stop_dhcp();
        k.start_dhcp().unwrap_or_else(|e| panic!("{e}"));
        k
    })
    .await
    .unwrap();
    let after_restart = c.config_get_raw().await.unwrap();
    assert_eq!(subnet_ids(&after_restart), vec![1, 2]);
    assert!(same_meaning(&live, &after_restart));

    // An edit that changes nothing in meaning sends nothing.
    let sets = received(&k, "config-set");
    let out = safe_config_edit(&c, Some(&after_restart), |cfg| {
        // The same pool, written with spaces.
        cfg["Dhcp4"]["subnet4"][1]["pools"][0]["pool"] = json!("10.41.0.10 - 10.41.0.20");
        Ok(())
    })
    .await
    .unwrap();
    assert!(!out.written, "{out:?}");
    assert_eq!(received(&k, "config-set"), sets);

    // The edit's own refusal: nothing sent.
    let tests = received(&k, "config-test");
    let e = safe_config_edit(&c, Some(&after_restart), |_| {
        Err("subnet 9 does not exist".into())
    })
    .await
    .unwrap_err();
    assert_eq!(
        e,
        WriteError::Refused {
            server: "solo".into(),
            reason: "subnet 9 does not exist".into()
        }
    );
    assert_eq!(received(&k, "config-test"), tests);
}

/// A config edit that names its subnet (a reservation, an exclusion): the other subnets stay
/// Kea's own text behind stubs (src/kea/lean.rs) and go back unchanged; an edit that touches
/// a subnet it was not given is refused before anything is sent.
#[tokio::test]
async fn an_edit_naming_its_subnet_sends_the_others_back_as_they_were() {
    let tmp = common::kea_dir("ddish-write-");
    let mut cfg = lab::minimal_dhcp4(json!([
        {"id": 1, "subnet": "10.40.0.0/24", "pools": [{"pool": "10.40.0.100 - 10.40.0.199"}],
         "reservations": [{"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.40.0.10"}]},
        {"id": 2, "subnet": "10.42.0.0/24", "pools": [{"pool": "10.42.0.10 - 10.42.0.20"}],
         "user-context": {"ddish": {"title": "two"}}}]));
    cfg["Dhcp4"]["shared-networks"] = json!([{"name": "floor", "subnet4": [
        {"id": 3, "subnet": "10.43.0.0/24", "pools": [{"pool": "10.43.0.10 - 10.43.0.20"}]}]}]);
    let lean_port = common::ports(2);
    let k = KeaInstance::start(
        &tmp.path().join("k"),
        "lean",
        lean_port,
        lean_port + 1,
        cfg,
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c = solo_client(&k);
    let before = c.config_get_raw().await.unwrap();
    let reach = Reach::Subnets(vec![2]);

    let results = safe_config_edit_pair_on(&[&c], vec![Base::Fetch], &[], &reach, |cfg| {
        // The others are there by id and prefix only.
        let one = subnet_mut(cfg, 1)?;
        if one.get("pools").is_some() || one["subnet"] != "10.40.0.0/24" {
            return Err(format!("subnet 1 is not a stub: {one}").into());
        }
        subnet_mut(cfg, 2)?["user-context"]["ddish"]["title"] = json!("two, renamed");
        Ok(())
    })
    .await;
    let out = results[0].1.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.written && out.persisted && out.verified, "{out:?}");
    assert_eq!(out.summary, json!({"subnets": {"changed": [2]}}));
    // The journal's before/after hold the changed subnet whole, not a stub.
    assert_eq!(
        out.after["subnets"][0]["user-context"]["ddish"]["title"],
        "two, renamed"
    );
    assert_eq!(
        out.before["subnets"][0]["user-context"]["ddish"]["title"],
        "two"
    );
    let after = c.config_get_raw().await.unwrap();
    let (b, a) = (subnets_by_id(&before), subnets_by_id(&after));
    assert_eq!(a[&2].1["user-context"]["ddish"]["title"], "two, renamed");
    assert_eq!(a[&2].1["pools"], b[&2].1["pools"]);
    assert_eq!(a[&1], b[&1]);
    assert_eq!(a[&3], b[&3]);
    assert_eq!(a[&3].0.as_deref(), Some("floor"));

    let (tests, sets) = (received(&k, "config-test"), received(&k, "config-set"));
    let results = safe_config_edit_pair_on(&[&c], vec![Base::Fetch], &[], &reach, |cfg| {
        subnet_mut(cfg, 1)?["user-context"] = json!({"ddish": {"title": "one"}});
        Ok(())
    })
    .await;
    let e = results[0].1.as_ref().unwrap_err();
    assert!(
        matches!(e, WriteError::Invalid { reason, .. } if reason.contains("subnet 1")),
        "{e}"
    );
    assert_eq!(received(&k, "config-test"), tests);
    assert_eq!(received(&k, "config-set"), sets);
    assert!(same_meaning(&after, &c.config_get_raw().await.unwrap()));
}

#[tokio::test]
async fn guarded_keys_partial_configs_and_bad_ids_are_refused_before_sending() {
    let tmp = common::kea_dir("ddish-write-");
    let k = solo(tmp.path(), common::ports(2));
    let c = solo_client(&k);
    let base = c.config_get_raw().await.unwrap();
    let (tests, sets) = (received(&k, "config-test"), received(&k, "config-set"));

    let e = safe_config_edit(&c, Some(&base), |cfg| {
        cfg["Dhcp4"]["control-socket"]["socket-name"] = json!("/tmp/elsewhere.sock");
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&e, WriteError::Guarded { key, .. } if key == "control-socket"),
        "{e}"
    );
    assert!(e.to_string().contains("nothing was sent"), "{e}");

    let e = safe_config_edit(&c, Some(&base), |cfg| {
        cfg["Dhcp4"]["lease-database"]["name"] = json!("/tmp/other-leases.csv");
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&e, WriteError::Guarded { key, .. } if key == "lease-database"),
        "{e}"
    );

    // A partial config (KEA_FACTS §5: it makes Kea unmanageable).
    let e = safe_config_edit(&c, Some(&base), |cfg| {
        *cfg = json!({"Dhcp4": {"subnet4": cfg["Dhcp4"]["subnet4"].clone()}});
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&e, WriteError::Invalid { reason, .. } if reason.contains("partial")),
        "{e}"
    );

    // A subnet without id, and a duplicate id.
    for subnet in [
        json!({"subnet": "10.42.0.0/24"}),
        json!({"id": 1, "subnet": "10.42.0.0/24"}),
    ] {
        let e = safe_config_edit(&c, Some(&base), |cfg| add_subnet(cfg, subnet.clone()))
            .await
            .unwrap_err();
        assert!(matches!(e, WriteError::Invalid { .. }), "{e}");
    }

    // None of that reached the server.
    assert_eq!(received(&k, "config-test"), tests);
    assert_eq!(received(&k, "config-set"), sets);
    assert!(same_meaning(&c.config_get_raw().await.unwrap(), &base));

    // Allowed explicitly, a guarded key may change (here: the lease file's lfc-interval).
    let out = safe_config_edit_allowing(&c, Some(&base), &["lease-database"], |cfg| {
        cfg["Dhcp4"]["lease-database"]["lfc-interval"] = json!(7200);
        cfg["Dhcp4"]["valid-lifetime"] = json!(1800);
        Ok(())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.verified && out.persisted, "{out:?}");
    assert_eq!(
        out.summary,
        json!({"globals": ["lease-database", "valid-lifetime"]})
    );
    assert_eq!(out.before["globals"]["valid-lifetime"], 3600);
    assert_eq!(out.after["globals"]["valid-lifetime"], 1800);
    assert_eq!(out.before["globals"]["lease-database"]["lfc-interval"], 0);
    assert_eq!(out.after["globals"]["lease-database"]["lfc-interval"], 7200);
}

#[tokio::test]
async fn a_change_made_behind_our_back_stops_the_write() {
    let tmp = common::kea_dir("ddish-write-");
    let k = solo(tmp.path(), common::ports(2));
    let c = solo_client(&k);
    let base = c.config_get_raw().await.unwrap();

    // Kea's own rewritings of the same config are not a change: the user's copy may have
    // pools with spaces, colon client-ids and reservations in another order.
    let mut user_copy = base.clone();
    let s = &mut user_copy["Dhcp4"]["subnet4"][0];
    s["pools"][0]["pool"] = json!("10.40.0.100 - 10.40.0.199");
    let rs = s["reservations"].as_array_mut().unwrap();
    rs.reverse();
    for r in rs.iter_mut().filter(|r| r.get("client-id").is_some()) {
        r["client-id"] = json!("01:aa:bb:cc:00:00:02");
    }
    assert_ne!(user_copy, base);

    // Another writer changes the server.
    let mut theirs = base.clone();
    add_subnet(
        &mut theirs,
        json!({"id": 3, "subnet": "10.43.0.0/24", "pools": [{"pool": "10.43.0.10-10.43.0.20"}]}),
    )
    .unwrap();
    theirs["Dhcp4"]["subnet4"][0]["user-context"] = json!({"ddish": {"title": "theirs"}});
    c.call_ref("config-set", Some(&theirs)).await.unwrap();
    let theirs_live = c.config_get_raw().await.unwrap();
    let sets = received(&k, "config-set");

    let e = safe_config_edit(&c, Some(&user_copy), |cfg| {
        add_subnet(cfg, json!({"id": 4, "subnet": "10.44.0.0/24"}))
    })
    .await
    .unwrap_err();
    let WriteError::Changed { server, what } = &e else {
        panic!("expected Changed, got {e}");
    };
    assert_eq!(server, "solo");
    assert_eq!(what, "subnets added 3; subnets changed 1");
    assert!(e.to_string().contains("reload and try again"), "{e}");
    // Nothing of ours was written: the server runs what the other writer set.
    assert_eq!(received(&k, "config-set"), sets);
    let now = c.config_get_raw().await.unwrap();
    assert!(same_meaning(&now, &theirs_live));
    assert_eq!(subnet_ids(&now), vec![1, 3]);

    // Reloaded, the user's edit goes through on top of the other writer's change.
    let out = safe_config_edit(&c, Some(&now), |cfg| {
        add_subnet(cfg, json!({"id": 4, "subnet": "10.44.0.0/24"}))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.verified, "{out:?}");
    assert_eq!(
        subnet_ids(&c.config_get_raw().await.unwrap()),
        vec![1, 3, 4]
    );

    // A user copy that differs from the server only in Kea's rewritings is no conflict.
    let mut same = c.config_get_raw().await.unwrap();
    same["Dhcp4"]["subnet4"][0]["reservations"]
        .as_array_mut()
        .unwrap()
        .reverse();
    same["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = json!("10.40.0.100 - 10.40.0.199");
    let out = safe_config_edit(&c, Some(&same), |cfg| {
        cfg["Dhcp4"]["subnet4"][0]["option-data"] =
            json!([{"name": "routers", "data": "10.40.0.1"}]);
        Ok(())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.summary, json!({"subnets": {"changed": [1]}}));
    assert!(out.verified, "{out:?}");
}

#[tokio::test]
async fn config_test_rejection_changes_nothing() {
    let tmp = common::kea_dir("ddish-write-");
    let k = solo(tmp.path(), common::ports(2));
    let c = solo_client(&k);
    let base = c.config_get_raw().await.unwrap();
    let sets = received(&k, "config-set");

    // Overlapping pools: only Kea knows (ddish checks ids, not pools).
    let e = safe_config_edit(&c, Some(&base), |cfg| {
        add_subnet(
            cfg,
            json!({"id": 5, "subnet": "10.45.0.0/24", "pools": [
                {"pool": "10.45.0.10 - 10.45.0.50"}, {"pool": "10.45.0.40 - 10.45.0.60"}]}),
        )
    })
    .await
    .unwrap_err();
    let WriteError::Rejected { server, text } = &e else {
        panic!("expected Rejected, got {e}");
    };
    assert_eq!(server, "solo");
    assert!(text.contains("overlaps"), "{text}");
    assert!(e.to_string().contains("nothing was written"), "{e}");
    assert_eq!(received(&k, "config-set"), sets);
    assert!(same_meaning(&c.config_get_raw().await.unwrap(), &base));
}

#[tokio::test]
async fn a_failed_config_set_is_rolled_back_and_the_server_stays_healthy() {
    let tmp = common::kea_dir("ddish-write-");
    let k = solo(tmp.path(), common::ports(2));
    let c = solo_client(&k);
    let base = c.config_get_raw().await.unwrap();
    // Kea 2.6.2+/3.0 load hooks only from their own hooks directory.
    let ha_lib = k.dist.hooks_dir().unwrap().join("libdhcp_ha.so");
    let other = format!("http://127.0.0.1:{}/", common::ports(1));
    let ha_hook = |state_machine: Value, me: &str| {
        json!({"library": ha_lib,
               "parameters": {"high-availability": [{
                 "this-server-name": me, "mode": "load-balancing",
                 "heartbeat-delay": 2000, "max-response-delay": 6000,
                 "state-machine": state_machine,
                 "peers": [
                   {"name": "solo", "url": k.ca_url, "role": "primary"},
                   {"name": "other", "url": other, "role": "secondary"}]}]}})
    };
    let add_hook = |hook: Value| {
        move |cfg: &mut Value| {
            cfg["Dhcp4"]["hooks-libraries"]
                .as_array_mut()
                .ok_or("no hooks")?
                .push(hook);
            Ok(())
        }
    };

    // What ddish can check itself is refused before sending (config-test would pass it).
    let tests = received(&k, "config-test");
    let e = safe_config_edit_allowing(
        &c,
        Some(&base),
        &["hooks-libraries"],
        add_hook(ha_hook(json!({"states": []}), "nobody-here")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, WriteError::Invalid { reason, .. } if reason.contains("this-server-name")),
        "{e}"
    );
    assert_eq!(received(&k, "config-test"), tests);

    // A state Kea only rejects when it loads the hook: config-test passes, config-set fails
    // with "One or more hook libraries failed to load" (KEA_FACTS §12).
    let bogus = json!({"states": [{"state": "bogus", "pause": "always"}]});
    let e = safe_config_edit_allowing(
        &c,
        Some(&base),
        &["hooks-libraries"],
        add_hook(ha_hook(bogus, "solo")),
    )
    .await
    .unwrap_err();
    let WriteError::SetFailed {
        server,
        text,
        restored,
        restore_error,
    } = &e
    else {
        panic!("expected SetFailed, got {e}");
    };
    assert_eq!(server, "solo");
    assert!(text.contains("hook libraries failed to load"), "{text}");
    assert!(*restored, "{restore_error:?}");
    assert!(!e.changed_server());
    assert!(received(&k, "config-set") >= 2, "the base was re-sent");

    // Healthy: the hook commands are back and a lease can be added.
    let cmds = c.list_commands().await.unwrap();
    assert!(cmds.iter().any(|c| c == "lease4-add"), "{cmds:?}");
    let r = c
        .call(
            "lease4-add",
            Some(json!({"ip-address": "10.40.0.150", "hw-address": "aa:bb:cc:00:01:50"})),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.result, 0);
    let r = c
        .call("lease4-get", Some(json!({"ip-address": "10.40.0.150"})))
        .await
        .unwrap();
    assert_eq!(r.arguments.unwrap()["hw-address"], "aa:bb:cc:00:01:50");
    assert!(same_meaning(&c.config_get_raw().await.unwrap(), &base));
}

async fn lease_get(c: &KeaClient, ip: &str) -> Option<Value> {
    let r = c
        .call("lease4-get", Some(json!({"ip-address": ip})))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (!r.is_empty()).then(|| r.arguments.unwrap())
}

fn reservation(config: &Value, subnet: u64, ip: &str) -> Option<Value> {
    let subnets = subnets_by_id(config);
    let s = subnets.get(&subnet)?.1;
    s["reservations"]
        .as_array()?
        .iter()
        .find(|r| r["ip-address"] == ip)
        .cloned()
}

#[tokio::test]
async fn ha_pair_config_and_lease_writes_land_on_both_peers() {
    let tmp = common::kea_dir("ddish-write-");
    let lab_base = common::ports(5);
    let lab = Lab::start(&LabOptions {
        dir: tmp.path().join("lab"),
        port_base: lab_base,
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    lab.wait_ha(HA_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let pw = lab.info.password_file.clone().unwrap();
    let user = lab.info.user.clone().unwrap();
    let k1 = client("kea-1", &lab.kea[0].ca_url, Some((&user, &pw)));
    let k2 = client("kea-2", &lab.kea[1].ca_url, Some((&user, &pw)));
    let both = [&k1, &k2];

    // Each server's partner, from its own HA config.
    let c1 = k1.config_get_raw().await.unwrap();
    let c2 = k2.config_get_raw().await.unwrap();
    assert_eq!(
        ha_peers(&c1),
        vec![HaPeer {
            name: "kea-2".into(),
            url: format!("http://127.0.0.1:{}/", lab_base + 1),
            role: "secondary".into()
        }]
    );
    assert_eq!(ha_peers(&c2)[0].name, "kea-1");
    assert_eq!(ha_peers(&c2)[0].role, "primary");

    // A reservation added on both, from the bases the user loaded.
    let hq = u64::from(ids::HQ);
    let results = safe_config_edit_pair(&both, &[Some(&c1), Some(&c2)], |cfg| {
        let d = cfg["Dhcp4"]["subnet4"]
            .as_array_mut()
            .ok_or("no subnets")?
            .iter_mut()
            .find(|s| s["id"] == hq)
            .ok_or("no HQ scope")?;
        d["reservations"]
            .as_array_mut()
            .ok_or("no reservations")?
            .push(
                json!({"hw-address": "aa:bb:cc:00:00:99", "ip-address": "10.10.0.20",
                         "hostname": "new-printer"}),
            );
        Ok(())
    })
    .await;
    assert_eq!(results.len(), 2);
    for (name, r) in &results {
        let out = r.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            out.written && out.persisted && out.verified,
            "{name}: {out:?}"
        );
        assert_eq!(out.summary, json!({"subnets": {"changed": [hq]}}));
    }
    assert_eq!(results[0].0, "kea-1");
    for k in both {
        let cfg = k.config_get_raw().await.unwrap();
        let r = reservation(&cfg, hq, "10.10.0.20").expect("reservation on both");
        assert_eq!(r["hw-address"], "aa:bb:cc:00:00:99");
        assert_eq!(r["hostname"], "new-printer");
    }

    // A held lease on both peers (lease commands are not replicated).
    let ip = "10.10.0.77";
    assert!(lease_get(&k1, ip).await.is_none() && lease_get(&k2, ip).await.is_none());
    let held = json!({"ip-address": ip, "hw-address": "00:00:00:00:00:00", "valid-lft": 600,
                      "user-context": {"ddish": {"held": true}}});
    let done = lease_add_all(&both, &held)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done, vec!["kea-1", "kea-2"]);
    let mut first = Vec::new();
    for k in both {
        let l = lease_get(k, ip).await.expect("lease on both peers");
        assert_eq!(l["user-context"], json!({"ddish": {"held": true}}));
        assert_eq!(l["hw-address"], "00:00:00:00:00:00");
        first.push(l);
    }

    // Again: the first peer already has it; nothing else changes.
    let e = lease_add_all(&both, &held).await.unwrap_err();
    assert_eq!(
        e,
        LeaseWriteError::Exists {
            server: "kea-1".into(),
            ip: ip.into(),
            undone: vec![],
            undo_failed: vec![]
        }
    );
    for (k, before) in both.iter().zip(&first) {
        assert_eq!(lease_get(k, ip).await.as_ref(), Some(before));
    }

    // Only on kea-1 now; adding in the order kea-2, kea-1 adds it on kea-2, finds it on
    // kea-1, and takes it off kea-2 again.
    let dels = lease_del_all(&[&k2], ip.parse().unwrap(), &|_| true, true).await;
    assert_eq!(dels, vec![("kea-2".to_string(), Ok(Deleted::Yes))]);
    let e = lease_add_all(&[&k2, &k1], &held).await.unwrap_err();
    assert_eq!(
        e,
        LeaseWriteError::Exists {
            server: "kea-1".into(),
            ip: ip.into(),
            undone: vec!["kea-2".into()],
            undo_failed: vec![]
        }
    );
    assert!(lease_get(&k2, ip).await.is_none());
    assert_eq!(lease_get(&k1, ip).await.as_ref(), Some(&first[0]));

    // lease4-update with force-create brings both in line again.
    let mut claimed = held.clone();
    claimed["hw-address"] = json!("aa:bb:cc:00:07:07");
    claimed["force-create"] = json!(true);
    let ups = lease_update_all(&both, &claimed).await;
    for (name, r) in &ups {
        assert!(r.is_ok(), "{name}: {r:?}");
    }
    for k in both {
        assert_eq!(
            lease_get(k, ip).await.unwrap()["hw-address"],
            "aa:bb:cc:00:07:07"
        );
    }

    // A delete only takes ddish's own lease: one that is someone else's now stays.
    let ipv4: Ipv4Addr = ip.parse().unwrap();
    let not_mine = |l: &Value| l["hw-address"] == "aa:bb:cc:00:07:08";
    let dels = lease_del_all(&both, ipv4, &not_mine, true).await;
    assert!(
        dels.iter()
            .all(|(_, r)| r == &Ok(Deleted::Kept("aa:bb:cc:00:07:07".into()))),
        "{dels:?}"
    );
    assert!(lease_get(&k1, ip).await.is_some() && lease_get(&k2, ip).await.is_some());

    // The HA race, staged: kea-1 has a client's lease (its partner gave the address away
    // and told it), kea-2 still ddish's hold. With repair the client's lease is copied
    // back to kea-2 after ddish's is deleted there; without (the caller deleted on the
    // serving peer last), kea-2 is left without one.
    let ours = |l: &Value| l["hw-address"] == "00:00:00:00:00:00";
    for repair in [true, false] {
        let mut mine = held.clone();
        mine["force-create"] = json!(true);
        k2.call("lease4-update", Some(mine)).await.unwrap();
        let dels = lease_del_all(&both, ipv4, &ours, repair).await;
        let client = Deleted::Kept("aa:bb:cc:00:07:07".into());
        let on_k2 = if repair { client.clone() } else { Deleted::Yes };
        assert_eq!(
            dels,
            vec![
                ("kea-1".to_string(), Ok(client)),
                ("kea-2".to_string(), Ok(on_k2))
            ]
        );
        let k2_now = lease_get(&k2, ip).await;
        assert_eq!(
            k2_now.map(|l| l["hw-address"].clone()),
            repair.then(|| json!("aa:bb:cc:00:07:07")),
            "repair {repair}"
        );
    }
    lease_update_all(&[&k2], &claimed).await[0]
        .1
        .as_ref()
        .unwrap();

    // Deleted from both; a second delete finds nothing.
    let dels = lease_del_all(&both, ipv4, &|_| true, true).await;
    assert_eq!(
        dels,
        vec![
            ("kea-1".to_string(), Ok(Deleted::Yes)),
            ("kea-2".to_string(), Ok(Deleted::Yes))
        ]
    );
    for k in both {
        assert!(lease_get(k, ip).await.is_none());
    }
    let dels = lease_del_all(&both, ipv4, &|_| true, true).await;
    assert!(
        dels.iter().all(|(_, r)| r == &Ok(Deleted::Absent)),
        "{dels:?}"
    );

    // A change kea-2 cannot load (config-test passes it on both) is taken back on kea-1,
    // which was set first.
    let before = [
        k1.config_get_raw().await.unwrap(),
        k2.config_get_raw().await.unwrap(),
    ];
    let results = safe_config_edit_pair_allowing(&both, &[], &["hooks-libraries"], |cfg| {
        let hooks = cfg["Dhcp4"]["hooks-libraries"]
            .as_array_mut()
            .ok_or("no hooks")?;
        let ha = hooks
            .iter_mut()
            .find(|h| {
                h["library"]
                    .as_str()
                    .is_some_and(|l| l.ends_with("libdhcp_ha.so"))
            })
            .ok_or("no HA hook")?;
        let rel = &mut ha["parameters"]["high-availability"][0];
        rel["heartbeat-delay"] = json!(3000);
        if rel["this-server-name"] == "kea-2" {
            rel["state-machine"] = json!({"states": [{"state": "bogus", "pause": "always"}]});
        }
        Ok(())
    })
    .await;
    let (n1, r1) = &results[0];
    let (n2, r2) = &results[1];
    assert_eq!((n1.as_str(), n2.as_str()), ("kea-1", "kea-2"));
    assert!(
        matches!(r2, Err(WriteError::SetFailed { restored: true, .. })),
        "{r2:?}"
    );
    let e1 = r1.as_ref().unwrap_err();
    assert!(
        matches!(e1, WriteError::RolledBack { peer, restored: true, .. } if peer == "kea-2"),
        "{e1}"
    );
    assert!(e1.to_string().contains("taken back"), "{e1}");
    for (k, b) in both.iter().zip(&before) {
        assert!(same_meaning(&k.config_get_raw().await.unwrap(), b));
        assert!(k
            .list_commands()
            .await
            .unwrap()
            .iter()
            .any(|c| c == "ha-heartbeat"));
    }
    lab.wait_ha(HA_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
}
