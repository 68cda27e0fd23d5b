//! The Manage Failover dialogs: the edit form (mode, roles, partner URL, timings), the
//! delete chooser (which server keeps each scope), the add-scope picker, confirmations and
//! outcome messages. Each one takes keys and says what it wants done; the screen runs it.
use crate::tui::keymap::Action;
use ipnet::Ipv4Net;

use crate::model::failover::{check_timings, validate_field, Field as SpecField, HaMode};

use crate::ops::failover::{edit_spec, FailoverEdit, FailoverInfo, Keep as KeepSets, PartnerRef};
use crate::tui::form::field::{Field, Fields};

use super::view::partner_name;
use super::wizard::{
    spec_field, ScopeItem, F_ACK, F_AUTO, F_HEARTBEAT, F_MODE, F_NAME, F_PASSWORD, F_PRIMARY,
    F_RESPONSE, F_UNACKED, F_USER,
};

pub const F_PARTNER: &str = "partner";

/// A change the admin confirmed, sent as a write job.
pub use crate::ops::failover::FailoverChange as Change;

/// Who keeps a scope when a failover is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// This server keeps it, the partner drops it.
    This,
    Partner,
    /// Both keep it, each with its own half of the pools (no address handed out twice).
    Both,
}

impl Keep {
    pub const ALL: [Keep; 3] = [Keep::This, Keep::Partner, Keep::Both];
}

/// Change the name, mode, roles, partner, timings and peer login of a relationship.
#[derive(Clone, Debug)]
pub struct EditForm {
    pub info: FailoverInfo,
    pub fields: Fields,
    tried: bool,
}

impl EditForm {
    pub fn new(r: &FailoverInfo) -> EditForm {
        let partner = match &r.partner_server {
            Some(s) => s.clone(),
            None => r.partner_url.clone(),
        };
        EditForm {
            info: r.clone(),
            fields: Fields::new(vec![
                Field::text("Name", r.name.clone()).id(F_NAME),
                Field::choice(
                    "Mode",
                    vec![
                        HaMode::LoadBalancing.label().into(),
                        HaMode::HotStandby.label().into(),
                    ],
                    usize::from(r.mode == Some(HaMode::HotStandby)),
                )
                .id(F_MODE),
                Field::choice(
                    "Primary",
                    vec![r.this_server.clone(), partner_name(r).to_string()],
                    usize::from(r.this_role != "primary"),
                )
                .id(F_PRIMARY),
                Field::text("Partner", partner).id(F_PARTNER),
                Field::text("Heartbeat ms", r.heartbeat_delay_ms.to_string()).id(F_HEARTBEAT),
                Field::text("Max resp. ms", r.max_response_delay_ms.to_string()).id(F_RESPONSE),
                Field::text("Max ack ms", r.max_ack_delay_ms.to_string()).id(F_ACK),
                Field::text("Max unacked", r.max_unacked_clients.to_string()).id(F_UNACKED),
                Field::toggle("Auto failover", r.auto_failover).id(F_AUTO),
                Field::text("Peer user", r.peer_user.clone().unwrap_or_default()).id(F_USER),
                // With a password set, an empty field keeps it.
                Field::secret(
                    if r.has_peer_password {
                        "New password"
                    } else {
                        "Peer password"
                    },
                    "",
                )
                .id(F_PASSWORD),
            ]),
            tried: false,
        }
    }

    fn text(&self, id: &str) -> &str {
        self.fields.value(id)
    }

