//! Full-window screens opened over the tabs (zone health, events, utilization alerts,
//! search, failover...). Each screen owns its state, its keys, its drawing and the
//! background jobs it needs, so the console gains views without growing the core loop:
//! `App` only routes keys, results and the refresh tick to the top screen.
use std::fmt;
use std::net::Ipv4Addr;

use crossterm::event::KeyEvent;
use ipnet::Ipv4Net;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::config::Config;
use crate::ops::events::{Event, EventsError, Observed};
use crate::ops::failover::{FailoverInfo, FailoverOutcome, FailoverPlan};
use crate::ops::fleet::{DnsStatus, ServiceStatus};
use crate::ops::search::SearchResult;
use crate::ops::zones::{ZoneHealth, ZoneRecord};
use crate::ops::{Command, Outcome};

use std::collections::HashMap;

use crate::config::{DnsConfig, Role};
use crate::model::Thresholds;
use crate::ops::ServerData;

use super::app::{App, Status};
use super::views::Fleet;
use super::views::ServerTab;

/// What a screen's job hands back: the [`Outcome`] of its [`Command`]; a screen takes
/// exactly the data it asked for with [`take`].
pub type JobOutput = Outcome;

/// Declares which [`Outcome`] variant carries each kind of answer a screen takes (and,
/// for the screens' tests, puts one in).
macro_rules! take_outcome {
    ($($ty:ty => $variant:ident $($boxed:ident)?),* $(,)?) => {
        $(
            impl From<$ty> for Outcome {
                fn from(v: $ty) -> Outcome {
                    Outcome::$variant(take_outcome!(@wrap v $($boxed)?))
                }
            }
            impl Take for $ty {
                fn take(o: Outcome) -> Option<$ty> {
                    match o {
                        Outcome::$variant(v) => Some(take_outcome!(@unwrap v $($boxed)?)),
                        _ => None,
                    }
                }
            }
        )*
    };
    (@unwrap $v:ident) => { $v };
    (@unwrap $v:ident $b:ident) => { *$v };
    (@wrap $v:ident) => { $v };
    (@wrap $v:ident $b:ident) => { Box::new($v) };
}

/// A type an [`Outcome`] variant carries.
pub trait Take: Sized {
    fn take(o: Outcome) -> Option<Self>;
}

take_outcome! {
    Config => Config boxed,
    Result<Vec<Event>, EventsError> => Events,
    Result<Observed, EventsError> => Observed,
    SearchResult => Search,
    Vec<ServiceStatus> => Services,
    Vec<DnsStatus> => Dns,
    Vec<ZoneHealth> => Zones,
    ZoneHealth => Zone boxed,
    Vec<ZoneRecord> => ZoneRecords,
    Vec<FailoverInfo> => FailoverList,
    FailoverPlan => FailoverPlan boxed,
    FailoverOutcome => Failover boxed,
    Vec<crate::ops::ServerReview> => Review,
    Vec<crate::ops::ParamValue> => ServerParams,
    Vec<crate::model::option_defs::CustomOptionDef> => OptionDefs,
    String => ServerAdded,
    Vec<crate::ops::bulk::ServerPreview> => Preview,
    Vec<crate::ops::bulk::ServerOutcome> => Applied,
}

/// A job's answer as the type the screen sent it with; a wrong kind is an internal error.
pub fn take<T: Take>(r: JobResult) -> Result<T, String> {
    match r.0 {
        Ok(o) => T::take(o).ok_or_else(|| {
            "internal error: a background job answered with data of the wrong kind (see the ddish log)"
                .to_string()
        }),
        Err(e) => Err(e),
    }
}

/// A background job asked for by a screen: a typed [`Command`]. The worker runs it
/// (`Session::run_within`) and sends the outcome back to the screen that is on top with
/// the same `screen_id`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreenJob {
    /// Tells the screen which of its jobs answered ("zones", "failover:create"...); a
    /// read is superseded by the next job of the screen with the same label.
    pub label: String,
    pub cmd: Command,
}

