//! What every subcommand shares: its failure type and exit codes, the config and runtime,
//! the session, confirmation on the terminal, and how an action's outcome is printed.
use std::io::Write;
use std::path::Path;

use ddish::config::{self, Config};
use ddish::ops::Session;

/// A failure that ends the command: message for stderr and the exit code.
pub struct Fail(pub u8, pub String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(2, e.to_string())
    }
}

pub fn load_config(path: Option<&Path>) -> Result<Config, Fail> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => config::default_path().ok_or_else(|| {
            Fail(
                1,
                "cannot find the home directory for the default config path: pass --config FILE"
                    .into(),
            )
        })?,
    };
    config::load(&path).map_err(|e| Fail(1, e.to_string()))
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Fail> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(2, format!("cannot start the async runtime: {e}")))
}

/// A session whose waits (another ddish writing to the same server) are told on stderr.
/// Writes a killed ddish left unfinished are told first. A command that may write runs to
/// its end through a dropped SSH session (SIGHUP) or a polite kill (SIGTERM): both are
/// ignored, every step has its own timeout; Ctrl-C still stops it, and a write stopped
/// half-way is reported at the next start.
pub fn cli_session(cfg: Config, read_only: bool) -> std::sync::Arc<Session> {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
    }
    for i in ddish::ops::unfinished_writes(&cfg) {
        // A terminal gone (SIGHUP is ignored) must not stop the command over a message.
        let _ = writeln!(
            std::io::stderr(),
            "ddish: warning: {}",
            ddish::ops::describe_unfinished(&i)
        );
    }
    let s = Session::new_with(cfg, read_only);
    s.on_notice(Box::new(|t| {
        let _ = writeln!(std::io::stderr(), "ddish: {t}");
    }));
    s
}

/// An operation's failure as a command's: a server failing (or busy with another
/// ddish's write) exits 2, a refusal 3, a change sent but not seen on the server 4.
pub fn op_fail(e: ddish::ops::OpError) -> Fail {
    use ddish::ops::OpError;
    let code = match e {
        OpError::Kea(_) | OpError::UnknownServer(_) | OpError::Busy(_) => 2,
        OpError::Unverified(_) => 4,
        _ => 3,
    };
    Fail(code, e.to_string())
}

/// Asks on the terminal; without one, `--yes` is required.
pub fn confirm(question: &str, yes: bool) -> Result<(), Fail> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Fail(
            3,
            format!("{question}\nnot confirmed: add --yes to confirm without a terminal"),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Fail(3, "cancelled: nothing changed".into()))
    }
}

/// Runs `cmd` on `server` and returns what it did. A question from the server side
/// (reserving over another client, excluding leased addresses, deleting a scope with
/// leases) is asked on the terminal, or answered by `--yes`, and the command is resent
/// confirmed.
pub fn run(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: &str,
    cmd: ddish::ops::Command,
    yes: bool,
) -> Result<ddish::ops::Outcome, Fail> {
    use ddish::ops::OpError;
    match rt.block_on(session.run(server, cmd.clone())) {
        Err(OpError::NeedsConfirmation(q)) => {
            confirm(&q, yes)?;
            rt.block_on(session.run(server, cmd.confirmed()))
                .map_err(op_fail)
        }
        r => r.map_err(op_fail),
    }
}

/// [`run`] for a change on one server: its outcome.
pub fn change(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    server: &str,
    cmd: ddish::ops::Command,
    yes: bool,
) -> Result<ddish::ops::ActionOutcome, Fail> {
    run(rt, session, server, cmd, yes)?
        .done()
        .ok_or_else(|| Fail(2, "internal error: the command answered no change".into()))
}

/// An action's summary on stdout; where it was written and its warnings on stderr.
pub fn print_outcome(o: &ddish::ops::ActionOutcome) {
    println!("{}", o.summary);
    if o.peers.len() > 1 {
        eprintln!("written on {}", o.peers.join(", "));
    }
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
}

/// Aligned columns; the last column is left unpadded.
pub fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                out.push_str(c);
            } else {
                out.push_str(&format!("{:<width$}  ", c, width = w[i]));
            }
        }
        out.push('\n');
    };
    line(head.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

/// The one server named (checked against the configuration), or every configured server.
pub fn server_names(session: &Session, server: Option<String>) -> Result<Vec<String>, Fail> {
    match server {
        Some(s) => {
            if session.config().server(&s).is_none() {
                return Err(Fail(
                    3,
                    format!(
                        "no server named '{s}' in the configuration: check `ddish check` for the names"
                    ),
                ));
            }
            Ok(vec![s])
        }
        None => Ok(session
            .config()
            .servers
            .iter()
            .map(|s| s.name.clone())
            .collect()),
    }
}
