//! Popups: the IP properties (everything known of one address) and the help built from the
//! keymap.
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::model::lease::hex_colon;
use crate::model::{LeaseMark, LeaseState};
use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::layout;
use crate::tui::theme;
use crate::tui::views::ScopeState;

use super::fmt;

const KEY_W: usize = 15;

fn kv(k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {k:<KEY_W$}"), theme::dim()),
        Span::raw(v.into()),
    ])
}

fn section(title: &str) -> Line<'static> {
    Line::from(Span::styled(format!(" {title}"), theme::header()))
}

fn opt(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "-".into(),
    }
}

pub fn ip(frame: &mut Frame, area: Rect, app: &App, s: &ScopeState) {
    let Some(v) = &s.data else { return };
    let ip = v.ip_at(s.cursor);
    let d = v.detail(ip);
    let mut flags: Vec<&str> = Vec::new();
    flags.push(if d.in_range {
        "in range"
    } else {
        "outside the range"
    });
    flags.push(if d.in_pool { "in a pool" } else { "in no pool" });
    if d.is_gateway {
        flags.push("gateway");
    }
    if d.is_network {
        flags.push("network address");
    }
    if d.is_broadcast {
        flags.push("broadcast address");
    }
    // State and where the address sits, on one line: the popup keeps its height for the
    // DNS names below.
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {:<KEY_W$}", "State"), theme::dim()),
        Span::styled(
            theme::glyph(d.state).to_string(),
            theme::cell_style(d.state),
        ),
        Span::raw(format!(" {} · {}", d.state.label(), flags.join(" · "))),
    ])];
    lines.push(kv("Scope", v.def.label()));
    if let Some((at, names)) = &s.dns_names {
        if *at == ip {
            let shown = match names {
                None => "looking up…".to_string(),
                Some(Ok(n)) if n.is_empty() => "none in the configured zones".to_string(),
                Some(Ok(n)) => n.join(" · "),
                Some(Err(e)) => format!("not read: {e}"),
            };
            lines.push(kv("DNS", shown));
        }
    }
    if let Some(st) = &s.sweep {
        let sw = &st.sweep;
        if sw.pinged(ip) {
            let answer = match sw.answers(ip) {
                Some(rtt) => format!("answers ({:.1} ms)", rtt.as_secs_f64() * 1000.0),
                None => "no answer".to_string(),
            };
            let what = match sw.finding_at(ip, d.state) {
                Some(f) => format!("{answer} · {}: {}", f.label(), f.explain()),
                None => answer,
            };
            lines.push(kv("Ping sweep", what));
        }
    }

    match d.lease {
        None => lines.push(kv("Lease", "none")),
        Some(l) => {
            lines.push(section("Lease"));
            let hw = if l.hw.is_none() {
                "-".to_string()
            } else {
                l.hw.to_string()
            };
            lines.push(kv("  MAC", hw));
            lines.push(kv(
                "  Client ID",
                l.client_id.as_deref().map_or("-".into(), hex_colon),
            ));
            lines.push(kv("  Hostname", opt(l.hostname.as_deref())));
            lines.push(kv(
                "  Last seen",
                format!(
                    "{} ({})",
                    fmt::datetime(l.cltt, app.utc_offset),
                    fmt::relative(l.cltt, app.now)
                ),
            ));
            let exp = match l.expires() {
                Some(e) => format!(
                    "{} ({})",
                    fmt::datetime(e, app.utc_offset),
                    fmt::relative(e, app.now)
                ),
                None => "never (infinite lifetime)".into(),
            };
            lines.push(kv("  Expires", exp));
            let state = match l.state {
                LeaseState::Default => "default",
                LeaseState::Declined => "declined",
                LeaseState::ExpiredReclaimed => "expired-reclaimed",
                LeaseState::Released => "released (kept for its client)",
                LeaseState::Other => "other",
            };
            lines.push(kv("  Lease state", state));
            let by = l
                .extra
                .as_ref()
                .and_then(|e| e.by.as_deref())
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
            // Kea stamps the hold's (or claim's) lease4-add as its last transmission time.
            let since = fmt::datetime(l.cltt, app.utc_offset);
            let mark = match l.mark {
                LeaseMark::None => "-".to_string(),
                LeaseMark::Held => format!("held{by} since {since}"),
                LeaseMark::Claimed => format!("claimed{by} since {since}"),
            };
            lines.push(kv("  ddish mark", mark));
            lines.push(kv("  Comment", opt(l.comment())));
        }
    }
    match d.reservation {
        None => lines.push(kv("Reservation", "none")),
        Some(r) => {
            lines.push(section(if r.global {
                "Reservation (global: Dhcp4 reservations)"
            } else {
                "Reservation"
            }));
            lines.push(kv("  MAC", opt(r.hw.as_deref())));
            lines.push(kv("  Client ID", opt(r.client_id.as_deref())));
            lines.push(kv("  Hostname", opt(r.hostname.as_deref())));
            lines.push(kv("  Description", opt(r.description.as_deref())));
            let classes = r.client_classes.join(", ");
            lines.push(kv("  Classes", opt(Some(&classes))));
        }
    }
    let w = 68.min(area.width.saturating_sub(2));
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = layout::centered(area, w, h);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .border_style(theme::key())
                .title(format!(" {ip} "))
                .title_bottom(" Esc closes "),
        ),
        r,
    );
}

/// Help lines from the keymap, one section per context.
pub fn help_lines(rights: keymap::Role) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, rows) in keymap::help_sections(rights) {
        lines.push(section(title));
        for (k, text) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("   {k:<12}"), theme::key()),
                Span::raw(text),
            ]));
        }
        lines.push(Line::default());
    }
    lines
}

pub fn help(frame: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let lines = help_lines(app.rights());
    let r = layout::help_area(area);
    let visible = layout::inner(r).height as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll as u16, 0)).block(
            Block::bordered()
                .border_style(theme::key())
                .title(" Help: keys ")
                .title_bottom(" ↑↓ scroll · Esc or ? closes "),
        ),
        r,
    );
}
