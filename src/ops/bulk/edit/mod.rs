//! The pure half of a bulk change: what one operation does to one server's config-get
//! `{"Dhcp4": ...}`, as human lines. The same function computes the preview (on a copy) and
//! the safe write's edit (on each HA peer's own config), so what is shown is what is done.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Map, Value};

use crate::kea::marks::pin_range;
use crate::kea::subnet_json::rewrite_pools;
use crate::kea::EditRefused;
use crate::model::alloc::exclude_from_pools;
use crate::model::{options, Range, RangeSet};

use super::{BulkOp, ClassSpec};

/// Applies `op` to `cfg`: to each subnet in `scopes`, or to the server level (`Dhcp4`) when
/// `scopes` is None. Returns one line per change; an empty list means nothing to change.
pub(crate) fn edit(
    cfg: &mut Value,
    scopes: Option<&[Ipv4Net]>,
    op: &BulkOp,
) -> Result<Vec<String>, EditRefused> {
    let mut lines = Vec::new();
    super::option_defs::check_custom_use(dhcp4(cfg)?, op)?;
    match scopes {
        None => {
            let d = dhcp4(cfg)?;
            edit_object(d, op, "server", &mut lines)?;
        }
        Some(cidrs) => {
            // Scope definitions (range, reservations) for exclusions, read before editing.
            let defs = match op {
                BulkOp::Exclude(..) => {
                    crate::kea::parse_config(cfg)
                        .map_err(|e| e.to_string())?
                        .scopes
                }
                _ => Vec::new(),
            };
            for cidr in cidrs {
                let s = subnet_by_cidr(cfg, cidr)?;
                if let BulkOp::Exclude(start, end) = op {
                    let def = defs
                        .iter()
                        .find(|d| d.cidr == *cidr)
                        .ok_or_else(|| format!("no scope {cidr} on the server"))?;
                    exclude(s, def, *start, *end, &mut lines)?;
                } else {
                    edit_object(s, op, &cidr.to_string(), &mut lines)?;
                }
            }
        }
    }
    Ok(lines)
}

fn dhcp4(cfg: &mut Value) -> Result<&mut Value, EditRefused> {
    match cfg.get_mut("Dhcp4") {
        Some(d) if d.is_object() => Ok(d),
        _ => Err("the configuration has no Dhcp4 object".into()),
    }
}

/// The `subnet4` entry for `cidr`, at the top level or inside a shared network.
fn subnet_by_cidr<'a>(cfg: &'a mut Value, cidr: &Ipv4Net) -> Result<&'a mut Value, EditRefused> {
    let is_it = |s: &Value| {
        s["subnet"]
            .as_str()
            .and_then(|t| t.trim().parse::<Ipv4Net>().ok())
            .is_some_and(|n| n == *cidr)
    };
    crate::kea::find_subnet_mut(dhcp4(cfg)?, is_it)
        .ok_or_else(|| EditRefused(format!("no scope {cidr} on the server: check the CIDR")))
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(inherited)".into(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(v) => v.to_string(),
    }
}

/// Sets `key` in `obj` to `v`, noting the change.
fn set_param(obj: &mut Value, key: &str, v: Value, at: &str, lines: &mut Vec<String>) {
    let old = obj.get(key).cloned();
    if old.as_ref() == Some(&v) {
        return;
    }
    lines.push(format!(
        "{at}: {key} {} -> {}",
        shown(old.as_ref()),
        shown(Some(&v))
    ));
    obj[key] = v;
}

fn edit_object(
    obj: &mut Value,
    op: &BulkOp,
    at: &str,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    match op {
        BulkOp::LeaseTime(secs) => lease_time(obj, *secs, at, lines),
        BulkOp::Ddns(params) => {
            for (k, v) in params {
                set_param(obj, k, v.clone(), at, lines);
            }
        }
        BulkOp::SetOption { name, data } => set_option(obj, name, data, at, lines),
        BulkOp::DeleteOption { name } => delete_option(obj, name, at, lines),
        BulkOp::ReplaceOption { name, from, to } => replace_option(obj, name, from, to, at, lines),
        BulkOp::Exclude(..) => {
            return Err("exclusion ranges apply to scopes, not to a whole server".into())
        }
        BulkOp::Params(params) => server_params(obj, params, at, lines)?,
        BulkOp::PutOptionDef(d) => super::option_defs::put_def(obj, d, lines)?,
        BulkOp::DeleteOptionDef(n, space) => super::option_defs::delete_def(obj, n, space, lines)?,
        BulkOp::PutClass(spec, create) => put_class(obj, spec, *create, lines)?,
        BulkOp::DeleteClass(name) => delete_class(obj, name, lines)?,
    }
    Ok(())
}

