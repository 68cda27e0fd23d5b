//! The fleet screens of the console (issue 6): status (W), zones (Z), events (E), alerts
//! (A) and find (F). Key flows through `App::update` with the jobs' answers fed back as the
//! worker would, snapshots at 80x24 and wider, and the status and find jobs run for real
//! against Kea 2.2 (and the zone transfer against BIND 9.18) on loopback. Ports 21750-21799.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ddish::config::Config;
use ddish::dns::ZoneRecord;
use ddish::model::tree::ScopeSummary;
use ddish::model::{Range, RangeSet, ScopeDef, ScopeStats, ServerTree, Utilization};
use ddish::ops::events::{Event, EventKind, EventsError};
use ddish::ops::fleet::{DnsStatus, ServiceState, ServiceStatus};
use ddish::ops::search::{LeaseWalk, SearchHit, SearchResult, Term};
use ddish::ops::zones::{ZoneHealth, ZoneKind, ZoneServerCheck, ZoneStatus};
use ddish::ops::{Command, ServerData, Session};
use ddish::tui::app::{App, Msg, Payload, Request, RequestKind, Response, Target};
use ddish::tui::screen::{JobOutput, JobResult, ScreenJob};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// 2023-11-14 22:13:20 UTC: every time on screen is relative to this.
const NOW: i64 = 1_700_000_000;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(ch(c));
    }
}

const CONFIG: &str = r#"
[[server]]
name = "kea-hq"
url = "http://127.0.0.1:18000/"
tags = ["prod"]
fields = { region = "eu", site = "paris" }

[[server]]
name = "kea-dc"
url = "http://127.0.0.1:18001/"
fields = { region = "eu", site = "lyon" }

[[server]]
name = "kea-us"
url = "http://127.0.0.1:18002/"
fields = { region = "us", site = "nyc" }

[[dns.server]]
name = "ns1"
addr = "127.0.0.1:18053"

[[dns.server]]
name = "ns2"
addr = "127.0.0.1:18054"

[[dns.zone]]
name = "example.test"
primary = "ns1"

[[dns.zone]]
name = "0.20.10.in-addr.arpa"
primary = "ns1"

[[dns.zone]]
name = "8.b.d.0.1.0.0.2.ip6.arpa"
primary = "ns1"

[[query]]
name = "hq"
filter = "server:kea-hq"

[[query]]
name = "outside"
filter = "kind:outside-change"
"#;

fn config() -> Config {
    ddish::config::parse(CONFIG, Path::new("/tmp/ddish-tui-screens.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn app_from(cfg: &Config, w: u16, h: u16) -> App {
    let mut a = App::from_config(cfg, false);
    a.now = NOW;
    a.update(Msg::Resize(w, h));
    a
}

fn app(w: u16, h: u16) -> App {
    app_from(&config(), w, h)
}

/// The screen jobs among `reqs`.
fn jobs(reqs: &[Request]) -> Vec<(Request, ScreenJob)> {
    reqs.iter()
        .filter_map(|r| match &r.kind {
            RequestKind::Screen(j) => Some((r.clone(), j.clone())),
            _ => None,
        })
        .collect()
}

fn labels(reqs: &[Request]) -> Vec<String> {
    jobs(reqs).into_iter().map(|(_, j)| j.label).collect()
}

fn job(reqs: &[Request], label: &str) -> (Request, ScreenJob) {
    jobs(reqs)
        .into_iter()
        .find(|(_, j)| j.label == label || j.label.starts_with(&format!("{label}#")))
        .unwrap_or_else(|| panic!("no job {label} in {:?}", labels(reqs)))
}

/// Hands a job's answer back as the worker does.
fn answer(app: &mut App, req: &Request, out: impl Into<JobOutput>) -> Vec<Request> {
    app.update(Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target.clone(),
        payload: Payload::Screen(JobResult(Ok(out.into()))),
    }))
}

fn fail(app: &mut App, req: &Request, why: &str) -> Vec<Request> {
    app.update(Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target.clone(),
        payload: Payload::Screen(JobResult(Err(why.into()))),
    }))
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| ddish::tui::render::draw(f, app)).unwrap();
    t
}

