//! Exclusions: addresses taken out of (or put back into) a scope's pools on every peer,
//! through the safe config write.
use std::net::Ipv4Addr;

use serde_json::json;

use crate::kea::{self};
use crate::model::alloc::{exclude_from_pools, include_in_pools};
use crate::model::{Range, ScopeDef};

use super::*;
use crate::ops::now;
use crate::ops::{OpError, Session};

impl Session {
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
        let _lock = self.writing(server, Role::Admin, "exclude").await?;
        let r = Self::exclusion_range(scope, start, end)?;
        let peers = self.peers(server).await?;
        // A hosts database's reservations count as the config file's.
        let full = self.with_peer_reservations(&peers, scope).await?;
        if let Some(res) = full
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
        let views = Self::views_of(&peers, &full).await?;
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
        let _lock = self.writing(server, Role::Admin, "unexclude").await?;
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
}
