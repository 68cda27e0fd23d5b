//! `ddish export`: a view as CSV (header row first), to stdout or a file.
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use ddish::config::Config;
use ddish::ops::Session;

use super::common::{runtime, Fail};
use super::{What, EXACT_SCOPE_LIMIT};

pub fn export(
    cfg: Config,
    what: What,
    server: Option<&str>,
    scope: Option<ipnet::Ipv4Net>,
    output: Option<&Path>,
) -> Result<ExitCode, Fail> {
    if let Some(s) = server {
        if cfg.server(s).is_none() {
            return Err(Fail(
                2,
                format!(
                    "no server named '{s}' in the configuration (known: {})",
                    cfg.servers
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if what == What::Ips && scope.is_none() {
        return Err(Fail(
            2,
            "--what ips needs --scope CIDR (e.g. --scope 10.10.0.0/24)".into(),
        ));
    }
    let rt = runtime()?;
    let thresholds = cfg.thresholds();
    let names: Vec<String> = match server {
        Some(s) => vec![s.to_string()],
        None => cfg.servers.iter().map(|s| s.name.clone()).collect(),
    };
    let session = Session::new(cfg);
    let mut buf: Vec<u8> = Vec::new();
    match what {
        What::Servers => {
            let mut rows = rt.block_on(session.check_all());
            rows.retain(|r| names.contains(&r.name));
            ddish::export::servers_csv(&mut buf, &rows)?;
        }
        What::Networks | What::Scopes => {
            // One header for all servers: write each server's rows, keep the first header.
            for (i, n) in names.iter().enumerate() {
                let data = rt.block_on(session.load_server(n))?;
                let mut part = Vec::new();
                if what == What::Networks {
                    ddish::export::networks_claims_csv(
                        &mut part,
                        n,
                        &data.tree,
                        Some(&data.networks),
                    )?;
                } else {
                    // Exact counts (held, claimed, expired) need each scope's leases: worth
                    // it for an export, but not on a server with thousands of scopes.
                    let exact = if data.tree.scopes.len() <= EXACT_SCOPE_LIMIT {
                        Some(rt.block_on(session.scope_counts(n, &data))?)
                    } else {
                        eprintln!(
                            "{n}: {} scopes: counts from Kea's statistics (held, claimed and expired left empty)",
                            data.tree.scopes.len()
                        );
                        None
                    };
                    ddish::export::scopes_csv_with(
                        &mut part,
                        n,
                        &data.tree,
                        &thresholds,
                        &|_| true,
                        exact.as_ref(),
                    )?;
                }
                append_csv(&mut buf, &part, i > 0);
            }
        }
        What::Ips => {
            let cidr = scope.expect("checked above");
            let mut found = Vec::new();
            let mut errors = Vec::new();
            for n in &names {
                match rt.block_on(session.find_scope(n, &cidr)) {
                    Ok((_, def)) => found.push((n.clone(), def)),
                    Err(ddish::ops::OpError::NotFound(_)) => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
            let (n, def) = match found.len() {
                1 => found.remove(0),
                0 if !errors.is_empty() => return Err(Fail(2, errors.join("\n"))),
                0 => return Err(Fail(2, format!("no scope {cidr} on {}", names.join(", ")))),
                _ => {
                    return Err(Fail(
                        2,
                        format!(
                        "scope {cidr} exists on several servers ({}): pick one with --server NAME",
                        found
                            .iter()
                            .map(|f| f.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ))
                }
            };
            let view = rt.block_on(session.load_scope(&n, &def))?;
            ddish::export::ips_csv(&mut buf, &n, &view, &|_| true, None)?;
        }
    }
    match output {
        Some(p) => {
            ddish::export::create_private(p)
                .and_then(|mut f| f.write_all(&buf))
                .map_err(|e| Fail(2, format!("cannot write {}: {e}", p.display())))?;
            eprintln!("wrote {}", p.display());
        }
        None => {
            std::io::stdout()
                .write_all(&buf)
                .map_err(|e| Fail(2, format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends one CSV document to another, dropping its header line when `skip_header`.
fn append_csv(buf: &mut Vec<u8>, part: &[u8], skip_header: bool) {
    let body = if skip_header {
        match part.iter().position(|b| *b == b'\n') {
            Some(i) => &part[i + 1..],
            None => &[][..],
        }
    } else {
        part
    };
    buf.extend_from_slice(body);
}
