//! The events screen (`E`): changes made with ddish (the journal) and changes seen on the
//! servers (config changed outside ddish, scopes appearing or vanishing, services down and
//! up, zone serials moving), newest first; a `/` filter in the events query language,
//! the saved `[[query]]`s of the config, Enter to the scope or server, `e` exports the
//! filtered view.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::config::{Config, SavedQuery};
use crate::ops::events::{self, Event, EventQuery, EventsError, Observed};
use crate::ops::Command;
use crate::tui::app::{Status, StatusKind};
use crate::tui::keymap::{Action, Context, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Jump, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::status::kit::{self, Input, InputEvent};

pub fn open(_app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(EventsScreen::default()))
}

const DETAIL_H: u16 = 5;
/// The refresh tick looks at the servers this often (a look refreshes the whole fleet);
/// in between it only re-reads the files.
const OBSERVE_EVERY: i64 = 60;

#[derive(Debug, Default)]
pub struct EventsScreen {
    /// Every event, newest first (filtered here, so typing never waits for a job).
    all: Option<Result<Vec<Event>, String>>,
    loading: bool,
    observing: bool,
    /// When the servers were last looked at from this screen (epoch seconds).
    last_observed: Option<i64>,
    filter: Input,
    /// The filter as last read; kept while the text being typed does not parse.
    query: EventQuery,
    query_error: Option<String>,
    /// Indices into `all` passing `query`.
    shown: Vec<usize>,
    saved: Vec<SavedQuery>,
    /// The saved query in use (index into `saved`).
    saved_at: Option<usize>,
    list: ListState,
}

fn list_job() -> ScreenJob {
    ScreenJob::new("events", Command::Events)
}

/// Refreshes every server and zone and records what changed since the last look.
fn observe_job() -> ScreenJob {
    ScreenJob::new("observe", Command::ObserveChanges)
}

impl EventsScreen {
    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(DETAIL_H + 3) as usize
    }

    fn events(&self) -> &[Event] {
        match &self.all {
            Some(Ok(v)) => v,
            _ => &[],
        }
    }

    fn refilter(&mut self, now: i64) {
        match EventQuery::parse_at(&self.filter.text, now) {
            Ok(q) => {
                self.query = q;
                self.query_error = None;
            }
            Err(e) => self.query_error = Some(e.to_string()),
        }
        let q = &self.query;
        self.shown = self
            .events()
            .iter()
            .enumerate()
            .filter(|(_, e)| q.matches(e))
            .map(|(i, _)| i)
            .collect();
    }

    fn load(&mut self) -> Vec<ScreenJob> {
        if self.loading {
            return Vec::new();
        }
        self.loading = true;
        vec![list_job()]
    }

    fn selected(&self) -> Option<&Event> {
        self.shown
            .get(self.list.cursor)
            .and_then(|i| self.events().get(*i))
    }

    /// `s`: the next saved query, then none again.
    fn next_saved(&mut self, now: i64) -> ScreenOut {
        if self.saved.is_empty() {
            return ScreenOut {
                status: Some(Status {
                    text:
                        "no saved queries: add [[query]] name = \"…\" filter = \"…\" to the config"
                            .into(),
                    kind: StatusKind::Info,
                }),
                ..ScreenOut::default()
            };
        }
        self.saved_at = match self.saved_at {
            None => Some(0),
            Some(i) if i + 1 < self.saved.len() => Some(i + 1),
            Some(_) => None,
        };
        self.filter.text = self
            .saved_at
            .map(|i| self.saved[i].filter.clone())
            .unwrap_or_default();
        self.list = ListState::default();
        self.refilter(now);
        ScreenOut::none()
    }

    fn jump(&self, e: &Event, app: &ScreenCtx) -> Result<Jump, String> {
        if !app.fleet.rows.iter().any(|r| r.name == e.server) {
            return Err(format!(
                "{} is not a DHCP server: nothing to open",
                e.server
            ));
        }
        Ok(match e.scope {
            Some(cidr) => Jump::Scope {
                server: e.server.clone(),
                cidr,
                ip: e.ip,
            },
            None => Jump::Server(e.server.clone()),
        })
    }
}

