//! The option definitions screen (`T`, issue 13 item 2): the custom options the server in
//! view (or selected on the Servers tab) defines, with code and shape. `a` defines one,
//! Enter changes the selected one, `d` deletes it; each shows what changes on the server
//! first (a definition still used by a value is refused, naming where), `y` writes it
//! through the safe write (the server and its HA peers). Several servers at once: mark
//! them on the Servers tab and use `B`.
use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::config::Role;
use crate::model::option_defs::CustomOptionDef;
use crate::ops::bulk::{BulkChange, BulkOp, ServerOutcome, ServerPreview, Target};
use crate::ops::Command;
use crate::tui::form::field::Fields;
use crate::tui::form::option_def_fields as odf;
use crate::tui::keymap::{self, Action, Context, ScreenKey};
use crate::tui::screen::{JobResult, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::change_view;
use super::status::kit;

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    let server = app.server_in_view('T')?;
    let admin = app.rights_for(&server).allows(Role::Admin) && !app.read_only;
    Ok(Box::new(OptionDefsScreen {
        server,
        admin,
        defs: None,
        list: ListState::default(),
        form: None,
        invalid: None,
        change: None,
        preview: None,
        outcome: None,
        busy: None,
    }))
}

/// Lines under the table: the form, the preview or what was written.
const DETAIL_H: u16 = 10;

#[derive(Debug)]
pub struct OptionDefsScreen {
    server: String,
    admin: bool,
    defs: Option<Result<Vec<CustomOptionDef>, String>>,
    list: ListState,
    /// The definition being typed (a new one, or the selected one changed).
    form: Option<Fields>,
    /// Why the form's last Enter was refused.
    invalid: Option<String>,
    /// The change checked and previewed, waiting for y.
    change: Option<BulkChange>,
    preview: Option<Result<Vec<ServerPreview>, String>>,
    outcome: Option<Result<Vec<ServerOutcome>, String>>,
    busy: Option<&'static str>,
}

impl OptionDefsScreen {
    fn rows(&self) -> &[CustomOptionDef] {
        match &self.defs {
            Some(Ok(v)) => v,
            _ => &[],
        }
    }

    fn read(&mut self) -> ScreenOut {
        self.busy = Some("reading");
        ScreenOut::job(ScreenJob::new(
            "defs",
            Command::OptionDefs {
                server: self.server.clone(),
            },
        ))
    }

    fn table_height(size: Rect) -> usize {
        kit::body_height(size).saturating_sub(DETAIL_H + 3) as usize
    }

    /// `op` checked and its preview asked for; a refusal goes back to the form.
    fn preview(&mut self, op: BulkOp) -> ScreenOut {
        match BulkChange::new(Target::Servers(vec![self.server.clone()]), op) {
            Ok(change) => {
                self.form = None;
                self.invalid = None;
                self.change = Some(change.clone());
                self.preview = None;
                self.outcome = None;
                self.busy = Some("previewing");
                ScreenOut::job(ScreenJob::new(
                    "preview",
                    Command::BulkPreview(Box::new(change)),
                ))
            }
            Err(e) => {
                self.invalid = Some(e.to_string());
                ScreenOut::none()
            }
        }
    }

    fn form_key(&mut self, key: KeyEvent) -> ScreenOut {
        let Some(form) = self.form.as_mut() else {
            return ScreenOut::none();
        };
        match keymap::lookup(&[Context::Form], &key, Role::Viewer) {
            Some(Action::Open) => match odf::def_from(form) {
                Ok(d) => self.preview(BulkOp::PutOptionDef(d)),
                Err(e) => {
                    self.invalid = Some(e);
                    ScreenOut::none()
                }
            },
            Some(Action::Back) => {
                self.form = None;
                self.invalid = None;
                ScreenOut::say("nothing was changed")
            }
            _ => {
                if form.key(key) {
                    self.invalid = None;
                }
                ScreenOut::none()
            }
        }
    }
}

