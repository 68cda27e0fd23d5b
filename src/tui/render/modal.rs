//! Popups over a scope view: the action menu, forms, confirmations, ping and history
//! results, messages and the pools-and-exclusions panel. Drawn bottom to top.
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::model::{IpState, LeaseMark, Range, ScopeView};
use crate::tui::actions::{Confirm, HistoryRow, Menu, Modal};
use crate::tui::app::App;
use crate::tui::form::Form;
use crate::tui::keymap::{self, Context};
use crate::tui::layout;
use crate::tui::theme;
use crate::tui::views::ScopeState;

use super::fmt;

/// Greedy word wrap to `w` columns; words longer than a line are cut.
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let mut word = word.to_string();
            loop {
                let (lc, wc) = (line.chars().count(), word.chars().count());
                if lc == 0 && wc <= w {
                    line = word;
                    break;
                }
                if lc > 0 && lc + 1 + wc <= w {
                    line.push(' ');
                    line.push_str(&word);
                    break;
                }
                if lc > 0 {
                    out.push(std::mem::take(&mut line));
                    continue;
                }
                // A word wider than the line.
                out.push(word.chars().take(w).collect());
                word = word.chars().skip(w).collect();
            }
        }
        out.push(line);
    }
    out
}

/// How a popup box looks.
pub(crate) struct PopupBox {
    pub w: u16,
    pub title: String,
    pub bottom: &'static str,
    pub border: Style,
    pub scroll: usize,
}

/// A bordered popup of `w` x (lines + 2), centred, cleared.
pub(crate) fn boxed(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, f: PopupBox) {
    let PopupBox {
        w,
        title,
        bottom,
        border,
        scroll,
    } = f;
    let w = w.min(area.width.saturating_sub(2));
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = layout::centered(area, w, h);
    let visible = h.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, r);
    let mut block = Block::bordered().border_style(border).title(title);
    if !bottom.is_empty() {
        block = block.title_bottom(bottom.to_string());
    }
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(block),
        r,
    );
}

pub(crate) fn text_lines(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, s: &ScopeState) {
    for m in &s.modals {
        match m {
            Modal::Menu(menu) => draw_menu(frame, area, s, menu),
            Modal::Form(f) => draw_form(frame, area, f),
            Modal::Confirm(c) => draw_confirm(frame, area, c),
            Modal::Ping { ip, result } => draw_ping(frame, area, *ip, result.as_ref()),
            Modal::History { ip, rows, scroll } => {
                draw_history(frame, area, app, s, *ip, rows.as_ref(), *scroll)
            }
            Modal::Message {
                title,
                text,
                error,
                scroll,
            } => draw_message(frame, area, title, text, *error, *scroll),
            Modal::Exclusions { cursor } => draw_exclusions(frame, area, s, *cursor),
            // Console-level popups are drawn by `layer`.
            Modal::Choose(_)
            | Modal::Preview { .. }
            | Modal::ScopesPreview { .. }
            | Modal::Outcome { .. }
            | Modal::Classes { .. }
            | Modal::ClaimList { .. } => {}
        }
    }
}

pub(super) fn draw_message(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    text: &str,
    error: bool,
    scroll: usize,
) {
    let w = 64.min(area.width.saturating_sub(2));
    let style = if error { theme::error() } else { theme::warn() };
    let lines = text_lines(text, w.saturating_sub(3) as usize, Style::new());
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" {title} "),
            bottom: " Esc closes ",
            border: style,
            scroll,
        },
    );
}

fn draw_menu(frame: &mut Frame, area: Rect, s: &ScopeState, m: &Menu) {
    let state = s
        .data
        .as_ref()
        .map(|v| v.state_of(m.ip).label())
        .unwrap_or("");
    let mut lines: Vec<Line> = m
        .items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (k, text) = keymap::binding(Context::IpActions, *a)
                .map(|b| (b.key_label, b.help))
                .unwrap_or(("", ""));
            let mark = if i == m.cursor { "›" } else { " " };
            let line = Line::from(vec![
                Span::styled(format!("{mark} {k:<3}"), theme::key()),
                Span::raw(text.to_string()),
            ]);
            if i == m.cursor {
                line.style(theme::selected())
            } else {
                line
            }
        })
        .collect();
    if m.items.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no action: your role on this server allows none",
            theme::dim(),
        )));
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w: 62,
            title: format!(" Actions · {} · {state} ", m.ip),
            bottom: " Enter runs · a letter runs it · Esc closes ",
            border: theme::key(),
            scroll: m.cursor.saturating_sub(12),
        },
    );
}

const LABEL_W: usize = 13;

