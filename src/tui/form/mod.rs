//! Forms: claim, reservation, exclusion and DNS record. Fields are checked as they are
//! typed; Enter sends only a form without errors and turns it into an `Command`.
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::model::{IpState, Range, ScopeView};

use super::actions::{BulkKind, Command};
use super::checks;
use crate::ops::{ClaimRequest, Ident, ReservationRequest, ReservationType};

mod bulk_forms;
pub mod field;
mod layout_checks;
pub mod layout_forms;
pub mod option_def_fields;

pub use field::{Field, Fields, Input};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormKind {
    Claim,
    Reserve {
        edit: bool,
    },
    /// A new exclusion, or a change of `replaces`.
    Exclude {
        replaces: Option<Range>,
    },
    DnsAdd,
    DnsDelete,
    // The address space (issue 4) and network-level claims (issue 3).
    NewNetwork {
        container: bool,
    },
    EditNetwork {
        cidr: ipnet::Ipv4Net,
    },
    NewScope {
        network: ipnet::Ipv4Net,
    },
    EditScope {
        cidr: ipnet::Ipv4Net,
    },
    Duplicate {
        cidr: ipnet::Ipv4Net,
    },
    NetClaim {
        network: ipnet::Ipv4Net,
    },
    /// A bulk change for the marked scopes or servers.
    Bulk {
        kind: BulkKind,
        target: crate::ops::bulk::Target,
    },
}

impl FormKind {
    /// About the address space or many servers: its popup sits over the tree, not a scope.
    pub fn is_layout(&self) -> bool {
        !matches!(
            self,
            FormKind::Claim
                | FormKind::Reserve { .. }
                | FormKind::Exclude { .. }
                | FormKind::DnsAdd
                | FormKind::DnsDelete
        )
    }
}

#[derive(Clone, Debug)]
pub struct Form {
    pub kind: FormKind,
    /// The address the form is about (none for an exclusion).
    pub ip: Option<Ipv4Addr>,
    pub title: String,
    pub fields: Fields,
    /// The scope as loaded, for checks against its range, reservations and leases (forms
    /// about one address or exclusion); `None` for the layout and bulk forms.
    pub view: Option<Arc<ScopeView>>,
    /// What the layout and bulk forms check against (networks, scopes, servers).
    pub ctx: layout_forms::Ctx,
    /// The reverse zone a PTR would go into (DNS forms).
    pub reverse_zone: Option<String>,
    /// Enter was pressed once: empty required fields now show their error too.
    pub tried: bool,
    /// Why the server refused the last submit.
    pub error: Option<String>,
}

// Field positions per form.
const CLAIM_MAC: usize = 0;
const CLAIM_HOST: usize = 1;
const CLAIM_COMMENT: usize = 2;
const RES_KIND: usize = 0;
const RES_VALUE: usize = 1;
const RES_TYPE: usize = 2;
const RES_HOST: usize = 3;
const RES_DESC: usize = 4;
const EX_START: usize = 0;
const EX_END: usize = 1;
const DNS_ZONE: usize = 0;
const DNS_HOST: usize = 1;
const DNS_TTL: usize = 3;
const DNS_PTR: usize = 4;
const DNS_COMMENT: usize = 5;
const DEL_PTR: usize = 2;

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Splits a lease's host name into (zone index, name in the zone) when it ends in a zone.
fn split_zone(host: &str, zones: &[String]) -> (usize, String) {
    let host = host.trim_end_matches('.');
    for (i, z) in zones.iter().enumerate() {
        if let Some(rest) = host.strip_suffix(&format!(".{z}")) {
            return (i, rest.to_string());
        }
    }
    (0, host.to_string())
}

/// A PTR switch, off and locked without a reverse zone.
fn ptr_toggle(label: &'static str, has_rev: bool) -> Field {
    let mut f = Field::toggle(label, has_rev);
    f.input = Input::Toggle {
        on: has_rev,
        enabled: has_rev,
    };
    f
}

impl Form {
    fn new(
        kind: FormKind,
        ip: Option<Ipv4Addr>,
        title: String,
        fields: Vec<Field>,
        view: &Arc<ScopeView>,
    ) -> Form {
        Form {
            kind,
            ip,
            title,
            fields: Fields::new(fields),
            view: Some(view.clone()),
            ctx: Default::default(),
            reverse_zone: None,
            tried: false,
            error: None,
        }
    }

    /// Claim `ip` for a client; the MAC and host name of a lease on it are filled in.
    pub fn claim(view: &Arc<ScopeView>, ip: Ipv4Addr) -> Form {
        let d = view.detail(ip);
        let mac = d
            .lease
            .filter(|l| !l.hw.is_none() && !l.hw.is_zero())
            .map(|l| l.hw.to_string())
            .unwrap_or_default();
        let host = d.lease.and_then(|l| l.hostname.as_deref()).unwrap_or("");
        let comment = d.lease.and_then(|l| l.comment()).unwrap_or("");
        Form::new(
            FormKind::Claim,
            Some(ip),
            format!("Claim {ip}"),
            vec![
                Field::text("MAC", mac),
                Field::text("Hostname", host),
                Field::text("Comment", comment),
            ],
            view,
        )
    }

