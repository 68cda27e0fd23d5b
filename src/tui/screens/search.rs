//! The find screen (`F`): an address, range, MAC or client ID (or its start) or part of a
//! hostname looked up on every DHCP server (leases, holds, claims, reservations) and in DNS;
//! Enter on a hit opens its scope at the address.
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ops::search::{LeaseWalk, SearchHit, SearchResult, Term};
use crate::ops::Command;
use crate::tui::keymap::{Action, Context, ScreenKey};
use crate::tui::render::fmt;
use crate::tui::screen::{JobResult, Jump, Screen, ScreenCtx, ScreenJob, ScreenOut, ScreenTable};
use crate::tui::theme;
use crate::tui::views::ListState;

use super::status::kit::{self, Input, InputEvent};

pub fn open(_app: &ScreenCtx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(SearchScreen::default()))
}

const INPUT_H: u16 = 3;

/// One search spread over jobs: the servers' lookups in parts of `kit::BATCH * 2` servers,
/// then each server's lease walk (partial terms) one step per job; at most `kit::MAX_JOBS`
/// at a time, so a big fleet never runs into one job's time limit and hits show as the
/// servers answer.
#[derive(Debug, Default)]
struct Run {
    /// Tells this search's answers from an earlier one's.
    gen: u64,
    term: Option<Term>,
    /// Jobs not sent yet, by job number.
    queue: VecDeque<(usize, Part)>,
    /// Job number -> what it does, while running.
    running: BTreeMap<usize, Part>,
    /// Answers by job number (servers in config order, then walk steps); DNS apart.
    parts: BTreeMap<usize, SearchResult>,
    dns: Option<SearchResult>,
    dns_running: bool,
    /// Each walking server's latest state, for the progress line.
    walks: BTreeMap<String, LeaseWalk>,
    next: usize,
}

#[derive(Clone, Debug)]
enum Part {
    Servers(Vec<String>),
    Walk(LeaseWalk),
}

impl Run {
    fn push(&mut self, part: Part) {
        self.queue.push_back((self.next, part));
        self.next += 1;
    }

    /// Servers whose lookups have not answered yet.
    fn servers_left(&self) -> usize {
        self.queue
            .iter()
            .map(|(_, p)| p)
            .chain(self.running.values())
            .map(|p| match p {
                Part::Servers(n) => n.len(),
                Part::Walk(_) => 0,
            })
            .sum()
    }

    /// "walking leases: kea-a 12,000 leases read, at 10.0.3.7 · kea-b …", while any walks.
    fn walk_line(&self) -> Option<String> {
        let going: Vec<String> = self
            .walks
            .values()
            .filter(|w| !w.done)
            .map(LeaseWalk::progress)
            .collect();
        (!going.is_empty()).then(|| format!("walking leases: {}", going.join(" · ")))
    }
}

const PART: usize = kit::BATCH * 2;

#[derive(Debug, Default)]
pub struct SearchScreen {
    input: Input,
    /// What the shown result was searched for.
    searched: Option<String>,
    /// The term could not be read (shown under the field).
    invalid: Option<String>,
    result: Option<Result<SearchResult, String>>,
    busy: bool,
    run: Run,
    list: ListState,
}

impl SearchScreen {
    fn hits(&self) -> &[SearchHit] {
        match &self.result {
            Some(Ok(r)) => &r.hits,
            _ => &[],
        }
    }

    fn errors_h(&self) -> u16 {
        match &self.result {
            Some(Ok(r)) if !r.errors.is_empty() => (r.errors.len() as u16 + 2).min(5),
            _ => 0,
        }
    }

    fn table_height(&self, size: Rect) -> usize {
        kit::body_height(size).saturating_sub(INPUT_H + self.errors_h() + 3) as usize
    }

