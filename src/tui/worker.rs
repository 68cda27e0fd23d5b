//! The async worker: runs each request concurrently with a timeout, sends the result back as
//! a `Msg::Response`. A newer request for the same view aborts the older one (cancel);
//! whatever still slips through is dropped by generation in `App::update`.
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::audit::Entry;
use crate::dns::RecordRequest;
use crate::export;
use crate::model::{NetworkKind, Range, RangeSet, ScopeDef, Thresholds};
use crate::ops::bulk::{ServerOutcome, ServerPreview};
use crate::ops::{
    ActionOutcome, ClaimRequest, Ident, Need, OpError, ReservationRequest, ReservationType,
    ServerHealth, Session,
};

use ipnet::Ipv4Net;

use super::actions::{ActionJob, Done, Fail, HistoryRow, IdentKind, ResKind, ScopesOp};
use super::app::{BulkResult, ExportJob, Msg, Payload, Request, RequestKind, Response, Target};
use super::filter;
use super::screen::JobResult;
pub use super::writes::Writes;

/// Starts the worker; send requests on the returned channel. The worker stops when that
/// sender is dropped, aborting the reads in flight; writes run to their end ([`Writes`]).
pub fn spawn(
    session: Arc<Session>,
    timeout: Duration,
    out: UnboundedSender<Msg>,
) -> (UnboundedSender<Request>, JoinHandle<()>, Writes) {
    let (tx, rx) = mpsc::unbounded_channel();
    let writes = Writes::default();
    let task = tokio::spawn(run(rx, session, timeout, out, writes.clone()));
    (tx, task, writes)
}

/// What a request writes, if it does (its description for "waiting for ... to finish").
fn write_of(req: &Request) -> Option<String> {
    match &req.kind {
        RequestKind::Action(job) if !job.is_read() => Some(job.doing()),
        RequestKind::Screen(job) if job.write => Some(job.label.clone()),
        _ => None,
    }
}

async fn run(
    mut rx: UnboundedReceiver<Request>,
    session: Arc<Session>,
    timeout: Duration,
    out: UnboundedSender<Msg>,
    writes: Writes,
) {
    let mut running: HashMap<String, JoinHandle<()>> = HashMap::new();
    while let Some(req) = rx.recv().await {
        running.retain(|_, h| !h.is_finished());
        let key = req.target.cancel_key();
        if let Some(old) = key.as_ref().and_then(|k| running.remove(k)) {
            tracing::debug!(key = ?key, "superseded request aborted");
            old.abort();
        }
        tracing::debug!(id = req.id, target = ?req.target, "request");
        let ticket = write_of(&req).map(|w| writes.start(req.id, w));
        // A change is made against what its view showed (ops::Baseline), and tells the
        // screen each step it reaches.
        let baseline = req.baseline.clone();
        let (id, to) = (req.id, out.clone());
        let steps: crate::kea::progress::Sink = Arc::new(move |step: &str| {
            let _ = to.send(Msg::Progress(id, step.to_string()));
        });
        let job =
            crate::ops::acting_on(baseline, handle(session.clone(), req, timeout, out.clone()));
        let h = tokio::spawn(async move {
            match ticket {
                Some(t) => {
                    let done = crate::kea::progress::reporting(steps, job).await;
                    drop(t);
                    done
                }
                None => job.await,
            }
        });
        if let Some(k) = key {
            running.insert(k, h);
        }
    }
    for h in running.values() {
        h.abort();
    }
}

fn server_name(t: &Target) -> &str {
    match t {
        Target::Fleet(s) | Target::Server(s) => s,
        Target::Scope { server, .. } | Target::Action { server, .. } => server,
        Target::Layout { server } => server,
        Target::Export | Target::Screen { .. } | Target::Bulk => "",
    }
}

