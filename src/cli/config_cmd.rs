//! `ddish config show|edit`: a server's running configuration as JSON, and editing it in
//! `$EDITOR` with a review of every change before the safe write sends it.
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use ddish::ops::{ChangeLine, Command, OpError, Outcome, Session};

use super::common::{confirm, op_fail, runtime, Fail};

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
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

/// Lines of the editor's file that start with this are ddish's notes, not JSON.
const NOTE: &str = "//";

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
    let dir = PrivateDir::new()?;
    let file = dir.0.join(format!("{server}.json"));
    let mut text = base.text();
    let mut problem: Option<String> = None;
    loop {
        let written = with_notes(server, &text, problem.as_deref());
        write_private(&file, &written)?;
        run_editor(&file)?;
        let back = std::fs::read_to_string(&file)
            .map_err(|e| Fail(2, format!("cannot read {}: {e}", file.display())))?;
        if back == written {
            return Err(Fail(
                if problem.is_some() { 3 } else { 1 },
                "no change in the editor: nothing was sent".into(),
            ));
        }
        text = strip_notes(&back);
        let edited: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                problem = Some(format!(
                    "not JSON: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ));
                continue;
            }
        };
        let review = match base.review(&edited) {
            Ok(r) => r,
            Err(e) => {
                problem = Some(e.to_string());
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

/// A 0700 directory for the editor's file, removed when the command ends.
struct PrivateDir(std::path::PathBuf);

impl PrivateDir {
    fn new() -> Result<PrivateDir, Fail> {
        use std::os::unix::fs::DirBuilderExt;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let p = std::env::temp_dir().join(format!("ddish-config-{}-{nanos}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&p)
            .map_err(|e| Fail(2, format!("cannot make {}: {e}", p.display())))?;
        Ok(PrivateDir(p))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_notes(server: &str, text: &str, problem: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(p) = problem {
        for l in p.lines() {
            out.push_str(&format!("{NOTE} ERROR: {l}\n"));
        }
        out.push_str(&format!("{NOTE}\n"));
    }
    out.push_str(&format!(
        "{NOTE} ddish: {server}'s running configuration. Save and quit to review the changes;\n\
         {NOTE} quit without saving to send nothing. Secrets read ********: leave them as they\n\
         {NOTE} are to keep them. Lines starting with {NOTE} are ignored.\n"
    ));
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn strip_notes(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(NOTE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The editor's file: 0600, it may hold the configuration's structure (secrets masked).
fn write_private(path: &Path, text: &str) -> Result<(), Fail> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))
}

/// $VISUAL, else $EDITOR, else vi; a value with arguments (`code --wait`) is split on
/// white space.
fn run_editor(file: &Path) -> Result<(), Fail> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(file)
        .status()
        .map_err(|e| {
            Fail(
                2,
                format!("cannot start the editor {program:?}: {e}; set $EDITOR to one you have"),
            )
        })?;
    if !status.success() {
        return Err(Fail(
            3,
            format!("the editor {program:?} failed ({status}): nothing was sent"),
        ));
    }
    Ok(())
}

/// Every change, `-` before and `+` after, red and green on a terminal without NO_COLOR.
fn print_review(server: &str, review: &[ChangeLine]) {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
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
