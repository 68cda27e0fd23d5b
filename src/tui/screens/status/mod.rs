//! The service status screen (`W`): every DHCP server's state in words, version, uptime,
//! HA state, scopes, utilization and last good refresh, and every DNS server answering or
//! not; in nested groups by config fields or tags, with a filter. Servers are refreshed in
//! the background a bounded number at a time, failing ones less often (see `kit::Poller`).
pub(super) mod kit;
mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::config::Config;
use crate::ops::fleet::{self, DnsStatus, ServerFilter, ServiceStatus};
use crate::ops::Command;
use crate::tui::app::{Status, StatusKind};
use crate::tui::keymap::{Action, Context, ScreenKey};
use crate::tui::screen::{JobResult, Jump, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::views::ListState;

use kit::{Input, InputEvent, Poller};

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(StatusScreen::new(app)))
}

/// A configured DHCP server as the screen knows it before and after its refreshes.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub name: String,
    pub url: String,
    pub tags: Vec<String>,
    pub fields: BTreeMap<String, String>,
    pub status: Option<ServiceStatus>,
}

/// One line of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A group heading: its path (`["eu", "paris"]`), shown at `path.len() - 1` depth.
    Group(Vec<String>),
    Dhcp(usize),
    DnsHeading,
    Dns(usize),
}

#[derive(Debug)]
pub struct StatusScreen {
    pub(crate) servers: Vec<Server>,
    pub(crate) poll: Poller,
    /// DNS servers in config order (name, address) and their last check.
    pub(crate) dns_names: Vec<(String, String)>,
    pub(crate) dns: HashMap<String, DnsStatus>,
    pub(crate) dns_busy: bool,
    pub(crate) dns_error: Option<String>,
    /// Ways to group, cycled with `o`: none, each field, all fields nested, tags.
    pub(crate) groupings: Vec<Vec<String>>,
    pub(crate) grouping: usize,
    pub(crate) collapsed: HashSet<Vec<String>>,
    pub(crate) marked: BTreeSet<String>,
    pub(crate) filter: Input,
    pub(crate) list: ListState,
}

impl StatusScreen {
    fn new(app: &ScreenCtx) -> StatusScreen {
        let servers: Vec<Server> = app
            .fleet
            .rows
            .iter()
            .map(|r| Server {
                name: r.name.clone(),
                url: r.url.clone(),
                tags: Vec::new(),
                fields: BTreeMap::new(),
                status: None,
            })
            .collect();
        let names = servers.iter().map(|s| s.name.clone()).collect();
        StatusScreen {
            servers,
            poll: Poller::new("status", names, kit::DEFAULT_INTERVAL),
            dns_names: app
                .dns
                .servers
                .iter()
                .map(|s| (s.name.clone(), s.addr.to_string()))
                .collect(),
            dns: HashMap::new(),
            dns_busy: false,
            dns_error: None,
            groupings: vec![Vec::new()],
            grouping: 0,
            collapsed: HashSet::new(),
            marked: BTreeSet::new(),
            filter: Input::default(),
            list: ListState::default(),
        }
    }

    /// The grouping choices from the fields and tags the servers have.
    fn set_groupings(&mut self) {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        let mut tags = false;
        for s in &self.servers {
            keys.extend(s.fields.keys().cloned());
            tags |= !s.tags.is_empty();
        }
        let keys: Vec<String> = keys.into_iter().collect();
        let mut g = vec![Vec::new()];
        g.extend(keys.iter().map(|k| vec![k.clone()]));
        if keys.len() > 1 {
            g.push(keys.clone());
        }
        if tags {
            g.push(vec!["tag".to_string()]);
        }
        let current = self
            .groupings
            .get(self.grouping)
            .cloned()
            .unwrap_or_default();
        self.grouping = g.iter().position(|x| *x == current).unwrap_or(0);
        self.groupings = g;
    }

