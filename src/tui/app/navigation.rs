//! Moving around: tabs, the tree, networks, the scope grid, scrolling.

use ratatui::layout::Rect;

use crate::model::NodeKind;
use crate::tui::keymap::Action;
use crate::tui::layout;
use crate::tui::views::{node_key, NetworkState, ScopeMode, View};

use super::*;

impl App {
    // ----- navigation -----

    pub(super) fn body(&self) -> Rect {
        layout::split(self.size).1
    }

    pub(super) fn navigate(&mut self, a: Action) -> Vec<Request> {
        let page = layout::table_rows(self.body()).max(1) as isize;
        let Some(ti) = self.active.checked_sub(1) else {
            let page = layout::table_rows(layout::fleet_split(self.body()).0).max(1);
            return self.navigate_fleet(a, page as isize);
        };
        if ti >= self.tabs.len() {
            return Vec::new();
        }
        match self.tabs[ti].stack.last() {
            None => self.navigate_tree(ti, a, page),
            Some(View::Network(_)) => {
                let page = layout::table_rows(layout::network_split(self.body()).1).max(1);
                self.navigate_network(ti, a, page as isize)
            }
            Some(View::Scope(_)) => {
                self.navigate_scope(ti, a);
                self.popup_dns_names(ti).into_iter().collect()
            }
        }
    }

    pub(super) fn navigate_fleet(&mut self, a: Action, page: isize) -> Vec<Request> {
        let vis = self.fleet.visible();
        let l = &mut self.fleet.list;
        match a {
            Action::Open => {
                if let Some(i) = vis.get(l.cursor) {
                    let name = self.fleet.rows[*i].name.clone();
                    return self.open_server(&name).into_iter().collect();
                }
            }
            Action::Back => self.fleet.filter.clear(),
            _ => move_list(l, a, vis.len(), page),
        }
        Vec::new()
    }

    pub(super) fn navigate_tree(&mut self, ti: usize, a: Action, page: isize) -> Vec<Request> {
        let tab = &mut self.tabs[ti];
        if a == Action::Back {
            if tab.tree.filter.is_empty() {
                self.active = 0;
            } else {
                tab.tree.filter.clear();
            }
            return Vec::new();
        }
        let Some(data) = tab.data.clone() else {
            return Vec::new();
        };
        let rows = tab.tree.rows(&data.tree);
        let Some(row) = rows.get(tab.tree.list.cursor) else {
            return Vec::new();
        };
        let node = row.node;
        let key = node_key(node);
        let has_children = !node.children.is_empty();
        let folded = tab.tree.is_folded(node);
        match a {
            Action::Left => {
                if has_children && !folded && tab.tree.filter.is_empty() {
                    tab.tree.fold(node);
                } else if row.path.len() > 1 {
                    let parent = &row.path[..row.path.len() - 1];
                    if let Some(p) = rows.iter().position(|r| r.path == parent) {
                        tab.tree.list.cursor = p;
                    }
                }
            }
            Action::Right => {
                if folded {
                    tab.tree.unfold(node);
                } else if has_children {
                    tab.tree.list.step(1, rows.len());
                }
            }
            Action::Open => match node.kind {
                NodeKind::Scope(i) => {
                    let def = data.tree.scopes[i].def.clone();
                    return self.open_scope(ti, def).into_iter().collect();
                }
                _ => {
                    let label = match &node.title {
                        Some(t) if !t.is_empty() => format!("{} {t}", node.label()),
                        _ => node.label(),
                    };
                    let scopes: Vec<&crate::model::tree::ScopeSummary> = data
                        .tree
                        .scopes_under(node)
                        .into_iter()
                        .map(|i| &data.tree.scopes[i])
                        .collect();
                    let server = tab.name.clone();
                    tab.stack.push(View::Network(NetworkState {
                        key: key.clone(),
                        label,
                        list: Default::default(),
                        filter: String::new(),
                        counts: None,
                    }));
                    return self
                        .count_request(server, key, &scopes)
                        .into_iter()
                        .collect();
                }
            },
            _ => {
                let len = rows.len();
                move_list(&mut tab.tree.list, a, len, page);
            }
        }
        Vec::new()
    }

    pub(super) fn navigate_network(&mut self, ti: usize, a: Action, page: isize) -> Vec<Request> {
        let tab = &mut self.tabs[ti];
        let data = tab.data.clone();
        let Some(View::Network(n)) = tab.stack.last_mut() else {
            return Vec::new();
        };
        if a == Action::Back {
            if n.filter.is_empty() {
                tab.stack.pop();
            } else {
                n.filter.clear();
            }
            return Vec::new();
        }
        let Some(data) = data else {
            return Vec::new();
        };
        let scopes = n.scopes(&data.tree).unwrap_or_default();
        match a {
            Action::Open => {
                if let Some(i) = scopes.get(n.list.cursor) {
                    let def = data.tree.scopes[*i].def.clone();
                    return self.open_scope(ti, def).into_iter().collect();
                }
            }
            _ => move_list(&mut n.list, a, scopes.len(), page),
        }
        Vec::new()
    }

