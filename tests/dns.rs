//! src/dns against a real named (BIND 9.18) on loopback: TSIG-signed UPDATEs, lookups,
//! AXFR, SOA serials and the errors a user sees. Free loopback ports.
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ddish::config::{DnsConfig, ZoneConfig};
use ddish::dns::{
    add_record, axfr, delete_records, lookup, query_soa_serial, DnsError, LookupType,
    RecordRequest, StepResult, ZoneRecord,
};
use ddish::lab::DnsInstance;

mod common;

const T: Duration = Duration::from_secs(3);
const FWD: &str = "example.test";
const REV4: &str = "0.10.10.in-addr.arpa";
const REV6: &str = "8.b.d.0.1.0.0.2.ip6.arpa";

fn zone_text(extra: &str) -> String {
    format!(
        "$TTL 300\n@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )\n  \
         IN NS ns1.example.test.\n{extra}"
    )
}

fn start(dir: &Path, port: u16) -> DnsInstance {
    let fwd = zone_text("ns1 IN A 127.0.0.1\ngw IN A 10.10.0.1\nalias IN CNAME gw\n");
    let rev4 = zone_text("1 IN PTR gw.example.test.\n");
    let rev6 = zone_text("");
    DnsInstance::start(
        &dir.join("named"),
        port,
        &[
            (FWD, &fwd),
            (REV4, &rev4),
            (REV6, &rev6),
            ("10.in-addr.arpa", &rev6),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn zone(name: &str, primary: SocketAddr, key: Option<(&str, PathBuf)>) -> ZoneConfig {
    ZoneConfig {
        name: name.into(),
        primary,
        key_name: key.as_ref().map(|(k, _)| k.to_string()),
        algorithm: "hmac-sha256".into(),
        secret_file: key.map(|(_, p)| p),
    }
}

/// All test zones on `d`, signed with `key` (name, secret file) when given.
fn config(primary: SocketAddr, key: Option<(&str, PathBuf)>) -> DnsConfig {
    DnsConfig {
        servers: vec![],
        zones: [FWD, REV4, REV6, "10.in-addr.arpa"]
            .iter()
            .map(|z| zone(z, primary, key.clone()))
            .collect(),
    }
}

/// The lab key, as a file holding the bare base64 secret. (Not the BIND key file: ddish's
/// key-file reader currently cuts a line at "//", which random base64 secrets can contain.)
fn secret_file(d: &DnsInstance) -> PathBuf {
    let p = d.dir.join("lab-key.secret");
    std::fs::write(&p, format!("{}\n", d.secret_b64)).unwrap();
    p
}

fn lab_config(d: &DnsInstance) -> DnsConfig {
    config(d.addr, Some((&d.key_name, secret_file(d))))
}

fn req(host: &str, ip: &str, ptr: bool) -> RecordRequest {
    RecordRequest {
        zone: FWD.into(),
        hostname: host.into(),
        ip: ip.parse().unwrap(),
        ttl: 3600,
        ptr,
        comment: Some("test box".into()),
    }
}

fn has(records: &[ZoneRecord], name: &str, rtype: &str, data: &str) -> bool {
    records
        .iter()
        .any(|r| r.name == name && r.rtype == rtype && r.data == data)
}

fn failed(s: &StepResult) -> &DnsError {
    match s {
        StepResult::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

async fn serial(d: &DnsInstance, zone: &str) -> u32 {
    query_soa_serial(d.addr, zone, T).await.unwrap().0
}

#[tokio::test]
async fn add_a_and_ptr_then_refuse_duplicate_then_delete() {
    let tmp = common::shared_dir("ddish-dns-");
    let d = start(tmp.path(), common::ports(1));
    let cfg = lab_config(&d);
    let (fwd0, rev0) = (serial(&d, FWD).await, serial(&d, REV4).await);

    // Add A + PTR: both verified; the PTR goes to the longest-matching reverse zone.
    let out = add_record(&cfg, &req("web1", "10.10.0.50", true), T)
        .await
        .unwrap();
    assert_eq!(out.fqdn, "web1.example.test");
    assert_eq!(out.forward, StepResult::Done { verified: true }, "{out:?}");
    assert_eq!(
        out.ptr,
        Some(StepResult::Done { verified: true }),
        "{out:?}"
    );
    assert_eq!(out.ptr_zone.as_deref(), Some(REV4));
    assert_eq!(out.ptr_name.as_deref(), Some("50.0.10.10.in-addr.arpa"));
    assert_eq!(out.comment.as_deref(), Some("test box"));

    let fwd_zone = &cfg.zones[0];
    let rev_zone = &cfg.zones[1];
    let records = axfr(fwd_zone, T).await.unwrap();
    assert!(
        has(&records, "web1.example.test", "A", "10.10.0.50"),
        "{records:?}"
    );
    let web1 = records
        .iter()
        .find(|r| r.name == "web1.example.test")
        .unwrap();
    assert_eq!(web1.ttl, 3600);
    // One SOA only: the closing copy is dropped.
    assert_eq!(records.iter().filter(|r| r.rtype == "SOA").count(), 1);
    let rev = axfr(rev_zone, T).await.unwrap();
    assert!(
        has(&rev, "50.0.10.10.in-addr.arpa", "PTR", "web1.example.test."),
        "{rev:?}"
    );
    let (fwd1, rev1) = (serial(&d, FWD).await, serial(&d, REV4).await);
    assert!(fwd1 > fwd0 && rev1 > rev0, "{fwd0}->{fwd1}, {rev0}->{rev1}");

    // The same name again, with the same or another address: refused, nothing changes.
    for ip in ["10.10.0.50", "10.10.0.51"] {
        let again = add_record(&cfg, &req("web1", ip, true), T).await.unwrap();
        let e = failed(&again.forward);
        assert_eq!(
            e,
            &DnsError::RecordExists {
                name: "web1.example.test".into()
            }
        );
        assert!(e.to_string().starts_with("record already exists"), "{e}");
        assert_eq!(failed(again.ptr.as_ref().unwrap()).kind_label(), "skipped");
    }
    // Absolute form of the name, and a CNAME at the name, are refused as well.
    let again = add_record(&cfg, &req("WEB1.example.test.", "10.10.0.52", false), T)
        .await
        .unwrap();
    assert_eq!(failed(&again.forward).kind_label(), "record-exists");
    let cname = add_record(&cfg, &req("alias", "10.10.0.53", false), T)
        .await
        .unwrap();
    assert_eq!(failed(&cname.forward).kind_label(), "record-exists");
    assert_eq!(
        (serial(&d, FWD).await, serial(&d, REV4).await),
        (fwd1, rev1)
    );
    assert_eq!(axfr(fwd_zone, T).await.unwrap(), records);

    // A PTR that already exists for another name is refused on its own step.
    let taken = add_record(&cfg, &req("gw2", "10.10.0.1", true), T)
        .await
        .unwrap();
    assert_eq!(taken.forward, StepResult::Done { verified: true });
    assert_eq!(
        failed(taken.ptr.as_ref().unwrap()),
        &DnsError::RecordExists {
            name: "1.0.10.10.in-addr.arpa".into()
        }
    );

    // IPv6: AAAA next to the A is fine; its PTR lands in the ip6.arpa zone.
    let v6 = add_record(&cfg, &req("web1", "2001:db8::50", true), T)
        .await
        .unwrap();
    assert_eq!(v6.forward, StepResult::Done { verified: true }, "{v6:?}");
    assert_eq!(v6.ptr, Some(StepResult::Done { verified: true }), "{v6:?}");
    assert_eq!(v6.ptr_zone.as_deref(), Some(REV6));
    let aaaa = lookup(d.addr, "web1.example.test", LookupType::Aaaa, T)
        .await
        .unwrap();
    assert_eq!(aaaa, vec!["2001:db8::50".to_string()]);

    // Delete the v4 pair: both gone from AXFR and lookups; the AAAA stays.
    let del = delete_records(&cfg, FWD, "web1", "10.10.0.50".parse().unwrap(), true, T)
        .await
        .unwrap();
    assert_eq!(del.forward, StepResult::Done { verified: true }, "{del:?}");
    assert_eq!(
        del.ptr,
        Some(StepResult::Done { verified: true }),
        "{del:?}"
    );
    let records = axfr(fwd_zone, T).await.unwrap();
    assert!(!records
        .iter()
        .any(|r| r.name == "web1.example.test" && r.rtype == "A"));
    assert!(has(&records, "web1.example.test", "AAAA", "2001:db8::50"));
    let rev = axfr(rev_zone, T).await.unwrap();
    assert!(
        !rev.iter().any(|r| r.name == "50.0.10.10.in-addr.arpa"),
        "{rev:?}"
    );
    assert!(lookup(d.addr, "web1.example.test", LookupType::A, T)
        .await
        .unwrap()
        .is_empty());
    assert!(
        lookup(d.addr, "50.0.10.10.in-addr.arpa", LookupType::Ptr, T)
            .await
            .unwrap()
            .is_empty()
    );
    // Now the name is free for a new A.
    let readd = add_record(&cfg, &req("web1", "10.10.0.51", false), T)
        .await
        .unwrap();
    assert_eq!(readd.forward, StepResult::Done { verified: true });

    // Deleting only removes the given value: the PTR of gw (10.10.0.1) stays, because the
    // PTR delete is for the name gw2.
    let del = delete_records(&cfg, FWD, "gw2", "10.10.0.1".parse().unwrap(), true, T)
        .await
        .unwrap();
    assert!(del.all_done(), "{del:?}");
    let gw = lookup(d.addr, "1.0.10.10.in-addr.arpa", LookupType::Ptr, T)
        .await
        .unwrap();
    assert_eq!(gw, vec!["gw.example.test".to_string()]);
    let gw = lookup(d.addr, "gw.example.test", LookupType::A, T)
        .await
        .unwrap();
    assert_eq!(gw, vec!["10.10.0.1".to_string()]);
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let tmp = common::shared_dir("ddish-dns-");
    let d = start(tmp.path(), common::ports(1));
    let cfg = lab_config(&d);
    let s0 = serial(&d, FWD).await;

    let mut r = req("web2", "10.10.0.60", true);
    r.zone = "nope.test".into();
    let e = add_record(&cfg, &r, T).await.unwrap_err();
    assert_eq!(e.kind_label(), "unknown-zone");
    assert!(e.to_string().contains("example.test"), "{e}");

    let e = add_record(&cfg, &req("bad_name", "10.10.0.60", false), T)
        .await
        .unwrap_err();
    assert!(matches!(e, DnsError::BadInput(_)), "{e:?}");
    let e = add_record(&cfg, &req("web2.other.test.", "10.10.0.60", false), T)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("not inside zone example.test"),
        "{e}"
    );

    let mut r = req("web2", "10.10.0.60", false);
    r.zone = REV4.into();
    let e = add_record(&cfg, &r, T).await.unwrap_err();
    assert!(e.to_string().contains("reverse zone"), "{e}");

    // PTR asked for an address no configured reverse zone covers.
    let e = add_record(&cfg, &req("web2", "192.0.2.7", true), T)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        DnsError::NoReverseZone {
            ip: "192.0.2.7".parse::<IpAddr>().unwrap()
        }
    );

    // Key name without a secret file.
    let mut half = cfg.clone();
    half.zones[0].secret_file = None;
    let e = add_record(&half, &req("web2", "10.10.0.60", false), T)
        .await
        .unwrap_err();
    assert_eq!(e, DnsError::NoKey { zone: FWD.into() });

    // Unreadable secret file: the error names the file, never a secret.
    let mut missing = cfg.clone();
    missing.zones[1].secret_file = Some(tmp.path().join("no-such.key"));
    let e = add_record(&missing, &req("web2", "10.10.0.60", true), T)
        .await
        .unwrap_err();
    assert_eq!(e.kind_label(), "secret");
    assert!(e.to_string().contains("no-such.key"), "{e}");

    // Nothing above reached the server: no half-done forward record.
    assert_eq!(serial(&d, FWD).await, s0);
    assert!(lookup(d.addr, "web2.example.test", LookupType::A, T)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn wrong_or_missing_tsig_key_gives_clear_errors() {
    let tmp = common::shared_dir("ddish-dns-");
    let d = start(tmp.path(), common::ports(1));
    let s0 = serial(&d, FWD).await;

    // Another valid base64 secret under the right key name: BADSIG.
    let wrong = tmp.path().join("wrong.key");
    std::fs::write(&wrong, data_encoding::BASE64.encode(&[7u8; 32])).unwrap();
    let cfg = config(d.addr, Some((&d.key_name, wrong.clone())));
    let out = add_record(&cfg, &req("web3", "10.10.0.70", true), T)
        .await
        .unwrap();
    let e = failed(&out.forward);
    assert_eq!(
        e,
        &DnsError::TsigRejected {
            zone: FWD.into(),
            server: d.addr
        }
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("TSIG key rejected by {}", d.addr)),
        "{msg}"
    );
    assert!(
        !msg.contains(&d.secret_b64) && !msg.contains("truncated"),
        "{msg}"
    );
    assert_eq!(failed(out.ptr.as_ref().unwrap()).kind_label(), "skipped");
    // The zone transfer with that key is rejected the same way.
    assert_eq!(
        axfr(&cfg.zones[0], T).await.unwrap_err().kind_label(),
        "tsig-rejected"
    );

    // A key name the server does not know: BADKEY, same clear error.
    let cfg = config(d.addr, Some(("other-key", secret_file(&d))));
    let out = add_record(&cfg, &req("web3", "10.10.0.70", false), T)
        .await
        .unwrap();
    assert_eq!(failed(&out.forward).kind_label(), "tsig-rejected");

    // No key configured on a zone that requires one: REFUSED.
    let cfg = config(d.addr, None);
    let out = add_record(&cfg, &req("web3", "10.10.0.70", false), T)
        .await
        .unwrap();
    let e = failed(&out.forward);
    assert_eq!(
        e,
        &DnsError::Refused {
            zone: FWD.into(),
            server: d.addr
        }
    );
    assert!(e.to_string().contains("allow-update"), "{e}");
    let out = delete_records(&cfg, FWD, "gw", "10.10.0.1".parse().unwrap(), false, T)
        .await
        .unwrap();
    assert_eq!(failed(&out.forward).kind_label(), "refused");

    assert_eq!(serial(&d, FWD).await, s0);
    let gw = lookup(d.addr, "gw.example.test", LookupType::A, T)
        .await
        .unwrap();
    assert_eq!(gw, vec!["10.10.0.1".to_string()]);
}

#[tokio::test]
async fn silent_or_absent_server_fails_within_the_timeout() {
    let tmp = common::shared_dir("ddish-dns-");
    let d = start(tmp.path(), common::ports(1));
    let short = Duration::from_millis(800);

    // Nothing listens there.
    let nobody = SocketAddr::from(([127, 0, 0, 1], common::ports(1)));
    let cfg = config(nobody, Some((&d.key_name, secret_file(&d))));
    let out = add_record(&cfg, &req("web4", "10.10.0.80", true), short)
        .await
        .unwrap();
    let e = failed(&out.forward);
    assert_eq!(e.kind_label(), "unreachable", "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("cannot reach {nobody}: nothing listens")),
        "{msg}"
    );
    let e = axfr(&cfg.zones[0], short).await.unwrap_err();
    assert!(
        matches!(&e, DnsError::Unreachable { detail, .. } if detail.contains("connection refused")),
        "{e:?}"
    );
    let e = query_soa_serial(nobody, FWD, short).await.unwrap_err();
    assert_eq!(e.kind_label(), "unreachable", "{e:?}");

    // A hung named (SIGSTOP): timeouts, not hangs.
    let cfg = lab_config(&d);
    d.pause();
    let out = add_record(&cfg, &req("web4", "10.10.0.80", true), short).await;
    let soa = query_soa_serial(d.addr, FWD, short).await;
    let xfr = axfr(&cfg.zones[0], short).await;
    d.resume();
    let out = out.unwrap();
    let e = failed(&out.forward);
    assert_eq!(
        e,
        &DnsError::Timeout {
            server: d.addr,
            secs: 0.8
        }
    );
    assert!(
        e.to_string()
            .contains(&format!("no answer from {} within 0.8 s", d.addr)),
        "{e}"
    );
    assert_eq!(soa.unwrap_err().kind_label(), "timeout");
    assert_eq!(xfr.unwrap_err().kind_label(), "timeout");
    // Running again, it answers.
    assert!(query_soa_serial(d.addr, FWD, T).await.is_ok());
}

#[tokio::test]
async fn soa_serial_on_primary_and_secondary() {
    let tmp = common::shared_dir("ddish-dns-");
    let p = start(tmp.path(), common::ports(1));
    let s = DnsInstance::start_secondary(&tmp.path().join("sec"), common::ports(1), &p)
        .unwrap_or_else(|e| panic!("{e}"));
    let (ps, _, p_aa) = query_soa_serial(p.addr, FWD, T).await.unwrap();
    let (ss, _, s_aa) = query_soa_serial(s.addr, "Example.Test.", T).await.unwrap();
    assert_eq!((ps, p_aa), (1, true));
    assert_eq!((ss, s_aa), (1, true));

    // An update on the primary; the secondary (no NOTIFY) stays behind.
    let out = add_record(&lab_config(&p), &req("web5", "10.10.0.90", false), T)
        .await
        .unwrap();
    assert!(out.all_done(), "{out:?}");
    assert_eq!(query_soa_serial(p.addr, FWD, T).await.unwrap().0, 2);
    assert_eq!(query_soa_serial(s.addr, FWD, T).await.unwrap().0, 1);

    // A zone the server does not hold is not answered authoritatively.
    let e = query_soa_serial(p.addr, "other.test", T).await.unwrap_err();
    assert!(matches!(e.kind_label(), "refused" | "not-auth"), "{e:?}");
}
