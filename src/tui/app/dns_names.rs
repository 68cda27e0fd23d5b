//! The IP popup's DNS names (issue 13 item 9): looked up when the popup opens on an
//! address, shown one entry per name with the record types naming it.
use crate::ops::{Command, Outcome};
use crate::tui::screen::{JobResult, ScreenJob};

use super::*;

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
