//! Reservations kept only in a hosts database (issue 10, deliverable 3): a real PostgreSQL on
//! loopback as Kea's `hosts-database`, hosts added to it through Kea's own API
//! (`operation-target: database`), never in the config file. ddish must count them as
//! Reserved wherever it shows addresses (ip show, the scope's grid and export, the scopes
//! export) and never hand them out (ip next), subnet and global reservations alike.
//!
//! Only a Kea with host_cmds can list such hosts (Kea 3.0 ships it; Debian's 2.2 and 2.6 do
//! not, and their API shows no hosts-database content at all). On those this test checks
//! exactly that precondition; scripts/test.sh runs it on Kea 3.0 (agent and direct).

use ddish::lab::{write_ddish_toml, DdishToml, KeaDist, KeaInstance, PgInstance, TomlServer};
use serde_json::json;

mod common;
use common::{cmd, ddish, ok};

/// The CSV row of `ip` in an ips export.
fn row<'a>(csv: &'a str, ip: &str) -> &'a str {
    csv.lines()
        .find(|l| l.split(',').any(|f| f == ip))
        .unwrap_or_else(|| panic!("no row for {ip} in:\n{csv}"))
}

#[test]
fn database_reservations_count_as_reserved() {
    let dist = KeaDist::from_env().expect("Kea to test");
    let hooks = dist.hooks_dir().expect("hooks dir");
    if !hooks.join("libdhcp_host_cmds.so").is_file() {
        // Nothing of a hosts database is visible through this Kea's API: the test's subject
        // does not exist here. Say so, and check that it really is so.
        eprintln!(
            "{}: no host_cmds hook, so no API lists hosts-database reservations; tested on Kea 3.0",
            dist.describe()
        );
        assert!(!hooks.join("libdhcp_host_cmds.so").exists());
        return;
    }
    let root = dist.root.clone().unwrap_or_else(|| "/".into());
    let schema = root.join("usr/share/kea/scripts/pgsql/dhcpdb_create.pgsql");
    assert!(
        schema.is_file(),
        "{} is missing: scripts/kea-versions.sh installs kea-admin",
        schema.display()
    );
    let dir = tempfile::Builder::new()
        .prefix("ddish-hdb-")
        .tempdir_in("/tmp")
        .unwrap();
    let port = common::ports(3);
    let pg = PgInstance::start(&dir.path().join("pg"), port, &schema).expect("PostgreSQL starts");

    let mut libs = vec![json!({"library": "libdhcp_pgsql.so"})];
    for l in [
        "libdhcp_lease_cmds.so",
        "libdhcp_stat_cmds.so",
        "libdhcp_host_cmds.so",
        "libdhcp_subnet_cmds.so",
    ] {
        libs.push(json!({ "library": l }));
    }
    let dhcp4 = json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "hooks-libraries": libs,
        "hosts-database": pg.kea_hosts_database(),
        "subnet4": [{"id": 1, "subnet": "10.50.0.0/24",
            "pools": [{"pool": "10.50.0.10-10.50.0.20"}],
            "reservations": [{"hw-address": "02:50:00:00:00:10", "ip-address": "10.50.0.10", "hostname": "in-config"}]}]
    }});
    let kea = KeaInstance::start_on(
        &dist,
        &dir.path().join("kea"),
        "kea-db",
        port + 1,
        port + 2,
        dhcp4,
        None,
        None,
    )
    .expect("Kea with a hosts database starts");

    // Two hosts in the database only: one in the subnet, one global inside it.
    for (sid, ip, mac, name) in [
        (1, "10.50.0.11", "02:50:00:00:00:11", "in-db"),
        (0, "10.50.0.12", "02:50:00:00:00:12", "global-in-db"),
    ] {
        let r = cmd(
            &kea,
            "reservation-add",
            Some(json!({
            "reservation": {"subnet-id": sid, "ip-address": ip, "hw-address": mac, "hostname": name},
            "operation-target": "database"})),
        );
        assert_eq!(r["result"], 0, "reservation-add into the database: {r}");
    }
    let in_db = pg
        .psql(ddish::lab::PG_DB, "SELECT count(*) FROM hosts")
        .expect("psql");
    assert_eq!(in_db.trim(), "2", "the hosts table holds both");
    let config = cmd(&kea, "config-get", None).to_string();
    assert!(
        !config.contains("10.50.0.11") && !config.contains("10.50.0.12"),
        "they must not be in the config file's reservations"
    );

    let cfg = dir.path().join("ddish.toml");
    write_ddish_toml(
        &cfg,
        &DdishToml {
            servers: vec![TomlServer {
                name: "kea-db".into(),
                url: kea.ca_url.clone(),
                user: None,
                password_file: None,
                tags: vec![],
                api: dist.api.as_str().into(),
            }],
            dns: None,
            journal: dir.path().join("journal.jsonl"),
            refresh_interval: 30,
            request_timeout: 10,
        },
    )
    .unwrap();

    // The IP popup's data.
    for (ip, name) in [
        ("10.50.0.10", "in-config"),
        ("10.50.0.11", "in-db"),
        ("10.50.0.12", "global-in-db"),
    ] {
        let show = ok(&ddish(&cfg, &["ip", "show", ip]));
        assert!(show.contains("state        Reserved"), "{ip}:\n{show}");
        assert!(show.contains(name), "{ip}:\n{show}");
    }
    // The grid's data (ips export) and the scopes export (summary counts).
    let ips = ok(&ddish(
        &cfg,
        &["export", "--what", "ips", "--scope", "10.50.0.0/24"],
    ));
    for ip in ["10.50.0.10", "10.50.0.11", "10.50.0.12"] {
        assert!(row(&ips, ip).contains("Reserved"), "{}", row(&ips, ip));
    }
    let scopes = ok(&ddish(&cfg, &["export", "--what", "scopes"]));
    let header: Vec<&str> = scopes.lines().next().unwrap().split(',').collect();
    let line: Vec<&str> = row(&scopes, "10.50.0.0/24").split(',').collect();
    let col = header.iter().position(|h| *h == "reserved").unwrap();
    assert_eq!(
        line[col], "3",
        "reserved count in the scopes export:\n{scopes}"
    );
    // Next free skips all three (the pool starts at .10).
    let held = ok(&ddish(&cfg, &["ip", "next", "--scope", "10.50.0.0/24"]));
    assert_eq!(held.trim(), "10.50.0.13", "{held}");

    // Deleting the scope would take the config's reservation with it, not the database's:
    // the question says which.
    let q = ddish(&cfg, &["scope", "delete", "--scope", "10.50.0.0/24"]);
    let text = String::from_utf8_lossy(&q.stderr);
    assert_eq!(q.status.code(), Some(3), "{text}");
    assert!(
        // The lease is the one `ip next` held above.
        text.contains("10.50.0.0/24: 1 lease(s), 1 reservation(s) (and 1 in the hosts database, which stay there)"),
        "{text}"
    );

    // Changing a database reservation changes it in the database, where it lives: it does
    // not move into the config file.
    ok(&ddish(
        &cfg,
        &[
            "ip",
            "reserve",
            "10.50.0.11",
            "--mac",
            "02:50:00:00:00:11",
            "--hostname",
            "renamed",
        ],
    ));
    let renamed = pg
        .psql(
            ddish::lab::PG_DB,
            "SELECT count(*) FROM hosts WHERE hostname = 'renamed'",
        )
        .expect("psql");
    assert_eq!(renamed.trim(), "1", "the database row carries the new name");
    let rows = pg
        .psql(ddish::lab::PG_DB, "SELECT count(*) FROM hosts")
        .expect("psql");
    assert_eq!(rows.trim(), "2", "still two hosts in the database");
    let config = cmd(&kea, "config-get", None).to_string();
    assert!(!config.contains("renamed"), "not in the config: {config}");
    let show = ok(&ddish(&cfg, &["ip", "show", "10.50.0.11"]));
    assert!(show.contains("renamed"), "{show}");

    // Deleting the database reservation takes it out of the database.
    ok(&ddish(&cfg, &["ip", "unreserve", "10.50.0.11", "--yes"]));
    let left = pg
        .psql(ddish::lab::PG_DB, "SELECT count(*) FROM hosts")
        .expect("psql");
    assert_eq!(
        left.trim(),
        "1",
        "one host left in the database (the global one)"
    );
    let show = ok(&ddish(&cfg, &["ip", "show", "10.50.0.11"]));
    assert!(!show.contains("state        Reserved"), "{show}");
}
