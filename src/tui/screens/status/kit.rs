//! What the fleet screens (status, zones, alerts, search, events) share: unpacking job
//! results, list movement, a one-line text input, the background poller that refreshes
//! many servers a bounded number at a time, and the boxes for loading and failure.
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};
use ratatui::Frame;

use crate::ops::fleet::{FleetWatch, ServiceState, ServiceStatus};
use crate::ops::Command;
use crate::tui::form::field::edit_text;
use crate::tui::keymap::{self, Action, Context, Role, ScreenKey};
use crate::tui::layout;
use crate::tui::screen::{JobResult, ScreenJob};
use crate::tui::theme;
use crate::tui::views::ListState;

pub use crate::tui::screen::take;

/// What `k` does on screen `which`: its own keymap rows, then those every screen shares,
/// then list movement. Screens read what a key means only here, so their keys are the
/// keymap's rows (shown in the footer and in `?` help).
pub fn action(which: ScreenKey, k: &KeyEvent) -> Option<Action> {
    keymap::lookup(
        &[Context::Screen(which), Context::Screens, Context::Lists],
        k,
        Role::Viewer,
    )
}

/// The footer of screen `which`, from the keymap: its own keys, then the shared ones (the
/// arrow keys are left to `?` help: the footer has room for what differs); `skip` leaves
/// out actions the screen has no use for in its current state.
pub fn hints(which: ScreenKey, skip: &[Action]) -> Vec<(String, String)> {
    let ctx = [Context::Screen(which), Context::Screens];
    keymap::hint_pairs(&ctx, Role::Viewer, |a| !skip.contains(&a))
}

/// The footer while typing into a text field: the keymap rows of `ctx` (a filter or a
/// form), `only` those actions when it is not empty.
pub fn typing_hints(ctx: Context, only: &[Action]) -> Vec<(String, String)> {
    keymap::hint_pairs(&[ctx], Role::Viewer, |a| {
        only.is_empty() || only.contains(&a)
    })
}

/// Moves the cursor for a list action (up/down, pages, first/last); `false` for any other.
/// `height` is the number of rows shown, for paging and scrolling.
pub fn move_by(l: &mut ListState, a: Option<Action>, len: usize, height: usize) -> bool {
    let page = height.max(1) as isize;
    match a {
        Some(Action::Up) => l.step(-1, len),
        Some(Action::Down) => l.step(1, len),
        Some(Action::PageUp) => l.step(-page, len),
        Some(Action::PageDown) => l.step(page, len),
        Some(Action::Top) => l.cursor = 0,
        Some(Action::Bottom) => l.cursor = len.saturating_sub(1),
        _ => return false,
    }
    l.fix(len, height);
    true
}

/// Rows of the screen body for a terminal of `size` (header and footer take two each).
pub fn body_height(size: Rect) -> u16 {
    size.height
        .saturating_sub(layout::HEADER_H + layout::FOOTER_H)
}

/// A one-line text field.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub text: String,
    pub editing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEvent {
    Changed,
    /// Enter: editing stops, the text stays.
    Done,
    /// Esc: editing stops; the caller decides what becomes of the text.
    Cancelled,
    /// A key the field has no use for.
    Other,
}

impl Input {
    /// The keymap's filter rows (Enter keeps, Esc cancels), else text editing.
    pub fn key(&mut self, k: &KeyEvent) -> InputEvent {
        match keymap::lookup(&[Context::Filter], k, Role::Viewer) {
            Some(Action::Open) => {
                self.editing = false;
                InputEvent::Done
            }
            Some(Action::Back) => {
                self.editing = false;
                InputEvent::Cancelled
            }
            _ if edit_text(&mut self.text, k) => InputEvent::Changed,
            _ => InputEvent::Other,
        }
    }

    /// The text with a cursor while editing.
    pub fn spans(&self, prompt: &str) -> Vec<Span<'static>> {
        let mut v = vec![
            Span::styled(prompt.to_string(), theme::key()),
            Span::raw(self.text.clone()),
        ];
        if self.editing {
            v.push(Span::styled("▏", theme::key()));
        }
        v
    }
}

