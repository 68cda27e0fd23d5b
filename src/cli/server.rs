//! `ddish server show|set`: a server's global parameters (issue 13 item 3). Set is a bulk
//! change on whole servers: checked first (exit 3), previewed, applied by the safe write on
//! each server and its HA peers.
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use serde_json::{json, Value};

use ddish::model::server_params;
use ddish::ops::bulk::BulkOp;
use ddish::ops::Session;

use super::bulk::{on_servers, Go};
use super::common::{op_fail, runtime, table, Fail};

#[derive(Subcommand, Debug)]
pub enum ServerCmd {
    /// The global parameters (lease times, timers, boot, reservations, DNS updates, expired
    /// leases) with their values on the server.
    Show {
        #[arg(long, value_name = "NAME")]
        server: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set global parameters on one or more servers: NAME=VALUE ... (see `server show`).
    Set {
        /// NAME=VALUE, e.g. valid-lifetime=7200 authoritative=true.
        #[arg(value_name = "NAME=VALUE", required = true)]
        params: Vec<String>,
        /// The servers, comma-separated.
        #[arg(long, value_name = "S1,S2", value_delimiter = ',', required = true)]
        servers: Vec<String>,
        #[command(flatten)]
        go: Go,
    },
}

pub fn server(session: Arc<Session>, cmd: ServerCmd) -> Result<ExitCode, Fail> {
    match cmd {
        ServerCmd::Show { server, json } => show(&session, &server, json),
        ServerCmd::Set {
            params,
            servers,
            go,
        } => {
            let mut typed = Vec::new();
            for p in &params {
                let (k, v) = p.split_once('=').ok_or_else(|| {
                    Fail(
                        3,
                        format!("'{p}' is not NAME=VALUE (e.g. valid-lifetime=7200)"),
                    )
                })?;
                let value = server_params::parse(k.trim(), v).map_err(|e| Fail(3, e))?;
                typed.push((k.trim().to_string(), value));
            }
            on_servers(&session, servers, go, BulkOp::Params(typed))
        }
    }
}

fn show(session: &Arc<Session>, server: &str, json_out: bool) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let values = rt
        .block_on(session.server_params(server))
        .map_err(op_fail)?;
    if json_out {
        let obj: serde_json::Map<String, Value> = values
            .iter()
            .map(|v| {
                (
                    v.param.name.to_string(),
                    v.value.clone().unwrap_or(Value::Null),
                )
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"server": server, "parameters": obj}))
                .map_err(|e| Fail(2, e.to_string()))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = values
        .iter()
        .map(|v| {
            vec![
                v.param.group.to_string(),
                v.param.name.to_string(),
                v.shown(),
                v.param.help.to_string(),
            ]
        })
        .collect();
    print!("{}", table(&["GROUP", "PARAMETER", "VALUE", "WHAT"], &rows));
    Ok(ExitCode::SUCCESS)
}
