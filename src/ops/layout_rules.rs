//! The pure rules of the address-space layout: where a network or container may go, what a
//! scope's properties must satisfy, and the JSON ddish writes for them. No I/O here, so every
//! refusal is testable without a server.
//!
//! Nesting: containers may nest in containers; networks sit at the top or in a container;
//! a network holds only scopes (never another network or a container). Siblings never
//! overlap. A scope's subnet is its network's CIDR ("the mask comes from the network").
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::model::{NetworkDef, NetworkKind, Range};

/// Shortest and longest lease time ddish accepts (1 minute .. 1 year).
pub const LEASE_TIME_RANGE: std::ops::RangeInclusive<u32> = 60..=31_536_000;

pub fn kind_word(k: NetworkKind) -> &'static str {
    match k {
        NetworkKind::Network => "network",
        NetworkKind::Container => "container",
    }
}

/// Whether a new `kind` entry at `cidr` fits among `existing`.
pub fn check_network_place(
    existing: &[NetworkDef],
    cidr: Ipv4Net,
    kind: NetworkKind,
) -> Result<(), String> {
    if cidr != cidr.trunc() {
        return Err(format!(
            "{cidr} has host bits set: did you mean {}?",
            cidr.trunc()
        ));
    }
    if let Some(same) = existing.iter().find(|n| n.cidr == cidr) {
        return Err(format!(
            "{cidr} already exists as a {}",
            kind_word(same.kind)
        ));
    }
    // The parent: the smallest entry containing the new one.
    let parent = existing
        .iter()
        .filter(|n| n.cidr.contains(&cidr))
        .max_by_key(|n| n.cidr.prefix_len());
    if let Some(p) = parent {
        if p.kind == NetworkKind::Network {
            return Err(format!(
                "{cidr} lies inside network {}, and a network holds only scopes: \
                 convert {} to a container first (`ddish network to-container`)",
                p.cidr, p.cidr
            ));
        }
    }
    for n in existing {
        if cidr.contains(&n.cidr) {
            if kind == NetworkKind::Network {
                return Err(format!(
                    "{cidr} would contain the {} {}, and a network holds only scopes: \
                     create it as a container",
                    kind_word(n.kind),
                    n.cidr
                ));
            }
        } else if !n.cidr.contains(&cidr) && overlaps(&n.cidr, &cidr) {
            return Err(format!(
                "{cidr} overlaps the {} {} without containing it or lying inside it",
                kind_word(n.kind),
                n.cidr
            ));
        }
    }
    Ok(())
}

/// Whether `cidr` can be a scope of the network `network`: no host bits, inside it.
pub fn check_scope_subnet(network: Ipv4Net, cidr: Ipv4Net) -> Result<(), String> {
    if cidr != cidr.trunc() {
        return Err(format!(
            "{cidr} has host bits set: did you mean {}?",
            cidr.trunc()
        ));
    }
    if !network.contains(&cidr) {
        return Err(format!("the scope {cidr} is outside its network {network}"));
    }
    Ok(())
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Everything a scope is created with.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ScopeProps {
    pub start: Option<Ipv4Addr>,
    pub end: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    /// DNS servers as typed (each checked to be an IPv4 address).
    pub dns: Vec<String>,
    pub domain: Option<String>,
    /// Seconds (`valid-lifetime`); `None` inherits the server's.
    pub lease_time: Option<u32>,
    pub active: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `relay.ip-addresses`: the relay agents (giaddr) whose clients this scope serves.
    pub relay: Vec<Ipv4Addr>,
}

/// A checked scope: range and DNS servers parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidScope {
    pub cidr: Ipv4Net,
    pub range: Range,
    pub dns: Vec<Ipv4Addr>,
}