/// A bordered box with a message: loading, failure, nothing there.
pub fn message(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    border: Style,
) {
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .border_style(border)
            .padding(Padding::horizontal(1))
            .title(format!(" {title} ")),
    );
    frame.render_widget(p, area);
}

pub fn loading_lines(what: &str) -> Vec<Line<'static>> {
    vec![
        Line::default(),
        Line::from(Span::styled(format!("⟳ {what}…"), theme::warn())),
        Line::from(Span::styled(
            "The console stays usable meanwhile: Esc goes back, Tab to another tab.",
            theme::dim(),
        )),
    ]
}

pub fn failure_lines(what: &str, reason: &str) -> Vec<Line<'static>> {
    vec![
        Line::default(),
        Line::from(Span::styled(format!("✗ {what}"), theme::error())),
        Line::default(),
        Line::from(reason.to_string()),
        Line::default(),
        Line::from(Span::styled("r tries again · Esc goes back", theme::dim())),
    ]
}

/// The state of a DHCP server in words, with a glyph so it reads without colour.
pub fn state_span(s: ServiceState) -> Span<'static> {
    if s.is_ok() {
        Span::styled(format!("● {}", s.label()), theme::ok())
    } else {
        Span::styled(format!("✗ {}", s.label()), theme::error())
    }
}

/// Servers refreshed per job and jobs in flight at once: at most `BATCH * MAX_JOBS`
/// servers are polled together, so a fleet of hundreds never floods the network, and a
/// job always ends within one server's time limit (its servers run side by side).
pub const BATCH: usize = 8;
pub const MAX_JOBS: usize = 4;
/// A failing server is retried less and less often, up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Until the config says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// Refreshes many DHCP servers in the background: each refresh tick asks only for the
/// servers that are due (back-off after failures, `FleetWatch`), a bounded number at a
/// time; servers asked for by hand go first.
#[derive(Clone, Debug)]
pub struct Poller {
    prefix: &'static str,
    pub watch: FleetWatch,
    interval: Duration,
    names: Vec<String>,
    /// Job label -> its servers.
    in_flight: HashMap<String, Vec<String>>,
    busy: HashSet<String>,
    wanted: VecDeque<String>,
    seq: u64,
    /// Keep each server's scope tree (alerts need it; the status list does not).
    pub keep_trees: bool,
}

impl Poller {
    /// `prefix` starts the labels of its jobs (`status#3`).
    pub fn new(prefix: &'static str, names: Vec<String>, interval: Duration) -> Poller {
        Poller {
            prefix,
            watch: FleetWatch::new(interval, MAX_BACKOFF),
            interval,
            names,
            in_flight: HashMap::new(),
            busy: HashSet::new(),
            wanted: VecDeque::new(),
            seq: 0,
            keep_trees: false,
        }
    }

