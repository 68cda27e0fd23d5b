//! Ping and DNS records of one address.
use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;

use super::*;
use crate::ops::{OpError, Session};

impl Session {
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
        self.may(server, Role::Operator)?;
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
        self.may(server, Role::Operator)?;
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
}