fn screen_text(app: &App) -> String {
    let t = draw(app);
    let buf = t.backend().buffer();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn status(name: &str, state: ServiceState) -> ServiceStatus {
    let ok = state.is_ok();
    ServiceStatus {
        name: name.into(),
        url: String::new(),
        tags: vec![],
        fields: BTreeMap::new(),
        state,
        version: ok.then(|| "2.2.0".into()),
        uptime: ok.then_some(3 * 86_400 + 4 * 3600),
        ha_state: ok.then(|| "load-balancing (partner: load-balancing)".into()),
        scopes: ok.then_some(2),
        utilization: ok.then_some(Utilization::new(45, 100)),
        checked_at: NOW - 5,
        last_good: ok.then_some(NOW - 5),
        error: (!ok).then(|| format!("server {name}: connection refused at http://127.0.0.1:18002/: is kea-ctrl-agent running?")),
        tree: None,
    }
}

fn scope(id: u32, cidr: &str, used: u64, total: u64, title: Option<&str>) -> ScopeSummary {
    let cidr: ipnet::Ipv4Net = cidr.parse().unwrap();
    let pools = RangeSet::from_ranges([Range::parse_pool(&format!(
        "{} - {}",
        cidr.network(),
        cidr.broadcast()
    ))
    .unwrap()]);
    ScopeSummary {
        def: ScopeDef {
            title: title.map(Into::into),
            ..ScopeDef::bare(id, cidr, pools)
        },
        stats: Some(ScopeStats {
            total,
            assigned: used,
            declined: 0,
        }),
    }
}

// ----- status (W) -----

/// Opens W and answers its jobs: config, the three servers (one failing), the DNS check.
fn status_screen(w: u16, h: u16) -> App {
    let mut a = app(w, h);
    let reqs = a.update(ch('W'));
    assert_eq!(a.screens.len(), 1);
    let l = labels(&reqs);
    assert!(l.contains(&"config".to_string()), "{l:?}");
    assert!(l.contains(&"dns".to_string()), "{l:?}");
    assert_eq!(
        l.iter().filter(|x| x.starts_with("status#")).count(),
        1,
        "three servers fit one batch: {l:?}"
    );
    answer(&mut a, &job(&reqs, "config").0, config());
    let rows = vec![
        status("kea-hq", ServiceState::Running),
        status("kea-dc", ServiceState::Running),
        status("kea-us", ServiceState::Unreachable),
    ];
    let more = answer(&mut a, &job(&reqs, "status").0, rows);
    assert!(
        labels(&more).is_empty(),
        "nothing else is due: {:?}",
        labels(&more)
    );
    let dns = vec![
        DnsStatus {
            name: "ns1".into(),
            addr: "127.0.0.1:18053".parse().unwrap(),
            answering: true,
            rtt_ms: Some(0.4),
            zone: "example.test".into(),
            checked_at: NOW - 3,
            error: None,
        },
        DnsStatus {
            name: "ns2".into(),
            addr: "127.0.0.1:18054".parse().unwrap(),
            answering: false,
            rtt_ms: None,
            zone: "example.test".into(),
            checked_at: NOW - 3,
            error: Some("no answer from 127.0.0.1:18054 within 2 s".into()),
        },
    ];
    answer(&mut a, &job(&reqs, "dns").0, dns);
    a
}

#[test]
fn status_screen_80x24() {
    let a = status_screen(80, 24);
    insta::assert_snapshot!("status", draw(&a).backend());
}

#[test]
fn status_screen_grouped_wide() {
    let mut a = status_screen(150, 30);
    // none -> region -> site -> region › site
    for _ in 0..3 {
        a.update(ch('o'));
    }
    let text = screen_text(&a);
    assert!(text.contains("group: region › site"), "{text}");
    insta::assert_snapshot!("status_grouped_wide", draw(&a).backend());
}

#[test]
fn status_filter_mark_retrieve_and_jump() {
    let mut a = status_screen(80, 24);
    a.update(ch('/'));
    typed(&mut a, "region=us");
    a.update(key(KeyCode::Enter));
    let text = screen_text(&a);
    assert!(
        text.contains("kea-us") && !text.contains("kea-hq"),
        "{text}"
    );
    assert!(
        !text.contains("ns1"),
        "a field filter leaves DNS servers out"
    );
    // Esc clears the filter first, then closes the screen.
    a.update(key(KeyCode::Esc));
    assert_eq!(a.screens.len(), 1);
    let text = screen_text(&a);
    assert!(text.contains("kea-hq"), "{text}");

    // Mark two, retrieve them: one job for exactly those.
    a.update(ch(' '));
    a.update(ch(' '));
    let reqs = a.update(ch('u'));
    assert_eq!(labels(&reqs).len(), 1, "{:?}", labels(&reqs));
    assert!(screen_text(&a).contains("2 marked"));

    // U: every server again (a fresh batch) and the DNS servers.
    let (r, _) = job(&reqs, "status");
    answer(&mut a, &r, vec![status("kea-hq", ServiceState::Running)]);
    let reqs = a.update(ch('U'));
    let l = labels(&reqs);
    assert!(
        l.iter().any(|x| x.starts_with("status#")) && l.contains(&"dns".to_string()),
        "{l:?}"
    );

    // A job that fails as a whole marks its servers with the reason, never a panic.
    let (r, _) = job(&reqs, "status");
    fail(&mut a, &r, "no answer within 11 s");
    assert!(screen_text(&a).contains("timeout"));

    // Enter on a server opens its tab and loads it.
    a.update(key(KeyCode::Home));
    let reqs = a.update(key(KeyCode::Enter));
    assert!(a.screens.is_empty());
    assert_eq!(a.tab().map(|t| t.name.as_str()), Some("kea-hq"));
    assert!(reqs
        .iter()
        .any(|r| matches!(r.kind, RequestKind::LoadServer)
            && r.target == Target::Server("kea-hq".into())));
}

#[test]
fn status_groups_fold_and_retrieve_together() {
    let mut a = status_screen(80, 24);
    a.update(ch('o'));
    let text = screen_text(&a);
    assert!(
        text.contains("group: region") && text.contains("▾ eu"),
        "{text}"
    );
    // The cursor is on the "eu" heading: Enter folds it, u retrieves its two servers.
    a.update(key(KeyCode::Enter));
    let text = screen_text(&a);
    assert!(text.contains("▸ eu") && !text.contains("kea-hq"), "{text}");
    assert!(text.contains("kea-us"), "{text}");
    let reqs = a.update(ch('u'));
    assert_eq!(labels(&reqs).len(), 1);
    assert!(
        a.status
            .as_ref()
            .is_some_and(|s| s.text.contains("2 servers")),
        "{:?}",
        a.status
    );
}

#[test]
fn status_export_has_every_server() {
    let mut a = status_screen(80, 24);
    let reqs = a.update(ch('e'));
    let table = reqs
        .iter()
        .find_map(|r| match &r.kind {
            RequestKind::Export(ddish::tui::app::ExportJob::Table(t)) => Some(t.clone()),
            _ => None,
        })
        .expect("an export of the screen's table");
    assert_eq!(table.what, "status");
    assert_eq!(table.rows.len(), 5, "three DHCP and two DNS servers");
    assert_eq!(table.rows[2][4], "unreachable");
    assert_eq!(table.rows[4][4], "no answer");
}

// ----- zones (Z) -----

fn check(name: &str, port: u16, primary: bool, up: bool, serial: u32) -> ZoneServerCheck {
    ZoneServerCheck {
        name: name.into(),
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        primary,
        reachable: up,
        authoritative: up,
        serial: up.then_some(serial),
        rtt_ms: up.then_some(0.3),
        error: (!up).then(|| format!("no answer from 127.0.0.1:{port} within 2 s")),
        from_config: true,
        from_ns: primary,
        ns_name: primary.then(|| "ns1.example.test".into()),
    }
}

fn zone(name: &str, status: ZoneStatus, servers: Vec<ZoneServerCheck>) -> ZoneHealth {
    ZoneHealth {
        zone: name.into(),
        kind: ZoneKind::of(name),
        servers,
        status,
        checked_at: NOW - 2,
        ns: vec!["ns1.example.test".into()],
        ns_problems: vec![],
        since: NOW - 300,
    }
}

fn zones_data() -> Vec<ZoneHealth> {
    vec![
        zone(
            "example.test",
            ZoneStatus::SerialsDiffer {
                lagging: vec!["ns2".into()],
            },
            vec![
                check("ns1", 18053, true, true, 7),
                check("ns2", 18054, false, true, 6),
            ],
        ),
        zone(
            "0.20.10.in-addr.arpa",
            ZoneStatus::Ok,
            vec![
                check("ns1", 18053, true, true, 3),
                check("ns2", 18054, false, true, 3),
            ],
        ),
        zone(
            "8.b.d.0.1.0.0.2.ip6.arpa",
            ZoneStatus::SomeDown {
                down: vec!["ns2".into()],
            },
            vec![
                check("ns1", 18053, true, true, 1),
                check("ns2", 18054, false, false, 0),
            ],
        ),
    ]
}

#[test]
fn zones_screen_and_zone_detail() {
    let mut a = app(80, 24);
    let reqs = a.update(ch('Z'));
    assert_eq!(labels(&reqs), ["zones"]);
    let text = screen_text(&a);
    assert!(
        text.contains("checking"),
        "the configured zones show at once: {text}"
    );
    answer(&mut a, &reqs[0], zones_data());
    insta::assert_snapshot!("zones", draw(&a).backend());

    // The cursor starts on the first zone, under its heading, and passes over headings.
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Up));
    let reqs = a.update(key(KeyCode::Enter));
    assert_eq!(a.screens.len(), 2, "the zone opens over the list");
    assert_eq!(
        labels(&reqs),
        ["axfr"],
        "the zones screen's check is reused"
    );
    let records = vec![
        ZoneRecord {
            name: "example.test".into(),
            ttl: 3600,
            rtype: "SOA".into(),
            data: "ns1.example.test. admin.example.test. 7 3600 600 86400 300".into(),
        },
        ZoneRecord {
            name: "example.test".into(),
            ttl: 3600,
            rtype: "NS".into(),
            data: "ns1.example.test.".into(),
        },
        ZoneRecord {
            name: "printer1.example.test".into(),
            ttl: 300,
            rtype: "A".into(),
            data: "10.20.0.5".into(),
        },
    ];
    answer(&mut a, &reqs[0], records);
    insta::assert_snapshot!("zone_detail", draw(&a).backend());

    // A refused transfer says so in the screen.
    let reqs = a.update(ch('r'));
    let (r, _) = job(&reqs, "axfr");
    fail(
        &mut a,
        &r,
        "127.0.0.1:18053 refused the zone transfer of example.test",
    );
    let text = screen_text(&a);
    assert!(
        text.contains("could not be transferred") && text.contains("refused"),
        "{text}"
    );
    a.update(key(KeyCode::Esc));
    assert_eq!(a.screens.len(), 1, "Esc goes back to the zone list");
}

