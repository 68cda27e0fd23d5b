//! `ddish options ...` and `ddish class ...`: one change on many scopes or servers (issue 4
//! part 5). Everything is checked first (exit 3, nothing sent); the preview is printed;
//! without --yes and without a terminal nothing is applied (exit 3); then a table of each
//! server's outcome: exit 0 all ok, 2 when some server failed.
use std::io::{IsTerminal, Write};
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use ipnet::Ipv4Net;

use ddish::ops::bulk::{
    ddns_value, BulkChange, BulkOp, ClassSpec, ServerOutcome, ServerPreview, Target,
};
use ddish::ops::Session;

use super::common::{op_fail, runtime, Fail};

#[derive(Subcommand, Debug)]
pub enum OptionsCmd {
    /// Add or change a DHCP option (e.g. --name domain-name-servers --data "192.0.2.53, 192.0.2.54").
    Set {
        /// Kea's option name, e.g. domain-name-servers, routers, ntp-servers.
        #[arg(long)]
        name: String,
        /// The value; lists comma-separated (checked against the option's type).
        #[arg(long)]
        data: String,
        #[command(flatten)]
        on: On,
    },
    /// Remove a DHCP option.
    Delete {
        /// Kea's option name, e.g. domain-name-servers, routers, ntp-servers.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        on: On,
    },
    /// Replace one value of an option wherever it appears (an exact list element).
    Replace {
        /// Kea's option name, e.g. domain-name-servers, routers, ntp-servers.
        #[arg(long)]
        name: String,
        /// The value to find (one list element).
        #[arg(long)]
        from: String,
        /// What it becomes.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        on: On,
    },
    /// Set the lease duration (valid-lifetime), in seconds.
    LeaseTime {
        #[arg(long)]
        seconds: u32,
        #[command(flatten)]
        on: On,
    },
    /// Set DNS dynamic update parameters: --param ddns-send-updates=true (repeatable).
    Ddns {
        #[arg(long = "param", value_name = "NAME=VALUE", required = true)]
        params: Vec<String>,
        #[command(flatten)]
        on: On,
    },
    /// Exclude START-END from the pools of each marked scope.
    Exclude {
        start: Ipv4Addr,
        end: Ipv4Addr,
        #[command(flatten)]
        on: On,
    },
}

/// Where a bulk change goes, and how it is confirmed.
#[derive(Args, Debug, Clone)]
pub struct On {
    /// Marked scopes: SERVER:CIDR, comma-separated.
    #[arg(
        long,
        value_name = "SERVER:CIDR,...",
        value_delimiter = ',',
        conflicts_with = "servers",
        required_unless_present = "servers"
    )]
    pub scopes: Vec<String>,
    /// Whole servers (server-level options and parameters), comma-separated.
    #[arg(long, value_name = "S1,S2", value_delimiter = ',')]
    pub servers: Vec<String>,
    #[command(flatten)]
    pub go: Go,
}

