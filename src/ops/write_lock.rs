//! Writes on one host take the write locks of the servers they touch (the server and its
//! HA peers) before reading what they change, so two ddish processes never interleave
//! writes on a server (`audit::lock_servers`). Writers on other hosts are caught by the
//! unchanged-since-read check and the read-back.
use std::time::Duration;

use crate::audit::{self, WriteLock};

use super::actions::Need;
use super::session::{OpError, Session};

/// How long a write waits for another ddish's write on the same server: a config-set on
/// a big server takes ~30 s (KEA_FACTS §11), an HA pair's write twice that.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

impl Session {
    /// The role check, then the write locks of `server` and its HA peers. Hold the result
    /// until the write is over. `what` tells a waiting ddish what this one is doing.
    pub(crate) async fn writing(
        &self,
        server: &str,
        need: Need,
        what: &str,
    ) -> Result<WriteLock, OpError> {
        self.may(server, need)?;
        let peers = self.peers(server).await?;
        let mut names: Vec<&str> = peers.iter().map(|(n, _)| n.as_str()).collect();
        names.push(server);
        self.lock_servers(&names, what).await
    }

    /// The write locks of `names`. When another ddish held one, everything read before
    /// is dropped from the caches: this process reads again what that one wrote.
    pub(crate) async fn lock_servers(
        &self,
        names: &[&str],
        what: &str,
    ) -> Result<WriteLock, OpError> {
        let dir = audit::lock_dir(&self.config().settings.journal);
        let holder = format!(
            "{}, pid {}, since {}: {what}",
            audit::current_user(),
            std::process::id(),
            crate::export::rfc3339(super::now())
        );
        let lock = audit::lock_servers(&dir, names, &holder, LOCK_WAIT, |server, holder| {
            self.notice(&format!(
                "waiting for another ddish writing to {server} ({holder})"
            ))
        })
        .await
        .map_err(|e| match e {
            audit::LockError::Busy { .. } => OpError::Busy(e.to_string()),
            audit::LockError::Io { .. } => OpError::Refused(e.to_string()),
        })?;
        if lock.waited {
            for n in names {
                self.forget_reads(n);
            }
        }
        Ok(lock)
    }
}
