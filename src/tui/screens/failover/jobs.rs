//! The failover screen's background jobs, over `ops::failover`. Each job's output is a
//! `Result<T, String>` (the error worded for the admin), boxed:
//!
//! | label                  | kind  | output                                   |
//! |------------------------|-------|------------------------------------------|
//! | `failover:list`        | read  | `Result<Vec<FailoverInfo>, String>`      |
//! | `failover:plan`        | read  | `Result<FailoverPlan, String>`           |
//! | `failover:create`      | write | `Result<FailoverOutcome, String>`        |
//! | `failover:edit`, `failover:delete`, `failover:add-scope`, `failover:maintenance` | write | `Result<FailoverOutcome, String>` |
use std::sync::Arc;

use futures_util::FutureExt;

use crate::ops::failover::{self, FailoverInfo, FailoverOutcome, FailoverPlan, FailoverSpec};
use crate::ops::Session;

use crate::tui::screen::{JobOutput, ScreenJob};

use super::dialogs::Change;

pub const LIST: &str = "failover:list";
pub const PLAN: &str = "failover:plan";
pub const CREATE: &str = "failover:create";

pub type ListOut = Result<Vec<FailoverInfo>, String>;
pub type PlanOut = Result<FailoverPlan, String>;
pub type ChangeOut = Result<FailoverOutcome, String>;

fn boxed<T: Into<JobOutput>>(v: T) -> JobOutput {
    v.into()
}

/// The relationships of `server` with both sides' live state.
pub fn list(server: &str) -> ScreenJob {
    let server = server.to_string();
    ScreenJob::read(LIST, move |s: Arc<Session>| {
        let server = server.clone();
        async move {
            let out: ListOut = failover::list(&s, &server).await.map_err(|e| e.to_string());
            boxed(out)
        }
        .boxed()
    })
}

/// What create would do (the summary page); writes nothing.
pub fn plan(spec: &FailoverSpec) -> ScreenJob {
    let spec = spec.clone();
    ScreenJob::read(PLAN, move |s: Arc<Session>| {
        let spec = spec.clone();
        async move {
            let out: PlanOut = failover::plan(&s, &spec).await.map_err(|e| e.to_string());
            boxed(out)
        }
        .boxed()
    })
}

/// Creates the relationship and waits for both servers (a write: never cancelled).
pub fn create(spec: &FailoverSpec) -> ScreenJob {
    let spec = spec.clone();
    ScreenJob::write(CREATE, move |s: Arc<Session>| {
        let spec = spec.clone();
        async move {
            let out: ChangeOut = failover::create(&s, &spec).await.map_err(|e| e.to_string());
            boxed(out)
        }
        .boxed()
    })
}

/// A confirmed change of relationship `rel` on `server`.
pub fn change(server: &str, c: &Change) -> ScreenJob {
    let server = server.to_string();
    let c = c.clone();
    ScreenJob::write(c.label(), move |s: Arc<Session>| {
        let (server, c) = (server.clone(), c.clone());
        async move {
            let out: ChangeOut = run_change(&s, &server, &c).await.map_err(|e| e.to_string());
            boxed(out)
        }
        .boxed()
    })
}

async fn run_change(
    s: &Session,
    server: &str,
    c: &Change,
) -> Result<FailoverOutcome, crate::ops::OpError> {
    match c {
        Change::Edit { rel, edit } => failover::edit(s, server, rel, edit).await,
        Change::Delete { rel, keep } => failover::delete(s, server, rel, keep).await,
        Change::AddScope { rel, scopes } => {
            // One scope at a time: each waits for the pair to settle again.
            let mut last = None;
            let mut steps = Vec::new();
            let mut warnings = Vec::new();
            for scope in scopes {
                let o = failover::add_scope(s, server, rel, *scope).await?;
                steps.extend(o.steps.iter().cloned());
                warnings.extend(o.warnings.iter().cloned());
                last = Some(o);
            }
            let mut o = last.ok_or_else(|| {
                crate::ops::OpError::Refused("no scope picked: pick one with Space".into())
            })?;
            o.steps = steps;
            o.warnings = warnings;
            Ok(o)
        }
        Change::Maintenance { rel, start: true } => {
            failover::maintenance_start(s, server, rel).await
        }
        Change::Maintenance { rel, start: false } => {
            failover::maintenance_cancel(s, server, rel).await
        }
    }
}
