//! The one keymap table. Key lookup, the footer hints and the `?` help are all built from
//! `KEYMAP`, so they cannot disagree; `destructive` lets read-only mode hide actions later.
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
    CloseTab,
    Filter,
    Help,
    Export,
    Refresh,
    ToggleView,
    Quit,
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
    Help,
    /// Typing a `/` filter.
    Filter,
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
            Context::Help => "This help",
            Context::Filter => "Typing a filter",
        }
    }

    /// Order of sections in the help popup.
    pub const HELP_ORDER: [Context; 9] = [
        Context::Global,
        Context::Lists,
        Context::Servers,
        Context::Tree,
        Context::Network,
        Context::Scope,
        Context::IpPopup,
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
    /// Changes something on a server: hidden in read-only mode.
    pub destructive: bool,
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
    b(C::Tree, &[K::Enter], "Enter", A::Open, "open", "open the network or scope"),
    b(C::Tree, &[K::Left, K::Char('h')], "←/h", A::Left, "fold", "collapse, or go to the parent"),
    b(C::Tree, &[K::Right, K::Char('l')], "→/l", A::Right, "unfold", "expand"),
    b(C::Tree, &[K::Esc], "Esc", A::Back, "servers", "clear the filter, else back to the Servers tab"),
    b(C::Tree, &[K::Char('x')], "x", A::CloseTab, "close", "close this server's tab"),
    b(C::Network, &[K::Enter], "Enter", A::Open, "open", "open the scope"),
    b(C::Network, &[K::Esc], "Esc", A::Back, "back", "clear the filter, else back to the tree"),
    b(C::Scope, &[K::Left, K::Char('h')], "←/h", A::Left, "", "previous address (grid)"),
    b(C::Scope, &[K::Right, K::Char('l')], "→/l", A::Right, "", "next address (grid)"),
    b(C::Scope, &[K::Enter], "Enter", A::Open, "IP", "properties of the address under the cursor"),
    b(C::Scope, &[K::Char('v')], "v", A::ToggleView, "grid/list", "switch between IP grid and IP list"),
    b(C::Scope, &[K::Esc], "Esc", A::Back, "back", "clear the filter, else back"),
    b(C::IpPopup, &[K::Esc, K::Enter], "Esc", A::Back, "close", "close the popup"),
    b(C::IpPopup, &[K::Char('?')], "?", A::Help, "help", "this help"),
    b(C::IpPopup, &[K::Char('q')], "q", A::Quit, "quit", "quit ddish"),
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
    b(C::Lists, &[K::PageDown, K::Char(' ')], "PgDn/Space", A::PageDown, "", "page down"),
    b(C::Lists, &[K::Home, K::Char('g')], "Home/g", A::Top, "", "first"),
    b(C::Lists, &[K::End, K::Char('G')], "End/G", A::Bottom, "", "last"),
    b(C::Global, &[K::Char('/')], "/", A::Filter, "filter", "filter the current list"),
    b(C::Global, &[K::Char('e')], "e", A::Export, "export", "export the current view to CSV"),
    b(C::Global, &[K::Char('r')], "r", A::Refresh, "refresh", "reload the current view from the server"),
    b(C::Global, &[K::Tab], "Tab", A::NextTab, "", "next tab"),
    b(C::Global, &[K::BackTab], "S-Tab", A::PrevTab, "", "previous tab"),
    b(C::Global, DIGITS, "1-9", A::GoTab(0), "", "go to tab 1-9 (1 is Servers)"),
    b(C::Global, &[K::Char('?')], "?", A::Help, "help", "this help"),
    b(C::Global, &[K::Char('q')], "q", A::Quit, "quit", "quit ddish (also Ctrl-C)"),
];

/// Whether a key event fires a binding. Shift is ignored (it is part of `G`, `?`, BackTab);
/// Ctrl and Alt must be absent so terminal shortcuts don't trigger actions.
fn key_matches(bind: &Binding, key: &KeyEvent) -> bool {
    let mods = key.modifiers - KeyModifiers::SHIFT;
    mods.is_empty() && bind.keys.contains(&key.code)
}

/// The action for a key in the focused contexts (tried in order).
pub fn lookup(contexts: &[Context], key: &KeyEvent) -> Option<Action> {
    for ctx in contexts {
        for bind in KEYMAP.iter().filter(|b| b.ctx == *ctx) {
            if key_matches(bind, key) {
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
pub fn hints(contexts: &[Context], read_only: bool) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let mut seen: Vec<Action> = Vec::new();
    for ctx in contexts {
        for bind in KEYMAP.iter().filter(|b| b.ctx == *ctx) {
            if bind.hint.is_empty() || (read_only && bind.destructive) {
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

/// Help sections: `(title, [(keys, text)])`, every context in `HELP_ORDER`.
pub fn help_sections(read_only: bool) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    Context::HELP_ORDER
        .iter()
        .map(|ctx| {
            let rows = KEYMAP
                .iter()
                .filter(|b| b.ctx == *ctx && !(read_only && b.destructive))
                .map(|b| (key_text(b), b.help))
                .collect();
            (ctx.title(), rows)
        })
        .collect()
}

/// Lines of the help text: per section a title, its rows and a blank line.
pub fn help_line_count(read_only: bool) -> usize {
    help_sections(read_only)
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
        assert_eq!(lookup(&ctx, &key(KeyCode::Char('l'))), Some(Action::Right));
        assert_eq!(lookup(&ctx, &key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(lookup(&ctx, &key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            lookup(&ctx, &key(KeyCode::Char('7'))),
            Some(Action::GoTab(7))
        );
        assert_eq!(lookup(&ctx, &key(KeyCode::Char('z'))), None);
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&ctx, &shift_g), Some(Action::Bottom));
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&ctx, &ctrl_r), None);
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
        let h = hints(&[Context::Scope, Context::Lists, Context::Global], false);
        assert!(h.contains(&("v", "grid/list")));
        assert!(h.contains(&("q", "quit")));
        let help = help_sections(false);
        let total: usize = help.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(total, KEYMAP.len());
        assert!(help
            .iter()
            .any(|(_, rows)| rows.iter().any(|(k, t)| k == "↓/j" && *t == "down")));
        assert!(help
            .iter()
            .any(|(_, rows)| rows.iter().any(|(k, t)| k == "1-9" && t.contains("tab"))));
    }
}
