//! Console state and the pure `update`: messages in (keys, clock, worker results),
//! requests out. No I/O and no async here, so every flow is testable without a terminal.
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ipnet::Ipv4Net;
use ratatui::layout::Rect;

use crate::config::Config;
use crate::model::{NodeKind, ScopeDef, ScopeStatus, ScopeView, Thresholds};
use crate::ops::{ServerData, ServerHealth};

use super::keymap::{self, Action, Context};
use super::layout;
use super::views::{
    node_key, Fleet, FleetRow, Load, NetworkState, ScopeMode, ScopeState, ServerTab, View,
};

/// Everything `update` reacts to.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Wall clock, epoch seconds (lease expiry, "loaded 5s ago").
    Now(i64),
    /// The refresh timer: re-check servers, reload the visible server view.
    Refresh,
    Response(Response),
}

/// Who a request is for; a response goes back to the same place.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// One row of the Servers tab.
    Fleet(String),
    /// A server tab's tree.
    Server(String),
    /// A scope view on a server tab.
    Scope {
        server: String,
        cidr: Ipv4Net,
    },
    Export,
}

impl Target {
    /// Requests sharing a key supersede each other: the worker aborts the older one.
    /// Exports are never cancelled (a file is being written).
    pub fn cancel_key(&self) -> Option<String> {
        match self {
            Target::Fleet(s) => Some(format!("fleet:{s}")),
            Target::Server(s) => Some(format!("server:{s}")),
            Target::Scope { server, .. } => Some(format!("scope:{server}")),
            Target::Export => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub id: u64,
    /// Generation of the view that asked; a response for an older one is dropped.
    pub gen: u64,
    pub target: Target,
    pub kind: RequestKind,
}

#[derive(Clone, Debug)]
pub enum RequestKind {
    CheckServer,
    LoadServer,
    LoadScope(Box<ScopeDef>),
    Export(ExportJob),
}

/// The current view's rows, handed to the worker to write as CSV.
#[derive(Clone, Debug)]
pub enum ExportJob {
    Servers(Vec<ServerHealth>),
    /// The tree's or a network's scopes: indices into `data.tree.scopes`.
    Scopes {
        server: String,
        data: Arc<ServerData>,
        scopes: Vec<usize>,
        /// Short name for the file: `scopes` or `network-scopes`.
        what: String,
    },
    /// A scope's addresses passing `filter` (the `/` text).
    Ips {
        server: String,
        view: Arc<ScopeView>,
        filter: String,
    },
}

#[derive(Debug)]
pub struct Response {
    pub id: u64,
    pub gen: u64,
    pub target: Target,
    pub payload: Payload,
}

/// Results; errors are the user-facing message.
#[derive(Debug)]
pub enum Payload {
    Health(Box<ServerHealth>),
    Server(Result<Arc<ServerData>, String>),
    Scope(Result<Arc<ScopeView>, String>),
    Exported(Result<PathBuf, String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Busy,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub kind: StatusKind,
}

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
    pub thresholds: Thresholds,
    pub now: i64,
    /// Seconds east of UTC for showing times (0 in tests: stable snapshots).
    pub utc_offset: i64,
    /// Terminal area, for paging and keeping cursors visible.
    pub size: Rect,
    /// Hides destructive actions (none exist yet; the keymap carries the flag).
    pub read_only: bool,
    pub quit: bool,
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
            thresholds,
            now: 0,
            utc_offset: 0,
            size: Rect::new(0, 0, 80, 24),
            read_only: false,
            quit: false,
            next_id: 0,
            next_gen: 0,
            export_id: None,
        }
    }

