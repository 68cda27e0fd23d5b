//! DNS zone health (issue 6 part 3): each configured zone asked for its SOA on every
//! server that should hold it, and one verdict across them: OK, serials differ (naming the
//! servers behind), some servers down, all down.
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::config::{Config, ZoneConfig};

use super::fleet::dns_answered;
use super::now;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ZoneKind {
    Forward,
    Ipv4Reverse,
    Ipv6Reverse,
}

impl ZoneKind {
    pub fn of(zone: &str) -> ZoneKind {
        let z = zone.trim_end_matches('.').to_ascii_lowercase();
        if z == "in-addr.arpa" || z.ends_with(".in-addr.arpa") {
            ZoneKind::Ipv4Reverse
        } else if z == "ip6.arpa" || z.ends_with(".ip6.arpa") {
            ZoneKind::Ipv6Reverse
        } else {
            ZoneKind::Forward
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ZoneKind::Forward => "forward",
            ZoneKind::Ipv4Reverse => "IPv4 reverse",
            ZoneKind::Ipv6Reverse => "IPv6 reverse",
        }
    }
}

/// One server's answer for one zone.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneServerCheck {
    /// The configured DNS server's name, or the address when it is not in `[[dns.server]]`.
    pub name: String,
    pub addr: SocketAddr,
    /// The zone's configured primary (where updates go); the others are secondaries as far
    /// as ddish knows.
    pub primary: bool,
    pub reachable: bool,
    /// Answered with the AA bit and a SOA: it really serves the zone.
    pub authoritative: bool,
    pub serial: Option<u32>,
    pub rtt_ms: Option<f64>,
    pub error: Option<String>,
}

impl ZoneServerCheck {
    pub fn role_label(&self) -> &'static str {
        if self.primary {
            "primary"
        } else {
            "secondary"
        }
    }
}

/// The verdict across a zone's servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneStatus {
    Ok,
    /// Every server answers, but these have an older serial than the newest.
    SerialsDiffer {
        lagging: Vec<String>,
    },
    /// These servers don't answer for the zone (or the primary answers without holding it).
    SomeDown {
        down: Vec<String>,
    },
    AllDown,
}

impl ZoneStatus {
    pub fn is_ok(&self) -> bool {
        *self == ZoneStatus::Ok
    }

    pub fn label(&self) -> &'static str {
        match self {
            ZoneStatus::Ok => "OK",
            ZoneStatus::SerialsDiffer { .. } => "serials differ",
            ZoneStatus::SomeDown { .. } => "some servers down",
            ZoneStatus::AllDown => "all down",
        }
    }
}

impl std::fmt::Display for ZoneStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZoneStatus::Ok | ZoneStatus::AllDown => f.write_str(self.label()),
            ZoneStatus::SerialsDiffer { lagging } => {
                write!(f, "serials differ ({} behind)", lagging.join(", "))
            }
            ZoneStatus::SomeDown { down } => {
                write!(f, "some servers down ({})", down.join(", "))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ZoneHealth {
    pub zone: String,
    pub kind: ZoneKind,
    pub servers: Vec<ZoneServerCheck>,
    pub status: ZoneStatus,
    pub checked_at: i64,
    /// Epoch seconds since the zone has had this status: `checked_at` unless a
    /// [`StateClock`](super::fleet::StateClock) kept across refreshes says otherwise
    /// (see [`track_since`]).
    pub since: i64,
}

/// Fills in each zone's `since` from `clock`, which the caller keeps across refreshes.
pub fn track_since(clock: &mut super::fleet::StateClock, zones: &mut [ZoneHealth]) {
    for z in zones {
        z.since = clock.observe(&z.zone, &z.status.to_string(), z.checked_at);
    }
}

/// The servers to ask about `zone`: its primary, then every configured DNS server.
fn zone_servers(cfg: &Config, zone: &ZoneConfig) -> Vec<(String, SocketAddr, bool)> {
    let name_of = |a: SocketAddr| {
        cfg.dns
            .servers
            .iter()
            .find(|s| s.addr == a)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| a.to_string())
    };
    let mut out = vec![(name_of(zone.primary), zone.primary, true)];
    for s in &cfg.dns.servers {
        if s.addr != zone.primary {
            out.push((s.name.clone(), s.addr, false));
        }
    }
    out
}

async fn check_one(
    zone: &str,
    name: String,
    addr: SocketAddr,
    primary: bool,
    timeout: Duration,
) -> ZoneServerCheck {
    let mut c = ZoneServerCheck {
        name,
        addr,
        primary,
        reachable: false,
        authoritative: false,
        serial: None,
        rtt_ms: None,
        error: None,
    };
    match crate::dns::query_soa_serial(addr, zone, timeout).await {
        Ok((serial, rtt, aa)) => {
            c.reachable = true;
            c.authoritative = aa;
            c.serial = Some(serial);
            c.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
            if !aa {
                c.error = Some(format!(
                    "{addr} answered for {zone} without authority: it does not hold the zone"
                ));
            }
        }
        Err(e) => {
            c.reachable = dns_answered(&e);
            c.error = Some(e.to_string());
        }
    }
    c
}

