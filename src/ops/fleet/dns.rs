//! DNS servers: answering or not.
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::config::Config;

use crate::ops::now;

/// One DNS server after a check.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsStatus {
    pub name: String,
    pub addr: SocketAddr,
    pub answering: bool,
    /// Round-trip time of the check query, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// The zone whose SOA was asked (one it should hold), or "." when none is configured.
    pub zone: String,
    pub checked_at: i64,
    pub error: Option<String>,
}

/// Whether a DNS error still proves the server answered (it replied, just not as hoped).
pub(crate) fn dns_answered(e: &crate::dns::DnsError) -> bool {
    use crate::dns::DnsError as D;
    !matches!(
        e,
        D::Timeout { .. } | D::Unreachable { .. } | D::Other(_) | D::BadInput(_)
    )
}

/// Asks one DNS server for the SOA of a zone it should hold.
pub async fn dns_status(
    cfg: &Config,
    name: &str,
    addr: SocketAddr,
    timeout: Duration,
) -> DnsStatus {
    // A zone whose primary is this server, else any configured zone, else the root.
    let zone = cfg
        .dns
        .zones
        .iter()
        .find(|z| z.primary == addr)
        .or_else(|| cfg.dns.zones.first())
        .map(|z| z.name.clone())
        .unwrap_or_else(|| ".".to_string());
    let started = std::time::Instant::now();
    let res = crate::dns::query_soa_serial(addr, &zone, timeout).await;
    let mut st = DnsStatus {
        name: name.to_string(),
        addr,
        answering: false,
        rtt_ms: None,
        zone,
        checked_at: now(),
        error: None,
    };
    match res {
        Ok((_, rtt, _)) => {
            st.answering = true;
            st.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
        }
        Err(e) => {
            st.answering = dns_answered(&e);
            if st.answering {
                st.rtt_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            }
            st.error = Some(e.to_string());
        }
    }
    st
}

/// Every configured DNS server (`[[dns.server]]`), at most `concurrency` at a time.
pub async fn dns_status_all(cfg: &Config, concurrency: usize) -> Vec<DnsStatus> {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let futs: Vec<_> = cfg
        .dns
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| async move { (i, dns_status(cfg, &s.name, s.addr, timeout).await) })
        .collect();
    let mut out: Vec<(usize, DnsStatus)> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}
