//! Forms for the address space (network, container, scope, duplicate), claims at network
//! level and bulk changes. Every field is checked as it is typed with the validators the ops
//! layer runs before writing (`layout::rules`, `bulk`, `options`), so the console and the
//! CLI refuse the same things with the same words.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::{options, NetworkDef, NetworkKind, ScopeDef};
use crate::ops::bulk::{BulkChange, Target};
use crate::ops::layout::rules;
use crate::ops::layout::{ScopeEdit, ScopeProps};
use crate::tui::actions::{BulkKind, Command};
use crate::tui::checks;

use super::{opt, Field, Fields, Form, FormKind, Input};

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

    // ----- checks -----

    pub(super) fn at(&self, label: &str) -> Option<usize> {
        self.fields.list.iter().position(|f| f.label == label)
    }

    pub(super) fn val(&self, label: &str) -> &str {
        self.at(label).map_or("", |i| self.text(i))
    }

    /// The subnet the scope fields are checked against.
    fn scope_cidr(&self) -> Option<Ipv4Net> {
        match &self.kind {
            FormKind::NewScope { .. } => parse_cidr(self.val(SUBNET)).ok(),
            FormKind::EditScope { cidr } => Some(*cidr),
            _ => None,
        }
    }

    /// `validate_scope` with only some properties: its refusal then belongs to them.
    fn scope_check(&self, p: ScopeProps) -> Result<(), String> {
        match self.scope_cidr() {
            Some(c) => rules::validate_scope(c, &p)
                .map(|_| ())
                .map_err(String::from),
            None => Ok(()),
        }
    }

    /// The scope's properties as typed.
    fn scope_props(&self) -> Result<ScopeProps, String> {
        let start = opt_ip(self.val(START))?;
        let end = opt_ip(self.val(END))?;
        Ok(ScopeProps {
            start,
            end,
            gateway: opt_ip(self.val(GATEWAY))?,
            dns: dns_list(self.val(DNS)),
            domain: opt(self.val(DOMAIN)),
            lease_time: secs(self.val(LEASE))?,
            active: self.at(STATUS).is_none_or(|i| self.index(i) == 0),
            title: opt(self.val(TITLE)),
            description: opt(self.val(DESC)),
            relay: Vec::new(),
        })
    }

    /// The check of one field of a layout or bulk form.
    pub(super) fn layout_field_error(&self, i: usize) -> Result<(), String> {
        let Some(field) = self.fields.list.get(i) else {
            return Ok(());
        };
        if matches!(field.input, Input::Fixed(_) | Input::Choice { .. }) {
            return Ok(());
        }
        let v = field.value();
        match (&self.kind, field.label) {
            (FormKind::NewNetwork { container }, CIDR) => {
                let c = parse_cidr(v)?;
                let kind = if *container {
                    NetworkKind::Container
                } else {
                    NetworkKind::Network
                };
                Ok(rules::check_network_place(&self.ctx.networks, c, kind)?)
            }
            (FormKind::NewScope { network }, SUBNET) => {
                let c = parse_cidr(v)?;
                rules::check_scope_subnet(*network, c)?;
                let clash: Vec<String> = self
                    .ctx
                    .scopes
                    .iter()
                    .filter(|s| crate::model::range::nets_overlap(s, &c))
                    .map(|s| s.to_string())
                    .collect();
                if clash.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "{c} overlaps the scope(s) {} on {}: scopes on one server must not overlap",
                        clash.join(", "),
                        self.ctx.server
                    ))
                }
            }
            (FormKind::NewScope { .. } | FormKind::EditScope { .. }, label) => match label {
                START => self.scope_check(ScopeProps {
                    start: opt_ip(v)?,
                    ..Default::default()
                }),
                END => {
                    let end = opt_ip(v)?;
                    self.scope_check(ScopeProps {
                        end,
                        ..Default::default()
                    })?;
                    // The order, once the start is a good address.
                    match opt_ip(self.val(START)) {
                        Ok(start)
                            if self
                                .scope_check(ScopeProps {
                                    start,
                                    ..Default::default()
                                })
                                .is_ok() =>
                        {
                            self.scope_check(ScopeProps {
                                start,
                                end,
                                ..Default::default()
                            })
                        }
                        _ => Ok(()),
                    }
                }
                GATEWAY => self.scope_check(ScopeProps {
                    gateway: opt_ip(v)?,
                    ..Default::default()
                }),
                DNS => self.scope_check(ScopeProps {
                    dns: dns_list(v),
                    ..Default::default()
                }),
                DOMAIN => self.scope_check(ScopeProps {
                    domain: opt(v),
                    ..Default::default()
                }),
                LEASE => self.scope_check(ScopeProps {
                    lease_time: secs(v)?,
                    ..Default::default()
                }),
                OPTIONS => option_list(v).map(|_| ()),
                _ => Ok(()),
            },
            (FormKind::Duplicate { cidr }, TO_CIDR) => {
                if v.trim().is_empty() {
                    return Ok(());
                }
                let c = parse_cidr(v)?;
                if c != c.trunc() {
                    return Err(format!(
                        "{c} has host bits set: did you mean {}?",
                        c.trunc()
                    ));
                }
                if c.prefix_len() != cidr.prefix_len() {
                    return Err(format!(
                        "{c} is a /{} and {cidr} a /{}: a copy keeps the size of the scope",
                        c.prefix_len(),
                        cidr.prefix_len()
                    ));
                }
                Ok(())
            }
            (FormKind::NetClaim { network }, IP) => {
                let ip = checks::ipv4(v)?;
                if !network.contains(&ip) {
                    return Err(format!("{ip} is outside the network {network}"));
                }
                if let Some(s) = self.ctx.scopes.iter().find(|s| s.contains(&ip)) {
                    return Err(format!(
                        "{ip} is inside the scope {s}: claim it there (open the scope, c)"
                    ));
                }
                let claimed = self
                    .ctx
                    .networks
                    .iter()
                    .filter(|n| n.cidr == *network)
                    .flat_map(|n| n.claims.iter())
                    .find(|c| c.ip == ip);
                match claimed {
                    Some(c) => Err(format!(
                        "{ip} is already claimed in network {network} for {}: unclaim it first",
                        c.mac
                    )),
                    None => Ok(()),
                }
            }
            (FormKind::NetClaim { .. }, MAC) => checks::mac(v).map(|_| ()),
            (FormKind::NetClaim { .. }, HOST) => match opt(v) {
                Some(h) => checks::hostname(&h),
                None => Ok(()),
            },
            (FormKind::Bulk { kind, .. }, label) => self.bulk_field_error(*kind, label, v),
            _ => Ok(()),
        }
    }

    /// What will happen, under the fields.
    pub(super) fn layout_notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.kind {
            FormKind::NewScope { .. } | FormKind::EditScope { .. } => {
                if let (Some(c), Ok(p)) = (self.scope_cidr(), self.scope_props()) {
                    if let Ok(v) = rules::validate_scope(c, &p) {
                        out.push(format!(
                            "range {} ({} addresses); lease time {}",
                            v.range,
                            v.range.len(),
                            p.lease_time
                                .map(|s| format!("{s} s"))
                                .unwrap_or_else(|| "from the server".into())
                        ));
                        if let Some(b) = &self.ctx.base {
                            if v.range != b.range && !b.exclusions().is_empty() {
                                out.push(format!(
                                    "⚠ the range changes: the exclusions {} are dropped",
                                    b.exclusions()
                                ));
                            }
                        }
                    }
                    if !p.active {
                        out.push("inactive: configured, but serves no client".into());
                    }
                }
                out.push("written on the server and its HA peers".into());
            }
            FormKind::Duplicate { .. } => {
                out.push(
                    "range, gateway and options go along; reservations are not copied".into(),
                );
            }
            FormKind::NetClaim { network } => out.push(format!(
                "kept in the entry of network {network} on the server (no lease exists outside a scope)"
            )),
            FormKind::Bulk { kind, target } => {
                let on = match target {
                    Target::Scopes(s) => {
                        let mut servers: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
                        servers.dedup();
                        servers.sort_unstable();
                        servers.dedup();
                        format!(
                            "on {} scope{} of {}",
                            s.len(),
                            if s.len() == 1 { "" } else { "s" },
                            servers.join(", ")
                        )
                    }
                    Target::Servers(s) => format!("server level on {}", s.join(", ")),
                };
                out.push(on);
                if *kind == BulkKind::Exclude {
                    out.push(
                        "⚠ addresses leased inside the range are listed in the preview".into(),
                    );
                }
                out.push("Enter shows a preview per server; nothing is written before y".into());
            }
            _ => {}
        }
        out
    }

    /// The job for a checked form, or why it can't be sent.
    pub(super) fn layout_submit(&self) -> Result<Command, String> {
        let opt_text = |l: &str| opt(self.val(l));
        Ok(match &self.kind {
            FormKind::NewNetwork { container } => Command::CreateNetwork {
                cidr: parse_cidr(self.val(CIDR))?,
                container: *container,
                title: opt_text(TITLE),
                description: opt_text(DESC),
            },
            FormKind::EditNetwork { cidr } => Command::EditNetwork {
                cidr: *cidr,
                title: Some(self.val(TITLE).trim().to_string()),
                description: Some(self.val(DESC).trim().to_string()),
            },
            FormKind::NewScope { network } => {
                let cidr = parse_cidr(self.val(SUBNET))?;
                let props = self.scope_props()?;
                rules::validate_scope(cidr, &props)?;
                Command::CreateScope {
                    network: *network,
                    subnet: (cidr != *network).then_some(cidr),
                    props: Box::new(props),
                }
            }
            FormKind::EditScope { cidr } => Command::EditScope {
                cidr: *cidr,
                edit: Box::new(self.scope_edit()?),
            },
            FormKind::Duplicate { cidr } => {
                let to_cidr = match self.val(TO_CIDR).trim() {
                    "" => None,
                    t => Some(parse_cidr(t)?),
                };
                let server = self.at(TO_SERVER).map_or("", |i| self.text(i)).to_string();
                let to_server = (server != self.ctx.server && !server.is_empty()).then_some(server);
                if to_server.is_none() && to_cidr.is_none_or(|c| c == *cidr) {
                    return Err(format!(
                        "give another CIDR, or pick another server: {cidr} is already on {}",
                        self.ctx.server
                    ));
                }
                Command::DuplicateScope {
                    cidr: *cidr,
                    to_cidr,
                    to_server,
                }
            }
            FormKind::NetClaim { .. } => Command::Claim {
                ip: checks::ipv4(self.val(IP))?,
                claim: crate::ops::ClaimRequest {
                    mac: checks::mac(self.val(MAC))?,
                    hostname: opt_text(HOST),
                    comment: opt_text(COMMENT),
                },
            },
            FormKind::Bulk { kind, target } => {
                let op = self.bulk_op(*kind)?;
                let change = BulkChange::new(target.clone(), op).map_err(|e| e.to_string())?;
                Command::BulkPreview(Box::new(change))
            }
            _ => return Err("not a layout form".into()),
        })
    }

    /// The changes typed into the scope edit form, against the scope as loaded.
    fn scope_edit(&self) -> Result<ScopeEdit, String> {
        let b = self
            .ctx
            .base
            .as_ref()
            .ok_or("the scope is not loaded: reload (r)")?;
        let p = self.scope_props()?;
        rules::validate_scope(b.cidr, &p)?;
        let mut e = ScopeEdit::default();
        let start = p.start.unwrap_or(b.range.first());
        let end = p.end.unwrap_or(b.range.last());
        if start != b.range.first() || end != b.range.last() {
            e.start = Some(start);
            e.end = Some(end);
        }
        if p.gateway != b.gateway {
            e.gateway = Some(p.gateway);
        }
        let old_dns = dns_list(option_named(b, "domain-name-servers", 6).unwrap_or(""));
        if p.dns != old_dns {
            e.dns = Some(p.dns.clone());
        }
        let old_domain = option_named(b, "domain-name", 15).unwrap_or("");
        let domain = p.domain.clone().unwrap_or_default();
        if domain != old_domain {
            e.domain = Some(domain);
        }
        if p.lease_time.is_some() && p.lease_time != b.valid_lifetime {
            e.lease_time = p.lease_time;
        }
        let title = p.title.clone().unwrap_or_default();
        if title != b.title.clone().unwrap_or_default() {
            e.title = Some(title);
        }
        let desc = p.description.clone().unwrap_or_default();
        if desc != b.description.clone().unwrap_or_default() {
            e.description = Some(desc);
        }
        let typed = option_list(self.val(OPTIONS))?;
        let old: Vec<(String, String)> = b
            .options
            .iter()
            .filter(|o| !own_option(o))
            .filter_map(|o| Some((o.name.clone()?, o.data.clone())))
            .collect();
        for (n, d) in &typed {
            let same = old
                .iter()
                .any(|(on, od)| on == n && options::validate(on, od).ok().as_ref() == Some(d));
            if !same {
                e.set_options.push((n.clone(), d.clone()));
            }
        }
        for (n, _) in &old {
            if !typed.iter().any(|(t, _)| t == n) {
                e.remove_options.push(n.clone());
            }
        }
        if e == ScopeEdit::default() {
            return Err("nothing changed: edit a field, or Esc to cancel".into());
        }
        Ok(e)
    }
}
