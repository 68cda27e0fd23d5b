//! A session over the configured servers: one Kea client per server, kept for keep-alive,
//! the short-lived caches one action's reads share, and what the user last loaded (the
//! base a change is checked against). The reads themselves are in `load.rs`.
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::config::{Config, ServerConfig};
use crate::kea::KeaClient;

use super::error::OpError;

/// The configured servers as one action, or the console, uses them.
pub struct Session {
    pub(super) config: Config,
    pub(super) read_only: bool,
    pub(super) clients: Mutex<HashMap<String, KeaClient>>,
    /// Digest of each server's configuration as last loaded (what the user saw): a config
    /// write stops when the server's differs, i.e. it was changed behind ddish's back.
    pub(super) seen: Mutex<HashMap<String, (u64, Option<String>)>>,
    /// Each server's last config-get, reused for [`RECENT`]: one action reads it several
    /// times (find the scope, then its HA peers) and on a big server each read costs seconds
    /// (KEA_FACTS §11). Writes never rely on it: they read and guard on their own.
    pub(super) recent: Recent<crate::kea::ConfigReply>,
    /// Each server's list-commands, reused for [`RECENT`]: it decides how each read and
    /// write goes (commands or config), several times per action.
    pub(super) commands: Recent<BTreeSet<String>>,
    /// Each server's subnet4-list, reused for [`RECENT`]: finding the scope of an address
    /// twice in one action (the CLI's lookup, then the action's own) costs one list.
    pub(super) subnets: Recent<Vec<crate::kea::SubnetRef>>,
    /// Each server's HA peers (`peers`), reused for [`RECENT`].
    pub(super) peers: Recent<Vec<(String, KeaClient)>>,
    /// Where a long wait is told (the CLI: stderr); the log otherwise.
    pub(super) notices: Mutex<Option<Notice>>,
    /// The last look at each scope's leases, for the changes between looks.
    pub(super) lease_looks: Mutex<super::lease_looks::LeaseLooks>,
}

/// A sink for progress the user should see while an operation waits.
pub type Notice = Box<dyn Fn(&str) + Send + Sync>;

/// Per-server answers kept for [`RECENT`] seconds.
pub(super) struct Recent<T>(Mutex<HashMap<String, (std::time::Instant, Arc<T>)>>);

impl<T> Recent<T> {
    pub(super) fn new() -> Self {
        Recent(Mutex::new(HashMap::new()))
    }

    pub(super) fn get(&self, server: &str) -> Option<Arc<T>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A big config is tens of MB parsed: none is kept past its time.
        map.retain(|_, (at, _)| at.elapsed() < RECENT);
        map.get(server).map(|(_, v)| v.clone())
    }

    pub(super) fn put(&self, server: &str, value: Arc<T>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(server.to_string(), (std::time::Instant::now(), value));
    }

    pub(super) fn take(&self, server: &str) -> Option<Arc<T>> {
        let v = self.get(server)?;
        self.forget(server);
        Some(v)
    }

    pub(super) fn forget(&self, server: &str) {
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
            lease_looks: Mutex::new(Default::default()),
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

    /// Remembers `name`'s configuration as the user saw it now (digest, Kea's hash): a
    /// write made from it stops when the server's has changed meanwhile.
    pub fn remember_seen(&self, name: &str, digest: u64, hash: Option<String>) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), (digest, hash));
        self.recent.forget(name);
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
}
