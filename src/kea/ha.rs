//! HA pairs: who a server's partners are (from its HA hook config), checking HA hook
//! parameters (config-test does not, KEA_FACTS.md §12), and one config change on both peers
//! set back to back.
use futures_util::future::join_all;
use serde_json::Value;

use super::client::KeaClient;
use super::lean::Reach;
use super::semantic::dhcp4;
use super::write::{
    apply, back_out, finish, prepare, restore, Base, Prepared, Ready, WriteError, WriteOutcome,
};

/// One HA partner of a server, as its HA hook config names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaPeer {
    pub name: String,
    /// Its Control Agent, e.g. `http://127.0.0.1:18002/`.
    pub url: String,
    /// `primary`, `secondary`, `standby` or `backup`.
    pub role: String,
}

/// The HA relationships of a config: the `high-availability` entries of libdhcp_ha.so.
fn ha_relationships(config: &Value) -> Vec<&Value> {
    let hooks = dhcp4(config)
        .and_then(|d| d.get("hooks-libraries"))
        .and_then(Value::as_array);
    hooks
        .into_iter()
        .flatten()
        .filter(|h| {
            h.get("library")
                .and_then(Value::as_str)
                .is_some_and(|l| l.rsplit('/').next() == Some("libdhcp_ha.so"))
        })
        .flat_map(|h| {
            h.pointer("/parameters/high-availability")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect()
}

/// The HA partner(s) of a server from its config (`{"Dhcp4": ...}` or the Dhcp4 object):
/// every peer other than `this-server-name`. Empty without the HA hook.
pub fn ha_peers(dhcp4_config: &Value) -> Vec<HaPeer> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    ha_relationships(dhcp4_config)
        .into_iter()
        .flat_map(|rel| {
            let me = s(rel, "this-server-name");
            rel.get("peers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(move |p| p.get("name").and_then(Value::as_str) != Some(me.as_str()))
                .map(|p| HaPeer {
                    name: s(p, "name"),
                    url: s(p, "url"),
                    role: s(p, "role"),
                })
        })
        .collect()
}

const HA_NUMBERS: [&str; 9] = [
    "heartbeat-delay",
    "max-response-delay",
    "max-ack-delay",
    "max-unacked-clients",
    "sync-timeout",
    "sync-page-limit",
    "delayed-updates-limit",
    "max-rejected-lease-updates",
    "wait-backup-ack-timeout",
];
const HA_BOOLS: [&str; 5] = [
    "send-lease-updates",
    "sync-leases",
    "wait-backup-ack",
    "require-client-certs",
    "restrict-commands",
];

/// Checks the HA hook's parameters the way Kea would when loading it (config-test does not):
/// mode, this-server-name among the peers, peer names, URLs and roles for the mode, numbers
/// and booleans of the right type. Ok without an HA hook. Kea checks more than this (e.g.
/// `state-machine` states), which is why a failed config-set is still rolled back.
pub fn validate_ha(config: &Value) -> Result<(), String> {
    for rel in ha_relationships(config) {
        validate_relationship(rel)?;
    }
    Ok(())
}

fn validate_relationship(rel: &Value) -> Result<(), String> {
    let mode = rel.get("mode").and_then(Value::as_str).unwrap_or("");
    let roles: &[&str] = match mode {
        "load-balancing" => &["primary", "secondary", "backup"],
        "hot-standby" => &["primary", "standby", "backup"],
        "passive-backup" => &["primary", "backup"],
        _ => {
            return Err(format!(
                "mode {:?} is not load-balancing, hot-standby or passive-backup",
                rel.get("mode").unwrap_or(&Value::Null)
            ))
        }
    };
    for k in HA_NUMBERS {
        if rel.get(k).is_some_and(|v| v.as_u64().is_none()) {
            return Err(format!(
                "{k} must be a whole number of 0 or more, not {}",
                rel[k]
            ));
        }
    }
    for k in HA_BOOLS {
        if rel.get(k).is_some_and(|v| !v.is_boolean()) {
            return Err(format!("{k} must be true or false, not {}", rel[k]));
        }
    }
    let peers = rel
        .get("peers")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or("it lists no peers")?;
    let mut names = Vec::new();
    for p in peers {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or("a peer has no name")?;
        if names.contains(&name) {
            return Err(format!("peer {name} is listed twice"));
        }
        names.push(name);
        let url = p.get("url").and_then(Value::as_str).unwrap_or("");
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "peer {name}: url {url:?} must start with http:// or https://"
            ));
        }
        let role = p.get("role").and_then(Value::as_str).unwrap_or("");
        if !roles.contains(&role) {
            return Err(format!(
                "peer {name}: role {role:?} is not valid in {mode} mode (use one of {})",
                roles.join(", ")
            ));
        }
        if p.get("auto-failover").is_some_and(|v| !v.is_boolean()) {
            return Err(format!("peer {name}: auto-failover must be true or false"));
        }
    }
    let count = |r: &str| {
        peers
            .iter()
            .filter(|p| p.get("role").and_then(Value::as_str) == Some(r))
            .count()
    };
    let partner = match mode {
        "load-balancing" => Some("secondary"),
        "hot-standby" => Some("standby"),
        _ => None,
    };
    if count("primary") != 1 {
        return Err("exactly one peer must be primary".into());
    }
    if let Some(r) = partner.filter(|r| count(r) != 1) {
        return Err(format!("exactly one peer must be {r} in {mode} mode"));
    }
    let me = rel
        .get("this-server-name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !names.contains(&me) {
        return Err(format!(
            "this-server-name {me:?} is not one of its peers ({})",
            names.join(", ")
        ));
    }
    Ok(())
}

