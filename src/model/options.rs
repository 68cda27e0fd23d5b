//! Kea 2.2's standard DHCPv4 option definitions (name, code, data type) and the check of an
//! option value typed by a person, before anything is sent to a server. dhcproto knows
//! codes but not Kea's names, so the table is kept here (Kea User Guide, "DHCPv4 Standard
//! Options"; std_option_defs.h).
use std::net::Ipv4Addr;

/// One field type of an option value, as Kea names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Ipv4,
    Ipv6,
    Str,
    Fqdn,
    U8,
    U16,
    U32,
    I32,
    Bool,
    Binary,
    /// No data (a flag, or a container of sub-options).
    Empty,
    /// PSID (Kea's `psid` in v4-portparams): `value/length`.
    Psid,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Ipv4 => "ipv4-address",
            Field::Ipv6 => "ipv6-address",
            Field::Str => "string",
            Field::Fqdn => "fqdn",
            Field::U8 => "uint8",
            Field::U16 => "uint16",
            Field::U32 => "uint32",
            Field::I32 => "int32",
            Field::Bool => "boolean",
            Field::Binary => "binary",
            Field::Empty => "empty",
            Field::Psid => "psid",
        }
    }
}

/// The shape of an option's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptType {
    One(Field),
    /// A comma-separated list of one field type.
    List(Field),
    /// Comma-separated fields in this order; the last one repeats when `array` (Kea's rule).
    Record(&'static [Field], bool),
}

impl OptType {
    pub fn label(self) -> String {
        match self {
            OptType::One(f) => f.label().to_string(),
            OptType::List(f) => format!("{} list", f.label()),
            OptType::Record(fs, arr) => format!(
                "record ({}){}",
                fs.iter().map(|f| f.label()).collect::<Vec<_>>().join(", "),
                if arr { " list" } else { "" }
            ),
        }
    }
}

/// One standard option definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionDef {
    pub name: &'static str,
    pub code: u8,
    pub kind: OptType,
}

use Field::*;
use OptType::{List, One, Record};

const fn d(name: &'static str, code: u8, kind: OptType) -> OptionDef {
    OptionDef { name, code, kind }
}

