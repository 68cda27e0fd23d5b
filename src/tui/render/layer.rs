//! Popups over the tree, a network view or the Servers tab (`App::layer`): the layout and
//! bulk menus, their forms and questions, a bulk change's preview and outcome per server,
//! client classes, and a network's claims.
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::ops::bulk::{ClassInfo, ServerOutcome, ServerPreview};
use ipnet::Ipv4Net;

use crate::tui::actions::{Choice, Modal, ScopesOp, ServerClasses};
use crate::tui::app::App;
use crate::tui::theme;

use super::fmt;
use super::modal::{boxed, draw_confirm, draw_form, draw_message, wrap, PopupBox};

/// Width of the server column in the per-server tables.
const SERVER_W: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    for m in &app.layer {
        match m {
            Modal::Choose(c) => draw_choice(frame, area, c),
            Modal::Form(f) => draw_form(frame, area, f),
            Modal::Confirm(c) => draw_confirm(frame, area, c),
            Modal::Message {
                title,
                text,
                error,
                scroll,
            } => draw_message(frame, area, title, text, *error, *scroll),
            Modal::Preview { rows, scroll, .. } => draw_preview(frame, area, None, rows, *scroll),
            Modal::ScopesPreview {
                op,
                scopes,
                rows,
                scroll,
            } => {
                let intro = scopes_intro(*op, scopes);
                draw_preview(frame, area, Some(&intro), rows, *scroll)
            }
            Modal::Outcome {
                title,
                rows,
                scroll,
            } => draw_outcome(frame, area, title, rows.as_deref(), *scroll),
            Modal::Classes { rows, scroll } => draw_classes(frame, area, rows, *scroll),
            Modal::ClaimList { network, cursor } => {
                draw_claims(frame, area, app, *network, *cursor)
            }
            Modal::Menu(_)
            | Modal::Ping { .. }
            | Modal::History { .. }
            | Modal::Exclusions { .. } => {}
        }
    }
}

fn draw_choice(frame: &mut Frame, area: Rect, c: &Choice) {
    let lines: Vec<Line> = c
        .items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mark = if i == c.cursor { "›" } else { " " };
            let style = if s.destructive() {
                theme::error()
            } else {
                Style::new()
            };
            let line = Line::from(vec![
                Span::styled(format!("{mark} "), theme::key()),
                Span::styled(s.label(), style),
            ]);
            if i == c.cursor {
                line.style(theme::selected())
            } else {
                line
            }
        })
        .collect();
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w: 62,
            title: format!(" {} ", c.title),
            bottom: " ↑↓ choose · Enter opens · Esc closes ",
            border: theme::key(),
            scroll: c.cursor.saturating_sub(12),
        },
    );
}

/// One server's block: its name in the first column, `text` wrapped beside it.
fn server_block(
    out: &mut Vec<Line<'static>>,
    server: &str,
    head_style: Style,
    texts: &[(String, Style)],
    w: usize,
) {
    let tw = w.saturating_sub(SERVER_W + 3).max(8);
    let mut first = true;
    for (t, style) in texts {
        for l in wrap(t, tw) {
            let name = if first {
                fmt::trunc(server, SERVER_W)
            } else {
                String::new()
            };
            out.push(Line::from(vec![
                Span::styled(format!(" {name:<SERVER_W$} "), head_style),
                Span::styled(l, *style),
            ]));
            first = false;
        }
    }
}

fn header(w: usize, right: &str) -> Line<'static> {
    let s = format!(" {:<SERVER_W$} {right}", "Server");
    Line::from(Span::styled(fmt::trunc(&s, w), theme::header()))
}

/// The line above the preview of activating, deactivating or deleting marked scopes.
fn scopes_intro(op: ScopesOp, scopes: &[(String, Ipv4Net)]) -> String {
    let mut servers: Vec<&str> = scopes.iter().map(|(s, _)| s.as_str()).collect();
    servers.dedup();
    format!(
        "{} {} marked scope(s) on {} server(s):",
        op.verb(),
        scopes.len(),
        servers.len()
    )
}

fn draw_preview(
    frame: &mut Frame,
    area: Rect,
    intro: Option<&str>,
    rows: &Option<Result<Vec<ServerPreview>, String>>,
    scroll: usize,
) {
    let w = 76.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    if let Some(t) = intro {
        lines.push(Line::from(Span::styled(
            fmt::trunc(&format!(" {t}"), tw),
            theme::warn().add_modifier(Modifier::BOLD),
        )));
    }
    lines.push(header(tw, "What changes"));
    let mut bottom = " y applies · n/Esc cancels · ↑↓ scroll ";
    match rows {
        None => lines.push(Line::from(Span::styled(
            " ⟳ asking every server what would change (nothing is written)…",
            theme::warn(),
        ))),
        Some(Err(e)) => {
            lines.extend(
                wrap(e, tw.saturating_sub(2))
                    .into_iter()
                    .map(|l| Line::from(Span::styled(format!(" {l}"), theme::error()))),
            );
            bottom = " Esc closes ";
        }
        Some(Ok(rows)) => {
            for p in rows {
                let mut texts: Vec<(String, Style)> = Vec::new();
                let head = match (&p.error, p.changes.is_empty()) {
                    (Some(e), _) => {
                        texts.push((format!("✗ cannot change: {e}"), theme::error()));
                        theme::error()
                    }
                    (None, true) => {
                        texts.push(("= nothing to change".into(), theme::dim()));
                        theme::dim()
                    }
                    (None, false) => {
                        texts.extend(p.changes.iter().map(|c| (c.clone(), Style::new())));
                        theme::ok()
                    }
                };
                texts.extend(p.warnings.iter().map(|x| (format!("⚠ {x}"), theme::warn())));
                server_block(&mut lines, &p.server, head, &texts, tw);
            }
            let warned = rows.iter().any(|p| !p.warnings.is_empty());
            lines.push(Line::default());
            let ask = if warned {
                " ⚠ read the warnings: y applies anyway, n cancels"
            } else {
                " y applies it on the servers above (each written once, HA peers too)"
            };
            lines.push(Line::from(Span::styled(
                ask,
                if warned { theme::warn() } else { theme::dim() },
            )));
        }
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: " Preview: nothing is written yet ".into(),
            bottom,
            border: theme::warn(),
            scroll,
        },
    );
}

