//! Glyphs and colours. Every state has a glyph as well as a colour, so text-only snapshots,
//! monochrome terminals and colour-blind users can all read the grid.
use ratatui::style::{Color, Modifier, Style};

use crate::model::{IpState, UtilBand};

pub fn glyph(s: IpState) -> char {
    match s {
        IpState::Available => '.',
        IpState::Assigned => 'A',
        IpState::Claimed => 'C',
        IpState::Held => 'H',
        IpState::Reserved => 'R',
        IpState::Excluded => 'x',
        IpState::Declined => 'D',
        IpState::Expired => 'E',
        IpState::Outside => '·',
    }
}

/// The state's colour.
pub fn state_color(s: IpState) -> Color {
    match s {
        IpState::Available => Color::Green,
        IpState::Assigned => Color::Blue,
        IpState::Claimed => Color::Cyan,
        IpState::Held => Color::Yellow,
        IpState::Reserved => Color::Magenta,
        IpState::Excluded => Color::DarkGray,
        IpState::Declined => Color::Red,
        IpState::Expired => Color::LightGreen,
        IpState::Outside => Color::DarkGray,
    }
}

/// Grid cell style: the state's colour as background, a readable glyph colour on top.
pub fn cell_style(s: IpState) -> Style {
    let fg = match s {
        IpState::Outside => return Style::new().fg(Color::DarkGray),
        IpState::Assigned | IpState::Reserved | IpState::Declined => Color::White,
        IpState::Excluded => Color::Gray,
        _ => Color::Black,
    };
    Style::new().fg(fg).bg(state_color(s))
}

/// A cell the filter leaves out: glyph kept, colour dropped.
pub fn dimmed_cell() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// The grid cursor: white, so it shows on every state colour.
pub fn cursor_cell() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::White)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

pub fn band_color(b: UtilBand) -> Color {
    match b {
        UtilBand::Under => Color::Cyan,
        UtilBand::Optimal => Color::Green,
        UtilBand::Over => Color::Red,
    }
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn header() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn error() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}
