//! The full-window screens (see `tui::screen`): which key opens which screen.
mod add_server;
mod alerts;
mod change_view;
mod events;
mod failover;
mod option_defs;
mod review;
mod search;
mod server_params;
mod status;
mod zones;

use super::app::App;
use super::keymap::ScreenKey;
use super::screen::Screen;
use super::screen::ScreenCtx;

/// The screen for `which`, or why it can't open here (e.g. failover needs a server tab).
pub fn open(which: ScreenKey, app: &App) -> Result<Box<dyn Screen>, String> {
    let app = &ScreenCtx::new(app);
    match which {
        ScreenKey::Status => status::open(app),
        ScreenKey::Zones => zones::open(app),
        ScreenKey::Events => events::open(app),
        ScreenKey::Alerts => alerts::open(app),
        ScreenKey::Search => search::open(app),
        ScreenKey::Failover => failover::open(app),
        ScreenKey::Review => review::open(app),
        ScreenKey::ServerParams => server_params::open(app),
        ScreenKey::OptionDefs => option_defs::open(app),
        ScreenKey::AddServer => add_server::open(app),
    }
}
