//! Lease writes on every HA peer: lease4-add / -update / -del sent through the API are NOT
//! replicated to the partner (KEA_FACTS.md §7), so ddish sends them to each server itself.
use std::net::Ipv4Addr;

use serde_json::{json, Value};
use thiserror::Error;

use super::client::KeaClient;
use super::error::KeaError;

/// Why a lease could not be added on every server. `undone` lists the servers it had been
/// added to and was removed from again; `undo_failed` those where that removal failed.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum LeaseWriteError {
    #[error(
        "{ip} already has a lease on server {server}: nothing was added{}",
        undo_note(undone, undo_failed)
    )]
    Exists {
        server: String,
        ip: String,
        undone: Vec<String>,
        undo_failed: Vec<(String, String)>,
    },

    #[error(
        "adding the lease for {ip} failed: {source}{}{}",
        undo_note(undone, undo_failed),
        unknown_note(ip, unknown)
    )]
    Failed {
        server: String,
        ip: String,
        source: KeaError,
        undone: Vec<String>,
        undo_failed: Vec<(String, String)>,
        /// Servers that may have taken the add (no answer) and could not be asked since.
        unknown: Vec<String>,
    },

    #[error("the lease to add has no valid ip-address ({0}); nothing was sent")]
    Invalid(String),
}

fn undo_note(undone: &[String], failed: &[(String, String)]) -> String {
    let mut s = String::new();
    if !undone.is_empty() {
        s += &format!(
            "; it had been added on {} and was removed there again, so the servers agree",
            undone.join(", ")
        );
    }
    for (server, e) in failed {
        s += &format!(
            "; removing it again from {server} FAILED ({e}): delete it there by hand (lease4-del)"
        );
    }
    s
}

fn unknown_note(ip: &str, unknown: &[String]) -> String {
    if unknown.is_empty() {
        return String::new();
    }
    format!(
        "; whether {} took it is UNKNOWN (no answer, and none when asked again): check with \
         `ddish ip show {ip}` once it answers and release it there if it is held",
        unknown.join(", ")
    )
}

/// Whether a request that ended in `e` may still have been carried out: the server got it
/// (or may have) but its answer was lost, late or unreadable.
fn may_have_landed(e: &KeaError) -> bool {
    matches!(
        e,
        KeaError::Timeout { .. } | KeaError::Unreachable { .. } | KeaError::Malformed { .. }
    )
}

/// After an add whose answer was lost: did `c` take it? `Some(true)` when it holds a lease
/// for `ip` with the same hardware address and user-context (ours), `Some(false)` when it holds none or
/// another client's, `None` when it cannot tell either.
async fn took_it(c: &KeaClient, ip: Ipv4Addr, args: &Value) -> Option<bool> {
    match c
        .call("lease4-get", Some(json!({"ip-address": ip.to_string()})))
        .await
    {
        Ok(v) if v.is_empty() => Some(false),
        Ok(v) => {
            let hw = |a: Option<&Value>| {
                a.and_then(|a| a.get("hw-address"))
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
            };
            let ctx = |a: Option<&Value>| a.and_then(|a| a.get("user-context")).cloned();
            // Holds all use hw 00:..:00; their user-context (who, when) tells ours apart.
            Some(
                hw(v.arguments.as_ref()) == hw(Some(args))
                    && (args.get("user-context").is_none()
                        || ctx(v.arguments.as_ref()) == ctx(Some(args))),
            )
        }
        Err(KeaError::Failed { .. }) => Some(false),
        Err(_) => None,
    }
}

/// `lease4-add` with `args` on each server in order. Stops at the first server that already
/// has a lease for the address (`Exists`) or fails otherwise (`Failed`); then the lease is
/// deleted again from the servers it was added to, so all servers keep agreeing. Returns the
/// servers it was added to (all of them).
pub async fn lease_add_all(
    clients: &[&KeaClient],
    args: &Value,
) -> Result<Vec<String>, LeaseWriteError> {
    let ip: Ipv4Addr = args
        .get("ip-address")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            LeaseWriteError::Invalid(
                args.get("ip-address")
                    .map_or_else(|| "missing".to_string(), Value::to_string),
            )
        })?;
    let mut done: Vec<&KeaClient> = Vec::new();
    for c in clients {
        let err = match c.call_ref("lease4-add", Some(args)).await {
            Ok(_) => {
                done.push(c);
                continue;
            }
            Err(e) => e,
        };
        // An answer lost after the server got the add: ask it, and undo there too if it
        // took it; if it cannot say, report that instead of "nothing was added".
        let mut unknown = Vec::new();
        if may_have_landed(&err) {
            match took_it(c, ip, args).await {
                Some(true) => done.push(c),
                Some(false) => {}
                None => unknown.push(c.server_name().to_string()),
            }
        }
        let (undone, undo_failed) = undo_adds(&done, ip).await;
        let server = c.server_name().to_string();
        return Err(match err {
            KeaError::Failed { ref text, .. } if text.contains("already exists") => {
                LeaseWriteError::Exists {
                    server,
                    ip: ip.to_string(),
                    undone,
                    undo_failed,
                }
            }
            source => LeaseWriteError::Failed {
                server,
                ip: ip.to_string(),
                source,
                undone,
                undo_failed,
                unknown,
            },
        });
    }
    Ok(done.iter().map(|c| c.server_name().to_string()).collect())
}

async fn undo_adds(done: &[&KeaClient], ip: Ipv4Addr) -> (Vec<String>, Vec<(String, String)>) {
    let mut undone = Vec::new();
    let mut failed = Vec::new();
    for c in done {
        match lease_del(c, ip).await {
            Ok(_) => undone.push(c.server_name().to_string()),
            Err(e) => failed.push((c.server_name().to_string(), e.to_string())),
        }
    }
    (undone, failed)
}

async fn lease_del(c: &KeaClient, ip: Ipv4Addr) -> Result<bool, KeaError> {
    let r = c
        .call("lease4-del", Some(json!({"ip-address": ip.to_string()})))
        .await?;
    Ok(!r.is_empty())
}

/// `lease4-del` of `ip` on every server; each result says whether a lease was there.
pub async fn lease_del_all(
    clients: &[&KeaClient],
    ip: Ipv4Addr,
) -> Vec<(String, Result<bool, KeaError>)> {
    let mut out = Vec::with_capacity(clients.len());
    for c in clients {
        out.push((c.server_name().to_string(), lease_del(c, ip).await));
    }
    out
}

/// `lease4-update` with `args` on every server (add `"force-create": true` to create it where
/// it is missing); one result per server.
pub async fn lease_update_all(
    clients: &[&KeaClient],
    args: &Value,
) -> Vec<(String, Result<(), KeaError>)> {
    let mut out = Vec::with_capacity(clients.len());
    for c in clients {
        let r = c.call_ref("lease4-update", Some(args)).await.map(|_| ());
        out.push((c.server_name().to_string(), r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_undone() {
        let e = LeaseWriteError::Exists {
            server: "kea-2".into(),
            ip: "10.10.0.50".into(),
            undone: vec!["kea-1".into()],
            undo_failed: vec![],
        };
        assert_eq!(
            e.to_string(),
            "10.10.0.50 already has a lease on server kea-2: nothing was added; it had been added on kea-1 and was removed there again, so the servers agree"
        );
        let e = LeaseWriteError::Exists {
            server: "kea-2".into(),
            ip: "10.10.0.50".into(),
            undone: vec![],
            undo_failed: vec![("kea-1".into(), "timeout".into())],
        };
        assert!(e
            .to_string()
            .contains("FAILED (timeout): delete it there by hand"));
    }
}
