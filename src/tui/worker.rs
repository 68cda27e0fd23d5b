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

use crate::export;
use crate::model::Thresholds;
use crate::ops::bulk::ServerOutcome;
use crate::ops::{ActionOutcome, Command, OpError, Outcome, ServerHealth, Session};

use super::actions::{Done, Fail, HistoryRow};
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
        RequestKind::Screen(job) if job.write() => Some(job.label.clone()),
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
        let steps: crate::ops::progress::Sink = Arc::new(move |step: &str| {
            let _ = to.send(Msg::Progress(id, step.to_string()));
        });
        let job =
            crate::ops::acting_on(baseline, handle(session.clone(), req, timeout, out.clone()));
        let h = tokio::spawn(async move {
            match ticket {
                Some(t) => {
                    let done = crate::ops::progress::reporting(steps, job).await;
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
        Target::Scope { server, .. }
        | Target::Action { server, .. }
        | Target::Sweep { server, .. }
        | Target::Counts { server, .. }
        | Target::DnsNames { server, .. } => server,
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
            let limit = if job.is_many_servers() || matches!(job, Command::DuplicateScope { .. }) {
                timeout * 4
            } else {
                timeout * 2
            };
            // Many-server jobs answer as `Payload::Bulk`, failures included, so their popup
            // never waits forever.
            let bulk = job.is_many_servers();
            match AssertUnwindSafe(run_job(&session, &name, job, limit))
                .catch_unwind()
                .await
            {
                Ok(p) => p,
                Err(_) if bulk => {
                    tracing::error!("bulk job panicked");
                    Payload::Bulk(Err(
                        "internal error in the bulk change; details are in the ddish log".into(),
                    ))
                }
                Err(_) => Payload::Action(Err(Fail::Failed(internal("changing")))),
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
            // The command names its servers; a read is cut off at the time limit, a change
            // runs to its end (it may wait for HA peers to agree).
            let label = job.label;
            let op = AssertUnwindSafe(session.run_within("", job.cmd, timeout)).catch_unwind();
            Payload::Screen(JobResult(match op.await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => {
                    tracing::error!(job = %label, "screen job panicked");
                    Err(format!(
                        "internal error in {label}; details are in the ddish log"
                    ))
                }
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

/// Runs one command through the ops session; its outcome as the console's payload.
async fn run_job(session: &Arc<Session>, name: &str, job: Command, limit: Duration) -> Payload {
    // Ping and history answer in their own popups, errors included.
    let (ping, history) = match &job {
        Command::Ping { ip } => (Some(*ip), None),
        Command::History { ip } => (None, Some(*ip)),
        _ => (None, None),
    };
    let many = job.is_many_servers();
    let edit_base = job == Command::ConfigBase;
    // The marked scopes of one server answer as that server's row of a bulk outcome.
    let scopes_of = match &job {
        Command::ScopesApply { server, .. } => Some(server.clone()),
        _ => None,
    };
    let r = session.run_within(name, job, limit).await;
    if let Some(server) = scopes_of {
        let row = match r {
            Ok(Outcome::Done(o)) => {
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
            Ok(o) => ServerOutcome {
                server,
                peers: Vec::new(),
                result: Err(unexpected_outcome(name, o)),
            },
            Err(e) => ServerOutcome {
                server,
                peers: Vec::new(),
                result: Err(e.to_string()),
            },
        };
        return Payload::Bulk(Ok(BulkResult::Outcome(vec![row])));
    }
    let unexpected = |o: Outcome| unexpected_outcome(name, o);
    if let Some(ip) = ping {
        let result = match r {
            Ok(Outcome::Ping(p)) => Ok(p),
            Ok(o) => Err(unexpected(o)),
            Err(e) => Err(e.to_string()),
        };
        return Payload::Ping { ip, result };
    }
    if let Some(ip) = history {
        let rows = match r {
            Ok(Outcome::History(es)) => Ok(es.iter().map(history_row).collect()),
            Ok(o) => Err(unexpected(o)),
            Err(e) => Err(e.to_string()),
        };
        return Payload::History { ip, rows };
    }
    if edit_base {
        return Payload::EditBase(match r {
            Ok(Outcome::EditBase(b)) => Ok(b),
            Ok(o) => Err(unexpected(o)),
            Err(e) => Err(e.to_string()),
        });
    }
    match r {
        Ok(Outcome::Preview(p)) => Payload::Bulk(Ok(BulkResult::Preview(p))),
        Ok(Outcome::Applied(o)) => Payload::Bulk(Ok(BulkResult::Outcome(o))),
        Ok(Outcome::Classes(c)) => Payload::Bulk(Ok(BulkResult::Classes(c))),
        Ok(Outcome::Done(o)) => Payload::Action(outcome(Ok(o))),
        Err(e) if many => Payload::Bulk(Err(e.to_string())),
        Err(e) => Payload::Action(outcome(Err(e))),
        Ok(o) => Payload::Action(Err(Fail::Failed(unexpected(o)))),
    }
}

fn unexpected_outcome(name: &str, o: Outcome) -> String {
    tracing::error!("unexpected outcome {o:?}");
    format!("internal error while answering {name}; details are in the ddish log")
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
                view: o.view,
            })
        }
        Err(OpError::NeedsConfirmation(m)) => Err(Fail::NeedsConfirmation(m)),
        Err(e) => Err(Fail::Failed(e.to_string())),
    }
}

/// A journal entry in one line: before → after, compact.
fn history_row(h: &crate::ops::history::HistoryItem) -> HistoryRow {
    let e = &h.entry;
    let compact = |v: &Option<serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "-".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
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
        // What was seen (a lease change between looks) has no before.
        (None, Some(serde_json::Value::String(s))) => s.clone(),
        (b, a) => format!("{} → {}", compact(b), compact(a)),
    };
    // Changes that covered the address say how.
    let action = if h.relation == "this address" {
        e.action.clone()
    } else {
        format!("{} ({}, on {})", e.action, h.relation, e.server)
    };
    HistoryRow {
        time: e.time,
        user: e.user.clone(),
        action,
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
            sweep,
        } => {
            let needle = filter::needle(&f);
            let keep = |d: &crate::model::scope::IpDetail<'_>| filter::ip_matches(d, &needle);
            export::ips_csv(w, &server, &view, &keep, sweep.as_ref())
        }
        ExportJob::Table(t) => export::table_csv(w, &t.header, &t.rows),
        ExportJob::Claims { server, networks } => export::claims_csv(w, &server, &networks),
    };
    res.map_err(|e| format!("{e} ({})", path.display()))
}
