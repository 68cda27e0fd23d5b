//! The safe write protocol for one Kea server (DESIGN.md "Safe write protocol", KEA_FACTS.md
//! §5, §12): edit a copy of the full config, check the invariants, make sure nobody changed
//! the server meanwhile, config-test, config-set (re-sending the last good config at once if
//! that fails or a hook library went missing), config-write, read back and verify.
//!
//! The phases are separate ([`prepare`], [`apply`], [`finish`], [`restore`]) so an HA pair
//! can run the slow checks on both peers first and then set both back to back (`ha.rs`).
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;

use super::client::KeaClient;
use super::config_reply::ConfigReply;
use super::error::KeaError;
use super::ha::validate_ha;
use super::lean::{align, to_align, LeanConfig, Reach};
use super::semantic::{
    changed_parts, describe_summary, dhcp4, diff_summary, edit_is_live, normalise, same_meaning,
};
use super::subnet_write::{apply_plan, command_plan, undo_plan, CommandPlan};

/// Top-level Dhcp4 keys an ordinary edit must leave alone: getting one wrong leaves Kea
/// unmanageable or serving nothing, and config-test does not check them (KEA_FACTS.md §5, §12).
pub const GUARDED_KEYS: [&str; 4] = [
    "control-socket",
    "lease-database",
    "hooks-libraries",
    "interfaces-config",
];

/// A hook library's file name and the command that shows it is loaded.
const HOOK_MARKERS: [(&str, &str); 5] = [
    ("libdhcp_lease_cmds", "lease4-add"),
    ("libdhcp_stat_cmds", "stat-lease4-get"),
    ("libdhcp_ha", "ha-heartbeat"),
    ("libdhcp_host_cmds", "reservation-add"),
    ("libdhcp_subnet_cmds", "subnet4-add"),
];

/// What a successful (or live but unsaved) change did.
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

/// One safe config change. `base` is the config the user saw (`{"Dhcp4": {...}}` from
/// config-get, e.g. when the console opened the scope); `None` takes a fresh config-get.
/// `edit` changes a copy, touching only what the operation needs; an `Err` refuses and
/// nothing is sent. The [`GUARDED_KEYS`] must stay as they are: see
/// [`safe_config_edit_allowing`].
pub async fn safe_config_edit<F>(
    client: &KeaClient,
    base: Option<&Value>,
    edit: F,
) -> Result<WriteOutcome, WriteError>
where
    F: FnOnce(&mut Value) -> Result<(), String>,
{
    safe_config_edit_allowing(client, base, &[], edit).await
}

/// [`safe_config_edit`] for operations that are about one of the [`GUARDED_KEYS`] (failover
/// set-up changes `hooks-libraries`): the keys in `allow` may change. A changed HA hook is
/// checked by [`validate_ha`] first, since config-test does not check hook parameters.
pub async fn safe_config_edit_allowing<F>(
    client: &KeaClient,
    base: Option<&Value>,
    allow: &[&str],
    edit: F,
) -> Result<WriteOutcome, WriteError>
where
    F: FnOnce(&mut Value) -> Result<(), String>,
{
    match prepare(
        client,
        Base::seen_or_fetch(base),
        allow,
        &Reach::Whole,
        edit,
    )
    .await?
    {
        Prepared::Nothing(outcome) => Ok(*outcome),
        Prepared::Ready(p) => {
            apply(&p).await?;
            finish(&p).await
        }
    }
}

/// A change that passed every check before config-set.
pub(super) enum Prepared<'a> {
    /// The edit changes nothing in meaning: nothing is sent.
    Nothing(Box<WriteOutcome>),
    Ready(Box<Ready<'a>>),
}

pub(super) struct Ready<'a> {
    pub client: &'a KeaClient,
    /// What the server ran right before the write (same meaning as the user's base): what a
    /// failed write goes back to.
    pub last_good: LeanConfig,
    /// The user's base (what the edit was made on), when it is not `last_good` itself (a
    /// base read just now is).
    pub base: Option<LeanConfig>,
    pub edited: LeanConfig,
    /// list-commands before the write.
    pub commands_before: BTreeSet<String>,
    /// Commands that must still be there after config-set.
    pub commands_required: BTreeSet<String>,
    /// `Some`: the change only touches existing subnets and client classes and goes as
    /// subnet4-update / class commands instead of a config-set.
    pub command_plan: Option<CommandPlan>,
    /// `Some(ids)`: base and edited hold only these subnets (subnet4-get), and so does the
    /// read-back; `None`: whole configs, read back by config-get.
    pub only_subnets: Option<Vec<u32>>,
    pub started: Instant,
}

