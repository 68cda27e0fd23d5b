//! `ddish status`, `ddish zones`, `ddish find`: the fleet views of issue 6 as text or JSON.
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde_json::{json, Value};

use ddish::config::Config;
use ddish::model::UtilBand;
use ddish::ops::events;
use ddish::ops::fleet::{self, DnsStatus, ServerFilter, ServiceStatus, UtilAlert};
use ddish::ops::search::{self, SearchResult, Term};
use ddish::ops::zones::{self, ZoneHealth};
use ddish::ops::Session;

use super::common::{runtime, table, Fail};

#[derive(clap::Args, Debug, Clone)]
pub struct StatusArgs {
    /// Group by fields, nested with commas (e.g. `region,site`), or filter with
    /// FIELD=VALUE (e.g. `region=eu`, `tag=lab`).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Only this server (repeatable: the marked ones); default all.
    #[arg(long, value_name = "NAME")]
    pub server: Vec<String>,
    /// Only servers with FIELD=VALUE (repeatable).
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List scopes over or under their utilization thresholds, worst first.
    #[arg(long)]
    pub alerts: bool,
    /// Servers polled at once.
    #[arg(long, value_name = "N", default_value_t = fleet::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(T::to_string)
        .unwrap_or_else(|| "-".to_string())
}

fn uptime(s: Option<i64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 3600 => format!("{}m{}s", s / 60, s % 60),
        Some(s) if s < 86_400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        Some(s) => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// HH:MM:SS UTC of an epoch time.
fn time_of(epoch: i64) -> String {
    let s = epoch.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}Z", s / 3600, (s % 3600) / 60, s % 60)
}

