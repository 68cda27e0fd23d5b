//! Per-view state (Servers tab, server tabs with their view stack) and the pure helpers
//! both `update` and the render functions use to see the same rows.
use std::collections::BTreeSet;
use std::sync::Arc;

use ipnet::Ipv4Net;

use crate::model::range::Range;
use crate::model::tree::TreeRow;
use crate::model::{Node, NodeKind, ScopeDef, ScopeView, ServerTree};
use crate::ops::{ServerData, ServerHealth};

use super::actions::{Modal, Pending};
use super::filter;

/// Cursor and first visible row of a scrolling list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub cursor: usize,
    pub top: usize,
}

impl ListState {
    /// Clamps the cursor to `len` rows and scrolls so it is among the `height` visible ones.
    pub fn fix(&mut self, len: usize, height: usize) {
        if len == 0 {
            *self = ListState::default();
            return;
        }
        let h = height.max(1);
        self.cursor = self.cursor.min(len - 1);
        if self.cursor < self.top {
            self.top = self.cursor;
        } else if self.cursor >= self.top + h {
            self.top = self.cursor + 1 - h;
        }
        self.top = self.top.min(len.saturating_sub(h));
    }

    /// The state as drawn in `height` rows, without changing the stored one.
    pub fn fixed(mut self, len: usize, height: usize) -> ListState {
        self.fix(len, height);
        self
    }

    /// Moves by `delta` rows, stopping at the ends.
    pub fn step(&mut self, delta: isize, len: usize) {
        if len == 0 {
            return;
        }
        self.cursor = self.cursor.saturating_add_signed(delta).min(len - 1);
    }
}

/// Whether a view's data is being fetched, is there, or failed (with the reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Load {
    Loading,
    Loaded,
    Failed(String),
}

/// One line of the Servers tab.
#[derive(Clone, Debug)]
pub struct FleetRow {
    pub name: String,
    pub url: String,
    /// The user ddish logs in as (from the ddish config; never the password).
    pub user: Option<String>,
    pub health: Option<ServerHealth>,
    pub checking: bool,
    pub gen: u64,
}

impl FleetRow {
    pub fn new(name: &str, url: &str) -> FleetRow {
        FleetRow {
            name: name.to_string(),
            url: url.to_string(),
            user: None,
            health: None,
            checking: false,
            gen: 0,
        }
    }

    fn matches(&self, needle: &str) -> bool {
        let version = self.health.as_ref().and_then(|h| h.version.as_deref());
        filter::server_matches(&self.name, &self.url, version, needle)
    }

    /// What CSV gets for a server: its last check, or a row saying it wasn't checked.
    pub fn health_or_unchecked(&self) -> ServerHealth {
        self.health.clone().unwrap_or_else(|| ServerHealth {
            name: self.name.clone(),
            url: self.url.clone(),
            reachable: false,
            version: None,
            scopes: None,
            utilization: None,
            ha_state: None,
            writes: None,
            error_kind: Some("not checked".into()),
            error: Some("not checked yet".into()),
        })
    }
}

/// The Servers tab.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub rows: Vec<FleetRow>,
    pub list: ListState,
    pub filter: String,
}

impl Fleet {
    /// Indices of the rows the filter lets through.
    pub fn visible(&self) -> Vec<usize> {
        let n = filter::needle(&self.filter);
        (0..self.rows.len())
            .filter(|i| self.rows[*i].matches(&n))
            .collect()
    }
}

/// A stable name for a tree node, surviving reloads (indices don't).
pub fn node_key(n: &Node) -> String {
    match (&n.kind, n.cidr) {
        (NodeKind::Scope(_), Some(c)) => format!("scope:{c}"),
        (NodeKind::SharedNetwork(s), _) => format!("shared:{s}"),
        (NodeKind::Ungrouped, _) => "ungrouped".into(),
        (NodeKind::Supernet, Some(c)) => format!("block:{c}"),
        (_, Some(c)) => format!("net:{c}"),
        (_, None) => "?".into(),
    }
}

pub fn find_node<'a>(nodes: &'a [Node], key: &str) -> Option<&'a Node> {
    for n in nodes {
        if node_key(n) == key {
            return Some(n);
        }
        if let Some(hit) = find_node(&n.children, key) {
            return Some(hit);
        }
    }
    None
}