// ----- alerts (A) -----

fn alert_rows() -> Vec<ServiceStatus> {
    let mut hq = status("kea-hq", ServiceState::Running);
    hq.tree = Some(ServerTree::build(
        &[],
        vec![
            scope(1, "10.20.0.0/24", 95, 100, Some("HQ office")),
            scope(2, "10.21.0.0/24", 50, 100, None),
            scope(3, "10.22.0.0/24", 2, 100, Some("Guests")),
        ],
    ));
    let mut dc = status("kea-dc", ServiceState::Running);
    dc.tree = Some(ServerTree::build(
        &[],
        vec![scope(1, "10.30.0.0/24", 85, 100, Some("Servers"))],
    ));
    vec![hq, dc, status("kea-us", ServiceState::AuthFailed)]
}

#[test]
fn alerts_screen_worst_first_and_jump_to_scope() {
    let mut a = app(80, 24);
    let reqs = a.update(ch('A'));
    assert_eq!(labels(&reqs), ["alerts#1"]);
    answer(&mut a, &reqs[0], alert_rows());
    insta::assert_snapshot!("alerts", draw(&a).backend());

    a.update(key(KeyCode::Down));
    let reqs = a.update(key(KeyCode::Enter));
    assert!(a.screens.is_empty());
    assert_eq!(a.tab().map(|t| t.name.as_str()), Some("kea-dc"));
    let load = reqs
        .iter()
        .find(|r| matches!(r.kind, RequestKind::LoadServer))
        .expect("the server is loaded");
    // Once the tree is there, the scope is asked for.
    let data = ServerData {
        name: "kea-dc".into(),
        version: "2.2.0".into(),
        commands: vec![],
        tree: ServerTree::build(&[], vec![scope(1, "10.30.0.0/24", 85, 100, None)]),
        networks: vec![],
        ha_state: None,
        loaded_at: NOW,
        baseline: None,
        skipped: vec![],
        option_defs: vec![],
    };
    let reqs = a.update(Msg::Response(Response {
        id: load.id,
        gen: load.gen,
        target: load.target.clone(),
        payload: Payload::Server(Ok(Arc::new(data))),
    }));
    assert!(
        reqs.iter().any(
            |r| matches!(&r.kind, RequestKind::LoadScope(d) if d.cidr.to_string() == "10.30.0.0/24")
        ),
        "{reqs:?}"
    );
}

// ----- find (F) -----

fn hits() -> SearchResult {
    SearchResult {
        hits: vec![
            SearchHit {
                server: "kea-hq".into(),
                scope: Some("10.20.0.0/24".parse().unwrap()),
                ip: Some("10.20.0.12".parse().unwrap()),
                matched: "lease mac".into(),
                state: "assigned".into(),
                detail: "mac aa:bb:cc:00:00:12, hostname host2".into(),
            },
            SearchHit {
                server: "127.0.0.1:18053".into(),
                scope: None,
                ip: Some("10.20.0.12".parse().unwrap()),
                matched: "DNS A".into(),
                state: "record".into(),
                detail: "host2.example.test A 10.20.0.12".into(),
            },
        ],
        errors: vec![(
            "kea-us".into(),
            "server kea-us: connection refused at http://127.0.0.1:18002/".into(),
        )],
        walks: Vec::new(),
    }
}

