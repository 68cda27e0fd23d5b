//! The address space as `update` sees it (issue 4, and claims at network level from issue
//! 3): the "create new" and actions menus of the tree and network views and the steps they
//! lead to. Marks and bulk changes are in `marks.rs`, the popups' keys in `layer.rs`, the
//! answers in `layout_done.rs`; jobs go to the ops layer through the worker, which refuses
//! what the CLI refuses.
use std::sync::Arc;

use ipnet::Ipv4Net;

use crate::model::{NetworkKind, Node, NodeKind, ScopeStatus};
use crate::ops::bulk::Target as BulkTarget;
use crate::ops::ServerData;

use super::{App, Request, StatusKind};
use crate::tui::actions::{BulkKind, Choice, Command, Confirm, Modal, Step};
use crate::tui::form::layout_forms::Ctx;
use crate::tui::form::Form;
use crate::tui::keymap::Action;
use crate::tui::views::{find_node, node_key, ServerTab, View};

/// What the cursor is on in the tree or a network view.
pub(super) enum Selected {
    Scope(Box<crate::model::ScopeDef>),
    Net {
        cidr: Ipv4Net,
        kind: NetworkKind,
    },
    /// A shared network or the ungrouped subnets: no layout action of its own.
    Other(String),
}

/// Puts the tree cursor on the node `key`, unfolding its ancestors (the item just created).
pub(super) fn select_node(tab: &mut ServerTab, data: &ServerData, key: &str) {
    let full = tab.tree.all_open();
    let rows = full.rows(&data.tree);
    if let Some(r) = rows.iter().find(|r| node_key(r.node) == key) {
        for k in 1..r.path.len() {
            if let Some(n) = data.tree.node(&r.path[..k]) {
                tab.tree.unfold(n);
            }
        }
    }
    if let Some(p) = tab
        .tree
        .rows(&data.tree)
        .iter()
        .position(|r| node_key(r.node) == key)
    {
        tab.tree.list.cursor = p;
    }
    // In a network view, the scope list's cursor goes to it too.
    if let (Some(View::Network(n)), Some(cidr)) = (
        tab.stack.last_mut(),
        key.strip_prefix("scope:")
            .and_then(|c| c.parse::<Ipv4Net>().ok()),
    ) {
        if let Some(p) = n
            .scopes(&data.tree)
            .unwrap_or_default()
            .iter()
            .position(|i| data.tree.scopes[*i].def.cidr == cidr)
        {
            n.list.cursor = p;
        }
    }
}

/// The networks' scopes a network node holds (CIDRs), for the delete refusal.
pub(super) fn scopes_of(data: &ServerData, node: &Node) -> Vec<Ipv4Net> {
    data.tree
        .scopes_under(node)
        .into_iter()
        .map(|i| data.tree.scopes[i].def.cidr)
        .collect()
}

