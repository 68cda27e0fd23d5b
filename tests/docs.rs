//! What a packaged ddish carries besides the console: `--version` (version, commit, the
//! servers it is tested with), the man page and shell completions generated from the same
//! clap definitions as `--help` (every subcommand at every depth in the page), and a clear
//! refusal where the console cannot draw.
mod common;

use common::{ok, run, run_env, text};

/// Every subcommand path (`ip next`, `lab down`...) from the `--help` listings.
fn subcommands(path: &[&str]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = path.to_vec();
    args.push("--help");
    let help = ok(&run(&args));
    let mut out = Vec::new();
    let mut in_list = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_list = true;
            continue;
        }
        if in_list {
            let Some(name) = line
                .strip_prefix("  ")
                .and_then(|l| l.split_whitespace().next())
            else {
                break;
            };
            if line.starts_with("   ") || name == "help" {
                continue;
            }
            let mut p: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            p.push(name.to_string());
            let deeper: Vec<&str> = p.iter().map(String::as_str).collect();
            let children = subcommands(&deeper);
            out.push(p);
            out.extend(children);
        }
    }
    out
}

#[test]
fn version_names_the_commit_and_the_tested_servers() {
    let v = ok(&run(&["--version"]));
    let first = v.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("ddish {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(!first.contains("unknown"), "built in a git checkout: {v}");
    assert!(v.contains("tested with Kea 2.2, 2.6 and 3.0"), "{v}");
    assert!(v.contains("BIND 9.18"), "{v}");
}

#[test]
fn the_man_page_has_every_subcommand() {
    let page = ok(&run(&["man"]));
    assert!(page.starts_with(".TH DDISH 1"), "{}", &page[..80]);
    let all = subcommands(&[]);
    assert!(all.len() > 40, "{all:?}");
    for p in &all {
        let heading = format!(".SS \"ddish {}\"", p.join(" ").replace('-', "\\-"));
        assert!(page.contains(&heading), "missing {heading}");
    }
    for section in [
        ".SH OPTIONS",
        ".SH ENVIRONMENT",
        "NO_COLOR",
        ".SH EXIT STATUS",
    ] {
        assert!(page.contains(section), "{section}");
    }
    // man itself renders it without a warning.
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "--dir", &dir.path().to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o));
    let rendered = std::process::Command::new("man")
        .args(["--warnings", "-l"])
        .arg(dir.path().join("ddish.1"))
        .env("MANWIDTH", "80")
        .output()
        .expect("man runs (man-db: scripts/install-deps.sh installs it)");
    {
        let r = rendered;
        // Bold and underline come as overstrikes (c BACKSPACE c): read the letters only.
        let raw = String::from_utf8_lossy(&r.stdout);
        let mut out = String::new();
        for c in raw.chars() {
            if c == '\u{8}' {
                out.pop();
            } else {
                out.push(c);
            }
        }
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(out.contains("ddish ip next"), "{out}");
        let warn = String::from_utf8_lossy(&r.stderr);
        assert!(!warn.contains("warning"), "{warn}");
    }
}

#[test]
fn completions_for_each_shell_know_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ddish"),
        ("fish", "complete -c ddish"),
    ] {
        let s = ok(&run(&["completions", shell]));
        assert!(s.contains(marker), "{shell}: {}", &s[..200.min(s.len())]);
        for sub in ["sweep", "optiondef", "review", "completions"] {
            assert!(s.contains(sub), "{shell} lacks {sub}");
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// The console refuses where it cannot draw (no terminal here: the test's pipes), with
/// what to do, and never a garbled screen.
#[test]
fn the_console_says_it_needs_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        "[[server]]\nname = \"a\"\nurl = \"http://127.0.0.1:9\"\nallow_plain_http = true\n",
    )
    .unwrap();
    let o = run_env(&["-c", &cfg.to_string_lossy()], &[("TERM", "xterm")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the console needs a terminal"), "{err}");
    assert!(o.stdout.is_empty(), "nothing drawn");
}
