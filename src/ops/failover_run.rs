//! The failover operations: list, plan/create, edit, delete, add scope, maintenance.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::kea::ha_setup::{
    foreign_pool_class, half_subnet_pools, hooks_dir_of, missing_ha_hooks, put_subnet, read_ha,
    remove_ha, remove_subnet, safe_config_edit_each, set_failover_mark, set_ha, share_subnet_pools,
    split_subnet_pools, subnets_mut, wait_states, HaParams, HaPeerParams, PeerEdit,
};
use crate::kea::KeaClient;
use crate::model::failover::{peer_name, FailoverSpec, Field, HaMode, PartnerRef};
use crate::ops::layout::rules::{network_entry_mut, networks_mut, unlist_scope};

use super::super::actions::{subnet_mut, Need};
use super::super::session::{OpError, Session};
use super::side::{
    conclude, configured_at, configured_side, journal, load_rel, norm_url, partner_side, rel_name,
    subnet_by_cidr, subnet_ids, url_side, Rel, Side,
};
use super::{FailoverEdit, FailoverInfo, FailoverOutcome, FailoverPlan, Keep, HA_WAIT};

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

fn refused(s: impl Into<String>) -> OpError {
    OpError::Refused(s.into())
}

fn cidrs(v: &[(u64, Ipv4Net)]) -> Vec<Ipv4Net> {
    v.iter().map(|(_, c)| *c).collect()
}

