//! One zone: each server's answer (reachable, authoritative, serial, primary or
//! secondary, where ddish knows it from) and the zone's records by zone transfer from its
//! primary, TSIG-signed when the zone has a key.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::config::ZoneConfig;
use crate::ops::zones::{ZoneHealth, ZoneRecord};
use crate::ops::Command;
use crate::tui::keymap::{Action, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::kit;

#[derive(Debug)]
pub struct ZoneDetail {
    name: String,
    health: Option<ZoneHealth>,
    cfg: Option<ZoneConfig>,
    records: Option<Result<Vec<ZoneRecord>, String>>,
    axfr_busy: bool,
    check_busy: bool,
    list: ListState,
}

impl ZoneDetail {
    pub fn new(name: String, health: Option<ZoneHealth>, cfg: Option<ZoneConfig>) -> ZoneDetail {
        ZoneDetail {
            name,
            health,
            cfg,
            records: None,
            axfr_busy: false,
            check_busy: false,
            list: ListState::default(),
        }
    }

    fn jobs(&mut self, check: bool) -> Vec<ScreenJob> {
        let Some(zone) = self.cfg.clone() else {
            self.records = Some(Err(format!(
                "zone {} is no longer in the config: nothing to transfer",
                self.name
            )));
            return Vec::new();
        };
        let mut out = Vec::new();
        if !self.axfr_busy {
            self.axfr_busy = true;
            let z = zone.clone();
            out.push(ScreenJob::new("axfr", Command::ZoneRecords(Box::new(z))));
        }
        if check && !self.check_busy {
            self.check_busy = true;
            out.push(ScreenJob::new("zone", Command::ZoneHealth(Box::new(zone))));
        }
        out
    }

    /// Lines of the servers box: a heading, one line per server, then each one's problem.
    fn server_lines(&self) -> Vec<Line<'static>> {
        let Some(z) = &self.health else {
            return vec![Line::from(Span::styled(
                "⟳ the servers are being asked…",
                theme::warn(),
            ))];
        };
        let row = |cells: [&str; 8]| {
            format!(
                "{:<12} {:<17} {:<9} {:<3} {:<3} {:>10} {:>8} {}",
                fmt::trunc(cells[0], 12),
                fmt::trunc(cells[1], 17),
                cells[2],
                cells[3],
                cells[4],
                cells[5],
                cells[6],
                cells[7]
            )
        };
        let mut out = vec![Line::from(Span::styled(
            row([
                "Server", "Address", "Type", "Up", "AA", "Serial", "RTT", "Source",
            ]),
            theme::header(),
        ))];
        let yn = |b: bool| if b { "yes" } else { "no" };
        for c in &z.servers {
            let serial = c
                .serial
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into());
            let rtt = c
                .rtt_ms
                .map(|r| format!("{r:.1}ms"))
                .unwrap_or_else(|| "-".into());
            let addr = c.addr.to_string();
            let text = row([
                &c.name,
                &addr,
                c.role_label(),
                yn(c.reachable),
                yn(c.authoritative),
                &serial,
                &rtt,
                c.source_label(),
            ]);
            let style = if c.reachable && c.authoritative {
                ratatui::style::Style::new()
            } else if c.reachable {
                theme::warn()
            } else {
                theme::error()
            };
            out.push(Line::from(Span::styled(text, style)));
        }
        for c in z.servers.iter().filter(|c| c.error.is_some()) {
            out.push(Line::from(Span::styled(
                format!("{}: {}", c.name, c.error.clone().unwrap_or_default()),
                theme::dim(),
            )));
        }
        for p in &z.ns_problems {
            out.push(Line::from(Span::styled(format!("NS: {p}"), theme::warn())));
        }
        out
    }

    fn records_height(&self, size: Rect) -> usize {
        let body = kit::body_height(size);
        body.saturating_sub(self.servers_h(body) + 3) as usize
    }

    fn servers_h(&self, body: u16) -> u16 {
        let n = self
            .health
            .as_ref()
            .map(|z| {
                z.servers.len()
                    + 1
                    + z.servers.iter().filter(|c| c.error.is_some()).count()
                    + z.ns_problems.len()
            })
            .unwrap_or(1) as u16;
        (n + 2).min(body / 2)
    }
}