impl Ready<'_> {
    pub fn server(&self) -> String {
        self.client.server_name().to_string()
    }

    /// What the edit was made on.
    pub fn base(&self) -> &LeanConfig {
        self.base.as_ref().unwrap_or(&self.last_good)
    }
}

/// The configuration a change is made on.
pub enum Base<'a> {
    /// None yet: config-get it now.
    Fetch,
    /// What the user acted on, read earlier: the server must still run it (compared before
    /// config-test).
    Seen(&'a Value),
    /// Read by this very action a moment ago: as fresh as a second config-get would be.
    Fresh(Arc<ConfigReply>),
}

impl<'a> Base<'a> {
    /// `Some`: what the user saw; `None`: read it now.
    pub fn seen_or_fetch(v: Option<&'a Value>) -> Base<'a> {
        v.map_or(Base::Fetch, Base::Seen)
    }
}

fn kea_err<'c>(
    client: &'c KeaClient,
    stage: &'static str,
    written: bool,
) -> impl Fn(KeaError) -> WriteError + 'c {
    move |source| WriteError::Kea {
        server: client.server_name().to_string(),
        stage,
        written,
        source,
    }
}

/// config-get, the subnets out of `reach` held as text (shared with `known`'s where equal).
async fn read_lean(
    client: &KeaClient,
    reach: &Reach,
    known: Option<&LeanConfig>,
) -> Result<LeanConfig, KeaError> {
    let reply = client.config_get_reply().await?;
    match known {
        Some(k) => reply.lean_beside(reach, k),
        None => reply.lean(reach),
    }
}

/// Steps 1-3 and config-test: base, edit, invariants, the unchanged-meanwhile check, and
/// config-test. Nothing is written. The edit sees the subnets in `reach` whole, the others
/// as stubs (`lean.rs`): a big config is not held three times over.
pub(super) async fn prepare<'a, F>(
    client: &'a KeaClient,
    base: Base<'_>,
    allow: &[&str],
    reach: &Reach,
    edit: F,
) -> Result<Prepared<'a>, WriteError>
where
    F: FnOnce(&mut Value) -> Result<(), String>,
{
    let started = Instant::now();
    let server = client.server_name().to_string();
    let read_err = || kea_err(client, "read its configuration (config-get)", false);
    let (mut base, fresh) = match base {
        Base::Seen(b) => (LeanConfig::from_value(b.clone(), reach), false),
        Base::Fresh(r) => (r.lean(reach).map_err(read_err())?, true),
        Base::Fetch => (
            read_lean(client, reach, None).await.map_err(read_err())?,
            true,
        ),
    };
    if base.value.get("Dhcp4").and_then(Value::as_object).is_none() {
        return Err(WriteError::Invalid {
            server,
            reason: "the base configuration is not a full {\"Dhcp4\": {...}} (a ddish bug: it must come from config-get)".into(),
        });
    }
    let mut edited = base.clone();
    edit(&mut edited.value).map_err(|reason| WriteError::Refused {
        server: server.clone(),
        reason,
    })?;
    base.check_held(&edited.value)
        .map_err(|reason| WriteError::Invalid {
            server: server.clone(),
            reason,
        })?;
    check_invariants(&base.value, &edited.value, allow).map_err(|e| e.on(&server))?;
    if same_meaning(&base.value, &edited.value) {
        return Ok(Prepared::Nothing(Box::new(WriteOutcome {
            server,
            written: false,
            summary: serde_json::json!({}),
            before: serde_json::json!({}),
            after: serde_json::json!({}),
            persisted: true,
            verified: true,
            verify_note: None,
            duration: started.elapsed(),
        })));
    }

    // A base fetched just now is as fresh as a second config-get would be.
    let (current, commands) = if fresh {
        (None, client.list_commands().await)
    } else {
        let (c, l) = tokio::join!(
            read_lean(client, reach, Some(&base)),
            client.list_commands()
        );
        (Some(c), l)
    };
    let current = current.transpose().map_err(read_err())?;
    let commands_before: BTreeSet<String> = commands
        .map_err(kea_err(client, "list its commands (list-commands)", false))?
        .into_iter()
        .collect();
    if let Some(mut current) = current {
        // Subnets whose text differs are compared whole, on the edited copy too.
        let opened = align(&mut base, &mut current).map_err(read_err())?;
        edited.open(&opened).map_err(read_err())?;
        if !same_meaning(&base.value, &current.value) {
            return Err(WriteError::Changed {
                server,
                what: describe_summary(&diff_summary(&base.value, &current.value)),
            });
        }
        return test_and_ready(
            client,
            current,
            Some(base),
            edited,
            commands_before,
            started,
        )
        .await;
    }
    test_and_ready(client, base, None, edited, commands_before, started).await
}

