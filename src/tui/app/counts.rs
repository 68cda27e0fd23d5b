//! Summary cards above the scope level (issue 13 item 9): a server's and a network's
//! addresses counted by state (available, assigned, claimed, held, reserved, excluded...)
//! by a background job, for at most `ops::MAX_COUNTED` scopes at a time.
use crate::model::{ScopeCounts, ScopeDef, ScopeStatus};
use crate::ops::{Command, Outcome, MAX_COUNTED};
use crate::tui::screen::{JobResult, ScreenJob};

use super::*;

/// The key the server-wide count is kept under.
pub const SERVER_KEY: &str = "server";

impl App {
    /// A count of `scopes` for the summary `key` of `server` ("server" or a network's node
    /// key); too many to count is said at once, without a request.
    pub(super) fn count_request(
        &mut self,
        server: String,
        key: String,
        scopes: &[&ScopeDef],
    ) -> Option<Request> {
        let live = scopes
            .iter()
            .filter(|d| d.status != ScopeStatus::Missing)
            .count();
        if live > MAX_COUNTED {
            let why = format!(
                "{live} scopes: open a network or block (at most {MAX_COUNTED}) for its counts"
            );
            self.set_counts(&server, &key, Err(why));
            return None;
        }
        if key == SERVER_KEY {
            // Marked as under way, so the next poll's load does not count again meanwhile.
            self.set_counts(&server, &key, Err("counting…".into()));
        }
        // Cloned only now: a big server's thousands of definitions never are.
        let scopes: Vec<ScopeDef> = scopes
            .iter()
            .filter(|d| d.status != ScopeStatus::Missing)
            .map(|d| (*d).clone())
            .collect();
        let (id, gen) = self.ids();
        Some(Request {
            id,
            gen,
            target: Target::Counts {
                server: server.clone(),
                key,
            },
            kind: RequestKind::Screen(ScreenJob::new(
                "counts",
                Command::CountScopes { server, scopes },
            )),
            baseline: None,
        })
    }

    pub(super) fn on_counts(&mut self, server: &str, key: &str, res: JobResult) {
        let counts = match res.0 {
            Ok(Outcome::Counts(c)) => Ok(c),
            Ok(o) => {
                tracing::error!("unexpected outcome of a count: {o:?}");
                Err("internal error while counting; details are in the ddish log".into())
            }
            Err(e) => Err(e),
        };
        self.set_counts(server, key, counts);
    }

    fn set_counts(&mut self, server: &str, key: &str, counts: Result<ScopeCounts, String>) {
        let Some(tab) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return;
        };
        if key == SERVER_KEY {
            tab.counts = Some(counts);
            return;
        }
        for v in tab.stack.iter_mut() {
            if let View::Network(n) = v {
                if n.key == key {
                    n.counts = Some(counts.clone());
                }
            }
        }
    }
}

impl App {
    /// The popup just opened on an address: look up its DNS names in the configured zones
    /// (once per address while the popup stays on it).
    pub(super) fn popup_dns_names(&mut self, ti: usize) -> Option<Request> {
        if self.dns.zones.is_empty() {
            return None;
        }
        let server = self.tabs[ti].name.clone();
        let (id, gen) = self.ids();
        let s = self.scope_mut(ti)?;
        if !s.popup {
            return None;
        }
        let ip = s.data.as_ref()?.ip_at(s.cursor);
        if s.dns_names.as_ref().is_some_and(|(at, _)| *at == ip) {
            return None;
        }
        s.dns_names = Some((ip, None));
        Some(Request {
            id,
            gen,
            target: Target::DnsNames {
                server,
                cidr: s.cidr,
            },
            kind: RequestKind::Screen(ScreenJob::new("dns-names", Command::DnsNames(ip))),
            baseline: None,
        })
    }

    pub(super) fn on_dns_names(&mut self, server: &str, cidr: ipnet::Ipv4Net, res: JobResult) {
        let Some(s) = self
            .tabs
            .iter_mut()
            .find(|t| t.name == server)
            .and_then(|t| t.scope_by_cidr(cidr))
        else {
            return;
        };
        let Some((ip, slot)) = s.dns_names.as_mut() else {
            return;
        };
        let ip = std::net::IpAddr::V4(*ip);
        *slot = Some(match res.0 {
            Ok(Outcome::Search(r)) => {
                // One entry per name, with every record type naming it.
                let mut by_name: Vec<(String, Vec<String>)> = Vec::new();
                for h in r.hits.iter().filter(|h| h.ip == Some(ip)) {
                    let (name, t) = name_and_type(&h.detail);
                    match by_name.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, types)) if !types.contains(&t) => types.push(t),
                        Some(_) => {}
                        None => by_name.push((name, vec![t])),
                    }
                }
                let names: Vec<String> = by_name
                    .into_iter()
                    .map(|(n, t)| format!("{n} ({})", t.join(", ")))
                    .collect();
                if names.is_empty() {
                    match r.errors.first() {
                        Some((who, e)) => Err(format!("{who}: {e}")),
                        None => Ok(names),
                    }
                } else {
                    Ok(names)
                }
            }
            Ok(o) => {
                tracing::error!("unexpected outcome of a DNS lookup: {o:?}");
                Err("internal error; details are in the ddish log".into())
            }
            Err(e) => Err(e),
        });
    }
}

/// "11.0.10.10.in-addr.arpa PTR scanner1.example.test" -> ("scanner1.example.test", "PTR");
/// "scanner1.example.test A 10.10.0.11" -> ("scanner1.example.test", "A").
fn name_and_type(detail: &str) -> (String, String) {
    let parts: Vec<&str> = detail.split_whitespace().collect();
    match parts.as_slice() {
        [_, "PTR", target] => (target.to_string(), "PTR".into()),
        [owner, t, _] => (owner.to_string(), t.to_string()),
        _ => (detail.to_string(), "?".into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_read_short() {
        assert_eq!(
            super::name_and_type("11.0.10.10.in-addr.arpa PTR scanner1.example.test"),
            ("scanner1.example.test".into(), "PTR".into())
        );
        assert_eq!(
            super::name_and_type("scanner1.example.test A 10.10.0.11"),
            ("scanner1.example.test".into(), "A".into())
        );
    }
}