    /// What differs from the relationship as read.
    pub fn edit(&self) -> FailoverEdit {
        let r = &self.info;
        let num = |id: &str| self.text(id).trim().parse::<u32>().ok();
        let changed = |new: Option<u32>, old: u32| new.filter(|n| *n != old);
        let name = self.text(F_NAME).trim();
        let mode = if self.fields.index(F_MODE) == 1 {
            HaMode::HotStandby
        } else {
            HaMode::LoadBalancing
        };
        let primary = self.fields.index(F_PRIMARY) == 0;
        let partner = self.text(F_PARTNER).trim();
        let old_partner = r.partner_server.as_deref().unwrap_or(&r.partner_url);
        let user = self.text(F_USER).trim();
        let password = self.text(F_PASSWORD);
        let (peer_user, peer_password) = if user.is_empty() {
            if r.peer_user.is_some() || r.has_peer_password {
                (Some(None), Some(None))
            } else {
                (None, None)
            }
        } else {
            let u = (r.peer_user.as_deref() != Some(user)).then(|| Some(user.to_string()));
            let p = (!password.is_empty()).then(|| Some(password.to_string()));
            (u, p)
        };
        FailoverEdit {
            name: (name != r.name).then(|| name.to_string()),
            mode: (Some(mode) != r.mode).then_some(mode),
            primary_is_this: (primary != (r.this_role == "primary")).then_some(primary),
            partner: (partner != old_partner).then(|| PartnerRef::parse(partner)),
            heartbeat_delay_ms: changed(num(F_HEARTBEAT), r.heartbeat_delay_ms),
            max_response_delay_ms: changed(num(F_RESPONSE), r.max_response_delay_ms),
            max_ack_delay_ms: changed(num(F_ACK), r.max_ack_delay_ms),
            max_unacked_clients: changed(num(F_UNACKED), r.max_unacked_clients),
            auto_failover: (self.fields.on(F_AUTO) != r.auto_failover)
                .then(|| self.fields.on(F_AUTO)),
            peer_user,
            peer_password,
        }
    }

    fn raw_error(&self, id: &str) -> Option<String> {
        let v = self.text(id);
        let f = if id == F_PARTNER {
            SpecField::Partner
        } else {
            spec_field(id)?
        };
        if matches!(
            f,
            SpecField::Mode | SpecField::Primary | SpecField::AutoFailover
        ) {
            return None;
        }
        if let Err(e) = validate_field(f, v) {
            return Some(e);
        }
        let num = |id: &str| self.text(id).trim().parse::<u32>().ok();
        if let (Some(h), Some(r), Some(a)) = (num(F_HEARTBEAT), num(F_RESPONSE), num(F_ACK)) {
            if let Err((SpecField::MaxResponseDelay, e)) = check_timings(h, r, a) {
                if id == F_RESPONSE {
                    return Some(e);
                }
            }
        }
        if id == F_USER && !v.trim().is_empty() {
            let pw = !self.text(F_PASSWORD).is_empty() || self.info.has_peer_password;
            if !pw {
                return Some("a peer user needs a password: type it, or clear the user".into());
            }
        }
        if id == F_PASSWORD && !v.is_empty() && self.text(F_USER).trim().is_empty() {
            return Some("a peer password needs a user: type it, or clear the password".into());
        }
        // The rules the model checks on the relationship as a whole (e.g. a partner that
        // is this server).
        if let Err(errs) = edit_spec(&self.info, &self.edit()) {
            if let Some((_, e)) = errs.iter().find(|(g, _)| field_of(*g) == id) {
                return Some(e.clone());
            }
        }
        None
    }

    /// The error under field `id`: as typed, an empty field's after the first Enter.
    pub fn error(&self, id: &str) -> Option<String> {
        let e = self.raw_error(id)?;
        (self.tried || !self.text(id).trim().is_empty()).then_some(e)
    }

    /// Enter: the checked change, or focus on the first error.
    pub fn submit(&mut self) -> Result<FailoverEdit, String> {
        self.tried = true;
        let ids: Vec<&'static str> = self.fields.list.iter().map(|f| f.id).collect();
        if let Some(i) = ids.iter().position(|id| self.raw_error(id).is_some()) {
            self.fields.focus = i;
            return Err(self.raw_error(ids[i]).unwrap_or_default());
        }
        let e = self.edit();
        if e.is_empty() {
            return Err("nothing changed: edit a value first, or Esc to leave".into());
        }
        Ok(e)
    }

