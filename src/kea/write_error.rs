//! What a safe write reports: its outcome, or what went wrong where and what was done about
//! it (put back, left changed, not sent), in words an admin can act on.
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use super::error::KeaError;

#[derive(Clone, Debug, PartialEq)]
pub struct WriteOutcome {
    pub server: String,
    /// False when the edit changed nothing in meaning: then nothing was sent.
    pub written: bool,
    /// [`diff_summary`] of the config before and after (as read back when possible).
    pub summary: Value,
    /// The parts of the old config the change touched ([`changed_parts`], secrets masked).
    pub before: Value,
    /// The same parts afterwards, as read back (as sent when the read-back failed).
    pub after: Value,
    /// config-write succeeded: the change survives a restart.
    pub persisted: bool,
    /// The read-back config shows the edit ([`edit_is_live`]).
    pub verified: bool,
    /// Why `verified` is false, for the status line.
    pub verify_note: Option<String>,
    pub duration: Duration,
}

/// Why a configuration edit cannot be made on this configuration (a scope gone, a rule it
/// would break): the edit refuses, nothing is sent. Any `String` error converts, so an edit
/// can use `?` on its helpers.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct EditRefused(pub String);

impl From<String> for EditRefused {
    fn from(s: String) -> EditRefused {
        EditRefused(s)
    }
}

impl From<&str> for EditRefused {
    fn from(s: &str) -> EditRefused {
        EditRefused(s.to_string())
    }
}

/// Why a change did not (fully) happen. Each message says on which server, whether anything
/// was written, and what to do.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum WriteError {
    /// The edit itself refused (e.g. "subnet 7 does not exist").
    #[error("server {server}: {reason}; nothing was sent")]
    Refused { server: String, reason: String },

    #[error("server {server}: this change would alter {key}, which only an operation about {key} may touch; nothing was sent")]
    Guarded { server: String, key: String },

    /// The edited config breaks a rule (partial config, subnet ids, HA parameters).
    #[error(
        "server {server}: the new configuration is not safe to send: {reason}; nothing was sent"
    )]
    Invalid { server: String, reason: String },

    #[error("server {server}: the configuration changed on the server since you loaded it ({what}): reload and try again; nothing was written")]
    Changed { server: String, what: String },

    #[error("server {server} rejected the change (config-test): {text}; nothing was written, fix the values and try again")]
    Rejected { server: String, text: String },

    #[error("server {server}: config-set failed: {text}; {}", restore_note(*restored, restore_error.as_deref()))]
    SetFailed {
        server: String,
        text: String,
        /// The last good config was re-sent and every hook command is back.
        restored: bool,
        restore_error: Option<String>,
    },

    /// config-set got no answer in time; when the server answered again it still ran its
    /// previous configuration. Nothing else was sent.
    #[error("server {server}: config-set got no answer ({text}); when the server answered again it still ran its previous configuration: nothing changed")]
    NotTaken { server: String, text: String },

    /// config-set got no answer and the server stayed silent: it may still be applying
    /// it. No second config-set was sent over it.
    #[error("server {server}: config-set got no answer ({text}) and the server has not answered for {waited_secs} s since: it may still be applying the change, and nothing else was sent to it; check it (ddish check) before changing it again")]
    Unsettled {
        server: String,
        text: String,
        waited_secs: u64,
    },

    #[error("server {server}: the change is live but config-write failed ({text}): it will be lost when kea-dhcp4 restarts; make its config file writable for Kea and repeat the change")]
    NotPersisted {
        server: String,
        text: String,
        outcome: Box<WriteOutcome>,
    },

    /// Sent and accepted, but the server does not show it when read back.
    #[error(
        "server {server}: the change was sent but is not confirmed ({note}); reload and check it"
    )]
    Unverified { server: String, note: String },

    /// Talking to the server failed at some step.
    #[error("{source} (while trying to {stage}); {}", written_note(*written))]
    Kea {
        server: String,
        stage: &'static str,
        /// Whether a config-set had already succeeded.
        written: bool,
        source: KeaError,
    },

    /// A one-change command (host_cmds, subnet_cmds) refused: nothing changed.
    #[error("server {server} refused {command}: {text}; nothing was changed, fix the values and try again")]
    CommandRefused {
        server: String,
        command: &'static str,
        text: String,
    },

    /// A one-change command failed on the way; what was there before was put back if `restored`.
    #[error("server {server}: {command} failed ({text}); {}", undo_note(*restored))]
    CommandFailed {
        server: String,
        command: &'static str,
        text: String,
        restored: bool,
    },

    /// HA pair, command path: this server was changed, then put back because its peer failed.
    #[error("server {server}: the change was made, then undone because its HA peer {peer} failed; {}", undo_note_err(*restored, restore_error.as_deref()))]
    Undone {
        server: String,
        peer: String,
        restored: bool,
        restore_error: Option<String>,
    },

    /// HA pair: this server was not changed because its peer could not be.
    #[error("server {server}: not changed because its HA peer {peer} could not be ({reason}); nothing was written here")]
    PeerFailed {
        server: String,
        peer: String,
        reason: String,
    },

    /// HA pair: this server was changed, then its peer failed, so the change was taken back.
    #[error("server {server}: the change was applied, then taken back because its HA peer {peer} failed; {}", restore_note(*restored, restore_error.as_deref()))]
    RolledBack {
        server: String,
        peer: String,
        restored: bool,
        restore_error: Option<String>,
    },
}

