//! Drawing and export of the service status screen.
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::tui::render::fmt;
use crate::tui::screen::ScreenCtx;
use crate::tui::screen::ScreenTable;
use crate::tui::theme;

use super::kit;
use super::{plural, Item, Server, StatusScreen};

/// The selected line's details under the table.
pub const DETAIL_H: u16 = 4;
const BAR_W: usize = 6;
/// From these widths on, the table gains an HA column, then a URL column.
const WIDE_HA: u16 = 110;
const WIDE_URL: u16 = 150;

pub fn draw(s: &StatusScreen, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL_H)]).areas(area);
    let items = s.items();
    let h = table_area.height.saturating_sub(3) as usize;
    let l = s.list.fixed(items.len(), h);
    let ha = area.width >= WIDE_HA;
    let url = area.width >= WIDE_URL;

    let mut widths = vec![Constraint::Length(16)];
    let mut head = vec!["Name"];
    if url {
        widths.push(Constraint::Length(28));
        head.push("URL");
    }
    widths.extend([
        Constraint::Length(15),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(BAR_W as u16 + 8),
    ]);
    head.extend(["State", "Kea", "Uptime", "Scopes", "Utilization"]);
    if ha {
        widths.push(Constraint::Length(30));
        head.push("HA state");
    }
    widths.push(Constraint::Fill(1));
    head.push(if ha { "Last good" } else { "Last ok" });
    let cols = head.len();

    let rows: Vec<Row> = items
        .iter()
        .enumerate()
        .skip(l.top)
        .take(h)
        .map(|(pos, it)| {
            let mut cells = match it {
                Item::Group(p) => group_row(s, p),
                Item::Dhcp(i) => dhcp_row(s, &s.servers[*i], app, url, ha),
                Item::DnsHeading => dns_heading(url, ha),
                Item::Dns(i) => dns_row(s, *i, app, url, ha),
            };
            cells.resize_with(cols, || Cell::from(""));
            let row = Row::new(cells);
            match it {
                _ if pos == l.cursor => row.style(theme::selected()),
                Item::Group(_) | Item::DnsHeading => row.style(theme::header()),
                _ => row,
            }
        })
        .collect();

    let running = s
        .servers
        .iter()
        .filter(|x| x.status.as_ref().is_some_and(|st| st.state.is_ok()))
        .count();
    let failing = s
        .servers
        .iter()
        .filter(|x| x.status.as_ref().is_some_and(|st| !st.state.is_ok()))
        .count();
    let mut title = format!(
        " DHCP servers: {} · {running} running · {failing} failing ",
        s.servers.len()
    );
    if s.poll.busy_count() > 0 {
        title.push_str(&format!("· {} checking ", s.poll.busy_count()));
    }
    let mut bottom = vec![Span::raw(format!(" group: {} ", s.grouping_label()))];
    if s.filter.editing || !s.filter.text.is_empty() {
        bottom.push(Span::raw("· "));
        bottom.extend(s.filter.spans("/"));
        bottom.push(Span::raw(" "));
    }
    if !s.marked.is_empty() {
        bottom.push(Span::raw(format!("· {} marked ", s.marked.len())));
    }
    let mut block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(bottom));
    if s.servers.is_empty() && s.dns_names.is_empty() {
        block = block.title_bottom(" no servers configured ");
    } else if items.is_empty() {
        block = block.title_bottom(" nothing matches the filter ");
    }
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(head).style(theme::header()))
            .block(block),
        table_area,
    );

    let detail = items
        .get(l.cursor)
        .map(|it| detail(s, it, app))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Selected ")),
        detail_area,
    );
}

fn dim(t: &str) -> Cell<'static> {
    Cell::from(Span::styled(t.to_string(), theme::dim()))
}

fn group_row(s: &StatusScreen, path: &[String]) -> Vec<Cell<'static>> {
    let depth = path.len().saturating_sub(1);
    let fold = if s.collapsed.contains(path) {
        "▸"
    } else {
        "▾"
    };
    let last = path.last().cloned().unwrap_or_default();
    let (mut n, mut ok, mut bad) = (0, 0, 0);
    for x in s.servers.iter().filter(|x| s.passes(x)) {
        if s.group_of(x).starts_with(path) {
            n += 1;
            match &x.status {
                Some(st) if st.state.is_ok() => ok += 1,
                Some(_) => bad += 1,
                None => {}
            }
        }
    }
    let mut counts = format!("{n} · {ok} ok");
    if bad > 0 {
        counts.push_str(&format!(" · {bad} down"));
    }
    vec![
        Cell::from(format!("{}{fold} {last}", "  ".repeat(depth))),
        Cell::from(counts),
    ]
}

