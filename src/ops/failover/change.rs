//! Changes to an existing relationship: edit (also to a new partner), delete back to
//! standalone, add a scope (maintenance is in `maintenance.rs`).

use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::kea::ha_setup::{
    foreign_pool_class, half_subnet_pools, has_tls, hooks_dir_of, put_subnet, remove_ha,
    remove_subnet, safe_config_edit_each, set_failover_mark, set_ha, share_subnet_pools,
    subnets_mut, PeerEdit,
};
use crate::kea::marks::unlist_scope;
use crate::model::failover::{FailoverSpec, Field, HaMode, PartnerRef};

use super::super::actions::subnet_mut;
use super::create::create;
use super::side::{conclude, journal, load_rel, norm_url, subnet_by_cidr, Rel, Side};
use super::steps::*;
use super::{FailoverEdit, FailoverInfo, FailoverOutcome, Keep};
use crate::config::Role;
use crate::ops::{OpError, Session};

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
        drift: Vec::new(),
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
    let rel = load_rel(session, server, name, Role::Admin).await?;
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
    params
        .check_peer_urls(has_tls(&rel.this_raw))
        .map_err(refused)?;
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
    let rel = load_rel(session, server, name, Role::Admin).await?;
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
    let rel = load_rel(session, server, name, Role::Admin).await?;
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
    lay_out(&mut subnet, &rel.ha).map_err(OpError::from)?;
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
