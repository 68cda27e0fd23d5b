//! The console's worker against real Kea 2.2 processes on loopback (free ports):
//! requests from `App::update` go to the worker, its responses go back into `update`. A dead
//! and a hung server only mark their own rows and tabs.
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ddish::lab::{minimal_dhcp4, KeaInstance};

mod common;
use ddish::model::IpState;
use ddish::ops::{self, Session};
use ddish::tui::app::{App, Msg, Payload, Request, RequestKind, StatusKind, Target};
use ddish::tui::views::{Load, View};
use ddish::tui::{op_timeout, worker};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

mod tui_support;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn tempdir() -> tempfile::TempDir {
    // Kea's control socket path must stay short: keep the dir near /tmp.
    tempfile::Builder::new()
        .prefix("ddish-tui-")
        .tempdir_in("/tmp")
        .expect("temp dir")
}

struct Rig {
    app: App,
    tx: UnboundedSender<Request>,
    rx: UnboundedReceiver<Msg>,
}

impl Rig {
    fn send(&self, reqs: Vec<Request>) {
        for r in reqs {
            self.tx.send(r).expect("worker alive");
        }
    }

    /// Sends `msg` through `update` and the worker until `done` holds.
    async fn drive(&mut self, msg: Msg, done: impl Fn(&App) -> bool) {
        let reqs = self.app.update(msg);
        self.send(reqs);
        // Bounded so a broken worker fails the test instead of hanging it.
        let wait = async {
            while !done(&self.app) {
                let m = self.rx.recv().await.expect("worker channel open");
                let reqs = self.app.update(m);
                self.send(reqs);
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("the worker answered");
    }

    fn screen(&self) -> String {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| ddish::tui::render::draw(f, &self.app)).unwrap();
        t.backend().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_round_trips_against_real_kea() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    // Exports land under the XDG data dir: keep them in the test's temp dir.
    std::env::set_var("XDG_DATA_HOME", dir.path().join("data"));
    let subnets = json!([
        {"id": 7, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.50"}]}
    ]);
    let (pk, ph, dead) = (common::ports(2), common::ports(2), common::ports(1));
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "kea",
        pk,
        pk + 1,
        minimal_dhcp4(subnets.clone()),
        None,
        None,
    )
    .expect("kea starts");
    kea.command(
        "lease4-add",
        Some(
            json!({"ip-address": "192.0.2.20", "hw-address": "aa:bb:cc:dd:ee:01",
                    "hostname": "pc-20"}),
        ),
    )
    .expect("lease added");
    // A Control Agent that accepts connections and never answers.
    let hung = KeaInstance::start(
        &dir.path().join("hung"),
        "hung",
        ph,
        ph + 1,
        minimal_dhcp4(subnets),
        None,
        None,
    )
    .expect("second kea starts");
    hung.pause_ca();

    let cfg = format!(
        r#"
[settings]
request_timeout = 2

[[server]]
name = "kea"
url = "http://127.0.0.1:{pk}/"

[[server]]
name = "dead"
url = "http://127.0.0.1:{dead}/"

[[server]]
name = "hung"
url = "http://127.0.0.1:{ph}/"
"#
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut app = App::from_config(&config, false);
    app.now = ops::now();
    app.update(Msg::Resize(80, 24));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(&config), out_tx);
    let mut rig = Rig {
        app,
        tx,
        rx: out_rx,
    };

    // 1. The Servers tab: every server checked, each with its own outcome.
    let start = rig.app.start();
    rig.send(start);
    rig.drive(Msg::Now(ops::now()), |a| {
        a.fleet.rows.iter().all(|r| r.health.is_some())
    })
    .await;
    let h = |i: usize| rig.app.fleet.rows[i].health.clone().unwrap();
    assert!(h(0).reachable, "{:?}", h(0));
    assert!(h(0).version.as_deref().unwrap().starts_with("2.2"));
    assert_eq!(h(0).scopes, Some(1));
    assert!(!h(1).reachable);
    assert!(
        h(1).error.as_deref().unwrap().contains("dead"),
        "{:?}",
        h(1)
    );
    assert!(!h(2).reachable);
    assert!(h(2).error.is_some());
    let screen = rig.screen();
    assert!(screen.contains("● running"), "{screen}");

    // 2. Enter on kea: its tab loads the tree.
    rig.drive(key(KeyCode::Enter), |a| {
        a.tab().is_some_and(|t| t.load != Load::Loading)
    })
    .await;
    let t = rig.app.tab().unwrap();
    assert_eq!(t.load, Load::Loaded);
    let tree = &t.data.as_ref().unwrap().tree;
    assert_eq!(tree.scopes[0].def.cidr.to_string(), "192.0.2.0/24");

    // 3. Enter on the scope: its addresses load; the lease shows as Assigned.
    let in_scope = |a: &App| match a.tab().and_then(|t| t.stack.last()) {
        Some(View::Scope(s)) => s.load != Load::Loading,
        _ => false,
    };
    rig.drive(key(KeyCode::Enter), in_scope).await;
    let Some(View::Scope(s)) = rig.app.tab().unwrap().stack.last() else {
        panic!("scope view")
    };
    assert_eq!(s.load, Load::Loaded);
    let v = s.data.clone().unwrap();
    let d = v.detail("192.0.2.20".parse().unwrap());
    assert_eq!(d.state, IpState::Assigned);
    assert_eq!(d.hostname(), Some("pc-20"));
    assert_eq!(v.counts.assigned, 1);
    let screen = rig.screen();
    assert!(screen.contains("A Assigned 1"), "{screen}");

    // 4. `e` writes the scope's IPs as CSV (in the worker) and shows the path.
    rig.drive(
        Msg::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)),
        |a| {
            a.status
                .as_ref()
                .is_some_and(|s| s.kind != StatusKind::Busy)
        },
    )
    .await;
    let st = rig.app.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}", st.text);
    let path = PathBuf::from(st.text.strip_prefix("exported to ").unwrap());
    assert!(
        path.starts_with(dir.path().join("data")),
        "{}",
        path.display()
    );
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.contains("192.0.2.20") && csv.contains("pc-20"), "{csv}");
    assert!(rig.screen().contains("exported to"));

    // 5. The hung server's tab fails with the reason; the kea tab is untouched.
    rig.drive(key(KeyCode::Char('1')), |_| true).await;
    rig.drive(key(KeyCode::Char('G')), |_| true).await;
    rig.drive(key(KeyCode::Enter), |a| {
        a.tabs.len() == 2 && a.tabs[1].load != Load::Loading
    })
    .await;
    match &rig.app.tabs[1].load {
        Load::Failed(why) => assert!(why.contains("hung"), "{why}"),
        l => panic!("{l:?}"),
    }
    assert_eq!(rig.app.tabs[0].load, Load::Loaded);
    assert!(rig.screen().contains("could not be loaded"));

    // 6. Cancel: a newer request for the same view aborts the older one, so the first
    //    answer that comes back is the newer one's (the older started first and would
    //    otherwise time out first).
    for gen in [1001, 1002] {
        rig.tx
            .send(Request {
                id: gen,
                gen,
                target: Target::Server("hung".into()),
                kind: RequestKind::LoadServer,
                baseline: None,
            })
            .unwrap();
    }
    let first = tokio::time::timeout(Duration::from_secs(60), rig.rx.recv())
        .await
        .expect("an answer")
        .expect("channel open");
    match first {
        Msg::Response(r) => {
            assert_eq!(r.gen, 1002);
            assert!(matches!(r.payload, Payload::Server(Err(_))));
        }
        m => panic!("{m:?}"),
    }

    hung.resume_ca();
    drop(rig);
    let _ = task.await;
    drop(kea);
}

