//! Service status of the whole fleet (issue 6 part 1, 2, 6): every Kea server's state with
//! version, uptime, HA, scopes and utilization; every DNS server answering or not; grouping
//! by fields and tags; scopes over or under their thresholds across all servers.
//!
//! Many servers are polled a bounded number at a time, each under its own time limit, so
//! one hung server never holds up the others.
use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::config::Config;
use crate::kea::KeaError;
use crate::model::{ServerTree, Utilization};

use super::{OpError, Session};

mod cache;
mod dns;
mod filter;
mod watch;

pub use cache::*;
pub use dns::*;
pub use filter::*;
pub use watch::*;

/// Default number of servers polled at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// What a DHCP server is doing, as far as ddish can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceState {
    Running,
    /// The Control Agent answers but kea-dhcp4 behind it does not.
    DaemonStopped,
    /// Nothing answers at the url (refused, no route, connection lost).
    Unreachable,
    AuthFailed,
    TlsFailed,
    /// Connected, but no answer in time.
    Timeout,
    /// Answers, but with something ddish cannot use (bad reply, HTTP error, config).
    Failing,
}

impl ServiceState {
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Running => "running",
            ServiceState::DaemonStopped => "daemon stopped",
            ServiceState::Unreachable => "unreachable",
            ServiceState::AuthFailed => "auth failed",
            ServiceState::TlsFailed => "tls failed",
            ServiceState::Timeout => "timeout",
            ServiceState::Failing => "failing",
        }
    }

    pub fn is_ok(self) -> bool {
        self == ServiceState::Running
    }

    /// The state a failed load puts a server in.
    pub fn from_error(e: &OpError) -> ServiceState {
        match e {
            OpError::Kea(k) => match k {
                KeaError::DaemonOffline { .. } | KeaError::NoService { .. } => {
                    ServiceState::DaemonStopped
                }
                KeaError::Unreachable { .. } | KeaError::Refused { .. } => {
                    ServiceState::Unreachable
                }
                KeaError::Unauthorized { .. } => ServiceState::AuthFailed,
                KeaError::Tls { .. } => ServiceState::TlsFailed,
                KeaError::Timeout { .. } => ServiceState::Timeout,
                _ => ServiceState::Failing,
            },
            _ => ServiceState::Failing,
        }
    }
}

impl std::fmt::Display for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One DHCP server after a status refresh.
#[derive(Clone, Debug)]
pub struct ServiceStatus {
    pub name: String,
    pub url: String,
    pub tags: Vec<String>,
    pub fields: BTreeMap<String, String>,
    pub state: ServiceState,
    pub version: Option<String>,
    /// Seconds since kea-dhcp4 started.
    pub uptime: Option<i64>,
    pub ha_state: Option<String>,
    pub scopes: Option<usize>,
    pub utilization: Option<Utilization>,
    /// Epoch seconds of this refresh.
    pub checked_at: i64,
    /// Epoch seconds of this refresh when it succeeded (callers that keep history carry
    /// the last good one forward).
    pub last_good: Option<i64>,
    /// The user-facing message of the failure.
    pub error: Option<String>,
    /// The server's scopes with statistics, for alerts; `None` when the load failed.
    pub tree: Option<ServerTree>,
}

/// Refreshes one server within `limit`: status-get (uptime, HA) and stat-lease4-get
/// (utilization) every time; version-get and config-get (the scope tree) only when the
/// server restarted or reloaded its configuration since the last refresh (see
/// [`StatusCache`]). Requests go out together. Never leases.
pub async fn server_status(session: &Session, name: &str, limit: Duration) -> ServiceStatus {
    server_status_digest(session, name, limit).await.0
}

/// The whole-refresh limit for one server: a few requests' worth of the request timeout.
pub fn server_limit(cfg: &Config) -> Duration {
    (cfg.settings.request_timeout * 3).max(Duration::from_secs(3))
}

