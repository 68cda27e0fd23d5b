//! The Add Failover wizard: (1) scopes, (2) partner, (3) configuration, then a summary.
//! Back keeps every value; Next checks the step with the failover model's own checks
//! (`model::failover`) and stays put on an error, which shows as it is typed.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ipnet::Ipv4Net;

use crate::model::failover::{
    self as fm, check_credentials, check_timings, default_name, validate_field, FailoverSpec,
    Field as SpecField, HaMode, PartnerRef,
};

use crate::tui::form::field::{edit_text, Field, Fields};
use crate::tui::keymap::{self, Action, Context, Role};

use super::dialogs::pick;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Scopes,
    Partner,
    Config,
    Summary,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Step::Scopes => "step 1 of 3: scopes",
            Step::Partner => "step 2 of 3: partner",
            Step::Config => "step 3 of 3: configuration",
            Step::Summary => "summary",
        }
    }

    fn back(self) -> Option<Step> {
        match self {
            Step::Scopes => None,
            Step::Partner => Some(Step::Scopes),
            Step::Config => Some(Step::Partner),
            Step::Summary => Some(Step::Config),
        }
    }
}

/// One of this server's scopes in step 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeItem {
    pub cidr: Ipv4Net,
    /// `10.0.0.0/24 (Office)`.
    pub label: String,
    pub picked: bool,
}

/// A configured server offered as the partner in step 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerItem {
    pub name: String,
    pub url: String,
    /// The user ddish logs in as there (from the ddish config).
    pub user: Option<String>,
}

/// What the wizard asks of the screen after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum WizOut {
    None,
    /// Esc on step 1: leave the wizard.
    Cancel,
    /// Enter on the summary.
    Create(Box<FailoverSpec>),
}

// Config field ids.
pub const F_NAME: &str = "name";
pub const F_MODE: &str = "mode";
pub const F_PRIMARY: &str = "primary";
pub const F_HEARTBEAT: &str = "heartbeat";
pub const F_RESPONSE: &str = "response";
pub const F_ACK: &str = "ack";
pub const F_UNACKED: &str = "unacked";
pub const F_AUTO: &str = "auto";
pub const F_USER: &str = "user";
pub const F_PASSWORD: &str = "password";
pub const F_TLS: &str = "tls";

/// The model's field for a config field id.
pub fn spec_field(id: &str) -> Option<SpecField> {
    Some(match id {
        F_NAME => SpecField::Name,
        F_MODE => SpecField::Mode,
        F_PRIMARY => SpecField::Primary,
        F_HEARTBEAT => SpecField::HeartbeatDelay,
        F_RESPONSE => SpecField::MaxResponseDelay,
        F_ACK => SpecField::MaxAckDelay,
        F_UNACKED => SpecField::MaxUnackedClients,
        F_AUTO => SpecField::AutoFailover,
        F_USER => SpecField::PeerUser,
        F_PASSWORD => SpecField::PeerPassword,
        _ => return None,
    })
}

/// The config field id of a model field (steps 1 and 2 have none).
fn field_id(f: SpecField) -> &'static str {
    match f {
        SpecField::Scopes | SpecField::Partner => "",
        SpecField::Name => F_NAME,
        SpecField::Mode => F_MODE,
        SpecField::Primary => F_PRIMARY,
        SpecField::HeartbeatDelay => F_HEARTBEAT,
        SpecField::MaxResponseDelay => F_RESPONSE,
        SpecField::MaxAckDelay => F_ACK,
        SpecField::MaxUnackedClients => F_UNACKED,
        SpecField::AutoFailover => F_AUTO,
        SpecField::PeerUser => F_USER,
        SpecField::PeerPassword => F_PASSWORD,
    }
}

#[derive(Clone, Debug)]
pub struct Wizard {
    /// The server the wizard was opened on ("this server").
    pub server: String,
    /// Its API URL (for the TLS line).
    pub server_url: String,
    pub step: Step,
    pub scopes: Vec<ScopeItem>,
    pub scope_cursor: usize,
    pub partners: Vec<PartnerItem>,
    /// Index into `partners`; `partners.len()` is "another server, by its API URL".
    pub partner_cursor: usize,
    pub partner_url: String,
    pub config: Fields,
    /// The admin typed a name: a new partner no longer renames the relationship.
    name_edited: bool,
    /// The user ddish logs in as on this server (from the ddish config).
    this_user: Option<String>,
    /// Both servers log ddish in as this user: it is the peer user, and an empty password
    /// means theirs from the ddish config (filled in by ops, never shown here).
    pub config_login: Option<String>,
    /// Next was pressed on the step: empty required values show their error too.
    tried: [bool; 3],
    /// The Windows-terms help is open, at this scroll offset.
    pub help: Option<usize>,
}