/// The CSV a view exports holds the rows the view shows: filter and network applied.
#[test]
fn exports_hold_the_rows_on_screen() {
    use ddish::tui::app::ExportJob;
    use std::sync::Arc;
    let dir = tempdir();
    let t = ddish::model::Thresholds::default();
    let data = Arc::new(tui_support::server_data());
    let office = data
        .tree
        .scopes
        .iter()
        .position(|s| s.def.cidr.to_string() == "10.64.0.0/24")
        .unwrap();
    let p = dir.path().join("scopes.csv");
    worker::write_export_to(
        ExportJob::Scopes {
            server: "kea-hq".into(),
            data: data.clone(),
            scopes: vec![office],
            what: "scopes".into(),
        },
        &t,
        &p,
    )
    .unwrap();
    let csv = std::fs::read_to_string(&p).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.contains("10.64.0.0/24") && csv.contains("Office LAN"),
        "{csv}"
    );

    let p = dir.path().join("ips.csv");
    worker::write_export_to(
        ExportJob::Ips {
            server: "kea-hq".into(),
            view: Arc::new(tui_support::office_view()),
            filter: "desk-3".into(),
            sweep: None,
        },
        &t,
        &p,
    )
    .unwrap();
    let csv = std::fs::read_to_string(&p).unwrap();
    // Header and desk-30..desk-39.
    assert_eq!(csv.lines().count(), 11, "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.contains("desk-3")), "{csv}");
    assert!(!csv.lines().next().unwrap().contains("ping"), "{csv}");

    // After a ping sweep where nothing answered: two more columns, the leases silent.
    let mut sweep = ddish::model::sweep::Sweep::new("kea-hq", "10.64.0.0/24".parse().unwrap(), 50);
    sweep.sent = sweep.total();
    sweep.next = None;
    worker::write_export_to(
        ExportJob::Ips {
            server: "kea-hq".into(),
            view: Arc::new(tui_support::office_view()),
            filter: "desk-3".into(),
            sweep: Some(sweep),
        },
        &t,
        &p,
    )
    .unwrap();
    let csv = std::fs::read_to_string(&p).unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with(",ping,finding"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 11, "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.ends_with(",no answer,silent")),
        "{csv}"
    );

    // An unwritable place: the message names the file.
    let bad = dir.path().join("no/such/dir/x.csv");
    let err = worker::write_export_to(ExportJob::Servers(vec![]), &t, &bad).unwrap_err();
    assert!(err.contains("no/such/dir/x.csv"), "{err}");
}

/// The scope view on the active tab.
fn scope_of(a: &App) -> &ddish::tui::views::ScopeState {
    match a.tab().and_then(|t| t.stack.last()) {
        Some(View::Scope(s)) => s,
        _ => panic!("not in a scope"),
    }
}

