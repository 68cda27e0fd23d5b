//! A session over the configured servers: one Kea client per server, kept for keep-alive,
//! and the read operations the console and the CLI share.
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::config::{Config, ServerConfig};
use crate::kea::{KeaClient, KeaError};
use crate::model::tree::ScopeSummary;
use crate::model::{ScopeCounts, ScopeDef, ScopeView, ServerTree};

use super::{now, ServerData, ServerHealth};

/// A failed operation, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{0}")]
    Kea(#[from] KeaError),
    #[error("no server named '{0}' in the configuration: check `ddish check` for the names")]
    UnknownServer(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input or a state that doesn't allow the action; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The role (or --read-only) forbids it: what the user has and what the action needs.
    #[error("{}", forbidden_text(.server, *.role, *.need, *.read_only))]
    Forbidden {
        server: String,
        role: crate::config::Role,
        need: crate::config::Role,
        read_only: bool,
    },
    /// Allowed, but the user must confirm (e.g. the IP is leased to another client).
    #[error("{0}")]
    NeedsConfirmation(String),
    /// Boxed: it carries per-server undo details and would make every result large.
    #[error("{0}")]
    LeaseWrite(Box<crate::kea::LeaseWriteError>),
    /// Another ddish on this host is writing to the server and did not finish in time.
    #[error("{0}")]
    Busy(String),
    /// Sent and accepted, but the server's read-back does not show it: not "done".
    #[error("{0}")]
    Unverified(String),
    /// The server's configuration is no longer the one the change was made from (another
    /// admin or tool changed it): nothing was written; reload and try again.
    #[error("{0}")]
    Changed(String),
}

fn forbidden_text(
    server: &str,
    role: crate::config::Role,
    need: crate::config::Role,
    read_only: bool,
) -> String {
    use crate::config::Role;
    if read_only {
        return "ddish runs with --read-only: no changes are made".into();
    }
    let (what, roles) = match need {
        Role::Admin => ("a scope change", "role = \"admin\""),
        _ => ("this change", "role = \"operator\" or \"admin\""),
    };
    format!(
        "your role on {server} is {} (config `role`): {what} needs {roles}",
        role.word()
    )
}

/// Input that cannot be acted on as given (a malformed MAC, a scope outside its network, a
/// filter that does not parse): the message says what to write instead. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<String> for Invalid {
    fn from(s: String) -> Invalid {
        Invalid(s)
    }
}

impl From<&str> for Invalid {
    fn from(s: &str) -> Invalid {
        Invalid(s.to_string())
    }
}

/// For the console's form checks, which speak in messages.
impl From<Invalid> for String {
    fn from(e: Invalid) -> String {
        e.0
    }
}

impl From<Invalid> for OpError {
    fn from(e: Invalid) -> OpError {
        OpError::Refused(e.0)
    }
}

/// A config edit that refused: nothing was written.
impl From<crate::kea::EditRefused> for OpError {
    fn from(e: crate::kea::EditRefused) -> OpError {
        OpError::Refused(e.0)
    }
}

impl From<crate::kea::LeaseWriteError> for OpError {
    fn from(e: crate::kea::LeaseWriteError) -> Self {
        OpError::LeaseWrite(Box::new(e))
    }
}

impl OpError {
    /// Short kind for tables.
    pub fn kind_label(&self) -> &'static str {
        match self {
            OpError::Kea(e) => e.kind_label(),
            OpError::UnknownServer(_) => "unknown server",
            OpError::NotFound(_) => "not found",
            OpError::Refused(_) => "refused",
            OpError::Forbidden { .. } => "not allowed",
            OpError::NeedsConfirmation(_) => "needs confirmation",
            OpError::LeaseWrite(_) => "lease write failed",
            OpError::Busy(_) => "busy",
            OpError::Unverified(_) => "not verified",
            OpError::Changed(_) => "changed meanwhile",
        }
    }

    /// `server`'s configuration changed since the user loaded it.
    pub fn changed_since_loaded(server: &str) -> OpError {
        OpError::Changed(format!(
            "the configuration of {server} changed on the server since you loaded it: nothing \
             was written; reload (r) and try again"
        ))
    }
}

