//! Plain render functions: `draw(frame, app)` reads the state and writes the frame. Nothing
//! here changes state; scrolling is taken from the state and only clamped for drawing.
pub mod fmt;
pub mod grid;
mod layer;
pub mod modal;
mod popup;
mod scope;
mod servers;
mod tree;

use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, StatusKind};
use super::keymap;
use super::layout;
use super::screen::ScreenCtx;
use super::theme;
use super::views::{Load, ServerTab, View};

pub use grid::IpGrid;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if layout::too_small(area) {
        let msg = format!(
            "Terminal too small: {}x{}; ddish needs at least {}x{}.",
            area.width,
            area.height,
            layout::MIN_W,
            layout::MIN_H
        );
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let (header, body, footer) = layout::split(area);
    draw_header(frame, header, app);
    if let Some(top) = app.screens.last() {
        top.screen.render(frame, body, &ScreenCtx::new(app));
        draw_footer(frame, footer, app);
        if let Some(scroll) = app.help {
            popup::help(frame, area, app, scroll);
        }
        return;
    }
    match app.tab() {
        None => servers::draw(frame, body, app),
        Some(t) => match t.stack.last() {
            None => tree::draw_tree(frame, body, app, t),
            Some(View::Network(n)) => tree::draw_network(frame, body, app, t, n),
            Some(View::Scope(s)) => scope::draw(frame, body, app, t, s),
        },
    }
    draw_footer(frame, footer, app);
    if let Some(scroll) = app.help {
        popup::help(frame, area, app, scroll);
    } else if let Some(Some(View::Scope(s))) = app.tab().map(|t| t.stack.last()) {
        if s.popup {
            popup::ip(frame, area, app, s);
        }
        modal::draw(frame, area, app, s);
    }
    if app.help.is_none() {
        layer::draw(frame, area, app);
    }
}

fn tab_marker(t: &ServerTab) -> &'static str {
    match t.load {
        Load::Loading => " …",
        Load::Failed(_) => " !",
        Load::Loaded => "",
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let mut tabs: Vec<Span> = Vec::new();
    let names = std::iter::once(("Servers".to_string(), ""))
        .chain(app.tabs.iter().map(|t| (t.name.clone(), tab_marker(t))));
    for (i, (name, marker)) in names.enumerate() {
        if i > 0 {
            tabs.push(Span::styled("│", theme::dim()));
        }
        let text = format!(" {} {name}{marker} ", i + 1);
        let style = if i == app.active {
            theme::selected().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        tabs.push(Span::styled(text, style));
    }
    let [tabs_area, crumbs_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Line::from(tabs), tabs_area);

    let (crumbs, info) = breadcrumbs(app);
    let mut spans: Vec<Span> = Vec::new();
    let last = crumbs.len().saturating_sub(1);
    for (i, c) in crumbs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" › ", theme::dim()));
        }
        let style = if i == last {
            theme::header()
        } else {
            Style::new()
        };
        spans.push(Span::styled(c, style));
    }
    let left_w: usize = spans.iter().map(|s| s.width()).sum::<usize>() + 1;
    frame.render_widget(Line::from(spans), crumbs_area.offset_x(1));
    // The info goes right-aligned when it fits beside the breadcrumbs.
    if left_w + info.chars().count() + 2 <= crumbs_area.width as usize {
        frame.render_widget(
            Paragraph::new(info)
                .style(theme::dim())
                .alignment(Alignment::Right),
            crumbs_area,
        );
    }
}

trait OffsetX {
    fn offset_x(self, dx: u16) -> Rect;
}

impl OffsetX for Rect {
    fn offset_x(self, dx: u16) -> Rect {
        let dx = dx.min(self.width);
        Rect {
            x: self.x + dx,
            width: self.width - dx,
            ..self
        }
    }
}

