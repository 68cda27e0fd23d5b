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
use crate::ops::{ServerHealth, Session};

use super::app::{ExportJob, Msg, Payload, Request, RequestKind, Response, Target};
use super::filter;

/// Starts the worker; send requests on the returned channel. The worker stops (aborting
/// what is in flight) when that sender is dropped.
pub fn spawn(
    session: Arc<Session>,
    timeout: Duration,
    out: UnboundedSender<Msg>,
) -> (UnboundedSender<Request>, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(rx, session, timeout, out));
    (tx, task)
}

async fn run(
    mut rx: UnboundedReceiver<Request>,
    session: Arc<Session>,
    timeout: Duration,
    out: UnboundedSender<Msg>,
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
        let h = tokio::spawn(handle(session.clone(), req, timeout, out.clone()));
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
        Target::Scope { server, .. } => server,
        Target::Export => "",
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
            let op = AssertUnwindSafe(session.load_server(&name)).catch_unwind();
            Payload::Server(match tokio::time::timeout(timeout, op).await {
                Ok(Ok(r)) => r.map(Arc::new).map_err(|e| e.to_string()),
                Ok(Err(_)) => Err(internal("loading")),
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
    };
    if let Payload::Server(Err(e)) | Payload::Scope(Err(e)) = &payload {
        tracing::warn!(server = %name, "load failed: {e}");
    }
    let _ = out.send(Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target,
        payload,
    }));
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
    let file = std::fs::File::create(path).map_err(|e| {
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
    };
    res.map_err(|e| format!("{e} ({})", path.display()))
}
