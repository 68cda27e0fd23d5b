//! The review screen (`V`): what is wrong or suspicious in every server's configuration
//! (`ddish review`), worst first; Enter opens the scope (and address) a finding is about.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::model::review::{Finding, Severity};
use crate::ops::{Command, ServerReview};
use crate::tui::keymap::{Action, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Jump, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::status::kit;

pub fn open(_app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(ReviewScreen::default()))
}

const DETAIL_H: u16 = 5;

#[derive(Debug, Default)]
pub struct ReviewScreen {
    /// `None` while the servers are being read.
    result: Option<Result<Vec<ServerReview>, String>>,
    /// Every finding with its server, worst first across servers.
    rows: Vec<(String, Finding)>,
    list: ListState,
}

fn job() -> ScreenJob {
    ScreenJob::new("review", Command::Review { servers: vec![] })
}

fn severity_span(s: Severity) -> Span<'static> {
    match s {
        Severity::Error => Span::styled("✗ error", theme::error()),
        Severity::Warning => Span::styled("⚠ warning", theme::warn()),
        Severity::Info => Span::styled("· info", theme::dim()),
    }
}

impl ReviewScreen {
    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(DETAIL_H + 3) as usize
    }

    fn take(&mut self, r: Result<Vec<ServerReview>, String>) {
        self.rows = match &r {
            Ok(v) => {
                let mut rows: Vec<(String, Finding)> = v
                    .iter()
                    .filter_map(|s| s.findings.as_ref().ok().map(|f| (s, f)))
                    .flat_map(|(s, f)| f.iter().map(|x| (s.server.clone(), x.clone())))
                    .collect();
                rows.sort_by_key(|r| r.1.severity);
                rows
            }
            Err(_) => Vec::new(),
        };
        self.result = Some(r);
        self.list = ListState::default();
    }

    fn unread(&self) -> Vec<String> {
        match &self.result {
            Some(Ok(v)) => v
                .iter()
                .filter_map(|s| {
                    s.findings
                        .as_ref()
                        .err()
                        .map(|e| format!("{}: {e}", s.server))
                })
                .collect(),
            Some(Err(e)) => vec![e.clone()],
            None => Vec::new(),
        }
    }
}

impl Screen for ReviewScreen {
    fn title(&self) -> String {
        "Configuration review".into()
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut::job(job())
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        let a = kit::action(ScreenKey::Review, &key);
        if kit::move_by(
            &mut self.list,
            a,
            self.rows.len(),
            Self::table_height(app.size),
        ) {
            return ScreenOut::none();
        }
        if a != Some(Action::Open) {
            return ScreenOut::ignored();
        }
        let Some((server, f)) = self.rows.get(self.list.cursor) else {
            return ScreenOut::none();
        };
        ScreenOut::jump_or_say(match f.scope {
            Some(cidr) => Ok(Jump::Scope {
                server: server.clone(),
                cidr,
                ip: f.ip,
            }),
            None => Err(format!(
                "this finding is about {server} as a whole: no scope to open"
            )),
        })
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        if label == "review" {
            self.take(kit::take::<Vec<ServerReview>>(result));
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, force: bool, _app: &ScreenCtx) -> ScreenOut {
        // Only on r: a review reads every configuration whole.
        if force {
            self.result = None;
            return ScreenOut::job(job());
        }
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, _app: &ScreenCtx) {
        let [table_area, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
        let h = table_area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(self.rows.len(), h);
        let rows: Vec<Row> = self
            .rows
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(i, (server, f))| {
                let row = Row::new([
                    Cell::from(severity_span(f.severity)),
                    Cell::from(server.clone()),
                    Cell::from(f.scope.map(|s| s.to_string()).unwrap_or_else(|| "-".into())),
                    Cell::from(f.text.clone()),
                ]);
                if i == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let count = |s: Severity| self.rows.iter().filter(|r| r.1.severity == s).count();
        let mut block = Block::bordered().title(format!(
            " Findings: {} errors, {} warnings, {} notes ",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        ));
        if self.rows.is_empty() {
            block = block.title_bottom(match &self.result {
                None => " reading every server's configuration… ",
                Some(_) if !self.unread().is_empty() => " nothing found on the servers read ",
                Some(_) => " no findings: every configuration is clean ",
            });
        }
        let widths = [
            Constraint::Length(9),
            Constraint::Length(12),
            Constraint::Length(18),
            Constraint::Fill(1),
        ];
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(["Severity", "Server", "Scope", "Finding"]).style(theme::header()))
                .block(block),
            table_area,
        );
        let mut lines: Vec<Line> = Vec::new();
        let unread = self.unread();
        if !unread.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("Not reviewed: {}", unread.join("; ")),
                theme::error(),
            )));
        }
        if let Some((server, f)) = self.rows.get(l.cursor) {
            lines.push(Line::from(vec![
                severity_span(f.severity),
                Span::raw(format!(" {} on {server}: ", f.check)),
                Span::raw(f.text.clone()),
            ]));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Selected ")),
            detail_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        kit::hints(ScreenKey::Review, &[])
    }

    fn export(&self) -> Option<ScreenTable> {
        Some(ScreenTable {
            what: "review".into(),
            header: ["severity", "server", "check", "scope", "ip", "finding"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|(server, f)| {
                    vec![
                        f.severity.word().to_string(),
                        server.clone(),
                        f.check.to_string(),
                        f.scope.map(|s| s.to_string()).unwrap_or_default(),
                        f.ip.map(|i| i.to_string()).unwrap_or_default(),
                        fmt::trunc(&f.text, 10_000),
                    ]
                })
                .collect(),
        })
    }
}