/// Checks a scope's properties against its subnet: start/end inside it and in order,
/// gateway inside, DNS servers addresses, lease time in range. Start and end default to
/// the subnet's first and last host.
pub fn validate_scope(cidr: Ipv4Net, p: &ScopeProps) -> Result<ValidScope, String> {
    let hosts = Range::hosts_of_net(&cidr);
    let start = p.start.unwrap_or(hosts.first());
    let end = p.end.unwrap_or(hosts.last());
    for (what, ip) in [("start", start), ("end", end)] {
        if !cidr.contains(&ip) {
            return Err(format!(
                "the {what} {ip} is outside the network {cidr}: pick an address in {} - {}",
                hosts.first(),
                hosts.last()
            ));
        }
    }
    let range = Range::new(start, end)
        .ok_or_else(|| format!("the start {start} comes after the end {end}"))?;
    if let Some(g) = p.gateway {
        if !cidr.contains(&g) {
            return Err(format!(
                "the gateway {g} is outside the scope's subnet {cidr}: clients could not reach it"
            ));
        }
        // In a /30 or larger, the network and broadcast addresses are no hosts.
        if cidr.prefix_len() < 31 && (g == cidr.network() || g == cidr.broadcast()) {
            return Err(format!(
                "the gateway {g} is the network or broadcast address of {cidr}, not a host"
            ));
        }
    }
    let mut dns = Vec::new();
    for d in &p.dns {
        let d = d.trim();
        let ip: Ipv4Addr = d.parse().map_err(|_| {
            format!("the DNS server '{d}' is not an IPv4 address (e.g. 192.0.2.53)")
        })?;
        dns.push(ip);
    }
    if let Some(t) = p.lease_time {
        if !LEASE_TIME_RANGE.contains(&t) {
            return Err(format!(
                "the lease time {t} s is out of range: {} s (1 minute) to {} s (1 year)",
                LEASE_TIME_RANGE.start(),
                LEASE_TIME_RANGE.end()
            ));
        }
    }
    if let Some(d) = &p.domain {
        if !d.is_empty() {
            crate::dns::validate_hostname(d.trim_end_matches('.'))
                .map_err(|e| format!("the domain name '{d}' is not valid: {e}"))?;
        }
    }
    Ok(ValidScope { cidr, range, dns })
}

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
        .filter(|c| overlaps(c, cidr))
        .collect()
}

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

