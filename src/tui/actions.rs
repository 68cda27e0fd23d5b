//! IP and scope actions as the console sees them: the jobs sent to the worker, their
//! results, the popups stacked over a scope view (menu, forms, confirmation, results) and
//! which actions an address's state allows.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::ops::bulk::{BulkChange, ClassInfo, ServerOutcome, ServerPreview};
use crate::ops::PingResult;
pub use crate::ops::{Command, ScopesOp};

use super::form::Form;
use super::keymap::{Action, Context};

/// The tree node to select after the change went through (`net:` or `scope:` key).
pub fn select_after(cmd: &Command) -> Option<String> {
    match cmd {
        Command::CreateNetwork { cidr, .. }
        | Command::EditNetwork { cidr, .. }
        | Command::ToContainer { cidr } => Some(format!("net:{cidr}")),
        Command::CreateScope {
            network, subnet, ..
        } => Some(format!("scope:{}", subnet.unwrap_or(*network))),
        Command::EditScope { cidr, .. }
        | Command::SetActive { cidr, .. }
        | Command::RecreateScope { cidr } => Some(format!("scope:{cidr}")),
        Command::DuplicateScope {
            cidr,
            to_cidr,
            to_server: None,
        } => Some(format!("scope:{}", to_cidr.unwrap_or(*cidr))),
        _ => None,
    }
}

/// A change that went through.
#[derive(Clone, Debug)]
pub struct Done {
    pub summary: String,
    pub warnings: Vec<String>,
    /// The address it concerned (the one held by "next free").
    pub ip: Option<Ipv4Addr>,
    /// The scope after a lease change, when the operation knows it: shown at once, no reload.
    pub view: Option<std::sync::Arc<crate::model::ScopeView>>,
}

/// A change that did not go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fail {
    /// The server side asks first (e.g. the address is leased to another client): resend
    /// confirmed after a yes.
    NeedsConfirmation(String),
    /// Refused or failed; the full user-facing message.
    Failed(String),
}

/// One journal entry of an address, as the history popup shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// Epoch seconds.
    pub time: i64,
    pub user: String,
    pub action: String,
    /// "ok" or the failure.
    pub result: String,
    /// Compact before → after.
    pub change: String,
}

/// A question before a change is sent: `job` goes on a yes (a [`Command`] on the tabs, the
/// failover screen's own change there).
#[derive(Clone, Debug, PartialEq)]
pub struct Confirm<J = Command> {
    pub title: String,
    pub text: String,
    pub job: J,
}

/// The menu of one address's actions.
#[derive(Clone, Debug, PartialEq)]
pub struct Menu {
    pub ip: Ipv4Addr,
    pub items: Vec<Action>,
    pub cursor: usize,
}

/// Popups over a scope view, top last.
#[derive(Clone, Debug)]
pub enum Modal {
    Menu(Menu),
    Form(Box<Form>),
    Confirm(Confirm),
    Ping {
        ip: Ipv4Addr,
        result: Option<Result<PingResult, String>>,
    },
    History {
        ip: Ipv4Addr,
        rows: Option<Result<Vec<HistoryRow>, String>>,
        scroll: usize,
    },
    /// An error or a result with warnings, in full.
    Message {
        title: String,
        text: String,
        error: bool,
        scroll: usize,
    },
    /// The scope's pools and exclusions; `cursor` indexes the exclusions.
    Exclusions {
        cursor: usize,
    },
    /// A menu of layout or bulk steps (tree, network and Servers tab).
    Choose(Choice),
    /// A bulk change's preview per server; `y` sends `apply`.
    Preview {
        rows: Option<Result<Vec<ServerPreview>, String>>,
        apply: Box<BulkChange>,
        scroll: usize,
    },
    /// What activating, deactivating or deleting the marked scopes would do per server;
    /// `y` sends one job per server.
    ScopesPreview {
        op: ScopesOp,
        scopes: Vec<(String, Ipv4Net)>,
        rows: Option<Result<Vec<ServerPreview>, String>>,
        scroll: usize,
    },
    /// What a bulk change did on each server; `rows: None` while it runs.
    Outcome {
        title: String,
        rows: Option<Vec<ServerOutcome>>,
        scroll: usize,
    },
    /// Client classes per server (read).
    Classes {
        rows: Option<Result<Vec<ServerClasses>, String>>,
        scroll: usize,
    },
    /// A network's claims outside every scope; `cursor` indexes them.
    ClaimList {
        network: Ipv4Net,
        cursor: usize,
    },
}