#[test]
fn find_screen_types_searches_and_jumps_to_the_address() {
    let mut a = app(80, 24);
    let reqs = a.update(ch('F'));
    assert!(
        reqs.is_empty(),
        "nothing is searched before a term is given"
    );
    // Typing: q is a letter here, not quit.
    typed(&mut a, "q!");
    a.update(key(KeyCode::Enter));
    assert!(!a.quit);
    let text = screen_text(&a);
    assert!(text.contains("is not an IPv4 address"), "{text}");
    for _ in 0..2 {
        a.update(key(KeyCode::Backspace));
    }
    typed(&mut a, "AA-BB-CC-00-00-12");
    let reqs = a.update(key(KeyCode::Enter));
    assert_eq!(labels(&reqs), ["search#1.dns", "search#1.0"]);
    assert!(screen_text(&a).contains("Searching every server"));
    answer(
        &mut a,
        &job(&reqs, "search#1.dns").0,
        SearchResult::default(),
    );
    answer(&mut a, &job(&reqs, "search#1.0").0, hits());
    insta::assert_snapshot!("find", draw(&a).backend());

    // Enter on the DNS hit explains; on the lease it opens the scope at the address.
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.screens.len(), 1);
    assert!(a
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("DNS record")));
    a.update(key(KeyCode::Up));
    let reqs = a.update(key(KeyCode::Enter));
    assert!(a.screens.is_empty());
    assert_eq!(a.tab().map(|t| t.name.as_str()), Some("kea-hq"));
    let load = reqs
        .iter()
        .find(|r| matches!(r.kind, RequestKind::LoadServer))
        .expect("the server is loaded");
    let data = ServerData {
        name: "kea-hq".into(),
        version: "2.2.0".into(),
        commands: vec![],
        tree: ServerTree::build(&[], vec![scope(1, "10.20.0.0/24", 9, 10, None)]),
        networks: vec![],
        ha_state: None,
        loaded_at: NOW,
        baseline: None,
        skipped: vec![],
        option_defs: vec![],
    };
    let reqs = a.update(Msg::Response(Response {
        id: load.id,
        gen: load.gen,
        target: load.target.clone(),
        payload: Payload::Server(Ok(Arc::new(data))),
    }));
    assert!(
        reqs.iter().any(
            |r| matches!(&r.kind, RequestKind::LoadScope(d) if d.cidr.to_string() == "10.20.0.0/24")
        ),
        "{reqs:?}"
    );
}

#[test]
fn find_screen_wide() {
    let mut a = app(120, 20);
    a.update(ch('F'));
    typed(&mut a, "10.20.0.12");
    let reqs = a.update(key(KeyCode::Enter));
    answer(&mut a, &job(&reqs, "search#1.0").0, hits());
    let text = screen_text(&a);
    assert!(
        text.contains("still searching"),
        "DNS has not answered: {text}"
    );
    answer(
        &mut a,
        &job(&reqs, "search#1.dns").0,
        SearchResult::default(),
    );
    insta::assert_snapshot!("find_wide", draw(&a).backend());
}

#[test]
fn find_on_a_big_fleet_is_split_and_bounded() {
    let servers: Vec<(String, String)> = (0..80)
        .map(|i| {
            (
                format!("kea-{i:02}"),
                format!("http://127.0.0.1:{}/", 18100 + i),
            )
        })
        .collect();
    let mut a = App::new(&servers, ddish::model::Thresholds::default());
    a.now = NOW;
    a.update(ch('F'));
    typed(&mut a, "printer1");
    let reqs = a.update(key(KeyCode::Enter));
    // Five parts of 16 servers: four at a time, plus the DNS lookup.
    assert_eq!(
        labels(&reqs),
        [
            "search#1.dns",
            "search#1.0",
            "search#1.1",
            "search#1.2",
            "search#1.3"
        ]
    );
    let more = answer(&mut a, &job(&reqs, "search#1.2").0, hits());
    assert_eq!(
        labels(&more),
        ["search#1.4"],
        "a finished part frees a slot"
    );
    // A part that fails as a whole names each of its servers.
    fail(&mut a, &job(&reqs, "search#1.0").0, "no answer within 11 s");
    let text = screen_text(&a);
    assert!(
        text.contains("Not searched: 17"),
        "16 and the one in the answer: {text}"
    );
    assert!(text.contains("48 servers still searching"), "{text}");
    // A new search drops the old one's late answers.
    a.update(ch('/'));
    a.update(key(KeyCode::Enter));
    answer(&mut a, &job(&reqs, "search#1.1").0, hits());
    assert!(screen_text(&a).contains("Searching every server"));
}

#[test]
fn find_streams_a_lease_walk_step_by_step() {
    let mut a = app(120, 20);
    a.update(ch('F'));
    typed(&mut a, "printer");
    let reqs = a.update(key(KeyCode::Enter));
    answer(
        &mut a,
        &job(&reqs, "search#1.dns").0,
        SearchResult::default(),
    );
    // The lookups answer with the walk to do on kea-hq: its first step is sent.
    let walk = LeaseWalk {
        server: "kea-hq".into(),
        term: Term::parse("printer").unwrap(),
        after: None,
        scopes: Arc::new(vec![(1, "10.20.0.0/24".parse().unwrap())]),
        read: 0,
        done: false,
    };
    let lookups = SearchResult {
        walks: vec![walk.clone()],
        ..hits()
    };
    let step = answer(&mut a, &job(&reqs, "search#1.0").0, lookups);
    let (req, j) = job(&step, "search#1.1");
    assert!(
        matches!(&j.cmd, ddish::ops::Command::SearchWalk(w) if **w == walk),
        "{:?}",
        j.cmd
    );
    // A step with a hit and more to read: the hit shows, the progress too, the next
    // step goes out from where this one stopped.
    let mut more = SearchResult::default();
    more.hits.push(SearchHit {
        server: "kea-hq".into(),
        scope: Some("10.20.0.0/24".parse().unwrap()),
        ip: Some("10.20.0.40".parse().unwrap()),
        matched: "lease hostname".into(),
        state: "assigned".into(),
        detail: "hostname printer-2f".into(),
    });
    let at = LeaseWalk {
        after: Some("10.20.3.232".parse().unwrap()),
        read: 10_000,
        ..walk.clone()
    };
    more.walks.push(at.clone());
    let next = answer(&mut a, &req, more);
    let text = screen_text(&a);
    assert!(text.contains("3 hits for printer"), "{text}");
    assert!(text.contains("printer-2f"), "{text}");
    assert!(
        text.contains("walking leases: kea-hq: 10,000 leases read, at 10.20.3.232"),
        "{text}"
    );
    let (req, j) = job(&next, "search#1.2");
    assert!(matches!(&j.cmd, ddish::ops::Command::SearchWalk(w) if **w == at));
    // The last step: nothing more sent, nothing busy, the hits kept.
    let mut last = SearchResult::default();
    last.walks.push(LeaseWalk {
        done: true,
        read: 12_345,
        ..at
    });
    let after = answer(&mut a, &req, last);
    assert!(labels(&after).is_empty(), "{:?}", labels(&after));
    let text = screen_text(&a);
    assert!(text.contains("3 hits for printer"), "{text}");
    assert!(!text.contains("walking leases"), "{text}");
    assert!(!text.contains("still searching"), "{text}");
}