impl Screen for ZoneDetail {
    fn title(&self) -> String {
        format!("Zone {}", self.name)
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        // The zones screen's check is shown at once; a zone opened before it came back
        // gets its own.
        let check = self.health.is_none();
        ScreenOut {
            jobs: self.jobs(check),
            ..ScreenOut::default()
        }
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let n = match &self.records {
            Some(Ok(r)) => r.len(),
            _ => 0,
        };
        let h = self.records_height(app.size);
        let a = kit::action(ScreenKey::Zones, &key);
        if kit::move_by(&mut self.list, a, n, h) {
            return ScreenOut::none();
        }
        if a == Some(Action::Back) {
            return ScreenOut {
                close: true,
                ..ScreenOut::default()
            };
        }
        ScreenOut::ignored()
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        match label {
            "axfr" => {
                self.axfr_busy = false;
                self.records = Some(kit::take::<Vec<ZoneRecord>>(result));
                self.list = ListState::default();
            }
            "zone" => {
                self.check_busy = false;
                if let Ok(mut z) = kit::take::<ZoneHealth>(result) {
                    // The verdict's start carries over while it holds.
                    if let Some(old) = &self.health {
                        if old.status == z.status {
                            z.since = old.since;
                        }
                    }
                    self.health = Some(z);
                }
            }
            _ => {}
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, force: bool, _app: &ScreenCtx) -> ScreenOut {
        if !force {
            return ScreenOut::none();
        }
        ScreenOut {
            jobs: self.jobs(true),
            ..ScreenOut::default()
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        let sh = self.servers_h(area.height);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(sh), Constraint::Min(0)]).areas(area);
        let mut title = format!(" {} ", self.name);
        if let Some(z) = &self.health {
            title.push_str(&format!(
                "· {} · {} for {} ",
                z.kind.label(),
                z.status,
                fmt::duration((app.now - z.since).max(0))
            ));
        }
        frame.render_widget(
            Paragraph::new(self.server_lines())
                .wrap(Wrap { trim: false })
                .block(
                    Block::bordered()
                        .title(title)
                        .title_bottom(" servers: the primary, [[dns.server]] and NS records "),
                ),
            top,
        );
        match &self.records {
            None => kit::message(
                frame,
                bottom,
                "Records",
                kit::loading_lines("Transferring the zone (AXFR)"),
                theme::warn(),
            ),
            Some(Err(e)) => {
                let mut lines = kit::failure_lines("The zone could not be transferred", e);
                lines.insert(
                    4,
                    Line::from(
                        "The listing needs the primary to allow transfers to ddish \
                         (allow-transfer in named.conf, for the zone's key if it has one).",
                    ),
                );
                kit::message(frame, bottom, "Records", lines, theme::error());
            }
            Some(Ok(recs)) => {
                let h = bottom.height.saturating_sub(3) as usize;
                let l = self.list.fixed(recs.len(), h);
                let rows: Vec<Row> = recs
                    .iter()
                    .enumerate()
                    .skip(l.top)
                    .take(h)
                    .map(|(i, r)| {
                        let row = Row::new(vec![
                            Cell::from(r.name.clone()),
                            Cell::from(r.ttl.to_string()),
                            Cell::from(r.rtype.clone()),
                            Cell::from(r.data.clone()),
                        ]);
                        if i == l.cursor {
                            row.style(theme::selected())
                        } else {
                            row
                        }
                    })
                    .collect();
                let mut title = format!(" Records: {} ", recs.len());
                if self.axfr_busy {
                    title.push_str("· transferring… ");
                }
                frame.render_widget(
                    Table::new(
                        rows,
                        [
                            Constraint::Fill(2),
                            Constraint::Length(6),
                            Constraint::Length(6),
                            Constraint::Fill(3),
                        ],
                    )
                    .header(Row::new(["Name", "TTL", "Type", "Data"]).style(theme::header()))
                    .block(Block::bordered().title(title)),
                    bottom,
                );
            }
        }
    }

    fn hints(&self) -> Vec<(String, String)> {
        // The zones screen's keys; Enter has nothing to open here.
        kit::hints(ScreenKey::Zones, &[Action::Open])
    }

    fn export(&self) -> Option<ScreenTable> {
        let Some(Ok(recs)) = &self.records else {
            return None;
        };
        Some(ScreenTable {
            what: format!("zone-{}", self.name),
            header: ["name", "ttl", "type", "data"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: recs
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.ttl.to_string(),
                        r.rtype.clone(),
                        r.data.clone(),
                    ]
                })
                .collect(),
        })
    }
}
