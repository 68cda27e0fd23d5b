//! A server's IPAM tree: containers > networks > scopes, as DESIGN.md maps them onto Kea.
//! Scopes no ddish network claims are grouped by their Kea shared network, then "Ungrouped",
//! so a server with no ddish marks still shows every subnet.
use ipnet::Ipv4Net;

use super::scope::{NetworkDef, NetworkKind, ScopeDef, ScopeStats, ScopeStatus};
use super::util::Utilization;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Container,
    Network,
    /// A Kea shared-network holding subnets no ddish network claims.
    SharedNetwork(String),
    /// Subnets in no network at all.
    Ungrouped,
    /// Index into `ServerTree::scopes`.
    Scope(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub cidr: Option<Ipv4Net>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Active scopes only (inactive ones are left out of utilization).
    pub utilization: Utilization,
    pub status: ScopeStatus,
    pub children: Vec<Node>,
}

impl Node {
    pub fn label(&self) -> String {
        match (&self.kind, self.cidr) {
            (NodeKind::SharedNetwork(n), _) => format!("shared-network {n}"),
            (NodeKind::Ungrouped, _) => "Ungrouped subnets".to_string(),
            (_, Some(c)) => c.to_string(),
            _ => String::new(),
        }
    }

    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            NodeKind::Container => "Container",
            NodeKind::Network => "Network",
            NodeKind::SharedNetwork(_) => "Shared net",
            NodeKind::Ungrouped => "Group",
            NodeKind::Scope(_) => "Scope",
        }
    }
}

/// A scope with the counters that make the tree without loading any lease.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeSummary {
    pub def: ScopeDef,
    pub stats: Option<ScopeStats>,
}

impl ScopeSummary {
    pub fn utilization(&self) -> Utilization {
        match (self.def.status, self.stats) {
            (ScopeStatus::Active, Some(s)) => s.utilization(),
            _ => Utilization::default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerTree {
    pub scopes: Vec<ScopeSummary>,
    pub roots: Vec<Node>,
}

/// One visible line of the tree, depth-first.
#[derive(Clone, Debug)]
pub struct TreeRow<'a> {
    pub depth: usize,
    pub node: &'a Node,
    /// Path of child indices from the roots, to address the node again.
    pub path: Vec<usize>,
}

impl ServerTree {
    /// Builds the tree. Scopes in `scopes` are the server's subnets; networks a ddish network
    /// lists that are not among them come back as Missing scopes.
    pub fn build(networks: &[NetworkDef], mut scopes: Vec<ScopeSummary>) -> ServerTree {
        // Scopes a network lists that the server no longer has.
        for n in networks {
            for cidr in &n.scopes {
                if !scopes.iter().any(|s| s.def.cidr == *cidr) {
                    scopes.push(ScopeSummary {
                        def: missing_scope(*cidr),
                        stats: None,
                    });
                }
            }
        }
        scopes.sort_by_key(|s| (s.def.cidr.network(), s.def.cidr.prefix_len()));

        let mut nets: Vec<&NetworkDef> = networks.iter().collect();
        // Parents before children: shorter prefix first, then address.
        nets.sort_by_key(|n| (n.cidr.prefix_len(), n.cidr.network()));
        let mut claimed = vec![false; scopes.len()];
        let mut roots: Vec<Node> = Vec::new();
        for n in nets {
            let node = Node {
                kind: if n.kind == NetworkKind::Container {
                    NodeKind::Container
                } else {
                    NodeKind::Network
                },
                cidr: Some(n.cidr),
                title: n.title.clone(),
                description: n.description.clone(),
                utilization: Utilization::default(),
                status: ScopeStatus::Active,
                children: Vec::new(),
            };
            insert_network(&mut roots, node);
        }
        // Attach each scope to the deepest network containing it. Parents are found first,
        // while only networks are in the tree, so the search never walks attached scopes
        // (10,000 scopes under one container would make it quadratic).
        let parents: Vec<Option<Vec<usize>>> = scopes
            .iter()
            .map(|s| containing_path(&roots, &s.def.cidr))
            .collect();
        for (i, (s, parent)) in scopes.iter().zip(parents).enumerate() {
            if let Some(path) = parent {
                if let Some(node) = node_mut(&mut roots, &path) {
                    node.children.push(scope_node(i, s));
                    claimed[i] = true;
                }
            }
        }
        // The rest: by shared network, then ungrouped.
        let mut shared: Vec<Node> = Vec::new();
        let mut ungrouped: Vec<Node> = Vec::new();
        for (i, s) in scopes.iter().enumerate() {
            if claimed[i] {
                continue;
            }
            match &s.def.shared_network {
                Some(name) => {
                    let pos = shared
                        .iter()
                        .position(|n| n.kind == NodeKind::SharedNetwork(name.clone()));
                    let node = match pos {
                        Some(p) => &mut shared[p],
                        None => {
                            shared.push(group_node(NodeKind::SharedNetwork(name.clone())));
                            shared.last_mut().expect("just pushed")
                        }
                    };
                    node.children.push(scope_node(i, s));
                }
                None => ungrouped.push(scope_node(i, s)),
            }
        }
        roots.extend(shared);
        if !ungrouped.is_empty() {
            if roots.is_empty() {
                // A plain server: no grouping line, just its subnets.
                roots = ungrouped;
            } else {
                let mut g = group_node(NodeKind::Ungrouped);
                g.children = ungrouped;
                roots.push(g);
            }
        }
        for r in &mut roots {
            sum_utilization(r);
        }
        ServerTree { scopes, roots }
    }

    /// Active scopes' utilization over the whole server.
    pub fn utilization(&self) -> Utilization {
        self.scopes
            .iter()
            .fold(Utilization::default(), |u, s| u.merge(s.utilization()))
    }

    /// Depth-first rows; `expanded(path)` says whether a node's children are shown.
    pub fn rows(&self, expanded: &dyn Fn(&[usize]) -> bool) -> Vec<TreeRow<'_>> {
        let mut out = Vec::new();
        for (i, r) in self.roots.iter().enumerate() {
            walk(r, vec![i], 0, expanded, &mut out);
        }
        out
    }

    pub fn node(&self, path: &[usize]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let mut n = self.roots.get(*first)?;
        for i in rest {
            n = n.children.get(*i)?;
        }
        Some(n)
    }

    /// Every scope index under a node (the node's own if it is a scope).
    pub fn scopes_under(&self, node: &Node) -> Vec<usize> {
        let mut out = Vec::new();
        collect_scopes(node, &mut out);
        out
    }
}

fn collect_scopes(n: &Node, out: &mut Vec<usize>) {
    if let NodeKind::Scope(i) = n.kind {
        out.push(i);
    }
    for c in &n.children {
        collect_scopes(c, out);
    }
}

fn walk<'a>(
    n: &'a Node,
    path: Vec<usize>,
    depth: usize,
    expanded: &dyn Fn(&[usize]) -> bool,
    out: &mut Vec<TreeRow<'a>>,
) {
    let open = expanded(&path);
    out.push(TreeRow {
        depth,
        node: n,
        path: path.clone(),
    });
    if open {
        for (i, c) in n.children.iter().enumerate() {
            let mut p = path.clone();
            p.push(i);
            walk(c, p, depth + 1, expanded, out);
        }
    }
}