/// config-test of `edited`, then the change is ready to be set.
async fn test_and_ready<'a>(
    client: &'a KeaClient,
    last_good: LeanConfig,
    base: Option<LeanConfig>,
    edited: LeanConfig,
    commands_before: BTreeSet<String>,
    started: Instant,
) -> Result<Prepared<'a>, WriteError> {
    match client.call_with("config-test", Some(&edited.wire())).await {
        Ok(_) => {}
        Err(KeaError::Failed { text, .. }) => {
            return Err(WriteError::Rejected {
                server: client.server_name().to_string(),
                text,
            })
        }
        Err(e) => return Err(kea_err(client, "test the change (config-test)", false)(e)),
    }
    let commands_required = required_commands(&last_good.value, &edited.value, &commands_before);
    let command_plan = command_plan(&last_good.value, &edited.value, &commands_before);
    Ok(Prepared::Ready(Box::new(Ready {
        client,
        last_good,
        base,
        edited,
        commands_before,
        commands_required,
        command_plan,
        only_subnets: None,
        started,
    })))
}

/// config-set, then judge by list-commands; on a failure Kea reports, re-send the last good
/// config at once (KEA_FACTS.md §12). When the answer is lost or late (a timeout, a dropped
/// connection, the agent giving up), the config-set may still be running: a second one would
/// queue behind it (two full reloads, DHCP stalled twice), so ddish waits until the server
/// answers again and judges by what it runs ([`settle`]). A change of existing subnets only
/// goes as subnet4-update calls, guarded by config-hash-get against the config it was made on.
pub(super) async fn apply(p: &Ready<'_>) -> Result<(), WriteError> {
    if let Some(plan) = &p.command_plan {
        return apply_plan(p.client, plan, p.last_good.hash.as_deref()).await;
    }
    let failure = match p
        .client
        .call_with("config-set", Some(&p.edited.wire()))
        .await
    {
        Ok(_) => return commands_back(p).await,
        Err(KeaError::Failed { text, .. }) => text,
        Err(e) => match settle(p, SETTLE_BUDGET).await {
            Settled::New => return commands_back(p).await,
            Settled::Old => {
                return Err(WriteError::NotTaken {
                    server: p.server(),
                    text: e.to_string(),
                })
            }
            Settled::Silent(waited) => {
                return Err(WriteError::Unsettled {
                    server: p.server(),
                    text: e.to_string(),
                    waited_secs: waited.as_secs(),
                })
            }
            Settled::Other(what) => format!("{e}; when the server answered again {what}"),
        },
    };
    let restore_error = restore(p).await.err();
    Err(WriteError::SetFailed {
        server: p.server(),
        text: failure,
        restored: restore_error.is_none(),
        restore_error,
    })
}

/// After a good config-set: every command the change needs is there (a hook that failed
/// to load takes its commands away), else the last good config goes back.
async fn commands_back(p: &Ready<'_>) -> Result<(), WriteError> {
    let after: BTreeSet<String> = match p.client.list_commands().await {
        Ok(after) => after.into_iter().collect(),
        Err(e) => {
            return Err(kea_err(
                p.client,
                "check the server after config-set (list-commands)",
                true,
            )(e))
        }
    };
    let missing: Vec<&str> = p
        .commands_required
        .difference(&after)
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let failure = format!(
        "Kea accepted it but then lacked the commands {} (a hook library failed to load)",
        missing.join(", ")
    );
    let restore_error = restore(p).await.err();
    Err(WriteError::SetFailed {
        server: p.server(),
        text: failure,
        restored: restore_error.is_none(),
        restore_error,
    })
}