/// Settled after a change: answered, and the scope reloaded.
fn settled(a: &App) -> bool {
    match a.tab().and_then(|t| t.stack.last()) {
        Some(View::Scope(s)) => s.pending.is_none() && s.load != Load::Loading,
        _ => false,
    }
}

/// Hold, release and next-free from the console's keys, through the worker and the ops
/// session, on a real Kea 2.2 (free ports); then the address's history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_actions_from_the_keys_against_real_kea() {
    use ddish::tui::actions::Modal;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    let subnets = json!([
        {"id": 7, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.50"}]}
    ]);
    let p = common::ports(2);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "kea",
        p,
        p + 1,
        minimal_dhcp4(subnets),
        None,
        None,
    )
    .expect("kea starts");
    kea.command(
        "lease4-add",
        Some(json!({"ip-address": "192.0.2.10", "hw-address": "aa:bb:cc:dd:ee:10"})),
    )
    .expect("lease added");
    let cfg = format!(
        r#"
[settings]
request_timeout = 5
journal = "{}"

[[server]]
name = "kea"
url = "http://127.0.0.1:{p}/"
role = "operator"
"#,
        dir.path().join("journal.jsonl").display()
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut app = App::from_config(&config, false);
    app.now = ops::now();
    app.update(Msg::Resize(80, 24));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(&config), out_tx);
    let mut rig = Rig {
        app,
        tx,
        rx: out_rx,
    };
    rig.drive(key(KeyCode::Enter), |a| {
        a.tab().is_some_and(|t| t.load == Load::Loaded)
    })
    .await;
    rig.drive(key(KeyCode::Enter), settled).await;
    let ip30: std::net::Ipv4Addr = "192.0.2.30".parse().unwrap();
    let state = |a: &App, ip| scope_of(a).data.as_ref().unwrap().state_of(ip);
    assert_eq!(state(&rig.app, ip30), IpState::Available);

    // H holds the address under the cursor; the scope reloads and shows it Held.
    let i = scope_of(&rig.app)
        .data
        .as_ref()
        .unwrap()
        .index_of(ip30)
        .unwrap();
    match rig.app.tabs[0].stack.last_mut() {
        Some(View::Scope(s)) => s.cursor = i,
        _ => unreachable!(),
    }
    rig.drive(key(KeyCode::Char('H')), settled).await;
    let st = rig.app.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}", st.text);
    assert_eq!(state(&rig.app, ip30), IpState::Held, "{}", st.text);
    assert_eq!(scope_of(&rig.app).cursor_ip(), Some(ip30));
    assert!(rig.screen().contains("H Held 1"), "{}", rig.screen());

    // U asks first; y releases it.
    rig.drive(key(KeyCode::Char('U')), |_| true).await;
    assert!(matches!(
        scope_of(&rig.app).modals.last(),
        Some(Modal::Confirm(_))
    ));
    rig.drive(key(KeyCode::Char('y')), settled).await;
    let st = rig.app.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}", st.text);
    assert_eq!(state(&rig.app, ip30), IpState::Available, "{}", st.text);

    // n holds the next free address counting from the scope start (.10 is leased).
    let before = common::commands_received(&kea);
    rig.drive(key(KeyCode::Char('n')), settled).await;
    let walk = common::commands_received(&kea)[before.len()..].to_vec();
    println!("`n` on one server: {} Kea calls: {walk:?}", walk.len());
    // The outcome carries the scope as it is now: no reload after the hold.
    assert!(walk.len() <= 4, "{walk:?}");
    assert!(!walk.iter().any(|c| c == "config-get"), "{walk:?}");
    let next: std::net::Ipv4Addr = "192.0.2.11".parse().unwrap();
    assert_eq!(state(&rig.app, next), IpState::Held);
    assert_eq!(scope_of(&rig.app).cursor_ip(), Some(next));

    // The history of .30: the hold and the release, newest first.
    match rig.app.tabs[0].stack.last_mut() {
        Some(View::Scope(s)) => s.cursor = i,
        _ => unreachable!(),
    }
    rig.drive(key(KeyCode::Char('y')), |a| {
        matches!(
            scope_of(a).modals.last(),
            Some(Modal::History { rows: Some(_), .. })
        )
    })
    .await;
    let Some(Modal::History {
        rows: Some(Ok(rows)),
        ..
    }) = scope_of(&rig.app).modals.last()
    else {
        panic!("history: {:?}", scope_of(&rig.app).modals.last())
    };
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["release", "hold"], "{rows:?}");
    assert!(rows.iter().all(|r| r.result == "ok"), "{rows:?}");
    assert!(rig.screen().contains("History of 192.0.2.30"));

    drop(rig);
    let _ = task.await;
    drop(kea);
}

// ----- the address space and bulk changes through the console (issue 4) -----

/// Presses `j` (from the top) until the tree cursor is on `label`.
fn tree_to(app: &mut App, label: &str) {
    app.update(key(KeyCode::Char('g')));
    for _ in 0..50 {
        let t = app.tab().unwrap();
        let data = t.data.clone().unwrap();
        let rows = t.tree.rows(&data.tree);
        if rows[t.tree.list.cursor].node.label() == label {
            return;
        }
        app.update(key(KeyCode::Char('j')));
    }
    panic!("no tree row {label}");
}

