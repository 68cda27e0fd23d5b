//! The running configuration as the admin reads and edits it (`ddish config show|edit`):
//! secrets masked, and an edit applied through the safe write on the server and its HA
//! peers, change by change, never where a peer holds something else.
use serde_json::{json, Value};

use crate::audit::Entry;
use crate::config::Role;
use crate::kea;
use crate::kea::raw;

use super::{ActionOutcome, OpError, Session};

/// The configuration an edit starts from: what the editor shows, and what the write
/// compares the result against.
#[derive(Clone, Debug, PartialEq)]
pub struct EditBase {
    pub server: String,
    /// `{"Dhcp4": {...}}` as config-get gave it (no `hash`), secrets included.
    pub config: Value,
}

/// One changed place of an edit as the admin reviews it (secrets masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLine {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl EditBase {
    /// What the editor gets: pretty JSON, secrets masked.
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&raw::masked(&self.config)).unwrap_or_default()
    }

    /// What the editor's file says above the configuration (`problem`: why the last
    /// attempt went back to the editor).
    pub fn notes(&self, problem: Option<&str>) -> Vec<String> {
        let mut n = Vec::new();
        if let Some(p) = problem {
            n.push(format!("ERROR: {p}"));
            n.push(String::new());
        }
        n.push(format!(
            "ddish: {}'s running configuration. Save and quit to review the changes;\n\
             quit without saving to send nothing. Secrets read {}: leave them as they\n\
             are to keep them. Lines starting with // are ignored.",
            self.server,
            raw::MASK
        ));
        n
    }

    /// The editor's text read back: the JSON and its changes, or what to tell the admin
    /// when the editor opens again (not JSON, a mask typed where no secret was).
    pub fn check_text(&self, text: &str) -> Result<(Value, Vec<ChangeLine>), String> {
        let edited: Value = serde_json::from_str(text)
            .map_err(|e| format!("not JSON: line {}, column {}: {e}", e.line(), e.column()))?;
        let review = self.review(&edited).map_err(|e| e.to_string())?;
        Ok((edited, review))
    }

    /// What `edited` (the editor's JSON, secrets still masked) changes, to review before
    /// anything is sent; a mask typed where no secret was is refused.
    pub fn review(&self, edited: &Value) -> Result<Vec<ChangeLine>, OpError> {
        let edited = raw::unmasked(edited, &self.config, "").map_err(OpError::from)?;
        Ok(raw::changes(&self.config, &edited)
            .into_iter()
            .map(|c| ChangeLine {
                before: c.before.as_ref().map(|v| raw::shown_at(&c.path, v)),
                after: c.after.as_ref().map(|v| raw::shown_at(&c.path, v)),
                path: c.path,
            })
            .collect())
    }
}

impl Session {
    /// `server`'s running configuration with its secrets masked, whole or the part at
    /// `section` (a JSON pointer or dotted path, looked up under `Dhcp4` too).
    pub async fn config_show(&self, server: &str, section: Option<&str>) -> Result<Value, OpError> {
        let base = self.config_base(server).await?;
        let shown = raw::masked(&base.config);
        match section {
            None => Ok(shown),
            Some(p) => raw::section(&shown, p).cloned().ok_or_else(|| {
                OpError::NotFound(format!(
                    "{server}'s configuration has no {p}: name a key of Dhcp4 (e.g. subnet4, \
                     option-data, hooks-libraries) or a JSON pointer such as /Dhcp4/subnet4/0"
                ))
            }),
        }
    }

    /// The configuration to edit; remembered as what the user saw, so a change made on the
    /// server meanwhile stops the write.
    pub async fn config_base(&self, server: &str) -> Result<EditBase, OpError> {
        let c = self.client(server)?;
        let reply = c.config_get_reply().await?;
        let mut config = reply.value()?;
        if let Some(m) = config.as_object_mut() {
            m.remove("hash");
        }
        self.remember_seen(server, reply.digest, reply.hash.clone());
        Ok(EditBase {
            server: server.to_string(),
            config,
        })
    }

    /// Writes the admin's edit of `base` (the editor's text parsed; secrets still masked
    /// come back): each change goes to the server and its HA peers by the safe write, and
    /// only where a peer holds what the server held. Journaled with the changed paths.
    pub async fn config_replace(
        &self,
        base: &EditBase,
        edited: &Value,
    ) -> Result<ActionOutcome, OpError> {
        let server = base.server.as_str();
        self.may(server, Role::Admin)?;
        let edited = raw::unmasked(edited, &base.config, "").map_err(OpError::from)?;
        if edited.get("Dhcp4").is_none_or(|d| !d.is_object()) {
            return Err(OpError::Refused(
                "the edited configuration must stay {\"Dhcp4\": {...}}: nothing was sent".into(),
            ));
        }
        let changes = raw::changes(&base.config, &edited);
        if changes.is_empty() {
            return Err(OpError::Refused("nothing changed: nothing was sent".into()));
        }
        let paths: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
        let entry = Entry::new(server, "config-edit")
            .after(json!({"changed": paths}))
            .result("ok");
        let peers = self.peers(server).await?;
        let written = self
            .edit_everywhere(server, &peers, &kea::Reach::Whole, |cfg| {
                raw::apply_changes(cfg, &changes, "a server of the pair")
            })
            .await;
        let summary = format!(
            "{} change{} written: {}",
            paths.len(),
            if paths.len() == 1 { "" } else { "s" },
            summarize(&paths)
        );
        self.conclude(entry, written, server, None, summary, Vec::new())
    }
}

/// The changed paths in one line, the first few and a count.
fn summarize(paths: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut s = paths
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        s.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    s
}
