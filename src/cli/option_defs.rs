//! `ddish optiondef list|create|delete`: a server's own option definitions (issue 13 item
//! 2). Create and delete are bulk changes on whole servers: checked first (exit 3),
//! previewed, applied by the safe write on each server and its HA peers.
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use ddish::model::option_defs::CustomOptionDef;
use ddish::ops::bulk::BulkOp;
use ddish::ops::Session;

use super::bulk::{on_servers, Go};
use super::common::{runtime, table, Fail};

#[derive(Subcommand, Debug)]
pub enum OptionDefCmd {
    /// The option definitions of every server (or one).
    List {
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// Define a custom option (or change its definition) on one or more servers.
    Create {
        /// The option's name, e.g. tftp-servers.
        #[arg(long)]
        name: String,
        /// Its code: 1-254 and not a standard option's in the dhcp4 space (224-254 are
        /// site-specific).
        #[arg(long)]
        code: u16,
        /// Kea's type: uint8, uint16, uint32, int8, int16, int32, boolean, string, fqdn,
        /// ipv4-address, ipv6-address, binary, empty, record...
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// A list of values of the type (for a record: its last field repeats).
        #[arg(long)]
        array: bool,
        /// The field types of a record, comma-separated (type record only).
        #[arg(long, value_name = "T1,T2", value_delimiter = ',')]
        record_types: Vec<String>,
        #[arg(long, default_value = "dhcp4")]
        space: String,
        /// The servers, comma-separated.
        #[arg(long, value_name = "S1,S2", value_delimiter = ',', required = true)]
        servers: Vec<String>,
        #[command(flatten)]
        go: Go,
    },
    /// Delete a custom option definition (refused while a value of it is set anywhere).
    Delete {
        #[arg(long)]
        name: String,
        /// Its option space (a vendor's or a sub-option space; default the standard one).
        #[arg(long, default_value = "dhcp4")]
        space: String,
        #[arg(long, value_name = "S1,S2", value_delimiter = ',', required = true)]
        servers: Vec<String>,
        #[command(flatten)]
        go: Go,
    },
}

pub fn option_def(session: Arc<Session>, cmd: OptionDefCmd) -> Result<ExitCode, Fail> {
    let (op, servers, go) = match cmd {
        OptionDefCmd::List { server } => return list(&session, server),
        OptionDefCmd::Create {
            name,
            code,
            kind,
            array,
            record_types,
            space,
            servers,
            go,
        } => (
            BulkOp::PutOptionDef(CustomOptionDef {
                name: name.trim().to_string(),
                code,
                kind: kind.trim().to_string(),
                array,
                record_types: record_types.iter().map(|t| t.trim().to_string()).collect(),
                space: space.trim().to_string(),
            }),
            servers,
            go,
        ),
        OptionDefCmd::Delete {
            name,
            space,
            servers,
            go,
        } => (
            BulkOp::DeleteOptionDef(name.trim().to_string(), space.trim().to_string()),
            servers,
            go,
        ),
    };
    on_servers(&session, servers, go, op)
}

fn list(session: &Arc<Session>, server: Option<String>) -> Result<ExitCode, Fail> {
    let names = super::common::server_names(session, server)?;
    let rt = runtime()?;
    let mut failed = false;
    let mut rows = Vec::new();
    for n in &names {
        match rt.block_on(session.option_defs(n)) {
            Ok(defs) => rows.extend(defs.into_iter().map(|d| {
                vec![
                    n.clone(),
                    d.name.clone(),
                    d.code.to_string(),
                    d.shape(),
                    d.space.clone(),
                ]
            })),
            Err(e) => {
                failed = true;
                eprintln!("{n}: {e}");
            }
        }
    }
    if rows.is_empty() && !failed {
        println!("no option definitions");
    } else if !rows.is_empty() {
        print!(
            "{}",
            table(&["SERVER", "NAME", "CODE", "TYPE", "SPACE"], &rows)
        );
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
