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

/// Strips the colours of a drawn frame for a monochrome console (`--color never`,
/// NO_COLOR): what had a background (the selection, grid cells, bars) turns to reverse
/// video so it still stands out; glyphs and letters carry the states.
pub fn monochrome(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if !matches!(cell.bg, Color::Reset) {
            cell.modifier.insert(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn monochrome_keeps_what_stood_out() {
        let mut b = Buffer::empty(Rect::new(0, 0, 3, 1));
        b[(0, 0)]
            .set_char('A')
            .set_style(cell_style(IpState::Assigned));
        b[(1, 0)].set_char('s').set_style(selected());
        b[(2, 0)].set_char('d').set_style(dim());
        monochrome(&mut b);
        for x in 0..3 {
            assert_eq!((b[(x, 0)].fg, b[(x, 0)].bg), (Color::Reset, Color::Reset));
        }
        assert!(
            b[(1, 0)].modifier.contains(Modifier::REVERSED),
            "the selection"
        );
        assert!(!b[(2, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(b[(0, 0)].symbol(), "A", "the state's letter stays");
    }
}
