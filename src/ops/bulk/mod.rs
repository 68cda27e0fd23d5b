//! Many scopes, many servers (issue 4 part 5): one change (lease time, exclusion, ddns-*
//! parameters, options set/delete/find-and-replace, client classes) applied to scopes marked
//! across servers, or to whole servers. Everything is checked before anything is sent;
//! a preview is computed from fresh config-gets without writing; apply makes ONE safe write
//! per server (its HA peers get the same edit), servers concurrently, one journal entry each.
use crate::ops::Invalid;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::model::options;

use crate::ops::OpError;

/// One server's write: its marked scopes (None: server level) and its HA peers.
pub(super) type Job = (
    String,
    Option<Vec<Ipv4Net>>,
    Vec<(String, crate::kea::KeaClient)>,
);

mod classes;
mod edit;
mod option_defs;
mod run;

pub use classes::classes_of;

/// Shortest and longest lease ddish sets (Kea has no limit; these catch typos).
pub const MIN_LEASE_SECS: u32 = 60;
pub const MAX_LEASE_SECS: u32 = 365 * 86_400;

/// What a bulk change applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Marked scopes: (server, CIDR).
    Scopes(Vec<(String, Ipv4Net)>),
    /// Whole servers: server-level options and parameters, client classes.
    Servers(Vec<String>),
}

/// A client class to create or edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassSpec {
    pub name: String,
    /// Kea test expression; None leaves it as it is (edit) or absent (create).
    pub test: Option<String>,
    /// (option name, data), checked against the option table.
    pub options: Vec<(String, String)>,
}

/// The operation. Build with [`BulkChange::new`], which checks it.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkOp {
    LeaseTime(u32),
    /// Exclude start-end from the pools of each marked scope.
    Exclude(Ipv4Addr, Ipv4Addr),
    /// ddns-* parameters with typed values (see [`ddns_value`]).
    Ddns(Vec<(String, Value)>),
    SetOption {
        name: String,
        data: String,
    },
    DeleteOption {
        name: String,
    },
    /// Replace the list element `from` by `to` wherever the option holds it.
    ReplaceOption {
        name: String,
        from: String,
        to: String,
    },
    /// Global server parameters (`model::server_params`), typed; whole servers only.
    Params(Vec<(String, Value)>),
    /// Create or replace a custom option definition (`option-def`); whole servers only.
    PutOptionDef(crate::model::option_defs::CustomOptionDef),
    /// Delete a custom option definition no option value uses.
    /// The definition `name` in option space `space` (dhcp4 for the standard space).
    DeleteOptionDef(String, String),
    /// Create (true) or edit (false) a client class.
    PutClass(ClassSpec, bool),
    DeleteClass(String),
}

impl BulkOp {
    /// One line for the journal and logs.
    pub fn describe(&self) -> String {
        match self {
            BulkOp::LeaseTime(s) => format!("valid-lifetime {s}"),
            BulkOp::Exclude(a, b) => format!("exclude {a}-{b}"),
            BulkOp::Ddns(p) => p
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            BulkOp::SetOption { name, data } => format!("set {name} = {data}"),
            BulkOp::DeleteOption { name } => format!("delete {name}"),
            BulkOp::ReplaceOption { name, from, to } => format!("replace {from} by {to} in {name}"),
            BulkOp::PutClass(c, create) => format!(
                "{} class {}{}{}",
                if *create { "create" } else { "edit" },
                c.name,
                c.test
                    .as_deref()
                    .map(|t| format!(" test {t}"))
                    .unwrap_or_default(),
                c.options
                    .iter()
                    .map(|(k, v)| format!(" {k}={v}"))
                    .collect::<String>()
            ),
            BulkOp::DeleteClass(n) => format!("delete class {n}"),
            BulkOp::PutOptionDef(d) => {
                format!("option-def {} code {} {}", d.name, d.code, d.shape())
            }
            BulkOp::DeleteOptionDef(n, space) if space == "dhcp4" => {
                format!("delete option-def {n}")
            }
            BulkOp::DeleteOptionDef(n, space) => format!("delete option-def {n} (space {space})"),
            BulkOp::Params(p) => p
                .iter()
                .map(|(k, v)| format!("{k}={}", crate::model::server_params::shown(Some(v))))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Short name for the journal.
    pub fn action(&self) -> &'static str {
        match self {
            BulkOp::LeaseTime(_) => "bulk-lease-time",
            BulkOp::Exclude(..) => "bulk-exclude",
            BulkOp::Ddns(_) => "bulk-ddns",
            BulkOp::SetOption { .. } => "bulk-option-set",
            BulkOp::DeleteOption { .. } => "bulk-option-delete",
            BulkOp::ReplaceOption { .. } => "bulk-option-replace",
            BulkOp::PutClass(_, true) => "class-create",
            BulkOp::PutClass(_, false) => "class-edit",
            BulkOp::DeleteClass(_) => "class-delete",
            BulkOp::Params(_) => "server-params",
            BulkOp::PutOptionDef(_) => "option-def-put",
            BulkOp::DeleteOptionDef(..) => "option-def-delete",
        }
    }
}

/// A checked bulk change.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkChange {
    target: Target,
    op: BulkOp,
}

