//! Drawing the Add Failover wizard: its steps, the summary with what create will do, the
//! progress while it runs, and the Windows-terms help.
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};
use ratatui::Frame;

use crate::model::failover::{FailoverSpec, WINDOWS_TERMS};
use crate::ops::failover::HA_WAIT;
use crate::tui::layout;
use crate::tui::render::fmt;
use crate::tui::render::modal::wrap;
use crate::tui::theme;

use super::render::LABEL_W;
use super::wizard::{Step, Wizard};
use super::FailoverScreen;

fn framed(frame: &mut Frame, area: Rect, title: String, bottom: &str) -> Rect {
    let block = Block::bordered()
        .border_style(theme::key())
        .title(title)
        .title_bottom(bottom.to_string())
        .padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inner
}

pub(super) fn draw_wizard(frame: &mut Frame, area: Rect, s: &FailoverScreen, w: &Wizard) {
    let bottom = match w.step {
        Step::Scopes => " Enter next · Esc cancel · F1 help ",
        Step::Summary => " Enter creates · Esc back · F1 help ",
        _ => " Enter next · Esc back · F1 help ",
    };
    let inner = framed(
        frame,
        area,
        format!(" Add failover · {} · {} ", w.server, w.step.title()),
        bottom,
    );
    let width = inner.width as usize;
    let help = w.focus_help();
    let help_lines: Vec<String> = if help.is_empty() {
        Vec::new()
    } else {
        wrap(help, width).into_iter().take(3).collect()
    };
    let help_h = if help_lines.is_empty() {
        0
    } else {
        help_lines.len() as u16 + 1
    };
    let [main, help_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(help_h)]).areas(inner);
    let (lines, focus) = match w.step {
        Step::Scopes => scopes_lines(w, width),
        Step::Partner => partner_lines(w, width),
        Step::Config => {
            let mut lines = Vec::new();
            let (fl, focus) = w.config.lines(width, LABEL_W, &|_, f| w.config_error(f.id));
            lines.extend(fl);
            (lines, focus)
        }
        Step::Summary => (summary_lines(s, w, width), 0),
    };
    // Keep the focused line in view.
    let h = main.height as usize;
    let scroll = (focus + 2).saturating_sub(h);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), main);
    if help_h > 0 {
        let mut hl = vec![Line::from(Span::styled("─".repeat(width), theme::dim()))];
        hl.extend(
            help_lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme::dim()))),
        );
        frame.render_widget(Paragraph::new(hl), help_area);
    }
}

fn scopes_lines(w: &Wizard, width: usize) -> (Vec<Line<'static>>, usize) {
    let mut lines = vec![Line::from(Span::raw(
        "Pick this server's scopes to share with the partner:",
    ))];
    if w.scopes.is_empty() {
        lines.push(Line::from(Span::styled(
            "  this server has no scope: add one first",
            theme::warn(),
        )));
    }
    for (i, sc) in w.scopes.iter().enumerate() {
        let mark = if sc.picked { "[x]" } else { "[ ]" };
        let focused = i == w.scope_cursor;
        let line = Line::from(vec![
            Span::styled(if focused { "›" } else { " " }, theme::key()),
            Span::raw(fmt::trunc(
                &format!(" {mark} {}", sc.label),
                width.saturating_sub(1),
            )),
        ]);
        lines.push(if focused {
            line.style(theme::selected())
        } else {
            line
        });
    }
    let picked = w.scopes.iter().filter(|s| s.picked).count();
    lines.push(Line::from(Span::styled(
        format!("{picked} of {} picked", w.scopes.len()),
        theme::dim(),
    )));
    if let Some(e) = w.scopes_error() {
        lines.push(Line::from(Span::styled(format!("✗ {e}"), theme::error())));
    }
    (lines, w.scope_cursor + 1)
}

fn partner_lines(w: &Wizard, width: usize) -> (Vec<Line<'static>>, usize) {
    let mut lines = vec![Line::from(Span::raw(
        "The partner: a server of your ddish config, or another by its API URL:",
    ))];
    let name_w = w
        .partners
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(20);
    for (i, p) in w.partners.iter().enumerate() {
        let on = i == w.partner_cursor;
        let line = Line::from(vec![
            Span::styled(if on { "›" } else { " " }, theme::key()),
            Span::raw(format!(" {} ", if on { "(•)" } else { "( )" })),
            Span::raw(format!("{:<name_w$}  ", fmt::trunc(&p.name, name_w))),
            Span::styled(
                fmt::trunc(&p.url, width.saturating_sub(name_w + 8)),
                theme::dim(),
            ),
        ]);
        lines.push(if on {
            line.style(theme::selected())
        } else {
            line
        });
    }
    let on = w.by_url();
    let mut spans = vec![
        Span::styled(if on { "›" } else { " " }, theme::key()),
        Span::raw(format!(
            " {} another server, by its API URL: ",
            if on { "(•)" } else { "( )" }
        )),
    ];
    if on {
        spans.push(Span::raw(fmt::trunc_middle(
            &w.partner_url,
            width.saturating_sub(40),
        )));
        spans.push(Span::styled("▏", theme::key()));
    }
    lines.push(Line::from(spans));
    if let Some(e) = w.partner_error() {
        for l in wrap(&format!("✗ {e}"), width) {
            lines.push(Line::from(Span::styled(l, theme::error())));
        }
    }
    (lines, w.partner_cursor + 1)
}

