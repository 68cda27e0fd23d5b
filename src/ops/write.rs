//! How an action's configuration change reaches a server and its HA peers: the subnets'
//! own commands where every peer has them and the change stays inside existing subnets
//! (kea::subnet_edit_pair), else the safe config edit of the whole configuration.
use serde_json::Value;

use crate::kea::{self, KeaClient};

use crate::ops::{OpError, Session};

impl Session {
    /// [`edit_everywhere`](Self::edit_everywhere) for an edit that only changes the subnets
    /// `ids` (pools, options, lease times, activation): by subnet4-get / subnet4-update where
    /// every peer has subnet_cmds, no config-get; else the whole-config edit. The edit must
    /// find its subnets by id and must not rely on seeing the rest of the configuration.
    pub(crate) async fn edit_scopes_everywhere<F>(
        &self,
        server: &str,
        peers: &[(String, KeaClient)],
        ids: &[u32],
        edit: F,
    ) -> Result<Vec<String>, OpError>
    where
        F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
    {
        // What the user acted on: Kea's hash of the config they loaded. A server whose load
        // gave only ddish's own digest (Kea 2.2) can only be compared by config-get.
        let main = peers.iter().position(|(n, _)| n == server).unwrap_or(0);
        let hash = self.seen_hash(server);
        if hash.is_some() || self.seen_digest(server).is_none() {
            let clients: Vec<&KeaClient> = peers.iter().map(|(_, c)| c).collect();
            let mut hashes = vec![None; clients.len()];
            hashes[main] = hash;
            if let Some(results) = kea::subnet_edit_pair(&clients, ids, &hashes, &edit).await {
                for (n, _) in peers {
                    self.forget_digest(n);
                }
                return Self::gather(server, results);
            }
        }
        let reach = kea::Reach::Subnets(ids.to_vec());
        self.edit_everywhere(server, peers, &reach, edit).await
    }

    /// Runs one config edit on the server and its HA peers; an error names each peer's outcome.
    /// The edit sees the subnets in `reach` whole and the others by id and prefix only
    /// ([`kea::Reach`]): a big configuration is then not held whole three times over.
    pub(crate) async fn edit_everywhere<F>(
        &self,
        server: &str,
        peers: &[(String, KeaClient)],
        reach: &kea::Reach,
        edit: F,
    ) -> Result<Vec<String>, OpError>
    where
        F: Fn(&mut Value) -> Result<(), crate::kea::EditRefused>,
    {
        let clients: Vec<&KeaClient> = peers.iter().map(|(_, c)| c).collect();
        // The base is the configuration as the user last loaded it: when the server's
        // differs now, someone changed it behind ddish's back, and nothing is written.
        let main = peers.iter().position(|(n, _)| n == server).unwrap_or(0);
        // The config this action read a moment ago (to find the scope or the peers) is the
        // base as it is: a second config-get of a big server costs seconds and a copy.
        let client = &peers[main].1;
        let (reply, fetched_now) = match self.take_recent_config(&peers[main].0) {
            Some(r) => (r, false),
            None => (std::sync::Arc::new(client.config_get_reply().await?), true),
        };
        let changed = || OpError::changed_since_loaded(server);
        if self
            .seen_digest(server)
            .is_some_and(|seen| seen != reply.digest)
        {
            return Err(changed());
        }
        // An earlier read must still be what the server runs: Kea >= 2.4 says so by its hash
        // (config-hash-get, 112 bytes); Kea 2.2 by a second config-get whose reply is the same
        // byte for byte (Kea serialises an unchanged config identically), read as bytes only.
        if !fetched_now {
            let same = match &reply.hash {
                Some(h) => client
                    .config_hash()
                    .await?
                    .is_some_and(|now| now.eq_ignore_ascii_case(h)),
                None => client.config_get_reply().await?.digest == reply.digest,
            };
            if !same {
                return Err(changed());
            }
        }
        let mut bases: Vec<kea::Base> = clients.iter().map(|_| kea::Base::Fetch).collect();
        bases[main] = kea::Base::Fresh(reply);
        let results = kea::safe_config_edit_pair_on(&clients, bases, &[], reach, edit).await;
        for (n, _) in peers {
            self.forget_digest(n);
        }
        Self::gather(server, results)
    }

    /// One result from per-peer outcomes: the peers written, or what failed where. A
    /// change the server's read-back does not show is a failure, never "done": when that
    /// is the only trouble the error is [`OpError::Unverified`] (the CLI's exit code 4).
    pub(crate) fn gather(
        server: &str,
        results: Vec<(String, Result<kea::WriteOutcome, kea::WriteError>)>,
    ) -> Result<Vec<String>, OpError> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        // A failure that may have left the server changed (sent but not confirmed, live but
        // not saved, not put back) is not "not made".
        let mut maybe_changed = false;
        let mut only_unverified = true;
        let mut only_changed = true;
        let mut any_changed = false;
        for (n, r) in results {
            let r = match r {
                Ok(o) if !o.verified => Err(kea::WriteError::Unverified {
                    server: o.server.clone(),
                    note: o.verify_note.unwrap_or_else(|| "no detail".into()),
                }),
                r => r,
            };
            match r {
                Ok(_) => done.push(n),
                Err(e) => {
                    maybe_changed |= e.changed_server();
                    only_unverified &= matches!(e, kea::WriteError::Unverified { .. });
                    // A peer left alone because this one changed meanwhile is part of it.
                    any_changed |= matches!(e, kea::WriteError::Changed { .. });
                    only_changed &= matches!(
                        e,
                        kea::WriteError::Changed { .. } | kea::WriteError::PeerFailed { .. }
                    );
                    failed.push(format!("{n}: {e}"));
                }
            }
        }
        if !failed.is_empty() && only_unverified {
            return Err(OpError::Unverified(format!(
                "change on {server} not verified: {}",
                failed.join("; ")
            )));
        }
        if any_changed && only_changed && done.is_empty() {
            return Err(OpError::Changed(format!(
                "change on {server} not made: {}",
                failed.join("; ")
            )));
        }
        if failed.is_empty() {
            Ok(done)
        } else {
            Err(OpError::Refused(format!(
                "change on {server} {}: {}",
                if done.is_empty() && !maybe_changed {
                    "not made"
                } else {
                    "incomplete"
                },
                failed.join("; ")
            )))
        }
    }
}
