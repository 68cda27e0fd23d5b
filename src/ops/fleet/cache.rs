//! Reading one server's status, and the cache that lets an unchanged server be reported
//! without reading its whole configuration again.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::kea::{KeaClient, KeaConfig, KeaError, KeaStatus};
use crate::model::tree::ScopeSummary;
use crate::model::ServerTree;

use crate::ops::{now, OpError, Session};

use super::*;

/// What a refresh may reuse from the previous one of the same server: its version and
/// configuration, valid while the server keeps its pid and its last configuration (re)load
/// time. config-get is the costly part of a refresh (a 10,000-subnet config takes ~2.5 s
/// through the Control Agent, KEA_FACTS.md §11), and the configuration only changes by a
/// (re)load, which status-get reports.
///
/// Servers whose configuration can change without a reload (subnet_cmds, class_cmds,
/// cb_cmds) are never cached; a configuration backend without cb_cmds can't be seen from
/// the command list, so nothing is reused for longer than [`CACHE_MAX_AGE`] either. One
/// cache per process, keyed by URL.
#[derive(Clone, Debug)]
pub(super) struct Cached {
    /// When it was read (epoch seconds).
    pub(super) read_at: i64,
    pub(super) pid: i64,
    /// Epoch second of the last configuration (re)load, as computed when cached.
    pub(super) loaded_at: i64,
    pub(super) version: String,
    pub(super) config: Arc<KeaConfig>,
}

/// The longest a configuration is reused without reading it again.
pub const CACHE_MAX_AGE: i64 = 300;

/// Commands that change the configuration without a reload (`config-backend-pull` is in
/// every Kea 2.2 and says nothing).
pub(super) fn changes_config_live(commands: &[String]) -> bool {
    commands.iter().any(|c| {
        matches!(
            c.as_str(),
            "subnet4-add"
                | "subnet4-update"
                | "subnet4-del"
                | "subnet4-delta-add"
                | "subnet4-delta-del"
                | "network4-add"
                | "network4-del"
                | "network4-subnet-add"
                | "network4-subnet-del"
                | "class-add"
                | "class-update"
                | "class-del"
        ) || c.starts_with("remote-")
    })
}

/// The process-wide cache of refreshes (see [`Cached`]).
pub struct StatusCache;

static CACHE: std::sync::OnceLock<Mutex<HashMap<String, Cached>>> = std::sync::OnceLock::new();

impl StatusCache {
    fn map() -> std::sync::MutexGuard<'static, HashMap<String, Cached>> {
        CACHE
            .get_or_init(|| Mutex::new(HashMap::new()))
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn get(url: &str) -> Option<Cached> {
        Self::map().get(url).cloned()
    }

    fn put(url: &str, c: Option<Cached>) {
        match c {
            Some(c) => Self::map().insert(url.to_string(), c),
            None => Self::map().remove(url),
        };
    }

    /// Forgets every cached configuration: the next refresh of each server reads it
    /// whole (benchmarks measure cold refreshes with it).
    pub fn clear() {
        Self::map().clear();
    }

    /// Whether a refresh of the server at `url` would reuse its configuration.
    pub fn holds(url: &str) -> bool {
        Self::map().contains_key(url)
    }
}

/// When the configuration was last (re)loaded, from status-get's `reload` (seconds ago).
pub(super) fn loaded_at(status: &KeaStatus, at: i64) -> Option<(i64, i64)> {
    Some((status.pid?, at - status.reload?))
}

/// Whether `c` still describes the server that answered `status` at `at`. The load time is
/// computed from whole seconds on both sides, so it may wobble by one; a configuration
/// loaded within 3 s of being cached is never trusted (a second reload in that window
/// could not be told apart).
pub(super) fn still_valid(c: &Cached, status: &KeaStatus, at: i64) -> bool {
    match loaded_at(status, at) {
        Some((pid, loaded)) => {
            pid == c.pid && (loaded - c.loaded_at).abs() <= 1 && at - c.read_at < CACHE_MAX_AGE
        }
        None => false,
    }
}

