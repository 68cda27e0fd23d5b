//! In-memory model data for the console tests: a server tree with a container, networks,
//! active / inactive / missing scopes, a /24 and a /16 scope with leases of every state.
#![allow(dead_code)]
use std::net::Ipv4Addr;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ddish::model::lease::LeaseExtra;
use ddish::model::tree::ScopeSummary;
use ddish::model::{
    HwAddr, Lease, LeaseMark, LeaseState, NetworkDef, NetworkKind, Range, RangeSet, Reservation,
    ScopeDef, ScopeStats, ScopeStatus, ScopeView, ServerTree, Thresholds, Utilization,
};
use ddish::ops::{ServerData, ServerHealth};
use ddish::tui::actions::{Command, Done};
use ddish::tui::app::{App, Msg, Payload, Request, RequestKind, Response, StatusKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// 2023-11-14 22:13:20 UTC: every time on screen is relative to this.
pub const NOW: i64 = 1_700_000_000;

pub fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn servers() -> Vec<(String, String)> {
    vec![
        ("kea-hq".into(), "http://127.0.0.1:18000/".into()),
        ("kea-dc".into(), "http://127.0.0.1:18001/".into()),
        ("kea-lab".into(), "https://127.0.0.1:18443/".into()),
    ]
}

pub fn app() -> App {
    let mut a = App::new(&servers(), Thresholds::default());
    a.now = NOW;
    a
}

pub fn app_sized(w: u16, h: u16) -> App {
    let mut a = app();
    a.update(Msg::Resize(w, h));
    a
}

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub fn def(cidr: &str, range: &str, pools: &[&str], status: ScopeStatus) -> ScopeDef {
    let cidr: ipnet::Ipv4Net = cidr.parse().unwrap();
    ScopeDef {
        id: 1,
        cidr,
        range: Range::parse_pool(range).unwrap(),
        range_marked: true,
        pools: RangeSet::from_ranges(pools.iter().map(|p| Range::parse_pool(p).unwrap())),
        reservations: vec![],
        options: vec![],
        valid_lifetime: Some(3600),
        shared_network: None,
        status,
        title: None,
        description: None,
        gateway: None,
        client_class: None,
        pool_classes: Vec::new(),
    }
}

pub fn lease(addr: &str, mac: &str, host: Option<&str>, cltt: i64, lft: u32) -> Lease {
    Lease {
        ip: ip(addr),
        subnet_id: 1,
        hw: HwAddr::parse(mac).unwrap(),
        client_id: None,
        hostname: host.map(Into::into),
        cltt,
        valid_lft: lft,
        state: LeaseState::Default,
        mark: LeaseMark::None,
        extra: None,
    }
}

/// The office /24: range .10-.250, pools .20-.119 and .130-.200 (so .10-.19, .120-.129 and
/// .201-.250 are excluded), gateway .1, reservations, and a lease in every state.
pub fn office_def() -> ScopeDef {
    let mut d = def(
        "10.64.0.0/24",
        "10.64.0.10-10.64.0.250",
        &["10.64.0.20-10.64.0.119", "10.64.0.130-10.64.0.200"],
        ScopeStatus::Active,
    );
    d.id = 11;
    d.title = Some("Office LAN".into());
    d.description = Some("Floor 2 desks and printers".into());
    d.gateway = Some(ip("10.64.0.1"));
    d.reservations = vec![
        Reservation {
            ip: ip("10.64.0.15"),
            hw: Some("02:00:00:00:00:15".into()),
            client_id: None,
            hostname: Some("printer-2a".into()),
            description: Some("HP in room 2.14".into()),
            client_classes: vec!["printers".into()],
            global: false,
        },
        Reservation {
            ip: ip("10.64.0.50"),
            hw: Some("02:00:00:00:00:50".into()),
            client_id: Some("01:02:00:00:00:00:50".into()),
            hostname: Some("nas".into()),
            description: None,
            client_classes: vec![],
            global: false,
        },
    ];
    d
}

pub fn office_view() -> ScopeView {
    let mut leases = Vec::new();
    for i in 20..60u32 {
        if i == 50 {
            continue;
        }
        leases.push(lease(
            &format!("10.64.0.{i}"),
            &format!("aa:bb:cc:00:00:{i:02x}"),
            Some(&format!("desk-{i}")),
            NOW - 600,
            3600,
        ));
    }
    let mut held = lease("10.64.0.60", "00:00:00:00:00:00", None, NOW - 60, 7200);
    held.mark = LeaseMark::Held;
    held.extra = Some(Box::new(LeaseExtra {
        comment: Some("new switch".into()),
        by: Some("alice".into()),
    }));
    let mut claimed = lease(
        "10.64.0.61",
        "aa:bb:cc:00:01:61",
        Some("cam-1"),
        NOW - 60,
        u32::MAX,
    );
    claimed.mark = LeaseMark::Claimed;
    let mut declined = lease("10.64.0.62", "00:00:00:00:00:00", None, NOW - 60, 3600);
    declined.state = LeaseState::Declined;
    let expired = lease(
        "10.64.0.63",
        "aa:bb:cc:00:01:63",
        Some("old"),
        NOW - 9000,
        3600,
    );
    let mut nas = lease(
        "10.64.0.50",
        "02:00:00:00:00:50",
        Some("nas"),
        NOW - 100,
        3600,
    );
    nas.client_id = Some(vec![1, 2, 0, 0, 0, 0, 0x50].into_boxed_slice());
    leases.extend([held, claimed, declined, expired, nas]);
    ScopeView::build(office_def(), leases, NOW)
}

/// A /16 with a lease on every 7th address of its pool.
pub fn campus_def() -> ScopeDef {
    let mut d = def(
        "10.128.0.0/16",
        "10.128.0.1-10.128.255.254",
        &["10.128.1.0-10.128.254.255"],
        ScopeStatus::Active,
    );
    d.id = 20;
    d.title = Some("Campus Wi-Fi".into());
    d.gateway = Some(ip("10.128.0.1"));
    d.valid_lifetime = Some(1800);
    d
}

pub fn campus_view() -> ScopeView {
    let net = u32::from(ip("10.128.0.0"));
    let leases = (256u32..65280)
        .step_by(7)
        .map(|o| {
            let a = Ipv4Addr::from(net + o);
            let mut l = lease(&a.to_string(), "aa:bb:cc:dd:00:01", None, NOW - 60, 1800);
            l.hw = HwAddr::Eth([0xaa, 0xbb, 0xcc, 0, (o >> 8) as u8, o as u8]);
            l
        })
        .collect();
    ScopeView::build(campus_def(), leases, NOW)
}

fn summary(d: ScopeDef, used: u64, total: u64) -> ScopeSummary {
    ScopeSummary {
        def: d,
        stats: Some(ScopeStats {
            total,
            assigned: used,
            declined: 0,
        }),
    }
}

/// kea-hq: container 10.0.0.0/8 > network 10.64.0.0/16 (office active, lab inactive,
/// printers missing) and the campus /16; 192.0.2.0/24 ungrouped.
pub fn server_data() -> ServerData {
    let mut lab = def(
        "10.64.1.0/24",
        "10.64.1.10-10.64.1.200",
        &["10.64.1.10-10.64.1.200"],
        ScopeStatus::Inactive,
    );
    lab.id = 12;
    lab.title = Some("Lab".into());
    lab.description = Some("switched off for the move".into());
    let mut guest = def(
        "192.0.2.0/24",
        "192.0.2.10-192.0.2.250",
        &["192.0.2.10-192.0.2.250"],
        ScopeStatus::Active,
    );
    guest.id = 30;
    guest.title = Some("Guests".into());
    let networks = vec![
        NetworkDef {
            cidr: "10.0.0.0/8".parse().unwrap(),
            kind: NetworkKind::Container,
            title: Some("Corporate".into()),
            description: Some("all internal space".into()),
            scopes: vec![],
            claims: vec![],
        },
        NetworkDef {
            cidr: "10.64.0.0/16".parse().unwrap(),
            kind: NetworkKind::Network,
            title: Some("Office".into()),
            description: Some("HQ building".into()),
            scopes: vec![
                "10.64.0.0/24".parse().unwrap(),
                "10.64.1.0/24".parse().unwrap(),
                "10.64.2.0/24".parse().unwrap(),
            ],
            claims: vec![],
        },
    ];
    let scopes = vec![
        summary(office_def(), 45, 171),
        summary(lab, 0, 191),
        summary(campus_def(), 9289, 65024),
        summary(guest, 230, 241),
    ];
    let tree = ServerTree::build(&networks, scopes);
    ServerData {
        name: "kea-hq".into(),
        version: "2.2.0".into(),
        commands: vec!["lease4-get-all".into(), "stat-lease4-get".into()],
        tree,
        networks,
        ha_state: Some("hot-standby (partner: standby)".into()),
        loaded_at: NOW - 5,
        baseline: Some(ddish::ops::Baseline {
            server: "kea-hq".into(),
            digest: 42,
            hash: Some("HASH-AS-SHOWN".into()),
        }),
        skipped: vec![],
        option_defs: vec![],
    }
}

pub fn health_up() -> ServerHealth {
    ServerHealth {
        name: "kea-hq".into(),
        url: "http://127.0.0.1:18000/".into(),
        reachable: true,
        version: Some("2.2.0".into()),
        scopes: Some(4),
        utilization: Some(Utilization::new(9564, 65627)),
        ha_state: Some("hot-standby".into()),
        writes: None,
        error_kind: None,
        error: None,
    }
}

pub fn health_down() -> ServerHealth {
    ServerHealth {
        name: "kea-dc".into(),
        url: "http://127.0.0.1:18001/".into(),
        reachable: false,
        version: None,
        scopes: None,
        utilization: None,
        ha_state: None,
        writes: None,
        error_kind: Some("unreachable".into()),
        error: Some(
            "cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused; is kea-ctrl-agent running?"
                .into(),
        ),
    }
}

/// The response the worker would send for `req`.
pub fn respond(req: &Request, payload: Payload) -> Msg {
    Msg::Response(Response {
        id: req.id,
        gen: req.gen,
        target: req.target.clone(),
        payload,
    })
}

pub fn only(reqs: Vec<Request>) -> Request {
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    reqs.into_iter().next().unwrap()
}

pub fn is_load_server(r: &Request) -> bool {
    matches!(r.kind, RequestKind::LoadServer)
}

/// Starts the app, answers the fleet checks (hq up, dc down, lab still checking).
pub fn app_with_fleet(w: u16, h: u16) -> App {
    let mut a = app_sized(w, h);
    let reqs = a.start();
    assert_eq!(reqs.len(), 3);
    a.update(respond(&reqs[0], Payload::Health(Box::new(health_up()))));
    a.update(respond(&reqs[1], Payload::Health(Box::new(health_down()))));
    a
}

/// Servers tab, then Enter on kea-hq and its load answered.
pub fn app_with_tree(w: u16, h: u16) -> App {
    let mut a = app_with_fleet(w, h);
    let req = only(a.update(key(KeyCode::Enter)));
    assert!(is_load_server(&req));
    a.update(respond(&req, Payload::Server(Ok(Arc::new(server_data())))));
    a
}

/// DNS zones for the record forms: one forward zone and the office's reverse zone.
pub fn dns_config() -> ddish::config::DnsConfig {
    let zone = |name: &str| ddish::config::ZoneConfig {
        name: name.into(),
        primary: "127.0.0.1:20953".parse().unwrap(),
        key_name: None,
        algorithm: "hmac-sha256".into(),
        secret_file: None,
    };
    ddish::config::DnsConfig {
        servers: vec![],
        zones: vec![
            zone("example.test"),
            zone("lab.test"),
            zone("0.64.10.in-addr.arpa"),
        ],
    }
}

/// The office scope open on kea-hq with the given rights and the DNS zones.
pub fn office_with(rights: ddish::tui::keymap::Role) -> App {
    let mut a = app_with_tree(80, 24);
    a.rights.insert("kea-hq".into(), rights);
    a.dns = dns_config();
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a
}

/// The scope view on top of the active tab.
pub fn scope_state(a: &App) -> &ddish::tui::views::ScopeState {
    match a.tab().unwrap().stack.last() {
        Some(ddish::tui::views::View::Scope(s)) => s,
        _ => panic!("not in a scope"),
    }
}

/// Puts the scope cursor on `addr`.
pub fn cursor_to(a: &mut App, addr: &str) {
    let i = a.active - 1;
    match a.tabs[i].stack.last_mut() {
        Some(ddish::tui::views::View::Scope(s)) => {
            let v = s.data.clone().unwrap();
            s.cursor = v.index_of(ip(addr)).expect("address in the scope");
        }
        _ => panic!("not in a scope"),
    }
}

/// Moves the tree cursor onto the row whose text contains `label`.
pub fn tree_cursor_to(a: &mut App, label: &str) {
    for _ in 0..50 {
        let t = a.tab().unwrap();
        let data = t.data.clone().unwrap();
        let rows = t.tree.rows(&data.tree);
        if rows[t.tree.list.cursor].node.label() == label {
            return;
        }
        a.update(ch('j'));
    }
    panic!("no tree row {label}");
}

/// Opens a scope from the tree and answers its load with `view`.
pub fn open_scope(a: &mut App, label: &str, view: ScopeView) {
    tree_cursor_to(a, label);
    let req = only(a.update(key(KeyCode::Enter)));
    assert!(matches!(req.kind, RequestKind::LoadScope(_)));
    a.update(respond(&req, Payload::Scope(Ok(Arc::new(view)))));
}

pub fn render(a: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ddish::tui::render::draw(f, a)).unwrap();
    t
}

/// The screen as text lines.
pub fn screen(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

// ----- the action and layout flows' helpers -----

/// Types `text` into the focused field; no key may send anything.
pub fn typed(a: &mut App, text: &str) {
    for c in text.chars() {
        assert!(a.update(ch(c)).is_empty());
    }
}

pub fn clear_field(a: &mut App) {
    for _ in 0..40 {
        a.update(key(KeyCode::Backspace));
    }
}

pub fn job(r: &Request) -> &Command {
    match &r.kind {
        RequestKind::Action(j) => j,
        k => panic!("action expected, got {k:?}"),
    }
}

pub fn done(summary: &str) -> Payload {
    Payload::Action(Ok(Done {
        summary: summary.into(),
        warnings: vec![],
        ip: None,
        view: None,
    }))
}

pub fn status(a: &App) -> (StatusKind, String) {
    let s = a.status.as_ref().expect("a status line");
    (s.kind, s.text.clone())
}

pub fn shot(a: &App) -> String {
    screen(&render(a, 80, 24))
}
