//! A config change that only touches existing subnets and the client classes, sent as
//! `subnet4-update` (subnet_cmds) and class commands (class_write.rs) instead of a
//! config-set: Kea swaps the one subnet in place (no reload, leases stay open, HA keeps its
//! state), where a config-set on a big server takes ~30 s (KEA_FACTS §11, §14).
//!
//! Verified on Kea 3.0.4: `subnet4-update` replaces the subnet's parameters and pools and keeps
//! its shared-network membership; it leaves the subnet's host reservations alone (they live in
//! the host manager, and `subnet4-get` does not even return them), so reservations are never
//! part of it: a change that touches them goes by the config edit (or host_cmds).
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::class_write::{apply_classes, class_plan, undo_classes, ClassChange};
use super::client::KeaClient;
use super::error::KeaError;
use super::write::WriteError;

/// What a change is in commands: classes first (a subnet may name a new class), then subnets.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct CommandPlan {
    pub classes: Vec<ClassChange>,
    pub subnets: Vec<SubnetUpdate>,
}

/// The commands for `before` -> `after`, or `None` when the config edit must do it.
pub(super) fn command_plan(
    before: &Value,
    after: &Value,
    commands: &BTreeSet<String>,
) -> Option<CommandPlan> {
    let subnets = subnet_plan(before, after, commands)?;
    let classes = class_plan(before.get("Dhcp4")?, after.get("Dhcp4")?, commands)?;
    (!subnets.is_empty() || !classes.is_empty()).then_some(CommandPlan { classes, subnets })
}

/// One subnet's new content and what it had, to put back.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SubnetUpdate {
    pub id: u64,
    pub old: Value,
    pub new: Value,
}

fn dhcp4(c: &Value) -> Option<&serde_json::Map<String, Value>> {
    c.get("Dhcp4")?.as_object()
}

/// Every subnet with the shared network it sits in (`None`: top level), by id.
fn subnets(d: &serde_json::Map<String, Value>) -> Option<Vec<(u64, Option<&str>, &Value)>> {
    let mut out = Vec::new();
    for s in d
        .get("subnet4")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push((s.get("id")?.as_u64()?, None, s));
    }
    for n in d
        .get("shared-networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = n.get("name")?.as_str()?;
        for s in n
            .get("subnet4")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push((s.get("id")?.as_u64()?, Some(name), s));
        }
    }
    out.sort_by_key(|(id, ..)| *id);
    Some(out)
}

/// The Dhcp4 map without any subnet or class: what must be unchanged for the commands.
fn without_subnets(d: &serde_json::Map<String, Value>) -> Value {
    let mut d = d.clone();
    d.remove("subnet4");
    d.remove("client-classes");
    if let Some(nets) = d.get_mut("shared-networks").and_then(Value::as_array_mut) {
        for n in nets {
            if let Some(o) = n.as_object_mut() {
                o.remove("subnet4");
            }
        }
    }
    Value::Object(d)
}

/// The subnet as subnet4-update takes it: without reservations (see the module comment).
fn sendable(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("reservations");
    }
    s
}

/// The subnet4-update calls that make `before` into `after`, when that is all the change is
/// (besides classes): nothing else outside the subnets differs, the same subnets exist (same
/// ids, same shared networks) and no reservation changes; updates need subnet_cmds. `None`:
/// use the config edit.
fn subnet_plan(
    before: &Value,
    after: &Value,
    commands: &BTreeSet<String>,
) -> Option<Vec<SubnetUpdate>> {
    let (b, a) = (dhcp4(before)?, dhcp4(after)?);
    if without_subnets(b) != without_subnets(a) {
        return None;
    }
    let (bs, as_) = (subnets(b)?, subnets(a)?);
    if bs.len() != as_.len() {
        return None;
    }
    let mut plan = Vec::new();
    for ((id, net, old), (id2, net2, new)) in bs.into_iter().zip(as_) {
        if id != id2 || net != net2 || old.get("reservations") != new.get("reservations") {
            return None;
        }
        if old != new {
            plan.push(SubnetUpdate {
                id,
                old: sendable(old),
                new: sendable(new),
            });
        }
    }
    if !plan.is_empty() && !commands.contains("subnet4-update") {
        return None;
    }
    Some(plan)
}

async fn update(c: &KeaClient, subnet: &Value) -> Result<(), KeaError> {
    c.call("subnet4-update", Some(json!({"subnet4": [subnet]})))
        .await
        .map(|_| ())
}

/// Sends the plan. `hash`: Kea's hash of the config the change was made on; when
/// config-hash-get says otherwise, someone changed the server meanwhile and nothing is sent.
/// A failing command puts the ones before it back.
pub(super) async fn apply_plan(
    c: &KeaClient,
    all: &CommandPlan,
    hash: Option<&str>,
) -> Result<(), WriteError> {
    let server = c.server_name().to_string();
    super::progress::step("subnet4-update", &server);
    if let Some(want) = hash {
        let now = c.config_hash().await.map_err(|source| WriteError::Kea {
            server: server.clone(),
            stage: "read its configuration hash (config-hash-get)",
            written: false,
            source,
        })?;
        if now.is_some_and(|h| !h.eq_ignore_ascii_case(want)) {
            return Err(WriteError::Changed {
                server,
                what: "its config-hash-get differs from the configuration ddish read".into(),
            });
        }
    }
    if let Err((i, e, restored)) = apply_classes(c, &all.classes).await {
        return Err(match e {
            KeaError::Failed { text, .. } if i == 0 => WriteError::CommandRefused {
                server,
                command: "class command",
                text: format!("class {}: {text}", all.classes[i].name()),
            },
            e => WriteError::CommandFailed {
                server,
                command: "class command",
                text: format!("class {}: {e}", all.classes[i].name()),
                restored,
            },
        });
    }
    let plan = &all.subnets;
    for (i, u) in plan.iter().enumerate() {
        if let Err(e) = update(c, &u.new).await {
            let restored = undo_subnets(c, &plan[..i]).await.is_ok()
                && undo_classes(c, &all.classes).await.is_ok();
            return Err(match e {
                KeaError::Failed { text, .. } if i == 0 && all.classes.is_empty() => {
                    WriteError::CommandRefused {
                        server,
                        command: "subnet4-update",
                        text,
                    }
                }
                e => WriteError::CommandFailed {
                    server,
                    command: "subnet4-update",
                    text: format!("subnet id {}: {e}", u.id),
                    restored,
                },
            });
        }
    }
    Ok(())
}

