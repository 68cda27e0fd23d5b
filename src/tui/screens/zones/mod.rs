//! The zones screen (`Z`): every configured DNS zone, forward / IPv4 reverse / IPv6
//! reverse, with its verdict across its servers and how long that has lasted; Enter opens
//! a zone's per-server checks and its records by zone transfer (`detail.rs`).
mod detail;

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ops::fleet::StateClock;
use crate::ops::zones::{self, ZoneHealth, ZoneKind, ZoneServerCheck, ZoneStatus};
use crate::ops::Command;
use crate::tui::keymap::{Action, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::status::kit;

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    if app.dns.zones.is_empty() {
        return Err(
            "no DNS zones configured: add [[dns.zone]] entries (name, primary) to the config"
                .into(),
        );
    }
    Ok(Box::new(ZonesScreen::new(app)))
}

const DETAIL_H: u16 = 4;

#[derive(Debug)]
pub struct ZonesScreen {
    /// Configured zones (name, kind), shown while the first check runs.
    configured: Vec<(String, ZoneKind)>,
    zones: Option<Vec<ZoneHealth>>,
    error: Option<String>,
    busy: bool,
    clock: StateClock,
    list: ListState,
}

/// One line: a section heading or a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Kind(ZoneKind),
    Zone(usize),
}

impl ZonesScreen {
    fn new(app: &ScreenCtx) -> ZonesScreen {
        let mut configured: Vec<(String, ZoneKind)> = app
            .dns
            .zones
            .iter()
            .map(|z| {
                let n = z.name.trim_end_matches('.').to_string();
                let k = ZoneKind::of(&n);
                (n, k)
            })
            .collect();
        configured.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        ZonesScreen {
            configured,
            zones: None,
            error: None,
            busy: false,
            clock: StateClock::default(),
            // The first zone, under its heading.
            list: ListState { cursor: 1, top: 0 },
        }
    }

    fn job(&mut self) -> Vec<ScreenJob> {
        if self.busy {
            return Vec::new();
        }
        self.busy = true;
        vec![ScreenJob::new("zones", Command::ZonesHealth)]
    }

    fn count(&self) -> usize {
        match &self.zones {
            Some(z) => z.len(),
            None => self.configured.len(),
        }
    }

    fn name_kind(&self, i: usize) -> (&str, ZoneKind) {
        match &self.zones {
            Some(z) => (z[i].zone.as_str(), z[i].kind),
            None => (self.configured[i].0.as_str(), self.configured[i].1),
        }
    }

    fn health(&self, i: usize) -> Option<&ZoneHealth> {
        self.zones.as_ref().and_then(|z| z.get(i))
    }

    fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        let mut last = None;
        for i in 0..self.count() {
            let k = self.name_kind(i).1;
            if last != Some(k) {
                out.push(Item::Kind(k));
                last = Some(k);
            }
            out.push(Item::Zone(i));
        }
        out
    }

    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(DETAIL_H + 3) as usize
    }
}

/// The verdict with a glyph, coloured.
fn status_span(s: &ZoneStatus) -> Span<'static> {
    match s {
        ZoneStatus::Ok => Span::styled("✓ OK", theme::ok()),
        ZoneStatus::SerialsDiffer { .. } => Span::styled("≠ serials differ", theme::warn()),
        ZoneStatus::SomeDown { .. } => Span::styled("! some servers down", theme::error()),
        ZoneStatus::AllDown => Span::styled("✗ all down", theme::error()),
    }
}

/// The servers that count for the verdict (as `zones::verdict` counts them), and how many
/// of them serve the zone.
pub(super) fn up_of(checks: &[ZoneServerCheck]) -> (usize, usize) {
    let relevant = checks
        .iter()
        .filter(|c| c.primary || !c.reachable || c.authoritative);
    let (mut up, mut n) = (0, 0);
    for c in relevant {
        n += 1;
        if c.reachable && c.authoritative {
            up += 1;
        }
    }
    (up, n)
}

/// The newest serial among the servers that hold the zone.
fn newest_serial(checks: &[ZoneServerCheck]) -> Option<u32> {
    checks
        .iter()
        .filter(|c| c.reachable && c.authoritative)
        .filter_map(|c| c.serial)
        .reduce(|a, b| {
            if a != b && (b.wrapping_sub(a) as i32) > 0 {
                b
            } else {
                a
            }
        })
}

