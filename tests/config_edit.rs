//! `ddish config show|edit` on the lab's real HA pair: the running configuration shown with
//! its secrets masked, an edit made in a scripted $EDITOR reviewed and written to both
//! peers (the peers' passwords untouched), and an edit Kea refuses sent back to the editor
//! with the reason on top while nothing changes on the servers.
mod common;

use std::path::Path;

use serde_json::Value;

fn lifetime(k: &ddish::lab::KeaInstance) -> Value {
    let r = common::cmd(k, "config-get", None);
    r["arguments"]["Dhcp4"]["valid-lifetime"].clone()
}

fn peer_passwords(k: &ddish::lab::KeaInstance) -> Vec<String> {
    let r = common::cmd(k, "config-get", None);
    let mut out = Vec::new();
    for h in r["arguments"]["Dhcp4"]["hooks-libraries"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for rel in h["parameters"]["high-availability"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for p in rel["peers"].as_array().into_iter().flatten() {
                if let Some(pw) = p["basic-auth-password"].as_str() {
                    out.push(pw.to_string());
                }
            }
        }
    }
    out
}

/// An editor that logs each run, keeps a copy of what it was given, and applies `sed`.
fn editor(dir: &Path, name: &str, sed: &str) -> String {
    let script = dir.join(format!("{name}.sh"));
    let log = dir.join(format!("{name}.log"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{log}'\nn=$(wc -l < '{log}')\ncp \"$1\" '{dir}/{name}-seen-'$n\nsed -i '{sed}' \"$1\"\n",
            log = log.display(),
            dir = dir.display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

#[test]
fn show_and_edit_the_running_configuration_on_both_peers() {
    let dir = common::kea_dir("ddish-cfged-");
    let lab = common::lab(dir.path());
    let cfg = lab.info.config_path.clone();
    let cfg_s = cfg.display().to_string();
    let before = lifetime(&lab.kea[0]);
    let passwords = peer_passwords(&lab.kea[0]);
    assert!(
        !passwords.is_empty(),
        "the lab pair authenticates its peers"
    );

    // show: one section, and the whole config without a secret in it.
    let o = common::ddish(
        &cfg,
        &[
            "config",
            "show",
            "--server",
            "kea-1",
            "--section",
            "valid-lifetime",
        ],
    );
    assert_eq!(common::ok(&o).trim(), before.to_string());
    let o = common::ddish(&cfg, &["config", "show", "--server", "kea-1"]);
    let all = common::ok(&o);
    assert!(
        all.contains("\"Dhcp4\"") && all.contains("********"),
        "{all}"
    );
    for p in &passwords {
        assert!(!all.contains(p.as_str()), "a peer password is shown");
    }
    let o = common::ddish(
        &cfg,
        &[
            "config",
            "show",
            "--server",
            "kea-1",
            "--section",
            "no-such-key",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    assert!(common::text(&o).contains("has no no-such-key"));

    // edit: the top-level lifetime changes on both peers, the passwords stay.
    // Dhcp4's own key: four spaces in (the subnets' are deeper).
    let top = format!("s/^    \"valid-lifetime\": {before}/    \"valid-lifetime\": 4321/");
    let ed = editor(dir.path(), "good", &top);
    let o = common::run_env(
        &["-c", &cfg_s, "config", "edit", "--server", "kea-1", "--yes"],
        &[("EDITOR", &ed), ("VISUAL", "")],
    );
    let out = common::ok(&o);
    assert!(out.contains("/Dhcp4/valid-lifetime"), "{out}");
    assert!(
        out.contains(&format!("- {before}")) && out.contains("+ 4321"),
        "{out}"
    );
    assert!(
        out.contains("kea-1") && out.contains("kea-2"),
        "both peers: {out}"
    );
    for k in &lab.kea {
        assert_eq!(lifetime(k), 4321, "{}", k.name);
        assert_eq!(
            peer_passwords(k),
            passwords,
            "{}: the masked secrets came back",
            k.name
        );
    }
    let seen = std::fs::read_to_string(dir.path().join("good-seen-1")).unwrap();
    for p in &passwords {
        assert!(!seen.contains(p.as_str()), "a password reached the editor");
    }

    // An edit Kea refuses: nothing changes, the editor gets the reason on top; leaving it
    // unchanged ends the command (exit 3), nothing sent.
    let bad = editor(
        dir.path(),
        "bad",
        "s/^    \"valid-lifetime\": 4321/    \"valid-lifetime\": \"soon\"/",
    );
    let o = common::run_env(
        &["-c", &cfg_s, "config", "edit", "--server", "kea-1", "--yes"],
        &[("EDITOR", &bad), ("VISUAL", "")],
    );
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    let runs = std::fs::read_to_string(dir.path().join("bad.log")).unwrap();
    assert_eq!(runs.lines().count(), 2, "the editor opened again");
    let second = std::fs::read_to_string(dir.path().join("bad-seen-2")).unwrap();
    assert!(second.starts_with("// ERROR:"), "{second}");
    assert!(
        second.contains("\"soon\""),
        "the admin's text is kept: {second}"
    );
    for k in &lab.kea {
        assert_eq!(lifetime(k), 4321, "{}: nothing was written", k.name);
    }

    // A viewer may look but not edit.
    let viewer = dir.path().join("viewer.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("role = \"admin\"", "role = \"viewer\"");
    std::fs::write(&viewer, &text).unwrap();
    let o = common::run_env(
        &[
            "-c",
            &viewer.display().to_string(),
            "config",
            "edit",
            "--server",
            "kea-1",
            "--yes",
        ],
        &[("EDITOR", &ed)],
    );
    assert!(
        text.contains("role = \"viewer\""),
        "the lab's ddish.toml names roles"
    );
    assert_eq!(o.status.code(), Some(3), "{}", common::text(&o));
    assert!(common::text(&o).contains("admin"), "{}", common::text(&o));
}
