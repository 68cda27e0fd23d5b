//! The Manage Failover screen (key M on a server tab) through `App::update`: the list with
//! live states, the Add Failover wizard step by step, the dialogs, rights; text snapshots
//! at 80x24. The last test runs the screen's own jobs against two real Kea 2.2 servers
//! (ports 21800-21849).
mod tui_support;

use crossterm::event::KeyCode;
use ddish::model::failover::HaMode;
use ddish::ops::failover::{FailoverInfo, FailoverOutcome, FailoverPlan};
use ddish::tui::app::{App, Msg, Payload, Request, RequestKind, StatusKind};
use ddish::tui::keymap::Role;
use ddish::tui::screen::JobResult;
use tui_support::*;

// ----- helpers -----

/// (label, write) of a screen job request.
fn job(r: &Request) -> (String, bool) {
    match &r.kind {
        RequestKind::Screen(j) => (j.label.clone(), j.write()),
        other => panic!("not a screen job: {other:?}"),
    }
}

/// The one screen job among `reqs` (the refresh tick also re-checks the fleet).
fn screen_job(reqs: Vec<Request>) -> Request {
    let mut jobs: Vec<Request> = reqs
        .into_iter()
        .filter(|r| matches!(r.kind, RequestKind::Screen(_)))
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.remove(0)
}

/// A job's answer as the worker hands it over: the outcome, or the error worded by ops.
fn answer<T: Into<ddish::tui::screen::JobOutput>>(req: &Request, v: Result<T, String>) -> Msg {
    respond(req, Payload::Screen(JobResult(v.map(Into::into))))
}

fn text(a: &App) -> String {
    screen(&render(a, 80, 24))
}

fn type_str(a: &mut App, s: &str) {
    for c in s.chars() {
        a.update(ch(c));
    }
}

fn backspaces(a: &mut App, n: usize) {
    for _ in 0..n {
        a.update(key(KeyCode::Backspace));
    }
}

fn f1() -> Msg {
    key(KeyCode::F(1))
}

/// kea-hq's tab loaded, with the given rights on it.
fn hq(rights: Role) -> App {
    let mut a = app_with_tree(80, 24);
    a.rights.insert("kea-hq".into(), rights);
    a
}

/// `M` on kea-hq, the list answered with `rels`.
fn open(a: &mut App, rels: Vec<FailoverInfo>) {
    let req = only(a.update(ch('M')));
    assert_eq!(job(&req), ("failover:list".into(), false));
    a.update(answer(&req, Ok::<_, String>(rels)));
}

/// A load-balancing relationship of kea-hq (primary) and `partner`.
fn rel(name: &str, partner: &str) -> FailoverInfo {
    FailoverInfo {
        name: name.into(),
        mode: Some(HaMode::LoadBalancing),
        mode_text: "load-balancing".into(),
        this_server: "kea-hq".into(),
        this_peer: "kea-hq".into(),
        this_url: "http://127.0.0.1:18000/".into(),
        this_role: "primary".into(),
        partner_server: Some(partner.into()),
        partner_peer: partner.into(),
        partner_url: "http://127.0.0.1:18001/".into(),
        partner_role: "secondary".into(),
        scopes: vec![
            "10.64.0.0/24".parse().unwrap(),
            "10.128.0.0/16".parse().unwrap(),
        ],
        only_here: vec![],
        only_partner: vec![],
        drift: Vec::new(),
        local_state: Some("load-balancing".into()),
        partner_state: Some("load-balancing".into()),
        communication_interrupted: Some(false),
        unacked_clients: Some(0),
        state_for_secs: None,
        heartbeat_delay_ms: 10_000,
        max_response_delay_ms: 60_000,
        max_ack_delay_ms: 10_000,
        max_unacked_clients: 10,
        auto_failover: true,
        peer_user: Some("ha".into()),
        has_peer_password: true,
        partner_error: None,
    }
}

/// hq-dc with kea-dc gone: partner-down, communication interrupted, clients unacked.
fn partner_down() -> FailoverInfo {
    let mut r = rel("hq-dc", "kea-dc");
    r.local_state = Some("partner-down".into());
    r.partner_state = Some("unavailable".into());
    r.communication_interrupted = Some(true);
    r.unacked_clients = Some(3);
    r.only_here = vec!["192.0.2.0/24".parse().unwrap()];
    r.partner_error =
        Some("cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused".into());
    r
}

/// hq-lab in hot standby, the partner syncing.
fn syncing() -> FailoverInfo {
    let mut r = rel("hq-lab", "kea-lab");
    r.mode = Some(HaMode::HotStandby);
    r.mode_text = "hot-standby".into();
    r.partner_role = "standby".into();
    r.partner_url = "https://127.0.0.1:18443/".into();
    r.local_state = Some("hot-standby".into());
    r.partner_state = Some("syncing".into());
    r.peer_user = None;
    r.has_peer_password = false;
    r
}

