//! Input checks the forms run as the user types. They are the same functions the ops layer
//! applies before writing, so the console never accepts what the server side would refuse.
use std::net::Ipv4Addr;

use crate::config::DnsConfig;

/// A MAC address in any usual notation, normalised to `aa:bb:cc:dd:ee:ff`.
pub fn mac(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("required".into());
    }
    Ok(crate::ops::validate_mac(s.trim())?)
}

/// A DHCP client identifier (hex bytes), normalised.
pub fn client_id(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("required".into());
    }
    Ok(crate::ops::validate_client_id(s.trim())?)
}

/// An RFC 1123 host name (one or more labels).
pub fn hostname(s: &str) -> Result<(), String> {
    crate::ops::validate_hostname(s)
}

/// The reverse zone a PTR for `ip` goes into: the longest configured match.
pub fn reverse_zone(dns: &DnsConfig, ip: Ipv4Addr) -> Option<String> {
    crate::ops::zones::reverse_zone_for(dns, ip.into()).map(|z| z.name.clone())
}

/// Forward zones (where A records go), in configuration order.
pub fn forward_zones(dns: &DnsConfig) -> Vec<String> {
    dns.zones
        .iter()
        .map(|z| z.name.clone())
        .filter(|n| !n.ends_with(".in-addr.arpa") && !n.ends_with(".ip6.arpa"))
        .collect()
}

/// An IPv4 address typed in a form.
pub fn ipv4(s: &str) -> Result<Ipv4Addr, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("required".into());
    }
    t.parse()
        .map_err(|_| format!("'{t}' is not an IPv4 address (like 10.0.0.5)"))
}

/// A DNS TTL in seconds.
pub fn ttl(s: &str) -> Result<u32, String> {
    let t = s.trim();
    match t.parse::<u32>() {
        Ok(v) if (1..=2_147_483_647).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{t}' is not a TTL: seconds from 1 to 2147483647 (3600 is an hour)"
        )),
    }
}
