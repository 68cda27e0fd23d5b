//! Every console view on a TestBackend, as insta text snapshots (80x24 unless said), plus
//! colour checks on cells, which text snapshots cannot show.
mod tui_support;

use std::sync::Arc;

use crossterm::event::KeyCode;
use ddish::model::IpState;
use ddish::tui::app::Payload;
use ddish::tui::theme;
use ratatui::style::Color;
use tui_support::*;

#[test]
fn servers_tab_reachable_unreachable_checking() {
    let a = app_with_fleet(80, 24);
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn servers_tab_selected_unreachable_shows_full_reason() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('j'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn server_tab_loading() {
    let mut a = app_with_fleet(80, 24);
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn server_tab_error() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('j'));
    let req = only(a.update(key(KeyCode::Enter)));
    a.update(respond(
        &req,
        Payload::Server(Err(
            "authentication failed for server kea-dc (HTTP 401): check user and password_file"
                .into(),
        )),
    ));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn server_tab_error_after_good_load_shows_last_load() {
    let mut a = app_with_tree(80, 24);
    let req = only(a.update(ch('r')));
    a.update(respond(
        &req,
        Payload::Server(Err(
            "no answer from kea-hq within 35 s: the server is slow or unreachable (r retries)"
                .into(),
        )),
    ));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn tree() {
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.1.0/24");
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn tree_wide() {
    let a = app_with_tree(120, 30);
    insta::assert_snapshot!(render(&a, 120, 30).backend());
}

#[test]
fn tree_filter_typing() {
    let mut a = app_with_tree(80, 24);
    a.update(ch('/'));
    for c in "guest".chars() {
        a.update(ch(c));
    }
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn network_view() {
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.0.0/16");
    a.update(key(KeyCode::Enter));
    a.update(ch('j'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn scope_loading() {
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.0.0/24");
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn scope_grid_24() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    // Onto 10.64.0.60 (held).
    a.update(ch('j'));
    for _ in 0..18 {
        a.update(ch('l'));
    }
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn scope_grid_24_wide() {
    let mut a = app_with_tree(120, 36);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    insta::assert_snapshot!(render(&a, 120, 36).backend());
}

fn campus_middle(w: u16, h: u16) -> ddish::tui::app::App {
    let mut a = app_with_tree(w, h);
    open_scope(&mut a, "10.128.0.0/16", campus_view());
    // Page down to the middle of the /16: 10.128.128.0 and on.
    let target = 32768usize;
    for _ in 0..10_000 {
        let s = match a.tab().unwrap().stack.last() {
            Some(ddish::tui::views::View::Scope(s)) => s.cursor,
            _ => unreachable!(),
        };
        if s >= target {
            break;
        }
        a.update(ch('j'));
    }
    a
}

#[test]
fn scope_grid_16_middle() {
    let a = campus_middle(80, 24);
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn scope_grid_16_middle_wide() {
    let a = campus_middle(160, 40);
    insta::assert_snapshot!(render(&a, 160, 40).backend());
}

#[test]
fn scope_list() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('v'));
    // Onto 10.64.0.50 (reserved, leased to its own client) and a little past it.
    for _ in 0..40 {
        a.update(ch('j'));
    }
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn scope_list_filtered() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('v'));
    a.update(ch('/'));
    for c in "desk-3".chars() {
        a.update(ch(c));
    }
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn ip_popup_reserved_with_lease() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('v'));
    for _ in 0..40 {
        a.update(ch('j'));
    }
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn ip_popup_held() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('v'));
    for _ in 0..50 {
        a.update(ch('j'));
    }
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn ip_popup_gateway_outside_range() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('g'));
    a.update(ch('l'));
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn help_popup() {
    let mut a = app_with_tree(80, 24);
    a.update(ch('?'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn export_done_status() {
    let mut a = app_with_fleet(80, 24);
    let req = only(a.update(ch('e')));
    a.update(respond(
        &req,
        Payload::Exported(Ok(
            "/root/.local/share/ddish/exports/ddish-servers-20231114T221320Z.csv".into(),
        )),
    ));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn too_small() {
    let a = app_with_fleet(30, 8);
    insta::assert_snapshot!(render(&a, 30, 8).backend());
}

/// Finds the screen cell showing `needle` at the start of a line's text, then returns
/// the style of the cell `dx` columns right of where it starts.
fn cell_after(
    t: &ratatui::Terminal<ratatui::backend::TestBackend>,
    needle: &str,
    dx: u16,
) -> ratatui::buffer::Cell {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(pos) = line.find(needle) {
            let x = line[..pos].chars().count() as u16;
            return buf[(x + dx, y)].clone();
        }
    }
    panic!("{needle} not on screen");
}

#[test]
fn grid_cells_have_state_colours_and_glyphs() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    // Cursor starts on 10.64.0.10; move it away from the cells checked below.
    a.update(ch('G'));
    let t = render(&a, 80, 24);
    // Row "10.64.0.0": label is 16 columns, then 32 cells with a gap after each 8.
    let col = |i: u16| 16 + i + i / 8;
    let at = |i: u16| cell_after(&t, "10.64.0.0 ", col(i));
    let check = |i: u16, s: IpState| {
        let c = at(i);
        assert_eq!(c.symbol(), theme::glyph(s).to_string(), "address .{i}");
        assert_eq!(c.bg, theme::state_color(s), "address .{i}");
    };
    check(10, IpState::Excluded);
    check(15, IpState::Reserved);
    check(20, IpState::Assigned);
    check(31, IpState::Assigned);
    let out = at(0);
    assert_eq!(out.symbol(), "·");
    assert_eq!(out.fg, Color::DarkGray);
    let row32 = |i: u16| cell_after(&t, "10.64.0.32 ", col(i));
    assert_eq!(row32(50 - 32).bg, Color::Magenta, "reserved .50");
    assert_eq!(row32(60 - 32).bg, Color::Yellow, "held .60");
    assert_eq!(row32(61 - 32).bg, Color::Cyan, "claimed .61");
    assert_eq!(row32(62 - 32).bg, Color::Red, "declined .62");
    assert_eq!(row32(63 - 32).bg, Color::LightGreen, "expired .63");
    let row64 = |i: u16| cell_after(&t, "10.64.0.64 ", col(i));
    assert_eq!(row64(0).bg, Color::Green, "available .64");
    // The cursor (10.64.0.255) is white on the last row.
    let cur = cell_after(&t, "10.64.0.224 ", col(31));
    assert_eq!(cur.bg, Color::White);
    assert_eq!(cur.symbol(), "·");
}

#[test]
fn filtered_out_cells_lose_their_colour() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('/'));
    for c in "held".chars() {
        a.update(ch(c));
    }
    let t = render(&a, 80, 24);
    let col = |i: u16| 16 + i + i / 8;
    let row32 = |i: u16| cell_after(&t, "10.64.0.32 ", col(i));
    assert_eq!(
        row32(60 - 32).bg,
        Color::Yellow,
        "the match keeps its colour"
    );
    let other = row32(61 - 32);
    assert_eq!(other.symbol(), "C", "glyph kept");
    assert_eq!(other.bg, Color::Reset, "non-match dimmed");
}

#[test]
fn utilization_bar_colour_follows_band() {
    let a = app_with_tree(80, 24);
    let t = render(&a, 80, 24);
    // 192.0.2.0/24: 230 of 241 used: Over, red bar.
    let c = cell_after(&t, "192.0.2.0/24", 28);
    assert_eq!(c.symbol(), "█");
    assert_eq!(c.fg, Color::Red);
}

#[test]
fn scope_loaded_from_worker_message_round_trip() {
    // The whole App across the round trip the worker makes: request out, response in.
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.0.0/24");
    let req = only(a.update(key(KeyCode::Enter)));
    let before = screen(&render(&a, 80, 24));
    assert!(
        before.contains("Loading scope 10.64.0.0/24 on kea-hq"),
        "{before}"
    );
    a.update(respond(&req, Payload::Scope(Ok(Arc::new(office_view())))));
    let after = screen(&render(&a, 80, 24));
    assert!(after.contains("IP grid"), "{after}");
}