    pub fn from_config(config: &Config) -> App {
        let servers: Vec<(String, String)> = config
            .servers
            .iter()
            .map(|s| (s.name.clone(), s.url.clone()))
            .collect();
        App::new(&servers, config.thresholds())
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
                Vec::new()
            }
            Msg::Refresh => self.refresh(false),
            Msg::Response(r) => {
                self.on_response(r);
                Vec::new()
            }
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
        let view = match self.tab() {
            None => Context::Servers,
            Some(t) => match t.stack.last() {
                None => Context::Tree,
                Some(View::Network(_)) => Context::Network,
                Some(View::Scope(s)) if s.popup => return vec![Context::IpPopup],
                Some(View::Scope(_)) => Context::Scope,
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
        match keymap::lookup(&self.contexts(), &k) {
            Some(a) => self.act(a),
            None => Vec::new(),
        }
    }

    fn edit_filter(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Esc => {
                self.filter_editing = false;
                self.filter_mut().clear();
            }
            KeyCode::Backspace => {
                self.filter_mut().pop();
            }
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.filter_mut().push(c)
            }
            _ => return,
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
            let max = keymap::help_line_count(self.read_only)
                .saturating_sub(layout::inner(layout::help_area(self.size)).height as usize);
            let page = 10;
            match a {
                Action::Up => self.help = Some(scroll.saturating_sub(1)),
                Action::Down => self.help = Some((scroll + 1).min(max)),
                Action::PageUp => self.help = Some(scroll.saturating_sub(page)),
                Action::PageDown => self.help = Some((scroll + page).min(max)),
                Action::Back | Action::Help => self.help = None,
                Action::Quit => self.quit = true,
                _ => {}
            }
            return Vec::new();
        }
        match a {
            Action::Quit => self.quit = true,
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
            Action::Refresh => return self.refresh(true),
            Action::Export => return self.export().into_iter().collect(),
            other => return self.navigate(other),
        }
        Vec::new()
    }

    // ----- navigation -----

    fn body(&self) -> Rect {
        layout::split(self.size).1
    }

    fn navigate(&mut self, a: Action) -> Vec<Request> {
        let page = layout::table_rows(self.body()).max(1) as isize;
        let Some(ti) = self.active.checked_sub(1) else {
            let page = layout::table_rows(layout::fleet_split(self.body()).0).max(1);
            return self.navigate_fleet(a, page as isize);
        };
        if ti >= self.tabs.len() {
            return Vec::new();
        }
        match self.tabs[ti].stack.last() {
            None => self.navigate_tree(ti, a, page),
            Some(View::Network(_)) => {
                let page = layout::table_rows(layout::network_split(self.body()).1).max(1);
                self.navigate_network(ti, a, page as isize)
            }
            Some(View::Scope(_)) => {
                self.navigate_scope(ti, a);
                Vec::new()
            }
        }
    }

    fn navigate_fleet(&mut self, a: Action, page: isize) -> Vec<Request> {
        let vis = self.fleet.visible();
        let l = &mut self.fleet.list;
        match a {
            Action::Open => {
                if let Some(i) = vis.get(l.cursor) {
                    let name = self.fleet.rows[*i].name.clone();
                    return self.open_server(&name).into_iter().collect();
                }
            }
            Action::Back => self.fleet.filter.clear(),
            _ => move_list(l, a, vis.len(), page),
        }
        Vec::new()
    }

    fn navigate_tree(&mut self, ti: usize, a: Action, page: isize) -> Vec<Request> {
        let tab = &mut self.tabs[ti];
        if a == Action::Back {
            if tab.tree.filter.is_empty() {
                self.active = 0;
            } else {
                tab.tree.filter.clear();
            }
            return Vec::new();
        }
        let Some(data) = tab.data.clone() else {
            return Vec::new();
        };
        let rows = tab.tree.rows(&data.tree);
        let Some(row) = rows.get(tab.tree.list.cursor) else {
            return Vec::new();
        };
        let node = row.node;
        let key = node_key(node);
        let has_children = !node.children.is_empty();
        let folded = tab.tree.is_folded(node);
        match a {
            Action::Left => {
                if has_children && !folded && tab.tree.filter.is_empty() {
                    tab.tree.collapsed.insert(key);
                } else if row.path.len() > 1 {
                    let parent = &row.path[..row.path.len() - 1];
                    if let Some(p) = rows.iter().position(|r| r.path == parent) {
                        tab.tree.list.cursor = p;
                    }
                }
            }
            Action::Right => {
                if folded {
                    tab.tree.collapsed.remove(&key);
                } else if has_children {
                    tab.tree.list.step(1, rows.len());
                }
            }
            Action::Open => match node.kind {
                NodeKind::Scope(i) => {
                    let def = data.tree.scopes[i].def.clone();
                    return self.open_scope(ti, def).into_iter().collect();
                }
                _ => {
                    let label = match &node.title {
                        Some(t) if !t.is_empty() => format!("{} {t}", node.label()),
                        _ => node.label(),
                    };
                    tab.stack.push(View::Network(NetworkState {
                        key,
                        label,
                        list: Default::default(),
                        filter: String::new(),
                    }));
                }
            },
            _ => {
                let len = rows.len();
                move_list(&mut tab.tree.list, a, len, page);
            }
        }
        Vec::new()
    }

    fn navigate_network(&mut self, ti: usize, a: Action, page: isize) -> Vec<Request> {
        let tab = &mut self.tabs[ti];
        let data = tab.data.clone();
        let Some(View::Network(n)) = tab.stack.last_mut() else {
            return Vec::new();
        };
        if a == Action::Back {
            if n.filter.is_empty() {
                tab.stack.pop();
            } else {
                n.filter.clear();
            }
            return Vec::new();
        }
        let Some(data) = data else {
            return Vec::new();
        };
        let scopes = n.scopes(&data.tree).unwrap_or_default();
        match a {
            Action::Open => {
                if let Some(i) = scopes.get(n.list.cursor) {
                    let def = data.tree.scopes[*i].def.clone();
                    return self.open_scope(ti, def).into_iter().collect();
                }
            }
            _ => move_list(&mut n.list, a, scopes.len(), page),
        }
        Vec::new()
    }

    fn navigate_scope(&mut self, ti: usize, a: Action) {
        let geom = self.scope_geometry(ti);
        let tab = &mut self.tabs[ti];
        let Some(View::Scope(s)) = tab.stack.last_mut() else {
            return;
        };
        if s.popup {
            if a == Action::Back {
                s.popup = false;
            }
            return;
        }
        if a == Action::Back {
            if s.filter.is_empty() {
                tab.stack.pop();
            } else {
                s.filter.clear();
                s.refilter();
            }
            return;
        }
        let len = s.data.as_ref().map_or(0, |v| v.len());
        if len == 0 {
            return;
        }
        let Some((cols, grid_h, list_h)) = geom else {
            return;
        };
        match (a, s.mode) {
            (Action::Open, _) => s.popup = true,
            (Action::ToggleView, ScopeMode::Grid) => {
                s.mode = ScopeMode::List;
                if let Some(i) = s.list_index(s.list_pos()) {
                    s.cursor = i;
                }
            }
            (Action::ToggleView, ScopeMode::List) => s.mode = ScopeMode::Grid,
            (_, ScopeMode::Grid) => {
                let delta: isize = match a {
                    Action::Left => -1,
                    Action::Right => 1,
                    Action::Up => -(cols as isize),
                    Action::Down => cols as isize,
                    Action::PageUp => -((cols * grid_h.max(1)) as isize),
                    Action::PageDown => (cols * grid_h.max(1)) as isize,
                    Action::Top => isize::MIN / 2,
                    Action::Bottom => isize::MAX / 2,
                    _ => 0,
                };
                s.cursor = s.cursor.saturating_add_signed(delta).min(len - 1);
            }
            (_, ScopeMode::List) => {
                let n = s.list_len();
                let mut l = super::views::ListState {
                    cursor: s.list_pos(),
                    top: s.list_top,
                };
                move_list(&mut l, a, n, list_h.max(1) as isize);
                if let Some(i) = s.list_index(l.cursor) {
                    s.cursor = i;
                }
            }
        }
    }

    /// (cells per grid row, visible grid rows, visible list rows) of a scope view, or `None`
    /// when the scope is not loaded.
    fn scope_geometry(&self, ti: usize) -> Option<(usize, usize, usize)> {
        let Some(View::Scope(s)) = self.tabs.get(ti)?.stack.last() else {
            return None;
        };
        let v = s.data.as_ref()?;
        let body = self.body();
        let items = layout::legend_items(&v.counts);
        let legend_h = layout::legend_lines(&items, body.width).len() as u16;
        let (_, _, main) = layout::scope_split(body, legend_h);
        let inner = layout::inner(main);
        let geom = layout::GridGeom::new(inner.width, v.len());
        Some((geom.cols, inner.height as usize, layout::table_rows(main)))
    }

    /// Re-scrolls every view of the active tab so its cursor is visible.
    fn fix_scroll(&mut self) {
        let page = layout::table_rows(self.body());
        if self.active == 0 {
            let n = self.fleet.visible().len();
            let fleet_page = layout::table_rows(layout::fleet_split(self.body()).0);
            self.fleet.list.fix(n, fleet_page);
            return;
        }
        let ti = self.active - 1;
        let geom = self.scope_geometry(ti);
        let net_page = layout::table_rows(layout::network_split(self.body()).1);
        let Some(tab) = self.tabs.get_mut(ti) else {
            self.active = 0;
            return;
        };
        if let Some(data) = tab.data.clone() {
            let n = tab.tree.rows(&data.tree).len();
            tab.tree.list.fix(n, page);
            for v in &mut tab.stack {
                if let View::Network(ns) = v {
                    let n = ns.scopes(&data.tree).map_or(0, |s| s.len());
                    ns.list.fix(n, net_page);
                }
            }
        }
        if let (Some(View::Scope(s)), Some((cols, grid_h, list_h))) = (tab.stack.last_mut(), geom) {
            let len = s.data.as_ref().map_or(0, |v| v.len());
            s.cursor = s.cursor.min(len.saturating_sub(1));
            let rows = len.div_ceil(cols.max(1));
            let mut g = super::views::ListState {
                cursor: s.cursor / cols.max(1),
                top: s.grid_top,
            };
            g.fix(rows, grid_h);
            s.grid_top = g.top;
            let mut l = super::views::ListState {
                cursor: s.list_pos(),
                top: s.list_top,
            };
            l.fix(s.list_len(), list_h);
            s.list_top = l.top;
        }
    }

    // ----- requests -----

    fn ids(&mut self) -> (u64, u64) {
        self.next_id += 1;
        self.next_gen += 1;
        (self.next_id, self.next_gen)
    }

    fn open_server(&mut self, name: &str) -> Option<Request> {
        if let Some(i) = self.tabs.iter().position(|t| t.name == name) {
            self.active = i + 1;
            return None;
        }
        let (id, gen) = self.ids();
        self.tabs.push(ServerTab::new(name, gen));
        self.active = self.tabs.len();
        Some(Request {
            id,
            gen,
            target: Target::Server(name.to_string()),
            kind: RequestKind::LoadServer,
        })
    }

    fn open_scope(&mut self, ti: usize, def: ScopeDef) -> Option<Request> {
        let (id, gen) = self.ids();
        let tab = &mut self.tabs[ti];
        let mut s = ScopeState::new(def, gen);
        let req = if s.def.status == ScopeStatus::Missing {
            s.load = Load::Failed(format!(
                "scope {} is listed by a ddish network but is not a subnet on {} any more",
                s.cidr, tab.name
            ));
            None
        } else {
            Some(Request {
                id,
                gen,
                target: Target::Scope {
                    server: tab.name.clone(),
                    cidr: s.cidr,
                },
                kind: RequestKind::LoadScope(Box::new(s.def.clone())),
            })
        };
        tab.stack.push(View::Scope(Box::new(s)));
        req
    }

    fn check_fleet(&mut self, force: bool) -> Vec<Request> {
        let mut out = Vec::new();
        for i in 0..self.fleet.rows.len() {
            if self.fleet.rows[i].checking && !force {
                continue;
            }
            let (id, gen) = self.ids();
            let row = &mut self.fleet.rows[i];
            row.checking = true;
            row.gen = gen;
            out.push(Request {
                id,
                gen,
                target: Target::Fleet(row.name.clone()),
                kind: RequestKind::CheckServer,
            });
        }
        out
    }

    /// `r` (force) or the refresh timer: the Servers tab is always re-checked by the timer;
    /// the visible server view reloads (the timer skips one still loading, so a slow server
    /// is not restarted forever).
    fn refresh(&mut self, force: bool) -> Vec<Request> {
        let mut out = Vec::new();
        if !force || self.active == 0 {
            out = self.check_fleet(force);
        }
        let Some(ti) = self.active.checked_sub(1) else {
            return out;
        };
        let (id, gen) = self.ids();
        let Some(tab) = self.tabs.get_mut(ti) else {
            return out;
        };
        let latest = tab.data.clone();
        match tab.stack.last_mut() {
            Some(View::Scope(s)) => {
                if s.load == Load::Loading && !force {
                    return out;
                }
                if let Some(d) = latest
                    .as_ref()
                    .and_then(|d| d.tree.scopes.iter().find(|x| x.def.cidr == s.cidr).cloned())
                {
                    s.def = d.def;
                }
                if s.def.status == ScopeStatus::Missing {
                    return out;
                }
                s.load = Load::Loading;
                s.gen = gen;
                out.push(Request {
                    id,
                    gen,
                    target: Target::Scope {
                        server: tab.name.clone(),
                        cidr: s.cidr,
                    },
                    kind: RequestKind::LoadScope(Box::new(s.def.clone())),
                });
            }
            _ => {
                if tab.load == Load::Loading && !force {
                    return out;
                }
                tab.load = Load::Loading;
                tab.gen = gen;
                out.push(Request {
                    id,
                    gen,
                    target: Target::Server(tab.name.clone()),
                    kind: RequestKind::LoadServer,
                });
            }
        }
        out
    }

    fn export(&mut self) -> Option<Request> {
        let job = match self.export_job() {
            Ok(j) => j,
            Err(why) => {
                self.status = Some(Status {
                    text: why,
                    kind: StatusKind::Error,
                });
                return None;
            }
        };
        let (id, gen) = self.ids();
        self.export_id = Some(id);
        self.status = Some(Status {
            text: "exporting to CSV…".into(),
            kind: StatusKind::Busy,
        });
        Some(Request {
            id,
            gen,
            target: Target::Export,
            kind: RequestKind::Export(job),
        })
    }

    /// The rows of the current view, filter applied.
    fn export_job(&self) -> Result<ExportJob, String> {
        let Some(tab) = self.tab() else {
            let rows = self
                .fleet
                .visible()
                .into_iter()
                .map(|i| self.fleet.rows[i].health_or_unchecked())
                .collect();
            return Ok(ExportJob::Servers(rows));
        };
        let not_loaded = || format!("nothing to export: {} is not loaded yet", tab.name);
        match tab.stack.last() {
            Some(View::Scope(s)) => {
                let view = s.data.clone().ok_or_else(not_loaded)?;
                Ok(ExportJob::Ips {
                    server: tab.name.clone(),
                    view,
                    filter: s.filter.clone(),
                })
            }
            Some(View::Network(n)) => {
                let data = tab.data.as_ref().ok_or_else(not_loaded)?;
                let idx = n
                    .scopes(&data.tree)
                    .ok_or_else(|| format!("{} is no longer on {}", n.label, tab.name))?;
                Ok(ExportJob::Scopes {
                    server: tab.name.clone(),
                    data: data.clone(),
                    scopes: idx,
                    what: "network-scopes".into(),
                })
            }
            None => {
                let data = tab.data.as_ref().ok_or_else(not_loaded)?;
                let mut full = tab.tree.clone();
                full.collapsed.clear();
                let idx: Vec<usize> = full
                    .rows(&data.tree)
                    .iter()
                    .filter_map(|r| match r.node.kind {
                        NodeKind::Scope(i) => Some(i),
                        _ => None,
                    })
                    .collect();
                Ok(ExportJob::Scopes {
                    server: tab.name.clone(),
                    data: data.clone(),
                    scopes: idx,
                    what: "scopes".into(),
                })
            }
        }
    }

    // ----- responses -----

    fn on_response(&mut self, r: Response) {
        match (r.target, r.payload) {
            (Target::Fleet(name), Payload::Health(h)) => {
                match self.fleet.rows.iter_mut().find(|x| x.name == name) {
                    Some(row) if row.gen == r.gen => {
                        row.health = Some(*h);
                        row.checking = false;
                    }
                    _ => tracing::debug!(server = %name, gen = r.gen, "stale check dropped"),
                }
            }
            (Target::Server(name), Payload::Server(res)) => {
                let Some(tab) = self.tabs.iter_mut().find(|t| t.name == name) else {
                    return;
                };
                if tab.gen != r.gen {
                    tracing::debug!(server = %name, gen = r.gen, "stale server load dropped");
                    return;
                }
                match res {
                    Ok(data) => apply_server(tab, data, self.now),
                    Err(e) => tab.load = Load::Failed(e),
                }
            }
            (Target::Scope { server, .. }, Payload::Scope(res)) => {
                let now = self.now;
                let Some(s) = self
                    .tabs
                    .iter_mut()
                    .find(|t| t.name == server)
                    .and_then(|t| t.scope_by_gen(r.gen))
                else {
                    tracing::debug!(server = %server, gen = r.gen, "stale scope load dropped");
                    return;
                };
                match res {
                    Ok(v) => {
                        let first = s.data.is_none();
                        s.def = v.def.clone();
                        s.label = s.def.label();
                        s.data = Some(v);
                        s.load = Load::Loaded;
                        s.loaded_at = Some(now);
                        s.refilter();
                        if first {
                            s.cursor_to_range_start();
                        }
                    }
                    Err(e) => s.load = Load::Failed(e),
                }
            }
            (Target::Export, Payload::Exported(res)) => {
                if self.export_id != Some(r.id) {
                    // An older export finished after a newer one was asked for: still a
                    // file the user wants to know about.
                    tracing::info!(id = r.id, "earlier export finished");
                }
                self.status = Some(match res {
                    Ok(p) => Status {
                        text: format!("exported to {}", p.display()),
                        kind: StatusKind::Info,
                    },
                    Err(e) => Status {
                        text: format!("export failed: {e}"),
                        kind: StatusKind::Error,
                    },
                });
            }
            (t, _) => tracing::warn!(target = ?t, "response of the wrong kind dropped"),
        }
    }
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
    tab.data = Some(data);
    tab.load = Load::Loaded;
}

fn move_list(l: &mut super::views::ListState, a: Action, len: usize, page: isize) {
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
