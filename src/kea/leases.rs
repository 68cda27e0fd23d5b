//! Lease lists (lease4-get-all, lease4-get-page) straight from the response bytes into
//! `model::Lease`: a /16 brings 65,000 leases (16 MB), so no `serde_json::Value` tree is
//! built for them; fields are borrowed from the body where JSON escapes allow.
use std::borrow::Cow;
use std::net::Ipv4Addr;

use serde::Deserialize;
use serde_json::Value;

use super::error::KeaError;
use super::reply::{decode, RESULT_EMPTY};
use crate::model::lease::{parse_hex_bytes, LeaseExtra};
use crate::model::{HwAddr, Lease, LeaseMark, LeaseState};

#[derive(Deserialize)]
struct LeaseArgs<'a> {
    #[serde(borrow, default)]
    leases: Vec<RawLease<'a>>,
}

/// Numbers are read wide and clamped so one odd value can't fail a whole /16.
#[derive(Deserialize)]
struct RawLease<'a> {
    #[serde(rename = "ip-address", borrow)]
    ip: Cow<'a, str>,
    #[serde(rename = "hw-address", borrow, default)]
    hw: Option<Cow<'a, str>>,
    #[serde(rename = "client-id", borrow, default)]
    client_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hostname: Option<Cow<'a, str>>,
    #[serde(default)]
    cltt: i64,
    #[serde(rename = "valid-lft", default)]
    valid_lft: i64,
    #[serde(default)]
    state: i64,
    #[serde(rename = "subnet-id", default)]
    subnet_id: i64,
    #[serde(rename = "user-context", default)]
    user_context: Option<LeaseContext>,
}

/// Only ddish's own key is read; other tools' user-context is skipped without building it.
#[derive(Deserialize)]
struct LeaseContext {
    #[serde(default)]
    ddish: Option<Value>,
}

/// Parses a full HTTP response body of lease4-get-all / lease4-get-page. Result 3 (no
/// leases) gives an empty list. Leases with an unreadable address are skipped.
pub fn parse_leases(body: &[u8]) -> Result<Vec<Lease>, KeaError> {
    parse_leases_for(body, "lease4-get-all")
}

pub(crate) fn parse_leases_for(body: &[u8], command: &str) -> Result<Vec<Lease>, KeaError> {
    let reply = decode::<LeaseArgs<'_>>(body, command)?;
    if reply.result == RESULT_EMPTY {
        return Ok(Vec::new());
    }
    let raw = reply.arguments.map(|a| a.leases).unwrap_or_default();
    let mut out = Vec::with_capacity(raw.len());
    let mut skipped = 0usize;
    for r in raw {
        match convert(r) {
            Some(l) => out.push(l),
            None => skipped += 1,
        }
    }
    if skipped > 0 {
        tracing::warn!(
            skipped,
            "{command}: skipped leases with an unreadable ip-address"
        );
    }
    Ok(out)
}

/// One lease as lease4-add / lease4-update take it or lease4-get gives it (`None` when its
/// address is unreadable). A lease that is being added has no `cltt` yet: give it `now`.
pub fn lease_of(v: &Value, now: i64) -> Option<Lease> {
    let mut l = convert(RawLease::deserialize(v).ok()?)?;
    if v.get("cltt").is_none() {
        l.cltt = now;
    }
    Some(l)
}

fn convert(r: RawLease<'_>) -> Option<Lease> {
    let ip: Ipv4Addr = r.ip.parse().ok()?;
    let hw =
        r.hw.as_deref()
            .and_then(HwAddr::parse)
            .unwrap_or(HwAddr::None);
    let client_id = r
        .client_id
        .as_deref()
        .and_then(parse_hex_bytes)
        .filter(|b| !b.is_empty())
        .map(Vec::into_boxed_slice);
    let hostname = r
        .hostname
        .filter(|h| !h.is_empty())
        .map(|h| Box::<str>::from(h.as_ref()));
    let (mark, extra) = match r.user_context.and_then(|c| c.ddish) {
        Some(d) => ddish_mark(&d),
        None => (LeaseMark::None, None),
    };
    Some(Lease {
        ip,
        subnet_id: clamp_u32(r.subnet_id),
        hw,
        client_id,
        hostname,
        cltt: r.cltt,
        valid_lft: clamp_u32(r.valid_lft),
        state: LeaseState::from_kea(r.state),
        mark,
        extra,
    })
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

/// `user-context.ddish`: `{"held": true}` / `{"claimed": true}`, `comment`, `by`.
fn ddish_mark(d: &Value) -> (LeaseMark, Option<Box<LeaseExtra>>) {
    let flag = |k: &str| d.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mark = if flag("held") {
        LeaseMark::Held
    } else if flag("claimed") {
        LeaseMark::Claimed
    } else {
        LeaseMark::None
    };
    let text = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Box::<str>::from)
    };
    let extra = LeaseExtra {
        comment: text("comment"),
        by: text("by"),
    };
    let extra = (extra != LeaseExtra::default()).then(|| Box::new(extra));
    (mark, extra)
}