    fn search(&mut self, app: &ScreenCtx) -> ScreenOut {
        let text = self.input.text.trim().to_string();
        let term = match Term::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                self.invalid = Some(e);
                self.input.editing = true;
                return ScreenOut::none();
            }
        };
        self.invalid = None;
        self.busy = true;
        self.searched = Some(text);
        self.list = ListState::default();
        self.result = None;
        let names: Vec<String> = app.fleet.rows.iter().map(|r| r.name.clone()).collect();
        let gen = self.run.gen + 1;
        self.run = Run {
            gen,
            term: Some(term.clone()),
            dns_running: true,
            ..Run::default()
        };
        for c in names.chunks(PART) {
            self.run.push(Part::Servers(c.to_vec()));
        }
        let mut jobs = vec![ScreenJob::new(
            format!("search#{gen}.dns"),
            Command::SearchDns(term),
        )];
        jobs.extend(self.pump());
        ScreenOut {
            jobs,
            ..ScreenOut::default()
        }
    }

    /// Sends the next parts while fewer than `kit::MAX_JOBS` run.
    fn pump(&mut self) -> Vec<ScreenJob> {
        let mut jobs = Vec::new();
        let Some(term) = self.run.term.clone() else {
            return jobs;
        };
        while self.run.running.len() < kit::MAX_JOBS {
            let Some((n, part)) = self.run.queue.pop_front() else {
                break;
            };
            let cmd = match &part {
                Part::Servers(names) => Command::SearchServers {
                    servers: names.clone(),
                    term: term.clone(),
                },
                Part::Walk(w) => Command::SearchWalk(Box::new(w.clone())),
            };
            self.run.running.insert(n, part);
            jobs.push(ScreenJob::new(format!("search#{}.{n}", self.run.gen), cmd));
        }
        jobs
    }

    /// Takes one part's answer: its hits, and the walks it starts or continues; the hits
    /// so far in order, DNS last.
    fn part_done(&mut self, part: &str, result: JobResult) -> Vec<ScreenJob> {
        let res = kit::take::<SearchResult>(result);
        if part == "dns" {
            self.run.dns_running = false;
            self.run.dns = Some(res.unwrap_or_else(|e| SearchResult {
                errors: vec![("DNS".into(), e)],
                ..SearchResult::default()
            }));
        } else if let Ok(n) = part.parse::<usize>() {
            let sent = self.run.running.remove(&n);
            let mut r = res.unwrap_or_else(|e| SearchResult {
                errors: match &sent {
                    Some(Part::Servers(names)) => {
                        names.iter().map(|s| (s.clone(), e.clone())).collect()
                    }
                    Some(Part::Walk(w)) => {
                        let at = w.after.map(|a| format!(" after {a}")).unwrap_or_default();
                        vec![(w.server.clone(), format!("lease walk stopped{at}: {e}"))]
                    }
                    None => Vec::new(),
                },
                ..SearchResult::default()
            });
            if let (Some(Part::Walk(w)), false) = (&sent, r.errors.is_empty()) {
                // A failed step ends that server's walk.
                if let Some(x) = self.run.walks.get_mut(&w.server) {
                    x.done = true;
                }
            }
            for w in std::mem::take(&mut r.walks) {
                self.run.walks.insert(w.server.clone(), w.clone());
                if !w.done {
                    self.run.push(Part::Walk(w));
                }
            }
            self.run.parts.insert(n, r);
        }
        let mut all = SearchResult::default();
        for r in self.run.parts.values().chain(self.run.dns.iter()) {
            all.add(r.hits.iter().cloned());
            all.errors.extend(r.errors.iter().cloned());
        }
        self.result = Some(Ok(all));
        let jobs = self.pump();
        self.busy = self.run.dns_running || !self.run.running.is_empty();
        jobs
    }

    /// Where a hit leads: its scope at the address on a DHCP server, else the server tab.
    fn jump(&self, hit: &SearchHit, app: &ScreenCtx) -> Result<Jump, String> {
        if !app.fleet.rows.iter().any(|r| r.name == hit.server) {
            return Err(format!(
                "{} is a DNS record on {}: no DHCP scope to open",
                hit.detail, hit.server
            ));
        }
        Ok(match (hit.scope, hit.ip) {
            (Some(cidr), Some(IpAddr::V4(ip))) => Jump::Scope {
                server: hit.server.clone(),
                cidr,
                ip: Some(ip),
            },
            _ => Jump::Server(hit.server.clone()),
        })
    }
}

impl Screen for SearchScreen {
    fn title(&self) -> String {
        "Find".into()
    }

    fn start(&mut self, _app: &ScreenCtx) -> ScreenOut {
        self.input.editing = true;
        ScreenOut::none()
    }