fn outcome(name: &str, states: &[(&str, &str)]) -> FailoverOutcome {
    FailoverOutcome {
        name: name.into(),
        summary: format!("failover {name} created: both load-balancing"),
        servers: vec!["kea-hq".into(), "kea-dc".into()],
        states: states
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        converged: true,
        steps: vec![
            "kea-hq: HA hook loaded, pools split".into(),
            "kea-dc: 2 scopes copied, HA hook loaded".into(),
            "kea-dc: ha-sync sent".into(),
        ],
        warnings: vec![],
    }
}

// ----- opening and rights -----

#[test]
fn m_on_the_servers_tab_says_to_open_a_server() {
    let mut a = app_with_fleet(80, 24);
    assert!(a.update(ch('M')).is_empty());
    assert!(a.screens.is_empty());
    let st = a.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Error);
    assert!(
        st.text.contains("server's tab first") && st.text.contains("failover"),
        "{}",
        st.text
    );
}

#[test]
fn viewers_see_the_list_but_no_change_keys() {
    let mut a = hq(Role::Viewer);
    open(&mut a, vec![rel("hq-dc", "kea-dc")]);
    let t = text(&a);
    assert!(t.contains("hq-dc"), "{t}");
    assert!(!t.contains("a add") && !t.contains("d delete"), "{t}");
    for k in ['a', 'd', 'c', 's', 'm'] {
        assert!(a.update(ch(k)).is_empty(), "{k} sends nothing");
        let st = a.status.clone().unwrap();
        assert!(st.text.contains("admin role on kea-hq"), "{}", st.text);
    }
    // Esc leaves the screen; the tab is still there.
    a.update(key(KeyCode::Esc));
    assert!(a.screens.is_empty());
    assert_eq!(a.active, 1);
}

#[test]
fn read_only_refuses_changes_with_the_reason() {
    let mut a = hq(Role::Admin);
    a.read_only = true;
    open(&mut a, vec![]);
    a.update(ch('a'));
    assert!(a.status.clone().unwrap().text.contains("--read-only"));
}

// ----- the list -----

#[test]
fn list_shows_states_and_follows_refreshes() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![partner_down(), syncing()]);
    insta::assert_snapshot!("manage_list_partner_down", render(&a, 80, 24).backend());

    // The refresh tick reads the list again; the partner came back and is syncing.
    a.update(Msg::Now(NOW + 90));
    let req = screen_job(a.update(Msg::Refresh));
    assert_eq!(job(&req), ("failover:list".into(), false));
    let mut back = partner_down();
    back.local_state = Some("load-balancing".into());
    back.partner_state = Some("syncing".into());
    back.communication_interrupted = Some(false);
    back.unacked_clients = Some(0);
    back.partner_error = None;
    a.update(answer(&req, Ok::<_, String>(vec![back, syncing()])));
    a.update(Msg::Now(NOW + 150));
    let t = text(&a);
    assert!(t.contains("load-balancing for 1m"), "{t}");
    assert!(t.contains("syncing for 1m"), "{t}");
    assert!(t.contains("in touch"), "{t}");
    assert!(!t.contains("connection refused"), "{t}");

    // Down to the second relationship: its details.
    a.update(ch('j'));
    let t = text(&a);
    assert!(t.contains("hot standby"), "{t}");
    assert!(
        t.contains("kea-hq primary (this server) · kea-lab standby"),
        "{t}"
    );

    // A failed read keeps the rows and says why.
    let req = screen_job(a.update(Msg::Refresh));
    a.update(answer(
        &req,
        Err::<Vec<FailoverInfo>, _>("kea-hq: connection refused".to_string()),
    ));
    let t = text(&a);
    assert!(
        t.contains("hq-lab") && t.contains("✗ kea-hq: connection refused"),
        "{t}"
    );
}

#[test]
fn export_has_one_row_per_relationship() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![partner_down(), syncing()]);
    let reqs = a.update(ch('e'));
    let req = only(reqs);
    let RequestKind::Export(ddish::tui::app::ExportJob::Table(t)) = &req.kind else {
        panic!("{req:?}")
    };
    assert_eq!(t.what, "failover-kea-hq");
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[0][8], "partner-down");
    assert_eq!(t.rows[0][10], "true");
}

// ----- the wizard -----

