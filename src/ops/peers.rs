//! Which configured servers an action writes to: the server and its HA partner. Lease
//! commands are not replicated between HA peers (KEA_FACTS.md §7), so holds, claims and
//! reservations go to each.
use std::net::Ipv4Addr;

use crate::kea::KeaClient;
use crate::model::ScopeDef;

use super::failover::norm_url;
use crate::ops::{OpError, Session};

/// How long the partner may take to confirm the pair.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

impl Session {
    /// The server and the HA peers it names, as configured servers, in write order: the
    /// primary first (so two ddish racing for one address meet on the same server first).
    /// Kept for [`RECENT`](super::session::RECENT): a write asks once to lock them and again
    /// to write to them.
    pub async fn peers(&self, server: &str) -> Result<Vec<(String, KeaClient)>, OpError> {
        if let Some(found) = self.recent_peers(server) {
            return Ok(found);
        }
        let found = self.find_peers(server).await?;
        self.keep_peers(server, &found);
        Ok(found)
    }

    async fn find_peers(&self, server: &str) -> Result<Vec<(String, KeaClient)>, OpError> {
        if let Some(found) = self.peers_by_status(server).await? {
            return Ok(found);
        }
        let c = self.client(server)?;
        let raw = self.recent_config(server).await?;
        let ha = raw.ha_peers()?;
        if ha.is_empty() {
            return Ok(vec![(server.to_string(), c)]);
        }
        let mut out: Vec<(String, String, KeaClient)> = Vec::new();
        let mut me_seen = false;
        for p in &ha {
            let cfg = self
                .config()
                .servers
                .iter()
                .find(|s| norm_url(&s.url) == norm_url(&p.url));
            match cfg {
                Some(s) => {
                    me_seen |= s.name == server;
                    out.push((p.role.clone(), s.name.clone(), self.client(&s.name)?));
                }
                None => {
                    return Err(OpError::Refused(format!(
                        "{server} is in an HA pair with '{}' at {}, which is not in your config: \
                         add it as a [[server]] so ddish can write to both peers",
                        p.name, p.url
                    )))
                }
            }
        }
        if !me_seen {
            out.push(("".into(), server.to_string(), c));
        }
        out.sort_by_key(|(role, name, _)| (role != "primary", name.clone()));
        out.dedup_by(|a, b| a.1 == b.1);
        Ok(out.into_iter().map(|(_, n, c)| (n, c)).collect())
    }

    /// The pair from status-get alone (Kea >= 2.4 names both servers in it), without a
    /// config-get (~0.5-2.5 s and tens of MB on a big server). Taken only where the names
    /// say it without doubt: the server's HA name is its name in ddish's config, its
    /// partner's HA name is another configured server's name, and that server's status-get
    /// names the same pair the other way round. Anything else (Kea 2.2 names no server,
    /// other naming, several relationships, a partner that does not answer) is `None`, and
    /// the config's peer URLs decide. A server without the HA hook is alone.
    /// HA backup servers are not named in status-get: where a relationship has backups,
    /// name the servers in ddish differently from their HA names so the config decides.
    async fn peers_by_status(
        &self,
        server: &str,
    ) -> Result<Option<Vec<(String, KeaClient)>>, OpError> {
        let c = self.client(server)?;
        let status = c.status_get().await?;
        let Some(ha) = status.ha.as_ref() else {
            return Ok(Some(vec![(server.to_string(), c)]));
        };
        let (Some(me), Some(partner)) = (ha.local_name.as_deref(), ha.remote_name.as_deref())
        else {
            return Ok(None);
        };
        if status.ha_relationships != 1 || me != server || partner == server {
            return Ok(None);
        }
        if self.config().server(partner).is_none() {
            return Ok(None);
        }
        let pc = self.client(partner)?;
        // Milliseconds when it is up; a partner that is down must not hold up the action for
        // a whole request timeout before the config path reports it properly.
        let theirs = match tokio::time::timeout(PROBE_TIMEOUT, pc.status_get()).await {
            Ok(Ok(st)) => st,
            _ => return Ok(None),
        };
        let confirmed = theirs.ha_relationships == 1
            && theirs.ha.as_ref().is_some_and(|h| {
                h.local_name.as_deref() == Some(partner) && h.remote_name.as_deref() == Some(me)
            });
        if !confirmed {
            return Ok(None);
        }
        let mut out = vec![
            (
                ha.local_role.clone().unwrap_or_default(),
                server.to_string(),
                c,
            ),
            (
                ha.remote_role.clone().unwrap_or_default(),
                partner.to_string(),
                pc,
            ),
        ];
        out.sort_by_key(|(role, name, _)| (role != "primary", name.clone()));
        Ok(Some(out.into_iter().map(|(_, n, c)| (n, c)).collect()))
    }
}

