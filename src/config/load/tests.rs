use super::*;
use std::time::Duration;

use crate::config::{ApiStyle, Role, SecretSource};

fn p() -> &'static Path {
    Path::new("/etc/ddish/config.toml")
}

fn err(text: &str) -> ConfigError {
    parse(text, p()).expect_err("config should be refused")
}

#[test]
fn empty_file_gives_defaults() {
    let c = parse("", p()).unwrap();
    assert!(c.servers.is_empty());
    assert_eq!(c.settings.refresh_interval, Duration::from_secs(30));
    assert_eq!(c.settings.request_timeout, Duration::from_secs(10));
    assert_eq!(c.settings.hold_time, Duration::from_secs(3600));
    assert_eq!(
        (c.settings.utilization_under, c.settings.utilization_over),
        (20.0, 80.0)
    );
    assert!(c.settings.journal.ends_with("journal.jsonl"));
    assert_eq!(c.source.as_deref(), Some(p()));
    // hold_time = 0: held until released.
    let c = parse("[settings]\nhold_time = 0\n", p()).unwrap();
    assert_eq!(c.settings.hold_time, Duration::ZERO);
}

#[test]
fn full_server_and_zone() {
    let c = parse(
        r#"
[settings]
journal = "hist.jsonl"
utilization_under = 10.5

[[server]]
name = "kea-hq"
url = "https://127.0.0.1:8443"
user = "admin"
password_file = "kea.pass"
ca_file = "ca.pem"
tags = ["hq", "prod", "hq"]
role = "Admin"
[server.fields]
region = "eu"

[[server]]
name = "kea-2"
url = "http://127.0.0.1:8001/"
api = "direct"

[[dns.server]]
name = "ns1"
addr = "127.0.0.1"

[[dns.zone]]
name = "Example.TEST."
primary = "ns1"
key_name = "lab-key"
secret_file = "/etc/ddish/tsig.key"
"#,
        p(),
    )
    .unwrap();
    assert_eq!(c.settings.journal, PathBuf::from("/etc/ddish/hist.jsonl"));
    assert_eq!(c.settings.utilization_under, 10.5);
    let s = c.server("kea-hq").unwrap();
    assert_eq!(s.url, "https://127.0.0.1:8443/");
    assert_eq!(s.api, ApiStyle::Agent);
    assert_eq!(s.service, "dhcp4");
    assert_eq!(
        s.password,
        Some(SecretSource::File("/etc/ddish/kea.pass".into()))
    );
    assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ddish/ca.pem")));
    assert_eq!(s.tags, vec!["hq", "prod"]);
    assert_eq!(s.role, Role::Admin);
    assert_eq!(s.fields.get("region").map(String::as_str), Some("eu"));
    let d = c.server("kea-2").unwrap();
    assert_eq!(
        (d.api, d.role, d.user.as_deref()),
        (ApiStyle::Direct, Role::Operator, None)
    );
    assert_eq!(c.dns.servers[0].addr, "127.0.0.1:53".parse().unwrap());
    let z = &c.dns.zones[0];
    assert_eq!(z.name, "example.test");
    assert_eq!(z.primary, "127.0.0.1:53".parse().unwrap());
    assert_eq!(z.algorithm, "hmac-sha256");
}

#[test]
fn unknown_key_suggests() {
    let e = err("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\npasword_file = \"x\"\n");
    assert_eq!((e.line, e.column), (Some(4), Some(1)));
    assert!(
        e.message
            .contains("unknown key 'pasword_file' in [[server]]"),
        "{e}"
    );
    assert!(e.hint.contains("did you mean 'password_file'?"), "{e}");
    assert!(
        e.to_string()
            .starts_with("/etc/ddish/config.toml:4:1: unknown key"),
        "{e}"
    );
}

#[test]
fn key_in_wrong_section_says_where_it_belongs() {
    let e = err("refresh_interval = 5\n");
    assert_eq!(e.line, Some(1));
    assert!(e.hint.contains("belongs in [settings]"), "{e}");
}