/// Whether serial `a` is older than `b` in RFC 1982 serial arithmetic.
fn serial_older(a: u32, b: u32) -> bool {
    a != b && (b.wrapping_sub(a) as i32) > 0
}

/// The verdict from the per-server checks. A secondary that answers without holding the
/// zone is not one of its servers and is left out; a primary that does so counts as down.
pub fn verdict(checks: &[ZoneServerCheck]) -> ZoneStatus {
    let relevant: Vec<&ZoneServerCheck> = checks
        .iter()
        .filter(|c| c.primary || !c.reachable || c.authoritative)
        .collect();
    let up: Vec<&&ZoneServerCheck> = relevant
        .iter()
        .filter(|c| c.reachable && c.authoritative)
        .collect();
    if up.is_empty() {
        return ZoneStatus::AllDown;
    }
    let down: Vec<String> = relevant
        .iter()
        .filter(|c| !(c.reachable && c.authoritative))
        .map(|c| c.name.clone())
        .collect();
    if !down.is_empty() {
        return ZoneStatus::SomeDown { down };
    }
    let newest = up
        .iter()
        .filter_map(|c| c.serial)
        .reduce(|a, b| if serial_older(a, b) { b } else { a });
    let lagging: Vec<String> = up
        .iter()
        .filter(|c| matches!((c.serial, newest), (Some(s), Some(n)) if serial_older(s, n)))
        .map(|c| c.name.clone())
        .collect();
    if lagging.is_empty() {
        ZoneStatus::Ok
    } else {
        ZoneStatus::SerialsDiffer { lagging }
    }
}

/// One zone on all its servers, asked at once.
pub async fn zone_health(cfg: &Config, zone: &ZoneConfig, timeout: Duration) -> ZoneHealth {
    let name = zone.name.trim_end_matches('.').to_string();
    let checks = futures_util::future::join_all(
        zone_servers(cfg, zone)
            .into_iter()
            .map(|(n, a, p)| check_one(&name, n, a, p, timeout)),
    )
    .await;
    let at = now();
    ZoneHealth {
        kind: ZoneKind::of(&name),
        status: verdict(&checks),
        zone: name,
        servers: checks,
        checked_at: at,
        since: at,
    }
}

/// Every configured zone, forward zones first, then IPv4 and IPv6 reverse, each by name.
pub async fn zones_health(cfg: &Config, concurrency: usize) -> Vec<ZoneHealth> {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let mut out: Vec<ZoneHealth> = stream::iter(cfg.dns.zones.iter())
        .map(|z| zone_health(cfg, z, timeout))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.zone.cmp(&b.zone)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, primary: bool, up: bool, aa: bool, serial: u32) -> ZoneServerCheck {
        ZoneServerCheck {
            name: name.into(),
            addr: "127.0.0.1:53".parse().unwrap(),
            primary,
            reachable: up,
            authoritative: aa,
            serial: up.then_some(serial),
            rtt_ms: None,
            error: None,
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(ZoneKind::of("example.test"), ZoneKind::Forward);
        assert_eq!(ZoneKind::of("0.10.10.in-addr.arpa."), ZoneKind::Ipv4Reverse);
        assert_eq!(
            ZoneKind::of("8.b.d.0.1.0.0.2.ip6.arpa"),
            ZoneKind::Ipv6Reverse
        );
    }

    #[test]
    fn verdicts() {
        assert_eq!(
            verdict(&[c("a", true, true, true, 5), c("b", false, true, true, 5)]),
            ZoneStatus::Ok
        );
        assert_eq!(
            verdict(&[c("a", true, true, true, 6), c("b", false, true, true, 5)]),
            ZoneStatus::SerialsDiffer {
                lagging: vec!["b".into()]
            }
        );
        // Wrap-around: 1 is newer than u32::MAX.
        assert_eq!(
            verdict(&[
                c("a", true, true, true, u32::MAX),
                c("b", false, true, true, 1)
            ]),
            ZoneStatus::SerialsDiffer {
                lagging: vec!["a".into()]
            }
        );
        assert_eq!(
            verdict(&[c("a", true, true, true, 6), c("b", false, false, false, 0)]),
            ZoneStatus::SomeDown {
                down: vec!["b".into()]
            }
        );
        assert_eq!(
            verdict(&[c("a", true, false, false, 0)]),
            ZoneStatus::AllDown
        );
        // A secondary that doesn't hold the zone is not one of its servers.
        assert_eq!(
            verdict(&[c("a", true, true, true, 6), c("b", false, true, false, 1)]),
            ZoneStatus::Ok
        );
    }
}
