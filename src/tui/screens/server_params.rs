//! The server parameters screen (`O`, issue 13 item 3): the global parameters of the server
//! in view (or selected on the Servers tab) with their values; Enter changes one: the value
//! is checked as typed, the preview shows what changes on the server, y writes it through
//! the safe write (the server and its HA peers), then the values are read again.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::config::Role;
use crate::model::server_params;
use crate::ops::bulk::{BulkChange, BulkOp, ServerOutcome, ServerPreview, Target};
use crate::ops::{Command, ParamValue};
use crate::tui::keymap::{Action, Context, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::change_view;
use super::status::kit::{self, Input, InputEvent};

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    let server = app.server_in_view('O')?;
    let admin = app.rights_for(&server).allows(Role::Admin) && !app.read_only;
    Ok(Box::new(ParamsScreen {
        server,
        admin,
        values: None,
        list: ListState::default(),
        input: Input::default(),
        invalid: None,
        change: None,
        preview: None,
        outcome: None,
        busy: None,
    }))
}

const DETAIL_H: u16 = 7;

#[derive(Debug)]
pub struct ParamsScreen {
    server: String,
    admin: bool,
    values: Option<Result<Vec<ParamValue>, String>>,
    list: ListState,
    /// The value being typed for the selected parameter.
    input: Input,
    invalid: Option<String>,
    /// The change checked and previewed, waiting for y.
    change: Option<BulkChange>,
    preview: Option<Result<Vec<ServerPreview>, String>>,
    /// What the last write did.
    outcome: Option<Result<Vec<ServerOutcome>, String>>,
    /// What is running ("reading", "previewing", "writing").
    busy: Option<&'static str>,
}

impl ParamsScreen {
    fn rows(&self) -> &[ParamValue] {
        match &self.values {
            Some(Ok(v)) => v,
            _ => &[],
        }
    }

    fn read(&mut self) -> ScreenOut {
        self.busy = Some("reading");
        ScreenOut::job(ScreenJob::new(
            "params",
            Command::ServerParams {
                server: self.server.clone(),
            },
        ))
    }

    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(DETAIL_H + 3) as usize
    }

    /// Enter on a typed value: checked, then the preview asked for.
    fn typed(&mut self) -> ScreenOut {
        let Some(p) = self.rows().get(self.list.cursor).map(|v| v.param) else {
            return ScreenOut::none();
        };
        let value = match server_params::parse(p.name, &self.input.text) {
            Ok(v) => v,
            Err(e) => {
                self.invalid = Some(e);
                self.input.editing = true;
                return ScreenOut::none();
            }
        };
        let change = match BulkChange::new(
            Target::Servers(vec![self.server.clone()]),
            BulkOp::Params(vec![(p.name.to_string(), value)]),
        ) {
            Ok(c) => c,
            Err(e) => {
                self.invalid = Some(e.to_string());
                self.input.editing = true;
                return ScreenOut::none();
            }
        };
        self.invalid = None;
        self.change = Some(change.clone());
        self.preview = None;
        self.busy = Some("previewing");
        ScreenOut::job(ScreenJob::new(
            "preview",
            Command::BulkPreview(Box::new(change)),
        ))
    }
}

