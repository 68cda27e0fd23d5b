//! Configuration drift between two HA peers: Kea's HA needs both to serve the same subnets,
//! pools and reservations, or a client moves between them and gets another answer. What
//! differs is said per subnet, in words an admin can check.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::subnet_json::all_subnets;

/// The most differences listed per pair (the rest are counted).
const MAX_LINES: usize = 20;

/// What differs between `a`'s and `b`'s `{"Dhcp4": ...}` (named `an` and `bn`): subnets on
/// one side only, a subnet's prefix, pools, options, and reservations. Empty: no drift.
pub fn drift(a: &Value, an: &str, b: &Value, bn: &str) -> Vec<String> {
    let (sa, sb) = (by_id(a), by_id(b));
    let mut out = Vec::new();
    for (id, s) in &sa {
        if !sb.contains_key(id) {
            out.push(format!("subnet {id} ({}) only on {an}", cidr(s)));
        }
    }
    for (id, s) in &sb {
        if !sa.contains_key(id) {
            out.push(format!("subnet {id} ({}) only on {bn}", cidr(s)));
        }
    }
    for (id, x) in &sa {
        let Some(y) = sb.get(id) else { continue };
        let here = format!("subnet {id} ({})", cidr(x));
        if cidr(x) != cidr(y) {
            out.push(format!("{here}: {} on {bn}", cidr(y)));
            continue;
        }
        if pools(x) != pools(y) {
            out.push(format!(
                "{here}: pools differ ({an}: {}; {bn}: {})",
                list(&pools(x)),
                list(&pools(y))
            ));
        }
        if options(x) != options(y) {
            out.push(format!("{here}: options differ"));
        }
        if classes(x) != classes(y) {
            // "never" is how ddish (and admins) switch a scope off: one peer serving it
            // and the other not is the worst drift there is.
            out.push(format!(
                "{here}: client classes differ ({an}: {}; {bn}: {})",
                class_list(&classes(x)),
                class_list(&classes(y))
            ));
        }
        if x.get("valid-lifetime") != y.get("valid-lifetime") {
            out.push(format!("{here}: lease time differs"));
        }
        let (rx, ry) = (reservations(x), reservations(y));
        for (ip, who) in &rx {
            match ry.get(ip) {
                None => out.push(format!("{here}: reservation {ip} only on {an}")),
                Some(w) if w != who => out.push(format!(
                    "{here}: reservation {ip} is for {who} on {an}, {w} on {bn}"
                )),
                _ => {}
            }
        }
        for ip in ry.keys().filter(|ip| !rx.contains_key(*ip)) {
            out.push(format!("{here}: reservation {ip} only on {bn}"));
        }
    }
    if out.len() > MAX_LINES {
        let more = out.len() - MAX_LINES;
        out.truncate(MAX_LINES);
        out.push(format!("... and {more} more"));
    }
    out
}

fn by_id(c: &Value) -> BTreeMap<u64, &Value> {
    all_subnets(c)
        .into_iter()
        .filter_map(|s| Some((s["id"].as_u64()?, s)))
        .collect()
}

fn cidr(s: &Value) -> String {
    s["subnet"].as_str().unwrap_or("?").to_string()
}

/// Pools as `a-b` without spaces, sorted.
fn pools(s: &Value) -> BTreeSet<String> {
    s["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["pool"].as_str())
        .map(|p| p.replace(' ', ""))
        .collect()
}

fn options(s: &Value) -> BTreeSet<String> {
    s["option-data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            format!(
                "{}={}",
                o["name"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| o["code"].as_u64().map(|c| c.to_string()))
                    .unwrap_or_default(),
                o["data"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Reservation address -> its identifier (MAC or client id, lower case without colons).
fn reservations(s: &Value) -> BTreeMap<String, String> {
    s["reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let ip = r["ip-address"].as_str()?.to_string();
            let who = ["hw-address", "client-id", "duid", "circuit-id", "flex-id"]
                .iter()
                .find_map(|k| r[*k].as_str().map(|v| format!("{k} {}", norm_id(v))))
                .unwrap_or_else(|| "no identifier".into());
            Some((ip, who))
        })
        .collect()
}

/// A subnet's classes in either of Kea's spellings, as a set.
fn classes(s: &Value) -> BTreeSet<String> {
    super::class_field::classes_of(s)
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn class_list(c: &BTreeSet<String>) -> String {
    if c.is_empty() {
        return "none".into();
    }
    let l = c.iter().cloned().collect::<Vec<_>>().join(", ");
    if c.contains("never") {
        format!("{l}, i.e. inactive")
    } else {
        l
    }
}

fn norm_id(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn list(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(subnets: Value) -> Value {
        json!({"Dhcp4": {"subnet4": subnets}})
    }

    #[test]
    fn same_config_has_no_drift() {
        let a = cfg(json!([{"id": 1, "subnet": "10.0.0.0/24",
            "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}],
            "reservations": [{"ip-address": "10.0.0.5", "hw-address": "AA:BB:CC:00:00:01"}]}]));
        // Kea's own forms (no spaces in pools, MAC without colons) are the same config.
        let b = cfg(json!([{"id": 1, "subnet": "10.0.0.0/24",
            "pools": [{"pool": "10.0.0.10-10.0.0.20", "option-data": []}],
            "reservations": [{"ip-address": "10.0.0.5", "hw-address": "aabbcc000001",
                              "hostname": ""}]}]));
        assert_eq!(drift(&a, "kea-1", &b, "kea-2"), Vec::<String>::new());
    }

    #[test]
    fn differences_are_named_per_subnet() {
        let a = cfg(json!([
            {"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10-10.0.0.20"}],
             "reservations": [{"ip-address": "10.0.0.5", "hw-address": "aa:bb:cc:00:00:01"},
                              {"ip-address": "10.0.0.6", "hw-address": "aa:bb:cc:00:00:02"}]},
            {"id": 2, "subnet": "10.1.0.0/24"}]));
        let b = cfg(json!([
            {"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10-10.0.0.30"}],
             "option-data": [{"name": "routers", "data": "10.0.0.1"}],
             "client-classes": ["never"], "valid-lifetime": 600,
             "reservations": [{"ip-address": "10.0.0.5", "hw-address": "aa:bb:cc:00:00:09"}]},
            {"id": 3, "subnet": "10.3.0.0/24"}]));
        let d = drift(&a, "kea-1", &b, "kea-2");
        assert_eq!(
            d,
            vec![
                "subnet 2 (10.1.0.0/24) only on kea-1",
                "subnet 3 (10.3.0.0/24) only on kea-2",
                "subnet 1 (10.0.0.0/24): pools differ (kea-1: 10.0.0.10-10.0.0.20; kea-2: \
                 10.0.0.10-10.0.0.30)",
                "subnet 1 (10.0.0.0/24): options differ",
                "subnet 1 (10.0.0.0/24): client classes differ (kea-1: none; kea-2: never, i.e. \
                 inactive)",
                "subnet 1 (10.0.0.0/24): lease time differs",
                "subnet 1 (10.0.0.0/24): reservation 10.0.0.5 is for hw-address aabbcc000001 \
                 on kea-1, hw-address aabbcc000009 on kea-2",
                "subnet 1 (10.0.0.0/24): reservation 10.0.0.6 only on kea-1",
            ]
        );
    }
}
