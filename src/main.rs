//! ddish: the console by default, scriptable subcommands otherwise.
mod cli;
mod cli_actions;
mod cli_bulk;
mod cli_events;
mod cli_failover;
mod cli_fleet;
mod cli_layout;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // Logs go to a file, never to the terminal (the console owns the screen).
    let _log = ddish::logging::init(&ddish::logging::default_log_dir(), args.verbose).ok();
    match cli::run(args) {
        Ok(code) => code,
        Err(cli::Fail(code, msg)) => {
            eprintln!("ddish: {msg}");
            ExitCode::from(code)
        }
    }
}
