//! The global DHCPv4 parameters an admin changes on a server (issue 13 item 3): what each
//! is, how its value is typed and checked, and how the ones that depend on each other must
//! stand together. Pure: ops reads and writes them through the safe write path.
use std::net::Ipv4Addr;

use serde_json::{json, Value};

/// How a parameter's value is written and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whole seconds (lifetimes, timers).
    Seconds,
    /// A whole number.
    Count,
    Bool,
    /// A fraction from 0 to 1 (t1-percent, t2-percent).
    Fraction,
    /// One of these words.
    Choice(&'static [&'static str]),
    Ipv4,
    /// Free text of at most this many characters, printable, no quotes.
    Text(usize),
    /// A DNS name (or label): letters, digits, '-', '.'.
    DnsName,
}

/// One parameter: its Kea name (a dotted name is a key in a map: `expired-leases-
/// processing.hold-reclaimed-time`), the group it is shown in, its kind and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub group: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

const fn p(name: &'static str, group: &'static str, kind: Kind, help: &'static str) -> Param {
    Param {
        name,
        group,
        kind,
        help,
    }
}

const REPLACE: &[&str] = &["never", "always", "when-present", "when-not-present"];

/// Every parameter ddish shows and sets, in screen order.
pub const PARAMS: &[Param] = &[
    p(
        "valid-lifetime",
        "Lease times",
        Kind::Seconds,
        "how long a lease lasts",
    ),
    p(
        "min-valid-lifetime",
        "Lease times",
        Kind::Seconds,
        "shortest lease a client may ask for",
    ),
    p(
        "max-valid-lifetime",
        "Lease times",
        Kind::Seconds,
        "longest lease a client may ask for",
    ),
    p(
        "renew-timer",
        "Timers",
        Kind::Seconds,
        "T1: when the client renews (option 58)",
    ),
    p(
        "rebind-timer",
        "Timers",
        Kind::Seconds,
        "T2: when the client rebinds (option 59)",
    ),
    p(
        "calculate-tee-times",
        "Timers",
        Kind::Bool,
        "work out T1/T2 from the lease time",
    ),
    p(
        "t1-percent",
        "Timers",
        Kind::Fraction,
        "T1 as a fraction of the lease (calculated)",
    ),
    p(
        "t2-percent",
        "Timers",
        Kind::Fraction,
        "T2 as a fraction of the lease (calculated)",
    ),
    p(
        "decline-probation-period",
        "Leases",
        Kind::Seconds,
        "how long a declined address is kept out",
    ),
    p(
        "match-client-id",
        "Clients",
        Kind::Bool,
        "tell clients apart by client id (else by MAC)",
    ),
    p(
        "echo-client-id",
        "Clients",
        Kind::Bool,
        "send the client id back (RFC 6842)",
    ),
    p(
        "authoritative",
        "Clients",
        Kind::Bool,
        "NAK requests for unknown addresses at once",
    ),
    p(
        "next-server",
        "Boot",
        Kind::Ipv4,
        "siaddr: the TFTP server for network boot",
    ),
    p(
        "boot-file-name",
        "Boot",
        Kind::Text(127),
        "file: the boot file for network boot",
    ),
    p(
        "server-hostname",
        "Boot",
        Kind::Text(63),
        "sname: this server's name in replies",
    ),
    p(
        "reservations-global",
        "Reservations",
        Kind::Bool,
        "look up global reservations",
    ),
    p(
        "reservations-in-subnet",
        "Reservations",
        Kind::Bool,
        "look up the subnet's reservations",
    ),
    p(
        "reservations-out-of-pool",
        "Reservations",
        Kind::Bool,
        "reserved addresses are all outside the pools (faster)",
    ),
    p(
        "ddns-send-updates",
        "DNS updates",
        Kind::Bool,
        "have kea-dhcp-ddns update DNS",
    ),
    p(
        "ddns-override-client-update",
        "DNS updates",
        Kind::Bool,
        "update forward DNS even when the client will",
    ),
    p(
        "ddns-override-no-update",
        "DNS updates",
        Kind::Bool,
        "update DNS even when the client asks not to",
    ),
    p(
        "ddns-replace-client-name",
        "DNS updates",
        Kind::Choice(REPLACE),
        "when to replace the client's name",
    ),
    p(
        "ddns-generated-prefix",
        "DNS updates",
        Kind::DnsName,
        "prefix of generated names",
    ),
    p(
        "ddns-qualifying-suffix",
        "DNS updates",
        Kind::DnsName,
        "domain added to partial names",
    ),
    p(
        "ddns-update-on-renew",
        "DNS updates",
        Kind::Bool,
        "update DNS on every renewal",
    ),
    p(
        "expired-leases-processing.reclaim-timer-wait-time",
        "Expired leases",
        Kind::Seconds,
        "seconds between reclamation runs",
    ),
    p(
        "expired-leases-processing.flush-reclaimed-timer-wait-time",
        "Expired leases",
        Kind::Seconds,
        "seconds between removals of reclaimed leases (0: keep them)",
    ),
    p(
        "expired-leases-processing.hold-reclaimed-time",
        "Expired leases",
        Kind::Seconds,
        "how long reclaimed leases are kept",
    ),
    p(
        "expired-leases-processing.max-reclaim-leases",
        "Expired leases",
        Kind::Count,
        "leases reclaimed per run at most (0: all)",
    ),
    p(
        "expired-leases-processing.max-reclaim-time",
        "Expired leases",
        Kind::Count,
        "milliseconds a run may take at most (0: no limit)",
    ),
    p(
        "expired-leases-processing.unwarned-reclaim-cycles",
        "Expired leases",
        Kind::Count,
        "runs with leases left before a warning",
    ),
];

