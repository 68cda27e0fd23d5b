//! Fleet-wide search (issue 6 part 5): an IP, MAC, hostname or client ID looked up in every
//! server's leases (holds and claims included), reservations and in DNS.
//!
//! Leases are asked for by key (lease4-get, lease4-get-by-hw-address, -by-client-id,
//! -by-hostname): never a lease dump. Reservations come from each server's configuration.
use crate::ops::Invalid;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::config::Config;
use crate::dns::LookupType;
use crate::model::lease::{hex_colon, parse_hex_bytes};
use crate::model::scope::lease_state;
use crate::model::{Lease, Reservation, ServerTree};

use super::{now, OpError, Session};

/// What the search term is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Ip(Ipv4Addr),
    /// Six hex bytes: a MAC, though it is also tried as a client ID.
    Mac(String),
    ClientId(String),
    Hostname(String),
}

impl Term {
    /// Classifies user input: an IPv4 address, hex bytes with separators (six: MAC, else
    /// client ID), or a hostname.
    pub fn parse(s: &str) -> Result<Term, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err("nothing to search for: give an IP, MAC, hostname or client ID".into());
        }
        if let Ok(ip) = s.parse::<Ipv4Addr>() {
            return Ok(Term::Ip(ip));
        }
        let hexlike =
            s.contains([':', '-']) || (s.len() == 12 && s.chars().all(|c| c.is_ascii_hexdigit()));
        if hexlike {
            if let Some(b) = parse_hex_bytes(s) {
                return Ok(match b.len() {
                    6 => Term::Mac(hex_colon(&b)),
                    n if n >= 2 => Term::ClientId(hex_colon(&b)),
                    _ => return Err(format!("'{s}' is too short for a MAC or client ID").into()),
                });
            }
        }
        let h = s.trim_end_matches('.').to_ascii_lowercase();
        crate::dns::validate_hostname(&h).map_err(|e| {
            format!("'{s}' is not an IPv4 address, MAC, client ID or hostname: {e}")
        })?;
        Ok(Term::Hostname(h))
    }
}

/// One place the term was found.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// The DHCP server, or the DNS server (address) for DNS records.
    pub server: String,
    pub scope: Option<ipnet::Ipv4Net>,
    pub ip: Option<IpAddr>,
    /// What matched: "lease ip", "lease mac", "reservation hostname", "DNS A", ...
    pub matched: String,
    /// The address's state (assigned, held, claimed, reserved, ...) or "record".
    pub state: String,
    /// The other identifiers of what was found (MAC, hostname, record data).
    pub detail: String,
}

/// Hits, plus the servers that could not be searched.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
    /// (server, message)
    pub errors: Vec<(String, String)>,
}

fn scope_of(tree: &ServerTree, ip: Ipv4Addr) -> Option<ipnet::Ipv4Net> {
    tree.scopes
        .iter()
        .map(|s| s.def.cidr)
        .filter(|c| c.contains(&ip))
        .max_by_key(|c| c.prefix_len())
}

fn same_hex(a: &str, b: &str) -> bool {
    matches!((parse_hex_bytes(a), parse_hex_bytes(b)), (Some(x), Some(y)) if !x.is_empty() && x == y)
}

/// A hostname matches when equal, or when one is the other's first label.
fn same_host(stored: &str, term: &str) -> bool {
    let s = stored.trim_end_matches('.').to_ascii_lowercase();
    s == term || s.split('.').next() == Some(term) || term.split('.').next() == Some(s.as_str())
}

fn reservation_match(r: &Reservation, term: &Term) -> Option<&'static str> {
    match term {
        Term::Ip(ip) => (r.ip == *ip).then_some("reservation ip"),
        Term::Mac(m) => {
            if r.hw.as_deref().is_some_and(|h| same_hex(h, m)) {
                Some("reservation mac")
            } else if r.client_id.as_deref().is_some_and(|c| same_hex(c, m)) {
                Some("reservation client-id")
            } else {
                None
            }
        }
        Term::ClientId(c) => r
            .client_id
            .as_deref()
            .is_some_and(|x| same_hex(x, c))
            .then_some("reservation client-id"),
        Term::Hostname(h) => r
            .hostname
            .as_deref()
            .is_some_and(|x| same_host(x, h))
            .then_some("reservation hostname"),
    }
}

