//! The full-window screens' queries and failover changes: each [`Command`] of that
//! section to the operation that answers it.
use crate::ops::events::{self, EventQuery, EventsError};
use crate::ops::{failover, fleet, search, zones, OpError, Session};

use super::{Command, Outcome};

/// Servers (or zones) asked side by side by one screen query.
const CONCURRENCY: usize = 16;

impl Session {
    /// The answer to one of the screens' commands ([`Session::run`] hands them here).
    pub(super) async fn run_screen(&self, cmd: Command) -> Result<Outcome, OpError> {
        let cfg = self.config();
        let t = cfg.settings.request_timeout;
        Ok(match cmd {
            Command::Config => Outcome::Config(Box::new(cfg.clone())),
            Command::Events => {
                let cfg = cfg.clone();
                // The journal and events files are read with blocking file locks.
                let r =
                    tokio::task::spawn_blocking(move || events::list(&cfg, &EventQuery::default()))
                        .await
                        .unwrap_or_else(|e| {
                            Err(EventsError::Internal(format!(
                                "internal error reading the events: {e}"
                            )))
                        });
                Outcome::Events(r)
            }
            // Needs the shared session: see `observe_blocking`.
            Command::ObserveChanges => {
                return Err(OpError::Refused(
                    "internal error: looking for changes needs the console's shared session".into(),
                ))
            }
            Command::FleetStatus { servers, trees } => {
                let mut rows = fleet::status_of(self, &servers, servers.len()).await;
                if !trees {
                    for r in &mut rows {
                        r.tree = None;
                    }
                }
                Outcome::Services(rows)
            }
            Command::DnsStatus => Outcome::Dns(fleet::dns_status_all(cfg, CONCURRENCY).await),
            Command::ZonesHealth => Outcome::Zones(zones::zones_health(cfg, CONCURRENCY).await),
            Command::ZoneHealth(z) => {
                let t = t.min(std::time::Duration::from_secs(5));
                Outcome::Zone(Box::new(zones::zone_health(cfg, &z, t).await))
            }
            Command::ZoneRecords(z) => match zones::zone_records(&z, t).await {
                Ok(r) => Outcome::ZoneRecords(r),
                Err(e) => return Err(OpError::Refused(e.to_string())),
            },
            Command::SearchServers { servers, term } => {
                Outcome::Search(search::search_servers(self, &servers, &term, servers.len()).await)
            }
            Command::SearchDns(term) => Outcome::Search(search::search_dns_zones(cfg, &term).await),
            Command::DnsNames(ip) => Outcome::Search(search::dns_names(cfg, ip).await),
            Command::CountScopes { server, scopes } => {
                Outcome::Counts(self.count_scopes(&server, &scopes).await?)
            }
            Command::ServerParams { server } => {
                Outcome::ServerParams(self.server_params(&server).await?)
            }
            Command::OptionDefs { server } => Outcome::OptionDefs(self.option_defs(&server).await?),
            Command::SweepStep(sw) => Outcome::Sweep(Box::new(self.sweep_step(*sw).await?)),
            Command::SearchWalk(walk) => {
                let (hits, next) = search::walk_step(self, *walk, search::STEP_PAGES).await?;
                let mut res = search::SearchResult::default();
                res.add(hits);
                // Sent back done too: the caller's progress shows the final count.
                res.walks.push(next);
                Outcome::Search(res)
            }
            Command::FailoverList { server } => match failover::list(self, &server).await {
                Ok(v) => Outcome::FailoverList(v),
                Err(e) => return Err(e),
            },
            Command::FailoverPlan(spec) => match failover::plan(self, &spec).await {
                Ok(p) => Outcome::FailoverPlan(Box::new(p)),
                Err(e) => return Err(e),
            },
            Command::FailoverCreate(spec) => match failover::create(self, &spec).await {
                Ok(o) => Outcome::Failover(Box::new(o)),
                Err(e) => return Err(e),
            },
            Command::FailoverChange { server, change } => {
                match failover::apply(self, &server, &change).await {
                    Ok(o) => Outcome::Failover(Box::new(o)),
                    Err(e) => return Err(e),
                }
            }
            other => {
                return Err(OpError::Refused(format!(
                    "internal error: {} has no operation",
                    other.doing()
                )))
            }
        })
    }

    /// `observe` drives the fleet through streams whose futures can't be sent between
    /// threads: it runs to the end on a blocking thread of the runtime, which takes the
    /// session along.
    pub(super) async fn observe_blocking(
        self: &std::sync::Arc<Self>,
    ) -> Result<events::Observed, EventsError> {
        let s = self.clone();
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || rt.block_on(events::observe(&s)))
            .await
            .unwrap_or_else(|e| {
                Err(EventsError::Internal(format!(
                    "internal error observing the servers: {e}"
                )))
            })
    }
}