/// One server's client classes, or why they could not be read.
pub type ServerClasses = (String, Result<Vec<ClassInfo>, String>);

/// One step a layout or bulk menu offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    NewNetwork {
        container: bool,
    },
    NewScope(Ipv4Net),
    EditNetwork(Ipv4Net),
    ToContainer(Ipv4Net),
    DeleteNetwork(Ipv4Net),
    EditScope(Ipv4Net),
    Activate(Ipv4Net),
    Deactivate(Ipv4Net),
    Duplicate(Ipv4Net),
    DeleteScope(Ipv4Net),
    Recreate(Ipv4Net),
    Forget(Ipv4Net),
    ClaimNet(Ipv4Net),
    Claims(Ipv4Net),
    Bulk(BulkKind),
    /// Activate, deactivate or delete every marked scope.
    Scopes(ScopesOp),
}

/// The bulk changes offered for marked scopes or servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkKind {
    LeaseTime,
    Exclude,
    Ddns,
    /// A global server parameter (`model::server_params`).
    ServerParam,
    SetOption,
    DeleteOption,
    ReplaceOption,
    ListClasses,
    CreateClass,
    EditClass,
    DeleteClass,
    /// Define a custom option (or change its definition): Kea `option-def`.
    DefineOption,
    DeleteOptionDef,
}

impl BulkKind {
    pub fn label(self) -> &'static str {
        match self {
            BulkKind::LeaseTime => "lease duration",
            BulkKind::Exclude => "exclusion range",
            BulkKind::Ddns => "DNS update (ddns-*) parameter",
            BulkKind::ServerParam => "server parameter (timers, boot, expired leases…)",
            BulkKind::SetOption => "set a DHCP option",
            BulkKind::DeleteOption => "delete a DHCP option",
            BulkKind::ReplaceOption => "find and replace in an option",
            BulkKind::ListClasses => "list client classes",
            BulkKind::CreateClass => "create a client class",
            BulkKind::EditClass => "edit a client class",
            BulkKind::DeleteClass => "delete a client class",
            BulkKind::DefineOption => "define a custom option (option-def)",
            BulkKind::DeleteOptionDef => "delete a custom option definition",
        }
    }

    /// What is offered for marked scopes, or for marked servers.
    pub fn offered(servers: bool) -> Vec<BulkKind> {
        use BulkKind::*;
        if servers {
            vec![
                SetOption,
                DeleteOption,
                ReplaceOption,
                LeaseTime,
                Ddns,
                ServerParam,
                ListClasses,
                CreateClass,
                EditClass,
                DeleteClass,
                DefineOption,
                DeleteOptionDef,
            ]
        } else {
            vec![
                LeaseTime,
                Exclude,
                Ddns,
                SetOption,
                DeleteOption,
                ReplaceOption,
            ]
        }
    }
}

impl Step {
    pub fn label(&self) -> String {
        match self {
            Step::NewNetwork { container: false } => "network".into(),
            Step::NewNetwork { container: true } => "container".into(),
            Step::NewScope(n) => format!("DHCP scope in {n}"),
            Step::EditNetwork(c) => format!("edit {c} (title, description)"),
            Step::ToContainer(c) => format!("convert {c} to a container"),
            Step::DeleteNetwork(c) => format!("delete {c}"),
            Step::EditScope(c) => format!("edit scope {c} (range, options…)"),
            Step::Activate(c) => format!("activate {c}"),
            Step::Deactivate(c) => format!("deactivate {c} (stays configured, serves nobody)"),
            Step::Duplicate(c) => format!("duplicate {c} (other CIDR or server)"),
            Step::DeleteScope(c) => format!("delete scope {c}"),
            Step::Recreate(c) => format!("re-create {c} on the server"),
            Step::Forget(c) => format!("forget {c} (drop it from its network)"),
            Step::ClaimNet(c) => format!("claim an address of {c} outside its scopes"),
            Step::Claims(c) => format!("claims of {c} (unclaim)"),
            Step::Bulk(k) => k.label().to_string(),
            Step::Scopes(o) => o.label().to_string(),
        }
    }