impl ScreenJob {
    pub fn new(label: impl Into<String>, cmd: Command) -> ScreenJob {
        ScreenJob {
            label: label.into(),
            cmd,
        }
    }

    /// A change (or a long wait such as an HA sync): the long timeout, never cancelled
    /// half-way.
    pub fn write(&self) -> bool {
        !self.cmd.is_read()
    }
}

/// A job's answer: its output, or the user-facing reason it did not finish (timeout,
/// internal error).
pub struct JobResult(pub Result<JobOutput, String>);

impl fmt::Debug for JobResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(_) => f.write_str("JobResult(Ok(..))"),
            Err(e) => write!(f, "JobResult(Err({e:?}))"),
        }
    }
}

/// Where a screen sends the user: a server tab, a scope in it, an address in the scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Jump {
    Server(String),
    Scope {
        server: String,
        cidr: Ipv4Net,
        ip: Option<Ipv4Addr>,
    },
}

/// What a screen asks of the console after a key, a result or a refresh.
#[derive(Debug, Default)]
pub struct ScreenOut {
    pub jobs: Vec<ScreenJob>,
    /// Close this screen (back to what was under it).
    pub close: bool,
    /// Open another screen on top of this one.
    pub open: Option<Box<dyn Screen>>,
    /// Close the screens and go there.
    pub jump: Option<Jump>,
    pub status: Option<Status>,
    /// The key meant nothing here: the console applies its own meaning (Esc closes the
    /// screen, q quits, ? help, Tab and digits switch tabs).
    pub ignored: bool,
    /// The configuration file changed: the console starts again on it.
    pub restart: bool,
}

impl ScreenOut {
    pub fn none() -> ScreenOut {
        ScreenOut::default()
    }

    pub fn ignored() -> ScreenOut {
        ScreenOut {
            ignored: true,
            ..ScreenOut::default()
        }
    }

    /// Go where `to` says, or say why not (the screen stays).
    pub fn jump_or_say(to: Result<Jump, String>) -> ScreenOut {
        match to {
            Ok(j) => ScreenOut {
                jump: Some(j),
                ..ScreenOut::default()
            },
            Err(why) => ScreenOut::say(why),
        }
    }

    /// A line in the status bar; the screen stays as it is.
    pub fn say(text: impl Into<String>) -> ScreenOut {
        ScreenOut {
            status: Some(Status {
                text: text.into(),
                kind: super::app::StatusKind::Info,
            }),
            ..ScreenOut::default()
        }
    }

    pub fn job(job: ScreenJob) -> ScreenOut {
        ScreenOut {
            jobs: vec![job],
            ..ScreenOut::default()
        }
    }
}

/// What a screen sees of the console: the clock, the terminal, the settings it draws with
/// and the servers' names, and per server its role and loaded scopes: not the `App`.
pub struct ScreenCtx<'a> {
    pub now: i64,
    /// Seconds east of UTC for showing times.
    pub utc_offset: i64,
    /// Terminal area, for paging and keeping cursors visible.
    pub size: Rect,
    /// `--read-only`: nothing may be changed.
    pub read_only: bool,
    pub thresholds: &'a Thresholds,
    pub dns: &'a DnsConfig,
    /// The configured DHCP servers (the Servers tab's rows).
    pub fleet: &'a Fleet,
    /// The server tab in view, if one is.
    pub tab: Option<&'a str>,
    /// The configuration file, if read from one.
    pub config_path: Option<&'a std::path::Path>,
    tabs: &'a [ServerTab],
    rights: &'a HashMap<String, Role>,
}

impl<'a> ScreenCtx<'a> {
    pub(crate) fn new(app: &'a App) -> ScreenCtx<'a> {
        ScreenCtx {
            now: app.now,
            utc_offset: app.utc_offset,
            size: app.size,
            read_only: app.read_only,
            thresholds: &app.thresholds,
            dns: &app.dns,
            fleet: &app.fleet,
            tab: app.tab().map(|t| t.name.as_str()),
            config_path: app.config_path.as_deref(),
            tabs: &app.tabs,
            rights: &app.rights,
        }
    }

    /// `server` as its tab loaded it (its scopes), if a tab has.
    pub fn loaded(&self, server: &str) -> Option<&'a ServerData> {
        self.tabs
            .iter()
            .find(|t| t.name == server)
            .and_then(|t| t.data.as_deref())
    }

