//! The DNS half of a search: PTR and A lookups of exact terms, and the names and addresses
//! only a zone transfer of the configured zones can tell.
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::config::Config;
use crate::dns::LookupType;
use crate::model::search::ptr_ipv4;

use super::{SearchHit, SearchResult, Term};

fn in_zone(name: &str, zone: &str) -> bool {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// DNS records for the term on the configured zones' primaries: the PTR of an address and
/// the A records of a hostname by lookup; then, by zone transfer, every name containing a
/// hostname term and every A / PTR record whose address is in an address or range term.
pub async fn search_dns(
    cfg: &Config,
    term: &Term,
    timeout: Duration,
) -> (Vec<SearchHit>, Vec<(String, String)>) {
    let mut res = SearchResult::default();
    // A DNS server is named as the config names it (as the status screen does), else by
    // its address.
    let label = |addr: std::net::SocketAddr| {
        cfg.dns
            .servers
            .iter()
            .find(|s| s.addr == addr)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| addr.to_string())
    };
    let record =
        |server: std::net::SocketAddr, ip: Option<IpAddr>, what: &str, detail: String| SearchHit {
            server: label(server),
            scope: None,
            ip,
            matched: what.into(),
            state: "record".into(),
            detail,
        };
    if let Term::Ip(ip) = term {
        let ip = IpAddr::V4(*ip);
        if let Some(z) = crate::dns::reverse_zone_for(&cfg.dns, ip) {
            let name = crate::dns::ptr_name(ip);
            match crate::dns::lookup(z.primary, &name, LookupType::Ptr, timeout).await {
                Ok(v) => res.add(v.into_iter().map(|target| {
                    record(
                        z.primary,
                        Some(ip),
                        "DNS PTR",
                        format!("{name} PTR {target}"),
                    )
                })),
                Err(e) => res.errors.push((label(z.primary), e.to_string())),
            }
        }
    }
    if let Some(h) = term.host() {
        let mut names: Vec<(String, std::net::SocketAddr)> = Vec::new();
        for z in cfg.dns.zones.iter().filter(|z| !z.name.ends_with(".arpa")) {
            let fqdn = if in_zone(h, &z.name) {
                h.to_string()
            } else if !h.contains('.') {
                format!("{h}.{}", z.name.trim_end_matches('.'))
            } else {
                continue;
            };
            if !names.contains(&(fqdn.clone(), z.primary)) {
                names.push((fqdn, z.primary));
            }
        }
        for (fqdn, server) in names {
            match crate::dns::lookup(server, &fqdn, LookupType::A, timeout).await {
                Ok(v) => res.add(
                    v.into_iter()
                        .map(|a| record(server, a.parse().ok(), "DNS A", format!("{fqdn} A {a}"))),
                ),
                Err(e) => res.errors.push((label(server), e.to_string())),
            }
        }
    }
    // Partial names and addresses: what only a zone's whole content can tell.
    let transfer = matches!(term, Term::Ip(_) | Term::Range { .. })
        || matches!(term, Term::Partial { host: Some(_), .. });
    if transfer {
        for z in &cfg.dns.zones {
            let reverse = z.name.trim_end_matches('.').ends_with(".arpa");
            if reverse && term.ips().is_none() {
                continue;
            }
            let records = match crate::dns::axfr(z, timeout).await {
                Ok(r) => r,
                Err(e) => {
                    res.errors
                        .push((label(z.primary), format!("zone {}: {e}", z.name)));
                    continue;
                }
            };
            for r in records {
                let hit = match r.rtype.as_str() {
                    "A" => {
                        let a = r.data.parse::<Ipv4Addr>().ok();
                        let by_ip = a.is_some_and(|a| term.record_ip_matches(a));
                        (by_ip || term.name_matches(&r.name)).then(|| (a.map(IpAddr::V4), "DNS A"))
                    }
                    "AAAA" => term
                        .name_matches(&r.name)
                        .then(|| (r.data.parse().ok(), "DNS AAAA")),
                    "PTR" => {
                        let a = ptr_ipv4(&r.name);
                        let by_ip = a.is_some_and(|a| term.record_ip_matches(a));
                        (by_ip || term.name_matches(r.data.trim_end_matches('.')))
                            .then(|| (a.map(IpAddr::V4), "DNS PTR"))
                    }
                    _ => None,
                };
                if let Some((ip, what)) = hit {
                    let data = r.data.trim_end_matches('.');
                    res.add([record(
                        z.primary,
                        ip,
                        what,
                        format!("{} {} {data}", r.name, r.rtype),
                    )]);
                }
            }
        }
    }
    (res.hits, res.errors)
}

/// The term in DNS on the configured zones' primaries, with the usual DNS time limit.
pub async fn search_dns_zones(cfg: &Config, term: &Term) -> SearchResult {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let (hits, errors) = search_dns(cfg, term, timeout).await;
    SearchResult {
        hits,
        errors,
        walks: Vec::new(),
    }
}

/// The names of one address by lookups alone (the IP popup, opened often): its PTR
/// records, each confirmed by an A lookup of the name in the configured zone holding it.
/// No zone transfer: a name with an A record but no PTR is found by `find` instead.
pub async fn dns_names(cfg: &Config, ip: Ipv4Addr) -> SearchResult {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let mut res = SearchResult::default();
    let addr = IpAddr::V4(ip);
    let Some(rev) = crate::dns::reverse_zone_for(&cfg.dns, addr) else {
        return res;
    };
    let hit = |what: &str, detail: String| SearchHit {
        server: rev.primary.to_string(),
        scope: None,
        ip: Some(addr),
        matched: what.into(),
        state: "record".into(),
        detail,
    };
    let name = crate::dns::ptr_name(addr);
    let targets = match crate::dns::lookup(rev.primary, &name, LookupType::Ptr, timeout).await {
        Ok(t) => t,
        Err(e) => {
            res.errors.push((rev.primary.to_string(), e.to_string()));
            return res;
        }
    };
    for target in targets {
        res.add([hit("DNS PTR", format!("{name} PTR {target}"))]);
        let fwd = cfg
            .dns
            .zones
            .iter()
            .filter(|z| {
                !z.name.ends_with(".arpa") && in_zone(&target.to_ascii_lowercase(), &z.name)
            })
            .max_by_key(|z| z.name.len());
        if let Some(z) = fwd {
            if let Ok(a) = crate::dns::lookup(z.primary, &target, LookupType::A, timeout).await {
                if a.iter().any(|x| x == &ip.to_string()) {
                    res.add([hit("DNS A", format!("{target} A {ip}"))]);
                }
            }
        }
    }
    res
}