    pub fn help(&self) -> &'static str {
        match self.fields.focused().map(|f| f.id) {
            Some(F_PARTNER) => "A server of your ddish config or a Control Agent URL. A new partner takes over the scopes; the old one goes back to standalone without them.",
            Some(F_PASSWORD) => "Leave empty to keep the current password; clear the user to remove the peer login.",
            Some(id) => spec_field(id).map_or("", |f| f.help()),
            None => "",
        }
    }
}

/// The form field a model field shows under.
fn field_of(f: SpecField) -> &'static str {
    match f {
        SpecField::Partner => F_PARTNER,
        SpecField::Name => F_NAME,
        SpecField::HeartbeatDelay => F_HEARTBEAT,
        SpecField::MaxResponseDelay => F_RESPONSE,
        SpecField::MaxAckDelay => F_ACK,
        SpecField::MaxUnackedClients => F_UNACKED,
        SpecField::PeerUser => F_USER,
        SpecField::PeerPassword => F_PASSWORD,
        _ => "",
    }
}

/// Which server keeps each scope when the failover goes.
#[derive(Clone, Debug)]
pub struct DeleteChooser {
    pub rel: String,
    pub this: String,
    pub partner: String,
    pub rows: Vec<(Ipv4Net, Keep)>,
    pub cursor: usize,
}

impl DeleteChooser {
    pub fn new(r: &FailoverInfo) -> DeleteChooser {
        DeleteChooser {
            rel: r.name.clone(),
            this: r.this_server.clone(),
            partner: partner_name(r).to_string(),
            rows: r.scopes.iter().map(|c| (*c, Keep::This)).collect(),
            cursor: 0,
        }
    }

    pub fn label(&self, k: Keep) -> String {
        match k {
            Keep::This => format!("{} only", self.this),
            Keep::Partner => format!("{} only", self.partner),
            Keep::Both => "both, pools split".into(),
        }
    }

    /// The keymap's `KeepChooser` rows: ↑/↓ move, ←/→/Space change who keeps the scope,
    /// `t`/`p`/`b` set it for all.
    pub fn act(&mut self, a: Action) {
        let n = self.rows.len();
        let all = |rows: &mut Vec<(Ipv4Net, Keep)>, keep| rows.iter_mut().for_each(|r| r.1 = keep);
        match a {
            Action::Down if n > 0 => self.cursor = (self.cursor + 1).min(n - 1),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Left | Action::Right => {
                if let Some(row) = self.rows.get_mut(self.cursor) {
                    let i = Keep::ALL.iter().position(|k| *k == row.1).unwrap_or(0);
                    let step = if a == Action::Left { 2 } else { 1 };
                    row.1 = Keep::ALL[(i + step) % 3];
                }
            }
            Action::KeepThis => all(&mut self.rows, Keep::This),
            Action::KeepPartner => all(&mut self.rows, Keep::Partner),
            Action::KeepBoth => all(&mut self.rows, Keep::Both),
            _ => {}
        }
    }

    pub fn change(&self) -> Change {
        let on = |f: &dyn Fn(Keep) -> bool| {
            self.rows
                .iter()
                .filter(|(_, k)| f(*k))
                .map(|(c, _)| *c)
                .collect()
        };
        Change::Delete {
            rel: self.rel.clone(),
            keep: KeepSets {
                on_this: on(&|k| k != Keep::Partner),
                on_partner: on(&|k| k != Keep::This),
            },
        }
    }

    /// The confirmation text: who ends up with what.
    pub fn summary(&self) -> String {
        let list = |f: &dyn Fn(Keep) -> bool| {
            let v: Vec<String> = self
                .rows
                .iter()
                .filter(|(_, k)| f(*k))
                .map(|(c, _)| c.to_string())
                .collect();
            if v.is_empty() {
                "no scope".to_string()
            } else {
                v.join(", ")
            }
        };
        format!(
            "Delete failover {}: both servers go back to standalone. {} keeps {}; {} keeps {}. A scope both keep gets its pools split in two halves, one per server, so no address is handed out twice. Leases stay.",
            self.rel,
            self.this,
            list(&|k| k != Keep::Partner),
            self.partner,
            list(&|k| k != Keep::This),
        )
    }
}

