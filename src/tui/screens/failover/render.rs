//! Drawing the failover screen: the relationship list and the selected one's details, and
//! the dialogs over it (the wizard is drawn by `render_wizard.rs`).
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::model::failover::HaMode;
use crate::ops::failover::FailoverInfo;
use crate::tui::layout;
use crate::tui::render::fmt;
use crate::tui::render::modal::{boxed, draw_confirm, text_lines, wrap, PopupBox};
use crate::tui::screen::ScreenCtx;
use crate::tui::theme;

use super::dialogs::{DeleteChooser, EditForm, Keep, Message, ScopePicker};
use super::render_wizard;
use super::view::partner_name;
use super::{FailoverScreen, Mode};

pub(super) const LABEL_W: usize = 13;

pub fn draw(frame: &mut Frame, area: Rect, app: &ScreenCtx, s: &FailoverScreen) {
    match (&s.mode, &s.wizard) {
        (Mode::Wizard, Some(w)) => render_wizard::draw_wizard(frame, area, s, w),
        (Mode::Creating(spec, since), Some(w)) => {
            render_wizard::draw_creating(frame, area, w, spec, app.now.saturating_sub(*since))
        }
        _ => draw_list(frame, area, app, s),
    }
    match &s.mode {
        Mode::Edit(f) => draw_edit(frame, area, f),
        Mode::Delete(d) => draw_delete(frame, area, d),
        Mode::AddScope(p) => draw_add_scope(frame, area, p),
        Mode::Confirm(c) => draw_confirm(frame, area, c),
        _ => {}
    }
    if let (Mode::Wizard, Some(w)) = (&s.mode, &s.wizard) {
        if let Some(scroll) = w.help {
            render_wizard::draw_help(frame, area, scroll);
        }
    }
    if let Some(m) = &s.message {
        draw_message(frame, area, m);
    }
}

// ----- the list -----

/// Colour of an HA state: the mode's normal state is fine, a lost partner is bad, the
/// states on the way (waiting, syncing, ready, maintenance...) are in between.
fn state_style(state: Option<&str>, mode: Option<HaMode>) -> Style {
    match state {
        Some(s) if mode.is_some_and(|m| m.normal_state() == s) => theme::ok(),
        Some("partner-down" | "unavailable" | "terminated" | "communication-recovery") => {
            theme::error()
        }
        None => theme::dim(),
        _ => theme::warn(),
    }
}