fn lease_detail(l: &Lease) -> String {
    let mut parts = Vec::new();
    if !l.hw.is_none() {
        parts.push(format!("mac {}", l.hw));
    }
    if let Some(c) = &l.client_id {
        parts.push(format!("client-id {}", hex_colon(c)));
    }
    if let Some(h) = &l.hostname {
        parts.push(format!("hostname {h}"));
    }
    parts.join(", ")
}

/// Turns a lease command's `arguments` into leases with the crate's lease reader.
fn leases_from(args: Option<Value>) -> Result<Vec<Lease>, OpError> {
    let Some(args) = args else {
        return Ok(Vec::new());
    };
    // lease4-get answers one lease; the -by-* commands a list.
    let list = if args.get("leases").is_some() {
        args
    } else {
        json!({ "leases": [args] })
    };
    let body = serde_json::to_vec(&json!([{ "result": 0, "arguments": list }]))
        .map_err(|e| OpError::Refused(format!("cannot re-read a lease reply: {e}")))?;
    Ok(crate::kea::parse_leases(&body)?)
}

/// Leases on one server matching the term.
async fn lease_hits(
    session: &Session,
    server: &str,
    term: &Term,
) -> Result<Vec<(Lease, &'static str)>, OpError> {
    let c = session.client(server)?;
    let queries: Vec<(&str, Value, &'static str)> = match term {
        Term::Ip(ip) => vec![(
            "lease4-get",
            json!({"ip-address": ip.to_string()}),
            "lease ip",
        )],
        Term::Mac(m) => vec![
            (
                "lease4-get-by-hw-address",
                json!({"hw-address": m}),
                "lease mac",
            ),
            (
                "lease4-get-by-client-id",
                json!({"client-id": m}),
                "lease client-id",
            ),
        ],
        Term::ClientId(id) => vec![(
            "lease4-get-by-client-id",
            json!({"client-id": id}),
            "lease client-id",
        )],
        Term::Hostname(h) => {
            let mut v = vec![(
                "lease4-get-by-hostname",
                json!({"hostname": h}),
                "lease hostname",
            )];
            // Kea matches the stored hostname exactly: try the bare label too.
            if let Some((first, _)) = h.split_once('.') {
                v.push((
                    "lease4-get-by-hostname",
                    json!({"hostname": first}),
                    "lease hostname",
                ));
            }
            v
        }
    };
    let mut out: Vec<(Lease, &'static str)> = Vec::new();
    for (cmd, args, what) in queries {
        let r = c.call(cmd, Some(args)).await?;
        if r.is_empty() {
            continue;
        }
        for l in leases_from(r.arguments)? {
            if !out.iter().any(|(x, _)| x.ip == l.ip) {
                out.push((l, what));
            }
        }
    }
    Ok(out)
}

/// Searches one DHCP server: its reservations (from the config) and its leases.
pub async fn search_server(
    session: &Session,
    server: &str,
    term: &Term,
) -> Result<Vec<SearchHit>, OpError> {
    let data = session.load_server_as(server, false).await?;
    let mut hits = Vec::new();
    for s in &data.tree.scopes {
        for r in &s.def.reservations {
            if let Some(what) = reservation_match(r, term) {
                let mut detail = Vec::new();
                if let Some(h) = &r.hw {
                    detail.push(format!("mac {h}"));
                }
                if let Some(c) = &r.client_id {
                    detail.push(format!("client-id {c}"));
                }
                if let Some(h) = &r.hostname {
                    detail.push(format!("hostname {h}"));
                }
                hits.push(SearchHit {
                    server: server.to_string(),
                    scope: Some(s.def.cidr),
                    ip: Some(IpAddr::V4(r.ip)),
                    matched: what.to_string(),
                    state: "reserved".to_string(),
                    detail: detail.join(", "),
                });
            }
        }
    }
    if data.has_command("lease4-get") {
        let t = now();
        for (l, what) in lease_hits(session, server, term).await? {
            hits.push(SearchHit {
                server: server.to_string(),
                scope: scope_of(&data.tree, l.ip),
                ip: Some(IpAddr::V4(l.ip)),
                matched: what.to_string(),
                state: lease_state(&l, t).to_string().to_lowercase(),
                detail: lease_detail(&l),
            });
        }
    }
    Ok(hits)
}

fn in_zone(name: &str, zone: &str) -> bool {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// DNS records for the term on the configured zones' primaries: the PTR of an address,
/// the A records of a hostname (as given, or as a label in each forward zone).
pub async fn search_dns(
    cfg: &Config,
    term: &Term,
    timeout: Duration,
) -> (Vec<SearchHit>, Vec<(String, String)>) {
    let mut hits = Vec::new();
    let mut errors = Vec::new();
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
    match term {
        Term::Ip(ip) => {
            let ip = IpAddr::V4(*ip);
            if let Some(z) = crate::dns::reverse_zone_for(&cfg.dns, ip) {
                let name = crate::dns::ptr_name(ip);
                match crate::dns::lookup(z.primary, &name, LookupType::Ptr, timeout).await {
                    Ok(v) => hits.extend(v.into_iter().map(|target| SearchHit {
                        server: label(z.primary),
                        scope: None,
                        ip: Some(ip),
                        matched: "DNS PTR".into(),
                        state: "record".into(),
                        detail: format!("{name} PTR {target}"),
                    })),
                    Err(e) => errors.push((label(z.primary), e.to_string())),
                }
            }
        }
        Term::Hostname(h) => {
            let mut names: Vec<(String, std::net::SocketAddr)> = Vec::new();
            for z in cfg.dns.zones.iter().filter(|z| !z.name.ends_with(".arpa")) {
                let fqdn = if in_zone(h, &z.name) {
                    h.clone()
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
                    Ok(v) => hits.extend(v.into_iter().map(|a| SearchHit {
                        server: label(server),
                        scope: None,
                        ip: a.parse().ok(),
                        matched: "DNS A".into(),
                        state: "record".into(),
                        detail: format!("{fqdn} A {a}"),
                    })),
                    Err(e) => errors.push((label(server), e.to_string())),
                }
            }
        }
        Term::Mac(_) | Term::ClientId(_) => {}
    }
    (hits, errors)
}

/// Searches every configured server, at most `concurrency` at a time, and DNS.
/// Hits come in config order of the servers, DNS last.
pub async fn search_all(session: &Session, term: &Term, concurrency: usize) -> SearchResult {
    let names: Vec<String> = session
        .config()
        .servers
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut res = search_servers(session, &names, term, concurrency).await;
    let dns = search_dns_zones(session.config(), term).await;
    res.hits.extend(dns.hits);
    res.errors.extend(dns.errors);
    res
}

/// Searches the named DHCP servers, at most `concurrency` at a time; hits in the order of
/// `names`. (The futures are built before the stream, so a console job can run it.)
pub async fn search_servers(
    session: &Session,
    names: &[String],
    term: &Term,
    concurrency: usize,
) -> SearchResult {
    let futs: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| async move { (i, search_server(session, n, term).await) })
        .collect();
    let mut per: Vec<(usize, Result<Vec<SearchHit>, OpError>)> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    per.sort_by_key(|(i, _)| *i);
    let mut res = SearchResult::default();
    for (i, r) in per {
        match r {
            Ok(h) => res.hits.extend(h),
            Err(e) => res.errors.push((names[i].clone(), e.to_string())),
        }
    }
    res
}

/// The term in DNS on the configured zones' primaries, with the usual DNS time limit.
pub async fn search_dns_zones(cfg: &Config, term: &Term) -> SearchResult {
    let timeout = cfg.settings.request_timeout.min(Duration::from_secs(5));
    let (hits, errors) = search_dns(cfg, term, timeout).await;
    SearchResult { hits, errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        assert_eq!(
            Term::parse("10.0.0.5"),
            Ok(Term::Ip("10.0.0.5".parse().unwrap()))
        );
        assert_eq!(
            Term::parse("AA-BB-CC-00-00-01"),
            Ok(Term::Mac("aa:bb:cc:00:00:01".into()))
        );
        assert_eq!(
            Term::parse("aabbcc000001"),
            Ok(Term::Mac("aa:bb:cc:00:00:01".into()))
        );
        assert_eq!(
            Term::parse("01:aa:bb:cc:00:00:01"),
            Ok(Term::ClientId("01:aa:bb:cc:00:00:01".into()))
        );
        assert_eq!(
            Term::parse("Printer1.Example.test."),
            Ok(Term::Hostname("printer1.example.test".into()))
        );
        assert!(Term::parse("").is_err());
        assert!(Term::parse("bad host!").is_err());
    }

    #[test]
    fn host_match() {
        assert!(same_host("printer1.example.test", "printer1"));
        assert!(same_host("printer1", "printer1.example.test"));
        assert!(!same_host("printer10", "printer1"));
    }
}
