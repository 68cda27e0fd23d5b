//! A scope: summary cards, the legend with counts, and the IP grid or the IP list.
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::model::{IpState, ScopeStatus, ScopeView};
use crate::tui::app::App;
use crate::tui::layout::{self, GridGeom};
use crate::tui::theme;
use crate::tui::views::{ListState, Load, ScopeMode, ScopeState, ServerTab, SweepState};

use super::grid::IpGrid;
use super::{error_panel, fmt, loading};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, t: &ServerTab, s: &ScopeState) {
    let v = match (&s.load, &s.data) {
        (Load::Failed(e), _) => {
            let what = format!("{} on {}", s.cidr, t.name);
            error_panel(frame, area, app, &what, e, s.loaded_at);
            return;
        }
        (_, None) => {
            loading(frame, area, &format!("scope {} on {}", s.cidr, t.name));
            return;
        }
        (_, Some(v)) => v,
    };
    let items = layout::legend_items(&v.counts);
    let lines = layout::legend_lines(&items, area.width);
    let (cards, legend, main) = layout::scope_split(area, lines.len() as u16);
    draw_cards(frame, cards, app, v);
    draw_legend(frame, legend, &items, &lines);
    match s.mode {
        ScopeMode::Grid => draw_grid(frame, main, s, v),
        ScopeMode::List => draw_list(frame, main, app, s, v),
    }
}

fn status_span(st: ScopeStatus) -> Span<'static> {
    let style = match st {
        ScopeStatus::Active => theme::ok(),
        ScopeStatus::Inactive => theme::warn(),
        ScopeStatus::Missing => theme::error(),
    };
    Span::styled(format!(" {} ", st.label()), style)
}

fn draw_cards(frame: &mut Frame, area: Rect, app: &App, v: &ScopeView) {
    let d = &v.def;
    let c = &v.counts;
    let mut title = format!(" Scope {} ", d.cidr);
    if let Some(t) = d.title.as_deref().filter(|t| !t.is_empty()) {
        title.push_str(&format!("· {t} "));
    }
    let block = Block::bordered()
        .title(title)
        .title_top(Line::from(status_span(d.status)).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let [labels, values, l3, l4] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);

    let u = c.utilization();
    let band = u.band(&app.thresholds);
    let count = |n: u64, s: Option<IpState>| {
        let style = s.map_or(Style::new(), |s| Style::new().fg(theme::state_color(s)));
        Span::styled(n.to_string(), style.add_modifier(Modifier::BOLD))
    };
    let pair = |a: u64, sa: IpState, b: u64, sb: IpState| {
        Line::from(vec![count(a, Some(sa)), Span::raw("/"), count(b, Some(sb))])
    };
    // (full label, short label for narrow cards, value)
    let cards: [(&str, &str, Line); 8] = [
        ("Total", "Total", Line::from(count(c.total, None))),
        (
            "Available",
            "Avail.",
            Line::from(count(c.available, Some(IpState::Available))),
        ),
        (
            "Assigned/Claimed",
            "Asgn/Clm",
            pair(c.assigned, IpState::Assigned, c.claimed, IpState::Claimed),
        ),
        (
            "Held",
            "Held",
            Line::from(count(c.held, Some(IpState::Held))),
        ),
        (
            "Reserved",
            "Reserved",
            Line::from(count(c.reserved, Some(IpState::Reserved))),
        ),
        (
            "Excluded",
            "Excluded",
            Line::from(count(c.excluded, Some(IpState::Excluded))),
        ),
        (
            "Declined/Expired",
            "Decl/Exp",
            pair(c.declined, IpState::Declined, c.expired, IpState::Expired),
        ),
        (
            "Utilization",
            "Utilization",
            // An inactive scope serves nobody: no utilization as if it were live.
            if d.status.is_active() {
                Line::from(vec![
                    Span::styled(format!("{u} "), Style::new().add_modifier(Modifier::BOLD)),
                    Span::styled(band.label(), Style::new().fg(theme::band_color(band))),
                ])
            } else {
                Line::from(Span::styled("- inactive", theme::warn()))
            },
        ),
    ];
    let mut widths = [Constraint::Fill(1); 8];
    widths[7] = Constraint::Length(14);
    let cols_l = Layout::horizontal(widths).spacing(1).split(labels);
    let cols_v = Layout::horizontal(widths).spacing(1).split(values);
    for (i, (full, short, value)) in cards.into_iter().enumerate() {
        let label = if full.chars().count() <= cols_l[i].width as usize {
            full
        } else {
            short
        };
        frame.render_widget(Span::styled(label, theme::dim()), cols_l[i]);
        frame.render_widget(value, cols_v[i]);
    }

    let key = |s: &str| Span::styled(format!("{s} "), theme::dim());
    let lease = match d.valid_lifetime {
        Some(s) => format!("{} ({s}s)", fmt::duration(s as i64)),
        None => "server default".into(),
    };
    let gateway = d.gateway.map_or("none".into(), |g| g.to_string());
    frame.render_widget(
        Line::from(vec![
            key("Range"),
            Span::raw(format!("{}   ", d.range)),
            key("Gateway"),
            Span::raw(format!("{gateway}   ")),
            key("Lease"),
            Span::raw(lease),
        ]),
        l3,
    );
    let half = (inner.width as usize / 2).saturating_sub(8);
    let pools = if d.pools.is_empty() {
        "none".to_string()
    } else {
        d.pools.to_string()
    };
    let excl = d.exclusions();
    let excl = if excl.is_empty() {
        "none".to_string()
    } else {
        excl.to_string()
    };
    frame.render_widget(
        Line::from(vec![
            key("Pools"),
            Span::raw(format!("{:<w$}  ", fmt::trunc(&pools, half), w = half)),
            key("Excl."),
            Span::raw(fmt::trunc(&excl, half)),
        ]),
        l4,
    );
}