/// Takes a whole applied plan back (a later HA peer refused): subnets, then classes.
pub(super) async fn undo_plan(c: &KeaClient, all: &CommandPlan) -> Result<(), String> {
    let s = undo_subnets(c, &all.subnets).await;
    let k = undo_classes(c, &all.classes).await;
    match (s, k) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Err(b)) => Err(format!("{a}; {b}")),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Puts the subnets of `plan` back as they were.
async fn undo_subnets(c: &KeaClient, plan: &[SubnetUpdate]) -> Result<(), String> {
    let mut errors = Vec::new();
    for u in plan.iter().rev() {
        if let Err(e) = update(c, &u.old).await {
            errors.push(format!("subnet id {}: {e}", u.id));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn cfg(pool: &str, shared_pool: &str) -> Value {
        json!({"Dhcp4": {
            "valid-lifetime": 3600,
            "subnet4": [{"id": 1, "subnet": "10.1.0.0/24", "pools": [{"pool": pool}],
                         "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "10.1.0.5"}]}],
            "shared-networks": [{"name": "n", "subnet4": [
                {"id": 2, "subnet": "10.2.0.0/24", "pools": [{"pool": shared_pool}]}]}]}})
    }

    #[test]
    fn one_changed_subnet_is_one_update_without_reservations() {
        let before = cfg("10.1.0.10-10.1.0.20", "10.2.0.10-10.2.0.20");
        let after = cfg("10.1.0.10-10.1.0.30", "10.2.0.10-10.2.0.20");
        let plan = command_plan(&before, &after, &cmds(&["subnet4-update"]))
            .unwrap()
            .subnets;
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].id, 1);
        assert_eq!(plan[0].new["pools"][0]["pool"], "10.1.0.10-10.1.0.30");
        assert_eq!(plan[0].old["pools"][0]["pool"], "10.1.0.10-10.1.0.20");
        assert!(plan[0].new.get("reservations").is_none());
        // A subnet of a shared network too.
        let after = cfg("10.1.0.10-10.1.0.20", "10.2.0.10-10.2.0.99");
        let plan = command_plan(&before, &after, &cmds(&["subnet4-update"]))
            .unwrap()
            .subnets;
        assert_eq!(plan[0].id, 2);
    }

    #[test]
    fn anything_else_goes_by_the_config_edit() {
        let before = cfg("10.1.0.10-10.1.0.20", "10.2.0.10-10.2.0.20");
        let after = cfg("10.1.0.10-10.1.0.30", "10.2.0.10-10.2.0.20");
        // No subnet_cmds.
        assert_eq!(command_plan(&before, &after, &cmds(&["config-set"])), None);
        // Nothing changed.
        assert_eq!(
            command_plan(&before, &before, &cmds(&["subnet4-update"])),
            None
        );
        // Classes alone need class_cmds.
        let mut k = before.clone();
        k["Dhcp4"]["client-classes"] = json!([{"name": "x"}]);
        assert_eq!(command_plan(&before, &k, &cmds(&["subnet4-update"])), None);
        let all = cmds(&["class-add", "class-update", "class-del", "subnet4-update"]);
        let p = command_plan(&before, &k, &all).unwrap();
        assert_eq!((p.classes.len(), p.subnets.len()), (1, 0));
        // A global parameter changed as well.
        let mut g = after.clone();
        g["Dhcp4"]["valid-lifetime"] = json!(60);
        assert_eq!(command_plan(&before, &g, &cmds(&["subnet4-update"])), None);
        // A reservation changed.
        let mut r = after.clone();
        r["Dhcp4"]["subnet4"][0]["reservations"] = json!([]);
        assert_eq!(command_plan(&before, &r, &cmds(&["subnet4-update"])), None);
        // A subnet added, or moved into the shared network.
        let mut add = before.clone();
        add["Dhcp4"]["subnet4"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": 3, "subnet": "10.3.0.0/24"}));
        assert_eq!(
            command_plan(&before, &add, &cmds(&["subnet4-update"])),
            None
        );
        let mut moved = before.clone();
        let s = moved["Dhcp4"]["subnet4"].as_array_mut().unwrap().remove(0);
        moved["Dhcp4"]["shared-networks"][0]["subnet4"]
            .as_array_mut()
            .unwrap()
            .push(s);
        assert_eq!(
            command_plan(&before, &moved, &cmds(&["subnet4-update"])),
            None
        );
        // A subnet's id changed.
        let mut id = after.clone();
        id["Dhcp4"]["subnet4"][0]["id"] = json!(9);
        assert_eq!(command_plan(&before, &id, &cmds(&["subnet4-update"])), None);
    }
}