/// How long ddish keeps asking a server that lost a config-set's answer what it runs.
pub const SETTLE_BUDGET: Duration = Duration::from_secs(300);

/// What a server runs once it answers again after a config-set without an answer.
#[derive(Debug)]
pub(super) enum Settled {
    /// The edited configuration: the config-set took.
    New,
    /// The configuration before it: it did not.
    Old,
    /// Neither (said how).
    Other(String),
    /// No answer within the budget (how long ddish asked).
    Silent(Duration),
}

/// Asks the server what it runs (the read-back config-get), with back-off from 1 s to 10 s,
/// until it answers or `budget` is spent. Each question waits behind whatever the server is
/// doing (Kea answers one command at a time) and changes nothing.
pub(super) async fn settle(p: &Ready<'_>, budget: Duration) -> Settled {
    let started = Instant::now();
    let mut pause = Duration::from_secs(1);
    loop {
        tracing::info!(server = %p.server(), "config-set unanswered: asking what the server runs");
        if let Ok(now) = read_back(p).await {
            let base = &p.base().value;
            return if edit_is_live(base, &p.edited.value, &now.value).is_ok() {
                Settled::New
            } else if edit_is_live(&p.edited.value, base, &now.value).is_ok() {
                Settled::Old
            } else {
                Settled::Other("it ran neither the previous configuration nor the change".into())
            };
        }
        if started.elapsed() + pause > budget {
            return Settled::Silent(started.elapsed());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// Re-sends the last good config and checks that every command it had is back.
pub(super) async fn restore(p: &Ready<'_>) -> Result<(), String> {
    if let Some(plan) = &p.command_plan {
        return undo_plan(p.client, plan).await;
    }
    p.client
        .call_with("config-set", Some(&p.last_good.wire()))
        .await
        .map_err(|e| e.to_string())?;
    let after: BTreeSet<String> = p
        .client
        .list_commands()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let missing: Vec<&str> = p
        .commands_before
        .difference(&after)
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "after re-sending it, the commands {} are still missing",
            missing.join(", ")
        ))
    }
}

/// What the server runs now, in the shape of the edit: what it opened is read open, the
/// rest may stay held.
async fn read_back(p: &Ready<'_>) -> Result<LeanConfig, KeaError> {
    match &p.only_subnets {
        Some(ids) => super::subnet_edit::read_subnets(p.client, ids)
            .await
            .map(|v| LeanConfig::from_value(v, &Reach::Whole)),
        None if !p.edited.holds_any() => read_lean(p.client, &Reach::Whole, None).await,
        None => {
            let open: Vec<u32> = p
                .edited
                .open_ids()
                .into_iter()
                .filter_map(|id| u32::try_from(id).ok())
                .collect();
            read_lean(p.client, &Reach::Subnets(open), Some(&p.edited)).await
        }
    }
}

/// config-write, read back, verify.
pub(super) async fn finish(p: &Ready<'_>) -> Result<WriteOutcome, WriteError> {
    let write = p.client.call("config-write", None).await;
    let read = read_back(p).await;
    let (readback, verify_note) = match read {
        Ok(r) => {
            let note = edit_is_live(&p.base().value, &p.edited.value, &r.value).err();
            (Some(r), note)
        }
        Err(e) => (None, Some(format!("could not read the config back: {e}"))),
    };
    // Opened on both sides where they differ, as `align` does; the last good config is only
    // copied when it has something to open (a copy costs ~1 KB per held subnet).
    let mut after = readback.unwrap_or_else(|| p.edited.clone());
    let ids = to_align(&p.last_good, &after);
    let opened: Result<Option<LeanConfig>, KeaError> = if p.last_good.holds_some(&ids) {
        let mut b = p.last_good.clone();
        b.open(&ids).map(|_| Some(b))
    } else {
        Ok(None)
    };
    let (summary, before, after) = match opened.and_then(|b| after.open(&ids).map(|_| b)) {
        Ok(opened) => {
            let before = opened.as_ref().unwrap_or(&p.last_good);
            let summary = diff_summary(&before.value, &after.value);
            let parts = (
                changed_parts(&before.value, &summary),
                changed_parts(&after.value, &summary),
            );
            (summary, parts.0, parts.1)
        }
        Err(e) => (
            serde_json::json!({"error": e.to_string()}),
            Value::Null,
            Value::Null,
        ),
    };
    let outcome = WriteOutcome {
        server: p.server(),
        written: true,
        before,
        after,
        summary,
        persisted: write.is_ok(),
        verified: verify_note.is_none(),
        verify_note,
        duration: p.started.elapsed(),
    };
    match write {
        Ok(_) => Ok(outcome),
        Err(e) => Err(WriteError::NotPersisted {
            server: p.server(),
            text: match e {
                KeaError::Failed { text, .. } => text,
                e => e.to_string(),
            },
            outcome: Box::new(outcome),
        }),
    }
}