fn draw_legend(frame: &mut Frame, area: Rect, items: &[(IpState, String)], lines: &[Vec<usize>]) {
    let text: Vec<Line> = lines
        .iter()
        .map(|line| {
            let mut spans = Vec::new();
            for i in line {
                let (st, label) = &items[*i];
                let g = theme::glyph(*st);
                spans.push(Span::styled(g.to_string(), theme::cell_style(*st)));
                spans.push(Span::raw(format!("{}  ", &label[g.len_utf8()..])));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(text), area);
}

fn draw_grid(frame: &mut Frame, area: Rect, s: &ScopeState, v: &ScopeView) {
    let inner = layout::inner(area);
    let len = v.len();
    let geom = GridGeom::new(inner.width, len);
    let rows = geom.rows(len);
    let h = inner.height as usize;
    let g = ListState {
        cursor: s.cursor / geom.cols,
        top: s.grid_top,
    }
    .fixed(rows, h);
    let ip = v.ip_at(s.cursor);
    let st = v.state_of(ip);
    let title = format!(
        " IP grid · rows {}-{} of {rows} ",
        (g.top + 1).min(rows),
        (g.top + h).min(rows)
    );
    let cursor = Line::from(vec![
        Span::raw(format!(" {ip} ")),
        Span::styled(theme::glyph(st).to_string(), theme::cell_style(st)),
        Span::raw(format!(" {} ", st.label())),
    ])
    .right_aligned();
    let mut block = Block::bordered().title(title).title_top(cursor);
    if s.matches.as_ref().is_some_and(|m| m.is_empty()) {
        block = block.title_bottom(" nothing matches the filter ");
    } else if let Some(line) = s.sweep.as_ref().map(|st| sweep_line(st, v)) {
        block = block.title_bottom(line);
    }
    frame.render_widget(block, area);
    frame.render_widget(
        IpGrid {
            view: v,
            cursor: s.cursor,
            top_row: g.top,
            matches: s.matches.as_deref(),
            sweep: s.sweep.as_ref().map(|st| &st.sweep),
        },
        inner,
    );
}

/// The grid's bottom line while or after a sweep: progress, then what it found.
fn sweep_line(st: &SweepState, v: &ScopeView) -> Line<'static> {
    let (conflicts, silent) = crate::model::sweep::counts(&st.sweep, v);
    let mut spans = vec![Span::raw(if st.running() {
        format!(" sweeping… {} ", st.sweep.progress())
    } else {
        format!(" sweep: {} ", st.sweep.progress())
    })];
    if let Some(e) = &st.error {
        spans.push(Span::styled(format!("· stopped: {e} "), theme::error()));
    }
    spans.push(Span::styled(
        format!("· ! {conflicts} conflict(s) "),
        if conflicts > 0 {
            theme::error()
        } else {
            theme::dim()
        },
    ));
    spans.push(Span::styled(format!("· ? {silent} silent "), theme::warn()));
    Line::from(spans)
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App, s: &ScopeState, v: &ScopeView) {
    let n = s.list_len();
    let h = layout::table_rows(area);
    let l = ListState {
        cursor: s.list_pos(),
        top: s.list_top,
    }
    .fixed(n, h);
    // Only the visible rows are looked up and formatted.
    let rows: Vec<Row> = (l.top..(l.top + h).min(n))
        .filter_map(|pos| s.list_index(pos).map(|i| (pos, i)))
        .map(|(pos, i)| {
            let d = v.detail(v.ip_at(i));
            let g = theme::glyph(d.state);
            let expiry = match (d.lease, d.expires()) {
                (Some(_), Some(e)) => fmt::datetime_short(e, app.utc_offset),
                (Some(_), None) => "never".into(),
                _ => String::new(),
            };
            let row = Row::new(vec![
                Cell::from(d.ip.to_string()),
                Cell::from(Line::from(vec![
                    Span::styled(g.to_string(), theme::cell_style(d.state)),
                    Span::raw(format!(" {}", d.state.label())),
                ])),
                Cell::from(d.mac().unwrap_or_default()),
                Cell::from(d.hostname().unwrap_or_default().to_string()),
                Cell::from(expiry),
            ]);
            if pos == l.cursor {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let what = if s.matches.is_some() {
        "matching"
    } else {
        "in range"
    };
    let title = format!(
        " IP list · {n} addresses {what} · row {} of {n} ",
        if n == 0 { 0 } else { l.cursor + 1 }
    );
    let mut block = Block::bordered().title(title);
    if n == 0 {
        block = block.title_bottom(if s.matches.is_some() {
            " nothing matches the filter "
        } else {
            " no addresses in the scope range "
        });
    }
    let widths = [
        Constraint::Length(15),
        Constraint::Length(13),
        Constraint::Length(17),
        Constraint::Fill(1),
        Constraint::Length(16),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(["IP", "State", "MAC", "Hostname", "Expires"]).style(theme::header()))
            .block(block),
        area,
    );
}
