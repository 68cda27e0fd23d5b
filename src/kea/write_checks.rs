//! What a config edit may not do, checked before anything is sent: the guarded top-level
//! keys, whole and well-numbered subnets; and which commands must answer after config-set
//! for the server to count as healthy (a hook library that failed to load takes its
//! commands away).
use std::collections::BTreeSet;

use serde_json::Value;

use super::ha::validate_ha;
use super::semantic::{dhcp4, normalise};
use super::write_error::WriteError;

/// Top-level Dhcp4 keys an ordinary edit must leave alone: getting one wrong leaves Kea
/// unmanageable or serving nothing, and config-test does not check them (KEA_FACTS.md §5, §12).
pub const GUARDED_KEYS: [&str; 4] = [
    "control-socket",
    "lease-database",
    "hooks-libraries",
    "interfaces-config",
];

/// A hook library's file name and the command that shows it is loaded.
const HOOK_MARKERS: [(&str, &str); 5] = [
    ("libdhcp_lease_cmds", "lease4-add"),
    ("libdhcp_stat_cmds", "stat-lease4-get"),
    ("libdhcp_ha", "ha-heartbeat"),
    ("libdhcp_host_cmds", "reservation-add"),
    ("libdhcp_subnet_cmds", "subnet4-add"),
];

/// The commands that must be there after config-set: all of them when the hooks are
/// unchanged; otherwise the marker command of every known hook library the new config loads.
pub(super) fn required_commands(
    current: &Value,
    edited: &Value,
    before: &BTreeSet<String>,
) -> BTreeSet<String> {
    let hooks = |c: &Value| dhcp4(c).and_then(|d| d.get("hooks-libraries")).cloned();
    if hooks(current) == hooks(edited) {
        return before.clone();
    }
    let libs: Vec<String> = hooks(edited)
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("library").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    HOOK_MARKERS
        .iter()
        .filter(|(lib, _)| {
            libs.iter().any(|l| {
                let file = l.rsplit('/').next().unwrap_or(l);
                file.strip_suffix(".so").unwrap_or(file) == *lib
            })
        })
        .map(|(_, cmd)| cmd.to_string())
        .collect()
}

/// An invariant broken, before the server name is known.
#[derive(Debug, PartialEq)]
pub(super) enum Broken {
    Guarded(String),
    Invalid(String),
}

impl Broken {
    pub(super) fn on(self, server: &str) -> WriteError {
        let server = server.to_string();
        match self {
            Broken::Guarded(key) => WriteError::Guarded { server, key },
            Broken::Invalid(reason) => WriteError::Invalid { server, reason },
        }
    }
}

/// Step 2: the edited config is full `{"Dhcp4": ...}` with every top-level key the base had,
/// the guarded keys unchanged (unless allowed), every subnet with a unique id, and a changed
/// HA hook's parameters valid.
pub(super) fn check_invariants(base: &Value, edited: &Value, allow: &[&str]) -> Result<(), Broken> {
    let top = edited
        .as_object()
        .ok_or_else(|| Broken::Invalid("the configuration must be {\"Dhcp4\": {...}}".into()))?;
    if let Some(other) = top.keys().find(|k| *k != "Dhcp4") {
        return Err(Broken::Invalid(format!(
            "it has a top-level '{other}' next to Dhcp4; only {{\"Dhcp4\": {{...}}}} may be sent to kea-dhcp4"
        )));
    }
    let (Some(b), Some(e)) = (
        base.get("Dhcp4").and_then(Value::as_object),
        edited.get("Dhcp4").and_then(Value::as_object),
    ) else {
        return Err(Broken::Invalid(
            "the configuration must be a full {\"Dhcp4\": {...}}, never a part of one".into(),
        ));
    };
    if let Some(k) = b
        .keys()
        .find(|k| !e.contains_key(*k) && !allow.contains(&k.as_str()))
    {
        return Err(Broken::Invalid(format!(
            "it drops Dhcp4 '{k}': ddish never sends a partial configuration"
        )));
    }
    for key in GUARDED_KEYS {
        let changed = b.get(key).map(normalise) != e.get(key).map(normalise);
        if changed && !allow.contains(&key) {
            return Err(Broken::Guarded(key.to_string()));
        }
    }
    check_subnet_ids(e)?;
    if b.get("hooks-libraries") != e.get("hooks-libraries") {
        validate_ha(edited).map_err(|r| Broken::Invalid(format!("HA hook: {r}")))?;
    }
    Ok(())
}

