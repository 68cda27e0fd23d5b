//! The status screen (placeholder until it is built; the key reports that it is not there).
use super::super::app::App;
use super::super::screen::Screen;

pub fn open(_app: &App) -> Result<Box<dyn Screen>, String> {
    Err("the status screen is not built yet".into())
}
