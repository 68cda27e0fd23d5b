//! Entering and leaving the full-screen terminal, and a panic hook that gives the terminal
//! back before the panic message prints (otherwise it lands in the alternate screen in raw
//! mode and the shell is left unusable).
use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

type Hook = Arc<Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>>;

/// The hook that was installed before ours, put back on leave.
static PREVIOUS: Mutex<Option<Hook>> = Mutex::new(None);

/// Restores the terminal when dropped, also on early returns.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(e) = restore() {
            tracing::warn!("restoring the terminal failed: {e}");
        }
        uninstall_hook();
    }
}

pub fn enter() -> io::Result<(Terminal<CrosstermBackend<Stdout>>, Guard)> {
    install_hook(thread::current().id());
    let guard = Guard;
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
    let t = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((t, guard))
}

/// Takes the terminal back after another program (the editor) had it.
pub fn resume(t: &mut Terminal<CrosstermBackend<Stdout>>) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
    t.clear()
}

pub fn restore() -> io::Result<()> {
    let raw = terminal::disable_raw_mode();
    execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show)?;
    raw
}

fn install_hook(ui: ThreadId) {
    let prev: Hook = Arc::new(panic::take_hook());
    *PREVIOUS.lock().unwrap_or_else(|p| p.into_inner()) = Some(prev.clone());
    panic::set_hook(Box::new(move |info| {
        if thread::current().id() == ui {
            let _ = restore();
            tracing::error!("console panicked: {info}");
            prev(info);
        } else {
            // A background task: its request reports an error on its tab; printing here
            // would scribble over the screen, so the message goes to the log only.
            tracing::error!("background task panicked: {info}");
        }
    }));
}

fn uninstall_hook() {
    // While unwinding from a panic the hook can't be changed (std panics again, which
    // aborts); the process is ending anyway and the hook already restored the terminal.
    if thread::panicking() {
        return;
    }
    let prev = PREVIOUS.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(prev) = prev {
        let _ = panic::take_hook();
        panic::set_hook(Box::new(move |info| prev(info)));
    }
}