async fn handle(session: Arc<Session>, req: Request, timeout: Duration, out: UnboundedSender<Msg>) {
    let name = server_name(&req.target).to_string();
    let slow = || {
        format!(
            "no answer from {name} within {} s: the server is slow or unreachable (r retries)",
            timeout.as_secs()
        )
    };
    let internal = |what: &str| {
        tracing::error!(server = %name, "{what} panicked");
        format!("internal error while {what} {name}; details are in the ddish log")
    };
    // A panic inside an operation becomes an error on its tab, never a dead worker.
    let payload = match req.kind {
        RequestKind::CheckServer => {
            let op = AssertUnwindSafe(session.check_server(&name)).catch_unwind();
            let h = match tokio::time::timeout(timeout, op).await {
                Ok(Ok(h)) => h,
                Ok(Err(_)) => failed_health(&session, &name, "internal", internal("checking")),
                Err(_) => failed_health(&session, &name, "timeout", slow()),
            };
            Payload::Health(Box::new(h))
        }
        RequestKind::LoadServer => {
            let op = AssertUnwindSafe(session.load_server_tree(&name)).catch_unwind();
            Payload::Server(match tokio::time::timeout(timeout, op).await {
                Ok(Ok(r)) => r.map(Arc::new).map_err(|e| e.to_string()),
                Ok(Err(_)) => Err(internal("loading")),
                Err(_) => Err(slow()),
            })
        }
        RequestKind::LoadStats => {
            let op = AssertUnwindSafe(session.server_stats(&name)).catch_unwind();
            Payload::Stats(match tokio::time::timeout(timeout, op).await {
                Ok(Ok(r)) => r.map_err(|e| e.to_string()),
                Ok(Err(_)) => Err(internal("counting the leases of")),
                Err(_) => Err(slow()),
            })
        }
        RequestKind::LoadScope(def) => {
            let op = AssertUnwindSafe(session.load_scope(&name, &def)).catch_unwind();
            Payload::Scope(match tokio::time::timeout(timeout, op).await {
                Ok(Ok(r)) => r.map(Arc::new).map_err(|e| e.to_string()),
                Ok(Err(_)) => Err(internal("loading a scope of")),
                Err(_) => Err(slow()),
            })
        }
        RequestKind::ReloadScope(cidr) => {
            let op = async {
                let (data, def) = session.find_scope(&name, &cidr).await?;
                let view = session.load_scope(&name, &def).await?;
                Ok::<_, crate::ops::OpError>((Arc::new(data), Arc::new(view)))
            };
            let op = AssertUnwindSafe(op).catch_unwind();
            Payload::Reloaded(match tokio::time::timeout(timeout, op).await {
                Ok(Ok(r)) => r.map_err(|e| e.to_string()),
                Ok(Err(_)) => Err(internal("reloading a scope of")),
                Err(_) => Err(slow()),
            })
        }
        RequestKind::Action(job) => {
            // Writes get more time: a change touches the server and its HA peers; a bulk
            // change or a scope copy touches several servers.
            let limit = if matches!(
                job,
                ActionJob::BulkApply(_)
                    | ActionJob::BulkPreview(_)
                    | ActionJob::Classes(_)
                    | ActionJob::ScopesPreview { .. }
                    | ActionJob::ScopesApply { .. }
                    | ActionJob::DuplicateScope { .. }
            ) {
                timeout * 4
            } else {
                timeout * 2
            };
            // Many-server jobs answer as `Payload::Bulk`, failures included, so their popup
            // never waits forever.
            let bulk = matches!(
                job,
                ActionJob::BulkApply(_)
                    | ActionJob::BulkPreview(_)
                    | ActionJob::Classes(_)
                    | ActionJob::ScopesPreview { .. }
                    | ActionJob::ScopesApply { .. }
            );
            let writes = !job.is_read();
            let op = AssertUnwindSafe(run_job(&session, &name, job)).catch_unwind();
            // A write runs to its end: each of its steps has its own timeout (request,
            // write_timeout, the wait for a late config-set, the write lock); cut off in the
            // middle it could leave HA peers different.
            let res = if writes {
                Ok(op.await)
            } else {
                tokio::time::timeout(limit, op).await
            };
            match res {
                Ok(Ok(p)) => p,
                Ok(Err(_)) if bulk => {
                    tracing::error!("bulk job panicked");
                    Payload::Bulk(Err(
                        "internal error in the bulk change; details are in the ddish log".into(),
                    ))
                }
                Ok(Err(_)) => Payload::Action(Err(Fail::Failed(internal("changing")))),
                Err(_) if bulk && writes => Payload::Bulk(Err(format!(
                    "no answer from every server within {} s: the change may or may not have been made on each; r reloads to see",
                    limit.as_secs()
                ))),
                Err(_) if bulk => Payload::Bulk(Err(format!(
                    "no answer from every server within {} s: a server is slow or unreachable; nothing was written",
                    limit.as_secs()
                ))),
                Err(_) => Payload::Action(Err(Fail::Failed(format!(
                    "no answer from {name} within {} s: the change may or may not have been made; r reloads to see",
                    limit.as_secs()
                )))),
            }
        }
        RequestKind::Export(job) => {
            let t = session.config().thresholds();
            // File I/O off the async threads; never cancelled.
            let res = tokio::task::spawn_blocking(move || write_export(job, &t))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!("export task failed: {e}");
                    Err("internal error while exporting; details are in the ddish log".into())
                });
            if let Ok(p) = &res {
                tracing::info!(path = %p.display(), "exported");
            }
            Payload::Exported(res)
        }
        RequestKind::Screen(job) => {
            // A change may wait for HA peers to agree: four times the read budget.
            let limit = if job.write { timeout * 4 } else { timeout };
            let op = AssertUnwindSafe((job.run)(session.clone())).catch_unwind();
            let res = if job.write {
                Ok(op.await)
            } else {
                tokio::time::timeout(limit, op).await
            };
            Payload::Screen(JobResult(match res {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(_)) => {
                    tracing::error!(job = %job.label, "screen job panicked");
                    Err(format!(
                        "internal error in {}; details are in the ddish log",
                        job.label
                    ))
                }
                Err(_) if job.write => Err(format!(
                    "{} took longer than {} s: it may or may not have finished; r reloads to see",
                    job.label,
                    limit.as_secs()
                )),
                Err(_) => Err(format!(
                    "{} took longer than {} s: a server is slow or unreachable (r retries)",
                    job.label,
                    limit.as_secs()
                )),
            }))
        }
    };
    if let Payload::Server(Err(e)) | Payload::Scope(Err(e)) | Payload::Reloaded(Err(e)) = &payload {
        tracing::warn!(server = %name, "load failed: {e}");
    }
    let _ = out.send(Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target,
        payload,
    }));
}

