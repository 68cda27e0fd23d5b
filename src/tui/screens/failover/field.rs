//! A small form of the failover screens: text fields (a password is masked), choices and
//! switches, with focus and an error per field. The owner checks the values (through the
//! failover model's checks) and hands each field's error in when drawing.
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::render::fmt as tfmt;
use crate::tui::render::modal::wrap;
use crate::tui::theme;

#[derive(Clone, PartialEq, Eq)]
pub enum Input {
    Text {
        value: String,
        masked: bool,
    },
    Choice {
        options: Vec<String>,
        index: usize,
    },
    Toggle(bool),
    /// Shown, not editable.
    Fixed(String),
}

/// A password never reaches Debug output: only its length shows.
impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Text {
                value,
                masked: true,
            } => write!(f, "Text(<{} chars hidden>)", value.chars().count()),
            Input::Text { value, .. } => write!(f, "Text({value:?})"),
            Input::Choice { options, index } => {
                write!(f, "Choice({:?})", options.get(*index))
            }
            Input::Toggle(on) => write!(f, "Toggle({on})"),
            Input::Fixed(s) => write!(f, "Fixed({s:?})"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Which value this is, for the owner's checks (`name`, `heartbeat`...).
    pub id: &'static str,
    pub label: &'static str,
    pub input: Input,
}

impl Field {
    pub fn text(id: &'static str, label: &'static str, v: impl Into<String>) -> Field {
        Field {
            id,
            label,
            input: Input::Text {
                value: v.into(),
                masked: false,
            },
        }
    }

    pub fn secret(id: &'static str, label: &'static str, v: impl Into<String>) -> Field {
        Field {
            id,
            label,
            input: Input::Text {
                value: v.into(),
                masked: true,
            },
        }
    }

    pub fn choice(id: &'static str, label: &'static str, options: Vec<String>, i: usize) -> Field {
        Field {
            id,
            label,
            input: Input::Choice { options, index: i },
        }
    }

    pub fn toggle(id: &'static str, label: &'static str, on: bool) -> Field {
        Field {
            id,
            label,
            input: Input::Toggle(on),
        }
    }

    pub fn fixed(id: &'static str, label: &'static str, v: impl Into<String>) -> Field {
        Field {
            id,
            label,
            input: Input::Fixed(v.into()),
        }
    }

    /// The text as typed, the chosen option, `yes`/`no`.
    pub fn value(&self) -> &str {
        match &self.input {
            Input::Text { value, .. } | Input::Fixed(value) => value,
            Input::Choice { options, index } => options.get(*index).map_or("", |s| s.as_str()),
            Input::Toggle(true) => "yes",
            Input::Toggle(false) => "no",
        }
    }

    pub fn index(&self) -> usize {
        match &self.input {
            Input::Choice { index, .. } => *index,
            _ => 0,
        }
    }

    pub fn on(&self) -> bool {
        matches!(self.input, Input::Toggle(true))
    }

    fn editable(&self) -> bool {
        !matches!(self.input, Input::Fixed(_))
    }
}

/// Fields with a focus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub list: Vec<Field>,
    pub focus: usize,
}

impl Fields {
    pub fn new(list: Vec<Field>) -> Fields {
        let mut f = Fields { list, focus: 0 };
        if f.list.first().is_some_and(|x| !x.editable()) {
            f.step(true);
        }
        f
    }

