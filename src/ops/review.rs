//! `ddish review`: every configured server's scopes checked (`model::review`), and each
//! HA pair compared subnet by subnet.
use std::collections::HashMap;

use crate::kea::{ConfigReply, KeaClient, KeaError};
use crate::model::review::{self, Finding, Severity};
use crate::model::scope::Reservation;
use crate::model::{ScopeDef, ScopeStats, Thresholds};

use super::{OpError, Session};

/// One server's findings, or why it could not be reviewed.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerReview {
    pub server: String,
    pub findings: Result<Vec<Finding>, String>,
}

impl Session {
    /// Reviews `servers` (all configured when empty), four at a time; an HA pair whose
    /// peers differ gets an error finding per difference on each of its servers reviewed.
    pub async fn review(&self, servers: &[String]) -> Vec<ServerReview> {
        use futures_util::StreamExt;
        let names: Vec<String> = if servers.is_empty() {
            self.config()
                .servers
                .iter()
                .map(|s| s.name.clone())
                .collect()
        } else {
            servers.to_vec()
        };
        let t = self.config().thresholds();
        let mut out: Vec<ServerReview> = futures_util::stream::iter(names.iter().cloned())
            .map(|name| async move {
                let findings = async {
                    let c = self.client(&name).map_err(|e| e.to_string())?;
                    let (reply, stats) =
                        tokio::join!(self.recent_config(&name), c.stat_lease4_get());
                    let reply = reply.map_err(|e| e.to_string())?;
                    // Without stat_cmds the utilization check is left out, nothing else.
                    let (r, scopes) = reviewed(&reply, &stats.unwrap_or_default(), &t)
                        .map_err(|e| e.to_string())?;
                    let mut f = r.findings;
                    f.extend(reservations_leased(&c, &scopes).await);
                    review::worst_first(&mut f);
                    Ok(f)
                }
                .await;
                ServerReview {
                    server: name,
                    findings,
                }
            })
            .buffered(4)
            .collect()
            .await;
        for d in self.ha_drift().await {
            let (a, b) = &d.servers;
            for r in out.iter_mut().filter(|r| r.server == *a || r.server == *b) {
                if let Ok(f) = &mut r.findings {
                    for diff in &d.differences {
                        f.insert(
                            0,
                            Finding {
                                severity: Severity::Error,
                                check: "ha-drift",
                                scope: None,
                                ip: None,
                                text: format!(
                                    "HA peers {a} and {b} differ: {diff}; a client gets a \
                                     different answer from each"
                                ),
                            },
                        );
                    }
                }
            }
        }
        out
    }
}

/// Reservations looked up against the leases per server; the rest are named unchecked (a
/// lease4-get each, ~1 ms on Kea 3.0, a few through a Control Agent).
const MAX_LEASE_CHECKS: usize = 2_000;

/// Reservations whose address is leased to another client (one lease4-get each, 8 at a
/// time); what could not be checked is an info finding, not an error.
async fn reservations_leased(c: &KeaClient, scopes: &[ScopeDef]) -> Vec<Finding> {
    use futures_util::StreamExt;
    let all: Vec<(&ScopeDef, &Reservation)> = scopes
        .iter()
        .flat_map(|s| s.reservations.iter().map(move |r| (s, r)))
        .filter(|(_, r)| r.hw.is_some() || r.client_id.is_some())
        .collect();
    let now = super::now();
    let mut out = Vec::new();
    // Owned addresses in, indices out: a stream borrowing the scopes is not Send.
    let ips: Vec<(usize, std::net::Ipv4Addr)> = all
        .iter()
        .take(MAX_LEASE_CHECKS)
        .enumerate()
        .map(|(i, (_, r))| (i, r.ip))
        .collect();
    let mut leases = futures_util::stream::iter(ips)
        .map(|(i, ip)| {
            let c = c.clone();
            async move { (i, crate::kea::lease_at(&c, ip).await) }
        })
        .buffer_unordered(8);
    // The first failure ends the walk (a dead server must not cost a timeout per
    // reservation): dropping the stream cancels the lookups in flight.
    while let Some((i, lease)) = leases.next().await {
        let (s, r) = all[i];
        match lease {
            Ok(Some(l)) => out.extend(review::leased_by_another(s, r, &l, now)),
            Ok(None) => {}
            Err(e) => {
                out.push(Finding {
                    severity: Severity::Info,
                    check: "leases-unchecked",
                    scope: None,
                    ip: None,
                    text: format!("reservations not checked against leases: {e}"),
                });
                return out;
            }
        }
    }
    if all.len() > MAX_LEASE_CHECKS {
        out.push(Finding {
            severity: Severity::Info,
            check: "leases-unchecked",
            scope: None,
            ip: None,
            text: format!(
                "{} of {} reservations checked against leases; the rest were not (ddish \
                 ip show IP checks one)",
                MAX_LEASE_CHECKS,
                all.len()
            ),
        });
    }
    out
}

/// The configuration's findings, and the scopes they were read from (one parse).
fn reviewed(
    reply: &ConfigReply,
    stats: &HashMap<u32, ScopeStats>,
    t: &Thresholds,
) -> Result<(FileReview, Vec<ScopeDef>), KeaError> {
    let cfg = reply.model()?;
    let inherited = reply
        .outline()
        .map(|o| crate::kea::inherited_options(&o))
        .unwrap_or_default();
    let r = FileReview {
        scopes: cfg.scopes.len(),
        reservations: cfg.scopes.iter().map(|s| s.reservations.len()).sum(),
        skipped: cfg.skipped.clone(),
        findings: review::review_with(&cfg.scopes, stats, t, &inherited),
    };
    Ok((r, cfg.scopes))
}

/// What a configuration file's review read and found.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReview {
    pub scopes: usize,
    /// Reservations inside subnets (global ones have no scope to be checked against).
    pub reservations: usize,
    /// What could not be read (and so was not checked).
    pub skipped: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Reviews a Kea configuration file before it is deployed (`file` names it in errors):
/// every check but utilization and HA drift, which need running servers.
pub fn review_file(file: &str, text: &str, t: &Thresholds) -> Result<FileReview, OpError> {
    let reply = ConfigReply::from_file_text(file, text)?;
    Ok(reviewed(&reply, &HashMap::new(), t)?.0)
}
