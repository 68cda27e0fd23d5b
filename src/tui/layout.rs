//! Screen geometry shared by `update` (paging, keeping the cursor visible) and the render
//! functions, so both agree on how many rows a view shows. All arithmetic saturates: a tiny
//! terminal gets a "too small" notice, never a panic.
use ratatui::layout::{Constraint, Layout, Rect};

use crate::model::{IpState, ScopeCounts};

use super::theme::glyph;

pub const HEADER_H: u16 = 2;
pub const FOOTER_H: u16 = 2;
pub const MIN_W: u16 = 40;
pub const MIN_H: u16 = 12;
/// Width of the grid's row label: a dotted quad and a space.
pub const GRID_LABEL_W: u16 = 16;
/// A space after every 8 grid cells, for counting by eye.
pub const GRID_GROUP: usize = 8;
pub const NETWORK_CARDS_H: u16 = 6;
pub const SCOPE_CARDS_H: u16 = 6;

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_W || area.height < MIN_H
}

/// Header (tabs, breadcrumbs), body, footer (hints, status).
pub fn split(area: Rect) -> (Rect, Rect, Rect) {
    let [h, b, f] = Layout::vertical([
        Constraint::Length(HEADER_H),
        Constraint::Min(0),
        Constraint::Length(FOOTER_H),
    ])
    .areas(area);
    (h, b, f)
}

/// Inside a bordered block.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// Data rows of a bordered table with one header row.
pub fn table_rows(r: Rect) -> usize {
    r.height.saturating_sub(3) as usize
}

/// Rows of the Servers tab's detail box (the selected server's full message).
pub const FLEET_DETAIL_H: u16 = 4;

/// Servers tab: the table, then the selected server's details.
pub fn fleet_split(body: Rect) -> (Rect, Rect) {
    let [t, d] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(FLEET_DETAIL_H)]).areas(body);
    (t, d)
}

/// Network view: summary cards, then its scopes.
pub fn network_split(body: Rect) -> (Rect, Rect) {
    let [c, t] =
        Layout::vertical([Constraint::Length(NETWORK_CARDS_H), Constraint::Min(0)]).areas(body);
    (c, t)
}

/// Scope view: summary cards, legend, then the grid or list.
pub fn scope_split(body: Rect, legend_h: u16) -> (Rect, Rect, Rect) {
    let [c, l, m] = Layout::vertical([
        Constraint::Length(SCOPE_CARDS_H),
        Constraint::Length(legend_h),
        Constraint::Min(0),
    ])
    .areas(body);
    (c, l, m)
}

/// A `w` x `h` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The help popup: most of the screen.
pub fn help_area(area: Rect) -> Rect {
    centered(
        area,
        76.min(area.width.saturating_sub(2)),
        area.height.saturating_sub(2),
    )
}

/// One legend entry: glyph, label and count, as drawn.
pub fn legend_items(counts: &ScopeCounts) -> Vec<(IpState, String)> {
    let c = counts;
    [
        (IpState::Available, c.available),
        (IpState::Assigned, c.assigned),
        (IpState::Claimed, c.claimed),
        (IpState::Held, c.held),
        (IpState::Reserved, c.reserved),
        (IpState::Excluded, c.excluded),
        (IpState::Declined, c.declined),
        (IpState::Expired, c.expired),
    ]
    .into_iter()
    .map(|(s, n)| (s, format!("{} {} {}", glyph(s), s.label(), n)))
    .chain(std::iter::once((
        IpState::Outside,
        format!("{} Outside", glyph(IpState::Outside)),
    )))
    .collect()
}

/// Legend items wrapped into lines of at most `width` columns (two spaces between items).
pub fn legend_lines(items: &[(IpState, String)], width: u16) -> Vec<Vec<usize>> {
    let width = width as usize;
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0usize;
    for (i, (_, text)) in items.iter().enumerate() {
        let w = text.chars().count() + 2;
        if used > 0 && used + w > width {
            lines.push(Vec::new());
            used = 0;
        }
        used += w;
        lines.last_mut().expect("never empty").push(i);
    }
    lines
}

/// Where grid cells go in one row of the grid's inner area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridGeom {
    /// Addresses per row: 8, 16, 32 or 64.
    pub cols: usize,
}

impl GridGeom {
    /// The widest of 64/32/16/8 cells that fits `inner_w`, never wider than the subnet needs.
    pub fn new(inner_w: u16, len: usize) -> GridGeom {
        let avail = inner_w.saturating_sub(GRID_LABEL_W) as usize;
        let need = len.next_power_of_two().max(8);
        let cols = [64usize, 32, 16, 8]
            .into_iter()
            .find(|c| *c <= need && Self::span(*c) <= avail)
            .unwrap_or(8);
        GridGeom { cols }
    }

    /// Columns taken by `cols` cells with their group gaps.
    fn span(cols: usize) -> usize {
        cols + cols.saturating_sub(1) / GRID_GROUP
    }

    /// Column offset of cell `col` after the label.
    pub fn x_of(&self, col: usize) -> u16 {
        (GRID_LABEL_W as usize + col + col / GRID_GROUP) as u16
    }

    pub fn rows(&self, len: usize) -> usize {
        len.div_ceil(self.cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_width_adapts() {
        // 80 columns minus the block border: 32 per row.
        assert_eq!(GridGeom::new(78, 65536).cols, 32);
        assert_eq!(GridGeom::new(118, 65536).cols, 64);
        assert_eq!(GridGeom::new(40, 256).cols, 16);
        assert_eq!(GridGeom::new(10, 256).cols, 8);
        // A /28 never needs more than 16 per row.
        assert_eq!(GridGeom::new(200, 16).cols, 16);
        let g = GridGeom { cols: 32 };
        assert_eq!(g.x_of(0), 16);
        assert_eq!(g.x_of(8), 25);
        assert_eq!(g.rows(256), 8);
    }

    #[test]
    fn legend_wraps() {
        let items = legend_items(&ScopeCounts::default());
        let lines = legend_lines(&items, 78);
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 9);
        assert!(lines.len() >= 2);
        assert_eq!(legend_lines(&items, 400).len(), 1);
        // Too narrow for any item: one per line, nothing lost.
        assert_eq!(legend_lines(&items, 3).len(), 9);
    }

    #[test]
    fn tiny_areas_do_not_underflow() {
        let r = Rect::new(0, 0, 1, 1);
        assert_eq!(inner(r).width, 0);
        assert_eq!(table_rows(r), 0);
        let (_, b, _) = split(r);
        let _ = scope_split(b, 2);
        let _ = network_split(b);
    }
}