/// What would change on one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPreview {
    pub server: String,
    /// Human lines, e.g. "10.10.0.0/24: domain-name-servers 192.0.2.53 -> 192.0.2.54 (...)".
    pub changes: Vec<String>,
    /// Why nothing can be done on this server (unreachable, scope missing, class in use...).
    pub error: Option<String>,
    /// What to know before saying yes (an exclusion over addresses still leased).
    pub warnings: Vec<String>,
}

/// What happened on one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOutcome {
    pub server: String,
    /// Every server written (the server and its HA peers).
    pub peers: Vec<String>,
    /// A summary, or what went wrong (nothing was left half-written on it).
    pub result: Result<String, String>,
}

/// One client class as a server has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassInfo {
    pub name: String,
    pub test: Option<String>,
    /// (option name or code, data).
    pub options: Vec<(String, String)>,
    /// Scopes, pools, reservations, classes that refer to it.
    pub used_by: Vec<String>,
}

/// The ddns-* parameters ddish sets, and how their values are typed.
pub const DDNS_PARAMS: [&str; 6] = [
    "ddns-send-updates",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
];

/// Checks a ddns-* parameter and gives its JSON value.
pub fn ddns_value(name: &str, value: &str) -> Result<Value, Invalid> {
    let v = value.trim();
    match name {
        "ddns-send-updates" | "ddns-override-client-update" | "ddns-override-no-update" => {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(json!(true)),
                "false" | "0" | "no" => Ok(json!(false)),
                _ => Err(format!("{name}: '{v}' is not a boolean: use true or false").into()),
            }
        }
        "ddns-replace-client-name" => match v {
            "never" | "always" | "when-present" | "when-not-present" => Ok(json!(v)),
            _ => Err(format!(
                "{name}: '{v}' is not one of never, always, when-present, when-not-present"
            )
            .into()),
        },
        "ddns-generated-prefix" => {
            let ok = !v.is_empty()
                && v.len() <= 63
                && !v.starts_with('-')
                && !v.ends_with('-')
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Ok(json!(v))
            } else {
                Err(format!("{name}: '{v}' is not a host name label (like myhost)").into())
            }
        }
        "ddns-qualifying-suffix" => {
            // Empty is allowed: no suffix.
            if v.is_empty() || options::validate("domain-name", v).is_ok() {
                Ok(json!(v))
            } else {
                Err(format!("{name}: '{v}' is not a domain name (like example.org.)").into())
            }
        }
        _ => Err(format!(
            "unknown DNS update parameter '{name}': use one of {}",
            DDNS_PARAMS.join(", ")
        )
        .into()),
    }
}