    /// Removes something: shown in the error colour.
    pub fn destructive(&self) -> bool {
        matches!(
            self,
            Step::DeleteNetwork(_) | Step::DeleteScope(_) | Step::Forget(_)
        ) || *self == Step::Bulk(BulkKind::DeleteClass)
            || *self == Step::Scopes(ScopesOp::Delete)
            || *self == Step::Bulk(BulkKind::DeleteOption)
    }
}

/// A menu of steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub title: String,
    pub items: Vec<Step>,
    pub cursor: usize,
}

impl Modal {
    pub fn context(&self) -> Context {
        match self {
            Modal::Menu(_) => Context::Menu,
            Modal::Form(_) => Context::Form,
            Modal::Confirm(_) => Context::Confirm,
            Modal::Ping { .. } | Modal::History { .. } | Modal::Message { .. } => Context::Info,
            Modal::Exclusions { .. } => Context::Exclusions,
            Modal::Choose(_) => Context::Menu,
            Modal::Preview { .. } | Modal::ScopesPreview { .. } => Context::Preview,
            Modal::Outcome { .. } | Modal::Classes { .. } => Context::Info,
            Modal::ClaimList { .. } => Context::ClaimList,
        }
    }
}

/// A job sent and not answered yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub id: u64,
    pub job: Command,
}

/// The refusal of a change while an earlier one still runs.
pub fn still_busy(doing: &str) -> String {
    format!("still {doing}: wait for the answer")
}

/// What a key does in a form popup: the same on every popup stack.
#[derive(Debug)]
pub enum FormKey {
    /// Handled inside the form (field moved, choice changed, or nothing to submit yet).
    Stay,
    /// Esc: close the form.
    Close,
    /// Enter while an earlier change still runs: say so, keep the form.
    Busy(String),
    /// Enter on a valid form: its command.
    Submit(Command),
}

/// A key in the form `f`; `busy` is what the screen is still doing, if anything.
pub fn form_key(f: &mut Form, a: Action, busy: Option<String>) -> FormKey {
    match a {
        Action::NextField => f.next_field(),
        Action::PrevField => f.prev_field(),
        Action::Left => f.cycle(false),
        Action::Right => f.cycle(true),
        Action::Back => return FormKey::Close,
        Action::Open => {
            if let Some(doing) = busy {
                return FormKey::Busy(still_busy(&doing));
            }
            if let Some(job) = f.submit() {
                return FormKey::Submit(job);
            }
        }
        _ => {}
    }
    FormKey::Stay
}

/// What a key does to the question on top of a popup stack.
#[derive(Debug)]
pub enum ConfirmKey {
    Stay,
    /// y: the question is off the stack; its command goes.
    Yes(Command),
    /// n: the question is off the stack; nothing was changed.
    No,
}

/// A key on the question on top of `stack` (a `Modal::Confirm`).
pub fn confirm_key(stack: &mut Vec<Modal>, a: Action) -> ConfirmKey {
    match a {
        Action::Yes => match stack.pop() {
            Some(Modal::Confirm(c)) => ConfirmKey::Yes(c.job),
            Some(other) => {
                stack.push(other);
                ConfirmKey::Stay
            }
            None => ConfirmKey::Stay,
        },
        Action::No => {
            stack.pop();
            ConfirmKey::No
        }
        _ => ConfirmKey::Stay,
    }
}
