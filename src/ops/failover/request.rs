//! A confirmed change to one relationship, as data: what the console's failover screen
//! sends (edit, delete, add scopes, maintenance) and [`apply`] runs.
use ipnet::Ipv4Net;

use super::change::{add_scope, delete, edit};
use super::maintenance::{maintenance_cancel, maintenance_start};
use super::{FailoverEdit, FailoverOutcome, Keep};
use crate::ops::{OpError, Session};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailoverChange {
    Edit { rel: String, edit: FailoverEdit },
    Delete { rel: String, keep: Keep },
    AddScope { rel: String, scopes: Vec<Ipv4Net> },
    Maintenance { rel: String, start: bool },
}

impl FailoverChange {
    /// What runs ("deleting failover a-b"), for a busy line.
    pub fn doing(&self) -> String {
        match self {
            FailoverChange::Edit { rel, .. } => format!("changing failover {rel}"),
            FailoverChange::Delete { rel, .. } => format!("deleting failover {rel}"),
            FailoverChange::AddScope { rel, scopes } => format!(
                "adding {} to failover {rel}",
                scopes
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            FailoverChange::Maintenance { rel, start: true } => {
                format!("starting maintenance of failover {rel}")
            }
            FailoverChange::Maintenance { rel, start: false } => {
                format!("cancelling maintenance of failover {rel}")
            }
        }
    }
}

/// Runs `c` on `server`'s relationship. Scopes are added one at a time (each waits for the
/// pair to settle again); the outcome is the last one with every step and warning.
pub async fn apply(
    s: &Session,
    server: &str,
    c: &FailoverChange,
) -> Result<FailoverOutcome, OpError> {
    match c {
        FailoverChange::Edit { rel, edit: e } => edit(s, server, rel, e).await,
        FailoverChange::Delete { rel, keep } => delete(s, server, rel, keep).await,
        FailoverChange::AddScope { rel, scopes } => {
            let mut last = None;
            let mut steps = Vec::new();
            let mut warnings = Vec::new();
            for scope in scopes {
                let o = add_scope(s, server, rel, *scope).await?;
                steps.extend(o.steps.iter().cloned());
                warnings.extend(o.warnings.iter().cloned());
                last = Some(o);
            }
            let mut o = last
                .ok_or_else(|| OpError::Refused("no scope picked: pick one with Space".into()))?;
            o.steps = steps;
            o.warnings = warnings;
            Ok(o)
        }
        FailoverChange::Maintenance { rel, start: true } => maintenance_start(s, server, rel).await,
        FailoverChange::Maintenance { rel, start: false } => {
            maintenance_cancel(s, server, rel).await
        }
    }
}