    fn on_key(&mut self, key: KeyEvent, app: &ScreenCtx) -> ScreenOut {
        if self.input.editing {
            return match self.input.key(&key) {
                InputEvent::Done => self.search(app),
                InputEvent::Cancelled if self.result.is_none() && !self.busy => ScreenOut {
                    close: true,
                    ..ScreenOut::default()
                },
                InputEvent::Cancelled => {
                    // Back to the hits shown, with the term they were found for.
                    self.input.text = self.searched.clone().unwrap_or_default();
                    self.invalid = None;
                    ScreenOut::none()
                }
                InputEvent::Changed => {
                    self.invalid = None;
                    ScreenOut::none()
                }
                InputEvent::Other => ScreenOut::none(),
            };
        }
        let n = self.hits().len();
        let h = self.table_height(app.size);
        let a = kit::action(ScreenKey::Search, &key);
        if kit::move_by(&mut self.list, a, n, h) {
            return ScreenOut::none();
        }
        match a {
            Some(Action::Filter) => {
                self.input.editing = true;
                ScreenOut::none()
            }
            Some(Action::Open) => {
                let Some(hit) = self.hits().get(self.list.cursor) else {
                    return ScreenOut::none();
                };
                ScreenOut::jump_or_say(self.jump(hit, app))
            }
            _ => ScreenOut::ignored(),
        }
    }

    fn on_result(&mut self, label: &str, result: JobResult, _app: &ScreenCtx) -> ScreenOut {
        let mine = format!("search#{}.", self.run.gen);
        match label.strip_prefix(&mine) {
            Some(part) => ScreenOut {
                jobs: self.part_done(part, result),
                ..ScreenOut::default()
            },
            // An earlier search's answer.
            None => ScreenOut::none(),
        }
    }

    fn on_refresh(&mut self, force: bool, app: &ScreenCtx) -> ScreenOut {
        // Searching again is on demand only: `r` repeats the last search.
        if force && self.searched.is_some() && !self.busy {
            self.input.text = self.searched.clone().unwrap_or_default();
            return self.search(app);
        }
        ScreenOut::none()
    }

    fn render(&self, frame: &mut Frame, area: Rect, app: &ScreenCtx) {
        let [input_area, table_area, err_area] = Layout::vertical([
            Constraint::Length(INPUT_H),
            Constraint::Min(0),
            Constraint::Length(self.errors_h()),
        ])
        .areas(area);
        let mut line = self.input.spans(" Find: ");
        match &self.invalid {
            Some(e) => line.push(Span::styled(format!("  {e}"), theme::error())),
            None if self.input.editing => line.push(Span::styled(
                "  IP, range/CIDR, MAC or client ID (or its start), part of a hostname · Enter searches",
                theme::dim(),
            )),
            None => {}
        }
        frame.render_widget(
            Paragraph::new(Line::from(line))
                .block(Block::bordered().title(" Find on every server ")),
            input_area,
        );

        match &self.result {
            None if self.busy => kit::message(
                frame,
                table_area,
                "Hits",
                kit::loading_lines("Searching every server"),
                theme::warn(),
            ),
            None => kit::message(
                frame,
                table_area,
                "Hits",
                vec![
                    Line::default(),
                    Line::from("Type what to find and press Enter. Looked up on every server:"),
                    Line::from(Span::styled(
                        "leases (held and claimed too), reservations, and DNS (A, PTR).",
                        theme::dim(),
                    )),
                    Line::from(Span::styled(
                        "A range, a MAC or client-ID start, or part of a name walks the leases \
                         1,000 at a time; hits show as they come.",
                        theme::dim(),
                    )),
                ],
                ratatui::style::Style::new(),
            ),
            Some(Err(e)) => kit::message(
                frame,
                table_area,
                "Hits",
                kit::failure_lines("The search did not finish", e),
                theme::error(),
            ),
            Some(Ok(r)) => self.draw_hits(frame, table_area, r, app),
        }
        if let Some(Ok(r)) = &self.result {
            if !r.errors.is_empty() {
                let lines: Vec<Line> = r
                    .errors
                    .iter()
                    .map(|(s, e)| Line::from(Span::styled(format!("{s}: {e}"), theme::error())))
                    .collect();
                frame.render_widget(
                    Paragraph::new(lines).wrap(Wrap { trim: true }).block(
                        Block::bordered()
                            .border_style(theme::error())
                            .title(format!(" Not searched: {} ", r.errors.len())),
                    ),
                    err_area,
                );
            }
        }
    }

