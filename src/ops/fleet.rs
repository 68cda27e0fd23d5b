//! Service status of the whole fleet (issue 6 part 1, 2, 6): every Kea server's state with
//! version, uptime, HA, scopes and utilization; every DNS server answering or not; grouping
//! by fields and tags; scopes over or under their thresholds across all servers.
//!
//! Many servers are polled a bounded number at a time, each under its own time limit, so
//! one hung server never holds up the others.
use crate::ops::Invalid;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::config::{Config, ServerConfig};
use crate::kea::{KeaClient, KeaConfig, KeaError, KeaStatus};
use crate::model::tree::ScopeSummary;
use crate::model::{ScopeStatus, ServerTree, Thresholds, UtilBand, Utilization};

use super::{now, OpError, Session};

/// Default number of servers polled at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// What a DHCP server is doing, as far as ddish can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceState {
    Running,
    /// The Control Agent answers but kea-dhcp4 behind it does not.
    DaemonStopped,
    /// Nothing answers at the url (refused, no route, connection lost).
    Unreachable,
    AuthFailed,
    TlsFailed,
    /// Connected, but no answer in time.
    Timeout,
    /// Answers, but with something ddish cannot use (bad reply, HTTP error, config).
    Failing,
}

impl ServiceState {
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Running => "running",
            ServiceState::DaemonStopped => "daemon stopped",
            ServiceState::Unreachable => "unreachable",
            ServiceState::AuthFailed => "auth failed",
            ServiceState::TlsFailed => "tls failed",
            ServiceState::Timeout => "timeout",
            ServiceState::Failing => "failing",
        }
    }

    pub fn is_ok(self) -> bool {
        self == ServiceState::Running
    }

    /// The state a failed load puts a server in.
    pub fn from_error(e: &OpError) -> ServiceState {
        match e {
            OpError::Kea(k) => match k {
                KeaError::DaemonOffline { .. } | KeaError::NoService { .. } => {
                    ServiceState::DaemonStopped
                }
                KeaError::Unreachable { .. } | KeaError::Refused { .. } => {
                    ServiceState::Unreachable
                }
                KeaError::Unauthorized { .. } => ServiceState::AuthFailed,
                KeaError::Tls { .. } => ServiceState::TlsFailed,
                KeaError::Timeout { .. } => ServiceState::Timeout,
                _ => ServiceState::Failing,
            },
            _ => ServiceState::Failing,
        }
    }
}

impl std::fmt::Display for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One DHCP server after a status refresh.
#[derive(Clone, Debug)]
pub struct ServiceStatus {
    pub name: String,
    pub url: String,
    pub tags: Vec<String>,
    pub fields: BTreeMap<String, String>,
    pub state: ServiceState,
    pub version: Option<String>,
    /// Seconds since kea-dhcp4 started.
    pub uptime: Option<i64>,
    pub ha_state: Option<String>,
    pub scopes: Option<usize>,
    pub utilization: Option<Utilization>,
    /// Epoch seconds of this refresh.
    pub checked_at: i64,
    /// Epoch seconds of this refresh when it succeeded (callers that keep history carry
    /// the last good one forward).
    pub last_good: Option<i64>,
    /// The user-facing message of the failure.
    pub error: Option<String>,
    /// The server's scopes with statistics, for alerts; `None` when the load failed.
    pub tree: Option<ServerTree>,
}

/// Refreshes one server within `limit`: status-get (uptime, HA) and stat-lease4-get
/// (utilization) every time; version-get and config-get (the scope tree) only when the
/// server restarted or reloaded its configuration since the last refresh (see
/// [`StatusCache`]). Requests go out together. Never leases.
pub async fn server_status(session: &Session, name: &str, limit: Duration) -> ServiceStatus {
    server_status_digest(session, name, limit).await.0
}

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
struct Cached {
    /// When it was read (epoch seconds).
    read_at: i64,
    pid: i64,
    /// Epoch second of the last configuration (re)load, as computed when cached.
    loaded_at: i64,
    version: String,
    config: Arc<KeaConfig>,
}

/// The longest a configuration is reused without reading it again.
pub const CACHE_MAX_AGE: i64 = 300;

