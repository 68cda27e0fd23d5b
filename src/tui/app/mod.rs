//! Console state and the pure `update`: messages in (keys, clock, worker results),
//! requests out. No I/O and no async here, so every flow is testable without a terminal.
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ipnet::Ipv4Net;
use ratatui::layout::Rect;

use crate::config::{Config, DnsConfig, Role};
use crate::model::Thresholds;
use crate::ops::bulk::ServerOutcome;
use crate::ops::ServerData;

mod config_edit;
mod counts;
mod dns_names;
mod ip;
mod layer;
mod layout_done;
mod layout_flow;
mod marks;
mod messages;
mod navigation;
mod refresh;
mod responses;
mod stack;
mod sweep;

pub use messages::*;

use super::actions::{Modal, Pending};
use super::ip_actions::{self};
use super::keymap::{self, Action, Context};
use super::layout;
use super::screen::Screen;
use crate::tui::views::{node_key, Fleet, FleetRow, Load, ScopeMode, ScopeState, ServerTab, View};

/// The whole console.
#[derive(Debug)]
pub struct App {
    pub fleet: Fleet,
    pub tabs: Vec<ServerTab>,
    /// 0 is the Servers tab, `i + 1` is `tabs[i]`.
    pub active: usize,
    /// The help popup's scroll offset when it is open.
    pub help: Option<usize>,
    /// Keys go to the `/` filter of the current view.
    pub filter_editing: bool,
    pub status: Option<Status>,
    /// The step a write in flight is at and since when (epoch seconds): the busy status
    /// line says "config-set on kea-2, 14 s" while it lasts.
    progress: Option<(String, i64)>,
    pub thresholds: Thresholds,
    pub now: i64,
    /// Seconds east of UTC for showing times (0 in tests: stable snapshots).
    pub utc_offset: i64,
    /// Terminal area, for paging and keeping cursors visible.
    pub size: Rect,
    /// `--read-only`: no write action anywhere, whatever the roles say.
    pub read_only: bool,
    /// Write levels per server (from its role); missing means none.
    pub rights: HashMap<String, Role>,
    /// DNS zones for the record form.
    pub dns: DnsConfig,
    /// A raw configuration edit under way (`K`), and whether the editor should open now.
    pub config_edit: Option<config_edit::ConfigEdit>,
    pub quit: bool,
    /// The configuration file changed (a server added): quit to be started again on it.
    pub restart: bool,
    /// The configuration file (where a server added in the console is written).
    pub config_path: Option<std::path::PathBuf>,
    /// q was pressed while a change was being written: the next q quits.
    quit_asked: bool,
    /// Full-window screens over the tabs, top last (zones, events, failover...).
    pub screens: Vec<ScreenSlot>,
    /// Scopes marked for a bulk change, on any server tab: (server, CIDR).
    pub marks: BTreeSet<(String, Ipv4Net)>,
    /// Servers marked on the Servers tab (server-level options, client classes).
    pub server_marks: BTreeSet<String>,
    /// Popups over the tree, a network or the Servers tab (layout and bulk), top last.
    pub layer: Vec<Modal>,
    /// The layout change sent from `layer` and not answered yet.
    pub layer_pending: Option<Pending>,
    /// Per-server jobs activating, deactivating or deleting marked scopes, not answered
    /// yet: (id, server, op, its CIDRs).
    scopes_waiting: Vec<(u64, String, super::actions::ScopesOp, Vec<Ipv4Net>)>,
    /// Their answers so far; the outcome table shows them all once the last is in.
    scopes_done: Vec<ServerOutcome>,
    next_id: u64,
    next_gen: u64,
    export_id: Option<u64>,
}

impl App {
    /// `servers`: (name, url) in config order.
    pub fn new(servers: &[(String, String)], thresholds: Thresholds) -> App {
        App {
            fleet: Fleet {
                rows: servers.iter().map(|(n, u)| FleetRow::new(n, u)).collect(),
                ..Fleet::default()
            },
            tabs: Vec::new(),
            active: 0,
            help: None,
            filter_editing: false,
            status: None,
            progress: None,
            thresholds,
            now: 0,
            utc_offset: 0,
            size: Rect::new(0, 0, 80, 24),
            read_only: false,
            rights: HashMap::new(),
            dns: DnsConfig::default(),
            config_edit: None,
            quit: false,
            restart: false,
            config_path: None,
            quit_asked: false,
            screens: Vec::new(),
            marks: BTreeSet::new(),
            server_marks: BTreeSet::new(),
            layer: Vec::new(),
            layer_pending: None,
            scopes_waiting: Vec::new(),
            scopes_done: Vec::new(),
            next_id: 0,
            next_gen: 0,
            export_id: None,
        }
    }

    /// The console for `config`; `read_only` (`--read-only`) hides every write action.
    pub fn from_config(config: &Config, read_only: bool) -> App {
        let servers: Vec<(String, String)> = config
            .servers
            .iter()
            .map(|s| (s.name.clone(), s.url.clone()))
            .collect();
        let mut app = App::new(&servers, config.thresholds());
        app.read_only = read_only;
        app.dns = config.dns.clone();
        app.config_path = config.source.clone();
        for (s, row) in config.servers.iter().zip(app.fleet.rows.iter_mut()) {
            app.rights.insert(s.name.clone(), s.role);
            row.user = s.user.clone();
        }
        app
    }

