//! Adding a Kea server from the console (`+` on the Servers tab; issue 15): its name, URL
//! and login typed in one form; Enter asks the URL what answers there (agent or direct,
//! dhcp4 or dhcp6, version), appends the server to the configuration file, and the console
//! starts again on it. The password stays in its file: only the file's path is written.
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use crate::ops::{AddServer, Command};
use crate::tui::form::field::{Field, Fields};
use crate::tui::keymap::{self, Action, Context, Role};
use crate::tui::screen::{JobResult, Screen, ScreenCtx, ScreenJob, ScreenOut};
use crate::tui::theme;

use super::status::kit;

const NAME: &str = "Name";
const URL: &str = "URL";
const USER: &str = "User";
const PASSWORD_FILE: &str = "Password file";
const CA_FILE: &str = "CA file (https)";
const PLAIN: &str = "Login over http";

pub fn open(app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    if app.read_only {
        return Err("ddish runs with --read-only: the configuration file is not changed".into());
    }
    let path = app
        .config_path
        .ok_or("this configuration was not read from a file: add servers to one")?;
    let next = (1..)
        .map(|i| format!("kea-{i}"))
        .find(|n| !app.fleet.rows.iter().any(|r| r.name == *n))
        .unwrap_or_default();
    Ok(Box::new(AddServerScreen {
        path: path.display().to_string(),
        fields: Fields::new(vec![
            Field::text(URL, "http://127.0.0.1:8000/"),
            Field::text(NAME, next),
            Field::text(USER, ""),
            Field::text(PASSWORD_FILE, ""),
            Field::text(CA_FILE, ""),
            Field::toggle(PLAIN, false),
        ]),
        busy: false,
        result: None,
    }))
}

#[derive(Debug)]
pub struct AddServerScreen {
    path: String,
    fields: Fields,
    busy: bool,
    /// Why the last try failed.
    result: Option<String>,
}

/// A typed path as the config file will hold it (relative paths would be read against the
/// config file's directory, not where ddish was started).
fn absolute(p: String) -> std::path::PathBuf {
    std::fs::canonicalize(&p).unwrap_or_else(|_| std::path::PathBuf::from(p))
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl AddServerScreen {
    fn field_error(&self, id: &str) -> Option<String> {
        let v = self.fields.value(id).trim();
        match id {
            NAME if v.is_empty() => Some("required".into()),
            NAME if v.contains(char::is_whitespace) => Some("no spaces".into()),
            URL if !(v.starts_with("http://") || v.starts_with("https://")) => {
                Some("http:// or https:// and the host's address".into())
            }
            PASSWORD_FILE if !v.is_empty() && !std::path::Path::new(v).is_file() => {
                Some("no such file (the first line holds the password)".into())
            }
            PASSWORD_FILE if v.is_empty() && !self.fields.value(USER).trim().is_empty() => {
                Some("a user needs a password file".into())
            }
            CA_FILE if !v.is_empty() && !std::path::Path::new(v).is_file() => {
                Some("no such file (a PEM bundle)".into())
            }
            _ => None,
        }
    }

    fn submit(&mut self) -> ScreenOut {
        if let Some((id, e)) = [URL, NAME, USER, PASSWORD_FILE, CA_FILE]
            .iter()
            .find_map(|id| self.field_error(id).map(|e| (*id, e)))
        {
            self.result = Some(format!("{id}: {e}"));
            return ScreenOut::none();
        }
        let a = AddServer {
            name: self.fields.value(NAME).trim().to_string(),
            url: self.fields.value(URL).trim().to_string(),
            user: opt(self.fields.value(USER)),
            password_file: opt(self.fields.value(PASSWORD_FILE)).map(absolute),
            ca_file: opt(self.fields.value(CA_FILE)).map(absolute),
            allow_plain_http: self.fields.on(PLAIN),
        };
        self.busy = true;
        self.result = None;
        ScreenOut::job(ScreenJob::new("add", Command::AddServer(Box::new(a))))
    }
}

impl Screen for AddServerScreen {
    fn title(&self) -> String {
        "Add a server".into()
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut::none()
    }

    fn on_key(&mut self, key: KeyEvent, _app: &ScreenCtx) -> ScreenOut {
        if self.busy {
            return ScreenOut::none();
        }
        match keymap::lookup(&[Context::Form], &key, Role::Viewer) {
            Some(Action::Open) => self.submit(),
            Some(Action::Back) => ScreenOut {
                close: true,
                ..ScreenOut::default()
            },
            _ => {
                self.fields.key(key);
                ScreenOut::none()
            }
        }
    }

    fn on_result(&mut self, _label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        self.busy = false;
        match kit::take::<String>(result) {
            Ok(done) => ScreenOut {
                restart: true,
                ..ScreenOut::say(format!("{done}; the console starts again on it"))
            },
            Err(e) => {
                self.result = Some(e);
                ScreenOut::none()
            }
        }
    }

    fn on_refresh(&mut self, _force: bool, _app: &ScreenCtx) -> ScreenOut {
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, _app: &ScreenCtx) {
        let width = area.width.saturating_sub(4) as usize;
        let (mut lines, _) = self.fields.lines(width, 14, &|_, f| self.field_error(f.id));
        lines.insert(
            0,
            Line::from(Span::styled(
                format!(
                    " Written to {} (the password stays in its file).",
                    self.path
                ),
                theme::dim(),
            )),
        );
        lines.insert(1, Line::from(""));
        lines.push(Line::from(""));
        match (&self.result, self.busy) {
            (_, true) => lines.push(Line::from(Span::styled(
                " asking the URL what answers there…",
                theme::warn(),
            ))),
            (Some(e), false) => lines.push(Line::from(Span::styled(
                format!(" ✗ not added: {e}"),
                theme::error(),
            ))),
            (None, false) => lines.push(Line::from(Span::styled(
                " Enter asks the URL (Control Agent or the daemon's own socket) and adds it · Esc cancels",
                theme::dim(),
            ))),
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" A Kea server ")),
            area,
        );
    }

    fn hints(&self) -> Vec<(String, String)> {
        kit::typing_hints(Context::Form, &[])
    }

    fn typing(&self) -> bool {
        true
    }
}
