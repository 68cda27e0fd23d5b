//! IP actions (issue 3), once for the console and the CLI: hold next/random free, release,
//! claim, reservations, exclusions, ping, DNS records, history. Every write goes to the
//! server and its HA peers (lease commands are not replicated, KEA_FACTS.md §7), config
//! changes through the safe write protocol, and every action is journaled.
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::audit::{Entry, Journal};
use crate::config::Role;
use crate::kea::{self, KeaClient, LeaseWriteError};
use crate::model::alloc::{exclude_from_pools, include_in_pools, is_free_everywhere};
use crate::model::lease::{hex_colon, parse_hex_bytes, HwAddr};
use crate::model::{IpState, Lease, LeaseMark, Range, ScopeDef, ScopeStatus, ScopeView};

use super::now;
use super::peers::{in_peer_order, serving_first};
use super::session::{OpError, Session};

/// How many taken addresses `hold_free` steps over before giving up (another admin or a
/// DHCP client may take the one it picked between the look and the write).
const MAX_HOLD_TRIES: usize = 16;

/// The level an action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Operator,
    Admin,
}

#[derive(Clone, Debug)]
pub struct ActionOutcome {
    pub server: String,
    /// Every server written, in order.
    pub peers: Vec<String>,
    pub ip: Option<Ipv4Addr>,
    pub summary: String,
    pub warnings: Vec<String>,
    /// The scope on `server` after a lease change, from what the operation read and wrote
    /// (None where it does not know it): the console shows it without reading it again.
    pub view: Option<Arc<ScopeView>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRequest {
    pub mac: String,
    pub hostname: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    Mac(String),
    ClientId(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationType {
    Dhcp,
    Bootp,
    Both,
}

impl ReservationType {
    pub fn label(self) -> &'static str {
        match self {
            ReservationType::Dhcp => "dhcp",
            ReservationType::Bootp => "bootp",
            ReservationType::Both => "both",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationRequest {
    pub ident: Ident,
    pub kind: ReservationType,
    pub hostname: Option<String>,
    pub description: Option<String>,
}

/// `server`'s view among `views` (read from `peers`, in order; maybe only the first) with
/// the lease of `ip` now `lease`: the scope after a lease change, without reading it again.
fn view_after(
    peers: &[(String, KeaClient)],
    views: &[ScopeView],
    server: &str,
    ip: Ipv4Addr,
    lease: Option<Lease>,
) -> Option<Arc<ScopeView>> {
    let i = peers.iter().position(|(n, _)| n == server)?;
    Some(Arc::new(views.get(i)?.with_lease_at(ip, lease, now())))
}

/// A MAC address in any common notation, normalised to `aa:bb:cc:dd:ee:ff`.
pub fn validate_mac(s: &str) -> Result<String, String> {
    match HwAddr::parse(s) {
        Some(HwAddr::Eth(b)) if b != [0; 6] => Ok(hex_colon(&b)),
        Some(HwAddr::Eth(_)) => Err("00:00:00:00:00:00 is not a client's MAC address".into()),
        _ => Err(format!(
            "'{s}' is not a MAC address: six hex bytes, e.g. aa:bb:cc:dd:ee:ff"
        )),
    }
}

/// A DHCP client identifier (option 61): hex bytes, at least two, normalised to `01:aa:..`.
pub fn validate_client_id(s: &str) -> Result<String, String> {
    match parse_hex_bytes(s) {
        Some(b) if b.len() >= 2 && b.len() <= 255 => Ok(hex_colon(&b)),
        _ => Err(format!(
            "'{s}' is not a client identifier: hex bytes such as 01:aa:bb:cc:dd:ee:ff"
        )),
    }
}

pub use crate::dns::validate_hostname;

pub(crate) fn opt_hostname(h: &Option<String>) -> Result<Option<String>, OpError> {
    match h.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(h) => {
            validate_hostname(h).map_err(OpError::Refused)?;
            Ok(Some(h.to_string()))
        }
    }
}

pub(crate) fn state_word(s: IpState) -> String {
    s.label().to_lowercase()
}

pub(crate) use crate::kea::subnet_mut;

impl Session {
    fn journal(&self) -> Journal {
        Journal::new(&self.config().settings.journal)
    }

    /// Appends to the journal; a journal that can't be written is a warning, not a failure
    /// of the action already done on the server.
    pub(crate) fn record(&self, e: Entry, warnings: &mut Vec<String>) {
        if let Err(err) = self.journal().append(&e) {
            tracing::warn!("journal: {err}");
            warnings.push(format!("not written to the history journal: {err}"));
        }
    }

    /// Journals the outcome of a write and turns it into the action's result (the
    /// warnings only matter when it succeeded).
    pub(crate) fn conclude(
        &self,
        entry: Entry,
        result: Result<Vec<String>, OpError>,
        server: &str,
        ip: Option<Ipv4Addr>,
        summary: String,
        mut warnings: Vec<String>,
    ) -> Result<ActionOutcome, OpError> {
        match result {
            Ok(peers) => {
                self.record(entry, &mut warnings);
                Ok(ActionOutcome {
                    server: server.to_string(),
                    peers,
                    ip,
                    summary,
                    warnings,
                    view: None,
                })
            }
            Err(err) => {
                self.record_failure(entry, &err);
                Err(err)
            }
        }
    }

    pub(crate) fn record_failure(&self, e: Entry, err: &OpError) {
        let mut e = e;
        e.result = err.to_string();
        let _ = self.journal().append(&e);
    }

    pub fn role(&self, server: &str) -> Role {
        self.config()
            .server(server)
            .map(|s| s.role)
            .unwrap_or(Role::Viewer)
    }

    /// Whether the user may act at `need` level on `server`.
    pub fn may(&self, server: &str, need: Need) -> Result<(), OpError> {
        if self.read_only() {
            return Err(OpError::Forbidden(
                "ddish runs with --read-only: no changes are made".into(),
            ));
        }
        let role = self.role(server);
        let ok = match (role, need) {
            (Role::Viewer, _) => false,
            (Role::Operator, Need::Operator) => true,
            (Role::Operator, Need::Admin) => false,
            (Role::Admin, _) => true,
        };
        if ok {
            Ok(())
        } else {
            Err(OpError::Forbidden(format!(
                "your role on {server} is {} (config `role`): {} needs {}",
                match role {
                    Role::Viewer => "viewer",
                    Role::Operator => "operator",
                    Role::Admin => "admin",
                },
                match need {
                    Need::Operator => "this change",
                    Need::Admin => "a scope change",
                },
                match need {
                    Need::Operator => "role = \"operator\" or \"admin\"",
                    Need::Admin => "role = \"admin\"",
                }
            )))
        }
    }

    /// The scope of `server` that contains `ip`. One config-get: an action needs neither
    /// the statistics nor the version a full load reads.
    /// Where the server has subnet_cmds and host_cmds, a few small commands instead (its
    /// hosts databases' reservations included).
    pub async fn scope_of(&self, server: &str, ip: Ipv4Addr) -> Result<ScopeDef, OpError> {
        let found = if kea::reads_by_commands(&*self.commands(server).await?) {
            let list = self.subnet_refs(server).await?;
            match list
                .iter()
                .filter(|s| s.cidr.contains(&ip))
                .max_by_key(|s| s.cidr.prefix_len())
            {
                Some(s) => kea::scope_of_subnet(&self.client(server)?, s).await?,
                None => None,
            }
        } else {
            let config = self.recent_config(server).await?.model()?;
            config
                .scopes
                .into_iter()
                .filter(|s| s.cidr.contains(&ip))
                .max_by_key(|s| s.cidr.prefix_len())
        };
        found.ok_or_else(|| OpError::NotFound(format!("{ip} is in no scope on {server}")))
    }

    /// Finds the server and scope of an address for the CLI. Without `server`, every server
    /// is asked; matches on HA peers of one another count as one (the first configured).
    pub async fn locate(
        self: &Arc<Self>,
        ip: Ipv4Addr,
        server: Option<&str>,
    ) -> Result<(String, ScopeDef), OpError> {
        if let Some(s) = server {
            return Ok((s.to_string(), self.scope_of(s, ip).await?));
        }
        let names: Vec<String> = self
            .config()
            .servers
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let tasks: Vec<_> = names
            .iter()
            .map(|n| {
                let me = Arc::clone(self);
                let n = n.clone();
                tokio::spawn(async move { me.scope_of(&n, ip).await })
            })
            .collect();
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for (t, n) in tasks.into_iter().zip(&names) {
            match t.await {
                Ok(Ok(def)) => found.push((n.clone(), def)),
                Ok(Err(OpError::NotFound(_))) => {}
                Ok(Err(e)) => errors.push(e.to_string()),
                Err(e) => errors.push(format!("{n}: internal error: {e}")),
            }
        }
        if found.is_empty() {
            let mut msg = format!("{ip} is in no scope on any configured server");
            if !errors.is_empty() {
                msg.push_str(&format!(" that answered; failing: {}", errors.join("; ")));
            }
            return Err(OpError::NotFound(msg));
        }
        if found.len() > 1 {
            let peers: Vec<String> = self
                .peers(&found[0].0)
                .await
                .map(|p| p.into_iter().map(|(n, _)| n).collect())
                .unwrap_or_default();
            if !found.iter().all(|(n, _)| peers.contains(n)) {
                return Err(OpError::Refused(format!(
                    "{ip} is in scopes on {}: pick one with --server NAME",
                    found
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(found.remove(0))
    }

    /// The server for an action on `ip`: where a scope holds it, else where a network
    /// does (network-level claims).
    pub async fn locate_server(
        self: &Arc<Self>,
        ip: Ipv4Addr,
        server: Option<&str>,
    ) -> Result<String, OpError> {
        match self.locate(ip, server).await {
            Ok((s, _)) => Ok(s),
            Err(OpError::NotFound(msg)) => {
                let names: Vec<String> = match server {
                    Some(s) => vec![s.to_string()],
                    None => self
                        .config()
                        .servers
                        .iter()
                        .map(|s| s.name.clone())
                        .collect(),
                };
                for n in names {
                    if self.network_of(&n, ip).await.is_ok() {
                        return Ok(n);
                    }
                }
                Err(OpError::NotFound(msg))
            }
            Err(e) => Err(e),
        }
    }

    /// Each peer's view of the scope (same subnet id on HA peers).
    pub(crate) async fn peer_views(
        &self,
        peers: &[(String, KeaClient)],
        scope: &ScopeDef,
    ) -> Result<Vec<ScopeView>, OpError> {
        // Reservations only host_cmds can read (hosts databases) count as well.
        let scope = match peers.first() {
            Some((name, _)) => self.with_all_reservations(name, scope).await?,
            None => scope.clone(),
        };
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
            "valid-lft": self.config().settings.hold_time.as_secs().min(u64::from(u32::MAX - 1)),
            "user-context": {"ddish": {"held": true, "by": crate::audit::current_user(), "at": now()}}
        })
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
            .writing_leases(server, Need::Operator, "hold next free")
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
            fastrand::shuffle(&mut candidates);
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
                        summary: format!(
                            "{ip} held for {} in {}",
                            human_secs(self.config().settings.hold_time.as_secs()),
                            scope.cidr
                        ),
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
        Err(OpError::Refused(format!(
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
        let _lock = self.writing_leases(server, Need::Operator, "hold").await?;
        let scope = match self.scope_of(server, ip).await {
            Err(OpError::NotFound(_)) => {
                return Err(self.outside_scopes(server, ip, "a hold").await)
            }
            r => r?,
        };
        Self::check_active(&scope)?;
        let peers = self.peers(server).await?;
        let views = self.peer_views(&peers, &scope).await?;
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
                    summary: format!(
                        "{ip} held for {}",
                        human_secs(self.config().settings.hold_time.as_secs())
                    ),
                    warnings,
                    view,
                })
            }
            Err(e) => {
                let err = match e {
                    LeaseWriteError::Exists { .. } => OpError::Refused(format!(
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
        let views = self.peer_views(&peers[..1], &scope).await?;
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
        let mut clients = serving_first(peers, scope, ip);
        clients.reverse();
        let repair = !scope
            .serving_peer(ip)
            .is_some_and(|s| peers.iter().any(|(n, _)| n == s));
        // Only ddish's own lease goes: an HA partner may have given the address to a
        // client meanwhile, and that lease stays.
        let mut results =
            kea::lease_del_all(&clients, ip, &|l| kea::has_mark(l, mark), repair).await;
        results.sort_by_key(|(n, _)| peers.iter().position(|(p, _)| p == n));
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
            .writing_leases(server, Need::Operator, "release")
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
        let _lock = self.writing(server, Need::Operator, "claim").await?;
        let mac = validate_mac(&c.mac).map_err(OpError::Refused)?;
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
        let views = self.peer_views(&peers, &scope).await?;
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
                        OpError::Refused(format!("{ip} was taken meanwhile: pick another"))
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
        let _lock = self.writing(server, Need::Operator, "unclaim").await?;
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

    fn exclusion_range(scope: &ScopeDef, start: Ipv4Addr, end: Ipv4Addr) -> Result<Range, OpError> {
        let r = Range::new(start, end).ok_or_else(|| {
            OpError::Refused(format!("the end {end} comes before the start {start}"))
        })?;
        if !scope.range.contains_range(&r) {
            return Err(OpError::Refused(format!(
                "{r} is outside the range of scope {} ({})",
                scope.cidr, scope.range
            )));
        }
        Ok(r)
    }

    /// Excludes `start`-`end` from DHCP: the pools are rewritten on every peer.
    pub async fn exclude(
        &self,
        server: &str,
        scope: &ScopeDef,
        start: Ipv4Addr,
        end: Ipv4Addr,
        confirmed: bool,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "exclude").await?;
        let r = Self::exclusion_range(scope, start, end)?;
        if let Some(res) = scope
            .reservations
            .iter()
            .find(|x| r.contains(u32::from(x.ip)))
        {
            return Err(OpError::Refused(format!(
                "{r} covers the reservation of {}{}: delete it first or exclude around it",
                res.ip,
                res.hostname
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            )));
        }
        let peers = self.peers(server).await?;
        let views = self.peer_views(&peers, scope).await?;
        let leased: Vec<Ipv4Addr> = {
            let mut v: Vec<Ipv4Addr> = views
                .iter()
                .flat_map(|v| v.leases.iter())
                .filter(|l| r.contains(u32::from(l.ip)) && !l.is_expired(now()))
                .map(|l| l.ip)
                .collect();
            v.sort();
            v.dedup();
            v
        };
        if !leased.is_empty() && !confirmed {
            return Err(OpError::NeedsConfirmation(format!(
                "{} leased address{} in {r} (first {}): excluding stops DHCP from handing them \
                 out again, but each lease runs until it expires. Exclude anyway?",
                leased.len(),
                if leased.len() == 1 { "" } else { "es" },
                leased[0]
            )));
        }
        let (id, range) = (scope.id, scope.range);
        let pools_before = scope.pools.to_string();
        let entry_base = (scope.clone(), r);
        let result = self
            .edit_scopes_everywhere(server, &peers, &[id], move |cfg| {
                let s = subnet_mut(cfg, id)?;
                kea::marks::pin_range(s, range);
                kea::subnet_json::rewrite_pools(s, |p| exclude_from_pools(p, r)).map(|_| ())
            })
            .await;
        let after = entry_base
            .0
            .pools
            .subtract(&crate::model::RangeSet::from_ranges([r]))
            .to_string();
        let entry = self.entry(
            server,
            "exclude",
            Some(&entry_base.0),
            None,
            Some(json!({"pools": pools_before})),
            Some(json!({"excluded": r.to_string(), "pools": after})),
        );
        let mut warnings = Vec::new();
        if !leased.is_empty() {
            warnings.push(format!(
                "{} lease{} in {r} run until they expire",
                leased.len(),
                if leased.len() == 1 { "" } else { "s" }
            ));
        }
        let summary = format!("{r} excluded from {}", scope.cidr);
        self.conclude(entry, result, server, None, summary, warnings)
    }

    /// Returns `start`-`end` to the pools (clipped to the scope range) on every peer.
    pub async fn unexclude(
        &self,
        server: &str,
        scope: &ScopeDef,
        start: Ipv4Addr,
        end: Ipv4Addr,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Need::Admin, "unexclude").await?;
        let r = Self::exclusion_range(scope, start, end)?;
        let excluded = scope.exclusions();
        if excluded
            .intersect(&crate::model::RangeSet::from_ranges([r]))
            .is_empty()
        {
            return Err(OpError::Refused(format!(
                "nothing in {r} is excluded in {} (exclusions: {})",
                scope.cidr,
                if excluded.is_empty() {
                    "none".to_string()
                } else {
                    excluded.to_string()
                }
            )));
        }
        let peers = self.peers(server).await?;
        let (id, range) = (scope.id, scope.range);
        let entry = self.entry(
            server,
            "unexclude",
            Some(scope),
            None,
            Some(json!({"pools": scope.pools.to_string()})),
            Some(json!({"included": r.to_string()})),
        );
        let result = self
            .edit_scopes_everywhere(server, &peers, &[id], move |cfg| {
                let s = subnet_mut(cfg, id)?;
                kea::marks::pin_range(s, range);
                kea::subnet_json::rewrite_pools(s, |p| include_in_pools(p, r, range)).map(|_| ())
            })
            .await;
        let summary = format!("{r} returned to the pools of {}", scope.cidr);
        self.conclude(entry, result, server, None, summary, Vec::new())
    }

    /// ICMP echo to one address (three tries).
    pub async fn ping(&self, ip: Ipv4Addr) -> Result<crate::probe::PingResult, OpError> {
        crate::probe::ping(
            IpAddr::V4(ip),
            3,
            self.config()
                .settings
                .request_timeout
                .min(std::time::Duration::from_secs(3)),
        )
        .await
        .map_err(|e| OpError::Refused(e.to_string()))
    }

    /// Adds an A (and optionally PTR) record for an address, journaled under `server`.
    pub async fn dns_add(
        &self,
        server: &str,
        req: &crate::dns::RecordRequest,
    ) -> Result<ActionOutcome, OpError> {
        self.may(server, Need::Operator)?;
        let ip = match req.ip {
            IpAddr::V4(v) => Some(v),
            IpAddr::V6(_) => None,
        };
        let out = crate::dns::add_record(
            &self.config().dns,
            req,
            self.config().settings.request_timeout,
        )
        .await;
        self.dns_outcome(
            server,
            "dns-add",
            ip,
            &req.hostname,
            &req.zone,
            req.comment.clone(),
            out,
        )
    }

    /// Deletes the A (and optionally PTR) record of `hostname` for `ip`.
    pub async fn dns_delete(
        &self,
        server: &str,
        zone: &str,
        hostname: &str,
        ip: Ipv4Addr,
        ptr: bool,
    ) -> Result<ActionOutcome, OpError> {
        self.may(server, Need::Operator)?;
        let out = crate::dns::delete_records(
            &self.config().dns,
            zone,
            hostname,
            IpAddr::V4(ip),
            ptr,
            self.config().settings.request_timeout,
        )
        .await;
        self.dns_outcome(server, "dns-delete", Some(ip), hostname, zone, None, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn dns_outcome(
        &self,
        server: &str,
        action: &str,
        ip: Option<Ipv4Addr>,
        hostname: &str,
        zone: &str,
        comment: Option<String>,
        out: Result<crate::dns::RecordOutcome, crate::dns::DnsError>,
    ) -> Result<ActionOutcome, OpError> {
        let mut entry = self.entry(
            server,
            action,
            None,
            ip,
            None,
            Some(json!({"zone": zone, "hostname": hostname, "comment": comment})),
        );
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                let err = OpError::Refused(e.to_string());
                self.record_failure(entry, &err);
                return Err(err);
            }
        };
        use crate::dns::StepResult;
        let step = |s: &StepResult| match s {
            StepResult::Done { verified: true } => "done, verified".to_string(),
            StepResult::Done { verified: false } => "done, not yet visible".to_string(),
            StepResult::Failed(e) => format!("failed: {e}"),
        };
        let mut parts = vec![format!("{} {}", out.fqdn, step(&out.forward))];
        if let Some(p) = &out.ptr {
            parts.push(format!(
                "PTR{} {}",
                out.ptr_zone
                    .as_deref()
                    .map(|z| format!(" in {z}"))
                    .unwrap_or_default(),
                step(p)
            ));
        }
        let summary = format!("{action}: {}", parts.join("; "));
        let forward_failed = matches!(out.forward, StepResult::Failed(_));
        let ptr_failed = matches!(out.ptr, Some(StepResult::Failed(_)));
        entry.result = if forward_failed || ptr_failed {
            summary.clone()
        } else {
            "ok".into()
        };
        let mut warnings = Vec::new();
        self.record(entry, &mut warnings);
        if forward_failed {
            return Err(OpError::Refused(summary));
        }
        if ptr_failed {
            warnings.push("the PTR record failed; the forward record is in place".into());
        }
        Ok(ActionOutcome {
            server: server.to_string(),
            peers: vec![],
            ip,
            summary,
            warnings,
            view: None,
        })
    }

    /// Journal entries of an address, newest first.
    pub fn history(&self, ip: Ipv4Addr) -> Result<Vec<Entry>, OpError> {
        self.journal()
            .for_ip(ip)
            .map_err(|e| OpError::Refused(e.to_string()))
    }

    pub(crate) fn entry(
        &self,
        server: &str,
        action: &str,
        scope: Option<&ScopeDef>,
        ip: Option<Ipv4Addr>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Entry {
        let mut e = Entry::new(server, action);
        e.scope = scope.map(|s| s.cidr.to_string());
        e.ip = ip;
        e.before = before;
        e.after = after;
        e.result = "ok".into();
        e
    }
}

/// A lease as the journal keeps it.
fn lease_json(l: &Lease) -> Value {
    json!({
        "ip-address": l.ip.to_string(),
        "hw-address": if l.hw.is_none() { Value::Null } else { json!(l.hw.to_string()) },
        "hostname": l.hostname.as_deref(),
        "valid-lft": l.valid_lft,
        "cltt": l.cltt,
        "mark": match l.mark { LeaseMark::Held => "held", LeaseMark::Claimed => "claimed", LeaseMark::None => "" },
    })
}

fn human_secs(s: u64) -> String {
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_and_client_id_are_normalised() {
        assert_eq!(
            validate_mac("AA-BB-CC-00-00-01").unwrap(),
            "aa:bb:cc:00:00:01"
        );
        assert_eq!(validate_mac("aabb.cc00.0001").unwrap(), "aa:bb:cc:00:00:01");
        assert!(validate_mac("aa:bb:cc").is_err());
        assert!(validate_mac("00:00:00:00:00:00").is_err());
        assert!(validate_mac("zz:bb:cc:00:00:01")
            .unwrap_err()
            .contains("not a MAC"));
        assert_eq!(
            validate_client_id("01AABBCC000003").unwrap(),
            "01:aa:bb:cc:00:00:03"
        );
        assert!(validate_client_id("1").is_err());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_secs(3600), "1 h");
        assert_eq!(human_secs(86_400), "1 d");
        assert_eq!(human_secs(90), "90 s");
        assert_eq!(human_secs(600), "10 min");
    }
}