#[derive(Args, Debug, Clone)]
pub struct Go {
    /// Print what would change on each server; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Subcommand, Debug)]
pub enum ClassCmd {
    /// The client classes of each server (or one), with what uses them.
    List {
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// Create a client class on several servers.
    Create {
        #[command(flatten)]
        c: ClassArgs,
    },
    /// Change a client class's test or options on several servers.
    Edit {
        #[command(flatten)]
        c: ClassArgs,
    },
    /// Delete a client class (refused while a scope, pool or class refers to it).
    Delete {
        /// The client class name.
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "S1,S2", value_delimiter = ',', required = true)]
        servers: Vec<String>,
        #[command(flatten)]
        go: Go,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ClassArgs {
    /// The client class name (letters, digits, -, _ and .).
    #[arg(long)]
    pub name: String,
    /// Kea test expression, e.g. "substring(option[60].hex,0,4) == 'HPLJ'".
    #[arg(long)]
    pub test: Option<String>,
    /// An option the class gives its members: NAME=DATA (repeatable).
    #[arg(long = "option", value_name = "NAME=DATA")]
    pub options: Vec<String>,
    #[arg(long, value_name = "S1,S2", value_delimiter = ',', required = true)]
    pub servers: Vec<String>,
    #[command(flatten)]
    pub go: Go,
}

fn refused(msg: impl Into<String>) -> Fail {
    Fail(3, msg.into())
}

/// `SERVER:CIDR` pairs, servers checked against the configuration.
pub(super) fn parse_target(session: &Session, on: &On) -> Result<Target, Fail> {
    let known = |s: &str| -> Result<(), Fail> {
        if session.config().server(s).is_some() {
            Ok(())
        } else {
            Err(refused(format!(
                "no server named '{s}' in the configuration: check `ddish check` for the names"
            )))
        }
    };
    if !on.servers.is_empty() {
        let servers: Vec<String> = on.servers.iter().map(|s| s.trim().to_string()).collect();
        for s in &servers {
            known(s)?;
        }
        return Ok(Target::Servers(servers));
    }
    let mut out = Vec::new();
    for item in &on.scopes {
        let (server, cidr) = item.trim().split_once(':').ok_or_else(|| {
            refused(format!(
                "'{item}' is not SERVER:CIDR (like kea1:10.10.0.0/24)"
            ))
        })?;
        known(server)?;
        let cidr: Ipv4Net = cidr.trim().parse().map_err(|_| {
            refused(format!(
                "'{cidr}' in '{item}' is not an IPv4 CIDR (like 10.10.0.0/24)"
            ))
        })?;
        out.push((server.to_string(), cidr));
    }
    Ok(Target::Scopes(out))
}

fn pair(s: &str, what: &str) -> Result<(String, String), Fail> {
    s.split_once('=')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .ok_or_else(|| refused(format!("'{s}' is not {what}=VALUE")))
}

pub fn options(session: Arc<Session>, cmd: OptionsCmd) -> Result<ExitCode, Fail> {
    let (op, on) = match cmd {
        OptionsCmd::Set { name, data, on } => (BulkOp::SetOption { name, data }, on),
        OptionsCmd::Delete { name, on } => (BulkOp::DeleteOption { name }, on),
        OptionsCmd::Replace { name, from, to, on } => {
            (BulkOp::ReplaceOption { name, from, to }, on)
        }
        OptionsCmd::LeaseTime { seconds, on } => (BulkOp::LeaseTime(seconds), on),
        OptionsCmd::Ddns { params, on } => {
            let mut typed = Vec::new();
            for p in &params {
                let (k, v) = pair(p, "NAME")?;
                let value = ddns_value(&k, &v).map_err(refused)?;
                typed.push((k, value));
            }
            (BulkOp::Ddns(typed), on)
        }
        OptionsCmd::Exclude { start, end, on } => (BulkOp::Exclude(start, end), on),
    };
    let target = parse_target(&session, &on)?;
    let custom = custom_defs(&session, &target, &op)?;
    let change = BulkChange::with_custom(target, op, &custom).map_err(op_fail)?;
    run(&session, &change, &on.go)
}

/// The option definitions of the target servers, when the option named is not a standard
/// one (a server that cannot be read adds none; its preview says why).
fn custom_defs(
    session: &Arc<Session>,
    target: &Target,
    op: &BulkOp,
) -> Result<Vec<ddish::model::option_defs::CustomOptionDef>, Fail> {
    let name = match op {
        BulkOp::SetOption { name, .. }
        | BulkOp::DeleteOption { name }
        | BulkOp::ReplaceOption { name, .. } => name,
        _ => return Ok(Vec::new()),
    };
    if ddish::model::options::lookup(name).is_some() {
        return Ok(Vec::new());
    }
    let mut servers: Vec<String> = match target {
        Target::Servers(s) => s.clone(),
        Target::Scopes(s) => s.iter().map(|(n, _)| n.clone()).collect(),
    };
    servers.dedup();
    let rt = runtime()?;
    let mut out = Vec::new();
    for s in servers {
        if let Ok(defs) = rt.block_on(session.option_defs(&s)) {
            out.extend(defs);
        }
    }
    Ok(out)
}

pub fn class(session: Arc<Session>, cmd: ClassCmd) -> Result<ExitCode, Fail> {
    let (op, servers, go) = match cmd {
        ClassCmd::List { server } => return list(&session, server),
        ClassCmd::Create { c } => (class_op(&c, true)?, c.servers, c.go),
        ClassCmd::Edit { c } => (class_op(&c, false)?, c.servers, c.go),
        ClassCmd::Delete { name, servers, go } => (BulkOp::DeleteClass(name), servers, go),
    };
    on_servers(&session, servers, go, op)
}

/// A change of whole servers (classes, option definitions, parameters): checked, previewed,
/// applied as `go` says.
pub(super) fn on_servers(
    session: &Arc<Session>,
    servers: Vec<String>,
    go: Go,
    op: BulkOp,
) -> Result<ExitCode, Fail> {
    let on = On {
        scopes: Vec::new(),
        servers,
        go,
    };
    let target = parse_target(session, &on)?;
    let change = BulkChange::new(target, op).map_err(op_fail)?;
    run(session, &change, &on.go)
}

fn class_op(c: &ClassArgs, create: bool) -> Result<BulkOp, Fail> {
    let options = c
        .options
        .iter()
        .map(|o| pair(o, "NAME"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BulkOp::PutClass(
        ClassSpec {
            name: c.name.clone(),
            test: c.test.clone(),
            options,
        },
        create,
    ))
}

fn list(session: &Arc<Session>, server: Option<String>) -> Result<ExitCode, Fail> {
    let names = super::common::server_names(session, server)?;
    let rt = runtime()?;
    let mut failed = false;
    let mut rows = vec![[
        "SERVER".to_string(),
        "CLASS".into(),
        "TEST".into(),
        "OPTIONS".into(),
        "USED BY".into(),
    ]];
    for n in &names {
        match rt.block_on(session.classes(n)) {
            Ok(list) => {
                for c in list {
                    let opts: Vec<String> =
                        c.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    rows.push([
                        n.clone(),
                        c.name,
                        c.test.unwrap_or_else(|| "-".into()),
                        dash(opts.join("; ")),
                        dash(c.used_by.join(", ")),
                    ]);
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("{n}: {e}");
            }
        }
    }
    print!("{}", table(&rows));
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn dash(s: String) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

/// Left-aligned columns, two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut w = [0usize; N];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn print_preview(p: &[ServerPreview]) {
    for s in p {
        match (&s.error, s.changes.is_empty()) {
            (Some(e), _) => println!("{}: cannot change: {e}", s.server),
            (None, true) => println!("{}: nothing to change", s.server),
            (None, false) => {
                println!("{}:", s.server);
                for c in &s.changes {
                    println!("  {c}");
                }
            }
        }
        // E.g. an exclusion over live leases: they run until they expire.
        for w in &s.warnings {
            println!("  warning: {w}");
        }
    }
}

fn print_outcomes(o: &[ServerOutcome]) {
    let mut rows = vec![["SERVER".to_string(), "RESULT".into(), "DETAIL".into()]];
    for s in o {
        let (r, d) = match &s.result {
            Ok(m) => ("ok", m.clone()),
            Err(e) => ("FAILED", e.clone()),
        };
        rows.push([s.server.clone(), r.into(), d]);
    }
    print!("{}", table(&rows));
}

/// Preview, confirm, apply, report.
pub(super) fn run(session: &Arc<Session>, change: &BulkChange, go: &Go) -> Result<ExitCode, Fail> {
    if session.read_only() && !go.dry_run {
        return Err(refused(
            "ddish runs with --read-only: no changes are made (use --dry-run to preview)",
        ));
    }
    let rt = runtime()?;
    let preview = rt.block_on(session.bulk_preview(change));
    println!("preview:");
    print_preview(&preview);
    if go.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if preview
        .iter()
        .all(|p| p.error.is_none() && p.changes.is_empty())
    {
        println!("nothing to change on any server");
        return Ok(ExitCode::SUCCESS);
    }
    if !go.yes {
        if !std::io::stdin().is_terminal() {
            return Err(refused(
                "not applied: add --yes to apply without a terminal (or --dry-run to only preview)",
            ));
        }
        eprint!("apply this on {} server(s)? [y/N] ", preview.len());
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(refused("cancelled: nothing changed"));
        }
    }
    let outcomes = rt.block_on(session.bulk_apply(change));
    println!();
    print_outcomes(&outcomes);
    Ok(if outcomes.iter().all(|o| o.result.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
