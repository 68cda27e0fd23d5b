//! ddish's own marks in Kea's `user-context` (DESIGN.md: where each IPAM concept lives):
//! networks and containers with their scope lists and claims in
//! `Dhcp4.user-context.ddish.networks`, a scope's title, description and pinned range in its
//! subnet's `user-context.ddish`.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use super::write_error::EditRefused;
use crate::model::Range;

/// `Dhcp4.user-context.ddish.networks`, created when missing.
pub fn networks_mut(cfg: &mut Value) -> Result<&mut Vec<Value>, String> {
    let d = cfg
        .get_mut("Dhcp4")
        .filter(|d| d.is_object())
        .ok_or("the configuration has no Dhcp4 object")?;
    if !d["user-context"].is_object() {
        d["user-context"] = json!({});
    }
    if !d["user-context"]["ddish"].is_object() {
        d["user-context"]["ddish"] = json!({});
    }
    let n = &mut d["user-context"]["ddish"]["networks"];
    if !n.is_array() {
        *n = json!([]);
    }
    n.as_array_mut()
        .ok_or_else(|| "networks is not a list".to_string())
}

/// The network entry (JSON) at `cidr`.
pub fn network_entry_mut<'a>(list: &'a mut [Value], cidr: &Ipv4Net) -> Option<&'a mut Value> {
    list.iter_mut().find(|n| {
        n["cidr"]
            .as_str()
            .and_then(|c| c.parse::<Ipv4Net>().ok())
            .is_some_and(|c| c == *cidr)
    })
}

/// The network or container entry at `cidr`, or why not.
pub fn network_mut<'a>(cfg: &'a mut Value, cidr: &Ipv4Net) -> Result<&'a mut Value, String> {
    network_entry_mut(networks_mut(cfg)?, cidr)
        .ok_or_else(|| format!("{cidr} is no longer on this server: reload"))
}

/// The list `key` of an object, created when missing.
fn array_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    if !v[key].is_array() {
        v[key] = json!([]);
    }
    v[key].as_array_mut().expect("just made an array")
}

/// Adds `scope` to the `scopes` list of the network entry at `net` (no duplicates).
pub fn list_scope(cfg: &mut Value, net: &Ipv4Net, scope: &Ipv4Net) -> Result<(), EditRefused> {
    let s = array_mut(network_mut(cfg, net)?, "scopes");
    if !s.iter().any(|x| x.as_str() == Some(&scope.to_string())) {
        s.push(json!(scope.to_string()));
    }
    Ok(())
}

/// Drops `scope` from every network's `scopes` list; whether any listed it.
pub fn unlist_scope(cfg: &mut Value, scope: &Ipv4Net) -> Result<bool, String> {
    let list = networks_mut(cfg)?;
    let mut any = false;
    for n in list.iter_mut() {
        if let Some(s) = n["scopes"].as_array_mut() {
            let before = s.len();
            s.retain(|x| {
                x.as_str()
                    .and_then(|c| c.parse::<Ipv4Net>().ok())
                    .is_none_or(|c| c != *scope)
            });
            any |= s.len() != before;
        }
    }
    Ok(any)
}

/// `user-context.ddish` of a subnet, created when missing.
pub fn ddish_mut(subnet: &mut Value) -> &mut Value {
    if !subnet["user-context"].is_object() {
        subnet["user-context"] = json!({});
    }
    if !subnet["user-context"]["ddish"].is_object() {
        subnet["user-context"]["ddish"] = json!({});
    }
    &mut subnet["user-context"]["ddish"]
}

/// Sets or clears a text field of `user-context.ddish`.
pub fn set_text(subnet: &mut Value, key: &str, v: Option<&str>) {
    let d = ddish_mut(subnet);
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => d[key] = json!(s),
        None => {
            if let Some(o) = d.as_object_mut() {
                o.remove(key);
            }
        }
    }
}

/// Pins the scope range in `user-context.ddish.range`, so pool edits never move it.
pub fn pin_range(subnet: &mut Value, range: Range) {
    if !subnet["user-context"].is_object() {
        subnet["user-context"] = json!({});
    }
    let uc = &mut subnet["user-context"];
    if !uc["ddish"].is_object() {
        uc["ddish"] = json!({});
    }
    if uc["ddish"].get("range").is_none() {
        uc["ddish"]["range"] =
            json!({"start": range.first().to_string(), "end": range.last().to_string()});
    }
}

/// Adds a claim (`{"ip", "mac", ...}`) to the network `cidr`'s list.
pub fn add_claim(cfg: &mut Value, cidr: &Ipv4Net, claim: &Value) -> Result<(), EditRefused> {
    let ip = claim["ip"].as_str().unwrap_or_default().to_string();
    let claims = array_mut(network_mut(cfg, cidr)?, "claims");
    if claims.iter().any(|c| c["ip"] == ip.as_str()) {
        return Err(EditRefused(format!("{ip} was claimed meanwhile: reload")));
    }
    claims.push(claim.clone());
    Ok(())
}

/// Removes the claim of `ip` from the network `cidr`'s list.
pub fn remove_claim(cfg: &mut Value, cidr: &Ipv4Net, ip: Ipv4Addr) -> Result<(), EditRefused> {
    let claims = network_mut(cfg, cidr)?["claims"]
        .as_array_mut()
        .ok_or_else(|| format!("{ip} is not claimed any more: reload"))?;
    let before = claims.len();
    claims.retain(|c| c["ip"] != ip.to_string());
    if claims.len() == before {
        return Err(EditRefused(format!("{ip} is not claimed any more: reload")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_and_scope_lists() {
        let net: Ipv4Net = "10.9.0.0/16".parse().unwrap();
        let scope: Ipv4Net = "10.9.1.0/24".parse().unwrap();
        let mut cfg = json!({"Dhcp4": {"user-context": {"ddish": {"networks": [
            {"cidr": "10.9.0.0/16", "kind": "network"}]}}}});
        let ip: Ipv4Addr = "10.9.200.1".parse().unwrap();
        let claim = json!({"ip": "10.9.200.1", "mac": "aa:bb:cc:dd:ee:ff"});
        add_claim(&mut cfg, &net, &claim).unwrap();
        assert!(add_claim(&mut cfg, &net, &claim)
            .unwrap_err()
            .0
            .contains("meanwhile"));
        list_scope(&mut cfg, &net, &scope).unwrap();
        let n = &cfg["Dhcp4"]["user-context"]["ddish"]["networks"][0];
        assert_eq!(n["claims"][0]["mac"], "aa:bb:cc:dd:ee:ff");
        assert_eq!(n["scopes"], json!(["10.9.1.0/24"]));
        remove_claim(&mut cfg, &net, ip).unwrap();
        assert!(remove_claim(&mut cfg, &net, ip).is_err());
        assert!(unlist_scope(&mut cfg, &scope).unwrap());
        let other: Ipv4Net = "10.8.0.0/16".parse().unwrap();
        assert!(add_claim(&mut cfg, &other, &claim)
            .unwrap_err()
            .0
            .contains("no longer"));
    }
}