#[test]
fn a_failed_walk_step_names_the_server_and_where_it_stopped() {
    let mut a = app(120, 20);
    a.update(ch('F'));
    typed(&mut a, "10.20.0.0/16");
    let reqs = a.update(key(KeyCode::Enter));
    answer(
        &mut a,
        &job(&reqs, "search#1.dns").0,
        SearchResult::default(),
    );
    let walk = LeaseWalk {
        server: "kea-hq".into(),
        term: Term::parse("10.20.0.0/16").unwrap(),
        after: Some("10.19.255.255".parse().unwrap()),
        scopes: Arc::new(Vec::new()),
        read: 0,
        done: false,
    };
    let step = answer(
        &mut a,
        &job(&reqs, "search#1.0").0,
        SearchResult {
            walks: vec![walk],
            ..SearchResult::default()
        },
    );
    let after = fail(&mut a, &job(&step, "search#1.1").0, "no answer within 11 s");
    assert!(labels(&after).is_empty());
    let text = screen_text(&a);
    assert!(
        text.contains("kea-hq: lease walk stopped after 10.19.255.255: no answer within 11 s"),
        "{text}"
    );
    assert!(!text.contains("walking leases"), "{text}");
}

// ----- server parameters (O) -----

fn param_values() -> Vec<ddish::ops::ParamValue> {
    use ddish::model::server_params::PARAMS;
    PARAMS
        .iter()
        .map(|p| ddish::ops::ParamValue {
            param: p,
            value: match p.name {
                "valid-lifetime" => Some(serde_json::json!(3600)),
                "renew-timer" => Some(serde_json::json!(900)),
                "rebind-timer" => Some(serde_json::json!(1800)),
                "authoritative" => Some(serde_json::json!(false)),
                "ddns-qualifying-suffix" => Some(serde_json::json!("example.test")),
                _ => None,
            },
        })
        .collect()
}

#[test]
fn server_parameters_are_shown_checked_previewed_and_applied() {
    use ddish::ops::bulk::{ServerOutcome, ServerPreview};
    let mut a = app(100, 30);
    a.rights.insert("kea-hq".into(), ddish::config::Role::Admin);
    // On the Servers tab: the selected server's.
    let reqs = a.update(ch('O'));
    assert_eq!(labels(&reqs), ["params"]);
    assert!(
        matches!(&job(&reqs, "params").1.cmd, Command::ServerParams { server } if server == "kea-hq")
    );
    answer(&mut a, &job(&reqs, "params").0, param_values());
    insta::assert_snapshot!("server_params", draw(&a).backend());

    // renew-timer (4th): Enter starts from its value; a bad one is refused as typed.
    for _ in 0..3 {
        a.update(key(KeyCode::Down));
    }
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let text = screen_text(&a);
    assert!(text.contains("renew-timer = 900"), "{text}");
    typed(&mut a, "x");
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let text = screen_text(&a);
    assert!(
        text.contains("✗ renew-timer: '900x' is not a whole number"),
        "{text}"
    );
    for _ in 0..4 {
        a.update(key(KeyCode::Backspace));
    }
    typed(&mut a, "1200");
    let reqs = a.update(key(KeyCode::Enter));
    let (req, j) = job(&reqs, "preview");
    assert!(
        matches!(&j.cmd, Command::BulkPreview(c) if c.op().describe() == "renew-timer=1200"),
        "{:?}",
        j.cmd
    );
    answer(
        &mut a,
        &req,
        vec![ServerPreview {
            server: "kea-hq".into(),
            changes: vec!["server: renew-timer 900 -> 1200".into()],
            error: None,
            warnings: vec![],
        }],
    );
    let text = screen_text(&a);
    assert!(
        text.contains("kea-hq: server: renew-timer 900 -> 1200"),
        "{text}"
    );
    assert!(text.contains("y applies, n drops it"), "{text}");
    // y writes it; the values are read again after.
    let reqs = a.update(ch('y'));
    let (req, j) = job(&reqs, "apply");
    assert!(matches!(j.cmd, Command::BulkApply(_)));
    let again = answer(
        &mut a,
        &req,
        vec![ServerOutcome {
            server: "kea-hq".into(),
            peers: vec!["kea-hq".into()],
            result: Ok("1 change".into()),
        }],
    );
    assert_eq!(labels(&again), ["params"]);
    answer(&mut a, &job(&again, "params").0, param_values());
    assert!(screen_text(&a).contains("✓ kea-hq (kea-hq): 1 change"));

    // n drops a previewed change; a viewer is told what role it takes.
    a.update(key(KeyCode::Enter));
    let reqs = a.update(key(KeyCode::Enter));
    answer(
        &mut a,
        &job(&reqs, "preview").0,
        Vec::<ServerPreview>::new(),
    );
    assert!(a.update(ch('n')).is_empty());
    assert!(a
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("nothing was written")));
    a.rights
        .insert("kea-hq".into(), ddish::config::Role::Viewer);
    a.update(key(KeyCode::Esc));
    a.update(ch('O'));
    a.update(key(KeyCode::Enter));
    assert!(a
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("needs role = \"admin\"")));
}

// ----- events (E) -----

fn event(t: i64, server: &str, kind: EventKind, desc: &str, user: &str) -> Event {
    Event {
        time: t,
        server: server.into(),
        kind,
        description: desc.into(),
        user: user.into(),
        result: (kind == EventKind::DdishChange).then(|| "ok".into()),
        scope: desc
            .split_whitespace()
            .find_map(|w| w.parse::<ipnet::Ipv4Net>().ok()),
        ip: None,
    }
}

