//! Fleet-wide search (issue 6 part 5, issue 13 item 6): an address, range or CIDR, a MAC or
//! client-ID prefix, or part of a hostname, looked up in every server's leases (holds and
//! claims included), reservations and in DNS.
//!
//! Exact terms are asked for by key (lease4-get, lease4-get-by-hw-address, -by-client-id,
//! -by-hostname). Partial ones need a walk over the leases, which is done in steps of
//! lease4-get-page at [`PAGE`] per page (bigger pages can wedge Kea, KEA_FACTS §11): a range
//! walks only its own addresses. The console runs one step per job so hits stream in; the
//! CLI runs the steps itself, a few servers at a time. Reservations come from each server's
//! configuration; DNS names from lookups and zone transfers of the configured zones.
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::model::lease::hex_colon;
use crate::model::scope::lease_state;
pub use crate::model::search::Term;
use crate::model::{Lease, ServerTree};

use super::{now, OpError, Session};

/// Leases per lease4-get-page: the most Kea answers without slowing down per lease.
pub const PAGE: u32 = 1000;

/// Pages per walk step: ~10,000 leases, about a second through a Control Agent.
pub const STEP_PAGES: usize = 10;

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

/// Hits, the servers that could not be searched, and the lease walks still to do.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
    /// (server, message)
    pub errors: Vec<(String, String)>,
    /// Servers whose leases the term needs walked, where they stand.
    pub walks: Vec<LeaseWalk>,
}

impl SearchResult {
    /// Adds hits, leaving out one already there for the same address from the same kind of
    /// source on the same server (an exact lookup and the walk find the same lease).
    pub fn add(&mut self, hits: impl IntoIterator<Item = SearchHit>) {
        // Keyed once per call: a walk adds tens of thousands of hits (a busy /16), so no
        // hit is compared with every other.
        fn key(x: &SearchHit) -> (String, Option<IpAddr>, String, String) {
            let source = x.matched.split(' ').next().unwrap_or("").to_string();
            (x.server.clone(), x.ip, x.detail.clone(), source)
        }
        let mut seen: std::collections::HashSet<_> = self.hits.iter().map(key).collect();
        for h in hits {
            if seen.insert(key(&h)) {
                self.hits.push(h);
            }
        }
    }

    /// Takes in another result (hits deduplicated, errors and walks appended).
    pub fn merge(&mut self, other: SearchResult) {
        self.add(other.hits);
        self.errors.extend(other.errors);
        self.walks.extend(other.walks);
    }
}

/// One server's lease walk for a term: where it stands between steps.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaseWalk {
    pub server: String,
    pub term: Term,
    /// The last address read (the next page starts after it); `None` before the first.
    pub after: Option<Ipv4Addr>,
    /// The server's subnets by id, to name each hit's scope.
    pub scopes: Arc<Vec<(u32, Ipv4Net)>>,
    /// Leases read so far.
    pub read: u64,
    pub done: bool,
}

impl LeaseWalk {
    fn new(server: &str, term: &Term, tree: &ServerTree) -> LeaseWalk {
        LeaseWalk {
            server: server.to_string(),
            term: term.clone(),
            after: term.walk_from(),
            scopes: Arc::new(tree.scopes.iter().map(|s| (s.def.id, s.def.cidr)).collect()),
            read: 0,
            done: false,
        }
    }

    /// Where it stands, for progress lines: "kea-hq: 120,000 leases read, at 10.20.118.7".
    pub fn progress(&self) -> String {
        let at = self.after.map(|a| format!(", at {a}")).unwrap_or_default();
        let state = if self.done { " (done)" } else { "" };
        format!(
            "{}: {} leases read{at}{state}",
            self.server,
            group_thousands(self.read)
        )
    }

    fn scope_of(&self, l: &Lease) -> Option<Ipv4Net> {
        self.scopes
            .iter()
            .find(|(id, _)| *id == l.subnet_id)
            .map(|(_, c)| *c)
            .or_else(|| {
                self.scopes
                    .iter()
                    .map(|(_, c)| *c)
                    .filter(|c| c.contains(&l.ip))
                    .max_by_key(|c| c.prefix_len())
            })
    }
}