/// Kea 2.2's standard DHCPv4 options (the ones a person configures; the protocol-internal
/// ones such as dhcp-message-type are included so their names are recognised).
pub const STANDARD: &[OptionDef] = &[
    d("subnet-mask", 1, One(Ipv4)),
    d("time-offset", 2, One(I32)),
    d("routers", 3, List(Ipv4)),
    d("time-servers", 4, List(Ipv4)),
    d("name-servers", 5, List(Ipv4)),
    d("domain-name-servers", 6, List(Ipv4)),
    d("log-servers", 7, List(Ipv4)),
    d("cookie-servers", 8, List(Ipv4)),
    d("lpr-servers", 9, List(Ipv4)),
    d("impress-servers", 10, List(Ipv4)),
    d("resource-location-servers", 11, List(Ipv4)),
    d("host-name", 12, One(Str)),
    d("boot-size", 13, One(U16)),
    d("merit-dump", 14, One(Str)),
    d("domain-name", 15, One(Fqdn)),
    d("swap-server", 16, One(Ipv4)),
    d("root-path", 17, One(Str)),
    d("extensions-path", 18, One(Str)),
    d("ip-forwarding", 19, One(Bool)),
    d("non-local-source-routing", 20, One(Bool)),
    d("policy-filter", 21, List(Ipv4)),
    d("max-dgram-reassembly", 22, One(U16)),
    d("default-ip-ttl", 23, One(U8)),
    d("path-mtu-aging-timeout", 24, One(U32)),
    d("path-mtu-plateau-table", 25, List(U16)),
    d("interface-mtu", 26, One(U16)),
    d("all-subnets-local", 27, One(Bool)),
    d("broadcast-address", 28, One(Ipv4)),
    d("perform-mask-discovery", 29, One(Bool)),
    d("mask-supplier", 30, One(Bool)),
    d("router-discovery", 31, One(Bool)),
    d("router-solicitation-address", 32, One(Ipv4)),
    d("static-routes", 33, List(Ipv4)),
    d("trailer-encapsulation", 34, One(Bool)),
    d("arp-cache-timeout", 35, One(U32)),
    d("ieee802-3-encapsulation", 36, One(Bool)),
    d("default-tcp-ttl", 37, One(U8)),
    d("tcp-keepalive-interval", 38, One(U32)),
    d("tcp-keepalive-garbage", 39, One(Bool)),
    d("nis-domain", 40, One(Str)),
    d("nis-servers", 41, List(Ipv4)),
    d("ntp-servers", 42, List(Ipv4)),
    // Kea: empty, encapsulating vendor-encapsulated-options-space; raw hex is accepted.
    d("vendor-encapsulated-options", 43, One(Binary)),
    d("netbios-name-servers", 44, List(Ipv4)),
    d("netbios-dd-server", 45, List(Ipv4)),
    d("netbios-node-type", 46, One(U8)),
    d("netbios-scope", 47, One(Str)),
    d("font-servers", 48, List(Ipv4)),
    d("x-display-manager", 49, List(Ipv4)),
    d("dhcp-requested-address", 50, One(Ipv4)),
    d("dhcp-lease-time", 51, One(U32)),
    d("dhcp-option-overload", 52, One(U8)),
    d("dhcp-message-type", 53, One(U8)),
    d("dhcp-server-identifier", 54, One(Ipv4)),
    d("dhcp-parameter-request-list", 55, List(U8)),
    d("dhcp-message", 56, One(Str)),
    d("dhcp-max-message-size", 57, One(U16)),
    d("dhcp-renewal-time", 58, One(U32)),
    d("dhcp-rebinding-time", 59, One(U32)),
    d("vendor-class-identifier", 60, One(Str)),
    d("dhcp-client-identifier", 61, One(Binary)),
    d("nwip-domain-name", 62, One(Str)),
    d("nwip-suboptions", 63, One(Binary)),
    d("nisplus-domain-name", 64, One(Str)),
    d("nisplus-servers", 65, List(Ipv4)),
    d("tftp-server-name", 66, One(Str)),
    d("boot-file-name", 67, One(Str)),
    d("mobile-ip-home-agent", 68, List(Ipv4)),
    d("smtp-server", 69, List(Ipv4)),
    d("pop-server", 70, List(Ipv4)),
    d("nntp-server", 71, List(Ipv4)),
    d("www-server", 72, List(Ipv4)),
    d("finger-server", 73, List(Ipv4)),
    d("irc-server", 74, List(Ipv4)),
    d("streettalk-server", 75, List(Ipv4)),
    d("streettalk-directory-assistance-server", 76, List(Ipv4)),
    d("user-class", 77, One(Binary)),
    d("slp-directory-agent", 78, Record(&[Bool, Ipv4], true)),
    d("slp-service-scope", 79, Record(&[Bool, Str], false)),
    d("nds-server", 85, List(Ipv4)),
    d("nds-tree-name", 86, One(Str)),
    d("nds-context", 87, One(Str)),
    d("bcms-controller-names", 88, List(Fqdn)),
    d("bcms-controller-address", 89, List(Ipv4)),
    d("client-last-transaction-time", 91, One(U32)),
    d("associated-ip", 92, List(Ipv4)),
    d("client-system", 93, List(U16)),
    d("client-ndi", 94, Record(&[U8, U8, U8], false)),
    d("uuid-guid", 97, Record(&[U8, Binary], false)),
    d("uap-servers", 98, One(Str)),
    d("geoconf-civic", 99, One(Binary)),
    d("pcode", 100, One(Str)),
    d("tcode", 101, One(Str)),
    d("netinfo-server-address", 112, List(Ipv4)),
    d("netinfo-server-tag", 113, One(Str)),
    d("v4-captive-portal", 114, One(Str)),
    d("auto-config", 116, One(U8)),
    d("name-service-search", 117, List(U16)),
    d("subnet-selection", 118, One(Ipv4)),
    d("domain-search", 119, List(Fqdn)),
    // Kea 2.2 has no text format for option 121: hex only.
    d("classless-static-route", 121, One(Binary)),
    d("vivco-suboptions", 124, Record(&[U32, Binary], false)),
    d("vivso-suboptions", 125, One(U32)),
    d("pana-agent", 136, List(Ipv4)),
    d("v4-lost", 137, One(Fqdn)),
    d("capwap-ac-v4", 138, List(Ipv4)),
    d("sip-ua-cs-domains", 141, List(Fqdn)),
    d(
        "rdnss-selection",
        146,
        Record(&[U8, Ipv4, Ipv4, Fqdn], true),
    ),
    d("v4-portparams", 159, Record(&[U8, Psid], false)),
    d("option-6rd", 212, Record(&[U8, U8, Ipv6, Ipv4], true)),
    d("v4-access-domain", 213, One(Fqdn)),
];

