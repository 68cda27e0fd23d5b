//! Comparing Kea configs by meaning, not by text (KEA_FACTS.md §5): Kea rewrites what it is
//! given (pool strings lose their spaces, client-ids become bare upper-case hex, reservations
//! come back in another order, every default is expanded), so a config read back never equals
//! the one sent byte for byte.
//!
//! What [`normalise`] does, and nothing more:
//! * `pool`: all whitespace removed (`"10.0.0.1 - 10.0.0.9"` = `"10.0.0.1-10.0.0.9"`);
//! * `client-id` written as hex (with or without `:`/`-`): separators removed, upper case
//!   (`"01:aa:bb"` = `"01AABB"`); other forms (quoted strings) are left alone;
//! * `hw-address`: separators (`:`, `-`, `.`) removed, lower case;
//! * arrays that are sets to Kea (`subnet4`, `shared-networks`, `reservations`, `pools`,
//!   `option-data`): sorted;
//! * `user-context` is left exactly as is (Kea keeps it verbatim);
//! * key order never matters (serde_json maps are ordered by key).
//!
//! Defaults are NOT filled in: `same_meaning` is for two configs that both came from
//! config-get; [`edit_is_live`] checks an edit against a read-back config with Kea's added
//! defaults allowed.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

/// Arrays Kea treats as sets: their order carries no meaning.
const SET_KEYS: [&str; 5] = [
    "subnet4",
    "shared-networks",
    "reservations",
    "pools",
    "option-data",
];

/// Keys that identify an element of a set-like array, in order of preference.
const IDENTITY_KEYS: [&str; 9] = [
    "id",
    "name",
    "pool",
    "ip-address",
    "hw-address",
    "client-id",
    "library",
    "code",
    "subnet",
];

/// The config with Kea's own rewritings undone (see the module doc).
pub fn normalise(v: &Value) -> Value {
    norm(None, v)
}

/// Whether two configs (both as config-get gives them) mean the same, as
/// `normalise(a) == normalise(b)` would say, without copying the parts that are equal as
/// they are: on a 10,000-subnet config, two normalised copies cost hundreds of MB.
pub fn same_meaning(a: &Value, b: &Value) -> bool {
    same_at(None, a, b)
}

fn same_at(key: Option<&str>, a: &Value, b: &Value) -> bool {
    // user-context is compared verbatim, whatever its shape (as `norm` does).
    if a == b || key == Some("user-context") {
        return a == b;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_at(Some(k), v, w)))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            // In the same order (an edit in place): element by element.
            if x.iter().zip(y).all(|(p, q)| same_at(None, p, q)) {
                return true;
            }
            // A set may differ in order only.
            key.is_some_and(|k| SET_KEYS.contains(&k)) && norm(key, a) == norm(key, b)
        }
        _ => norm(key, a) == norm(key, b),
    }
}

fn norm(key: Option<&str>, v: &Value) -> Value {
    match (key, v) {
        (Some("user-context"), _) => v.clone(),
        // Kea writes a pool that is exactly a prefix as "a.b.c.d/len" (a single address:
        // "/32") whatever it was given: compare the addresses, not the spelling.
        (Some("pool"), Value::String(s)) => match crate::model::Range::parse_pool(s) {
            Some(r) => Value::String(format!("{}-{}", r.first(), r.last())),
            None => Value::String(s.chars().filter(|c| !c.is_whitespace()).collect()),
        },
        (Some("client-id"), Value::String(s)) => Value::String(norm_hex(s, true)),
        (Some("hw-address"), Value::String(s)) => Value::String(norm_hex(s, false)),
        (_, Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    // Kea 3.0 reads a subnet's or pool's `"client-class": "X"` back as
                    // `"client-classes": ["X"]`: one spelling for both.
                    ("client-class", Value::String(s)) => (
                        "client-classes".to_string(),
                        Value::Array(if s.is_empty() {
                            Vec::new()
                        } else {
                            vec![Value::String(s.clone())]
                        }),
                    ),
                    _ => (k.clone(), norm(Some(k), v)),
                })
                .collect(),
        ),
        (k, Value::Array(a)) => {
            let mut items: Vec<Value> = a.iter().map(|x| norm(None, x)).collect();
            if k.is_some_and(|k| SET_KEYS.contains(&k)) {
                items.sort_by(set_order);
            }
            Value::Array(items)
        }
        _ => v.clone(),
    }
}