    /// The server a per-server screen opened with `key` is about: the tab in view, else
    /// the one selected on the Servers tab.
    pub fn server_in_view(&self, key: char) -> Result<String, String> {
        if let Some(t) = self.tab {
            return Ok(t.to_string());
        }
        let rows = self.fleet.visible();
        let i = rows.get(self.fleet.list.cursor).ok_or_else(|| {
            format!("no server selected: pick one on the Servers tab (or open its tab), then {key}")
        })?;
        Ok(self.fleet.rows[*i].name.clone())
    }

    /// What the user may do on `server` (viewer under `--read-only`).
    pub fn rights_for(&self, server: &str) -> Role {
        super::app::role_on(self.rights, self.read_only, server)
    }
}

/// One full-window screen. Every method is synchronous and pure apart from the screen's
/// own state: network and file work goes through `ScreenJob`s.
pub trait Screen: Send + fmt::Debug {
    /// Shown in the header and the frame.
    fn title(&self) -> String;

    /// Jobs to run when the screen opens.
    fn start(&mut self, app: &ScreenCtx) -> ScreenOut;

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut;

    /// The answer of a job this screen sent (`label` as sent).
    fn on_result(&mut self, label: &str, result: JobResult, app: &ScreenCtx) -> ScreenOut;

    /// The refresh timer (`force`: the user pressed `r`): reload what is shown.
    fn on_refresh(&mut self, _force: bool, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx);

    /// Footer hints: (key, what it does).
    fn hints(&self) -> Vec<(String, String)>;

    /// A text field has focus: every printable key is typed, `q` does not quit.
    fn typing(&self) -> bool {
        false
    }

    /// Rows to export with `e`: a header and records, or `None` when there is nothing
    /// tabular on screen.
    fn export(&self) -> Option<ScreenTable> {
        None
    }
}

