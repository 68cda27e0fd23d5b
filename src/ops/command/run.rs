//! [`Session::run`]: each command to the operation that does it.

use ipnet::Ipv4Net;

use crate::dns::RecordRequest;
use crate::model::{NetworkKind, Range, RangeSet, ScopeDef};
use crate::ops::bulk::ServerPreview;
use crate::ops::{ActionOutcome, OpError, Role, Session};

use super::{Command, Outcome, ScopesOp};

impl Session {
    /// [`run`](Self::run) with a time limit for reads: past `limit` a read ends as
    /// [`OpError::Timeout`]. A write always runs to its end (each of its steps has its own
    /// timeout: request, write_timeout, the wait for a late config-set, the write lock);
    /// cut off in the middle it could leave HA peers different.
    pub async fn run_within(
        self: &std::sync::Arc<Self>,
        server: &str,
        cmd: Command,
        limit: std::time::Duration,
    ) -> Result<Outcome, OpError> {
        if !cmd.is_read() {
            return self.run(server, cmd).await;
        }
        let who = if cmd.is_many_servers() || server.is_empty() {
            "every server".to_string()
        } else {
            server.to_string()
        };
        // A sweep step lasts as long as its pings at their rate take, whatever the servers'
        // answer time.
        let limit = if matches!(cmd, Command::SweepStep(_)) {
            limit.max(std::time::Duration::from_secs(
                crate::ops::sweep::STEP_SECS + crate::model::sweep::ECHO_TIMEOUT.as_secs() + 5,
            ))
        } else {
            limit
        };
        if cmd == Command::ObserveChanges {
            return tokio::time::timeout(limit, self.observe_blocking())
                .await
                .map(Outcome::Observed)
                .map_err(|_| OpError::Timeout {
                    server: who,
                    secs: limit.as_secs(),
                });
        }
        tokio::time::timeout(limit, self.run(server, cmd))
            .await
            .unwrap_or(Err(OpError::Timeout {
                server: who,
                secs: limit.as_secs(),
            }))
    }

