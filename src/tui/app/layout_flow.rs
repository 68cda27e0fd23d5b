//! The address space and many scopes at once, as `update` sees them (issue 4, and claims at
//! network level from issue 3): the "create new" and actions menus of the tree and network
//! views, their forms and questions, marks (Space) and the bulk flow form -> preview ->
//! confirm -> outcome, including activating, deactivating or deleting the marked scopes
//! (preview per server, then one job per server). The popups live in `App::layer`; jobs go
//! to the ops layer through the worker, which refuses what the CLI refuses.
use std::sync::Arc;

use ipnet::Ipv4Net;

use crate::model::{NetworkKind, Node, NodeKind, ScopeStatus};
use crate::ops::bulk::Target as BulkTarget;
use crate::ops::ServerData;

use super::{App, BulkResult, Request, RequestKind, StatusKind, Target};
use crate::ops::bulk::{ServerOutcome, ServerPreview};
use crate::tui::actions::{
    BulkKind, Choice, Command, Confirm, Done, Fail, Modal, Pending, ScopesOp, Step,
};
use crate::tui::form::layout_forms::Ctx;
use crate::tui::form::Form;
use crate::tui::keymap::Action;
use crate::tui::views::{find_node, node_key, Load, ServerTab, View};

/// What the cursor is on in the tree or a network view.
enum Selected {
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
    let mut full = tab.tree.clone();
    full.collapsed.clear();
    let rows = full.rows(&data.tree);
    if let Some(r) = rows.iter().find(|r| node_key(r.node) == key) {
        for k in 1..r.path.len() {
            if let Some(n) = data.tree.node(&r.path[..k]) {
                tab.tree.collapsed.remove(&node_key(n));
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
fn scopes_of(data: &ServerData, node: &Node) -> Vec<Ipv4Net> {
    data.tree
        .scopes_under(node)
        .into_iter()
        .map(|i| data.tree.scopes[i].def.cidr)
        .collect()
}

fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(Ipv4Net::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl App {
    fn active_tab_index(&self) -> Option<usize> {
        self.active.checked_sub(1).filter(|i| *i < self.tabs.len())
    }

    /// What the tree or network cursor is on, with the tab's data.
    fn selected(&self) -> Option<(Arc<ServerData>, Selected)> {
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
    fn network_here(&self, data: &ServerData) -> Option<Ipv4Net> {
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
    fn form_ctx(&self, data: &ServerData) -> Ctx {
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
        }
    }

    fn choose(&mut self, title: String, items: Vec<Step>) {
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

    /// Space: marks or unmarks the scope (or every scope of the network) under the cursor,
    /// or the server on the Servers tab.
    fn toggle_mark(&mut self) {
        if self.active == 0 {
            let vis = self.fleet.visible();
            if let Some(i) = vis.get(self.fleet.list.cursor) {
                let name = self.fleet.rows[*i].name.clone();
                if !self.server_marks.remove(&name) {
                    self.server_marks.insert(name);
                }
            }
            return;
        }
        let Some((data, sel)) = self.selected() else {
            return;
        };
        let server = data.name.clone();
        let cidrs: Vec<Ipv4Net> = match sel {
            Selected::Scope(d) if d.status == ScopeStatus::Missing => {
                let msg = format!(
                    "{} is missing on {server}: nothing to change on it (a re-creates or forgets it)",
                    d.cidr
                );
                self.set_status(StatusKind::Error, msg);
                return;
            }
            Selected::Scope(d) => vec![d.cidr],
            _ => {
                // A network, container or group: all of its scopes at once (in a network
                // view: the network's).
                let Some(t) = self.tab() else { return };
                let rows = t.tree.rows(&data.tree);
                let node = match t.stack.last() {
                    Some(View::Network(n)) => find_node(&data.tree.roots, &n.key),
                    _ => rows.get(t.tree.list.cursor).map(|r| r.node),
                };
                let Some(node) = node else {
                    return;
                };
                data.tree
                    .scopes_under(node)
                    .into_iter()
                    .map(|i| &data.tree.scopes[i].def)
                    .filter(|d| d.status != ScopeStatus::Missing)
                    .map(|d| d.cidr)
                    .collect()
            }
        };
        let all = cidrs
            .iter()
            .all(|c| self.marks.contains(&(server.clone(), *c)));
        for c in cidrs {
            let k = (server.clone(), c);
            if all {
                self.marks.remove(&k);
            } else {
                self.marks.insert(k);
            }
        }
    }

    /// `B`: the menu of bulk changes for the marked scopes or servers.
    fn open_bulk(&mut self) {
        let servers = self.active == 0;
        let target = if servers {
            if self.server_marks.is_empty() {
                self.set_status(
                    StatusKind::Error,
                    "no server marked: Space marks servers on this tab",
                );
                return;
            }
            // Config order, as the Servers tab lists them.
            let names = self
                .fleet
                .rows
                .iter()
                .filter(|r| self.server_marks.contains(&r.name))
                .map(|r| r.name.clone())
                .collect::<Vec<_>>();
            format!("{} marked server(s): {}", names.len(), names.join(", "))
        } else {
            if self.marks.is_empty() {
                self.set_status(
                    StatusKind::Error,
                    "no scope marked: Space marks scopes in the tree or a network (on any server tab)",
                );
                return;
            }
            let (n, s) = self.mark_counts();
            format!("{n} marked scope(s) on {s} server(s)")
        };
        let mut items: Vec<Step> = BulkKind::offered(servers)
            .into_iter()
            .map(Step::Bulk)
            .collect();
        if !servers {
            items.extend(
                [ScopesOp::Activate, ScopesOp::Deactivate, ScopesOp::Delete].map(Step::Scopes),
            );
        }
        self.choose(format!("Bulk change · {target}"), items);
    }

    /// (marked scopes, servers they are on).
    pub fn mark_counts(&self) -> (usize, usize) {
        let mut servers: Vec<&str> = self.marks.iter().map(|(s, _)| s.as_str()).collect();
        servers.dedup();
        (self.marks.len(), servers.len())
    }

    fn bulk_target(&self, servers: bool) -> BulkTarget {
        if servers {
            BulkTarget::Servers(
                self.fleet
                    .rows
                    .iter()
                    .filter(|r| self.server_marks.contains(&r.name))
                    .map(|r| r.name.clone())
                    .collect(),
            )
        } else {
            BulkTarget::Scopes(self.marks.iter().cloned().collect())
        }
    }

    /// Carries out one step of a menu.
    fn run_step(&mut self, step: Step) -> Vec<Request> {
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
            self.layer
                .push(Modal::Form(Box::new(Form::bulk(kind, target))));
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

    /// Activate, deactivate or delete the marked scopes: refused without the admin role
    /// on every server involved, else their preview (read from the servers) opens.
    fn open_scopes_preview(&mut self, op: ScopesOp) -> Vec<Request> {
        let scopes: Vec<(String, Ipv4Net)> = self.marks.iter().cloned().collect();
        if scopes.is_empty() {
            self.set_status(StatusKind::Error, "no scope marked: Space marks scopes");
            return Vec::new();
        }
        let mut lacking: Vec<&str> = scopes
            .iter()
            .map(|(s, _)| s.as_str())
            .filter(|s| !self.rights_for(s).admin)
            .collect();
        lacking.dedup();
        if !lacking.is_empty() {
            let text = format!(
                "{} scopes needs the admin role on every server involved, and you are not \
                 admin on {} (config `role = \"admin\"`, and no --read-only): nothing was \
                 changed; unmark its scopes (Space) to go on with the others",
                op.doing(),
                lacking.join(", ")
            );
            return self.refuse(super::capitalize(&text));
        }
        self.layer.push(Modal::ScopesPreview {
            op,
            scopes: scopes.clone(),
            rows: None,
            scroll: 0,
        });
        self.send_bulk(Command::ScopesPreview { op, scopes })
    }

    /// `y` on that preview: one job per server that can take it; the others are in the
    /// outcome table as failed with their reason.
    fn apply_scopes(
        &mut self,
        op: ScopesOp,
        scopes: Vec<(String, Ipv4Net)>,
        rows: &[ServerPreview],
    ) -> Vec<Request> {
        let mut servers: Vec<(String, Vec<Ipv4Net>)> = Vec::new();
        for (s, c) in scopes {
            match servers.iter_mut().find(|(n, _)| *n == s) {
                Some((_, v)) => v.push(c),
                None => servers.push((s, vec![c])),
            }
        }
        self.layer.clear();
        self.layer.push(Modal::Outcome {
            title: format!("Outcome · {} the marked scopes", op.doing()),
            rows: None,
            scroll: 0,
        });
        self.scopes_done.clear();
        self.scopes_waiting.clear();
        let mut out = Vec::new();
        for (server, cidrs) in servers {
            let why = rows
                .iter()
                .find(|p| p.server == server)
                .and_then(|p| p.error.clone());
            if let Some(e) = why {
                self.scopes_done.push(ServerOutcome {
                    server,
                    peers: Vec::new(),
                    result: Err(format!("not sent: {e}")),
                });
                continue;
            }
            let (id, gen) = self.ids();
            self.scopes_waiting
                .push((id, server.clone(), op, cidrs.clone()));
            out.push(Request {
                id,
                gen,
                target: Target::Bulk,
                kind: RequestKind::Action(Command::ScopesApply { server, op, cidrs }),
                baseline: None,
            });
        }
        self.set_status(
            StatusKind::Busy,
            format!(
                "{} the marked scopes on {} server(s)…",
                op.doing(),
                out.len()
            ),
        );
        out
    }

    /// One server's answer to `apply_scopes`: marks of deleted scopes go, its tree (and
    /// its peers') reloads; the table fills once every server has answered.
    fn on_scopes_applied(&mut self, id: u64, res: Result<BulkResult, String>) -> Vec<Request> {
        let Some(i) = self.scopes_waiting.iter().position(|w| w.0 == id) else {
            return Vec::new();
        };
        let (_, server, op, cidrs) = self.scopes_waiting.remove(i);
        let row = match res {
            Ok(BulkResult::Outcome(mut rows)) if !rows.is_empty() => rows.remove(0),
            Ok(_) => ServerOutcome {
                server: server.clone(),
                peers: Vec::new(),
                result: Err("internal error: no outcome came back; r reloads to see".into()),
            },
            Err(e) => ServerOutcome {
                server: server.clone(),
                peers: Vec::new(),
                result: Err(e),
            },
        };
        let mut out = Vec::new();
        if row.result.is_ok() {
            if op == ScopesOp::Delete {
                for c in &cidrs {
                    self.marks.remove(&(server.clone(), *c));
                }
            }
            let mut seen: Vec<String> = Vec::new();
            for s in std::iter::once(server.clone()).chain(row.peers.clone()) {
                if !seen.contains(&s) {
                    out.extend(self.reload_tab(&s));
                    seen.push(s);
                }
            }
        }
        self.scopes_done.push(row);
        if !self.scopes_waiting.is_empty() {
            let msg = format!(
                "{} the marked scopes: {} server(s) still to answer…",
                op.doing(),
                self.scopes_waiting.len()
            );
            self.set_status(StatusKind::Busy, msg);
            return out;
        }
        // Server-name order (as the marks sort), whatever order the answers came in.
        let mut rows = std::mem::take(&mut self.scopes_done);
        rows.sort_by(|a, b| a.server.cmp(&b.server));
        let failed = rows.iter().filter(|r| r.result.is_err()).count();
        if failed == 0 {
            self.set_status(
                StatusKind::Info,
                format!("{}: done on {} server(s)", op.label(), rows.len()),
            );
        } else {
            self.set_status(
                StatusKind::Error,
                format!(
                    "{failed} of {} server(s) failed: see the outcome table",
                    rows.len()
                ),
            );
        }
        match self
            .layer
            .iter_mut()
            .rev()
            .find(|m| matches!(m, Modal::Outcome { .. }))
        {
            Some(Modal::Outcome { rows: slot, .. }) => *slot = Some(rows),
            _ => tracing::debug!("scope outcome for a closed popup"),
        }
        out
    }

    fn gone(&mut self, c: Ipv4Net) -> Vec<Request> {
        let name = self.tab().map(|t| t.name.clone()).unwrap_or_default();
        self.refuse(format!("{c} is no longer on {name}: r reloads"))
    }

    /// A refusal in full, in a popup (lists of scopes can be long).
    fn refuse(&mut self, text: String) -> Vec<Request> {
        self.set_status(StatusKind::Error, text.clone());
        self.layer.push(Modal::Message {
            title: "Not possible".into(),
            text,
            error: true,
            scroll: 0,
        });
        Vec::new()
    }

    /// Sends a change of the active server's address space.
    fn send_layout(&mut self, job: Command) -> Vec<Request> {
        let Some(ti) = self.active_tab_index() else {
            return Vec::new();
        };
        if let Some(p) = &self.layer_pending {
            let msg = format!("still {}: wait for the answer", p.job.doing());
            self.set_status(StatusKind::Busy, msg);
            return Vec::new();
        }
        let (id, gen) = self.ids();
        let server = self.tabs[ti].name.clone();
        let baseline = self.tabs[ti].baseline();
        self.layer_pending = Some(Pending {
            id,
            job: job.clone(),
        });
        let msg = format!("{} on {server}…", job.doing());
        self.set_status(StatusKind::Busy, msg);
        vec![Request {
            id,
            gen,
            target: Target::Layout { server },
            kind: RequestKind::Action(job),
            baseline,
        }]
    }

    /// Sends a many-server job (preview, apply, class listing).
    fn send_bulk(&mut self, job: Command) -> Vec<Request> {
        let (id, gen) = self.ids();
        let msg = format!("{}…", job.doing());
        self.set_status(StatusKind::Busy, msg);
        if !job.is_read() {
            self.layer_pending = Some(Pending {
                id,
                job: job.clone(),
            });
        }
        vec![Request {
            id,
            gen,
            target: Target::Bulk,
            kind: RequestKind::Action(job),
            baseline: None,
        }]
    }

    /// A key while popups of the layer are open: the top one takes it.
    pub(super) fn layer_action(&mut self, a: Action) -> Vec<Request> {
        let claims = |app: &App, net: Ipv4Net| {
            app.tab()
                .and_then(|t| t.data.as_ref())
                .and_then(|d| d.networks.iter().find(|n| n.cidr == net))
                .map(|n| n.claims.clone())
                .unwrap_or_default()
        };
        let claim_list = match self.layer.last() {
            Some(Modal::ClaimList { network, .. }) => claims(self, *network),
            _ => Vec::new(),
        };
        let busy = self
            .layer_pending
            .as_ref()
            .map(|p| p.job.doing())
            .or_else(|| {
                self.scopes_waiting
                    .first()
                    .map(|w| format!("{} the marked scopes", w.2.doing()))
            });
        let Some(top) = self.layer.last_mut() else {
            return Vec::new();
        };
        match top {
            Modal::Choose(m) => match a {
                Action::Up => m.cursor = m.cursor.saturating_sub(1),
                Action::Down => m.cursor = (m.cursor + 1).min(m.items.len().saturating_sub(1)),
                Action::Back => {
                    self.layer.pop();
                }
                Action::Open => {
                    let step = m.items.get(m.cursor).cloned();
                    self.layer.pop();
                    if let Some(step) = step {
                        return self.run_step(step);
                    }
                }
                _ => {}
            },
            Modal::Form(f) => match a {
                Action::NextField => f.next_field(),
                Action::PrevField => f.prev_field(),
                Action::Left => f.cycle(false),
                Action::Right => f.cycle(true),
                Action::Back => {
                    self.layer.pop();
                }
                Action::Open => {
                    if let Some(doing) = busy {
                        self.set_status(
                            StatusKind::Busy,
                            format!("still {doing}: wait for the answer"),
                        );
                        return Vec::new();
                    }
                    let Some(job) = f.submit() else {
                        return Vec::new();
                    };
                    if let Command::BulkPreview(change) = &job {
                        let apply = change.clone();
                        self.layer.push(Modal::Preview {
                            rows: None,
                            apply,
                            scroll: 0,
                        });
                        return self.send_bulk(job);
                    }
                    return self.send_layout(job);
                }
                _ => {}
            },
            Modal::Confirm(_) => match a {
                Action::Yes => {
                    let Some(Modal::Confirm(c)) = self.layer.pop() else {
                        return Vec::new();
                    };
                    return self.send_layout(c.job);
                }
                Action::No => {
                    self.layer.pop();
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                _ => {}
            },
            Modal::Preview {
                rows,
                apply,
                scroll,
            } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::No | Action::Back => {
                    self.layer.pop();
                    self.set_status(
                        StatusKind::Info,
                        "not applied: nothing was changed (the form is back)",
                    );
                }
                Action::Yes => {
                    let ready = match rows {
                        None => Err("the preview is still coming: wait for it".to_string()),
                        Some(Err(e)) => Err(format!("no preview ({e}): nothing to apply")),
                        Some(Ok(r)) if r.iter().all(|p| p.error.is_some()) => Err(
                            "no server can take this change (see why above): nothing to apply"
                                .to_string(),
                        ),
                        Some(Ok(r)) if r.iter().all(|p| p.changes.is_empty()) => {
                            Err("nothing to change on any server: nothing to apply".to_string())
                        }
                        Some(Ok(_)) => Ok(()),
                    };
                    if let Err(why) = ready {
                        self.set_status(StatusKind::Error, why);
                        return Vec::new();
                    }
                    if let Some(doing) = busy {
                        self.set_status(
                            StatusKind::Busy,
                            format!("still {doing}: wait for the answer"),
                        );
                        return Vec::new();
                    }
                    let change = apply.clone();
                    let title = format!("Outcome · {}", change.op().describe());
                    // The form under the preview has done its job (n instead goes back
                    // to it).
                    self.layer.clear();
                    self.layer.push(Modal::Outcome {
                        title,
                        rows: None,
                        scroll: 0,
                    });
                    return self.send_bulk(Command::BulkApply(change));
                }
                _ => {}
            },
            Modal::ScopesPreview {
                op,
                scopes,
                rows,
                scroll,
            } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::No | Action::Back => {
                    self.layer.pop();
                    self.set_status(StatusKind::Info, "cancelled: nothing was changed");
                }
                Action::Yes => {
                    let ready = match rows {
                        None => Err("the preview is still coming: wait for it".to_string()),
                        Some(Err(e)) => Err(format!("no preview ({e}): nothing to apply")),
                        Some(Ok(r)) if r.iter().all(|p| p.error.is_some()) => Err(
                            "no server can take this change (see why above): nothing to apply"
                                .to_string(),
                        ),
                        Some(Ok(r)) => Ok(r.clone()),
                    };
                    let rows = match ready {
                        Ok(r) => r,
                        Err(why) => {
                            self.set_status(StatusKind::Error, why);
                            return Vec::new();
                        }
                    };
                    if let Some(doing) = busy {
                        self.set_status(
                            StatusKind::Busy,
                            format!("still {doing}: wait for the answer"),
                        );
                        return Vec::new();
                    }
                    let (op, scopes) = (*op, scopes.clone());
                    return self.apply_scopes(op, scopes, &rows);
                }
                _ => {}
            },
            Modal::Outcome { scroll, .. }
            | Modal::Classes { scroll, .. }
            | Modal::Message { scroll, .. }
            | Modal::History { scroll, .. } => match a {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::Back => {
                    self.layer.pop();
                }
                _ => {}
            },
            Modal::ClaimList { network, cursor } => match a {
                Action::Up => *cursor = cursor.saturating_sub(1),
                Action::Down => *cursor = (*cursor + 1).min(claim_list.len().saturating_sub(1)),
                Action::Back => {
                    self.layer.pop();
                }
                Action::Add => {
                    let n = *network;
                    return self.run_step(Step::ClaimNet(n));
                }
                Action::Export => {
                    let n = *network;
                    return self.export_claims(n);
                }
                Action::Delete => match claim_list.get(*cursor) {
                    Some(c) => {
                        let text = format!(
                            "Unclaim {} in network {network} (claimed for {}{})? The address becomes free again.",
                            c.ip,
                            c.mac,
                            c.hostname
                                .as_deref()
                                .map(|h| format!(", {h}"))
                                .unwrap_or_default()
                        );
                        let job = Command::Unclaim { ip: c.ip };
                        self.layer.push(Modal::Confirm(Confirm {
                            title: "Unclaim".into(),
                            text,
                            job,
                        }));
                    }
                    None => self.set_status(StatusKind::Error, "no claim selected: a adds one"),
                },
                _ => {}
            },
            Modal::Menu(_) | Modal::Ping { .. } | Modal::Exclusions { .. } => {
                if a == Action::Back {
                    self.layer.pop();
                }
            }
        }
        Vec::new()
    }

    /// `e` in a network's claims: its claims as CSV, written by the worker.
    fn export_claims(&mut self, network: Ipv4Net) -> Vec<Request> {
        let Some(t) = self.tab() else {
            return Vec::new();
        };
        let server = t.name.clone();
        let networks: Vec<_> = t
            .data
            .as_ref()
            .map(|d| {
                d.networks
                    .iter()
                    .filter(|n| n.cidr == network)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (id, gen) = self.ids();
        self.export_id = Some(id);
        self.set_status(StatusKind::Busy, "exporting to CSV…");
        vec![Request {
            id,
            gen,
            target: Target::Export,
            kind: RequestKind::Export(super::ExportJob::Claims { server, networks }),
            baseline: None,
        }]
    }

    /// The answer to a layout change: status, popups, the tree reloaded and the item
    /// selected.
    pub(super) fn on_layout_done(
        &mut self,
        server: &str,
        id: u64,
        res: Result<Done, Fail>,
    ) -> Vec<Request> {
        let job = match self.layer_pending.take() {
            Some(p) if p.id == id => Some(p.job),
            other => {
                self.layer_pending = other;
                None
            }
        };
        match res {
            Ok(done) => {
                // The list of claims stays open: it shows the change once reloaded.
                self.layer.retain(|m| matches!(m, Modal::ClaimList { .. }));
                let mut line = done.summary.clone();
                for w in &done.warnings {
                    line.push_str(" · ⚠ ");
                    line.push_str(w);
                }
                let kind = if done.warnings.is_empty() {
                    StatusKind::Info
                } else {
                    StatusKind::Warn
                };
                if !done.warnings.is_empty() {
                    let mut text = done.summary.clone();
                    for w in &done.warnings {
                        text.push_str("\n⚠ ");
                        text.push_str(w);
                    }
                    self.layer.push(Modal::Message {
                        title: "Done, with warnings".into(),
                        text,
                        error: false,
                        scroll: 0,
                    });
                }
                self.set_status(kind, line);
                let mut out = Vec::new();
                if let Some(job) = &job {
                    if let Command::DeleteScope { cidr, .. } | Command::ForgetScope { cidr } = job {
                        self.marks.remove(&(server.to_string(), *cidr));
                    }
                    if let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) {
                        t.select = super::super::actions::select_after(job);
                        // The view of a network that is gone goes with it.
                        if let (
                            Command::DeleteNetwork { cidr } | Command::ToContainer { cidr },
                            Some(View::Network(n)),
                        ) = (job, t.stack.last())
                        {
                            if n.key == format!("net:{cidr}") {
                                t.stack.pop();
                            }
                        }
                    }
                    if let Command::DuplicateScope {
                        to_server: Some(other),
                        to_cidr,
                        cidr,
                    } = job
                    {
                        let key = format!("scope:{}", to_cidr.unwrap_or(*cidr));
                        if let Some(t) = self.tabs.iter_mut().find(|t| t.name == *other) {
                            t.select = Some(key);
                        }
                        out.extend(self.reload_tab(other));
                    }
                }
                out.extend(self.reload_tab(server));
                out
            }
            Err(Fail::NeedsConfirmation(msg)) => {
                // The busy line is over: the question is on screen.
                self.status = None;
                match job {
                    Some(job) => self.layer.push(Modal::Confirm(Confirm {
                        title: "Are you sure?".into(),
                        text: msg,
                        job: job.confirmed(),
                    })),
                    None => self.set_status(StatusKind::Error, msg),
                }
                Vec::new()
            }
            Err(Fail::Failed(msg)) => {
                let what = job
                    .as_ref()
                    .map(|j| j.doing())
                    .unwrap_or_else(|| "the change".into());
                self.set_status(StatusKind::Error, format!("{what} failed: {msg}"));
                match self.layer.last_mut() {
                    Some(Modal::Form(f)) => f.error = Some(msg),
                    _ => self.layer.push(Modal::Message {
                        title: format!("{} failed", super::capitalize(&what)),
                        text: msg,
                        error: true,
                        scroll: 0,
                    }),
                }
                Vec::new()
            }
        }
    }

    /// Reloads the tree of `server` when its tab is open.
    fn reload_tab(&mut self, server: &str) -> Vec<Request> {
        let (id, gen) = self.ids();
        let Some(t) = self.tabs.iter_mut().find(|t| t.name == server) else {
            return Vec::new();
        };
        t.gen = gen;
        t.load = Load::Loading;
        vec![Request {
            id,
            gen,
            target: Target::Server(server.to_string()),
            kind: RequestKind::LoadServer,
            baseline: None,
        }]
    }

    /// A preview, an outcome or a class listing arrived.
    pub(super) fn on_bulk(&mut self, id: u64, res: Result<BulkResult, String>) -> Vec<Request> {
        if self.scopes_waiting.iter().any(|w| w.0 == id) {
            return self.on_scopes_applied(id, res);
        }
        let applied = match self.layer_pending.take() {
            Some(p) if p.id == id => true,
            other => {
                self.layer_pending = other;
                false
            }
        };
        let mut out = Vec::new();
        match res {
            Ok(BulkResult::Preview(rows)) => {
                let errors = rows.iter().filter(|r| r.error.is_some()).count();
                let warns = rows.iter().map(|r| r.warnings.len()).sum::<usize>();
                if let Some(
                    Modal::Preview { rows: slot, .. } | Modal::ScopesPreview { rows: slot, .. },
                ) = self.layer.last_mut()
                {
                    *slot = Some(Ok(rows));
                    let mut msg = "preview ready: y applies, n cancels".to_string();
                    if errors > 0 {
                        msg = format!("{msg} · {errors} server(s) cannot take it");
                    }
                    if warns > 0 {
                        msg = format!("{msg} · ⚠ {warns} warning(s): read them first");
                    }
                    let kind = if errors + warns > 0 {
                        StatusKind::Warn
                    } else {
                        StatusKind::Info
                    };
                    self.set_status(kind, msg);
                } else {
                    tracing::debug!("preview for a closed popup dropped");
                }
            }
            Ok(BulkResult::Outcome(rows)) => {
                let failed = rows.iter().filter(|r| r.result.is_err()).count();
                let (kind, msg) = if failed == 0 {
                    (
                        StatusKind::Info,
                        format!("applied on {} server(s)", rows.len()),
                    )
                } else {
                    (
                        StatusKind::Error,
                        format!(
                            "{failed} of {} server(s) failed: see the outcome table",
                            rows.len()
                        ),
                    )
                };
                self.set_status(kind, msg);
                let servers: Vec<String> = rows
                    .iter()
                    .flat_map(|r| std::iter::once(r.server.clone()).chain(r.peers.clone()))
                    .collect();
                match self
                    .layer
                    .iter_mut()
                    .rev()
                    .find(|m| matches!(m, Modal::Outcome { .. }))
                {
                    Some(Modal::Outcome { rows: slot, .. }) => *slot = Some(rows),
                    _ => tracing::debug!(applied, "outcome for a closed popup"),
                }
                // The trees of the servers written show the change.
                let mut seen = Vec::new();
                for s in servers {
                    if !seen.contains(&s) {
                        out.extend(self.reload_tab(&s));
                        seen.push(s);
                    }
                }
            }
            Ok(BulkResult::Classes(rows)) => {
                if let Some(Modal::Classes { rows: slot, .. }) = self.layer.last_mut() {
                    *slot = Some(Ok(rows));
                }
                self.status = None;
            }
            Err(e) => {
                self.set_status(StatusKind::Error, e.clone());
                // An outcome still waiting gives way to the reason.
                if matches!(self.layer.last(), Some(Modal::Outcome { rows: None, .. })) {
                    self.layer.pop();
                }
                match self.layer.last_mut() {
                    Some(Modal::Preview { rows, .. } | Modal::ScopesPreview { rows, .. }) => {
                        *rows = Some(Err(e))
                    }
                    Some(Modal::Classes { rows, .. }) => *rows = Some(Err(e)),
                    _ => self.layer.push(Modal::Message {
                        title: "Bulk change".into(),
                        text: e,
                        error: true,
                        scroll: 0,
                    }),
                }
            }
        }
        out
    }
}