fn tree_key(app: &App) -> String {
    let t = app.tab().unwrap();
    let data = t.data.clone().unwrap();
    let rows = t.tree.rows(&data.tree);
    ddish::tui::views::node_key(rows[t.tree.list.cursor].node)
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

fn clear(app: &mut App) {
    for _ in 0..40 {
        app.update(key(KeyCode::Backspace));
    }
}

/// The tab is loaded again and no layout change is waiting.
fn tree_settled(a: &App) -> bool {
    a.layer_pending.is_none() && a.tab().is_some_and(|t| t.load == Load::Loaded)
}

fn rig_for(config: &ddish::config::Config) -> Rig {
    let mut app = App::from_config(config, false);
    app.now = ops::now();
    app.update(Msg::Resize(80, 24));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, _task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(config), out_tx);
    Rig {
        app,
        tx,
        rx: out_rx,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_creates_a_network_and_a_scope_on_the_lab_pair_and_selects_it() {
    use ddish::lab::{HaMode, Lab, LabOptions};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    std::env::set_var("XDG_STATE_HOME", dir.path().join("state"));
    let opts = LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::LoadBalancing,
        with_auth: true,
        ..Default::default()
    };
    let lab = tokio::task::spawn_blocking(move || {
        let lab = Lab::start(&opts).expect("lab starts");
        lab.wait_ha(Duration::from_secs(60)).expect("HA up");
        lab
    })
    .await
    .unwrap();
    let mut cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n",
        dir.path().join("journal.jsonl").display()
    );
    for (name, url) in &lab.info.servers {
        cfg.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"{}\"\npassword_file = \"{}\"\nrole = \"admin\"\n",
            lab.info.user.as_deref().unwrap(),
            lab.info.password_file.as_ref().unwrap().display()
        ));
    }
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut rig = rig_for(&config);
    let start = rig.app.start();
    rig.send(start);
    rig.drive(key(KeyCode::Enter), tree_settled).await;

    // n -> network: the form checks, the job goes to the pair, the tree reloads onto it.
    rig.app.update(key(KeyCode::Char('n')));
    rig.app.update(key(KeyCode::Enter));
    type_text(&mut rig.app, "10.77.0.0/16");
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "Lab office");
    rig.drive(key(KeyCode::Enter), |a| {
        tree_settled(a)
            && a.status
                .as_ref()
                .is_some_and(|s| s.kind != StatusKind::Busy)
    })
    .await;
    let st = rig.app.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}", st.text);
    assert_eq!(tree_key(&rig.app), "net:10.77.0.0/16");

    // n on the network -> a DHCP scope in it, a /24 of the /16 with a range.
    rig.app.update(key(KeyCode::Char('n')));
    for _ in 0..2 {
        rig.app.update(key(KeyCode::Char('j')));
    }
    rig.app.update(key(KeyCode::Enter));
    clear(&mut rig.app);
    type_text(&mut rig.app, "10.77.1.0/24");
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "10.77.1.10");
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "10.77.1.99");
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "10.77.1.1");
    rig.drive(key(KeyCode::Enter), |a| {
        tree_settled(a)
            && a.status
                .as_ref()
                .is_some_and(|s| s.kind != StatusKind::Busy)
    })
    .await;
    let st = rig.app.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info, "{}", st.text);
    assert!(st.text.contains("scope 10.77.1.0/24"), "{}", st.text);
    // Seen in the tree, under its network, with the cursor on it.
    assert_eq!(tree_key(&rig.app), "scope:10.77.1.0/24");
    let t = rig.app.tab().unwrap();
    let data = t.data.clone().unwrap();
    let s = data
        .tree
        .scopes
        .iter()
        .find(|s| s.def.cidr.to_string() == "10.77.1.0/24")
        .expect("the new scope in the tree");
    assert_eq!(s.def.range.to_string(), "10.77.1.10 - 10.77.1.99");
    assert_eq!(s.def.gateway, Some("10.77.1.1".parse().unwrap()));
    let net = data
        .networks
        .iter()
        .find(|n| n.cidr.to_string() == "10.77.0.0/16")
        .expect("the new network");
    assert_eq!(net.title.as_deref(), Some("Lab office"));
    assert!(net.scopes.contains(&s.def.cidr), "{net:?}");
    let screen = rig.screen();
    assert!(screen.contains("10.77.1.0/24"), "{screen}");
    // On both peers of the pair, with one subnet id.
    let pw = lab.info.password().unwrap();
    let ids: Vec<serde_json::Value> = lab
        .info
        .ports
        .ca
        .iter()
        .map(|p| {
            let r = ddish::lab::kea_command(
                *p,
                Some(("ddish", &pw)),
                Some("dhcp4"),
                "config-get",
                None,
            )
            .expect("config-get");
            r["arguments"]["Dhcp4"]["subnet4"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["subnet"] == "10.77.1.0/24")
                .map(|s| s["id"].clone())
                .expect("the scope on this peer")
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    drop(lab);
}

fn replace_server(subnets: serde_json::Value) -> serde_json::Value {
    minimal_dhcp4(subnets)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_bulk_find_and_replace_on_two_real_servers_shows_both_outcomes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    std::env::set_var("XDG_STATE_HOME", dir.path().join("state"));
    let dns = |d: &str| json!([{"name": "domain-name-servers", "data": d}]);
    let (pa, pb) = (common::ports(2), common::ports(2));
    let a = KeaInstance::start(
        &dir.path().join("a"),
        "a",
        pa,
        pa + 1,
        replace_server(json!([
            {"id": 1, "subnet": "10.10.0.0/24", "pools": [{"pool": "10.10.0.100 - 10.10.0.199"}],
             "option-data": dns("192.0.2.53, 192.0.2.99")},
            {"id": 2, "subnet": "10.11.0.0/24", "pools": [{"pool": "10.11.0.100 - 10.11.0.199"}],
             "option-data": dns("192.0.2.53")}
        ])),
        None,
        None,
    )
    .expect("a starts");
    let b = KeaInstance::start(
        &dir.path().join("b"),
        "b",
        pb,
        pb + 1,
        replace_server(json!([
            {"id": 7, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.100 - 10.20.0.199"}],
             "option-data": dns("192.0.2.153, 192.0.2.53")}
        ])),
        None,
        None,
    )
    .expect("b starts");
    let cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n\
         [[server]]\nname = \"a\"\nurl = \"http://127.0.0.1:{pa}/\"\nrole = \"admin\"\n\
         [[server]]\nname = \"b\"\nurl = \"http://127.0.0.1:{pb}/\"\nrole = \"admin\"\n",
        dir.path().join("journal.jsonl").display()
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut rig = rig_for(&config);
    let start = rig.app.start();
    rig.send(start);

    // Mark 10.10.0.0/24 on a's tab and 10.20.0.0/24 on b's.
    rig.drive(key(KeyCode::Enter), tree_settled).await;
    tree_to(&mut rig.app, "10.10.0.0/24");
    rig.app.update(key(KeyCode::Char(' ')));
    rig.app.update(key(KeyCode::Char('1')));
    rig.app.update(key(KeyCode::Char('j')));
    rig.drive(key(KeyCode::Enter), tree_settled).await;
    tree_to(&mut rig.app, "10.20.0.0/24");
    rig.app.update(key(KeyCode::Char(' ')));
    assert_eq!(rig.app.mark_counts(), (2, 2));

    // B -> find and replace -> preview from both servers.
    rig.app.update(key(KeyCode::Char('B')));
    for _ in 0..5 {
        rig.app.update(key(KeyCode::Char('j')));
    }
    rig.app.update(key(KeyCode::Enter));
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "192.0.2.53");
    rig.app.update(key(KeyCode::Tab));
    type_text(&mut rig.app, "192.0.2.54");
    rig.drive(key(KeyCode::Enter), |a| {
        matches!(
            a.layer.last(),
            Some(ddish::tui::actions::Modal::Preview { rows: Some(_), .. })
        )
    })
    .await;
    let Some(ddish::tui::actions::Modal::Preview {
        rows: Some(Ok(p)), ..
    }) = rig.app.layer.last()
    else {
        panic!("preview: {:?}", rig.app.layer.last())
    };
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter().all(|s| s.error.is_none() && s.changes.len() == 1),
        "{p:?}"
    );
    // The preview wrote nothing.
    let dns_of = |k: &KeaInstance, cidr: &str| {
        let r = k.command("config-get", None).unwrap();
        r["arguments"]["Dhcp4"]["subnet4"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subnet"] == cidr)
            .unwrap()["option-data"][0]["data"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(dns_of(&a, "10.10.0.0/24"), "192.0.2.53, 192.0.2.99");

    // y -> the outcome table shows both servers.
    rig.drive(key(KeyCode::Char('y')), |a| {
        matches!(
            a.layer.last(),
            Some(ddish::tui::actions::Modal::Outcome { rows: Some(_), .. })
        ) && a.tabs.iter().all(|t| t.load == Load::Loaded)
    })
    .await;
    let Some(ddish::tui::actions::Modal::Outcome { rows: Some(o), .. }) = rig.app.layer.last()
    else {
        panic!()
    };
    let names: Vec<&str> = o.iter().map(|x| x.server.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert!(o.iter().all(|x| x.result.is_ok()), "{o:?}");
    let screen = rig.screen();
    assert!(screen.contains("a            ✓ ok: 1 change"), "{screen}");
    assert!(screen.contains("b            ✓ ok: 1 change"), "{screen}");
    // Exactly the matching value, only in the marked scopes.
    assert_eq!(dns_of(&a, "10.10.0.0/24"), "192.0.2.54, 192.0.2.99");
    assert_eq!(dns_of(&a, "10.11.0.0/24"), "192.0.2.53");
    assert_eq!(dns_of(&b, "10.20.0.0/24"), "192.0.2.153, 192.0.2.54");
}

/// Every subnet4 of a Kea config, top level and in shared networks.
fn all_subnets(cfg: &serde_json::Value) -> Vec<serde_json::Value> {
    let d = &cfg["arguments"]["Dhcp4"];
    let mut out: Vec<serde_json::Value> = d["subnet4"].as_array().cloned().unwrap_or_default();
    for n in d["shared-networks"].as_array().into_iter().flatten() {
        out.extend(n["subnet4"].as_array().cloned().unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_deactivates_then_deletes_two_marked_scopes_on_the_lab_pair() {
    use ddish::lab::{HaMode, Lab, LabOptions};
    use ddish::tui::actions::{BulkKind, Modal};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    std::env::set_var("XDG_STATE_HOME", dir.path().join("state"));
    let opts = LabOptions {
        dir: dir.path().join("lab"),
        port_base: common::ports(5),
        ha_mode: HaMode::HotStandby,
        with_auth: true,
        ..Default::default()
    };
    let lab = tokio::task::spawn_blocking(move || {
        let lab = Lab::start(&opts).expect("lab starts");
        lab.wait_ha(Duration::from_secs(60)).expect("HA up");
        lab
    })
    .await
    .unwrap();
    let mut cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n",
        dir.path().join("journal.jsonl").display()
    );
    for (name, url) in &lab.info.servers {
        cfg.push_str(&format!(
            "[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"{}\"\npassword_file = \"{}\"\nrole = \"admin\"\n",
            lab.info.user.as_deref().unwrap(),
            lab.info.password_file.as_ref().unwrap().display()
        ));
    }
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let pw = lab.info.password().unwrap();
    // The subnets with these CIDRs on each peer of the pair (absent ones are missing).
    let on_peers = |cidrs: &[&str]| -> Vec<Vec<serde_json::Value>> {
        lab.info
            .ports
            .ca
            .iter()
            .map(|p| {
                let r = ddish::lab::kea_command(
                    *p,
                    Some(("ddish", &pw)),
                    Some("dhcp4"),
                    "config-get",
                    None,
                )
                .expect("config-get");
                all_subnets(&r)
                    .into_iter()
                    .filter(|s| cidrs.iter().any(|c| s["subnet"] == *c))
                    .collect()
            })
            .collect()
    };
    let two = ["10.10.0.0/24", "10.20.0.0/24"];
    assert!(on_peers(&two).iter().all(|p| p.len() == 2));

    let mut rig = rig_for(&config);
    let start = rig.app.start();
    rig.send(start);
    rig.drive(key(KeyCode::Enter), tree_settled).await;
    for c in two {
        tree_to(&mut rig.app, c);
        rig.app.update(key(KeyCode::Char(' ')));
    }
    assert_eq!(rig.app.mark_counts(), (2, 1));
    let first_scope_step = BulkKind::offered(false).len();
    // B -> the n-th step after the bulk kinds (0 activate, 1 deactivate, 2 delete).
    let pick = |rig: &mut Rig, n: usize| {
        rig.app.update(key(KeyCode::Char('B')));
        for _ in 0..first_scope_step + n {
            rig.app.update(key(KeyCode::Char('j')));
        }
    };
    let preview_in = |a: &App| {
        matches!(
            a.layer.last(),
            Some(Modal::ScopesPreview { rows: Some(_), .. })
        )
    };
    let outcome_in = |a: &App| {
        matches!(a.layer.last(), Some(Modal::Outcome { rows: Some(_), .. }))
            && a.tabs.iter().all(|t| t.load == Load::Loaded)
    };

    // Deactivate both: the preview reads them, y writes them on both peers.
    pick(&mut rig, 1);
    rig.drive(key(KeyCode::Enter), preview_in).await;
    let Some(Modal::ScopesPreview {
        rows: Some(Ok(p)), ..
    }) = rig.app.layer.last()
    else {
        panic!("preview: {:?}", rig.app.layer.last())
    };
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].error.is_none() && p[0].changes.len() == 2, "{p:?}");
    assert!(p[0].changes[0].contains("DHCP stops serving it"), "{p:?}");
    // Nothing written by the preview.
    assert!(on_peers(&two)
        .iter()
        .flatten()
        .all(|s| !ddish::kea::has_class(s, "never")));
    rig.drive(key(KeyCode::Char('y')), outcome_in).await;
    let Some(Modal::Outcome { rows: Some(o), .. }) = rig.app.layer.last() else {
        panic!()
    };
    assert_eq!(o.len(), 1);
    assert!(o[0].result.is_ok(), "{o:?}");
    assert_eq!(o[0].peers.len(), 2, "written on both peers: {o:?}");
    let peers = on_peers(&two);
    for p in &peers {
        assert_eq!(p.len(), 2);
        for s in p {
            assert!(ddish::kea::has_class(s, "never"), "{s}");
            assert_eq!(s["user-context"]["ddish"]["inactive"], true, "{s}");
        }
    }
    rig.app.update(key(KeyCode::Esc));
    assert_eq!(
        rig.app.mark_counts(),
        (2, 1),
        "deactivating keeps the marks"
    );
    // Deactivating them again: the preview says they already are; n sends nothing.
    pick(&mut rig, 1);
    rig.drive(key(KeyCode::Enter), preview_in).await;
    let Some(Modal::ScopesPreview {
        rows: Some(Ok(p)), ..
    }) = rig.app.layer.last()
    else {
        panic!("preview: {:?}", rig.app.layer.last())
    };
    assert!(
        p[0].changes.iter().all(|c| c.contains("already inactive")),
        "{p:?}"
    );
    assert!(rig.app.update(key(KeyCode::Char('n'))).is_empty());
    assert!(rig.app.layer.is_empty());

    // Delete both: the preview counts their reservations, y removes them from both peers
    // in one write, their marks go.
    pick(&mut rig, 2);
    rig.drive(key(KeyCode::Enter), preview_in).await;
    let Some(Modal::ScopesPreview {
        rows: Some(Ok(p)), ..
    }) = rig.app.layer.last()
    else {
        panic!("preview: {:?}", rig.app.layer.last())
    };
    assert!(p[0].error.is_none(), "{p:?}");
    assert!(
        p[0].changes.iter().all(|c| c.contains("DELETED with its")),
        "{p:?}"
    );
    rig.drive(key(KeyCode::Char('y')), outcome_in).await;
    let Some(Modal::Outcome { rows: Some(o), .. }) = rig.app.layer.last() else {
        panic!()
    };
    assert!(o[0].result.is_ok(), "{o:?}");
    let screen = rig.screen();
    assert!(
        screen.contains("✓ ok: scopes 10.10.0.0/24, 10.20.0.0/24 deleted"),
        "{screen}"
    );
    assert!(on_peers(&two).iter().all(|p| p.is_empty()));
    assert_eq!(rig.app.mark_counts(), (0, 0));
    // The reloaded tree no longer shows them (nor does their network list them).
    let data = rig.app.tab().unwrap().data.clone().unwrap();
    assert!(data
        .tree
        .scopes
        .iter()
        .all(|s| !two.contains(&s.def.cidr.to_string().as_str())));
    // One journal entry per deleted scope.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    for c in two {
        assert_eq!(
            journal
                .lines()
                .filter(|l| l.contains("\"scope-delete\"") && l.contains(c))
                .count(),
            1,
            "{journal}"
        );
    }
    drop(lab);
}

/// `P` in a scope view sweeps it through the worker against a real Kea serving a
/// 127.0.96.0/28 scope (every address answers on loopback): the steps go one by one, the
/// scope is read again at the end, the free pool addresses show `!` in the grid and the
/// popup says why; `P` while it runs stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p_sweeps_the_scope_and_marks_the_conflicts() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    let port = common::ports(2);
    let subnets = json!([
        {"id": 3, "subnet": "127.0.96.0/28", "pools": [{"pool": "127.0.96.2 - 127.0.96.6"}]}
    ]);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "kea",
        port,
        port + 1,
        minimal_dhcp4(subnets),
        None,
        None,
    )
    .expect("kea starts");
    kea.command(
        "lease4-add",
        Some(json!({"ip-address": "127.0.96.3", "hw-address": "aa:bb:cc:dd:96:03"})),
    )
    .expect("lease added");
    let cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n\n[[server]]\nname = \"kea\"\n\
         url = \"{}\"\napi = \"{}\"\nallow_plain_http = true\nrole = \"viewer\"\n",
        dir.path().join("journal.jsonl").display(),
        kea.ca_url,
        kea.dist.api.as_str()
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut app = App::from_config(&config, false);
    app.now = ops::now();
    app.update(Msg::Resize(80, 24));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, _task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(&config), out_tx);
    let mut rig = Rig {
        app,
        tx,
        rx: out_rx,
    };
    rig.drive(key(KeyCode::Enter), |a| {
        a.tab().is_some_and(|t| t.load == Load::Loaded)
    })
    .await;
    // The server tab's summary counts every address of its (one) scope by state.
    let counted = |a: &App| a.tab().is_some_and(|t| matches!(t.counts, Some(Ok(_))));
    if !counted(&rig.app) {
        let wait = async {
            while !counted(&rig.app) {
                let m = rig.rx.recv().await.expect("worker channel open");
                let reqs = rig.app.update(m);
                rig.send(reqs);
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("the count answered");
    }
    let c = rig
        .app
        .tab()
        .unwrap()
        .counts
        .clone()
        .unwrap()
        .expect("counted");
    assert_eq!((c.available, c.assigned, c.held), (4, 1, 0), "{c:?}");
    rig.drive(key(KeyCode::Enter), settled).await;

    // P, then P again before the first step answers: stopped, nothing more is sent.
    let reqs = rig.app.update(key(KeyCode::Char('P')));
    assert!(
        matches!(&reqs[..], [r] if matches!(r.target, Target::Sweep { .. })),
        "{reqs:?}"
    );
    assert!(rig.app.update(key(KeyCode::Char('P'))).is_empty());
    assert!(rig
        .app
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("sweep of 127.0.96.0/28 stopped")));
    let done = |a: &App| {
        scope_of(a)
            .sweep
            .as_ref()
            .is_some_and(|s| !s.running() && s.sweep.done())
            && settled(a)
    };
    // A viewer may sweep: it changes nothing.
    rig.drive(key(KeyCode::Char('P')), done).await;
    let s = scope_of(&rig.app);
    let st = s.sweep.as_ref().unwrap();
    assert_eq!((st.sweep.sent, st.sweep.answered.len()), (14, 14));
    assert!(st.error.is_none());
    let screen = rig.screen();
    assert!(
        screen.contains("sweep: 14 of 14 pinged, 14 answer") && screen.contains("! 4 conflict(s)"),
        "{screen}"
    );
    // The grid: .2 .4 .5 .6 are `!` (free and answering); .3 (leased) keeps its glyph.
    let row = screen
        .lines()
        .find(|l| l.contains("│127.0.96.0 "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert_eq!(row.matches('!').count(), 4, "{row}");
    // The popup of a conflict says what it means.
    let v = s.data.clone().unwrap();
    let i = v.index_of("127.0.96.4".parse().unwrap()).unwrap();
    while scope_of(&rig.app).cursor < i {
        rig.app.update(key(KeyCode::Right));
    }
    rig.app.update(key(KeyCode::Enter));
    let screen = rig.screen();
    assert!(
        screen.contains("Ping sweep") && screen.contains("conflict: answers ping"),
        "{screen}"
    );
    drop(kea);
}

fn screen_of(a: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| ddish::tui::render::draw(f, a)).unwrap();
    t.backend().to_string()
}

/// T on a real Kea: the option definitions screen reads the server's (none), `a` defines
/// one through the form, the preview comes from the server, `y` writes it, and Kea's
/// running configuration then holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t_defines_a_custom_option_on_a_real_kea() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    let port = common::ports(2);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "kea",
        port,
        port + 1,
        minimal_dhcp4(json!([{"id": 1, "subnet": "10.91.0.0/24"}])),
        None,
        None,
    )
    .expect("kea starts");
    let cfg = format!(
        "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n\n[[server]]\nname = \"kea\"\n\
         url = \"{}\"\napi = \"{}\"\nallow_plain_http = true\nrole = \"admin\"\n",
        dir.path().join("journal.jsonl").display(),
        kea.ca_url,
        kea.dist.api.as_str()
    );
    let config = ddish::config::parse(&cfg, &dir.path().join("ddish.toml")).expect("config");
    let mut app = App::from_config(&config, false);
    app.now = ops::now();
    app.update(Msg::Resize(100, 30));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, _task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(&config), out_tx);
    let mut rig = Rig {
        app,
        tx,
        rx: out_rx,
    };
    rig.drive(key(KeyCode::Char('T')), |a| {
        screen_of(a).contains("kea defines no custom option")
    })
    .await;
    rig.app.update(key(KeyCode::Char('a')));
    for c in "tftp-list".chars() {
        rig.app.update(key(KeyCode::Char(c)));
    }
    rig.app.update(key(KeyCode::Tab));
    for c in "224".chars() {
        rig.app.update(key(KeyCode::Char(c)));
    }
    rig.app.update(key(KeyCode::Tab));
    for _ in 0..20 {
        if screen_of(&rig.app).contains("(•) ipv4-address") {
            break;
        }
        rig.app.update(key(KeyCode::Right));
    }
    assert!(screen_of(&rig.app).contains("(•) ipv4-address"));
    rig.app.update(key(KeyCode::Tab));
    rig.app.update(key(KeyCode::Char(' ')));
    rig.drive(key(KeyCode::Enter), |a| {
        screen_of(a).contains("option-def tftp-list added")
    })
    .await;
    rig.drive(key(KeyCode::Char('y')), |a| {
        let s = screen_of(a);
        s.contains("✓ kea") && s.contains("ipv4-address list")
    })
    .await;
    let got = kea.command("config-get", None).expect("config-get");
    let defs = got["arguments"]["Dhcp4"]["option-def"].clone();
    assert!(
        defs.as_array()
            .is_some_and(|d| d.iter().any(|x| x["name"] == "tftp-list"
                && x["code"] == 224
                && x["type"] == "ipv4-address"
                && x["array"] == true)),
        "{defs}"
    );
}

