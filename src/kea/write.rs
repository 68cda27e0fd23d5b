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

use super::client::KeaClient;
use super::config_reply::ConfigReply;
use super::error::KeaError;
use super::lean::{align, to_align, LeanConfig, Reach};
use super::semantic::{changed_parts, describe_summary, diff_summary, edit_is_live, same_meaning};
use super::subnet_write::{apply_plan, command_plan, undo_plan, CommandPlan};

pub use super::write_checks::GUARDED_KEYS;
use super::write_checks::{check_invariants, required_commands};
pub use super::write_error::{EditRefused, WriteError, WriteOutcome};

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
    F: FnOnce(&mut Value) -> Result<(), EditRefused>,
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
    F: FnOnce(&mut Value) -> Result<(), EditRefused>,
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
    F: FnOnce(&mut Value) -> Result<(), EditRefused>,
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
        reason: reason.0,
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
    super::progress::step("config-test", client.server_name());
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
    still_base(p).await?;
    super::progress::step("config-set", &p.server());
    let failure = match p
        .client
        .call_with("config-set", Some(&p.edited.wire()))
        .await
    {
        Ok(_) => return commands_back(p).await,
        Err(KeaError::Failed { text, .. }) => text,
        Err(e) => match settle(p, settle_budget(p.client)).await {
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
    Err(back_out(p, failure).await)
}

/// Right before config-set: is the server still on the configuration this change was made
/// from? Another tool, or a ddish on another host (which shares no lock), may have set one
/// since ddish read it, and sending now would silently undo that change. Kea >= 2.4 answers
/// config-hash-get cheaply; 2.2 is read again. What remains is one round trip (Kea has no
/// compare-and-set); the read-back after the write catches a change to ddish's own part.
async fn still_base(p: &Ready<'_>) -> Result<(), WriteError> {
    let changed = |what: String| WriteError::Changed {
        server: p.server(),
        what,
    };
    if let Some(h) = &p.last_good.hash {
        match p.client.config_hash().await {
            Ok(Some(now)) if now.eq_ignore_ascii_case(h) => return Ok(()),
            Ok(Some(_)) => {
                return Err(changed(
                    "another admin or tool set a configuration while ddish prepared this change"
                        .into(),
                ))
            }
            // No answer to the hash: judge by the configuration itself.
            _ => {}
        }
    }
    let read_err = kea_err(p.client, "check it still runs the base (config-get)", false);
    let mut now = read_back(p).await.map_err(&read_err)?;
    let mut base = p.last_good.clone();
    let same = if p.only_subnets.is_some() {
        // Only the edited subnets were read: those must be as they were.
        edit_is_live(&p.edited.value, &base.value, &now.value).is_ok()
    } else {
        align(&mut base, &mut now).map_err(&read_err)?;
        same_meaning(&base.value, &now.value)
    };
    if same {
        return Ok(());
    }
    Err(changed(format!(
        "{}, set by another admin or tool while ddish prepared this change",
        describe_summary(&diff_summary(&base.value, &now.value))
    )))
}

/// The last good config re-sent after `failure`: the error that says both.
pub(super) async fn back_out(p: &Ready<'_>, failure: String) -> WriteError {
    let restore_error = restore(p).await.err();
    WriteError::SetFailed {
        server: p.server(),
        text: failure,
        restored: restore_error.is_none(),
        restore_error,
    }
}

/// The commands of `want` that `have` lacks.
fn lacking<'a>(want: &'a BTreeSet<String>, have: &BTreeSet<String>) -> Vec<&'a str> {
    want.iter()
        .filter(|c| !have.contains(*c))
        .map(String::as_str)
        .collect()
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
    let missing = lacking(&p.commands_required, &after);
    if missing.is_empty() {
        return Ok(());
    }
    let failure = format!(
        "Kea accepted it but then lacked the commands {} (a hook library failed to load)",
        missing.join(", ")
    );
    Err(back_out(p, failure).await)
}

/// How long ddish keeps asking a server that lost a config-set's answer what it runs:
/// 10/3 of the write timeout (300 s with the default 90 s), at least 5 s.
pub fn settle_budget(client: &KeaClient) -> Duration {
    (client.write_timeout() * 10 / 3).max(Duration::from_secs(5))
}

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
        super::progress::step("config-set unanswered: asking what runs", &p.server());
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
    let missing = lacking(&p.commands_before, &after);
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
    super::progress::step("config-write and read-back", &p.server());
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

#[cfg(test)]
mod tests {
    use super::*;

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