/// 1234567 -> "1,234,567".
fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn scope_of(tree: &ServerTree, ip: Ipv4Addr) -> Option<ipnet::Ipv4Net> {
    tree.scopes
        .iter()
        .map(|s| s.def.cidr)
        .filter(|c| c.contains(&ip))
        .max_by_key(|c| c.prefix_len())
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

fn lease_hit(server: &str, scope: Option<Ipv4Net>, l: &Lease, what: &str, t: i64) -> SearchHit {
    SearchHit {
        server: server.to_string(),
        scope,
        ip: Some(IpAddr::V4(l.ip)),
        matched: what.to_string(),
        state: lease_state(l, t).to_string().to_lowercase(),
        detail: lease_detail(l),
    }
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

/// The direct lookups Kea has for the term: (command, arguments). A range has none (its
/// walk is short); a prefix has one when it is whole bytes (the client ID it may be).
fn lookups(term: &Term) -> Vec<(&'static str, Value)> {
    match term {
        Term::Ip(ip) => vec![("lease4-get", json!({"ip-address": ip.to_string()}))],
        Term::Mac(m) => vec![
            ("lease4-get-by-hw-address", json!({"hw-address": m})),
            ("lease4-get-by-client-id", json!({"client-id": m})),
        ],
        Term::Range { .. } => Vec::new(),
        Term::Partial { host, hex } => {
            let mut v = Vec::new();
            if let Some(h) = hex.as_deref().filter(|h| h.len() >= 5 && h.len() % 3 == 2) {
                v.push(("lease4-get-by-client-id", json!({"client-id": h})));
            }
            // Kea refuses an empty hostname (a term like ".lab"): only whole names.
            if let Some(h) = host.as_deref().filter(|h| !h.starts_with('.')) {
                v.push(("lease4-get-by-hostname", json!({"hostname": h})));
                // Kea matches the stored hostname exactly: try the bare label too.
                if let Some((first, _)) = h.split_once('.').filter(|(f, _)| !f.is_empty()) {
                    v.push(("lease4-get-by-hostname", json!({"hostname": first})));
                }
            }
            v
        }
    }
}

/// Leases on one server that Kea's direct lookups find for the term.
async fn lease_hits(
    session: &Session,
    server: &str,
    term: &Term,
) -> Result<Vec<(Lease, &'static str)>, OpError> {
    let c = session.client(server)?;
    let mut out: Vec<(Lease, &'static str)> = Vec::new();
    for (cmd, args) in lookups(term) {
        // A lookup Kea refuses (an odd term) costs only its own hits: the reservations and
        // the lease walk still run.
        let r = match c.call(cmd, Some(args)).await {
            Ok(r) => r,
            Err(e @ crate::kea::KeaError::Failed { .. }) => {
                tracing::info!(server, cmd, "lookup refused: {e}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if r.is_empty() {
            continue;
        }
        for l in leases_from(r.arguments)? {
            let Some(what) = term.lease_match(&l) else {
                continue;
            };
            if !out.iter().any(|(x, _)| x.ip == l.ip) {
                out.push((l, what));
            }
        }
    }
    Ok(out)
}

/// Searches one DHCP server: its reservations (from the config) and what Kea's direct
/// lease lookups find; plus the lease walk still to do when the term needs one.
pub async fn search_server(
    session: &Session,
    server: &str,
    term: &Term,
) -> Result<SearchResult, OpError> {
    let data = session.load_server_as(server, false).await?;
    let mut hits = Vec::new();
    for s in &data.tree.scopes {
        for r in &s.def.reservations {
            if let Some(what) = term.reservation_match(r) {
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
    let t = now();
    if data.has_command("lease4-get") {
        for (l, what) in lease_hits(session, server, term).await? {
            hits.push(lease_hit(server, scope_of(&data.tree, l.ip), &l, what, t));
        }
    }
    let walks = (term.needs_walk() && data.has_command("lease4-get-page"))
        .then(|| LeaseWalk::new(server, term, &data.tree))
        .into_iter()
        .collect();
    Ok(SearchResult {
        hits,
        errors: Vec::new(),
        walks,
    })
}

/// One step of a lease walk: up to `pages` pages of [`PAGE`] leases; the hits in them and
/// where the walk now stands.
pub async fn walk_step(
    session: &Session,
    mut walk: LeaseWalk,
    pages: usize,
) -> Result<(Vec<SearchHit>, LeaseWalk), OpError> {
    let c = session.client(&walk.server)?;
    let t = now();
    let mut hits = Vec::new();
    for _ in 0..pages.max(1) {
        if walk.done {
            break;
        }
        let page = c.lease4_get_page(walk.after, PAGE).await?;
        walk.done = page.len() < PAGE as usize;
        for l in &page {
            if walk.term.walk_done_at(l.ip) {
                walk.done = true;
                break;
            }
            walk.read += 1;
            if let Some(what) = walk.term.lease_match(l) {
                hits.push(lease_hit(&walk.server, walk.scope_of(l), l, what, t));
            }
        }
        match page.last() {
            // A page that does not move on would loop forever: stop rather than spin.
            Some(l) if walk.after.is_none_or(|a| l.ip > a) => walk.after = Some(l.ip),
            _ => walk.done = true,
        }
    }
    Ok((hits, walk))
}

/// Runs walks to their end, at most `concurrency` servers at a time, telling each step's
/// progress through the session's notices. A server that fails midway keeps the hits it
/// gave and is named in the errors.
pub async fn walk_all(
    session: &Session,
    walks: Vec<LeaseWalk>,
    concurrency: usize,
) -> SearchResult {
    let per: Vec<SearchResult> = stream::iter(walks)
        .map(|mut w| async move {
            let mut res = SearchResult::default();
            while !w.done {
                match walk_step(session, w.clone(), STEP_PAGES).await {
                    Ok((h, next)) => {
                        res.add(h);
                        w = next;
                        session.notice(&w.progress());
                    }
                    Err(e) => {
                        let at = w.after.map(|a| format!(" after {a}")).unwrap_or_default();
                        let msg = format!("lease walk stopped{at}: {e}");
                        res.errors.push((w.server.clone(), msg));
                        break;
                    }
                }
            }
            res
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let mut res = SearchResult::default();
    for r in per {
        res.merge(r);
    }
    res
}

/// Searches every configured server, at most `concurrency` at a time, walks the leases the
/// term needs walked (unless `walk` is false: direct lookups only), then DNS. Hits come in
/// config order of the servers, walk hits after them, DNS last.
pub async fn search_all(
    session: &Session,
    term: &Term,
    concurrency: usize,
    walk: bool,
) -> SearchResult {
    let names: Vec<String> = session
        .config()
        .servers
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut res = search_servers(session, &names, term, concurrency).await;
    let walks = std::mem::take(&mut res.walks);
    if walk {
        res.merge(walk_all(session, walks, concurrency).await);
    }
    res.merge(search_dns_zones(session.config(), term).await);
    res
}

/// Searches the named DHCP servers, at most `concurrency` at a time; hits in the order of
/// `names`, with the lease walks still to do. (The futures are built before the stream,
/// so a console job can run it.)
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
    let mut per: Vec<(usize, Result<SearchResult, OpError>)> = stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    per.sort_by_key(|(i, _)| *i);
    let mut res = SearchResult::default();
    for (i, r) in per {
        match r {
            Ok(r) => res.merge(r),
            Err(e) => res.errors.push((names[i].clone(), e.to_string())),
        }
    }
    res
}

mod dns;
pub use dns::{dns_names, search_dns, search_dns_zones};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }

    #[test]
    fn direct_lookups_cover_what_kea_can_find_by_key() {
        let cmds = |t: &str| -> Vec<&str> {
            lookups(&Term::parse(t).unwrap())
                .into_iter()
                .map(|(c, _)| c)
                .collect()
        };
        assert_eq!(cmds("10.0.0.1"), ["lease4-get"]);
        assert!(cmds("10.0.0.0/24").is_empty());
        assert_eq!(
            cmds("aa:bb:cc:00:00:01"),
            ["lease4-get-by-hw-address", "lease4-get-by-client-id"]
        );
        assert_eq!(cmds("01:aa:bb:cc:00:00:01"), ["lease4-get-by-client-id"]);
        // Half a byte cannot be a whole client ID.
        assert!(cmds("01:aa:b").is_empty());
        assert_eq!(
            cmds("printer.example.test"),
            ["lease4-get-by-hostname", "lease4-get-by-hostname"]
        );
        // Kea refuses an empty hostname: a term starting with a dot is walked only.
        assert!(cmds(".lab").is_empty());
    }

    #[test]
    fn results_keep_one_hit_per_address_and_source() {
        let hit = |ip: &str, matched: &str| SearchHit {
            server: "kea".into(),
            scope: None,
            ip: Some(ip.parse().unwrap()),
            matched: matched.into(),
            state: "assigned".into(),
            detail: "mac aa:bb:cc:00:00:01".into(),
        };
        let mut r = SearchResult::default();
        r.add([hit("10.0.0.1", "lease hostname")]);
        r.add([hit("10.0.0.1", "lease mac"), hit("10.0.0.2", "lease mac")]);
        r.add([hit("10.0.0.1", "reservation mac")]);
        assert_eq!(r.hits.len(), 3, "{r:#?}");
    }
}