fn missing_scope(cidr: Ipv4Net) -> ScopeDef {
    let range = super::range::Range::hosts_of_net(&cidr);
    ScopeDef {
        id: 0,
        cidr,
        range,
        range_marked: false,
        pools: Default::default(),
        reservations: vec![],
        options: vec![],
        valid_lifetime: None,
        shared_network: None,
        status: ScopeStatus::Missing,
        title: None,
        description: None,
        gateway: None,
        client_class: None,
        pool_classes: Vec::new(),
    }
}

fn group_node(kind: NodeKind) -> Node {
    Node {
        kind,
        cidr: None,
        title: None,
        description: None,
        utilization: Utilization::default(),
        status: ScopeStatus::Active,
        children: Vec::new(),
    }
}

fn scope_node(i: usize, s: &ScopeSummary) -> Node {
    Node {
        kind: NodeKind::Scope(i),
        cidr: Some(s.def.cidr),
        title: s.def.title.clone(),
        description: s.def.description.clone(),
        utilization: s.utilization(),
        status: s.def.status,
        children: Vec::new(),
    }
}

/// Inserts a network under the deepest existing node containing it (parents come first).
fn insert_network(roots: &mut Vec<Node>, node: Node) {
    let Some(cidr) = node.cidr else {
        return roots.push(node);
    };
    match containing_path(roots, &cidr).and_then(|p| node_mut(roots, &p)) {
        Some(parent) => parent.children.push(node),
        None => roots.push(node),
    }
}

