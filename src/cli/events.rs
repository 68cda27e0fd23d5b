//! `ddish events`: configuration events (ddish's journal plus changes seen on the servers),
//! filtered, as a table, JSON or CSV.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};

use ddish::config::Config;
use ddish::ops::events::{self, Event, EventQuery};
use ddish::ops::Session;

use super::common::{runtime, Fail};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "FILTER: words that must all appear (case-insensitive); server:NAME, \
kind:WORD, user:NAME, result:WORD, desc:WORD look in one field; an IPv4 address or CIDR matches \
events naming an address inside it or an overlapping network; since:2h; -WORD excludes; \
\"a phrase\" in quotes.\nEXIT: 0 listed (even when nothing matched), 2 bad filter or unreadable files."
)]
pub struct EventsArgs {
    /// A saved query's name (`[[query]]` in the config) or a filter (see below).
    #[arg(long, short = 'q', value_name = "Q")]
    pub query: Option<String>,
    /// Only events since T: an age (30m, 2h, 7d, 1w), a date (2026-11-23) or RFC 3339.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Write the filtered events as CSV to FILE instead of the table.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Don't ask the servers first: list only what is recorded already.
    #[arg(long)]
    pub no_refresh: bool,
    /// Only the N newest events.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// List the saved queries from the config and exit.
    #[arg(long)]
    pub saved: bool,
}

fn event_json(e: &Event) -> Value {
    json!({
        "time": e.time, "time_utc": ddish::export::rfc3339(e.time), "server": e.server,
        "kind": e.kind.code(), "kind_label": e.kind.label(), "description": e.description,
        "user": e.user, "result": e.result,
        "scope": e.scope.map(|s| s.to_string()), "ip": e.ip.map(|i| i.to_string()),
    })
}

/// At most `n` characters, with an ellipsis when cut (the full text is in CSV and JSON).
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn query_of(cfg: &Config, a: &EventsArgs) -> Result<EventQuery, Fail> {
    let q = match &a.query {
        Some(q) => events::resolve_query(cfg, q).map_err(|e| Fail(2, e.to_string()))?,
        None => EventQuery::default(),
    };
    let since = match &a.since {
        Some(s) => Some(
            events::parse_since(s, ddish::ops::now())
                .map_err(|e| Fail(2, format!("--since: {e}")))?,
        ),
        None => None,
    };
    Ok(q.and_since(since))
}

/// `ddish events`: observes the servers first (unless --no-refresh), then lists.
pub fn events(cfg: Config, a: EventsArgs) -> Result<ExitCode, Fail> {
    if a.saved {
        if cfg.queries.is_empty() {
            println!("no saved queries: add [[query]] entries (name, filter) to the config");
        } else {
            let rows: Vec<Vec<String>> = cfg
                .queries
                .iter()
                .map(|q| vec![q.name.clone(), q.filter.clone()])
                .collect();
            print!("{}", super::common::table(&["NAME", "FILTER"], &rows));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let q = query_of(&cfg, &a)?;
    if !a.no_refresh
        && (!cfg.servers.is_empty() || !cfg.dns.servers.is_empty() || !cfg.dns.zones.is_empty())
    {
        let rt = runtime()?;
        let session = Session::new(cfg.clone());
        match rt.block_on(events::observe(&session)) {
            Ok(o) if o.first => eprintln!(
                "first observation of these servers: recorded as the baseline; changes show from the next refresh on"
            ),
            Ok(o) if !o.events.is_empty() => {
                eprintln!("{} new event(s) seen on the servers", o.events.len())
            }
            Ok(_) => {}
            // The recorded events can still be listed.
            Err(e) => eprintln!("warning: could not record what the servers show now: {e}"),
        }
    }
    let mut list = events::list(&cfg, &q).map_err(|e| Fail(2, e.to_string()))?;
    if let Some(n) = a.limit {
        list.truncate(n);
    }
    if let Some(path) = &a.output {
        let f = ddish::export::create_private(path).map_err(|e| {
            Fail(
                2,
                format!(
                    "cannot create {}: {e}; check the directory and its permissions",
                    path.display()
                ),
            )
        })?;
        let mut w = std::io::BufWriter::new(f);
        events::write_csv(&mut w, &list)
            .map_err(|e| Fail(2, format!("{}: {e}", path.display())))?;
        w.flush()
            .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
        eprintln!("{} event(s) written to {}", list.len(), path.display());
    } else if a.json {
        let v: Vec<Value> = list.iter().map(event_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Fail(2, e.to_string()))?
        );
    } else if list.is_empty() {
        println!(
            "no events{}",
            if q.is_empty() {
                ""
            } else {
                " match the filter"
            }
        );
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|e| {
                vec![
                    ddish::export::rfc3339(e.time),
                    e.server.clone(),
                    e.kind.label().to_string(),
                    if e.user.is_empty() {
                        "-".into()
                    } else {
                        e.user.clone()
                    },
                    short(e.result.as_deref().unwrap_or("-"), 32),
                    e.description.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            super::common::table(
                &["TIME", "SERVER", "KIND", "USER", "RESULT", "DESCRIPTION"],
                &rows
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}
