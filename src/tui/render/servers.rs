//! The Servers tab: every configured server with reachability, Kea version, scope count and
//! utilization; the selected server's URL and full message below.
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ops::fleet::ServiceState;
use crate::tui::app::App;
use crate::tui::layout;
use crate::tui::theme;
use crate::tui::views::FleetRow;

use super::fmt;

const BAR_W: usize = 8;
/// From this width on the table has a URL column; the Selected box always shows it.
const WIDE: u16 = 110;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let (table_area, detail_area) = layout::fleet_split(area);
    let wide = area.width >= WIDE;
    let vis = app.fleet.visible();
    let h = layout::table_rows(table_area);
    let l = app.fleet.list.fixed(vis.len(), h);
    let rows: Vec<Row> = vis
        .iter()
        .enumerate()
        .skip(l.top)
        .take(h)
        .map(|(pos, i)| {
            let r = row(&app.fleet.rows[*i], app, wide);
            if pos == l.cursor {
                r.style(theme::selected())
            } else {
                r
            }
        })
        .collect();
    let title = if app.fleet.filter.is_empty() {
        format!(" Servers ({}) ", app.fleet.rows.len())
    } else {
        format!(" Servers ({} of {}) ", vis.len(), app.fleet.rows.len())
    };
    let mut widths = vec![Constraint::Length(16)];
    let mut head = vec!["Name"];
    if wide {
        widths.push(Constraint::Length(28));
        head.push("URL");
    }
    widths.extend([
        Constraint::Length(17),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(BAR_W as u16 + 7),
        Constraint::Fill(1),
    ]);
    head.extend(["State", "Kea", "Scopes", "Utilization", "HA / note"]);
    let header = Row::new(head).style(theme::header());
    let mut block = Block::bordered().title(title);
    if app.fleet.rows.is_empty() {
        block = block.title_bottom(" no servers configured: + adds one (its URL and login, asked live, written to the config file) ");
    } else if vis.is_empty() {
        block = block.title_bottom(" nothing matches the filter ");
    }
    frame.render_widget(
        Table::new(rows, widths).header(header).block(block),
        table_area,
    );

    let detail = vis
        .get(l.cursor)
        .map(|i| detail(&app.fleet.rows[*i]))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Selected ")),
        detail_area,
    );
}

fn row<'a>(r: &'a FleetRow, app: &App, wide: bool) -> Row<'a> {
    let dash = || Cell::from(Span::styled("-", theme::dim()));
    // The mark column: servers marked (Space) for a server-level bulk change.
    let mark = if app.server_marks.contains(&r.name) {
        "✓ "
    } else {
        "  "
    };
    let mut cells = vec![Cell::from(Line::from(vec![
        Span::styled(mark, theme::header()),
        Span::raw(r.name.as_str()),
    ]))];
    if wide {
        cells.push(Cell::from(r.url.as_str()));
    }
    let Some(h) = &r.health else {
        cells.extend([
            Cell::from(Span::styled("… checking", theme::warn())),
            dash(),
            dash(),
            dash(),
            Cell::default(),
        ]);
        return Row::new(cells);
    };
    let state = if h.reachable {
        Span::styled(format!("● {}", ServiceState::Running.label()), theme::ok())
    } else {
        let kind = h.error_kind.as_deref().unwrap_or("down");
        Span::styled(format!("✗ {}", service_word(kind)), theme::error())
    };
    let state = if r.checking {
        Line::from(vec![state, Span::styled(" …", theme::warn())])
    } else {
        Line::from(state)
    };
    let util = match h.utilization {
        Some(u) => Cell::from(Line::from(fmt::util_bar(u, BAR_W, &app.thresholds))),
        None => dash(),
    };
    let note = h
        .ha_state
        .clone()
        .or_else(|| h.error.clone())
        .unwrap_or_default();
    cells.extend([
        Cell::from(state),
        h.version.clone().map(Cell::from).unwrap_or_else(dash),
        h.scopes
            .map(|n| Cell::from(n.to_string()))
            .unwrap_or_else(dash),
        util,
        Cell::from(note),
    ]);
    Row::new(cells)
}

/// The service state wording of `ops::fleet` for the kind of a failed check.
fn service_word(kind: &str) -> &str {
    let st = match kind {
        "daemon offline" | "no service" => ServiceState::DaemonStopped,
        "unreachable" | "refused" => ServiceState::Unreachable,
        "auth failed" => ServiceState::AuthFailed,
        "tls error" => ServiceState::TlsFailed,
        "timeout" => ServiceState::Timeout,
        // "not checked", "internal": said as they are.
        other => return other,
    };
    st.label()
}

fn detail(r: &FleetRow) -> Vec<Line<'static>> {
    let head = Span::styled(format!("{} ", r.name), theme::header());
    let url = Span::raw(format!("{} · ", r.url));
    let Some(h) = &r.health else {
        return vec![Line::from(vec![head, url, Span::raw("checking…")])];
    };
    if let Some(e) = &h.error {
        return vec![Line::from(vec![
            head,
            url,
            Span::styled(e.clone(), theme::error()),
        ])];
    }
    let mut text = format!("Kea {}", h.version.as_deref().unwrap_or("?"));
    if let Some(ha) = &h.ha_state {
        text.push_str(&format!(" · HA {ha}"));
    }
    text.push_str(" · Enter opens its IPAM tree");
    vec![Line::from(vec![head, url, Span::raw(text)])]
}
