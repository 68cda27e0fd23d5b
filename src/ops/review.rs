//! `ddish review`: every configured server's scopes checked (`model::review`), and each
//! HA pair compared subnet by subnet.
use crate::model::review::{self, Finding, Severity};

use super::Session;

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
                    let cfg = reply.model().map_err(|e| e.to_string())?;
                    let inherited = reply
                        .outline()
                        .map(|o| crate::kea::inherited_options(&o))
                        .unwrap_or_default();
                    // Without stat_cmds the utilization check is left out, nothing else.
                    let stats = stats.unwrap_or_default();
                    Ok(review::review_with(&cfg.scopes, &stats, &t, &inherited))
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
