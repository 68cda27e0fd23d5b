//! First run (issue 15): `ddish config init` writes a starter config after asking each
//! server what answers at its URL (Control Agent or the daemon's own socket, on every Kea
//! version), never over an existing file without --force, and nothing when a server cannot
//! be reached or refuses the login; without a config the CLI names `ddish config init`.
mod common;

use ddish::lab::{minimal_dhcp4, KeaInstance, LabApi};
use serde_json::json;

use common::{run, text};

#[test]
fn config_init_asks_the_servers_and_writes_what_answered() {
    let dir = common::kea_dir("ddish-init-");
    let port = common::ports(4);
    let open = KeaInstance::start(
        &dir.path().join("open"),
        "open",
        port,
        port + 1,
        minimal_dhcp4(json!([{"id": 1, "subnet": "10.94.0.0/24"}])),
        None,
        None,
    )
    .expect("Kea starts");
    let locked = KeaInstance::start(
        &dir.path().join("locked"),
        "locked",
        port + 2,
        port + 3,
        minimal_dhcp4(json!([{"id": 1, "subnet": "10.95.0.0/24"}])),
        Some(("ddish", "init-secret-pw")),
        None,
    )
    .expect("Kea starts");
    let want_api = if open.dist.api == LabApi::Direct {
        "api = \"direct\""
    } else {
        "api = \"agent\""
    };
    let pass = dir.path().join("kea.pass");
    std::fs::write(&pass, "init-secret-pw\n").unwrap();
    let cfg = dir.path().join("conf").join("ddish.toml");
    let cfg_s = cfg.to_string_lossy().into_owned();

    // Without a config the CLI says how to make one.
    let o = run(&["--config", &cfg_s, "check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("ddish config init"),
        "{}",
        text(&o)
    );

    // A wrong password: nothing is written.
    let bad = dir.path().join("bad.pass");
    std::fs::write(&bad, "nope\n").unwrap();
    let o = run(&[
        "--config",
        &cfg_s,
        "config",
        "init",
        "--server",
        &locked.ca_url,
        "--user",
        "ddish",
        "--password-file",
        &bad.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("authentication failed"),
        "{}",
        text(&o)
    );
    assert!(!cfg.exists(), "nothing written");

    // Two servers, one with a login: each asked, both written as found.
    let o = run(&[
        "--config",
        &cfg_s,
        "config",
        "init",
        "--server",
        &open.ca_url,
        "--name",
        "open",
        "--server",
        &locked.ca_url,
        "--name",
        "locked",
        "--user",
        "ddish",
        "--user",
        "ddish",
        "--password-file",
        &pass.to_string_lossy(),
        "--password-file",
        &pass.to_string_lossy(),
    ]);
    // One login for two servers only when given once: here one each.
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert_eq!(written.matches(want_api).count(), 2, "{written}");
    assert!(
        written.contains(&format!("Kea {}", open.dist.version().unwrap_or_default())),
        "{written}"
    );
    assert!(
        !written.contains("init-secret-pw"),
        "the password stays in its file"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let o = run(&["--config", &cfg_s, "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Never over an existing file without --force.
    let o = run(&[
        "--config",
        &cfg_s,
        "config",
        "init",
        "--server",
        &open.ca_url,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), written);
    // A URL where nothing answers: exit 2, the file as it was.
    let o = run(&[
        "--config",
        &cfg_s,
        "config",
        "init",
        "--force",
        "--server",
        "http://127.0.0.1:9/",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), written);
    // --force with no server: the commented starter alone, private even over a file
    // someone made readable.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&["--config", &cfg_s, "config", "init", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::read_to_string(&cfg)
        .unwrap()
        .contains("# [[server]]"));
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // One --name for two servers is refused (names are each server's own).
    let o = run(&[
        "--config",
        &cfg_s,
        "config",
        "init",
        "--force",
        "--server",
        &open.ca_url,
        "--server",
        &locked.ca_url,
        "--name",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}