fn draw_outcome(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    rows: Option<&[ServerOutcome]>,
    scroll: usize,
) {
    let w = 76.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(2) as usize;
    let mut lines = vec![header(tw, "Result")];
    let mut border = theme::key();
    match rows {
        None => lines.push(Line::from(Span::styled(
            " ⟳ writing on every server…",
            theme::warn(),
        ))),
        Some(rows) => {
            for o in rows {
                let (text, style) = match &o.result {
                    Ok(m) if m == "nothing to change" => {
                        ("= unchanged: nothing to change".to_string(), theme::dim())
                    }
                    Ok(m) => (format!("✓ ok: {m}"), theme::ok()),
                    Err(e) => {
                        border = theme::error();
                        (
                            format!("✗ FAILED, nothing changed on it: {e}"),
                            theme::error(),
                        )
                    }
                };
                server_block(
                    &mut lines,
                    &o.server,
                    style.add_modifier(Modifier::BOLD),
                    &[(text, style)],
                    tw,
                );
            }
        }
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: format!(" {} ", fmt::trunc(title, w.saturating_sub(4) as usize)),
            bottom: " ↑↓ scroll · Esc closes ",
            border,
            scroll,
        },
    );
}

fn class_lines(c: &ClassInfo) -> Vec<(String, Style)> {
    let mut t = vec![(c.name.clone(), theme::header())];
    if let Some(x) = &c.test {
        t.push((format!("  test: {x}"), Style::new()));
    }
    for (n, d) in &c.options {
        t.push((format!("  {n} = {d}"), Style::new()));
    }
    t.push((
        if c.used_by.is_empty() {
            "  used by nothing".into()
        } else {
            format!("  used by {}", c.used_by.join(", "))
        },
        theme::dim(),
    ));
    t
}

fn draw_classes(
    frame: &mut Frame,
    area: Rect,
    rows: &Option<Result<Vec<ServerClasses>, String>>,
    scroll: usize,
) {
    let w = 76.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(2) as usize;
    let mut lines = vec![header(tw, "Client classes")];
    match rows {
        None => lines.push(Line::from(Span::styled(" ⟳ reading…", theme::warn()))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(format!(" {e}"), theme::error()))),
        Some(Ok(rows)) => {
            for (server, r) in rows {
                let (texts, head) = match r {
                    Err(e) => (vec![(format!("✗ {e}"), theme::error())], theme::error()),
                    Ok(l) if l.is_empty() => {
                        (vec![("no client class".into(), theme::dim())], theme::dim())
                    }
                    Ok(l) => (l.iter().flat_map(class_lines).collect(), theme::ok()),
                };
                server_block(&mut lines, server, head, &texts, tw);
            }
        }
    }
    boxed(
        frame,
        area,
        lines,
        PopupBox {
            w,
            title: " Client classes ".into(),
            bottom: " ↑↓ scroll · Esc closes ",
            border: theme::key(),
            scroll,
        },
    );
}

fn draw_claims(frame: &mut Frame, area: Rect, app: &App, network: ipnet::Ipv4Net, cursor: usize) {
    let w = 72.min(area.width.saturating_sub(2));
    let claims = app
        .tab()
        .and_then(|t| t.data.as_ref())
        .and_then(|d| d.networks.iter().find(|n| n.cidr == network))
        .map(|n| n.claims.clone())
        .unwrap_or_default();
    let mut lines = vec![Line::from(Span::styled(
        format!(" {:<16} {:<18} {:<14} Comment", "IP", "MAC", "Hostname"),
        theme::header(),
    ))];
    if claims.is_empty() {
        lines.push(Line::from(Span::styled(
            " no address of this network is claimed outside its scopes (a claims one)",
            theme::dim(),
        )));
    }
    for (i, c) in claims.iter().enumerate() {
        let text = format!(
            "{}{:<16} {:<18} {:<14} {}",
            if i == cursor { "›" } else { " " },
            c.ip.to_string(),
            c.mac,
            fmt::trunc(c.hostname.as_deref().unwrap_or("-"), 14),
            c.comment.as_deref().unwrap_or("")
        );
        let line = Line::from(Span::styled(
            fmt::trunc(&text, w.saturating_sub(2) as usize),
            Style::new().fg(theme::state_color(crate::model::IpState::Claimed)),
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
            title: format!(" Claims in {network}, outside every scope "),
            bottom: " a claim · d unclaim · e export · Esc closes ",
            border: theme::key(),
            scroll: cursor.saturating_sub(10),
        },
    );
}