/// Checks a client class name: Kea's built-in classes and the prefixes its hooks use are
/// refused, as are names that would not survive a test expression.
pub fn validate_class_name(name: &str) -> Result<(), Invalid> {
    const BUILT_IN: [&str; 5] = ["ALL", "KNOWN", "UNKNOWN", "BOOTP", "DROP"];
    const PREFIXES: [&str; 4] = ["HA_", "VENDOR_CLASS_", "SPAWN_", "AFTER_"];
    if name.is_empty() {
        return Err("the class name is empty".into());
    }
    if name.len() > 128 {
        return Err(format!("the class name '{name}' is longer than 128 characters").into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the class name '{name}' has '{c}': use letters, digits, '-', '_' and '.'"
        )
        .into());
    }
    if BUILT_IN.contains(&name) {
        return Err(format!("'{name}' is one of Kea's built-in classes: pick another name").into());
    }
    if let Some(p) = PREFIXES.iter().find(|p| name.starts_with(*p)) {
        return Err(format!(
            "class names starting with {p} belong to Kea and its hooks: pick another name"
        )
        .into());
    }
    Ok(())
}

fn check_lease(secs: u32) -> Result<(), Invalid> {
    if (MIN_LEASE_SECS..=MAX_LEASE_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(format!(
            "lease time {secs} s is out of range: {MIN_LEASE_SECS} s to {MAX_LEASE_SECS} s (365 days)"
        ).into())
    }
}

impl BulkChange {
    /// Checks the change before anything is sent: option names and values against Kea's
    /// table, lease time range, ddns-* types, class names, and that the operation suits the
    /// target (exclusions need scopes, classes need servers). Normalises option values.
    pub fn new(target: Target, op: BulkOp) -> Result<BulkChange, OpError> {
        Self::with_custom(target, op, &[])
    }