fn status_rows(rows: &[&ServiceStatus]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.state.label().to_string(),
                opt(&r.version),
                uptime(r.uptime),
                opt(&r.ha_state),
                opt(&r.scopes),
                opt(&r.utilization),
                time_of(r.checked_at),
                r.error.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

const STATUS_HEAD: [&str; 9] = [
    "SERVER", "STATE", "VERSION", "UPTIME", "HA", "SCOPES", "UTIL", "CHECKED", "ERROR",
];

fn dns_rows(rows: &[DnsStatus]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.addr.to_string(),
                if d.answering { "answering" } else { "down" }.to_string(),
                d.rtt_ms
                    .map(|m| format!("{m:.1} ms"))
                    .unwrap_or_else(|| "-".into()),
                d.error.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

fn status_json(r: &ServiceStatus) -> Value {
    json!({
        "name": r.name, "url": r.url, "tags": r.tags, "fields": r.fields,
        "state": r.state.label(), "running": r.state.is_ok(),
        "version": r.version, "uptime": r.uptime, "ha_state": r.ha_state,
        "scopes": r.scopes,
        "utilization": r.utilization.map(|u| json!({"used": u.used, "total": u.total, "percent": u.percent()})),
        "checked_at": r.checked_at, "last_good": r.last_good, "error": r.error,
    })
}

fn dns_json(d: &DnsStatus) -> Value {
    json!({
        "name": d.name, "addr": d.addr.to_string(), "answering": d.answering,
        "rtt_ms": d.rtt_ms, "zone": d.zone, "checked_at": d.checked_at, "error": d.error,
    })
}

fn alert_rows(a: &[UtilAlert]) -> Vec<Vec<String>> {
    a.iter()
        .map(|a| {
            vec![
                a.server.clone(),
                a.scope.to_string(),
                a.title.clone().unwrap_or_default(),
                match a.band {
                    UtilBand::Over => "over",
                    UtilBand::Under => "under",
                    UtilBand::Optimal => "optimal",
                }
                .to_string(),
                a.utilization.to_string(),
                format!("{}/{}", a.utilization.used, a.utilization.total),
            ]
        })
        .collect()
}

/// Records a refresh for `ddish events`; says on stderr what changed. A failure to record
/// is a warning: the status itself was shown.
fn note_observation(cfg: &Config, snap: &events::Snapshot) {
    match events::record(cfg, snap) {
        Ok(o) if !o.events.is_empty() => eprintln!(
            "{} new event(s) seen since the last refresh: see `ddish events`",
            o.events.len()
        ),
        Ok(_) => {}
        Err(e) => eprintln!("warning: this refresh was not recorded for `ddish events`: {e}"),
    }
}

/// `ddish status`: exit 0 when every server runs and every DNS server answers, else 2.
pub fn status(cfg: Config, a: StatusArgs) -> Result<ExitCode, Fail> {
    let mut filters = Vec::new();
    for f in &a.filter {
        filters.push(ServerFilter::parse(f).map_err(|e| Fail(2, e.0))?);
    }
    let mut group_keys: Vec<String> = Vec::new();
    if let Some(g) = &a.group {
        if g.contains('=') {
            filters.push(ServerFilter::parse(g).map_err(|e| Fail(2, e.0))?);
        } else {
            group_keys = g
                .split([',', '>'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect();
        }
    }
    for n in &a.server {
        if cfg.server(n).is_none() {
            let known: Vec<&str> = cfg.servers.iter().map(|s| s.name.as_str()).collect();
            return Err(Fail(
                2,
                format!(
                    "no server named '{n}' in the configuration (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    let names: Vec<String> = fleet::filter_servers(&cfg, &filters)
        .iter()
        .filter(|s| a.server.is_empty() || a.server.contains(&s.name))
        .map(|s| s.name.clone())
        .collect();
    let narrowed = !filters.is_empty() || !a.server.is_empty();
    if names.is_empty() && narrowed {
        return Err(Fail(
            2,
            "no configured server matches the filter: check the fields in the config".into(),
        ));
    }
    let thresholds = cfg.thresholds();
    let rt = runtime()?;
    let session = Session::new(cfg);
    let mark = events::journal_mark(session.config());
    let (rows, dns) = rt.block_on(async {
        tokio::join!(
            fleet::status_of_digest(&session, &names, a.concurrency),
            async {
                // Filters and names pick DHCP servers; DNS servers only come with the whole fleet.
                if !narrowed {
                    fleet::dns_status_all(session.config(), a.concurrency).await
                } else {
                    Vec::new()
                }
            }
        )
    });
    // What was refreshed counts as an observation for `ddish events`.
    note_observation(
        session.config(),
        &events::Snapshot::from_status(&rows, &dns, &[], ddish::ops::now()).marked(mark),
    );
    let rows: Vec<ServiceStatus> = rows.into_iter().map(|(s, _)| s).collect();
    let failing = rows.iter().any(|r| !r.state.is_ok()) || dns.iter().any(|d| !d.answering);
    let alerts = if a.alerts {
        fleet::utilization_alerts(&rows, &thresholds)
    } else {
        Vec::new()
    };
    if a.json {
        let mut v = json!({
            "servers": rows.iter().map(status_json).collect::<Vec<_>>(),
            "dns": dns.iter().map(dns_json).collect::<Vec<_>>(),
        });
        if a.alerts {
            v["alerts"] = alerts
                .iter()
                .map(|x| {
                    json!({
                        "server": x.server, "scope": x.scope.to_string(), "title": x.title,
                        "band": if x.band == UtilBand::Over { "over" } else { "under" },
                        "used": x.utilization.used, "total": x.utilization.total,
                        "percent": x.utilization.percent(),
                    })
                })
                .collect();
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Fail(2, e.to_string()))?
        );
    } else {
        let mut out = String::new();
        if group_keys.is_empty() {
            let all: Vec<&ServiceStatus> = rows.iter().collect();
            out.push_str(&table(&STATUS_HEAD, &status_rows(&all)));
        } else {
            for (path, members) in fleet::group_statuses(&rows, &group_keys) {
                let label: Vec<String> = group_keys
                    .iter()
                    .zip(&path)
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                let bad = members.iter().filter(|m| !m.state.is_ok()).count();
                out.push_str(&format!(
                    "== {} ({} servers, {} failing)\n",
                    label.join(" > "),
                    members.len(),
                    bad
                ));
                out.push_str(&table(&STATUS_HEAD, &status_rows(&members)));
                out.push('\n');
            }
        }
        if !dns.is_empty() {
            out.push('\n');
            out.push_str(&table(
                &["DNS SERVER", "ADDRESS", "STATE", "RTT", "ERROR"],
                &dns_rows(&dns),
            ));
        }
        if a.alerts {
            out.push('\n');
            if alerts.is_empty() {
                out.push_str(&format!(
                    "no scope outside the thresholds (under {}%, over {}%)\n",
                    thresholds.under, thresholds.over
                ));
            } else {
                out.push_str(&table(
                    &["SERVER", "SCOPE", "TITLE", "BAND", "UTIL", "USED/TOTAL"],
                    &alert_rows(&alerts),
                ));
            }
        }
        print!("{out}");
    }
    Ok(if failing {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn zone_json(z: &ZoneHealth) -> Value {
    let (lagging, down) = match &z.status {
        zones::ZoneStatus::SerialsDiffer { lagging } => (lagging.clone(), Vec::new()),
        zones::ZoneStatus::SomeDown { down } => (Vec::new(), down.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    json!({
        "zone": z.zone, "kind": z.kind.label(), "status": z.status.label(),
        "lagging": lagging, "down": down, "checked_at": z.checked_at, "since": z.since,
        "ns": z.ns, "ns_problems": z.ns_problems,
        "servers": z.servers.iter().map(|s| json!({
            "name": s.name, "addr": s.addr.to_string(), "role": s.role_label(),
            "source": s.source_label(), "ns_name": s.ns_name,
            "reachable": s.reachable, "authoritative": s.authoritative,
            "serial": s.serial, "rtt_ms": s.rtt_ms, "error": s.error,
        })).collect::<Vec<_>>(),
    })
}

/// `ddish zones`: exit 0 when every zone is OK, 2 otherwise.
pub fn zones(cfg: Config, json_out: bool) -> Result<ExitCode, Fail> {
    if cfg.dns.zones.is_empty() {
        return Err(Fail(
            2,
            "no zones in the configuration: add [[dns.zone]] entries to check their health".into(),
        ));
    }
    let rt = runtime()?;
    let mark = events::journal_mark(&cfg);
    let list = rt.block_on(zones::zones_health(&cfg, fleet::DEFAULT_CONCURRENCY));
    note_observation(
        &cfg,
        &events::Snapshot::from_status(&[], &[], &list, ddish::ops::now()).marked(mark),
    );
    if json_out {
        let v: Vec<Value> = list.iter().map(zone_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Fail(2, e.to_string()))?
        );
    } else {
        let mut out = String::new();
        for z in &list {
            out.push_str(&format!("{} ({}): {}\n", z.zone, z.kind.label(), z.status));
            let rows: Vec<Vec<String>> = z
                .servers
                .iter()
                .map(|s| {
                    vec![
                        format!("  {}", s.name),
                        s.addr.to_string(),
                        s.role_label().to_string(),
                        s.source_label().to_string(),
                        if s.reachable { "yes" } else { "no" }.to_string(),
                        if s.authoritative { "yes" } else { "no" }.to_string(),
                        opt(&s.serial),
                        s.rtt_ms
                            .map(|m| format!("{m:.1} ms"))
                            .unwrap_or_else(|| "-".into()),
                        s.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.push_str(&table(
                &[
                    "  SERVER",
                    "ADDRESS",
                    "ROLE",
                    "FROM",
                    "REACHABLE",
                    "AA",
                    "SERIAL",
                    "RTT",
                    "ERROR",
                ],
                &rows,
            ));
            for p in &z.ns_problems {
                out.push_str(&format!("  note: {p}\n"));
            }
        }
        print!("{out}");
    }
    Ok(if list.iter().all(|z| z.status.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn find_json(r: &SearchResult) -> Value {
    json!({
        "hits": r.hits.iter().map(|h| json!({
            "server": h.server, "scope": h.scope.map(|s| s.to_string()),
            "ip": h.ip.map(|i| i.to_string()), "matched": h.matched,
            "state": h.state, "detail": h.detail,
        })).collect::<Vec<_>>(),
        "errors": r.errors.iter().map(|(s, e)| json!({"server": s, "error": e})).collect::<Vec<_>>(),
    })
}

/// `ddish find TERM`: exit 0 when found, 1 when not found, 2 when a server failed and
/// nothing was found. A lease walk tells its progress on stderr.
pub fn find(cfg: Config, term: &str, json_out: bool, exact: bool) -> Result<ExitCode, Fail> {
    let term = Term::parse(term).map_err(|e| Fail(2, e))?;
    let rt = runtime()?;
    let session = Session::new(cfg);
    // Walk progress: one line rewritten in place on a terminal, a line per step otherwise.
    let tty = std::io::stderr().is_terminal();
    session.on_notice(Box::new(move |t| {
        let mut err = std::io::stderr();
        let _ = if tty {
            write!(err, "\rddish: {t}\x1b[K")
        } else {
            writeln!(err, "ddish: {t}")
        };
    }));
    let res = rt.block_on(search::search_all(
        &session,
        &term,
        fleet::DEFAULT_CONCURRENCY,
        !exact,
    ));
    if tty {
        eprint!("\r\x1b[K");
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&find_json(&res)).map_err(|e| Fail(2, e.to_string()))?
        );
    } else {
        if res.hits.is_empty() {
            println!("not found");
        } else {
            let rows: Vec<Vec<String>> = res
                .hits
                .iter()
                .map(|h| {
                    vec![
                        h.server.clone(),
                        opt(&h.scope),
                        opt(&h.ip),
                        h.matched.clone(),
                        h.state.clone(),
                        h.detail.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &["SERVER", "SCOPE", "IP", "MATCHED", "STATE", "DETAIL"],
                    &rows
                )
            );
        }
        for (s, e) in &res.errors {
            eprintln!("{s}: {e}");
        }
    }
    Ok(match (res.hits.is_empty(), res.errors.is_empty()) {
        (false, _) => ExitCode::SUCCESS,
        (true, true) => ExitCode::from(1),
        (true, false) => ExitCode::from(2),
    })
}

/// `ddish zones --records ZONE`: the zone's records by AXFR from its primary.
pub fn zone_records(cfg: Config, zone: &str, json_out: bool) -> Result<ExitCode, Fail> {
    let want = zone.trim_end_matches('.').to_ascii_lowercase();
    let z = cfg
        .dns
        .zones
        .iter()
        .find(|z| z.name.trim_end_matches('.').eq_ignore_ascii_case(&want))
        .ok_or_else(|| {
            let known: Vec<&str> = cfg.dns.zones.iter().map(|z| z.name.as_str()).collect();
            Fail(
                2,
                format!(
                    "no zone '{zone}' in the configuration (known: {})",
                    known.join(", ")
                ),
            )
        })?;
    let rt = runtime()?;
    let timeout = cfg.settings.request_timeout;
    let records = rt.block_on(ddish::ops::zones::zone_records(z, timeout))?;
    if json_out {
        let v: Vec<Value> = records
            .iter()
            .map(|r| json!({"name": r.name, "ttl": r.ttl, "type": r.rtype, "data": r.data}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Fail(2, e.to_string()))?
        );
    } else {
        let rows: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.ttl.to_string(),
                    r.rtype.clone(),
                    r.data.clone(),
                ]
            })
            .collect();
        print!("{}", table(&["NAME", "TTL", "TYPE", "DATA"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}