#[test]
fn add_failover_wizard_by_keys() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![]);
    assert!(text(&a).contains("kea-hq has no failover: press a to add one"));

    // Step 1: every scope of kea-hq, all picked.
    assert!(a.update(ch('a')).is_empty());
    insta::assert_snapshot!("wizard_1_scopes", render(&a, 80, 24).backend());
    // None picked: Next is refused and says why.
    a.update(ch('a'));
    a.update(key(KeyCode::Enter));
    let t = text(&a);
    assert!(t.contains("step 1 of 3"), "{t}");
    assert!(t.contains("✗ pick at least one scope"), "{t}");
    // The office and the campus scope.
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch('j'));
    a.update(ch(' '));
    assert!(text(&a).contains("2 of 4 picked"));
    a.update(key(KeyCode::Enter));

    // Step 2: configured servers, or a URL checked as it is typed.
    insta::assert_snapshot!("wizard_2_partner", render(&a, 80, 24).backend());
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Down));
    type_str(&mut a, "http://127.0.0.1:99999/");
    let t = text(&a);
    assert!(t.contains("✗ '99999' is not a port number"), "{t}");
    a.update(key(KeyCode::Enter));
    assert!(
        text(&a).contains("step 2 of 3"),
        "an invalid URL blocks Next"
    );
    // Back up to kea-dc.
    a.update(key(KeyCode::Up));
    a.update(key(KeyCode::Up));
    a.update(key(KeyCode::Enter));

    // Step 3: the name follows the partner; timings checked as typed.
    let t = text(&a);
    assert!(
        t.contains("step 3 of 3") && t.contains("kea-hq-kea-dc"),
        "{t}"
    );
    insta::assert_snapshot!("wizard_3_config", render(&a, 80, 24).backend());
    // Heartbeat: 10 ms is out of range.
    for _ in 0..3 {
        a.update(key(KeyCode::Tab));
    }
    backspaces(&mut a, 5);
    type_str(&mut a, "10");
    assert!(text(&a).contains("✗ 10 is out of range"), "{}", text(&a));
    a.update(key(KeyCode::Enter));
    assert!(text(&a).contains("step 3 of 3"), "an error blocks Next");
    backspaces(&mut a, 2);
    type_str(&mut a, "2000");
    // Max response delay not above the heartbeat: the rule between the two shows.
    a.update(key(KeyCode::Tab));
    backspaces(&mut a, 5);
    type_str(&mut a, "2000");
    assert!(
        text(&a).contains("✗ max response delay (2000 ms) must be more than the"),
        "{}",
        text(&a)
    );
    type_str(&mut a, "0");
    // A peer user without a password.
    for _ in 0..4 {
        a.update(key(KeyCode::Tab));
    }
    type_str(&mut a, "ha");
    a.update(key(KeyCode::Tab));
    let t = text(&a);
    assert!(t.contains("needs a password"), "{t}");
    a.update(key(KeyCode::Enter));
    assert!(text(&a).contains("step 3 of 3"));
    type_str(&mut a, "s3cret pw");
    let t = text(&a);
    assert!(t.contains("•••••••••") && !t.contains("s3cret"), "{t}");
    insta::assert_snapshot!("wizard_3_config_filled", render(&a, 80, 24).backend());

    // The Windows terms help.
    a.update(f1());
    let t = text(&a);
    assert!(t.contains("Maximum client lead time"), "{t}");
    insta::assert_snapshot!("wizard_help_windows_terms", render(&a, 80, 24).backend());
    a.update(key(KeyCode::Esc));
    assert!(text(&a).contains("step 3 of 3"), "Esc closes the help only");

    // Next: the summary asks both servers what create would do.
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req), ("failover:plan".into(), false));
    a.update(answer(
        &req,
        Ok::<_, String>(FailoverPlan {
            this_server: "kea-hq".into(),
            partner_server: "kea-dc".into(),
            partner_url: "http://127.0.0.1:18001/".into(),
            copy_to_partner: vec![
                "10.64.0.0/24".parse().unwrap(),
                "10.128.0.0/16".parse().unwrap(),
            ],
            replace_on_partner: vec![],
            hooks_added: vec![("kea-dc".into(), vec!["libdhcp_ha.so".into()])],
            warnings: vec!["192.0.2.0/24 and 10.64.1.0/24 stay on kea-hq only".into()],
        }),
    ));
    let t = text(&a);
    assert!(!t.contains("s3cret"), "{t}");
    insta::assert_snapshot!("wizard_4_summary", render(&a, 80, 24).backend());

    // Back through the steps: every value is kept.
    a.update(key(KeyCode::Esc));
    let t = text(&a);
    assert!(
        t.contains("step 3 of 3") && t.contains("20000") && t.contains("2000 "),
        "{t}"
    );
    a.update(key(KeyCode::Esc));
    assert!(text(&a).contains("› (•) kea-dc"), "{}", text(&a));
    a.update(key(KeyCode::Esc));
    assert!(text(&a).contains("2 of 4 picked"));
    a.update(key(KeyCode::Enter));
    a.update(key(KeyCode::Enter));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req).0, "failover:plan");

    // Enter on the summary: the create job, a write, with the spec as entered.
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req), ("failover:create".into(), true));
    let dbg = format!("{:?}", a.screens[0].screen);
    for want in [
        "name: \"kea-hq-kea-dc\"",
        "mode: LoadBalancing",
        "partner: Configured(\"kea-dc\")",
        "primary_is_this: true",
        "scopes: [10.64.0.0/24, 10.128.0.0/16]",
        "heartbeat_delay_ms: 2000",
        "max_response_delay_ms: 20000",
        "peer_user: Some(\"ha\")",
    ] {
        assert!(dbg.contains(want), "{want} in {dbg}");
    }
    assert!(
        !dbg.contains("s3cret"),
        "the password stays out of Debug: {dbg}"
    );
    let t = text(&a);
    assert!(t.contains("Creating failover kea-hq-kea-dc"), "{t}");
    insta::assert_snapshot!("wizard_creating", render(&a, 80, 24).backend());

    // The partner refused: the error says kea-hq was put back; the wizard is kept.
    let reqs = a.update(answer(
        &req,
        Err::<FailoverOutcome, _>(
            "kea-dc refused the HA set-up (hook failed to load); kea-hq was put back as it was"
                .to_string(),
        ),
    ));
    assert_eq!(
        job(&only(reqs)).0,
        "failover:list",
        "the list is read again"
    );
    let t = text(&a);
    assert!(
        t.contains("Create failed") && t.contains("put back as it was"),
        "{t}"
    );
    a.update(key(KeyCode::Enter));
    assert!(text(&a).contains("summary"), "back on the summary to retry");

    // Retry; both servers reach load-balancing.
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req).0, "failover:create");
    let reqs = a.update(answer(
        &req,
        Ok::<_, String>(outcome(
            "kea-hq-kea-dc",
            &[("kea-hq", "load-balancing"), ("kea-dc", "load-balancing")],
        )),
    ));
    let list = only(reqs);
    let t = text(&a);
    assert!(
        t.contains("Now: kea-hq load-balancing · kea-dc load-balancing"),
        "{t}"
    );
    assert_eq!(a.status.clone().unwrap().kind, StatusKind::Info);
    insta::assert_snapshot!("wizard_created", render(&a, 80, 24).backend());
    a.update(key(KeyCode::Enter));
    a.update(answer(
        &list,
        Ok::<_, String>(vec![rel("kea-hq-kea-dc", "kea-dc")]),
    ));
    let t = text(&a);
    assert!(
        t.contains("kea-hq-kea-dc") && t.contains("load-balancing"),
        "{t}"
    );
    // One relationship per server in Kea 2.2: a second add is refused with the way out.
    a.update(ch('a'));
    let st = a.status.clone().unwrap();
    assert!(st.text.contains("already has failover"), "{}", st.text);
}