/// Breadcrumb parts and a short info text for the right of the line.
fn breadcrumbs(app: &App) -> (Vec<String>, String) {
    if !app.screens.is_empty() {
        // A screen covers the tabs: its own title, and the way back.
        let titles = app.screens.iter().map(|s| s.screen.title()).collect();
        return (titles, "Esc back ".into());
    }
    let Some(t) = app.tab() else {
        let up = app
            .fleet
            .rows
            .iter()
            .filter(|r| r.health.as_ref().is_some_and(|h| h.reachable))
            .count();
        let info = format!("{} servers, {} reachable ", app.fleet.rows.len(), up);
        return (vec!["Servers".into()], info);
    };
    let mut parts = vec![t.name.clone(), "IPAM tree".into()];
    let mut load = (&t.load, t.loaded_at);
    for v in &t.stack {
        match v {
            View::Network(n) => parts.push(n.label.clone()),
            View::Scope(s) => {
                parts.push(s.label.clone());
                load = (&s.load, s.loaded_at);
                if s.popup {
                    if let Some(d) = &s.data {
                        parts.push(d.ip_at(s.cursor).to_string());
                    }
                }
            }
        }
    }
    let info = match load {
        (Load::Loading, _) => "loading… ".to_string(),
        (Load::Failed(_), _) => "error ".to_string(),
        (Load::Loaded, Some(at)) => format!("loaded {} ", fmt::clock(at, app.utc_offset)),
        (Load::Loaded, None) => String::new(),
    };
    let version = t
        .data
        .as_ref()
        .map(|d| format!("Kea {} · ", d.version))
        .unwrap_or_default();
    (parts, format!("{version}{info}"))
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let [hints_area, status_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(hints_line(app, area.width as usize), hints_area);

    let w = area.width.saturating_sub(1) as usize;
    let line = if app.filter_editing {
        Line::from(vec![
            Span::styled(" /", theme::key()),
            Span::raw(app.filter().to_string()),
            Span::styled("▏", theme::key()),
            Span::styled("  Enter keeps, Esc clears", theme::dim()),
        ])
    } else if let Some(st) = &app.status {
        let style = match st.kind {
            StatusKind::Info => theme::ok(),
            StatusKind::Busy | StatusKind::Warn => theme::warn(),
            StatusKind::Error => theme::error(),
        };
        // Middle cut: an export path keeps its start and its file name.
        Line::from(Span::styled(
            format!(" {}", fmt::trunc_middle(&st.text, w)),
            style,
        ))
    } else if !app.filter().is_empty() {
        Line::from(vec![
            Span::styled(" filter: ", theme::dim()),
            Span::raw(fmt::trunc(app.filter(), w.saturating_sub(30))),
            Span::styled("  (/ edits, Esc clears)", theme::dim()),
        ])
    } else if let Some(m) = marks_line(app) {
        Line::from(vec![
            Span::styled(format!(" ✓ {m}"), theme::header()),
            Span::styled("  B bulk change · u clears", theme::dim()),
        ])
    } else {
        Line::default()
    };
    frame.render_widget(line, status_area);
}

/// How many scopes (or servers, on the Servers tab) are marked, when any.
fn marks_line(app: &App) -> Option<String> {
    if app.active == 0 {
        let n = app.server_marks.len();
        return (n > 0).then(|| format!("{n} server{} marked", if n == 1 { "" } else { "s" }));
    }
    let (n, s) = app.mark_counts();
    (n > 0).then(|| {
        format!(
            "{n} scope{} marked on {s} server{}",
            if n == 1 { "" } else { "s" },
            if s == 1 { "" } else { "s" }
        )
    })
}

/// Key hints from the keymap: `? help` and `q quit` always (at the end), the rest of the
/// focused contexts' hints as far as they fit.
fn hints_line(app: &App, width: usize) -> Line<'static> {
    let owned: Vec<(String, String)> = match app.screens.last() {
        Some(top) if app.help.is_none() => {
            let mut h = top.screen.hints();
            // While typing, ? and q are letters in the field.
            if !top.screen.typing() {
                h.push(("?".into(), "help".into()));
                h.push(("q".into(), "quit".into()));
            }
            h
        }
        _ => keymap::hints(&app.contexts(), app.rights())
            .into_iter()
            .map(|(k, h)| (k.to_string(), h.to_string()))
            .collect(),
    };
    let hints: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, h)| (k.as_str(), h.as_str()))
        .collect();
    let w = |k: &str, h: &str| k.chars().count() + h.chars().count() + 3;
    let (last, first): (Vec<_>, Vec<_>) = hints
        .into_iter()
        .partition(|(_, h)| *h == "help" || *h == "quit");
    let mut used = 1 + last.iter().map(|(k, h)| w(k, h)).sum::<usize>();
    let mut shown = Vec::new();
    for (k, h) in first {
        if used + w(k, h) > width {
            break;
        }
        used += w(k, h);
        shown.push((k, h));
    }
    shown.extend(last);
    let mut spans: Vec<Span> = vec![Span::raw(" ")];
    for (k, h) in shown {
        spans.push(Span::styled(k.to_string(), theme::key()));
        spans.push(Span::raw(format!(" {h}  ")));
    }
    Line::from(spans)
}

/// A bordered box saying what is being loaded.
fn loading(frame: &mut Frame, area: Rect, what: &str) {
    let p = Paragraph::new(vec![
        Line::default(),
        Line::from(Span::styled(format!("⟳ Loading {what}…"), theme::warn())),
        Line::from(Span::styled(
            "The console stays usable meanwhile: Tab to another tab, Esc to go back.",
            theme::dim(),
        )),
    ])
    .wrap(Wrap { trim: false })
    .block(
        Block::bordered()
            .padding(Padding::horizontal(1))
            .title(format!(" {what} ")),
    );
    frame.render_widget(p, area);
}

/// A tab's error state: the reason, the last good load, what to do.
fn error_panel(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    what: &str,
    reason: &str,
    last: Option<i64>,
) {
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("✗ {what} could not be loaded"),
            theme::error(),
        )),
        Line::default(),
        Line::from(reason.to_string()),
        Line::default(),
    ];
    if let Some(at) = last {
        lines.push(Line::from(Span::styled(
            format!(
                "Last good load: {} ({})",
                fmt::datetime(at, app.utc_offset),
                fmt::relative(at, app.now)
            ),
            theme::dim(),
        )));
    }
    lines.push(Line::from(Span::styled(
        "r retries · Esc goes back · other tabs are unaffected",
        theme::dim(),
    )));
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .border_style(theme::error())
            .padding(Padding::horizontal(1))
            .title(format!(" {what}: error ")),
    );
    frame.render_widget(p, area);
}
