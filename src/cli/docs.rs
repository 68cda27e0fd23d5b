//! `ddish --version`, `ddish man` and `ddish completions`: generated from the same clap
//! definitions as `--help`, so the man page and Tab completion never lag behind.
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::LazyLock;

use clap::CommandFactory;

use super::{Cli, Fail};

/// `ddish -V`: the version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DDISH_COMMIT"),
    ")"
);

/// `ddish --version`: also the servers the tests run it against.
pub static LONG_VERSION: LazyLock<String> =
    LazyLock::new(|| format!("{VERSION}\ntested with {}", ddish::TESTED_WITH));

/// Roff-escapes text for a man page line.
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    // A line starting with . or ' would be a request.
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn paragraphs(out: &mut String, text: &str) {
    for p in text.split("\n\n") {
        out.push_str(".PP\n");
        for line in p.lines() {
            out.push_str(&roff(line.trim()));
            out.push('\n');
        }
    }
}

/// One option as `-c, --config <FILE>`.
fn option_head(a: &clap::Arg) -> String {
    let mut names = Vec::new();
    if let Some(s) = a.get_short() {
        names.push(format!("\\fB\\-{s}\\fR"));
    }
    if let Some(l) = a.get_long() {
        names.push(format!("\\fB\\-\\-{}\\fR", roff(l)));
    }
    let takes = a.get_action().takes_values();
    let value = a
        .get_value_names()
        .map(|v| {
            v.iter()
                .map(|n| format!("<{n}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| format!("<{}>", a.get_id().as_str().to_uppercase()));
    match (names.is_empty(), takes) {
        (true, _) => format!("\\fI{}\\fR", roff(&value)),
        (false, true) => format!("{} \\fI{}\\fR", names.join(", "), roff(&value)),
        (false, false) => names.join(", "),
    }
}

/// A command's section: its path as heading, what it does, its arguments, then its own
/// subcommands the same way.
fn command_section(out: &mut String, path: &str, c: &clap::Command) {
    out.push_str(&format!(".SS \"{}\"\n", roff(path)));
    if let Some(about) = c.get_long_about().or(c.get_about()) {
        paragraphs(out, &about.to_string());
    }
    for a in c
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
    {
        if matches!(a.get_id().as_str(), "help" | "version") {
            continue;
        }
        out.push_str(".TP\n");
        out.push_str(&option_head(a));
        out.push('\n');
        if let Some(h) = a.get_long_help().or(a.get_help()) {
            out.push_str(&roff(&h.to_string().replace('\n', " ")));
            out.push('\n');
        }
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !values.is_empty() && a.get_action().takes_values() {
            out.push_str(&roff(&format!(" One of: {}.", values.join(", "))));
            out.push('\n');
        }
    }
    for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
        command_section(out, &format!("{path} {}", sub.get_name()), sub);
    }
}

/// The whole man page: every subcommand at every depth, with its options.
pub fn man_page() -> String {
    let cmd = Cli::command();
    let mut out = String::new();
    out.push_str(&format!(
        ".TH DDISH 1 \"\" \"ddish {}\" \"User Commands\"\n",
        roff(env!("CARGO_PKG_VERSION"))
    ));
    out.push_str(".SH NAME\nddish \\- ");
    out.push_str(&roff(
        &cmd.get_about().map(|a| a.to_string()).unwrap_or_default(),
    ));
    out.push_str("\n.SH SYNOPSIS\n\\fBddish\\fR [\\fIOPTIONS\\fR] [\\fICOMMAND\\fR]\n");
    out.push_str(".SH DESCRIPTION\n");
    if let Some(about) = cmd.get_long_about() {
        paragraphs(&mut out, &about.to_string());
    }
    paragraphs(
        &mut out,
        "The console: a tab per server (server list, IPAM tree, scope grid, address popup); \
         ? shows every key. Every action in it is also a subcommand below, built on the same \
         code. Changes go through Kea's control API with the safe write: the smallest command \
         that does it, else the whole configuration checked by config-test; both HA peers; \
         journaled.",
    );
    out.push_str(".SH OPTIONS\nThese apply to every command.\n");
    for a in cmd
        .get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
    {
        out.push_str(".TP\n");
        out.push_str(&option_head(a));
        out.push('\n');
        if let Some(h) = a.get_help() {
            out.push_str(&roff(&h.to_string()));
            out.push('\n');
        }
    }
    out.push_str(".TP\n\\fB\\-V\\fR, \\fB\\-\\-version\\fR\nPrint the version, the commit and the servers ddish is tested with.\n");
    out.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        command_section(&mut out, &format!("ddish {}", sub.get_name()), sub);
    }
    out.push_str(concat!(
        ".SH ENVIRONMENT\n",
        ".TP\n\\fBNO_COLOR\\fR\nSet and not empty: no colour, as \\fB\\-\\-color never\\fR (no\\-color.org).\n",
        ".TP\n\\fBVISUAL\\fR, \\fBEDITOR\\fR\nThe editor of \\fBddish config edit\\fR (else vi).\n",
        ".TP\n\\fBDDISH_KEA_ROOT\\fR, \\fBDDISH_KEA_API\\fR\nWhich Kea \\fBddish lab\\fR runs, and how it is reached (agent or direct).\n",
        ".SH FILES\n",
        ".TP\n\\fI~/.config/ddish/config.toml\\fR\nThe configuration (\\fBddish config init\\fR writes a starter); see /usr/share/doc/ddish/config.example.toml.\n",
        ".TP\n\\fI~/.local/share/ddish/journal.jsonl\\fR\nThe append\\-only journal of every change (\\fBjournal\\fR under [settings] moves it); events beside it.\n",
        ".SH EXIT STATUS\n",
        "0 success; 1 a bad configuration or nothing found; 2 a server failed or findings; 3 refused before anything was sent; 4 sent but not confirmed. Each command's description says which apply.\n",
        ".SH SEE ALSO\n",
        "\\fBkea\\-dhcp4\\fR(8), \\fBkea\\-ctrl\\-agent\\fR(8), \\fBnamed\\fR(8), \\fBnsupdate\\fR(1)\n",
    ));
    out
}

/// `ddish man [--dir DIR]`: the page on stdout, or written as DIR/ddish.1.
pub fn man(dir: Option<&Path>) -> Result<ExitCode, Fail> {
    let page = man_page();
    match dir {
        Some(d) => {
            let path = d.join("ddish.1");
            std::fs::create_dir_all(d)
                .and_then(|_| std::fs::write(&path, page))
                .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
            println!("{}", path.display());
        }
        None => {
            let _ = std::io::stdout().write_all(page.as_bytes());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ddish completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    clap_complete::generate(shell, &mut Cli::command(), "ddish", &mut std::io::stdout());
    ExitCode::SUCCESS
}
