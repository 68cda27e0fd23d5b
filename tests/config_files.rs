//! Every file in tests/fixtures/config/valid/ (and config.example.toml) must load; every file
//! in tests/fixtures/config/invalid/ must be refused at the line its first comment names:
//! `# expect: <line>: <substring of the error>`.
use std::path::{Path, PathBuf};

use ddish::config::{self, read_tsig_secret, ApiStyle, Role, SecretSource};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config")
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

#[test]
fn valid_fixtures_load() {
    for path in toml_files(&fixtures().join("valid")) {
        if let Err(e) = config::load(&path) {
            panic!("{} should load:\n{e}", path.display());
        }
    }
}

#[test]
fn example_config_loads_and_covers_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let c = config::load(&path).unwrap_or_else(|e| panic!("config.example.toml:\n{e}"));
    assert_eq!(c.servers.len(), 2);
    assert_eq!(c.servers[1].api, ApiStyle::Direct);
    assert_eq!(c.dns.zones.len(), 2);
    // Every key the loader accepts is documented in the example (set or commented out).
    let text = std::fs::read_to_string(&path).unwrap();
    for key in [
        "refresh_interval",
        "request_timeout",
        "write_timeout",
        "hold_time",
        "utilization_under",
        "utilization_over",
        "journal",
        "name",
        "url",
        "api",
        "service",
        "user",
        "password_file",
        "password_env",
        "ca_file",
        "allow_plain_http",
        "tags",
        "role",
        "[server.fields]",
        "[[dns.server]]",
        "addr",
        "[[dns.zone]]",
        "primary",
        "key_name",
        "algorithm",
        "secret_file",
    ] {
        assert!(
            text.contains(key),
            "config.example.toml does not mention {key}"
        );
    }
}

#[test]
fn invalid_fixtures_fail_at_the_expected_line_with_a_hint() {
    for path in toml_files(&fixtures().join("invalid")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| {
                panic!(
                    "{}: first line must be `# expect: <line>: <text>`",
                    path.display()
                )
            });
        let (line, what) = expect.split_once(": ").unwrap();
        let line: usize = line.parse().unwrap();
        let err = match config::load(&path) {
            Ok(_) => panic!("{} should be refused", path.display()),
            Err(e) => e,
        };
        let shown = err.to_string();
        eprintln!("{shown}\n");
        assert_eq!(
            err.line,
            Some(line),
            "{}: wrong line in\n{shown}",
            path.display()
        );
        assert!(err.column.is_some(), "{shown}");
        assert!(
            shown.contains(what),
            "{}: expected {what:?} in\n{shown}",
            path.display()
        );
        assert!(
            shown.starts_with(&format!("{}:{line}:", path.display())),
            "{shown}"
        );
        assert!(
            shown.contains("\n  hint: ") && !err.hint.trim().is_empty(),
            "{shown}"
        );
    }
}

#[test]
fn lab_fixture_secrets_resolve_and_read() {
    let path = fixtures().join("valid/lab.toml");
    let c = config::load(&path).unwrap();
    let secrets = fixtures().join("valid/../secrets");

    let lab = c.server("kea-lab").unwrap();
    assert_eq!(lab.role, Role::Admin);
    assert_eq!(
        lab.password,
        Some(SecretSource::File(secrets.join("kea.pass")))
    );
    let pw = lab.password.as_ref().unwrap().read().unwrap();
    assert_eq!(pw.expose(), "lab-password");
    assert_eq!(format!("{pw:?} {pw}"), "*** ***");
    assert!(!format!("{c:?}").contains("lab-password"));

    let direct = c.server("kea-direct").unwrap();
    let src = direct.password.as_ref().unwrap();
    assert_eq!(src, &SecretSource::Env("DDISH_FIXTURE_PASSWORD".into()));
    std::env::set_var("DDISH_FIXTURE_PASSWORD", "from-env");
    assert_eq!(src.read().unwrap().expose(), "from-env");

    let zone = &c.dns.zones[0];
    assert_eq!(zone.name, "example.test");
    assert_eq!(zone.primary, "127.0.0.1:5300".parse().unwrap());
    assert_eq!(zone.algorithm, "hmac-sha256");
    let bind = read_tsig_secret(zone.secret_file.as_ref().unwrap()).unwrap();
    let bare = read_tsig_secret(c.dns.zones[1].secret_file.as_ref().unwrap()).unwrap();
    assert_eq!(bind.expose(), "bGFiLXNlY3JldC1mb3ItdGVzdHMtb25seQ==");
    assert_eq!(bind, bare);
    assert_eq!(c.dns.zones[1].primary, "127.0.0.1:53".parse().unwrap());
    assert_eq!(c.settings.journal, fixtures().join("valid/history.jsonl"));
}

#[test]
fn missing_config_says_where_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let shown = config::load(&path).unwrap_err().to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    assert!(
        shown.contains("config.example.toml") && shown.contains("--config"),
        "{shown}"
    );
}
