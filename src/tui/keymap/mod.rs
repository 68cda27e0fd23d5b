//! The one keymap table. Key lookup, the footer hints, the `?` help and the IP action menu
//! are all built from `KEYMAP`, so they cannot disagree. Each binding says which write
//! level it needs (hidden and inert without it) and whether it removes something (asks
//! for confirmation first).
pub use crate::config::Role;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does; the view that has focus decides the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextTab,
    PrevTab,
    /// Tab number 1-9 (1 is Servers); the digit comes from the key.
    GoTab(u8),
    /// Open a full-window screen (zones, events, alerts, search, failover).
    OpenScreen(ScreenKey),
    CloseTab,
    Filter,
    Help,
    Export,
    Refresh,
    ToggleView,
    Quit,
    // IP and scope actions (issue 3).
    /// The menu of actions valid for the address under the cursor.
    Actions,
    HoldNext,
    HoldRandom,
    Hold,
    Release,
    Claim,
    Unclaim,
    Reserve,
    ReserveLease,
    Unreserve,
    Ping,
    DnsAdd,
    DnsDelete,
    History,
    /// The scope's pools and exclusions panel.
    Exclusions,
    /// Ping every address of the scope (conflict sweep); again: stop it.
    Sweep,
    // Shaping the address space and many scopes at once (issue 4).
    /// Space: mark or unmark the scope (tree, network) or server (Servers tab) under the
    /// cursor, for a bulk change.
    Mark,
    /// Forget every mark.
    Unmark,
    /// The menu of bulk changes for the marked scopes or servers.
    Bulk,
    /// The "create new" menu: network, container, scope in the selected network.
    New,
    /// The menu of layout actions on the selected network or scope.
    Layout,
    /// Claim an address of the network outside every scope.
    ClaimNet,
    /// The network's claims (outside every scope), with unclaim.
    Claims,
    /// The server's running configuration in $EDITOR, reviewed before it is written.
    EditConfig,
    // Inside popups.
    Add,
    Edit,
    Delete,
    NextField,
    PrevField,
    Yes,
    No,
    // On the full-window screens.
    /// Events: the next saved query as the filter.
    SavedQuery,
    /// Events: look at every server and zone for changes now.
    Observe,
    /// Status: retrieve the selected server's status now.
    Retrieve,
    /// Status: retrieve every server's status now.
    RetrieveAll,
    /// Status: group by the next field (region, site, tag...).
    Group,
    /// Failover: add scopes to the selected relationship.
    AddScope,
    /// Failover: start or cancel maintenance of the selected relationship.
    Maintenance,
    /// Pick (or unpick) every item of a checklist.
    MarkAll,
    /// Deleting failover: every scope stays on this server / the partner / both.
    KeepThis,
    KeepPartner,
    KeepBoth,
}

/// The full-window screens a key opens (see `tui::screens`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScreenKey {
    /// Service status of every DHCP and DNS server, grouped by region/site/tags.
    Status,
    /// DNS zone health across the configured DNS servers.
    Zones,
    /// Configuration events: the journal plus changes seen on the servers.
    Events,
    /// Scopes over or under their utilization thresholds, fleet-wide, worst first.
    Alerts,
    /// Find an IP, MAC, hostname or client ID on every server.
    Search,
    /// Failover (Kea HA) relationships of the server in view, and the Add Failover wizard.
    Failover,
    /// What is wrong or suspicious in every server's configuration.
    Review,
    /// The global parameters of the server in view (lease times, timers, boot...).
    ServerParams,
    /// The server's own option definitions (custom options).
    OptionDefs,
    /// Add a Kea server to the configuration file.
    AddServer,
}

