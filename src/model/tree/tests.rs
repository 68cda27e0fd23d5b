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

/// Every scope index in the tree, with the most children any node has.
fn walk_all(n: &Node, scopes: &mut Vec<usize>, widest: &mut usize) {
    *widest = (*widest).max(n.children.len());
    if let NodeKind::Scope(i) = n.kind {
        scopes.push(i);
    }
    for c in &n.children {
        walk_all(c, scopes, widest);
    }
}

#[test]
fn a_big_flat_server_is_grouped_into_blocks_of_a_screenful() {
    // 10,000 /24s from 10.0.0.0 up, each 10 of 100 used.
    let scopes: Vec<ScopeSummary> = (0..10_000u32)
        .map(|i| {
            let net = std::net::Ipv4Addr::from(
                u32::from(std::net::Ipv4Addr::new(10, 0, 0, 0)) + (i << 8),
            );
            scope(&format!("{net}/24"), None, ScopeStatus::Active, 10, 100)
        })
        .collect();
    let t = ServerTree::build(&[], scopes);
    assert!(t.roots.len() <= MAX_CHILDREN, "{} roots", t.roots.len());
    let (mut seen, mut widest) = (Vec::new(), t.roots.len());
    for r in &t.roots {
        walk_all(r, &mut seen, &mut widest);
    }
    assert!(widest <= MAX_CHILDREN, "a node with {widest} children");
    seen.sort_unstable();
    assert_eq!(seen, (0..10_000).collect::<Vec<_>>(), "every scope once");
    // Blocks are address blocks holding their scopes, with their utilization summed.
    let first = &t.roots[0];
    assert_eq!(first.kind, NodeKind::Supernet);
    let block = first.cidr.unwrap();
    let under = t.scopes_under(first);
    assert!(under.iter().all(|i| block.contains(&t.scopes[*i].def.cidr)));
    assert_eq!(first.utilization.used, 10 * under.len() as u64);
    assert_eq!(first.label(), format!("{block} block"));
    // Blocks as small as a screenful: /18s of 64 scopes; too many of those (157) side by
    // side, so they go into /12s of up to 64 blocks: 3 at the top.
    assert_eq!(block.prefix_len(), 12);
    assert_eq!(t.roots.len(), 3);
    assert_eq!(first.children.len(), 64);
    assert_eq!(first.children[0].cidr.unwrap().prefix_len(), 18);
    assert_eq!(first.children[0].children.len(), 64);
}

#[test]
fn small_servers_and_odd_shapes_stay_readable() {
    // 64 scopes: flat, as before.
    let few: Vec<ScopeSummary> = (0..64u8)
        .map(|i| scope(&format!("10.1.{i}.0/24"), None, ScopeStatus::Active, 1, 10))
        .collect();
    let t = ServerTree::build(&[], few);
    assert_eq!(t.roots.len(), 64);
    assert!(t.roots.iter().all(|n| matches!(n.kind, NodeKind::Scope(_))));
    // 100 scopes in a shared network, plus a /16 holding them and one far away: the
    // shared network's children are grouped (two /18 blocks), the others stay scopes.
    let mut s: Vec<ScopeSummary> = (0..100u8)
        .map(|i| {
            scope(
                &format!("10.2.{i}.0/24"),
                Some("campus"),
                ScopeStatus::Active,
                1,
                10,
            )
        })
        .collect();
    s.push(scope(
        "10.2.0.0/16",
        Some("campus"),
        ScopeStatus::Active,
        0,
        10,
    ));
    s.push(scope(
        "192.0.2.0/24",
        Some("campus"),
        ScopeStatus::Active,
        0,
        10,
    ));
    let t = ServerTree::build(&[], s);
    assert_eq!(t.roots.len(), 1);
    let campus = &t.roots[0];
    assert_eq!(campus.kind, NodeKind::SharedNetwork("campus".into()));
    let labels: Vec<String> = campus.children.iter().map(|n| n.label()).collect();
    assert_eq!(
        labels,
        [
            "10.2.0.0/16",
            "10.2.0.0/18 block",
            "10.2.64.0/18 block",
            "192.0.2.0/24"
        ]
    );
    let (mut seen, mut widest) = (Vec::new(), 0);
    walk_all(campus, &mut seen, &mut widest);
    assert_eq!(seen.len(), 102);
    assert!(widest <= MAX_CHILDREN);
    assert!(
        campus
            .children
            .iter()
            .any(|n| n.cidr == Some("192.0.2.0/24".parse().unwrap())
                && matches!(n.kind, NodeKind::Scope(_))),
        "{:?}",
        campus
            .children
            .iter()
            .map(|n| n.label())
            .collect::<Vec<_>>()
    );
    // The same subnet many times over (a broken config) is left flat, not looped on.
    let same: Vec<ScopeSummary> = (0..70)
        .map(|_| scope("10.3.0.0/24", None, ScopeStatus::Active, 0, 10))
        .collect();
    assert_eq!(ServerTree::build(&[], same).roots.len(), 70);
}