    /// Takes the configured refresh interval; what was learnt so far is kept.
    pub fn set_interval(&mut self, interval: Duration, rows: &mut [ServiceStatus]) {
        self.watch = FleetWatch::new(interval, MAX_BACKOFF);
        self.interval = interval;
        for r in rows {
            self.watch.record(r);
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn is_busy(&self, name: &str) -> bool {
        self.busy.contains(name)
    }

    pub fn busy_count(&self) -> usize {
        self.busy.len()
    }

    /// Whether `label` is one of this poller's jobs.
    pub fn owns(&self, label: &str) -> bool {
        label
            .strip_prefix(self.prefix)
            .is_some_and(|r| r.starts_with('#'))
    }

    /// Asks for these servers before any that are merely due.
    pub fn want<I: IntoIterator<Item = String>>(&mut self, names: I) {
        for n in names {
            if !self.wanted.contains(&n) && self.names.contains(&n) {
                self.wanted.push_back(n);
            }
        }
    }

    /// Jobs for the servers asked for and then those due at `now`, while fewer than
    /// `MAX_JOBS` are running.
    pub fn pump(&mut self, now: i64) -> Vec<ScreenJob> {
        let mut jobs = Vec::new();
        // A refresh ends a little after the tick that started it, so the next is due a
        // little after the next tick: those due within half a period go now, else each
        // server would be refreshed every other tick.
        let slack = (self.interval.as_secs() / 2) as i64;
        let mut due: VecDeque<String> = self.watch.due(&self.names, now + slack).into();
        while self.in_flight.len() < MAX_JOBS {
            let mut batch: Vec<String> = Vec::new();
            while batch.len() < BATCH {
                let next = match self.wanted.pop_front() {
                    Some(n) => n,
                    None => match due.pop_front() {
                        Some(n) => n,
                        None => break,
                    },
                };
                if !self.busy.contains(&next) && !batch.contains(&next) {
                    batch.push(next);
                }
            }
            if batch.is_empty() {
                break;
            }
            self.seq += 1;
            let label = format!("{}#{}", self.prefix, self.seq);
            self.busy.extend(batch.iter().cloned());
            self.in_flight.insert(label.clone(), batch.clone());
            let keep = self.keep_trees;
            // One poller batch, side by side.
            jobs.push(ScreenJob::new(
                label,
                Command::FleetStatus {
                    servers: batch,
                    trees: keep,
                },
            ));
        }
        jobs
    }

    /// The answer of one of its jobs: the rows, recorded in the watch (last good carried
    /// forward, next refresh scheduled). A job that failed as a whole (worker timeout)
    /// marks each of its servers with the reason.
    pub fn done(&mut self, label: &str, result: JobResult, now: i64) -> Vec<ServiceStatus> {
        let names = self.in_flight.remove(label).unwrap_or_default();
        for n in &names {
            self.busy.remove(n);
        }
        let mut rows = match take::<Vec<ServiceStatus>>(result) {
            Ok(rows) => rows,
            Err(e) => names
                .iter()
                .map(|n| ServiceStatus {
                    name: n.clone(),
                    url: String::new(),
                    tags: Vec::new(),
                    fields: Default::default(),
                    state: ServiceState::Timeout,
                    version: None,
                    uptime: None,
                    ha_state: None,
                    scopes: None,
                    utilization: None,
                    checked_at: now,
                    last_good: None,
                    error: Some(e.clone()),
                    tree: None,
                })
                .collect(),
        };
        for r in &mut rows {
            self.busy.remove(&r.name);
            self.watch.record(r);
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poller_is_bounded_and_asks_wanted_first() {
        let names: Vec<String> = (0..50).map(|i| format!("s{i:02}")).collect();
        let mut p = Poller::new("status", names, Duration::from_secs(10));
        p.want(["s40".to_string()]);
        let jobs = p.pump(0);
        assert_eq!(jobs.len(), MAX_JOBS);
        assert_eq!(p.busy_count(), BATCH * MAX_JOBS);
        assert!(p.is_busy("s40"), "asked for by hand: in the first batch");
        assert!(p.pump(0).is_empty(), "no more while the jobs run");
        let label = jobs[0].label.clone();
        assert!(p.owns(&label) && !p.owns("statusx#1") && !p.owns("dns"));
        let rows = p.done(&label, JobResult(Err("no answer in time".into())), 5);
        assert_eq!(rows.len(), BATCH);
        assert!(rows.iter().all(|r| r.state == ServiceState::Timeout));
        // The freed slot takes the next due servers, never one still running.
        let more = p.pump(5);
        assert_eq!(more.len(), 1);
        assert_eq!(p.busy_count(), BATCH * MAX_JOBS);
    }

    #[test]
    fn a_server_refreshed_after_a_tick_is_due_at_the_next() {
        let mut p = Poller::new("status", vec!["a".to_string()], Duration::from_secs(10));
        let jobs = p.pump(100);
        let row = ServiceStatus {
            name: "a".into(),
            url: String::new(),
            tags: Vec::new(),
            fields: Default::default(),
            state: ServiceState::Running,
            version: None,
            uptime: None,
            ha_state: None,
            scopes: None,
            utilization: None,
            checked_at: 101,
            last_good: Some(101),
            error: None,
            tree: None,
        };
        let rows = p.done(
            &jobs[0].label,
            JobResult(Ok(crate::ops::Outcome::Services(vec![row]))),
            101,
        );
        assert_eq!(rows[0].last_good, Some(101));
        assert!(p.pump(104).is_empty(), "not due yet");
        assert_eq!(
            p.pump(110).len(),
            1,
            "due at the next tick though it ended at 101"
        );
    }
}
