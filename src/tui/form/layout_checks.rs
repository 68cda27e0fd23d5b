//! Checking, noting and submitting the address space, claim and bulk forms: every field
//! with the validators the ops layer runs before writing (`layout::rules`, `bulk`,
//! `options`), so the console and the CLI refuse the same things with the same words.

use ipnet::Ipv4Net;

use crate::model::{options, NetworkKind};
use crate::ops::bulk::{BulkChange, Target};
use crate::ops::layout::rules;
use crate::ops::layout::{ScopeEdit, ScopeProps};
use crate::tui::actions::{BulkKind, Command};
use crate::tui::checks;

use super::layout_forms::*;
use super::{opt, Form, FormKind, Input};

impl Form {
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
                let change = BulkChange::with_custom(target.clone(), op, &self.ctx.custom)
                    .map_err(|e| e.to_string())?;
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
