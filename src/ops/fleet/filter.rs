//! Choosing and grouping servers by their fields and tags, and utilization alerts.
use crate::ops::Invalid;
use std::collections::BTreeMap;

use crate::config::{Config, ServerConfig};
use crate::model::{ScopeStatus, Thresholds, UtilBand, Utilization};

use super::*;

/// A filter on the server list: `key=value` on a field, or `tag=value` on the tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFilter {
    pub key: String,
    pub value: String,
}

impl ServerFilter {
    /// Parses `region=eu` (or `tag=lab`).
    pub fn parse(s: &str) -> Result<ServerFilter, Invalid> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok(ServerFilter {
                key: k.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(format!(
                "'{s}' is not a filter: write FIELD=VALUE, e.g. region=eu or tag=lab"
            )
            .into()),
        }
    }

    pub fn matches(&self, tags: &[String], fields: &BTreeMap<String, String>) -> bool {
        if self.key == "tag" || self.key == "tags" {
            return tags.iter().any(|t| t == &self.value);
        }
        fields.get(&self.key).is_some_and(|v| v == &self.value)
    }
}

/// The group label of a server for nested `keys` (e.g. region then site):
/// `["eu", "paris"]`; a missing field is "(none)". The key `tag` groups by the first tag.
pub fn group_path(
    keys: &[String],
    tags: &[String],
    fields: &BTreeMap<String, String>,
) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let v = if k == "tag" || k == "tags" {
                tags.first().cloned()
            } else {
                fields.get(k).cloned()
            };
            v.unwrap_or_else(|| "(none)".to_string())
        })
        .collect()
}

/// Statuses grouped by `keys` (nested, in sorted order of the group values).
pub fn group_statuses<'a>(
    rows: &'a [ServiceStatus],
    keys: &[String],
) -> BTreeMap<Vec<String>, Vec<&'a ServiceStatus>> {
    let mut out: BTreeMap<Vec<String>, Vec<&ServiceStatus>> = BTreeMap::new();
    for r in rows {
        out.entry(group_path(keys, &r.tags, &r.fields))
            .or_default()
            .push(r);
    }
    out
}

/// The configured servers that pass every filter.
pub fn filter_servers<'a>(cfg: &'a Config, filters: &[ServerFilter]) -> Vec<&'a ServerConfig> {
    cfg.servers
        .iter()
        .filter(|s| filters.iter().all(|f| f.matches(&s.tags, &s.fields)))
        .collect()
}

/// A scope over or under its utilization thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct UtilAlert {
    pub server: String,
    pub scope: ipnet::Ipv4Net,
    pub title: Option<String>,
    pub band: UtilBand,
    pub utilization: Utilization,
    /// How far past the threshold, in percentage points (always >= 0).
    pub distance: f64,
}

/// Active scopes outside their thresholds across the fleet, worst first: scopes over the
/// upper threshold before those under the lower one, each by distance from the threshold.
/// Scopes with no addresses to hand out are left out (nothing to be under).
pub fn utilization_alerts(rows: &[ServiceStatus], t: &Thresholds) -> Vec<UtilAlert> {
    let mut out = Vec::new();
    for r in rows {
        let Some(tree) = &r.tree else { continue };
        for s in &tree.scopes {
            if s.def.id == 0 || s.def.status != ScopeStatus::Active {
                continue;
            }
            let u = s.utilization();
            if u.total == 0 {
                continue;
            }
            let band = u.band(t);
            let distance = match band {
                UtilBand::Over => u.percent() - t.over,
                UtilBand::Under => t.under - u.percent(),
                UtilBand::Optimal => continue,
            };
            out.push(UtilAlert {
                server: r.name.clone(),
                scope: s.def.cidr,
                title: s.def.title.clone(),
                band,
                utilization: u,
                distance,
            });
        }
    }
    out.sort_by(|a, b| {
        let rank = |x: &UtilAlert| u8::from(x.band != UtilBand::Over);
        rank(a)
            .cmp(&rank(b))
            .then(b.distance.total_cmp(&a.distance))
            .then(a.server.cmp(&b.server))
            .then(a.scope.cmp(&b.scope))
    });
    out
}
