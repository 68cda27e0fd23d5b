//! `ddish config show|edit`: a server's running configuration as JSON, and editing it in
//! `$EDITOR` with a review of every change before the safe write sends it.
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use ddish::editor;
use ddish::ops::{ChangeLine, Command, OpError, Outcome, ServerReview, Session};

use super::common::{confirm, op_fail, runtime, Fail};

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Write a commented starter configuration (the XDG path, or --config FILE), asking
    /// each --server URL what answers there (Control Agent or the daemon's own socket,
    /// dhcp4 or dhcp6, its version). Never replaces a file without --force.
    Init(super::config_init::InitArgs),
    /// Print the server's running configuration as JSON (secrets masked).
    Show {
        #[arg(long)]
        server: String,
        /// Only this part: a key of Dhcp4 (`subnet4`), a dotted path (`subnet4.0.pools`) or
        /// a JSON pointer (`/Dhcp4/option-data`).
        #[arg(long, value_name = "PATH")]
        section: Option<String>,
    },
    /// Edit the running configuration in $VISUAL / $EDITOR (else vi): every change is
    /// shown, then written to the server and its HA peers by the safe write (config-test
    /// first; a refused edit reopens the editor with Kea's reason on top).
    Edit {
        #[arg(long)]
        server: String,
        /// Write without asking after the review.
        #[arg(long)]
        yes: bool,
    },
}

pub fn config_cmd(session: Arc<Session>, c: ConfigCmd) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    match c {
        ConfigCmd::Show { server, section } => {
            let cmd = Command::ConfigShow { section };
            match rt.block_on(session.run(&server, cmd)).map_err(op_fail)? {
                Outcome::Json(v) => {
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                    Ok(ExitCode::SUCCESS)
                }
                other => Err(Fail(
                    1,
                    format!("internal error: unexpected answer {other:?}"),
                )),
            }
        }
        ConfigCmd::Edit { server, yes } => edit(&rt, &session, &server, yes),
        // Dispatched before any config is loaded (there is none yet).
        ConfigCmd::Init(_) => Err(Fail(
            2,
            "internal error: config init dispatched late".into(),
        )),
    }
}

fn edit(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: &str,
    yes: bool,
) -> Result<ExitCode, Fail> {
    session
        .may(server, ddish::config::Role::Admin)
        .map_err(op_fail)?;
    let base = rt.block_on(session.config_base(server)).map_err(op_fail)?;
    let mut text = base.text();
    let mut problem: Option<String> = None;
    loop {
        let Some(back) = editor::edit(server, &text, &base.notes(problem.as_deref()))
            .map_err(|e| Fail(3, e.to_string()))?
        else {
            return Err(Fail(
                if problem.is_some() { 3 } else { 1 },
                "no change in the editor: nothing was sent".into(),
            ));
        };
        text = back;
        let (edited, review) = match base.check_text(&text) {
            Ok(r) => r,
            Err(why) => {
                problem = Some(why);
                continue;
            }
        };
        if review.is_empty() {
            println!("nothing changed: nothing was sent");
            return Ok(ExitCode::from(1));
        }
        print_review(server, &review);
        confirm(
            &format!("write these {} change(s) to {server}?", review.len()),
            yes,
        )?;
        let cmd = Command::ConfigEdit {
            base: Box::new(base.clone()),
            edited: Box::new(edited),
        };
        match rt.block_on(session.run(server, cmd)) {
            Ok(Outcome::Done(o)) => {
                println!("{} (on {})", o.summary, o.peers.join(", "));
                for w in &o.warnings {
                    eprintln!("warning: {w}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            Ok(other) => {
                return Err(Fail(
                    1,
                    format!("internal error: unexpected answer {other:?}"),
                ))
            }
            // Kea refused the configuration (config-test) or a peer holds something else
            // there, and nothing was written anywhere: back to the editor with the reason.
            Err(OpError::Refused(m)) if m.contains("not made") => {
                eprintln!("ddish: {m}");
                problem = Some(m);
            }
            Err(e) => return Err(op_fail(e)),
        }
    }
}

/// Every change, `-` before and `+` after, red and green when colour is on (`--color`,
/// NO_COLOR, a terminal).
fn print_review(server: &str, review: &[ChangeLine]) {
    let color = ddish::color::stdout();
    let paint = |code: &str, s: String| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    println!("changes to {server}:");
    for c in review {
        println!("  {}", c.path);
        if let Some(b) = &c.before {
            println!("{}", paint("31", format!("    - {b}")));
        }
        if let Some(a) = &c.after {
            println!("{}", paint("32", format!("    + {a}")));
        }
    }
}

/// `ddish review`: findings worst first, per server.
pub fn review(
    session: Arc<Session>,
    servers: Vec<String>,
    json_out: bool,
) -> Result<ExitCode, Fail> {
    let rt = runtime()?;
    let reviews = match rt
        .block_on(session.run("", Command::Review { servers }))
        .map_err(op_fail)?
    {
        Outcome::Review(r) => r,
        other => {
            return Err(Fail(
                1,
                format!("internal error: unexpected answer {other:?}"),
            ))
        }
    };
    Ok(report(&reviews, "server", json_out))
}

/// `ddish review --file F...`: configuration files checked before they are deployed.
pub fn review_files(
    files: &[std::path::PathBuf],
    t: &ddish::model::Thresholds,
    json_out: bool,
) -> ExitCode {
    let reviews: Vec<ServerReview> = files
        .iter()
        .map(|f| {
            let name = f.display().to_string();
            let findings = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read it: {e}"))
                .and_then(|text| {
                    ddish::ops::review_file(&name, &text, t).map_err(|e| e.to_string())
                })
                .map(|r| {
                    // What was read, so "no findings" cannot hide an empty reading.
                    eprintln!(
                        "{name}: {} subnet(s), {} reservation(s) in them, {} finding(s)",
                        r.scopes,
                        r.reservations,
                        r.findings.len()
                    );
                    for s in &r.skipped {
                        eprintln!("{name}: not checked: {s}");
                    }
                    r.findings
                });
            ServerReview {
                server: name,
                findings,
            }
        })
        .collect();
    report(&reviews, "file", json_out)
}

/// Findings as lines or JSON (`source` names what each came from: "server" or "file");
/// exit 2 when any is worse than info or a source could not be read.
fn report(reviews: &[ServerReview], source: &str, json_out: bool) -> ExitCode {
    let mut bad = false;
    let mut rows = Vec::new();
    for r in reviews {
        match &r.findings {
            Ok(f) => {
                for x in f {
                    bad |= x.severity != ddish::model::review::Severity::Info;
                    rows.push(serde_json::json!({
                        source: r.server, "severity": x.severity.word(), "check": x.check,
                        "scope": x.scope.map(|s| s.to_string()), "ip": x.ip.map(|i| i.to_string()),
                        "text": x.text,
                    }));
                    if !json_out {
                        println!(
                            "{:<7} {:<12} {:<18} {}",
                            x.severity.word(),
                            r.server,
                            x.scope.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                            x.text
                        );
                    }
                }
            }
            Err(e) => {
                bad = true;
                eprintln!("{}: not reviewed: {e}", r.server);
            }
        }
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else if rows.is_empty() && !bad {
        println!("no findings");
    }
    if bad {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