fn dhcp_row(
    s: &StatusScreen,
    x: &Server,
    app: &ScreenCtx,
    url: bool,
    ha: bool,
) -> Vec<Cell<'static>> {
    let depth = s.keys().len();
    let mark = if s.marked.contains(&x.name) {
        "◆"
    } else {
        " "
    };
    let mut cells = vec![Cell::from(format!(
        "{}{mark}{}",
        " ".repeat(depth * 2),
        x.name
    ))];
    if url {
        cells.push(Cell::from(x.url.clone()));
    }
    let busy = s.poll.is_busy(&x.name);
    let Some(st) = &x.status else {
        cells.push(if busy {
            Cell::from(Span::styled("… checking", theme::warn()))
        } else {
            dim("◌ not checked")
        });
        return cells;
    };
    let mut state = vec![kit::state_span(st.state)];
    if busy {
        state.push(Span::styled(" …", theme::warn()));
    }
    cells.push(Cell::from(Line::from(state)));
    cells.push(match &st.version {
        Some(v) => Cell::from(v.clone()),
        None => dim("-"),
    });
    cells.push(match st.uptime {
        Some(u) => Cell::from(fmt::duration(u)),
        None => dim("-"),
    });
    cells.push(match st.scopes {
        Some(n) => Cell::from(n.to_string()),
        None => dim("-"),
    });
    cells.push(match st.utilization {
        Some(u) => Cell::from(Line::from(fmt::util_bar(u, BAR_W, app.thresholds))),
        None => dim("-"),
    });
    if ha {
        cells.push(match &st.ha_state {
            Some(h) => Cell::from(h.clone()),
            None => dim("-"),
        });
    }
    cells.push(match st.last_good {
        Some(t) => Cell::from(ago(t, app.now)),
        None => Cell::from(Span::styled("never", theme::error())),
    });
    cells
}

/// `12s ago`, or `now` for a time at or after `now` (clocks may differ a little).
fn ago(t: i64, now: i64) -> String {
    if t >= now {
        "now".into()
    } else {
        format!("{} ago", fmt::duration(now - t))
    }
}

/// The DNS section's own column titles, in the DHCP columns' places.
fn dns_heading(url: bool, ha: bool) -> Vec<Cell<'static>> {
    let mut v = vec![Cell::from("DNS servers")];
    if url {
        v.push(Cell::from("Address"));
    }
    v.extend([
        Cell::from("State"),
        Cell::from(""),
        Cell::from("RTT"),
        Cell::from(""),
        Cell::from("Zone asked"),
    ]);
    if ha {
        v.push(Cell::from(""));
    }
    v.push(Cell::from("Checked"));
    v
}

fn dns_row(s: &StatusScreen, i: usize, app: &ScreenCtx, url: bool, ha: bool) -> Vec<Cell<'static>> {
    let (name, addr) = &s.dns_names[i];
    let mut v = vec![Cell::from(format!(" {name}"))];
    if url {
        v.push(Cell::from(addr.clone()));
    }
    let Some(d) = s.dns.get(name) else {
        v.push(if s.dns_busy {
            Cell::from(Span::styled("… checking", theme::warn()))
        } else {
            dim("◌ not checked")
        });
        return v;
    };
    v.push(if d.answering {
        Cell::from(Span::styled("● answering", theme::ok()))
    } else {
        Cell::from(Span::styled("✗ no answer", theme::error()))
    });
    v.push(Cell::from(""));
    v.push(match d.rtt_ms {
        Some(ms) => Cell::from(format!("{ms:.1}ms")),
        None => dim("-"),
    });
    v.push(Cell::from(""));
    v.push(Cell::from(d.zone.clone()));
    if ha {
        v.push(Cell::from(""));
    }
    v.push(Cell::from(ago(d.checked_at, app.now)));
    v
}

