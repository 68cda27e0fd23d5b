//! The alerts screen (`A`): active scopes over or under their utilization thresholds on
//! every server, worst first; Enter opens the scope. Servers are read in the background a
//! bounded number at a time (the same poller as the status screen); the list grows as
//! they answer, and the servers that could not be read are named.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::model::UtilBand;
use crate::ops::fleet::{self, ServiceStatus, UtilAlert};
use crate::tui::keymap::{Action, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Jump, Screen, ScreenCtx, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::status::kit::{self, Poller};

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    if app.fleet.rows.is_empty() {
        return Err("no DHCP servers configured: add [[server]] entries to the config".into());
    }
    Ok(Box::new(AlertsScreen::new(app)))
}

const INFO_H: u16 = 4;
const BAR_W: usize = 6;

#[derive(Debug)]
pub struct AlertsScreen {
    poll: Poller,
    /// The last answer of each server that answered (scope trees kept).
    rows: Vec<ServiceStatus>,
    alerts: Vec<UtilAlert>,
    list: ListState,
}

impl AlertsScreen {
    fn new(app: &ScreenCtx) -> AlertsScreen {
        let names = app.fleet.rows.iter().map(|r| r.name.clone()).collect();
        let mut poll = Poller::new("alerts", names, kit::DEFAULT_INTERVAL);
        poll.keep_trees = true;
        AlertsScreen {
            poll,
            rows: Vec::new(),
            alerts: Vec::new(),
            list: ListState::default(),
        }
    }

    fn read_all(&mut self, app: &ScreenCtx) -> ScreenOut {
        self.poll.want(self.poll.names().to_vec());
        ScreenOut {
            jobs: self.poll.pump(app.now),
            ..ScreenOut::default()
        }
    }

    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(INFO_H + 3) as usize
    }

    fn failing(&self) -> Vec<&ServiceStatus> {
        self.rows.iter().filter(|r| !r.state.is_ok()).collect()
    }
}

impl Screen for AlertsScreen {
    fn title(&self) -> String {
        "Utilization alerts".into()
    }

