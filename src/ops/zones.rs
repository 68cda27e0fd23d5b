//! DNS zone health (issue 6 part 3): each configured zone asked for its SOA on every
//! server that should hold it, and one verdict across them: OK, serials differ (naming the
//! servers behind), some servers down, all down.
//!
//! The servers of a zone: its configured primary, every configured DNS server (those that
//! don't hold the zone are left out of the verdict), and the zone's NS records as its
//! primary answers them, each NS name resolved at the primary too. Each check says where
//! the server came from (config, NS or both).
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::config::{Config, ZoneConfig};
pub use crate::dns::{reverse_zone_for, DnsError, ZoneRecord};

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
    /// In the config: the zone's primary or a `[[dns.server]]`.
    pub from_config: bool,
    /// Named by one of the zone's NS records.
    pub from_ns: bool,
    /// The NS name it was found under, when `from_ns`.
    pub ns_name: Option<String>,
}

impl ZoneServerCheck {
    pub fn role_label(&self) -> &'static str {
        if self.primary {
            "primary"
        } else {
            "secondary"
        }
    }

    /// Where ddish learnt of this server: `config`, `NS` or `config+NS`.
    pub fn source_label(&self) -> &'static str {
        match (self.from_config, self.from_ns) {
            (true, true) => "config+NS",
            (false, true) => "NS",
            _ => "config",
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
    /// The zone's NS names as its primary answered them (lower case, no trailing dot).
    pub ns: Vec<String>,
    /// What went wrong reading the NS records or resolving an NS name (the zone's servers
    /// from the config are still checked).
    pub ns_problems: Vec<String>,
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

/// A server to ask about a zone, before asking.
#[derive(Clone, Debug, PartialEq)]
struct Target {
    name: String,
    addr: SocketAddr,
    primary: bool,
    from_config: bool,
    ns_name: Option<String>,
}

/// The configured servers to ask about `zone`: its primary, then every `[[dns.server]]`.
fn config_targets(cfg: &Config, zone: &ZoneConfig) -> Vec<Target> {
    let name_of = |a: SocketAddr| {
        cfg.dns
            .servers
            .iter()
            .find(|s| s.addr == a)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| a.to_string())
    };
    let mut out = vec![Target {
        name: name_of(zone.primary),
        addr: zone.primary,
        primary: true,
        from_config: true,
        ns_name: None,
    }];
    for s in &cfg.dns.servers {
        if s.addr != zone.primary {
            out.push(Target {
                name: s.name.clone(),
                addr: s.addr,
                primary: false,
                from_config: true,
                ns_name: None,
            });
        }
    }
    out
}

/// Adds the NS servers to `targets`. An NS name is the configured server of that name
/// (the whole name or its first label: `ns2.example.test` is `ns2`); else an address it
/// resolves to is the configured server at that address (when only one has it), else a
/// new server at that address on the primary's port (53 in the normal case; the lab's
/// servers all share one non-standard port scheme).
fn add_ns_targets(
    cfg: &Config,
    zone: &ZoneConfig,
    targets: &mut Vec<Target>,
    ns: &[(String, Vec<IpAddr>)],
) {
    let mark = |targets: &mut Vec<Target>, t: Target| match targets
        .iter_mut()
        .find(|x| x.addr == t.addr)
    {
        Some(x) => {
            if x.ns_name.is_none() {
                x.ns_name = t.ns_name;
            }
        }
        None => targets.push(t),
    };
    for (name, addrs) in ns {
        let label = name.split('.').next().unwrap_or(name);
        let by_name = cfg
            .dns
            .servers
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name) || s.name.eq_ignore_ascii_case(label));
        if let Some(s) = by_name {
            let t = Target {
                name: s.name.clone(),
                addr: s.addr,
                primary: s.addr == zone.primary,
                from_config: true,
                ns_name: Some(name.clone()),
            };
            mark(targets, t);
            continue;
        }
        for ip in addrs {
            let same_ip: Vec<_> = cfg
                .dns
                .servers
                .iter()
                .filter(|s| s.addr.ip() == *ip)
                .collect();
            let t = match same_ip.as_slice() {
                [one] => Target {
                    name: one.name.clone(),
                    addr: one.addr,
                    primary: one.addr == zone.primary,
                    from_config: true,
                    ns_name: Some(name.clone()),
                },
                _ => {
                    let addr = SocketAddr::new(*ip, zone.primary.port());
                    Target {
                        name: name.clone(),
                        addr,
                        primary: addr == zone.primary,
                        from_config: addr == zone.primary,
                        ns_name: Some(name.clone()),
                    }
                }
            };
            mark(targets, t);
        }
    }
}

