//! Forms for the address space (network, container, scope, duplicate), claims at network
//! level and bulk changes. Every field is checked as it is typed with the validators the ops
//! layer runs before writing (`layout::rules`, `bulk`, `options`), so the console and the
//! CLI refuse the same things with the same words.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::{options, NetworkDef, ScopeDef};
use crate::ops::layout::rules;
use crate::tui::checks;

use super::{Field, Fields, Form, FormKind};

/// What the layout and bulk forms check against, taken from the loaded server.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The server of the tab (empty for bulk forms).
    pub server: String,
    pub networks: Vec<NetworkDef>,
    /// Every scope on the server.
    pub scopes: Vec<Ipv4Net>,
    /// The scope being edited or duplicated.
    pub base: Option<ScopeDef>,
    /// Every configured server (targets of a duplicate).
    pub servers: Vec<String>,
    /// The target servers' own option definitions (bulk option forms accept their names).
    pub custom: Vec<crate::model::option_defs::CustomOptionDef>,
}

// Labels double as field names: the checks find fields by label.
pub(super) const CIDR: &str = "CIDR";
pub(super) const TITLE: &str = "Title";
pub(super) const DESC: &str = "Description";
pub(super) const SUBNET: &str = "Subnet";
pub(super) const START: &str = "Start IP";
pub(super) const END: &str = "End IP";
pub(super) const GATEWAY: &str = "Gateway";
pub(super) const DNS: &str = "DNS servers";
pub(super) const DOMAIN: &str = "Domain name";
pub(super) const LEASE: &str = "Lease (s)";
pub(super) const STATUS: &str = "Status";
pub(super) const OPTIONS: &str = "Other options";
pub(super) const TO_CIDR: &str = "To CIDR";
pub(super) const TO_SERVER: &str = "To server";
pub(super) const IP: &str = "IP";
pub(super) const MAC: &str = "MAC";
pub(super) const HOST: &str = "Hostname";
pub(super) const COMMENT: &str = "Comment";
pub(super) const PARAM: &str = "Parameter";
pub(super) const VALUE: &str = "Value";
pub(super) const OPTION: &str = "Option";
pub(super) const FIND: &str = "Find";
pub(super) const REPLACE: &str = "Replace with";
pub(super) const CLASS: &str = "Class name";
pub(super) const TEST: &str = "Test";
pub(super) const CLASS_OPTIONS: &str = "Options";

/// The DHCP options the scope form has fields of; the rest go in "Other options".
pub(super) const OWN_OPTIONS: [(&str, u16); 3] = [
    ("routers", 3),
    ("domain-name-servers", 6),
    ("domain-name", 15),
];

pub(super) fn opt_ip(s: &str) -> Result<Option<Ipv4Addr>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        checks::ipv4(s).map(Some)
    }
}

pub(super) fn parse_cidr(s: &str) -> Result<Ipv4Net, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("required".into());
    }
    t.parse()
        .map_err(|_| format!("'{t}' is not a CIDR (like 10.1.0.0/24)"))
}

pub(super) fn secs(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("'{t}' is not a number of seconds (3600 is an hour)"))
}

pub(super) fn dns_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// `name=value; name=value`, each checked against Kea's option table and normalised.
pub(super) fn option_list(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (n, v) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' is not name=value (like ntp-servers=192.0.2.123)"))?;
        let n = n.trim();
        if n.is_empty() {
            return Err("an option needs a name, e.g. ntp-servers".into());
        }
        out.push((n.to_string(), options::validate(n, v.trim())?));
    }
    Ok(out)
}

pub(super) fn own_option(o: &crate::model::OptionData) -> bool {
    OWN_OPTIONS
        .iter()
        .any(|(n, c)| o.name.as_deref() == Some(*n) || o.code == Some(*c))
}

pub(super) fn option_named<'a>(d: &'a ScopeDef, name: &str, code: u16) -> Option<&'a str> {
    d.options
        .iter()
        .find(|o| o.name.as_deref() == Some(name) || o.code == Some(code))
        .map(|o| o.data.as_str())
}

pub(super) fn fixed(label: &'static str, v: impl Into<String>) -> Field {
    Field::fixed(label, v)
}

pub(super) fn status_choice(active: bool) -> Field {
    Field::choice(
        STATUS,
        vec!["active".into(), "inactive".into()],
        usize::from(!active),
    )
}

