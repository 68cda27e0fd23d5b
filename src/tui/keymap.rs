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
    // Inside popups.
    Add,
    Edit,
    Delete,
    NextField,
    PrevField,
    Yes,
    No,
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
        }
    }

    /// Order of sections in the help popup.
    pub const HELP_ORDER: [Context; 17] = [
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
    const fn op(mut self) -> Binding {
        self.need = Role::Operator;
        self
    }

    const fn admin(mut self) -> Binding {
        self.need = Role::Admin;
        self
    }

    const fn destructive(mut self) -> Binding {
        self.destructive = true;
        self
    }

    fn shown(&self, r: Role) -> bool {
        r.allows(self.need)
    }
}

const fn b(
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

use Action as A;
use Context as C;
use KeyCode as K;

const DIGITS: &[KeyCode] = &[
    K::Char('1'),
    K::Char('2'),
    K::Char('3'),
    K::Char('4'),
    K::Char('5'),
    K::Char('6'),
    K::Char('7'),
    K::Char('8'),
    K::Char('9'),
];

/// Every binding. Earlier entries of a context win; the focused context is tried before
/// `Lists` and `Global`.
#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    // Views first, so their Enter/Esc/arrows hints lead the footer.
    b(C::Servers, &[K::Enter], "Enter", A::Open, "open", "open the server in its own tab"),
    b(C::Servers, &[K::Esc], "Esc", A::Back, "", "clear the filter"),
    b(C::Servers, &[K::Char(' ')], "Space", A::Mark, "mark", "mark or unmark the server for a bulk change (server options, classes)").admin(),
    b(C::Servers, &[K::Char('u')], "u", A::Unmark, "", "clear every mark").admin(),
    b(C::Servers, &[K::Char('B')], "B", A::Bulk, "bulk", "bulk change on the marked servers: options, lease time, DDNS, client classes").admin(),
    b(C::Tree, &[K::Enter], "Enter", A::Open, "open", "open the network or scope"),
    b(C::Tree, &[K::Char('n')], "n", A::New, "new", "create new: network, container, or a DHCP scope in the selected network").admin(),
    b(C::Tree, &[K::Char('a')], "a", A::Layout, "actions", "actions on the selected network or scope: edit, activate, duplicate, delete…").admin(),
    b(C::Tree, &[K::Char(' ')], "Space", A::Mark, "mark", "mark or unmark the scope (marks on every server tab add up)").admin(),
    b(C::Tree, &[K::Char('u')], "u", A::Unmark, "", "clear every mark").admin(),
    b(C::Tree, &[K::Char('B')], "B", A::Bulk, "bulk", "bulk change on the marked scopes: lease time, exclusion, DDNS, options; activate, deactivate, delete them").admin(),
    b(C::Tree, &[K::Char('c')], "c", A::ClaimNet, "", "claim an address of the selected network outside every scope").op(),
    b(C::Tree, &[K::Char('C')], "C", A::Claims, "", "the selected network's claims outside every scope (unclaim)"),
    b(C::Tree, &[K::Left, K::Char('h')], "←/h", A::Left, "fold", "collapse, or go to the parent"),
    b(C::Tree, &[K::Right, K::Char('l')], "→/l", A::Right, "unfold", "expand"),
    b(C::Tree, &[K::Esc], "Esc", A::Back, "servers", "clear the filter, else back to the Servers tab"),
    b(C::Tree, &[K::Char('x')], "x", A::CloseTab, "close", "close this server's tab"),
    b(C::Network, &[K::Enter], "Enter", A::Open, "open", "open the scope"),
    b(C::Network, &[K::Char('n')], "n", A::New, "new", "create a DHCP scope in this network").admin(),
    b(C::Network, &[K::Char('a')], "a", A::Layout, "actions", "actions on the selected scope: edit, activate, duplicate, delete…").admin(),
    b(C::Network, &[K::Char(' ')], "Space", A::Mark, "mark", "mark or unmark the scope for a bulk change").admin(),
    b(C::Network, &[K::Char('u')], "u", A::Unmark, "", "clear every mark").admin(),
    b(C::Network, &[K::Char('B')], "B", A::Bulk, "bulk", "bulk change on the marked scopes (also activate, deactivate, delete them)").admin(),
    b(C::Network, &[K::Char('c')], "c", A::ClaimNet, "claim", "claim an address of this network outside every scope").op(),
    b(C::Network, &[K::Char('C')], "C", A::Claims, "claims", "this network's claims outside every scope (unclaim)"),
    b(C::Network, &[K::Esc], "Esc", A::Back, "back", "clear the filter, else back to the tree"),
    b(C::Scope, &[K::Left, K::Char('h')], "←/h", A::Left, "", "previous address (grid)"),
    b(C::Scope, &[K::Right, K::Char('l')], "→/l", A::Right, "", "next address (grid)"),
    b(C::Scope, &[K::Enter], "Enter", A::Open, "IP", "properties of the address under the cursor"),
    b(C::Scope, &[K::Char('v')], "v", A::ToggleView, "grid/list", "switch between IP grid and IP list"),
    b(C::Scope, &[K::Esc], "Esc", A::Back, "back", "clear the filter, else back"),
    b(C::IpPopup, &[K::Enter], "Enter", A::Actions, "actions", "actions for this address"),
    b(C::IpPopup, &[K::Esc], "Esc", A::Back, "close", "close the popup"),
    b(C::IpPopup, &[K::Char('?')], "?", A::Help, "help", "this help"),
    b(C::IpPopup, &[K::Char('q')], "q", A::Quit, "quit", "quit ddish"),
    // The action letters also run straight from the menu; the menu lists only those valid
    // for the address's state.
    b(C::IpActions, &[K::Char('a')], "a", A::Actions, "actions", "menu of the actions valid for this address"),
    b(C::IpActions, &[K::Char('X')], "X", A::Exclusions, "exclusions", "the scope's pools and exclusions"),
    b(C::IpActions, &[K::Char('n')], "n", A::HoldNext, "next free", "hold the next free address of the scope").op(),
    b(C::IpActions, &[K::Char('N')], "N", A::HoldRandom, "", "hold a random free address of the scope").op(),
    b(C::IpActions, &[K::Char('H')], "H", A::Hold, "", "hold this address (blocks DHCP until the hold expires)").op(),
    b(C::IpActions, &[K::Char('U')], "U", A::Release, "", "release a held address").op().destructive(),
    b(C::IpActions, &[K::Char('c')], "c", A::Claim, "", "claim for a client (MAC, hostname, comment)").op(),
    b(C::IpActions, &[K::Char('C')], "C", A::Unclaim, "", "unclaim: return a claimed address").op().destructive(),
    b(C::IpActions, &[K::Char('s')], "s", A::Reserve, "", "create or edit the DHCP reservation").op(),
    b(C::IpActions, &[K::Char('R')], "R", A::ReserveLease, "", "copy the lease as a reservation: the client keeps this address").op(),
    b(C::IpActions, &[K::Char('S')], "S", A::Unreserve, "", "delete the DHCP reservation").op().destructive(),
    b(C::IpActions, &[K::Char('p')], "p", A::Ping, "", "ping the address"),
    b(C::IpActions, &[K::Char('d')], "d", A::DnsAdd, "", "add a DNS record (A, optional PTR)").op(),
    b(C::IpActions, &[K::Char('D')], "D", A::DnsDelete, "", "delete the DNS records of this address").op().destructive(),
    b(C::IpActions, &[K::Char('y')], "y", A::History, "", "history of this address"),
    b(C::Menu, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "move", "previous action"),
    b(C::Menu, &[K::Down, K::Char('j')], "", A::Down, "", "next action"),
    b(C::Menu, &[K::Enter], "Enter", A::Open, "run", "run the selected action"),
    b(C::Menu, &[K::Esc], "Esc", A::Back, "close", "close the menu"),
    b(C::Form, &[K::Tab, K::Down], "Tab", A::NextField, "next field", "next field"),
    b(C::Form, &[K::BackTab, K::Up], "S-Tab", A::PrevField, "previous", "previous field"),
    b(C::Form, &[K::Left], "←/→", A::Left, "choose", "change a choice or switch"),
    b(C::Form, &[K::Right], "", A::Right, "", "change a choice or switch"),
    b(C::Form, &[K::Enter], "Enter", A::Open, "submit", "check and send"),
    b(C::Form, &[K::Esc], "Esc", A::Back, "cancel", "cancel, nothing is sent"),
    b(C::Confirm, &[K::Char('y'), K::Char('Y')], "y", A::Yes, "yes", "yes: do it"),
    b(C::Confirm, &[K::Char('n'), K::Char('N'), K::Esc], "n/Esc", A::No, "no", "no: nothing is sent"),
    b(C::Info, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "scroll", "scroll up"),
    b(C::Info, &[K::Down, K::Char('j')], "", A::Down, "", "scroll down"),
    b(C::Info, &[K::Esc, K::Enter], "Esc", A::Back, "close", "close"),
    b(C::Exclusions, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "move", "previous exclusion"),
    b(C::Exclusions, &[K::Down, K::Char('j')], "", A::Down, "", "next exclusion"),
    b(C::Exclusions, &[K::Char('a')], "a", A::Add, "add", "add an exclusion range").admin(),
    b(C::Exclusions, &[K::Enter], "Enter", A::Edit, "edit", "change the selected exclusion").admin(),
    b(C::Exclusions, &[K::Char('d'), K::Delete], "d/Del", A::Delete, "remove", "remove the selected exclusion (back into the pools)").admin().destructive(),
    b(C::Exclusions, &[K::Esc], "Esc", A::Back, "close", "close the panel"),
    b(C::Preview, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "scroll", "scroll up"),
    b(C::Preview, &[K::Down, K::Char('j')], "", A::Down, "", "scroll down"),
    b(C::Preview, &[K::Char('y'), K::Char('Y')], "y", A::Yes, "apply", "apply the change on every server listed"),
    b(C::Preview, &[K::Char('n'), K::Char('N'), K::Esc], "n/Esc", A::No, "cancel", "cancel: nothing is sent"),
    b(C::ClaimList, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "move", "previous claim"),
    b(C::ClaimList, &[K::Down, K::Char('j')], "", A::Down, "", "next claim"),
    b(C::ClaimList, &[K::Char('a')], "a", A::Add, "claim", "claim another address of the network").op(),
    b(C::ClaimList, &[K::Char('d'), K::Delete], "d/Del", A::Delete, "unclaim", "unclaim the selected address").op().destructive(),
    b(C::ClaimList, &[K::Char('e')], "e", A::Export, "export", "export the network's claims to CSV"),
    b(C::ClaimList, &[K::Esc], "Esc", A::Back, "close", "close the list"),
    b(C::Help, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "scroll", "scroll up"),
    b(C::Help, &[K::Down, K::Char('j')], "", A::Down, "", "scroll down"),
    b(C::Help, &[K::PageUp], "PgUp", A::PageUp, "", "page up"),
    b(C::Help, &[K::PageDown], "PgDn", A::PageDown, "", "page down"),
    b(C::Help, &[K::Esc, K::Char('?')], "Esc/?", A::Back, "close", "close the help"),
    b(C::Help, &[K::Char('q')], "q", A::Quit, "quit", "quit ddish"),
    b(C::Filter, &[K::Enter], "Enter", A::Open, "keep", "keep the filter and leave typing"),
    b(C::Filter, &[K::Esc], "Esc", A::Back, "clear", "clear the filter"),
    b(C::Lists, &[K::Up, K::Char('k')], "↑↓/jk", A::Up, "move", "up"),
    b(C::Lists, &[K::Down, K::Char('j')], "", A::Down, "", "down"),
    b(C::Lists, &[K::PageUp, K::Char('b')], "PgUp/b", A::PageUp, "", "page up"),
    b(C::Lists, &[K::PageDown, K::Char('f')], "PgDn/f", A::PageDown, "", "page down"),
    b(C::Lists, &[K::Home, K::Char('g')], "Home/g", A::Top, "", "first"),
    b(C::Lists, &[K::End, K::Char('G')], "End/G", A::Bottom, "", "last"),
    b(C::Global, &[K::Char('/')], "/", A::Filter, "filter", "filter the current list"),
    b(C::Global, &[K::Char('e')], "e", A::Export, "export", "export the current view to CSV"),
    b(C::Global, &[K::Char('r')], "r", A::Refresh, "refresh", "reload the current view from the server"),
    b(C::Global, &[K::Tab], "Tab", A::NextTab, "", "next tab"),
    b(C::Global, &[K::BackTab], "S-Tab", A::PrevTab, "", "previous tab"),
    b(C::Global, DIGITS, "1-9", A::GoTab(0), "", "go to tab 1-9 (1 is Servers)"),
    b(C::Global, &[K::Char('F')], "F", A::OpenScreen(ScreenKey::Search), "find", "find an IP, MAC, hostname or client ID on every server"),
    b(C::Global, &[K::Char('W')], "W", A::OpenScreen(ScreenKey::Status), "", "watch: service status of every DHCP and DNS server, in groups"),
    b(C::Global, &[K::Char('Z')], "Z", A::OpenScreen(ScreenKey::Zones), "", "DNS zone health on every DNS server"),
    b(C::Global, &[K::Char('E')], "E", A::OpenScreen(ScreenKey::Events), "", "events: changes made with ddish and seen on the servers"),
    b(C::Global, &[K::Char('A')], "A", A::OpenScreen(ScreenKey::Alerts), "", "utilization alerts across all servers, worst first"),
    b(C::Global, &[K::Char('M')], "M", A::OpenScreen(ScreenKey::Failover), "", "manage failover (Kea HA) of the server in view"),
    b(C::Global, &[K::Char('?')], "?", A::Help, "help", "this help"),
    b(C::Global, &[K::Char('q')], "q", A::Quit, "quit", "quit ddish (also Ctrl-C)"),
];

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
    let mut out: Vec<(&str, &str)> = Vec::new();
    let mut seen: Vec<Action> = Vec::new();
    for ctx in contexts {
        for bind in KEYMAP.iter().filter(|b| b.ctx == *ctx) {
            if bind.hint.is_empty() || !bind.shown(rights) {
                continue;
            }
            if seen.contains(&bind.action) {
                continue;
            }
            seen.push(bind.action);
            out.push((bind.key_label, bind.hint));
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