fn join(v: &[Ipv4Net]) -> String {
    v.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- list

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

// ---------------------------------------------------------------- create

/// Everything create needs, worked out and checked without writing.
struct CreateCtx {
    plan: FailoverPlan,
    this: Side,
    partner: Side,
    this_raw: Value,
    partner_raw: Value,
    params: HaParams,
    /// The chosen subnets as they will be on both servers (pools laid out for the mode).
    subnets: Vec<Value>,
}

fn check_spec(spec: &FailoverSpec) -> Result<(), OpError> {
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
fn params_for(spec: &FailoverSpec, this: &Side, partner: &Side) -> HaParams {
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
fn lay_out(subnet: &mut Value, params: &HaParams) -> Result<(), String> {
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
fn check_login(session: &Session, sides: [&Side; 2], user: Option<&str>) -> Result<(), OpError> {
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

async fn resolve_partner(session: &Session, spec: &FailoverSpec) -> Result<Side, OpError> {
    let mut side = match &spec.partner {
        PartnerRef::Configured(n) => configured_side(session, n)?,
        PartnerRef::Url(u) => match configured_at(session, u) {
            Some(n) => configured_side(session, &n)?,
            None => url_side(
                session,
                u,
                None,
                spec.peer_user.as_deref(),
                spec.peer_password.as_deref(),
            )?,
        },
    };
    if side.peer == peer_name(&spec.server) {
        side.peer = format!("{}-2", side.peer);
    }
    Ok(side)
}

/// Checks that `subnet` (of this server) can go on the partner with the same id.
fn check_partner_room(
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
        } else if crate::ops::layout::rules::overlaps(&pc, cidr) {
            return Err(refused(format!(
                "scope {cidr} overlaps {pc} on {partner}: Kea cannot hold both; remove {pc} on {partner} first"
            )));
        }
    }
    Ok(replace)
}

async fn prepare_create(session: &Session, spec: &FailoverSpec) -> Result<CreateCtx, OpError> {
    check_spec(spec)?;
    session.may(&spec.server, Need::Admin)?;
    let mut this = configured_side(session, &spec.server)?;
    let partner = resolve_partner(session, spec).await?;
    if partner.configured {
        session.may(&partner.server, Need::Admin)?;
    }
    if norm_url(&this.url) == norm_url(&partner.url) || partner.server == this.server {
        return Err(refused(format!(
            "the partner is {} itself: pick another server",
            spec.server
        )));
    }
    check_login(session, [&this, &partner], spec.peer_user.as_deref())?;
    let (this_read, partner_raw) = tokio::join!(
        this.client.config_get_raw_digest(),
        partner.client.config_get_raw()
    );
    let (this_raw, digest) = this_read?;
    let partner_raw = partner_raw.map_err(|e| {
        refused(format!(
            "cannot read the partner {} ({e}); nothing was changed",
            partner.server
        ))
    })?;
    if session
        .seen_digest(&spec.server)
        .is_some_and(|d| d != digest)
    {
        return Err(refused(format!(
            "the configuration of {} changed on the server since you loaded it: nothing was written; reload (r) and try again",
            spec.server
        )));
    }
    for (side, raw) in [(&this, &this_raw), (&partner, &partner_raw)] {
        if let Some(ha) = read_ha(raw) {
            return Err(refused(format!(
                "{} is already in failover '{}' (with {}): edit or delete that one first",
                side.server,
                rel_name(raw, &ha),
                ha.partner().map(|p| p.name.as_str()).unwrap_or("?")
            )));
        }
    }
    this.peer = peer_name(&spec.server);
    let params = params_for(spec, &this, &partner);
    params.check_peer_urls().map_err(refused)?;
    let mut subnets = Vec::new();
    let mut copy = Vec::new();
    let mut replace = Vec::new();
    for cidr in &spec.scopes {
        let mut s = subnet_by_cidr(&this_raw, cidr).ok_or_else(|| {
            let have: Vec<Ipv4Net> = subnet_ids(&this_raw).into_iter().map(|(_, c)| c).collect();
            refused(format!(
                "scope {cidr} is not on {}: pick one of its scopes ({})",
                spec.server,
                if have.is_empty() {
                    "it has none".to_string()
                } else {
                    join(&have)
                }
            ))
        })?;
        let id = s["id"].as_u64().unwrap_or(0);
        if check_partner_room(&partner_raw, &partner.server, id, cidr)? {
            replace.push(*cidr);
        } else {
            copy.push(*cidr);
        }
        lay_out(&mut s, &params).map_err(refused)?;
        subnets.push(s);
    }
    let mut warnings = Vec::new();
    let left: Vec<Ipv4Net> = subnet_ids(&this_raw)
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| !spec.scopes.contains(c))
        .collect();
    if !left.is_empty() {
        warnings.push(format!(
            "Kea 2.2's HA covers every scope of a server: {} on {} stay out of the failover and are served only when HA gives the client to {} ({}); add them to the failover later with add-scope",
            join(&left),
            spec.server,
            spec.server,
            match spec.mode {
                HaMode::LoadBalancing => "about half the clients",
                HaMode::HotStandby => "while it is the active server",
            }
        ));
    }
    let theirs_only: Vec<Ipv4Net> = subnet_ids(&partner_raw)
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| !spec.scopes.contains(c))
        .collect();
    if !theirs_only.is_empty() {
        warnings.push(format!(
            "{} also has {}, which {} lacks: under HA they are served only when HA gives the client to {}",
            partner.server,
            join(&theirs_only),
            spec.server,
            partner.server
        ));
    }
    let mut hooks_added = Vec::new();
    for (side, raw) in [(&this, &this_raw), (&partner, &partner_raw)] {
        let m = missing_ha_hooks(raw);
        if !m.is_empty() {
            hooks_added.push((side.server.clone(), m));
        }
    }
    let plan = FailoverPlan {
        this_server: this.server.clone(),
        partner_server: partner.server.clone(),
        partner_url: partner.url.clone(),
        copy_to_partner: copy,
        replace_on_partner: replace,
        hooks_added,
        warnings,
    };
    Ok(CreateCtx {
        plan,
        this,
        partner,
        this_raw,
        partner_raw,
        params,
        subnets,
    })
}

pub async fn plan(session: &Session, spec: &FailoverSpec) -> Result<FailoverPlan, OpError> {
    Ok(prepare_create(session, spec).await?.plan)
}

/// Lists `scope` on `dst` in the ddish network that lists it on `src` (the network entry is
/// copied when `dst` lacks it), so the copy sits in the same place of the IPAM tree.
fn copy_listing(src: &Value, dst: &mut Value, scope: &Ipv4Net) {
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
async fn settle(
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

fn forget(session: &Session, sides: [&Side; 2]) {
    for s in sides {
        if s.configured {
            session.forget_digest(&s.server);
        }
    }
}

fn summary_json(name: &str, params: &HaParams, scopes: &[Ipv4Net]) -> Value {
    let mut p = params.to_json();
    if let Some(o) = p.as_object_mut() {
        o.remove("this-server-name");
    }
    json!({"failover": name, "high-availability": p,
           "scopes": scopes.iter().map(|c| c.to_string()).collect::<Vec<_>>()})
}

pub async fn create(session: &Session, spec: &FailoverSpec) -> Result<FailoverOutcome, OpError> {
    let ctx = prepare_create(session, spec).await?;
    let CreateCtx {
        plan,
        this,
        partner,
        this_raw,
        partner_raw,
        params,
        subnets,
    } = ctx;
    let mut steps = Vec::new();
    let mut warnings = plan.warnings.clone();
    for (srv, hooks) in &plan.hooks_added {
        steps.push(format!("load {} on {srv}", hooks.join(", ")));
    }
    let name = spec.name.clone();
    let this_edit: PeerEdit = {
        let p = params.for_peer(&this.peer);
        let dir = hooks_dir_of(&this_raw);
        let subnets = subnets.clone();
        let name = name.clone();
        Box::new(move |cfg: &mut Value| {
            set_ha(cfg, &p, &dir)?;
            for s in &subnets {
                let id = s["id"].as_u64().unwrap_or(0) as u32;
                let dst = subnet_mut(cfg, id)?;
                dst["pools"] = s["pools"].clone();
            }
            set_failover_mark(cfg, Some(&name))
        })
    };
    let partner_edit: PeerEdit = {
        let p = params.for_peer(&partner.peer);
        // The partner's own hook directory (its Kea may live elsewhere than this one's).
        let dir = hooks_dir_of(&partner_raw);
        let subnets = subnets.clone();
        let src = this_raw.clone();
        let name = name.clone();
        Box::new(move |cfg: &mut Value| {
            set_ha(cfg, &p, &dir)?;
            for s in &subnets {
                put_subnet(cfg, s.clone());
                if let Some(c) = crate::ops::layout::rules::subnet_cidr(s) {
                    copy_listing(&src, cfg, &c);
                }
            }
            set_failover_mark(cfg, Some(&name))
        })
    };
    for c in &plan.copy_to_partner {
        steps.push(format!("copy scope {c} to {}", partner.server));
    }
    for c in &plan.replace_on_partner {
        steps.push(format!(
            "replace scope {c} on {} with {}'s",
            partner.server, this.server
        ));
    }
    // This server holds the scopes' leases: it goes first, the partner right after
    // (within max-response-delay, KEA_FACTS.md §12).
    let results = safe_config_edit_each(
        &[&this.client, &partner.client],
        &[Some(&this_raw), Some(&partner_raw)],
        vec![this_edit, partner_edit],
        &["hooks-libraries"],
        &[0, 1],
    )
    .await;
    forget(session, [&this, &partner]);
    let after = summary_json(&name, &params, &spec.scopes);
    let servers = match conclude(&format!("creating failover {name}"), results) {
        Ok(s) => s,
        Err(e) => {
            journal(
                session,
                &[&this, &partner],
                "failover-create",
                after,
                Err(&e),
                &mut warnings,
            );
            return Err(e);
        }
    };
    steps.push(format!(
        "HA configuration written on {} then {} (config-test, config-set, config-write)",
        this.server, partner.server
    ));
    let (converged, states) = settle(
        &this,
        &partner,
        spec.mode.kea_name(),
        true,
        &mut steps,
        &mut warnings,
    )
    .await;
    journal(
        session,
        &[&this, &partner],
        "failover-create",
        after,
        Ok(()),
        &mut warnings,
    );
    Ok(FailoverOutcome {
        summary: format!(
            "failover {name} ({}) created between {} and {}{}",
            spec.mode.label(),
            this.server,
            partner.server,
            if converged {
                String::new()
            } else {
                "; HA still settling".into()
            }
        ),
        name,
        servers,
        states,
        converged,
        steps,
        warnings,
    })
}

// ---------------------------------------------------------------- edit

/// The relationship's spec with the edit applied. `password` is the current peer password
/// (read from the server's HA config), used when the edit keeps it.
fn merged_spec(
    info: &FailoverInfo,
    e: &FailoverEdit,
    password: Option<String>,
) -> Result<FailoverSpec, Vec<(Field, String)>> {
    let mode = e.mode.or(info.mode).ok_or_else(|| {
        vec![(
            Field::Mode,
            format!(
                "mode {} is not one ddish manages: pick load-balancing or hot-standby",
                info.mode_text
            ),
        )]
    })?;
    let partner = e
        .partner
        .clone()
        .unwrap_or_else(|| match &info.partner_server {
            Some(n) => PartnerRef::Configured(n.clone()),
            None => PartnerRef::Url(info.partner_url.clone()),
        });
    let spec = FailoverSpec {
        name: e.name.clone().unwrap_or_else(|| info.name.clone()),
        mode,
        server: info.this_server.clone(),
        partner,
        primary_is_this: e.primary_is_this.unwrap_or(info.this_role == "primary"),
        scopes: info.scopes.clone(),
        heartbeat_delay_ms: e.heartbeat_delay_ms.unwrap_or(info.heartbeat_delay_ms),
        max_response_delay_ms: e
            .max_response_delay_ms
            .unwrap_or(info.max_response_delay_ms),
        max_ack_delay_ms: e.max_ack_delay_ms.unwrap_or(info.max_ack_delay_ms),
        max_unacked_clients: e.max_unacked_clients.unwrap_or(info.max_unacked_clients),
        auto_failover: e.auto_failover.unwrap_or(info.auto_failover),
        peer_user: e
            .peer_user
            .clone()
            .unwrap_or_else(|| info.peer_user.clone()),
        peer_password: e.peer_password.clone().unwrap_or(password),
    };
    match spec.validate() {
        Ok(()) => Ok(spec),
        // A relationship with no common scope yet (made by hand) can still be edited.
        Err(errs) if info.scopes.is_empty() => {
            let rest: Vec<(Field, String)> = errs
                .into_iter()
                .filter(|(f, _)| *f != Field::Scopes)
                .collect();
            if rest.is_empty() {
                Ok(spec)
            } else {
                Err(rest)
            }
        }
        Err(errs) => Err(errs),
    }
}

pub fn edit_spec(
    info: &FailoverInfo,
    e: &FailoverEdit,
) -> Result<FailoverSpec, Vec<(Field, String)>> {
    // The current password is not in the info; a stand-in lets validation know one exists.
    let kept = info.has_peer_password.then(|| "kept".to_string());
    let mut s = merged_spec(info, e, kept)?;
    if e.peer_password.is_none() {
        s.peer_password = None;
    }
    Ok(s)
}

fn info_of(rel: &Rel) -> FailoverInfo {
    let me = rel.ha.this_peer();
    let p = rel.ha.partner();
    FailoverInfo {
        name: rel.name.clone(),
        mode: HaMode::parse(&rel.ha.mode).filter(|_| rel.ha.mode != "passive-backup"),
        mode_text: rel.ha.mode.clone(),
        this_server: rel.this.server.clone(),
        this_peer: rel.ha.this_server_name.clone(),
        this_url: rel.this.url.clone(),
        this_role: rel.this_role(),
        partner_server: rel.partner.configured.then(|| rel.partner.server.clone()),
        partner_peer: rel.partner.peer.clone(),
        partner_url: rel.partner.url.clone(),
        partner_role: p.map(|p| p.role.clone()).unwrap_or_default(),
        scopes: cidrs(&rel.scopes),
        only_here: Vec::new(),
        only_partner: Vec::new(),
        local_state: None,
        partner_state: None,
        communication_interrupted: None,
        unacked_clients: None,
        state_for_secs: None,
        heartbeat_delay_ms: rel.ha.heartbeat_delay,
        max_response_delay_ms: rel.ha.max_response_delay,
        max_ack_delay_ms: rel.ha.max_ack_delay,
        max_unacked_clients: rel.ha.max_unacked_clients,
        auto_failover: me.map(|p| p.auto_failover).unwrap_or(true),
        peer_user: p.and_then(|p| p.basic_auth_user.clone()),
        has_peer_password: p.is_some_and(|p| p.basic_auth_password.is_some()),
        partner_error: None,
    }
}

pub async fn edit(
    session: &Session,
    server: &str,
    name: &str,
    e: &FailoverEdit,
) -> Result<FailoverOutcome, OpError> {
    if e.is_empty() {
        return Err(refused("nothing to change"));
    }
    let rel = load_rel(session, server, name, Need::Admin).await?;
    let info = info_of(&rel);
    let password = rel.ha.partner().and_then(|p| p.basic_auth_password.clone());
    let spec = merged_spec(&info, e, password).map_err(|errs| {
        refused(
            errs.iter()
                .map(|(f, m)| format!("{}: {m}", f.label()))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if let Some(new_partner) = &e.partner {
        return move_partner(session, rel, spec, new_partner).await;
    }
    check_login(
        session,
        [&rel.this, &rel.partner],
        spec.peer_user.as_deref(),
    )?;
    let params = params_for(&spec, &rel.this, &rel.partner);
    params.check_peer_urls().map_err(refused)?;
    let scopes: Vec<u64> = rel.scopes.iter().map(|(i, _)| *i).collect();
    let edit_for = |side: &Side| -> PeerEdit {
        let p = params.for_peer(&side.peer);
        let scopes = scopes.clone();
        let name = spec.name.clone();
        Box::new(move |cfg: &mut Value| {
            let dir = hooks_dir_of(cfg);
            set_ha(cfg, &p, &dir)?;
            for id in &scopes {
                lay_out(subnet_mut(cfg, *id as u32)?, &p)?;
            }
            set_failover_mark(cfg, Some(&name))
        })
    };
    let edits = vec![edit_for(&rel.this), edit_for(&rel.partner)];
    // The server that has been serving alone holds the newest leases: it goes first.
    let partner_alone = crate::kea::ha_setup::ha_state(&rel.partner.client)
        .await
        .ok()
        .flatten()
        .is_some_and(|s| s == "partner-down");
    let order: &[usize] = if partner_alone { &[1, 0] } else { &[0, 1] };
    let results = safe_config_edit_each(
        &[&rel.this.client, &rel.partner.client],
        &[Some(&rel.this_raw), Some(&rel.partner_raw)],
        edits,
        &["hooks-libraries"],
        order,
    )
    .await;
    forget(session, [&rel.this, &rel.partner]);
    let mut warnings = Vec::new();
    let after = summary_json(&spec.name, &params, &cidrs(&rel.scopes));
    let servers = match conclude(&format!("changing failover {name}"), results) {
        Ok(s) => s,
        Err(err) => {
            journal(
                session,
                &[&rel.this, &rel.partner],
                "failover-edit",
                after,
                Err(&err),
                &mut warnings,
            );
            return Err(err);
        }
    };
    let mut steps = vec![format!(
        "HA configuration changed on {} and {}",
        rel.this.server, rel.partner.server
    )];
    let (converged, states) = settle(
        &rel.this,
        &rel.partner,
        spec.mode.kea_name(),
        false,
        &mut steps,
        &mut warnings,
    )
    .await;
    journal(
        session,
        &[&rel.this, &rel.partner],
        "failover-edit",
        after,
        Ok(()),
        &mut warnings,
    );
    Ok(FailoverOutcome {
        name: spec.name.clone(),
        summary: format!("failover {} changed ({})", spec.name, spec.mode.label()),
        servers,
        states,
        converged,
        steps,
        warnings,
    })
}

/// A new partner: the old one goes standalone without the relationship's scopes (they stay
/// here), then a new relationship is created with the same scopes.
async fn move_partner(
    session: &Session,
    rel: Rel,
    mut spec: FailoverSpec,
    new_partner: &PartnerRef,
) -> Result<FailoverOutcome, OpError> {
    spec.partner = new_partner.clone();
    let same = match new_partner {
        PartnerRef::Configured(n) => *n == rel.partner.server,
        PartnerRef::Url(u) => norm_url(u) == norm_url(&rel.partner.url),
    };
    if same {
        return Err(refused(format!(
            "{} is already the partner",
            rel.partner.server
        )));
    }
    // Check the new pair before taking the old one apart.
    let keep = Keep {
        on_this: cidrs(&rel.scopes),
        on_partner: Vec::new(),
    };
    let server = rel.this.server.clone();
    let name = rel.name.clone();
    let old = rel.partner.server.clone();
    drop(rel);
    let deleted = delete(session, &server, &name, &keep).await?;
    match create(session, &spec).await {
        Ok(mut o) => {
            let mut steps = deleted.steps;
            steps.push(format!("{old} is standalone again without the failover's scopes"));
            steps.extend(o.steps);
            o.steps = steps;
            o.summary = format!("{} (partner moved from {old})", o.summary);
            Ok(o)
        }
        Err(e) => Err(refused(format!(
            "the old failover with {old} was removed ({server} is standalone with its scopes, {old} without them), but the new one could not be created: {e}"
        ))),
    }
}

// ---------------------------------------------------------------- delete

pub async fn delete(
    session: &Session,
    server: &str,
    name: &str,
    keep: &Keep,
) -> Result<FailoverOutcome, OpError> {
    let rel = load_rel(session, server, name, Need::Admin).await?;
    let scopes = cidrs(&rel.scopes);
    for c in keep.on_this.iter().chain(&keep.on_partner) {
        if !scopes.contains(c) {
            return Err(refused(format!(
                "{c} is not a scope of failover {name} (its scopes: {})",
                join(&scopes)
            )));
        }
    }
    let lost: Vec<Ipv4Net> = scopes
        .iter()
        .filter(|c| !keep.on_this.contains(c) && !keep.on_partner.contains(c))
        .copied()
        .collect();
    if !lost.is_empty() {
        return Err(refused(format!(
            "say which server keeps {}: keep each scope on this server, the partner or both (delete it afterwards if it must go)",
            join(&lost)
        )));
    }
    let this_first = rel.this_role() == "primary";
    let plan_for = |mine: &[Ipv4Net], theirs: &[Ipv4Net], first: bool| -> PeerEdit {
        let rel_scopes = rel.scopes.clone();
        let mine = mine.to_vec();
        let theirs = theirs.to_vec();
        Box::new(move |cfg: &mut Value| {
            remove_ha(cfg)?;
            set_failover_mark(cfg, None)?;
            for (id, c) in &rel_scopes {
                match (mine.contains(c), theirs.contains(c)) {
                    (true, true) => half_subnet_pools(subnet_mut(cfg, *id as u32)?, first)?,
                    (true, false) => share_subnet_pools(subnet_mut(cfg, *id as u32)?)?,
                    _ => {
                        remove_subnet(cfg, *id);
                        unlist_scope(cfg, c)?;
                    }
                }
            }
            // A pool left with an HA class would serve nobody once HA is gone.
            for s in subnets_mut(cfg) {
                share_subnet_pools(s)?;
            }
            Ok(())
        })
    };
    let edits = vec![
        plan_for(&keep.on_this, &keep.on_partner, this_first),
        plan_for(&keep.on_partner, &keep.on_this, !this_first),
    ];
    let results = safe_config_edit_each(
        &[&rel.this.client, &rel.partner.client],
        &[Some(&rel.this_raw), Some(&rel.partner_raw)],
        edits,
        &["hooks-libraries"],
        &[0, 1],
    )
    .await;
    forget(session, [&rel.this, &rel.partner]);
    let mut warnings = Vec::new();
    let after = json!({"failover": name, "removed": true,
        "kept_on": {rel.this.server.clone(): keep.on_this.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    rel.partner.server.clone(): keep.on_partner.iter().map(|c| c.to_string()).collect::<Vec<_>>()}});
    let servers = match conclude(&format!("deleting failover {name}"), results) {
        Ok(s) => s,
        Err(e) => {
            journal(
                session,
                &[&rel.this, &rel.partner],
                "failover-delete",
                after,
                Err(&e),
                &mut warnings,
            );
            return Err(e);
        }
    };
    let mut steps = vec![format!(
        "HA hook removed on {} and {}",
        rel.this.server, rel.partner.server
    )];
    for c in &scopes {
        let (h, p) = (keep.on_this.contains(c), keep.on_partner.contains(c));
        steps.push(match (h, p) {
            (true, true) => format!("{c}: on both, each server with its own half of the pools"),
            (true, false) => format!("{c}: kept on {} only", rel.this.server),
            _ => format!("{c}: kept on {} only", rel.partner.server),
        });
    }
    let mut states = Vec::new();
    for s in [&rel.this, &rel.partner] {
        let st = match crate::kea::ha_setup::ha_state(&s.client).await {
            Ok(None) => "standalone".to_string(),
            Ok(Some(x)) => {
                warnings.push(format!("{} still reports HA state {x}", s.server));
                x
            }
            Err(e) => format!("unreachable: {e}"),
        };
        states.push((s.server.clone(), st));
    }
    journal(
        session,
        &[&rel.this, &rel.partner],
        "failover-delete",
        after,
        Ok(()),
        &mut warnings,
    );
    Ok(FailoverOutcome {
        name: name.to_string(),
        summary: format!(
            "failover {name} deleted: {} and {} are standalone",
            rel.this.server, rel.partner.server
        ),
        servers,
        converged: states.iter().all(|(_, s)| s == "standalone"),
        states,
        steps,
        warnings,
    })
}

// ---------------------------------------------------------------- add scope

pub async fn add_scope(
    session: &Session,
    server: &str,
    name: &str,
    scope: Ipv4Net,
) -> Result<FailoverOutcome, OpError> {
    let rel = load_rel(session, server, name, Need::Admin).await?;
    if rel.scopes.iter().any(|(_, c)| *c == scope) {
        return Err(refused(format!("{scope} is already in failover {name}")));
    }
    let mut subnet = subnet_by_cidr(&rel.this_raw, &scope).ok_or_else(|| {
        OpError::NotFound(format!(
            "scope {scope} is not on {server}: create it there first, then add it"
        ))
    })?;
    let id = subnet["id"].as_u64().unwrap_or(0);
    check_partner_room(&rel.partner_raw, &rel.partner.server, id, &scope)?;
    if rel.ha.mode == HaMode::LoadBalancing.kea_name() {
        if let Some(c) = foreign_pool_class(&subnet) {
            return Err(refused(format!(
                "a pool of {scope} is limited to client class {c}: it cannot be split between the servers; remove that class first"
            )));
        }
    }
    lay_out(&mut subnet, &rel.ha).map_err(refused)?;
    let this_edit: PeerEdit = {
        let pools = subnet["pools"].clone();
        Box::new(move |cfg: &mut Value| {
            subnet_mut(cfg, id as u32)?["pools"] = pools;
            Ok(())
        })
    };
    let partner_edit: PeerEdit = {
        let s = subnet.clone();
        let src = rel.this_raw.clone();
        Box::new(move |cfg: &mut Value| {
            put_subnet(cfg, s);
            copy_listing(&src, cfg, &scope);
            Ok(())
        })
    };
    let results = safe_config_edit_each(
        &[&rel.this.client, &rel.partner.client],
        &[Some(&rel.this_raw), Some(&rel.partner_raw)],
        vec![this_edit, partner_edit],
        &[],
        &[0, 1],
    )
    .await;
    forget(session, [&rel.this, &rel.partner]);
    let mut warnings = Vec::new();
    let after = json!({"failover": name, "added-scope": scope.to_string(), "subnet-id": id});
    let servers = match conclude(&format!("adding {scope} to failover {name}"), results) {
        Ok(s) => s,
        Err(e) => {
            for s in [&rel.this, &rel.partner] {
                let en = crate::audit::Entry::new(&s.server, "failover-add-scope")
                    .scope(scope.to_string())
                    .after(after.clone());
                session.record_failure(en, &e);
            }
            return Err(e);
        }
    };
    let mut steps = vec![format!(
        "{scope} (subnet id {id}) copied to {} with {} pools",
        rel.partner.server,
        if rel.ha.mode == HaMode::LoadBalancing.kea_name() {
            "split"
        } else {
            "shared"
        }
    )];
    let (converged, states) = settle(
        &rel.this,
        &rel.partner,
        &rel.ha.mode,
        true,
        &mut steps,
        &mut warnings,
    )
    .await;
    for s in [&rel.this, &rel.partner] {
        let en = crate::audit::Entry::new(&s.server, "failover-add-scope")
            .scope(scope.to_string())
            .after(after.clone());
        session.record(en, &mut warnings);
    }
    Ok(FailoverOutcome {
        name: name.to_string(),
        summary: format!("{scope} added to failover {name}"),
        servers,
        states,
        converged,
        steps,
        warnings,
    })
}

// ---------------------------------------------------------------- maintenance

async fn maintenance(
    session: &Session,
    server: &str,
    name: &str,
    start: bool,
) -> Result<FailoverOutcome, OpError> {
    let rel = load_rel(session, server, name, Need::Admin).await?;
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