/// The full read: version, config, status, stats and the command list in one round trip.
pub(super) async fn full_read(
    c: &KeaClient,
) -> Result<(String, Arc<KeaConfig>, KeaStatus, StatsMap, Option<Cached>), OpError> {
    let (version, config, status, stats, commands) = tokio::join!(
        c.version_get(),
        c.config_get(),
        c.status_get(),
        c.stat_lease4_get(),
        c.list_commands()
    );
    // A server that fails fails them all the same way, so the first error in this order
    // names its state.
    let version = version?;
    let config = Arc::new(config?);
    let status = status?;
    let stats = stats_or_none(stats)?;
    let at = now();
    let cache = match (loaded_at(&status, at), commands) {
        (Some((pid, loaded)), Ok(cmds)) if !changes_config_live(&cmds) && loaded <= at - 3 => {
            Some(Cached {
                read_at: at,
                pid,
                loaded_at: loaded,
                version: version.clone(),
                config: Arc::clone(&config),
            })
        }
        _ => None,
    };
    Ok((version, config, status, stats, cache))
}

type StatsMap = HashMap<u32, crate::model::ScopeStats>;

/// Without the stat_cmds hook there are no counters; the rest still stands.
pub(super) fn stats_or_none(r: Result<StatsMap, KeaError>) -> Result<StatsMap, OpError> {
    match r {
        Err(KeaError::Unsupported { .. }) => Ok(HashMap::new()),
        other => Ok(other?),
    }
}

/// The refresh proper: status and stats, plus version and config unless cached.
pub(super) async fn read_server(
    c: &KeaClient,
) -> Result<(String, Arc<KeaConfig>, KeaStatus, StatsMap), OpError> {
    let url = c.url().to_string();
    let Some(cached) = StatusCache::get(&url) else {
        let (version, config, status, stats, cache) = full_read(c).await?;
        StatusCache::put(&url, cache);
        return Ok((version, config, status, stats));
    };
    let (status, stats) = tokio::join!(c.status_get(), c.stat_lease4_get());
    let status = status?;
    if still_valid(&cached, &status, now()) {
        return Ok((cached.version, cached.config, status, stats_or_none(stats)?));
    }
    // Restarted or reloaded: read it all again.
    StatusCache::put(&url, None);
    let (version, config, status, stats, cache) = full_read(c).await?;
    StatusCache::put(&url, cache);
    Ok((version, config, status, stats))
}

/// [`server_status`] with the digest of the configuration it read (`None` when the load
/// failed), for events: another digest later means the configuration changed.
pub async fn server_status_digest(
    session: &Session,
    name: &str,
    limit: Duration,
) -> (ServiceStatus, Option<u64>) {
    let cfg = session.config().server(name);
    let mut st = ServiceStatus {
        name: name.to_string(),
        url: cfg.map(|s| s.url.clone()).unwrap_or_default(),
        tags: cfg.map(|s| s.tags.clone()).unwrap_or_default(),
        fields: cfg.map(|s| s.fields.clone()).unwrap_or_default(),
        state: ServiceState::Failing,
        version: None,
        uptime: None,
        ha_state: None,
        scopes: None,
        utilization: None,
        checked_at: now(),
        last_good: None,
        error: None,
        tree: None,
    };
    let work = async {
        let c = session.client(name)?;
        let (version, config, status, stats) = read_server(&c).await?;
        let scopes = config
            .scopes
            .iter()
            .map(|def| ScopeSummary {
                def: def.clone(),
                stats: stats.get(&def.id).copied(),
            })
            .collect();
        let tree = ServerTree::build(&config.networks, scopes);
        Ok::<_, OpError>((version, status, tree, config.digest))
    };
    let mut digest = None;
    match tokio::time::timeout(limit, work).await {
        Ok(Ok((version, status, tree, d))) => {
            digest = Some(d);
            st.state = ServiceState::Running;
            st.version = Some(version);
            st.uptime = status.uptime;
            st.ha_state = status.ha.as_ref().map(crate::ops::ha_summary);
            st.scopes = Some(tree.scopes.iter().filter(|s| s.def.id != 0).count());
            st.utilization = Some(tree.utilization());
            st.tree = Some(tree);
        }
        Ok(Err(e)) => {
            st.state = ServiceState::from_error(&e);
            st.error = Some(e.to_string());
        }
        Err(_) => {
            st.state = ServiceState::Timeout;
            st.error = Some(format!(
                "server {name} did not finish its status refresh within {} s: it may be hung or overloaded; raise request_timeout if it is only slow",
                limit.as_secs()
            ));
        }
    }
    st.checked_at = now();
    if st.state.is_ok() {
        st.last_good = Some(st.checked_at);
    }
    (st, digest)
}