fn draw_list(frame: &mut Frame, area: Rect, app: &ScreenCtx, s: &FailoverScreen) {
    let table_h = (s.rels.len().max(1) as u16 + 3).min(area.height / 2).max(4);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);

    let info = match (s.loaded_at, s.loading) {
        (_, _) if s.busy.is_some() => format!(" ⟳ {}… ", s.busy.as_deref().unwrap_or("")),
        (Some(at), true) => format!(" loaded {} · refreshing ", fmt::clock(at, app.utc_offset)),
        (Some(at), false) => format!(" loaded {} ", fmt::clock(at, app.utc_offset)),
        (None, _) => " loading… ".into(),
    };
    let block = Block::bordered()
        .title(format!(" Failover · {} ", s.server))
        .title(ratatui::text::Line::from(info).right_aligned());
    let inner = layout::inner(top);
    frame.render_widget(block, top);

    let w = inner.width as usize;
    let cols = [13usize, 12, 10, 15, 15, 5];
    let cell = |t: &str, i: usize| format!("{:<width$}", fmt::trunc(t, cols[i]), width = cols[i]);
    let mut lines = vec![Line::from(Span::styled(
        fmt::trunc(
            &format!(
                " {} {} {} {} {} {}",
                cell("Name", 0),
                cell("Mode", 1),
                cell("Partner", 2),
                cell("This server", 3),
                cell("Partner state", 4),
                cell("Link", 5)
            ),
            w,
        ),
        theme::header(),
    ))];
    if s.rels.is_empty() {
        let text = if !s.loaded {
            "reading the HA set-up of both servers…".to_string()
        } else if s.list_error.is_some() {
            "could not read the failover set-up (see below)".to_string()
        } else if s.admin {
            format!("{} has no failover: press a to add one", s.server)
        } else {
            format!("{} has no failover", s.server)
        };
        lines.push(Line::from(Span::styled(format!(" {text}"), theme::dim())));
    }
    let rows_h = inner.height.saturating_sub(1) as usize;
    let top_row = s.cursor.saturating_sub(rows_h.saturating_sub(1));
    for (i, r) in s.rels.iter().enumerate().skip(top_row).take(rows_h) {
        let link = match r.communication_interrupted {
            Some(true) => ("lost", theme::error()),
            Some(false) => ("ok", theme::ok()),
            None => ("?", theme::dim()),
        };
        let mode = r.mode.map_or(r.mode_text.as_str(), |m| m.label());
        let mut spans = vec![
            Span::styled(if i == s.cursor { "›" } else { " " }, theme::key()),
            Span::raw(format!(
                "{} {} {} ",
                cell(&r.name, 0),
                cell(mode, 1),
                cell(partner_name(r), 2)
            )),
            Span::styled(
                cell(r.local_state.as_deref().unwrap_or("?"), 3),
                state_style(r.local_state.as_deref(), r.mode),
            ),
            Span::raw(" "),
            Span::styled(
                cell(r.partner_state.as_deref().unwrap_or("?"), 4),
                state_style(r.partner_state.as_deref(), r.mode),
            ),
            Span::raw(" "),
            Span::styled(cell(link.0, 5), link.1),
        ];
        if i == s.cursor {
            spans = spans
                .into_iter()
                .map(|sp| {
                    let st = sp.style.patch(theme::selected());
                    sp.style(st)
                })
                .collect();
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    draw_details(frame, bottom, app, s);
}

fn kv(label: &str, spans: Vec<Span<'static>>) -> Line<'static> {
    let mut v = vec![Span::styled(format!(" {label:<LABEL_W$}"), theme::dim())];
    v.extend(spans);
    Line::from(v)
}

fn draw_details(frame: &mut Frame, area: Rect, app: &ScreenCtx, s: &FailoverScreen) {
    let w = area.width.saturating_sub(2) as usize;
    let val_w = w.saturating_sub(LABEL_W + 1);
    let mut lines: Vec<Line> = Vec::new();
    let title = match s.selected() {
        Some(r) => {
            detail_lines(&mut lines, app, s, r, val_w);
            format!(" {} ", r.name)
        }
        None => {
            lines.push(Line::from(Span::styled(
                " Failover (Kea HA) lets two servers share scopes: both answer in load balance, or one stands by in hot standby.",
                theme::dim(),
            )));
            " Details ".into()
        }
    };
    if let Some(e) = &s.list_error {
        lines.push(Line::default());
        for l in wrap(&format!("✗ {e}"), w.saturating_sub(1)) {
            lines.push(Line::from(Span::styled(format!(" {l}"), theme::error())));
        }
    }
    let p = Paragraph::new(lines).block(Block::bordered().title(title));
    frame.render_widget(p, area);
}

fn detail_lines(
    lines: &mut Vec<Line<'static>>,
    app: &ScreenCtx,
    s: &FailoverScreen,
    r: &FailoverInfo,
    val_w: usize,
) {
    let partner = partner_name(r).to_string();
    let (here_for, partner_for) = s
        .since
        .of(&r.name, app.now)
        .unwrap_or_else(|| ("?".into(), "?".into()));
    // ops' own observation wins for this server when it has one.
    let here_for = r
        .state_for_secs
        .map(|n| fmt::duration(n as i64))
        .unwrap_or(here_for);
    let mode = r
        .mode
        .map_or(r.mode_text.clone(), |m| m.label().to_string());
    let auto = if r.auto_failover { "on" } else { "off" };
    lines.push(kv(
        "Mode",
        vec![Span::raw(format!("{mode} · automatic failover {auto}"))],
    ));
    lines.push(kv(
        "Servers",
        vec![Span::raw(fmt::trunc(
            &format!(
                "{} {} (this server) · {partner} {}",
                r.this_server, r.this_role, r.partner_role
            ),
            val_w,
        ))],
    ));
    let scopes = if r.scopes.is_empty() {
        "none".to_string()
    } else {
        r.scopes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (i, l) in wrap(&scopes, val_w).into_iter().take(2).enumerate() {
        lines.push(kv(if i == 0 { "Scopes" } else { "" }, vec![Span::raw(l)]));
    }
    let st = |x: &Option<String>| x.clone().unwrap_or_else(|| "unknown".into());
    lines.push(kv(
        "This server",
        vec![
            Span::styled(
                st(&r.local_state),
                state_style(r.local_state.as_deref(), r.mode),
            ),
            Span::raw(format!(" for {here_for}")),
        ],
    ));
    let mut p = vec![
        Span::styled(
            st(&r.partner_state),
            state_style(r.partner_state.as_deref(), r.mode),
        ),
        Span::raw(format!(" for {partner_for}")),
    ];
    match r.communication_interrupted {
        Some(true) => p.push(Span::styled(" · communication interrupted", theme::error())),
        Some(false) => p.push(Span::styled(" · in touch", theme::dim())),
        None => {}
    }
    lines.push(kv("Partner", p));
    lines.push(kv(
        "Unacked",
        vec![Span::raw(match r.unacked_clients {
            Some(n) => format!(
                "{n} client{} (the partner counts as down above {})",
                if n == 1 { "" } else { "s" },
                r.max_unacked_clients
            ),
            None => "unknown".into(),
        })],
    ));
    lines.push(kv(
        "Timings",
        vec![Span::raw(fmt::trunc(
            &format!(
                "heartbeat {} ms · max response {} ms · max ack {} ms",
                r.heartbeat_delay_ms, r.max_response_delay_ms, r.max_ack_delay_ms
            ),
            val_w,
        ))],
    ));
    let login = match (&r.peer_user, r.has_peer_password) {
        (Some(u), true) => format!("{u} (password set)"),
        (Some(u), false) => format!("{u} (no password)"),
        (None, _) => "none".into(),
    };
    lines.push(kv("Peer login", vec![Span::raw(login)]));
    lines.push(kv(
        "Partner URL",
        vec![Span::raw(fmt::trunc(&r.partner_url, val_w))],
    ));
    let mut warn = |t: String| {
        for l in wrap(&t, val_w + LABEL_W) {
            lines.push(Line::from(Span::styled(format!(" {l}"), theme::warn())));
        }
    };
    if let Some(e) = &r.partner_error {
        warn(format!("⚠ {partner}: {e}"));
    }
    let list = |v: &[ipnet::Ipv4Net]| {
        v.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.only_here.is_empty() {
        warn(format!(
            "⚠ only on {}: {} (not shared with {partner}; s adds)",
            r.this_server,
            list(&r.only_here)
        ));
    }
    if !r.only_partner.is_empty() {
        warn(format!("⚠ only on {partner}: {}", list(&r.only_partner)));
    }
    if let Some(first) = r.drift.first() {
        warn(format!(
            "⚠ configs differ: {first}{}",
            match r.drift.len() {
                1 => String::new(),
                n => format!(" (+{} more; `ddish check` lists them)", n - 1),
            }
        ));
    }
}

// ----- dialogs -----

/// How a popup looks: width, titles, border, and the line to keep in view.
struct Pop {
    w: u16,
    title: String,
    bottom: &'static str,
    border: Style,
    focus: usize,
}

/// The console's popup box, scrolled so that line `focus` shows.
fn popup(frame: &mut Frame, area: Rect, p: Pop, lines: Vec<Line<'static>>) {
    let visible = (lines.len() as u16 + 2)
        .min(area.height.saturating_sub(2))
        .saturating_sub(2) as usize;
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w: p.w,
            title: p.title,
            bottom: p.bottom,
            border: p.border,
            scroll: (p.focus + 1).saturating_sub(visible),
        },
    );
}

fn draw_edit(frame: &mut Frame, area: Rect, f: &EditForm) {
    let w = 74.min(area.width.saturating_sub(2));
    let inner_w = w.saturating_sub(2) as usize;
    let (mut lines, focus) = f.fields.lines(inner_w, LABEL_W, &|_, fl| f.error(fl.id));
    let help = f.help();
    if !help.is_empty() {
        lines.extend(text_lines(help, inner_w.saturating_sub(2), theme::dim()));
    }
    popup(
        frame,
        area,
        Pop {
            w,
            title: format!(" Change failover {} ", f.info.name),
            bottom: " Tab next · Enter saves · Esc cancels ",
            border: theme::key(),
            focus,
        },
        lines,
    );
}

fn draw_delete(frame: &mut Frame, area: Rect, d: &DeleteChooser) {
    let w = 76.min(area.width.saturating_sub(2));
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines = text_lines(
        &format!(
            "Both servers go back to standalone. Who keeps each scope? (t: {} keeps all, p: {} keeps all, b: both keep all)",
            d.this, d.partner
        ),
        inner_w.saturating_sub(2),
        Style::new(),
    );
    let head = lines.len();
    if d.rows.is_empty() {
        lines.push(Line::from(Span::styled(" no scope in it", theme::dim())));
    }
    for (i, (cidr, keep)) in d.rows.iter().enumerate() {
        let focused = i == d.cursor;
        let mut spans = vec![
            Span::styled(if focused { "›" } else { " " }, theme::key()),
            Span::raw(format!("{:<18}", cidr.to_string())),
        ];
        for (j, k) in Keep::ALL.iter().enumerate() {
            let on = k == keep;
            let style = match (on, focused) {
                (true, true) => theme::selected(),
                (true, false) => theme::header(),
                _ => theme::dim(),
            };
            if j > 0 {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(
                format!(
                    "{} {}",
                    if on { "(•)" } else { "( )" },
                    fmt::trunc(&d.label(*k), 20)
                ),
                style,
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    lines.extend(text_lines(
        "A scope both keep gets its pools split in two halves, so the two never hand out the same address. Leases stay.",
        inner_w.saturating_sub(2),
        theme::dim(),
    ));
    popup(
        frame,
        area,
        Pop {
            w,
            title: format!(" Delete failover {} ", d.rel),
            bottom: " ←→ who keeps it · Enter deletes (asks) · Esc cancels ",
            border: theme::warn(),
            focus: head + d.cursor,
        },
        lines,
    );
}

fn draw_add_scope(frame: &mut Frame, area: Rect, p: &ScopePicker) {
    let w = 64.min(area.width.saturating_sub(2));
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines = text_lines(
        "Scopes of this server not in the failover yet (Space picks):",
        inner_w.saturating_sub(2),
        Style::new(),
    );
    let head = lines.len();
    for (i, sc) in p.items.iter().enumerate() {
        let focused = i == p.cursor;
        let line = Line::from(vec![
            Span::styled(if focused { "›" } else { " " }, theme::key()),
            Span::raw(fmt::trunc(
                &format!("{} {}", if sc.picked { "[x]" } else { "[ ]" }, sc.label),
                inner_w.saturating_sub(2),
            )),
        ]);
        lines.push(if focused {
            line.style(theme::selected())
        } else {
            line
        });
    }
    if p.tried && p.picked().is_empty() {
        lines.push(Line::from(Span::styled(
            " ✗ pick at least one scope with Space",
            theme::error(),
        )));
    }
    popup(
        frame,
        area,
        Pop {
            w,
            title: format!(" Add scope to failover {} ", p.rel),
            bottom: " Space picks · Enter adds (asks) · Esc cancels ",
            border: theme::key(),
            focus: head + p.cursor,
        },
        lines,
    );
}

fn draw_message(frame: &mut Frame, area: Rect, m: &Message) {
    let w = 70.min(area.width.saturating_sub(2));
    let style = if m.error { theme::error() } else { theme::ok() };
    let mut lines = Vec::new();
    for (i, l) in m.lines.iter().enumerate() {
        let st = if l.starts_with('⚠') {
            theme::warn()
        } else if i == 0 && m.error {
            theme::error()
        } else {
            Style::new()
        };
        lines.extend(text_lines(l, w.saturating_sub(4) as usize, st));
    }
    popup(
        frame,
        area,
        Pop {
            w,
            title: format!(" {} ", m.title),
            bottom: " Enter closes ",
            border: style,
            focus: 0,
        },
        lines,
    );
}