impl Screen for ParamsScreen {
    fn title(&self) -> String {
        format!("Server parameters · {}", self.server)
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        self.read()
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        if self.input.editing {
            return match self.input.key(&key) {
                InputEvent::Done => self.typed(),
                InputEvent::Cancelled => {
                    self.invalid = None;
                    ScreenOut::none()
                }
                InputEvent::Changed => {
                    self.invalid = None;
                    ScreenOut::none()
                }
                InputEvent::Other => ScreenOut::none(),
            };
        }
        let a = kit::action(ScreenKey::ServerParams, &key);
        let n = self.rows().len();
        if self.change.is_none() && kit::move_by(&mut self.list, a, n, Self::table_height(app.size))
        {
            return ScreenOut::none();
        }
        match a {
            Some(Action::Edit | Action::Yes) if !self.admin => ScreenOut::say(format!(
                "changing {}'s parameters needs role = \"admin\" (and no --read-only)",
                self.server
            )),
            Some(Action::Edit) if self.busy.is_none() && self.change.is_none() => {
                let Some(v) = self.rows().get(self.list.cursor) else {
                    return ScreenOut::none();
                };
                // Start from the value as it is (text without its quotes).
                self.input.text = match &v.value {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(x) => x.to_string(),
                    None => String::new(),
                };
                self.input.editing = true;
                self.outcome = None;
                ScreenOut::none()
            }
            _ => change_view::yes_no(a, &mut self.change, &mut self.preview, &mut self.busy)
                .unwrap_or_else(ScreenOut::ignored),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        self.busy = None;
        match label {
            "params" => {
                self.values = Some(kit::take::<Vec<ParamValue>>(result));
            }
            "preview" => {
                self.preview = Some(kit::take::<Vec<ServerPreview>>(result));
            }
            "apply" => {
                self.preview = None;
                self.outcome = Some(kit::take::<Vec<ServerOutcome>>(result));
                return self.read();
            }
            _ => {}
        }
        ScreenOut::none()
    }

    fn on_refresh(&mut self, force: bool, _app: &ScreenCtx) -> ScreenOut {
        if force && self.busy.is_none() {
            return self.read();
        }
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, _app: &ScreenCtx) {
        let [table_area, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
        match &self.values {
            None => kit::message(
                frame,
                table_area,
                "Parameters",
                kit::loading_lines(&format!("Reading {}'s configuration", self.server)),
                theme::warn(),
            ),
            Some(Err(e)) => kit::message(
                frame,
                table_area,
                "Parameters",
                kit::failure_lines(&format!("Could not read {}", self.server), e),
                theme::error(),
            ),
            Some(Ok(v)) => self.draw_table(frame, table_area, v),
        }
        frame.render_widget(
            Paragraph::new(self.detail_lines())
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(match (&self.change, self.busy) {
                    (_, Some(b)) => format!(" {b}… "),
                    (Some(_), None) => " Change · y applies, n drops it ".to_string(),
                    (None, None) => " Selected ".to_string(),
                })),
            detail_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        if self.input.editing {
            kit::typing_hints(Context::Form, &[Action::Open, Action::Back])
        } else if self.change.is_some() {
            kit::hints(ScreenKey::ServerParams, &[Action::Edit, Action::Refresh])
        } else {
            kit::hints(ScreenKey::ServerParams, &[Action::Yes, Action::No])
        }
    }

    fn typing(&self) -> bool {
        self.input.editing
    }

    fn export(&self) -> Option<ScreenTable> {
        Some(ScreenTable {
            what: format!("parameters-{}", self.server),
            header: ["server", "group", "parameter", "value"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: self
                .rows()
                .iter()
                .map(|v| {
                    vec![
                        self.server.clone(),
                        v.param.group.to_string(),
                        v.param.name.to_string(),
                        v.value
                            .as_ref()
                            .map(|x| match x {
                                serde_json::Value::String(s) => s.clone(),
                                x => x.to_string(),
                            })
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        })
    }
}

impl ParamsScreen {
    fn draw_table(&self, frame: &mut Frame, area: Rect, values: &[ParamValue]) {
        let h = area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(values.len(), h);
        let rows: Vec<Row> = values
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(i, v)| {
                let row = Row::new([
                    Cell::from(v.param.group),
                    // A map's key without its map: the group names it.
                    Cell::from(v.param.name.rsplit('.').next().unwrap_or(v.param.name)),
                    Cell::from(v.shown()),
                    Cell::from(Span::styled(v.param.help, theme::dim())),
                ]);
                if i == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(14),
            Constraint::Length(32),
            Constraint::Length(12),
            Constraint::Fill(1),
        ];
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(["Group", "Parameter", "Value", "What"]).style(theme::header()))
                .block(Block::bordered().title(format!(
                    " {} parameters of {} ",
                    values.len(),
                    self.server
                ))),
            area,
        );
    }

    fn detail_lines(&self) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        let selected = self.rows().get(self.list.cursor);
        if self.input.editing {
            let name = selected.map(|v| v.param.name).unwrap_or_default();
            lines.push(Line::from(self.input.spans(&format!(" {name} = "))));
            match &self.invalid {
                Some(e) => lines.push(Line::from(Span::styled(format!(" ✗ {e}"), theme::error()))),
                None => lines.push(Line::from(Span::styled(
                    " Enter checks it and shows what changes · Esc cancels",
                    theme::dim(),
                ))),
            }
            return lines;
        }
        if let Some(l) = change_view::change_lines(&self.preview, &self.outcome) {
            if self.preview.is_some() {
                return l;
            }
            lines.extend(l);
        }
        if let Some(v) = selected {
            lines.push(Line::from(vec![
                Span::raw(format!(" {} = {} · ", v.param.name, v.shown())),
                Span::styled(fmt::trunc(v.param.help, 200), theme::dim()),
            ]));
        }
        lines
    }
}
