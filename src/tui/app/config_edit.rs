//! `K`: the server's running configuration in the admin's editor. The console fetches it,
//! hands the terminal to the editor (the main loop does, see `editor_request`), shows every
//! change in a question, and writes it like any layout change; Kea's refusal opens the
//! editor again with the reason on top.
use crate::ops::EditBase;
use crate::tui::actions::{Command, Confirm, Modal};
use crate::tui::app::{App, Request, RequestKind, StatusKind, Target};

/// A raw configuration edit under way.
#[derive(Clone, Debug)]
pub struct ConfigEdit {
    pub base: Box<EditBase>,
    /// The text as the admin left it (what the editor opens with next time).
    pub text: String,
    /// Why the editor opens again.
    pub problem: Option<String>,
    /// The main loop should open the editor now.
    pub open: bool,
}

/// What the main loop opens in the editor: the file's name, the text, the notes on top.
pub struct EditorRequest {
    pub name: String,
    pub text: String,
    pub notes: Vec<String>,
}

impl App {
    /// `K` on a server tab: fetch its configuration to edit.
    pub(super) fn edit_config(&mut self) -> Vec<Request> {
        let Some(server) = self.tab().map(|t| t.name.clone()) else {
            return Vec::new();
        };
        // One at a time: while its question is up, its write runs or the editor is due.
        // An edit whose question went without a write (another change was running) is
        // over, and K starts afresh.
        let waiting = self.config_edit.as_ref().is_some_and(|e| e.open)
            || matches!(
                self.layer_pending.as_ref().map(|p| &p.job),
                Some(Command::ConfigEdit { .. })
            )
            || self.layer.iter().any(
                |m| matches!(m, Modal::Confirm(c) if matches!(c.job, Command::ConfigEdit { .. })),
            );
        if waiting {
            self.set_status(
                StatusKind::Busy,
                "a configuration edit is under way: finish it first",
            );
            return Vec::new();
        }
        self.config_edit = None;
        let (id, gen) = self.ids();
        self.set_status(
            StatusKind::Busy,
            format!("reading {server}'s configuration to edit…"),
        );
        vec![Request {
            id,
            gen,
            target: Target::Layout { server },
            kind: RequestKind::Action(Command::ConfigBase),
            baseline: None,
        }]
    }

    pub(super) fn on_edit_base(
        &mut self,
        server: &str,
        res: Result<Box<EditBase>, String>,
    ) -> Vec<Request> {
        match res {
            Ok(base) => {
                self.status = None;
                self.config_edit = Some(ConfigEdit {
                    text: base.text(),
                    base,
                    problem: None,
                    open: true,
                });
            }
            Err(e) => self.set_status(
                StatusKind::Error,
                format!("cannot edit {server}'s configuration: {e}"),
            ),
        }
        Vec::new()
    }

    /// For the main loop: the editor to open now, if any (asked once).
    pub fn editor_request(&mut self) -> Option<EditorRequest> {
        let e = self.config_edit.as_mut().filter(|e| e.open)?;
        e.open = false;
        Some(EditorRequest {
            name: e.base.server.clone(),
            text: e.text.clone(),
            notes: e.base.notes(e.problem.as_deref()),
        })
    }

    /// The editor is done: a question listing every change, or back to the editor with
    /// what is wrong, or nothing sent.
    pub(super) fn on_edited(&mut self, res: Result<Option<String>, String>) -> Vec<Request> {
        let Some(mut e) = self.config_edit.take() else {
            return Vec::new();
        };
        let text = match res {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.set_status(
                    StatusKind::Info,
                    "no change in the editor: nothing was sent",
                );
                return Vec::new();
            }
            Err(why) => {
                self.set_status(StatusKind::Error, why);
                return Vec::new();
            }
        };
        e.text = text;
        let (edited, review) = match e.base.check_text(&e.text) {
            Ok(r) => r,
            Err(why) => {
                e.problem = Some(why);
                e.open = true;
                self.config_edit = Some(e);
                return Vec::new();
            }
        };
        if review.is_empty() {
            self.set_status(StatusKind::Info, "nothing changed: nothing was sent");
            return Vec::new();
        }
        let mut lines = vec![format!(
            "Write {} change(s) to {} (and its HA peer)?",
            review.len(),
            e.base.server
        )];
        for c in &review {
            lines.push(format!(
                "{}: {} → {}",
                c.path,
                c.before.as_deref().unwrap_or("(none)"),
                c.after.as_deref().unwrap_or("(removed)")
            ));
        }
        self.layer.push(Modal::Confirm(Confirm {
            title: "Write the configuration".into(),
            text: lines.join("\n"),
            job: Command::ConfigEdit {
                base: e.base.clone(),
                edited: Box::new(edited),
            },
        }));
        // Kept until the answer: a refusal reopens the editor with this text.
        self.config_edit = Some(e);
        Vec::new()
    }

    /// The answer to a configuration write (or its question dismissed): done, or back to
    /// the editor when Kea refused and nothing was written.
    pub(super) fn config_edit_done(&mut self, refused: Option<&str>) {
        match (refused, self.config_edit.take()) {
            (Some(why), Some(mut e)) if why.contains("not made") => {
                e.problem = Some(why.to_string());
                e.open = true;
                self.config_edit = Some(e);
            }
            _ => {}
        }
    }
}