/// A config change on an HA pair (KEA_FACTS.md §12): the same `edit` on each peer's own
/// config. Every check (base, invariants, unchanged meanwhile, config-test) runs on all peers
/// first; if any fails nothing is written anywhere. Then config-set on each back to back,
/// the server holding the leases first (a peer in partner-down, else the HA primary, else
/// the given order), then config-write and read-back on each. If a later peer's config-set
/// fails, the earlier ones get their last good config back (`RolledBack`).
///
/// `bases[i]` belongs to `clients[i]` (`None` or missing: a fresh config-get). The results
/// come in the order of `clients`.
pub async fn safe_config_edit_pair<F>(
    clients: &[&KeaClient],
    bases: &[Option<&Value>],
    edit: F,
) -> Vec<(String, Result<WriteOutcome, WriteError>)>
where
    F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
{
    safe_config_edit_pair_allowing(clients, bases, &[], edit).await
}

/// [`safe_config_edit_pair`] with guarded keys allowed to change (see
/// `safe_config_edit_allowing`).
pub async fn safe_config_edit_pair_allowing<F>(
    clients: &[&KeaClient],
    bases: &[Option<&Value>],
    allow: &[&str],
    edit: F,
) -> Vec<(String, Result<WriteOutcome, WriteError>)>
where
    F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
{
    let bases = (0..clients.len())
        .map(|i| Base::seen_or_fetch(bases.get(i).copied().flatten()))
        .collect();
    safe_config_edit_pair_on(clients, bases, allow, &Reach::Whole, edit).await
}

/// [`safe_config_edit_pair_allowing`] with each peer's [`Base`] given: `Base::Fresh` for a
/// config the action itself has just read (no second config-get of a big config).
pub async fn safe_config_edit_pair_on<F>(
    clients: &[&KeaClient],
    bases: Vec<Base<'_>>,
    allow: &[&str],
    reach: &Reach,
    edit: F,
) -> Vec<(String, Result<WriteOutcome, WriteError>)>
where
    F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
{
    let names: Vec<String> = clients
        .iter()
        .map(|c| c.server_name().to_string())
        .collect();
    let order = lease_holder_order(clients).await;
    let edit = &edit;
    let mut bases = bases.into_iter();
    let prepared = join_all(clients.iter().map(|c| {
        let base = bases.next().unwrap_or(Base::Fetch);
        prepare(c, base, allow, reach, edit)
    }))
    .await;

    commit_prepared(names, prepared, &order).await
}

/// The writing half of a change on several servers, once every server's change is prepared
/// (checked, config-tested): if any preparation failed, nothing is written anywhere; else
/// config-set in `order` back to back, earlier servers put back when a later one refuses
/// (`RolledBack`), then config-write and read-back on each. Results in the servers' order.
pub(super) async fn commit_prepared(
    names: Vec<String>,
    prepared: Vec<Result<Prepared<'_>, WriteError>>,
    order: &[usize],
) -> Vec<(String, Result<WriteOutcome, WriteError>)> {
    let mut results: Vec<Option<Result<WriteOutcome, WriteError>>> = vec![None; names.len()];
    let mut ready: Vec<Option<Box<Ready>>> = Vec::new();
    let mut first_failure: Option<(String, String)> = None;
    for (i, p) in prepared.into_iter().enumerate() {
        match p {
            Ok(Prepared::Nothing(o)) => {
                results[i] = Some(Ok(*o));
                ready.push(None);
            }
            Ok(Prepared::Ready(r)) => ready.push(Some(r)),
            Err(e) => {
                first_failure.get_or_insert_with(|| (names[i].clone(), e.to_string()));
                results[i] = Some(Err(e));
                ready.push(None);
            }
        }
    }
    if let Some((peer, reason)) = first_failure {
        for (i, r) in ready.iter().enumerate() {
            if r.is_some() {
                results[i] = Some(Err(WriteError::PeerFailed {
                    server: names[i].clone(),
                    peer: peer.clone(),
                    reason: reason.clone(),
                }));
            }
        }
        return collect(names, results);
    }

    // config-set back to back, lease holder first.
    let mut applied: Vec<usize> = Vec::new();
    for &i in order {
        let Some(p) = &ready[i] else { continue };
        match apply(p).await {
            Ok(()) => applied.push(i),
            Err(e) => {
                let reason = e.to_string();
                if matches!(e, WriteError::Unsettled { .. }) {
                    // Still applying (its config-set unanswered): a second config-set must
                    // not go over it, and it will most likely end on the new side, so the
                    // peers already changed keep the change (saved and verified) instead
                    // of being rolled back to a side this one may not end on. Said as
                    // "unknown".
                    results[i] = Some(Err(e));
                    for &j in &applied {
                        if let Some(q) = &ready[j] {
                            results[j] = Some(finish(q).await);
                        }
                    }
                } else {
                    // The config-set took here but the check after it failed (list-commands
                    // did not answer): this peer goes back too, so no peer is left alone
                    // on the new side while the others are rolled back.
                    results[i] = Some(Err(if e.changed_server() {
                        back_out(p, reason.clone()).await
                    } else {
                        e
                    }));
                    for &j in &applied {
                        let Some(q) = &ready[j] else { continue };
                        let restore_error = restore(q).await.err();
                        results[j] = Some(Err(WriteError::RolledBack {
                            server: names[j].clone(),
                            peer: names[i].clone(),
                            restored: restore_error.is_none(),
                            restore_error,
                        }));
                    }
                }
                for (j, r) in ready.iter().enumerate() {
                    if r.is_some() && results[j].is_none() {
                        results[j] = Some(Err(WriteError::PeerFailed {
                            server: names[j].clone(),
                            peer: names[i].clone(),
                            reason: reason.clone(),
                        }));
                    }
                }
                return collect(names, results);
            }
        }
    }
    for i in applied {
        if let Some(p) = &ready[i] {
            results[i] = Some(finish(p).await);
        }
    }
    collect(names, results)
}