fn events_data() -> Vec<Event> {
    vec![
        event(
            NOW - 60,
            "kea-hq",
            EventKind::DdishChange,
            "hold scope 10.20.0.0/24 ip 10.20.0.40",
            "ana@ws1",
        ),
        event(
            NOW - 600,
            "kea-dc",
            EventKind::OutsideChange,
            "config changed outside ddish",
            "",
        ),
        event(
            NOW - 3600,
            "kea-us",
            EventKind::ServiceDown,
            "unreachable: connection refused",
            "",
        ),
        event(
            NOW - 7200,
            "kea-hq",
            EventKind::ScopeAppeared,
            "scope 10.22.0.0/24 appeared",
            "",
        ),
    ]
}

#[test]
fn events_screen_filter_saved_queries_and_export() {
    let mut a = app(80, 24);
    let reqs = a.update(ch('E'));
    let l = labels(&reqs);
    assert!(
        l.contains(&"events".to_string()) && l.contains(&"config".to_string()),
        "{l:?}"
    );
    assert!(screen_text(&a).contains("Reading the journal"));
    answer(&mut a, &job(&reqs, "config").0, config());
    let ok: Result<Vec<Event>, EventsError> = Ok(events_data());
    answer(&mut a, &job(&reqs, "events").0, ok);
    insta::assert_snapshot!("events", draw(&a).backend());

    // `/` filter in the query language, live.
    a.update(ch('/'));
    typed(&mut a, "kind:outside-change");
    a.update(key(KeyCode::Enter));
    let text = screen_text(&a);
    assert!(text.contains("Events: 1 of 4"), "{text}");
    // A saved query from the config: `s` takes the first one.
    a.update(key(KeyCode::Esc));
    a.update(ch('s'));
    let text = screen_text(&a);
    assert!(
        text.contains("saved query hq") && text.contains("2 of 4"),
        "{text}"
    );

    // e exports exactly the filtered view.
    let reqs = a.update(ch('e'));
    let table = reqs
        .iter()
        .find_map(|r| match &r.kind {
            RequestKind::Export(ddish::tui::app::ExportJob::Table(t)) => Some(t.clone()),
            _ => None,
        })
        .expect("an export");
    assert_eq!(table.header[0], "time");
    assert_eq!(table.rows.len(), 2);
    assert!(table.rows.iter().all(|r| r[1] == "kea-hq"));

    // Enter on the ddish change opens its scope.
    a.update(key(KeyCode::Home));
    a.update(key(KeyCode::Enter));
    assert!(a.screens.is_empty());
    assert_eq!(a.tab().map(|t| t.name.as_str()), Some("kea-hq"));
}

#[test]
fn events_screen_looks_at_the_servers_once_a_minute() {
    let mut a = app(80, 24);
    a.update(Msg::Now(1_000));
    let reqs = a.update(ch('E'));
    assert!(!labels(&reqs).contains(&"observe".to_string()));
    // The first tick looks at the servers; ticks in the next minute only re-read the files.
    let reqs = a.update(Msg::Refresh);
    assert!(
        labels(&reqs).contains(&"observe".to_string()),
        "{:?}",
        labels(&reqs)
    );
    fail(&mut a, &job(&reqs, "observe").0, "kea-hq: timeout");
    a.update(Msg::Now(1_030));
    let reqs = a.update(Msg::Refresh);
    let l = labels(&reqs);
    assert!(!l.contains(&"observe".to_string()), "{l:?}");
    a.update(Msg::Now(1_061));
    let reqs = a.update(Msg::Refresh);
    assert!(
        labels(&reqs).contains(&"observe".to_string()),
        "{:?}",
        labels(&reqs)
    );
    // While a look is out, no second one is sent, even by r.
    let reqs = a.update(ch('r'));
    assert!(!labels(&reqs).contains(&"observe".to_string()));
}

#[test]
fn events_screen_failure_is_shown() {
    let mut a = app(80, 24);
    let reqs = a.update(ch('E'));
    let err: Result<Vec<Event>, EventsError> = Err(EventsError::File(
        "the journal /x/journal.jsonl can't be read: permission denied".into(),
    ));
    answer(&mut a, &job(&reqs, "events").0, err);
    let text = screen_text(&a);
    assert!(
        text.contains("could not be read") && text.contains("permission denied"),
        "{text}"
    );
}

// ----- against real servers -----

fn tempdir() -> tempfile::TempDir {
    // Kea's control socket path must stay short; named (as nobody) must reach the dir.
    let d = tempfile::Builder::new()
        .prefix("ddish-t2-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs a screen job on `session` as the worker would and feeds its answer back.
fn run(
    app: &mut App,
    rt: &tokio::runtime::Runtime,
    session: &Arc<Session>,
    req: &Request,
    job: &ScreenJob,
) -> Vec<Request> {
    let limit = std::time::Duration::from_secs(30);
    let out = rt.block_on(session.run_within("", job.cmd.clone(), limit));
    app.update(Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target.clone(),
        payload: Payload::Screen(JobResult(out.map_err(|e| e.to_string()))),
    }))
}

/// Runs every job whose label starts with `prefix`, and the ones their answers ask for.
fn run_all(
    app: &mut App,
    rt: &tokio::runtime::Runtime,
    session: &Arc<Session>,
    mut reqs: Vec<Request>,
    prefix: &str,
) {
    while let Some((r, j)) = jobs(&reqs)
        .into_iter()
        .find(|(_, j)| j.label.starts_with(prefix))
    {
        reqs.retain(|x| x.id != r.id);
        reqs.extend(run(app, rt, session, &r, &j));
    }
}

const PASS: &str = "t2-screens-pw";