#[test]
fn a_plan_that_finds_a_problem_blocks_create() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![]);
    a.update(ch('a'));
    a.update(key(KeyCode::Enter));
    a.update(key(KeyCode::Enter));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req).0, "failover:plan");
    a.update(answer(
        &req,
        Err::<FailoverPlan, _>("kea-dc already has failover dc-lab: delete it first".to_string()),
    ));
    assert!(
        text(&a).contains("✗ kea-dc already has failover dc-lab"),
        "{}",
        text(&a)
    );
    assert!(a.update(key(KeyCode::Enter)).is_empty(), "no create job");
    let st = a.status.clone().unwrap();
    assert!(st.text.starts_with("can't create yet"), "{}", st.text);
    // Back and forth asks again.
    a.update(key(KeyCode::Esc));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req).0, "failover:plan");
}

#[test]
fn drift_between_the_peers_is_shown() {
    let mut a = hq(Role::Admin);
    let mut r = rel("hq-dc", "kea-dc");
    r.drift = vec![
        "subnet 1 (10.64.0.0/24): reservation 10.64.0.9 only on kea-hq".into(),
        "subnet 1 (10.64.0.0/24): options differ".into(),
    ];
    open(&mut a, vec![r]);
    let t = text(&a);
    assert!(
        t.contains("configs differ: subnet 1 (10.64.0.0/24): reservation"),
        "{t}"
    );
}

#[test]
fn unmanaged_modes_are_shown_but_not_edited() {
    let mut a = hq(Role::Admin);
    let mut r = rel("hq-backup", "kea-dc");
    r.mode = None;
    r.mode_text = "passive-backup".into();
    open(&mut a, vec![r]);
    assert!(text(&a).contains("passive-backup"), "{}", text(&a));
    assert!(a.update(ch('c')).is_empty());
    assert!(a
        .status
        .clone()
        .unwrap()
        .text
        .contains("passive-backup mode"));
}

#[test]
fn wizard_fills_the_peer_login_both_servers_share_in_the_ddish_config() {
    let mut a = hq(Role::Admin);
    for r in &mut a.fleet.rows {
        r.user = Some("ddish-admin".into());
    }
    open(&mut a, vec![]);
    a.update(ch('a'));
    a.update(key(KeyCode::Enter));
    // By URL: no shared login known, nothing filled.
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Down));
    type_str(&mut a, "http://127.0.0.1:18009/");
    a.update(key(KeyCode::Enter));
    assert!(!text(&a).contains("ddish-admin"), "{}", text(&a));
    a.update(key(KeyCode::Esc));
    // kea-dc, in the config with the same user: the user is filled, the password is
    // the one in the config and no error asks for it.
    a.update(key(KeyCode::Up));
    a.update(key(KeyCode::Up));
    a.update(key(KeyCode::Enter));
    let t = text(&a);
    assert!(
        t.contains("step 3 of 3") && t.contains("ddish-admin"),
        "{t}"
    );
    for _ in 0..9 {
        a.update(key(KeyCode::Tab));
    }
    let t = text(&a);
    assert!(t.contains("left empty, the password is the one"), "{t}");
    assert!(!t.contains("needs a password"), "{t}");
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(job(&req), ("failover:plan".into(), false));
    let dbg = format!("{req:?}");
    assert!(dbg.contains("peer_user: Some(\"ddish-admin\")"), "{dbg}");
    assert!(dbg.contains("peer_password: None"), "{dbg}");
    assert!(
        text(&a).contains("ddish-admin / the password in the ddish config"),
        "{}",
        text(&a)
    );
    // A user the admin types is theirs: then a password is needed again.
    a.update(answer(
        &req,
        Err::<FailoverPlan, String>("kea-dc: no answer".into()),
    ));
    a.update(key(KeyCode::Esc));
    // Back on the password field, where it was: up one to the user.
    a.update(key(KeyCode::BackTab));
    backspaces(&mut a, 20);
    type_str(&mut a, "ha");
    a.update(key(KeyCode::Tab));
    assert!(text(&a).contains("needs a password"), "{}", text(&a));
}