    /// Create the reservation of `ip`, or edit the one there.
    pub fn reserve(view: &Arc<ScopeView>, ip: Ipv4Addr) -> Form {
        let d = view.detail(ip);
        let kinds = vec!["MAC".to_string(), "client ID".to_string()];
        let types = vec!["DHCP".to_string(), "BOOTP".to_string(), "both".to_string()];
        let (edit, kind, value, host, desc) = match d.reservation {
            Some(r) => {
                let (k, v) = match (&r.hw, &r.client_id) {
                    (Some(hw), _) => (0, hw.clone()),
                    (None, Some(c)) => (1, c.clone()),
                    (None, None) => (0, String::new()),
                };
                (
                    true,
                    k,
                    v,
                    r.hostname.clone().unwrap_or_default(),
                    r.description.clone().unwrap_or_default(),
                )
            }
            None => (
                false,
                0,
                d.mac().unwrap_or_default(),
                d.hostname().unwrap_or("").to_string(),
                String::new(),
            ),
        };
        let bootp = d
            .reservation
            .is_some_and(|r| r.client_classes.iter().any(|c| c == "BOOTP"));
        let title = if edit {
            format!("Edit the reservation of {ip}")
        } else {
            format!("Reserve {ip}")
        };
        Form::new(
            FormKind::Reserve { edit },
            Some(ip),
            title,
            vec![
                Field::choice("Identifier", kinds, kind),
                Field::text("Value", value),
                Field::choice("Type", types, if bootp { 2 } else { 0 }),
                Field::text("Hostname", host),
                Field::text("Description", desc),
            ],
            view,
        )
    }

    /// A new exclusion (start and end), or a change of `replaces`.
    pub fn exclusion(view: &Arc<ScopeView>, replaces: Option<Range>) -> Form {
        let (s, e, title) = match replaces {
            Some(r) => (
                r.first().to_string(),
                r.last().to_string(),
                format!("Change the exclusion {r}"),
            ),
            None => (
                String::new(),
                String::new(),
                format!("Add an exclusion to {}", view.def.cidr),
            ),
        };
        Form::new(
            FormKind::Exclude { replaces },
            None,
            title,
            vec![Field::text("Start", s), Field::text("End", e)],
            view,
        )
    }

    /// An A record (and optionally its PTR) for `ip`. `zones`: forward zones, not empty.
    pub fn dns_add(
        view: &Arc<ScopeView>,
        ip: Ipv4Addr,
        zones: Vec<String>,
        reverse_zone: Option<String>,
    ) -> Form {
        let d = view.detail(ip);
        let (zi, host) = split_zone(d.hostname().unwrap_or(""), &zones);
        let has_rev = reverse_zone.is_some();
        let mut f = Form::new(
            FormKind::DnsAdd,
            Some(ip),
            format!("DNS record for {ip}"),
            vec![
                Field::choice("Zone", zones, zi),
                Field::text("Hostname", host),
                Field::fixed("Type", "A"),
                Field::text("TTL", "3600"),
                ptr_toggle("PTR", has_rev),
                Field::text("Comment", ""),
            ],
            view,
        );
        f.reverse_zone = reverse_zone;
        f.fields.focus = DNS_HOST;
        f
    }

    /// Which records of `ip` to delete: the name in a zone, and the PTR.
    pub fn dns_delete(
        view: &Arc<ScopeView>,
        ip: Ipv4Addr,
        zones: Vec<String>,
        reverse_zone: Option<String>,
    ) -> Form {
        let d = view.detail(ip);
        let (zi, host) = split_zone(d.hostname().unwrap_or(""), &zones);
        let has_rev = reverse_zone.is_some();
        let mut f = Form::new(
            FormKind::DnsDelete,
            Some(ip),
            format!("Delete the DNS records of {ip}"),
            vec![
                Field::choice("Zone", zones, zi),
                Field::text("Hostname", host),
                ptr_toggle("PTR too", has_rev),
            ],
            view,
        );
        f.reverse_zone = reverse_zone;
        f.fields.focus = DNS_HOST;
        f
    }

    // ----- editing -----

    pub fn next_field(&mut self) {
        self.fields.step(true);
    }

    pub fn prev_field(&mut self) {
        self.fields.step(false);
    }

    /// ←/→ (and Space) on a choice or a switch.
    pub fn cycle(&mut self, fwd: bool) {
        self.fields.cycle(fwd);
        self.error = None;
    }