/// `+` on an empty Servers tab (no configuration file yet): the form asks the real Kea
/// what answers at the URL, the server is written to the file, and the console asks to
/// start again on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plus_adds_a_server_to_a_new_config_file() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempdir();
    let port = common::ports(2);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "kea",
        port,
        port + 1,
        minimal_dhcp4(json!([{"id": 1, "subnet": "10.96.0.0/24"}])),
        None,
        None,
    )
    .expect("kea starts");
    let path = dir.path().join("conf").join("config.toml");
    let mut config = ddish::config::parse("", &path).expect("empty config");
    config.source = Some(path.clone());
    let mut app = App::from_config(&config, false);
    app.now = ops::now();
    app.update(Msg::Resize(100, 30));
    assert!(screen_of(&app).contains("no servers configured: + adds one"));
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, _task, _writes) =
        worker::spawn(Session::new(config.clone()), op_timeout(&config), out_tx);
    let mut rig = Rig {
        app,
        tx,
        rx: out_rx,
    };
    rig.app.update(key(KeyCode::Char('+')));
    assert!(screen_of(&rig.app).contains(&path.display().to_string()));
    // The URL field starts with an example: replace it.
    for _ in 0..40 {
        rig.app.update(key(KeyCode::Backspace));
    }
    for c in kea.ca_url.chars() {
        rig.app.update(key(KeyCode::Char(c)));
    }
    rig.drive(key(KeyCode::Enter), |a| a.restart).await;
    assert!(rig.app.quit);
    let text = std::fs::read_to_string(&path).expect("the file is written");
    let c = ddish::config::parse(&text, &path).expect("it reads");
    assert_eq!(c.servers.len(), 1, "{text}");
    assert_eq!(c.servers[0].name, "kea-1");
    assert_eq!(c.servers[0].url, kea.ca_url);
    let want = if kea.dist.api.as_str() == "direct" {
        ddish::config::ApiStyle::Direct
    } else {
        ddish::config::ApiStyle::Agent
    };
    assert_eq!(c.servers[0].api, want);
    assert!(rig
        .app
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("added to") && s.text.contains("starts again")));
}