fn restore_note(restored: bool, error: Option<&str>) -> String {
    if restored {
        "the previous configuration was re-sent at once and the server is healthy again (its hook commands are back); nothing changed".into()
    } else {
        format!(
            "re-sending the previous configuration FAILED too ({}): the server may be serving no DHCP; check it now (status-get, list-commands) and reload its config file (config-reload)",
            error.unwrap_or("unknown error")
        )
    }
}

fn undo_note(restored: bool) -> &'static str {
    if restored {
        "what was there before is back; nothing changed"
    } else {
        "putting back what was there before FAILED too: check the address (ddish ip show) and repeat the change"
    }
}

fn undo_note_err(restored: bool, error: Option<&str>) -> String {
    if restored {
        "what was there before is back; nothing changed".into()
    } else {
        format!(
            "undoing it FAILED ({}): the two peers now differ; check the address (ddish ip show) and repeat the change",
            error.unwrap_or("unknown error")
        )
    }
}

fn written_note(written: bool) -> &'static str {
    if written {
        "the change was already sent (config-set): reload the server's view and check whether it took"
    } else {
        "nothing was written"
    }
}

impl WriteError {
    pub fn server(&self) -> &str {
        match self {
            WriteError::Refused { server, .. }
            | WriteError::Guarded { server, .. }
            | WriteError::Invalid { server, .. }
            | WriteError::Changed { server, .. }
            | WriteError::Rejected { server, .. }
            | WriteError::SetFailed { server, .. }
            | WriteError::NotTaken { server, .. }
            | WriteError::Unsettled { server, .. }
            | WriteError::NotPersisted { server, .. }
            | WriteError::Kea { server, .. }
            | WriteError::PeerFailed { server, .. }
            | WriteError::CommandRefused { server, .. }
            | WriteError::CommandFailed { server, .. }
            | WriteError::Undone { server, .. }
            | WriteError::Unverified { server, .. }
            | WriteError::RolledBack { server, .. } => server,
        }
    }

    /// Whether the server may now run something other than what it ran before: true for a
    /// live-but-unsaved change, a config-set whose restore failed, or a transport failure
    /// after config-set.
    pub fn changed_server(&self) -> bool {
        match self {
            WriteError::NotPersisted { .. }
            | WriteError::Unverified { .. }
            | WriteError::Unsettled { .. } => true,
            WriteError::SetFailed { restored, .. }
            | WriteError::RolledBack { restored, .. }
            | WriteError::CommandFailed { restored, .. }
            | WriteError::Undone { restored, .. } => !restored,
            WriteError::Kea { written, .. } => *written,
            _ => false,
        }
    }
}