#[test]
fn status_and_find_jobs_on_a_real_kea() {
    use ddish::lab::{leases_csv, minimal_dhcp4, KeaInstance, SeedLease};
    let dir = tempdir();
    let d = dir.path();
    let now = ddish::ops::now();
    let leases: Vec<SeedLease> = (0..3u8)
        .map(|i| {
            SeedLease::new(
                Ipv4Addr::new(10, 75, 0, 10 + i),
                1,
                &format!("aa:bb:cc:75:00:{:02x}", 0x10 + i),
                &format!("t2host{i}"),
                3600,
                60,
                now,
            )
        })
        .collect();
    let subnets = serde_json::json!([
        {"id": 1, "subnet": "10.75.0.0/24", "pools": [{"pool": "10.75.0.10 - 10.75.0.13"}],
         "reservations": [{"hw-address": "aa:bb:cc:75:00:99", "ip-address": "10.75.0.5",
                           "hostname": "t2-printer"}]},
        {"id": 2, "subnet": "10.76.0.0/24", "pools": [{"pool": "10.76.0.10 - 10.76.0.100"}]}
    ]);
    let mut kea = KeaInstance::start(
        &d.join("kea-t2"),
        "kea-t2",
        21750,
        21751,
        minimal_dhcp4(subnets),
        Some(("ddish", PASS)),
        Some(&leases_csv(&leases)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("kea.pass"), format!("{PASS}\n")).unwrap();
    let text = format!(
        "[settings]\nrequest_timeout = 2\njournal = \"{j}\"\n\
         [[server]]\nname = \"kea-t2\"\nurl = \"http://127.0.0.1:21750/\"\nuser = \"ddish\"\n\
         password_file = \"{p}\"\nfields = {{ region = \"eu\" }}\n\
         [[server]]\nname = \"kea-gone\"\nurl = \"http://127.0.0.1:21752/\"\n",
        j = d.join("journal.jsonl").display(),
        p = d.join("kea.pass").display()
    );
    let cfg = ddish::config::parse(&text, &d.join("ddish.toml")).unwrap_or_else(|e| panic!("{e}"));
    let session = Session::new(cfg.clone());
    let rt = rt();
    let mut a = app_from(&cfg, 100, 24);
    a.now = now;

    // W: the real status job, both servers in one batch.
    let reqs = a.update(ch('W'));
    let (r, j) = job(&reqs, "config");
    run(&mut a, &rt, &session, &r, &j);
    let (r, j) = job(&reqs, "status");
    run(&mut a, &rt, &session, &r, &j);
    let text = screen_text(&a);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
            .to_string()
    };
    let ok = line("kea-t2");
    assert!(ok.contains("running") && ok.contains("2.2.0"), "{ok}");
    assert!(ok.contains("  2 "), "two scopes: {ok}");
    assert!(line("kea-gone").contains("unreachable"), "{text}");
    a.update(key(KeyCode::Esc));

    // F: the real search job finds the lease by MAC and the reservation by name.
    a.update(ch('F'));
    typed(&mut a, "aa:bb:cc:75:00:11");
    let reqs = a.update(key(KeyCode::Enter));
    run_all(&mut a, &rt, &session, reqs, "search#");
    let text = screen_text(&a);
    assert!(
        text.contains("10.75.0.11") && text.contains("lease mac"),
        "{text}"
    );
    assert!(
        text.contains("Not searched: 1") && text.contains("kea-gone"),
        "{text}"
    );
    a.update(key(KeyCode::Char('/')));
    for _ in 0.."aa:bb:cc:75:00:11".len() {
        a.update(key(KeyCode::Backspace));
    }
    typed(&mut a, "t2-printer");
    let reqs = a.update(key(KeyCode::Enter));
    run_all(&mut a, &rt, &session, reqs, "search#");
    let text = screen_text(&a);
    assert!(
        text.contains("10.75.0.5") && text.contains("resv. hostname"),
        "{text}"
    );

    // A: the scope at 75 % is within bounds; the empty one is under.
    a.update(key(KeyCode::Esc));
    let reqs = a.update(ch('A'));
    let (r, j) = job(&reqs, "alerts");
    run(&mut a, &rt, &session, &r, &j);
    let text = screen_text(&a);
    assert!(
        text.contains("10.76.0.0/24") && text.contains("under"),
        "{text}"
    );
    assert!(text.contains("Not read: kea-gone"), "{text}");

    // E: the journal is empty; `o` takes a first look (the baseline), then the daemon
    // stops and the next look records it; the list is read again by itself.
    a.update(key(KeyCode::Esc));
    let reqs = a.update(ch('E'));
    for l in ["config", "events"] {
        let (r, j) = job(&reqs, l);
        run(&mut a, &rt, &session, &r, &j);
    }
    assert!(screen_text(&a).contains("no events yet"));
    let reqs = a.update(ch('o'));
    let (r, j) = job(&reqs, "observe");
    let reqs = run(&mut a, &rt, &session, &r, &j);
    assert!(
        a.status
            .as_ref()
            .is_some_and(|s| s.text.contains("first look")),
        "{:?}",
        a.status
    );
    let (r, j) = job(&reqs, "events");
    run(&mut a, &rt, &session, &r, &j);
    kea.stop_dhcp();
    let reqs = a.update(ch('o'));
    let (r, j) = job(&reqs, "observe");
    let reqs = run(&mut a, &rt, &session, &r, &j);
    let (r, j) = job(&reqs, "events");
    run(&mut a, &rt, &session, &r, &j);
    let text = screen_text(&a);
    assert!(
        text.contains("service down") && text.contains("kea-t2"),
        "{text}"
    );
    // The filter narrows to it; the export holds what is shown.
    a.update(ch('/'));
    typed(&mut a, "kind:service-down server:kea-t2");
    a.update(key(KeyCode::Enter));
    let reqs = a.update(ch('e'));
    let table = reqs
        .iter()
        .find_map(|r| match &r.kind {
            RequestKind::Export(ddish::tui::app::ExportJob::Table(t)) => Some(t.clone()),
            _ => None,
        })
        .expect("an export");
    assert_eq!(table.rows.len(), 1, "{:?}", table.rows);
    assert_eq!(table.rows[0][1], "kea-t2");
}

