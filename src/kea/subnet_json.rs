//! A subnet4 entry as Kea's JSON: the subnet lists of a config, pools (halves for an HA
//! load-balancing pair, rewritten keeping their other fields), options, lease times,
//! activation, and a new scope's entry. The operations layer says what; this says how Kea
//! spells it.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use super::write_error::EditRefused;
use crate::model::Range;

/// Pools for a range: one, or in an HA load-balancing pair two halves with the classes
/// `HA_<peer>` as Kea's HA hook assigns them (each server then serves its half).
pub fn pools_for(range: Range, split: Option<&[String; 2]>) -> Value {
    match split {
        Some(names) if range.len() >= 2 => {
            let (a, b) = (u32::from(range.first()), u32::from(range.last()));
            let mid = a + (b - a) / 2;
            json!([
                {"pool": format!("{} - {}", Ipv4Addr::from(a), Ipv4Addr::from(mid)),
                 "client-class": format!("HA_{}", names[0])},
                {"pool": format!("{} - {}", Ipv4Addr::from(mid + 1), Ipv4Addr::from(b)),
                 "client-class": format!("HA_{}", names[1])}
            ])
        }
        _ => json!([{"pool": range.to_pool_string()}]),
    }
}

/// The peers' names of a load-balancing HA pair, in the hook's order; `None` for a
/// standalone server or hot-standby (one pool, the active server serves it).
pub fn ha_split(raw: &Value) -> Option<[String; 2]> {
    let hooks = raw["Dhcp4"]["hooks-libraries"].as_array()?;
    let ha = hooks.iter().find(|h| {
        h["library"]
            .as_str()
            .is_some_and(|l| l.contains("libdhcp_ha"))
    })?;
    let rel = &ha["parameters"]["high-availability"][0];
    if rel["mode"].as_str() != Some("load-balancing") {
        return None;
    }
    let peers: Vec<String> = rel["peers"]
        .as_array()?
        .iter()
        .filter(|p| p["role"].as_str() != Some("backup"))
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    match peers.as_slice() {
        [a, b] => Some([a.clone(), b.clone()]),
        _ => None,
    }
}

/// Every subnet of a Dhcp4 config, also inside shared networks.
pub fn all_subnets(raw: &Value) -> Vec<&Value> {
    let d = &raw["Dhcp4"];
    let mut out: Vec<&Value> = d["subnet4"]
        .as_array()
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    if let Some(nets) = d["shared-networks"].as_array() {
        for n in nets {
            if let Some(l) = n["subnet4"].as_array() {
                out.extend(l.iter());
            }
        }
    }
    out
}

pub fn subnet_cidr(s: &Value) -> Option<Ipv4Net> {
    s["subnet"]
        .as_str()?
        .parse::<Ipv4Net>()
        .ok()
        .map(|n| n.trunc())
}

/// The largest subnet id in a config (0 when none).
pub fn max_subnet_id(raw: &Value) -> u32 {
    all_subnets(raw)
        .iter()
        .filter_map(|s| s["id"].as_u64())
        .filter_map(|i| u32::try_from(i).ok())
        .max()
        .unwrap_or(0)
}

/// The subnets of a config overlapping `cidr`.
pub fn overlapping_subnets(raw: &Value, cidr: &Ipv4Net) -> Vec<Ipv4Net> {
    all_subnets(raw)
        .iter()
        .filter_map(|s| subnet_cidr(s))
        .filter(|c| crate::model::range::nets_overlap(c, cidr))
        .collect()
}

/// Replaces the option `name` (also matched by its code) in `option-data`; `None` removes it.
pub fn set_option(subnet: &mut Value, name: &str, data: Option<String>) {
    let code = match name {
        "routers" => Some(3),
        "domain-name-servers" => Some(6),
        "domain-name" => Some(15),
        _ => None,
    };
    if !subnet["option-data"].is_array() {
        subnet["option-data"] = json!([]);
    }
    let list = subnet["option-data"]
        .as_array_mut()
        .expect("just made an array");
    list.retain(|o| {
        o["name"].as_str() != Some(name) && (code.is_none() || o["code"].as_u64() != code)
    });
    if let Some(d) = data {
        list.push(json!({"name": name, "data": d}));
    }
}

