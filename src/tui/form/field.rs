//! The one form field engine of the console: text fields (a password is masked), choices
//! and switches, with a focus that skips fixed lines. The IP, layout and bulk forms and the
//! failover screen's forms all edit and draw their fields here; the owner checks the
//! values and hands each field's error in when drawing.
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::keymap::{self, Action, Context, Role};
use crate::tui::render::fmt as tfmt;
use crate::tui::render::modal::wrap;
use crate::tui::theme;

/// The one text editing of the console (form fields, filters, the search box): a
/// character types, Backspace deletes the last one, Ctrl-U clears. Returns whether `k` was
/// one of these; other keys (Enter, Esc, arrows, shortcuts) are the caller's.
pub fn edit_text(value: &mut String, k: &KeyEvent) -> bool {
    match k.code {
        KeyCode::Backspace => {
            value.pop();
        }
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => value.clear(),
        KeyCode::Char(c) if !keymap::has_ctrl_or_alt(k) => value.push(c),
        _ => return false,
    }
    true
}

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
    /// A switch; `enabled: false` shows it but it cannot be turned on.
    Toggle {
        on: bool,
        enabled: bool,
    },
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
            Input::Toggle { on, enabled } => write!(f, "Toggle({on}, enabled {enabled})"),
            Input::Fixed(s) => write!(f, "Fixed({s:?})"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Which value this is, for the owner's checks (`name`, `heartbeat`...); the label
    /// unless [`id`](Field::id) names it.
    pub id: &'static str,
    pub label: &'static str,
    pub input: Input,
}

impl Field {
    fn new(label: &'static str, input: Input) -> Field {
        Field {
            id: label,
            label,
            input,
        }
    }

    pub fn text(label: &'static str, v: impl Into<String>) -> Field {
        Field::new(
            label,
            Input::Text {
                value: v.into(),
                masked: false,
            },
        )
    }

    pub fn secret(label: &'static str, v: impl Into<String>) -> Field {
        Field::new(
            label,
            Input::Text {
                value: v.into(),
                masked: true,
            },
        )
    }

    pub fn choice(label: &'static str, options: Vec<String>, index: usize) -> Field {
        Field::new(label, Input::Choice { options, index })
    }

    pub fn toggle(label: &'static str, on: bool) -> Field {
        Field::new(label, Input::Toggle { on, enabled: true })
    }

    pub fn fixed(label: &'static str, v: impl Into<String>) -> Field {
        Field::new(label, Input::Fixed(v.into()))
    }

    /// Names the field for [`Fields::get`] and the owner's checks.
    pub fn id(mut self, id: &'static str) -> Field {
        self.id = id;
        self
    }

    /// The text as typed, the chosen option, `yes`/`no`.
    pub fn value(&self) -> &str {
        match &self.input {
            Input::Text { value, .. } | Input::Fixed(value) => value,
            Input::Choice { options, index } => options.get(*index).map_or("", |s| s.as_str()),
            Input::Toggle { on: true, .. } => "yes",
            Input::Toggle { .. } => "no",
        }
    }

    pub fn index(&self) -> usize {
        match &self.input {
            Input::Choice { index, .. } => *index,
            _ => 0,
        }
    }

    pub fn on(&self) -> bool {
        matches!(self.input, Input::Toggle { on: true, .. })
    }

    pub fn editable(&self) -> bool {
        !matches!(self.input, Input::Fixed(_))
    }

    /// A text field with nothing but blanks in it.
    pub fn is_blank_text(&self) -> bool {
        matches!(&self.input, Input::Text { value, .. } if value.trim().is_empty())
    }
}

/// Fields with a focus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub list: Vec<Field>,
    pub focus: usize,
}