    /// Runs one command on `server` (commands across servers name theirs inside).
    pub async fn run(&self, server: &str, cmd: Command) -> Result<Outcome, OpError> {
        let name = server;

        let done = match cmd {
            Command::Ping { ip } => return self.ping(ip).await.map(Outcome::Ping),
            Command::ConfigShow { section } => {
                let v = self.config_show(name, section.as_deref()).await?;
                return Ok(Outcome::Json(Box::new(v)));
            }
            Command::Review { servers } => return Ok(Outcome::Review(self.review(&servers).await)),
            Command::AddServer(a) => return Ok(Outcome::ServerAdded(self.add_server(&a).await?)),
            Command::ConfigBase => {
                let b = self.config_base(name).await?;
                return Ok(Outcome::EditBase(Box::new(b)));
            }
            Command::ConfigEdit { base, edited } => self.config_replace(&base, &edited).await,
            Command::History { ip } => {
                let on = (!name.is_empty()).then_some(name);
                return self.history(ip, on).map(Outcome::History);
            }
            Command::BulkPreview(c) => return Ok(Outcome::Preview(self.bulk_preview(&c).await)),
            Command::BulkApply(c) => return Ok(Outcome::Applied(self.bulk_apply(&c).await)),
            Command::Classes(servers) => {
                let all = futures_util::future::join_all(servers.iter().map(|s| async move {
                    (s.clone(), self.classes(s).await.map_err(|e| e.to_string()))
                }))
                .await;
                return Ok(Outcome::Classes(all));
            }
            Command::ScopesPreview { op, scopes } => {
                return Ok(Outcome::Preview(self.scopes_preview(op, &scopes).await))
            }
            Command::ScopesApply { server, op, cidrs } => match op {
                ScopesOp::Activate => self.set_scopes_active(&server, &cidrs, true).await,
                ScopesOp::Deactivate => self.set_scopes_active(&server, &cidrs, false).await,
                ScopesOp::Delete => self.delete_scopes(&server, &cidrs).await,
            },
            Command::HoldFree { scope, random } => self.hold_free(name, &scope, random).await,
            Command::Hold { ip } => self.hold_ip(name, ip).await,
            Command::Release { ip } => self.release(name, ip).await,
            Command::Claim { ip, claim } => self.claim(name, ip, &claim).await,
            Command::Unclaim { ip } => self.unclaim(name, ip).await,
            Command::Reserve {
                ip,
                reservation,
                confirmed,
            } => self.reserve(name, ip, &reservation, confirmed).await,
            Command::Unreserve { ip } => self.unreserve(name, ip).await,
            Command::DnsAdd {
                ip,
                zone,
                hostname,
                ttl,
                ptr,
                comment,
            } => {
                let req = RecordRequest {
                    zone,
                    hostname,
                    ip: ip.into(),
                    ttl,
                    ptr,
                    comment,
                };
                self.dns_add(name, &req).await
            }
            Command::DnsDelete {
                ip,
                zone,
                hostname,
                ptr,
            } => self.dns_delete(name, &zone, &hostname, ip, ptr).await,
            Command::Exclude {
                scope,
                range,
                replaces,
                confirmed,
            } => {
                self.change_exclusion(name, &scope, range, replaces, confirmed)
                    .await
            }
            Command::Unexclude { scope, range } => {
                self.unexclude(name, &scope, range.first(), range.last())
                    .await
            }
            Command::CreateNetwork {
                cidr,
                container,
                title,
                description,
            } => {
                let kind = if container {
                    NetworkKind::Container
                } else {
                    NetworkKind::Network
                };
                self.create_network(name, cidr, kind, title, description)
                    .await
            }
            Command::EditNetwork {
                cidr,
                title,
                description,
            } => self.edit_network(name, cidr, title, description).await,
            Command::ToContainer { cidr } => self.network_to_container(name, cidr).await,
            Command::DeleteNetwork { cidr } => self.delete_network(name, cidr).await,
            Command::CreateScope {
                network,
                subnet,
                props,
            } => self.create_scope(name, network, subnet, &props).await,
            Command::EditScope { cidr, edit } => self.edit_scope(name, cidr, &edit).await,
            Command::SetActive { cidr, active } => self.set_scope_active(name, cidr, active).await,
            Command::DuplicateScope {
                cidr,
                to_cidr,
                to_server,
            } => {
                self.duplicate_scope(name, cidr, to_cidr, to_server.as_deref())
                    .await
            }
            Command::DeleteScope { cidr, confirmed } => {
                self.delete_scope(name, cidr, confirmed).await
            }
            Command::RecreateScope { cidr } => self.recreate_scope(name, cidr).await,
            Command::ForgetScope { cidr } => self.forget_scope(name, cidr).await,
            // The screens' queries and failover changes (command/screens.rs).
            other => return self.run_screen(other).await,
        };
        done.map(Outcome::Done)
    }

    /// Adds an exclusion, or changes one: the new addresses leave the pools first (a
    /// confirmation question comes before anything is written), then what the old range
    /// had beyond the new one goes back.
    async fn change_exclusion(
        &self,
        server: &str,
        scope: &ScopeDef,
        range: Range,
        replaces: Option<Range>,
        confirmed: bool,
    ) -> Result<ActionOutcome, OpError> {
        let Some(old) = replaces else {
            return self
                .exclude(server, scope, range.first(), range.last(), confirmed)
                .await;
        };
        let mut out = ActionOutcome {
            server: server.to_string(),
            peers: Vec::new(),
            ip: None,
            summary: format!("exclusion {old} changed to {range} in {}", scope.cidr),
            warnings: Vec::new(),
            view: None,
        };
        if old == range {
            out.summary = format!("{range} unchanged");
            return Ok(out);
        }
        let new = RangeSet::from_ranges([range]);
        for piece in new.subtract(&scope.exclusions()).ranges() {
            let d = self
                .exclude(server, scope, piece.first(), piece.last(), confirmed)
                .await?;
            out.warnings.extend(d.warnings);
            out.peers = d.peers;
        }
        for piece in RangeSet::from_ranges([old]).subtract(&new).ranges() {
            let d = self
                .unexclude(server, scope, piece.first(), piece.last())
                .await?;
            out.warnings.extend(d.warnings);
            out.peers = d.peers;
        }
        Ok(out)
    }