/// Sets `valid-lifetime`, keeping `min-`/`max-valid-lifetime` around it when present.
pub fn set_lease_time(subnet: &mut Value, t: u32) {
    subnet["valid-lifetime"] = json!(t);
    if subnet["min-valid-lifetime"]
        .as_u64()
        .is_some_and(|m| m > u64::from(t))
    {
        subnet["min-valid-lifetime"] = json!(t);
    }
    if subnet["max-valid-lifetime"]
        .as_u64()
        .is_some_and(|m| m < u64::from(t))
    {
        subnet["max-valid-lifetime"] = json!(t);
    }
}

/// Inactive: `client-class: never` (Kea selects the subnet for nobody, KEA_FACTS §6) plus
/// ddish's own mark; active removes both.
pub fn set_active(subnet: &mut Value, active: bool) {
    if active {
        super::class_field::remove_classes(subnet, |c| c == "never");
        if let Some(o) = super::marks::ddish_mut(subnet).as_object_mut() {
            o.remove("inactive");
        }
    } else {
        super::class_field::set_class(subnet, Some("never"));
        super::marks::ddish_mut(subnet)["inactive"] = json!(true);
    }
}

/// What a new scope is made of, checked by the operations layer before.
#[derive(Clone, Debug, Default)]
pub struct NewSubnet<'a> {
    pub id: u32,
    pub cidr: Option<Ipv4Net>,
    pub range: Option<Range>,
    pub gateway: Option<Ipv4Addr>,
    pub dns: &'a [Ipv4Addr],
    pub domain: Option<&'a str>,
    /// Seconds (`valid-lifetime`); `None` inherits the server's.
    pub lease_time: Option<u32>,
    pub relay: &'a [Ipv4Addr],
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub active: bool,
}

/// A new subnet4 entry; `split`: the HA load-balancing pair whose halves the pools are.
pub fn new_subnet(n: &NewSubnet, split: Option<&[String; 2]>) -> Result<Value, String> {
    let (Some(cidr), Some(range)) = (n.cidr, n.range) else {
        return Err("a new scope needs its subnet and range".into());
    };
    let mut s = json!({
        "id": n.id,
        "subnet": cidr.to_string(),
        "pools": pools_for(range, split),
        "option-data": [],
    });
    if let Some(g) = n.gateway {
        set_option(&mut s, "routers", Some(g.to_string()));
    }
    if !n.dns.is_empty() {
        set_option(&mut s, "domain-name-servers", Some(join_ips(n.dns)));
    }
    if let Some(d) = n.domain.filter(|d| !d.is_empty()) {
        set_option(&mut s, "domain-name", Some(d.to_string()));
    }
    if let Some(t) = n.lease_time {
        set_lease_time(&mut s, t);
    }
    if !n.relay.is_empty() {
        s["relay"] =
            json!({"ip-addresses": n.relay.iter().map(|r| r.to_string()).collect::<Vec<_>>()});
    }
    super::marks::ddish_mut(&mut s)["range"] =
        json!({"start": range.first().to_string(), "end": range.last().to_string()});
    super::marks::set_text(&mut s, "title", n.title);
    super::marks::set_text(&mut s, "description", n.description);
    set_active(&mut s, n.active);
    Ok(s)
}

