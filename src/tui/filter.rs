//! What the `/` filter matches in each list. Shared by the views and by CSV export, so an
//! export holds exactly the rows on screen.
use crate::model::scope::IpDetail;
use crate::model::{Node, ScopeDef};

/// The needle as matching uses it: trimmed, lowercase. Empty matches everything.
pub fn needle(filter: &str) -> String {
    filter.trim().to_lowercase()
}

fn has(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn has_opt(hay: Option<&str>, needle: &str) -> bool {
    hay.is_some_and(|h| has(h, needle))
}

/// Servers tab: name, URL or Kea version.
pub fn server_matches(name: &str, url: &str, version: Option<&str>, needle: &str) -> bool {
    needle.is_empty() || has(name, needle) || has(url, needle) || has_opt(version, needle)
}

/// Tree rows: label (CIDR or group name), title, description.
pub fn node_matches(node: &Node, needle: &str) -> bool {
    needle.is_empty()
        || has(&node.label(), needle)
        || has_opt(node.title.as_deref(), needle)
        || has_opt(node.description.as_deref(), needle)
}

/// A node or anything under it matches: the tree keeps such rows so matches keep their
/// path.
pub fn subtree_matches(node: &Node, needle: &str) -> bool {
    node_matches(node, needle) || node.children.iter().any(|c| subtree_matches(c, needle))
}

/// Scope lists: CIDR, title, description.
pub fn scope_matches(def: &ScopeDef, needle: &str) -> bool {
    needle.is_empty()
        || has(&def.cidr.to_string(), needle)
        || has_opt(def.title.as_deref(), needle)
        || has_opt(def.description.as_deref(), needle)
}

/// IPs: address, state, MAC, hostname.
pub fn ip_matches(d: &IpDetail<'_>, needle: &str) -> bool {
    needle.is_empty()
        || d.ip.to_string().contains(needle)
        || has(d.state.label(), needle)
        || d.mac().is_some_and(|m| m.contains(needle))
        || has_opt(d.hostname(), needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_fields() {
        let n = needle(" HQ ");
        assert!(server_matches("kea-hq", "http://x", None, &n));
        assert!(server_matches("a", "http://127.0.0.1:8000/", None, "127.0"));
        assert!(server_matches("a", "u", Some("2.2.0"), "2.2"));
        assert!(!server_matches("a", "u", Some("2.2.0"), "zzz"));
        assert!(server_matches("a", "u", None, ""));
    }
}