/// Every subnet has a positive integer id, and no id is used twice (a subnet without one gets
/// an automatic id that collides, KEA_FACTS.md §5).
fn check_subnet_ids(d: &serde_json::Map<String, Value>) -> Result<(), Broken> {
    let mut lists: Vec<&Value> = d.get("subnet4").into_iter().collect();
    for sn in d
        .get("shared-networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lists.extend(sn.get("subnet4"));
    }
    let mut seen = std::collections::BTreeMap::new();
    for s in lists.into_iter().filter_map(Value::as_array).flatten() {
        let prefix = s.get("subnet").and_then(Value::as_str).unwrap_or("?");
        let id = s
            .get("id")
            .and_then(Value::as_u64)
            .filter(|&id| (1..=u64::from(u32::MAX)).contains(&id))
            .ok_or_else(|| {
                Broken::Invalid(format!(
                    "subnet {prefix} has no valid id (a positive number); every subnet needs one"
                ))
            })?;
        if let Some(other) = seen.insert(id, prefix) {
            return Err(Broken::Invalid(format!(
                "subnet id {id} is used by both {other} and {prefix}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"Dhcp4": {
            "control-socket": {"socket-type": "unix", "socket-name": "/x/s"},
            "lease-database": {"type": "memfile", "name": "/x/l.csv"},
            "hooks-libraries": [{"library": "/h/libdhcp_lease_cmds.so"}],
            "interfaces-config": {"interfaces": []},
            "subnet4": [{"id": 1, "subnet": "10.1.0.0/24"}],
            "shared-networks": [{"name": "n", "subnet4": [{"id": 2, "subnet": "10.2.0.0/24"}]}]
        }})
    }

    #[test]
    fn guarded_keys_refuse_unless_allowed() {
        for key in GUARDED_KEYS {
            let mut e = base();
            e["Dhcp4"][key] = json!({"changed": true});
            assert_eq!(
                check_invariants(&base(), &e, &[]),
                Err(Broken::Guarded(key.into()))
            );
            if key != "hooks-libraries" {
                assert_eq!(check_invariants(&base(), &e, &[key]), Ok(()));
            }
        }
    }

    #[test]
    fn partial_and_id_problems_are_invalid() {
        let partial = json!({"Dhcp4": {"subnet4": []}});
        let Err(Broken::Invalid(r)) = check_invariants(&base(), &partial, &[]) else {
            panic!("partial config accepted");
        };
        assert!(r.contains("partial"), "{r}");
        let mut no_id = base();
        no_id["Dhcp4"]["subnet4"] = json!([{"subnet": "10.3.0.0/24"}]);
        let Err(Broken::Invalid(r)) = check_invariants(&base(), &no_id, &[]) else {
            panic!("subnet without id accepted");
        };
        assert!(r.contains("10.3.0.0/24"), "{r}");
        let mut dup = base();
        dup["Dhcp4"]["subnet4"] = json!([{"id": 2, "subnet": "10.3.0.0/24"}]);
        assert_eq!(
            check_invariants(&base(), &dup, &[]),
            Err(Broken::Invalid(
                "subnet id 2 is used by both 10.3.0.0/24 and 10.2.0.0/24".into()
            ))
        );
        let mut extra = base();
        extra["Control-agent"] = json!({});
        assert!(check_invariants(&base(), &extra, &[]).is_err());
    }

    #[test]
    fn required_commands_follow_the_hooks() {
        let before: BTreeSet<String> = ["lease4-add", "config-get", "stat-lease4-get"]
            .map(String::from)
            .into();
        assert_eq!(required_commands(&base(), &base(), &before), before);
        let mut e = base();
        e["Dhcp4"]["hooks-libraries"] = json!([
            {"library": "/h/libdhcp_lease_cmds.so"}, {"library": "libdhcp_ha.so"}]);
        assert_eq!(
            required_commands(&base(), &e, &before),
            ["ha-heartbeat", "lease4-add"].map(String::from).into()
        );
    }
}