/// A checklist of scopes under the keymap's `Picker` rows (the wizard's first step too).
pub fn pick(items: &mut [ScopeItem], cursor: &mut usize, a: Action) {
    let n = items.len();
    match a {
        Action::Down if n > 0 => *cursor = (*cursor + 1).min(n - 1),
        Action::Up => *cursor = cursor.saturating_sub(1),
        Action::Mark => {
            if let Some(s) = items.get_mut(*cursor) {
                s.picked = !s.picked;
            }
        }
        Action::MarkAll => {
            let all = items.iter().all(|s| s.picked);
            for s in items.iter_mut() {
                s.picked = !all;
            }
        }
        _ => {}
    }
}

/// Scopes of this server not yet in the failover, to add.
#[derive(Clone, Debug)]
pub struct ScopePicker {
    pub rel: String,
    pub items: Vec<ScopeItem>,
    pub cursor: usize,
    pub tried: bool,
}

impl ScopePicker {
    /// The keymap's `Picker` rows: move, pick one, pick all (again: none).
    pub fn act(&mut self, a: Action) {
        pick(&mut self.items, &mut self.cursor, a);
    }

    pub fn picked(&self) -> Vec<Ipv4Net> {
        self.items
            .iter()
            .filter(|s| s.picked)
            .map(|s| s.cidr)
            .collect()
    }
}

/// An outcome or a refusal, until Enter or Esc.
#[derive(Clone, Debug)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    pub error: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn rel() -> FailoverInfo {
        let mut r = super::super::tests_support::info("a-b");
        r.heartbeat_delay_ms = 2000;
        r
    }

    #[test]
    fn edit_checks_as_typed() {
        let mut f = EditForm::new(&rel());
        assert_eq!(f.fields.value(F_HEARTBEAT), "2000");
        f.fields.focus_id(F_RESPONSE);
        for _ in 0..5 {
            f.fields.key(k(KeyCode::Backspace));
        }
        f.fields.key(k(KeyCode::Char('1')));
        assert!(f.error(F_RESPONSE).is_some(), "1 ms is out of range");
        assert!(f.submit().is_err());
        f.fields.key(k(KeyCode::Backspace));
        for c in "2000".chars() {
            f.fields.key(k(KeyCode::Char(c)));
        }
        let e = f.error(F_RESPONSE).expect("not more than the heartbeat");
        assert!(e.contains("heartbeat"), "{e}");
        f.fields.key(k(KeyCode::Char('0')));
        let v = f.submit().expect("valid");
        assert_eq!(v.max_response_delay_ms, Some(20000));
        assert_eq!(v.heartbeat_delay_ms, None, "unchanged values stay out");
        assert_eq!(v.partner, None);
    }

    #[test]
    fn delete_chooser_cycles_and_sets_all() {
        let mut d = DeleteChooser::new(&rel());
        assert_eq!(d.rows.len(), 2);
        d.act(Action::Right);
        assert_eq!(d.rows[0].1, Keep::Partner);
        d.act(Action::Left);
        d.act(Action::Left);
        assert_eq!(d.rows[0].1, Keep::Both);
        d.act(Action::KeepThis);
        assert!(d.rows.iter().all(|r| r.1 == Keep::This));
        assert!(d.summary().contains("b keeps no scope"), "{}", d.summary());
        d.act(Action::KeepBoth);
        let Change::Delete { keep, .. } = d.change() else {
            panic!()
        };
        assert_eq!(keep.on_this, keep.on_partner);
        assert_eq!(keep.on_this.len(), 2);
    }
}
