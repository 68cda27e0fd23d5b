//! The failover screen's background jobs: typed commands over `ops::failover`.
//!
//! | label                  | kind  | outcome                      |
//! |------------------------|-------|------------------------------|
//! | `failover:list`        | read  | `Outcome::FailoverList`      |
//! | `failover:plan`        | read  | `Outcome::FailoverPlan`      |
//! | `failover:create`      | write | `Outcome::Failover`          |
//! | `failover:edit`, `failover:delete`, `failover:add-scope`, `failover:maintenance` | write | `Outcome::Failover` |
use crate::ops::failover::{FailoverInfo, FailoverOutcome, FailoverPlan, FailoverSpec};
use crate::ops::Command;

use crate::tui::screen::ScreenJob;

use super::dialogs::Change;

pub const LIST: &str = "failover:list";
pub const PLAN: &str = "failover:plan";
pub const CREATE: &str = "failover:create";

/// Each job's answer as the screen keeps it: the data, or the error worded for the admin.
pub type ListOut = Result<Vec<FailoverInfo>, String>;
pub type PlanOut = Result<FailoverPlan, String>;
pub type ChangeOut = Result<FailoverOutcome, String>;

/// The relationships of `server` with both sides' live state.
pub fn list(server: &str) -> ScreenJob {
    ScreenJob::new(
        LIST,
        Command::FailoverList {
            server: server.to_string(),
        },
    )
}

/// What creating `spec` would do on both servers (the wizard's summary).
pub fn plan(spec: &FailoverSpec) -> ScreenJob {
    ScreenJob::new(PLAN, Command::FailoverPlan(Box::new(spec.clone())))
}

pub fn create(spec: &FailoverSpec) -> ScreenJob {
    ScreenJob::new(CREATE, Command::FailoverCreate(Box::new(spec.clone())))
}

/// A confirmed change to one relationship of `server`.
pub fn change(server: &str, c: &Change) -> ScreenJob {
    ScreenJob::new(
        label(c),
        Command::FailoverChange {
            server: server.to_string(),
            change: c.clone(),
        },
    )
}

/// The job label of a change.
pub fn label(c: &Change) -> &'static str {
    match c {
        Change::Edit { .. } => "failover:edit",
        Change::Delete { .. } => "failover:delete",
        Change::AddScope { .. } => "failover:add-scope",
        Change::Maintenance { .. } => "failover:maintenance",
    }
}