pub fn join_ips(ips: &[Ipv4Addr]) -> String {
    ips.iter()
        .map(Ipv4Addr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rewrites a subnet's pools through `f`, each pool object keeping its other fields
/// (client-class of an HA split, pool options).
pub fn rewrite_pools(
    subnet: &mut Value,
    f: impl FnOnce(&[(Range, usize)]) -> Vec<(Range, usize)>,
) -> Result<(Value, Value), EditRefused> {
    let pools: Vec<Value> = subnet["pools"].as_array().cloned().unwrap_or_default();
    let mut parsed = Vec::with_capacity(pools.len());
    for (i, p) in pools.iter().enumerate() {
        let s = p["pool"].as_str().unwrap_or_default();
        let r = Range::parse_pool(s)
            .ok_or_else(|| format!("pool '{s}' on the server is not a range ddish can edit"))?;
        parsed.push((r, i));
    }
    let new = f(&parsed);
    let out: Vec<Value> = new
        .iter()
        .map(|(r, g)| {
            let mut p = pools.get(*g).cloned().unwrap_or_else(|| json!({}));
            p["pool"] = json!(r.to_pool_string());
            p
        })
        .collect();
    let before = Value::Array(pools);
    subnet["pools"] = Value::Array(out.clone());
    Ok((before, Value::Array(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alloc::exclude_from_pools;

    #[test]
    fn ha_split_only_in_load_balancing() {
        let cfg = |mode: &str| {
            json!({"Dhcp4": {"hooks-libraries": [
                {"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"},
                {"library": "/usr/lib/kea/hooks/libdhcp_ha.so", "parameters": {
                    "high-availability": [{"this-server-name": "a", "mode": mode, "peers": [
                        {"name": "a", "role": "primary"}, {"name": "b", "role": "secondary"}]}]}}]}})
        };
        assert_eq!(
            ha_split(&cfg("load-balancing")),
            Some(["a".to_string(), "b".to_string()])
        );
        assert_eq!(ha_split(&cfg("hot-standby")), None);
        assert_eq!(ha_split(&json!({"Dhcp4": {}})), None);
        let r = Range::parse_pool("10.0.0.5-10.0.0.5").unwrap();
        let names = ["a".to_string(), "b".to_string()];
        assert_eq!(pools_for(r, Some(&names)).as_array().unwrap().len(), 1);
    }

    #[test]
    fn pools_are_rewritten_keeping_their_fields() {
        let mut subnet = json!({"id": 1, "subnet": "10.0.0.0/24", "pools": [
            {"pool": "10.0.0.100 - 10.0.0.149", "client-class": "HA_server1"},
            {"pool": "10.0.0.150-10.0.0.199", "client-class": "HA_server2", "option-data": []}]});
        let r = Range::parse_pool("10.0.0.140-10.0.0.160").unwrap();
        rewrite_pools(&mut subnet, |p| exclude_from_pools(p, r)).unwrap();
        assert_eq!(
            subnet["pools"],
            json!([{"pool": "10.0.0.100-10.0.0.139", "client-class": "HA_server1"},
                   {"pool": "10.0.0.161-10.0.0.199", "client-class": "HA_server2", "option-data": []}])
        );
        super::super::marks::pin_range(
            &mut subnet,
            Range::parse_pool("10.0.0.100-10.0.0.199").unwrap(),
        );
        assert_eq!(
            subnet["user-context"]["ddish"]["range"]["end"],
            "10.0.0.199"
        );
        let mut cfg = json!({"Dhcp4": {"subnet4": [], "shared-networks": [{"name": "f", "subnet4": [subnet]}]}});
        assert!(super::super::semantic::subnet_mut(&mut cfg, 1).is_ok());
        assert!(super::super::semantic::subnet_mut(&mut cfg, 2)
            .unwrap_err()
            .contains("no longer"));
        let mut bad = json!({"pools": [{"pool": "garbage"}]});
        assert!(rewrite_pools(&mut bad, |p| p.to_vec()).is_err());
    }

    #[test]
    fn a_new_subnet_needs_its_prefix_and_range() {
        assert!(new_subnet(&NewSubnet::default(), None).is_err());
    }
}