/// The lease `c` has on `ip` (lease4-get), `None` when there is none (Kea's result 3).
pub async fn lease_at(c: &super::KeaClient, ip: Ipv4Addr) -> Result<Option<Lease>, KeaError> {
    let r = c
        .call(
            "lease4-get",
            Some(serde_json::json!({"ip-address": ip.to_string()})),
        )
        .await?;
    Ok(if r.is_empty() {
        None
    } else {
        // lease4-get always carries cltt: the `now` for a lease being added is unused.
        r.arguments.as_ref().and_then(|a| lease_of(a, 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lease_from_its_arguments() {
        let l = lease_of(
            &serde_json::json!({"ip-address": "10.0.0.5", "subnet-id": 7,
                "hw-address": "00:00:00:00:00:00", "valid-lft": 600,
                "user-context": {"ddish": {"held": true, "by": "ann"}}}),
            1000,
        )
        .unwrap();
        assert_eq!(l.ip, Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!((l.subnet_id, l.cltt, l.valid_lft), (7, 1000, 600));
        assert_eq!(l.mark, LeaseMark::Held);
        let read = lease_of(
            &serde_json::json!({"ip-address": "10.0.0.5", "cltt": 5}),
            1000,
        );
        assert_eq!(read.unwrap().cltt, 5);
        assert!(lease_of(&serde_json::json!({"ip-address": "x"}), 0).is_none());
    }

    const FULL: &str = r#"[{"arguments":{"leases":[
      {"client-id":"01:aa:bb:cc:00:00:02","cltt":1795431530,"fqdn-fwd":true,"fqdn-rev":true,
       "hostname":"pc-2","hw-address":"aa:bb:cc:00:00:02","ip-address":"10.10.0.121","state":0,
       "subnet-id":1,"valid-lft":600},
      {"cltt":1795431000,"fqdn-fwd":false,"fqdn-rev":false,"hostname":"","hw-address":"00:00:00:00:00:00",
       "ip-address":"10.10.0.122","state":0,"subnet-id":1,"valid-lft":4294967295,
       "user-context":{"ddish":{"held":true,"comment":"for the new printer","by":"alice"},"other":{"x":[1,2]}}},
      {"cltt":1,"hostname":"caf\u00e9","hw-address":"aa:bb:cc:00:00:03","ip-address":"10.10.0.123",
       "state":1,"subnet-id":1,"valid-lft":600,"user-context":{"ddish":{"claimed":true}}},
      {"cltt":1,"hw-address":"","client-id":"01aabb","ip-address":"10.10.0.124","state":2,"subnet-id":1,"valid-lft":0},
      {"cltt":1,"hw-address":"aa:bb","ip-address":"not-an-ip","state":0,"subnet-id":1,"valid-lft":0}
    ]},"result":0,"text":"4 IPv4 lease(s) found."}]"#;

    #[test]
    fn fields_and_marks() {
        let l = parse_leases(FULL.as_bytes()).unwrap();
        assert_eq!(l.len(), 4, "the unreadable address is skipped");
        assert_eq!(l[0].ip, Ipv4Addr::new(10, 10, 0, 121));
        assert_eq!(l[0].hw.to_string(), "aa:bb:cc:00:00:02");
        assert_eq!(
            l[0].client_id.as_deref(),
            Some(&[1u8, 0xaa, 0xbb, 0xcc, 0, 0, 2][..])
        );
        assert_eq!(l[0].hostname.as_deref(), Some("pc-2"));
        assert_eq!(
            (l[0].cltt, l[0].valid_lft, l[0].subnet_id),
            (1795431530, 600, 1)
        );
        assert_eq!(l[0].mark, LeaseMark::None);
        assert!(l[0].extra.is_none());

        assert_eq!(l[1].hostname, None, "empty hostname is None");
        assert!(l[1].hw.is_zero());
        assert_eq!(l[1].valid_lft, Lease::INFINITE);
        assert_eq!(l[1].mark, LeaseMark::Held);
        assert_eq!(l[1].comment(), Some("for the new printer"));
        assert_eq!(l[1].extra.as_ref().unwrap().by.as_deref(), Some("alice"));

        assert_eq!(
            l[2].hostname.as_deref(),
            Some("café"),
            "escaped strings work"
        );
        assert_eq!(l[2].state, LeaseState::Declined);
        assert_eq!(l[2].mark, LeaseMark::Claimed);
        assert!(l[2].extra.is_none());

        assert!(l[3].hw.is_none());
        assert_eq!(l[3].client_id.as_deref(), Some(&[1u8, 0xaa, 0xbb][..]));
        assert_eq!(l[3].state, LeaseState::ExpiredReclaimed);
    }

    #[test]
    fn page_and_empty_replies() {
        let page = br#"[{"arguments":{"count":1,"leases":[{"cltt":5,"hw-address":"aa:bb:cc:dd:ee:ff","ip-address":"10.0.0.1","state":0,"subnet-id":7,"valid-lft":60}]},"result":0,"text":"1 IPv4 lease(s) found."}]"#;
        let l = parse_leases(page).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].subnet_id, 7);
        let end = br#"[{"arguments":{"count":0,"leases":[]},"result":3,"text":"0 IPv4 lease(s) found."}]"#;
        assert!(parse_leases(end).unwrap().is_empty());
        let none = br#"[{"result":3,"text":"0 IPv4 lease(s) found."}]"#;
        assert!(parse_leases(none).unwrap().is_empty());
    }

    #[test]
    fn errors_pass_through() {
        assert!(matches!(
            parse_leases(br#"{ "result": 401, "text": "Unauthorized" }"#),
            Err(KeaError::Unauthorized { .. })
        ));
        assert!(matches!(
            parse_leases(br#"[{"result":2,"text":"'lease4-get-all' command not supported."}]"#),
            Err(KeaError::Unsupported { .. })
        ));
        assert!(matches!(
            parse_leases(br#"[{"arguments":{"leases":[{"hw-address":"x"}]},"result":0}]"#),
            Err(KeaError::Malformed { .. })
        ));
    }
}