/// A screen's table for the `e` CSV export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreenTable {
    /// File name stem: `zones`, `events`...
    pub what: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Thresholds;
    use crate::tui::app::{Msg, Payload, RequestKind, Response, Target};
    use crossterm::event::{KeyCode, KeyModifiers};
    use std::sync::{Arc, Mutex};

    #[derive(Debug, Default)]
    struct Log {
        keys: Vec<KeyCode>,
        results: Vec<(String, Option<u32>)>,
        refreshes: u32,
    }

    /// A screen that records what reaches it: the routing under test, not a server.
    #[derive(Debug, Default)]
    struct Counter(Arc<Mutex<Log>>);

    impl Screen for Counter {
        fn title(&self) -> String {
            "Counter".into()
        }
        fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
            ScreenOut::job(ScreenJob::new("load", Command::DnsStatus))
        }
        fn on_key(&mut self, key: KeyEvent, _app: &ScreenCtx) -> ScreenOut {
            match key.code {
                KeyCode::Char('j') => {
                    self.0.lock().unwrap().keys.push(key.code);
                    ScreenOut::none()
                }
                KeyCode::Char('g') => ScreenOut {
                    jump: Some(Jump::Server("kea-a".into())),
                    ..ScreenOut::default()
                },
                _ => ScreenOut::ignored(),
            }
        }
        fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
            // The kind asked for: a list of DNS server states (none here).
            let v = take::<Vec<DnsStatus>>(result).ok().map(|v| v.len() as u32);
            self.0.lock().unwrap().results.push((label.to_string(), v));
            ScreenOut::none()
        }
        fn on_refresh(&mut self, _force: bool, _app: &ScreenCtx) -> ScreenOut {
            self.0.lock().unwrap().refreshes += 1;
            ScreenOut::none()
        }
        fn render(&self, _frame: &mut Frame, _area: Rect, _app: &ScreenCtx) {}
        fn hints(&self) -> Vec<(String, String)> {
            vec![("j".into(), "count".into())]
        }
    }

    fn key(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn app() -> App {
        App::new(
            &[("kea-a".into(), "http://127.0.0.1:1".into())],
            Thresholds::default(),
        )
    }

    #[test]
    fn keys_results_refresh_and_close_reach_the_top_screen() {
        let mut a = app();
        let log = Arc::new(Mutex::new(Log::default()));
        let reqs = a.push_screen(Box::new(Counter(log.clone())));
        assert_eq!(reqs.len(), 1);
        let (id, label) = match (&reqs[0].target, &reqs[0].kind) {
            (
                Target::Screen {
                    screen,
                    label,
                    write,
                },
                RequestKind::Screen(j),
            ) => {
                assert!(!write);
                assert_eq!(j.label, "load");
                (*screen, label.clone())
            }
            other => panic!("unexpected request {other:?}"),
        };
        // A read job can be superseded by the next with the same label; writes never.
        assert_eq!(
            reqs[0].target.cancel_key(),
            Some(format!("screen:{id}:load"))
        );

        a.update(key(KeyCode::Char('j')));
        a.update(Msg::Response(Response {
            id: reqs[0].id,
            gen: reqs[0].gen,
            target: Target::Screen {
                screen: id,
                label: label.clone(),
                write: false,
            },
            payload: Payload::Screen(JobResult(Ok(Outcome::Dns(Vec::new())))),
        }));
        // A result for a screen that is no longer on top is dropped.
        a.update(Msg::Response(Response {
            id: 99,
            gen: 99,
            target: Target::Screen {
                screen: id + 1000,
                label: "load".into(),
                write: false,
            },
            payload: Payload::Screen(JobResult(Err("late".into()))),
        }));
        a.update(Msg::Refresh);
        let c = log.lock().unwrap();
        assert_eq!(c.keys, vec![KeyCode::Char('j')]);
        assert_eq!(c.results, vec![("load".to_string(), Some(0))]);
        assert_eq!(c.refreshes, 1);
        drop(c);

        // Unused keys fall back to the console: Esc closes the screen.
        a.update(key(KeyCode::Esc));
        assert!(a.screens.is_empty());
        assert!(!a.quit);
    }

    #[test]
    fn q_quits_and_a_jump_opens_the_server_tab() {
        let mut a = app();
        a.push_screen(Box::new(Counter::default()));
        let reqs = a.update(key(KeyCode::Char('g')));
        assert!(a.screens.is_empty(), "a jump closes the screens");
        assert_eq!(a.active, 1);
        assert!(reqs
            .iter()
            .any(|r| matches!(&r.target, Target::Server(s) if s == "kea-a")));

        a.push_screen(Box::new(Counter::default()));
        a.update(key(KeyCode::Char('q')));
        assert!(a.quit);
    }

    #[test]
    fn closing_a_screen_reloads_the_server_tab_under_it() {
        let mut a = app();
        a.push_screen(Box::new(Counter::default()));
        a.update(key(KeyCode::Char('g')));
        assert_eq!(a.active, 1);
        a.push_screen(Box::new(Counter::default()));
        let reqs = a.update(key(KeyCode::Esc));
        assert!(a.screens.is_empty());
        assert!(
            reqs.iter()
                .any(|r| matches!(&r.target, Target::Server(s) if s == "kea-a")),
            "{reqs:?}"
        );
    }

    #[test]
    fn another_screens_key_switches_to_it() {
        let mut a = app();
        a.push_screen(Box::new(Counter::default()));
        a.update(key(KeyCode::Char('W')));
        assert_eq!(a.screens.len(), 1);
        assert_ne!(a.screens[0].screen.title(), "Counter");
        // A screen that can't open here (no zones configured) leaves the current one.
        let title = a.screens[0].screen.title();
        a.update(key(KeyCode::Char('Z')));
        assert_eq!(a.screens.len(), 1);
        assert_eq!(a.screens[0].screen.title(), title);
        assert!(a
            .status
            .as_ref()
            .is_some_and(|s| s.text.contains("no DNS zones")));
    }
}
