//! Holds and claims: leases ddish writes on the server and each HA peer (lease commands
//! are not replicated, KEA_FACTS.md §7), and their release.
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use crate::kea::{self, KeaClient, LeaseWriteError};
use crate::model::alloc::is_free_everywhere;
use crate::model::{IpState, Lease, ScopeDef, ScopeStatus, ScopeView};

use super::*;
use crate::ops::now;
use crate::ops::peers::{in_peer_order, peer_rank, serving_first, serving_last};
use crate::ops::{OpError, Session};

impl Session {
    /// Each peer's view of the scope (same subnet id on HA peers).
    pub(crate) async fn peer_views(
        &self,
        peers: &[(String, KeaClient)],
        scope: &ScopeDef,
    ) -> Result<Vec<ScopeView>, OpError> {
        let scope = self.with_peer_reservations(peers, scope).await?;
        Self::views_of(peers, &scope).await
    }

    /// `scope` with the reservations only host_cmds can read (hosts databases), as the
    /// first peer lists them.
    pub(crate) async fn with_peer_reservations(
        &self,
        peers: &[(String, KeaClient)],
        scope: &ScopeDef,
    ) -> Result<ScopeDef, OpError> {
        match peers.first() {
            Some((name, _)) => self.with_all_reservations(name, scope).await,
            None => Ok(scope.clone()),
        }
    }

    /// [`peer_views`](Self::peer_views) of a scope that already holds every reservation
    /// (from [`scope_of`](Self::scope_of)): the leases only.
    pub(crate) async fn views_of(
        peers: &[(String, KeaClient)],
        scope: &ScopeDef,
    ) -> Result<Vec<ScopeView>, OpError> {
        let mut views = Vec::with_capacity(peers.len());
        for (_, c) in peers {
            let leases = c.lease4_get_all(scope.id).await?;
            views.push(ScopeView::build(scope.clone(), leases, now()));
        }
        Ok(views)
    }

    fn hold_args(&self, ip: Ipv4Addr, subnet_id: u32) -> Value {
        json!({
            "ip-address": ip.to_string(),
            "subnet-id": subnet_id,
            "hw-address": "00:00:00:00:00:00",
            "valid-lft": self.hold_lifetime(),
            "user-context": {"ddish": {"held": true, "by": crate::audit::current_user(), "at": now()}}
        })
    }

    /// A hold's lease lifetime: `hold_time`, or Kea's infinite for `hold_time = 0` (held
    /// until released).
    fn hold_lifetime(&self) -> u32 {
        match self.config().settings.hold_time.as_secs() {
            0 => Lease::INFINITE,
            s => s.min(u64::from(Lease::INFINITE - 1)) as u32,
        }
    }

    /// "for 1 h", or "until released".
    fn hold_span(&self) -> String {
        match self.config().settings.hold_time.as_secs() {
            0 => "until released".into(),
            s => format!("for {}", human_secs(s)),
        }
    }

    fn check_active(scope: &ScopeDef) -> Result<(), OpError> {
        if scope.status != ScopeStatus::Active {
            return Err(OpError::Refused(format!(
                "scope {} is {}: an inactive scope allocates nothing; activate it first",
                scope.cidr,
                scope.status.label().to_lowercase()
            )));
        }
        Ok(())
    }