/// The first identity key an element has, with its value.
fn identity(v: &Value) -> Option<(usize, &Value)> {
    IDENTITY_KEYS
        .iter()
        .enumerate()
        .find_map(|(i, k)| v.get(*k).map(|x| (i, x)))
}

/// Order of set elements: by identity (subnet id, name, pool, ...), the whole text only on
/// ties; serialising every element of a 10,000-subnet list just to sort it costs ~0.3 s.
fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let scalar = |x: &Value, y: &Value| match (x.as_f64(), y.as_f64(), x.as_str(), y.as_str()) {
        (Some(p), Some(q), _, _) => p.total_cmp(&q),
        (_, _, Some(p), Some(q)) => p.cmp(q),
        _ => std::cmp::Ordering::Equal,
    };
    let by_ident = match (identity(a), identity(b)) {
        (Some((i, x)), Some((j, y))) => i.cmp(&j).then_with(|| scalar(x, y)),
        _ => std::cmp::Ordering::Equal,
    };
    by_ident.then_with(|| a.to_string().cmp(&b.to_string()))
}

/// Hex identifiers without separators; anything that is not plain hex is kept as written.
fn norm_hex(s: &str, upper: bool) -> String {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return s.to_string();
    }
    if upper {
        hex.to_ascii_uppercase()
    } else {
        hex.to_ascii_lowercase()
    }
}

/// The `Dhcp4` object of `{"Dhcp4": {...}}`, or the object itself when it has no wrapper.
pub fn dhcp4(config: &Value) -> Option<&Map<String, Value>> {
    match config.get("Dhcp4") {
        Some(d) => d.as_object(),
        None => config.as_object(),
    }
}

/// Every subnet by id: top level and inside shared networks, each with the name of its
/// shared network (`None` at top level). Subnets without a numeric id are left out.
pub fn subnets_by_id(config: &Value) -> BTreeMap<u64, (Option<String>, &Value)> {
    let mut out = BTreeMap::new();
    let Some(d) = dhcp4(config) else {
        return out;
    };
    let mut lists: Vec<(Option<String>, &Value)> =
        d.get("subnet4").map(|l| (None, l)).into_iter().collect();
    for sn in d
        .get("shared-networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = sn.get("name").and_then(Value::as_str).map(str::to_string);
        lists.extend(sn.get("subnet4").map(|l| (name, l)));
    }
    for (net, list) in lists {
        for s in list.as_array().into_iter().flatten() {
            if let Some(id) = s.get("id").and_then(Value::as_u64) {
                out.insert(id, (net.clone(), s));
            }
        }
    }
    out
}

/// Shared networks by name, without their `subnet4` (those are compared as subnets).
fn networks_by_name(config: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let list = dhcp4(config)
        .and_then(|d| d.get("shared-networks"))
        .and_then(Value::as_array);
    for sn in list.into_iter().flatten() {
        if let (Some(name), Some(obj)) = (sn.get("name").and_then(Value::as_str), sn.as_object()) {
            let mut obj = obj.clone();
            obj.remove("subnet4");
            out.insert(name.to_string(), Value::Object(obj));
        }
    }
    out
}

/// Top-level `Dhcp4` keys other than the subnets and shared networks.
fn globals(config: &Value) -> BTreeMap<&str, &Value> {
    dhcp4(config)
        .map(|d| {
            d.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "subnet4" | "shared-networks"))
                .map(|(k, v)| (k.as_str(), v))
                .collect()
        })
        .unwrap_or_default()
}

/// Added / removed / changed keys between two maps; `same` says whether two values mean
/// the same.
fn diff_keys<K: Ord + Clone, V>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    same: impl Fn(&K, &V, &V) -> bool,
) -> (Vec<K>, Vec<K>, Vec<K>) {
    let added = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    let removed = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    let changed = before
        .iter()
        .filter(|(k, v)| after.get(*k).is_some_and(|a| !same(k, v, a)))
        .map(|(k, _)| k.clone())
        .collect();
    (added, removed, changed)
}