impl Form {
    pub(super) fn bare(kind: FormKind, title: String, fields: Vec<Field>, ctx: Ctx) -> Form {
        Form {
            kind,
            ip: None,
            title,
            fields: Fields::new(fields),
            view: None,
            ctx,
            reverse_zone: None,
            tried: false,
            error: None,
        }
    }

    /// A new network or container; `inside`: the container selected in the tree.
    pub fn new_network(ctx: Ctx, container: bool, inside: Option<Ipv4Net>) -> Form {
        let what = if container { "container" } else { "network" };
        let title = match inside {
            Some(c) => format!("New {what} in {c}"),
            None => format!("New {what}"),
        };
        Form::bare(
            FormKind::NewNetwork { container },
            title,
            vec![
                Field::text(CIDR, ""),
                Field::text(TITLE, ""),
                Field::text(DESC, ""),
            ],
            ctx,
        )
    }

    pub fn edit_network(ctx: Ctx, n: &NetworkDef) -> Form {
        Form::bare(
            FormKind::EditNetwork { cidr: n.cidr },
            format!("Edit {} {}", rules::kind_word(n.kind), n.cidr),
            vec![
                fixed(CIDR, n.cidr.to_string()),
                Field::text(TITLE, n.title.clone().unwrap_or_default()),
                Field::text(DESC, n.description.clone().unwrap_or_default()),
            ],
            ctx,
        )
    }

    /// A DHCP scope in `network`; its subnet is the network's CIDR unless changed.
    pub fn new_scope(ctx: Ctx, network: Ipv4Net) -> Form {
        Form::bare(
            FormKind::NewScope { network },
            format!("New DHCP scope in {network}"),
            vec![
                Field::text(SUBNET, network.to_string()),
                // Empty: the subnet's first and last host (the note shows the range).
                Field::text(START, ""),
                Field::text(END, ""),
                Field::text(GATEWAY, ""),
                Field::text(DNS, ""),
                Field::text(DOMAIN, ""),
                Field::text(LEASE, ""),
                status_choice(true),
                Field::text(TITLE, ""),
                Field::text(DESC, ""),
            ],
            ctx,
        )
    }

    /// Edit a scope: range, gateway, DNS, domain, lease time, texts and other options.
    pub fn edit_scope(mut ctx: Ctx, d: &ScopeDef) -> Form {
        ctx.base = Some(d.clone());
        let others = d
            .options
            .iter()
            .filter(|o| !own_option(o))
            .filter_map(|o| Some(format!("{}={}", o.name.clone()?, o.data)))
            .collect::<Vec<_>>()
            .join("; ");
        Form::bare(
            FormKind::EditScope { cidr: d.cidr },
            format!("Edit scope {}", d.cidr),
            vec![
                Field::text(START, d.range.first().to_string()),
                Field::text(END, d.range.last().to_string()),
                Field::text(
                    GATEWAY,
                    d.gateway.map(|g| g.to_string()).unwrap_or_default(),
                ),
                Field::text(DNS, option_named(d, "domain-name-servers", 6).unwrap_or("")),
                Field::text(DOMAIN, option_named(d, "domain-name", 15).unwrap_or("")),
                Field::text(
                    LEASE,
                    d.valid_lifetime.map(|s| s.to_string()).unwrap_or_default(),
                ),
                Field::text(TITLE, d.title.clone().unwrap_or_default()),
                Field::text(DESC, d.description.clone().unwrap_or_default()),
                Field::text(OPTIONS, others),
            ],
            ctx,
        )
    }

    /// Copy a scope onto another CIDR of this server, or onto another server.
    pub fn duplicate(mut ctx: Ctx, d: &ScopeDef) -> Form {
        ctx.base = Some(d.clone());
        let mut servers = vec![ctx.server.clone()];
        servers.extend(ctx.servers.iter().filter(|s| **s != ctx.server).cloned());
        Form::bare(
            FormKind::Duplicate { cidr: d.cidr },
            format!("Duplicate scope {}", d.cidr),
            vec![
                Field::text(TO_CIDR, ""),
                Field::choice(TO_SERVER, servers, 0),
            ],
            ctx,
        )
    }

    /// Claim an address of `network` that lies outside every scope.
    pub fn net_claim(ctx: Ctx, network: Ipv4Net) -> Form {
        Form::bare(
            FormKind::NetClaim { network },
            format!("Claim an address of {network} outside its scopes"),
            vec![
                Field::text(IP, ""),
                Field::text(MAC, ""),
                Field::text(HOST, ""),
                Field::text(COMMENT, ""),
            ],
            ctx,
        )
    }
}