    pub(crate) fn keys(&self) -> &[String] {
        self.groupings
            .get(self.grouping)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// The grouping in words: `region › site`.
    pub(crate) fn grouping_label(&self) -> String {
        let k = self.keys();
        if k.is_empty() {
            "none".into()
        } else {
            k.join(" › ")
        }
    }

    fn config_loaded(&mut self, cfg: Config) {
        for s in &mut self.servers {
            if let Some(c) = cfg.server(&s.name) {
                s.tags = c.tags.clone();
                s.fields = c.fields.clone();
                s.url = c.url.clone();
            }
        }
        self.dns_names = cfg
            .dns
            .servers
            .iter()
            .map(|s| (s.name.clone(), s.addr.to_string()))
            .collect();
        let mut rows: Vec<ServiceStatus> = self
            .servers
            .iter()
            .filter_map(|s| s.status.clone())
            .collect();
        self.poll
            .set_interval(cfg.settings.refresh_interval, &mut rows);
        self.set_groupings();
    }

    fn take_rows(&mut self, rows: Vec<ServiceStatus>) {
        for r in rows {
            if let Some(s) = self.servers.iter_mut().find(|s| s.name == r.name) {
                if !r.url.is_empty() {
                    s.url = r.url.clone();
                }
                if !r.fields.is_empty() || !r.tags.is_empty() {
                    s.tags = r.tags.clone();
                    s.fields = r.fields.clone();
                }
                s.status = Some(r);
            }
        }
    }

    /// Whether the filter lets a DHCP server through: every word must match, `key=value`
    /// words against the fields or tags, others anywhere in the name, URL, state, version
    /// or HA state.
    pub(crate) fn passes(&self, s: &Server) -> bool {
        self.filter.text.split_whitespace().all(|w| {
            if w.contains('=') {
                if let Ok(f) = ServerFilter::parse(w) {
                    return f.matches(&s.tags, &s.fields);
                }
            }
            let w = w.to_lowercase();
            let st = s.status.as_ref();
            [
                Some(s.name.as_str()),
                Some(s.url.as_str()),
                st.map(|x| x.state.label()),
                st.and_then(|x| x.version.as_deref()),
                st.and_then(|x| x.ha_state.as_deref()),
            ]
            .into_iter()
            .flatten()
            .any(|f| f.to_lowercase().contains(&w))
        })
    }

    fn dns_passes(&self, name: &str, addr: &str) -> bool {
        self.filter.text.split_whitespace().all(|w| {
            // A field filter is about DHCP servers: DNS servers have no fields.
            if w.contains('=') && ServerFilter::parse(w).is_ok() {
                return false;
            }
            let w = w.to_lowercase();
            name.to_lowercase().contains(&w) || addr.contains(&w)
        })
    }

    pub(crate) fn group_of(&self, s: &Server) -> Vec<String> {
        fleet::group_path(self.keys(), &s.tags, &s.fields)
    }

    /// The lines of the list: groups (nested, sorted), their servers in config order, then
    /// the DNS servers.
    pub(crate) fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (i, s) in self.servers.iter().enumerate() {
            if self.passes(s) {
                groups.entry(self.group_of(s)).or_default().push(i);
            }
        }
        let mut last: Vec<String> = Vec::new();
        for (path, idx) in groups {
            // A heading for every level that changes.
            for depth in 0..path.len() {
                if last.get(..=depth) != path.get(..=depth) {
                    let p = path[..=depth].to_vec();
                    if !self.hidden(&p[..depth]) {
                        out.push(Item::Group(p));
                    }
                }
            }
            last = path.clone();
            if !self.hidden(&path) {
                out.extend(idx.into_iter().map(Item::Dhcp));
            }
        }
        let dns: Vec<usize> = (0..self.dns_names.len())
            .filter(|i| {
                let (n, a) = &self.dns_names[*i];
                self.dns_passes(n, a)
            })
            .collect();
        if !dns.is_empty() {
            out.push(Item::DnsHeading);
            out.extend(dns.into_iter().map(Item::Dns));
        }
        out
    }

    /// Whether a group or one of its parents is collapsed.
    fn hidden(&self, path: &[String]) -> bool {
        (1..=path.len()).any(|n| self.collapsed.contains(&path[..n]))
    }

    /// Servers under a group heading (filter applied).
    fn in_group(&self, path: &[String]) -> Vec<String> {
        self.servers
            .iter()
            .filter(|s| self.passes(s) && self.group_of(s).starts_with(path))
            .map(|s| s.name.clone())
            .collect()
    }

    fn dns_job(&mut self) -> Option<ScreenJob> {
        if self.dns_busy || self.dns_names.is_empty() {
            return None;
        }
        self.dns_busy = true;
        Some(ScreenJob::new("dns", Command::DnsStatus))
    }

    fn refresh_jobs(&mut self, now: i64) -> Vec<ScreenJob> {
        let mut jobs = self.poll.pump(now);
        jobs.extend(self.dns_job());
        jobs
    }

    /// `u`: the marked servers, else those of the selected group, else the selected one.
    fn retrieve_selected(&mut self, app: &ScreenCtx) -> ScreenOut {
        let names: Vec<String> = if !self.marked.is_empty() {
            self.marked.iter().cloned().collect()
        } else {
            match self.items().get(self.list.cursor) {
                Some(Item::Dhcp(i)) => vec![self.servers[*i].name.clone()],
                Some(Item::Group(p)) => self.in_group(p),
                Some(Item::DnsHeading) | Some(Item::Dns(_)) => {
                    let jobs = self.dns_job().into_iter().collect();
                    return ScreenOut {
                        jobs,
                        ..ScreenOut::default()
                    };
                }
                None => Vec::new(),
            }
        };
        let n = names.len();
        self.poll.want(names);
        let jobs = self.poll.pump(app.now);
        ScreenOut {
            jobs,
            status: Some(Status {
                text: format!("retrieving the data of {n} server{}", plural(n)),
                kind: StatusKind::Info,
            }),
            ..ScreenOut::default()
        }
    }

