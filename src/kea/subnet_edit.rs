//! A change of existing subnets alone, made without the whole configuration where every
//! peer has subnet_cmds: `subnet4-get` of those subnets, the same edit on a configuration
//! that holds only them, `subnet4-update` on each peer (earlier peers put back if a later
//! one refuses), `config-write`, and `subnet4-get` again to verify. On a 10,000-subnet server
//! that is milliseconds plus the config-write, where config-get, config-test and the
//! comparison of two whole configs cost seconds and hundreds of MB (measured: 4.3 s and
//! 664 MB for one exclusion on Kea 3.0.4 before this path).
//!
//! Kea checks a subnet4-update itself (it parses the subnet as config-set would), so no
//! config-test runs; the guarded top-level keys cannot change, since the edited config holds
//! nothing but the subnets. Whether the server still runs what the user acted on is checked
//! with config-hash-get against Kea's hash of the config the user loaded, where there is one.
//! Anything else (an edit that fails or reaches outside the subnets, a peer without the
//! commands or without the subnet) is left to the whole-config path: `None`.
use std::collections::BTreeSet;
use std::time::Instant;

use futures_util::future::join_all;
use serde_json::{json, Value};

use super::client::KeaClient;
use super::error::KeaError;
use super::ha::{commit_prepared, lease_holder_order};
use super::lean::{LeanConfig, Reach};
use super::scope_read::subnet_get;
use super::semantic::same_meaning;
use super::subnet_write::command_plan;
use super::write::{Prepared, Ready, WriteError, WriteOutcome};

/// The edit of subnets `ids` on every peer, by commands; `None` when this path does not
/// apply and the whole-config path must do it. `hashes[i]`: Kea's hash of the configuration
/// the user acted on, for `clients[i]` (`None`: not known, not checked). Results come in the
/// order of `clients`.
pub async fn subnet_edit_pair<F>(
    clients: &[&KeaClient],
    ids: &[u32],
    hashes: &[Option<String>],
    edit: F,
) -> Option<Vec<(String, Result<WriteOutcome, WriteError>)>>
where
    F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
{
    if ids.is_empty() {
        return None;
    }
    let listed = join_all(clients.iter().map(|c| c.list_commands())).await;
    let mut commands = Vec::with_capacity(clients.len());
    for l in listed {
        let set: BTreeSet<String> = l.ok()?.into_iter().collect();
        if !(set.contains("subnet4-get") && set.contains("subnet4-update")) {
            return None;
        }
        commands.push(set);
    }
    let started = Instant::now();
    let mut prepared = Vec::with_capacity(clients.len());
    for (i, c) in clients.iter().enumerate() {
        let base = match read_subnets(c, ids).await {
            Ok(b) => b,
            Err(source) => {
                prepared.push(Err(WriteError::Kea {
                    server: c.server_name().to_string(),
                    stage: "read the subnet (subnet4-get)",
                    written: false,
                    source,
                }));
                continue;
            }
        };
        if base["Dhcp4"]["subnet4"].as_array().map_or(0, Vec::len) != ids.len() {
            return None;
        }
        let mut edited = base.clone();
        edit(&mut edited).ok()?;
        if same_meaning(&base, &edited) {
            prepared.push(Ok(Prepared::Nothing(Box::new(WriteOutcome {
                server: c.server_name().to_string(),
                written: false,
                summary: json!({}),
                before: json!({}),
                after: json!({}),
                persisted: true,
                verified: true,
                verify_note: None,
                duration: started.elapsed(),
            }))));
            continue;
        }
        let plan = command_plan(&base, &edited, &commands[i])?;
        if !plan.classes.is_empty() {
            return None;
        }
        let whole = |v: Value| LeanConfig::from_value(v, &Reach::Whole);
        let mut last_good = whole(base.clone());
        // apply_plan checks config-hash-get against it before the first update.
        last_good.hash = hashes.get(i).cloned().flatten();
        prepared.push(Ok(Prepared::Ready(Box::new(Ready {
            client: c,
            last_good,
            base: Some(whole(base)),
            edited: whole(edited),
            commands_before: commands[i].clone(),
            commands_required: BTreeSet::new(),
            command_plan: Some(plan),
            only_subnets: Some(ids.to_vec()),
            started,
        }))));
    }
    let names = clients
        .iter()
        .map(|c| c.server_name().to_string())
        .collect();
    // The same order as the config edit: the server holding the leases first.
    let order = lease_holder_order(clients).await;
    Some(commit_prepared(names, prepared, &order).await)
}

/// `{"Dhcp4": {"subnet4": [...]}}` with the subnets of `ids` that the server has, as
/// subnet4-get returns them (without reservations, which live in the host manager).
pub(super) async fn read_subnets(c: &KeaClient, ids: &[u32]) -> Result<Value, KeaError> {
    let mut list = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(s) = subnet_get(c, id).await? {
            list.push(s);
        }
    }
    Ok(json!({"Dhcp4": {"subnet4": list}}))
}
