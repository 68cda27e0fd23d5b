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

/// Whether `lease` (lease4-get's arguments) is the one `args` added: same hardware address
/// and, when `args` has one, the same user-context (holds all use hw 00:..:00; who and when
/// tell them apart).
fn is_ours(lease: &Value, args: &Value) -> bool {
    let hw = |a: &Value| {
        a.get("hw-address")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    hw(lease) == hw(args)
        && (args.get("user-context").is_none()
            || lease.get("user-context") == args.get("user-context"))
}

/// Whether `lease` carries ddish's mark `mark` ("held", "claimed") in its user-context.
pub fn has_mark(lease: &Value, mark: &str) -> bool {
    lease["user-context"]["ddish"][mark] == Value::Bool(true)
}

/// The lease `c` has for `ip` now (lease4-get's arguments), `None` when it has none (Kea's
/// result 3); an error when it cannot tell.
async fn current(c: &KeaClient, ip: Ipv4Addr) -> Result<Option<Value>, KeaError> {
    let r = c
        .call("lease4-get", Some(json!({"ip-address": ip.to_string()})))
        .await?;
    Ok(if r.is_empty() {
        None
    } else {
        Some(r.arguments.unwrap_or(Value::Null))
    })
}

/// After an add whose answer was lost: did `c` take it? `Some(true)` when it holds the
/// lease `args` describes, `Some(false)` when it holds none or another, `None` when it
/// cannot tell either.
async fn took_it(c: &KeaClient, ip: Ipv4Addr, args: &Value) -> Option<bool> {
    match current(c, ip).await {
        Ok(Some(l)) => Some(is_ours(&l, args)),
        Ok(None) => Some(false),
        Err(_) => None,
    }
}

/// What a guarded delete did on one server.
#[derive(Clone, Debug, PartialEq)]
pub enum Deleted {
    /// The lease was ours and is gone.
    Yes,
    /// There was no lease.
    Absent,
    /// The address has another lease now (e.g. the HA partner gave it to a client meanwhile
    /// and told this server): left alone. Holds that lease's hardware address.
    Kept(String),
}

/// `lease4-del` of `ip` on `c` only if its lease there is `ours`: between reading a lease
/// and deleting it, an HA partner may have replaced it with a client's, which a blind
/// delete would remove (measured in tests/faults_dhcp.rs). Kea has no conditional delete,
/// so a window of one round trip remains.
async fn del_if(
    c: &KeaClient,
    ip: Ipv4Addr,
    ours: &(dyn Fn(&Value) -> bool + Sync),
) -> Result<Deleted, KeaError> {
    let Some(lease) = current(c, ip).await? else {
        return Ok(Deleted::Absent);
    };
    if !ours(&lease) {
        let hw = lease["hw-address"]
            .as_str()
            .unwrap_or("no hardware address");
        return Ok(Deleted::Kept(hw.to_string()));
    }
    Ok(if lease_del(c, ip).await? {
        Deleted::Yes
    } else {
        Deleted::Absent
    })
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
        let (undone, undo_failed) = undo_adds(clients, &done, ip, args).await;
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

/// Removes the lease `args` added from `done`, and leaves `everyone` agreeing (a partner
/// may have given the address to a client meanwhile: that lease stays, see [`copy_back`]).
async fn undo_adds(
    everyone: &[&KeaClient],
    done: &[&KeaClient],
    ip: Ipv4Addr,
    args: &Value,
) -> (Vec<String>, Vec<(String, String)>) {
    let mut undone = Vec::new();
    let mut failed = Vec::new();
    if done.is_empty() {
        return (undone, failed);
    }
    // In reverse: the first server added to (the one handing the address out, see
    // ops::peers::serving_first) lets it go last.
    let reversed: Vec<&KeaClient> = done.iter().rev().copied().collect();
    for (server, r) in del_then_agree(&reversed, everyone, ip, &|l| is_ours(l, args), true).await {
        match r {
            // Gone, or replaced by a client's lease: ddish's add is undone either way.
            Ok(_) => undone.push(server),
            Err(e) => failed.push((server, e.to_string())),
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

/// `lease4-del` of `ip` on every server, in order, where its lease is `ours` (see
/// [`del_if`]); one result per server. With `repair`, the servers are then made to agree
/// again: if a partner gave the address to a client while ddish was deleting (and told the
/// others, replacing ddish's lease there just before ddish deleted it), that client's lease
/// is copied back from the server that has it ([`copy_back`]); such repairs come back as
/// `Kept` notes too. Without it (the caller deletes on the only server that can hand the
/// address out last, so that race cannot happen), a client lease found on the last server
/// is only the new binding on its way to the partner, not something to copy.
pub async fn lease_del_all(
    clients: &[&KeaClient],
    ip: Ipv4Addr,
    ours: &(dyn Fn(&Value) -> bool + Sync),
    repair: bool,
) -> Vec<(String, Result<Deleted, KeaError>)> {
    del_then_agree(clients, clients, ip, ours, repair).await
}

/// Deletes ddish's lease of `ip` on `targets`, then makes `everyone` agree ([`copy_back`]).
async fn del_then_agree(
    targets: &[&KeaClient],
    everyone: &[&KeaClient],
    ip: Ipv4Addr,
    ours: &(dyn Fn(&Value) -> bool + Sync),
    repair: bool,
) -> Vec<(String, Result<Deleted, KeaError>)> {
    let mut out = Vec::with_capacity(targets.len());
    let mut deleted = Vec::new();
    for c in targets {
        let r = del_if(c, ip, ours).await;
        if r == Ok(Deleted::Yes) {
            deleted.push(*c);
        }
        out.push((c.server_name().to_string(), r));
    }
    if repair && everyone.len() > 1 && !deleted.is_empty() {
        for (server, r) in copy_back(everyone, &deleted, ip, ours).await {
            if let Some(o) = out.iter_mut().find(|(n, _)| *n == server) {
                o.1 = r.map(Deleted::Kept);
            }
        }
    }
    out
}

/// Fields of a lease4-get answer that lease4-update takes.
const LEASE_FIELDS: [&str; 10] = [
    "ip-address",
    "subnet-id",
    "hw-address",
    "client-id",
    "valid-lft",
    "hostname",
    "fqdn-fwd",
    "fqdn-rev",
    "state",
    "user-context",
];

/// After ddish deleted its lease of `ip` on `deleted`: where another server holds a lease
/// that is not ddish's (a client's) and a server in `deleted` now has none, that lease is
/// written there (lease4-update, force-create, same expiry). Returns (server, client hw)
/// of each lease put back, or why it could not be. Without it, the HA race measured in
/// tests/faults_dhcp.rs (the serving peer hands the freed address to a client and
/// replicates it to its partner between ddish's check and delete there) leaves that
/// client's lease on one peer only. A lease its client released in that same moment can
/// come back on one peer this way (shown as used until it expires; never given twice).
async fn copy_back(
    clients: &[&KeaClient],
    deleted: &[&KeaClient],
    ip: Ipv4Addr,
    ours: &(dyn Fn(&Value) -> bool + Sync),
) -> Vec<(String, Result<String, KeaError>)> {
    let mut theirs = None;
    let mut lacking = Vec::new();
    for c in clients {
        match current(c, ip).await {
            Ok(Some(l)) if !ours(&l) => theirs = theirs.or(Some(l)),
            Ok(None) if deleted.iter().any(|d| std::ptr::eq(*d, *c)) => lacking.push(*c),
            _ => {}
        }
    }
    let Some(lease) = theirs else {
        return Vec::new();
    };
    let mut args = json!({"force-create": true});
    for f in LEASE_FIELDS {
        if let Some(v) = lease.get(f) {
            args[f] = v.clone();
        }
    }
    if let (Some(cltt), Some(lft)) = (lease["cltt"].as_i64(), lease["valid-lft"].as_i64()) {
        args["expire"] = json!(cltt + lft);
    }
    let hw = lease["hw-address"].as_str().unwrap_or("").to_string();
    let mut out = Vec::new();
    for c in lacking {
        let r = c.call_ref("lease4-update", Some(&args)).await;
        tracing::warn!(server = c.server_name(), %ip, hw, ok = r.is_ok(), "client lease copied back");
        out.push((c.server_name().to_string(), r.map(|_| hw.clone())));
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
