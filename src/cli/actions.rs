//! `ddish ip ...`, `ddish scope exclude|unexclude`, `ddish dns add|delete`: the console's IP
//! actions as commands, on the same ops code. Refusals exit 3, server failures 2.
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};

use ddish::model::Range;
use ddish::ops::{
    ClaimRequest, Command, Ident, OpError, Outcome, ReservationRequest, ReservationType, Session,
};

use super::common::{change, confirm, op_fail, print_outcome, run, runtime, Fail};

#[derive(Subcommand, Debug)]
pub enum IpCmd {
    /// Hold the next free (or a random free) address of a scope; prints the held IP.
    Next {
        #[arg(long, value_name = "CIDR")]
        scope: ipnet::Ipv4Net,
        #[arg(long)]
        random: bool,
        #[command(flatten)]
        at: At,
    },
    /// Hold one free address.
    Hold {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// End a hold: the address is available again.
    Release {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Claim an address for a client (a lease that never expires, on every HA peer).
    Claim {
        ip: Ipv4Addr,
        #[arg(long)]
        mac: String,
        #[arg(long)]
        hostname: Option<String>,
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        at: At,
    },
    /// Return a claimed address to DHCP.
    Unclaim {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Create or replace the DHCP reservation of an address.
    Reserve {
        ip: Ipv4Addr,
        #[arg(
            long,
            conflicts_with = "client_id",
            required_unless_present = "client_id"
        )]
        mac: Option<String>,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long = "type", value_enum, default_value_t = ResvKind::Dhcp)]
        kind: ResvKind,
        #[arg(long)]
        hostname: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        at: At,
    },
    /// Reserve an address for the client that has its lease (its MAC and hostname).
    ReserveLease {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Delete the reservation of an address.
    Unreserve {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Everything known of an address, on every HA peer.
    Show {
        ip: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// The story of an address, newest first: its own journal entries and the changes that
    /// covered it (exclusions, its scope's edits and activation, bulk and failover changes,
    /// raw config edits of its server).
    History {
        ip: Ipv4Addr,
        /// Only what was done on this server.
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// ICMP echo: reachable with the round-trip time, or not.
    Ping { ip: Ipv4Addr },
}

#[derive(Subcommand, Debug)]
pub enum ScopeCmd {
    /// Exclude START-END from DHCP (the pools are rewritten on every HA peer).
    Exclude {
        #[arg(long, value_name = "CIDR")]
        scope: ipnet::Ipv4Net,
        start: Ipv4Addr,
        end: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Return START-END to the pools.
    Unexclude {
        #[arg(long, value_name = "CIDR")]
        scope: ipnet::Ipv4Net,
        start: Ipv4Addr,
        end: Ipv4Addr,
        #[command(flatten)]
        at: At,
    },
    /// Ping every address of the scope at a bounded rate and compare with DHCP: addresses
    /// that answer but are free (conflicts: a static IP DHCP may hand out) and leased ones
    /// that are silent. Exit 0 without conflicts, 2 with.
    Sweep {
        #[arg(long, value_name = "CIDR")]
        scope: ipnet::Ipv4Net,
        /// Pings per second (1-1000).
        #[arg(long, default_value_t = ddish::model::sweep::DEFAULT_RATE)]
        rate: u32,
        /// Also write every pinged address (state, answer, finding) to this CSV file.
        #[arg(long, value_name = "FILE")]
        csv: Option<std::path::PathBuf>,
        /// The server, when the scope is on several that are not HA peers.
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// Create, edit, delete, activate, deactivate, duplicate, re-create or forget scopes.
    #[command(flatten)]
    Layout(super::layout::ScopeLayoutCmd),
}

#[derive(Subcommand, Debug)]
pub enum DnsCmd {
    /// Add an A record (and with --ptr the PTR) by TSIG-signed dynamic update.
    Add {
        #[arg(long)]
        ip: Ipv4Addr,
        #[arg(long)]
        zone: String,
        #[arg(long)]
        hostname: String,
        #[arg(long, default_value_t = 3600)]
        ttl: u32,
        #[arg(long)]
        ptr: bool,
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        at: At,
    },
    /// Delete the A record of HOSTNAME for IP, and its PTR.
    Delete {
        #[arg(long)]
        ip: Ipv4Addr,
        #[arg(long)]
        zone: String,
        #[arg(long)]
        hostname: String,
        /// Keep the PTR record.
        #[arg(long)]
        no_ptr: bool,
        #[command(flatten)]
        at: At,
    },
}

/// Which server, and confirmation for scripts.
#[derive(Args, Debug, Clone)]
pub struct At {
    /// The server, when the address or scope is on several that are not HA peers.
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,
    /// Confirm destructive actions and warnings without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ResvKind {
    Dhcp,
    Bootp,
    Both,
}

pub fn ip(session: Arc<Session>, cmd: IpCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let apply = |server: &str, cmd, yes| apply(&rt, &session, server, cmd, yes);
    let locate = |ip: Ipv4Addr, at: &At| {
        rt.block_on(session.locate(ip, at.server.as_deref()))
            .map_err(op_fail)
    };
    match cmd {
        IpCmd::Next { scope, random, at } => {
            let (server, def) = find_scope(&rt, &session, &scope, at.server.as_deref())?;
            let hold = Command::HoldFree {
                scope: Box::new(def),
                random,
            };
            let o = change(&rt, &session, &server, hold, at.yes)?;
            // The held IP alone on stdout, for scripts.
            println!("{}", o.ip.map(|i| i.to_string()).unwrap_or_default());
            eprintln!("{}", o.summary);
            for w in &o.warnings {
                eprintln!("warning: {w}");
            }
        }
        IpCmd::Hold { ip, at } => {
            let server = rt
                .block_on(session.locate_server(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            apply(&server, Command::Hold { ip }, at.yes)?;
        }
        IpCmd::Release { ip, at } => {
            let (server, _) = locate(ip, &at)?;
            confirm(&format!("release the hold on {ip}?"), at.yes)?;
            apply(&server, Command::Release { ip }, true)?;
        }
        IpCmd::Claim {
            ip,
            mac,
            hostname,
            comment,
            at,
        } => {
            let server = rt
                .block_on(session.locate_server(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            let claim = ClaimRequest {
                mac,
                hostname,
                comment,
            };
            let cmd = Command::Claim { ip, claim };
            apply(&server, cmd, at.yes)?;
        }
        IpCmd::Unclaim { ip, at } => {
            let server = rt
                .block_on(session.locate_server(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            confirm(&format!("unclaim {ip} (its client loses it)?"), at.yes)?;
            apply(&server, Command::Unclaim { ip }, true)?;
        }
        IpCmd::Reserve {
            ip,
            mac,
            client_id,
            kind,
            hostname,
            description,
            at,
        } => {
            let server = rt
                .block_on(session.locate_server(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            let reservation = ReservationRequest {
                ident: match (mac, client_id) {
                    (Some(m), _) => Ident::Mac(m),
                    (None, Some(c)) => Ident::ClientId(c),
                    (None, None) => return Err(Fail(3, "give --mac MAC or --client-id ID".into())),
                },
                kind: match kind {
                    ResvKind::Dhcp => ReservationType::Dhcp,
                    ResvKind::Bootp => ReservationType::Bootp,
                    ResvKind::Both => ReservationType::Both,
                },
                hostname,
                description,
            };
            let cmd = Command::Reserve {
                ip,
                reservation,
                confirmed: false,
            };
            apply(&server, cmd, at.yes)?;
        }
        IpCmd::ReserveLease { ip, at } => {
            let (server, def) = locate(ip, &at)?;
            let view = rt
                .block_on(session.load_scope(&server, &def))
                .map_err(op_fail)?;
            let cmd = Command::reserve_lease(&view.detail(ip)).map_err(|e| Fail(3, e.0))?;
            apply(&server, cmd, at.yes)?;
        }
        IpCmd::Unreserve { ip, at } => {
            let (server, _) = locate(ip, &at)?;
            confirm(&format!("delete the reservation of {ip}?"), at.yes)?;
            apply(&server, Command::Unreserve { ip }, true)?;
        }
        IpCmd::Show { ip, at } => match rt.block_on(session.locate(ip, at.server.as_deref())) {
            Ok((server, def)) => print!("{}", rt.block_on(show(&session, &server, &def, ip))?),
            // Outside every scope: what its network knows (a network-level claim).
            Err(OpError::NotFound(_)) => {
                let server = rt
                    .block_on(session.locate_server(ip, at.server.as_deref()))
                    .map_err(op_fail)?;
                let net = rt
                    .block_on(session.network_of(&server, ip))
                    .map_err(op_fail)?;
                println!("ip           {ip}");
                println!(
                    "network      {}{} on {server} (outside every scope)",
                    net.cidr,
                    net.title.map(|t| format!(" ({t})")).unwrap_or_default()
                );
                match net.claims.iter().find(|c| c.ip == ip) {
                    Some(c) => println!(
                        "state        Claimed  mac {}{}{}",
                        c.mac,
                        c.hostname
                            .as_deref()
                            .map(|h| format!("  host {h}"))
                            .unwrap_or_default(),
                        c.comment
                            .as_deref()
                            .map(|h| format!("  \"{h}\""))
                            .unwrap_or_default()
                    ),
                    None => println!("state        not claimed"),
                }
            }
            Err(e) => return Err(op_fail(e)),
        },
        IpCmd::History { ip, server } => {
            if let Some(s) = server.as_deref() {
                session.client(s).map_err(op_fail)?;
            }
            let on = server.as_deref().unwrap_or("");
            let Outcome::History(entries) = run(&rt, &session, on, Command::History { ip }, true)?
            else {
                return Err(Fail(
                    2,
                    "internal error: history answered no entries".into(),
                ));
            };
            if entries.is_empty() {
                println!("no history for {ip}: no journal entry, no lease change seen");
            }
            for h in entries {
                let e = h.entry;
                let how = if h.relation == "this address" {
                    String::new()
                } else {
                    format!("  ({})", h.relation)
                };
                println!(
                    "{}  {:<20} {:<10} {:<16} {}{how}{}",
                    ddish::export::rfc3339(e.time),
                    e.user,
                    e.server,
                    e.action,
                    e.result,
                    match e.after {
                        Some(serde_json::Value::String(s)) => format!("  {s}"),
                        Some(a) => format!("  {a}"),
                        None => String::new(),
                    }
                );
            }
        }
        IpCmd::Ping { ip } => {
            let Outcome::Ping(r) = run(&rt, &session, "", Command::Ping { ip }, true)? else {
                return Err(Fail(2, "internal error: ping answered no result".into()));
            };
            let kind = format!("{:?}", r.socket).to_uppercase();
            match (r.reachable, r.rtt) {
                (true, Some(rtt)) => println!(
                    "{ip} reachable: {:.3} ms ({}/{} replies, {kind} socket)",
                    rtt.as_secs_f64() * 1e3,
                    r.received,
                    r.sent
                ),
                _ => {
                    println!(
                        "{ip} not reachable: no reply to {} echo requests ({kind} socket)",
                        r.sent
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn find_scope(
    rt: &tokio::runtime::Runtime,
    session: &Arc<Session>,
    cidr: &ipnet::Ipv4Net,
    server: Option<&str>,
) -> Result<(String, ddish::model::ScopeDef), Fail> {
    // A scope is found through its network address: the same lookup as for an IP, then
    // the CIDR must match exactly.
    let (s, def) = rt
        .block_on(session.locate(cidr.network(), server))
        .map_err(op_fail)?;
    if def.cidr != *cidr {
        return Err(Fail(
            3,
            format!("no scope {cidr} on {s} (the address lies in {})", def.cidr),
        ));
    }
    Ok((s, def))
}

async fn show(
    session: &Arc<Session>,
    server: &str,
    def: &ddish::model::ScopeDef,
    ip: Ipv4Addr,
) -> Result<String, Fail> {
    use std::fmt::Write as _;
    let peers = session.peers(server).await.map_err(op_fail)?;
    let mut out = String::new();
    let mut first = true;
    for (name, _) in &peers {
        let view = session.load_scope(name, def).await.map_err(op_fail)?;
        let d = view.detail(ip);
        if first {
            let _ = writeln!(out, "ip           {ip}");
            let _ = writeln!(out, "scope        {} on {}", def.label(), server);
            let _ = writeln!(out, "state        {}", d.state);
            let _ = writeln!(
                out,
                "in pool      {}   in range {}{}",
                d.in_pool,
                d.in_range,
                if d.is_gateway { "   (the gateway)" } else { "" }
            );
            if let Some(r) = d.reservation {
                let _ = writeln!(
                    out,
                    "reservation  {}{}{}{}",
                    r.hw.as_deref().or(r.client_id.as_deref()).unwrap_or("-"),
                    if r.global { "  (global)" } else { "" },
                    r.hostname
                        .as_deref()
                        .map(|h| format!("  {h}"))
                        .unwrap_or_default(),
                    r.description
                        .as_deref()
                        .map(|h| format!("  \"{h}\""))
                        .unwrap_or_default()
                );
            }
            first = false;
        }
        match d.lease {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "lease on {name:<12} {} {}  mac {}  host {}  since {}  until {}{}",
                    ddish::model::scope::lease_state(l, ddish::ops::now()),
                    match l.mark {
                        ddish::model::LeaseMark::Held => "(held by ddish)",
                        ddish::model::LeaseMark::Claimed => "(claimed by ddish)",
                        ddish::model::LeaseMark::None => "(DHCP)",
                    },
                    if l.hw.is_none() || l.hw.is_zero() {
                        "-".to_string()
                    } else {
                        l.hw.to_string()
                    },
                    l.hostname.as_deref().unwrap_or("-"),
                    ddish::export::rfc3339(l.cltt),
                    l.expires()
                        .map(ddish::export::rfc3339)
                        .unwrap_or_else(|| "never".into()),
                    l.comment()
                        .map(|c| format!("  \"{c}\""))
                        .unwrap_or_default()
                );
            }
            None => {
                let _ = writeln!(out, "lease on {name:<12} none");
            }
        }
    }
    Ok(out)
}

pub fn scope(session: Arc<Session>, cmd: ScopeCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let (scope, start, end, at, include) = match cmd {
        ScopeCmd::Exclude {
            scope,
            start,
            end,
            at,
        } => (scope, start, end, at, false),
        ScopeCmd::Unexclude {
            scope,
            start,
            end,
            at,
        } => (scope, start, end, at, true),
        ScopeCmd::Layout(c) => return super::layout::scope(session, c),
        ScopeCmd::Sweep {
            scope,
            rate,
            csv,
            server,
        } => {
            return super::sweep::sweep(
                &rt,
                &session,
                &scope,
                rate,
                csv.as_deref(),
                server.as_deref(),
            )
        }
    };
    let (server, def) = find_scope(&rt, &session, &scope, at.server.as_deref())?;
    let range = Range::new(start, end)
        .ok_or_else(|| Fail(3, format!("the end {end} comes before the start {start}")))?;
    let cmd = if include {
        confirm(
            &format!("return {start} - {end} to the pools of {scope} (DHCP hands them out again)?"),
            at.yes,
        )?;
        Command::Unexclude {
            scope: Box::new(def),
            range,
        }
    } else {
        Command::Exclude {
            scope: Box::new(def),
            range,
            replaces: None,
            confirmed: false,
        }
    };
    apply(&rt, &session, &server, cmd, at.yes)?;
    Ok(ExitCode::SUCCESS)
}

/// A change on `server`, its outcome printed.
fn apply(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: &str,
    cmd: Command,
    yes: bool,
) -> Result<(), Fail> {
    change(rt, session, server, cmd, yes).map(|o| print_outcome(&o))
}

pub fn dns(session: Arc<Session>, cmd: DnsCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let apply = |server: &str, cmd, yes| apply(&rt, &session, server, cmd, yes);
    match cmd {
        DnsCmd::Add {
            ip,
            zone,
            hostname,
            ttl,
            ptr,
            comment,
            at,
        } => {
            let (server, _) = rt
                .block_on(session.locate(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            let cmd = Command::DnsAdd {
                ip,
                zone,
                hostname,
                ttl,
                ptr,
                comment,
            };
            apply(&server, cmd, at.yes)?;
        }
        DnsCmd::Delete {
            ip,
            zone,
            hostname,
            no_ptr,
            at,
        } => {
            let (server, _) = rt
                .block_on(session.locate(ip, at.server.as_deref()))
                .map_err(op_fail)?;
            confirm(
                &format!("delete the records of {hostname} ({ip}) in {zone}?"),
                at.yes,
            )?;
            let cmd = Command::DnsDelete {
                ip,
                zone,
                hostname,
                ptr: !no_ptr,
            };
            apply(&server, cmd, true)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