/// Runs one IP or scope action through the ops session.
async fn run_job(session: &Session, name: &str, job: ActionJob) -> Payload {
    match job {
        ActionJob::Ping { ip } => Payload::Ping {
            ip,
            result: session.ping(ip).await.map_err(|e| e.to_string()),
        },
        ActionJob::History { ip } => Payload::History {
            ip,
            rows: session
                .history(ip)
                .map(|es| es.iter().map(history_row).collect())
                .map_err(|e| e.to_string()),
        },
        ActionJob::BulkPreview(c) => {
            Payload::Bulk(Ok(BulkResult::Preview(session.bulk_preview(&c).await)))
        }
        ActionJob::BulkApply(c) => {
            Payload::Bulk(Ok(BulkResult::Outcome(session.bulk_apply(&c).await)))
        }
        ActionJob::Classes(servers) => {
            let all = futures_util::future::join_all(servers.iter().map(|s| async move {
                (
                    s.clone(),
                    session.classes(s).await.map_err(|e| e.to_string()),
                )
            }))
            .await;
            Payload::Bulk(Ok(BulkResult::Classes(all)))
        }
        ActionJob::ScopesPreview { op, scopes } => Payload::Bulk(Ok(BulkResult::Preview(
            scopes_preview(session, op, &scopes).await,
        ))),
        ActionJob::ScopesApply { server, op, cidrs } => {
            let r = match op {
                ScopesOp::Activate => session.set_scopes_active(&server, &cidrs, true).await,
                ScopesOp::Deactivate => session.set_scopes_active(&server, &cidrs, false).await,
                ScopesOp::Delete => session.delete_scopes(&server, &cidrs).await,
            };
            Payload::Bulk(Ok(BulkResult::Outcome(vec![match r {
                Ok(o) => {
                    let mut text = o.summary;
                    for w in &o.warnings {
                        text.push_str(" · ⚠ ");
                        text.push_str(w);
                    }
                    ServerOutcome {
                        server,
                        peers: o.peers,
                        result: Ok(text),
                    }
                }
                Err(e) => ServerOutcome {
                    server,
                    peers: Vec::new(),
                    result: Err(e.to_string()),
                },
            }])))
        }
        other => Payload::Action(change(session, name, other).await),
    }
}

