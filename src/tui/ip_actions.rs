//! What each action on one address does in the console: when it is offered, what it asks
//! first, and what it becomes (a command sent at once, a question, a form or a panel). A
//! new address action is a keymap row, arms here, and its ops command.
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::config::DnsConfig;
use crate::model::scope::IpDetail;
use crate::model::{IpState, LeaseMark, ScopeView};
use crate::ops::Command;

use super::actions::{Confirm, Menu, Modal};
use super::checks;
use super::form::Form;
use super::keymap::{self, Action, Context, Role};

/// What an action key on one address leads to.
#[derive(Debug)]
pub enum IpStep {
    /// Send it now.
    Run(Command),
    /// A popup first (a form, the menu, a question, the exclusions); nothing sent yet.
    Open(Modal),
    /// A panel that shows the answer of the command sent with it (ping, history).
    OpenAndRun(Modal, Command),
    /// Not possible here, with why.
    Refuse(String),
}

/// What action `a` on the address under the cursor (`ip` in `v`) leads to.
pub fn step(a: Action, v: &Arc<ScopeView>, ip: Ipv4Addr, rights: Role, dns: &DnsConfig) -> IpStep {
    let d = v.detail(ip);
    if let Some(why) = why_not(a, &d) {
        return IpStep::Refuse(why);
    }
    let ask = |job: Command| {
        let (title, text) = confirm_text(a, &d);
        IpStep::Open(Modal::Confirm(Confirm { title, text, job }))
    };
    let form = |f: Form| IpStep::Open(Modal::Form(Box::new(f)));
    match a {
        Action::Actions => IpStep::Open(Modal::Menu(Menu {
            ip,
            items: offered(&d, rights),
            cursor: 0,
        })),
        Action::Exclusions => IpStep::Open(Modal::Exclusions { cursor: 0 }),
        Action::HoldNext | Action::HoldRandom => IpStep::Run(Command::HoldFree {
            scope: Box::new(v.def.clone()),
            random: a == Action::HoldRandom,
        }),
        Action::Hold => IpStep::Run(Command::Hold { ip }),
        Action::Release => ask(Command::Release { ip }),
        Action::Unclaim => ask(Command::Unclaim { ip }),
        Action::Unreserve => ask(Command::Unreserve { ip }),
        Action::ReserveLease => match Command::reserve_lease(&d) {
            Ok(job) => ask(job),
            Err(why) => IpStep::Refuse(why.0),
        },
        Action::Claim => form(Form::claim(v, ip)),
        Action::Reserve => form(Form::reserve(v, ip)),
        Action::DnsAdd | Action::DnsDelete => {
            let zones = checks::forward_zones(dns);
            if zones.is_empty() {
                return IpStep::Refuse(
                    "no DNS zone configured: add a [[dns.zone]] with its primary to the configuration"
                        .into(),
                );
            }
            let rev = checks::reverse_zone(dns, ip);
            form(if a == Action::DnsAdd {
                Form::dns_add(v, ip, zones, rev)
            } else {
                Form::dns_delete(v, ip, zones, rev)
            })
        }
        Action::Ping => IpStep::OpenAndRun(Modal::Ping { ip, result: None }, Command::Ping { ip }),
        Action::History => IpStep::OpenAndRun(
            Modal::History {
                ip,
                rows: None,
                scroll: 0,
            },
            Command::History { ip },
        ),
        _ => IpStep::Refuse("not an action on one address".into()),
    }
}

/// A key of the address actions (the scope's own ones included: next free, exclusions).
pub fn is_ip_action(a: Action) -> bool {
    keymap::binding(Context::IpActions, a).is_some()
}

/// The actions on one address, in menu order: the keymap's, without the scope's own.
fn menu_actions() -> impl Iterator<Item = Action> {
    keymap::KEYMAP
        .iter()
        .filter(|b| b.ctx == Context::IpActions)
        .map(|b| b.action)
        .filter(|a| {
            !matches!(
                a,
                Action::Actions
                    | Action::Exclusions
                    | Action::HoldNext
                    | Action::HoldRandom
                    | Action::Sweep
            )
        })
}