/// Where a binding applies. Lookup tries the focused contexts in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Global,
    /// Moving in any list, tree or grid.
    Lists,
    Servers,
    Tree,
    Network,
    Scope,
    IpPopup,
    /// Actions on the address under the cursor: the scope view, the IP popup and the menu.
    IpActions,
    /// The action menu of one address.
    Menu,
    /// A form (claim, reservation, exclusion, DNS record).
    Form,
    /// A yes/no question before a change.
    Confirm,
    /// A result to read: ping, history, an error.
    Info,
    /// The scope's pools and exclusions.
    Exclusions,
    Help,
    /// Typing a `/` filter.
    Filter,
    /// A bulk change's preview: apply or cancel.
    Preview,
    /// A network's claims outside every scope.
    ClaimList,
    /// A checklist of scopes (the failover wizard's first step, adding scopes to failover).
    Picker,
    /// The steps of a wizard (Add Failover).
    Wizard,
    /// Deleting failover: who keeps each scope.
    KeepChooser,
    /// Every full-window screen (status, zones, events, alerts, search, failover).
    Screens,
    /// One full-window screen's own keys.
    Screen(ScreenKey),
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Lists => "Lists, tree and grid",
            Context::Servers => "Servers tab",
            Context::Tree => "IPAM tree",
            Context::Network => "Network",
            Context::Scope => "Scope (IP grid / list)",
            Context::IpPopup => "IP properties",
            Context::IpActions => "IP actions (scope, IP properties, action menu)",
            Context::Menu => "Action menu",
            Context::Form => "Forms",
            Context::Confirm => "Confirmation",
            Context::Info => "Ping, history and messages",
            Context::Exclusions => "Pools and exclusions",
            Context::Help => "This help",
            Context::Filter => "Typing a filter",
            Context::Preview => "Bulk change preview",
            Context::ClaimList => "Network claims",
            Context::Picker => "Picking scopes",
            Context::Wizard => "Add Failover wizard",
            Context::KeepChooser => "Deleting failover",
            Context::Screens => "Every screen (W Z E A F M V O)",
            Context::Screen(k) => match k {
                ScreenKey::Status => "Status screen (W)",
                ScreenKey::Zones => "Zones screen (Z)",
                ScreenKey::Events => "Events screen (E)",
                ScreenKey::Alerts => "Alerts screen (A)",
                ScreenKey::Search => "Search screen (F)",
                ScreenKey::Failover => "Failover screen (M)",
                ScreenKey::Review => "Review screen (V)",
                ScreenKey::ServerParams => "Server parameters screen (O)",
                ScreenKey::OptionDefs => "Option definitions screen (T)",
                ScreenKey::AddServer => "Add a server (+ on the Servers tab)",
            },
        }
    }

    /// Order of sections in the help popup.
    pub const HELP_ORDER: [Context; 31] = [
        Context::Global,
        Context::Lists,
        Context::Servers,
        Context::Tree,
        Context::Network,
        Context::Scope,
        Context::IpPopup,
        Context::IpActions,
        Context::Menu,
        Context::Form,
        Context::Confirm,
        Context::Info,
        Context::Exclusions,
        Context::Preview,
        Context::ClaimList,
        Context::Filter,
        Context::Screens,
        Context::Screen(ScreenKey::Status),
        Context::Screen(ScreenKey::Zones),
        Context::Screen(ScreenKey::Events),
        Context::Screen(ScreenKey::Alerts),
        Context::Screen(ScreenKey::Search),
        Context::Screen(ScreenKey::Failover),
        Context::Screen(ScreenKey::Review),
        Context::Screen(ScreenKey::ServerParams),
        Context::Screen(ScreenKey::OptionDefs),
        Context::Screen(ScreenKey::AddServer),
        Context::Wizard,
        Context::Picker,
        Context::KeepChooser,
        Context::Help,
    ];
}

#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub ctx: Context,
    pub keys: &'static [KeyCode],
    /// How the keys are written in hints and help.
    pub key_label: &'static str,
    pub action: Action,
    /// Short footer text; empty keeps the binding out of the footer.
    pub hint: &'static str,
    pub help: &'static str,
    /// The write level it needs on the server: hidden and inert below it.
    pub need: Role,
    /// Removes something (a hold, a claim, a reservation, a record, an exclusion): asks
    /// for confirmation first.
    pub destructive: bool,
}

impl Binding {
    pub(super) const fn op(mut self) -> Binding {
        self.need = Role::Operator;
        self
    }

    pub(super) const fn admin(mut self) -> Binding {
        self.need = Role::Admin;
        self
    }

    pub(super) const fn destructive(mut self) -> Binding {
        self.destructive = true;
        self
    }

    fn shown(&self, r: Role) -> bool {
        r.allows(self.need)
    }
}

pub(super) const fn b(
    ctx: Context,
    keys: &'static [KeyCode],
    key_label: &'static str,
    action: Action,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        ctx,
        keys,
        key_label,
        action,
        hint,
        help,
        need: Role::Viewer,
        destructive: false,
    }
}