/// Names other DHCP servers use for Kea's options (ISC dhcpd, Windows), for the suggestion.
const ALIASES: &[(&str, &str)] = &[
    ("v-i-vendor-class", "vivco-suboptions"),
    ("v-i-vendor-opts", "vivso-suboptions"),
    ("router", "routers"),
    ("dns-servers", "domain-name-servers"),
    ("dns-server", "domain-name-servers"),
    ("lease-time", "dhcp-lease-time"),
    ("ntp-server", "ntp-servers"),
    ("tftp-server", "tftp-server-name"),
    ("bootfile-name", "boot-file-name"),
    ("filename", "boot-file-name"),
    ("www-servers", "www-server"),
    ("smtp-servers", "smtp-server"),
    ("pop-servers", "pop-server"),
    ("mtu", "interface-mtu"),
];

/// The standard option called `name`.
pub fn lookup(name: &str) -> Option<&'static OptionDef> {
    STANDARD.iter().find(|o| o.name == name)
}

/// The standard option with this code.
pub fn by_code(code: u8) -> Option<&'static OptionDef> {
    STANDARD.iter().find(|o| o.code == code)
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest known name, when one is close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    let low = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(o) = lookup(&low) {
        return Some(o.name);
    }
    if let Some((_, k)) = ALIASES.iter().find(|(a, _)| *a == low) {
        return Some(k);
    }
    let (best, dist) = STANDARD
        .iter()
        .map(|o| (o.name, distance(&low, o.name)))
        .min_by_key(|(_, dist)| *dist)?;
    (dist <= (low.len() / 3).max(2)).then_some(best)
}

/// The standard option called `name`, or why not (with a suggestion).
pub fn definition(name: &str) -> Result<&'static OptionDef, String> {
    if let Some(o) = lookup(name) {
        return Ok(o);
    }
    let hint = match suggest(name) {
        Some(s) => format!("did you mean '{s}'?"),
        None => "see Kea's list of standard DHCPv4 options (e.g. routers, \
                 domain-name-servers, domain-name, ntp-servers)"
            .to_string(),
    };
    Err(format!("unknown DHCPv4 option '{name}': {hint}"))
}

/// Splits a comma list the way Kea's csv-format does, trimming each element.
pub fn split_list(data: &str) -> Vec<String> {
    if data.trim().is_empty() {
        return Vec::new();
    }
    data.split(',').map(|s| s.trim().to_string()).collect()
}

fn is_fqdn(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn is_hex(s: &str) -> bool {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let digits: String = s.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    !digits.is_empty()
        && digits.len().is_multiple_of(2)
        && digits.chars().all(|c| c.is_ascii_hexdigit())
}

/// Checks one field; returns it normalised.
pub(crate) fn field(f: Field, v: &str) -> Result<String, String> {
    let v = v.trim();
    let int = |max: u64| -> Result<String, String> {
        match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n.to_string()),
            Ok(_) => Err(format!("'{v}' is out of range for {} (0-{max})", f.label())),
            Err(_) => Err(format!(
                "'{v}' is not a {} (a whole number 0-{max})",
                f.label()
            )),
        }
    };
    match f {
        Ipv4 => v
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| format!("'{v}' is not an IPv4 address (like 192.0.2.53)")),
        Ipv6 => v
            .parse::<std::net::Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| format!("'{v}' is not an IPv6 address")),
        U8 => int(u8::MAX.into()),
        U16 => int(u16::MAX.into()),
        U32 => int(u32::MAX.into()),
        I32 => v
            .parse::<i32>()
            .map(|n| n.to_string())
            .map_err(|_| format!("'{v}' is not an int32 (a whole number, may be negative)")),
        Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok("true".into()),
            "false" | "0" => Ok("false".into()),
            _ => Err(format!("'{v}' is not a boolean: use true or false")),
        },
        Str => {
            if v.is_empty() {
                Err("the value is empty: give the text".into())
            } else {
                Ok(v.to_string())
            }
        }
        Fqdn => {
            if is_fqdn(v) {
                Ok(v.to_string())
            } else {
                Err(format!("'{v}' is not a domain name (like example.org)"))
            }
        }
        Binary => {
            if is_hex(v) {
                Ok(v.to_string())
            } else {
                Err(format!(
                    "'{v}' is not binary data: give an even number of hex digits (like 0a0b0c or 0a:0b:0c)"
                ))
            }
        }
        Empty => {
            if v.is_empty() {
                Ok(String::new())
            } else {
                Err("this option carries no data: leave the value empty".into())
            }
        }
        Psid => {
            let ok = v.split_once('/').is_some_and(|(a, b)| {
                a.trim().parse::<u16>().is_ok() && b.trim().parse::<u8>().is_ok_and(|n| n <= 16)
            });
            if ok {
                Ok(v.replace(' ', ""))
            } else {
                Err(format!("'{v}' is not a PSID (value/length, like 3/4)"))
            }
        }
    }
}