    /// What the user may do on `server` (role, and `--read-only` over all).
    pub fn rights_for(&self, server: &str) -> Role {
        role_on(&self.rights, self.read_only, server)
    }

    /// The rights for what is on screen: the active server's; on the Servers tab, what
    /// any server allows (for the help).
    pub fn rights(&self) -> Role {
        match self.tab() {
            Some(t) => self.rights_for(&t.name),
            None => self
                .fleet
                .rows
                .iter()
                .fold(Role::Viewer, |r, row| r.max(self.rights_for(&row.name))),
        }
    }

    /// The first requests: check every server.
    pub fn start(&mut self) -> Vec<Request> {
        self.check_fleet(true)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Request> {
        let out = match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                Vec::new()
            }
            Msg::Now(t) => {
                self.now = t;
                self.show_progress();
                Vec::new()
            }
            Msg::Edited(res) => self.on_edited(res),
            Msg::Progress(_, step) => {
                // Only while a change is shown as busy: a late step never overwrites its
                // outcome.
                if self
                    .status
                    .as_ref()
                    .is_some_and(|s| s.kind == StatusKind::Busy)
                {
                    self.progress = Some((step, self.now));
                    self.show_progress();
                }
                Vec::new()
            }
            Msg::Refresh => self.refresh(false),
            Msg::Response(r) => self.on_response(r),
        };
        self.fix_scroll();
        out
    }

    // ----- accessors the render functions use -----

    pub fn tab(&self) -> Option<&ServerTab> {
        self.active.checked_sub(1).and_then(|i| self.tabs.get(i))
    }

    fn tab_mut(&mut self) -> Option<&mut ServerTab> {
        self.active
            .checked_sub(1)
            .and_then(|i| self.tabs.get_mut(i))
    }

    /// Key contexts in lookup order, for the current focus.
    pub fn contexts(&self) -> Vec<Context> {
        if self.help.is_some() {
            return vec![Context::Help];
        }
        if self.filter_editing {
            return vec![Context::Filter];
        }
        if let Some(m) = self.layer.last() {
            return vec![m.context()];
        }
        let view = match self.tab() {
            None => Context::Servers,
            Some(t) => match t.stack.last() {
                None => Context::Tree,
                Some(View::Network(_)) => Context::Network,
                Some(View::Scope(s)) => match s.modals.last() {
                    Some(Modal::Menu(_)) => return vec![Context::Menu, Context::IpActions],
                    Some(m) => return vec![m.context()],
                    None if s.popup => return vec![Context::IpPopup, Context::IpActions],
                    None => {
                        return vec![
                            Context::Scope,
                            Context::IpActions,
                            Context::Lists,
                            Context::Global,
                        ]
                    }
                },
            },
        };
        vec![view, Context::Lists, Context::Global]
    }

    /// The `/` filter text of the current view.
    pub fn filter(&self) -> &str {
        match self.tab() {
            None => &self.fleet.filter,
            Some(t) => match t.stack.last() {
                None => &t.tree.filter,
                Some(View::Network(n)) => &n.filter,
                Some(View::Scope(s)) => &s.filter,
            },
        }
    }

    fn filter_mut(&mut self) -> &mut String {
        let Some(i) = self.active.checked_sub(1).filter(|i| *i < self.tabs.len()) else {
            return &mut self.fleet.filter;
        };
        let t = &mut self.tabs[i];
        match t.stack.last_mut() {
            None => &mut t.tree.filter,
            Some(View::Network(n)) => &mut n.filter,
            Some(View::Scope(s)) => &mut s.filter,
        }
    }

    // ----- keys -----

    fn on_key(&mut self, k: KeyEvent) -> Vec<Request> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return Vec::new();
        }
        // A message stays until the next key (an export's path can be read meanwhile).
        if self
            .status
            .as_ref()
            .is_some_and(|s| s.kind != StatusKind::Busy)
        {
            self.status = None;
        }
        if self.filter_editing {
            self.edit_filter(k);
            return Vec::new();
        }
        if self.help.is_none() && !self.screens.is_empty() {
            return self.screen_key(k);
        }
        let ctx = self.contexts();
        let action = keymap::lookup(&ctx, &k, self.rights());
        if action.is_none() && ctx == [Context::Form] {
            self.type_in_form(k);
            return Vec::new();
        }
        match action {
            Some(a) => self.act(a),
            None => Vec::new(),
        }
    }

    fn edit_filter(&mut self, k: KeyEvent) {
        match keymap::lookup(&[Context::Filter], &k, self.rights()) {
            Some(Action::Open) => self.filter_editing = false,
            Some(Action::Back) => {
                self.filter_editing = false;
                self.filter_mut().clear();
            }
            _ => {
                if !crate::tui::form::field::edit_text(self.filter_mut(), &k) {
                    return;
                }
            }
        }
        self.filter_changed();
    }

    /// Keeps cursors meaningful after the filter text changed.
    fn filter_changed(&mut self) {
        match self.tab_mut() {
            None => self.fleet.list = Default::default(),
            Some(t) => match t.stack.last_mut() {
                None => t.tree.list = Default::default(),
                Some(View::Network(n)) => n.list = Default::default(),
                Some(View::Scope(s)) => {
                    s.refilter();
                    s.list_top = 0;
                    if s.mode == ScopeMode::List {
                        // Snap onto the nearest listed address.
                        if let Some(i) = s.list_index(s.list_pos()) {
                            s.cursor = i;
                        }
                    }
                }
            },
        }
    }

    fn act(&mut self, a: Action) -> Vec<Request> {
        if let Some(scroll) = self.help {
            let max = keymap::help_line_count(self.rights())
                .saturating_sub(layout::inner(layout::help_area(self.size)).height as usize);
            let page = 10;
            match a {
                Action::Up => self.help = Some(scroll.saturating_sub(1)),
                Action::Down => self.help = Some((scroll + 1).min(max)),
                Action::PageUp => self.help = Some(scroll.saturating_sub(page)),
                Action::PageDown => self.help = Some((scroll + page).min(max)),
                Action::Back | Action::Help => self.help = None,
                Action::Quit => self.request_quit(),
                _ => {}
            }
            return Vec::new();
        }
        if !self.layer.is_empty() {
            return self.layer_action(a);
        }
        if let Some(ti) = self.scope_tab() {
            let has_modal = self.scope_mut(ti).is_some_and(|s| !s.modals.is_empty());
            if has_modal {
                return self.modal_action(ti, a);
            }
            if ip_actions::is_ip_action(a) {
                return self.ip_action(ti, a);
            }
        }
        match a {
            Action::Quit => self.request_quit(),
            Action::Help => self.help = Some(0),
            Action::NextTab => self.active = (self.active + 1) % (self.tabs.len() + 1),
            Action::PrevTab => {
                let n = self.tabs.len() + 1;
                self.active = (self.active + n - 1) % n;
            }
            Action::GoTab(d) => {
                let want = (d as usize).saturating_sub(1);
                if want <= self.tabs.len() {
                    self.active = want;
                }
            }
            Action::CloseTab => {
                if let Some(i) = self.active.checked_sub(1) {
                    self.tabs.remove(i);
                    self.active = i;
                }
            }
            Action::Filter => self.filter_editing = true,
            Action::OpenScreen(which) => return self.open_screen(which),
            Action::Mark
            | Action::Unmark
            | Action::Bulk
            | Action::New
            | Action::Layout
            | Action::ClaimNet
            | Action::Claims => return self.layout_key(a),
            Action::EditConfig => return self.edit_config(),
            Action::Refresh => return self.refresh(true),
            Action::Export => return self.export().into_iter().collect(),
            other => return self.navigate(other),
        }
        Vec::new()
    }

    // ----- requests -----

    fn ids(&mut self) -> (u64, u64) {
        self.next_id += 1;
        self.next_gen += 1;
        (self.next_id, self.next_gen)
    }
}