impl Wizard {
    pub fn new(
        server: &str,
        server_url: &str,
        this_user: Option<String>,
        scopes: Vec<ScopeItem>,
        partners: Vec<PartnerItem>,
    ) -> Wizard {
        let config = Fields::new(vec![
            Field::text("Name", "").id(F_NAME),
            Field::choice(
                "Mode",
                vec![
                    HaMode::LoadBalancing.label().to_string(),
                    HaMode::HotStandby.label().to_string(),
                ],
                0,
            )
            .id(F_MODE),
            Field::choice("Primary", vec![server.to_string(), String::new()], 0).id(F_PRIMARY),
            Field::text("Heartbeat ms", fm::DEFAULT_HEARTBEAT_DELAY_MS.to_string()).id(F_HEARTBEAT),
            Field::text(
                "Max resp. ms",
                fm::DEFAULT_MAX_RESPONSE_DELAY_MS.to_string(),
            )
            .id(F_RESPONSE),
            Field::text("Max ack ms", fm::DEFAULT_MAX_ACK_DELAY_MS.to_string()).id(F_ACK),
            Field::text("Max unacked", fm::DEFAULT_MAX_UNACKED_CLIENTS.to_string()).id(F_UNACKED),
            Field::toggle("Auto failover", true).id(F_AUTO),
            Field::text("Peer user", "").id(F_USER),
            Field::secret("Peer password", "").id(F_PASSWORD),
            Field::fixed("TLS", "").id(F_TLS),
        ]);
        let mut w = Wizard {
            server: server.to_string(),
            server_url: server_url.to_string(),
            step: Step::Scopes,
            scopes,
            scope_cursor: 0,
            partners,
            partner_cursor: 0,
            partner_url: String::new(),
            config,
            name_edited: false,
            this_user,
            config_login: None,
            tried: [false; 3],
            help: None,
        };
        w.partner_changed();
        w
    }

    /// The wizard is on "another server, by its API URL".
    pub fn by_url(&self) -> bool {
        self.partner_cursor >= self.partners.len()
    }

    pub fn partner(&self) -> PartnerRef {
        match self.partners.get(self.partner_cursor) {
            Some(p) => PartnerRef::Configured(p.name.clone()),
            None => PartnerRef::Url(self.partner_url.trim().to_string()),
        }
    }

    /// How the partner is called on screen: its name, or the URL's host and port.
    pub fn partner_label(&self) -> String {
        match self.partner() {
            PartnerRef::Configured(n) => n,
            PartnerRef::Url(u) => fm::url_host_port(&u).unwrap_or_else(|| "the partner".into()),
        }
    }

    pub fn partner_url(&self) -> String {
        match self.partners.get(self.partner_cursor) {
            Some(p) => p.url.clone(),
            None => self.partner_url.trim().to_string(),
        }
    }

    pub fn picked(&self) -> Vec<Ipv4Net> {
        self.scopes
            .iter()
            .filter(|s| s.picked)
            .map(|s| s.cidr)
            .collect()
    }

    pub fn mode(&self) -> HaMode {
        if self.config.index(F_MODE) == 1 {
            HaMode::HotStandby
        } else {
            HaMode::LoadBalancing
        }
    }

    pub fn primary_is_this(&self) -> bool {
        self.config.index(F_PRIMARY) == 0
    }

    /// The partner or the name changed: follow it in the Primary choice, the default name
    /// and the TLS line.
    fn partner_changed(&mut self) {
        let label = self.partner_label();
        if let Some(Field {
            input: crate::tui::form::field::Input::Choice { options, .. },
            ..
        }) = self.config.get_mut(F_PRIMARY)
        {
            options[1] = label;
        }
        if !self.name_edited {
            let name = default_name(&self.server, &self.partner());
            if let Some(f) = self.config.get_mut(F_NAME) {
                f.input = crate::tui::form::field::Input::Text {
                    value: name,
                    masked: false,
                };
            }
        }
        let tls = |u: &str| {
            if u.starts_with("https://") {
                "TLS"
            } else {
                "no TLS"
            }
        };
        let line = format!(
            "{} {} · {} {} (from the API URLs)",
            self.server,
            tls(&self.server_url),
            self.partner_label(),
            tls(&self.partner_url())
        );
        if let Some(f) = self.config.get_mut(F_TLS) {
            f.input = crate::tui::form::field::Input::Fixed(line);
        }
        self.follow_login();
    }