/// Why `a` is not offered for this address, in words; `None` when it is.
pub fn why_not(a: Action, d: &IpDetail) -> Option<String> {
    let ip = d.ip;
    let special = if d.is_network {
        Some("the network address")
    } else if d.is_broadcast {
        Some("the broadcast address")
    } else {
        None
    };
    let st = d.state;
    let holder = || {
        d.mac()
            .map(|m| match d.hostname() {
                Some(h) => format!(" ({m}, {h})"),
                None => format!(" ({m})"),
            })
            .unwrap_or_default()
    };
    match a {
        Action::Hold => match st {
            _ if special.is_some() => Some(format!("{ip} is {}", special.unwrap_or_default())),
            IpState::Excluded => Some(format!(
                "{ip} is excluded: DHCP never hands it out, so there is nothing to hold it from (claim it for a client instead)"
            )),
            s if s.is_free() => None,
            s => Some(format!(
                "{ip} is {}: only a free address (Available or Expired) can be held",
                s.label()
            )),
        },
        Action::Release => (st != IpState::Held)
            .then(|| format!("{ip} is {}, not held: nothing to release", st.label())),
        Action::Claim => match st {
            _ if special.is_some() => Some(format!(
                "{ip} is {}: it cannot be claimed",
                special.unwrap_or_default()
            )),
            IpState::Available
            | IpState::Expired
            | IpState::Held
            | IpState::Excluded
            | IpState::Outside => None,
            IpState::Claimed => Some(format!("{ip} is already claimed{}", holder())),
            IpState::Reserved => Some(format!(
                "{ip} is reserved{}: edit or delete the reservation instead",
                holder()
            )),
            IpState::Assigned => Some(format!(
                "{ip} is leased to a client{}: it cannot be claimed for another",
                holder()
            )),
            IpState::Declined => Some(format!(
                "{ip} was declined (a client found it in use): ping it and find the device first"
            )),
        },
        Action::Unclaim => (st != IpState::Claimed)
            .then(|| format!("{ip} is {}, not claimed: nothing to unclaim", st.label())),
        Action::Reserve => {
            if d.reservation.is_some() {
                return None;
            }
            match st {
                _ if special.is_some() => Some(format!(
                    "{ip} is {}: it cannot be reserved",
                    special.unwrap_or_default()
                )),
                IpState::Excluded => Some(format!(
                    "{ip} is excluded: reservations are never made on excluded addresses (remove the exclusion first, X)"
                )),
                IpState::Outside => Some(format!(
                    "{ip} is outside the scope range: reservations go inside it"
                )),
                IpState::Claimed => Some(format!(
                    "{ip} is claimed{}: unclaim it first",
                    holder()
                )),
                _ => None,
            }
        }
        Action::Unreserve => d
            .reservation
            .is_none()
            .then(|| format!("{ip} has no DHCP reservation")),
        Action::ReserveLease => Command::reserve_lease(d).err().map(String::from),
        Action::Ping | Action::DnsAdd | Action::DnsDelete => {
            special.map(|s| format!("{ip} is {s}: not a host"))
        }
        // Not about this address: the scope's.
        Action::History
        | Action::Actions
        | Action::HoldNext
        | Action::HoldRandom
        | Action::Exclusions => None,
        _ => Some("not an action on one address".into()),
    }
}

/// The actions offered for this address: valid for its state and allowed by the rights.
pub fn offered(d: &IpDetail, rights: Role) -> Vec<Action> {
    menu_actions()
        .filter(|a| keymap::binding(Context::IpActions, *a).is_some_and(|b| rights.allows(b.need)))
        .filter(|a| why_not(*a, d).is_none())
        .collect()
}

/// Words for the confirmation of a removal.
pub fn confirm_text(a: Action, d: &IpDetail) -> (String, String) {
    let ip = d.ip;
    let who = match d.lease {
        Some(l) => match (&l.mark, l.extra.as_ref().and_then(|e| e.by.as_deref())) {
            (LeaseMark::Held | LeaseMark::Claimed, Some(by)) => format!(" by {by}"),
            _ => String::new(),
        },
        None => String::new(),
    };
    match a {
        Action::Release => (
            "Release".into(),
            format!("Release {ip} (held{who})? It becomes Available to DHCP again."),
        ),
        Action::Unclaim => {
            let client = d.mac().map(|m| format!(" for {m}")).unwrap_or_default();
            (
                "Unclaim".into(),
                format!("Unclaim {ip} (claimed{client}{who})? Its lease is deleted and the address becomes Available."),
            )
        }
        Action::Unreserve => {
            let r = d.reservation;
            let id = r
                .and_then(|r| r.hw.clone().or_else(|| r.client_id.clone()))
                .map(|x| format!(" for {x}"))
                .unwrap_or_default();
            (
                "Delete reservation".into(),
                format!("Delete the DHCP reservation of {ip}{id}? The client then gets whatever address DHCP gives it."),
            )
        }
        Action::ReserveLease => (
            "Reserve for its client".into(),
            format!(
                "Reserve {ip} for {}{}? Its client keeps this address from now on.",
                d.mac().unwrap_or_default(),
                d.hostname().map(|h| format!(" ({h})")).unwrap_or_default()
            ),
        ),
        _ => ("Confirm".into(), format!("Go ahead on {ip}?")),
    }
}