    /// Holds the next free (or a random free) address of the scope on every peer.
    pub async fn hold_free(
        &self,
        server: &str,
        scope: &ScopeDef,
        random: bool,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing_leases(server, Role::Operator, "hold next free")
            .await?;
        Self::check_active(scope)?;
        let peers = self.peers(server).await?;
        let views = self.peer_views(&peers, scope).await?;
        let refs: Vec<&ScopeView> = views.iter().collect();
        let mut candidates: Vec<Ipv4Addr> = crate::model::alloc::free_addresses(&refs).collect();
        if candidates.is_empty() {
            // Kea keeps expired and (3.0) released leases until it reclaims or reuses them;
            // lease4-add cannot take their addresses, so ddish does not count them free.
            let expired = scope
                .range
                .iter()
                .filter(|ip| refs.iter().any(|v| v.state_of(*ip) == IpState::Expired))
                .count();
            let kept = if expired > 0 {
                format!(
                    " ({expired} more hold expired or released leases Kea still keeps: Kea \
                     reuses them for clients; ddish can hold them once Kea has removed them)"
                )
            } else {
                String::new()
            };
            return Err(OpError::Refused(format!(
                "no free address in scope {} on {}{kept}",
                scope.cidr,
                peers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
        if random {
            candidates = crate::model::alloc::random_order(candidates, |n| fastrand::usize(..n));
        }
        let mut taken = Vec::new();
        for ip in candidates.into_iter().take(MAX_HOLD_TRIES) {
            let args = self.hold_args(ip, scope.id);
            let clients = serving_first(&peers, scope, ip);
            match kea::lease_add_all(&clients, &args).await {
                Ok(done) => {
                    let done = in_peer_order(&peers, done);
                    let mut warnings = Vec::new();
                    if !taken.is_empty() {
                        warnings.push(format!(
                            "taken meanwhile, skipped: {}",
                            taken
                                .iter()
                                .map(Ipv4Addr::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    let view = view_after(&peers, &views, server, ip, kea::lease_of(&args, now()));
                    let e = self.entry(server, "hold", Some(scope), Some(ip), None, Some(args));
                    self.record(e, &mut warnings);
                    return Ok(ActionOutcome {
                        server: server.to_string(),
                        peers: done,
                        ip: Some(ip),
                        summary: format!("{ip} held {} in {}", self.hold_span(), scope.cidr),
                        warnings,
                        view,
                    });
                }
                Err(LeaseWriteError::Exists { .. }) => taken.push(ip),
                Err(e) => {
                    let err = OpError::from(e);
                    let entry = self.entry(server, "hold", Some(scope), Some(ip), None, Some(args));
                    self.record_failure(entry, &err);
                    return Err(err);
                }
            }
        }
        Err(OpError::Exists(format!(
            "every address tried in {} was taken meanwhile ({}): try again",
            scope.cidr,
            taken
                .iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// Holds one chosen address, if it is free on every peer.
    pub async fn hold_ip(&self, server: &str, ip: Ipv4Addr) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing_leases(server, Role::Operator, "hold").await?;
        let scope = match self.scope_of(server, ip).await {
            Err(OpError::NotFound(_)) => {
                return Err(self.outside_scopes(server, ip, "a hold").await)
            }
            r => r?,
        };
        Self::check_active(&scope)?;
        let peers = self.peers(server).await?;
        let views = Self::views_of(&peers, &scope).await?;
        let refs: Vec<&ScopeView> = views.iter().collect();
        if !is_free_everywhere(&refs, ip) {
            let d = views[0].detail(ip);
            let why = if d.is_gateway {
                "the gateway".to_string()
            } else {
                state_word(
                    views
                        .iter()
                        .map(|v| v.state_of(ip))
                        .find(|s| *s != IpState::Available)
                        .unwrap_or(d.state),
                )
            };
            return Err(OpError::Refused(format!(
                "{ip} is not free ({why}): only free addresses can be held"
            )));
        }
        let clients = serving_first(&peers, &scope, ip);
        let args = self.hold_args(ip, scope.id);
        let entry = self.entry(
            server,
            "hold",
            Some(&scope),
            Some(ip),
            None,
            Some(args.clone()),
        );
        match kea::lease_add_all(&clients, &args).await {
            Ok(done) => {
                let done = in_peer_order(&peers, done);
                let mut warnings = Vec::new();
                self.record(entry, &mut warnings);
                let view = view_after(&peers, &views, server, ip, kea::lease_of(&args, now()));
                Ok(ActionOutcome {
                    server: server.to_string(),
                    peers: done,
                    ip: Some(ip),
                    summary: format!("{ip} held {}", self.hold_span()),
                    warnings,
                    view,
                })
            }
            Err(e) => {
                let err = match e {
                    LeaseWriteError::Exists { .. } => OpError::Exists(format!(
                        "{ip} was taken meanwhile (a lease now exists): pick another"
                    )),
                    e => OpError::from(e),
                };
                self.record_failure(entry, &err);
                Err(err)
            }
        }
    }

    /// The lease on the main server, with the scope, for actions on one marked address.
    async fn lease_in_state(
        &self,
        server: &str,
        ip: Ipv4Addr,
        want: &[IpState],
        what: &str,
    ) -> Result<(ScopeDef, Vec<(String, KeaClient)>, ScopeView), OpError> {
        let scope = self.scope_of(server, ip).await?;
        let peers = self.peers(server).await?;
        let views = Self::views_of(&peers[..1], &scope).await?;
        let view = views.into_iter().next().expect("one peer");
        let st = view.state_of(ip);
        if !want.contains(&st) {
            return Err(OpError::Refused(format!(
                "{ip} is {}, not {}: {what}",
                state_word(st),
                want.iter()
                    .map(|s| state_word(*s))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        Ok((scope, peers, view))
    }

    async fn delete_lease_everywhere(
        &self,
        server: &str,
        action: &str,
        ip: Ipv4Addr,
        scope: &ScopeDef,
        peers: &[(String, KeaClient)],
        before: Option<Value>,
    ) -> Result<ActionOutcome, OpError> {
        // The mark the lease must still carry to be ddish's to delete.
        let mark = if action == "unclaim" {
            "claimed"
        } else {
            "held"
        };
        // The serving peer last (see serving_first). Where the pool names it, no client
        // lease can reach a partner before ddish's lease there is gone; else (hot-standby
        // after a takeover, a pool both peers serve) a client's lease that raced the
        // delete is copied back.
        let (clients, closed) = serving_last(peers, scope, ip);
        let repair = !closed;
        // Only ddish's own lease goes: an HA partner may have given the address to a
        // client meanwhile, and that lease stays.
        let mut results =
            kea::lease_del_all(&clients, ip, &|l| kea::has_mark(l, mark), repair).await;
        results.sort_by_key(|(n, _)| peer_rank(peers, n));
        let kept: Vec<String> = results
            .iter()
            .filter_map(|(n, r)| match r {
                Ok(kea::Deleted::Kept(hw)) => Some(format!(
                    "{n} kept its lease of {ip}: it belongs to client {hw} now, not to ddish"
                )),
                _ => None,
            })
            .collect();
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
            .collect();
        let done: Vec<String> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n.clone())
            .collect();
        let entry = self.entry(server, action, Some(scope), Some(ip), before, None);
        if !failed.is_empty() {
            let err = OpError::Refused(format!(
                "{action} of {ip} incomplete: done on {}; failed on {}",
                if done.is_empty() {
                    "none".to_string()
                } else {
                    done.join(", ")
                },
                failed.join("; ")
            ));
            self.record_failure(entry, &err);
            return Err(err);
        }
        let mut warnings = kept;
        self.record(entry, &mut warnings);
        Ok(ActionOutcome {
            server: server.to_string(),
            peers: done,
            ip: Some(ip),
            summary: format!("{ip} {action}d: available again"),
            warnings,
            view: None,
        })
    }

    /// Ends a hold: the address is Available again.
    pub async fn release(&self, server: &str, ip: Ipv4Addr) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing_leases(server, Role::Operator, "release")
            .await?;
        let (scope, peers, view) = self
            .lease_in_state(
                server,
                ip,
                &[IpState::Held],
                "release only ends holds (use unclaim for a claimed address)",
            )
            .await?;
        let before = view.lease_of(ip).map(lease_json);
        let mut out = self
            .delete_lease_everywhere(server, "release", ip, &scope, &peers, before)
            .await?;
        out.summary = format!("{ip} released: available again");
        out.view = view_after(&peers, std::slice::from_ref(&view), server, ip, None);
        Ok(out)
    }

    /// Claims an address for a client: a lease for its MAC that never expires, on every peer.
    pub async fn claim(
        &self,
        server: &str,
        ip: Ipv4Addr,
        c: &ClaimRequest,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Role::Operator, "claim").await?;
        let mac = validate_mac(&c.mac)?;
        let hostname = opt_hostname(&c.hostname)?;
        let scope = match self.scope_of(server, ip).await {
            Err(OpError::NotFound(_)) => {
                return self
                    .claim_in_network(server, ip, &mac, hostname, c.comment.clone())
                    .await
            }
            r => r?,
        };
        let peers = self.peers(server).await?;
        let views = Self::views_of(&peers, &scope).await?;
        let refs: Vec<&ScopeView> = views.iter().collect();
        let st = views[0].state_of(ip);
        let held = st == IpState::Held;
        if !held && !is_free_everywhere(&refs, ip) {
            return Err(OpError::Refused(format!(
                "{ip} is {}: only a free or held address can be claimed",
                state_word(st)
            )));
        }
        let mut ctx = json!({"claimed": true, "by": crate::audit::current_user(), "at": now()});
        if let Some(cm) = c.comment.as_deref().filter(|s| !s.trim().is_empty()) {
            ctx["comment"] = json!(cm.trim());
        }
        let mut args = json!({
            "ip-address": ip.to_string(),
            "subnet-id": scope.id,
            "hw-address": mac,
            "valid-lft": Lease::INFINITE,
            "user-context": {"ddish": ctx},
        });
        if let Some(h) = &hostname {
            args["hostname"] = json!(h);
        }
        let clients = serving_first(&peers, &scope, ip);
        let before = views[0].lease_of(ip).map(lease_json);
        let entry = self.entry(
            server,
            "claim",
            Some(&scope),
            Some(ip),
            before,
            Some(args.clone()),
        );
        let result = if held {
            // The hold becomes the claim: update in place on every peer.
            let mut a = args.clone();
            a["force-create"] = json!(true);
            let r = kea::lease_update_all(&clients, &a).await;
            let failed: Vec<String> = r
                .iter()
                .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
                .collect();
            if failed.is_empty() {
                Ok(r.into_iter().map(|(n, _)| n).collect())
            } else {
                Err(OpError::Refused(format!(
                    "claim of {ip} failed on {}",
                    failed.join("; ")
                )))
            }
        } else {
            kea::lease_add_all(&clients, &args)
                .await
                .map_err(|e| match e {
                    LeaseWriteError::Exists { .. } => {
                        OpError::Exists(format!("{ip} was taken meanwhile: pick another"))
                    }
                    e => OpError::from(e),
                })
        }
        .map(|done| in_peer_order(&peers, done));
        let summary = format!(
            "{ip} claimed for {mac}{}",
            hostname.map(|h| format!(" ({h})")).unwrap_or_default()
        );
        let view = view_after(&peers, &views, server, ip, kea::lease_of(&args, now()));
        let mut out = self.conclude(entry, result, server, Some(ip), summary, Vec::new())?;
        out.view = view;
        Ok(out)
    }

    /// The network of `server` holding `ip`, for an address outside every scope.
    pub async fn network_of(
        &self,
        server: &str,
        ip: Ipv4Addr,
    ) -> Result<crate::model::NetworkDef, OpError> {
        let config = self.client(server)?.config_get().await?;
        config
            .networks
            .into_iter()
            .filter(|n| n.kind == crate::model::NetworkKind::Network && n.cidr.contains(&ip))
            .max_by_key(|n| n.cidr.prefix_len())
            .ok_or_else(|| {
                OpError::NotFound(format!("{ip} is in no scope and no network on {server}"))
            })
    }

    /// The refusal for an action that needs a scope on an address that only a network
    /// holds: at network level only a claim is possible.
    pub(crate) async fn outside_scopes(&self, server: &str, ip: Ipv4Addr, what: &str) -> OpError {
        match self.network_of(server, ip).await {
            Ok(n) => OpError::Refused(format!(
                "{ip} is outside every DHCP scope (network {}): {what} needs a scope; at \
                 network level only a claim is possible (ddish ip claim)",
                n.cidr
            )),
            Err(e) => e,
        }
    }

    /// A claim outside every scope: no lease can exist there, so it is kept in the
    /// network's entry (`user-context.ddish.networks[].claims`) on every HA peer.
    async fn claim_in_network(
        &self,
        server: &str,
        ip: Ipv4Addr,
        mac: &str,
        hostname: Option<String>,
        comment: Option<String>,
    ) -> Result<ActionOutcome, OpError> {
        let net = self.network_of(server, ip).await?;
        if let Some(c) = net.claims.iter().find(|c| c.ip == ip) {
            return Err(OpError::Refused(format!(
                "{ip} is already claimed in network {} for {}: unclaim it first",
                net.cidr, c.mac
            )));
        }
        let comment = comment.filter(|c| !c.trim().is_empty());
        let claim = json!({"ip": ip.to_string(), "mac": mac, "hostname": hostname,
            "comment": comment, "by": crate::audit::current_user(), "at": now()});
        let peers = self.peers(server).await?;
        let mut entry = self.entry(server, "claim", None, Some(ip), None, Some(claim.clone()));
        entry.scope = Some(net.cidr.to_string());
        let cidr = net.cidr;
        let result = self
            // A claim lives in the network's mark: no subnet needs to be seen whole.
            .edit_everywhere(server, &peers, &kea::Reach::Subnets(vec![]), move |cfg| {
                kea::marks::add_claim(cfg, &cidr, &claim)
            })
            .await;
        let summary = format!(
            "{ip} claimed for {mac}{} in network {cidr} (outside every scope)",
            hostname.map(|h| format!(" ({h})")).unwrap_or_default()
        );
        self.conclude(entry, result, server, Some(ip), summary, Vec::new())
    }

    async fn unclaim_in_network(
        &self,
        server: &str,
        ip: Ipv4Addr,
    ) -> Result<ActionOutcome, OpError> {
        let net = self.network_of(server, ip).await?;
        let Some(old) = net.claims.iter().find(|c| c.ip == ip) else {
            return Err(OpError::Refused(format!(
                "{ip} is not claimed (network {}, outside every scope)",
                net.cidr
            )));
        };
        let before = json!({"ip": ip.to_string(), "mac": old.mac, "hostname": old.hostname});
        let peers = self.peers(server).await?;
        let mut entry = self.entry(server, "unclaim", None, Some(ip), Some(before), None);
        entry.scope = Some(net.cidr.to_string());
        let cidr = net.cidr;
        let result = self
            // A claim lives in the network's mark: no subnet needs to be seen whole.
            .edit_everywhere(server, &peers, &kea::Reach::Subnets(vec![]), move |cfg| {
                kea::marks::remove_claim(cfg, &cidr, ip)
            })
            .await;
        let summary = format!("{ip} unclaimed in network {cidr}");
        self.conclude(entry, result, server, Some(ip), summary, Vec::new())
    }

    /// Returns a claimed address to DHCP.
    pub async fn unclaim(&self, server: &str, ip: Ipv4Addr) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Role::Operator, "unclaim").await?;
        if let Err(OpError::NotFound(_)) = self.scope_of(server, ip).await {
            return self.unclaim_in_network(server, ip).await;
        }
        let (scope, peers, view) = self
            .lease_in_state(server, ip, &[IpState::Claimed], "unclaim only ends claims")
            .await?;
        let before = view.lease_of(ip).map(lease_json);
        let mut out = self
            .delete_lease_everywhere(server, "unclaim", ip, &scope, &peers, before)
            .await?;
        out.summary = format!("{ip} unclaimed: available again");
        out.view = view_after(&peers, std::slice::from_ref(&view), server, ip, None);
        Ok(out)
    }
}