    fn hints(&self) -> Vec<(String, String)> {
        if self.input.editing {
            // One field: the form keys that apply to it.
            kit::typing_hints(Context::Form, &[Action::Open, Action::Back])
        } else {
            kit::hints(ScreenKey::Search, &[])
        }
    }

    fn typing(&self) -> bool {
        self.input.editing
    }

    fn export(&self) -> Option<ScreenTable> {
        let Some(Ok(r)) = &self.result else {
            return None;
        };
        let opt = |v: Option<String>| v.unwrap_or_default();
        Some(ScreenTable {
            what: "find".into(),
            header: ["server", "scope", "ip", "matched", "state", "detail"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: r
                .hits
                .iter()
                .map(|h| {
                    vec![
                        h.server.clone(),
                        opt(h.scope.map(|c| c.to_string())),
                        opt(h.ip.map(|i| i.to_string())),
                        h.matched.clone(),
                        h.state.clone(),
                        h.detail.clone(),
                    ]
                })
                .collect(),
        })
    }
}

impl SearchScreen {
    fn draw_hits(&self, frame: &mut Frame, area: Rect, r: &SearchResult, app: &ScreenCtx) {
        let h = area.height.saturating_sub(3) as usize;
        let l = self.list.fixed(r.hits.len(), h);
        let wide = area.width >= 110;
        let rows: Vec<Row> = r
            .hits
            .iter()
            .enumerate()
            .skip(l.top)
            .take(h)
            .map(|(i, hit)| {
                let dash = || "-".to_string();
                let row = Row::new(vec![
                    Cell::from(hit.server.clone()),
                    Cell::from(hit.scope.map(|c| c.to_string()).unwrap_or_else(dash)),
                    Cell::from(hit.ip.map(|c| c.to_string()).unwrap_or_else(dash)),
                    Cell::from(if wide {
                        hit.matched.clone()
                    } else {
                        // "reservation hostname" fits the narrow column as "resv. hostname".
                        hit.matched.replace("reservation ", "resv. ")
                    }),
                    Cell::from(hit.state.clone()),
                    Cell::from(hit.detail.clone()),
                ]);
                if i == l.cursor {
                    row.style(theme::selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(if wide { 20 } else { 12 }),
            Constraint::Length(if wide { 18 } else { 17 }),
            Constraint::Length(15),
            Constraint::Length(if wide { 22 } else { 15 }),
            Constraint::Length(9),
            Constraint::Fill(1),
        ];
        let searched = self.searched.clone().unwrap_or_default();
        let mut title = format!(
            " {} hit{} for {searched} ",
            r.hits.len(),
            super::status::plural(r.hits.len())
        );
        if self.busy {
            let left = self.run.servers_left();
            if left > 0 {
                title.push_str(&format!("· {left} servers still searching… "));
            } else if self.run.dns_running {
                title.push_str("· still searching DNS… ");
            }
        }
        let mut block = Block::bordered().title(title);
        if let Some(walk) = self.run.walk_line() {
            block = block.title(
                Line::from(Span::styled(
                    format!(
                        " {} ",
                        fmt::trunc(&walk, area.width.saturating_sub(4) as usize / 2)
                    ),
                    theme::warn(),
                ))
                .right_aligned(),
            );
        }
        if r.hits.is_empty() {
            block = block.title_bottom(if self.busy {
                " nothing found yet "
            } else {
                " found nowhere "
            });
        } else if let Some(hit) = r.hits.get(l.cursor) {
            let note = match self.jump(hit, app) {
                Ok(Jump::Scope { .. }) => format!(
                    "Enter opens the scope at {}",
                    hit.ip.map(|i| i.to_string()).unwrap_or_default()
                ),
                Ok(Jump::Server(_)) => "Enter opens the server".to_string(),
                Err(_) => "a DNS record".to_string(),
            };
            block = block.title_bottom(Line::from(Span::styled(
                format!(
                    " {} ",
                    fmt::trunc(
                        &format!("{} · {note}", hit.detail),
                        area.width.saturating_sub(4) as usize
                    )
                ),
                theme::dim(),
            )));
        }
        frame.render_widget(
            Table::new(rows, widths)
                .header(
                    Row::new(["Server", "Scope", "IP", "Matched", "State", "Detail"])
                        .style(theme::header()),
                )
                .block(block),
            area,
        );
    }
}
