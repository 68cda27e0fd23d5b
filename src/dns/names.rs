//! Names: hostname checks, PTR names, which configured zone a name or address belongs to.
use std::net::IpAddr;

use super::DnsError;
use crate::config::{DnsConfig, ZoneConfig};

/// Longest name DNS allows in presentation form, without the trailing dot.
const MAX_NAME: usize = 253;

/// RFC 1123 host name: labels of 1-63 letters, digits and hyphens, not starting or ending
/// with a hyphen; at most 253 characters. One trailing dot (absolute name) is allowed.
pub fn validate_hostname(h: &str) -> Result<(), String> {
    let name = h.strip_suffix('.').unwrap_or(h);
    if name.is_empty() {
        return Err("the host name is empty".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "the host name is {} characters long; DNS allows at most {MAX_NAME}",
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!(
                "\"{h}\" has an empty label (two dots in a row, or a leading dot)"
            ));
        }
        if label.len() > 63 {
            return Err(format!(
                "label \"{label}\" is {} characters long; at most 63 are allowed",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
        {
            return Err(format!(
                "label \"{label}\" contains '{c}': host names may only use letters, digits and '-'"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "label \"{label}\" starts or ends with '-', which host names may not"
            ));
        }
    }
    Ok(())
}

/// `10.10.0.5` -> `5.0.10.10.in-addr.arpa`; IPv6 -> 32 nibbles under `ip6.arpa`.
/// No trailing dot, like zone names in the config.
pub fn ptr_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

/// Lower case, no trailing dot: the form names are compared in.
pub(crate) fn norm(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// True when `name` is `zone` or below it (label-wise, not just a string suffix).
pub(crate) fn in_zone(name: &str, zone: &str) -> bool {
    let (name, zone) = (norm(name), norm(zone));
    name == zone || name.ends_with(&format!(".{zone}"))
}

pub(crate) fn is_reverse_zone(zone: &str) -> bool {
    let z = norm(zone);
    z == "in-addr.arpa" || z == "ip6.arpa" || in_zone(&z, "in-addr.arpa") || in_zone(&z, "ip6.arpa")
}

/// The configured reverse zone holding `ip`'s PTR: the longest (most specific) match, so
/// `0.10.10.in-addr.arpa` wins over `10.in-addr.arpa`.
pub fn reverse_zone_for(cfg: &DnsConfig, ip: IpAddr) -> Option<&ZoneConfig> {
    let ptr = ptr_name(ip);
    cfg.zones
        .iter()
        .filter(|z| is_reverse_zone(&z.name) && in_zone(&ptr, &z.name))
        .max_by_key(|z| norm(&z.name).split('.').count())
}

/// The configured zone called `name` (case and trailing dot ignored).
pub(crate) fn find_zone<'a>(cfg: &'a DnsConfig, name: &str) -> Result<&'a ZoneConfig, DnsError> {
    let wanted = norm(name);
    cfg.zones
        .iter()
        .find(|z| norm(&z.name) == wanted)
        .ok_or_else(|| DnsError::UnknownZone {
            zone: name.to_string(),
            known: cfg.zones.iter().map(|z| z.name.clone()).collect(),
        })
}

/// The absolute name (lower case, no trailing dot) for `hostname` in `zone`. `hostname` may
/// be relative (`printer7`, `a.lab`), `@` for the apex, or absolute inside the zone
/// (`printer7.example.test` or with a trailing dot).
pub(crate) fn fqdn_in_zone(hostname: &str, zone: &str) -> Result<String, DnsError> {
    let h = hostname.trim();
    let zone = norm(zone);
    if h == "@" {
        return Ok(zone);
    }
    validate_hostname(h).map_err(|e| DnsError::BadInput(format!("host name \"{h}\": {e}")))?;
    let lower = h.to_ascii_lowercase();
    let fqdn = if let Some(abs) = lower.strip_suffix('.') {
        if !in_zone(abs, &zone) {
            return Err(DnsError::BadInput(format!(
                "host name \"{h}\" is not inside zone {zone}: give a name ending in .{zone}, \
                 or a relative name"
            )));
        }
        abs.to_string()
    } else if in_zone(&lower, &zone) {
        lower
    } else {
        format!("{lower}.{zone}")
    };
    if fqdn.len() > MAX_NAME {
        return Err(DnsError::BadInput(format!(
            "{fqdn} is {} characters long; DNS allows at most {MAX_NAME}",
            fqdn.len()
        )));
    }
    Ok(fqdn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn zone(name: &str) -> ZoneConfig {
        ZoneConfig {
            name: name.into(),
            primary: SocketAddr::from(([127, 0, 0, 1], 53)),
            key_name: None,
            algorithm: "hmac-sha256".into(),
            secret_file: None,
        }
    }

    #[test]
    fn ptr_names_v4_and_v6() {
        assert_eq!(
            ptr_name("10.10.0.5".parse().unwrap()),
            "5.0.10.10.in-addr.arpa"
        );
        assert_eq!(
            ptr_name("2001:db8::567:89ab".parse().unwrap()),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }

    #[test]
    fn reverse_zone_longest_match() {
        let cfg = DnsConfig {
            servers: vec![],
            zones: vec![
                zone("example.test"),
                zone("10.in-addr.arpa"),
                zone("0.10.10.In-Addr.Arpa."),
                zone("8.b.d.0.1.0.0.2.ip6.arpa"),
            ],
        };
        let z = |ip: &str| reverse_zone_for(&cfg, ip.parse().unwrap()).map(|z| z.name.as_str());
        assert_eq!(z("10.10.0.5"), Some("0.10.10.In-Addr.Arpa."));
        assert_eq!(z("10.10.1.5"), Some("10.in-addr.arpa"));
        assert_eq!(z("10.200.0.1"), Some("10.in-addr.arpa"));
        assert_eq!(z("192.0.2.1"), None);
        assert_eq!(z("2001:db8::1"), Some("8.b.d.0.1.0.0.2.ip6.arpa"));
        assert_eq!(z("2001:db9::1"), None);
        // "110.in-addr.arpa" must not match 10.x via a plain string suffix.
        let cfg2 = DnsConfig {
            servers: vec![],
            zones: vec![zone("110.in-addr.arpa")],
        };
        assert!(reverse_zone_for(&cfg2, "10.0.0.1".parse().unwrap()).is_none());
    }

    #[test]
    fn hostnames() {
        for ok in [
            "a",
            "printer-7",
            "a.b.c",
            "host.example.test.",
            "9lives",
            &"a".repeat(63),
        ] {
            assert!(validate_hostname(ok).is_ok(), "{ok}");
        }
        let long = ["abcdefghi"; 26].join("."); // 259 characters
        for (bad, why) in [
            ("", "empty"),
            (".", "empty"),
            ("-a", "'-'"),
            ("a-", "'-'"),
            ("a..b", "empty label"),
            ("a_b", "'_'"),
            ("a b", "' '"),
            ("*.x", "'*'"),
            (&"a".repeat(64) as &str, "63"),
            (&long as &str, "253"),
        ] {
            let e = validate_hostname(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn fqdn_forms() {
        assert_eq!(
            fqdn_in_zone("Host", "example.test").unwrap(),
            "host.example.test"
        );
        assert_eq!(
            fqdn_in_zone("a.lab", "example.test.").unwrap(),
            "a.lab.example.test"
        );
        assert_eq!(
            fqdn_in_zone("host.example.test", "example.test").unwrap(),
            "host.example.test"
        );
        assert_eq!(
            fqdn_in_zone("host.example.test.", "example.test").unwrap(),
            "host.example.test"
        );
        assert_eq!(fqdn_in_zone("@", "example.test").unwrap(), "example.test");
        assert!(matches!(
            fqdn_in_zone("host.other.test.", "example.test"),
            Err(DnsError::BadInput(_))
        ));
        assert!(matches!(
            fqdn_in_zone("bad_name", "example.test"),
            Err(DnsError::BadInput(_))
        ));
    }
}