pub(super) fn draw_form(frame: &mut Frame, area: Rect, f: &Form) {
    let w = 70.min(area.width.saturating_sub(2));
    let inner_w = w.saturating_sub(2) as usize;
    let (mut lines, focus_line) = f.fields.lines(inner_w, LABEL_W, &|i, _| f.shown_error(i));
    let notes = f.notes();
    if !notes.is_empty() {
        lines.push(Line::default());
        for n in notes.iter().filter(|n| !n.is_empty()) {
            let style = if n.starts_with('⚠') {
                theme::warn()
            } else {
                theme::dim()
            };
            lines.extend(text_lines(n, inner_w.saturating_sub(2), style));
        }
    }
    if let Some(e) = &f.error {
        lines.push(Line::default());
        lines.extend(text_lines(e, inner_w.saturating_sub(2), theme::error()));
    }
    // Keep the focused field in view when the popup is taller than the screen.
    let visible = area.height.saturating_sub(4) as usize;
    let scroll = (focus_line + 1).saturating_sub(visible);
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" {} ", f.title),
            bottom: " Tab next · Enter sends · Esc cancels ",
            border: theme::key(),
            scroll,
        },
    );
}

/// A yes/no question (on the tabs and on the screens alike).
pub(crate) fn draw_confirm<J>(frame: &mut Frame, area: Rect, c: &Confirm<J>) {
    let w = 60.min(area.width.saturating_sub(2));
    let mut lines = vec![Line::default()];
    lines.extend(text_lines(
        &c.text,
        w.saturating_sub(3) as usize,
        Style::new(),
    ));
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::raw(" "),
        Span::styled("y", theme::key()),
        Span::raw(" yes    "),
        Span::styled("n", theme::key()),
        Span::raw(" no (Esc)"),
    ]));
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" {} ", c.title),
            bottom: "",
            border: theme::warn(),
            scroll: 0,
        },
    );
}

fn draw_ping(
    frame: &mut Frame,
    area: Rect,
    ip: std::net::Ipv4Addr,
    result: Option<&Result<crate::ops::PingResult, String>>,
) {
    let w = 60.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(3) as usize;
    let mut lines = vec![Line::default()];
    let border = match result {
        None => {
            lines.push(Line::from(Span::styled(
                format!(" ⟳ pinging {ip}…"),
                theme::warn(),
            )));
            theme::key()
        }
        Some(Ok(p)) => {
            let (text, style) = if p.reachable {
                let rtt = p
                    .rtt
                    .map(|d| format!("{:.2} ms", d.as_secs_f64() * 1000.0))
                    .unwrap_or_else(|| "-".into());
                (format!("✓ {ip} answers: round trip {rtt}"), theme::ok())
            } else {
                (format!("✗ no answer from {ip}"), theme::error())
            };
            lines.push(Line::from(Span::styled(format!(" {text}"), style)));
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled(" Replies       ", theme::dim()),
                Span::raw(format!("{} of {}", p.received, p.sent)),
            ]));
            lines.push(Line::from(vec![
                Span::styled(" Socket        ", theme::dim()),
                Span::raw(format!(
                    "{} ({})",
                    p.socket,
                    match p.socket {
                        crate::ops::SocketKind::Dgram => "unprivileged ping socket",
                        crate::ops::SocketKind::Raw => "raw socket, needs CAP_NET_RAW",
                    }
                )),
            ]));
            if !p.reachable {
                lines.push(Line::default());
                lines.extend(text_lines(
                    "No reply does not prove the address is free: a firewall may drop ICMP.",
                    tw,
                    theme::dim(),
                ));
            }
            theme::key()
        }
        Some(Err(e)) => {
            lines.extend(text_lines(e, tw, theme::error()));
            theme::error()
        }
    };
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" Ping {ip} "),
            bottom: " Esc closes ",
            border,
            scroll: 0,
        },
    );
}

/// What the server knows of an address: lease start and expiry, who set it.
fn lease_facts(app: &App, v: &ScopeView, ip: std::net::Ipv4Addr) -> Vec<Line<'static>> {
    let kv = |k: &str, val: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<14}"), theme::dim()),
            Span::raw(val),
        ])
    };
    let d = v.detail(ip);
    let mut out = vec![kv(
        "State",
        format!("{} {}", theme::glyph(d.state), d.state.label()),
    )];
    match d.lease {
        None => out.push(kv("Lease", "none on the server".into())),
        Some(l) => {
            let by = l.extra.as_ref().and_then(|e| e.by.as_deref());
            let origin = match (l.mark, by) {
                (LeaseMark::Held, Some(b)) => format!("held by ddish ({b})"),
                (LeaseMark::Held, None) => "held by ddish".into(),
                (LeaseMark::Claimed, Some(b)) => format!("claimed by ddish ({b})"),
                (LeaseMark::Claimed, None) => "claimed by ddish".into(),
                (LeaseMark::None, _) => "assigned by DHCP".into(),
            };
            out.push(kv("Lease", origin));
            out.push(kv(
                "  started",
                format!(
                    "{} ({})",
                    fmt::datetime(l.cltt, app.utc_offset),
                    fmt::relative(l.cltt, app.now)
                ),
            ));
            out.push(kv(
                "  expires",
                match l.expires() {
                    Some(e) => format!(
                        "{} ({})",
                        fmt::datetime(e, app.utc_offset),
                        fmt::relative(e, app.now)
                    ),
                    None => "never (infinite lifetime)".into(),
                },
            ));
        }
    }
    if let Some(r) = d.reservation {
        let id =
            r.hw.clone()
                .or_else(|| r.client_id.clone())
                .unwrap_or_default();
        out.push(kv(
            "Reservation",
            format!("{id} (in the server configuration)"),
        ));
    }
    out
}