/// The parameter by Kea name.
pub fn param(name: &str) -> Result<&'static Param, String> {
    PARAMS.iter().find(|p| p.name == name).ok_or_else(|| {
        let close: Vec<&str> = PARAMS
            .iter()
            .map(|p| p.name)
            .filter(|n| n.contains(name) || name.contains(*n))
            .take(3)
            .collect();
        let hint = if close.is_empty() {
            "`ddish server show` lists them".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        format!("'{name}' is not a server parameter ddish sets: {hint}")
    })
}

/// Checks a value typed for `name` and gives its JSON value.
pub fn parse(name: &str, text: &str) -> Result<Value, String> {
    let p = param(name)?;
    let v = text.trim();
    let bad = |what: &str| Err(format!("{name}: '{v}' is not {what}"));
    match p.kind {
        Kind::Seconds | Kind::Count => match v.parse::<u32>() {
            Ok(n) => Ok(json!(n)),
            Err(_) => bad("a whole number of 0 or more (at most 4294967295)"),
        },
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(json!(true)),
            "false" | "no" | "off" | "0" => Ok(json!(false)),
            _ => bad("true or false"),
        },
        // Kea wants them strictly between 0 and 1.
        Kind::Fraction => match v.parse::<f64>() {
            Ok(f) if f > 0.0 && f < 1.0 => Ok(json!(f)),
            _ => bad("a fraction between 0 and 1 (e.g. 0.5)"),
        },
        Kind::Choice(words) => {
            if words.contains(&v) {
                Ok(json!(v))
            } else {
                Err(format!("{name}: '{v}' is not one of {}", words.join(", ")))
            }
        }
        Kind::Ipv4 => match v.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(json!(ip.to_string())),
            Err(_) => bad("an IPv4 address"),
        },
        Kind::Text(max) => {
            // The DHCP header fields are fixed bytes with a closing NUL.
            if v.len() > max {
                Err(format!("{name}: at most {max} bytes"))
            } else if v.chars().any(|c| c.is_control() || c == '"') {
                Err(format!("{name}: no control characters or quotes"))
            } else {
                Ok(json!(v))
            }
        }
        Kind::DnsName => {
            let ok = v.len() <= 253
                && v.split('.').enumerate().all(|(i, l)| {
                    // A trailing dot (empty last label) is allowed.
                    (l.is_empty() && i > 0 && v.ends_with('.'))
                        || (!l.is_empty()
                            && l.len() <= 63
                            && !l.starts_with('-')
                            && !l.ends_with('-')
                            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                });
            if ok || v.is_empty() && name == "ddns-qualifying-suffix" {
                Ok(json!(v))
            } else {
                bad("a DNS name (letters, digits and '-' in dot-separated labels)")
            }
        }
    }
}

/// The value of `name` in a `Dhcp4` object (a dotted name looks into its map).
pub fn get<'a>(dhcp4: &'a Value, name: &str) -> Option<&'a Value> {
    match name.split_once('.') {
        Some((map, key)) => dhcp4.get(map)?.get(key),
        None => dhcp4.get(name),
    }
}

/// Sets `name` in a `Dhcp4` object (creating the map of a dotted name).
pub fn set(dhcp4: &mut Value, name: &str, v: Value) {
    match name.split_once('.') {
        Some((map, key)) => {
            if !dhcp4[map].is_object() {
                dhcp4[map] = json!({});
            }
            dhcp4[map][key] = v;
        }
        None => dhcp4[name] = v,
    }
}

/// A value as the screen and CLI show it: numbers and words bare, text quoted.
pub fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(not set)".into(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(v) => v.to_string(),
    }
}

/// The rules between parameters, on the values as they would be after a change: what is
/// wrong, one line each (empty: fine).
pub fn check_together(dhcp4: &Value) -> Vec<String> {
    let n = |k: &str| get(dhcp4, k).and_then(Value::as_u64);
    let mut out = Vec::new();
    if let (Some(min), Some(valid)) = (n("min-valid-lifetime"), n("valid-lifetime")) {
        if min > valid {
            out.push(format!(
                "min-valid-lifetime ({min}) is above valid-lifetime ({valid})"
            ));
        }
    }
    if let (Some(max), Some(valid)) = (n("max-valid-lifetime"), n("valid-lifetime")) {
        if max < valid {
            out.push(format!(
                "max-valid-lifetime ({max}) is below valid-lifetime ({valid})"
            ));
        }
    }
    let calculated = get(dhcp4, "calculate-tee-times").and_then(Value::as_bool) == Some(true);
    if let (Some(t1), Some(t2)) = (n("renew-timer"), n("rebind-timer")) {
        if t1 >= t2 && !calculated {
            out.push(format!(
                "renew-timer ({t1}) must be below rebind-timer ({t2}): clients renew before they rebind"
            ));
        }
    }
    if let (Some(t2), Some(valid)) = (n("rebind-timer"), n("valid-lifetime")) {
        if t2 >= valid && !calculated {
            out.push(format!(
                "rebind-timer ({t2}) must be below valid-lifetime ({valid}): clients rebind before the lease ends"
            ));
        }
    }
    let f = |k: &str| get(dhcp4, k).and_then(Value::as_f64);
    if let (Some(p1), Some(p2)) = (f("t1-percent"), f("t2-percent")) {
        if p1 >= p2 {
            out.push(format!("t1-percent ({p1}) must be below t2-percent ({p2})"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