#[test]
fn wizard_esc_on_step_one_leaves_it_and_q_is_typed_not_quit() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![]);
    a.update(ch('a'));
    a.update(key(KeyCode::Enter));
    a.update(key(KeyCode::Enter));
    // Typing a name with q in it does not quit the console.
    backspaces(&mut a, 30);
    type_str(&mut a, "hq-pair");
    assert!(!a.quit);
    assert!(text(&a).contains("hq-pair"));
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Esc));
    assert!(text(&a).contains("press a to add one"), "{}", text(&a));
    assert_eq!(
        a.screens.len(),
        1,
        "Esc on step 1 leaves the wizard, not the screen"
    );
}

// ----- changes on a relationship -----

#[test]
fn delete_asks_who_keeps_each_scope_then_confirms() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![rel("hq-dc", "kea-dc")]);
    a.update(ch('d'));
    // The campus /16 stays on both, pools split.
    a.update(ch('j'));
    a.update(key(KeyCode::Left));
    insta::assert_snapshot!("delete_chooser", render(&a, 80, 24).backend());
    a.update(key(KeyCode::Enter));
    let t = text(&a);
    assert!(
        t.contains("kea-hq keeps 10.64.0.0/24, 10.128.0.0/16"),
        "{t}"
    );
    assert!(
        t.contains("kea-dc keeps 10.128.0.0/16. A scope both keep"),
        "{t}"
    );
    insta::assert_snapshot!("delete_confirm", render(&a, 80, 24).backend());
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), ("failover:delete".into(), true));
    assert!(format!("{:?}", a.screens[0].screen).contains("deleting failover hq-dc"));
    // A second change while it runs is refused.
    a.update(ch('m'));
    assert!(a.status.clone().unwrap().text.contains("still running"));
}

#[test]
fn maintenance_start_and_cancel_are_confirmed() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![rel("hq-dc", "kea-dc")]);
    a.update(ch('m'));
    assert!(text(&a).contains("Start maintenance"), "{}", text(&a));
    a.update(ch('n'));
    assert!(!text(&a).contains("Start maintenance"));
    a.update(ch('m'));
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), ("failover:maintenance".into(), true));
    let mut o = outcome(
        "hq-dc",
        &[
            ("kea-hq", "partner-in-maintenance"),
            ("kea-dc", "in-maintenance"),
        ],
    );
    o.summary = "maintenance of hq-dc started: kea-dc can be stopped".into();
    let list = only(a.update(answer(&req, Ok::<_, String>(o))));
    a.update(key(KeyCode::Enter));
    let mut r = rel("hq-dc", "kea-dc");
    r.local_state = Some("partner-in-maintenance".into());
    r.partner_state = Some("in-maintenance".into());
    a.update(answer(&list, Ok::<_, String>(vec![r])));
    // In maintenance, m offers the cancel.
    a.update(ch('m'));
    assert!(text(&a).contains("Cancel maintenance"), "{}", text(&a));
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), ("failover:maintenance".into(), true));
    assert!(format!("{:?}", a.screens[0].screen).contains("cancelling maintenance"));
}

#[test]
fn edit_checks_as_typed_and_sends_only_the_change() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![rel("hq-dc", "kea-dc")]);
    a.update(ch('c'));
    // Nothing changed: Enter says so.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(a.status.clone().unwrap().text.contains("nothing changed"));
    // Mode to hot standby; heartbeat 5000.
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Right));
    for _ in 0..3 {
        a.update(key(KeyCode::Tab));
    }
    backspaces(&mut a, 5);
    type_str(&mut a, "5x");
    assert!(
        text(&a).contains("✗ '5x' is not a whole number"),
        "{}",
        text(&a)
    );
    backspaces(&mut a, 1);
    type_str(&mut a, "000");
    insta::assert_snapshot!("edit_form", render(&a, 80, 24).backend());
    assert!(a.update(key(KeyCode::Enter)).is_empty(), "asks first");
    assert!(text(&a).contains("Change failover hq-dc"), "{}", text(&a));
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), ("failover:edit".into(), true));
}