    /// A typing key on the focused field ([`Fields::type_key`]); whether it was one.
    pub fn type_key(&mut self, k: &crossterm::event::KeyEvent) -> bool {
        let used = self.fields.type_key(k);
        if used {
            self.error = None;
        }
        used
    }

    pub(crate) fn text(&self, i: usize) -> &str {
        self.fields.list.get(i).map_or("", |f| f.value())
    }

    pub(crate) fn index(&self, i: usize) -> usize {
        self.fields.list.get(i).map_or(0, |f| f.index())
    }

    fn on(&self, i: usize) -> bool {
        self.fields.list.get(i).is_some_and(|f| f.on())
    }

    // ----- checks -----

    fn check_opt_host(&self, i: usize) -> Result<(), String> {
        match opt(self.text(i)) {
            Some(h) => checks::hostname(&h),
            None => Ok(()),
        }
    }

    /// The reservation names its client by client id (else by MAC).
    fn by_client_id(&self) -> bool {
        self.index(RES_KIND) == 1
    }

    /// The exclusion as typed, checked against the scope.
    fn exclusion_range(&self) -> Result<Range, (usize, String)> {
        let s = checks::ipv4(self.text(EX_START)).map_err(|e| (EX_START, e))?;
        let e = checks::ipv4(self.text(EX_END)).map_err(|e| (EX_END, e))?;
        let Some(v) = &self.view else {
            return Err((EX_START, "no scope loaded".into()));
        };
        let def = &v.def;
        for (i, ip) in [(EX_START, s), (EX_END, e)] {
            if !def.range.contains(u32::from(ip)) {
                return Err((i, format!("{ip} is outside the scope range {}", def.range)));
            }
        }
        let r =
            Range::new(s, e).ok_or((EX_END, format!("the end {e} comes before the start {s}")))?;
        if let Some(res) = def
            .reservations
            .iter()
            .find(|x| r.contains(u32::from(x.ip)))
        {
            let who = res
                .hostname
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            return Err((
                EX_END,
                format!(
                    "covers the reservation of {}{who}: delete or move it first",
                    res.ip
                ),
            ));
        }
        Ok(r)
    }

    /// The error of field `i` as it stands, if any.
    pub fn field_error(&self, i: usize) -> Option<String> {
        if self.kind.is_layout() {
            return self.layout_field_error(i).err();
        }
        let required = |v: &str| v.trim().is_empty().then(|| "required".to_string());
        let res: Result<(), String> = match (&self.kind, i) {
            (FormKind::Claim, CLAIM_MAC) => checks::mac(self.text(i)).map(|_| ()),
            (FormKind::Claim, CLAIM_HOST) => self.check_opt_host(i),
            (FormKind::Reserve { .. }, RES_VALUE) if self.by_client_id() => {
                checks::client_id(self.text(i)).map(|_| ())
            }
            (FormKind::Reserve { .. }, RES_VALUE) => checks::mac(self.text(i)).map(|_| ()),
            (FormKind::Reserve { .. }, RES_HOST) => self.check_opt_host(i),
            (FormKind::Exclude { .. }, EX_START | EX_END) => match self.exclusion_range() {
                Err((j, e)) if j == i => Err(e),
                _ => Ok(()),
            },
            (FormKind::DnsAdd | FormKind::DnsDelete, DNS_ZONE) => {
                if self.text(i).is_empty() {
                    Err("no forward zone configured".into())
                } else {
                    Ok(())
                }
            }
            (FormKind::DnsAdd | FormKind::DnsDelete, DNS_HOST) => match required(self.text(i)) {
                Some(e) => Err(e),
                None => checks::hostname(self.text(i).trim()),
            },
            (FormKind::DnsAdd, DNS_TTL) => checks::ttl(self.text(i)).map(|_| ()),
            _ => Ok(()),
        };
        res.err()
    }

    /// The error to show now for field `i`: while a field is empty its "required" waits
    /// for the first Enter.
    pub fn shown_error(&self, i: usize) -> Option<String> {
        let e = self.field_error(i)?;
        let empty = self.fields.list[i].is_blank_text();
        (self.tried || !empty).then_some(e)
    }