/// Sets valid-lifetime. Kea's config-get shows min/max-valid-lifetime (pinned to the old
/// lease time when never configured) and config-test refuses a lease outside them: bounds
/// equal to the old lease follow the new one, other bounds widen to include it.
fn lease_time(obj: &mut Value, secs: u32, at: &str, lines: &mut Vec<String>) {
    let old = obj["valid-lifetime"].as_u64();
    let secs64 = u64::from(secs);
    let bound = |obj: &Value, key: &str| obj[key].as_u64();
    let new_min = bound(obj, "min-valid-lifetime").map(|m| {
        if Some(m) == old {
            secs64
        } else {
            m.min(secs64)
        }
    });
    let new_max = bound(obj, "max-valid-lifetime").map(|m| {
        if Some(m) == old {
            secs64
        } else {
            m.max(secs64)
        }
    });
    set_param(obj, "valid-lifetime", json!(secs), at, lines);
    if let Some(m) = new_min {
        set_param(obj, "min-valid-lifetime", json!(m), at, lines);
    }
    if let Some(m) = new_max {
        set_param(obj, "max-valid-lifetime", json!(m), at, lines);
    }
}

/// Sets global parameters (valid-lifetime keeping its bounds as [`lease_time`] does), then
/// checks the ones that depend on each other as they now stand.
fn server_params(
    obj: &mut Value,
    params: &[(String, Value)],
    at: &str,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    use crate::model::server_params as sp;
    // Only what this change breaks is refused: a server already off a rule Kea accepts
    // may still have other parameters changed.
    let before = sp::check_together(obj);
    // valid-lifetime first: its bounds follow it, then any bound given explicitly wins.
    let mut ordered: Vec<&(String, Value)> = params.iter().collect();
    ordered.sort_by_key(|(k, _)| k != "valid-lifetime");
    for (k, v) in ordered {
        match (k.as_str(), v.as_u64()) {
            ("valid-lifetime", Some(secs)) => {
                let secs = u32::try_from(secs).map_err(|_| "valid-lifetime is too big")?;
                lease_time(obj, secs, at, lines);
            }
            _ => {
                let old = sp::get(obj, k).cloned();
                if old.as_ref() != Some(v) {
                    lines.push(format!(
                        "{at}: {k} {} -> {}",
                        sp::shown(old.as_ref()),
                        sp::shown(Some(v))
                    ));
                    sp::set(obj, k, v.clone());
                }
            }
        }
    }
    let wrong: Vec<String> = sp::check_together(obj)
        .into_iter()
        .filter(|w| !before.contains(w))
        .collect();
    if !wrong.is_empty() {
        return Err(EditRefused(format!(
            "{}: change them together",
            wrong.join("; ")
        )));
    }
    Ok(())
}

/// Whether an option-data entry is the standard option `name` (by name or code, in the
/// dhcp4 space).
fn is_option(o: &Value, name: &str) -> bool {
    let space_ok = o["space"].as_str().is_none_or(|s| s == "dhcp4");
    let code = options::lookup(name).map(|d| u64::from(d.code));
    space_ok
        && (o["name"].as_str() == Some(name) || (o["name"].is_null() && o["code"].as_u64() == code))
}

fn option_list(obj: &mut Value) -> &mut Vec<Value> {
    if !obj["option-data"].is_array() {
        obj["option-data"] = json!([]);
    }
    obj["option-data"]
        .as_array_mut()
        .expect("made an array above")
}

fn set_option(obj: &mut Value, name: &str, data: &str, at: &str, lines: &mut Vec<String>) {
    let list = option_list(obj);
    match list.iter_mut().find(|o| is_option(o, name)) {
        Some(o) => {
            let old = o["data"].as_str().unwrap_or_default().to_string();
            if old != data {
                lines.push(format!("{at}: {name} {old} -> {data}"));
                o["data"] = json!(data);
                // The new value is text: an entry given as raw hex must read it as such.
                if o["csv-format"] == json!(false) {
                    o["csv-format"] = json!(true);
                }
            }
        }
        None => {
            lines.push(format!("{at}: {name} added: {data}"));
            list.push(json!({"name": name, "data": data}));
        }
    }
}

fn delete_option(obj: &mut Value, name: &str, at: &str, lines: &mut Vec<String>) {
    let Some(list) = obj["option-data"].as_array_mut() else {
        return;
    };
    list.retain(|o| {
        let hit = is_option(o, name);
        if hit {
            lines.push(format!(
                "{at}: {name} deleted (was {})",
                o["data"].as_str().unwrap_or_default()
            ));
        }
        !hit
    });
}

fn replace_option(
    obj: &mut Value,
    name: &str,
    from: &str,
    to: &str,
    at: &str,
    lines: &mut Vec<String>,
) {
    let Some(list) = obj["option-data"].as_array_mut() else {
        return;
    };
    for o in list.iter_mut().filter(|o| is_option(o, name)) {
        let old = o["data"].as_str().unwrap_or_default().to_string();
        if let Some(new) = options::replace_element(&old, from, to) {
            lines.push(format!("{at}: {name} {from} -> {to} ({old} -> {new})"));
            o["data"] = json!(new);
        }
    }
}

