//! `ddish events`: configuration events (placeholder until built).
use std::process::ExitCode;

use ddish::config::Config;

use crate::cli::Fail;

#[derive(clap::Args, Debug)]
pub struct EventsArgs {}

pub fn events(_cfg: Config, _a: EventsArgs) -> Result<ExitCode, Fail> {
    Err(Fail(2, "ddish events is not built yet".into()))
}