fn detail(s: &StatusScreen, it: &Item, app: &ScreenCtx) -> Vec<Line<'static>> {
    match it {
        Item::Group(p) => {
            let n = s
                .servers
                .iter()
                .filter(|x| s.passes(x) && s.group_of(x).starts_with(p))
                .count();
            vec![Line::from(vec![
                Span::styled(format!("{} ", p.join(" › ")), theme::header()),
                Span::raw(format!(
                    "{n} server{} · Enter folds or unfolds · u retrieves them all",
                    plural(n)
                )),
            ])]
        }
        Item::Dhcp(i) => {
            let x = &s.servers[*i];
            let mut first = vec![
                Span::styled(format!("{} ", x.name), theme::header()),
                Span::raw(x.url.clone()),
            ];
            let Some(st) = &x.status else {
                first.push(Span::raw(" · not checked yet"));
                return vec![Line::from(first)];
            };
            if let Some(h) = &st.ha_state {
                first.push(Span::raw(format!(" · HA {h}")));
            }
            if let Some(e) = s.poll.watch.entry(&x.name) {
                first.push(Span::raw(format!(
                    " · {} since {} ({})",
                    st.state.label(),
                    fmt::clock(e.since, app.utc_offset),
                    fmt::duration((app.now - e.since).max(0))
                )));
            }
            let second = match &st.error {
                Some(e) => Line::from(Span::styled(e.clone(), theme::error())),
                None => Line::from(Span::styled(
                    format!(
                        "checked {} · Enter opens its IPAM tree",
                        fmt::clock(st.checked_at, app.utc_offset)
                    ),
                    theme::dim(),
                )),
            };
            vec![Line::from(first), second]
        }
        Item::DnsHeading => vec![Line::from(
            "DNS servers from [[dns.server]]: each is asked for the SOA of a zone it should hold.",
        )],
        Item::Dns(i) => {
            let (name, addr) = &s.dns_names[*i];
            let mut first = vec![
                Span::styled(format!("{name} "), theme::header()),
                Span::raw(addr.clone()),
            ];
            let Some(d) = s.dns.get(name) else {
                let why = s
                    .dns_error
                    .clone()
                    .unwrap_or_else(|| "not checked yet".into());
                first.push(Span::raw(format!(" · {why}")));
                return vec![Line::from(first)];
            };
            first.push(Span::raw(format!(" · SOA of {}", d.zone)));
            let mut out = vec![Line::from(first)];
            if let Some(e) = &d.error {
                let style: Style = if d.answering {
                    theme::warn()
                } else {
                    theme::error()
                };
                out.push(Line::from(Span::styled(e.clone(), style)));
            }
            out
        }
    }
}

/// Every server passing the filter (folded groups included), DHCP then DNS.
pub fn table(s: &StatusScreen) -> ScreenTable {
    let header = [
        "kind",
        "group",
        "name",
        "address",
        "state",
        "version",
        "uptime_s",
        "ha_state",
        "scopes",
        "used",
        "total",
        "utilization_pct",
        "last_good_utc",
        "rtt_ms",
        "error",
    ];
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut rows = Vec::new();
    for x in s.servers.iter().filter(|x| s.passes(x)) {
        let st = x.status.as_ref();
        rows.push(vec![
            "dhcp".to_string(),
            s.group_of(x).join(" > "),
            x.name.clone(),
            x.url.clone(),
            st.map(|t| t.state.label().to_string())
                .unwrap_or_else(|| "not checked".into()),
            opt(st.and_then(|t| t.version.clone())),
            opt(st.and_then(|t| t.uptime).map(|u| u.to_string())),
            opt(st.and_then(|t| t.ha_state.clone())),
            opt(st.and_then(|t| t.scopes).map(|n| n.to_string())),
            opt(st.and_then(|t| t.utilization).map(|u| u.used.to_string())),
            opt(st.and_then(|t| t.utilization).map(|u| u.total.to_string())),
            opt(st
                .and_then(|t| t.utilization)
                .map(|u| format!("{:.1}", u.percent()))),
            opt(st.and_then(|t| t.last_good).map(|t| fmt::datetime(t, 0))),
            String::new(),
            opt(st.and_then(|t| t.error.clone())),
        ]);
    }
    for (name, addr) in &s.dns_names {
        let d = s.dns.get(name);
        rows.push(vec![
            "dns".to_string(),
            String::new(),
            name.clone(),
            addr.clone(),
            match d {
                Some(d) if d.answering => "answering".into(),
                Some(_) => "no answer".into(),
                None => "not checked".into(),
            },
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            opt(d.and_then(|d| d.rtt_ms).map(|r| format!("{r:.1}"))),
            opt(d.and_then(|d| d.error.clone())),
        ]);
    }
    ScreenTable {
        what: "status".into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}
