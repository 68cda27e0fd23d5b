//! Console state and the pure `update`: messages in (keys, clock, worker results),
//! requests out. No I/O and no async here, so every flow is testable without a terminal.
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ipnet::Ipv4Net;
use ratatui::layout::Rect;

use crate::config::{Config, DnsConfig, Role};
use crate::model::{NodeKind, ScopeDef, ScopeStatus, ScopeView, Thresholds};
use crate::ops::bulk::{ServerOutcome, ServerPreview};
use crate::ops::PingResult;
use crate::ops::{ServerData, ServerHealth};

mod layout_flow;

use super::actions::{Command, Confirm, Done, Fail, HistoryRow, Modal, Pending, ServerClasses};
use super::form::Form;
use super::ip_actions::{self, IpStep};
use super::keymap::{self, Action, Context, Rights};
use super::layout;
use super::screen::{JobResult, Jump, Screen, ScreenJob, ScreenOut, ScreenTable};
use super::screens;
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
    /// A write in flight reached a step ("config-set on kea-2"); request id and step.
    Progress(u64, String),
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
    /// A change or probe started from a scope view; never cancelled (a write may be
    /// half-way).
    Action {
        server: String,
        cidr: Ipv4Net,
    },
    /// A change of the address space of a server (tree and network views); never
    /// cancelled.
    Layout {
        server: String,
    },
    /// A bulk change's preview or apply, a client class listing: many servers.
    Bulk,
    /// A job of a full-window screen (`screen` is its id); reads are cancelled by the
    /// next job with the same label, writes never.
    Screen {
        screen: u64,
        label: String,
        write: bool,
    },
}