/// Every configured DHCP server, at most `concurrency` at a time, in config order.
pub async fn status_all(session: &Session, concurrency: usize) -> Vec<ServiceStatus> {
    let names: Vec<String> = session
        .config()
        .servers
        .iter()
        .map(|s| s.name.clone())
        .collect();
    status_of(session, &names, concurrency).await
}

/// The named servers (one, the marked ones, or all), at most `concurrency` at a time, in
/// the order given.
pub async fn status_of(
    session: &Session,
    names: &[String],
    concurrency: usize,
) -> Vec<ServiceStatus> {
    status_of_digest(session, names, concurrency)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// [`status_of`] with each server's configuration digest (see [`server_status_digest`]).
pub async fn status_of_digest(
    session: &Session,
    names: &[String],
    concurrency: usize,
) -> Vec<(ServiceStatus, Option<u64>)> {
    let limit = server_limit(session.config());
    // Futures built before the stream (no borrowing closure inside it), so the whole
    // future is Send and a console job can run it.
    let futs: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| async move { (i, server_status_digest(session, n, limit).await) })
        .collect();
    let mut out: Vec<(usize, (ServiceStatus, Option<u64>))> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kea::{KeaConfig, KeaStatus};
    use crate::model::tree::ScopeSummary;
    use crate::model::{ScopeStatus, Thresholds, UtilBand};
    use std::sync::Arc;

    #[test]
    fn filters_and_groups() {
        let f = ServerFilter::parse("region=eu").unwrap();
        let mut fields = BTreeMap::new();
        fields.insert("region".to_string(), "eu".to_string());
        assert!(f.matches(&[], &fields));
        assert!(!ServerFilter::parse("region=us")
            .unwrap()
            .matches(&[], &fields));
        assert!(ServerFilter::parse("tag=lab")
            .unwrap()
            .matches(&["lab".into()], &fields));
        assert!(ServerFilter::parse("region").is_err());
        let keys = vec!["region".to_string(), "site".to_string()];
        assert_eq!(group_path(&keys, &[], &fields), vec!["eu", "(none)"]);
    }

    fn status(name: &str, state: ServiceState, at: i64) -> ServiceStatus {
        ServiceStatus {
            name: name.into(),
            url: String::new(),
            tags: vec![],
            fields: BTreeMap::new(),
            state,
            version: None,
            uptime: None,
            ha_state: None,
            scopes: None,
            utilization: None,
            checked_at: at,
            last_good: state.is_ok().then_some(at),
            error: None,
            tree: None,
        }
    }

    #[test]
    fn watch_backs_off_and_keeps_last_good() {
        let mut w = FleetWatch::new(Duration::from_secs(10), Duration::from_secs(60));
        let names = vec!["a".to_string()];
        assert_eq!(w.due(&names, 0), names);
        let mut s = status("a", ServiceState::Running, 100);
        w.record(&mut s);
        assert_eq!(w.entry("a").unwrap().next_due, 110);
        assert!(w.due(&names, 109).is_empty());
        let mut s = status("a", ServiceState::Unreachable, 110);
        w.record(&mut s);
        assert_eq!(s.last_good, Some(100));
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (1, 130, 110));
        let mut s = status("a", ServiceState::Unreachable, 130);
        w.record(&mut s);
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (2, 170, 110));
        for t in [170, 230, 290] {
            w.record(&mut status("a", ServiceState::Unreachable, t));
        }
        assert_eq!(w.entry("a").unwrap().next_due, 350, "capped at 60 s");
        w.record(&mut status("a", ServiceState::Running, 350));
        let e = *w.entry("a").unwrap();
        assert_eq!((e.failures, e.next_due, e.since), (0, 360, 350));
    }

    fn scope(id: u32, cidr: &str, used: u64, total: u64, status: ScopeStatus) -> ScopeSummary {
        use crate::model::{Range, RangeSet, ScopeDef, ScopeStats};
        let cidr: ipnet::Ipv4Net = cidr.parse().unwrap();
        let pools = RangeSet::from_ranges([Range::parse_pool(&format!(
            "{} - {}",
            cidr.network(),
            cidr.broadcast()
        ))
        .unwrap()]);
        ScopeSummary {
            def: ScopeDef {
                status,
                ..ScopeDef::bare(id, cidr, pools)
            },
            stats: Some(ScopeStats {
                total,
                assigned: used,
                declined: 0,
            }),
        }
    }

    #[test]
    fn alerts_worst_first() {
        let tree = |scopes| ServerTree::build(&[], scopes);
        let mut a = status("a", ServiceState::Running, 1);
        a.tree = Some(tree(vec![
            scope(1, "10.0.1.0/24", 85, 100, ScopeStatus::Active),
            scope(2, "10.0.2.0/24", 50, 100, ScopeStatus::Active),
            scope(3, "10.0.3.0/24", 1, 100, ScopeStatus::Active),
            // Inactive scopes and scopes with no pool raise nothing.
            scope(4, "10.0.4.0/24", 99, 100, ScopeStatus::Inactive),
            scope(5, "10.0.5.0/24", 0, 0, ScopeStatus::Active),
        ]));
        let mut b = status("b", ServiceState::Running, 1);
        b.tree = Some(tree(vec![
            scope(1, "10.1.1.0/24", 100, 100, ScopeStatus::Active),
            scope(2, "10.1.2.0/24", 10, 100, ScopeStatus::Active),
        ]));
        let down = status("c", ServiceState::Unreachable, 1);
        let got: Vec<(String, String, UtilBand)> =
            utilization_alerts(&[a, b, down], &Thresholds::default())
                .into_iter()
                .map(|x| (x.server, x.scope.to_string(), x.band))
                .collect();
        let want = [
            ("b", "10.1.1.0/24", UtilBand::Over),
            ("a", "10.0.1.0/24", UtilBand::Over),
            ("a", "10.0.3.0/24", UtilBand::Under),
            ("b", "10.1.2.0/24", UtilBand::Under),
        ];
        let want: Vec<(String, String, UtilBand)> = want
            .iter()
            .map(|(s, c, b)| (s.to_string(), c.to_string(), *b))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn cached_config_valid_until_restart_reload_or_age() {
        let c = Cached {
            read_at: 1000,
            pid: 7,
            loaded_at: 900,
            version: "2.2.0".into(),
            config: Arc::new(KeaConfig {
                scopes: vec![],
                networks: vec![],
                skipped: vec![],
                option_defs: vec![],
                digest: 1,
                hash: None,
            }),
        };
        let st = |pid, reload| KeaStatus {
            pid: Some(pid),
            reload: Some(reload),
            ..KeaStatus::default()
        };
        assert!(still_valid(&c, &st(7, 110), 1010));
        assert!(still_valid(&c, &st(7, 111), 1010), "one second of rounding");
        assert!(!still_valid(&c, &st(8, 110), 1010), "restarted");
        assert!(!still_valid(&c, &st(7, 5), 1010), "reloaded");
        assert!(!still_valid(&c, &st(7, 1000), 1900), "too old");
        assert!(
            !still_valid(&c, &KeaStatus::default(), 1010),
            "no pid or reload"
        );
        let cmds = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(!changes_config_live(&cmds(&[
            "config-backend-pull",
            "lease4-add"
        ])));
        assert!(changes_config_live(&cmds(&["subnet4-add"])));
        assert!(changes_config_live(&cmds(&["remote-subnet4-set"])));
    }

    #[test]
    fn error_states() {
        let e = OpError::Kea(KeaError::DaemonOffline {
            server: "a".into(),
            service: "dhcp4".into(),
        });
        assert_eq!(ServiceState::from_error(&e), ServiceState::DaemonStopped);
        let e = OpError::Kea(KeaError::Unauthorized { server: "a".into() });
        assert_eq!(ServiceState::from_error(&e), ServiceState::AuthFailed);
        let e = OpError::Kea(KeaError::Refused {
            server: "a".into(),
            url: "u".into(),
        });
        assert_eq!(ServiceState::from_error(&e), ServiceState::Unreachable);
    }
}