/// What activating, deactivating or deleting the marked scopes would do, one row per
/// server in mark order: each scope with its leases and reservations (read from the
/// server), or why that server cannot take it (rights, unreachable, a scope gone).
async fn scopes_preview(
    session: &Session,
    op: ScopesOp,
    scopes: &[(String, Ipv4Net)],
) -> Vec<ServerPreview> {
    let mut servers: Vec<(String, Vec<Ipv4Net>)> = Vec::new();
    for (s, c) in scopes {
        match servers.iter_mut().find(|(n, _)| n == s) {
            Some((_, v)) => v.push(*c),
            None => servers.push((s.clone(), vec![*c])),
        }
    }
    let one = |server: String, cidrs: Vec<Ipv4Net>| async move {
        let server = server.as_str();
        let mut p = ServerPreview {
            server: server.to_string(),
            changes: Vec::new(),
            error: None,
            warnings: Vec::new(),
        };
        if let Err(e) = session.may(server, Need::Admin) {
            p.error = Some(e.to_string());
            return p;
        }
        // Which scopes are inactive now, to say when one is already as asked.
        let inactive: Vec<Ipv4Net> = if op == ScopesOp::Delete {
            Vec::new()
        } else {
            let raw = match session.client(server) {
                Ok(c) => c.config_get_raw().await.map_err(OpError::from),
                Err(e) => Err(e),
            };
            match raw {
                Ok(raw) => crate::kea::subnet_json::all_subnets(&raw)
                    .into_iter()
                    .filter(|s| {
                        crate::kea::has_class(s, "never")
                            || s["user-context"]["ddish"]["inactive"] == true
                    })
                    .filter_map(crate::kea::subnet_json::subnet_cidr)
                    .collect(),
                Err(e) => {
                    p.error = Some(e.to_string());
                    return p;
                }
            }
        };
        for c in cidrs {
            let h = match session.scope_holdings(server, c).await {
                Ok(h) => h,
                Err(e) => {
                    p.error = Some(e.to_string());
                    p.changes.clear();
                    return p;
                }
            };
            let held = h.describe();
            let was_inactive = inactive.contains(&c);
            p.changes.push(match op {
                ScopesOp::Activate if !was_inactive => {
                    format!("{c}: already active: stays as it is ({held})")
                }
                ScopesOp::Deactivate if was_inactive => {
                    format!("{c}: already inactive: stays as it is ({held})")
                }
                ScopesOp::Activate => format!("{c}: activated: DHCP serves it again ({held})"),
                ScopesOp::Deactivate => {
                    format!("{c}: deactivated: DHCP stops serving it, it stays configured ({held})")
                }
                ScopesOp::Delete => format!("{c}: DELETED with its {held}"),
            });
            if op == ScopesOp::Delete && h.leases + h.reservations as u64 > 0 {
                p.warnings.push(format!(
                    "{c} still has {held}: they go with it and its clients lose their addresses"
                ));
            }
        }
        p
    };
    futures_util::future::join_all(servers.into_iter().map(|(s, c)| one(s, c))).await
}

/// An ops result as the console shows it.
fn outcome(r: Result<ActionOutcome, OpError>) -> Result<Done, Fail> {
    match r {
        Ok(o) => {
            let mut summary = o.summary;
            // Say where it was written when that is more than the one server.
            if o.peers.len() > 1 {
                summary.push_str(&format!(" (on {})", o.peers.join(", ")));
            }
            Ok(Done {
                summary,
                warnings: o.warnings,
                ip: o.ip,
            })
        }
        Err(OpError::NeedsConfirmation(m)) => Err(Fail::NeedsConfirmation(m)),
        Err(e) => Err(Fail::Failed(e.to_string())),
    }
}