impl Target {
    /// Requests sharing a key supersede each other: the worker aborts the older one.
    /// Exports are never cancelled (a file is being written).
    pub fn cancel_key(&self) -> Option<String> {
        match self {
            Target::Fleet(s) => Some(format!("fleet:{s}")),
            Target::Server(s) => Some(format!("server:{s}")),
            Target::Scope { server, .. } => Some(format!("scope:{server}")),
            Target::Screen {
                screen,
                label,
                write: false,
            } => Some(format!("screen:{screen}:{label}")),
            Target::Export
            | Target::Action { .. }
            | Target::Screen { .. }
            | Target::Layout { .. }
            | Target::Bulk => None,
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
    /// For a change: the configuration the view showed, what the change is made against.
    pub baseline: Option<crate::ops::Baseline>,
}

#[derive(Clone, Debug)]
pub enum RequestKind {
    CheckServer,
    /// The server's tree without lease counts, then `LoadStats` for its utilization.
    LoadServer,
    LoadStats,
    LoadScope(Box<ScopeDef>),
    /// The server's tree and then the scope with its fresh definition (after a change:
    /// reservations and pools live in the definition).
    ReloadScope(Ipv4Net),
    Export(ExportJob),
    Action(Command),
    Screen(ScreenJob),
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
    /// The table of a full-window screen.
    Table(ScreenTable),
    /// A network's claims outside every scope (from its claims popup).
    Claims {
        server: String,
        networks: Vec<crate::model::NetworkDef>,
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
    /// Each scope's lease counts for a loaded tree.
    Stats(Result<std::collections::HashMap<u32, crate::model::ScopeStats>, String>),
    Scope(Result<Arc<ScopeView>, String>),
    Exported(Result<PathBuf, String>),
    Reloaded(Result<(Arc<ServerData>, Arc<ScopeView>), String>),
    Action(Result<Done, Fail>),
    Ping {
        ip: Ipv4Addr,
        result: Result<PingResult, String>,
    },
    History {
        ip: Ipv4Addr,
        rows: Result<Vec<HistoryRow>, String>,
    },
    Screen(JobResult),
    /// A bulk change or class listing; `Err` when the whole job failed (timeout).
    Bulk(Result<BulkResult, String>),
}

/// What a many-server job brings back.
#[derive(Debug)]
pub enum BulkResult {
    Preview(Vec<ServerPreview>),
    Outcome(Vec<ServerOutcome>),
    Classes(Vec<ServerClasses>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Busy,
    /// Done, with warnings.
    Warn,
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
    pub rights: HashMap<String, Rights>,
    /// DNS zones for the record form.
    pub dns: DnsConfig,
    pub quit: bool,
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
            quit: false,
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
        for s in &config.servers {
            let r = match s.role {
                Role::Viewer => Rights::NONE,
                Role::Operator => Rights {
                    operator: true,
                    admin: false,
                },
                Role::Admin => Rights::ALL,
            };
            app.rights.insert(s.name.clone(), r);
        }
        app
    }

    /// What the user may do on `server` (role, and `--read-only` over all).
    pub fn rights_for(&self, server: &str) -> Rights {
        if self.read_only {
            return Rights::NONE;
        }
        self.rights.get(server).copied().unwrap_or(Rights::NONE)
    }

    /// The rights for what is on screen: the active server's; on the Servers tab, what
    /// any server allows (for the help).
    pub fn rights(&self) -> Rights {
        match self.tab() {
            Some(t) => self.rights_for(&t.name),
            None => self
                .fleet
                .rows
                .iter()
                .fold(Rights::NONE, |r, row| r.union(self.rights_for(&row.name))),
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
            Action::Refresh => return self.refresh(true),
            Action::Export => return self.export().into_iter().collect(),
            other => return self.navigate(other),
        }
        Vec::new()
    }

    // ----- IP and scope actions -----

    /// The active tab's index when its top view is a scope.
    fn scope_tab(&self) -> Option<usize> {
        let ti = self.active.checked_sub(1)?;
        matches!(self.tabs.get(ti)?.stack.last(), Some(View::Scope(_))).then_some(ti)
    }

    fn scope_mut(&mut self, ti: usize) -> Option<&mut ScopeState> {
        match self.tabs.get_mut(ti)?.stack.last_mut() {
            Some(View::Scope(s)) => Some(&mut **s),
            _ => None,
        }
    }

    /// A change to `server` went through: its tab's view is no longer the baseline.
    fn wrote_to<T, E>(&mut self, server: &str, res: &Result<T, E>) {
        if res.is_ok() {
            let now = self.now;
            if let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) {
                t.wrote_at = Some(now);
            }
        }
    }

    /// A warning on the status line (what the console found at start).
    /// q: quits, unless a change is being written; then it asks first (a second q quits,
    /// and the console still finishes the change before the process exits).
    fn request_quit(&mut self) {
        let busy = self
            .status
            .as_ref()
            .is_some_and(|s| s.kind == StatusKind::Busy);
        if busy && !self.quit_asked {
            self.quit_asked = true;
            let what = self
                .status
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            self.warn(format!(
                "a change is being written ({what}): press q again to quit; ddish finishes \
                 it before it exits"
            ));
            return;
        }
        self.quit = true;
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.set_status(StatusKind::Warn, text);
    }

    fn show_progress(&mut self) {
        if let Some((step, since)) = &self.progress {
            let text = format!("{step}, {} s", (self.now - since).max(0));
            if let Some(s) = self.status.as_mut().filter(|s| s.kind == StatusKind::Busy) {
                s.text = text;
            }
        }
    }

    fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.progress = None;
        if kind == StatusKind::Busy {
            // A new change: q asks again.
            self.quit_asked = false;
        }
        self.status = Some(Status {
            text: text.into(),
            kind,
        });
    }

    /// Keys a form takes as text (the bound ones, Tab, Enter..., went through `act`).
    fn type_in_form(&mut self, k: KeyEvent) {
        let f = if let Some(Modal::Form(f)) = self.layer.last_mut() {
            f
        } else {
            let Some(ti) = self.scope_tab() else { return };
            let Some(Modal::Form(f)) = self.scope_mut(ti).and_then(|s| s.modals.last_mut()) else {
                return;
            };
            f
        };
        match k.code {
            KeyCode::Backspace => f.backspace(),
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                f.type_char(c)
            }
            _ => {}
        }
    }

