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
    /// A block of address space grouping scopes of a big server that no network groups
    /// (more than [`MAX_CHILDREN`] side by side); folded until opened.
    Supernet,
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
            (NodeKind::Supernet, Some(c)) => format!("{c} block"),
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
            NodeKind::Supernet => "Block",
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
        for s in &mut shared {
            s.children = by_supernet(std::mem::take(&mut s.children));
        }
        roots.extend(shared);
        if !ungrouped.is_empty() {
            let ungrouped = by_supernet(ungrouped);
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

/// The most nodes shown side by side before scopes are grouped into blocks: about a
/// screenful.
pub const MAX_CHILDREN: usize = 64;

/// Groups more than [`MAX_CHILDREN`] nodes into address blocks: at the shortest prefix
/// whose blocks each hold at most [`MAX_CHILDREN`] (small groups, few of them), then the
/// blocks themselves the same way while there are still too many side by side. A block of
/// one is left as its node. Nodes come sorted by address.
fn by_supernet(nodes: Vec<Node>) -> Vec<Node> {
    if nodes.len() <= MAX_CHILDREN || nodes.iter().any(|n| n.cidr.is_none()) {
        return nodes;
    }
    let cidrs: Vec<Ipv4Net> = nodes.iter().filter_map(|n| n.cidr).collect();
    let key = |c: &Ipv4Net, len: u8| {
        Ipv4Net::new(c.network(), len.min(c.prefix_len()))
            .map(|n| n.trunc())
            .unwrap_or(*c)
    };
    // The biggest block at a prefix length (same keys are adjacent: nodes are sorted).
    let biggest = |len: u8| {
        let (mut most, mut run) = (0usize, 0usize);
        for (i, c) in cidrs.iter().enumerate() {
            let k = key(c, len);
            run = if i > 0 && key(&cidrs[i - 1], len) == k {
                run + 1
            } else {
                1
            };
            most = most.max(run);
        }
        most
    };
    // Bits every node shares: no block above them.
    let first = u32::from(cidrs[0].network());
    let shared_bits = cidrs
        .iter()
        .map(|c| {
            (u32::from(c.network()) ^ first)
                .leading_zeros()
                .min(u32::from(c.prefix_len()))
        })
        .min()
        .unwrap_or(0) as u8;
    let Some(len) = ((shared_bits + 1)..=32).find(|l| biggest(*l) <= MAX_CHILDREN) else {
        return nodes;
    };
    let mut groups: Vec<(Ipv4Net, Vec<Node>)> = Vec::new();
    for n in nodes {
        let k = key(&n.cidr.unwrap_or_default(), len);
        match groups.last_mut() {
            Some((g, members)) if *g == k => members.push(n),
            _ => groups.push((k, vec![n])),
        }
    }
    let count = groups.len();
    let out: Vec<Node> = groups
        .into_iter()
        .flat_map(|(net, members)| {
            if members.len() == 1 || count == members.len() {
                // Alone, or no grouping that helps: as they are.
                return members;
            }
            let mut g = group_node(NodeKind::Supernet);
            g.cidr = Some(net);
            g.children = members;
            vec![g]
        })
        .collect();
    if out.len() > MAX_CHILDREN && out.iter().any(|n| n.kind == NodeKind::Supernet) {
        // Still too many side by side: the blocks into bigger blocks.
        by_supernet(out)
    } else {
        out
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
mod tests;