    /// What activating, deactivating or deleting the marked scopes would do, one row per
    /// server in mark order: each scope with its leases and reservations (read from the
    /// server), or why that server cannot take it (rights, unreachable, a scope gone).
    async fn scopes_preview(
        &self,
        op: ScopesOp,
        scopes: &[(String, Ipv4Net)],
    ) -> Vec<ServerPreview> {
        let mut servers: Vec<(String, Vec<Ipv4Net>)> = Vec::new();
        for (s, c) in scopes {
            match servers.iter_mut().find(|(n, _)| n == s) {
                Some((_, v)) => v.push(*c),
                None => servers.push((s.clone(), vec![*c])),
            }
        }
        futures_util::future::join_all(
            servers
                .into_iter()
                .map(|(s, c)| self.scopes_preview_on(op, s, c)),
        )
        .await
    }

    async fn scopes_preview_on(
        &self,
        op: ScopesOp,
        server: String,
        cidrs: Vec<Ipv4Net>,
    ) -> ServerPreview {
        let mut p = ServerPreview {
            server: server.clone(),
            changes: Vec::new(),
            error: None,
            warnings: Vec::new(),
        };
        if let Err(e) = self.may(&server, Role::Admin) {
            p.error = Some(e.to_string());
            return p;
        }
        // Which scopes are inactive now, to say when one is already as asked.
        let inactive: Vec<Ipv4Net> = if op == ScopesOp::Delete {
            Vec::new()
        } else {
            match self.inactive_scopes(&server).await {
                Ok(v) => v,
                Err(e) => {
                    p.error = Some(e.to_string());
                    return p;
                }
            }
        };
        for c in cidrs {
            let h = match self.scope_holdings(&server, c).await {
                Ok(h) => h,
                Err(e) => {
                    p.error = Some(e.to_string());
                    p.changes.clear();
                    return p;
                }
            };
            let held = h.describe();
            let was_inactive = inactive.contains(&c);
            p.changes.push(match op {
                ScopesOp::Activate if !was_inactive => {
                    format!("{c}: already active: stays as it is ({held})")
                }
                ScopesOp::Deactivate if was_inactive => {
                    format!("{c}: already inactive: stays as it is ({held})")
                }
                ScopesOp::Activate => format!("{c}: activated: DHCP serves it again ({held})"),
                ScopesOp::Deactivate => {
                    format!("{c}: deactivated: DHCP stops serving it, it stays configured ({held})")
                }
                ScopesOp::Delete => format!("{c}: DELETED with its {held}"),
            });
            if op == ScopesOp::Delete && h.leases + h.reservations as u64 > 0 {
                p.warnings.push(format!(
                    "{c} still has {held}: they go with it and its clients lose their addresses"
                ));
            }
        }
        p
    }

    /// The scopes of `server` that are configured but serve nobody.
    async fn inactive_scopes(&self, server: &str) -> Result<Vec<Ipv4Net>, OpError> {
        let config = self.client(server)?.config_get().await?;
        Ok(config
            .scopes
            .iter()
            .filter(|s| !s.status.is_active())
            .map(|s| s.cidr)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn confirmed_sets_the_flag_where_there_is_one() {
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        let c = Command::DeleteScope {
            cidr: "10.0.0.0/24".parse().unwrap(),
            confirmed: false,
        };
        assert!(matches!(
            c.confirmed(),
            Command::DeleteScope {
                confirmed: true,
                ..
            }
        ));
        assert_eq!(Command::Hold { ip }.confirmed(), Command::Hold { ip });
        assert!(Command::Ping { ip }.is_read());
        assert!(!Command::Hold { ip }.is_read());
    }
}