/// Checks `data` against the standard option `name`; returns the value normalised (list
/// elements trimmed and joined with ", ", numbers without leading zeros, booleans as
/// true/false). Unknown names and values of the wrong type are refused with the reason.
pub fn validate(name: &str, data: &str) -> Result<String, String> {
    let def = definition(name)?;
    validate_def(def, data).map_err(|e| format!("{name} (option {}): {e}", def.code))
}

fn validate_def(def: &OptionDef, data: &str) -> Result<String, String> {
    match def.kind {
        One(f) => field(f, data),
        List(f) => {
            let parts = split_list(data);
            if parts.is_empty() {
                return Err(format!("give at least one {}", f.label()));
            }
            let out: Result<Vec<String>, String> = parts.iter().map(|p| field(f, p)).collect();
            Ok(out?.join(", "))
        }
        Record(fields, array) => {
            let parts = split_list(data);
            let n = fields.len();
            let shape_ok = if array {
                parts.len() >= n
            } else {
                // Kea splits on every comma, so the count must match.
                parts.len() == n
            };
            if !shape_ok {
                return Err(format!(
                    "expects {} comma-separated field{} ({}), got {}",
                    n,
                    if n == 1 { "" } else { "s" },
                    def.kind.label(),
                    parts.len()
                ));
            }
            let out: Result<Vec<String>, String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| field(fields[i.min(n - 1)], p))
                .collect();
            Ok(out?.join(", "))
        }
    }
}

