//! Custom options in bulk changes (issue 13 item 2): values of options a server defines
//! itself, checked against its definition; option-def entries created, replaced and
//! deleted (never while an option value still uses one).
use serde_json::{json, Value};

use crate::kea::EditRefused;
use crate::model::option_defs::{custom, CustomOptionDef};
pub(super) use crate::model::option_defs::{option_known, option_value};
use crate::model::options;

/// Before an option value is written with a custom name, the server being written must
/// define it, and the value must suit its definition there.
pub(super) fn check_custom_use(dhcp4: &Value, op: &super::BulkOp) -> Result<(), EditRefused> {
    use super::BulkOp;
    let (name, values): (&str, Vec<&str>) = match op {
        BulkOp::SetOption { name, data } => (name, vec![data]),
        BulkOp::ReplaceOption { name, from, to } => (name, vec![from, to]),
        BulkOp::DeleteOption { name } => (name, vec![]),
        _ => return Ok(()),
    };
    if options::lookup(name).is_some() {
        return Ok(());
    }
    let defs = CustomOptionDef::list_from(dhcp4);
    let Some(d) = custom(name, &defs) else {
        return Err(EditRefused(format!(
            "option '{name}' is neither standard nor defined on this server: define it here \
             first (ddish optiondef create)"
        )));
    };
    for v in values {
        d.validate(v).map_err(EditRefused)?;
    }
    Ok(())
}

/// Adds or replaces the definition (by name and space); another definition with the same
/// code in the space is refused.
pub(super) fn put_def(
    dhcp4: &mut Value,
    d: &CustomOptionDef,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    let existing = CustomOptionDef::list_from(dhcp4);
    if let Some(o) = existing
        .iter()
        .find(|o| o.space == d.space && o.code == d.code && o.name != d.name)
    {
        return Err(EditRefused(format!(
            "code {} in space {} is already option '{}': pick another code",
            d.code, d.space, o.name
        )));
    }
    if !dhcp4["option-def"].is_array() {
        dhcp4["option-def"] = json!([]);
    }
    let list = dhcp4["option-def"]
        .as_array_mut()
        .ok_or_else(|| EditRefused("option-def is not a list".into()))?;
    let same = |v: &Value| {
        v["name"].as_str() == Some(d.name.as_str())
            && v["space"].as_str().unwrap_or("dhcp4") == d.space
    };
    match list.iter_mut().find(|v| same(v)) {
        Some(v) => {
            let old = CustomOptionDef::list_from(&json!({"option-def": [v.clone()]}));
            if old.first() != Some(d) {
                lines.push(format!(
                    "server: option-def {} changed: code {} {} -> code {} {}",
                    d.name,
                    old.first().map_or(0, |o| o.code),
                    old.first().map(|o| o.shape()).unwrap_or_default(),
                    d.code,
                    d.shape()
                ));
                // What ddish does not edit (encapsulate, user-context) stays as it was.
                let keep_from = v.clone();
                *v = d.to_kea();
                for key in ["encapsulate", "user-context"] {
                    if let Some(x) = keep_from.get(key) {
                        v[key] = x.clone();
                    }
                }
            }
        }
        None => {
            lines.push(format!(
                "server: option-def {} added: code {} {} (space {})",
                d.name,
                d.code,
                d.shape(),
                d.space
            ));
            list.push(d.to_kea());
        }
    }
    Ok(())
}

/// Deletes the definition `name`, unless an option value anywhere in the configuration
/// (globals, classes, shared networks, subnets, pools, reservations) uses it.
pub(super) fn delete_def(
    dhcp4: &mut Value,
    name: &str,
    space: &str,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    let defs = CustomOptionDef::list_from(dhcp4);
    let Some(d) = defs.iter().find(|d| d.name == name && d.space == space) else {
        let own: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        return Err(EditRefused(format!(
            "no option-def '{name}' in space {space} on this server (it has: {})",
            if own.is_empty() {
                "none".to_string()
            } else {
                own.join(", ")
            }
        )));
    };
    let mut uses = Vec::new();
    find_uses(dhcp4, d, "server", &mut uses);
    if !uses.is_empty() {
        return Err(EditRefused(format!(
            "option '{name}' is still set in {}: delete those values first",
            uses.join(", ")
        )));
    }
    if let Some(list) = dhcp4["option-def"].as_array_mut() {
        // Only this definition: one of the same name in another space stays.
        list.retain(|v| {
            v["name"].as_str() != Some(name) || v["space"].as_str().unwrap_or("dhcp4") != d.space
        });
    }
    lines.push(format!(
        "server: option-def {name} deleted (code {})",
        d.code
    ));
    Ok(())
}

