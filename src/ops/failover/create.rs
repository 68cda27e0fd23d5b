//! The Add Failover wizard's last step: every check (plan), then create on both servers.

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::kea::ha_setup::{
    hooks_dir_of, missing_ha_hooks, put_subnet, read_ha, safe_config_edit_each, set_failover_mark,
    set_ha, HaParams, PeerEdit,
};
use crate::model::failover::{peer_name, FailoverSpec, HaMode, PartnerRef};

use super::super::actions::subnet_mut;
use super::side::{
    conclude, configured_at, configured_side, journal, norm_url, rel_name, subnet_by_cidr,
    subnet_ids, url_side, Side,
};
use super::steps::*;
use super::{FailoverOutcome, FailoverPlan};
use crate::config::Role;
use crate::ops::{OpError, Session};

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
    /// Both servers' write locks, held from before their configs are read.
    _lock: crate::audit::WriteLock,
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

/// The peer login the servers use to reach each other, when the spec gives no password and
/// both servers are in the ddish config with the same user: that user and its password
/// (the password never passes through the console). A user typed that differs, or no
/// shared login, leaves the spec as it is.
fn with_config_login(session: &Session, spec: &FailoverSpec) -> Result<FailoverSpec, OpError> {
    let mut spec = spec.clone();
    let PartnerRef::Configured(partner) = &spec.partner else {
        return Ok(spec);
    };
    if spec.peer_password.is_some() {
        return Ok(spec);
    }
    let cfg = session.config();
    let (Some(a), Some(b)) = (cfg.server(&spec.server), cfg.server(partner)) else {
        return Ok(spec);
    };
    let Some(user) = shared_user(a, b) else {
        return Ok(spec);
    };
    if spec.peer_user.as_deref().is_some_and(|u| u.trim() != user) {
        return Ok(spec);
    }
    let read = |s: &crate::config::ServerConfig| {
        s.password
            .as_ref()
            .map(|p| p.read())
            .transpose()
            .map_err(|e| refused(format!("the peer login of {}: {e}", s.name)))
    };
    let (pa, pb) = (read(a)?, read(b)?);
    match (pa, pb) {
        (Some(pa), Some(pb)) if pa.expose() == pb.expose() => {
            spec.peer_user = Some(user.to_string());
            spec.peer_password = Some(pa.expose().to_string());
            Ok(spec)
        }
        (Some(_), Some(_)) => Err(refused(format!(
            "{} and {} log ddish in as '{user}' with different passwords in the ddish config: \
             type the peer password both servers accept",
            a.name, b.name
        ))),
        _ => Ok(spec),
    }
}

/// The user both servers log ddish in as, if the same.
pub fn shared_user<'a>(
    a: &'a crate::config::ServerConfig,
    b: &crate::config::ServerConfig,
) -> Option<&'a str> {
    let u = a.user.as_deref().filter(|u| !u.is_empty())?;
    (b.user.as_deref() == Some(u)).then_some(u)
}

async fn prepare_create(session: &Session, spec: &FailoverSpec) -> Result<CreateCtx, OpError> {
    let spec = &with_config_login(session, spec)?;
    check_spec(spec)?;
    session.may(&spec.server, Role::Admin)?;
    let mut this = configured_side(session, &spec.server)?;
    let partner = resolve_partner(session, spec).await?;
    if partner.configured {
        session.may(&partner.server, Role::Admin)?;
    }
    if norm_url(&this.url) == norm_url(&partner.url) || partner.server == this.server {
        return Err(refused(format!(
            "the partner is {} itself: pick another server",
            spec.server
        )));
    }
    check_login(session, [&this, &partner], spec.peer_user.as_deref())?;
    let lock = session
        .lock_servers(&[&this.server, &partner.server], "failover create")
        .await?;
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
        return Err(OpError::changed_since_loaded(&spec.server));
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
    params.check_peer_urls(false).map_err(refused)?;
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
        lay_out(&mut s, &params).map_err(OpError::from)?;
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
        _lock: lock,
    })
}

pub async fn plan(session: &Session, spec: &FailoverSpec) -> Result<FailoverPlan, OpError> {
    Ok(prepare_create(session, spec).await?.plan)
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
        _lock,
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
                if let Some(c) = crate::kea::subnet_json::subnet_cidr(s) {
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