/// Path of the deepest network or container strictly containing `cidr`.
fn containing_path(nodes: &[Node], cidr: &Ipv4Net) -> Option<Vec<usize>> {
    for (i, n) in nodes.iter().enumerate() {
        let is_net = matches!(n.kind, NodeKind::Container | NodeKind::Network);
        if is_net && n.cidr.is_some_and(|c| c.contains(cidr) && c != *cidr) {
            let mut path = vec![i];
            if let Some(rest) = containing_path(&n.children, cidr) {
                path.extend(rest);
            }
            return Some(path);
        }
    }
    None
}

fn node_mut<'a>(nodes: &'a mut [Node], path: &[usize]) -> Option<&'a mut Node> {
    let (first, rest) = path.split_first()?;
    let n = nodes.get_mut(*first)?;
    if rest.is_empty() {
        Some(n)
    } else {
        node_mut(&mut n.children, rest)
    }
}

fn sum_utilization(n: &mut Node) -> Utilization {
    if matches!(n.kind, NodeKind::Scope(_)) {
        return n.utilization;
    }
    let mut u = Utilization::default();
    for c in &mut n.children {
        u = u.merge(sum_utilization(c));
    }
    n.utilization = u;
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::range::{Range, RangeSet};

    fn scope(
        cidr: &str,
        shared: Option<&str>,
        status: ScopeStatus,
        used: u64,
        total: u64,
    ) -> ScopeSummary {
        let cidr: Ipv4Net = cidr.parse().unwrap();
        let mut d = missing_scope(cidr);
        d.id = 1;
        d.status = status;
        d.shared_network = shared.map(String::from);
        d.pools = RangeSet::from_ranges([Range::hosts_of_net(&cidr)]);
        ScopeSummary {
            def: d,
            stats: Some(ScopeStats {
                total,
                assigned: used,
                declined: 0,
            }),
        }
    }

    fn net(cidr: &str, kind: NetworkKind, scopes: &[&str]) -> NetworkDef {
        NetworkDef {
            cidr: cidr.parse().unwrap(),
            kind,
            title: None,
            description: None,
            scopes: scopes.iter().map(|s| s.parse().unwrap()).collect(),
            claims: vec![],
        }
    }

    #[test]
    fn plain_server_lists_every_subnet() {
        let t = ServerTree::build(
            &[],
            vec![
                scope("10.20.0.0/24", None, ScopeStatus::Active, 1, 100),
                scope("10.10.0.0/24", None, ScopeStatus::Active, 3, 100),
                scope("10.30.0.0/24", Some("floor3"), ScopeStatus::Active, 0, 100),
            ],
        );
        let rows = t.rows(&|_| true);
        let labels: Vec<String> = rows.iter().map(|r| r.node.label()).collect();
        assert_eq!(
            labels,
            [
                "shared-network floor3",
                "10.30.0.0/24",
                "Ungrouped subnets",
                "10.10.0.0/24",
                "10.20.0.0/24"
            ]
        );
        assert_eq!(t.utilization(), Utilization::new(4, 300));
    }

    #[test]
    fn containers_networks_scopes_and_missing() {
        let t = ServerTree::build(
            &[
                net(
                    "10.64.0.0/24",
                    NetworkKind::Network,
                    &["10.64.0.0/25", "10.64.0.128/25"],
                ),
                net("10.0.0.0/8", NetworkKind::Container, &[]),
            ],
            vec![
                scope("10.64.0.0/25", None, ScopeStatus::Active, 10, 100),
                scope("10.99.0.0/24", None, ScopeStatus::Inactive, 50, 100),
                scope("192.0.2.0/24", None, ScopeStatus::Active, 5, 10),
            ],
        );
        let rows = t.rows(&|_| true);
        let got: Vec<(usize, String)> = rows.iter().map(|r| (r.depth, r.node.label())).collect();
        assert_eq!(
            got,
            [
                (0, "10.0.0.0/8".to_string()),
                (1, "10.64.0.0/24".to_string()),
                (2, "10.64.0.0/25".to_string()),
                (2, "10.64.0.128/25".to_string()),
                (1, "10.99.0.0/24".to_string()),
                (0, "Ungrouped subnets".to_string()),
                (1, "192.0.2.0/24".to_string()),
            ]
        );
        let missing = t.node(&[0, 0, 1]).unwrap();
        assert_eq!(missing.status, ScopeStatus::Missing);
        // Inactive and missing scopes are left out of utilization.
        assert_eq!(t.roots[0].utilization, Utilization::new(10, 100));
        assert_eq!(t.utilization(), Utilization::new(15, 110));
        assert_eq!(t.scopes_under(&t.roots[0]).len(), 3);
        // Collapsed: only roots.
        assert_eq!(t.rows(&|p| p.is_empty()).len(), 2);
    }
}