async fn change(s: &Session, name: &str, job: ActionJob) -> Result<Done, Fail> {
    let r = match job {
        ActionJob::HoldFree { scope, random } => s.hold_free(name, &scope, random).await,
        ActionJob::Hold { ip } => s.hold_ip(name, ip).await,
        ActionJob::Release { ip } => s.release(name, ip).await,
        ActionJob::Claim {
            ip,
            mac,
            hostname,
            comment,
        } => {
            let c = ClaimRequest {
                mac,
                hostname,
                comment,
            };
            s.claim(name, ip, &c).await
        }
        ActionJob::Unclaim { ip } => s.unclaim(name, ip).await,
        ActionJob::Reserve {
            ip,
            ident,
            value,
            kind,
            hostname,
            description,
            confirmed,
        } => {
            let r = ReservationRequest {
                ident: match ident {
                    IdentKind::Mac => Ident::Mac(value),
                    IdentKind::ClientId => Ident::ClientId(value),
                },
                kind: match kind {
                    ResKind::Dhcp => ReservationType::Dhcp,
                    ResKind::Bootp => ReservationType::Bootp,
                    ResKind::Both => ReservationType::Both,
                },
                hostname,
                description,
            };
            s.reserve(name, ip, &r, confirmed).await
        }
        ActionJob::Unreserve { ip } => s.unreserve(name, ip).await,
        ActionJob::DnsAdd {
            ip,
            zone,
            hostname,
            ttl,
            ptr,
            comment,
        } => {
            let req = RecordRequest {
                zone,
                hostname,
                ip: ip.into(),
                ttl,
                ptr,
                comment,
            };
            s.dns_add(name, &req).await
        }
        ActionJob::DnsDelete {
            ip,
            zone,
            hostname,
            ptr,
        } => s.dns_delete(name, &zone, &hostname, ip, ptr).await,
        ActionJob::Exclude {
            scope,
            range,
            replaces,
            confirmed,
        } => return change_exclusion(s, name, &scope, range, replaces, confirmed).await,
        ActionJob::Unexclude { scope, range } => {
            s.unexclude(name, &scope, range.first(), range.last()).await
        }
        ActionJob::CreateNetwork {
            cidr,
            container,
            title,
            description,
        } => {
            let kind = if container {
                NetworkKind::Container
            } else {
                NetworkKind::Network
            };
            s.create_network(name, cidr, kind, title, description).await
        }
        ActionJob::EditNetwork {
            cidr,
            title,
            description,
        } => s.edit_network(name, cidr, title, description).await,
        ActionJob::ToContainer { cidr } => s.network_to_container(name, cidr).await,
        ActionJob::DeleteNetwork { cidr } => s.delete_network(name, cidr).await,
        ActionJob::CreateScope {
            network,
            subnet,
            props,
        } => s.create_scope(name, network, subnet, &props).await,
        ActionJob::EditScope { cidr, edit } => s.edit_scope(name, cidr, &edit).await,
        ActionJob::SetActive { cidr, active } => s.set_scope_active(name, cidr, active).await,
        ActionJob::DuplicateScope {
            cidr,
            to_cidr,
            to_server,
        } => {
            s.duplicate_scope(name, cidr, to_cidr, to_server.as_deref())
                .await
        }
        ActionJob::DeleteScope { cidr, confirmed } => s.delete_scope(name, cidr, confirmed).await,
        ActionJob::RecreateScope { cidr } => s.recreate_scope(name, cidr).await,
        ActionJob::ForgetScope { cidr } => s.forget_scope(name, cidr).await,
        ActionJob::Ping { .. }
        | ActionJob::History { .. }
        | ActionJob::BulkPreview(_)
        | ActionJob::BulkApply(_)
        | ActionJob::Classes(_)
        | ActionJob::ScopesPreview { .. }
        | ActionJob::ScopesApply { .. } => {
            return Err(Fail::Failed("internal error: not a change".into()))
        }
    };
    outcome(r)
}

