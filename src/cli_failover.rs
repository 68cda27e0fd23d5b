//! `ddish failover ...`: Kea HA relationships (placeholder until built).
use std::process::ExitCode;
use std::sync::Arc;

use ddish::ops::Session;

use crate::cli::Fail;

#[derive(clap::Subcommand, Debug)]
pub enum FailoverCmd {
    /// Failover relationships of every server.
    List,
}

pub fn failover(_session: Arc<Session>, _c: FailoverCmd) -> Result<ExitCode, Fail> {
    Err(Fail(2, "ddish failover is not built yet".into()))
}
