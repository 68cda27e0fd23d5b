use super::*;
use crate::config::{Role, SecretSource};

fn server(url: &str) -> ServerConfig {
    ServerConfig {
        name: "kea-hq".into(),
        url: url.into(),
        api: ApiStyle::Agent,
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

#[test]
fn timeouts_by_command() {
    let base = Duration::from_secs(5);
    assert_eq!(
        command_timeout("config-set", base, WRITE_TIMEOUT),
        Duration::from_secs(90)
    );
    assert!(is_lfc_busy(
        "config-set",
        "Unable to open database: unable to load leases from files while the lease file \
         cleanup is in progress"
    ));
    assert!(!is_lfc_busy(
        "config-test",
        "lease file cleanup is in progress"
    ));
    assert_eq!(
        command_timeout("config-get", base, WRITE_TIMEOUT),
        Duration::from_secs(30)
    );
    assert_eq!(
        command_timeout("lease4-get-page", base, WRITE_TIMEOUT),
        base
    );
    let long = Duration::from_secs(120);
    assert_eq!(command_timeout("config-get", long, WRITE_TIMEOUT), long);
}

#[test]
fn request_shapes() {
    let args = json!({"subnets": [1]});
    let agent = serde_json::to_string(&Request::<Value> {
        command: "lease4-get-all",
        service: Some(["dhcp4"]),
        arguments: Some(&args),
    })
    .unwrap();
    assert_eq!(
        agent,
        r#"{"command":"lease4-get-all","service":["dhcp4"],"arguments":{"subnets":[1]}}"#
    );
    let direct = serde_json::to_string(&Request::<Value> {
        command: "version-get",
        service: None,
        arguments: None,
    })
    .unwrap();
    assert_eq!(direct, r#"{"command":"version-get"}"#);
}

#[test]
fn setup_errors_name_the_server() {
    let e = KeaClient::new(&server("ftp://x/"), Duration::from_secs(1)).unwrap_err();
    assert!(e.to_string().starts_with("server kea-hq: url"), "{e}");
    let mut s = server("http://127.0.0.1:1/");
    s.user = Some("admin".into());
    s.password = Some(SecretSource::File("/nonexistent/ddish-pw".into()));
    let e = KeaClient::new(&s, Duration::from_secs(1)).unwrap_err();
    assert!(
        matches!(e, KeaError::Config(ref m) if m.contains("kea-hq") && m.contains("/nonexistent/ddish-pw")),
        "{e}"
    );
    let mut s = server("https://127.0.0.1:1/");
    s.ca_file = Some("/nonexistent/ca.pem".into());
    let e = KeaClient::new(&s, Duration::from_secs(1)).unwrap_err();
    assert!(e.to_string().contains("cannot read ca_file"), "{e}");
}

#[test]
fn debug_hides_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret-value\n").unwrap();
    let mut s = server("http://127.0.0.1:1/");
    s.user = Some("admin".into());
    s.password = Some(SecretSource::File(pw));
    let c = KeaClient::new(&s, Duration::from_secs(1)).unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("s3cret-value"), "{dbg}");
    assert_eq!(c.server_name(), "kea-hq");
}
