//! The full-window screens (see `tui::screen`): which key opens which screen.
use super::app::App;
use super::keymap::ScreenKey;
use super::screen::Screen;

/// The screen for `which`, or why it can't open here (e.g. failover needs a server tab).
pub fn open(which: ScreenKey, app: &App) -> Result<Box<dyn Screen>, String> {
    let _ = app;
    Err(format!("{which:?} is not built yet"))
}
