//! What flows in and out of `App::update`: messages (keys, clock, worker answers), the
//! requests it returns for the worker, and the status line.
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyEvent;
use ipnet::Ipv4Net;

use crate::model::{ScopeDef, ScopeView};
use crate::ops::bulk::{ServerOutcome, ServerPreview};
use crate::ops::PingResult;
use crate::ops::{ServerData, ServerHealth};

use crate::tui::actions::{Command, Done, Fail, HistoryRow, ServerClasses};
use crate::tui::screen::{JobResult, ScreenJob, ScreenTable};

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
    /// The editor the console handed the terminal to is done: the text when it was
    /// changed, `None` when left as it was, `Err` when it could not run.
    Edited(Result<Option<String>, String>),
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
    /// The address counts of a server's or a network's scopes (`key`: "server" or the
    /// network's node key).
    Counts {
        server: String,
        key: String,
    },
    /// The DNS names of an address shown in a scope's IP popup.
    DnsNames {
        server: String,
        cidr: Ipv4Net,
    },
    /// A ping sweep step of a scope; a new sweep of the scope supersedes the old one.
    Sweep {
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
            Target::Sweep { server, cidr } => Some(format!("sweep:{server}:{cidr}")),
            Target::Counts { server, key } => Some(format!("counts:{server}:{key}")),
            Target::DnsNames { server, cidr } => Some(format!("dns-names:{server}:{cidr}")),
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
        /// The scope's ping sweep, for its columns.
        sweep: Option<crate::model::sweep::Sweep>,
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
    /// A server's configuration to edit.
    EditBase(Result<Box<crate::ops::EditBase>, String>),
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
