//! A server tab's IPAM tree, and a network's summary cards with its scopes.
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::model::tree::ScopeSummary;
use crate::model::{IpState, Node, NodeKind, ScopeCounts, ScopeStatus, Utilization};
use crate::tui::app::App;
use crate::tui::layout;
use crate::tui::theme;
use crate::tui::views::{find_node, Load, NetworkState, ServerTab};

use super::{error_panel, fmt, loading};

const BAR_W: usize = 6;

/// Loading / error panels shared by the tree and network views; `true` when drawn.
fn tab_state_panel(frame: &mut Frame, area: Rect, app: &App, t: &ServerTab) -> bool {
    match (&t.load, &t.data) {
        (Load::Failed(e), _) => {
            error_panel(frame, area, app, &t.name, e, t.loaded_at);
            true
        }
        (_, None) => {
            loading(frame, area, &t.name);
            true
        }
        _ => false,
    }
}

fn status_style(s: ScopeStatus) -> Style {
    match s {
        ScopeStatus::Active => Style::new(),
        ScopeStatus::Inactive => theme::warn().add_modifier(Modifier::ITALIC),
        ScopeStatus::Missing => theme::error().add_modifier(Modifier::ITALIC),
    }
}

fn status_text(s: ScopeStatus) -> &'static str {
    match s {
        ScopeStatus::Active => "Active",
        ScopeStatus::Inactive => "Inactive",
        ScopeStatus::Missing => "Missing",
    }
}

fn util_cell(u: Utilization, app: &App, show: bool) -> Cell<'static> {
    if show {
        Cell::from(Line::from(fmt::util_bar(u, BAR_W, &app.thresholds)))
    } else {
        Cell::from(Span::styled("-", theme::dim()))
    }
}