/// The peers' clients in the order a lease add should reach them: the server that hands
/// `ip` out first (named by its pool's `HA_<name>` class in load-balancing; else the
/// primary, which serves everything in hot-standby), so it never gives the address to a
/// client while ddish's lease is on its partner only. A delete takes the reverse order:
/// once the serving server lets the address go, the partner holds no lease of ddish's that
/// a client's replicated lease could be mistaken for (the window tests/faults_dhcp.rs
/// measured). Where both peers serve a pool, no order closes it; the copy-back does.
pub(crate) fn serving_first<'a>(
    peers: &'a [(String, KeaClient)],
    scope: &ScopeDef,
    ip: Ipv4Addr,
) -> Vec<&'a KeaClient> {
    let mut out: Vec<&KeaClient> = peers.iter().map(|(_, c)| c).collect();
    if let Some(i) = serving_index(peers, scope, ip) {
        let c = out.remove(i);
        out.insert(0, c);
    }
    out
}

/// The order a delete takes ([`serving_first`] reversed), and whether it closes the race:
/// false where no pool names the serving peer, so a client's lease that raced the delete
/// must be repaired (copy-back).
pub(crate) fn serving_last<'a>(
    peers: &'a [(String, KeaClient)],
    scope: &ScopeDef,
    ip: Ipv4Addr,
) -> (Vec<&'a KeaClient>, bool) {
    let mut out = serving_first(peers, scope, ip);
    out.reverse();
    (out, serving_index(peers, scope, ip).is_some())
}

/// Where the peer that hands `ip` out (its pool's `HA_<name>` class) stands in `peers`.
fn serving_index(peers: &[(String, KeaClient)], scope: &ScopeDef, ip: Ipv4Addr) -> Option<usize> {
    let serving = scope.serving_peer(ip)?;
    peers.iter().position(|(n, _)| n == serving)
}

/// Where server `name` stands in `peers` (for putting results back in the peers' order).
pub(crate) fn peer_rank(peers: &[(String, KeaClient)], name: &str) -> Option<usize> {
    peers.iter().position(|(p, _)| p == name)
}

/// `names` (servers a write reached, in its order) in the peers' own order, for messages.
pub(crate) fn in_peer_order(peers: &[(String, KeaClient)], mut names: Vec<String>) -> Vec<String> {
    names.sort_by_key(|n| peer_rank(peers, n));
    names
}

/// What differs between two HA peers' configurations.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerDrift {
    pub servers: (String, String),
    /// Empty: the same subnets, pools, options and reservations.
    pub differences: Vec<String>,
}

impl Session {
    /// Every configured HA pair, each compared subnet by subnet (`kea::drift`). Two
    /// config-gets per pair: for `ddish check` and the failover screen, not the refresh.
    /// A server that cannot be read is left out (its row in `check` says why).
    pub async fn ha_drift(&self) -> Vec<PeerDrift> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for s in &self.config().servers {
            let Ok(peers) = self.peers(&s.name).await else {
                continue;
            };
            if let [(a, _), (b, _)] = peers.as_slice() {
                let p = if a <= b {
                    (a.clone(), b.clone())
                } else {
                    (b.clone(), a.clone())
                };
                if !pairs.contains(&p) {
                    pairs.push(p);
                }
            }
        }
        let mut out = Vec::new();
        for (a, b) in pairs {
            let read = |n: &str| {
                let c = self.client(n);
                async move { c.ok()?.config_get_raw().await.ok() }
            };
            let (ca, cb) = tokio::join!(read(&a), read(&b));
            if let (Some(ca), Some(cb)) = (ca, cb) {
                out.push(PeerDrift {
                    differences: crate::kea::drift(&ca, &a, &cb, &b),
                    servers: (a, b),
                });
            }
        }
        out
    }
}
