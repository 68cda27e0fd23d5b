//! Prints how long the IP grid of a /16 takes to draw (run with
//! `cargo test --release --test tui_speed -- --ignored --nocapture`). It asserts only that
//! the grid drew the visible rows; the figure is for reading, not for a threshold.
mod tui_support;

use std::time::Instant;

use ddish::tui::render::IpGrid;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

#[test]
#[ignore = "prints a timing; run on demand in release"]
fn slash16_grid_draw_time() {
    let view = tui_support::campus_view();
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    let rounds = 2000u32;
    let t = Instant::now();
    for i in 0..rounds {
        buf.reset();
        IpGrid {
            view: &view,
            cursor: 32768,
            // Scroll through the middle of the /16.
            top_row: 400 + (i as usize % 200),
            matches: None,
        }
        .render(area, &mut buf);
    }
    let per = t.elapsed() / rounds;
    println!("/16 grid, 200x60, visible rows only: {per:?} per draw");
    // The last draw put row labels of the middle of the subnet on screen.
    assert!(buf[(0, 0)].symbol().starts_with('1'));
    assert_eq!(buf[(16, 0)].symbol().len(), 1);
}

#[test]
#[ignore = "prints a timing; run on demand in release"]
fn slash16_filter_time() {
    use ddish::tui::views::ScopeState;
    let view = std::sync::Arc::new(tui_support::campus_view());
    let mut s = ScopeState::new(view.def.clone(), 1);
    s.data = Some(view);
    for f in [
        "10.128.200.",
        "aa:bb:cc:00:c8",
        "assigned",
        "nothing-matches",
    ] {
        s.filter = f.into();
        let t = Instant::now();
        s.refilter();
        let n = s.matches.as_ref().map_or(0, |m| m.len());
        println!("/16 filter {f:?}: {n} matches in {:?}", t.elapsed());
        assert!(s.matches.is_some());
    }
}
