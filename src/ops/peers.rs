//! Which configured servers an action writes to: the server and its HA partner. Lease
//! commands are not replicated between HA peers (KEA_FACTS.md §7), so holds, claims and
//! reservations go to each.
use futures_util::future::join_all;

use crate::kea::{self, KeaClient};

use super::session::{OpError, Session};

/// How long a configured server may take to say whether it is the partner.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

impl Session {
    /// The server and the HA peers it names, as configured servers, in write order: the
    /// primary first (so two ddish racing for one address meet on the same server first).
    pub async fn peers(&self, server: &str) -> Result<Vec<(String, KeaClient)>, OpError> {
        if let Some(found) = self.peers_by_status(server).await? {
            return Ok(found);
        }
        let c = self.client(server)?;
        let raw = self.recent_config(server).await?;
        let ha = kea::ha_peers(&raw.value);
        if ha.is_empty() {
            return Ok(vec![(server.to_string(), c)]);
        }
        let norm = |u: &str| -> String {
            reqwest::Url::parse(u)
                .map(|u| {
                    format!(
                        "{}://{}:{}",
                        u.scheme(),
                        u.host_str().unwrap_or(""),
                        u.port_or_known_default().unwrap_or(0)
                    )
                })
                .unwrap_or_else(|_| u.trim_end_matches('/').to_string())
        };
        let mut out: Vec<(String, String, KeaClient)> = Vec::new();
        let mut me_seen = false;
        for p in &ha {
            let cfg = self
                .config()
                .servers
                .iter()
                .find(|s| norm(&s.url) == norm(&p.url));
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
    /// config-get (~0.5 s and tens of MB on a big server). The partner is the configured
    /// server whose status-get names the same pair the other way round; `None` when that is
    /// not certain (Kea 2.2 names no server, several relationships, no or several matches,
    /// a configured server that does not answer), and the config's peer URLs decide.
    /// A server without the HA hook is alone. HA backup servers are not named in
    /// status-get: a relationship with backups is found by the config only when the
    /// partner match fails.
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
        if status.ha_relationships != 1 {
            return Ok(None);
        }
        let others: Vec<String> = self
            .config()
            .servers
            .iter()
            .map(|s| s.name.clone())
            .filter(|n| n != server)
            .collect();
        // A status-get answers in milliseconds; a server that is down must not hold up an
        // action on another one for a whole request timeout.
        let answers = join_all(others.iter().map(|n| async move {
            let client = self.client(n).ok()?;
            let st = tokio::time::timeout(PROBE_TIMEOUT, client.status_get())
                .await
                .ok()?
                .ok()?;
            let h = st.ha?;
            Some((h.local_name?, h.remote_name?))
        }))
        .await;
        let mut matches = Vec::new();
        for (name, answer) in others.iter().zip(answers) {
            match answer {
                Some((local, remote)) if local == partner && remote == me => matches.push(name),
                Some(_) => {}
                // Unknown: it could be the partner.
                None => return Ok(None),
            }
        }
        let [found] = matches.as_slice() else {
            return Ok(None);
        };
        let mut out = vec![
            (
                ha.local_role.clone().unwrap_or_default(),
                server.to_string(),
                c,
            ),
            (
                ha.remote_role.clone().unwrap_or_default(),
                found.to_string(),
                self.client(found)?,
            ),
        ];
        out.sort_by_key(|(role, name, _)| (role != "primary", name.clone()));
        Ok(Some(out.into_iter().map(|(_, n, c)| (n, c)).collect()))
    }
}