/// Commands that change the configuration without a reload (`config-backend-pull` is in
/// every Kea 2.2 and says nothing).
fn changes_config_live(commands: &[String]) -> bool {
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
fn loaded_at(status: &KeaStatus, at: i64) -> Option<(i64, i64)> {
    Some((status.pid?, at - status.reload?))
}

/// Whether `c` still describes the server that answered `status` at `at`. The load time is
/// computed from whole seconds on both sides, so it may wobble by one; a configuration
/// loaded within 3 s of being cached is never trusted (a second reload in that window
/// could not be told apart).
fn still_valid(c: &Cached, status: &KeaStatus, at: i64) -> bool {
    match loaded_at(status, at) {
        Some((pid, loaded)) => {
            pid == c.pid && (loaded - c.loaded_at).abs() <= 1 && at - c.read_at < CACHE_MAX_AGE
        }
        None => false,
    }
}

/// The full read: version, config, status, stats and the command list in one round trip.
async fn full_read(
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
fn stats_or_none(r: Result<StatsMap, KeaError>) -> Result<StatsMap, OpError> {
    match r {
        Err(KeaError::Unsupported { .. }) => Ok(HashMap::new()),
        other => Ok(other?),
    }
}

/// The refresh proper: status and stats, plus version and config unless cached.
async fn read_server(
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
            st.ha_state = status.ha.as_ref().map(super::ha_summary);
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

/// The whole-refresh limit for one server: a few requests' worth of the request timeout.
pub fn server_limit(cfg: &Config) -> Duration {
    (cfg.settings.request_timeout * 3).max(Duration::from_secs(3))
}

/// Every configured DHCP server, at most `concurrency` at a time, in config order.
pub async fn status_all(session: &Session, concurrency: usize) -> Vec<ServiceStatus> {
    let names: Vec<String> = session
        .config()
        .servers
        .iter()
        .map(|s| s.name.clone())
        .collect();
    status_of(session, &names, concurrency).await
}

/// The named servers (one, the marked ones, or all), at most `concurrency` at a time, in
/// the order given.
pub async fn status_of(
    session: &Session,
    names: &[String],
    concurrency: usize,
) -> Vec<ServiceStatus> {
    status_of_digest(session, names, concurrency)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// [`status_of`] with each server's configuration digest (see [`server_status_digest`]).
pub async fn status_of_digest(
    session: &Session,
    names: &[String],
    concurrency: usize,
) -> Vec<(ServiceStatus, Option<u64>)> {
    let limit = server_limit(session.config());
    // Futures built before the stream (no borrowing closure inside it), so the whole
    // future is Send and a console job can run it.
    let futs: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| async move { (i, server_status_digest(session, n, limit).await) })
        .collect();
    let mut out: Vec<(usize, (ServiceStatus, Option<u64>))> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

/// One DNS server after a check.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsStatus {
    pub name: String,
    pub addr: SocketAddr,
    pub answering: bool,
    /// Round-trip time of the check query, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// The zone whose SOA was asked (one it should hold), or "." when none is configured.
    pub zone: String,
    pub checked_at: i64,
    pub error: Option<String>,
}

/// Whether a DNS error still proves the server answered (it replied, just not as hoped).
pub(crate) fn dns_answered(e: &crate::dns::DnsError) -> bool {
    use crate::dns::DnsError as D;
    !matches!(
        e,
        D::Timeout { .. } | D::Unreachable { .. } | D::Other(_) | D::BadInput(_)
    )
}

/// Asks one DNS server for the SOA of a zone it should hold.
pub async fn dns_status(
    cfg: &Config,
    name: &str,
    addr: SocketAddr,
    timeout: Duration,
) -> DnsStatus {
    // A zone whose primary is this server, else any configured zone, else the root.
    let zone = cfg
        .dns
        .zones
        .iter()
        .find(|z| z.primary == addr)
        .or_else(|| cfg.dns.zones.first())
        .map(|z| z.name.clone())
        .unwrap_or_else(|| ".".to_string());
    let started = std::time::Instant::now();
    let res = crate::dns::query_soa_serial(addr, &zone, timeout).await;
    let mut st = DnsStatus {
        name: name.to_string(),
        addr,
        answering: false,
        rtt_ms: None,
        zone,
        checked_at: now(),
        error: None,
    };
    match res {
        Ok((_, rtt, _)) => {
            st.answering = true;
            st.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
        }
        Err(e) => {
            st.answering = dns_answered(&e);
            if st.answering {
                st.rtt_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            }
            st.error = Some(e.to_string());
        }
    }
    st
}

/// Every configured DNS server (`[[dns.server]]`), at most `concurrency` at a time.
pub async fn dns_status_all(cfg: &Config, concurrency: usize) -> Vec<DnsStatus> {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let futs: Vec<_> = cfg
        .dns
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| async move { (i, dns_status(cfg, &s.name, s.addr, timeout).await) })
        .collect();
    let mut out: Vec<(usize, DnsStatus)> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

/// How long each keyed thing has been in its current state: fed every refresh, it answers
/// "since when" (a service down since 14:02, a zone with differing serials for 5 min).
#[derive(Clone, Debug, Default)]
pub struct StateClock {
    seen: HashMap<String, (String, i64)>,
}

impl StateClock {
    /// Records `state` for `key` at `at`; returns when that state began (`at` if it is new).
    pub fn observe(&mut self, key: &str, state: &str, at: i64) -> i64 {
        match self.seen.get(key) {
            Some((s, since)) if s == state => *since,
            _ => {
                self.seen.insert(key.to_string(), (state.to_string(), at));
                at
            }
        }
    }
}

/// Per-server polling state for a background refresher: back-off after failures, the last
/// good refresh and since when the current state holds.
#[derive(Clone, Debug)]
pub struct FleetWatch {
    interval: Duration,
    max_backoff: Duration,
    entries: HashMap<String, WatchEntry>,
    clock: StateClock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchEntry {
    pub state: ServiceState,
    /// Epoch seconds since the server has been in `state`.
    pub since: i64,
    pub last_good: Option<i64>,
    /// Failed refreshes in a row.
    pub failures: u32,
    /// Epoch seconds when the server is next due.
    pub next_due: i64,
}

impl FleetWatch {
    /// `interval`: the normal refresh period; a failing server waits twice as long after
    /// each failure, up to `max_backoff`, so dead servers don't eat the polling budget.
    pub fn new(interval: Duration, max_backoff: Duration) -> FleetWatch {
        FleetWatch {
            interval,
            max_backoff: max_backoff.max(interval),
            entries: HashMap::new(),
            clock: StateClock::default(),
        }
    }

    /// The servers among `names` due for a refresh at `at` (never refreshed ones included).
    pub fn due(&self, names: &[String], at: i64) -> Vec<String> {
        names
            .iter()
            .filter(|n| self.entries.get(*n).is_none_or(|e| e.next_due <= at))
            .cloned()
            .collect()
    }

    pub fn entry(&self, name: &str) -> Option<&WatchEntry> {
        self.entries.get(name)
    }

    /// Takes in one refresh result: schedules the next one and fills in `last_good` from
    /// earlier refreshes when this one failed.
    pub fn record(&mut self, s: &mut ServiceStatus) {
        let prev = self.entries.get(&s.name).copied();
        let failures = if s.state.is_ok() {
            0
        } else {
            prev.map_or(0, |p| p.failures).saturating_add(1)
        };
        if s.last_good.is_none() {
            s.last_good = prev.and_then(|p| p.last_good);
        }
        let wait = if failures == 0 {
            self.interval
        } else {
            (self.interval * 2u32.saturating_pow(failures.min(16))).min(self.max_backoff)
        };
        let since = self.clock.observe(&s.name, s.state.label(), s.checked_at);
        self.entries.insert(
            s.name.clone(),
            WatchEntry {
                state: s.state,
                since,
                last_good: s.last_good,
                failures,
                next_due: s.checked_at + wait.as_secs().max(1) as i64,
            },
        );
    }
}

/// A filter on the server list: `key=value` on a field, or `tag=value` on the tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFilter {
    pub key: String,
    pub value: String,
}

impl ServerFilter {
    /// Parses `region=eu` (or `tag=lab`).
    pub fn parse(s: &str) -> Result<ServerFilter, Invalid> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok(ServerFilter {
                key: k.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(format!(
                "'{s}' is not a filter: write FIELD=VALUE, e.g. region=eu or tag=lab"
            )
            .into()),
        }
    }

    pub fn matches(&self, tags: &[String], fields: &BTreeMap<String, String>) -> bool {
        if self.key == "tag" || self.key == "tags" {
            return tags.iter().any(|t| t == &self.value);
        }
        fields.get(&self.key).is_some_and(|v| v == &self.value)
    }
}

/// The group label of a server for nested `keys` (e.g. region then site):
/// `["eu", "paris"]`; a missing field is "(none)". The key `tag` groups by the first tag.
pub fn group_path(
    keys: &[String],
    tags: &[String],
    fields: &BTreeMap<String, String>,
) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let v = if k == "tag" || k == "tags" {
                tags.first().cloned()
            } else {
                fields.get(k).cloned()
            };
            v.unwrap_or_else(|| "(none)".to_string())
        })
        .collect()
}