fn same_subnet(
    _: &u64,
    (na, a): &(Option<String>, &Value),
    (nb, b): &(Option<String>, &Value),
) -> bool {
    na == nb && (a == b || normalise(a) == normalise(b))
}

fn same_value<K>(_: &K, a: &Value, b: &Value) -> bool {
    a == b || normalise(a) == normalise(b)
}

fn same_global(k: &&str, a: &&Value, b: &&Value) -> bool {
    a == b || norm(Some(k), a) == norm(Some(k), b)
}

/// What differs between two full configs, by meaning, small enough for a journal entry:
/// `{"subnets": {"added": [ids], "removed": [ids], "changed": [ids]},
///   "shared-networks": {"added": [names], ...}, "globals": ["valid-lifetime", ...]}`.
/// Empty parts are left out; two configs of the same meaning give `{}`. A subnet that moved
/// into or out of a shared network counts as changed.
pub fn diff_summary(before: &Value, after: &Value) -> Value {
    let mut out = Map::new();
    let part = |(a, r, c): (Vec<Value>, Vec<Value>, Vec<Value>)| {
        let mut m = Map::new();
        for (k, list) in [("added", a), ("removed", r), ("changed", c)] {
            if !list.is_empty() {
                m.insert(k.into(), Value::Array(list));
            }
        }
        m
    };
    let to_json = |(a, r, c): (Vec<u64>, Vec<u64>, Vec<u64>)| {
        let f = |v: Vec<u64>| v.into_iter().map(Value::from).collect();
        (f(a), f(r), f(c))
    };
    let names = |(a, r, c): (Vec<String>, Vec<String>, Vec<String>)| {
        let f = |v: Vec<String>| v.into_iter().map(Value::from).collect();
        (f(a), f(r), f(c))
    };
    let s = part(to_json(diff_keys(
        &subnets_by_id(before),
        &subnets_by_id(after),
        same_subnet,
    )));
    if !s.is_empty() {
        out.insert("subnets".into(), Value::Object(s));
    }
    let n = part(names(diff_keys(
        &networks_by_name(before),
        &networks_by_name(after),
        same_value,
    )));
    if !n.is_empty() {
        out.insert("shared-networks".into(), Value::Object(n));
    }
    let (a, r, c) = diff_keys(&globals(before), &globals(after), same_global);
    let g: BTreeSet<&str> = a.into_iter().chain(r).chain(c).collect();
    if !g.is_empty() {
        out.insert("globals".into(), json!(g));
    }
    Value::Object(out)
}

/// One line for people: "subnets added 7; subnets changed 1, 3; globals changed: valid-lifetime".
pub fn describe_summary(summary: &Value) -> String {
    let mut parts = Vec::new();
    for (key, label) in [
        ("subnets", "subnets"),
        ("shared-networks", "shared networks"),
    ] {
        for kind in ["added", "removed", "changed"] {
            if let Some(list) = summary[key][kind].as_array() {
                let items: Vec<String> = list
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect();
                parts.push(format!("{label} {kind} {}", items.join(", ")));
            }
        }
    }
    if let Some(g) = summary["globals"].as_array() {
        let items: Vec<&str> = g.iter().filter_map(Value::as_str).collect();
        parts.push(format!("settings changed: {}", items.join(", ")));
    }
    if parts.is_empty() {
        "no difference in meaning".into()
    } else {
        parts.join("; ")
    }
}