    fn start(&mut self, app: &ScreenCtx) -> ScreenOut {
        self.read_all(app)
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let n = self.alerts.len();
        let a = kit::action(ScreenKey::Alerts, &key);
        if kit::move_by(&mut self.list, a, n, Self::table_height(app.size)) {
            return ScreenOut::none();
        }
        if a != Some(Action::Open) {
            return ScreenOut::ignored();
        }
        match self.alerts.get(self.list.cursor) {
            Some(a) => ScreenOut {
                jump: Some(Jump::Scope {
                    server: a.server.clone(),
                    cidr: a.scope,
                    ip: None,
                }),
                ..ScreenOut::default()
            },
            None => ScreenOut::none(),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, app: &ScreenCtx) -> ScreenOut {
        if !self.poll.owns(label) {
            return ScreenOut::none();
        }
        let selected = self
            .alerts
            .get(self.list.cursor)
            .map(|a| (a.server.clone(), a.scope));
        for r in self.poll.done(label, result, app.now) {
            match self.rows.iter_mut().find(|x| x.name == r.name) {
                Some(x) => *x = r,
                None => self.rows.push(r),
            }
        }
        self.alerts = fleet::utilization_alerts(&self.rows, app.thresholds);
        // The cursor stays on the same scope while the list grows.
        if let Some(sel) = selected {
            if let Some(p) = self
                .alerts
                .iter()
                .position(|a| (a.server.as_str(), a.scope) == (sel.0.as_str(), sel.1))
            {
                self.list.cursor = p;
            }
        }
        self.list
            .fix(self.alerts.len(), Self::table_height(app.size));
        ScreenOut {
            jobs: self.poll.pump(app.now),
            ..ScreenOut::default()
        }
    }

    fn on_refresh(&mut self, force: bool, app: &ScreenCtx) -> ScreenOut {
        if force {
            return self.read_all(app);
        }
        ScreenOut {
            jobs: self.poll.pump(app.now),
            ..ScreenOut::default()
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        let [table_area, info_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(INFO_H)]).areas(area);
        let wide = area.width >= 110;
        let h = table_area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(self.alerts.len(), h);
        let rows: Vec<Row> = self
            .alerts
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(i, a)| {
                let band = match a.band {
                    UtilBand::Over => Span::styled("▲ over", theme::error()),
                    _ => Span::styled(
                        "▼ under",
                        ratatui::style::Style::new().fg(theme::band_color(a.band)),
                    ),
                };
                let past = match a.band {
                    UtilBand::Over => format!("+{:.1}", a.distance),
                    _ => format!("-{:.1}", a.distance),
                };
                let mut cells = vec![
                    Cell::from(band),
                    Cell::from(a.server.clone()),
                    Cell::from(a.scope.to_string()),
                    Cell::from(Line::from(fmt::util_bar(
                        a.utilization,
                        BAR_W,
                        app.thresholds,
                    ))),
                    Cell::from(format!("{}/{}", a.utilization.used, a.utilization.total)),
                    Cell::from(past),
                ];
                cells.push(Cell::from(a.title.clone().unwrap_or_default()));
                let row = Row::new(cells);
                if i == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(7),
            Constraint::Length(if wide { 20 } else { 12 }),
            Constraint::Length(18),
            Constraint::Length(BAR_W as u16 + 8),
            Constraint::Length(if wide { 15 } else { 9 }),
            Constraint::Length(6),
            Constraint::Fill(1),
        ];
        let over = self
            .alerts
            .iter()
            .filter(|a| a.band == UtilBand::Over)
            .count();
        let mut title = format!(" Alerts: {over} over, {} under ", self.alerts.len() - over);
        if self.poll.busy_count() > 0 {
            title.push_str(&format!("· reading {} servers… ", self.poll.busy_count()));
        }
        let mut block = Block::bordered().title(title);
        if self.alerts.is_empty() {
            block = block.title_bottom(if self.rows.is_empty() {
                " reading the servers… "
            } else {
                " every active scope is within its thresholds "
            });
        }
        frame.render_widget(
            Table::new(rows, widths)
                .header(
                    Row::new([
                        "Band",
                        "Server",
                        "Scope",
                        "Utilization",
                        "Used",
                        "Past",
                        "Title",
                    ])
                    .style(theme::header()),
                )
                .block(block),
            table_area,
        );

        let t = app.thresholds;
        let read = self.rows.len() - self.failing().len();
        let mut lines = vec![Line::from(vec![
            Span::raw(format!(
                "Over ≥ {:.0}% · under < {:.0}% · {read} of {} servers read",
                t.over,
                t.under,
                self.poll.names().len()
            )),
            Span::styled(" · inactive and empty scopes are left out", theme::dim()),
        ])];
        let failing = self.failing();
        if !failing.is_empty() {
            let names: Vec<String> = failing
                .iter()
                .map(|r| format!("{} ({})", r.name, r.state.label()))
                .collect();
            lines.push(Line::from(Span::styled(
                format!("Not read: {}", names.join(", ")),
                theme::error(),
            )));
        } else if let Some(a) = self.alerts.get(l.cursor) {
            lines.push(Line::from(Span::styled(
                format!("Enter opens {} on {}", a.scope, a.server),
                theme::dim(),
            )));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Fleet ")),
            info_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        kit::hints(ScreenKey::Alerts, &[])
    }

    fn export(&self) -> Option<ScreenTable> {
        Some(ScreenTable {
            what: "alerts".into(),
            header: [
                "band",
                "server",
                "scope",
                "title",
                "used",
                "total",
                "utilization_pct",
                "past_threshold_points",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: self
                .alerts
                .iter()
                .map(|a| {
                    vec![
                        a.band.label().to_string(),
                        a.server.clone(),
                        a.scope.to_string(),
                        a.title.clone().unwrap_or_default(),
                        a.utilization.used.to_string(),
                        a.utilization.total.to_string(),
                        format!("{:.1}", a.utilization.percent()),
                        format!("{:.1}", a.distance),
                    ]
                })
                .collect(),
        })
    }
}
