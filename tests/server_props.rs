//! `ddish server show|set` (issue 13 item 3) on two real Kea servers: the global parameters
//! with their values; one set on both servers through the safe write, the lease bounds
//! following the lease time, a nested expired-leases parameter, the journal; bad names,
//! bad values and a timer past the lease refused with nothing written; --dry-run writes
//! nothing.
mod common;

use ddish::lab::{minimal_dhcp4, KeaInstance};
use serde_json::{json, Value};

fn dhcp4(k: &KeaInstance) -> Value {
    let v = k.command("config-get", None).expect("config-get");
    v["arguments"]["Dhcp4"].clone()
}

#[test]
fn show_and_set_global_parameters_on_two_servers() {
    let dir = common::kea_dir("ddish-server-props-");
    let port = common::ports(4);
    let subnets = json!([
        {"id": 1, "subnet": "10.80.0.0/24", "pools": [{"pool": "10.80.0.10 - 10.80.0.99"}]}
    ]);
    let start = |name: &str, p: u16| {
        let mut cfg = minimal_dhcp4(subnets.clone());
        cfg["Dhcp4"]["valid-lifetime"] = json!(3600);
        cfg["Dhcp4"]["renew-timer"] = json!(900);
        cfg["Dhcp4"]["rebind-timer"] = json!(1800);
        KeaInstance::start(&dir.path().join(name), name, p, p + 1, cfg, None, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let a = start("kea-a", port);
    let b = start("kea-b", port + 2);
    let api = a.dist.api.as_str();
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[settings]\njournal = \"{}\"\n\
             [[server]]\nname = \"kea-a\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\nrole = \"admin\"\n\
             [[server]]\nname = \"kea-b\"\nurl = \"{}\"\napi = \"{api}\"\nallow_plain_http = true\nrole = \"admin\"\n",
            dir.path().join("journal.jsonl").display(),
            a.ca_url,
            b.ca_url
        ),
    )
    .unwrap();

    // show: every parameter, with the running values.
    let o = common::ddish(&cfg, &["server", "show", "--server", "kea-a"]);
    let out = common::ok(&o);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .unwrap_or_else(|| panic!("{name} in\n{out}"))
            .to_string()
    };
    assert!(line("valid-lifetime").contains(" 3600 "), "{out}");
    assert!(line("renew-timer").contains(" 900 "), "{out}");
    assert!(line("authoritative").contains("Clients"), "{out}");
    let o = common::ddish(&cfg, &["server", "show", "--server", "kea-a", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["parameters"]["rebind-timer"], 1800);

    // set on both: previewed, written, read back from each server.
    let o = common::ddish(
        &cfg,
        &[
            "server",
            "set",
            "--servers",
            "kea-a,kea-b",
            "valid-lifetime=7200",
            "authoritative=true",
            "expired-leases-processing.hold-reclaimed-time=600",
            "--yes",
        ],
    );
    let out = common::ok(&o);
    assert!(out.contains("server: valid-lifetime 3600 -> 7200"), "{out}");
    for k in [&a, &b] {
        let d = dhcp4(k);
        assert_eq!(d["valid-lifetime"], 7200, "{}", k.name);
        assert_eq!(d["authoritative"], true);
        assert_eq!(d["expired-leases-processing"]["hold-reclaimed-time"], 600);
        // Kea pins min/max to the old lease time when they were never set: they follow.
        assert!(
            d["max-valid-lifetime"].as_u64().unwrap_or(7200) >= 7200,
            "{d}"
        );
    }
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(journal.contains("server-params"), "{journal}");

    // Refused before anything is sent: unknown name, bad value, no NAME=VALUE.
    let before = (dhcp4(&a), dhcp4(&b));
    for (args, why) in [
        (vec!["valid-lifetimes=1"], "did you mean valid-lifetime"),
        (vec!["authoritative=maybe"], "true or false"),
        (vec!["next-server=10.0.0"], "IPv4 address"),
        (vec!["valid-lifetime"], "is not NAME=VALUE"),
    ] {
        let mut all = vec!["server", "set", "--servers", "kea-a", "--yes"];
        all.extend(args);
        let o = common::ddish(&cfg, &all);
        assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
        assert!(
            common::text(&o).contains(why),
            "{why}: {}",
            common::text(&o)
        );
    }
    // A rebind timer past the lease: the preview says why, nothing is written.
    let o = common::ddish(
        &cfg,
        &[
            "server",
            "set",
            "--servers",
            "kea-a",
            "rebind-timer=9000",
            "--yes",
        ],
    );
    assert_ne!(o.status.code(), Some(0), "{}", common::text(&o));
    assert!(
        common::text(&o).contains("rebind-timer (9000) must be below valid-lifetime (7200)"),
        "{}",
        common::text(&o)
    );
    // --dry-run: the preview only.
    let o = common::ddish(
        &cfg,
        &[
            "server",
            "set",
            "--servers",
            "kea-b",
            "match-client-id=false",
            "--dry-run",
        ],
    );
    assert!(
        common::ok(&o).contains("match-client-id"),
        "{}",
        common::text(&o)
    );
    assert_eq!((dhcp4(&a), dhcp4(&b)), before, "nothing was written");

    // Custom options (issue 13 item 2): defined on both servers, then set like a standard
    // one and checked against its definition; its definition stays while a value uses it.
    let run = |args: &[&str]| common::ddish(&cfg, args);
    assert_eq!(
        common::ok(&run(&["optiondef", "list"])).trim(),
        "no option definitions"
    );
    let create = |code: &str| {
        run(&[
            "optiondef",
            "create",
            "--servers",
            "kea-a,kea-b",
            "--name",
            "tftp-servers",
            "--code",
            code,
            "--type",
            "ipv4-address",
            "--array",
            "--yes",
        ])
    };
    let o = create("3");
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    assert!(common::text(&o).contains("standard option routers"));
    let out = common::ok(&create("224"));
    assert!(
        out.contains("option-def tftp-servers added: code 224 ipv4-address list"),
        "{out}"
    );
    for k in [&a, &b] {
        assert_eq!(
            dhcp4(k)["option-def"][0]["name"],
            "tftp-servers",
            "{}",
            k.name
        );
    }
    let listed = common::ok(&run(&["optiondef", "list", "--server", "kea-b"]));
    assert!(
        listed.contains("tftp-servers") && listed.contains("224"),
        "{listed}"
    );
    let set = |data: &str| {
        run(&[
            "options",
            "set",
            "--servers",
            "kea-a",
            "--name",
            "tftp-servers",
            "--data",
            data,
            "--yes",
        ])
    };
    let o = set("10.0.0.x");
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    assert!(
        common::text(&o).contains("tftp-servers (option 224"),
        "{}",
        common::text(&o)
    );
    common::ok(&set("10.0.0.1,10.0.0.2"));
    let opts = dhcp4(&a)["option-data"].clone();
    assert!(
        opts.as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "tftp-servers" && o["data"] == "10.0.0.1, 10.0.0.2"),
        "{opts}"
    );
    let o = run(&[
        "optiondef",
        "delete",
        "--servers",
        "kea-a",
        "--name",
        "tftp-servers",
        "--yes",
    ]);
    assert_ne!(o.status.code(), Some(0), "{}", common::text(&o));
    assert!(
        common::text(&o).contains("still set in server"),
        "{}",
        common::text(&o)
    );
    common::ok(&run(&[
        "options",
        "delete",
        "--servers",
        "kea-a",
        "--name",
        "tftp-servers",
        "--yes",
    ]));
    common::ok(&run(&[
        "optiondef",
        "delete",
        "--servers",
        "kea-a",
        "--name",
        "tftp-servers",
        "--yes",
    ]));
    assert!(dhcp4(&a)["option-def"]
        .as_array()
        .is_none_or(|l| l.is_empty()));
    assert_eq!(dhcp4(&b)["option-def"][0]["name"], "tftp-servers");
}