/// The parts of `config` a summary names (changed subnets whole, changed shared networks
/// without their subnets, changed globals), with secrets masked: the "before" or "after" of a
/// journal entry, instead of the whole config.
pub fn changed_parts(config: &Value, summary: &Value) -> Value {
    let ids: BTreeSet<u64> = ["added", "removed", "changed"]
        .iter()
        .filter_map(|k| summary["subnets"][*k].as_array())
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let by_id = subnets_by_id(config);
    let subnets: Vec<Value> = ids
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|(net, s)| {
            let mut s = (*s).clone();
            if let (Some(net), Some(obj)) = (net, s.as_object_mut()) {
                // Where it sits matters to the reader; Kea has no such key, so it is marked.
                obj.insert("(shared-network)".into(), json!(net));
            }
            s
        })
        .collect();
    let net_names: BTreeSet<&str> = ["added", "removed", "changed"]
        .iter()
        .filter_map(|k| summary["shared-networks"][*k].as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let networks: Vec<Value> = networks_by_name(config)
        .into_iter()
        .filter(|(n, _)| net_names.contains(n.as_str()))
        .map(|(_, v)| v)
        .collect();
    let keys: BTreeSet<&str> = summary["globals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let globals: Map<String, Value> = globals(config)
        .into_iter()
        .filter(|(k, _)| keys.contains(k))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut out = Map::new();
    if !subnets.is_empty() {
        out.insert("subnets".into(), Value::Array(subnets));
    }
    if !networks.is_empty() {
        out.insert("shared-networks".into(), Value::Array(networks));
    }
    if !globals.is_empty() {
        out.insert("globals".into(), Value::Object(globals));
    }
    mask_secrets(Value::Object(out))
}

/// Replaces the values of password and secret keys (the HA peers' `basic-auth-password`, a
/// database `password`) with `***`.
pub fn mask_secrets(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let k = k.to_ascii_lowercase();
                    if (k.contains("password") || k.contains("secret")) && x.is_string() {
                        *x = json!("***");
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// Whether the edit (`base` -> `edited`) shows in `readback` (a config-get after the write):
/// every subnet, shared network and global the edit touched reads back with what the edit
/// put there (Kea may add defaults; keys the edit removed must be gone or differ from
/// before), and removed subnets are gone. Returns the first thing that did not match.
pub fn edit_is_live(base: &Value, edited: &Value, readback: &Value) -> Result<(), String> {
    let summary = diff_summary(base, edited);
    let ids = |k: &str| -> Vec<u64> {
        summary["subnets"][k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect()
    };
    let (b, e, r) = (
        subnets_by_id(base),
        subnets_by_id(edited),
        subnets_by_id(readback),
    );
    for id in ids("removed") {
        if r.contains_key(&id) {
            return Err(format!("subnet {id} is still there"));
        }
    }
    for id in ids("added").into_iter().chain(ids("changed")) {
        let (enet, es) = &e[&id];
        let Some((rnet, rs)) = r.get(&id) else {
            return Err(format!("subnet {id} is missing"));
        };
        if enet != rnet {
            return Err(format!("subnet {id} is in the wrong shared network"));
        }
        let bs = b.get(&id).map(|(_, s)| normalise(s));
        if !contains(&normalise(rs), &normalise(es), bs.as_ref()) {
            return Err(format!("subnet {id} does not read back as written"));
        }
    }
    let (bn, en, rn) = (
        networks_by_name(base),
        networks_by_name(edited),
        networks_by_name(readback),
    );
    let (added, removed, changed) = diff_keys(&bn, &en, same_value);
    for name in removed {
        if rn.contains_key(&name) {
            return Err(format!("shared network {name} is still there"));
        }
    }
    for name in added.into_iter().chain(changed) {
        let ok = rn.get(&name).is_some_and(|rv| {
            contains(
                &normalise(rv),
                &normalise(&en[&name]),
                bn.get(&name).map(normalise).as_ref(),
            )
        });
        if !ok {
            return Err(format!(
                "shared network {name} does not read back as written"
            ));
        }
    }
    let (bg, eg, rg) = (globals(base), globals(edited), globals(readback));
    for (k, ev) in &eg {
        if bg.get(k) == Some(ev) {
            continue;
        }
        // Kea leaves out an emptied list (the last class deleted): absent reads as empty.
        let ok = match rg.get(k) {
            Some(rv) => contains(
                &norm(Some(k), rv),
                &norm(Some(k), ev),
                bg.get(k).map(|b| norm(Some(k), b)).as_ref(),
            ),
            None => is_empty(ev),
        };
        if !ok {
            return Err(format!("setting {k} does not read back as written"));
        }
    }
    Ok(())
}

/// `read` holds everything `want` says (all normalised). `before` is what was there before
/// the edit: keys the edit dropped must not read back with their old value.
fn contains(read: &Value, want: &Value, before: Option<&Value>) -> bool {
    match (read, want) {
        (Value::Object(r), Value::Object(w)) => {
            let keys_ok = w.iter().all(|(k, wv)| {
                let bv = before.and_then(|b| b.get(k));
                match r.get(k) {
                    // Kea keeps user-context verbatim: it must match exactly.
                    Some(rv) if k == "user-context" => rv == wv,
                    Some(rv) => contains(rv, wv, bv),
                    None => is_empty(wv),
                }
            });
            // A key the edit dropped must not read back with its old value, unless that
            // value is what Kea fills in by itself ("", [], 0.0.0.0, false): a replaced
            // reservation reads back with Kea's defaults, as the one before it did.
            let dropped_ok = before.and_then(Value::as_object).is_none_or(|b| {
                b.iter()
                    .filter(|(k, bv)| !w.contains_key(*k) && !kea_default(bv))
                    .all(|(k, bv)| r.get(k) != Some(bv))
            });
            keys_ok && dropped_ok
        }
        (Value::Array(r), Value::Array(w)) => {
            if r.len() != w.len() {
                return false;
            }
            let befores = before.and_then(Value::as_array);
            let mut used = vec![false; r.len()];
            w.iter().all(|we| {
                let be = befores.and_then(|bs| bs.iter().find(|b| same_identity(b, we)));
                // The element with the same identity, else any unused one that holds it.
                let pick = r
                    .iter()
                    .enumerate()
                    .position(|(i, re)| !used[i] && same_identity(re, we))
                    .filter(|&i| contains(&r[i], we, be))
                    .or_else(|| {
                        r.iter()
                            .enumerate()
                            .position(|(i, re)| !used[i] && contains(re, we, be))
                    });
                match pick {
                    Some(i) => {
                        used[i] = true;
                        true
                    }
                    None => false,
                }
            })
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => read == want,
    }
}

/// A value Kea writes by itself where nothing was given.
fn kea_default(v: &Value) -> bool {
    is_empty(v)
        || matches!(v, Value::Bool(false))
        || v.as_str().is_some_and(|s| s.is_empty() || s == "0.0.0.0")
}

/// Null, `[]` or `{}`: what Kea may leave out of its config-get.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Both are objects and agree on the first identity key `want` has.
fn same_identity(a: &Value, want: &Value) -> bool {
    IDENTITY_KEYS
        .iter()
        .find_map(|k| want.get(*k).map(|w| (k, w)))
        .is_some_and(|(k, w)| a.get(*k) == Some(w))
}

/// The `subnet4` entry with this id, at the top level or inside a shared network.
pub fn subnet_mut(cfg: &mut Value, id: u32) -> Result<&mut Value, String> {
    let d = cfg
        .get_mut("Dhcp4")
        .ok_or("the configuration has no Dhcp4 object")?;
    find_subnet_mut(d, |s| s["id"].as_u64() == Some(u64::from(id)))
        .ok_or_else(|| format!("subnet id {id} is no longer on the server: reload"))
}

/// The first `subnet4` entry of a Dhcp4 object that `is_it` picks, at the top level or
/// inside a shared network.
pub fn find_subnet_mut(d: &mut Value, is_it: impl Fn(&Value) -> bool) -> Option<&mut Value> {
    // Find where it is first, then borrow mutably once.
    let top = d["subnet4"]
        .as_array()
        .and_then(|l| l.iter().position(&is_it));
    if let Some(i) = top {
        return Some(&mut d["subnet4"][i]);
    }
    let (n, i) = d["shared-networks"].as_array().and_then(|nets| {
        nets.iter().enumerate().find_map(|(n, net)| {
            net["subnet4"]
                .as_array()
                .and_then(|l| l.iter().position(&is_it))
                .map(|i| (n, i))
        })
    })?;
    Some(&mut d["shared-networks"][n]["subnet4"][i])
}

#[cfg(test)]
mod tests;