impl Screen for ZonesScreen {
    fn title(&self) -> String {
        "DNS zones".into()
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut {
            jobs: self.job(),
            ..ScreenOut::default()
        }
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let items = self.items();
        let h = Self::table_height(app.size);
        let a = kit::action(ScreenKey::Zones, &key);
        if kit::move_by(&mut self.list, a, items.len(), h) {
            // Headings are passed over, in the direction of the move.
            let up = matches!(a, Some(Action::Up | Action::PageUp));
            if let Some(Item::Kind(_)) = items.get(self.list.cursor) {
                if up && self.list.cursor > 0 {
                    self.list.cursor -= 1;
                } else {
                    self.list.step(1, items.len());
                }
                self.list.fix(items.len(), h);
            }
            return ScreenOut::none();
        }
        if a != Some(Action::Open) {
            return ScreenOut::ignored();
        }
        let Some(Item::Zone(i)) = items.get(self.list.cursor) else {
            return ScreenOut::none();
        };
        let name = self.name_kind(*i).0.to_string();
        let cfg = app
            .dns
            .zones
            .iter()
            .find(|z| z.name.trim_end_matches('.') == name)
            .cloned();
        ScreenOut {
            open: Some(Box::new(detail::ZoneDetail::new(
                name,
                self.health(*i).cloned(),
                cfg,
            ))),
            ..ScreenOut::default()
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        if label == "zones" {
            self.busy = false;
            match kit::take::<Vec<ZoneHealth>>(result) {
                Ok(mut z) => {
                    zones::track_since(&mut self.clock, &mut z);
                    self.zones = Some(z);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, _force: bool, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut {
            jobs: self.job(),
            ..ScreenOut::default()
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        let [table_area, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
        let items = self.items();
        let h = table_area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(items.len(), h);
        let rows: Vec<Row> = items
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(pos, it)| {
                let row = match *it {
                    Item::Kind(k) => {
                        let n = (0..self.count())
                            .filter(|i| self.name_kind(*i).1 == k)
                            .count();
                        Row::new(vec![Cell::from(format!("{} zones ({n})", cap(k.label())))])
                            .style(theme::header())
                    }
                    Item::Zone(i) => self.zone_row(i, app),
                };
                if pos == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Fill(1),
            Constraint::Length(20),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(11),
        ];
        let mut title = format!(" DNS zones: {} ", self.count());
        if let Some(z) = &self.zones {
            let bad = z.iter().filter(|z| !z.status.is_ok()).count();
            title.push_str(&format!("· {} OK · {bad} with problems ", z.len() - bad));
        }
        if self.busy {
            title.push_str("· checking… ");
        }
        let mut block = Block::bordered().title(title);
        if let Some(e) = &self.error {
            block = block.title_bottom(Line::from(Span::styled(
                format!(
                    " check failed: {} ",
                    fmt::trunc(e, area.width as usize - 20)
                ),
                theme::error(),
            )));
        }
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(["Zone", "Status", "For", "Up", "Serial"]).style(theme::header()))
                .block(block),
            table_area,
        );
        let detail = match items.get(l.cursor) {
            Some(Item::Zone(i)) => self.detail(*i, app),
            Some(Item::Kind(k)) => vec![Line::from(format!(
                "{} zones: asked for their SOA on the primary and every configured DNS server.",
                cap(k.label())
            ))],
            None => Vec::new(),
        };
        frame.render_widget(
            Paragraph::new(detail)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Selected ")),
            detail_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        kit::hints(ScreenKey::Zones, &[])
    }

    fn export(&self) -> Option<ScreenTable> {
        let zones = self.zones.as_ref()?;
        let mut rows = Vec::new();
        for z in zones {
            for c in &z.servers {
                rows.push(vec![
                    z.zone.clone(),
                    z.kind.label().to_string(),
                    z.status.to_string(),
                    fmt::datetime(z.since, 0),
                    c.name.clone(),
                    c.addr.to_string(),
                    c.role_label().to_string(),
                    c.reachable.to_string(),
                    c.authoritative.to_string(),
                    c.serial.map(|s| s.to_string()).unwrap_or_default(),
                    c.rtt_ms.map(|r| format!("{r:.1}")).unwrap_or_default(),
                    c.error.clone().unwrap_or_default(),
                ]);
            }
        }
        Some(ScreenTable {
            what: "zones".into(),
            header: [
                "zone",
                "kind",
                "status",
                "status_since_utc",
                "server",
                "address",
                "type",
                "reachable",
                "authoritative",
                "serial",
                "rtt_ms",
                "error",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows,
        })
    }
}

impl ZonesScreen {
    fn zone_row(&self, i: usize, app: &ScreenCtx) -> Row<'static> {
        let (name, _) = self.name_kind(i);
        let name = Cell::from(format!(" {name}"));
        let Some(z) = self.health(i) else {
            return Row::new(vec![
                name,
                Cell::from(Span::styled("… checking", theme::warn())),
            ]);
        };
        let (up, n) = up_of(&z.servers);
        Row::new(vec![
            name,
            Cell::from(status_span(&z.status)),
            Cell::from(fmt::duration((app.now - z.since).max(0))),
            Cell::from(format!("{up}/{n}")),
            Cell::from(
                newest_serial(&z.servers)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
        ])
    }

    fn detail(&self, i: usize, app: &ScreenCtx) -> Vec<Line<'static>> {
        let (name, kind) = self.name_kind(i);
        let head = Span::styled(format!("{name} "), theme::header());
        let Some(z) = self.health(i) else {
            return vec![Line::from(vec![
                head,
                Span::raw(format!("({}) · being checked", kind.label())),
            ])];
        };
        let style = if z.status.is_ok() {
            theme::ok()
        } else {
            theme::error()
        };
        vec![
            Line::from(vec![
                head,
                Span::styled(z.status.to_string(), style),
                Span::raw(format!(
                    " since {} ({})",
                    fmt::clock(z.since, app.utc_offset),
                    fmt::duration((app.now - z.since).max(0))
                )),
            ]),
            Line::from(Span::styled(
                format!(
                    "checked {} · Enter: each server's answer and the records",
                    fmt::clock(z.checked_at, app.utc_offset)
                ),
                theme::dim(),
            )),
        ]
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