/// Adds `scope` to the `scopes` list of the network entry at `net` (no duplicates).
pub fn list_scope(cfg: &mut Value, net: &Ipv4Net, scope: &Ipv4Net) -> Result<(), String> {
    let list = networks_mut(cfg)?;
    let n = network_entry_mut(list, net)
        .ok_or_else(|| format!("network {net} is no longer on this server: reload"))?;
    if !n["scopes"].is_array() {
        n["scopes"] = json!([]);
    }
    let s = n["scopes"].as_array_mut().expect("just made an array");
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

/// Inactive: `client-class: never` (Kea selects the subnet for nobody, KEA_FACTS §6) plus
/// ddish's own mark; active removes both.
pub fn set_active(subnet: &mut Value, active: bool) {
    if active {
        crate::kea::remove_classes(subnet, |c| c == "never");
        if let Some(o) = ddish_mut(subnet).as_object_mut() {
            o.remove("inactive");
        }
    } else {
        crate::kea::set_class(subnet, Some("never"));
        ddish_mut(subnet)["inactive"] = json!(true);
    }
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

/// A new subnet4 entry for a checked scope.
pub fn new_subnet(id: u32, v: &ValidScope, p: &ScopeProps, split: Option<&[String; 2]>) -> Value {
    let mut s = json!({
        "id": id,
        "subnet": v.cidr.to_string(),
        "pools": pools_for(v.range, split),
        "option-data": [],
    });
    if let Some(g) = p.gateway {
        set_option(&mut s, "routers", Some(g.to_string()));
    }
    if !v.dns.is_empty() {
        set_option(&mut s, "domain-name-servers", Some(join_ips(&v.dns)));
    }
    if let Some(d) = p.domain.as_deref().filter(|d| !d.is_empty()) {
        set_option(&mut s, "domain-name", Some(d.to_string()));
    }
    if let Some(t) = p.lease_time {
        set_lease_time(&mut s, t);
    }
    if !p.relay.is_empty() {
        s["relay"] =
            json!({"ip-addresses": p.relay.iter().map(|r| r.to_string()).collect::<Vec<_>>()});
    }
    ddish_mut(&mut s)["range"] =
        json!({"start": v.range.first().to_string(), "end": v.range.last().to_string()});
    set_text(&mut s, "title", p.title.as_deref());
    set_text(&mut s, "description", p.description.as_deref());
    set_active(&mut s, p.active);
    s
}

pub fn join_ips(ips: &[Ipv4Addr]) -> String {
    ips.iter()
        .map(Ipv4Addr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(c: &str, kind: NetworkKind) -> NetworkDef {
        NetworkDef {
            cidr: c.parse().unwrap(),
            kind,
            title: None,
            description: None,
            scopes: vec![],
            claims: vec![],
        }
    }

    #[test]
    fn nesting_rules() {
        use NetworkKind::*;
        let ex = vec![net("10.0.0.0/8", Container), net("10.1.0.0/16", Network)];
        assert!(check_network_place(&ex, "10.2.0.0/16".parse().unwrap(), Network).is_ok());
        assert!(check_network_place(&ex, "10.2.0.0/16".parse().unwrap(), Container).is_ok());
        let e = check_network_place(&ex, "10.1.2.0/24".parse().unwrap(), Network).unwrap_err();
        assert!(e.contains("holds only scopes"), "{e}");
        let e = check_network_place(&ex, "10.1.0.0/16".parse().unwrap(), Network).unwrap_err();
        assert!(e.contains("already exists"), "{e}");
        let e = check_network_place(&ex, "10.0.0.0/12".parse().unwrap(), Network).unwrap_err();
        assert!(e.contains("create it as a container"), "{e}");
        assert!(check_network_place(&ex, "10.0.0.0/12".parse().unwrap(), Container).is_ok());
        let e = check_network_place(&ex, "10.1.0.1/16".parse().unwrap(), Network).unwrap_err();
        assert!(e.contains("host bits"), "{e}");
    }

    #[test]
    fn scope_refusals() {
        let cidr: Ipv4Net = "10.5.0.0/24".parse().unwrap();
        let ok = ScopeProps {
            start: Some("10.5.0.10".parse().unwrap()),
            end: Some("10.5.0.20".parse().unwrap()),
            gateway: Some("10.5.0.1".parse().unwrap()),
            dns: vec!["10.5.0.53".into()],
            lease_time: Some(600),
            active: true,
            ..Default::default()
        };
        let v = validate_scope(cidr, &ok).unwrap();
        assert_eq!(v.range.len(), 11);
        let bad = |f: &dyn Fn(&mut ScopeProps)| {
            let mut p = ok.clone();
            f(&mut p);
            validate_scope(cidr, &p).unwrap_err()
        };
        assert!(bad(&|p| p.end = Some("10.5.1.1".parse().unwrap())).contains("outside the network"));
        assert!(bad(&|p| p.start = Some("10.5.0.30".parse().unwrap())).contains("comes after"));
        assert!(bad(&|p| p.gateway = Some("10.6.0.1".parse().unwrap())).contains("gateway"));
        assert!(bad(&|p| p.dns = vec!["dns.example".into()]).contains("not an IPv4 address"));
        assert!(bad(&|p| p.lease_time = Some(10)).contains("out of range"));
        assert!(bad(&|p| p.lease_time = Some(40_000_000)).contains("out of range"));
    }

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
    fn subnet_json() {
        let cidr: Ipv4Net = "10.5.0.0/24".parse().unwrap();
        let p = ScopeProps {
            start: Some("10.5.0.10".parse().unwrap()),
            end: Some("10.5.0.19".parse().unwrap()),
            active: false,
            relay: vec!["127.0.0.9".parse().unwrap()],
            ..Default::default()
        };
        let v = validate_scope(cidr, &p).unwrap();
        let names = ["a".to_string(), "b".to_string()];
        let s = new_subnet(7, &v, &p, Some(&names));
        assert_eq!(s["pools"][0]["pool"], "10.5.0.10 - 10.5.0.14");
        assert_eq!(s["pools"][1]["client-class"], "HA_b");
        assert_eq!(s["client-class"], "never");
        assert_eq!(s["relay"]["ip-addresses"][0], "127.0.0.9");
        let mut s = s;
        set_active(&mut s, true);
        assert!(s.get("client-class").is_none());
        assert!(s["user-context"]["ddish"].get("inactive").is_none());
        s["min-valid-lifetime"] = json!(900);
        set_lease_time(&mut s, 600);
        assert_eq!(s["min-valid-lifetime"], 600);
    }
}