impl Fields {
    /// Focus starts where one types: on the first text field (a form opening on a choice
    /// would take typed characters for nothing), else on the first editable one.
    pub fn new(list: Vec<Field>) -> Fields {
        let text = list
            .iter()
            .position(|x| matches!(x.input, Input::Text { .. }));
        let mut f = Fields { list, focus: 0 };
        match text {
            Some(i) => f.focus = i,
            None if f.list.first().is_some_and(|x| !x.editable()) => f.step(true),
            None => {}
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

    /// To the next (or previous) editable field, round the end.
    pub fn step(&mut self, fwd: bool) {
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

    /// The keys of the keymap's form rows (next/previous field, ←/→ on a choice or switch)
    /// and typing: characters, Space on a choice or switch, Backspace. Returns whether the
    /// key was used (a value may have changed); Enter and Esc are the owner's.
    pub fn key(&mut self, k: KeyEvent) -> bool {
        match keymap::lookup(&[Context::Form], &k, Role::Viewer) {
            Some(Action::NextField) => self.step(true),
            Some(Action::PrevField) => self.step(false),
            Some(Action::Left) => self.cycle(false),
            Some(Action::Right) => self.cycle(true),
            Some(_) => return false,
            None => return self.type_key(&k),
        }
        true
    }

    /// A typing key on the focused field: text editing ([`edit_text`]) in a text field,
    /// Space on a choice or switch.
    pub fn type_key(&mut self, k: &KeyEvent) -> bool {
        let Some(f) = self.list.get_mut(self.focus) else {
            return false;
        };
        match &mut f.input {
            Input::Text { value, .. } => edit_text(value, k),
            Input::Choice { .. } | Input::Toggle { .. } if k.code == KeyCode::Char(' ') => {
                self.cycle(true);
                true
            }
            _ => false,
        }
    }

    /// ←/→ (and Space) on a choice or an enabled switch.
    pub fn cycle(&mut self, fwd: bool) {
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
            Input::Toggle { on, enabled: true } => *on = !*on,
            _ => {}
        }
    }

    /// The fields as lines of `width` columns, each field's error (from `error`, by index)
    /// under it. Returns the lines and the line of the focused field (to keep it in view).
    pub fn lines(
        &self,
        width: usize,
        label_w: usize,
        error: &dyn Fn(usize, &Field) -> Option<String>,
    ) -> (Vec<Line<'static>>, usize) {
        let val_w = width.saturating_sub(label_w + 4);
        let mut lines = Vec::new();
        let mut focus_line = 0;
        for (i, f) in self.list.iter().enumerate() {
            let focused = i == self.focus;
            if focused {
                focus_line = lines.len();
            }
            let mut spans = vec![
                Span::styled(if focused { "›" } else { " " }, theme::key()),
                // Labels are written to fit `label_w`; a longer one pushes its value right
                // rather than lose its end.
                Span::styled(format!("{:<label_w$} ", f.label), theme::dim()),
            ];
            spans.extend(value_spans(f, focused, val_w));
            lines.push(Line::from(spans));
            if let Some(e) = error(i, f) {
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
                    spans.push(Span::raw("  "));
                }
                spans.push(Span::styled(format!("{dot} {o}"), style));
            }
        }
        Input::Toggle { on, enabled } => {
            let text = match (on, enabled) {
                (true, _) => "[x] yes",
                (false, true) => "[ ] no",
                (false, false) => "[ ] not possible",
            };
            let style = if focused && *enabled {
                theme::selected()
            } else {
                Style::new()
            };
            spans.push(Span::styled(text, style));
        }
        Input::Fixed(t) => spans.push(Span::raw(t.clone())),
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
            Field::fixed("Fixed", "x").id("f"),
            Field::text("A", "").id("a"),
            Field::choice("Mode", vec!["one".into(), "two".into()], 0).id("m"),
            Field::toggle("Auto", true).id("t"),
        ]);
        assert_eq!(f.focused().unwrap().id, "a", "a fixed field is skipped");
        let g = Fields::new(vec![
            Field::choice("Kind", vec!["MAC".into(), "client ID".into()], 0),
            Field::text("Value", ""),
        ]);
        assert_eq!(g.focused().unwrap().label, "Value", "opens where one types");
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
    fn one_text_editing_everywhere() {
        let mut v = String::new();
        for c in "ab c".chars() {
            assert!(edit_text(&mut v, &k(KeyCode::Char(c))));
        }
        assert!(edit_text(&mut v, &k(KeyCode::Backspace)));
        assert_eq!(v, "ab ");
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert!(!edit_text(&mut v, &ctrl('c')), "a shortcut is not text");
        assert_eq!(v, "ab ");
        assert!(edit_text(&mut v, &ctrl('u')));
        assert_eq!(v, "");
        assert!(
            !edit_text(&mut v, &k(KeyCode::Enter)),
            "Enter is the caller's"
        );
    }

    #[test]
    fn secrets_are_masked_in_debug_and_on_screen() {
        let f = Fields::new(vec![Field::secret("Password", "hunter2").id("p")]);
        assert!(!format!("{f:?}").contains("hunter2"));
        let (lines, _) = f.lines(40, 10, &|_, _| None);
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