    /// Lines under the fields: what will happen, and warnings that don't block.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.kind {
            FormKind::Reserve { .. } => {
                let lease = self
                    .view
                    .as_ref()
                    .zip(self.ip)
                    .and_then(|(v, ip)| v.lease_of(ip).map(|l| (ip, v.state_of(ip), l)));
                if let Some((ip, st, l)) = lease {
                    let typed = checks::mac(self.text(RES_VALUE)).ok();
                    let lease_mac = (!l.hw.is_none() && !l.hw.is_zero()).then(|| l.hw.to_string());
                    if matches!(st, IpState::Assigned | IpState::Claimed | IpState::Declined)
                        && (self.by_client_id() || typed != lease_mac)
                    {
                        out.push(format!(
                            "⚠ {ip} is leased to {}: you will be asked to confirm",
                            lease_mac.unwrap_or_else(|| "another client".into())
                        ));
                    }
                }
                if self.index(RES_TYPE) != 0 {
                    out.push("BOOTP needs Kea's bootp hook on the server".into());
                }
            }
            FormKind::Exclude { replaces } => {
                if let (Ok(r), Some(view)) = (self.exclusion_range(), &self.view) {
                    let leased = view
                        .leases
                        .iter()
                        .filter(|l| r.contains(u32::from(l.ip)))
                        .filter(|l| view.state_of(l.ip).is_used())
                        .count();
                    if leased > 0 {
                        out.push(format!(
                            "⚠ {leased} leased address{} inside: {} until {} expire{}",
                            if leased == 1 { "" } else { "es" },
                            if leased == 1 {
                                "its lease runs"
                            } else {
                                "their leases run"
                            },
                            if leased == 1 { "it" } else { "they" },
                            if leased == 1 { "s" } else { "" },
                        ));
                    }
                    let touching = view
                        .def
                        .exclusions()
                        .iter()
                        .filter(|x| Some(**x) != *replaces)
                        .any(|x| {
                            x.start <= r.end.saturating_add(1) && r.start <= x.end.saturating_add(1)
                        });
                    if touching {
                        out.push("overlaps or touches another exclusion: they merge".into());
                    }
                    out.push(format!(
                        "{} address{} leave the pools",
                        r.len(),
                        if r.len() == 1 { "" } else { "es" }
                    ));
                }
            }
            FormKind::DnsAdd => {
                let host = self.text(DNS_HOST).trim();
                let zone = self.text(DNS_ZONE);
                if let Some(ip) = self.ip {
                    if !host.is_empty() {
                        out.push(format!("{host}.{zone}  A  {ip}"));
                    }
                }
                out.push(self.ptr_note());
            }
            FormKind::DnsDelete => out.push(self.ptr_note()),
            FormKind::Claim => {}
            _ => out = self.layout_notes(),
        }
        out
    }

    fn ptr_note(&self) -> String {
        match (&self.reverse_zone, self.ip) {
            (Some(z), _) => format!("PTR goes in {z}"),
            (None, Some(ip)) => format!("no reverse zone configured for {ip}: no PTR"),
            (None, None) => String::new(),
        }
    }

    /// Checks every field; on success the job to send, else focus moves to the first error.
    pub fn submit(&mut self) -> Option<Command> {
        self.tried = true;
        if let Some(i) = (0..self.fields.list.len()).find(|i| self.field_error(*i).is_some()) {
            self.fields.focus = i;
            return None;
        }
        if self.kind.is_layout() {
            return match self.layout_submit() {
                Ok(job) => Some(job),
                Err(e) => {
                    self.error = Some(e);
                    None
                }
            };
        }
        let ip = self.ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let t = |i| self.text(i);
        Some(match &self.kind {
            FormKind::Claim => Command::Claim {
                ip,
                claim: ClaimRequest {
                    mac: checks::mac(t(CLAIM_MAC)).ok()?,
                    hostname: opt(t(CLAIM_HOST)),
                    comment: opt(t(CLAIM_COMMENT)),
                },
            },
            FormKind::Reserve { .. } => Command::Reserve {
                ip,
                reservation: ReservationRequest {
                    ident: if self.by_client_id() {
                        Ident::ClientId(checks::client_id(t(RES_VALUE)).ok()?)
                    } else {
                        Ident::Mac(checks::mac(t(RES_VALUE)).ok()?)
                    },
                    kind: match self.index(RES_TYPE) {
                        1 => ReservationType::Bootp,
                        2 => ReservationType::Both,
                        _ => ReservationType::Dhcp,
                    },
                    hostname: opt(t(RES_HOST)),
                    description: opt(t(RES_DESC)),
                },
                confirmed: false,
            },
            FormKind::Exclude { replaces } => Command::Exclude {
                scope: Box::new(self.view.as_ref()?.def.clone()),
                range: self.exclusion_range().ok()?,
                replaces: *replaces,
                confirmed: false,
            },
            FormKind::DnsAdd => Command::DnsAdd {
                ip,
                zone: t(DNS_ZONE).to_string(),
                hostname: t(DNS_HOST).trim().to_string(),
                ttl: checks::ttl(t(DNS_TTL)).ok()?,
                ptr: self.on(DNS_PTR),
                comment: opt(t(DNS_COMMENT)),
            },
            FormKind::DnsDelete => Command::DnsDelete {
                ip,
                zone: t(DNS_ZONE).to_string(),
                hostname: t(DNS_HOST).trim().to_string(),
                ptr: self.on(DEL_PTR),
            },
            _ => return None,
        })
    }
}