/// The commands that must be there after config-set: all of them when the hooks are
/// unchanged; otherwise the marker command of every known hook library the new config loads.
fn required_commands(
    current: &Value,
    edited: &Value,
    before: &BTreeSet<String>,
) -> BTreeSet<String> {
    let hooks = |c: &Value| dhcp4(c).and_then(|d| d.get("hooks-libraries")).cloned();
    if hooks(current) == hooks(edited) {
        return before.clone();
    }
    let libs: Vec<String> = hooks(edited)
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("library").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    HOOK_MARKERS
        .iter()
        .filter(|(lib, _)| {
            libs.iter().any(|l| {
                let file = l.rsplit('/').next().unwrap_or(l);
                file.strip_suffix(".so").unwrap_or(file) == *lib
            })
        })
        .map(|(_, cmd)| cmd.to_string())
        .collect()
}

/// An invariant broken, before the server name is known.
#[derive(Debug, PartialEq)]
enum Broken {
    Guarded(String),
    Invalid(String),
}

impl Broken {
    fn on(self, server: &str) -> WriteError {
        let server = server.to_string();
        match self {
            Broken::Guarded(key) => WriteError::Guarded { server, key },
            Broken::Invalid(reason) => WriteError::Invalid { server, reason },
        }
    }
}

/// Step 2: the edited config is full `{"Dhcp4": ...}` with every top-level key the base had,
/// the guarded keys unchanged (unless allowed), every subnet with a unique id, and a changed
/// HA hook's parameters valid.
fn check_invariants(base: &Value, edited: &Value, allow: &[&str]) -> Result<(), Broken> {
    let top = edited
        .as_object()
        .ok_or_else(|| Broken::Invalid("the configuration must be {\"Dhcp4\": {...}}".into()))?;
    if let Some(other) = top.keys().find(|k| *k != "Dhcp4") {
        return Err(Broken::Invalid(format!(
            "it has a top-level '{other}' next to Dhcp4; only {{\"Dhcp4\": {{...}}}} may be sent to kea-dhcp4"
        )));
    }
    let (Some(b), Some(e)) = (
        base.get("Dhcp4").and_then(Value::as_object),
        edited.get("Dhcp4").and_then(Value::as_object),
    ) else {
        return Err(Broken::Invalid(
            "the configuration must be a full {\"Dhcp4\": {...}}, never a part of one".into(),
        ));
    };
    if let Some(k) = b
        .keys()
        .find(|k| !e.contains_key(*k) && !allow.contains(&k.as_str()))
    {
        return Err(Broken::Invalid(format!(
            "it drops Dhcp4 '{k}': ddish never sends a partial configuration"
        )));
    }
    for key in GUARDED_KEYS {
        let changed = b.get(key).map(normalise) != e.get(key).map(normalise);
        if changed && !allow.contains(&key) {
            return Err(Broken::Guarded(key.to_string()));
        }
    }
    check_subnet_ids(e)?;
    if b.get("hooks-libraries") != e.get("hooks-libraries") {
        validate_ha(edited).map_err(|r| Broken::Invalid(format!("HA hook: {r}")))?;
    }
    Ok(())
}

