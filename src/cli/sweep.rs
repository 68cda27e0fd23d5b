//! `ddish scope sweep` (issue 13 item 5): a scope pinged at a bounded rate, its conflicts
//! and silent leases printed, every pinged address optionally as CSV.
use std::process::ExitCode;
use std::sync::Arc;

use ddish::ops::Session;

use super::actions::find_scope;
use super::common::{op_fail, Fail};

/// `ddish scope sweep`: the conflicts and silent leases, a summary, optionally every row
/// as CSV.
pub(super) fn sweep(
    rt: &tokio::runtime::Runtime,
    session: &Arc<Session>,
    cidr: &ipnet::Ipv4Net,
    rate: u32,
    csv: Option<&std::path::Path>,
    server: Option<&str>,
) -> Result<ExitCode, Fail> {
    use ddish::model::sweep::Finding;
    let (server, def) = find_scope(rt, session, cidr, server)?;
    let started = std::time::Instant::now();
    let report = rt
        .block_on(session.sweep_scope(&server, &def, rate))
        .map_err(op_fail)?;
    let took = started.elapsed();
    let mut conflicts = 0;
    let mut silent = 0;
    let mut rows = Vec::new();
    for r in report.findings() {
        match r.finding {
            Some(Finding::Conflict) => conflicts += 1,
            Some(Finding::Silent) => silent += 1,
            None => {}
        }
        rows.push(vec![
            r.ip.to_string(),
            r.state.label().to_string(),
            r.rtt
                .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
                .unwrap_or_else(|| "no answer".into()),
            r.finding
                .map(|f| f.explain())
                .unwrap_or_default()
                .to_string(),
        ]);
    }
    if !rows.is_empty() {
        print!(
            "{}",
            super::common::table(&["IP", "STATE", "PING", "FINDING"], &rows)
        );
    }
    println!(
        "swept {} addresses of {cidr} on {server} at {rate}/s in {:.1} s: {} answer; {conflicts} \
         conflict(s), {silent} silent lease(s)",
        report.sweep.sent,
        took.as_secs_f64(),
        report.sweep.answered.len()
    );
    if let Some(path) = csv {
        let f = ddish::export::create_private(path)
            .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
        ddish::export::sweep_csv(f, &report.sweep, &report.rows)
            .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
        eprintln!("wrote {} rows to {}", report.rows.len(), path.display());
    }
    Ok(if conflicts > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
