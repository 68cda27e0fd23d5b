//! Reading a server for the console and the CLI: its health, its tree of networks and
//! scopes, one scope's addresses.
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::tree::ScopeSummary;
use crate::model::{ScopeCounts, ScopeDef, ScopeView, ServerTree};

use super::{now, OpError, ServerData, ServerHealth, Session};

impl Session {
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
            option_defs: config.option_defs,
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
        self.saw_leases(name, scope.id, scope.cidr, &leases).await;
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

    /// The per-state counts of several scopes together (a network's or a server's summary
    /// cards): each scope's own leases, a few at a time; at most [`MAX_COUNTED`] scopes,
    /// so a summary never walks a big server's leases.
    pub async fn count_scopes(
        &self,
        name: &str,
        scopes: &[ScopeDef],
    ) -> Result<ScopeCounts, OpError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        if scopes.len() > MAX_COUNTED {
            return Err(OpError::Refused(format!(
                "{} scopes are too many to count at once (at most {MAX_COUNTED}): open a network \
                 or block for its counts",
                scopes.len()
            )));
        }
        // The futures are built before the stream, so a console job can run it (Send).
        let futs: Vec<_> = scopes
            .iter()
            .filter(|d| d.id != 0)
            .map(|d| async move { Ok::<_, OpError>(self.load_scope(name, d).await?.counts) })
            .collect();
        let all: Vec<ScopeCounts> = stream::iter(futs).buffer_unordered(4).try_collect().await?;
        let mut sum = ScopeCounts::default();
        for c in &all {
            sum.merge(c);
        }
        Ok(sum)
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

/// The most scopes a summary counts address by address.
pub const MAX_COUNTED: usize = 64;

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