    fn retrieve_all(&mut self, app: &ScreenCtx) -> ScreenOut {
        self.poll.want(self.poll.names().to_vec());
        ScreenOut {
            jobs: self.refresh_jobs(app.now),
            ..ScreenOut::default()
        }
    }

    pub(crate) fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(view::DETAIL_H + 3) as usize
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Screen for StatusScreen {
    fn title(&self) -> String {
        "Service status".into()
    }

    fn start(&mut self, app: &ScreenCtx) -> ScreenOut {
        let mut jobs = vec![ScreenJob::new("config", Command::Config)];
        jobs.extend(self.refresh_jobs(app.now));
        ScreenOut {
            jobs,
            ..ScreenOut::default()
        }
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        if self.filter.editing {
            let ev = self.filter.key(&key);
            if ev == InputEvent::Cancelled {
                self.filter.text.clear();
            }
            self.list = ListState::default();
            return ScreenOut::none();
        }
        let items = self.items();
        let h = Self::table_height(app.size);
        let a = kit::action(ScreenKey::Status, &key);
        if kit::move_by(&mut self.list, a, items.len(), h) {
            return ScreenOut::none();
        }
        match a {
            Some(Action::Open) => match items.get(self.list.cursor) {
                Some(Item::Dhcp(i)) => ScreenOut {
                    jump: Some(Jump::Server(self.servers[*i].name.clone())),
                    ..ScreenOut::default()
                },
                Some(Item::Group(p)) => {
                    if !self.collapsed.remove(p) {
                        self.collapsed.insert(p.clone());
                    }
                    ScreenOut::none()
                }
                Some(Item::Dns(_)) | Some(Item::DnsHeading) => ScreenOut {
                    status: Some(Status {
                        text: "DNS servers have no tab: Z shows their zones".into(),
                        kind: StatusKind::Info,
                    }),
                    ..ScreenOut::default()
                },
                None => ScreenOut::none(),
            },
            Some(Action::Mark) => {
                if let Some(Item::Dhcp(i)) = items.get(self.list.cursor) {
                    let n = self.servers[*i].name.clone();
                    if !self.marked.remove(&n) {
                        self.marked.insert(n);
                    }
                }
                self.list.step(1, items.len());
                self.list.fix(items.len(), h);
                ScreenOut::none()
            }
            Some(Action::Retrieve) => self.retrieve_selected(app),
            Some(Action::RetrieveAll) => self.retrieve_all(app),
            Some(Action::Group) => {
                self.grouping = (self.grouping + 1) % self.groupings.len().max(1);
                self.list = ListState::default();
                ScreenOut::none()
            }
            Some(Action::Filter) => {
                self.filter.editing = true;
                ScreenOut::none()
            }
            Some(Action::Back) if !self.filter.text.is_empty() => {
                self.filter.text.clear();
                ScreenOut::none()
            }
            _ => ScreenOut::ignored(),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, app: &ScreenCtx) -> ScreenOut {
        if self.poll.owns(label) {
            let rows = self.poll.done(label, result, app.now);
            self.take_rows(rows);
            // A finished batch frees a slot: the next due servers go at once.
            return ScreenOut {
                jobs: self.poll.pump(app.now),
                ..ScreenOut::default()
            };
        }
        match label {
            "config" => match kit::take::<Config>(result) {
                Ok(cfg) => self.config_loaded(cfg),
                Err(e) => {
                    return ScreenOut {
                        status: Some(Status {
                            text: format!("could not read the config for grouping: {e}"),
                            kind: StatusKind::Error,
                        }),
                        ..ScreenOut::default()
                    }
                }
            },
            "dns" => {
                self.dns_busy = false;
                match kit::take::<Vec<DnsStatus>>(result) {
                    Ok(v) => {
                        self.dns_error = None;
                        for d in v {
                            self.dns.insert(d.name.clone(), d);
                        }
                    }
                    Err(e) => self.dns_error = Some(e),
                }
            }
            _ => {}
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, force: bool, app: &ScreenCtx) -> ScreenOut {
        if force {
            return self.retrieve_all(app);
        }
        ScreenOut {
            jobs: self.refresh_jobs(app.now),
            ..ScreenOut::default()
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        view::draw(self, frame, area, app);
    }

    fn hints(&self) -> Vec<(String, String)> {
        if self.filter.editing {
            kit::typing_hints(Context::Filter, &[])
        } else {
            kit::hints(ScreenKey::Status, &[])
        }
    }

    fn typing(&self) -> bool {
        self.filter.editing
    }

    fn export(&self) -> Option<ScreenTable> {
        Some(view::table(self))
    }
}
