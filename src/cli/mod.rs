//! The scriptable front door: every subcommand runs the same ops code as the console.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use ddish::config::Config;
use ddish::ops::{ServerHealth, Session};

mod actions;
mod bulk;
pub mod common;
mod config_cmd;
mod config_init;
mod docs;
mod events;
mod export_cmd;
mod failover;
mod fleet;
mod layout;
mod option_defs;
mod server;
mod sweep;

pub use common::Fail;
use common::{cli_session, load_config, runtime};

#[derive(Parser, Debug)]
#[command(
    name = "ddish",
    version = docs::VERSION,
    long_version = docs::LONG_VERSION.as_str(),
    about = "Keyboard-driven DDI console for ISC Kea and BIND",
    long_about = "Keyboard-driven DDI console (DNS, DHCP, IPAM) for ISC Kea and BIND.\n\
                  Without a subcommand it opens the console on the configured servers."
)]
pub struct Cli {
    /// Configuration file (default: the XDG config path, e.g. ~/.config/ddish/config.toml).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log more detail to the log file.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
    /// Change nothing: every write action is refused, whatever the roles in the config.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Colour: auto (a terminal without NO_COLOR), always, never. The console goes
    /// monochrome with never (states keep their letters).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Validate the config and contact every server: exit 0 all reachable, 1 config invalid,
    /// 2 a server failing.
    Check,
    /// Write a view to CSV (header row first), to stdout or a file.
    Export {
        #[arg(long, value_enum)]
        what: What,
        /// Only this server.
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
        /// The scope (CIDR) whose addresses to export; required for `--what ips`.
        #[arg(long, value_name = "CIDR")]
        scope: Option<ipnet::Ipv4Net>,
        /// Output file (default stdout).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Act on one address: hold, release, claim, reserve, show, history, ping.
    #[command(subcommand)]
    Ip(actions::IpCmd),
    /// Scope changes: create, edit, delete, (de)activate, duplicate; exclusion ranges.
    #[command(subcommand)]
    Scope(actions::ScopeCmd),
    /// Networks and containers: create, edit, delete, to-container.
    #[command(subcommand)]
    Network(layout::NetworkCmd),
    /// One change on many scopes or servers: options set/delete/replace, lease time, ddns-*
    /// parameters, exclusions; preview first.
    #[command(subcommand)]
    Options(bulk::OptionsCmd),
    /// Client classes on several servers: list, create, edit, delete.
    #[command(subcommand)]
    Class(bulk::ClassCmd),
    /// A server's global parameters: show them, set them on one or more servers.
    #[command(subcommand)]
    Server(server::ServerCmd),
    /// Custom option definitions (option-def): list, create, delete on one or more servers.
    #[command(subcommand)]
    Optiondef(option_defs::OptionDefCmd),
    /// DNS records for an address (TSIG-signed dynamic update).
    #[command(subcommand)]
    Dns(actions::DnsCmd),
    /// Service status of every DHCP and DNS server: exit 0 all fine, 2 any failing.
    Status(fleet::StatusArgs),
    /// Health of every configured DNS zone on its servers: exit 0 all OK, 2 otherwise.
    Zones {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// List this zone's records (AXFR from its primary, with the zone's key).
        #[arg(long, value_name = "ZONE")]
        records: Option<String>,
    },
    /// Configuration events: ddish's journal plus changes seen on the servers; filter,
    /// saved queries, CSV.
    Events(events::EventsArgs),
    /// Check the configurations for what is wrong or suspicious (overlapping subnets,
    /// reservations outside their subnet or in another scope's pool, the same client reserved
    /// twice, scopes serving nobody or over their threshold, HA peers that differ): exit 0
    /// clean, 2 errors or warnings found (or a server could not be read). `--file` checks
    /// a kea-dhcp4 configuration file instead, before it is deployed.
    Review {
        /// Only this server (repeatable).
        #[arg(long, conflicts_with = "file")]
        server: Vec<String>,
        /// A Kea configuration file (comments allowed, as Kea allows them; repeatable):
        /// every check but utilization and HA drift, which need the running servers.
        #[arg(long, value_name = "PATH")]
        file: Vec<PathBuf>,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// A server's running configuration: show it as JSON, or edit it in $EDITOR with a
    /// review of every change and the safe write.
    #[command(subcommand)]
    Config(config_cmd::ConfigCmd),
    /// DHCP failover (Kea HA) between two servers: list, create, edit, delete, add-scope,
    /// maintenance.
    #[command(subcommand)]
    Failover(failover::FailoverCmd),
    /// Find addresses, MACs, client IDs and hostnames across all servers (leases, holds,
    /// claims, reservations) and DNS: exit 0 found, 1 not found, 2 nothing found and a
    /// server failed.
    Find {
        /// An address (10.0.0.5), a range (10.0.0.5-10.0.0.20) or CIDR (10.0.0.0/24), a MAC
        /// (aa:bb:cc:00:00:01), the start of a MAC or client ID (aa:bb:cc), or part of a
        /// hostname (printer). Partial terms walk every lease, 1,000 per request.
        term: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only what Kea finds by key (whole address, MAC, client ID or hostname): no walk
        /// over the leases, fast on big servers.
        #[arg(long)]
        exact: bool,
    },
    /// The built-in loopback lab: two Kea servers in HA plus BIND, all on 127.0.0.1.
    /// Without a subcommand: start it, open the console on it, stop it on quit.
    #[command(args_conflicts_with_subcommands = true)]
    Lab {
        #[command(subcommand)]
        action: Option<LabCmd>,
        #[command(flatten)]
        opts: LabArgs,
    },
    /// Print the man page (roff), generated from these same definitions; --dir writes
    /// DIR/ddish.1 instead.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the shell completion script: bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum LabCmd {
    /// Start the lab and print the path of its ddish.toml.
    Up {
        #[command(flatten)]
        opts: LabArgs,
    },
    /// Stop exactly what `lab up` started in that directory.
    Down {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug, Clone)]
pub struct LabArgs {
    /// Lab directory (configs, leases, logs, pids).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// First of five consecutive loopback ports (two Control Agents, two DHCP ports, DNS).
    #[arg(long, value_name = "P", default_value_t = 18001)]
    pub port_base: u16,
    /// Pair the servers in hot-standby instead of load-balancing.
    #[arg(long)]
    pub hot_standby: bool,
    /// Run the Kea installed under DIR (made by scripts/kea-versions.sh: trixie for Kea 2.6,
    /// sid for Kea 3.0) instead of the system's. Default: $DDISH_KEA_ROOT, else the system's.
    #[arg(long, value_name = "DIR")]
    pub kea_root: Option<PathBuf>,
    /// How ddish reaches the lab's Kea: agent (kea-ctrl-agent) or direct (the daemon's own
    /// HTTP socket, Kea 3.0). Default: $DDISH_KEA_API, else agent.
    #[arg(long, value_name = "API")]
    pub kea_api: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Servers,
    Networks,
    Scopes,
    Ips,
}

/// Above this many scopes, `export --what scopes` uses statistics instead of leases.
const EXACT_SCOPE_LIMIT: usize = 2_000;

pub fn run(cli: Cli) -> Result<ExitCode, Fail> {
    ddish::color::set(match cli.color {
        ColorWhen::Auto => ddish::color::ColorChoice::Auto,
        ColorWhen::Always => ddish::color::ColorChoice::Always,
        ColorWhen::Never => ddish::color::ColorChoice::Never,
    });
    match cli.cmd {
        Some(Cmd::Man { dir }) => docs::man(dir.as_deref()),
        Some(Cmd::Config(config_cmd::ConfigCmd::Init(_))) if cli.read_only => Err(Fail(
            3,
            "ddish runs with --read-only: no configuration file is written".into(),
        )),
        Some(Cmd::Config(config_cmd::ConfigCmd::Init(a))) => {
            let path = match cli.config.clone() {
                Some(p) => p,
                None => ddish::config::default_path().ok_or_else(|| {
                    Fail(
                        1,
                        "cannot find the home directory: pass --config FILE".into(),
                    )
                })?,
            };
            config_init::init(&path, a)
        }
        Some(Cmd::Completions { shell }) => Ok(docs::completions(shell)),
        None => {
            let cfg = match (&cli.config, ddish::config::default_path()) {
                // No configuration yet: the console opens empty and `+` adds a server,
                // written to the default path.
                (None, Some(p)) if !p.exists() => {
                    let mut c = ddish::config::parse("", &p).map_err(|e| Fail(1, e.to_string()))?;
                    c.source = Some(p);
                    c
                }
                _ => load_config(cli.config.as_deref())?,
            };
            console(cfg, cli.read_only)
        }
        Some(Cmd::Check) => {
            let cfg = load_config(cli.config.as_deref())?;
            check(cfg)
        }
        Some(Cmd::Export {
            what,
            server,
            scope,
            output,
        }) => {
            let cfg = load_config(cli.config.as_deref())?;
            export_cmd::export(cfg, what, server.as_deref(), scope, output.as_deref())
        }
        Some(Cmd::Ip(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            actions::ip(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Scope(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            actions::scope(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Options(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            bulk::options(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Class(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            bulk::class(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Server(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            server::server(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Optiondef(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            option_defs::option_def(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Network(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            layout::network(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Status(a)) => {
            let cfg = load_config(cli.config.as_deref())?;
            fleet::status(cfg, a)
        }
        Some(Cmd::Zones { json, records }) => {
            let cfg = load_config(cli.config.as_deref())?;
            match records {
                Some(z) => fleet::zone_records(cfg, &z, json),
                None => fleet::zones(cfg, json),
            }
        }
        Some(Cmd::Find { term, json, exact }) => {
            let cfg = load_config(cli.config.as_deref())?;
            fleet::find(cfg, &term, json, exact)
        }
        Some(Cmd::Events(a)) => {
            let cfg = load_config(cli.config.as_deref())?;
            events::events(cfg, a)
        }
        Some(Cmd::Review { file, json, .. }) if !file.is_empty() => {
            // A file needs no servers: the ddish config only lends its thresholds, when
            // there is one (one named with --config must load).
            let t = match cli.config.as_deref() {
                Some(p) => load_config(Some(p))?.thresholds(),
                None => load_config(None)
                    .map(|c| c.thresholds())
                    .unwrap_or_default(),
            };
            Ok(config_cmd::review_files(&file, &t, json))
        }
        Some(Cmd::Review { server, json, .. }) => {
            let cfg = load_config(cli.config.as_deref())?;
            config_cmd::review(cli_session(cfg, cli.read_only), server, json)
        }
        Some(Cmd::Config(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            config_cmd::config_cmd(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Failover(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            failover::failover(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Dns(c)) => {
            let cfg = load_config(cli.config.as_deref())?;
            actions::dns(cli_session(cfg, cli.read_only), c)
        }
        Some(Cmd::Lab { action, opts }) => match action {
            Some(LabCmd::Up { opts }) => {
                let info = lab_up(&opts)?;
                println!("{}", info.config_path.display());
                eprintln!(
                    "lab (Kea {}, {} API) running in {}; open it with: ddish --config {}\nstop it with: ddish lab down --dir {}",
                    info.kea_version,
                    info.api.as_str(),
                    info.dir.display(),
                    info.config_path.display(),
                    info.dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Some(LabCmd::Down { dir }) => {
                let dir = dir.unwrap_or_else(ddish::lab::default_dir);
                let stopped = ddish::lab::down(&dir)?;
                if stopped.is_empty() {
                    println!("nothing was running in {}", dir.display());
                } else {
                    for s in stopped {
                        // Entries carry their own note when nothing needed stopping.
                        if s.contains("already") {
                            println!("{s}");
                        } else {
                            println!("stopped {s}");
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            None => {
                // Refused before the lab starts, not after.
                here_a_terminal()?;
                let info = lab_up(&opts)?;
                let cfg = load_config(Some(&info.config_path));
                let res = cfg.and_then(|c| console(c, cli.read_only));
                let down = ddish::lab::down(&info.dir);
                if let Err(e) = down {
                    eprintln!("stopping the lab: {e}");
                }
                res
            }
        },
    }
}

fn lab_up(a: &LabArgs) -> Result<ddish::lab::LabInfo, Fail> {
    let from_env = ddish::lab::KeaDist::from_env()?;
    let api = match &a.kea_api {
        Some(s) => ddish::lab::LabApi::parse(s)?,
        None => from_env.api,
    };
    let kea = ddish::lab::KeaDist::new(a.kea_root.clone().or(from_env.root), api)?;
    let opts = ddish::lab::LabOptions {
        dir: a.dir.clone().unwrap_or_else(ddish::lab::default_dir),
        port_base: a.port_base,
        ha_mode: if a.hot_standby {
            ddish::lab::HaMode::HotStandby
        } else {
            ddish::lab::HaMode::LoadBalancing
        },
        with_auth: true,
        kea: Some(kea),
    };
    Ok(ddish::lab::up(&opts)?)
}

fn console(cfg: Config, read_only: bool) -> Result<ExitCode, Fail> {
    here_a_terminal()?;
    let rt = runtime()?;
    let mut cfg = cfg;
    // A server added in the console is in the file now: start again on it.
    while rt
        .block_on(ddish::tui::run(cfg.clone(), read_only))
        .map_err(|e| Fail(2, format!("{e:#}")))?
    {
        cfg = load_config(cfg.source.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn here_a_terminal() -> Result<(), Fail> {
    console_terminal(
        std::io::stdin().is_terminal() && std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    )
}

/// The console draws on a terminal that can move its cursor: none (a pipe, cron, CI) or
/// TERM=dumb gets a clear refusal instead of a garbled screen.
fn console_terminal(terminal: bool, term: Option<&str>) -> Result<(), Fail> {
    if !terminal {
        return Err(Fail(
            2,
            "the console needs a terminal (stdin and stdout are not one): run ddish in a \
             terminal or over ssh -t, or use the subcommands for scripts (ddish --help)"
                .into(),
        ));
    }
    match term.map(str::trim) {
        None | Some("") | Some("dumb") => Err(Fail(
            2,
            format!(
                "the console cannot draw on TERM={}: set TERM to your terminal's type \
                 (xterm-256color, screen-256color, tmux-256color...), or use the subcommands \
                 (ddish --help)",
                term.unwrap_or("(unset)")
            ),
        )),
        Some(_) => Ok(()),
    }
}

fn check(cfg: Config) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let session = Session::new(cfg);
    let rows = rt.block_on(session.check_all());
    print!("{}", check_table(&rows));
    let mut failing = rows.iter().any(|r| !r.reachable || r.error.is_some());
    // HA peers must serve the same subnets, pools and reservations.
    for d in rt.block_on(session.ha_drift()) {
        if d.differences.is_empty() {
            continue;
        }
        failing = true;
        println!();
        println!(
            "DRIFT between HA peers {} and {}:",
            d.servers.0, d.servers.1
        );
        for line in &d.differences {
            println!("  {line}");
        }
    }
    // Writes a killed ddish left unfinished: each server against what it ran before.
    for (intent, servers) in rt.block_on(session.reconcile_unfinished()) {
        failing = true;
        println!();
        println!(
            "UNFINISHED WRITE '{}' by {} at {} (pid {}):",
            intent.what,
            intent.user,
            ddish::export::rfc3339(intent.started),
            intent.pid
        );
        for (server, state) in servers {
            println!("  {server}: {}", state.describe());
        }
    }
    Ok(if failing {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Plain aligned table: server, reachable, version, scopes, error.
pub fn check_table(rows: &[ServerHealth]) -> String {
    let head = [
        "SERVER",
        "REACHABLE",
        "VERSION",
        "SCOPES",
        "UTIL",
        "WRITES",
        "ERROR",
    ];
    let body: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                if r.reachable { "yes" } else { "no" }.to_string(),
                r.version.clone().unwrap_or_else(|| "-".into()),
                r.scopes
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.utilization
                    .map(|u| format!("{:.1}%", u.percent()))
                    .unwrap_or_else(|| "-".into()),
                r.writes.clone().unwrap_or_else(|| "-".into()),
                r.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut w = [0usize; 7];
    for (i, h) in head.iter().enumerate() {
        w[i] = h.len();
    }
    for row in &body {
        for i in 0..6 {
            w[i] = w[i].max(row[i].chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 7], out: &mut String| {
        for (i, c) in cells.iter().enumerate().take(6) {
            out.push_str(&format!("{:<width$}  ", c, width = w[i]));
        }
        out.push_str(cells[6]);
        out.push('\n');
    };
    line(head, &mut out);
    for r in &body {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]], &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_needs_a_terminal_that_draws() {
        let refused = |t, term| console_terminal(t, term).err().map(|Fail(c, m)| (c, m));
        assert!(refused(false, Some("xterm"))
            .unwrap()
            .1
            .contains("needs a terminal"));
        assert!(refused(true, Some("dumb")).unwrap().1.contains("TERM=dumb"));
        assert!(refused(true, None).unwrap().1.contains("TERM=(unset)"));
        assert!(console_terminal(true, Some("screen-256color")).is_ok());
    }
}
