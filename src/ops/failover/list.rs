//! Manage Failover's list: a server's relationship with both servers' live HA state.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::kea::ha_setup::{read_ha, HaPeerParams};
use crate::model::failover::HaMode;

use super::side::{configured_at, configured_side, partner_side, rel_name, subnet_ids};
use super::steps::*;
use super::FailoverInfo;
use crate::ops::{OpError, Session};

/// Each server's HA state and when this process first saw it in that state.
static SEEN: Mutex<Option<HashMap<String, (String, Instant)>>> = Mutex::new(None);

/// Seconds `server` has been in `state` as far as this process knows; `None` on first sight.
fn track(server: &str, state: Option<&str>) -> Option<u64> {
    let state = state?;
    let mut g = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    match map.get(server) {
        Some((s, since)) if s == state => Some(since.elapsed().as_secs()),
        _ => {
            map.insert(server.to_string(), (state.to_string(), Instant::now()));
            None
        }
    }
}

pub async fn list(session: &Session, server: &str) -> Result<Vec<FailoverInfo>, OpError> {
    let this = configured_side(session, server)?;
    let (raw, status) = tokio::join!(this.client.config_get_raw(), this.client.status_get());
    let raw = raw?;
    let Some(ha) = read_ha(&raw) else {
        return Ok(Vec::new());
    };
    let local = status.ok().and_then(|s| s.ha);
    let me = ha.this_peer().cloned();
    let partner_peer = ha.partner().cloned();
    let partner = partner_side(session, &ha);
    let (partner_raw, partner_status, partner_error) = match &partner {
        Ok(p) => {
            let (r, s) = tokio::join!(p.client.config_get_raw(), p.client.status_get());
            let err = r.as_ref().err().map(|e| e.to_string());
            (r.ok(), s.ok(), err)
        }
        Err(e) => (None, None, Some(e.to_string())),
    };
    let mine = subnet_ids(&raw);
    let (scopes, only_here, only_partner) = match &partner_raw {
        Some(pr) => {
            let theirs = subnet_ids(pr);
            (
                cidrs(
                    &mine
                        .iter()
                        .filter(|s| theirs.contains(s))
                        .copied()
                        .collect::<Vec<_>>(),
                ),
                cidrs(
                    &mine
                        .iter()
                        .filter(|s| !theirs.contains(s))
                        .copied()
                        .collect::<Vec<_>>(),
                ),
                cidrs(
                    &theirs
                        .iter()
                        .filter(|s| !mine.contains(s))
                        .copied()
                        .collect::<Vec<_>>(),
                ),
            )
        }
        None => (cidrs(&mine), Vec::new(), Vec::new()),
    };
    // Subnets on one side only are listed above; the rest of the drift here.
    let drift = match (&partner_raw, &partner_peer) {
        (Some(pr), Some(pp)) => crate::kea::drift(&raw, server, pr, &pp.name)
            .into_iter()
            .filter(|l| !(l.starts_with("subnet ") && l.contains(") only on ")))
            .collect(),
        _ => Vec::new(),
    };
    let local_state = local.as_ref().and_then(|h| h.local_state.clone());
    let partner_state = partner_status
        .and_then(|s| s.ha)
        .and_then(|h| h.local_state)
        .or_else(|| {
            local
                .as_ref()
                .and_then(|h| h.remote_state.clone())
                .filter(|s| !s.is_empty())
        });
    let state_for_secs = track(server, local_state.as_deref());
    let pp = partner_peer.clone().unwrap_or(HaPeerParams {
        name: String::new(),
        url: String::new(),
        role: String::new(),
        auto_failover: true,
        basic_auth_user: None,
        basic_auth_password: None,
    });
    Ok(vec![FailoverInfo {
        name: rel_name(&raw, &ha),
        mode: HaMode::parse(&ha.mode).filter(|_| ha.mode != "passive-backup"),
        mode_text: ha.mode.clone(),
        this_server: server.to_string(),
        this_peer: ha.this_server_name.clone(),
        this_url: me.as_ref().map(|p| p.url.clone()).unwrap_or_default(),
        this_role: me.as_ref().map(|p| p.role.clone()).unwrap_or_default(),
        partner_server: configured_at(session, &pp.url),
        partner_peer: pp.name.clone(),
        partner_url: pp.url.clone(),
        partner_role: pp.role.clone(),
        scopes,
        only_here,
        only_partner,
        drift,
        local_state,
        partner_state,
        communication_interrupted: local.as_ref().and_then(|h| h.communication_interrupted),
        unacked_clients: local.as_ref().and_then(|h| h.unacked_clients),
        state_for_secs,
        heartbeat_delay_ms: ha.heartbeat_delay,
        max_response_delay_ms: ha.max_response_delay,
        max_ack_delay_ms: ha.max_ack_delay,
        max_unacked_clients: ha.max_unacked_clients,
        auto_failover: me.as_ref().map(|p| p.auto_failover).unwrap_or(true),
        peer_user: pp.basic_auth_user.clone(),
        has_peer_password: pp.basic_auth_password.is_some(),
        partner_error,
    }])
}