#[test]
fn add_scope_offers_only_scopes_not_in_the_failover() {
    let mut a = hq(Role::Admin);
    open(&mut a, vec![rel("hq-dc", "kea-dc")]);
    a.update(ch('s'));
    let t = text(&a);
    assert!(
        t.contains("10.64.1.0/24") && t.contains("192.0.2.0/24"),
        "{t}"
    );
    assert!(!t.contains("[ ] 10.64.0.0/24"), "{t}");
    // Enter with nothing picked says so.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(text(&a).contains("pick at least one"), "{}", text(&a));
    a.update(ch('j'));
    a.update(ch(' '));
    a.update(key(KeyCode::Enter));
    assert!(
        text(&a).contains("Add 192.0.2.0/24 to failover hq-dc"),
        "{}",
        text(&a)
    );
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), ("failover:add-scope".into(), true));
}

// ----- against two real Kea servers -----

mod real {
    use std::path::Path;
    use std::time::Duration;

    use crossterm::event::KeyCode;
    use ddish::lab::{minimal_dhcp4, KeaInstance};
    use ddish::ops::{self, failover, Session};
    use ddish::tui::app::{App, Msg, Request};
    use ddish::tui::{op_timeout, worker};
    use serde_json::json;
    use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

    use super::tui_support::{ch, key};

    const USER: &str = "ha-peer";
    const PASSWORD: &str = "T3-peer-s3cret";

