//! Maintenance of a relationship: this server takes over every client alone and the
//! partner goes in-maintenance (ha-maintenance-start), or both go back (cancel).
use std::time::Duration;

use serde_json::json;

use crate::kea::ha_setup::wait_states;
use crate::kea::KeaClient;

use super::side::{journal, load_rel};
use super::steps::*;
use super::{FailoverOutcome, HA_WAIT};
use crate::config::Role;
use crate::ops::{OpError, Session};
async fn maintenance(
    session: &Session,
    server: &str,
    name: &str,
    start: bool,
) -> Result<FailoverOutcome, OpError> {
    let rel = load_rel(session, server, name, Role::Admin).await?;
    let command = if start {
        "ha-maintenance-start"
    } else {
        "ha-maintenance-cancel"
    };
    let action = if start {
        "failover-maintenance-start"
    } else {
        "failover-maintenance-cancel"
    };
    let mut warnings = Vec::new();
    let mut r = rel.this.client.call(command, None).await;
    if !start && r.is_err() {
        // The cancel may have to go to the other server (maintenance started there).
        if let Ok(x) = rel.partner.client.call(command, None).await {
            r = Ok(x);
        }
    }
    let text = match r {
        Ok(x) => x.text.unwrap_or_default(),
        Err(e) => {
            let err = refused(format!("{command} on {server} failed: {e}"));
            journal(
                session,
                &[&rel.this],
                action,
                json!({"failover": name}),
                Err(&err),
                &mut warnings,
            );
            return Err(err);
        }
    };
    let clients: [&KeaClient; 2] = [&rel.this.client, &rel.partner.client];
    let (converged, states) = if start {
        let (ok, st) = wait_states(
            &clients[..1],
            "partner-in-maintenance",
            Duration::from_secs(10),
        )
        .await;
        let (_, rest) = wait_states(
            &clients[1..],
            "in-maintenance",
            Duration::from_secs(if ok { 10 } else { 1 }),
        )
        .await;
        let mut all = st;
        all.extend(rest);
        (
            all.iter()
                .map(|(_, s)| s.as_str())
                .eq(["partner-in-maintenance", "in-maintenance"]),
            all,
        )
    } else {
        wait_states(&clients, &rel.ha.mode, HA_WAIT).await
    };
    journal(
        session,
        &[&rel.this],
        action,
        json!({"failover": name, "reply": text}),
        Ok(()),
        &mut warnings,
    );
    Ok(FailoverOutcome {
        name: name.to_string(),
        summary: if start {
            format!(
                "maintenance started: {} serves all clients; {} is in maintenance and can be shut down",
                rel.this.server, rel.partner.server
            )
        } else {
            format!("maintenance of failover {name} ended")
        },
        servers: vec![rel.this.server.clone()],
        states,
        converged,
        steps: vec![format!("{command} on {}: {text}", rel.this.server)],
        warnings,
    })
}

pub async fn maintenance_start(
    session: &Session,
    server: &str,
    name: &str,
) -> Result<FailoverOutcome, OpError> {
    maintenance(session, server, name, true).await
}

pub async fn maintenance_cancel(
    session: &Session,
    server: &str,
    name: &str,
) -> Result<FailoverOutcome, OpError> {
    maintenance(session, server, name, false).await
}