/// The zone's NS names as `server` answers them (no recursion, unsigned).
async fn query_ns(
    server: SocketAddr,
    zone: &str,
    timeout: Duration,
) -> Result<Vec<String>, String> {
    use hickory_client::client::{Client, ClientHandle};
    use hickory_client::proto::rr::{DNSClass, Name, RData, RecordType};
    use hickory_client::proto::runtime::TokioRuntimeProvider;
    use hickory_client::proto::udp::UdpClientStream;
    let qname = Name::from_ascii(format!("{zone}."))
        .map_err(|e| format!("\"{zone}\" is not a valid zone name: {e}"))?;
    let ask = async {
        let stream = UdpClientStream::builder(server, TokioRuntimeProvider::new())
            .with_timeout(Some(timeout))
            .build();
        let (mut client, bg) = Client::connect(stream).await.map_err(|e| e.to_string())?;
        // Ends by itself once the client is dropped.
        tokio::spawn(bg);
        client
            .query(qname, DNSClass::IN, RecordType::NS)
            .await
            .map_err(|e| e.to_string())
    };
    let reply = tokio::time::timeout(timeout + Duration::from_millis(200), ask)
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs_f64()))?
        .map_err(|e| format!("NS query failed: {e}"))?;
    let mut names: Vec<String> = reply
        .answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::NS(ns) => Some(ns.0.to_ascii().trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Each NS name with its addresses (A and AAAA), asked at the primary; problems in words.
async fn resolve_ns(
    primary: SocketAddr,
    zone: &str,
    timeout: Duration,
) -> (Vec<String>, Vec<(String, Vec<IpAddr>)>, Vec<String>) {
    use crate::dns::{lookup, LookupType};
    let names = match query_ns(primary, zone, timeout).await {
        Ok(n) => n,
        Err(e) => {
            return (
                Vec::new(),
                Vec::new(),
                vec![format!("NS records of {zone} from {primary}: {e}")],
            )
        }
    };
    let resolved = futures_util::future::join_all(names.iter().map(|n| async move {
        let (a, aaaa) = tokio::join!(
            lookup(primary, n, LookupType::A, timeout),
            lookup(primary, n, LookupType::Aaaa, timeout)
        );
        (n.clone(), a, aaaa)
    }))
    .await;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (n, a, aaaa) in resolved {
        let mut addrs: Vec<IpAddr> = Vec::new();
        let mut errs = Vec::new();
        for r in [a, aaaa] {
            match r {
                Ok(list) => addrs.extend(list.iter().filter_map(|x| x.parse::<IpAddr>().ok())),
                Err(e) => errs.push(e.to_string()),
            }
        }
        if addrs.is_empty() {
            problems.push(if errs.is_empty() {
                format!(
                    "NS {n} of {zone} has no A or AAAA record at the primary {primary}: it can't be checked (glue or record missing?)"
                )
            } else {
                format!("NS {n} of {zone}: cannot resolve it at {primary}: {}", errs.join("; "))
            });
        }
        out.push((n, addrs));
    }
    (names, out, problems)
}

async fn check_one(zone: &str, t: Target, timeout: Duration) -> ZoneServerCheck {
    let Target {
        name,
        addr,
        primary,
        from_config,
        ns_name,
    } = t;
    let mut c = ZoneServerCheck {
        name,
        addr,
        primary,
        reachable: false,
        authoritative: false,
        serial: None,
        rtt_ms: None,
        error: None,
        from_config,
        from_ns: ns_name.is_some(),
        ns_name,
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

/// The verdict from the per-server checks. A configured server that answers without
/// holding the zone is not one of its servers and is left out; the primary or a server the
/// zone's NS records name counts as down when it does so.
pub fn verdict(checks: &[ZoneServerCheck]) -> ZoneStatus {
    let relevant: Vec<&ZoneServerCheck> = checks
        .iter()
        .filter(|c| c.primary || c.from_ns || !c.reachable || c.authoritative)
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

/// One zone on all its servers: the configured ones are asked while the NS records are
/// read (so a dead primary costs one timeout, not two), then the servers only NS names.
pub async fn zone_health(cfg: &Config, zone: &ZoneConfig, timeout: Duration) -> ZoneHealth {
    let name = zone.name.trim_end_matches('.').to_string();
    let configured = config_targets(cfg, zone);
    let (mut checks, (ns, resolved, ns_problems)) = tokio::join!(
        futures_util::future::join_all(
            configured
                .iter()
                .cloned()
                .map(|t| check_one(&name, t, timeout))
        ),
        resolve_ns(zone.primary, &name, timeout)
    );
    let mut targets = configured;
    add_ns_targets(cfg, zone, &mut targets, &resolved);
    let mut extra = Vec::new();
    for t in targets {
        match checks.iter_mut().find(|c| c.addr == t.addr) {
            Some(c) => {
                c.from_ns = t.ns_name.is_some();
                c.ns_name = t.ns_name;
            }
            None => extra.push(t),
        }
    }
    checks.extend(
        futures_util::future::join_all(extra.into_iter().map(|t| check_one(&name, t, timeout)))
            .await,
    );
    let at = now();
    ZoneHealth {
        kind: ZoneKind::of(&name),
        status: verdict(&checks),
        zone: name,
        servers: checks,
        checked_at: at,
        ns,
        ns_problems,
        since: at,
    }
}

/// Every configured zone, forward zones first, then IPv4 and IPv6 reverse, each by name.
pub async fn zones_health(cfg: &Config, concurrency: usize) -> Vec<ZoneHealth> {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let futs: Vec<_> = cfg
        .dns
        .zones
        .iter()
        .map(|z| zone_health(cfg, z, timeout))
        .collect();
    let mut out: Vec<ZoneHealth> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.zone.cmp(&b.zone)));
    out
}

/// Every record of `zone` by AXFR from its primary (the zone detail screen, `ddish dns
/// records`).
pub async fn zone_records(
    zone: &ZoneConfig,
    timeout: Duration,
) -> Result<Vec<ZoneRecord>, DnsError> {
    crate::dns::axfr(zone, timeout).await
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
            from_config: true,
            from_ns: false,
            ns_name: None,
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