    /// Fills the peer user when both servers log ddish in as the same one (issue 13 item
    /// 11), and takes it back out for a partner that does not, unless the admin typed it.
    fn follow_login(&mut self) {
        let shared = match self.partners.get(self.partner_cursor) {
            Some(p) => self
                .this_user
                .clone()
                .filter(|u| p.user.as_ref() == Some(u)),
            None => None,
        };
        let typed = self.config.value(F_USER).to_string();
        let auto = typed.is_empty() || self.config_login.as_deref() == Some(typed.as_str());
        if auto {
            if let Some(f) = self.config.get_mut(F_USER) {
                f.input = crate::tui::form::field::Input::Text {
                    value: shared.clone().unwrap_or_default(),
                    masked: false,
                };
            }
        }
        self.config_login = shared;
    }

    /// The peer user is the shared login and no password was typed: ops uses the one in
    /// the ddish config.
    pub fn login_from_config(&self) -> bool {
        self.config.value(F_PASSWORD).is_empty()
            && self
                .config_login
                .as_deref()
                .is_some_and(|u| u == self.config.value(F_USER).trim())
    }

    // ----- checks (the model's) -----

    /// Step 1's error, if any.
    pub fn scopes_error(&self) -> Option<String> {
        let text = self
            .picked()
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let e = validate_field(SpecField::Scopes, &text).err()?;
        (self.tried[0] || !text.is_empty()).then_some(e)
    }

    /// Step 2's error: the URL as typed (or an empty URL once Next was pressed).
    pub fn partner_error(&self) -> Option<String> {
        if !self.by_url() {
            return None;
        }
        let e = validate_field(SpecField::Partner, &self.partner_url).err()?;
        (self.tried[1] || !self.partner_url.trim().is_empty()).then_some(e)
    }

    fn raw_config_error(&self, id: &str) -> Option<String> {
        let f = spec_field(id)?;
        if matches!(
            f,
            SpecField::Mode | SpecField::Primary | SpecField::AutoFailover
        ) {
            // Choices and switches: always a valid value.
            return None;
        }
        if let Err(e) = validate_field(f, self.config.value(id)) {
            return Some(e);
        }
        // Rules between fields, once their own values are valid.
        let num = |id: &str| self.config.value(id).trim().parse::<u32>().ok();
        if let (Some(h), Some(r), Some(a)) = (num(F_HEARTBEAT), num(F_RESPONSE), num(F_ACK)) {
            if let Err((g, e)) = check_timings(h, r, a) {
                if field_id(g) == id {
                    return Some(e);
                }
            }
        }
        let creds = check_credentials(
            Some(self.config.value(F_USER)),
            Some(self.config.value(F_PASSWORD)),
        );
        if let Err((g, e)) = creds {
            if field_id(g) == id && !self.login_from_config() {
                return Some(e);
            }
        }
        None
    }

    /// The error to show under config field `id`: as typed; an empty field's only once
    /// Next was pressed (a half-typed form is not shouted at).
    pub fn config_error(&self, id: &str) -> Option<String> {
        let e = self.raw_config_error(id)?;
        let empty = self.config.value(id).is_empty();
        let pair = matches!(id, F_USER | F_PASSWORD);
        (self.tried[2] || !empty || (pair && !self.config.value(F_USER).is_empty())).then_some(e)
    }

    /// The spec as entered, checked as a whole by the model.
    pub fn spec(&self) -> Result<FailoverSpec, Vec<(SpecField, String)>> {
        let num = |id: &str| self.config.value(id).trim().parse::<u32>().unwrap_or(0);
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let spec = FailoverSpec {
            name: self.config.value(F_NAME).trim().to_string(),
            mode: self.mode(),
            server: self.server.clone(),
            partner: self.partner(),
            primary_is_this: self.primary_is_this(),
            scopes: self.picked(),
            heartbeat_delay_ms: num(F_HEARTBEAT),
            max_response_delay_ms: num(F_RESPONSE),
            max_ack_delay_ms: num(F_ACK),
            max_unacked_clients: num(F_UNACKED),
            auto_failover: self.config.on(F_AUTO),
            peer_user: opt(self.config.value(F_USER).trim()),
            peer_password: opt(self.config.value(F_PASSWORD)),
        };
        // Numbers that did not parse are reported by their field's own check.
        let mut errs: Vec<(SpecField, String)> = [
            F_NAME,
            F_HEARTBEAT,
            F_RESPONSE,
            F_ACK,
            F_UNACKED,
            F_USER,
            F_PASSWORD,
        ]
        .iter()
        .filter_map(|id| Some((spec_field(id)?, self.raw_config_error(id)?)))
        .collect();
        if errs.is_empty() {
            if let Err(e) = spec.validate() {
                errs = e;
            }
        }
        if self.login_from_config() {
            // ops fills the password from the ddish config.
            errs.retain(|(f, _)| *f != SpecField::PeerPassword);
        }
        if errs.is_empty() {
            Ok(spec)
        } else {
            Err(errs)
        }
    }

    /// The help line of what has focus.
    fn focused_login(&self) -> bool {
        self.config
            .focused()
            .is_some_and(|f| matches!(f.id, F_USER | F_PASSWORD))
    }

