//! Full-window screens opened over the tabs (zone health, events, utilization alerts,
//! search, failover...). Each screen owns its state, its keys, its drawing and the
//! background jobs it needs, so the console gains views without growing the core loop:
//! `App` only routes keys, results and the refresh tick to the top screen.
use std::any::Any;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crossterm::event::KeyEvent;
use futures_util::future::BoxFuture;
use ipnet::Ipv4Net;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::ops::Session;

use super::app::{App, Status};

/// What a job hands back; the screen that sent it downcasts it to its own type.
pub type JobOutput = Box<dyn Any + Send>;

/// The work of a job: runs on the worker with the shared session.
pub type JobFn = Arc<dyn Fn(Arc<Session>) -> BoxFuture<'static, JobOutput> + Send + Sync>;

/// A background job asked for by a screen. The worker runs it with a timeout and sends
/// the output back to the screen that is on top with the same `screen_id`.
#[derive(Clone)]
pub struct ScreenJob {
    /// Tells the screen which of its jobs answered ("zones", "failover:create"...).
    pub label: String,
    /// A write (or a long wait such as an HA sync): gets the long timeout and is never
    /// cancelled; a read is superseded by the next job with the same label.
    pub write: bool,
    pub run: JobFn,
}

impl ScreenJob {
    /// A read: cancelled when the same screen sends the same label again.
    pub fn read<F>(label: impl Into<String>, f: F) -> ScreenJob
    where
        F: Fn(Arc<Session>) -> BoxFuture<'static, JobOutput> + Send + Sync + 'static,
    {
        ScreenJob {
            label: label.into(),
            write: false,
            run: Arc::new(f),
        }
    }

    /// A change: long timeout, never cancelled half-way.
    pub fn write<F>(label: impl Into<String>, f: F) -> ScreenJob
    where
        F: Fn(Arc<Session>) -> BoxFuture<'static, JobOutput> + Send + Sync + 'static,
    {
        ScreenJob {
            label: label.into(),
            write: true,
            run: Arc::new(f),
        }
    }
}

impl fmt::Debug for ScreenJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScreenJob")
            .field("label", &self.label)
            .field("write", &self.write)
            .finish()
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

    pub fn job(job: ScreenJob) -> ScreenOut {
        ScreenOut {
            jobs: vec![job],
            ..ScreenOut::default()
        }
    }
}

/// One full-window screen. Every method is synchronous and pure apart from the screen's
/// own state: network and file work goes through `ScreenJob`s.
pub trait Screen: Send + fmt::Debug {
    /// Shown in the header and the frame.
    fn title(&self) -> String;

    /// Jobs to run when the screen opens.
    fn start(&mut self, app: &App) -> ScreenOut;

    fn on_key(&mut self, key: KeyEvent, app: &App) -> ScreenOut;

    /// The answer of a job this screen sent (`label` as sent).
    fn on_result(&mut self, label: &str, result: JobResult, app: &App) -> ScreenOut;

    /// The refresh timer (`force`: the user pressed `r`): reload what is shown.
    fn on_refresh(&mut self, _force: bool, _app: &App) -> ScreenOut {
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &App);

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