impl Screen for OptionDefsScreen {
    fn title(&self) -> String {
        format!("Option definitions · {}", self.server)
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        self.read()
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        if self.form.is_some() {
            return self.form_key(key);
        }
        let a = kit::action(ScreenKey::OptionDefs, &key);
        let n = self.rows().len();
        if self.change.is_none() && kit::move_by(&mut self.list, a, n, Self::table_height(app.size))
        {
            return ScreenOut::none();
        }
        let idle = self.busy.is_none() && self.change.is_none();
        match a {
            Some(Action::Add | Action::Edit | Action::Delete | Action::Yes) if !self.admin => {
                ScreenOut::say(format!(
                    "changing {}'s option definitions needs role = \"admin\" (and no --read-only)",
                    self.server
                ))
            }
            Some(Action::Add) if idle => {
                self.form = Some(Fields::new(odf::fields(None)));
                self.outcome = None;
                ScreenOut::none()
            }
            Some(Action::Edit) if idle => {
                let Some(d) = self.rows().get(self.list.cursor).cloned() else {
                    return ScreenOut::say("no definition selected: a defines one");
                };
                self.form = Some(Fields::new(odf::fields(Some(&d))));
                self.outcome = None;
                ScreenOut::none()
            }
            Some(Action::Delete) if idle => {
                let Some(d) = self.rows().get(self.list.cursor) else {
                    return ScreenOut::none();
                };
                let op = BulkOp::DeleteOptionDef(d.name.clone(), d.space.clone());
                self.preview(op)
            }
            _ => change_view::yes_no(a, &mut self.change, &mut self.preview, &mut self.busy)
                .unwrap_or_else(ScreenOut::ignored),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        self.busy = None;
        match label {
            "defs" => {
                self.defs = Some(kit::take::<Vec<CustomOptionDef>>(result));
                let n = self.rows().len();
                self.list.cursor = self.list.cursor.min(n.saturating_sub(1));
            }
            "preview" => self.preview = Some(kit::take::<Vec<ServerPreview>>(result)),
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
        if force && self.busy.is_none() && self.form.is_none() {
            return self.read();
        }
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, _app: &ScreenCtx) {
        let [table_area, detail_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
        match &self.defs {
            None => kit::message(
                frame,
                table_area,
                "Option definitions",
                kit::loading_lines(&format!("Reading {}'s configuration", self.server)),
                theme::warn(),
            ),
            Some(Err(e)) => kit::message(
                frame,
                table_area,
                "Option definitions",
                kit::failure_lines(&format!("Could not read {}", self.server), e),
                theme::error(),
            ),
            Some(Ok(v)) => self.draw_table(frame, table_area, v),
        }
        let title = match (&self.form, &self.change, self.busy) {
            (_, _, Some(b)) => format!(" {b}… "),
            (Some(_), _, None) => {
                " Definition · Enter checks it and shows what changes, Esc cancels ".into()
            }
            (None, Some(_), None) => " Change · y applies, n drops it ".into(),
            (None, None, None) => " Selected ".into(),
        };
        frame.render_widget(
            Paragraph::new(self.detail_lines(detail_area.width.saturating_sub(2) as usize))
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title)),
            detail_area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        if self.form.is_some() {
            kit::typing_hints(Context::Form, &[])
        } else if self.change.is_some() {
            kit::hints(
                ScreenKey::OptionDefs,
                &[Action::Add, Action::Edit, Action::Delete, Action::Refresh],
            )
        } else {
            kit::hints(ScreenKey::OptionDefs, &[Action::Yes, Action::No])
        }
    }

    fn typing(&self) -> bool {
        self.form.is_some()
    }

    fn export(&self) -> Option<ScreenTable> {
        Some(ScreenTable {
            what: format!("option-defs-{}", self.server),
            header: [
                "server",
                "name",
                "code",
                "type",
                "array",
                "record_types",
                "space",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: self
                .rows()
                .iter()
                .map(|d| {
                    vec![
                        self.server.clone(),
                        d.name.clone(),
                        d.code.to_string(),
                        d.kind.clone(),
                        d.array.to_string(),
                        d.record_types.join(","),
                        d.space.clone(),
                    ]
                })
                .collect(),
        })
    }
}

impl OptionDefsScreen {
    fn draw_table(&self, frame: &mut Frame, area: Rect, defs: &[CustomOptionDef]) {
        if defs.is_empty() {
            kit::message(
                frame,
                area,
                "Option definitions",
                vec![
                    Line::from(format!("{} defines no custom option.", self.server)),
                    Line::from(Span::styled(
                        "a defines one (a name, a free code such as 224-254, a type); its values \
                         are then set like a standard option's (B on marked scopes or servers)",
                        theme::dim(),
                    )),
                ],
                theme::dim(),
            );
            return;
        }
        let h = area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(defs.len(), h);
        let rows: Vec<Row> = defs
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(i, d)| {
                let row = Row::new([
                    Cell::from(d.name.clone()),
                    Cell::from(d.code.to_string()),
                    Cell::from(d.shape()),
                    Cell::from(Span::styled(d.space.clone(), theme::dim())),
                ]);
                if i == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(28),
            Constraint::Length(6),
            Constraint::Fill(1),
            Constraint::Length(16),
        ];
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(["Name", "Code", "Type", "Space"]).style(theme::header()))
                .block(Block::bordered().title(format!(
                    " {} option definition(s) of {} ",
                    defs.len(),
                    self.server
                ))),
            area,
        );
    }

    fn detail_lines(&self, width: usize) -> Vec<Line<'static>> {
        if let Some(f) = &self.form {
            let (mut lines, _) = f.lines(width, 16, &|_, x| odf::field_error(f, x.id).err());
            if let Some(e) = &self.invalid {
                lines.push(Line::from(Span::styled(format!(" ✗ {e}"), theme::error())));
            }
            return lines;
        }
        let mut lines = Vec::new();
        if let Some(l) = change_view::change_lines(&self.preview, &self.outcome) {
            if self.preview.is_some() {
                return l;
            }
            lines.extend(l);
        }
        if let Some(e) = &self.invalid {
            lines.push(Line::from(Span::styled(format!(" ✗ {e}"), theme::error())));
        }
        if let Some(d) = self.rows().get(self.list.cursor) {
            lines.push(Line::from(format!(
                " {} = option {} ({}), space {}",
                d.name,
                d.code,
                d.shape(),
                d.space
            )));
        }
        lines
    }
}