fn collect(
    names: Vec<String>,
    results: Vec<Option<Result<WriteOutcome, WriteError>>>,
) -> Vec<(String, Result<WriteOutcome, WriteError>)> {
    names
        .into_iter()
        .zip(results)
        .map(|(n, r)| {
            let r = r.unwrap_or_else(|| {
                Err(WriteError::Invalid {
                    server: n.clone(),
                    reason: "no outcome was recorded (a ddish bug)".into(),
                })
            });
            (n, r)
        })
        .collect()
}

/// Indices of `clients`, the one holding the leases first: a server in partner-down (it has
/// been serving alone), else the HA primary; ties keep the given order. A server whose
/// status cannot be read keeps its place (its prepare step will report the problem).
pub(super) async fn lease_holder_order(clients: &[&KeaClient]) -> Vec<usize> {
    let statuses = join_all(clients.iter().map(|c| c.status_get())).await;
    let rank = |i: usize| -> u8 {
        let ha = statuses[i].as_ref().ok().and_then(|s| s.ha.as_ref());
        match ha {
            Some(h) if h.local_state.as_deref() == Some("partner-down") => 0,
            Some(h) if h.local_role.as_deref() == Some("primary") => 1,
            _ => 2,
        }
    };
    let mut order: Vec<usize> = (0..clients.len()).collect();
    order.sort_by_key(|&i| rank(i));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_ha(rel: Value) -> Value {
        json!({"Dhcp4": {"hooks-libraries": [
            {"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"},
            {"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
             "parameters": {"high-availability": [rel]}}]}})
    }

    fn rel() -> Value {
        json!({"this-server-name": "kea-1", "mode": "load-balancing", "heartbeat-delay": 2000,
               "peers": [
                 {"name": "kea-1", "url": "http://127.0.0.1:18001/", "role": "primary"},
                 {"name": "kea-2", "url": "http://127.0.0.1:18002/", "role": "secondary"}]})
    }

    #[test]
    fn peers_are_the_others() {
        let c = with_ha(rel());
        assert_eq!(
            ha_peers(&c),
            vec![HaPeer {
                name: "kea-2".into(),
                url: "http://127.0.0.1:18002/".into(),
                role: "secondary".into()
            }]
        );
        // The Dhcp4 object without its wrapper works too.
        assert_eq!(ha_peers(&c["Dhcp4"]).len(), 1);
        assert!(ha_peers(&json!({"Dhcp4": {"hooks-libraries": []}})).is_empty());
    }

    #[test]
    fn validation_catches_what_config_test_misses() {
        assert_eq!(validate_ha(&with_ha(rel())), Ok(()));
        let bad = |f: &dyn Fn(&mut Value), want: &str| {
            let mut r = rel();
            f(&mut r);
            let err = validate_ha(&with_ha(r)).unwrap_err();
            assert!(err.contains(want), "{err} lacks {want}");
        };
        bad(
            &|r| r["this-server-name"] = json!("kea-9"),
            "this-server-name \"kea-9\"",
        );
        bad(
            &|r| r["heartbeat-delay"] = json!("2000"),
            "heartbeat-delay must be a whole number",
        );
        bad(&|r| r["mode"] = json!("active"), "mode");
        bad(
            &|r| r["peers"][1]["role"] = json!("standby"),
            "role \"standby\" is not valid",
        );
        bad(
            &|r| r["peers"][1]["role"] = json!("primary"),
            "exactly one peer must be primary",
        );
        bad(
            &|r| r["peers"][1]["url"] = json!("127.0.0.1:1"),
            "must start with http",
        );
        bad(&|r| r["peers"][1]["name"] = json!("kea-1"), "listed twice");
        bad(&|r| r["send-lease-updates"] = json!("yes"), "true or false");
    }
}