/// Where option values of `d` are set: "server", "subnet 10.0.0.0/24", "class lab", ...
fn find_uses(v: &Value, d: &CustomOptionDef, at: &str, out: &mut Vec<String>) {
    let Some(obj) = v.as_object() else {
        return;
    };
    let hit = obj
        .get("option-data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|o| {
            let space_ok = o["space"].as_str().unwrap_or("dhcp4") == d.space;
            space_ok
                && (o["name"].as_str() == Some(d.name.as_str())
                    || (o["name"].is_null() && o["code"].as_u64() == Some(u64::from(d.code))))
        });
    if hit && !out.iter().any(|x| x == at) {
        out.push(at.to_string());
    }
    for (key, child) in obj {
        let list = match child.as_array() {
            Some(l) => l,
            None => continue,
        };
        for item in list {
            let label = match key.as_str() {
                "subnet4" => format!("subnet {}", item["subnet"].as_str().unwrap_or("?")),
                "shared-networks" => {
                    format!("shared network {}", item["name"].as_str().unwrap_or("?"))
                }
                "client-classes" => format!("class {}", item["name"].as_str().unwrap_or("?")),
                "pools" => format!("pool {} of {at}", item["pool"].as_str().unwrap_or("?")),
                "reservations" => format!(
                    "reservation {} in {at}",
                    item["ip-address"].as_str().unwrap_or("?")
                ),
                _ => continue,
            };
            find_uses(item, d, &label, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{edit::edit, BulkOp};
    use super::*;

    fn cfg() -> Value {
        json!({"Dhcp4": {
            "option-def": [{"name": "tftp", "code": 224, "type": "ipv4-address", "array": true,
                            "record-types": "", "space": "dhcp4", "encapsulate": ""}],
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
                         "option-data": [{"name": "tftp", "data": "10.0.0.9"}]}]
        }})
    }

    fn def(name: &str, code: u16, kind: &str) -> CustomOptionDef {
        CustomOptionDef {
            name: name.into(),
            code,
            kind: kind.into(),
            array: false,
            record_types: vec![],
            space: "dhcp4".into(),
        }
    }

    #[test]
    fn custom_options_are_set_by_their_servers_definition() {
        let mut c = cfg();
        let set = |d: &str| BulkOp::SetOption {
            name: "tftp".into(),
            data: d.into(),
        };
        let lines = edit(&mut c, None, &set("10.0.0.8, 10.0.0.9")).unwrap();
        assert_eq!(lines, ["server: tftp added: 10.0.0.8, 10.0.0.9"]);
        assert!(edit(&mut c, None, &set("10.0.0.x"))
            .unwrap_err()
            .0
            .contains("tftp (option 224"));
        // A server without the definition refuses the value, naming what to do.
        let mut bare = json!({"Dhcp4": {"subnet4": []}});
        assert!(edit(&mut bare, None, &set("10.0.0.8"))
            .unwrap_err()
            .0
            .contains("define it here first"));
        // Checked before anything is sent, with the servers' definitions known.
        let defs = CustomOptionDef::list_from(&cfg()["Dhcp4"]);
        assert_eq!(
            option_value("tftp", "10.0.0.1,10.0.0.2", &defs),
            Ok("10.0.0.1, 10.0.0.2".into())
        );
        assert!(option_value("tftpp", "1", &defs)
            .unwrap_err()
            .contains("this server's own: tftp"));
        assert!(option_known("tftp", &defs).is_ok());
        assert!(option_known("tftp", &[])
            .unwrap_err()
            .contains("ddish optiondef create"));
    }

    #[test]
    fn definitions_are_added_changed_and_deleted_only_when_unused() {
        let mut c = cfg();
        let lines = edit(
            &mut c,
            None,
            &BulkOp::PutOptionDef(def("prio", 225, "uint16")),
        )
        .unwrap();
        assert_eq!(
            lines,
            ["server: option-def prio added: code 225 uint16 (space dhcp4)"]
        );
        let lines = edit(
            &mut c,
            None,
            &BulkOp::PutOptionDef(def("prio", 225, "uint32")),
        )
        .unwrap();
        assert_eq!(
            lines,
            ["server: option-def prio changed: code 225 uint16 -> code 225 uint32"]
        );
        assert!(edit(
            &mut c,
            None,
            &BulkOp::PutOptionDef(def("prio", 225, "uint32"))
        )
        .unwrap()
        .is_empty());
        let e = edit(
            &mut c,
            None,
            &BulkOp::PutOptionDef(def("other", 224, "uint8")),
        )
        .unwrap_err();
        assert!(
            e.0.contains("code 224 in space dhcp4 is already option 'tftp'"),
            "{e}"
        );
        // tftp is set in the subnet: not deleted.
        let e = edit(
            &mut c,
            None,
            &BulkOp::DeleteOptionDef("tftp".into(), "dhcp4".into()),
        )
        .unwrap_err();
        assert!(e.0.contains("still set in subnet 10.0.0.0/24"), "{e}");
        let lines = edit(
            &mut c,
            None,
            &BulkOp::DeleteOptionDef("prio".into(), "dhcp4".into()),
        )
        .unwrap();
        assert_eq!(lines, ["server: option-def prio deleted (code 225)"]);
        let e = edit(
            &mut c,
            None,
            &BulkOp::DeleteOptionDef("nope".into(), "dhcp4".into()),
        )
        .unwrap_err();
        assert!(e.0.contains("it has: tftp"), "{e}");
    }
}