pub struct Session {
    config: Config,
    read_only: bool,
    clients: Mutex<HashMap<String, KeaClient>>,
    /// Digest of each server's configuration as last loaded (what the user saw): a config
    /// write stops when the server's differs, i.e. it was changed behind ddish's back.
    seen: Mutex<HashMap<String, (u64, Option<String>)>>,
    /// Each server's last config-get, reused for [`RECENT`]: one action reads it several
    /// times (find the scope, then its HA peers) and on a big server each read costs seconds
    /// (KEA_FACTS §11). Writes never rely on it: they read and guard on their own.
    recent: Recent<crate::kea::ConfigReply>,
    /// Each server's list-commands, reused for [`RECENT`]: it decides how each read and
    /// write goes (commands or config), several times per action.
    commands: Recent<BTreeSet<String>>,
    /// Each server's subnet4-list, reused for [`RECENT`]: finding the scope of an address
    /// twice in one action (the CLI's lookup, then the action's own) costs one list.
    subnets: Recent<Vec<crate::kea::SubnetRef>>,
    /// Each server's HA peers (`peers`), reused for [`RECENT`].
    peers: Recent<Vec<(String, KeaClient)>>,
    /// Where a long wait is told (the CLI: stderr); the log otherwise.
    notices: Mutex<Option<Notice>>,
}

/// A sink for progress the user should see while an operation waits.
pub type Notice = Box<dyn Fn(&str) + Send + Sync>;

/// Per-server answers kept for [`RECENT`] seconds.
struct Recent<T>(Mutex<HashMap<String, (std::time::Instant, Arc<T>)>>);

impl<T> Recent<T> {
    fn new() -> Self {
        Recent(Mutex::new(HashMap::new()))
    }

    fn get(&self, server: &str) -> Option<Arc<T>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A big config is tens of MB parsed: none is kept past its time.
        map.retain(|_, (at, _)| at.elapsed() < RECENT);
        map.get(server).map(|(_, v)| v.clone())
    }

    fn put(&self, server: &str, value: Arc<T>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(server.to_string(), (std::time::Instant::now(), value));
    }

    fn take(&self, server: &str) -> Option<Arc<T>> {
        let v = self.get(server)?;
        self.forget(server);
        Some(v)
    }

    fn forget(&self, server: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(server);
    }
}

/// How long a config-get is reused for reads within one action.
pub const RECENT: std::time::Duration = std::time::Duration::from_secs(2);

impl Session {
    pub fn new(config: Config) -> Arc<Session> {
        Self::new_with(config, false)
    }