/// The user's role on `server`: from its config, viewer under `--read-only` or when unknown.
pub(crate) fn role_on(rights: &HashMap<String, Role>, read_only: bool, server: &str) -> Role {
    if read_only {
        return Role::Viewer;
    }
    rights.get(server).copied().unwrap_or(Role::Viewer)
}

/// Takes a fresh server load, keeping the tree cursor on the same node.
fn apply_server(tab: &mut ServerTab, data: Arc<ServerData>, now: i64) {
    let key = tab.data.as_ref().and_then(|old| {
        tab.tree
            .rows(&old.tree)
            .get(tab.tree.list.cursor)
            .map(|r| node_key(r.node))
    });
    if let Some(key) = key {
        if let Some(p) = tab
            .tree
            .rows(&data.tree)
            .iter()
            .position(|r| node_key(r.node) == key)
        {
            tab.tree.list.cursor = p;
        }
    }
    tab.loaded_at = Some(if data.loaded_at > 0 {
        data.loaded_at
    } else {
        now
    });
    if let Some(key) = tab.select.take() {
        layout_flow::select_node(tab, &data, &key);
    }
    tab.data = Some(data);
    tab.load = Load::Loaded;
}

/// Addresses in a loaded scope view (0 before it is loaded).
fn v_len(s: &ScopeState) -> usize {
    s.data.as_ref().map(|v| v.len()).unwrap_or(0)
}

/// A screen on the console's stack, with the id its jobs' results come back to.
#[derive(Debug)]
pub struct ScreenSlot {
    pub id: u64,
    pub screen: Box<dyn Screen>,
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn move_list(l: &mut crate::tui::views::ListState, a: Action, len: usize, page: isize) {
    match a {
        Action::Up => l.step(-1, len),
        Action::Down => l.step(1, len),
        Action::PageUp => l.step(-page, len),
        Action::PageDown => l.step(page, len),
        Action::Top => l.cursor = 0,
        Action::Bottom => l.cursor = len.saturating_sub(1),
        _ => {}
    }
}