#[test]
fn wrong_type_names_key() {
    let e = err("[settings]\n\nrefresh_interval = \"30\"\n");
    assert_eq!(e.line, Some(3));
    assert!(
        e.message.contains("wrong type for 'refresh_interval'"),
        "{e}"
    );
    assert!(e.hint.contains("without quotes"), "{e}");
}

#[test]
fn missing_required_key() {
    let e = err("[[server]]\nname = \"a\"\n");
    assert!(e.message.contains("missing required key 'url'"), "{e}");
    assert!(e.line.is_some());
}

#[test]
fn value_errors_point_at_their_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("[[server]]\nname = \"a\"\nurl = \"nope\"\n", 3, "has no scheme"),
        ("[[server]]\nname = \"a\"\nurl = \"ftp://127.0.0.1/\"\n", 3, "scheme"),
        ("[[server]]\nname = \"a b\"\nurl = \"http://127.0.0.1/\"\n", 2, "not a valid name"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\n[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\n", 5, "duplicate server name 'a' (first defined on line 2)"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\npassword_env = \"X\"\n", 4, "no user"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\nuser = \"u\"\n", 4, "no password"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\nuser = \"u\"\npassword_file = \"f\"\npassword_env = \"X\"\n", 6, "both password_file and password_env"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\nca_file = \"ca.pem\"\n", 4, "not https"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\nrole = \"root\"\n", 4, "unknown role"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\napi = \"rest\"\n", 4, "unknown api"),
        ("[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\napi = \"direct\"\nservice = \"dhcp4\"\n", 5, "service is set"),
        ("[settings]\nutilization_under = 90\n", 2, "must be below"),
        ("[settings]\nutilization_over = 120\n", 2, "not a percentage"),
        ("[settings]\nrequest_timeout = 0\n", 2, "out of range"),
        ("[settings]\nhold_time = -1\n", 2, "out of range"),
        ("[[dns.server]]\nname = \"ns1\"\naddr = \"ns1.example.test\"\n", 3, "not an IP address"),
        ("[[dns.zone]]\nname = \"x.test\"\nprimary = \"ns9\"\n", 3, "neither an IP address"),
        ("[[dns.zone]]\nname = \"x.test\"\nprimary = \"127.0.0.1\"\nalgorithm = \"hmac-md5\"\n", 4, "not supported"),
        ("[[dns.zone]]\nname = \"x.test\"\nprimary = \"127.0.0.1\"\nalgorithm = \"sha256\"\n", 4, "unknown algorithm"),
        ("[[dns.zone]]\nname = \"x.test\"\nprimary = \"127.0.0.1\"\nkey_name = \"k\"\n", 4, "secret_file is not"),
        ("[[dns.zone]]\nname = \"x..test\"\nprimary = \"127.0.0.1\"\n", 2, "not a valid domain"),
    ];
    for (text, line, what) in cases {
        let e = err(text);
        assert_eq!(e.line, Some(*line), "{text}\n=> {e}");
        assert!(e.message.contains(what), "{text}\n=> {e}");
        assert!(!e.hint.is_empty(), "{e}");
    }
}

#[test]
fn syntax_error_has_place() {
    let e = err("[settings]\nrefresh_interval = = 3\n");
    assert_eq!(e.line, Some(2));
    assert!(e.message.starts_with("invalid TOML"), "{e}");
}

#[test]
fn missing_file_points_at_example() {
    let e = load(Path::new("/nonexistent/ddish/config.toml")).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("/nonexistent/ddish/config.toml")
            && s.contains("config.example.toml")
            && s.contains("--config"),
        "{s}"
    );
}

#[test]
fn bare_ipv6_and_bracketed() {
    assert_eq!(parse_addr("::1"), Some("[::1]:53".parse().unwrap()));
    assert_eq!(parse_addr("[::1]"), Some("[::1]:53".parse().unwrap()));
    assert_eq!(
        parse_addr("127.0.0.1:5353"),
        Some("127.0.0.1:5353".parse().unwrap())
    );
    assert_eq!(parse_addr("localhost"), None);
}