pub fn draw_tree(frame: &mut Frame, area: Rect, app: &App, t: &ServerTab) {
    if tab_state_panel(frame, area, app, t) {
        return;
    }
    let Some(data) = &t.data else { return };
    let rows = t.tree.rows(&data.tree);
    let h = layout::table_rows(area);
    let l = t.tree.list.fixed(rows.len(), h);
    let table_rows: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(l.top)
        .take(h)
        .map(|(i, r)| {
            let n = r.node;
            let marker = if n.children.is_empty() {
                "  "
            } else if t.tree.is_folded(n) {
                "▸ "
            } else {
                "▾ "
            };
            let name = format!("{}{marker}{}", "  ".repeat(r.depth), n.label());
            let is_scope = matches!(n.kind, NodeKind::Scope(_));
            // Claims outside every scope show on their network's row.
            let claims = match (n.kind == NodeKind::Network, n.cidr) {
                (true, Some(c)) => data
                    .networks
                    .iter()
                    .find(|x| x.cidr == c)
                    .map_or(0, |x| x.claims.len()),
                _ => 0,
            };
            let mut name_spans = vec![Span::styled(name, status_style(n.status))];
            if claims > 0 {
                name_spans.push(Span::styled(
                    format!(" ◆{claims}"),
                    Style::new().fg(theme::state_color(crate::model::IpState::Claimed)),
                ));
            }
            let marked = is_scope
                && n.cidr
                    .is_some_and(|c| app.marks.contains(&(t.name.clone(), c)));
            let (kind, style) = if is_scope {
                (status_text(n.status), status_style(n.status))
            } else {
                (n.kind_label(), theme::dim())
            };
            let shows_util = !is_scope || n.status == ScopeStatus::Active;
            let row = Row::new(vec![
                mark_cell(marked),
                Cell::from(Line::from(name_spans)),
                util_cell(n.utilization, app, shows_util),
                Cell::from(Span::styled(kind, style)),
                Cell::from(match n.kind {
                    // A block says how much it holds.
                    NodeKind::Supernet => format!("{} scopes", data.tree.scopes_under(n).len()),
                    _ => n.title.clone().unwrap_or_default(),
                }),
                Cell::from(Span::styled(
                    n.description.clone().unwrap_or_default(),
                    theme::dim(),
                )),
            ]);
            if i == l.cursor {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let missing = data
        .tree
        .scopes
        .iter()
        .filter(|s| s.def.status == ScopeStatus::Missing)
        .count();
    let mut title = format!(
        " {} · {} scopes · {} used ",
        t.name,
        data.tree.scopes.len() - missing,
        data.tree.utilization()
    );
    if missing > 0 {
        title.push_str(&format!("· {missing} missing "));
    }
    if let Some(ha) = &data.ha_state {
        title.push_str(&format!("· HA {ha} "));
    }
    let mut block = Block::bordered().title(title);
    if rows.is_empty() {
        block = block.title_bottom(if t.tree.filter.is_empty() {
            " this server has no subnets "
        } else {
            " nothing matches the filter "
        });
    } else {
        let mut spans = vec![Span::raw(" ")];
        spans.extend(counts_spans(t.counts.as_ref()));
        spans.push(Span::raw(" "));
        block = block.title_bottom(Line::from(spans));
    }
    frame.render_widget(
        Table::new(table_rows, tree_widths())
            .header(
                Row::new(["", "CIDR", "Utilization", "Kind", "Title", "Description"])
                    .style(theme::header()),
            )
            .block(block),
        area,
    );
}

/// The mark column: scopes marked (Space) for a bulk change.
fn mark_cell(marked: bool) -> Cell<'static> {
    if marked {
        Cell::from(Span::styled("✓", theme::header()))
    } else {
        Cell::from(" ")
    }
}

fn tree_widths() -> [Constraint; 6] {
    [
        Constraint::Length(1),
        Constraint::Length(26),
        Constraint::Length(BAR_W as u16 + 7),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Fill(1),
    ]
}

pub fn draw_network(frame: &mut Frame, area: Rect, app: &App, t: &ServerTab, n: &NetworkState) {
    if tab_state_panel(frame, area, app, t) {
        return;
    }
    let Some(data) = &t.data else { return };
    let tree = &data.tree;
    let (Some(node), Some(idx)) = (find_node(&tree.roots, &n.key), n.scopes(tree)) else {
        let reason = format!(
            "{} is no longer among the networks of {} (it was removed or renamed since).",
            n.label, t.name
        );
        error_panel(frame, area, app, &n.label, &reason, t.loaded_at);
        return;
    };
    let (cards, table_area) = layout::network_split(area);
    let claims = node
        .cidr
        .and_then(|c| data.networks.iter().find(|x| x.cidr == c))
        .map_or(0, |x| x.claims.len());
    draw_network_cards(
        frame,
        cards,
        app,
        node,
        tree.scopes_under(node).iter().map(|i| &tree.scopes[*i]),
        claims,
        n.counts.as_ref(),
    );

    let h = layout::table_rows(table_area);
    let l = n.list.fixed(idx.len(), h);
    let rows: Vec<Row> = idx
        .iter()
        .enumerate()
        .skip(l.top)
        .take(h)
        .map(|(pos, i)| {
            let s = &tree.scopes[*i];
            let st = s.def.status;
            let marked = app.marks.contains(&(t.name.clone(), s.def.cidr));
            let row = Row::new(vec![
                mark_cell(marked),
                Cell::from(Span::styled(s.def.cidr.to_string(), status_style(st))),
                util_cell(s.utilization(), app, st == ScopeStatus::Active),
                Cell::from(Span::styled(status_text(st), status_style(st))),
                Cell::from(s.def.title.clone().unwrap_or_default()),
                Cell::from(Span::styled(
                    s.def.description.clone().unwrap_or_default(),
                    theme::dim(),
                )),
            ]);
            if pos == l.cursor {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(18),
        Constraint::Length(BAR_W as u16 + 7),
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Fill(1),
    ];
    let mut block = Block::bordered().title(format!(" Scopes ({}) ", idx.len()));
    if idx.is_empty() {
        block = block.title_bottom(if n.filter.is_empty() {
            " no scopes in this network "
        } else {
            " nothing matches the filter "
        });
    }
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(["", "Scope", "Utilization", "Status", "Title", "Description"])
                    .style(theme::header()),
            )
            .block(block),
        table_area,
    );
}

fn draw_network_cards<'a>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    node: &Node,
    scopes: impl Iterator<Item = &'a ScopeSummary>,
    claims: usize,
    counts: Option<&Result<ScopeCounts, String>>,
) {
    let (mut active, mut inactive, mut missing) = (0, 0, 0);
    for s in scopes {
        match s.def.status {
            ScopeStatus::Active => active += 1,
            ScopeStatus::Inactive => inactive += 1,
            ScopeStatus::Missing => missing += 1,
        }
    }
    let u = node.utilization;
    let band = u.band(&app.thresholds);
    let label = |s: &str| Span::styled(format!("{s:<12}"), theme::dim());
    let mut l1 = vec![label("Used")];
    l1.extend(fmt::util_bar(u, 10, &app.thresholds));
    l1.push(Span::styled(
        format!(" {}", band.label()),
        Style::new().fg(theme::band_color(band)),
    ));
    l1.push(Span::styled(
        format!(" · {} of {} addresses", u.used, u.total),
        theme::dim(),
    ));
    let mut l2 = vec![
        label("Scopes"),
        Span::raw(format!(
            "{}: {active} active, {inactive} inactive, {missing} missing",
            active + inactive + missing
        )),
    ];
    if node.kind == NodeKind::Network {
        l2.push(Span::styled(
            format!(" · {claims} claimed outside (C)"),
            theme::dim(),
        ));
    }
    let l3 = vec![
        label("Description"),
        Span::raw(node.description.clone().unwrap_or_else(|| "-".into())),
    ];
    let mut title = format!(" {} {} ", node.kind_label(), node.label());
    if let Some(t) = node.title.as_deref().filter(|t| !t.is_empty()) {
        title.push_str(&format!("· {t} "));
    }
    let mut l4 = vec![label("Addresses")];
    l4.extend(counts_spans(counts));
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(l1),
            Line::from(l2),
            Line::from(l4),
            Line::from(l3),
        ])
        .block(Block::bordered().title(title)),
        area,
    );
}

