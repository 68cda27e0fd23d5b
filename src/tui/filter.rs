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
    IpMatcher::new(needle).matches(d, &mut String::new())
}

/// ASCII case-insensitive `contains` for a lowercase needle, without allocating.
fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty()
        || h.windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
        || (!hay.is_ascii() && has(hay, needle))
}

/// Writes `ip` as a dotted quad into `buf` (cleared first); faster than `Display`.
fn push_dotted(buf: &mut String, ip: std::net::Ipv4Addr) {
    buf.clear();
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            buf.push('.');
        }
        if o >= 100 {
            buf.push((b'0' + o / 100) as char);
        }
        if o >= 10 {
            buf.push((b'0' + o / 10 % 10) as char);
        }
        buf.push((b'0' + o % 10) as char);
    }
}

/// The IP filter prepared once for a whole scope: a /16 is 65,536 checks per keystroke,
/// so the state part is decided per state, and the address is formatted into a reused
/// buffer instead of a new String.
pub struct IpMatcher {
    needle: String,
    state_hit: [bool; 9],
    /// Only digits and dots can be part of a dotted quad.
    may_hit_ip: bool,
    /// Only hex digits and colons can be part of a MAC as shown.
    may_hit_mac: bool,
}

impl IpMatcher {
    /// `needle` as from [`needle`].
    pub fn new(needle: &str) -> IpMatcher {
        let mut state_hit = [false; 9];
        for s in crate::model::IpState::ALL {
            state_hit[s as usize] = has(s.label(), needle);
        }
        IpMatcher {
            needle: needle.to_string(),
            state_hit,
            may_hit_ip: needle.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
            may_hit_mac: needle.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        }
    }

    /// Whether the state or the address alone match (no lease or reservation needed).
    pub fn matches_cheap(
        &self,
        ip: std::net::Ipv4Addr,
        state: crate::model::IpState,
        buf: &mut String,
    ) -> bool {
        if self.needle.is_empty() || self.state_hit[state as usize] {
            return true;
        }
        if !self.may_hit_ip {
            return false;
        }
        push_dotted(buf, ip);
        // A plain byte scan: `str::contains` sets up a searcher per call, which dominates
        // on 15-byte haystacks.
        let n = self.needle.as_bytes();
        buf.as_bytes().windows(n.len()).any(|w| w == n)
    }

    pub fn matches(&self, d: &IpDetail<'_>, buf: &mut String) -> bool {
        self.matches_cheap(d.ip, d.state, buf)
            || (self.may_hit_mac && d.mac().is_some_and(|m| m.contains(self.needle.as_str())))
            || d.hostname().is_some_and(|h| contains_ci(h, &self.needle))
    }
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

    #[test]
    fn dotted_quads() {
        let mut b = String::new();
        for ip in ["0.0.0.0", "10.64.100.9", "255.255.255.255", "1.20.103.40"] {
            push_dotted(&mut b, ip.parse().unwrap());
            assert_eq!(b, ip);
        }
    }

    #[test]
    fn case_insensitive_contains() {
        assert!(contains_ci("Desk-42", "desk-4"));
        assert!(!contains_ci("Desk-42", "desk-5"));
        assert!(contains_ci("Ärger-PC", "ärger"));
        assert!(contains_ci("x", ""));
    }
}