fn exclude(
    subnet: &mut Value,
    def: &crate::model::ScopeDef,
    start: Ipv4Addr,
    end: Ipv4Addr,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    let cidr = def.cidr;
    let r = Range::new(start, end)
        .ok_or_else(|| format!("the end {end} comes before the start {start}"))?;
    if !def.range.contains_range(&r) {
        return Err(EditRefused(format!(
            "{r} is outside the range of scope {cidr} ({})",
            def.range
        )));
    }
    if let Some(res) = def
        .reservations
        .iter()
        .find(|x| r.contains(u32::from(x.ip)))
    {
        return Err(EditRefused(format!(
            "{r} covers the reservation of {} in {cidr}: delete it first or exclude around it",
            res.ip
        )));
    }
    let after = def.pools.subtract(&RangeSet::from_ranges([r]));
    if after == def.pools {
        return Ok(());
    }
    pin_range(subnet, def.range);
    rewrite_pools(subnet, |p| exclude_from_pools(p, r))?;
    lines.push(format!(
        "{cidr}: exclude {r} (pools {} -> {after})",
        def.pools
    ));
    Ok(())
}

fn classes(d: &mut Value) -> &mut Vec<Value> {
    if !d["client-classes"].is_array() {
        d["client-classes"] = json!([]);
    }
    d["client-classes"]
        .as_array_mut()
        .expect("made an array above")
}

fn put_class(
    d: &mut Value,
    spec: &ClassSpec,
    create: bool,
    lines: &mut Vec<String>,
) -> Result<(), EditRefused> {
    let list = classes(d);
    let pos = list
        .iter()
        .position(|c| c["name"].as_str() == Some(spec.name.as_str()));
    let name = &spec.name;
    let class = match (pos, create) {
        (Some(_), true) => {
            return Err(EditRefused(format!(
                "client class '{name}' already exists: change it with `ddish class edit`"
            )))
        }
        (None, false) => {
            return Err(EditRefused(format!(
                "no client class '{name}': create it with `ddish class create`"
            )))
        }
        (None, true) => {
            list.push(Value::Object(Map::from_iter([(
                "name".to_string(),
                json!(name),
            )])));
            lines.push(format!("class {name} created"));
            list.last_mut().expect("pushed above")
        }
        (Some(i), false) => &mut list[i],
    };
    if let Some(t) = &spec.test {
        set_param(class, "test", json!(t), &format!("class {name}"), lines);
    }
    for (o, data) in &spec.options {
        set_option(class, o, data, &format!("class {name}"), lines);
    }
    Ok(())
}

fn delete_class(d: &mut Value, name: &str, lines: &mut Vec<String>) -> Result<(), EditRefused> {
    let users = class_users(d, name);
    if !users.is_empty() {
        return Err(crate::kea::EditRefused(format!(
            "client class '{name}' is in use by {}: change those first",
            users.join(", ")
        )));
    }
    let list = classes(d);
    let before = list.len();
    list.retain(|c| c["name"].as_str() != Some(name));
    if list.len() == before {
        return Err(crate::kea::EditRefused(format!(
            "no client class '{name}' on the server"
        )));
    }
    lines.push(format!("class {name} deleted"));
    Ok(())
}

/// Where `name` is referenced: subnets, pools, shared networks, reservations and other
/// classes' test expressions (member('name')).
pub(crate) fn class_users(d: &Value, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let refers = |o: &Value| {
        crate::kea::has_class(o, name)
            || ["require-client-classes", "evaluate-additional-classes"]
                .iter()
                .any(|k| {
                    o[*k]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|c| c.as_str() == Some(name)))
                })
    };
    let subnets = |list: &Value, out: &mut Vec<String>| {
        for s in list.as_array().into_iter().flatten() {
            let cidr = s["subnet"].as_str().unwrap_or("?");
            if refers(s) {
                out.push(format!("scope {cidr}"));
            }
            for p in s["pools"].as_array().into_iter().flatten() {
                if refers(p) {
                    out.push(format!(
                        "pool {} in {cidr}",
                        p["pool"].as_str().unwrap_or("?")
                    ));
                }
            }
            for r in s["reservations"].as_array().into_iter().flatten() {
                if refers(r) {
                    out.push(format!(
                        "reservation {} in {cidr}",
                        r["ip-address"].as_str().unwrap_or("?")
                    ));
                }
            }
        }
    };
    subnets(&d["subnet4"], &mut out);
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        if refers(n) {
            out.push(format!(
                "shared network {}",
                n["name"].as_str().unwrap_or("?")
            ));
        }
        subnets(&n["subnet4"], &mut out);
    }
    let member = format!("member('{name}')");
    for c in d["client-classes"].as_array().into_iter().flatten() {
        let test = c["test"].as_str().unwrap_or_default().replace('"', "'");
        if test.contains(&member) {
            out.push(format!("class {}", c["name"].as_str().unwrap_or("?")));
        }
    }
    out
}

#[cfg(test)]
mod tests;