    pub fn focus_help(&self) -> &'static str {
        match self.step {
            Step::Scopes => SpecField::Scopes.help(),
            Step::Partner => SpecField::Partner.help(),
            Step::Config if self.login_from_config() && self.focused_login() => {
                "Both servers log ddish in as this user: left empty, the password is the one in \
                 the ddish config (never shown); type one to use another."
            }
            Step::Config => self
                .config
                .focused()
                .and_then(|f| spec_field(f.id))
                .map_or("", |f| f.help()),
            Step::Summary => "",
        }
    }

    // ----- keys -----

    /// Keys through the keymap: the help overlay's rows, the wizard's (next, back, F1),
    /// then the step's: a scope checklist, the partner list (and typing its URL), the
    /// settings form.
    pub fn key(&mut self, k: KeyEvent) -> WizOut {
        if let Some(scroll) = &mut self.help {
            match keymap::lookup(&[Context::Help], &k, Role::Viewer) {
                Some(Action::Down) => *scroll += 1,
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::PageDown) => *scroll += 10,
                Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                // Esc, ?, q; and the keys that opened it or move on.
                Some(Action::Back | Action::Quit) => self.help = None,
                _ if matches!(k.code, KeyCode::F(1) | KeyCode::Enter) => self.help = None,
                _ => {}
            }
            return WizOut::None;
        }
        // Ctrl-H: F1 for terminals that have none (the keymap binds no Ctrl keys).
        if k.code == KeyCode::Char('h') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.help = Some(0);
            return WizOut::None;
        }
        match keymap::lookup(&[Context::Wizard], &k, Role::Viewer) {
            Some(Action::Help) => {
                self.help = Some(0);
                return WizOut::None;
            }
            Some(Action::Back) => {
                return match self.step.back() {
                    Some(s) => {
                        self.step = s;
                        WizOut::None
                    }
                    None if k.code == KeyCode::Esc => WizOut::Cancel,
                    None => WizOut::None,
                };
            }
            Some(Action::Open) => return self.next(),
            _ => {}
        }
        if keymap::has_ctrl_or_alt(&k) {
            return WizOut::None;
        }
        match self.step {
            Step::Scopes => {
                if let Some(a) = keymap::lookup(&[Context::Picker], &k, Role::Viewer) {
                    pick(&mut self.scopes, &mut self.scope_cursor, a);
                }
            }
            Step::Partner => self.partner_key(k),
            Step::Config => {
                let before = self.config.value(F_NAME).to_string();
                if self.config.key(k) && self.config.value(F_NAME) != before {
                    self.name_edited = true;
                }
            }
            Step::Summary => {}
        }
        WizOut::None
    }

    /// The partner list: ↑/↓ (and Tab) move; while "by URL" is chosen characters type the
    /// URL, else j/k move too.
    fn partner_key(&mut self, k: KeyEvent) {
        let n = self.partners.len() + 1;
        if self.by_url() && edit_text(&mut self.partner_url, &k) {
            self.partner_changed();
            return;
        }
        match keymap::lookup(&[Context::Picker, Context::Form], &k, Role::Viewer) {
            Some(Action::Down | Action::NextField) => {
                self.partner_cursor = (self.partner_cursor + 1) % n
            }
            Some(Action::Up | Action::PrevField) => {
                self.partner_cursor = (self.partner_cursor + n - 1) % n
            }
            _ => return,
        }
        self.partner_changed();
    }

    /// Next (Enter): checks the step; on the summary, the spec to create.
    fn next(&mut self) -> WizOut {
        match self.step {
            Step::Scopes => {
                self.tried[0] = true;
                if self.scopes_error().is_none() {
                    self.step = Step::Partner;
                }
            }
            Step::Partner => {
                self.tried[1] = true;
                if self.partner_error().is_none() {
                    self.step = Step::Config;
                }
            }
            Step::Config => {
                self.tried[2] = true;
                match self.spec() {
                    Ok(_) => self.step = Step::Summary,
                    Err(errs) => self.focus_error(&errs),
                }
            }
            Step::Summary => match self.spec() {
                Ok(spec) => return WizOut::Create(Box::new(spec)),
                Err(errs) => {
                    self.tried = [true; 3];
                    self.focus_error(&errs);
                }
            },
        }
        WizOut::None
    }

    /// Goes to the step and field of the first error.
    fn focus_error(&mut self, errs: &[(SpecField, String)]) {
        let Some((f, _)) = errs.first() else {
            return;
        };
        match f {
            SpecField::Scopes => self.step = Step::Scopes,
            SpecField::Partner => self.step = Step::Partner,
            other => {
                self.step = Step::Config;
                self.config.focus_id(field_id(*other));
            }
        }
    }
}