    pub fn get(&self, id: &str) -> Option<&Field> {
        self.list.iter().find(|f| f.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Field> {
        self.list.iter_mut().find(|f| f.id == id)
    }

    pub fn value(&self, id: &str) -> &str {
        self.get(id).map_or("", |f| f.value())
    }

    pub fn index(&self, id: &str) -> usize {
        self.get(id).map_or(0, |f| f.index())
    }

    pub fn on(&self, id: &str) -> bool {
        self.get(id).is_some_and(|f| f.on())
    }

    pub fn focused(&self) -> Option<&Field> {
        self.list.get(self.focus)
    }

    pub fn focus_id(&mut self, id: &str) {
        if let Some(i) = self.list.iter().position(|f| f.id == id) {
            self.focus = i;
        }
    }

    fn step(&mut self, fwd: bool) {
        let n = self.list.len();
        for _ in 0..n {
            self.focus = if fwd {
                (self.focus + 1) % n
            } else {
                (self.focus + n - 1) % n
            };
            if self.list[self.focus].editable() {
                return;
            }
        }
    }

    /// Editing keys: Tab/↓ and BackTab/↑ move, ←/→/Space change a choice or switch, text
    /// keys type. Returns whether the key was used (a value may have changed).
    pub fn key(&mut self, k: KeyEvent) -> bool {
        match k.code {
            KeyCode::Tab | KeyCode::Down => self.step(true),
            KeyCode::BackTab | KeyCode::Up => self.step(false),
            KeyCode::Left | KeyCode::Right => self.cycle(k.code == KeyCode::Right),
            KeyCode::Backspace => match self.list.get_mut(self.focus).map(|f| &mut f.input) {
                Some(Input::Text { value, .. }) => {
                    value.pop();
                }
                _ => return false,
            },
            KeyCode::Char(c) => {
                let Some(f) = self.list.get_mut(self.focus) else {
                    return false;
                };
                match &mut f.input {
                    Input::Text { value, .. } => value.push(c),
                    Input::Choice { .. } | Input::Toggle(_) if c == ' ' => self.cycle(true),
                    _ => return false,
                }
            }
            _ => return false,
        }
        true
    }

    fn cycle(&mut self, fwd: bool) {
        let Some(f) = self.list.get_mut(self.focus) else {
            return;
        };
        match &mut f.input {
            Input::Choice { options, index } if !options.is_empty() => {
                let n = options.len();
                *index = if fwd {
                    (*index + 1) % n
                } else {
                    (*index + n - 1) % n
                };
            }
            Input::Toggle(on) => *on = !*on,
            _ => {}
        }
    }

    /// The fields as lines of `width` columns, each field's error (from `error`) under it.
    /// Returns the lines and the line of the focused field (to keep it in view).
    pub fn lines(
        &self,
        width: usize,
        label_w: usize,
        error: &dyn Fn(&Field) -> Option<String>,
    ) -> (Vec<Line<'static>>, usize) {
        let val_w = width.saturating_sub(label_w + 3);
        let mut lines = Vec::new();
        let mut focus_line = 0;
        for (i, f) in self.list.iter().enumerate() {
            let focused = i == self.focus;
            if focused {
                focus_line = lines.len();
            }
            let mut spans = vec![
                Span::styled(if focused { "›" } else { " " }, theme::key()),
                Span::styled(
                    format!("{:<label_w$} ", tfmt::trunc(f.label, label_w)),
                    theme::dim(),
                ),
            ];
            spans.extend(value_spans(f, focused, val_w));
            lines.push(Line::from(spans));
            if let Some(e) = error(f) {
                for (j, l) in wrap(&e, val_w.saturating_sub(2)).into_iter().enumerate() {
                    lines.push(Line::from(vec![
                        Span::raw(" ".repeat(label_w + 2)),
                        Span::styled(
                            format!("{} {l}", if j == 0 { "✗" } else { " " }),
                            theme::error(),
                        ),
                    ]));
                }
            }
        }
        (lines, focus_line)
    }
}

fn value_spans(f: &Field, focused: bool, w: usize) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    match &f.input {
        Input::Text { value, masked } => {
            let shown = if *masked {
                "•".repeat(value.chars().count())
            } else {
                value.clone()
            };
            // The end of a long value stays visible while typing.
            spans.push(Span::raw(tfmt::trunc_middle(&shown, w.saturating_sub(1))));
            if focused {
                spans.push(Span::styled("▏", theme::key()));
            }
        }
        Input::Choice { options, index } => {
            // Readable without colour: (•) marks the choice.
            for (j, o) in options.iter().enumerate() {
                let (dot, style) = match (j == *index, focused) {
                    (true, true) => ("(•)", theme::selected()),
                    (true, false) => ("(•)", theme::header()),
                    _ => ("( )", theme::dim()),
                };
                if j > 0 {
                    spans.push(Span::raw(" "));
                }
                spans.push(Span::styled(format!("{dot} {o}"), style));
            }
        }
        Input::Toggle(on) => {
            let style = if focused {
                theme::selected()
            } else {
                Style::new()
            };
            spans.push(Span::styled(if *on { "[x] on" } else { "[ ] off" }, style));
        }
        Input::Fixed(t) => spans.push(Span::styled(tfmt::trunc(t, w), theme::dim())),
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn typing_moving_and_choices() {
        let mut f = Fields::new(vec![
            Field::fixed("f", "Fixed", "x"),
            Field::text("a", "A", ""),
            Field::choice("m", "Mode", vec!["one".into(), "two".into()], 0),
            Field::toggle("t", "Auto", true),
        ]);
        assert_eq!(f.focused().unwrap().id, "a", "a fixed field is skipped");
        f.key(k(KeyCode::Char('h')));
        f.key(k(KeyCode::Char('i')));
        f.key(k(KeyCode::Backspace));
        assert_eq!(f.value("a"), "h");
        f.key(k(KeyCode::Tab));
        f.key(k(KeyCode::Right));
        assert_eq!(f.value("m"), "two");
        f.key(k(KeyCode::Tab));
        f.key(k(KeyCode::Char(' ')));
        assert!(!f.on("t"));
        f.key(k(KeyCode::Tab));
        assert_eq!(f.focused().unwrap().id, "a", "wraps past the fixed field");
        f.key(k(KeyCode::Up));
        assert_eq!(f.focused().unwrap().id, "t");
    }

    #[test]
    fn secrets_are_masked_in_debug_and_on_screen() {
        let f = Fields::new(vec![Field::secret("p", "Password", "hunter2")]);
        assert!(!format!("{f:?}").contains("hunter2"));
        let (lines, _) = f.lines(40, 10, &|_| None);
        let text: String = lines[0]
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(
            text.contains("•••••••") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
