//! The console: ratatui + crossterm. A pure core (`app::App::update`) driven by key events
//! and worker results, plain render functions, one keymap table, and an async worker that
//! does all network and file I/O so the screen never waits.
pub mod actions;
pub mod app;
pub mod checks;
pub mod filter;
pub mod form;
pub mod ip_actions;
pub mod keymap;
pub mod layout;
pub mod render;
pub mod screen;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod worker;
mod writes;

use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{interval, interval_at, Instant, MissedTickBehavior};

use crate::config::Config;
use crate::ops::{self, Session};

use app::{App, Msg};
use keymap::Role;

/// How long one worker request may take in all: an operation makes a few Kea calls, each
/// already bounded by `request_timeout`.
pub fn op_timeout(config: &Config) -> Duration {
    config.settings.request_timeout.saturating_mul(3) + Duration::from_secs(5)
}

/// Runs the console until `q`. The terminal is restored on quit, on error and on panic.
/// `read_only` (`--read-only`) hides and refuses every change. `Ok(true)`: the
/// configuration file changed (a server was added) and the console should start again.
pub async fn run(config: Config, read_only: bool) -> anyhow::Result<bool> {
    let refresh = config.settings.refresh_interval.max(Duration::from_secs(1));
    let mut app = App::from_config(&config, read_only);
    app.now = ops::now();
    app.utc_offset = local_offset(app.now);
    let timeout = op_timeout(&config);
    // A write a killed ddish left half-done is the first thing the admin should know.
    if let Some(i) = ops::unfinished_writes(&config).last() {
        app.warn(ops::describe_unfinished(i));
    }
    let session = Session::new_with(config, read_only);
    // The keys shown are exactly what the session will allow.
    for s in &session.config().servers {
        let may = |n| session.may(&s.name, n).is_ok();
        let r = [Role::Admin, Role::Operator]
            .into_iter()
            .find(|r| may(*r))
            .unwrap_or(Role::Viewer);
        app.rights.insert(s.name.clone(), r);
    }
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let (req_tx, worker, writes) = worker::spawn(session, timeout, out_tx);
    // A hang-up (the SSH session dropped) or a kill quits like `q`: writes run to their end.
    let mut hangup = signal(SignalKind::hangup()).context("could not watch for SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("could not watch for SIGTERM")?;

    let mono = !crate::color::console();
    let (mut term, guard) = terminal::enter().context("could not take over the terminal")?;
    let size = term.size().context("could not read the terminal size")?;
    app.update(Msg::Resize(size.width, size.height));
    tracing::info!("console started");

    let mut events = EventStream::new();
    let mut refresh_tick = interval_at(Instant::now() + refresh, refresh);
    refresh_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut clock = interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);

    let crash_test = std::env::var_os("DDISH_CRASH_TEST").is_some();
    let mut pending = app.start();
    let result: anyhow::Result<bool> = loop {
        if pending.drain(..).any(|r| req_tx.send(r).is_err()) {
            break Err(anyhow::anyhow!(
                "the background worker stopped unexpectedly; see the ddish log"
            ));
        }
        if app.quit {
            break Ok(app.restart);
        }
        if let Err(e) = term.draw(|f| {
            render::draw(f, &app);
            if mono {
                theme::monochrome(f.buffer_mut());
            }
        }) {
            break Err(anyhow::anyhow!("drawing the screen failed: {e}"));
        }
        // A deliberate crash, so the end-to-end test (and anyone) can check that a panic
        // gives the terminal back.
        if crash_test {
            panic!("DDISH_CRASH_TEST is set: crashing on purpose after the first frame");
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(anyhow::anyhow!("reading the terminal failed: {e}")),
                None => break Ok(false),
            },
            Some(m) = out_rx.recv() => m,
            _ = refresh_tick.tick() => Msg::Refresh,
            _ = clock.tick() => Msg::Now(ops::now()),
            _ = hangup.recv() => break Ok(false),
            _ = terminate.recv() => break Ok(false),
        };
        pending = app.update(msg);
        if let Some(req) = app.editor_request() {
            // The editor gets the terminal: the key reader stops (it would take the
            // editor's keys) and the screen is given back until the editor exits.
            drop(events);
            let res = match terminal::restore() {
                Ok(()) => tokio::task::spawn_blocking(move || {
                    crate::editor::edit(&req.name, &req.text, &req.notes).map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(format!("the editor could not run: {e}"))),
                Err(e) => Err(format!("could not give the terminal to the editor: {e}")),
            };
            if let Err(e) = terminal::resume(&mut term) {
                break Err(anyhow::anyhow!("could not take the terminal back: {e}"));
            }
            events = EventStream::new();
            pending.extend(app.update(Msg::Edited(res)));
        }
    };
    drop(req_tx);
    drop(term);
    drop(guard);
    finish_writes(&writes, &mut hangup, &mut terminate).await;
    worker.abort();
    tracing::info!("console stopped");
    result
}

/// After the screen is given back: waits for the changes still being written, saying which.
/// A second signal (or Ctrl-C) leaves them unfinished; their intent files make the next
/// start report them.
async fn finish_writes(writes: &worker::Writes, hangup: &mut Signal, terminate: &mut Signal) {
    use std::io::Write as _;
    let left = writes.running();
    if left.is_empty() {
        return;
    }
    tracing::info!(writes = ?left, "waiting for writes before exiting");
    // The terminal may be gone (SIGHUP): a failed print is not an error.
    let _ = writeln!(
        std::io::stderr(),
        "ddish: finishing what is being written before exiting: {} (Ctrl-C to leave it \
         unfinished; the next start reports it)",
        left.join("; ")
    );
    tokio::select! {
        _ = writes.idle() => tracing::info!("writes finished"),
        _ = tokio::signal::ctrl_c() => tracing::warn!("left writes unfinished: {left:?}"),
        _ = hangup.recv() => tracing::warn!("left writes unfinished (SIGHUP): {left:?}"),
        _ = terminate.recv() => tracing::warn!("left writes unfinished (SIGTERM): {left:?}"),
    }
}

/// Seconds east of UTC of the local time zone, for showing times.
fn local_offset(now: i64) -> i64 {
    let t = now as libc::time_t;
    // SAFETY: localtime_r only writes the `tm` we own; a null return means failure.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        0
    } else {
        tm.tm_gmtoff as i64
    }
}
