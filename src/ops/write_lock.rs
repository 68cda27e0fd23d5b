//! Writes on one host take the write locks of the servers they touch (the server and its
//! HA peers) before reading what they change, so two ddish processes never interleave
//! writes on a server (`audit::lock_servers`). Writers on other hosts are caught by the
//! unchanged-since-read check and the read-back.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::audit::{self, WriteLock};

use crate::config::Role;
use crate::ops::{OpError, Session};

/// How long a write waits for another ddish's write on the same server: a config-set on
/// a big server takes ~30 s (KEA_FACTS §11), an HA pair's write twice that.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

impl Session {
    /// The role check, then the write locks of `server` and its HA peers. Hold the result
    /// until the write is over. `what` tells a waiting ddish what this one is doing.
    pub(crate) async fn writing(
        &self,
        server: &str,
        need: Role,
        what: &str,
    ) -> Result<WriteLock, OpError> {
        self.writing_as(server, need, what, Compare::Config).await
    }

    /// [`writing`](Self::writing) for a change of the reservation at `ip`: where every
    /// peer changes it by host_cmds, its intent keeps what the peers hold at that address
    /// (two reservation-gets), not Kea's config hash, which Kea computes anew for every
    /// config-hash-get: ~0.4 s on a 10,000-subnet server, ten times the rest of the write.
    pub(crate) async fn writing_reservation(
        &self,
        server: &str,
        need: Role,
        what: &str,
        ip: Ipv4Addr,
    ) -> Result<WriteLock, OpError> {
        self.writing_as(server, need, what, Compare::Reservation(ip))
            .await
    }

    /// [`writing`](Self::writing) for a write of leases only (hold, release): its intent
    /// does not read a configuration digest from a server without a config hash (Kea 2.2),
    /// since a lease write leaves the configuration as it was.
    pub(crate) async fn writing_leases(
        &self,
        server: &str,
        need: Role,
        what: &str,
    ) -> Result<WriteLock, OpError> {
        self.writing_as(server, need, what, Compare::Nothing).await
    }

    async fn writing_as(
        &self,
        server: &str,
        need: Role,
        what: &str,
        compare: Compare,
    ) -> Result<WriteLock, OpError> {
        self.may(server, need)?;
        let peers = self.peers(server).await?;
        let mut names: Vec<&str> = peers.iter().map(|(n, _)| n.as_str()).collect();
        names.push(server);
        self.lock_servers_as(&names, what, compare).await
    }

    /// The write locks of `names`. When another ddish held one, everything read before
    /// is dropped from the caches: this process reads again what that one wrote.
    pub(crate) async fn lock_servers(
        &self,
        names: &[&str],
        what: &str,
    ) -> Result<WriteLock, OpError> {
        self.lock_servers_as(names, what, Compare::Config).await
    }