    /// An action key in a scope view, the IP popup or the action menu.
    fn ip_action(&mut self, ti: usize, a: Action) -> Vec<Request> {
        let rights = self.rights_for(&self.tabs[ti].name);
        let dns = self.dns.clone();
        let Some(s) = self.scope_mut(ti) else {
            return Vec::new();
        };
        let Some(v) = s.data.clone() else {
            let msg = format!("{} is not loaded yet: wait for it, or r to retry", s.cidr);
            self.set_status(StatusKind::Error, msg);
            return Vec::new();
        };
        let writes = !matches!(
            a,
            Action::Actions | Action::Ping | Action::History | Action::Exclusions
        );
        if let (true, Some(p)) = (writes, &s.pending) {
            let msg = format!("still {}: wait for the answer", p.job.doing());
            self.set_status(StatusKind::Busy, msg);
            return Vec::new();
        }
        let ip = v.ip_at(s.cursor);
        let job = match ip_actions::step(a, &v, ip, rights, &dns) {
            IpStep::Run(job) => job,
            IpStep::Open(m) => {
                s.modals.push(m);
                return Vec::new();
            }
            IpStep::OpenAndRun(m, job) => {
                s.modals.push(m);
                job
            }
            IpStep::Refuse(why) => {
                self.set_status(StatusKind::Error, why);
                return Vec::new();
            }
        };
        self.send_job(ti, job).into_iter().collect()
    }

    /// Sends a job for the scope on tab `ti`; a change is remembered as pending.
    fn send_job(&mut self, ti: usize, job: Command) -> Option<Request> {
        let (id, gen) = self.ids();
        let server = self.tabs[ti].name.clone();
        // What the user acted on: the configuration the tab shows.
        let baseline = self.tabs[ti].baseline();
        let s = self.scope_mut(ti)?;
        let cidr = s.cidr;
        if !job.is_read() {
            s.pending = Some(Pending {
                id,
                job: job.clone(),
            });
            let msg = format!("{} on {server}…", job.doing());
            self.set_status(StatusKind::Busy, msg);
        }
        Some(Request {
            id,
            gen,
            target: Target::Action { server, cidr },
            kind: RequestKind::Action(job),
            baseline,
        })
    }

