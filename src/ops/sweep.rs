//! Conflict detection (issue 13 item 5): every address of a scope pinged at a bounded rate,
//! the answers set beside DHCP's view. A sweep runs in steps of a few seconds each (the
//! console sends one job per step and shows progress between them; the CLI loops over
//! them), so a /16 at 50/s (22 minutes) never meets a job's time limit.
use std::time::Duration;

use ipnet::Ipv4Net;
use tokio::task::JoinSet;

use crate::model::sweep::{self, Sweep, SweepRow, ECHO_TIMEOUT};
use crate::probe::{PingError, Pinger};

use super::{OpError, Session};

/// Seconds of pinging per step.
pub const STEP_SECS: u64 = 4;

/// A finished sweep beside the scope's DHCP state, read after it.
#[derive(Clone, Debug)]
pub struct SweepReport {
    pub sweep: Sweep,
    /// Every pinged address, in order.
    pub rows: Vec<SweepRow>,
}

impl SweepReport {
    pub fn findings(&self) -> impl Iterator<Item = &SweepRow> {
        self.rows.iter().filter(|r| r.finding.is_some())
    }
}

fn ping_error(e: PingError) -> OpError {
    // The ping error already says how to fix missing rights (setcap / sysctl).
    OpError::Refused(e.to_string())
}

impl Session {
    /// Starts a sweep of `cidr` on `server` at `rate` pings per second, checked.
    pub fn sweep_start(&self, server: &str, cidr: Ipv4Net, rate: u32) -> Result<Sweep, OpError> {
        self.client(server)?;
        sweep::check_rate(rate).map_err(OpError::Refused)?;
        Ok(Sweep::new(server, cidr, rate))
    }

    /// One step of a sweep: the next [`STEP_SECS`] seconds' worth of addresses at its rate,
    /// one echo each, paced; returns where it stands with the answers added.
    pub async fn sweep_step(&self, mut sw: Sweep) -> Result<Sweep, OpError> {
        sweep::check_rate(sw.rate).map_err(OpError::Refused)?;
        let (ips, after) = sw.take(u64::from(sw.rate) * STEP_SECS);
        if ips.is_empty() {
            sw.next = after;
            return Ok(sw);
        }
        let pinger = Pinger::v4().map_err(ping_error)?;
        let mut tick = tokio::time::interval(sw.interval());
        // Behind schedule (a busy host): keep the pace, never a catch-up burst.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut echoes = JoinSet::new();
        for ip in &ips {
            tick.tick().await;
            let (p, ip) = (pinger.clone(), *ip);
            echoes.spawn(async move { (ip, p.echo(ip, ECHO_TIMEOUT).await) });
        }
        let mut failed = None;
        while let Some(done) = echoes.join_next().await {
            match done {
                Ok((ip, Ok(Some(rtt)))) => {
                    let us = u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX);
                    sw.answered.insert(ip, us);
                }
                Ok((_, Ok(None))) => {}
                // One address the kernel will not send to (a firewall rule, a broadcast
                // address) is an address that did not answer; the sweep goes on.
                Ok((ip, Err(PingError::Other(e)))) => {
                    tracing::info!(%ip, "echo not sent: {e}");
                }
                Ok((_, Err(e))) => failed = Some(ping_error(e)),
                Err(e) => failed = Some(OpError::Refused(format!("a ping task failed: {e}"))),
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        sw.sent += ips.len() as u64;
        sw.next = after;
        Ok(sw)
    }

    /// A whole sweep of a scope, step after step, each step's progress told through the
    /// session's notices; then the scope read again for the report.
    pub async fn sweep_scope(
        &self,
        server: &str,
        def: &crate::model::ScopeDef,
        rate: u32,
    ) -> Result<SweepReport, OpError> {
        let mut sw = self.sweep_start(server, def.cidr, rate)?;
        self.notice(&format!(
            "sweeping {} on {server}: {} addresses at {rate}/s, about {}",
            def.cidr,
            sw.total(),
            human(sw.estimate())
        ));
        while !sw.done() {
            sw = self.sweep_step(sw).await?;
            self.notice(&sw.progress());
        }
        let view = self.load_scope(server, def).await?;
        let rows = sweep::rows(&sw, &view);
        Ok(SweepReport { sweep: sw, rows })
    }
}

/// "6 s", "3 min 20 s".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_an_admin_says_them() {
        assert_eq!(human(Duration::from_millis(6_080)), "6 s");
        assert_eq!(human(Duration::from_secs(200)), "3 min 20 s");
    }
}
