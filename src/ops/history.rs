//! Which journal entries tell an address's story (issue 13 item 7): its own, and the
//! changes that covered it: an exclusion over it, its scope created, edited, activated or
//! deleted, a bulk change of its scope or of its whole server, its scope put into or taken
//! out of failover, a raw edit of its server's configuration; the journal read, in one time
//! line.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::audit::Entry;

use crate::model::Range;

/// How an entry concerns the address, for the time line ("this address", "its scope"...);
/// `None` when it does not.
pub fn relation(e: &Entry, ip: Ipv4Addr) -> Option<&'static str> {
    if e.ip == Some(ip) {
        return Some("this address");
    }
    let in_scope = e
        .scope
        .as_deref()
        .and_then(|s| s.parse::<Ipv4Net>().ok())
        .is_some_and(|c| c.contains(&ip));
    let action = e.action.as_str();
    match action {
        "exclude" | "unexclude" => {
            let key = if action == "exclude" {
                "excluded"
            } else {
                "included"
            };
            let range = e
                .after
                .as_ref()
                .and_then(|a| a.get(key))
                .and_then(Value::as_str)
                .and_then(Range::parse_pool);
            match range {
                Some(r) if r.contains(u32::from(ip)) => Some("a range covering it"),
                // An older entry without its range: the scope is all that is known.
                None if in_scope => Some("its scope's pools"),
                _ => None,
            }
        }
        a if a.starts_with("scope-") && in_scope => Some("its scope"),
        // Every bulk change on scopes or whole servers (options, parameters, classes, option
        // definitions) journals the scopes it named.
        a if a.starts_with("bulk-")
            || a == "server-params"
            || a.starts_with("class-")
            || a.starts_with("option-def-") =>
        {
            bulk_relation(e, ip)
        }
        a if a.starts_with("failover-") => {
            let scopes = mentioned_scopes(e.after.as_ref());
            (in_scope || scopes.iter().any(|c| c.contains(&ip))).then_some("its scope's failover")
        }
        "config-edit" => Some("its server's configuration"),
        _ => None,
    }
}

/// A bulk change concerns the address when it named the address's scope, or went to the
/// whole server (server-level options and parameters apply to every scope).
fn bulk_relation(e: &Entry, ip: Ipv4Addr) -> Option<&'static str> {
    let scopes = e.before.as_ref().and_then(|b| b.get("scopes"));
    match scopes {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|s| s.parse::<Ipv4Net>().ok())
            .any(|c| c.contains(&ip))
            .then_some("a change of its scope"),
        // Server level.
        Some(Value::Null) | None => Some("a change of its whole server"),
        _ => None,
    }
}