fn history_row(app: &App, r: &HistoryRow, w: usize) -> Line<'static> {
    let ok = r.result == "ok";
    let head = format!(
        " {} {:<12} {:<10} ",
        fmt::datetime_short(r.time, app.utc_offset),
        fmt::trunc(&r.user, 12),
        fmt::trunc(&r.action, 10)
    );
    let rest = w.saturating_sub(head.chars().count() + 1);
    let tail = if ok {
        r.change.clone()
    } else {
        format!("✗ {}", r.result)
    };
    Line::from(vec![
        Span::raw(head),
        Span::styled(
            fmt::trunc(&tail, rest),
            if ok { Style::new() } else { theme::error() },
        ),
    ])
}

fn draw_history(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    s: &ScopeState,
    ip: std::net::Ipv4Addr,
    rows: Option<&Result<Vec<HistoryRow>, String>>,
    scroll: usize,
) {
    let w = 76.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    lines.push(Line::from(Span::styled(" On the server", theme::header())));
    if let Some(v) = &s.data {
        lines.extend(lease_facts(app, v, ip));
    }
    lines.push(Line::from(Span::styled(
        " Journal (newest first)",
        theme::header(),
    )));
    match rows {
        None => lines.push(Line::from(Span::styled(" ⟳ reading…", theme::warn()))),
        Some(Err(e)) => lines.extend(text_lines(e, tw.saturating_sub(1), theme::error())),
        Some(Ok(r)) if r.is_empty() => lines.push(Line::from(Span::styled(
            " nothing recorded for this address",
            theme::dim(),
        ))),
        Some(Ok(r)) => lines.extend(r.iter().map(|x| history_row(app, x, tw))),
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" History of {ip} "),
            bottom: " ↑↓ scroll · Esc closes ",
            border: theme::key(),
            scroll,
        },
    );
}

fn draw_exclusions(frame: &mut Frame, area: Rect, s: &ScopeState, cursor: usize) {
    let Some(v) = &s.data else { return };
    let d = &v.def;
    let w = 70.min(area.width.saturating_sub(2));
    let kv = |k: &str, val: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<11}"), theme::dim()),
            Span::raw(val),
        ])
    };
    let count = |r: &Range| {
        format!(
            "{} address{}",
            r.len(),
            if r.len() == 1 { "" } else { "es" }
        )
    };
    let mut lines = vec![kv("Range", format!("{}  ({})", d.range, count(&d.range)))];
    if d.pools.is_empty() {
        lines.push(kv("Pools", "none".into()));
    }
    for (i, p) in d.pools.ranges().iter().enumerate() {
        lines.push(kv(
            if i == 0 { "Pools" } else { "" },
            format!("{p}  ({})", count(p)),
        ));
    }
    lines.push(Line::from(Span::styled(" Exclusions", theme::header())));
    let excl = d.exclusions();
    if excl.is_empty() {
        lines.push(Line::from(Span::styled(
            "   none: every address of the range is in a pool",
            theme::dim(),
        )));
    }
    for (i, r) in excl.ranges().iter().enumerate() {
        let leased = v
            .leases
            .iter()
            .filter(|l| r.contains(u32::from(l.ip)) && v.state_of(l.ip).is_used())
            .count();
        let reserved = d
            .reservations
            .iter()
            .filter(|x| r.contains(u32::from(x.ip)))
            .count();
        let mut extra = Vec::new();
        if leased > 0 {
            extra.push(format!("{leased} leased"));
        }
        if reserved > 0 {
            extra.push(format!("{reserved} reserved"));
        }
        let mark = if i == cursor { " ›" } else { "  " };
        let text = format!(
            "{mark} {:<33} {:<15} {}",
            r.to_string(),
            count(r),
            extra.join(", ")
        );
        let line = Line::from(Span::styled(
            text,
            Style::new().fg(theme::state_color(IpState::Excluded)),
        ));
        lines.push(if i == cursor {
            line.style(theme::selected())
        } else {
            line
        });
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" Pools and exclusions · {} ", d.cidr),
            bottom: " Esc closes ",
            border: theme::key(),
            scroll: 0,
        },
    );
}
