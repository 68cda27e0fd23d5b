//! `ddish network create|edit|delete|to-container` and `ddish scope
//! create|edit|delete|activate|deactivate|duplicate|recreate|forget`: the layout actions as
//! commands, on the same ops code as the console. Refusals exit 3, server failures 2.
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use ipnet::Ipv4Net;

use ddish::ops::layout::{ScopeEdit, ScopeProps};
use ddish::ops::{Command, ScopesOp, Session};

use super::common::{change, confirm, op_fail, print_outcome, runtime, Fail};

/// Which server; needed when the config has more than one.
#[derive(Args, Debug, Clone)]
pub struct On {
    /// The server to change (its HA peers get the same change).
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum NetworkCmd {
    /// Create a network (holds scopes) or, with --container, a container (holds networks).
    Create {
        cidr: Ipv4Net,
        #[arg(long)]
        container: bool,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        on: On,
    },
    /// Change the title or description ("" clears).
    Edit {
        cidr: Ipv4Net,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        on: On,
    },
    /// Delete a network (refused while it holds scopes) or a container (while it holds networks).
    Delete {
        cidr: Ipv4Net,
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        on: On,
    },
    /// Turn a network without scopes into a container.
    ToContainer {
        cidr: Ipv4Net,
        #[command(flatten)]
        on: On,
    },
}

/// Properties of a new scope.
#[derive(Args, Debug, Clone)]
pub struct PropArgs {
    /// First address handed out (default: the subnet's first host).
    #[arg(long)]
    pub start: Option<Ipv4Addr>,
    /// Last address handed out (default: the subnet's last host).
    #[arg(long)]
    pub end: Option<Ipv4Addr>,
    /// Default gateway (option routers).
    #[arg(long)]
    pub gateway: Option<Ipv4Addr>,
    /// DNS servers, comma-separated (option domain-name-servers).
    #[arg(long, value_delimiter = ',')]
    pub dns: Vec<String>,
    /// Domain name (option domain-name).
    #[arg(long)]
    pub domain: Option<String>,
    /// Lease time in seconds (60 .. 31536000).
    #[arg(long, value_name = "SECONDS")]
    pub lease_time: Option<u32>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Relay agent addresses (giaddr) this scope serves, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub relay: Vec<Ipv4Addr>,
}

#[derive(Subcommand, Debug)]
pub enum ScopeLayoutCmd {
    /// Create the DHCP scope of a network (its subnet is the network's CIDR).
    Create {
        #[arg(long, value_name = "CIDR")]
        network: Ipv4Net,
        /// The scope's subnet when it is smaller than the network (default: the network's CIDR).
        #[arg(long, value_name = "CIDR")]
        subnet: Option<Ipv4Net>,
        #[command(flatten)]
        props: PropArgs,
        /// Create it inactive (configured, but it hands out nothing).
        #[arg(long)]
        inactive: bool,
        #[command(flatten)]
        on: On,
    },
    /// Change a scope's properties and DHCP options.
    Edit {
        #[arg(long, value_name = "CIDR")]
        scope: Ipv4Net,
        #[command(flatten)]
        props: PropArgs,
        /// Remove the gateway.
        #[arg(long, conflicts_with = "gateway")]
        no_gateway: bool,
        /// Remove the DNS servers.
        #[arg(long, conflicts_with = "dns")]
        no_dns: bool,
        /// Activate the scope.
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// Deactivate the scope (it stays configured but hands out nothing).
        #[arg(long)]
        inactive: bool,
        /// Set a DHCP option by Kea name: NAME=DATA (repeatable).
        #[arg(long = "option", value_name = "NAME=DATA")]
        options: Vec<String>,
        /// Remove a DHCP option by Kea name (repeatable).
        #[arg(long = "remove-option", value_name = "NAME")]
        remove_options: Vec<String>,
        #[command(flatten)]
        on: On,
    },
    /// Delete scopes (with their leases and reservations); asks unless --yes.
    Delete {
        #[arg(long = "scope", value_name = "CIDR", required = true)]
        scopes: Vec<Ipv4Net>,
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        on: On,
    },
    /// Activate scopes: DHCP hands out their addresses again.
    Activate {
        #[arg(long = "scope", value_name = "CIDR", required = true)]
        scopes: Vec<Ipv4Net>,
        #[command(flatten)]
        on: On,
    },
    /// Deactivate scopes: they stay configured but hand out nothing.
    Deactivate {
        #[arg(long = "scope", value_name = "CIDR", required = true)]
        scopes: Vec<Ipv4Net>,
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        on: On,
    },
    /// Copy a scope onto another CIDR (same server) or another server (same CIDR).
    Duplicate {
        #[arg(long, value_name = "CIDR")]
        scope: Ipv4Net,
        #[arg(long, value_name = "CIDR")]
        to_cidr: Option<Ipv4Net>,
        #[arg(long, value_name = "NAME")]
        to_server: Option<String>,
        #[command(flatten)]
        on: On,
    },
    /// Re-create a scope a network lists but the server lacks (with defaults).
    Recreate {
        #[arg(long, value_name = "CIDR")]
        scope: Ipv4Net,
        #[command(flatten)]
        on: On,
    },
    /// Drop a missing scope from its network's list.
    Forget {
        #[arg(long, value_name = "CIDR")]
        scope: Ipv4Net,
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        on: On,
    },
}

/// `--server`, or the only configured server.
fn server_of(session: &Session, on: &On) -> Result<String, Fail> {
    if let Some(s) = &on.server {
        return Ok(s.clone());
    }
    match session.config().servers.as_slice() {
        [one] => Ok(one.name.clone()),
        all => Err(Fail(
            3,
            format!(
                "several servers are configured ({}): pick one with --server NAME",
                all.iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

pub fn network(session: Arc<Session>, cmd: NetworkCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let o = match cmd {
        NetworkCmd::Create {
            cidr,
            container,
            title,
            description,
            on,
        } => {
            let s = server_of(&session, &on)?;
            let cmd = Command::CreateNetwork {
                cidr,
                container,
                title,
                description,
            };
            change(&rt, &session, &s, cmd, true)
        }
        NetworkCmd::Edit {
            cidr,
            title,
            description,
            on,
        } => {
            let s = server_of(&session, &on)?;
            let cmd = Command::EditNetwork {
                cidr,
                title,
                description,
            };
            change(&rt, &session, &s, cmd, true)
        }
        NetworkCmd::Delete { cidr, yes, on } => {
            let s = server_of(&session, &on)?;
            confirm(&format!("delete {cidr} on {s}?"), yes)?;
            change(&rt, &session, &s, Command::DeleteNetwork { cidr }, true)
        }
        NetworkCmd::ToContainer { cidr, on } => {
            let s = server_of(&session, &on)?;
            change(&rt, &session, &s, Command::ToContainer { cidr }, true)
        }
    }?;
    print_outcome(&o);
    Ok(ExitCode::SUCCESS)
}

fn props_of(p: PropArgs, active: bool) -> ScopeProps {
    ScopeProps {
        start: p.start,
        end: p.end,
        gateway: p.gateway,
        dns: p.dns,
        domain: p.domain,
        lease_time: p.lease_time,
        active,
        title: p.title,
        description: p.description,
        relay: p.relay,
    }
}

/// Runs one change on `server` and prints what it did.
fn one(session: &Session, server: &str, cmd: Command) -> Result<ExitCode, Fail> {
    print_outcome(&change(&runtime()?, session, server, cmd, true)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs the command `f` makes for each scope; every outcome is printed, and the first
/// failure decides the exit.
fn each(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: &str,
    scopes: &[Ipv4Net],
    f: impl Fn(Ipv4Net) -> Command,
) -> Result<ExitCode, Fail> {
    let mut first: Option<Fail> = None;
    for c in scopes {
        match change(rt, session, server, f(*c), true) {
            Ok(o) => print_outcome(&o),
            Err(fl) => {
                if scopes.len() > 1 {
                    eprintln!("ddish: {c}: {}", fl.1);
                }
                first.get_or_insert(fl);
            }
        }
    }
    match first {
        Some(f) if scopes.len() > 1 => Err(Fail(f.0, "some scopes were not changed".into())),
        Some(f) => Err(f),
        None => Ok(ExitCode::SUCCESS),
    }
}

pub fn scope(session: Arc<Session>, cmd: ScopeLayoutCmd) -> Result<ExitCode, Fail> {
    match cmd {
        ScopeLayoutCmd::Create {
            network,
            subnet,
            props,
            inactive,
            on,
        } => {
            let s = server_of(&session, &on)?;
            let cmd = Command::CreateScope {
                network,
                subnet,
                props: Box::new(props_of(props, !inactive)),
            };
            one(&session, &s, cmd)
        }
        ScopeLayoutCmd::Edit {
            scope,
            props,
            no_gateway,
            no_dns,
            active,
            inactive,
            options,
            remove_options,
            on,
        } => {
            let s = server_of(&session, &on)?;
            let mut set_options = Vec::new();
            for o in options {
                let (n, d) = o.split_once('=').ok_or_else(|| {
                    Fail(
                        3,
                        format!("--option '{o}': write NAME=DATA, e.g. ntp-servers=192.0.2.1"),
                    )
                })?;
                set_options.push((n.trim().to_string(), d.trim().to_string()));
            }
            let e = ScopeEdit {
                start: props.start,
                end: props.end,
                gateway: if no_gateway {
                    Some(None)
                } else {
                    props.gateway.map(Some)
                },
                dns: if no_dns {
                    Some(Vec::new())
                } else {
                    (!props.dns.is_empty()).then_some(props.dns)
                },
                domain: props.domain,
                lease_time: props.lease_time,
                title: props.title,
                description: props.description,
                relay: (!props.relay.is_empty()).then_some(props.relay),
                active: (active || inactive).then_some(active),
                set_options,
                remove_options,
            };
            let cmd = Command::EditScope {
                cidr: scope,
                edit: Box::new(e),
            };
            one(&session, &s, cmd)
        }
        ScopeLayoutCmd::Delete { scopes, yes, on } => {
            let s = server_of(&session, &on)?;
            let rt = runtime()?;
            // One question for all, with what each holds.
            let mut lines = Vec::new();
            for c in &scopes {
                let h = rt
                    .block_on(session.scope_holdings(&s, *c))
                    .map_err(op_fail)?;
                lines.push(format!("{c}: {}", h.describe()));
            }
            confirm(
                &format!(
                    "delete on {s} (and its HA peers):\n  {}\n",
                    lines.join("\n  ")
                ),
                yes,
            )?;
            each(&rt, &session, &s, &scopes, |cidr| Command::DeleteScope {
                cidr,
                confirmed: true,
            })
        }
        ScopeLayoutCmd::Activate { scopes, on } => {
            let s = server_of(&session, &on)?;
            let cmd = Command::ScopesApply {
                server: s.clone(),
                op: ScopesOp::Activate,
                cidrs: scopes,
            };
            one(&session, &s, cmd)
        }
        ScopeLayoutCmd::Deactivate { scopes, yes, on } => {
            let s = server_of(&session, &on)?;
            confirm(
                &format!(
                    "deactivate {} on {s}? DHCP stops handing out their addresses",
                    scopes
                        .iter()
                        .map(Ipv4Net::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                yes,
            )?;
            let cmd = Command::ScopesApply {
                server: s.clone(),
                op: ScopesOp::Deactivate,
                cidrs: scopes,
            };
            one(&session, &s, cmd)
        }
        ScopeLayoutCmd::Duplicate {
            scope,
            to_cidr,
            to_server,
            on,
        } => {
            let s = server_of(&session, &on)?;
            let cmd = Command::DuplicateScope {
                cidr: scope,
                to_cidr,
                to_server,
            };
            one(&session, &s, cmd)
        }
        ScopeLayoutCmd::Recreate { scope, on } => {
            let s = server_of(&session, &on)?;
            one(&session, &s, Command::RecreateScope { cidr: scope })
        }
        ScopeLayoutCmd::Forget { scope, yes, on } => {
            let s = server_of(&session, &on)?;
            confirm(&format!("forget the missing scope {scope} on {s}?"), yes)?;
            one(&session, &s, Command::ForgetScope { cidr: scope })
        }
    }
}