fn summary_lines(s: &FailoverScreen, w: &Wizard, width: usize) -> Vec<Line<'static>> {
    let val_w = width.saturating_sub(LABEL_W + 1);
    let mut lines = Vec::new();
    let spec = match w.spec() {
        Ok(spec) => spec,
        Err(errs) => {
            for (f, e) in errs {
                lines.push(Line::from(Span::styled(
                    format!("✗ {}: {e}", f.label()),
                    theme::error(),
                )));
            }
            return lines;
        }
    };
    let partner = w.partner_label();
    let (primary, second) = if spec.primary_is_this {
        (w.server.clone(), partner.clone())
    } else {
        (partner.clone(), w.server.clone())
    };
    let row = |label: &str, text: String| {
        wrap(&text, val_w)
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Line::from(vec![
                    Span::styled(
                        format!("{:<LABEL_W$} ", if i == 0 { label } else { "" }),
                        theme::dim(),
                    ),
                    Span::raw(l),
                ])
            })
            .collect::<Vec<_>>()
    };
    lines.extend(row("Name", spec.name.clone()));
    lines.extend(row(
        "Mode",
        format!(
            "{}: {primary} primary, {second} {}",
            spec.mode.label(),
            spec.mode.second_role()
        ),
    ));
    lines.extend(row("Partner", format!("{partner}  {}", w.partner_url())));
    lines.extend(row(
        "Scopes",
        spec.scopes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    lines.extend(row(
        "Timings",
        format!(
            "heartbeat {} ms · max response {} ms · max ack {} ms · max unacked {}",
            spec.heartbeat_delay_ms,
            spec.max_response_delay_ms,
            spec.max_ack_delay_ms,
            spec.max_unacked_clients
        ),
    ));
    lines.extend(row(
        "Failover",
        if spec.auto_failover {
            "automatic".into()
        } else {
            "by an admin (automatic failover off)".into()
        },
    ));
    lines.extend(row(
        "Peer login",
        match &spec.peer_user {
            Some(u) if w.login_from_config() => {
                format!("{u} / the password in the ddish config (both servers log ddish in so)")
            }
            Some(u) => format!("{u} / {}", "•".repeat(8)),
            None => "none (the Control Agents ask for no login)".into(),
        },
    ));
    if let Some(tls) = w.config.get(super::wizard::F_TLS) {
        lines.extend(row("TLS", tls.value().to_string()));
    }
    match &s.plan {
        None => lines.push(Line::from(Span::styled(
            "⟳ checking both servers…",
            theme::warn(),
        ))),
        Some(Err(e)) => {
            for l in wrap(&format!("✗ {e}"), width) {
                lines.push(Line::from(Span::styled(l, theme::error())));
            }
        }
        Some(Ok(p)) => {
            let list = |v: &[ipnet::Ipv4Net]| {
                v.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !p.copy_to_partner.is_empty() {
                lines.extend(row(
                    "Copied",
                    format!("{} to {}", list(&p.copy_to_partner), p.partner_server),
                ));
            }
            if !p.replace_on_partner.is_empty() {
                lines.extend(row(
                    "Replaced",
                    format!("{} on {}", list(&p.replace_on_partner), p.partner_server),
                ));
            }
            for (server, hooks) in &p.hooks_added {
                if !hooks.is_empty() {
                    lines.extend(row(
                        "Hooks",
                        format!("{} loaded on {server}", hooks.join(", ")),
                    ));
                }
            }
            for wn in &p.warnings {
                for l in wrap(&format!("⚠ {wn}"), width) {
                    lines.push(Line::from(Span::styled(l, theme::warn())));
                }
            }
        }
    }
    for l in wrap(
        &format!(
            "Enter writes both servers back to back, then waits until both report {}. If {} refuses, {} is put back as it was.",
            spec.mode.normal_state(),
            partner,
            w.server
        ),
        width,
    ) {
        lines.push(Line::from(Span::styled(l, theme::dim())));
    }
    lines
}

pub(super) fn draw_creating(
    frame: &mut Frame,
    area: Rect,
    w: &Wizard,
    spec: &FailoverSpec,
    secs: i64,
) {
    let inner = framed(
        frame,
        area,
        format!(" Add failover · {} · creating ", w.server),
        " Esc: to the list (it goes on) ",
    );
    let name = &spec.name;
    let mode = spec.mode;
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("⟳ Creating failover {name}… {}", fmt::duration(secs.max(0))),
            theme::warn(),
        )),
        Line::default(),
    ];
    for l in wrap(
        &format!(
            "ddish writes the HA set-up to {} and {} back to back, then waits (up to {} s) until both report {}. The outcome shows here when it is done.",
            w.server,
            w.partner_label(),
            HA_WAIT.as_secs(),
            mode.normal_state()
        ),
        inner.width as usize,
    ) {
        lines.push(Line::from(l));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(super) fn draw_help(frame: &mut Frame, area: Rect, scroll: usize) {
    let w = 76.min(area.width.saturating_sub(2));
    let tw = w.saturating_sub(4) as usize;
    let mut lines = Vec::new();
    for l in wrap(
        "Coming from Windows DHCP failover? Where its settings went in Kea:",
        tw,
    ) {
        lines.push(Line::from(l));
    }
    for (term, text) in WINDOWS_TERMS {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("▸ {term}"),
            theme::header(),
        )));
        for l in wrap(text, tw) {
            lines.push(Line::from(Span::raw(l)));
        }
    }
    let h = area.height.saturating_sub(2);
    let r = layout::centered(area, w, h);
    let visible = h.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll as u16, 0)).block(
            Block::bordered()
                .border_style(theme::key())
                .title(" Failover help: Windows terms ")
                .title_bottom(" ↑↓ scroll · Esc closes ")
                .padding(Padding::horizontal(1)),
        ),
        r,
    );
}