    pub(super) fn navigate_scope(&mut self, ti: usize, a: Action) {
        let geom = self.scope_geometry(ti);
        let tab = &mut self.tabs[ti];
        let Some(View::Scope(s)) = tab.stack.last_mut() else {
            return;
        };
        if s.popup {
            if a == Action::Back {
                s.popup = false;
            }
            return;
        }
        if a == Action::Back {
            if s.filter.is_empty() {
                tab.stack.pop();
            } else {
                s.filter.clear();
                s.refilter();
            }
            return;
        }
        let len = s.data.as_ref().map_or(0, |v| v.len());
        if len == 0 {
            return;
        }
        let Some((cols, grid_h, list_h)) = geom else {
            return;
        };
        match (a, s.mode) {
            (Action::Open, _) => s.popup = true,
            (Action::ToggleView, ScopeMode::Grid) => {
                s.mode = ScopeMode::List;
                if let Some(i) = s.list_index(s.list_pos()) {
                    s.cursor = i;
                }
            }
            (Action::ToggleView, ScopeMode::List) => s.mode = ScopeMode::Grid,
            (_, ScopeMode::Grid) => {
                let delta: isize = match a {
                    Action::Left => -1,
                    Action::Right => 1,
                    Action::Up => -(cols as isize),
                    Action::Down => cols as isize,
                    Action::PageUp => -((cols * grid_h.max(1)) as isize),
                    Action::PageDown => (cols * grid_h.max(1)) as isize,
                    Action::Top => isize::MIN / 2,
                    Action::Bottom => isize::MAX / 2,
                    _ => 0,
                };
                s.cursor = s.cursor.saturating_add_signed(delta).min(len - 1);
            }
            (_, ScopeMode::List) => {
                let n = s.list_len();
                let mut l = crate::tui::views::ListState {
                    cursor: s.list_pos(),
                    top: s.list_top,
                };
                move_list(&mut l, a, n, list_h.max(1) as isize);
                if let Some(i) = s.list_index(l.cursor) {
                    s.cursor = i;
                }
            }
        }
    }

    /// (cells per grid row, visible grid rows, visible list rows) of a scope view, or `None`
    /// when the scope is not loaded.
    pub(super) fn scope_geometry(&self, ti: usize) -> Option<(usize, usize, usize)> {
        let Some(View::Scope(s)) = self.tabs.get(ti)?.stack.last() else {
            return None;
        };
        let v = s.data.as_ref()?;
        let body = self.body();
        let items = layout::legend_items(&v.counts);
        let legend_h = layout::legend_lines(&items, body.width).len() as u16;
        let (_, _, main) = layout::scope_split(body, legend_h);
        let inner = layout::inner(main);
        let geom = layout::GridGeom::new(inner.width, v.len());
        Some((geom.cols, inner.height as usize, layout::table_rows(main)))
    }

    /// Re-scrolls every view of the active tab so its cursor is visible.
    pub(super) fn fix_scroll(&mut self) {
        let page = layout::table_rows(self.body());
        if self.active == 0 {
            let n = self.fleet.visible().len();
            let fleet_page = layout::table_rows(layout::fleet_split(self.body()).0);
            self.fleet.list.fix(n, fleet_page);
            return;
        }
        let ti = self.active - 1;
        let geom = self.scope_geometry(ti);
        let net_page = layout::table_rows(layout::network_split(self.body()).1);
        let Some(tab) = self.tabs.get_mut(ti) else {
            self.active = 0;
            return;
        };
        if let Some(data) = tab.data.clone() {
            let n = tab.tree.rows(&data.tree).len();
            tab.tree.list.fix(n, page);
            for v in &mut tab.stack {
                if let View::Network(ns) = v {
                    let n = ns.scopes(&data.tree).map_or(0, |s| s.len());
                    ns.list.fix(n, net_page);
                }
            }
        }
        if let (Some(View::Scope(s)), Some((cols, grid_h, list_h))) = (tab.stack.last_mut(), geom) {
            let len = s.data.as_ref().map_or(0, |v| v.len());
            s.cursor = s.cursor.min(len.saturating_sub(1));
            let rows = len.div_ceil(cols.max(1));
            let mut g = crate::tui::views::ListState {
                cursor: s.cursor / cols.max(1),
                top: s.grid_top,
            };
            g.fix(rows, grid_h);
            s.grid_top = g.top;
            let mut l = crate::tui::views::ListState {
                cursor: s.list_pos(),
                top: s.list_top,
            };
            l.fix(s.list_len(), list_h);
            s.list_top = l.top;
        }
    }
}
