//! Steps the failover operations share: HA parameters from a spec, pool layout, checks on
//! the partner, copying a scope's place in the IPAM tree, waiting for HA to settle.
use std::time::Duration;

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::kea::ha_setup::{
    share_subnet_pools, split_subnet_pools, wait_states, HaParams, HaPeerParams,
};
use crate::kea::marks::{network_entry_mut, networks_mut};
use crate::kea::KeaClient;
use crate::model::failover::{FailoverSpec, HaMode};

use super::side::{subnet_ids, Side};
use super::HA_WAIT;
use crate::ops::{OpError, Session};

pub(super) fn refused(s: impl Into<String>) -> OpError {
    OpError::Refused(s.into())
}

pub(super) fn cidrs(v: &[(u64, Ipv4Net)]) -> Vec<Ipv4Net> {
    v.iter().map(|(_, c)| *c).collect()
}

pub(super) fn join(v: &[Ipv4Net]) -> String {
    v.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn check_spec(spec: &FailoverSpec) -> Result<(), OpError> {
    spec.validate().map_err(|errs| {
        refused(
            errs.iter()
                .map(|(f, e)| format!("{}: {e}", f.label()))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The HA parameters for a spec; `this`/`partner` give names and URLs.
pub(super) fn params_for(spec: &FailoverSpec, this: &Side, partner: &Side) -> HaParams {
    let peer = |s: &Side, primary: bool| HaPeerParams {
        name: s.peer.clone(),
        url: s.url.clone(),
        role: if primary {
            "primary".into()
        } else {
            spec.mode.second_role().kea_name().into()
        },
        auto_failover: spec.auto_failover,
        basic_auth_user: spec.peer_user.clone().filter(|u| !u.is_empty()),
        basic_auth_password: spec
            .peer_password
            .clone()
            .filter(|_| spec.peer_user.as_deref().is_some_and(|u| !u.is_empty())),
    };
    let mut peers = vec![
        peer(this, spec.primary_is_this),
        peer(partner, !spec.primary_is_this),
    ];
    peers.sort_by_key(|p| p.role != "primary");
    HaParams {
        mode: spec.mode.kea_name().into(),
        this_server_name: this.peer.clone(),
        peers,
        heartbeat_delay: spec.heartbeat_delay_ms,
        max_response_delay: spec.max_response_delay_ms,
        max_ack_delay: spec.max_ack_delay_ms,
        max_unacked_clients: spec.max_unacked_clients,
    }
}

/// Pools of one subnet laid out for the relationship: split between the primary's and the
/// other's HA class for load balancing, shared for hot standby.
pub(super) fn lay_out(
    subnet: &mut Value,
    params: &HaParams,
) -> Result<(), crate::kea::EditRefused> {
    if params.mode == HaMode::LoadBalancing.kea_name() {
        let first = params
            .peers
            .first()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let second = params
            .peers
            .get(1)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        split_subnet_pools(subnet, &first, &second)
    } else {
        share_subnet_pools(subnet)
    }
}

/// Login needed between the peers: a configured side's agent asks ddish for one.
pub(super) fn check_login(
    session: &Session,
    sides: [&Side; 2],
    user: Option<&str>,
) -> Result<(), OpError> {
    if user.is_some_and(|u| !u.is_empty()) {
        return Ok(());
    }
    for s in sides {
        if let Some(u) = session
            .config()
            .server(&s.server)
            .filter(|_| s.configured)
            .and_then(|c| c.user.clone())
        {
            return Err(refused(format!(
                "the Control Agent of {} asks for a login (ddish logs in as {u}), so the servers need one to reach each other: give the peer user and password (wizard: Authentication; CLI: --peer-user and --peer-password-file). Without it both would go partner-down and serve the same clients",
                s.server
            )));
        }
    }
    Ok(())
}

/// Checks that `subnet` (of this server) can go on the partner with the same id.
pub(super) fn check_partner_room(
    partner_raw: &Value,
    partner: &str,
    id: u64,
    cidr: &Ipv4Net,
) -> Result<bool, OpError> {
    let mut replace = false;
    for (pid, pc) in subnet_ids(partner_raw) {
        if pid == id && pc == *cidr {
            replace = true;
        } else if pid == id {
            return Err(refused(format!(
                "subnet id {id} of scope {cidr} is used on {partner} by {pc}: the scope must keep its id on both servers; move or delete {pc} on {partner} first"
            )));
        } else if pc == *cidr {
            return Err(refused(format!(
                "{partner} already has scope {cidr} with subnet id {pid} (here it is {id}): the ids must match; delete it on {partner} first"
            )));
        } else if crate::model::range::nets_overlap(&pc, cidr) {
            return Err(refused(format!(
                "scope {cidr} overlaps {pc} on {partner}: Kea cannot hold both; remove {pc} on {partner} first"
            )));
        }
    }
    Ok(replace)
}

/// Lists `scope` on `dst` in the ddish network that lists it on `src` (the network entry is
/// copied when `dst` lacks it), so the copy sits in the same place of the IPAM tree.
pub(super) fn copy_listing(src: &Value, dst: &mut Value, scope: &Ipv4Net) {
    let s = scope.to_string();
    let nets: Vec<Value> = src["Dhcp4"]["user-context"]["ddish"]["networks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| {
            n["scopes"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(&s)))
        })
        .cloned()
        .collect();
    let Ok(list) = networks_mut(dst) else { return };
    for n in nets {
        let Some(cidr) = n["cidr"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()) else {
            continue;
        };
        match network_entry_mut(list, &cidr) {
            Some(e) => {
                if !e["scopes"].is_array() {
                    e["scopes"] = json!([]);
                }
                if let Some(l) = e["scopes"].as_array_mut() {
                    if !l.iter().any(|x| x.as_str() == Some(&s)) {
                        l.push(json!(s));
                    }
                }
            }
            None => {
                let mut e = n.clone();
                e["scopes"] = json!([s]);
                list.push(e);
            }
        }
    }
}

/// Waits for both normal states, sends ha-sync to the partner (it pulls this server's
/// leases; KEA_FACTS.md §12), and reports.
pub(super) async fn settle(
    this: &Side,
    partner: &Side,
    mode: &str,
    sync: bool,
    steps: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> (bool, Vec<(String, String)>) {
    let clients: [&KeaClient; 2] = [&this.client, &partner.client];
    let (mut ok, mut states) = wait_states(&clients, mode, HA_WAIT).await;
    if ok {
        steps.push(format!("both servers reached {mode}"));
    }
    if sync {
        match partner
            .client
            .call("ha-sync", Some(json!({"server-name": this.peer})))
            .await
        {
            Ok(r) => steps.push(format!(
                "ha-sync on {} from {}: {}",
                partner.server,
                this.server,
                r.text.as_deref().unwrap_or("done")
            )),
            Err(e) => warnings.push(format!(
                "ha-sync on {} failed ({e}): it has the leases it pulled while syncing; run ha-sync again if some are missing",
                partner.server
            )),
        }
        let (o, s) =
            wait_states(&clients, mode, Duration::from_secs(if ok { 10 } else { 5 })).await;
        ok = o;
        states = s;
    }
    if !ok {
        warnings.push(format!(
            "HA has not reached {mode} on both servers within {} s ({}): the change is made; watch the state in Manage Failover",
            HA_WAIT.as_secs(),
            states
                .iter()
                .map(|(n, s)| format!("{n}: {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    (ok, states)
}

pub(super) fn forget(session: &Session, sides: [&Side; 2]) {
    for s in sides {
        if s.configured {
            session.forget_digest(&s.server);
        }
    }
}

pub(super) fn summary_json(name: &str, params: &HaParams, scopes: &[Ipv4Net]) -> Value {
    let mut p = params.to_json();
    if let Some(o) = p.as_object_mut() {
        o.remove("this-server-name");
    }
    json!({"failover": name, "high-availability": p,
           "scopes": scopes.iter().map(|c| c.to_string()).collect::<Vec<_>>()})
}