/// Replaces the list element equal to `from` (compared as the option's type: 192.0.2.053 is
/// not an address, 192.0.2.53 matches " 192.0.2.53") by `to`. Returns the new data when
/// anything matched. Single-valued options match the whole value.
pub fn replace_element(data: &str, from: &str, to: &str) -> Option<String> {
    let from = from.trim();
    let parts = split_list(data);
    if !parts.iter().any(|p| p == from) {
        return None;
    }
    let out: Vec<&str> = parts
        .iter()
        .map(|p| if p == from { to.trim() } else { p.as_str() })
        .collect();
    Some(out.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_options_have_kea_codes() {
        for (n, c) in [
            ("subnet-mask", 1),
            ("routers", 3),
            ("domain-name-servers", 6),
            ("host-name", 12),
            ("domain-name", 15),
            ("interface-mtu", 26),
            ("ntp-servers", 42),
            ("vendor-encapsulated-options", 43),
            ("netbios-node-type", 46),
            ("dhcp-lease-time", 51),
            ("vendor-class-identifier", 60),
            ("tftp-server-name", 66),
            ("boot-file-name", 67),
            ("www-server", 72),
            ("domain-search", 119),
            ("classless-static-route", 121),
            ("vivco-suboptions", 124),
            ("vivso-suboptions", 125),
        ] {
            assert_eq!(lookup(n).map(|o| o.code), Some(c), "{n}");
            assert_eq!(by_code(c).map(|o| o.name), Some(n));
        }
    }

    #[test]
    fn names_and_codes_are_unique() {
        for (i, a) in STANDARD.iter().enumerate() {
            for b in &STANDARD[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.code, b.code, "{} and {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn address_lists_are_checked_and_normalised() {
        assert_eq!(
            validate("domain-name-servers", "192.0.2.53,192.0.2.99 ").unwrap(),
            "192.0.2.53, 192.0.2.99"
        );
        let e = validate("routers", "10.0.0.x").unwrap_err();
        assert!(e.contains("'10.0.0.x' is not an IPv4 address"), "{e}");
        assert!(validate("routers", "").is_err());
        assert!(validate("routers", "10.0.0.1,").is_err());
        assert!(validate("subnet-mask", "255.255.255.0, 255.0.0.0").is_err());
        assert_eq!(
            validate("subnet-mask", "255.255.255.0").unwrap(),
            "255.255.255.0"
        );
    }

    #[test]
    fn integers_are_range_checked() {
        let e = validate("default-ip-ttl", "300").unwrap_err();
        assert!(e.contains("out of range for uint8 (0-255)"), "{e}");
        assert_eq!(validate("default-ip-ttl", "064").unwrap(), "64");
        assert!(validate("interface-mtu", "70000").is_err());
        assert_eq!(validate("interface-mtu", "9000").unwrap(), "9000");
        assert!(validate("dhcp-lease-time", "-1").is_err());
        assert_eq!(validate("time-offset", "-3600").unwrap(), "-3600");
        assert!(validate("netbios-node-type", "eight").is_err());
    }

    #[test]
    fn booleans_strings_and_names() {
        let e = validate("ip-forwarding", "maybe").unwrap_err();
        assert!(e.contains("not a boolean"), "{e}");
        assert_eq!(validate("ip-forwarding", "1").unwrap(), "true");
        assert_eq!(validate("ip-forwarding", "False").unwrap(), "false");
        assert_eq!(
            validate("domain-name", "example.org").unwrap(),
            "example.org"
        );
        assert!(validate("domain-name", "exa mple.org").is_err());
        assert!(validate("domain-name", "-bad.org").is_err());
        assert_eq!(
            validate("domain-search", "a.example, b.example").unwrap(),
            "a.example, b.example"
        );
        assert!(validate("host-name", "  ").is_err());
        assert_eq!(
            validate("boot-file-name", "pxelinux.0").unwrap(),
            "pxelinux.0"
        );
    }

    #[test]
    fn binary_and_records() {
        assert!(validate("classless-static-route", "18c0a80a0a000001").is_ok());
        assert!(validate("classless-static-route", "0a:0b").is_ok());
        assert!(validate("classless-static-route", "xyz").is_err());
        assert!(validate("classless-static-route", "abc").is_err());
        assert_eq!(
            validate("vivco-suboptions", "4491, 0a0b").unwrap(),
            "4491, 0a0b"
        );
        assert!(validate("vivco-suboptions", "4491").is_err());
        assert!(validate("slp-directory-agent", "true, 10.0.0.1, 10.0.0.2").is_ok());
        assert!(validate("slp-directory-agent", "true, 10.0.0.1, 10.0.0.2, 10.0.0.3").is_ok());
        assert!(validate("slp-directory-agent", "yes, 10.0.0.1").is_err());
        assert!(validate("slp-directory-agent", "true").is_err());
        assert!(validate("v4-portparams", "3, 3/4").is_ok());
        assert!(validate("v4-portparams", "3, 3").is_err());
    }

    #[test]
    fn unknown_names_get_a_close_suggestion() {
        let e = validate("domain-name-server", "192.0.2.1").unwrap_err();
        assert!(
            e.contains("unknown DHCPv4 option 'domain-name-server'"),
            "{e}"
        );
        assert!(e.contains("did you mean 'domain-name-servers'"), "{e}");
        assert_eq!(suggest("ruoters"), Some("routers"));
        assert_eq!(suggest("v-i-vendor-class"), Some("vivco-suboptions"));
        assert_eq!(suggest("ntp_servers"), Some("ntp-servers"));
        assert_eq!(suggest("completely-unrelated-thing"), None);
        let e = definition("xyzzy").unwrap_err();
        assert!(e.contains("standard DHCPv4 options"), "{e}");
    }

    #[test]
    fn replace_matches_whole_elements_only() {
        assert_eq!(
            replace_element("192.0.2.53, 192.0.2.99", "192.0.2.53", "192.0.2.54").as_deref(),
            Some("192.0.2.54, 192.0.2.99")
        );
        assert_eq!(
            replace_element("192.0.2.153,192.0.2.99", "192.0.2.53", "192.0.2.54"),
            None
        );
        assert_eq!(
            replace_element("192.0.2.99,192.0.2.53", "192.0.2.53", "192.0.2.54").as_deref(),
            Some("192.0.2.99, 192.0.2.54")
        );
        assert_eq!(replace_element("", "a", "b"), None);
    }
}
