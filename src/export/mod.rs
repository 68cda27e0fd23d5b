//! CSV export of every view: servers, networks, scopes, IPs. One header row, then data.
//! Secrets never appear here: no column carries a URL's credentials or a password.
use std::io::Write;
use std::path::PathBuf;

use std::collections::HashMap;

use crate::model::scope::IpDetail;
use crate::model::tree::{NodeKind, ScopeSummary, ServerTree};
use crate::model::{NetworkDef, RangeSet, ScopeCounts, ScopeStatus, ScopeView, Thresholds};
use crate::ops::ServerHealth;

mod safe_csv;
pub use safe_csv::{neutralise, SafeCsv};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write CSV: {0}")]
    Io(#[from] std::io::Error),
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// RFC 3339 UTC time for an epoch second, empty for none.
pub fn fmt_time(t: Option<i64>) -> String {
    match t {
        None => String::new(),
        Some(t) => crate::export::rfc3339(t),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` without a date crate (civil-from-days, Howard Hinnant).
pub fn rfc3339(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Creates (or truncates) an export file, readable by its owner only when new (0600; 0640
/// and `journal_group`'s when that is set): exports name clients, MACs and hostnames.
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    crate::audit::open_with_mode(
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true),
        path,
    )
}

/// Any table already in text form (a console screen's rows): header, then records.
pub fn table_csv<W: Write>(
    w: W,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record(header)?;
    for r in rows {
        c.write_record(r)?;
    }
    c.flush()?;
    Ok(())
}

pub fn servers_csv<W: Write>(w: W, rows: &[ServerHealth]) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record([
        "server",
        "url",
        "reachable",
        "version",
        "scopes",
        "utilization_pct",
        "ha_state",
        "error",
    ])?;
    for r in rows {
        c.write_record([
            r.name.clone(),
            r.url.clone(),
            r.reachable.to_string(),
            opt(&r.version),
            opt(&r.scopes),
            r.utilization
                .map(|u| format!("{:.1}", u.percent()))
                .unwrap_or_default(),
            opt(&r.ha_state),
            opt(&r.error),
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// Networks, containers and groups of a server's tree, depth-first (no claims column data:
/// see
/// [`networks_claims_csv`], which the console and `ddish export` should prefer).
pub fn networks_csv<W: Write>(w: W, server: &str, tree: &ServerTree) -> Result<(), ExportError> {
    networks_claims_csv(w, server, tree, None)
}

/// Networks and containers of a server; `claims` gives the networks' claims outside every
/// scope (`claims` column: `ip mac [hostname]` joined by `; `). With `None` the column is
/// empty (not known), never a made-up zero.
pub fn networks_claims_csv<W: Write>(
    w: W,
    server: &str,
    tree: &ServerTree,
    networks: Option<&[NetworkDef]>,
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record([
        "server",
        "kind",
        "cidr",
        "parent",
        "scopes",
        "utilization_pct",
        "title",
        "description",
        "claims",
    ])?;
    for row in tree.rows(&|_| true) {
        let n = row.node;
        if matches!(n.kind, NodeKind::Scope(_)) {
            continue;
        }
        let parent = row.path[..row.path.len() - 1].to_vec();
        let parent = if parent.is_empty() {
            String::new()
        } else {
            tree.node(&parent).map(|p| p.label()).unwrap_or_default()
        };
        let claims = match (networks, n.cidr) {
            (Some(nets), Some(cidr)) => nets
                .iter()
                .find(|x| x.cidr == cidr)
                .map(|x| {
                    x.claims
                        .iter()
                        .map(|c| match &c.hostname {
                            Some(h) => format!("{} {} {h}", c.ip, c.mac),
                            None => format!("{} {}", c.ip, c.mac),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        c.write_record([
            server.to_string(),
            n.kind_label().to_string(),
            n.label(),
            parent,
            tree.scopes_under(n).len().to_string(),
            format!("{:.1}", n.utilization.percent()),
            opt(&n.title),
            opt(&n.description),
            claims,
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// Every claim outside a scope, one row each: server, network, ip, mac, hostname, comment.
pub fn claims_csv<W: Write>(
    w: W,
    server: &str,
    networks: &[NetworkDef],
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record(["server", "network", "ip", "mac", "hostname", "comment"])?;
    for n in networks {
        for x in &n.claims {
            c.write_record([
                server.to_string(),
                n.cidr.to_string(),
                x.ip.to_string(),
                x.mac.clone(),
                opt(&x.hostname),
                opt(&x.comment),
            ])?;
        }
    }
    c.flush()?;
    Ok(())
}

/// Scopes of a server with their counters, from Kea's statistics alone (stat-lease4-get):
/// cheap for any number of scopes, but holds and claims count as assigned there.
pub fn scopes_csv<W: Write>(
    w: W,
    server: &str,
    tree: &ServerTree,
    t: &Thresholds,
) -> Result<(), ExportError> {
    scopes_csv_with(w, server, tree, t, &|_| true, None)
}

pub fn scopes_csv_filtered<W: Write>(
    w: W,
    server: &str,
    tree: &ServerTree,
    t: &Thresholds,
    keep: &dyn Fn(usize) -> bool,
) -> Result<(), ExportError> {
    scopes_csv_with(w, server, tree, t, keep, None)
}

/// Counts of one scope from statistics: what can be told without its leases.
pub fn counts_from_stats(s: &ScopeSummary) -> ScopeCounts {
    let d = &s.def;
    if d.status == ScopeStatus::Missing {
        return ScopeCounts::default();
    }
    let in_range = |ip: &std::net::Ipv4Addr| d.range.contains(u32::from(*ip));
    let reserved = d.reservations.iter().filter(|r| in_range(&r.ip)).count() as u64;
    let in_pool_reserved = d
        .reservations
        .iter()
        .filter(|r| d.pools.contains(u32::from(r.ip)))
        .count() as u64;
    let excluded = d.exclusions().len();
    let (assigned, declined) = s.stats.map(|x| (x.assigned, x.declined)).unwrap_or((0, 0));
    ScopeCounts {
        total: d.range.len(),
        available: d
            .pools
            .intersect(&RangeSet::from_ranges([d.range]))
            .len()
            .saturating_sub(assigned + declined + in_pool_reserved),
        assigned,
        declined,
        reserved,
        // Out-of-pool reservations are Reserved, not Excluded (as in the grid).
        excluded: excluded.saturating_sub(reserved - in_pool_reserved.min(reserved)),
        ..ScopeCounts::default()
    }
}

/// Scopes with exact counts where `exact` has them (by subnet id, from each scope's
/// leases), statistics otherwise. Held and claimed are only known exactly.
pub fn scopes_csv_with<W: Write>(
    w: W,
    server: &str,
    tree: &ServerTree,
    t: &Thresholds,
    keep: &dyn Fn(usize) -> bool,
    exact: Option<&HashMap<u32, ScopeCounts>>,
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record([
        "server",
        "subnet_id",
        "cidr",
        "start",
        "end",
        "status",
        "total",
        "available",
        "assigned",
        "claimed",
        "reserved",
        "excluded",
        "held",
        "declined",
        "expired",
        "utilization_pct",
        "utilization_band",
        "shared_network",
        "title",
        "description",
    ])?;
    for (i, s) in tree.scopes.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let d = &s.def;
        let exact_counts = exact.and_then(|m| m.get(&d.id)).filter(|_| d.id != 0);
        let n = exact_counts
            .copied()
            .unwrap_or_else(|| counts_from_stats(s));
        let known = |v: u64| {
            if exact_counts.is_some() {
                v.to_string()
            } else {
                String::new()
            }
        };
        // Inactive and missing scopes are left out of utilization.
        let (pct, band) = if d.status.is_active() {
            let u = if exact_counts.is_some() {
                n.utilization()
            } else {
                s.utilization()
            };
            (format!("{:.1}", u.percent()), u.band(t).label().to_string())
        } else {
            (String::new(), String::new())
        };
        c.write_record([
            server.to_string(),
            d.id.to_string(),
            d.cidr.to_string(),
            d.range.first().to_string(),
            d.range.last().to_string(),
            d.status.label().to_string(),
            n.total.to_string(),
            n.available.to_string(),
            n.assigned.to_string(),
            known(n.claimed),
            n.reserved.to_string(),
            n.excluded.to_string(),
            known(n.held),
            n.declined.to_string(),
            known(n.expired),
            pct,
            band,
            opt(&d.shared_network),
            opt(&d.title),
            opt(&d.description),
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// Every address of a scope's subnet that is in the range or carries a lease or
/// reservation, with what is known of it; with a ping sweep of the scope, also whether each
/// answered and what that means.
pub fn ips_csv<W: Write>(
    w: W,
    server: &str,
    view: &ScopeView,
    filter: &dyn Fn(&IpDetail) -> bool,
    sweep: Option<&crate::model::sweep::Sweep>,
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    let mut header = vec![
        "server",
        "scope",
        "ip",
        "state",
        "mac",
        "client_id",
        "hostname",
        "expires",
        "in_pool",
        "reservation",
        "comment",
    ];
    if sweep.is_some() {
        header.extend(["ping", "finding"]);
    }
    c.write_record(&header)?;
    for i in 0..view.len() {
        let ip = view.ip_at(i);
        let d = view.detail(ip);
        if !d.in_range && d.lease.is_none() && d.reservation.is_none() {
            continue;
        }
        if !filter(&d) {
            continue;
        }
        let client_id = d
            .lease
            .and_then(|l| l.client_id.as_deref())
            .map(crate::model::lease::hex_colon)
            .or_else(|| {
                // Kea normalises reservation client ids to bare hex: show them like leases'.
                d.reservation.and_then(|r| r.client_id.as_deref()).map(|c| {
                    crate::model::lease::parse_hex_bytes(c)
                        .map(|b| crate::model::lease::hex_colon(&b))
                        .unwrap_or_else(|| c.to_string())
                })
            })
            .unwrap_or_default();
        let mut row = vec![
            server.to_string(),
            view.def.cidr.to_string(),
            ip.to_string(),
            d.state.label().to_string(),
            d.mac().unwrap_or_default(),
            client_id,
            d.hostname().unwrap_or_default().to_string(),
            fmt_time(d.expires()),
            d.in_pool.to_string(),
            d.reservation.is_some().to_string(),
            d.lease
                .and_then(|l| l.comment())
                .or_else(|| d.reservation.and_then(|r| r.description.as_deref()))
                .unwrap_or_default()
                .to_string(),
        ];
        if let Some(sw) = sweep {
            let (ping, finding) = if sw.pinged(ip) {
                (
                    sw.answers(ip)
                        .map(|d| format!("{:.3} ms", d.as_secs_f64() * 1000.0))
                        .unwrap_or_else(|| "no answer".into()),
                    sw.finding_at(ip, d.state)
                        .map(|f| f.label())
                        .unwrap_or_default(),
                )
            } else {
                (String::new(), "")
            };
            row.extend([ping, finding.to_string()]);
        }
        c.write_record(&row)?;
    }
    c.flush()?;
    Ok(())
}

/// A swept scope's pinged addresses: state, whether each answered (and how fast), and what
/// that means (conflict, silent).
pub fn sweep_csv<W: Write>(
    w: W,
    sweep: &crate::model::sweep::Sweep,
    rows: &[crate::model::sweep::SweepRow],
) -> Result<(), ExportError> {
    let mut c = SafeCsv::new(w);
    c.write_record([
        "server", "scope", "ip", "state", "answers", "rtt_ms", "finding",
    ])?;
    for r in rows {
        c.write_record([
            sweep.server.clone(),
            sweep.cidr.to_string(),
            r.ip.to_string(),
            r.state.label().to_string(),
            r.rtt.is_some().to_string(),
            r.rtt
                .map(|d| format!("{:.3}", d.as_secs_f64() * 1000.0))
                .unwrap_or_default(),
            r.finding.map(|f| f.label()).unwrap_or_default().to_string(),
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// A fresh timestamped file under the XDG data dir's `exports/` (created on demand).
pub fn export_path(what: &str, server: Option<&str>) -> PathBuf {
    export_path_in(&crate::config::data_dir().join("exports"), what, server)
}

pub fn export_path_in(dir: &std::path::Path, what: &str, server: Option<&str>) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let stamp = rfc3339(crate::ops::now()).replace(':', "");
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let name = match server {
        Some(s) => format!("ddish-{}-{}-{stamp}.csv", clean(what), clean(s)),
        None => format!("ddish-{}-{stamp}.csv", clean(what)),
    };
    let mut p = dir.join(&name);
    let mut n = 1;
    while p.exists() {
        p = dir.join(name.replace(".csv", &format!("-{n}.csv")));
        n += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_431_530), "2026-11-23T10:58:50Z");
    }

    #[test]
    fn networks_export_carries_the_claims_outside_scopes() {
        use crate::model::{NetworkClaim, NetworkKind};
        let nets = vec![NetworkDef {
            cidr: "10.64.0.0/16".parse().unwrap(),
            kind: NetworkKind::Network,
            title: Some("Office".into()),
            description: None,
            scopes: vec![],
            claims: vec![
                NetworkClaim {
                    ip: "10.64.9.9".parse().unwrap(),
                    mac: "02:00:00:00:09:09".into(),
                    hostname: Some("printer-9".into()),
                    comment: Some("lobby, 2nd floor".into()),
                },
                NetworkClaim {
                    ip: "10.64.9.10".parse().unwrap(),
                    mac: "02:00:00:00:09:0a".into(),
                    hostname: None,
                    comment: None,
                },
            ],
        }];
        let tree = ServerTree::build(&nets, vec![]);
        let mut out = Vec::new();
        networks_claims_csv(&mut out, "kea-hq", &tree, Some(&nets)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "server,kind,cidr,parent,scopes,utilization_pct,title,description,claims"
        );
        assert_eq!(
            lines[1],
            "kea-hq,Network,10.64.0.0/16,,0,0.0,Office,,10.64.9.9 02:00:00:00:09:09 printer-9; 10.64.9.10 02:00:00:00:09:0a"
        );
        // Without the networks the column is empty, not zero.
        let mut out = Vec::new();
        networks_csv(&mut out, "kea-hq", &tree).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("Office,,"));
        let mut out = Vec::new();
        claims_csv(&mut out, "kea-hq", &nets).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "kea-hq,10.64.0.0/16,10.64.9.9,02:00:00:00:09:09,printer-9,\"lobby, 2nd floor\""
        );
        assert_eq!(text.lines().count(), 3);
    }
}