    /// A key while popups are open over the scope view: the top one takes it.
    fn modal_action(&mut self, ti: usize, a: Action) -> Vec<Request> {
        let Some(s) = self.scope_mut(ti) else {
            return Vec::new();
        };
        let excl_len = s
            .data
            .as_ref()
            .map_or(0, |v| v.def.exclusions().ranges().len());
        let view = s.data.clone();
        let busy = s.pending.as_ref().map(|p| p.job.doing());
        let Some(top) = s.modals.last_mut() else {
            return Vec::new();
        };
        match top {
            Modal::Menu(m) => match a {
                Action::Up => m.cursor = m.cursor.saturating_sub(1),
                Action::Down => m.cursor = (m.cursor + 1).min(m.items.len().saturating_sub(1)),
                Action::Back => {
                    s.modals.pop();
                }
                Action::Open => {
                    let item = m.items.get(m.cursor).copied();
                    s.modals.pop();
                    if let Some(item) = item {
                        return self.ip_action(ti, item);
                    }
                }
                Action::Actions => {}
                other if ip_actions::is_ip_action(other) => {
                    s.modals.pop();
                    return self.ip_action(ti, other);
                }
                _ => {}
            },
            Modal::Form(f) => match a {
                Action::NextField => f.next_field(),
                Action::PrevField => f.prev_field(),
                Action::Left => f.cycle(false),
                Action::Right => f.cycle(true),
                Action::Back => {
                    s.modals.pop();
                }
                Action::Open => {
                    if let Some(doing) = busy {
                        self.set_status(
                            StatusKind::Busy,
                            format!("still {doing}: wait for the answer"),
                        );
                        return Vec::new();
                    }
                    let Some(job) = f.submit() else {
                        return Vec::new();
                    };
                    if let Command::DnsDelete {
                        ip,
                        zone,
                        hostname,
                        ptr,
                    } = &job
                    {
                        let text = format!(
                            "Delete {hostname}.{zone} → {ip}{} from DNS?",
                            if *ptr { " and its PTR" } else { "" }
                        );
                        s.modals.push(Modal::Confirm(Confirm {
                            title: "Delete DNS records".into(),
                            text,
                            job,
                        }));
                        return Vec::new();
                    }
                    return self.send_job(ti, job).into_iter().collect();
                }
                _ => {}
            },
            Modal::Confirm(_) => match a {
                Action::Yes => {
                    let Some(Modal::Confirm(c)) = s.modals.pop() else {
                        return Vec::new();
                    };
                    return self.send_job(ti, c.job).into_iter().collect();
                }
                Action::No => {
                    s.modals.pop();
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                _ => {}
            },
            Modal::Ping { .. } => {
                if a == Action::Back {
                    s.modals.pop();
                }
            }
            Modal::History { scroll, .. } | Modal::Message { scroll, .. } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::Back => {
                    s.modals.pop();
                }
                _ => {}
            },
            Modal::Exclusions { cursor } => match a {
                Action::Up => *cursor = cursor.saturating_sub(1),
                Action::Down => *cursor = (*cursor + 1).min(excl_len.saturating_sub(1)),
                Action::Back => {
                    s.modals.pop();
                }
                Action::Add | Action::Edit | Action::Delete => {
                    let Some(v) = view else { return Vec::new() };
                    let sel = v.def.exclusions().ranges().get(*cursor).copied();
                    match (a, sel) {
                        (Action::Add, _) => s
                            .modals
                            .push(Modal::Form(Box::new(Form::exclusion(&v, None)))),
                        (Action::Edit, Some(r)) => s
                            .modals
                            .push(Modal::Form(Box::new(Form::exclusion(&v, Some(r))))),
                        (Action::Delete, Some(r)) => {
                            if let Some(doing) = busy {
                                self.set_status(
                                    StatusKind::Busy,
                                    format!("still {doing}: wait for the answer"),
                                );
                                return Vec::new();
                            }
                            s.modals.push(Modal::Confirm(Confirm {
                                title: "Remove exclusion".into(),
                                text: format!(
                                    "Remove the exclusion {r} ({} address{})? The addresses go back into the pools and DHCP may hand them out.",
                                    r.len(),
                                    if r.len() == 1 { "" } else { "es" }
                                ),
                                job: Command::Unexclude {
                                    scope: Box::new(v.def.clone()),
                                    range: r,
                                },
                            }))
                        }
                        _ => {
                            self.set_status(StatusKind::Error, "no exclusion selected: a adds one")
                        }
                    }
                }
                _ => {}
            },
            // The console-level popups live in `layer`, never over a scope.
            Modal::Choose(_)
            | Modal::Preview { .. }
            | Modal::ScopesPreview { .. }
            | Modal::Outcome { .. }
            | Modal::Classes { .. }
            | Modal::ClaimList { .. } => {
                if a == Action::Back {
                    s.modals.pop();
                }
            }
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

    // ----- full-window screens -----

    /// Opens a screen by its keymap action; a screen that needs a server tab gets the
    /// active one.
    fn open_screen(&mut self, which: keymap::ScreenKey) -> Vec<Request> {
        match screens::open(which, self) {
            Ok(screen) => self.push_screen(screen),
            Err(why) => {
                self.set_status(StatusKind::Error, why);
                Vec::new()
            }
        }
    }

    /// Opens `screen` on top and starts it (screens open from keys; tests open their own).
    pub fn push_screen(&mut self, screen: Box<dyn Screen>) -> Vec<Request> {
        let (id, _) = self.ids();
        self.screens.push(ScreenSlot { id, screen });
        self.with_screen(|s, app| s.start(app))
    }

    /// Runs `f` on the top screen with the rest of the console readable, then carries out
    /// what it asked for.
    fn with_screen(&mut self, f: impl FnOnce(&mut dyn Screen, &App) -> ScreenOut) -> Vec<Request> {
        let Some(mut slot) = self.screens.pop() else {
            return Vec::new();
        };
        let out = f(slot.screen.as_mut(), self);
        let id = slot.id;
        self.screens.push(slot);
        self.apply_screen_out(id, out)
    }

    fn apply_screen_out(&mut self, id: u64, out: ScreenOut) -> Vec<Request> {
        let mut reqs: Vec<Request> = out
            .jobs
            .into_iter()
            .map(|job| {
                let (rid, gen) = self.ids();
                Request {
                    id: rid,
                    gen,
                    target: Target::Screen {
                        screen: id,
                        label: job.label.clone(),
                        write: job.write,
                    },
                    kind: RequestKind::Screen(job),
                    baseline: None,
                }
            })
            .collect();
        if let Some(st) = out.status {
            self.status = Some(st);
        }
        if out.close {
            self.screens.retain(|s| s.id != id);
            // Back on a server tab: it was not refreshed while covered.
            if self.screens.is_empty()
                && self.active > 0
                && out.jump.is_none()
                && out.open.is_none()
            {
                reqs.extend(self.refresh(true));
            }
        }
        if let Some(next) = out.open {
            reqs.extend(self.push_screen(next));
        }
        if let Some(j) = out.jump {
            self.screens.clear();
            reqs.extend(self.jump(j));
        }
        reqs
    }

    fn screen_key(&mut self, k: KeyEvent) -> Vec<Request> {
        let typing = self.screens.last().is_some_and(|s| s.screen.typing());
        let Some(mut slot) = self.screens.pop() else {
            return Vec::new();
        };
        let mut out = slot.screen.on_key(k, self);
        let id = slot.id;
        self.screens.push(slot);
        if out.ignored && !typing {
            out.ignored = false;
            match k.code {
                KeyCode::Esc => out.close = true,
                _ => {
                    // The console's own keys: quit, help, tabs, export, refresh.
                    let ctx = [Context::Global];
                    match keymap::lookup(&ctx, &k, self.rights()) {
                        Some(Action::Quit) => self.request_quit(),
                        Some(Action::Help) => self.help = Some(0),
                        Some(Action::Refresh) => {
                            let mut r = self.apply_screen_out(id, out);
                            r.extend(self.refresh(true));
                            return r;
                        }
                        Some(Action::Export) => {
                            let mut r = self.apply_screen_out(id, out);
                            r.extend(self.export());
                            return r;
                        }
                        Some(Action::OpenScreen(which)) => {
                            // Another screen's key switches to it (W inside E).
                            let mut r = self.apply_screen_out(id, out);
                            match screens::open(which, self) {
                                Ok(next) => {
                                    self.screens.clear();
                                    r.extend(self.push_screen(next));
                                }
                                // The screen in view stays; the reason shows below it.
                                Err(why) => self.set_status(StatusKind::Error, why),
                            }
                            return r;
                        }
                        Some(a @ (Action::NextTab | Action::PrevTab | Action::GoTab(_))) => {
                            // Leaving the screen for a tab closes it.
                            self.screens.clear();
                            return self.act(a);
                        }
                        _ => {}
                    }
                }
            }
        }
        self.apply_screen_out(id, out)
    }

    /// Goes to a server tab, and to a scope and address in it once the server is loaded.
    fn jump(&mut self, j: Jump) -> Vec<Request> {
        let (server, target) = match j {
            Jump::Server(s) => (s, None),
            Jump::Scope { server, cidr, ip } => (server, Some((cidr, ip))),
        };
        if !self.fleet.rows.iter().any(|r| r.name == server) {
            self.set_status(
                StatusKind::Error,
                format!("no server named {server} in the config"),
            );
            return Vec::new();
        }
        let mut out: Vec<Request> = self.open_server(&server).into_iter().collect();
        if let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) {
            tab.stack.clear();
            tab.jump = target;
        }
        out.extend(self.finish_jump(&server));
        out
    }

    /// Opens the scope a jump asked for once its server's tree is there.
    fn finish_jump(&mut self, server: &str) -> Vec<Request> {
        let Some(ti) = self.tabs.iter().position(|t| t.name == server) else {
            return Vec::new();
        };
        let tab = &mut self.tabs[ti];
        let (Some(data), Some((cidr, ip))) = (tab.data.clone(), tab.jump) else {
            return Vec::new();
        };
        tab.jump = None;
        let Some(def) = data
            .tree
            .scopes
            .iter()
            .find(|s| s.def.cidr == cidr)
            .map(|s| s.def.clone())
        else {
            self.set_status(
                StatusKind::Error,
                format!("scope {cidr} is not on {server} (any more)"),
            );
            return Vec::new();
        };
        let req = self.open_scope(ti, def);
        if let Some(View::Scope(s)) = self.tabs[ti].stack.last_mut() {
            s.jump_ip = ip;
        }
        req.into_iter().collect()
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
            baseline: None,
        })
    }

    fn open_scope(&mut self, ti: usize, def: ScopeDef) -> Option<Request> {
        let (id, gen) = self.ids();
        let tab = &mut self.tabs[ti];
        let mut s = ScopeState::new(def, gen);
        let req = if s.def.status == ScopeStatus::Missing {
            s.load = Load::Failed(format!(
                "scope {} is listed by a ddish network but is not a subnet on {} any more: \
                 Esc, then a on it re-creates or forgets it",
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
                baseline: None,
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
                baseline: None,
            });
        }
        out
    }

    /// `r` (force) or the refresh timer: the Servers tab is always re-checked by the timer;
    /// the visible server view reloads (the timer skips one still loading, so a slow server
    /// is not restarted forever).
    fn refresh(&mut self, force: bool) -> Vec<Request> {
        if !self.screens.is_empty() {
            // The screen on top reloads what it shows; the fleet is still watched.
            let mut out = self.with_screen(|s, app| s.on_refresh(force, app));
            if !force {
                out.extend(self.check_fleet(false));
            }
            return out;
        }
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
                // With the tree: reservations and pools live in the definition, which
                // another admin may have changed.
                out.push(Request {
                    id,
                    gen,
                    target: Target::Scope {
                        server: tab.name.clone(),
                        cidr: s.cidr,
                    },
                    kind: RequestKind::ReloadScope(s.cidr),
                    baseline: None,
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
                    baseline: None,
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
            baseline: None,
        })
    }

    /// The rows of the current view, filter applied.
    fn export_job(&self) -> Result<ExportJob, String> {
        if let Some(top) = self.screens.last() {
            return top
                .screen
                .export()
                .map(ExportJob::Table)
                .ok_or_else(|| format!("nothing to export on {}", top.screen.title()));
        }
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

    fn on_response(&mut self, r: Response) -> Vec<Request> {
        match (r.target, r.payload) {
            (Target::Screen { screen, label, .. }, Payload::Screen(res)) => {
                if self.screens.last().is_some_and(|s| s.id == screen) {
                    return self.with_screen(|s, app| s.on_result(&label, res, app));
                }
                tracing::debug!(screen, label = %label, "result for a closed screen dropped");
            }
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
                self.next_id += 1;
                let stats_id = self.next_id;
                let Some(tab) = self.tabs.iter_mut().find(|t| t.name == name) else {
                    return Vec::new();
                };
                if tab.gen != r.gen {
                    tracing::debug!(server = %name, gen = r.gen, "stale server load dropped");
                    return Vec::new();
                }
                // The tree comes first; its utilization follows (`LoadStats`).
                let stats = match &res {
                    Ok(data) if data.has_command("stat-lease4-get") => Some(Request {
                        id: stats_id,
                        gen: r.gen,
                        target: Target::Server(name.clone()),
                        kind: RequestKind::LoadStats,
                        baseline: None,
                    }),
                    _ => None,
                };
                let mut unreadable = None;
                match res {
                    Ok(data) => {
                        // Said once per change, not at every poll.
                        let before = tab.data.as_ref().map(|d| d.skipped.clone());
                        if before.as_ref() != Some(&data.skipped) {
                            unreadable = data.skipped_note();
                        }
                        apply_server(tab, data, self.now)
                    }
                    Err(e) => tab.load = Load::Failed(e),
                }
                if let Some(note) = unreadable {
                    self.warn(note);
                }
                let mut out = self.finish_jump(&name);
                out.extend(stats);
                return out;
            }
            (Target::Server(name), Payload::Stats(res)) => {
                let now = self.now;
                let Some(tab) = self.tabs.iter_mut().find(|t| t.name == name) else {
                    return Vec::new();
                };
                let failed = match (&tab.data, res) {
                    (Some(data), Ok(stats)) if tab.gen == r.gen => {
                        let data = Arc::new(data.with_stats(&stats));
                        apply_server(tab, data, now);
                        None
                    }
                    (_, Err(e)) if tab.gen == r.gen => Some(e),
                    _ => {
                        tracing::debug!(server = %name, gen = r.gen, "stale stats dropped");
                        None
                    }
                };
                if let Some(e) = failed {
                    self.set_status(
                        StatusKind::Error,
                        format!("{name}: lease counts not read ({e}); utilization unknown"),
                    );
                }
                return Vec::new();
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
                    return Vec::new();
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
                            if let Some(ip) = s.jump_ip.take() {
                                let net = u32::from(s.cidr.network());
                                let at = u32::from(ip).wrapping_sub(net) as usize;
                                if at < v_len(s) {
                                    s.cursor = at;
                                    s.popup = true;
                                }
                            }
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
            (Target::Scope { server, .. }, Payload::Reloaded(res)) => {
                self.on_reloaded(&server, r.gen, res)
            }
            (Target::Action { server, cidr }, Payload::Action(res)) => {
                self.wrote_to(&server, &res);
                return self.on_action_done(&server, cidr, r.id, res);
            }
            (Target::Layout { server }, Payload::Action(res)) => {
                self.wrote_to(&server, &res);
                return self.on_layout_done(&server, r.id, res);
            }
            (Target::Bulk | Target::Layout { .. }, Payload::Bulk(res)) => {
                return self.on_bulk(r.id, res);
            }
            (Target::Action { server, cidr }, Payload::Ping { ip, result }) => {
                let modal = self
                    .tabs
                    .iter_mut()
                    .find(|t| t.name == server)
                    .and_then(|t| t.scope_by_cidr(cidr))
                    .and_then(|s| {
                        s.modals.iter_mut().rev().find_map(|m| match m {
                            Modal::Ping { ip: i, result } if *i == ip => Some(result),
                            _ => None,
                        })
                    });
                match modal {
                    Some(slot) => *slot = Some(result),
                    None => tracing::debug!(%ip, "ping answer for a closed popup dropped"),
                }
            }
            (Target::Action { server, cidr }, Payload::History { ip, rows }) => {
                let modal = self
                    .tabs
                    .iter_mut()
                    .find(|t| t.name == server)
                    .and_then(|t| t.scope_by_cidr(cidr))
                    .and_then(|s| {
                        s.modals.iter_mut().rev().find_map(|m| match m {
                            Modal::History { ip: i, rows, .. } if *i == ip => Some(rows),
                            _ => None,
                        })
                    });
                if let Some(slot) = modal {
                    *slot = Some(rows);
                }
            }
            (t, _) => tracing::warn!(target = ?t, "response of the wrong kind dropped"),
        }
        Vec::new()
    }

    /// A fresh tree and scope after a change.
    fn on_reloaded(
        &mut self,
        server: &str,
        gen: u64,
        res: Result<(Arc<ServerData>, Arc<ScopeView>), String>,
    ) {
        let now = self.now;
        let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return;
        };
        if tab.scope_by_gen(gen).is_none() {
            tracing::debug!(server = %server, gen, "stale scope reload dropped");
            return;
        }
        match res {
            Ok((data, view)) => {
                // A tree load of its own still running will bring its own answer.
                if tab.load != Load::Loading {
                    apply_server(tab, data, now);
                }
                let Some(s) = tab.scope_by_gen(gen) else {
                    return;
                };
                s.def = view.def.clone();
                s.label = s.def.label();
                s.data = Some(view);
                s.load = Load::Loaded;
                s.loaded_at = Some(now);
                s.refilter();
            }
            Err(e) => {
                if let Some(s) = tab.scope_by_gen(gen) {
                    s.load = Load::Failed(e);
                }
            }
        }
    }

    /// The answer to a change: status, popups, and a reload of the scope.
    fn on_action_done(
        &mut self,
        server: &str,
        cidr: Ipv4Net,
        id: u64,
        res: Result<Done, Fail>,
    ) -> Vec<Request> {
        let (rid, rgen) = self.ids();
        let now = self.now;
        let mut status = None;
        let mut out = Vec::new();
        let tab = self.tabs.iter_mut().find(|t| t.name == server);
        let tab_name = tab.as_ref().map(|t| t.name.clone());
        let scope = tab.and_then(|t| t.scope_by_cidr(cidr));
        let Some(s) = scope else {
            // The view was closed meanwhile: the outcome still goes to the status line.
            match res {
                Ok(d) => self.set_status(StatusKind::Info, d.summary),
                Err(Fail::NeedsConfirmation(m)) | Err(Fail::Failed(m)) => {
                    self.set_status(StatusKind::Error, m)
                }
            }
            return out;
        };
        let job = match s.pending.take() {
            Some(p) if p.id == id => Some(p.job),
            other => {
                s.pending = other;
                None
            }
        };
        match res {
            Ok(done) => {
                // Forms, questions and the menu have done their job; panels stay.
                s.modals.retain(|m| {
                    matches!(
                        m,
                        Modal::Exclusions { .. } | Modal::Ping { .. } | Modal::History { .. }
                    )
                });
                let kind = if done.warnings.is_empty() {
                    StatusKind::Info
                } else {
                    let mut text = done.summary.clone();
                    for w in &done.warnings {
                        text.push_str("\n⚠ ");
                        text.push_str(w);
                    }
                    s.modals.push(Modal::Message {
                        title: "Done, with warnings".into(),
                        text,
                        error: false,
                        scroll: 0,
                    });
                    StatusKind::Warn
                };
                let mut line = done.summary.clone();
                for w in &done.warnings {
                    line.push_str(" · ⚠ ");
                    line.push_str(w);
                }
                status = Some((kind, line));
                // A lease change brings the scope as it is now: shown at once. Anything
                // else reloads it.
                let fresh = done.view.clone().filter(|v| v.def.cidr == s.cidr);
                // A new generation either way: an older reload in flight is stale now.
                s.gen = rgen;
                if let Some(view) = &fresh {
                    s.def = view.def.clone();
                    s.label = s.def.label();
                    s.data = Some(view.clone());
                    s.load = Load::Loaded;
                    s.loaded_at = Some(now);
                    s.refilter();
                }
                if let (Some(ip), Some(v)) = (done.ip, &s.data) {
                    if let Some(i) = v.index_of(ip) {
                        s.cursor = i;
                    }
                }
                if fresh.is_some() {
                    // Nothing to reload.
                } else if let Some(server) = tab_name {
                    s.load = Load::Loading;
                    out.push(Request {
                        id: rid,
                        gen: rgen,
                        target: Target::Scope {
                            server,
                            cidr: s.cidr,
                        },
                        kind: RequestKind::ReloadScope(s.cidr),
                        baseline: None,
                    });
                }
            }
            Err(Fail::NeedsConfirmation(msg)) => match job {
                Some(job) => s.modals.push(Modal::Confirm(Confirm {
                    title: "Are you sure?".into(),
                    text: msg,
                    job: job.confirmed(),
                })),
                None => status = Some((StatusKind::Error, msg)),
            },
            Err(Fail::Failed(msg)) => {
                let what = job
                    .as_ref()
                    .map(|j| j.doing())
                    .unwrap_or_else(|| "the change".into());
                status = Some((StatusKind::Error, format!("{what} failed: {msg}")));
                match s.modals.last_mut() {
                    // The form stays open with its values, the reason in it.
                    Some(Modal::Form(f)) => f.error = Some(msg),
                    _ => s.modals.push(Modal::Message {
                        title: format!("{} failed", capitalize(&what)),
                        text: msg,
                        error: true,
                        scroll: 0,
                    }),
                }
            }
        }
        if let Some((k, t)) = status {
            self.set_status(k, t);
        }
        out
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