/// Tree cursor, folded nodes (by key) and filter.
#[derive(Clone, Debug, Default)]
pub struct TreeState {
    pub list: ListState,
    /// Nodes folded by the user.
    pub collapsed: BTreeSet<String>,
    /// Nodes folded until opened (address blocks of a big server) that the user opened.
    pub opened: BTreeSet<String>,
    /// Every node open (exports, finding a node): folding ignored.
    pub all_open: bool,
    pub filter: String,
}

impl TreeState {
    /// Visible rows: folding applies without a filter; with one, every matching node shows
    /// with its ancestors and descendants, unfolded.
    pub fn rows<'a>(&self, tree: &'a ServerTree) -> Vec<TreeRow<'a>> {
        let needle = filter::needle(&self.filter);
        if needle.is_empty() {
            return tree.rows(&|path| tree.node(path).is_some_and(|n| !self.folded(n)));
        }
        let mut out = Vec::new();
        for (i, r) in tree.roots.iter().enumerate() {
            walk_filtered(r, vec![i], 0, &needle, false, &mut out);
        }
        out
    }

    pub fn is_folded(&self, n: &Node) -> bool {
        filter::needle(&self.filter).is_empty() && self.folded(n)
    }

    fn folded(&self, n: &Node) -> bool {
        if self.all_open {
            return false;
        }
        let key = node_key(n);
        if n.kind == NodeKind::Supernet {
            !self.opened.contains(&key)
        } else {
            self.collapsed.contains(&key)
        }
    }

    pub fn fold(&mut self, n: &Node) {
        let key = node_key(n);
        self.opened.remove(&key);
        self.collapsed.insert(key);
    }

    pub fn unfold(&mut self, n: &Node) {
        let key = node_key(n);
        self.collapsed.remove(&key);
        self.opened.insert(key);
    }

    /// The same tree with every node open.
    pub fn all_open(&self) -> TreeState {
        TreeState {
            all_open: true,
            ..self.clone()
        }
    }
}

fn walk_filtered<'a>(
    n: &'a Node,
    path: Vec<usize>,
    depth: usize,
    needle: &str,
    ancestor_hit: bool,
    out: &mut Vec<TreeRow<'a>>,
) {
    let hit = filter::node_matches(n, needle);
    let show = ancestor_hit
        || hit
        || n.children
            .iter()
            .any(|c| filter::subtree_matches(c, needle));
    if !show {
        return;
    }
    out.push(TreeRow {
        depth,
        node: n,
        path: path.clone(),
    });
    for (i, c) in n.children.iter().enumerate() {
        let mut p = path.clone();
        p.push(i);
        walk_filtered(c, p, depth + 1, needle, ancestor_hit || hit, out);
    }
}

/// A network (or container, shared network, group) opened from the tree.
#[derive(Clone, Debug)]
pub struct NetworkState {
    pub key: String,
    pub label: String,
    pub list: ListState,
    pub filter: String,
    /// Its scopes' addresses counted by state (summary cards); `None` while counting.
    pub counts: Option<Result<crate::model::ScopeCounts, String>>,
}