    /// `read_only` (the global `--read-only`) refuses every write, whatever the roles.
    pub fn new_with(config: Config, read_only: bool) -> Arc<Session> {
        if let Some((_, gid)) = &config.settings.journal_group {
            crate::audit::share_with_group(*gid);
        }
        Arc::new(Session {
            config,
            read_only,
            clients: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashMap::new()),
            recent: Recent::new(),
            commands: Recent::new(),
            subnets: Recent::new(),
            peers: Recent::new(),
            notices: Mutex::new(None),
        })
    }

    /// Where waits are told from now on (the CLI prints them on stderr).
    pub fn on_notice(&self, sink: Notice) {
        *self.notices.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    /// Tells the user (or the log) that the operation is waiting.
    pub(crate) fn notice(&self, text: &str) {
        tracing::info!("{text}");
        if let Some(f) = self
            .notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            f(text);
        }
    }

    /// The server's commands (list-commands), from the last [`RECENT`] seconds or fresh.
    pub async fn commands(&self, server: &str) -> Result<Arc<BTreeSet<String>>, OpError> {
        if let Some(v) = self.commands.get(server) {
            return Ok(v);
        }
        let list: BTreeSet<String> = self
            .client(server)?
            .list_commands()
            .await?
            .into_iter()
            .collect();
        let list = Arc::new(list);
        self.commands.put(server, list.clone());
        Ok(list)
    }

    /// The server's subnets (subnet4-list, where it has subnet_cmds), from the last
    /// [`RECENT`] seconds or fresh.
    pub async fn subnet_refs(
        &self,
        server: &str,
    ) -> Result<Arc<Vec<crate::kea::SubnetRef>>, OpError> {
        if let Some(v) = self.subnets.get(server) {
            return Ok(v);
        }
        let list = Arc::new(crate::kea::subnet_list(&self.client(server)?).await?);
        self.subnets.put(server, list.clone());
        Ok(list)
    }

    /// The server's config-get (`{"Dhcp4": ...}`), from the last [`RECENT`] seconds or fresh.
    pub async fn recent_config(
        &self,
        server: &str,
    ) -> Result<Arc<crate::kea::ConfigReply>, OpError> {
        if let Some(v) = self.recent.get(server) {
            return Ok(v);
        }
        let reply = Arc::new(self.client(server)?.config_get_reply().await?);
        self.recent.put(server, reply.clone());
        Ok(reply)
    }

    /// The config-get made in the last [`RECENT`] seconds, taken out of the cache for a
    /// write to start from (the write changes it).
    pub(crate) fn take_recent_config(&self, server: &str) -> Option<Arc<crate::kea::ConfigReply>> {
        self.recent.take(server)
    }

    /// The peers `peers` found for `server` in the last [`RECENT`] seconds.
    pub(super) fn recent_peers(&self, server: &str) -> Option<Vec<(String, KeaClient)>> {
        self.peers.get(server).map(|v| v.as_ref().clone())
    }

    pub(super) fn keep_peers(&self, server: &str, peers: &[(String, KeaClient)]) {
        self.peers.put(server, Arc::new(peers.to_vec()));
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn server(&self, name: &str) -> Result<&ServerConfig, OpError> {
        self.config
            .server(name)
            .ok_or_else(|| OpError::UnknownServer(name.to_string()))
    }

    /// The server's client, made once and reused (HTTP keep-alive).
    pub fn client(&self, name: &str) -> Result<KeaClient, OpError> {
        let server = self.server(name)?;
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(name) {
            return Ok(c.clone());
        }
        let c = KeaClient::new(server, self.config.settings.request_timeout)?
            .with_write_timeout(self.config.settings.write_timeout);
        map.insert(name.to_string(), c.clone());
        Ok(c)
    }

    /// The digest of `name`'s configuration as the user saw it: the action's own
    /// [`Baseline`](super::Baseline) where the console gave one, else as last loaded.
    pub fn seen_digest(&self, name: &str) -> Option<u64> {
        if let Some(b) = super::baseline::current(name) {
            return b.map(|b| b.digest);
        }
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .map(|(d, _)| *d)
    }

    /// Kea's hash (config-hash-get, Kea >= 2.4) of `name`'s configuration as last loaded.
    pub fn seen_hash(&self, name: &str) -> Option<String> {
        if let Some(b) = super::baseline::current(name) {
            return b.and_then(|b| b.hash);
        }
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .and_then(|(_, h)| h.clone())
    }

    /// Forgets the loaded digest (after ddish's own write: the next load sets it again).
    pub fn forget_digest(&self, name: &str) {
        super::baseline::forget(name);
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        // The server was just written to: its next read must be fresh.
        self.forget_reads(name);
    }

    /// Drops the reads kept for [`RECENT`] (not what the user saw).
    pub(crate) fn forget_reads(&self, name: &str) {
        self.recent.forget(name);
        self.commands.forget(name);
        self.subnets.forget(name);
        self.peers.forget(name);
    }

    /// Reachability, version, scope count and utilization; failures are inside the result.
    pub async fn check_server(&self, name: &str) -> ServerHealth {
        let url = self
            .config
            .server(name)
            .map(|s| s.url.clone())
            .unwrap_or_default();
        let mut h = ServerHealth {
            name: name.to_string(),
            url,
            reachable: false,
            version: None,
            scopes: None,
            utilization: None,
            ha_state: None,
            writes: None,
            error_kind: None,
            error: None,
        };
        match self.load_server(name).await {
            Ok(d) => {
                h.reachable = true;
                if let Some(note) = d.skipped_note() {
                    h.error_kind = Some("unreadable entries".into());
                    h.error = Some(note);
                }
                h.version = Some(d.version);
                h.scopes = Some(d.tree.scopes.iter().filter(|s| s.def.id != 0).count());
                h.utilization = Some(d.tree.utilization());
                h.ha_state = d.ha_state;
                h.writes = Some(crate::kea::write_paths_label(&d.commands));
            }
            Err(e) => {
                // Reachable but failing (e.g. daemon offline behind a live agent) still
                // counts as a failure for `ddish check`.
                h.error_kind = Some(e.kind_label().to_string());
                h.error = Some(e.to_string());
            }
        }
        h
    }

    /// Every configured server, checked concurrently, in config order.
    pub async fn check_all(self: &Arc<Self>) -> Vec<ServerHealth> {
        let names: Vec<String> = self.config.servers.iter().map(|s| s.name.clone()).collect();
        let tasks: Vec<_> = names
            .iter()
            .map(|n| {
                let me = Arc::clone(self);
                let n = n.clone();
                tokio::spawn(async move { me.check_server(&n).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for (t, n) in tasks.into_iter().zip(names) {
            out.push(t.await.unwrap_or_else(|e| ServerHealth {
                name: n,
                url: String::new(),
                reachable: false,
                version: None,
                scopes: None,
                utilization: None,
                ha_state: None,
                writes: None,
                error_kind: Some("internal".into()),
                error: Some(format!("internal error while checking: {e}")),
            }));
        }
        out
    }

    /// version-get, list-commands, config-get and stat-lease4-get, then the IPAM tree.
    /// Never loads leases: counts come from Kea's statistics (KEA_FACTS.md §11).
    pub async fn load_server(&self, name: &str) -> Result<ServerData, OpError> {
        self.load_server_as(name, true).await
    }

    /// [`load_server`](Self::load_server) without the lease statistics: the tree as soon as
    /// Kea has given its configuration, utilization unknown until [`server_stats`]
    /// (Self::server_stats) fills it in ([`ServerData::with_stats`]). What the console shows
    /// first: Kea answers one command at a time, so the statistics would otherwise come
    /// before the tree (on 10,000 subnets with 1M leases: config-get ~0.4 s, stats ~0.15 s).
    pub async fn load_server_tree(&self, name: &str) -> Result<ServerData, OpError> {
        self.load_server_parts(name, true, false).await
    }

    /// Each scope's lease counts (`stat-lease4-get`); empty where the server has no
    /// stat_cmds hook (utilization stays unknown).
    pub async fn server_stats(
        &self,
        name: &str,
    ) -> Result<HashMap<u32, crate::model::ScopeStats>, OpError> {
        let c = self.client(name)?;
        match c.stat_lease4_get().await {
            Ok(s) => Ok(s),
            Err(e) => {
                if self.commands(name).await?.contains("stat-lease4-get") {
                    Err(e.into())
                } else {
                    Ok(HashMap::new())
                }
            }
        }
    }

    /// `remember`: this load is what the user sees, so later config writes compare against
    /// it. Loads an action makes for its own lookups don't move that baseline.
    pub(crate) async fn load_server_as(
        &self,
        name: &str,
        remember: bool,
    ) -> Result<ServerData, OpError> {
        self.load_server_parts(name, remember, true).await
    }

    async fn load_server_parts(
        &self,
        name: &str,
        remember: bool,
        with_stats: bool,
    ) -> Result<ServerData, OpError> {
        let c = self.client(name)?;
        // All at once: Kea answers one command at a time, but ddish reads the config while
        // Kea builds the statistics (on 10,000 subnets: ~0.4 s and ~0.15 s, KEA_FACTS §14).
        let stats = async {
            if with_stats {
                c.stat_lease4_get().await
            } else {
                Ok(HashMap::new())
            }
        };
        let (version, commands, config, status, stats) = tokio::join!(
            c.version_get(),
            c.list_commands(),
            c.config_get(),
            c.status_get(),
            stats
        );
        let version = version?;
        let commands = commands?;
        let config = config?;
        let stats = match stats {
            Ok(s) => s,
            // No stat_cmds hook: utilization stays unknown.
            Err(_) if !commands.iter().any(|x| x == "stat-lease4-get") => HashMap::new(),
            Err(e) => return Err(e.into()),
        };
        let mut config = config;
        if commands.iter().any(|x| x == "reservation-get-page") {
            // Reservations in a hosts database count like the config file's (one empty
            // page where there is none).
            match crate::kea::database_reservations(&c).await {
                Ok(in_db) => attach_reservations(&mut config.scopes, in_db),
                // The config's scopes still show; only the database's reservations are
                // missing from the counts (the scope view asks for them again).
                Err(e) => tracing::warn!("{name}: hosts database reservations not read: {e}"),
            }
        }
        let ha_state = status.ok().and_then(|s| s.ha.as_ref().map(ha_summary));
        if remember {
            self.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.to_string(), (config.digest, config.hash.clone()));
            // A read older than this new baseline must not become a write's base.
            self.recent.forget(name);
            self.subnets.forget(name);
        }
        let scopes = config
            .scopes
            .into_iter()
            .map(|def| {
                let stats = stats.get(&def.id).copied();
                ScopeSummary { def, stats }
            })
            .collect();
        let tree = ServerTree::build(&config.networks, scopes);
        Ok(ServerData {
            skipped: config.skipped,
            name: name.to_string(),
            version,
            commands,
            tree,
            networks: config.networks,
            ha_state,
            loaded_at: now(),
            baseline: Some(super::Baseline {
                server: name.to_string(),
                digest: config.digest,
                hash: config.hash.clone(),
            }),
        })
    }

    /// One scope with every address's state: lease4-get-all for that subnet only, and on a
    /// server with host_cmds the subnet's reservations from every host source.
    pub async fn load_scope(&self, name: &str, scope: &ScopeDef) -> Result<ScopeView, OpError> {
        if scope.id == 0 {
            // Missing from the server: nothing to ask for.
            return Ok(ScopeView::build(scope.clone(), Vec::new(), now()));
        }
        let (def, leases) = tokio::try_join!(self.with_all_reservations(name, scope), async {
            Ok(self.client(name)?.lease4_get_all(scope.id).await?)
        })?;
        Ok(ScopeView::build(def, leases, now()))
    }

    /// `scope` with the reservations that only host_cmds can read (hosts databases:
    /// config-get never shows them) added, where the server has host_cmds; else as it is.
    pub async fn with_all_reservations(
        &self,
        name: &str,
        scope: &ScopeDef,
    ) -> Result<ScopeDef, OpError> {
        let mut def = scope.clone();
        if scope.id == 0 || !self.commands(name).await?.contains("reservation-get-all") {
            return Ok(def);
        }
        let client = self.client(name)?;
        let (own, globals) = tokio::try_join!(
            crate::kea::subnet_reservations(&client, scope.id),
            crate::kea::subnet_reservations(&client, 0),
        )?;
        let found = own.into_iter().map(|r| (scope.id, r));
        let found = found.chain(globals.into_iter().map(|r| (0, r))).collect();
        attach_reservations(std::slice::from_mut(&mut def), found);
        Ok(def)
    }

    /// Exact per-state counts of every scope on the server with a subnet behind it, from
    /// each scope's own leases (lease4-get-all per subnet, a few at a time): never one
    /// whole-server lease dump (KEA_FACTS.md §11).
    pub async fn scope_counts(
        &self,
        name: &str,
        data: &ServerData,
    ) -> Result<HashMap<u32, ScopeCounts>, OpError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let defs: Vec<&ScopeDef> = data
            .tree
            .scopes
            .iter()
            .map(|s| &s.def)
            .filter(|d| d.id != 0)
            .collect();
        stream::iter(defs)
            .map(|d| async move {
                let v = self.load_scope(name, d).await?;
                Ok::<_, OpError>((d.id, v.counts))
            })
            .buffer_unordered(4)
            .try_collect()
            .await
    }

    /// Finds a scope by CIDR on a server (for the CLI).
    pub async fn find_scope(
        &self,
        name: &str,
        cidr: &ipnet::Ipv4Net,
    ) -> Result<(ServerData, ScopeDef), OpError> {
        let data = self.load_server(name).await?;
        let def = data
            .tree
            .scopes
            .iter()
            .find(|s| s.def.cidr == *cidr)
            .map(|s| s.def.clone())
            .ok_or_else(|| {
                OpError::NotFound(format!(
                    "no scope {cidr} on server {name}: list them with `ddish export --what scopes --server {name}`"
                ))
            })?;
        Ok((data, def))
    }
}

/// Adds reservations read apart from the config (hosts databases) to their scopes by subnet
/// id (0: global, placed by address), skipping addresses the scope already has one for.
fn attach_reservations(scopes: &mut [ScopeDef], found: Vec<(u32, crate::model::Reservation)>) {
    let mut globals = Vec::new();
    for (sid, r) in found {
        if sid == 0 {
            globals.push(r);
        } else if let Some(s) = scopes.iter_mut().find(|s| s.id == sid) {
            if s.reservation_at(r.ip).is_none() {
                s.reservations.push(r);
            }
        }
    }
    crate::model::scope::attach_global_reservations(scopes, globals);
}

/// One line for the HA state: "load-balancing (partner load-balancing)".
pub fn ha_summary(h: &crate::kea::HaStatus) -> String {
    let local = h.local_state.as_deref().unwrap_or("unknown");
    let mut out = match h.remote_state.as_deref() {
        Some(r) if !r.is_empty() => format!("{local} (partner {r})"),
        _ => local.to_string(),
    };
    if h.communication_interrupted == Some(true) {
        out.push_str(", communication interrupted");
    }
    out
}