mod table;
pub use table::KEYMAP;

/// Ctrl or Alt is held: a terminal shortcut, never typed text.
pub fn has_ctrl_or_alt(key: &KeyEvent) -> bool {
    key.modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// Whether a key event fires a binding. Shift is ignored (it is part of `G`, `?`, BackTab);
/// Ctrl and Alt must be absent so terminal shortcuts don't trigger actions.
fn key_matches(bind: &Binding, key: &KeyEvent) -> bool {
    let mods = key.modifiers - KeyModifiers::SHIFT;
    mods.is_empty() && bind.keys.contains(&key.code)
}

/// The action for a key in the focused contexts (tried in order). A binding the user's
/// rights don't allow does not fire.
pub fn lookup(contexts: &[Context], key: &KeyEvent, rights: Role) -> Option<Action> {
    for ctx in contexts {
        for bind in KEYMAP.iter().filter(|b| b.ctx == *ctx) {
            if key_matches(bind, key) {
                if !bind.shown(rights) {
                    return None;
                }
                return Some(match (bind.action, key.code) {
                    (Action::GoTab(_), KeyCode::Char(c)) => {
                        Action::GoTab(c.to_digit(10).unwrap_or(1) as u8)
                    }
                    (a, _) => a,
                });
            }
        }
    }
    None
}

/// Footer hints for the focused contexts: `(keys, hint)`, first context first, each
/// action once.
pub fn hints(contexts: &[Context], rights: Role) -> Vec<(&'static str, &'static str)> {
    hint_rows(contexts, rights)
        .into_iter()
        .map(|b| (b.key_label, b.hint))
        .collect()
}

/// [`hints`] as owned pairs, only the actions `keep` accepts (what a view's state needs).
pub fn hint_pairs(
    contexts: &[Context],
    rights: Role,
    keep: impl Fn(Action) -> bool,
) -> Vec<(String, String)> {
    hint_rows(contexts, rights)
        .into_iter()
        .filter(|b| keep(b.action))
        .map(|b| (b.key_label.to_string(), b.hint.to_string()))
        .collect()
}

/// The bindings behind [`hints`].
pub fn hint_rows(contexts: &[Context], rights: Role) -> Vec<&'static Binding> {
    let mut out: Vec<&'static Binding> = Vec::new();
    for ctx in contexts {
        for bind in KEYMAP.iter().filter(|b| b.ctx == *ctx) {
            if bind.hint.is_empty() || !bind.shown(rights) {
                continue;
            }
            if out.iter().any(|b| b.action == bind.action) {
                continue;
            }
            out.push(bind);
        }
    }
    out
}

