//! `ddish failover list|create|edit|delete|add-scope|maintenance-start|maintenance-cancel`:
//! Kea HA relationships from the command line, on the same ops code and validation as the
//! console's wizard. Refusals (bad values, roles, states) exit 3, server failures 2.
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use ipnet::Ipv4Net;

use ddish::model::failover::{
    parse_number, parse_on_off, parse_primary, parse_scopes, validate_field, Field, HaMode,
    PartnerRef, HEARTBEAT_DELAY_RANGE, MAX_ACK_DELAY_RANGE, MAX_RESPONSE_DELAY_RANGE,
    MAX_UNACKED_CLIENTS_RANGE,
};
use ddish::ops::failover::{
    FailoverChange, FailoverEdit, FailoverInfo, FailoverOutcome, FailoverSpec, Keep,
};
use ddish::ops::{Command, OpError, Outcome, Session};

use super::common::{confirm, op_fail, runtime, Fail};

/// Timings, automatic failover and peer login: the wizard's step 3 (all optional here).
#[derive(Args, Debug, Clone, Default)]
pub struct Tuning {
    /// Kea heartbeat-delay in ms (default 10000).
    #[arg(long, value_name = "MS")]
    pub heartbeat_delay: Option<String>,
    /// Kea max-response-delay in ms (default 60000; more than the heartbeat delay).
    #[arg(long, value_name = "MS")]
    pub max_response_delay: Option<String>,
    /// Kea max-ack-delay in ms (default 10000).
    #[arg(long, value_name = "MS")]
    pub max_ack_delay: Option<String>,
    /// Kea max-unacked-clients (default 10; 0: partner-down as soon as it is unreachable).
    #[arg(long, value_name = "N")]
    pub max_unacked_clients: Option<String>,
    /// Automatic failover (Kea auto-failover): on or off (default on).
    #[arg(long, value_name = "on|off")]
    pub auto_failover: Option<String>,
    /// Basic-auth user the peers use on each other's Control Agent. On create, when both
    /// servers are in the ddish config with the same user and password, that login is used
    /// unless another is given.
    #[arg(long, value_name = "USER")]
    pub peer_user: Option<String>,
    /// File holding that user's password (first line).
    #[arg(long, value_name = "FILE", conflicts_with = "peer_password_env")]
    pub peer_password_file: Option<PathBuf>,
    /// Environment variable holding that user's password.
    #[arg(long, value_name = "VAR")]
    pub peer_password_env: Option<String>,
}

/// Exit codes: 0 done; 2 a server failed; 3 refused (bad value, role, state: nothing
/// written); 4 the change is made but HA had not settled when ddish stopped waiting.
#[derive(Subcommand, Debug)]
pub enum FailoverCmd {
    /// A server's failover relationship with both servers' live HA state.
    List {
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// Set up failover between this server and a partner (the Add Failover wizard).
    Create {
        /// This server (the one holding the scopes).
        #[arg(long, value_name = "NAME")]
        server: String,
        /// The partner: a configured server's name or its Control Agent URL.
        #[arg(long, value_name = "NAME|URL")]
        partner: String,
        /// Scopes of this server to put in the failover (repeatable or comma-separated).
        #[arg(long = "scope", value_name = "CIDR", required = true)]
        scopes: Vec<String>,
        /// Relationship name (default <server>-<partner>).
        #[arg(long)]
        name: Option<String>,
        /// load-balancing or hot-standby (default load-balancing).
        #[arg(long, value_name = "MODE")]
        mode: Option<String>,
        /// Which server is primary: this or partner (default this).
        #[arg(long, value_name = "this|partner")]
        primary: Option<String>,
        #[command(flatten)]
        tuning: Tuning,
        /// Check everything and show what would be done; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Change mode, primary, partner, timings or peer login of a relationship.
    Edit {
        #[arg(long, value_name = "NAME")]
        server: String,
        /// The relationship's name (see `ddish failover list`).
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "NAME")]
        new_name: Option<String>,
        #[arg(long, value_name = "MODE")]
        mode: Option<String>,
        #[arg(long, value_name = "this|partner")]
        primary: Option<String>,
        /// A new partner; the old one goes standalone without the relationship's scopes.
        #[arg(long, value_name = "NAME|URL")]
        partner: Option<String>,
        #[command(flatten)]
        tuning: Tuning,
        /// Remove the peer login.
        #[arg(long, conflicts_with_all = ["peer_user", "peer_password_file", "peer_password_env"])]
        no_peer_auth: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Back to two standalone servers, each keeping the scopes you name.
    Delete {
        #[arg(long, value_name = "NAME")]
        server: String,
        #[arg(long)]
        name: String,
        /// Scopes this server keeps (repeatable or comma-separated).
        #[arg(long = "keep-here", value_name = "CIDR")]
        keep_here: Vec<String>,
        /// Scopes the partner keeps.
        #[arg(long = "keep-partner", value_name = "CIDR")]
        keep_partner: Vec<String>,
        #[arg(long)]
        yes: bool,
    },
    /// Copy a scope of this server to the partner and include it in the failover.
    AddScope {
        #[arg(long, value_name = "NAME")]
        server: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "CIDR")]
        scope: String,
    },
    /// This server serves alone; its partner goes in-maintenance (safe to shut down).
    MaintenanceStart {
        #[arg(long, value_name = "NAME")]
        server: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        yes: bool,
    },
    /// End maintenance: both back to normal.
    MaintenanceCancel {
        #[arg(long, value_name = "NAME")]
        server: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        yes: bool,
    },
}

