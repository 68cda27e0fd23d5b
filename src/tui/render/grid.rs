//! The IP grid: one cell per address, glyph and colour by state. Writes only the visible
//! rows straight into the buffer, so a /16 (65,536 addresses) costs what a /24 does.
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::model::sweep::{Finding, Sweep};
use crate::model::ScopeView;
use crate::tui::layout::{GridGeom, GRID_LABEL_W};
use crate::tui::theme;

pub struct IpGrid<'a> {
    pub view: &'a ScopeView,
    /// Address index under the cursor.
    pub cursor: usize,
    /// First grid row drawn.
    pub top_row: usize,
    /// Sorted address indices passing the filter; others are drawn dimmed.
    pub matches: Option<&'a [u32]>,
    /// A ping sweep of the scope: its conflicts drawn `!`, its silent leases `?`.
    pub sweep: Option<&'a Sweep>,
}

impl Widget for IpGrid<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let len = self.view.len();
        if len == 0 || area.is_empty() {
            return;
        }
        let geom = GridGeom::new(area.width, len);
        let rows = geom.rows(len);
        let right = area.right();
        for dy in 0..area.height {
            let row = self.top_row + dy as usize;
            if row >= rows {
                break;
            }
            let y = area.y + dy;
            let first = row * geom.cols;
            // One short label per visible row; nothing is built for rows off screen.
            let label = self.view.ip_at(first).to_string();
            buf.set_stringn(
                area.x,
                y,
                &label,
                (GRID_LABEL_W as usize - 1).min(area.width as usize),
                theme::dim(),
            );
            // Walk the match list alongside the row instead of searching it per cell.
            let mut m = self
                .matches
                .map(|m| (m, m.partition_point(|i| (*i as usize) < first)));
            for c in 0..geom.cols {
                let i = first + c;
                let x = area.x.saturating_add(geom.x_of(c));
                if i >= len || x >= right {
                    break;
                }
                let matched = match &mut m {
                    None => true,
                    Some((list, pos)) => {
                        while *pos < list.len() && (list[*pos] as usize) < i {
                            *pos += 1;
                        }
                        *pos < list.len() && list[*pos] as usize == i
                    }
                };
                let st = self.view.state_at(i);
                let finding = self
                    .sweep
                    .and_then(|s| s.finding_at(self.view.ip_at(i), st));
                let style = match finding {
                    _ if i == self.cursor => theme::cursor_cell(),
                    _ if !matched => theme::dimmed_cell(),
                    Some(Finding::Conflict) => theme::error(),
                    Some(Finding::Silent) => theme::warn(),
                    None => theme::cell_style(st),
                };
                let glyph = match finding {
                    Some(Finding::Conflict) => '!',
                    Some(Finding::Silent) => '?',
                    None => theme::glyph(st),
                };
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_char(glyph).set_style(style);
                }
            }
        }
    }
}