/// Help sections: `(title, [(keys, text)])`, every context in `HELP_ORDER` with a binding
/// the rights allow.
pub fn help_sections(rights: Role) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    Context::HELP_ORDER
        .iter()
        .map(|ctx| {
            let rows: Vec<(String, &'static str)> = KEYMAP
                .iter()
                .filter(|b| b.ctx == *ctx && b.shown(rights))
                .map(|b| (key_text(b), b.help))
                .collect();
            (ctx.title(), rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect()
}

/// The binding of an action in a context (the action menu shows its key and text).
pub fn binding(ctx: Context, a: Action) -> Option<&'static Binding> {
    KEYMAP.iter().find(|b| b.ctx == ctx && b.action == a)
}

/// Lines of the help text: per section a title, its rows and a blank line.
pub fn help_line_count(rights: Role) -> usize {
    help_sections(rights)
        .iter()
        .map(|(_, rows)| rows.len() + 2)
        .sum()
}

/// Keys of a binding as help shows them: each key, or the label for long key sets (1-9).
fn key_text(b: &Binding) -> String {
    if b.keys.len() > 3 && !b.key_label.is_empty() {
        return b.key_label.to_string();
    }
    b.keys.iter().map(key_name).collect::<Vec<_>>().join("/")
}

pub fn key_name(k: &KeyCode) -> String {
    match k {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Delete => "Del".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn focused_context_wins_over_lists_and_global() {
        let ctx = [Context::Tree, Context::Lists, Context::Global];
        let l = |k: &KeyEvent| lookup(&ctx, k, Role::Admin);
        assert_eq!(l(&key(KeyCode::Char('l'))), Some(Action::Right));
        assert_eq!(l(&key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(l(&key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(l(&key(KeyCode::Char('7'))), Some(Action::GoTab(7)));
        assert_eq!(l(&key(KeyCode::Char('z'))), None);
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(l(&shift_g), Some(Action::Bottom));
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(l(&ctrl_r), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b2 in &KEYMAP[i + 1..] {
                if a.ctx == b2.ctx {
                    for k in a.keys {
                        assert!(!b2.keys.contains(k), "{k:?} twice in {:?}", a.ctx);
                    }
                }
            }
        }
    }

    #[test]
    fn hints_and_help_come_from_the_table() {
        let h = hints(
            &[Context::Scope, Context::Lists, Context::Global],
            Role::Admin,
        );
        assert!(h.contains(&("v", "grid/list")));
        assert!(h.contains(&("q", "quit")));
        let help = help_sections(Role::Admin);
        let total: usize = help.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(total, KEYMAP.len());
        assert!(help
            .iter()
            .any(|(_, rows)| rows.iter().any(|(k, t)| k == "↓/j" && *t == "down")));
        assert!(help
            .iter()
            .any(|(_, rows)| rows.iter().any(|(k, t)| k == "1-9" && t.contains("tab"))));
    }

    #[test]
    fn screen_keys_are_rows_too() {
        // Own rows first, then every screen's, then list moves: `f` searches on the search
        // screen, where on other lists it pages down.
        let on = |w: ScreenKey, c: KeyCode| {
            lookup(
                &[Context::Screen(w), Context::Screens, Context::Lists],
                &key(c),
                Role::Viewer,
            )
        };
        assert_eq!(
            on(ScreenKey::Search, KeyCode::Char('f')),
            Some(Action::Filter)
        );
        assert_eq!(
            on(ScreenKey::Events, KeyCode::Char('f')),
            Some(Action::PageDown)
        );
        assert_eq!(
            on(ScreenKey::Events, KeyCode::Char('o')),
            Some(Action::Observe)
        );
        assert_eq!(
            on(ScreenKey::Status, KeyCode::Char('o')),
            Some(Action::Group)
        );
        assert_eq!(on(ScreenKey::Alerts, KeyCode::Esc), Some(Action::Back));
        assert_eq!(
            on(ScreenKey::Zones, KeyCode::Char('e')),
            Some(Action::Export)
        );
        // And `?` shows them, each screen under its own title.
        let help = help_sections(Role::Viewer);
        let events = help
            .iter()
            .find(|(t, _)| *t == "Events screen (E)")
            .expect("events section");
        assert!(events
            .1
            .iter()
            .any(|(k, t)| k == "s" && t.contains("saved query")));
    }

    #[test]
    fn write_keys_need_rights_and_removals_are_marked() {
        let ctx = [Context::Scope, Context::IpActions, Context::Lists];
        let hold = key(KeyCode::Char('H'));
        assert_eq!(lookup(&ctx, &hold, Role::Admin), Some(Action::Hold));
        assert_eq!(lookup(&ctx, &hold, Role::Viewer), None);
        // Ping and history need no write right.
        assert_eq!(
            lookup(&ctx, &key(KeyCode::Char('p')), Role::Viewer),
            Some(Action::Ping)
        );
        let op = Role::Operator;
        let ex = [Context::Exclusions];
        assert_eq!(lookup(&ex, &key(KeyCode::Char('a')), op), None);
        assert_eq!(
            lookup(&ex, &key(KeyCode::Char('a')), Role::Admin),
            Some(Action::Add)
        );
        let viewer_help = help_sections(Role::Viewer);
        assert!(viewer_help
            .iter()
            .all(|(_, rows)| rows.iter().all(|(k, _)| k != "H" && k != "c")));
        for a in [
            Action::Release,
            Action::Unclaim,
            Action::Unreserve,
            Action::DnsDelete,
        ] {
            let b = binding(Context::IpActions, a).unwrap();
            assert!(b.destructive && b.need == Role::Operator, "{a:?}");
        }
        assert!(
            binding(Context::Exclusions, Action::Delete)
                .unwrap()
                .destructive
        );
        assert!(
            !binding(Context::IpActions, Action::Hold)
                .unwrap()
                .destructive
        );
    }
}