    /// `compare`: what the intent keeps of each server, to tell afterwards whether the
    /// write changed it.
    async fn lock_servers_as(
        &self,
        names: &[&str],
        what: &str,
        compare: Compare,
    ) -> Result<WriteLock, OpError> {
        let holder = format!(
            "{}, pid {}, since {}: {what}",
            audit::current_user(),
            std::process::id(),
            crate::export::rfc3339(super::now())
        );
        // Beside the journal (shared by the admins of this host), else in this user's state
        // folder; a write never stops because neither can be written (the journal may be on
        // a full or read-only disk): it goes ahead unlocked, and says so.
        let mut taken = None;
        for dir in lock_dirs(self.config()) {
            let got = audit::lock_servers(&dir, names, &holder, LOCK_WAIT, |server, holder| {
                self.notice(&format!(
                    "waiting for another ddish writing to {server} ({holder})"
                ))
            })
            .await;
            match got {
                Ok(l) => {
                    taken = Some((l, dir));
                    break;
                }
                Err(e @ audit::LockError::Busy { .. }) => return Err(OpError::Busy(e.to_string())),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        let Some((mut lock, dir)) = taken else {
            self.notice(
                "no write lock could be taken (the journal's folder and the state folder are \
                 not writable): writing without it",
            );
            return Ok(WriteLock::none());
        };
        if lock.waited {
            for n in names {
                self.forget_reads(n);
            }
        }
        self.record_intent(&mut lock, &dir, names, what, compare)
            .await;
        Ok(lock)
    }

    /// Before anything is sent: an intent line in the journal and an intent file beside the
    /// locks, with each server's config hash now (the lock removes the file when the write
    /// ends; a killed write leaves it for the next start to report). Failing to record warns
    /// and never stops the write.
    async fn record_intent(
        &self,
        lock: &mut WriteLock,
        dir: &Path,
        names: &[&str],
        what: &str,
        compare: Compare,
    ) {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let mut unique: Vec<&str> = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let hosts = match compare {
            Compare::Reservation(ip) => self.host_subnet(&unique, ip).await.map(|sid| (sid, ip)),
            _ => None,
        };
        let hash = |n: &str| {
            let client = self.client(n).ok();
            let n = n.to_string();
            async move {
                // A lease write changes no configuration: its hash would say nothing about
                // it (and costs a call per peer on every hold).
                if compare == Compare::Nothing {
                    return None;
                }
                let c = client?;
                // A dead server must not hold the write up long here (its own error comes
                // next); a merely loaded one still gets its hash read (2 s left a slow peer
                // "unknown" after a kill on a busy machine).
                let limit = self
                    .config()
                    .settings
                    .request_timeout
                    .min(Duration::from_secs(5));
                if let Some((sid, ip)) = hosts {
                    let read = crate::kea::host_fingerprint(&c, sid, ip);
                    return match tokio::time::timeout(limit, read).await {
                        Ok(Ok(d)) => Some(host_mark(sid, ip, d)),
                        _ => None,
                    };
                }
                match tokio::time::timeout(limit, c.config_hash()).await {
                    Ok(Ok(Some(h))) => Some(h),
                    // Kea 2.2 has no hash: the digest of its config-get, which a config
                    // write then takes from the cache as its own first read (no extra cost).
                    Ok(Ok(None)) => self
                        .recent_config(&n)
                        .await
                        .ok()
                        .map(|r| digest_mark(r.digest)),
                    _ => None,
                }
            }
        };
        let hashes = futures_util::future::join_all(unique.iter().map(|n| hash(n))).await;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let intent = audit::Intent {
            id: format!(
                "{}-{}-{}",
                std::process::id(),
                started.as_millis(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ),
            what: what.to_string(),
            user: audit::current_user(),
            pid: std::process::id(),
            started: started.as_secs() as i64,
            servers: unique
                .iter()
                .map(|n| n.to_string())
                .zip(hashes)
                .collect::<BTreeMap<_, _>>(),
        };
        let mut line = audit::Entry::new(unique.first().copied().unwrap_or(""), what)
            .after(serde_json::json!({"intent": intent.id, "servers": unique}));
        line.result = audit::INTENT.into();
        if let Err(e) = audit::Journal::new(&self.config().settings.journal).append(&line) {
            tracing::warn!("the write's intent line was not journaled: {e}");
        }
        match audit::record_intent(dir, &intent) {
            Ok(p) => lock.set_intent(p),
            Err(e) => tracing::warn!("the write's intent file was not written: {e}"),
        }
    }
}

/// What a write's intent keeps of each server to compare with afterwards.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Compare {
    /// Kea's config hash (2.2: the digest of its config-get).
    Config,
    /// The reservation at this address, where every peer changes it by host_cmds (else as
    /// `Config`).
    Reservation(Ipv4Addr),
    /// Nothing: a lease write leaves the configuration as it was.
    Nothing,
}

impl Session {
    /// The subnet holding `ip` when every one of `servers` changes reservations by host_cmds
    /// and lists its subnets (subnet4-list, read by the action anyway); else `None`.
    async fn host_subnet(&self, servers: &[&str], ip: Ipv4Addr) -> Option<u32> {
        let mut found = None;
        for n in servers {
            let commands = self.commands(n).await.ok()?;
            if crate::kea::reservation_path(&commands) != crate::kea::WritePath::Commands
                || !crate::kea::reads_by_commands(&commands)
            {
                return None;
            }
            let sid = self.subnet_ref_of(n, ip).await.ok()??.id;
            // HA peers number their subnets alike; where they don't, compare configs.
            if found.is_some_and(|f| f != sid) {
                return None;
            }
            found = Some(sid);
        }
        found
    }
}

/// Marks an intent's config digest (Kea 2.2) apart from Kea's own hash.
const DIGEST: &str = "ddish-digest:";

fn digest_mark(d: u64) -> String {
    format!("{DIGEST}{d:016x}")
}

/// Marks an intent's reservation fingerprint: `ddish-host:SUBNET:IP:DIGEST`.
const HOST: &str = "ddish-host:";

fn host_mark(subnet_id: u32, ip: Ipv4Addr, d: u64) -> String {
    format!("{HOST}{subnet_id}:{ip}:{d:016x}")
}

/// The subnet and address of a [`host_mark`] (its digest checked for shape too).
fn parse_host_mark(mark: &str) -> Option<(u32, Ipv4Addr)> {
    let mut parts = mark.strip_prefix(HOST)?.split(':');
    let found = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let digest = parts.next()?;
    (digest.len() == 16 && u64::from_str_radix(digest, 16).is_ok() && parts.next().is_none())
        .then_some(found)
}

/// Where write locks and intent files go: beside the journal, else the state folder.
fn lock_dirs(config: &crate::config::Config) -> [std::path::PathBuf; 2] {
    [
        audit::lock_dir(&config.settings.journal),
        crate::config::state_dir().join("locks"),
    ]
}

/// Writes that a killed ddish left unfinished on this host (their intent files), oldest
/// first.
pub fn unfinished_writes(config: &crate::config::Config) -> Vec<audit::Intent> {
    let [a, b] = lock_dirs(config);
    let mut all = audit::unfinished(&a);
    if b != a {
        all.extend(audit::unfinished(&b));
    }
    all.sort_by_key(|i| i.started);
    all
}

/// Forgets an unfinished write once it has been reported and checked.
pub fn dismiss_unfinished(config: &crate::config::Config, intent: &audit::Intent) {
    for d in lock_dirs(config) {
        let _ = audit::dismiss_intent(&d, intent);
    }
}

/// One line about a write a killed ddish left unfinished.
pub fn describe_unfinished(i: &audit::Intent) -> String {
    format!(
        "an earlier write did not finish: '{}' on {} by {} at {} (pid {}, stopped in the \
         middle); `ddish check` compares those servers with what they ran before it",
        i.what,
        i.servers.keys().cloned().collect::<Vec<_>>().join(", "),
        i.user,
        crate::export::rfc3339(i.started),
        i.pid
    )
}

/// Where a server stands against an unfinished write.
#[derive(Clone, Debug, PartialEq)]
pub enum SinceIntent {
    /// Kea's config hash (or on 2.2 ddish's digest of its config-get) is what it was when
    /// the write began: the write changed nothing.
    Unchanged,
    /// It differs: the write (or part of it) took, or someone changed it since.
    Changed,
    /// Nothing to compare: neither a hash nor a digest was read then.
    Unknown,
    /// The server did not answer now.
    Unreachable(String),
}

impl SinceIntent {
    pub fn describe(&self) -> String {
        match self {
            SinceIntent::Unchanged => {
                "old: it runs the configuration it ran before the write (nothing changed there)"
                    .into()
            }
            SinceIntent::Changed => "changed since the write began: the change (or part of it) \
                 took there, or someone else changed it; check it (ddish ip show / scope show)"
                .into(),
            SinceIntent::Unknown => "unknown: nothing was read of this server's configuration \
                 when the write began; check it (ddish ip show / scope show)"
                .into(),
            SinceIntent::Unreachable(e) => format!("not reachable now ({e}); check it later"),
        }
    }
}

impl Session {
    /// Each unfinished write with where each of its servers stands now; the writes are then
    /// forgotten (reported once, here).
    pub async fn reconcile_unfinished(&self) -> Vec<(audit::Intent, Vec<(String, SinceIntent)>)> {
        let mut out = Vec::new();
        for intent in unfinished_writes(self.config()) {
            let mut rows = Vec::new();
            for (server, then) in &intent.servers {
                let by_digest = then.as_deref().is_some_and(|t| t.starts_with(DIGEST));
                let host = then.as_deref().and_then(parse_host_mark);
                if host.is_none() && then.as_deref().is_some_and(|t| t.starts_with(HOST)) {
                    // A mangled reservation mark: nothing to compare with.
                    rows.push((server.clone(), SinceIntent::Unknown));
                    continue;
                }
                let now = match (self.client(server), host) {
                    (Ok(c), Some((sid, ip))) => crate::kea::host_fingerprint(&c, sid, ip)
                        .await
                        .map(|d| Some(host_mark(sid, ip, d)))
                        .map_err(|e| e.to_string()),
                    (Ok(c), None) if by_digest => c
                        .config_get_reply()
                        .await
                        .map(|r| Some(digest_mark(r.digest)))
                        .map_err(|e| e.to_string()),
                    (Ok(c), None) => c.config_hash().await.map_err(|e| e.to_string()),
                    (Err(e), _) => Err(e.to_string()),
                };
                let state = match (then, now) {
                    (_, Err(e)) => SinceIntent::Unreachable(e),
                    (Some(a), Ok(Some(b))) if a.eq_ignore_ascii_case(&b) => SinceIntent::Unchanged,
                    (Some(_), Ok(Some(_))) => SinceIntent::Changed,
                    _ => SinceIntent::Unknown,
                };
                rows.push((server.clone(), state));
            }
            dismiss_unfinished(self.config(), &intent);
            out.push((intent, rows));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_marks_round_trip_and_stay_apart_from_hashes() {
        let ip: Ipv4Addr = "10.1.5.21".parse().unwrap();
        let m = host_mark(7, ip, 0xabc);
        assert_eq!(m, "ddish-host:7:10.1.5.21:0000000000000abc");
        assert_eq!(parse_host_mark(&m), Some((7, ip)));
        assert_eq!(parse_host_mark(&digest_mark(5)), None);
        assert_eq!(parse_host_mark("ABCDEF0123"), None);
        assert_eq!(parse_host_mark("ddish-host:x:10.1.5.21:00"), None);
        assert_eq!(parse_host_mark("ddish-host:7:10.1.5.21:00"), None);
        assert_eq!(parse_host_mark(&format!("{m}:extra")), None);
    }
}