/// A field's value, or exit 3 with the same message the wizard shows.
fn field(f: Field, text: &str) -> Result<String, Fail> {
    validate_field(f, text)
        .map(|_| text.trim().to_string())
        .map_err(|e| Fail(3, format!("{}: {e}", f.label())))
}

fn number(f: Field, text: &Option<String>, range: (u32, u32)) -> Result<Option<u32>, Fail> {
    text.as_deref()
        .map(|t| parse_number(f, t, range).map_err(|e| Fail(3, format!("{}: {e}", f.label()))))
        .transpose()
}

fn scopes(list: &[String]) -> Result<Vec<Ipv4Net>, Fail> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    parse_scopes(&list.join(",")).map_err(|e| Fail(3, format!("{}: {e}", Field::Scopes.label())))
}

fn password(t: &Tuning) -> Result<Option<String>, Fail> {
    let p = if let Some(path) = &t.peer_password_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Fail(
                3,
                format!("cannot read the peer password file {}: {e}", path.display()),
            )
        })?;
        Some(text.lines().next().unwrap_or("").to_string())
    } else if let Some(var) = &t.peer_password_env {
        Some(std::env::var(var).map_err(|_| {
            Fail(
                3,
                format!("the environment variable {var} (peer password) is not set"),
            )
        })?)
    } else {
        None
    };
    if let Some(p) = &p {
        validate_field(Field::PeerPassword, p)
            .map_err(|e| Fail(3, format!("{}: {e}", Field::PeerPassword.label())))?;
    }
    Ok(p)
}