impl NetworkState {
    /// Indices into `tree.scopes` of the scopes under the node that pass the filter;
    /// `None` when the node is gone from the server.
    pub fn scopes(&self, tree: &ServerTree) -> Option<Vec<usize>> {
        let node = find_node(&tree.roots, &self.key)?;
        let needle = filter::needle(&self.filter);
        Some(
            tree.scopes_under(node)
                .into_iter()
                .filter(|i| {
                    tree.scopes
                        .get(*i)
                        .is_some_and(|s| filter::scope_matches(&s.def, &needle))
                })
                .collect(),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeMode {
    Grid,
    List,
}

/// A scope opened from the tree or a network: grid or list of its addresses.
#[derive(Clone, Debug)]
pub struct ScopeState {
    pub cidr: Ipv4Net,
    pub label: String,
    /// The definition it was loaded with (refreshed from the server tree on reload).
    pub def: ScopeDef,
    pub data: Option<Arc<ScopeView>>,
    pub load: Load,
    pub loaded_at: Option<i64>,
    pub gen: u64,
    pub mode: ScopeMode,
    /// Address index in the subnet (0 = network address); shared by grid and list.
    pub cursor: usize,
    /// First visible grid row.
    pub grid_top: usize,
    /// First visible list row.
    pub list_top: usize,
    pub filter: String,
    /// Address indices passing the filter, sorted; `None` without a filter.
    pub matches: Option<Vec<u32>>,
    /// The IP properties popup is open on the cursor's address.
    pub popup: bool,
    /// Popups over the view (menu, forms, confirmation, results), top last.
    pub modals: Vec<Modal>,
    /// The change sent and not answered yet (one at a time per scope).
    pub pending: Option<Pending>,
    /// Put the cursor here and open its popup when the first load arrives (a jump from
    /// search or another screen).
    pub jump_ip: Option<std::net::Ipv4Addr>,
    /// The ping sweep of this scope, running or last finished (`P`).
    pub sweep: Option<SweepState>,
    /// The DNS names of the address in the popup (A and PTR records in the configured
    /// zones); `None` in the result while looking them up.
    pub dns_names: Option<(std::net::Ipv4Addr, Option<DnsNames>)>,
}

/// An address's DNS names as the popup shows them, or why they could not be read.
pub type DnsNames = Result<Vec<String>, String>;

/// A scope's ping sweep as the console keeps it.
#[derive(Clone, Debug)]
pub struct SweepState {
    pub sweep: crate::model::sweep::Sweep,
    /// The step sent, not answered yet; `None` when finished or stopped.
    pub step: Option<u64>,
    pub error: Option<String>,
}

impl SweepState {
    pub fn running(&self) -> bool {
        self.step.is_some()
    }
}

impl ScopeState {
    pub fn new(def: ScopeDef, gen: u64) -> ScopeState {
        ScopeState {
            cidr: def.cidr,
            label: def.label(),
            def,
            data: None,
            load: Load::Loading,
            loaded_at: None,
            gen,
            mode: ScopeMode::Grid,
            cursor: 0,
            grid_top: 0,
            list_top: 0,
            filter: String::new(),
            matches: None,
            popup: false,
            modals: Vec::new(),
            pending: None,
            jump_ip: None,
            sweep: None,
            dns_names: None,
        }
    }

    /// The address under the cursor, when the scope is loaded.
    pub fn cursor_ip(&self) -> Option<std::net::Ipv4Addr> {
        self.data.as_ref().map(|v| v.ip_at(self.cursor))
    }

    /// Address indices of the scope range inside the subnet, when there are any.
    fn range_span(&self, v: &ScopeView) -> Option<(usize, usize)> {
        let net = Range::of_net(&v.def.cidr);
        let r = v.def.range.intersect(&net)?;
        Some(((r.start - net.start) as usize, (r.end - net.start) as usize))
    }

    /// Rows of the list: the filter's matches, else every address of the scope range.
    pub fn list_len(&self) -> usize {
        let Some(v) = &self.data else { return 0 };
        match (&self.matches, self.range_span(v)) {
            (Some(m), _) => m.len(),
            (None, Some((a, b))) => b - a + 1,
            (None, None) => 0,
        }
    }

    /// Address index of list row `pos`.
    pub fn list_index(&self, pos: usize) -> Option<usize> {
        let v = self.data.as_ref()?;
        match (&self.matches, self.range_span(v)) {
            (Some(m), _) => m.get(pos).map(|i| *i as usize),
            (None, Some((a, b))) => (a + pos <= b).then_some(a + pos),
            (None, None) => None,
        }
    }

    /// The list row nearest to the cursor.
    pub fn list_pos(&self) -> usize {
        let len = self.list_len();
        if len == 0 {
            return 0;
        }
        let Some(v) = &self.data else { return 0 };
        let pos = match (&self.matches, self.range_span(v)) {
            (Some(m), _) => match m.binary_search(&(self.cursor as u32)) {
                Ok(p) | Err(p) => p,
            },
            (None, Some((a, _))) => self.cursor.saturating_sub(a),
            (None, None) => 0,
        };
        pos.min(len - 1)
    }

    /// Re-runs the filter over every address (after typing or a reload). Addresses with
    /// neither lease nor reservation are decided by state and address alone, so a /16
    /// stays quick to filter while typing.
    pub fn refilter(&mut self) {
        let needle = filter::needle(&self.filter);
        let (Some(v), false) = (&self.data, needle.is_empty()) else {
            self.matches = None;
            return;
        };
        let m = filter::IpMatcher::new(&needle);
        let reserved: std::collections::HashSet<u32> =
            v.def.reservations.iter().map(|r| u32::from(r.ip)).collect();
        let mut buf = String::new();
        let mut next_lease = 0;
        let mut out = Vec::new();
        for i in 0..v.len() {
            let ip = v.ip_at(i);
            let n = u32::from(ip);
            // Leases are sorted by address: walk them alongside.
            while next_lease < v.leases.len() && u32::from(v.leases[next_lease].ip) < n {
                next_lease += 1;
            }
            let hit = m.matches_cheap(ip, v.state_at(i), &mut buf)
                || ((v.leases.get(next_lease).is_some_and(|l| l.ip == ip)
                    || reserved.contains(&n))
                    && m.matches(&v.detail(ip), &mut buf));
            if hit {
                out.push(i as u32);
            }
        }
        self.matches = Some(out);
    }

    /// Puts the cursor on the first address of the scope range (first load).
    pub fn cursor_to_range_start(&mut self) {
        if let Some(v) = &self.data {
            self.cursor = self.range_span(v).map(|(a, _)| a).unwrap_or(0);
        }
    }
}

/// A view pushed on a server tab above its tree.
#[derive(Clone, Debug)]
pub enum View {
    Network(NetworkState),
    Scope(Box<ScopeState>),
}

/// One opened server.
#[derive(Clone, Debug)]
pub struct ServerTab {
    pub name: String,
    pub data: Option<Arc<ServerData>>,
    pub load: Load,
    /// Epoch seconds of the last good load.
    pub loaded_at: Option<i64>,
    pub gen: u64,
    pub tree: TreeState,
    pub stack: Vec<View>,
    /// A scope (and address) to open once the tree is loaded: a jump from a screen.
    pub jump: Option<(ipnet::Ipv4Net, Option<std::net::Ipv4Addr>)>,
    /// The node (by `node_key`) to put the cursor on when the next load arrives: the item
    /// just created or changed.
    pub select: Option<String>,
    /// Every scope's addresses counted by state (the tree's summary); `None` until counted.
    pub counts: Option<Result<crate::model::ScopeCounts, String>>,
    /// Epoch seconds of this console's last change to the server: a view loaded before it
    /// is no baseline for the next change (the server holds our own change by then).
    pub wrote_at: Option<i64>,
}

impl ServerTab {
    pub fn new(name: &str, gen: u64) -> ServerTab {
        ServerTab {
            name: name.to_string(),
            data: None,
            load: Load::Loading,
            loaded_at: None,
            gen,
            tree: TreeState::default(),
            stack: Vec::new(),
            jump: None,
            select: None,
            counts: None,
            wrote_at: None,
        }
    }

    /// What a change made from this tab is made against: the configuration it shows,
    /// unless this console changed the server since (then the session's own record).
    pub fn baseline(&self) -> Option<crate::ops::Baseline> {
        let data = self.data.as_ref()?;
        match self.wrote_at {
            Some(w) if data.loaded_at <= w => None,
            _ => data.baseline.clone(),
        }
    }

    /// The scope view of `cidr` in the stack, wherever it is.
    pub fn scope_by_cidr(&mut self, cidr: Ipv4Net) -> Option<&mut ScopeState> {
        self.stack.iter_mut().rev().find_map(|v| match v {
            View::Scope(s) if s.cidr == cidr => Some(&mut **s),
            _ => None,
        })
    }

    pub fn scope_by_gen(&mut self, gen: u64) -> Option<&mut ScopeState> {
        self.stack.iter_mut().find_map(|v| match v {
            View::Scope(s) if s.gen == gen => Some(&mut **s),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_state_keeps_cursor_visible() {
        let mut l = ListState::default();
        l.step(25, 100);
        l.fix(100, 10);
        assert_eq!((l.cursor, l.top), (25, 16));
        l.step(-20, 100);
        l.fix(100, 10);
        assert_eq!((l.cursor, l.top), (5, 5));
        l.step(1000, 100);
        l.fix(100, 10);
        assert_eq!((l.cursor, l.top), (99, 90));
        // Shrinking data clamps.
        l.fix(3, 10);
        assert_eq!((l.cursor, l.top), (2, 0));
        l.fix(0, 10);
        assert_eq!(l, ListState::default());
        // Zero height never divides or underflows.
        l.fix(5, 0);
    }
}
