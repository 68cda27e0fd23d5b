//! The two servers of a failover: how ddish reaches each (a configured server, or a
//! partner known only by URL), reading an existing relationship, and turning the per-server
//! write results and journal entries into one outcome.
use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::audit::Entry;
use crate::config::{ApiStyle, Role, SecretSource, ServerConfig};
use crate::kea::ha_setup::{failover_mark, read_ha, HaParams};
use crate::kea::subnet_json::{all_subnets, subnet_cidr};
use crate::kea::{KeaClient, WriteError, WriteOutcome};
use crate::model::failover::{peer_name, url_host_port};

use crate::ops::{OpError, Session};

/// One server of the pair.
#[derive(Clone, Debug)]
pub(super) struct Side {
    /// The ddish server name; for a partner known only by URL, its host:port.
    pub server: String,
    /// A server of ddish's config (roles apply; its view is refreshed after writes).
    pub configured: bool,
    pub client: KeaClient,
    /// Its Control Agent URL as the peers' config holds it (ends in '/').
    pub url: String,
    /// Its Kea HA peer name.
    pub peer: String,
}

/// `scheme://host:port/` for comparing URLs written differently.
pub(crate) fn norm_url(u: &str) -> String {
    reqwest::Url::parse(u)
        .map(|u| {
            format!(
                "{}://{}:{}/",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_else(|_| format!("{}/", u.trim_end_matches('/')))
}

/// The URL with a trailing '/', as Kea's peer `url` is usually written.
pub(super) fn peer_url(u: &str) -> String {
    if u.ends_with('/') {
        u.to_string()
    } else {
        format!("{u}/")
    }
}

pub(super) fn configured_side(session: &Session, name: &str) -> Result<Side, OpError> {
    let cfg = session
        .config()
        .server(name)
        .ok_or_else(|| OpError::UnknownServer(name.to_string()))?;
    // A direct URL is Kea >= 2.7's own HTTP control socket, which takes the HA peers'
    // commands too (with HA's own multi-threaded listener off, as ddish sets it up): the
    // peer URL is the same one ddish uses.
    Ok(Side {
        server: name.to_string(),
        configured: true,
        client: session.client(name)?,
        url: peer_url(&cfg.url),
        peer: peer_name(name),
    })
}

/// The configured server at `url`, if any.
pub(super) fn configured_at(session: &Session, url: &str) -> Option<String> {
    let want = norm_url(url);
    session
        .config()
        .servers
        .iter()
        .find(|s| norm_url(&s.url) == want)
        .map(|s| s.name.clone())
}

/// A partner ddish knows only by URL: a client logging in with the peer credentials.
/// The password stays in memory (`SecretSource::Given`).
pub(super) fn url_side(
    session: &Session,
    url: &str,
    peer: Option<&str>,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Side, OpError> {
    let name = url_host_port(url).unwrap_or_else(|| url.to_string());
    let password_src = password.map(|p| SecretSource::Given(crate::config::Secret::new(p)));
    let cfg = ServerConfig {
        name: name.clone(),
        url: url.to_string(),
        api: ApiStyle::Agent,
        service: "dhcp4".into(),
        user: user.map(str::to_string),
        password: password_src,
        ca_file: None,
        allow_plain_http: false,
        tags: Vec::new(),
        fields: BTreeMap::new(),
        role: Role::Admin,
    };
    let client = KeaClient::new(&cfg, session.config().settings.request_timeout);
    Ok(Side {
        server: name.clone(),
        configured: false,
        client: client?,
        url: peer_url(url),
        peer: peer.map(str::to_string).unwrap_or_else(|| peer_name(&name)),
    })
}

/// `(id, cidr)` of every subnet of a config.
pub(super) fn subnet_ids(raw: &Value) -> Vec<(u64, Ipv4Net)> {
    all_subnets(raw)
        .iter()
        .filter_map(|s| Some((s["id"].as_u64()?, subnet_cidr(s)?)))
        .collect()
}

/// The subnet entry of a config with this CIDR.
pub(super) fn subnet_by_cidr(raw: &Value, cidr: &Ipv4Net) -> Option<Value> {
    all_subnets(raw)
        .into_iter()
        .find(|s| subnet_cidr(s).as_ref() == Some(cidr))
        .cloned()
}

/// An existing relationship, read from `server` and its partner.
pub(super) struct Rel {
    pub name: String,
    pub this: Side,
    pub partner: Side,
    pub this_raw: Value,
    pub partner_raw: Value,
    pub ha: HaParams,
    /// Scopes on both servers with the same id and CIDR.
    pub scopes: Vec<(u64, Ipv4Net)>,
    /// Both servers' write locks, for as long as the change runs.
    pub _lock: crate::audit::WriteLock,
}

impl Rel {
    pub fn this_role(&self) -> String {
        self.ha
            .this_peer()
            .map(|p| p.role.clone())
            .unwrap_or_default()
    }
}

/// ddish's name for the relationship in `raw` (kept in its user-context), else
/// `<primary>-<other>`.
pub(super) fn rel_name(raw: &Value, ha: &HaParams) -> String {
    failover_mark(raw).unwrap_or_else(|| {
        let mut names: Vec<&crate::kea::ha_setup::HaPeerParams> =
            ha.peers.iter().filter(|p| p.role != "backup").collect();
        names.sort_by_key(|p| p.role != "primary");
        names
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("-")
    })
}

/// The partner named in an HA config: a configured server when one has its URL, else a
/// client with the peer's credentials from the config.
pub(super) fn partner_side(session: &Session, ha: &HaParams) -> Result<Side, OpError> {
    let p = ha.partner().ok_or_else(|| {
        OpError::Refused("the HA configuration names no partner (only backups): ddish manages load-balancing and hot-standby pairs".into())
    })?;
    match configured_at(session, &p.url) {
        Some(name) => {
            let mut s = configured_side(session, &name)?;
            s.peer = p.name.clone();
            Ok(s)
        }
        None => url_side(
            session,
            &p.url,
            Some(&p.name),
            p.basic_auth_user.as_deref(),
            p.basic_auth_password.as_deref(),
        ),
    }
}

/// Reads `server`'s relationship called `name` and its partner's config, checking roles
/// (`need` on both configured servers) and that `server` was not changed behind ddish's back.
pub(super) async fn load_rel(
    session: &Session,
    server: &str,
    name: &str,
    need: Role,
) -> Result<Rel, OpError> {
    session.may(server, need)?;
    let mut this = configured_side(session, server)?;
    let (this_raw, digest) = this.client.config_get_raw_digest().await?;
    if session.seen_digest(server).is_some_and(|d| d != digest) {
        return Err(OpError::changed_since_loaded(server));
    }
    let ha = read_ha(&this_raw).ok_or_else(|| {
        OpError::NotFound(format!(
            "{server} has no failover (it runs standalone): create one with `ddish failover create`"
        ))
    })?;
    let rname = rel_name(&this_raw, &ha);
    if rname != name {
        return Err(OpError::NotFound(format!(
            "{server}'s failover is called '{rname}', not '{name}'"
        )));
    }
    this.peer = ha.this_server_name.clone();
    let partner = partner_side(session, &ha)?;
    if partner.configured {
        session.may(&partner.server, need)?;
    }
    let lock = session
        .lock_servers(&[server, &partner.server], "failover change")
        .await?;
    // Another ddish wrote meanwhile: what was read above may be out of date.
    if lock.waited && this.client.config_get_raw_digest().await?.1 != digest {
        return Err(OpError::Refused(format!(
            "another ddish changed {server} while this change waited for it: nothing was \
             written; reload (r) and try again"
        )));
    }
    let partner_raw = partner.client.config_get_raw().await.map_err(|e| {
        OpError::Refused(format!(
            "cannot read the partner {} ({e}); nothing was changed",
            partner.server
        ))
    })?;
    let theirs = subnet_ids(&partner_raw);
    let scopes = subnet_ids(&this_raw)
        .into_iter()
        .filter(|s| theirs.contains(s))
        .collect();
    Ok(Rel {
        name: rname,
        this,
        partner,
        this_raw,
        partner_raw,
        ha,
        scopes,
        _lock: lock,
    })
}

/// The per-server write results as one result: the servers written, or a refusal that
/// says for each server what happened (changed, put back, untouched).
pub(super) fn conclude(
    what: &str,
    results: Vec<(String, Result<WriteOutcome, WriteError>)>,
) -> Result<Vec<String>, OpError> {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let mut warnings = Vec::new();
    for (n, r) in results {
        match r {
            Ok(o) => {
                if let Some(v) = o.verify_note {
                    warnings.push(format!("{n}: {v}"));
                }
                done.push(n)
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    if failed.is_empty() {
        Ok(done)
    } else {
        Err(OpError::Refused(format!(
            "{what} failed: {}",
            failed.join("; ")
        )))
    }
}

/// One journal entry per server written (or tried).
pub(super) fn journal(
    session: &Session,
    servers: &[&Side],
    action: &str,
    after: Value,
    result: Result<(), &OpError>,
    warnings: &mut Vec<String>,
) {
    for s in servers {
        let e = Entry::new(&s.server, action).after(after.clone());
        match result {
            Ok(()) => session.record(e, warnings),
            Err(err) => session.record_failure(e, err),
        }
    }
}