/// Every subnet has a positive integer id, and no id is used twice (a subnet without one gets
/// an automatic id that collides, KEA_FACTS.md §5).
fn check_subnet_ids(d: &serde_json::Map<String, Value>) -> Result<(), Broken> {
    let mut lists: Vec<&Value> = d.get("subnet4").into_iter().collect();
    for sn in d
        .get("shared-networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lists.extend(sn.get("subnet4"));
    }
    let mut seen = std::collections::BTreeMap::new();
    for s in lists.into_iter().filter_map(Value::as_array).flatten() {
        let prefix = s.get("subnet").and_then(Value::as_str).unwrap_or("?");
        let id = s
            .get("id")
            .and_then(Value::as_u64)
            .filter(|&id| (1..=u64::from(u32::MAX)).contains(&id))
            .ok_or_else(|| {
                Broken::Invalid(format!(
                    "subnet {prefix} has no valid id (a positive number); every subnet needs one"
                ))
            })?;
        if let Some(other) = seen.insert(id, prefix) {
            return Err(Broken::Invalid(format!(
                "subnet id {id} is used by both {other} and {prefix}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"Dhcp4": {
            "control-socket": {"socket-type": "unix", "socket-name": "/x/s"},
            "lease-database": {"type": "memfile", "name": "/x/l.csv"},
            "hooks-libraries": [{"library": "/h/libdhcp_lease_cmds.so"}],
            "interfaces-config": {"interfaces": []},
            "subnet4": [{"id": 1, "subnet": "10.1.0.0/24"}],
            "shared-networks": [{"name": "n", "subnet4": [{"id": 2, "subnet": "10.2.0.0/24"}]}]
        }})
    }

    #[test]
    fn guarded_keys_refuse_unless_allowed() {
        for key in GUARDED_KEYS {
            let mut e = base();
            e["Dhcp4"][key] = json!({"changed": true});
            assert_eq!(
                check_invariants(&base(), &e, &[]),
                Err(Broken::Guarded(key.into()))
            );
            if key != "hooks-libraries" {
                assert_eq!(check_invariants(&base(), &e, &[key]), Ok(()));
            }
        }
    }

    #[test]
    fn partial_and_id_problems_are_invalid() {
        let partial = json!({"Dhcp4": {"subnet4": []}});
        let Err(Broken::Invalid(r)) = check_invariants(&base(), &partial, &[]) else {
            panic!("partial config accepted");
        };
        assert!(r.contains("partial"), "{r}");
        let mut no_id = base();
        no_id["Dhcp4"]["subnet4"] = json!([{"subnet": "10.3.0.0/24"}]);
        let Err(Broken::Invalid(r)) = check_invariants(&base(), &no_id, &[]) else {
            panic!("subnet without id accepted");
        };
        assert!(r.contains("10.3.0.0/24"), "{r}");
        let mut dup = base();
        dup["Dhcp4"]["subnet4"] = json!([{"id": 2, "subnet": "10.3.0.0/24"}]);
        assert_eq!(
            check_invariants(&base(), &dup, &[]),
            Err(Broken::Invalid(
                "subnet id 2 is used by both 10.3.0.0/24 and 10.2.0.0/24".into()
            ))
        );
        let mut extra = base();
        extra["Control-agent"] = json!({});
        assert!(check_invariants(&base(), &extra, &[]).is_err());
    }

    #[test]
    fn required_commands_follow_the_hooks() {
        let before: BTreeSet<String> = ["lease4-add", "config-get", "stat-lease4-get"]
            .map(String::from)
            .into();
        assert_eq!(required_commands(&base(), &base(), &before), before);
        let mut e = base();
        e["Dhcp4"]["hooks-libraries"] = json!([
            {"library": "/h/libdhcp_lease_cmds.so"}, {"library": "libdhcp_ha.so"}]);
        assert_eq!(
            required_commands(&base(), &e, &before),
            ["ha-heartbeat", "lease4-add"].map(String::from).into()
        );
    }

    #[test]
    fn messages_say_where_what_and_how() {
        let e = WriteError::Changed {
            server: "kea-1".into(),
            what: "subnets changed 3".into(),
        };
        assert_eq!(e.to_string(), "server kea-1: the configuration changed on the server since you loaded it (subnets changed 3): reload and try again; nothing was written");
        assert!(!e.changed_server());
        let e = WriteError::SetFailed {
            server: "kea-2".into(),
            text: "One or more hook libraries failed to load".into(),
            restored: false,
            restore_error: Some("timeout".into()),
        };
        let s = e.to_string();
        assert!(
            s.contains("kea-2")
                && s.contains("FAILED too (timeout)")
                && s.contains("config-reload"),
            "{s}"
        );
        assert!(e.changed_server());
    }
}