/// Every CIDR a JSON value names (strings that parse as one, at any depth).
fn mentioned_scopes(v: Option<&Value>) -> Vec<Ipv4Net> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<Ipv4Net>) {
        match v {
            Value::String(s) => {
                if let Ok(c) = s.parse::<Ipv4Net>() {
                    out.push(c);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    if let Some(v) = v {
        walk(v, &mut out);
    }
    out
}

/// A lease change seen between looks, as a line of the story: action `lease-changed`,
/// what was seen as its `after` text, no user (nobody known did it).
fn seen(e: super::events::Event) -> HistoryItem {
    HistoryItem {
        relation: "seen on the server",
        entry: Entry {
            time: e.time,
            user: "-".into(),
            server: e.server,
            scope: e.scope.map(|s| s.to_string()),
            ip: e.ip,
            action: "lease-changed".into(),
            before: None,
            after: Some(Value::String(e.description)),
            result: "seen".into(),
        },
    }
}

/// One line of an address's story: a journal entry and how it concerns the address.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryItem {
    pub relation: &'static str,
    pub entry: Entry,
}

impl super::Session {
    /// The address's story, newest first: its own journal entries and the changes that
    /// covered it, on `server` only when given (else on every server).
    pub fn history(
        &self,
        ip: Ipv4Addr,
        server: Option<&str>,
    ) -> Result<Vec<HistoryItem>, super::OpError> {
        let entries = self
            .journal()
            .read_all()
            .map_err(|e| super::OpError::Refused(e.to_string()))?;
        let mut out: Vec<HistoryItem> = entries
            .into_iter()
            .filter(|e| server.is_none_or(|s| e.server == s))
            .filter_map(|e| relation(&e, ip).map(|relation| HistoryItem { relation, entry: e }))
            .collect();
        // Lease changes ddish saw between its looks at the scope (unreadable events file:
        // the journal's story alone, said in the log).
        match super::events::EventFiles::for_config(self.config()).read_events() {
            Ok(events) => out.extend(
                events
                    .into_iter()
                    .filter(|e| e.kind == super::events::EventKind::LeaseChanged)
                    .filter(|e| e.ip == Some(ip) && server.is_none_or(|s| e.server == s))
                    .map(seen),
            ),
            Err(e) => tracing::warn!("lease changes of {ip} not read: {e}"),
        }
        // Later lines first among equal times: reverse, then a stable sort by time.
        out.reverse();
        out.sort_by_key(|h| std::cmp::Reverse(h.entry.time));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn entry(action: &str, scope: Option<&str>) -> Entry {
        let mut e = Entry::new("kea-a", action);
        e.scope = scope.map(str::to_string);
        e
    }

    #[test]
    fn an_addresss_own_entries_and_the_changes_that_covered_it() {
        let a = ip("10.0.0.50");
        let mut own = entry("hold", Some("10.0.0.0/24"));
        own.ip = Some(a);
        assert_eq!(relation(&own, a), Some("this address"));
        let mut other = own.clone();
        other.ip = Some(ip("10.0.0.51"));
        assert_eq!(relation(&other, a), None, "another address's hold");

        let ex = |action: &str, key: &str, range: &str| {
            let mut e = entry(action, Some("10.0.0.0/24"));
            e.after = Some(json!({ key: range, "pools": "…" }));
            e
        };
        assert_eq!(
            relation(&ex("exclude", "excluded", "10.0.0.40-10.0.0.60"), a),
            Some("a range covering it")
        );
        assert_eq!(
            relation(&ex("exclude", "excluded", "10.0.0.70-10.0.0.80"), a),
            None
        );
        assert_eq!(
            relation(&ex("unexclude", "included", "10.0.0.50-10.0.0.50"), a),
            Some("a range covering it")
        );

        assert_eq!(
            relation(&entry("scope-edit", Some("10.0.0.0/24")), a),
            Some("its scope")
        );
        assert_eq!(
            relation(&entry("scope-deactivate", Some("10.0.0.0/16")), a),
            Some("its scope")
        );
        assert_eq!(relation(&entry("scope-edit", Some("10.0.1.0/24")), a), None);

        let bulk = |scopes: Value| {
            let mut e = entry("bulk-option-set", None);
            e.before = Some(json!({"scopes": scopes, "operation": "set routers = 10.0.0.1"}));
            e
        };
        assert_eq!(
            relation(&bulk(json!(["10.9.0.0/24", "10.0.0.0/24"])), a),
            Some("a change of its scope")
        );
        assert_eq!(relation(&bulk(json!(["10.9.0.0/24"])), a), None);
        assert_eq!(
            relation(&bulk(Value::Null), a),
            Some("a change of its whole server")
        );

        let mut fo = entry("failover-create", None);
        fo.after = Some(json!({"name": "a-b", "scopes": ["10.0.0.0/24"]}));
        assert_eq!(relation(&fo, a), Some("its scope's failover"));
        fo.after = Some(json!({"name": "a-b", "scopes": ["10.1.0.0/24"]}));
        assert_eq!(relation(&fo, a), None);

        assert_eq!(
            relation(&entry("config-edit", None), a),
            Some("its server's configuration")
        );
        assert_eq!(relation(&entry("dns-add", None), a), None);
        assert_eq!(
            relation(&entry("network-edit", Some("10.0.0.0/16")), a),
            None
        );
    }
}