/// Adds an exclusion, or changes one: the new addresses leave the pools first (a
/// confirmation question comes before anything is written), then what the old range had
/// beyond the new one goes back.
async fn change_exclusion(
    s: &Session,
    name: &str,
    scope: &ScopeDef,
    range: Range,
    replaces: Option<Range>,
    confirmed: bool,
) -> Result<Done, Fail> {
    let Some(old) = replaces else {
        return outcome(
            s.exclude(name, scope, range.first(), range.last(), confirmed)
                .await,
        );
    };
    if old == range {
        return Ok(Done {
            summary: format!("{range} unchanged"),
            warnings: vec![],
            ip: None,
        });
    }
    let new = RangeSet::from_ranges([range]);
    let mut warnings = Vec::new();
    for piece in new.subtract(&scope.exclusions()).ranges() {
        let d = outcome(
            s.exclude(name, scope, piece.first(), piece.last(), confirmed)
                .await,
        )?;
        warnings.extend(d.warnings);
    }
    for piece in RangeSet::from_ranges([old]).subtract(&new).ranges() {
        let d = outcome(s.unexclude(name, scope, piece.first(), piece.last()).await)?;
        warnings.extend(d.warnings);
    }
    Ok(Done {
        summary: format!("exclusion {old} changed to {range} in {}", scope.cidr),
        warnings,
        ip: None,
    })
}

/// A journal entry in one line: before → after, compact.
fn history_row(e: &Entry) -> HistoryRow {
    let compact = |v: &Option<serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "-".to_string(),
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
    };
    let change = match (&e.before, &e.after) {
        (None, None) => String::new(),
        (b, a) => format!("{} → {}", compact(b), compact(a)),
    };
    HistoryRow {
        time: e.time,
        user: e.user.clone(),
        action: e.action.clone(),
        result: e.result.clone(),
        change,
    }
}

fn failed_health(session: &Session, name: &str, kind: &str, msg: String) -> ServerHealth {
    ServerHealth {
        name: name.to_string(),
        url: session
            .config()
            .server(name)
            .map(|s| s.url.clone())
            .unwrap_or_default(),
        reachable: false,
        version: None,
        scopes: None,
        utilization: None,
        ha_state: None,
        writes: None,
        error_kind: Some(kind.to_string()),
        error: Some(msg),
    }
}

/// Writes one export under the XDG data dir; returns the file's path.
pub fn write_export(job: ExportJob, t: &Thresholds) -> Result<PathBuf, String> {
    let path = match &job {
        ExportJob::Servers(_) => export::export_path("servers", None),
        ExportJob::Scopes { server, what, .. } => export::export_path(what, Some(server)),
        ExportJob::Ips { server, view, .. } => {
            export::export_path(&format!("ips-{}", view.def.cidr), Some(server))
        }
        ExportJob::Table(t) => export::export_path(&t.what, None),
        ExportJob::Claims { server, networks } => {
            let what = match networks.as_slice() {
                [one] => format!("claims-{}", one.cidr),
                _ => "claims".into(),
            };
            export::export_path(&what, Some(server))
        }
    };
    write_export_to(job, t, &path)?;
    Ok(path)
}

/// Writes one export to `path`.
pub fn write_export_to(
    job: ExportJob,
    t: &Thresholds,
    path: &std::path::Path,
) -> Result<(), String> {
    let file = export::create_private(path).map_err(|e| {
        format!(
            "cannot create {}: {e} (check that the directory is writable)",
            path.display()
        )
    })?;
    let w = std::io::BufWriter::new(file);
    let res = match job {
        ExportJob::Servers(rows) => export::servers_csv(w, &rows),
        ExportJob::Scopes {
            server,
            data,
            scopes,
            ..
        } => {
            let keep: HashSet<usize> = scopes.into_iter().collect();
            export::scopes_csv_filtered(w, &server, &data.tree, t, &|i| keep.contains(&i))
        }
        ExportJob::Ips {
            server,
            view,
            filter: f,
        } => {
            let needle = filter::needle(&f);
            export::ips_csv(w, &server, &view, &|d| filter::ip_matches(d, &needle))
        }
        ExportJob::Table(t) => export::table_csv(w, &t.header, &t.rows),
        ExportJob::Claims { server, networks } => export::claims_csv(w, &server, &networks),
    };
    res.map_err(|e| format!("{e} ({})", path.display()))
}