pub(super) fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(Ipv4Net::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
impl App {
    pub(super) fn active_tab_index(&self) -> Option<usize> {
        self.active.checked_sub(1).filter(|i| *i < self.tabs.len())
    }

    /// What the tree or network cursor is on, with the tab's data.
    pub(super) fn selected(&self) -> Option<(Arc<ServerData>, Selected)> {
        let t = self.tab()?;
        let data = t.data.clone()?;
        let node_sel = |n: &Node| match (&n.kind, n.cidr) {
            (NodeKind::Scope(i), _) => Selected::Scope(Box::new(data.tree.scopes[*i].def.clone())),
            (NodeKind::Network, Some(c)) => Selected::Net {
                cidr: c,
                kind: NetworkKind::Network,
            },
            (NodeKind::Container, Some(c)) => Selected::Net {
                cidr: c,
                kind: NetworkKind::Container,
            },
            _ => Selected::Other(n.label()),
        };
        let sel = match t.stack.last() {
            None => {
                let rows = t.tree.rows(&data.tree);
                node_sel(rows.get(t.tree.list.cursor)?.node)
            }
            Some(View::Network(n)) => {
                let node = find_node(&data.tree.roots, &n.key)?;
                let idx = n.scopes(&data.tree).unwrap_or_default();
                match idx.get(n.list.cursor) {
                    Some(i) => Selected::Scope(Box::new(data.tree.scopes[*i].def.clone())),
                    None => node_sel(node),
                }
            }
            Some(View::Scope(_)) => return None,
        };
        Some((data, sel))
    }

    /// The network in view (network view) or the network above the selected scope (tree).
    pub(super) fn network_here(&self, data: &ServerData) -> Option<Ipv4Net> {
        let t = self.tab()?;
        let node = match t.stack.last() {
            Some(View::Network(n)) => find_node(&data.tree.roots, &n.key)?,
            _ => {
                let rows = t.tree.rows(&data.tree);
                let r = rows.get(t.tree.list.cursor)?;
                match r.node.kind {
                    NodeKind::Network => r.node,
                    NodeKind::Scope(_) if r.path.len() > 1 => {
                        data.tree.node(&r.path[..r.path.len() - 1])?
                    }
                    _ => return None,
                }
            }
        };
        (node.kind == NodeKind::Network)
            .then_some(node.cidr)
            .flatten()
    }

    /// What the layout and bulk forms check against.
    pub(super) fn form_ctx(&self, data: &ServerData) -> Ctx {
        Ctx {
            server: data.name.clone(),
            networks: data.networks.clone(),
            scopes: data
                .tree
                .scopes
                .iter()
                .filter(|s| s.def.status != ScopeStatus::Missing)
                .map(|s| s.def.cidr)
                .collect(),
            base: None,
            servers: self.fleet.rows.iter().map(|r| r.name.clone()).collect(),
            custom: data.option_defs.clone(),
        }
    }

    /// The option definitions of a bulk change's servers, from their loaded tabs (a server
    /// without a loaded tab adds none; the write checks each server's own again).
    fn custom_defs(&self, target: &BulkTarget) -> Vec<crate::model::option_defs::CustomOptionDef> {
        let servers: Vec<&str> = match target {
            BulkTarget::Servers(s) => s.iter().map(String::as_str).collect(),
            BulkTarget::Scopes(s) => s.iter().map(|(n, _)| n.as_str()).collect(),
        };
        let mut out: Vec<crate::model::option_defs::CustomOptionDef> = Vec::new();
        for t in self
            .tabs
            .iter()
            .filter(|t| servers.contains(&t.name.as_str()))
        {
            for d in t.data.iter().flat_map(|d| d.option_defs.iter()) {
                if !out.contains(d) {
                    out.push(d.clone());
                }
            }
        }
        out
    }

    pub(super) fn choose(&mut self, title: String, items: Vec<Step>) {
        self.layer.push(Modal::Choose(Choice {
            title,
            items,
            cursor: 0,
        }));
    }

    /// A key of the tree, network or Servers tab about layout, claims, marks or bulk.
    pub(super) fn layout_key(&mut self, a: Action) -> Vec<Request> {
        match a {
            Action::Mark => {
                self.toggle_mark();
                return Vec::new();
            }
            Action::Unmark => {
                if self.active == 0 {
                    self.server_marks.clear();
                } else {
                    self.marks.clear();
                }
                self.set_status(StatusKind::Info, "marks cleared");
                return Vec::new();
            }
            Action::Bulk => {
                self.open_bulk();
                return Vec::new();
            }
            _ => {}
        }
        if self.tab().is_some_and(|t| t.data.is_none()) {
            let name = self.tab().map(|t| t.name.clone()).unwrap_or_default();
            self.set_status(
                StatusKind::Error,
                format!("{name} is not loaded yet: wait for it, or r to retry"),
            );
            return Vec::new();
        }
        let Some((data, sel)) = self.selected() else {
            return Vec::new();
        };
        let net_here = self.network_here(&data);
        match a {
            Action::New => {
                let in_network_view = matches!(
                    self.tab().and_then(|t| t.stack.last()),
                    Some(View::Network(_))
                );
                if let (true, Some(n)) = (in_network_view, net_here) {
                    let f = Form::new_scope(self.form_ctx(&data), n);
                    self.layer.push(Modal::Form(Box::new(f)));
                    return Vec::new();
                }
                let mut items = vec![
                    Step::NewNetwork { container: false },
                    Step::NewNetwork { container: true },
                ];
                if let Some(n) = net_here {
                    items.push(Step::NewScope(n));
                }
                self.choose("Create new".into(), items);
            }
            Action::Layout => {
                let items = match &sel {
                    Selected::Scope(d) => match d.status {
                        ScopeStatus::Active => vec![
                            Step::EditScope(d.cidr),
                            Step::Deactivate(d.cidr),
                            Step::Duplicate(d.cidr),
                            Step::DeleteScope(d.cidr),
                        ],
                        ScopeStatus::Inactive => vec![
                            Step::Activate(d.cidr),
                            Step::EditScope(d.cidr),
                            Step::Duplicate(d.cidr),
                            Step::DeleteScope(d.cidr),
                        ],
                        ScopeStatus::Missing => vec![Step::Recreate(d.cidr), Step::Forget(d.cidr)],
                    },
                    Selected::Net {
                        cidr,
                        kind: NetworkKind::Network,
                    } => vec![
                        Step::NewScope(*cidr),
                        Step::EditNetwork(*cidr),
                        Step::ClaimNet(*cidr),
                        Step::Claims(*cidr),
                        Step::ToContainer(*cidr),
                        Step::DeleteNetwork(*cidr),
                    ],
                    Selected::Net { cidr, .. } => {
                        vec![Step::EditNetwork(*cidr), Step::DeleteNetwork(*cidr)]
                    }
                    Selected::Other(label) => {
                        let msg = format!(
                            "{label} is not a ddish network: select a network, container or scope (n creates a network)"
                        );
                        self.set_status(StatusKind::Error, msg);
                        return Vec::new();
                    }
                };
                let title = match &sel {
                    Selected::Scope(d) => format!("Scope {} · {}", d.cidr, d.status.label()),
                    Selected::Net { cidr, kind } => {
                        format!("{} {cidr}", crate::ops::layout::rules::kind_word(*kind))
                    }
                    Selected::Other(l) => l.clone(),
                };
                self.choose(title, items);
            }
            Action::ClaimNet | Action::Claims => {
                let Some(n) = net_here.or(match sel {
                    Selected::Net {
                        cidr,
                        kind: NetworkKind::Network,
                    } => Some(cidr),
                    _ => None,
                }) else {
                    self.set_status(
                        StatusKind::Error,
                        "select a network: claims outside every scope belong to a network",
                    );
                    return Vec::new();
                };
                let step = if a == Action::ClaimNet {
                    Step::ClaimNet(n)
                } else {
                    Step::Claims(n)
                };
                return self.run_step(step);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Carries out one step of a menu.
    pub(super) fn run_step(&mut self, step: Step) -> Vec<Request> {
        if let Step::Scopes(op) = step {
            return self.open_scopes_preview(op);
        }
        if let Step::Bulk(kind) = step {
            let target = self.bulk_target(self.active == 0);
            if kind == BulkKind::ListClasses {
                let servers = match &target {
                    BulkTarget::Servers(s) => s.clone(),
                    BulkTarget::Scopes(s) => {
                        let mut v: Vec<String> = s.iter().map(|(n, _)| n.clone()).collect();
                        v.dedup();
                        v
                    }
                };
                self.layer.push(Modal::Classes {
                    rows: None,
                    scroll: 0,
                });
                return self.send_bulk(Command::Classes(servers));
            }
            let custom = self.custom_defs(&target);
            self.layer
                .push(Modal::Form(Box::new(Form::bulk(kind, target, custom))));
            return Vec::new();
        }
        let Some(data) = self.tab().and_then(|t| t.data.clone()) else {
            return Vec::new();
        };
        let ctx = self.form_ctx(&data);
        let net = |c: Ipv4Net| data.networks.iter().find(|n| n.cidr == c).cloned();
        let scope = |c: Ipv4Net| {
            data.tree
                .scopes
                .iter()
                .find(|s| s.def.cidr == c)
                .map(|s| s.def.clone())
        };
        let confirm = |title: &str, text: String, job: Command| {
            Modal::Confirm(Confirm {
                title: title.into(),
                text,
                job,
            })
        };
        let modal = match step {
            Step::NewNetwork { container } => {
                let inside = match self.selected() {
                    Some((
                        _,
                        Selected::Net {
                            cidr,
                            kind: NetworkKind::Container,
                        },
                    )) => Some(cidr),
                    _ => None,
                };
                Modal::Form(Box::new(Form::new_network(ctx, container, inside)))
            }
            Step::NewScope(n) => Modal::Form(Box::new(Form::new_scope(ctx, n))),
            Step::EditNetwork(c) => match net(c) {
                Some(n) => Modal::Form(Box::new(Form::edit_network(ctx, &n))),
                None => return self.gone(c),
            },
            Step::ToContainer(c) => {
                let node = find_node(&data.tree.roots, &format!("net:{c}"));
                let held = node.map(|n| scopes_of(&data, n)).unwrap_or_default();
                if !held.is_empty() {
                    return self.refuse(format!(
                        "{c} holds the scope(s) {}, and a container holds only networks: delete or move them first",
                        list(&held)
                    ));
                }
                confirm(
                    "Convert to a container",
                    format!("Turn the network {c} into a container? A container holds networks, not DHCP scopes."),
                    Command::ToContainer { cidr: c },
                )
            }
            Step::DeleteNetwork(c) => {
                let Some(n) = net(c) else {
                    return self.gone(c);
                };
                let node = find_node(&data.tree.roots, &format!("net:{c}"));
                if n.kind == NetworkKind::Network {
                    let held = node.map(|x| scopes_of(&data, x)).unwrap_or_default();
                    if !held.is_empty() {
                        return self.refuse(format!(
                            "network {c} still holds the scope(s) {}: delete them (or forget missing ones) first",
                            list(&held)
                        ));
                    }
                    if !n.claims.is_empty() {
                        return self.refuse(format!(
                            "network {c} still holds claimed addresses ({}): unclaim them first",
                            n.claims
                                .iter()
                                .map(|x| x.ip.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                } else {
                    let kids: Vec<Ipv4Net> = data
                        .networks
                        .iter()
                        .filter(|x| x.cidr != c && c.contains(&x.cidr))
                        .map(|x| x.cidr)
                        .collect();
                    if !kids.is_empty() {
                        return self.refuse(format!(
                            "container {c} still holds {}: delete them first",
                            list(&kids)
                        ));
                    }
                }
                confirm(
                    "Delete",
                    format!(
                        "Delete the {} {c} from {}? Only ddish's record of it goes; no DHCP scope is touched.",
                        crate::ops::layout::rules::kind_word(n.kind),
                        data.name
                    ),
                    Command::DeleteNetwork { cidr: c },
                )
            }
            Step::EditScope(c) => match scope(c) {
                Some(d) => Modal::Form(Box::new(Form::edit_scope(ctx, &d))),
                None => return self.gone(c),
            },
            Step::Duplicate(c) => match scope(c) {
                Some(d) => Modal::Form(Box::new(Form::duplicate(ctx, &d))),
                None => return self.gone(c),
            },
            Step::Activate(c) => {
                return self.send_layout(Command::SetActive {
                    cidr: c,
                    active: true,
                })
            }
            Step::Deactivate(c) => confirm(
                "Deactivate",
                format!("Deactivate the scope {c} on {}? It stays configured, but DHCP serves no client from it until it is activated again; its leases run out.", data.name),
                Command::SetActive {
                    cidr: c,
                    active: false,
                },
            ),
            // The server side counts its leases and reservations and asks.
            Step::DeleteScope(c) => {
                return self.send_layout(Command::DeleteScope {
                    cidr: c,
                    confirmed: false,
                })
            }
            Step::Recreate(c) => confirm(
                "Re-create",
                format!("Re-create the scope {c} on {} with defaults (the whole subnet as range, active, the server's lease time)?", data.name),
                Command::RecreateScope { cidr: c },
            ),
            Step::Forget(c) => confirm(
                "Forget",
                format!("Forget the missing scope {c}? Its network stops listing it; nothing else changes."),
                Command::ForgetScope { cidr: c },
            ),
            Step::ClaimNet(c) => Modal::Form(Box::new(Form::net_claim(ctx, c))),
            Step::Claims(c) => Modal::ClaimList {
                network: c,
                cursor: 0,
            },
            Step::Bulk(_) | Step::Scopes(_) => return Vec::new(),
        };
        self.layer.push(modal);
        Vec::new()
    }
}