#[test]
fn zone_transfer_job_on_a_real_bind() {
    use ddish::lab::DnsInstance;
    let dir = tempdir();
    let body = "$TTL 300\n@ IN SOA ns1.t2.test. admin.t2.test. 5 3600 600 86400 300\n\
                @ IN NS ns1.t2.test.\nns1 IN A 127.0.0.1\nprinter IN A 10.75.0.5\n";
    let _ns = DnsInstance::start(&dir.path().join("ns"), 21760, &[("t2.test", body)])
        .unwrap_or_else(|e| panic!("{e}"));
    let text = "[settings]\nrequest_timeout = 2\n\
                [[dns.server]]\nname = \"ns-t2\"\naddr = \"127.0.0.1:21760\"\n\
                [[dns.zone]]\nname = \"t2.test\"\nprimary = \"ns-t2\"\n";
    let cfg = ddish::config::parse(text, &dir.path().join("ddish.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let session = Session::new(cfg.clone());
    let rt = rt();
    let mut a = app_from(&cfg, 80, 24);
    a.now = ddish::ops::now();
    let reqs = a.update(ch('Z'));
    let (r, j) = job(&reqs, "zones");
    run(&mut a, &rt, &session, &r, &j);
    let text = screen_text(&a);
    assert!(text.contains("t2.test") && text.contains("OK"), "{text}");
    let reqs = a.update(key(KeyCode::Enter));
    let (r, j) = job(&reqs, "axfr");
    run(&mut a, &rt, &session, &r, &j);
    let text = screen_text(&a);
    assert!(
        text.contains("printer.t2.test") && text.contains("10.75.0.5"),
        "{text}"
    );
    assert!(
        text.contains("Records: 4"),
        "SOA, NS and two A records: {text}"
    );
}

#[test]
fn review_screen_lists_findings_worst_first_and_opens_the_scope() {
    use ddish::model::review::{Finding, Severity};
    use ddish::ops::{Command, ServerReview};
    let mut a = app(80, 24);
    let reqs = a.update(ch('V'));
    let (r, j) = job(&reqs, "review");
    assert_eq!(j.cmd, Command::Review { servers: vec![] });
    let f = |severity, check, scope: Option<&str>, text: &str| Finding {
        severity,
        check,
        scope: scope.map(|s| s.parse().unwrap()),
        ip: None,
        text: text.into(),
    };
    let reviews = vec![
        ServerReview {
            server: "kea-hq".into(),
            findings: Ok(vec![
                f(
                    Severity::Warning,
                    "no-pool",
                    Some("10.9.0.0/24"),
                    "scope 10.9.0.0/24 has no pool and no reservation: it serves nobody",
                ),
                f(
                    Severity::Info,
                    "unknown-option",
                    Some("10.64.0.0/24"),
                    "option foo in 10.64.0.0/24 is not a standard DHCPv4 option",
                ),
            ]),
        },
        ServerReview {
            server: "kea-dc".into(),
            findings: Ok(vec![f(
                Severity::Error,
                "overlap",
                Some("10.30.0.0/24"),
                "the same subnet twice: 10.30.0.0/24 (id 1) and 10.30.0.0/24 (id 2)",
            )]),
        },
        ServerReview {
            server: "kea-lab".into(),
            findings: Err("no answer from kea-lab within 30 s".into()),
        },
    ];
    answer(&mut a, &r, reviews);
    insta::assert_snapshot!("review", draw(&a).backend());
    let text = screen_text(&a);
    assert!(text.contains("1 errors, 1 warnings, 1 notes"), "{text}");
    assert!(text.contains("Not reviewed: kea-lab"), "{text}");
    // Worst first: the error of kea-dc; Enter goes to its scope.
    let reqs = a.update(key(KeyCode::Enter));
    assert!(a.screens.is_empty());
    assert_eq!(a.tab().map(|t| t.name.as_str()), Some("kea-dc"));
    assert!(reqs
        .iter()
        .any(|r| matches!(r.kind, RequestKind::LoadServer)));
}

// ----- option definitions (T) -----

#[test]
fn option_definitions_are_listed_defined_changed_and_deleted() {
    use ddish::model::option_defs::CustomOptionDef;
    use ddish::ops::bulk::{BulkOp, ServerPreview};
    let tftp = CustomOptionDef {
        name: "tftp-list".into(),
        code: 224,
        kind: "ipv4-address".into(),
        array: true,
        record_types: vec![],
        space: "dhcp4".into(),
    };
    let mut a = app(100, 30);
    a.rights.insert("kea-hq".into(), ddish::config::Role::Admin);
    let reqs = a.update(ch('T'));
    assert!(
        matches!(&job(&reqs, "defs").1.cmd, Command::OptionDefs { server } if server == "kea-hq")
    );
    answer(&mut a, &job(&reqs, "defs").0, vec![tftp.clone()]);
    insta::assert_snapshot!("option_defs", draw(&a).backend());

    // a: a new one; a standard option's code is refused under its field before anything
    // is sent, then a free code is previewed.
    assert!(a.update(ch('a')).is_empty());
    typed(&mut a, "site-prio");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "6");
    let text = screen_text(&a);
    assert!(text.contains("code 6 is the standard option"), "{text}");
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    a.update(key(KeyCode::Backspace));
    typed(&mut a, "225");
    a.update(key(KeyCode::Tab));
    // Type: uint8 (← → on the choice).
    for _ in 0..20 {
        if screen_text(&a).contains("(•) uint8") {
            break;
        }
        a.update(key(KeyCode::Right));
    }
    assert!(screen_text(&a).contains("(•) uint8"));
    let reqs = a.update(key(KeyCode::Enter));
    let (req, j) = job(&reqs, "preview");
    match &j.cmd {
        Command::BulkPreview(c) => match c.op() {
            BulkOp::PutOptionDef(d) => {
                assert_eq!(
                    (d.name.as_str(), d.code, d.kind.as_str()),
                    ("site-prio", 225, "uint8")
                )
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    answer(
        &mut a,
        &req,
        vec![ServerPreview {
            server: "kea-hq".into(),
            changes: vec![
                "server: option-def site-prio added: code 225 uint8 (space dhcp4)".into(),
            ],
            error: None,
            warnings: vec![],
        }],
    );
    assert!(screen_text(&a).contains("option-def site-prio added"));
    assert!(a.update(ch('n')).is_empty());

    // Enter changes the selected one: its name stays, typing starts at the code.
    a.update(key(KeyCode::Enter));
    let text = screen_text(&a);
    assert!(text.contains("tftp-list") && text.contains("224"), "{text}");
    a.update(key(KeyCode::Esc));

    // d previews a delete; a refusal from the server is shown and y does nothing.
    let reqs = a.update(ch('d'));
    let (req, j) = job(&reqs, "preview");
    assert!(matches!(&j.cmd, Command::BulkPreview(c)
        if matches!(c.op(), BulkOp::DeleteOptionDef(n, s) if n == "tftp-list" && s == "dhcp4")));
    answer(
        &mut a,
        &req,
        vec![ServerPreview {
            server: "kea-hq".into(),
            changes: vec![],
            error: Some("option tftp-list is still set in subnet 10.0.0.0/24".into()),
            warnings: vec![],
        }],
    );
    assert!(screen_text(&a).contains("refused: option tftp-list is still set"));
    assert!(a.update(ch('y')).is_empty());
    assert!(a
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("nothing to apply")));
}