/// The spec's whole-form check as a refusal listing every problem.
fn spec_checked(spec: &FailoverSpec) -> Result<(), Fail> {
    spec.validate().map_err(|errs| {
        Fail(
            3,
            errs.iter()
                .map(|(f, e)| format!("{}: {e}", f.label()))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

pub fn failover(session: Arc<Session>, c: FailoverCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    match c {
        FailoverCmd::List { server } => {
            let names = super::common::server_names(&session, server)?;
            let mut failed = false;
            let mut shown: Vec<(String, String)> = Vec::new();
            for n in names {
                let cmd = Command::FailoverList { server: n.clone() };
                let list = rt.block_on(session.run("", cmd)).and_then(|o| match o {
                    Outcome::FailoverList(v) => Ok(v),
                    other => Err(OpError::Refused(format!(
                        "internal error: unexpected answer {other:?}"
                    ))),
                });
                match list {
                    Ok(list) if list.is_empty() => println!("{n}: no failover (standalone)"),
                    Ok(list) => {
                        for i in list {
                            // A pair listed from both sides shows once.
                            let partner = i.partner_server.clone().unwrap_or_default();
                            if shown.iter().any(|(n, s)| *n == i.name && *s == partner) {
                                continue;
                            }
                            shown.push((i.name.clone(), i.this_server.clone()));
                            print_info(&i);
                        }
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{n}: {e}");
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        FailoverCmd::Create {
            server,
            partner,
            scopes: scope_args,
            name,
            mode,
            primary,
            tuning,
            dry_run,
        } => {
            let partner = PartnerRef::parse(&field(Field::Partner, &partner)?);
            let mut spec = FailoverSpec::new(&server, partner);
            spec.scopes = scopes(&scope_args)?;
            if let Some(n) = name {
                spec.name = field(Field::Name, &n)?;
            }
            if let Some(m) = mode {
                field(Field::Mode, &m)?;
                spec.mode = HaMode::parse(&m).unwrap_or(HaMode::LoadBalancing);
            }
            if let Some(p) = primary {
                spec.primary_is_this = parse_primary(&p).map_err(|e| Fail(3, e))?;
            }
            apply_tuning_to_spec(&mut spec, &tuning)?;
            spec_checked(&spec)?;
            let cmd = Command::FailoverPlan(Box::new(spec.clone()));
            let plan = match rt.block_on(session.run("", cmd)).map_err(op_fail)? {
                Outcome::FailoverPlan(p) => p,
                other => return Err(unexpected(other)),
            };
            println!(
                "failover {} ({}) between {} and {} ({})",
                spec.name, spec.mode, plan.this_server, plan.partner_server, plan.partner_url
            );
            for s in &plan.copy_to_partner {
                println!("  copy scope {s} to {}", plan.partner_server);
            }
            for s in &plan.replace_on_partner {
                println!(
                    "  replace scope {s} on {} with {}'s",
                    plan.partner_server, plan.this_server
                );
            }
            for (srv, hooks) in &plan.hooks_added {
                println!("  load {} on {srv}", hooks.join(", "));
            }
            for w in &plan.warnings {
                eprintln!("warning: {w}");
            }
            if dry_run {
                println!("dry run: nothing written");
                return Ok(ExitCode::SUCCESS);
            }
            let cmd = Command::FailoverCreate(Box::new(spec));
            match rt.block_on(session.run("", cmd)).map_err(op_fail)? {
                Outcome::Failover(o) => Ok(print_outcome(&o)),
                other => Err(unexpected(other)),
            }
        }
        FailoverCmd::Edit {
            server,
            name,
            new_name,
            mode,
            primary,
            partner,
            tuning,
            no_peer_auth,
            yes,
        } => {
            let mut e = FailoverEdit {
                name: new_name.map(|n| field(Field::Name, &n)).transpose()?,
                ..FailoverEdit::default()
            };
            if let Some(m) = mode {
                field(Field::Mode, &m)?;
                e.mode = HaMode::parse(&m);
            }
            e.primary_is_this = primary
                .map(|p| parse_primary(&p).map_err(|e| Fail(3, e)))
                .transpose()?;
            e.partner = partner
                .map(|p| field(Field::Partner, &p).map(|p| PartnerRef::parse(&p)))
                .transpose()?;
            e.heartbeat_delay_ms = number(
                Field::HeartbeatDelay,
                &tuning.heartbeat_delay,
                HEARTBEAT_DELAY_RANGE,
            )?;
            e.max_response_delay_ms = number(
                Field::MaxResponseDelay,
                &tuning.max_response_delay,
                MAX_RESPONSE_DELAY_RANGE,
            )?;
            e.max_ack_delay_ms = number(
                Field::MaxAckDelay,
                &tuning.max_ack_delay,
                MAX_ACK_DELAY_RANGE,
            )?;
            e.max_unacked_clients = number(
                Field::MaxUnackedClients,
                &tuning.max_unacked_clients,
                MAX_UNACKED_CLIENTS_RANGE,
            )?;
            e.auto_failover = tuning
                .auto_failover
                .as_deref()
                .map(|t| parse_on_off(t).map_err(|e| Fail(3, format!("Automatic failover: {e}"))))
                .transpose()?;
            if no_peer_auth {
                e.peer_user = Some(None);
                e.peer_password = Some(None);
            } else {
                if let Some(u) = &tuning.peer_user {
                    e.peer_user = Some(Some(field(Field::PeerUser, u)?));
                }
                if let Some(p) = password(&tuning)? {
                    e.peer_password = Some(Some(p));
                }
            }
            if e.is_empty() {
                return Err(Fail(
                    3,
                    "nothing to change: give at least one option (see --help)".into(),
                ));
            }
            if e.partner.is_some() {
                confirm(
                    &format!("move failover {name} of {server} to a new partner? The old partner goes standalone without its scopes"),
                    yes,
                )?;
            }
            let change = FailoverChange::Edit { rel: name, edit: e };
            run_change(&rt, &session, server, change)
        }
        FailoverCmd::Delete {
            server,
            name,
            keep_here,
            keep_partner,
            yes,
        } => {
            let keep = Keep {
                on_this: scopes(&keep_here)?,
                on_partner: scopes(&keep_partner)?,
            };
            confirm(
                &format!("delete failover {name}: {server} and its partner go back to standalone?"),
                yes,
            )?;
            let change = FailoverChange::Delete { rel: name, keep };
            run_change(&rt, &session, server, change)
        }
        FailoverCmd::AddScope {
            server,
            name,
            scope,
        } => {
            let s = scopes(&[scope])?;
            let [s] = s.as_slice() else {
                return Err(Fail(3, "give exactly one scope".into()));
            };
            let change = FailoverChange::AddScope {
                rel: name,
                scopes: vec![*s],
            };
            run_change(&rt, &session, server, change)
        }
        FailoverCmd::MaintenanceStart { server, name, yes } => {
            confirm(
                &format!("start maintenance: {server} serves every client alone and its partner goes in-maintenance?"),
                yes,
            )?;
            let change = FailoverChange::Maintenance {
                rel: name,
                start: true,
            };
            run_change(&rt, &session, server, change)
        }
        FailoverCmd::MaintenanceCancel { server, name, yes } => {
            confirm(&format!("end maintenance of failover {name}?"), yes)?;
            let change = FailoverChange::Maintenance {
                rel: name,
                start: false,
            };
            run_change(&rt, &session, server, change)
        }
    }
}

/// A change to one relationship through the command spine ([`Command::FailoverChange`]),
/// printed as the console shows it.
fn run_change(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: String,
    change: FailoverChange,
) -> Result<ExitCode, Fail> {
    let cmd = Command::FailoverChange { server, change };
    match rt.block_on(session.run("", cmd)).map_err(op_fail)? {
        Outcome::Failover(o) => Ok(print_outcome(&o)),
        other => Err(unexpected(other)),
    }
}

/// An outcome of another kind than the command's: a bug, said as one.
fn unexpected(o: Outcome) -> Fail {
    Fail(1, format!("internal error: unexpected answer {o:?}"))
}

fn apply_tuning_to_spec(spec: &mut FailoverSpec, t: &Tuning) -> Result<(), Fail> {
    if let Some(v) = number(
        Field::HeartbeatDelay,
        &t.heartbeat_delay,
        HEARTBEAT_DELAY_RANGE,
    )? {
        spec.heartbeat_delay_ms = v;
    }
    if let Some(v) = number(
        Field::MaxResponseDelay,
        &t.max_response_delay,
        MAX_RESPONSE_DELAY_RANGE,
    )? {
        spec.max_response_delay_ms = v;
    }
    if let Some(v) = number(Field::MaxAckDelay, &t.max_ack_delay, MAX_ACK_DELAY_RANGE)? {
        spec.max_ack_delay_ms = v;
    }
    if let Some(v) = number(
        Field::MaxUnackedClients,
        &t.max_unacked_clients,
        MAX_UNACKED_CLIENTS_RANGE,
    )? {
        spec.max_unacked_clients = v;
    }
    if let Some(a) = &t.auto_failover {
        spec.auto_failover =
            parse_on_off(a).map_err(|e| Fail(3, format!("Automatic failover: {e}")))?;
    }
    if let Some(u) = &t.peer_user {
        spec.peer_user = Some(field(Field::PeerUser, u)?);
    }
    spec.peer_password = password(t)?;
    Ok(())
}

fn print_info(i: &FailoverInfo) {
    println!(
        "{}  {}  {} ({}) <-> {} ({})",
        i.name,
        i.mode_text,
        i.this_server,
        i.this_role,
        i.partner_server.as_deref().unwrap_or(&i.partner_url),
        i.partner_role
    );
    println!("  state: {}", i.state_line());
    if let Some(s) = i.state_for_secs {
        println!("  in this state for at least {s} s");
    }
    let list = |v: &[Ipv4Net]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("  scopes: {}", list(&i.scopes));
    if !i.only_here.is_empty() {
        println!("  only on {}: {}", i.this_server, list(&i.only_here));
    }
    if !i.only_partner.is_empty() {
        println!("  only on the partner: {}", list(&i.only_partner));
    }
    for d in &i.drift {
        println!("  differs: {d}");
    }
    println!(
        "  heartbeat {} ms, max response {} ms, max ack {} ms, max unacked {}, auto failover {}, peer login {}",
        i.heartbeat_delay_ms,
        i.max_response_delay_ms,
        i.max_ack_delay_ms,
        i.max_unacked_clients,
        if i.auto_failover { "on" } else { "off" },
        match (&i.peer_user, i.has_peer_password) {
            (Some(u), true) => format!("{u} / ***"),
            (Some(u), false) => u.clone(),
            (None, _) => "none".into(),
        }
    );
    if let Some(e) = &i.partner_error {
        println!("  partner not readable: {e}");
    }
}

/// Prints the steps and states; exits 0 when both reached the normal state, 4 when the
/// change is made but HA has not settled yet.
fn print_outcome(o: &FailoverOutcome) -> ExitCode {
    for s in &o.steps {
        eprintln!("  {s}");
    }
    println!("{}", o.summary);
    for (srv, st) in &o.states {
        println!("  {srv}: {st}");
    }
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    if o.converged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    }
}