    /// [`new`](Self::new), where options may also be named by the servers' own definitions
    /// (`custom`, read from them): their values are checked against those.
    pub fn with_custom(
        target: Target,
        op: BulkOp,
        custom: &[crate::model::option_defs::CustomOptionDef],
    ) -> Result<BulkChange, OpError> {
        let refuse = |e: String| OpError::Refused(e);
        let empty = match &target {
            Target::Scopes(s) => s.is_empty(),
            Target::Servers(s) => s.is_empty(),
        };
        if empty {
            return Err(refuse(
                "nothing marked: give at least one scope or server".into(),
            ));
        }
        let scopes = matches!(target, Target::Scopes(_));
        // What only whole servers have: refused for marked scopes, saying where it lives.
        let servers_only = |why: &str| {
            if scopes {
                Err(OpError::Refused(why.to_string()))
            } else {
                Ok(())
            }
        };
        let op = match op {
            BulkOp::LeaseTime(s) => {
                check_lease(s)?;
                op
            }
            BulkOp::Exclude(a, b) => {
                if !scopes {
                    return Err(refuse(
                        "exclusion ranges apply to scopes: give --scopes".into(),
                    ));
                }
                if u32::from(b) < u32::from(a) {
                    return Err(refuse(format!("the end {b} comes before the start {a}")));
                }
                op
            }
            BulkOp::Ddns(params) => {
                if params.is_empty() {
                    return Err(refuse("give at least one ddns-* parameter".into()));
                }
                for (k, v) in &params {
                    // Values come typed from the caller; re-check their type by name.
                    let text = match v {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    };
                    ddns_value(k, &text)?;
                }
                BulkOp::Ddns(params)
            }
            BulkOp::SetOption { name, data } => {
                let data = option_defs::option_value(&name, &data, custom).map_err(refuse)?;
                BulkOp::SetOption { name, data }
            }
            BulkOp::DeleteOption { name } => {
                option_defs::option_known(&name, custom).map_err(refuse)?;
                BulkOp::DeleteOption { name }
            }
            BulkOp::ReplaceOption { name, from, to } => {
                // Each side must be a valid (single) value of the option.
                let from = option_defs::option_value(&name, &from, custom).map_err(refuse)?;
                let to = option_defs::option_value(&name, &to, custom).map_err(refuse)?;
                if from == to {
                    return Err(refuse(format!(
                        "'{from}' and '{to}' are the same: nothing to replace"
                    )));
                }
                if from.contains(',') || to.contains(',') {
                    return Err(refuse(
                        "find-and-replace takes one value on each side".into(),
                    ));
                }
                BulkOp::ReplaceOption { name, from, to }
            }
            BulkOp::PutClass(mut spec, create) => {
                servers_only("client classes live on servers: give --servers")?;
                validate_class_name(&spec.name)?;
                if let Some(t) = &spec.test {
                    if t.trim().is_empty() {
                        return Err(refuse("the test expression is empty".into()));
                    }
                }
                if !create && spec.test.is_none() && spec.options.is_empty() {
                    return Err(refuse("nothing to change: give --test or --option".into()));
                }
                for (n, d) in spec.options.iter_mut() {
                    *d = options::validate(n, d).map_err(refuse)?;
                }
                BulkOp::PutClass(spec, create)
            }
            BulkOp::PutOptionDef(d) => {
                servers_only("option definitions live on servers: give --servers")?;
                d.check().map_err(refuse)?;
                BulkOp::PutOptionDef(d)
            }
            BulkOp::DeleteOptionDef(n, space) => {
                servers_only("option definitions live on servers: give --servers")?;
                BulkOp::DeleteOptionDef(n, space)
            }
            BulkOp::Params(params) => {
                servers_only("server parameters apply to whole servers: give --servers")?;
                if params.is_empty() {
                    return Err(refuse("give at least one NAME=VALUE".into()));
                }
                for (k, v) in &params {
                    // Values come typed from the caller; re-check them by name.
                    let text = match v {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    };
                    crate::model::server_params::parse(k, &text).map_err(refuse)?;
                }
                BulkOp::Params(params)
            }
            BulkOp::DeleteClass(name) => {
                servers_only("client classes live on servers: give --servers")?;
                validate_class_name(&name)?;
                BulkOp::DeleteClass(name)
            }
        };
        Ok(BulkChange { target, op })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn op(&self) -> &BulkOp {
        &self.op
    }

    /// Per server, in first-mention order: the marked scopes (None = server level).
    pub(super) fn groups(&self) -> Vec<(String, Option<Vec<Ipv4Net>>)> {
        let mut out: Vec<(String, Option<Vec<Ipv4Net>>)> = Vec::new();
        match &self.target {
            Target::Servers(s) => {
                for n in s {
                    if !out.iter().any(|(m, _)| m == n) {
                        out.push((n.clone(), None));
                    }
                }
            }
            Target::Scopes(s) => {
                for (n, c) in s {
                    match out.iter_mut().find(|(m, _)| m == n) {
                        Some((_, Some(l))) => {
                            if !l.contains(c) {
                                l.push(*c)
                            }
                        }
                        _ => out.push((n.clone(), Some(vec![*c]))),
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes() -> Target {
        Target::Scopes(vec![("a".into(), "10.0.0.0/24".parse().unwrap())])
    }

    #[test]
    fn changes_are_checked_before_anything_is_sent() {
        let set = |n: &str, d: &str| {
            BulkChange::new(
                scopes(),
                BulkOp::SetOption {
                    name: n.into(),
                    data: d.into(),
                },
            )
        };
        assert!(set("routers", "10.0.0.x").is_err());
        assert!(set("rooters", "10.0.0.1")
            .unwrap_err()
            .to_string()
            .contains("did you mean 'routers'"));
        let ok = set("domain-name-servers", "192.0.2.1,192.0.2.2").unwrap();
        assert_eq!(
            ok.op(),
            &BulkOp::SetOption {
                name: "domain-name-servers".into(),
                data: "192.0.2.1, 192.0.2.2".into()
            }
        );
        assert!(BulkChange::new(scopes(), BulkOp::LeaseTime(10)).is_err());
        assert!(BulkChange::new(scopes(), BulkOp::LeaseTime(400 * 86_400)).is_err());
        assert!(BulkChange::new(scopes(), BulkOp::LeaseTime(7200)).is_ok());
        assert!(BulkChange::new(Target::Scopes(vec![]), BulkOp::LeaseTime(7200)).is_err());
        let rep = |f: &str, t: &str| {
            BulkChange::new(
                scopes(),
                BulkOp::ReplaceOption {
                    name: "domain-name-servers".into(),
                    from: f.into(),
                    to: t.into(),
                },
            )
        };
        assert!(rep("192.0.2.53", "192.0.2.54").is_ok());
        assert!(rep("192.0.2.53", "192.0.2.x").is_err());
        assert!(rep("192.0.2.53", "192.0.2.53").is_err());
        assert!(rep("192.0.2.53", "192.0.2.1, 192.0.2.2").is_err());
        let ex = BulkOp::Exclude("10.0.0.9".parse().unwrap(), "10.0.0.1".parse().unwrap());
        assert!(BulkChange::new(scopes(), ex).is_err());
        let ex = BulkOp::Exclude("10.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap());
        assert!(BulkChange::new(Target::Servers(vec!["a".into()]), ex).is_err());
    }

    #[test]
    fn ddns_parameters_are_typed() {
        assert_eq!(ddns_value("ddns-send-updates", "yes").unwrap(), json!(true));
        assert!(ddns_value("ddns-send-updates", "maybe").is_err());
        assert_eq!(
            ddns_value("ddns-replace-client-name", "always").unwrap(),
            json!("always")
        );
        assert!(ddns_value("ddns-replace-client-name", "sometimes").is_err());
        assert!(ddns_value("ddns-generated-prefix", "my host").is_err());
        assert!(ddns_value("ddns-generated-prefix", "myhost").is_ok());
        assert!(ddns_value("ddns-qualifying-suffix", "example.org.").is_ok());
        assert!(ddns_value("ddns-qualifying-suffix", "").is_ok());
        assert!(ddns_value("ddns-qualifying-suffix", "bad suffix").is_err());
        assert!(ddns_value("ddns-ttl", "5")
            .unwrap_err()
            .0
            .contains("unknown DNS update parameter"));
        let op = BulkOp::Ddns(vec![("ddns-send-updates".into(), json!("maybe"))]);
        assert!(BulkChange::new(scopes(), op).is_err());
    }

    #[test]
    fn class_names() {
        assert!(validate_class_name("printers").is_ok());
        assert!(validate_class_name("voip.phones-2").is_ok());
        assert!(validate_class_name("").is_err());
        assert!(validate_class_name("KNOWN").is_err());
        assert!(validate_class_name("HA_server1").is_err());
        assert!(validate_class_name("my class").is_err());
        assert!(validate_class_name("a'b").is_err());
        let servers = Target::Servers(vec!["a".into()]);
        let spec = ClassSpec {
            name: "x".into(),
            test: None,
            options: vec![("routers".into(), "bad".into())],
        };
        assert!(BulkChange::new(servers.clone(), BulkOp::PutClass(spec, true)).is_err());
        let spec = ClassSpec {
            name: "x".into(),
            test: None,
            options: vec![],
        };
        assert!(BulkChange::new(servers, BulkOp::PutClass(spec.clone(), false)).is_err());
        assert!(BulkChange::new(scopes(), BulkOp::PutClass(spec, true)).is_err());
    }

    #[test]
    fn scopes_are_grouped_per_server_in_order() {
        let n = |s: &str| s.parse::<Ipv4Net>().unwrap();
        let t = Target::Scopes(vec![
            ("b".into(), n("10.1.0.0/24")),
            ("a".into(), n("10.2.0.0/24")),
            ("b".into(), n("10.3.0.0/24")),
            ("b".into(), n("10.1.0.0/24")),
        ]);
        let c = BulkChange::new(t, BulkOp::LeaseTime(600)).unwrap();
        assert_eq!(
            c.groups(),
            vec![
                (
                    "b".to_string(),
                    Some(vec![n("10.1.0.0/24"), n("10.3.0.0/24")])
                ),
                ("a".to_string(), Some(vec![n("10.2.0.0/24")])),
            ]
        );
    }

    #[test]
    fn classes_are_listed_with_their_users() {
        let cfg = json!({"Dhcp4": {"client-classes": [
            {"name": "lab", "test": "pkt4.mac == 0x01", "option-data": [{"name": "routers", "data": "10.0.0.1"}, {"code": 66, "data": "tftp"}]}],
            "subnet4": [{"subnet": "10.0.0.0/24", "client-class": "lab"}]}});
        let l = classes_of(&cfg);
        assert_eq!(l.len(), 1);
        assert_eq!(
            l[0].options,
            vec![
                ("routers".into(), "10.0.0.1".into()),
                ("66".into(), "tftp".into())
            ]
        );
        assert_eq!(l[0].used_by, vec!["scope 10.0.0.0/24"]);
    }
}