    fn tempdir() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        // Short path (Kea's socket) that user nobody can reach.
        let t = tempfile::Builder::new()
            .prefix("ddish-t3-")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        t
    }

    /// The console wired to the real worker, as `ddish` runs it.
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

        fn text(&self) -> String {
            super::text(&self.app)
        }

        /// Sends `msg`, then feeds the worker's answers back until the screen shows
        /// `want` (the refresh tick is sent every 2 s meanwhile, as the console does).
        async fn until(&mut self, msg: Msg, want: &dyn Fn(&str) -> bool, what: &str) {
            let reqs = self.app.update(msg);
            self.send(reqs);
            let wait = async {
                let mut tick = tokio::time::interval(Duration::from_secs(2));
                tick.tick().await;
                while !want(&self.text()) {
                    tokio::select! {
                        m = self.rx.recv() => {
                            let m = m.expect("worker channel open");
                            let reqs = self.app.update(m);
                            self.send(reqs);
                        }
                        _ = tick.tick() => {
                            self.app.update(Msg::Now(ops::now()));
                            let reqs = self.app.update(Msg::Refresh);
                            self.send(reqs);
                        }
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(120), wait)
                .await
                .is_err()
            {
                panic!("never saw {what}; the screen:\n{}", self.text());
            }
        }
    }

    fn config(dir: &Path, servers: &[&KeaInstance]) -> ddish::config::Config {
        let pw = dir.join("ca-password");
        std::fs::write(&pw, PASSWORD).unwrap();
        let mut s = format!(
            "[settings]\nrequest_timeout = 5\njournal = \"{}\"\n",
            dir.join("journal.jsonl").display()
        );
        for k in servers {
            s.push_str(&format!(
                "[[server]]\nname = \"{}\"\nurl = \"{}\"\nrole = \"admin\"\nuser = \"{USER}\"\npassword_file = \"{}\"\n",
                k.name,
                k.ca_url,
                pw.display()
            ));
        }
        ddish::config::parse(&s, &dir.join("ddish.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The console and its worker for `cfg`, the fleet checks sent.
    fn console(
        cfg: &ddish::config::Config,
    ) -> (Rig, std::sync::Arc<Session>, tokio::task::JoinHandle<()>) {
        let session = Session::new(cfg.clone());
        let mut app = App::from_config(cfg, false);
        app.now = ops::now();
        app.update(Msg::Resize(80, 24));
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
        let (tx, task, _writes) = worker::spawn(session.clone(), op_timeout(cfg), out_tx);
        let mut rig = Rig {
            app,
            tx,
            rx: out_rx,
        };
        let start = rig.app.start();
        rig.send(start);
        (rig, session, task)
    }

    /// Clears the focused field (after `tabs` Tabs) and types `value`.
    fn set(rig: &mut Rig, tabs: usize, value: &str) {
        for _ in 0..tabs {
            rig.app.update(key(KeyCode::Tab));
        }
        for _ in 0..40 {
            rig.app.update(key(KeyCode::Backspace));
        }
        for c in value.chars() {
            rig.app.update(ch(c));
        }
    }

    /// Heartbeat 2 s, max response 6 s, max ack 5 s, max unacked 0 (KEA_FACTS §7), then
    /// the peer login; focus starts on the name.
    fn fast_timings_and_login(rig: &mut Rig) {
        set(rig, 3, "2000");
        set(rig, 1, "6000");
        set(rig, 1, "5000");
        set(rig, 1, "0");
        set(rig, 2, USER);
        set(rig, 1, PASSWORD);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wizard_creates_a_real_pair_and_delete_takes_it_apart() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempdir();
        let scope = json!({"id": 7, "subnet": "10.52.0.0/24",
            "pools": [{"pool": "10.52.0.100 - 10.52.0.199"}]});
        let later = json!({"id": 8, "subnet": "10.54.0.0/24",
            "pools": [{"pool": "10.54.0.10 - 10.54.0.59"}]});
        // Both Control Agents ask for the login the peers will use for each other.
        let a = KeaInstance::start(
            &dir.path().join("a"),
            "kea-a",
            21800,
            21801,
            minimal_dhcp4(json!([scope, later])),
            Some((USER, PASSWORD)),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut b = KeaInstance::start(
            &dir.path().join("b"),
            "kea-b",
            21802,
            21803,
            minimal_dhcp4(json!([])),
            Some((USER, PASSWORD)),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cfg = config(dir.path(), &[&a, &b]);
        let (mut rig, session, task) = console(&cfg);

        // kea-a's tab, then M: no failover yet.
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("IPAM tree") && t.contains("10.52.0.0/24"),
            "kea-a's tree",
        )
        .await;
        rig.until(
            ch('M'),
            &|t| t.contains("kea-a has no failover"),
            "the empty list",
        )
        .await;

        // The wizard: the one scope (picked), kea-b, fast timings and the peer login.
        rig.app.update(ch('a'));
        assert!(rig.text().contains("[x] 10.52.0.0/24"), "{}", rig.text());
        // 10.54.0.0/24 joins later, through add scope.
        rig.app.update(ch('j'));
        rig.app.update(ch(' '));
        assert!(rig.text().contains("[ ] 10.54.0.0/24"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        assert!(rig.text().contains("› (•) kea-b"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        fast_timings_and_login(&mut rig);
        assert!(!rig.text().contains('✗'), "no field error: {}", rig.text());
        // The summary asks both servers what create would do.
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("Copied") || t.contains('✗'),
            "the plan",
        )
        .await;
        let t = rig.text();
        assert!(t.contains("10.52.0.0/24 to kea-b"), "{t}");
        assert!(!t.contains(PASSWORD), "{t}");

        // Create: both servers written, then both report load-balancing.
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("Now:") || t.contains("Create failed"),
            "the create outcome",
        )
        .await;
        let t = rig.text();
        assert!(
            t.contains("kea-a load-balancing · kea-b load-balancing"),
            "{t}"
        );
        rig.app.update(key(KeyCode::Enter));
        // The screen's list job sees both in load-balancing, in touch.
        rig.until(
            Msg::Refresh,
            &|t| {
                t.contains("load-balancing  load-balancing  ok")
                    && t.contains("This server  load-balancing")
            },
            "both load-balancing in the list",
        )
        .await;
        let t = rig.text();
        assert!(
            t.contains("kea-a primary (this server) · kea-b secondary"),
            "{t}"
        );
        assert!(t.contains(&format!("{USER} (password set)")), "{t}");
        assert!(!t.contains(PASSWORD), "{t}");
        let info = failover::list(&session, "kea-b")
            .await
            .expect("list on kea-b");
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].scopes, vec!["10.52.0.0/24".parse().unwrap()]);

        // Add scope: the one left out joins the failover on both servers.
        rig.app.update(ch('s'));
        rig.app.update(ch(' '));
        rig.app.update(key(KeyCode::Enter));
        assert!(
            rig.text().contains("Add 10.54.0.0/24 to failover"),
            "{}",
            rig.text()
        );
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the add-scope outcome",
        )
        .await;
        assert!(!rig.text().contains("failed"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| {
                t.contains("10.52.0.0/24, 10.54.0.0/24")
                    && t.contains("load-balancing  load-balancing  ok")
            },
            "both scopes in the failover",
        )
        .await;
        let info = failover::list(&session, "kea-b")
            .await
            .expect("list on kea-b");
        assert_eq!(info[0].scopes.len(), 2, "{info:?}");

        // Change: a slower heartbeat, confirmed; the list shows it.
        rig.app.update(ch('c'));
        set(&mut rig, 4, "3000");
        rig.app.update(key(KeyCode::Enter));
        assert!(rig.text().contains("Change failover"), "{}", rig.text());
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the change outcome",
        )
        .await;
        assert!(!rig.text().contains("failed"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| {
                t.contains("heartbeat 3000 ms") && t.contains("load-balancing  load-balancing  ok")
            },
            "the new heartbeat",
        )
        .await;

        // Maintenance from the screen, confirmed: kea-b can be stopped; then cancelled.
        rig.app.update(ch('m'));
        assert!(rig.text().contains("Start maintenance"), "{}", rig.text());
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the maintenance outcome",
        )
        .await;
        assert!(!rig.text().contains("failed"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("partner-in-maint") && t.contains("in-maintenance"),
            "maintenance in the list",
        )
        .await;
        rig.app.update(ch('m'));
        assert!(rig.text().contains("Cancel maintenance"), "{}", rig.text());
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the cancel outcome",
        )
        .await;
        assert!(!rig.text().contains("failed"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("load-balancing  load-balancing  ok"),
            "load-balancing again after maintenance",
        )
        .await;

        // kea-b's DHCP daemon dies: the list follows (partner-down, communication
        // interrupted), then back to load-balancing when it returns.
        b.stop_dhcp();
        rig.until(
            Msg::Refresh,
            &|t| t.contains("This server  partner-down") && t.contains("communication interrupted"),
            "partner-down after kea-b stopped",
        )
        .await;
        assert!(rig.text().contains(" lost "), "{}", rig.text());
        b.start_dhcp().unwrap_or_else(|e| panic!("{e}"));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("load-balancing  load-balancing  ok"),
            "load-balancing after kea-b returned",
        )
        .await;

        // Delete: kea-a keeps the scope, kea-b drops it; both standalone.
        rig.app.update(ch('d'));
        rig.app.update(key(KeyCode::Enter));
        assert!(
            rig.text().contains("kea-a keeps 10.52.0.0/24"),
            "{}",
            rig.text()
        );
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the delete outcome",
        )
        .await;
        let t = rig.text();
        assert!(!t.contains("Delete failed"), "{t}");
        assert!(t.contains("standalone"), "{t}");
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("kea-a has no failover"),
            "the empty list again",
        )
        .await;
        for s in ["kea-a", "kea-b"] {
            let l = failover::list(&session, s).await.expect("list");
            assert!(l.is_empty(), "{s}: {l:?}");
        }
        let b_scopes = session.load_server("kea-b").await.expect("kea-b loads");
        assert!(b_scopes.tree.scopes.is_empty(), "kea-b dropped the scopes");
        let a_scopes = session.load_server("kea-a").await.expect("kea-a loads");
        assert_eq!(a_scopes.tree.scopes.len(), 2, "kea-a kept both");

        drop(rig);
        task.abort();
        drop((a, b));
    }

    /// A partner outside ddish's config, given by its API URL; hot standby with the
    /// partner as primary.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wizard_pairs_with_a_partner_given_by_url_in_hot_standby() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempdir();
        let scope = json!({"id": 3, "subnet": "10.53.0.0/24",
            "pools": [{"pool": "10.53.0.100 - 10.53.0.149"}]});
        let c = KeaInstance::start(
            &dir.path().join("c"),
            "kea-c",
            21810,
            21811,
            minimal_dhcp4(json!([scope])),
            Some((USER, PASSWORD)),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let d = KeaInstance::start(
            &dir.path().join("d"),
            "kea-d",
            21812,
            21813,
            minimal_dhcp4(json!([])),
            Some((USER, PASSWORD)),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // Only kea-c is configured in ddish.
        let cfg = config(dir.path(), &[&c]);
        let (mut rig, session, task) = console(&cfg);
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("IPAM tree") && t.contains("10.53.0.0/24"),
            "kea-c's tree",
        )
        .await;
        rig.until(
            ch('M'),
            &|t| t.contains("kea-c has no failover"),
            "the empty list",
        )
        .await;

        rig.app.update(ch('a'));
        rig.app.update(key(KeyCode::Enter));
        // No other configured server: the URL line is the only choice, typed into.
        for ch_ in d.ca_url.chars() {
            rig.app.update(ch(ch_));
        }
        assert!(
            rig.text().contains("› (•) another server"),
            "{}",
            rig.text()
        );
        rig.app.update(key(KeyCode::Enter));
        let t = rig.text();
        assert!(
            t.contains("step 3 of 3") && t.contains("kea-c-127.0.0.1-21812"),
            "{t}"
        );
        // Hot standby, the partner primary.
        rig.app.update(key(KeyCode::Tab));
        rig.app.update(key(KeyCode::Right));
        rig.app.update(key(KeyCode::Tab));
        rig.app.update(key(KeyCode::Right));
        rig.app.update(key(KeyCode::BackTab));
        rig.app.update(key(KeyCode::BackTab));
        fast_timings_and_login(&mut rig);
        assert!(!rig.text().contains('✗'), "{}", rig.text());
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("Copied") || t.contains('✗'),
            "the plan",
        )
        .await;
        let t = rig.text();
        assert!(
            t.contains("hot standby: 127.0.0.1:21812 primary, kea-c standby"),
            "{t}"
        );
        rig.until(
            key(KeyCode::Enter),
            &|t| t.contains("Now:") || t.contains("Create failed"),
            "the create outcome",
        )
        .await;
        let t = rig.text();
        assert!(
            t.contains("hot-standby") && !t.contains("Create failed"),
            "{t}"
        );
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("hot-standby     hot-standby     ok"),
            "both hot-standby in the list",
        )
        .await;
        let t = rig.text();
        assert!(t.contains("kea-c standby (this server)"), "{t}");
        assert!(t.contains("primary"), "{t}");

        // Delete: both keep the scope, each with half the pool.
        rig.app.update(ch('d'));
        rig.app.update(ch('b'));
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            ch('y'),
            &|t| t.contains("Enter closes"),
            "the delete outcome",
        )
        .await;
        assert!(!rig.text().contains("Delete failed"), "{}", rig.text());
        rig.app.update(key(KeyCode::Enter));
        rig.until(
            Msg::Refresh,
            &|t| t.contains("kea-c has no failover"),
            "no failover",
        )
        .await;
        let l = failover::list(&session, "kea-c").await.expect("list");
        assert!(l.is_empty(), "{l:?}");
        drop(rig);
        task.abort();
        drop((c, d));
    }
}