/// A summary's addresses by state, short enough for 80 columns: "500 total · 120 avail. ·
/// 300 asgn · 2 clm · 1 held · 10 resv. · 67 excl." (declined when any), or why not (yet).
pub fn counts_spans(counts: Option<&Result<ScopeCounts, String>>) -> Vec<Span<'static>> {
    let c = match counts {
        None => return vec![Span::styled("counting…", theme::dim())],
        Some(Err(e)) => return vec![Span::styled(e.clone(), theme::dim())],
        Some(Ok(c)) => c,
    };
    let mut spans = vec![Span::raw(format!("{} total", c.total))];
    // From statistics, holds and claims are leases like any other.
    let assigned = if c.from_stats {
        "asgn (holds, claims incl.)"
    } else {
        "asgn"
    };
    for (n, s, word) in [
        (c.available, IpState::Available, "avail."),
        (c.assigned, IpState::Assigned, assigned),
        (c.claimed, IpState::Claimed, "clm"),
        (c.held, IpState::Held, "held"),
        (c.reserved, IpState::Reserved, "resv."),
        (c.excluded, IpState::Excluded, "excl."),
        (c.declined, IpState::Declined, "decl."),
    ] {
        if (s == IpState::Declined && n == 0)
            || (c.from_stats && matches!(s, IpState::Claimed | IpState::Held))
        {
            continue;
        }
        spans.push(Span::styled(" · ", theme::dim()));
        spans.push(Span::styled(
            format!("{n} {word}"),
            Style::new().fg(theme::state_color(s)),
        ));
    }
    if c.from_stats {
        spans.push(Span::styled(
            " · from Kea's statistics (open a network or block to count holds)",
            theme::dim(),
        ));
    }
    spans
}