/// Statuses grouped by `keys` (nested, in sorted order of the group values).
pub fn group_statuses<'a>(
    rows: &'a [ServiceStatus],
    keys: &[String],
) -> BTreeMap<Vec<String>, Vec<&'a ServiceStatus>> {
    let mut out: BTreeMap<Vec<String>, Vec<&ServiceStatus>> = BTreeMap::new();
    for r in rows {
        out.entry(group_path(keys, &r.tags, &r.fields))
            .or_default()
            .push(r);
    }
    out
}

/// The configured servers that pass every filter.
pub fn filter_servers<'a>(cfg: &'a Config, filters: &[ServerFilter]) -> Vec<&'a ServerConfig> {
    cfg.servers
        .iter()
        .filter(|s| filters.iter().all(|f| f.matches(&s.tags, &s.fields)))
        .collect()
}

/// A scope over or under its utilization thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct UtilAlert {
    pub server: String,
    pub scope: ipnet::Ipv4Net,
    pub title: Option<String>,
    pub band: UtilBand,
    pub utilization: Utilization,
    /// How far past the threshold, in percentage points (always >= 0).
    pub distance: f64,
}

/// Active scopes outside their thresholds across the fleet, worst first: scopes over the
/// upper threshold before those under the lower one, each by distance from the threshold.
/// Scopes with no addresses to hand out are left out (nothing to be under).
pub fn utilization_alerts(rows: &[ServiceStatus], t: &Thresholds) -> Vec<UtilAlert> {
    let mut out = Vec::new();
    for r in rows {
        let Some(tree) = &r.tree else { continue };
        for s in &tree.scopes {
            if s.def.id == 0 || s.def.status != ScopeStatus::Active {
                continue;
            }
            let u = s.utilization();
            if u.total == 0 {
                continue;
            }
            let band = u.band(t);
            let distance = match band {
                UtilBand::Over => u.percent() - t.over,
                UtilBand::Under => t.under - u.percent(),
                UtilBand::Optimal => continue,
            };
            out.push(UtilAlert {
                server: r.name.clone(),
                scope: s.def.cidr,
                title: s.def.title.clone(),
                band,
                utilization: u,
                distance,
            });
        }
    }
    out.sort_by(|a, b| {
        let rank = |x: &UtilAlert| u8::from(x.band != UtilBand::Over);
        rank(a)
            .cmp(&rank(b))
            .then(b.distance.total_cmp(&a.distance))
            .then(a.server.cmp(&b.server))
            .then(a.scope.cmp(&b.scope))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_groups() {
        let f = ServerFilter::parse("region=eu").unwrap();
        let mut fields = BTreeMap::new();
        fields.insert("region".to_string(), "eu".to_string());
        assert!(f.matches(&[], &fields));
        assert!(!ServerFilter::parse("region=us")
            .unwrap()
            .matches(&[], &fields));
        assert!(ServerFilter::parse("tag=lab")
            .unwrap()
            .matches(&["lab".into()], &fields));
        assert!(ServerFilter::parse("region").is_err());
        let keys = vec!["region".to_string(), "site".to_string()];
        assert_eq!(group_path(&keys, &[], &fields), vec!["eu", "(none)"]);
    }

    fn status(name: &str, state: ServiceState, at: i64) -> ServiceStatus {
        ServiceStatus {
            name: name.into(),
            url: String::new(),
            tags: vec![],
            fields: BTreeMap::new(),
            state,
            version: None,
            uptime: None,
            ha_state: None,
            scopes: None,
            utilization: None,
            checked_at: at,
            last_good: state.is_ok().then_some(at),
            error: None,
            tree: None,
        }
    }

    #[test]
    fn watch_backs_off_and_keeps_last_good() {
        let mut w = FleetWatch::new(Duration::from_secs(10), Duration::from_secs(60));
        let names = vec!["a".to_string()];
        assert_eq!(w.due(&names, 0), names);
        let mut s = status("a", ServiceState::Running, 100);
        w.record(&mut s);
        assert_eq!(w.entry("a").unwrap().next_due, 110);
        assert!(w.due(&names, 109).is_empty());
        let mut s = status("a", ServiceState::Unreachable, 110);
        w.record(&mut s);
        assert_eq!(s.last_good, Some(100));
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (1, 130, 110));
        let mut s = status("a", ServiceState::Unreachable, 130);
        w.record(&mut s);
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (2, 170, 110));
        for t in [170, 230, 290] {
            w.record(&mut status("a", ServiceState::Unreachable, t));
        }
        assert_eq!(w.entry("a").unwrap().next_due, 350, "capped at 60 s");
        w.record(&mut status("a", ServiceState::Running, 350));
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (0, 360, 350));
    }

    fn scope(id: u32, cidr: &str, used: u64, total: u64, status: ScopeStatus) -> ScopeSummary {
        use crate::model::{Range, RangeSet, ScopeDef, ScopeStats};
        let cidr: ipnet::Ipv4Net = cidr.parse().unwrap();
        let pools = RangeSet::from_ranges([Range::parse_pool(&format!(
            "{} - {}",
            cidr.network(),
            cidr.broadcast()
        ))
        .unwrap()]);
        ScopeSummary {
            def: ScopeDef {
                id,
                range: ScopeDef::derive_range(&cidr, &pools, &[]),
                range_marked: false,
                cidr,
                pools,
                reservations: vec![],
                options: vec![],
                valid_lifetime: None,
                shared_network: None,
                status,
                title: None,
                description: None,
                gateway: None,
                client_class: None,
                pool_classes: Vec::new(),
            },
            stats: Some(ScopeStats {
                total,
                assigned: used,
                declined: 0,
            }),
        }
    }

    #[test]
    fn alerts_worst_first() {
        let tree = |scopes| ServerTree::build(&[], scopes);
        let mut a = status("a", ServiceState::Running, 1);
        a.tree = Some(tree(vec![
            scope(1, "10.0.1.0/24", 85, 100, ScopeStatus::Active),
            scope(2, "10.0.2.0/24", 50, 100, ScopeStatus::Active),
            scope(3, "10.0.3.0/24", 1, 100, ScopeStatus::Active),
            // Inactive scopes and scopes with no pool raise nothing.
            scope(4, "10.0.4.0/24", 99, 100, ScopeStatus::Inactive),
            scope(5, "10.0.5.0/24", 0, 0, ScopeStatus::Active),
        ]));
        let mut b = status("b", ServiceState::Running, 1);
        b.tree = Some(tree(vec![
            scope(1, "10.1.1.0/24", 100, 100, ScopeStatus::Active),
            scope(2, "10.1.2.0/24", 10, 100, ScopeStatus::Active),
        ]));
        let down = status("c", ServiceState::Unreachable, 1);
        let got: Vec<(String, String, UtilBand)> =
            utilization_alerts(&[a, b, down], &Thresholds::default())
                .into_iter()
                .map(|x| (x.server, x.scope.to_string(), x.band))
                .collect();
        let want = [
            ("b", "10.1.1.0/24", UtilBand::Over),
            ("a", "10.0.1.0/24", UtilBand::Over),
            ("a", "10.0.3.0/24", UtilBand::Under),
            ("b", "10.1.2.0/24", UtilBand::Under),
        ];
        let want: Vec<(String, String, UtilBand)> = want
            .iter()
            .map(|(s, c, b)| (s.to_string(), c.to_string(), *b))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn cached_config_valid_until_restart_reload_or_age() {
        let c = Cached {
            read_at: 1000,
            pid: 7,
            loaded_at: 900,
            version: "2.2.0".into(),
            config: Arc::new(KeaConfig {
                scopes: vec![],
                networks: vec![],
                skipped: vec![],
                digest: 1,
                hash: None,
            }),
        };
        let st = |pid, reload| KeaStatus {
            pid: Some(pid),
            reload: Some(reload),
            ..KeaStatus::default()
        };
        assert!(still_valid(&c, &st(7, 110), 1010));
        assert!(still_valid(&c, &st(7, 111), 1010), "one second of rounding");
        assert!(!still_valid(&c, &st(8, 110), 1010), "restarted");
        assert!(!still_valid(&c, &st(7, 5), 1010), "reloaded");
        assert!(!still_valid(&c, &st(7, 1000), 1900), "too old");
        assert!(
            !still_valid(&c, &KeaStatus::default(), 1010),
            "no pid or reload"
        );
        let cmds = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(!changes_config_live(&cmds(&[
            "config-backend-pull",
            "lease4-add"
        ])));
        assert!(changes_config_live(&cmds(&["subnet4-add"])));
        assert!(changes_config_live(&cmds(&["remote-subnet4-set"])));
    }

    #[test]
    fn error_states() {
        let e = OpError::Kea(KeaError::DaemonOffline {
            server: "a".into(),
            service: "dhcp4".into(),
        });
        assert_eq!(ServiceState::from_error(&e), ServiceState::DaemonStopped);
        let e = OpError::Kea(KeaError::Unauthorized { server: "a".into() });
        assert_eq!(ServiceState::from_error(&e), ServiceState::AuthFailed);
        let e = OpError::Kea(KeaError::Refused {
            server: "a".into(),
            url: "u".into(),
        });
        assert_eq!(ServiceState::from_error(&e), ServiceState::Unreachable);
    }
}
