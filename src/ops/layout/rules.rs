//! The pure rules of the address-space layout: where a network or container may go and what
//! a scope's properties must satisfy. No I/O here, so every refusal is testable without a
//! server; the JSON they become is `kea::subnet_json`'s.
//!
//! Nesting: containers may nest in containers; networks sit at the top or in a container;
//! a network holds only scopes (never another network or a container). Siblings never
//! overlap. A scope's subnet is its network's CIDR ("the mask comes from the network").
use crate::ops::Invalid;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::model::range::nets_overlap;
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
) -> Result<(), Invalid> {
    if cidr != cidr.trunc() {
        return Err(format!("{cidr} has host bits set: did you mean {}?", cidr.trunc()).into());
    }
    if let Some(same) = existing.iter().find(|n| n.cidr == cidr) {
        return Err(format!("{cidr} already exists as a {}", kind_word(same.kind)).into());
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
            )
            .into());
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
                )
                .into());
            }
        } else if !n.cidr.contains(&cidr) && nets_overlap(&n.cidr, &cidr) {
            return Err(format!(
                "{cidr} overlaps the {} {} without containing it or lying inside it",
                kind_word(n.kind),
                n.cidr
            )
            .into());
        }
    }
    Ok(())
}

/// Whether `cidr` can be a scope of the network `network`: no host bits, inside it.
pub fn check_scope_subnet(network: Ipv4Net, cidr: Ipv4Net) -> Result<(), Invalid> {
    if cidr != cidr.trunc() {
        return Err(format!("{cidr} has host bits set: did you mean {}?", cidr.trunc()).into());
    }
    if !network.contains(&cidr) {
        return Err(format!("the scope {cidr} is outside its network {network}").into());
    }
    Ok(())
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
/// A new scope's subnet4 entry (`kea::subnet_json::new_subnet`) from checked properties.
pub fn scope_subnet(
    id: u32,
    v: &ValidScope,
    p: &ScopeProps,
    split: Option<&[String; 2]>,
) -> Result<Value, Invalid> {
    crate::kea::subnet_json::new_subnet(
        &crate::kea::subnet_json::NewSubnet {
            id,
            cidr: Some(v.cidr),
            range: Some(v.range),
            gateway: p.gateway,
            dns: &v.dns,
            domain: p.domain.as_deref(),
            lease_time: p.lease_time,
            relay: &p.relay,
            title: p.title.as_deref(),
            description: p.description.as_deref(),
            active: p.active,
        },
        split,
    )
    .map_err(Invalid::from)
}

pub fn validate_scope(cidr: Ipv4Net, p: &ScopeProps) -> Result<ValidScope, Invalid> {
    let hosts = Range::hosts_of_net(&cidr);
    let start = p.start.unwrap_or(hosts.first());
    let end = p.end.unwrap_or(hosts.last());
    for (what, ip) in [("start", start), ("end", end)] {
        if !cidr.contains(&ip) {
            return Err(format!(
                "the {what} {ip} is outside the network {cidr}: pick an address in {} - {}",
                hosts.first(),
                hosts.last()
            )
            .into());
        }
    }
    let range = Range::new(start, end)
        .ok_or_else(|| format!("the start {start} comes after the end {end}"))?;
    if let Some(g) = p.gateway {
        if !cidr.contains(&g) {
            return Err(format!(
                "the gateway {g} is outside the scope's subnet {cidr}: clients could not reach it"
            )
            .into());
        }
        // In a /30 or larger, the network and broadcast addresses are no hosts.
        if cidr.prefix_len() < 31 && (g == cidr.network() || g == cidr.broadcast()) {
            return Err(format!(
                "the gateway {g} is the network or broadcast address of {cidr}, not a host"
            )
            .into());
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
            )
            .into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kea::subnet_json::{set_active, set_lease_time};
    use serde_json::json;

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
        assert!(e.0.contains("holds only scopes"), "{e}");
        let e = check_network_place(&ex, "10.1.0.0/16".parse().unwrap(), Network).unwrap_err();
        assert!(e.0.contains("already exists"), "{e}");
        let e = check_network_place(&ex, "10.0.0.0/12".parse().unwrap(), Network).unwrap_err();
        assert!(e.0.contains("create it as a container"), "{e}");
        assert!(check_network_place(&ex, "10.0.0.0/12".parse().unwrap(), Container).is_ok());
        let e = check_network_place(&ex, "10.1.0.1/16".parse().unwrap(), Network).unwrap_err();
        assert!(e.0.contains("host bits"), "{e}");
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
        assert!(bad(&|p| p.end = Some("10.5.1.1".parse().unwrap()))
            .0
            .contains("outside the network"));
        assert!(bad(&|p| p.start = Some("10.5.0.30".parse().unwrap()))
            .0
            .contains("comes after"));
        assert!(bad(&|p| p.gateway = Some("10.6.0.1".parse().unwrap()))
            .0
            .contains("gateway"));
        assert!(bad(&|p| p.dns = vec!["dns.example".into()])
            .0
            .contains("not an IPv4 address"));
        assert!(bad(&|p| p.lease_time = Some(10)).0.contains("out of range"));
        assert!(bad(&|p| p.lease_time = Some(40_000_000))
            .0
            .contains("out of range"));
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
        let s = scope_subnet(7, &v, &p, Some(&names)).unwrap();
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