impl Screen for EventsScreen {
    fn title(&self) -> String {
        "Events".into()
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        let mut jobs = vec![ScreenJob::new("config", Command::Config)];
        jobs.extend(self.load());
        ScreenOut {
            jobs,
            ..ScreenOut::default()
        }
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        if self.filter.editing {
            match self.filter.key(&key) {
                InputEvent::Cancelled => {
                    self.filter.text.clear();
                    self.saved_at = None;
                }
                InputEvent::Changed => self.saved_at = None,
                InputEvent::Done | InputEvent::Other => {}
            }
            self.list = ListState::default();
            self.refilter(app.now);
            return ScreenOut::none();
        }
        let h = Self::table_height(app.size);
        let a = kit::action(ScreenKey::Events, &key);
        if kit::move_by(&mut self.list, a, self.shown.len(), h) {
            return ScreenOut::none();
        }
        match a {
            Some(Action::Filter) => {
                self.filter.editing = true;
                ScreenOut::none()
            }
            Some(Action::SavedQuery) => self.next_saved(app.now),
            Some(Action::Observe) => {
                if self.observing {
                    return ScreenOut::none();
                }
                self.observing = true;
                self.last_observed = Some(app.now);
                ScreenOut {
                    jobs: vec![observe_job()],
                    status: Some(Status {
                        text: "looking at every server and zone for changes…".into(),
                        kind: StatusKind::Busy,
                    }),
                    ..ScreenOut::default()
                }
            }
            Some(Action::Back) if !self.filter.text.is_empty() => {
                self.filter.text.clear();
                self.saved_at = None;
                self.refilter(app.now);
                ScreenOut::none()
            }
            Some(Action::Open) => {
                let Some(e) = self.selected() else {
                    return ScreenOut::none();
                };
                ScreenOut::jump_or_say(self.jump(e, app))
            }
            _ => ScreenOut::ignored(),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, app: &ScreenCtx) -> ScreenOut {
        match label {
            "config" => {
                if let Ok(cfg) = kit::take::<Config>(result) {
                    self.saved = cfg.queries;
                }
            }
            "events" => {
                self.loading = false;
                let keep = self.selected().cloned();
                self.all = Some(
                    kit::take::<Result<Vec<Event>, EventsError>>(result)
                        .and_then(|r| r.map_err(|e| e.to_string())),
                );
                self.refilter(app.now);
                // The cursor stays on the same event when new ones arrive above it.
                if let Some(k) = keep {
                    if let Some(p) = self.shown.iter().position(|i| self.events()[*i] == k) {
                        self.list.cursor = p;
                    }
                }
                self.list
                    .fix(self.shown.len(), Self::table_height(app.size));
            }
            "observe" => {
                self.observing = false;
                let status = match kit::take::<Result<Observed, EventsError>>(result)
                    .and_then(|r| r.map_err(|e| e.to_string()))
                {
                    Ok(o) if o.first => Status {
                        text: "first look at the servers recorded: changes show from now on".into(),
                        kind: StatusKind::Info,
                    },
                    Ok(o) => Status {
                        text: format!(
                            "{} new event{} seen on the servers",
                            o.events.len(),
                            super::status::plural(o.events.len())
                        ),
                        kind: StatusKind::Info,
                    },
                    Err(e) => Status {
                        text: format!("looking for changes failed: {e}"),
                        kind: StatusKind::Error,
                    },
                };
                return ScreenOut {
                    jobs: self.load(),
                    status: Some(status),
                    ..ScreenOut::default()
                };
            }
            _ => {}
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, force: bool, app: &ScreenCtx) -> ScreenOut {
        // The timer re-reads the files (cheap) and looks at the servers once a minute, so
        // changes on them show up while the screen is open; `r` looks at once.
        let mut jobs = self.load();
        let due = self
            .last_observed
            .is_none_or(|t| app.now - t >= OBSERVE_EVERY);
        if (force || due) && !self.observing {
            self.observing = true;
            self.last_observed = Some(app.now);
            jobs.push(observe_job());
        }
        ScreenOut {
            jobs,
            ..ScreenOut::default()
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        let [table_area, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
        match &self.all {
            None => {
                return kit::message(
                    frame,
                    area,
                    "Events",
                    kit::loading_lines("Reading the journal and the events seen"),
                    theme::warn(),
                )
            }
            Some(Err(e)) => {
                return kit::message(
                    frame,
                    area,
                    "Events",
                    kit::failure_lines("The events could not be read", e),
                    theme::error(),
                )
            }
            Some(Ok(_)) => {}
        }
        let wide = area.width >= 110;
        let h = table_area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(self.shown.len(), h);
        let all = self.events();
        let rows: Vec<Row> = self
            .shown
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(pos, i)| {
                let e = &all[*i];
                let kind_style = if e.kind.is_observed() {
                    theme::warn()
                } else {
                    ratatui::style::Style::new()
                };
                let mut cells = vec![
                    Cell::from(fmt::datetime_short(e.time, app.utc_offset)),
                    Cell::from(e.server.clone()),
                    Cell::from(Span::styled(e.kind.label().to_string(), kind_style)),
                ];
                if wide {
                    cells.push(Cell::from(e.user.clone()));
                }
                cells.push(Cell::from(e.description.clone()));
                let row = Row::new(cells);
                if pos == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(16),
            Constraint::Length(if wide { 16 } else { 10 }),
            Constraint::Length(if wide { 28 } else { 14 }),
        ];
        let mut head = vec!["Time", "Server", "Kind"];
        if wide {
            widths.push(Constraint::Length(18));
            head.push("User");
        }
        widths.push(Constraint::Fill(1));
        head.push("Description");

        let n = all.len();
        let mut title = if self.filter.text.is_empty() {
            format!(" Events: {n} ")
        } else {
            format!(" Events: {} of {n} ", self.shown.len())
        };
        if let Some(i) = self.saved_at {
            title.push_str(&format!("· saved query {} ", self.saved[i].name));
        }
        if self.loading || self.observing {
            title.push_str("· reading… ");
        }
        let mut bottom = Vec::new();
        if self.filter.editing || !self.filter.text.is_empty() {
            bottom.push(Span::raw(" "));
            bottom.extend(self.filter.spans("/"));
            bottom.push(Span::raw(" "));
        }
        if let Some(e) = &self.query_error {
            bottom.push(Span::styled(format!(" {e} "), theme::error()));
        } else if n > 0 && self.shown.is_empty() {
            bottom.push(Span::raw(" nothing matches the filter "));
        } else if n == 0 {
            bottom.push(Span::raw(
                " no events yet: changes made with ddish and those seen by o / r show here ",
            ));
        }
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(head).style(theme::header()))
                .block(
                    Block::bordered()
                        .title(title)
                        .title_bottom(Line::from(bottom)),
                ),
            table_area,
        );
        let detail = match self.selected() {
            Some(e) => {
                let mut first = vec![
                    Span::styled(format!("{} ", e.kind.label()), theme::header()),
                    Span::raw(format!(
                        "on {} at {}",
                        e.server,
                        fmt::datetime(e.time, app.utc_offset)
                    )),
                ];
                if !e.user.is_empty() {
                    first.push(Span::raw(format!(" by {}", e.user)));
                }
                if let Some(r) = &e.result {
                    let style = if r == "ok" {
                        theme::ok()
                    } else {
                        theme::error()
                    };
                    first.push(Span::raw(" · "));
                    first.push(Span::styled(r.clone(), style));
                }
                vec![Line::from(first), Line::from(e.description.clone())]
            }
            None => vec![Line::from(Span::styled(
                "filter: words, \"phrases\", server: kind: user: result: desc:, an IP or CIDR, since:2h, -word",
                theme::dim(),
            ))],
        };
        frame.render_widget(
            Paragraph::new(detail)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Selected ")),
            detail_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        if self.filter.editing {
            kit::typing_hints(Context::Filter, &[])
        } else {
            kit::hints(ScreenKey::Events, &[])
        }
    }

    fn typing(&self) -> bool {
        self.filter.editing
    }

    fn export(&self) -> Option<ScreenTable> {
        let all = self.events();
        Some(ScreenTable {
            what: "events".into(),
            header: events::CSV_HEADER.iter().map(|s| s.to_string()).collect(),
            rows: self.shown.iter().map(|i| all[*i].row()).collect(),
        })
    }
}
