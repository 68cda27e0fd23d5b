//! The console side of issue 4 (and network-level claims, issue 3) through `App::update`:
//! keys in, requests out, responses in, state checked. Create New (network, container,
//! scope) with live checks, actions on the selected network or scope (refusals with their
//! list, the server's delete question), marks across server tabs and on the Servers tab,
//! the bulk flow form -> preview -> confirm -> outcome with one server failing, claims
//! outside every scope; and 80x24 snapshots of the new popups and the mark column.
mod tui_support;

use std::sync::Arc;

use crossterm::event::KeyCode;
use ddish::model::{NetworkClaim, ScopeStatus};
use ddish::ops::bulk::{BulkOp, ServerOutcome, ServerPreview, Target as BulkTarget};
use ddish::tui::actions::{BulkKind, Command, Fail, Modal, ScopesOp, Step};
use ddish::tui::app::{App, BulkResult, Msg, Payload, Request, RequestKind, StatusKind, Target};
use ddish::tui::keymap::Role;
use ddish::tui::views::View;
use tui_support::*;

fn net(s: &str) -> ipnet::Ipv4Net {
    s.parse().unwrap()
}

fn steps(a: &App) -> Vec<Step> {
    match a.layer.last() {
        Some(Modal::Choose(c)) => c.items.clone(),
        other => panic!("menu expected, got {other:?}"),
    }
}

/// Moves the menu cursor onto `step` and runs it.
fn pick(a: &mut App, step: Step) -> Vec<Request> {
    let at = steps(a)
        .iter()
        .position(|s| *s == step)
        .unwrap_or_else(|| panic!("{step:?} not offered: {:?}", steps(a)));
    for _ in 0..at {
        a.update(ch('j'));
    }
    a.update(key(KeyCode::Enter))
}

fn form(a: &App) -> &ddish::tui::form::Form {
    match a.layer.last() {
        Some(Modal::Form(f)) => f,
        other => panic!("form expected, got {other:?}"),
    }
}

/// Focus the field labelled `label` (Tab until there).
fn focus(a: &mut App, label: &str) {
    for _ in 0..20 {
        if form(a).fields.focused().map(|f| f.label) == Some(label) {
            return;
        }
        a.update(key(KeyCode::Tab));
    }
    panic!("no field {label}");
}

fn error_of(a: &App, label: &str) -> Option<String> {
    let f = form(a);
    let i = f.fields.list.iter().position(|x| x.label == label).unwrap();
    f.field_error(i)
}

/// The tree cursor onto `label`, from the top.
fn goto(a: &mut App, label: &str) {
    a.update(ch('g'));
    tree_cursor_to(a, label);
}

fn tree_key(a: &App) -> String {
    let t = a.tab().unwrap();
    let data = t.data.clone().unwrap();
    let rows = t.tree.rows(&data.tree);
    ddish::tui::views::node_key(rows[t.tree.list.cursor].node)
}

/// The server data with one more scope in the office network.
fn with_scope(cidr: &str) -> ddish::ops::ServerData {
    let mut d = server_data();
    let mut networks = d.networks.clone();
    networks[1].scopes.push(net(cidr));
    let mut scopes = d.tree.scopes.clone();
    let mut s = scopes[0].clone();
    s.def = def(
        cidr,
        "10.64.3.1-10.64.3.254",
        &["10.64.3.1-10.64.3.254"],
        ScopeStatus::Active,
    );
    s.def.id = 40;
    scopes.push(s);
    d.tree = ddish::model::ServerTree::build(&networks, scopes);
    d.networks = networks;
    d
}

/// The tree of kea-hq, with the admin role on every server.
fn tree() -> App {
    let mut a = app_with_tree(80, 24);
    for s in ["kea-hq", "kea-dc", "kea-lab"] {
        a.rights.insert(s.into(), Role::Admin);
    }
    a
}

// ----- Create New -----

#[test]
fn create_new_scope_checks_as_typed_sends_the_job_and_selects_it_after_the_reload() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/16");
    assert!(a.update(ch('n')).is_empty());
    assert_eq!(
        steps(&a),
        vec![
            Step::NewNetwork { container: false },
            Step::NewNetwork { container: true },
            Step::NewScope(net("10.64.0.0/16")),
        ]
    );
    pick(&mut a, Step::NewScope(net("10.64.0.0/16")));
    assert_eq!(form(&a).title, "New DHCP scope in 10.64.0.0/16");
    // The subnet: host bits, outside the network, overlapping a scope: the ops words.
    clear_field(&mut a);
    typed(&mut a, "10.64.3.7/24");
    assert_eq!(
        error_of(&a, "Subnet").unwrap(),
        "10.64.3.7/24 has host bits set: did you mean 10.64.3.0/24?"
    );
    clear_field(&mut a);
    typed(&mut a, "10.65.0.0/24");
    assert_eq!(
        error_of(&a, "Subnet").unwrap(),
        "the scope 10.65.0.0/24 is outside its network 10.64.0.0/16"
    );
    clear_field(&mut a);
    typed(&mut a, "10.64.0.0/23");
    assert!(error_of(&a, "Subnet")
        .unwrap()
        .contains("overlaps the scope(s) 10.64.0.0/24, 10.64.1.0/24 on kea-hq"));
    clear_field(&mut a);
    typed(&mut a, "10.64.3.0/24");
    assert_eq!(error_of(&a, "Subnet"), None);
    // Range, gateway, DNS, lease time: validate_scope's refusals on their fields.
    focus(&mut a, "End IP");
    typed(&mut a, "10.64.4.1");
    assert!(error_of(&a, "End IP")
        .unwrap()
        .starts_with("the end 10.64.4.1 is outside the network 10.64.3.0/24"));
    clear_field(&mut a);
    typed(&mut a, "10.64.3.200");
    focus(&mut a, "Start IP");
    typed(&mut a, "10.64.3.201");
    assert_eq!(
        error_of(&a, "End IP").unwrap(),
        "the start 10.64.3.201 comes after the end 10.64.3.200"
    );
    clear_field(&mut a);
    typed(&mut a, "10.64.3.10");
    focus(&mut a, "Gateway");
    typed(&mut a, "10.64.0.1");
    assert!(error_of(&a, "Gateway")
        .unwrap()
        .contains("outside the scope's subnet"));
    clear_field(&mut a);
    typed(&mut a, "10.64.3.1");
    focus(&mut a, "DNS servers");
    typed(&mut a, "192.0.2.53, dns1");
    assert!(error_of(&a, "DNS servers")
        .unwrap()
        .contains("the DNS server 'dns1' is not an IPv4 address"));
    clear_field(&mut a);
    typed(&mut a, "192.0.2.53, 192.0.2.54");
    focus(&mut a, "Lease (s)");
    typed(&mut a, "10");
    assert!(error_of(&a, "Lease (s)").unwrap().contains("out of range"));
    clear_field(&mut a);
    typed(&mut a, "7200");
    focus(&mut a, "Status");
    a.update(key(KeyCode::Right));
    focus(&mut a, "Title");
    typed(&mut a, "Printers");
    assert!(form(&a)
        .notes()
        .iter()
        .any(|n| n.contains("range 10.64.3.10 - 10.64.3.200 (191 addresses)")));
    assert!(form(&a).notes().iter().any(|n| n.contains("inactive")));
    let shot_form = shot(&a);
    insta::assert_snapshot!("new_scope_form", shot_form);

    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        req.target,
        Target::Layout {
            server: "kea-hq".into()
        }
    );
    let Command::CreateScope {
        network,
        subnet,
        props,
    } = job(&req)
    else {
        panic!("create scope expected: {req:?}")
    };
    assert_eq!(*network, net("10.64.0.0/16"));
    assert_eq!(*subnet, Some(net("10.64.3.0/24")));
    assert_eq!(props.start, Some(ip("10.64.3.10")));
    assert_eq!(props.gateway, Some(ip("10.64.3.1")));
    assert_eq!(props.dns, vec!["192.0.2.53", "192.0.2.54"]);
    assert_eq!(props.lease_time, Some(7200));
    assert!(!props.active);
    assert_eq!(props.title.as_deref(), Some("Printers"));
    assert_eq!(status(&a).0, StatusKind::Busy);
    // Success: popups close, the tree reloads, the new scope gets the cursor.
    let reload = only(a.update(respond(&req, done("scope 10.64.3.0/24 created"))));
    assert!(is_load_server(&reload));
    assert!(a.layer.is_empty());
    assert_eq!(
        status(&a),
        (StatusKind::Info, "scope 10.64.3.0/24 created".into())
    );
    a.update(respond(
        &reload,
        Payload::Server(Ok(Arc::new(with_scope("10.64.3.0/24")))),
    ));
    assert_eq!(tree_key(&a), "scope:10.64.3.0/24");
}

#[test]
fn a_refusal_keeps_the_form_open_with_the_servers_words() {
    let mut a = tree();
    goto(&mut a, "10.0.0.0/8");
    a.update(ch('n'));
    // A container selected: no scope offered.
    assert_eq!(steps(&a).len(), 2);
    pick(&mut a, Step::NewNetwork { container: false });
    assert_eq!(form(&a).title, "New network in 10.0.0.0/8");
    typed(&mut a, "10.64.0.0/20");
    assert!(error_of(&a, "CIDR")
        .unwrap()
        .contains("lies inside network 10.64.0.0/16, and a network holds only scopes"));
    clear_field(&mut a);
    typed(&mut a, "10.96.0.0/16");
    assert_eq!(error_of(&a, "CIDR"), None);
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::CreateNetwork {
            cidr: net("10.96.0.0/16"),
            container: false,
            title: None,
            description: None
        }
    );
    let out = a.update(respond(
        &req,
        Payload::Action(Err(Fail::Failed(
            "the configuration of kea-hq changed".into(),
        ))),
    ));
    assert!(out.is_empty());
    assert_eq!(
        form(&a).error.as_deref(),
        Some("the configuration of kea-hq changed")
    );
    assert_eq!(status(&a).0, StatusKind::Error);
}

#[test]
fn a_viewer_or_operator_gets_no_layout_keys() {
    let mut a = tree();
    a.rights.insert("kea-hq".into(), Role::Viewer);
    goto(&mut a, "10.64.0.0/16");
    for c in ['n', 'a', ' ', 'B', 'c'] {
        assert!(a.update(ch(c)).is_empty());
        assert!(a.layer.is_empty(), "{c} opened something");
    }
    assert!(a.marks.is_empty());
    let op = Role::Operator;
    a.rights.insert("kea-hq".into(), op);
    a.update(ch('n'));
    assert!(a.layer.is_empty());
    // The claim is an operator's action.
    a.update(ch('c'));
    assert_eq!(
        form(&a).title,
        "Claim an address of 10.64.0.0/16 outside its scopes"
    );
}

// ----- actions on the selected item -----

#[test]
fn network_actions_and_the_delete_refusal_lists_its_scopes() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/16");
    a.update(ch('a'));
    let n = net("10.64.0.0/16");
    assert_eq!(
        steps(&a),
        vec![
            Step::NewScope(n),
            Step::EditNetwork(n),
            Step::ClaimNet(n),
            Step::Claims(n),
            Step::ToContainer(n),
            Step::DeleteNetwork(n),
        ]
    );
    assert!(pick(&mut a, Step::DeleteNetwork(n)).is_empty());
    let Some(Modal::Message { text, error, .. }) = a.layer.last() else {
        panic!("a refusal expected: {:?}", a.layer)
    };
    assert!(error);
    assert_eq!(
        text,
        "network 10.64.0.0/16 still holds the scope(s) 10.64.0.0/24, 10.64.1.0/24, 10.64.2.0/24: delete them (or forget missing ones) first"
    );
    insta::assert_snapshot!("delete_network_refused", shot(&a));
    a.update(key(KeyCode::Esc));
    assert!(a.layer.is_empty());
    // Edit: title and description, sent as they are (empty clears).
    a.update(ch('a'));
    pick(&mut a, Step::EditNetwork(n));
    focus(&mut a, "Title");
    clear_field(&mut a);
    typed(&mut a, "HQ");
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::EditNetwork {
            cidr: n,
            title: Some("HQ".into()),
            description: Some("HQ building".into())
        }
    );
}

#[test]
fn scope_actions_follow_its_status_and_delete_asks_with_the_servers_counts() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch('a'));
    let c = net("10.64.0.0/24");
    assert_eq!(
        steps(&a),
        vec![
            Step::EditScope(c),
            Step::Deactivate(c),
            Step::Duplicate(c),
            Step::DeleteScope(c),
        ]
    );
    let req = only(pick(&mut a, Step::DeleteScope(c)));
    assert_eq!(
        job(&req),
        &Command::DeleteScope {
            cidr: c,
            confirmed: false
        }
    );
    let q = "delete scope 10.64.0.0/24 on kea-hq with its 45 lease(s) and 2 reservation(s)?";
    assert!(a
        .update(respond(
            &req,
            Payload::Action(Err(Fail::NeedsConfirmation(q.into())))
        ))
        .is_empty());
    match a.layer.last() {
        Some(Modal::Confirm(cf)) => assert_eq!(cf.text, q),
        other => panic!("confirmation expected: {other:?}"),
    }
    insta::assert_snapshot!("delete_scope_confirm", shot(&a));
    let again = only(a.update(ch('y')));
    assert_eq!(
        job(&again),
        &Command::DeleteScope {
            cidr: c,
            confirmed: true
        }
    );
    // Marked while the delete runs: the mark goes with the scope.
    a.update(ch(' '));
    assert!(a.marks.contains(&("kea-hq".to_string(), c)));
    a.update(respond(&again, done("scope 10.64.0.0/24 deleted")));
    // A deleted scope's mark goes with it.
    assert!(!a.marks.contains(&("kea-hq".to_string(), c)));

    // Inactive: activate first; missing: re-create or forget.
    let mut a = tree();
    goto(&mut a, "10.64.1.0/24");
    a.update(ch('a'));
    assert_eq!(steps(&a)[0], Step::Activate(net("10.64.1.0/24")));
    let req = only(pick(&mut a, Step::Activate(net("10.64.1.0/24"))));
    assert_eq!(
        job(&req),
        &Command::SetActive {
            cidr: net("10.64.1.0/24"),
            active: true
        }
    );
    let mut a = tree();
    goto(&mut a, "10.64.2.0/24");
    a.update(ch('a'));
    let m = net("10.64.2.0/24");
    assert_eq!(steps(&a), vec![Step::Recreate(m), Step::Forget(m)]);
    assert!(pick(&mut a, Step::Forget(m)).is_empty());
    let req = only(a.update(ch('y')));
    assert_eq!(job(&req), &Command::ForgetScope { cidr: m });
}

#[test]
fn edit_scope_sends_only_what_changed_including_options() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch('a'));
    pick(&mut a, Step::EditScope(net("10.64.0.0/24")));
    // Nothing changed: refused in the form.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(form(&a)
        .error
        .as_deref()
        .unwrap()
        .starts_with("nothing changed"));
    focus(&mut a, "Lease (s)");
    clear_field(&mut a);
    typed(&mut a, "7200");
    focus(&mut a, "Other options");
    typed(&mut a, "ntp-servers=192.0.2.x");
    assert!(error_of(&a, "Other options")
        .unwrap()
        .contains("ntp-servers"));
    clear_field(&mut a);
    typed(&mut a, "ntp-servers=192.0.2.123");
    insta::assert_snapshot!("edit_scope_form", shot(&a));
    let req = only(a.update(key(KeyCode::Enter)));
    let Command::EditScope { cidr, edit } = job(&req) else {
        panic!("{req:?}")
    };
    assert_eq!(*cidr, net("10.64.0.0/24"));
    assert_eq!(edit.lease_time, Some(7200));
    assert_eq!(
        edit.set_options,
        vec![("ntp-servers".to_string(), "192.0.2.123".to_string())]
    );
    assert_eq!(edit.start, None);
    assert_eq!(edit.gateway, None);
    assert_eq!(edit.title, None);
}

#[test]
fn duplicate_onto_another_server_or_cidr() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch('a'));
    pick(&mut a, Step::Duplicate(net("10.64.0.0/24")));
    // Same server, no CIDR: refused.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(form(&a)
        .error
        .as_deref()
        .unwrap()
        .contains("give another CIDR"));
    typed(&mut a, "10.64.8.0/23");
    assert!(error_of(&a, "To CIDR")
        .unwrap()
        .contains("a copy keeps the size"));
    clear_field(&mut a);
    focus(&mut a, "To server");
    a.update(key(KeyCode::Right));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::DuplicateScope {
            cidr: net("10.64.0.0/24"),
            to_cidr: None,
            to_server: Some("kea-dc".into())
        }
    );
}

// ----- marks and bulk -----

#[test]
fn space_marks_scopes_across_server_tabs_and_servers_on_the_servers_tab() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    assert!(a
        .marks
        .contains(&("kea-hq".to_string(), net("10.64.0.0/24"))));
    a.update(ch(' '));
    assert!(a.marks.is_empty());
    // On a network: all of its scopes but the missing one, and again: none.
    goto(&mut a, "10.64.0.0/16");
    a.update(ch(' '));
    assert_eq!(a.marks.len(), 2);
    goto(&mut a, "10.128.0.0/16");
    a.update(ch(' '));
    assert_eq!(a.mark_counts(), (3, 1));
    insta::assert_snapshot!("tree_with_marks", shot(&a));
    // A missing scope can't be marked.
    goto(&mut a, "10.64.2.0/24");
    a.update(ch(' '));
    assert_eq!(a.marks.len(), 3);
    assert_eq!(status(&a).0, StatusKind::Error);
    // Space no longer pages: PgDn and f do.
    let before = a.tab().unwrap().tree.list.cursor;
    a.update(ch('f'));
    assert!(a.tab().unwrap().tree.list.cursor > before);

    // A second server's tab: its marks add up, keyed by server.
    a.update(ch('1'));
    a.update(ch('j'));
    let req = only(a.update(key(KeyCode::Enter)));
    let mut dc = server_data();
    dc.name = "kea-dc".into();
    a.update(respond(&req, Payload::Server(Ok(Arc::new(dc)))));
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    assert_eq!(a.mark_counts(), (4, 2));

    // Servers tab: Space marks servers, shown in the mark column.
    a.update(ch('1'));
    a.update(ch('k'));
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch('j'));
    a.update(ch(' '));
    assert_eq!(
        a.server_marks.iter().cloned().collect::<Vec<_>>(),
        vec!["kea-hq".to_string(), "kea-lab".to_string()]
    );
    insta::assert_snapshot!("servers_with_marks", shot(&a));
    a.update(ch('u'));
    assert!(a.server_marks.is_empty());
    assert_eq!(
        a.marks.len(),
        4,
        "u on the Servers tab clears server marks only"
    );
}

fn preview_rows() -> Vec<ServerPreview> {
    vec![
        ServerPreview {
            server: "kea-hq".into(),
            changes: vec![
                "10.64.0.0/24: domain-name-servers 192.0.2.53, 192.0.2.99 -> 192.0.2.54, 192.0.2.99".into(),
                "10.128.0.0/16: domain-name-servers 192.0.2.53 -> 192.0.2.54".into(),
            ],
            error: None,
            warnings: vec![],
        },
        ServerPreview {
            server: "kea-dc".into(),
            changes: vec![],
            error: Some("cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused".into()),
            warnings: vec![],
        },
    ]
}

#[test]
fn bulk_find_and_replace_goes_form_preview_confirm_outcome_and_one_failure_shows_plainly() {
    let mut a = tree();
    // Nothing marked: B says how to mark.
    assert!(a.update(ch('B')).is_empty());
    assert!(status(&a).1.starts_with("no scope marked"));
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    goto(&mut a, "10.128.0.0/16");
    a.update(ch(' '));
    a.update(ch('B'));
    let mut offered: Vec<Step> = BulkKind::offered(false)
        .into_iter()
        .map(Step::Bulk)
        .collect();
    offered.extend([ScopesOp::Activate, ScopesOp::Deactivate, ScopesOp::Delete].map(Step::Scopes));
    assert_eq!(steps(&a), offered);
    pick(&mut a, Step::Bulk(BulkKind::ReplaceOption));
    assert_eq!(form(&a).fields.list[0].value(), "domain-name-servers");
    focus(&mut a, "Find");
    typed(&mut a, "192.0.2.53");
    focus(&mut a, "Replace with");
    typed(&mut a, "192.0.2.x");
    assert!(error_of(&a, "Replace with").is_some());
    clear_field(&mut a);
    typed(&mut a, "192.0.2.53");
    // Same on both sides: BulkChange::new's refusal, in the form.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(form(&a)
        .error
        .as_deref()
        .unwrap()
        .contains("nothing to replace"));
    clear_field(&mut a);
    typed(&mut a, "192.0.2.54");
    insta::assert_snapshot!("bulk_replace_form", shot(&a));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(req.target, Target::Bulk);
    let Command::BulkPreview(change) = job(&req) else {
        panic!("{req:?}")
    };
    assert_eq!(
        change.target(),
        &BulkTarget::Scopes(vec![
            ("kea-hq".into(), net("10.64.0.0/24")),
            ("kea-hq".into(), net("10.128.0.0/16")),
        ])
    );
    assert_eq!(
        change.op(),
        &BulkOp::ReplaceOption {
            name: "domain-name-servers".into(),
            from: "192.0.2.53".into(),
            to: "192.0.2.54".into()
        }
    );
    // y before the preview is in: nothing is sent.
    assert!(a.update(ch('y')).is_empty());
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Preview(preview_rows()))),
    ));
    insta::assert_snapshot!("bulk_preview", shot(&a));
    let apply = only(a.update(ch('y')));
    assert!(matches!(job(&apply), Command::BulkApply(c) if c == change));
    assert!(matches!(
        a.layer.last(),
        Some(Modal::Outcome { rows: None, .. })
    ));
    let outcome = vec![
        ServerOutcome {
            server: "kea-hq".into(),
            peers: vec!["kea-hq".into()],
            result: Ok("2 changes".into()),
        },
        ServerOutcome {
            server: "kea-dc".into(),
            peers: vec![],
            result: Err(
                "cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused".into(),
            ),
        },
        ServerOutcome {
            server: "kea-lab".into(),
            peers: vec![],
            result: Ok("nothing to change".into()),
        },
    ];
    let reloads = a.update(respond(
        &apply,
        Payload::Bulk(Ok(BulkResult::Outcome(outcome))),
    ));
    // The open tab of a written server reloads.
    assert_eq!(reloads.len(), 1);
    assert!(is_load_server(&reloads[0]));
    assert_eq!(
        status(&a),
        (
            StatusKind::Error,
            "1 of 3 server(s) failed: see the outcome table".into()
        )
    );
    insta::assert_snapshot!("bulk_outcome", shot(&a));
    a.update(key(KeyCode::Esc));
    assert!(a.layer.is_empty());
}

#[test]
fn bulk_on_marked_servers_offers_server_level_changes_and_lists_classes() {
    let mut a = app_with_fleet(80, 24);
    a.rights.insert("kea-hq".into(), Role::Admin);
    a.update(ch(' '));
    a.update(ch('B'));
    let offered: Vec<Step> = BulkKind::offered(true)
        .into_iter()
        .map(Step::Bulk)
        .collect();
    assert_eq!(steps(&a), offered);
    let req = only(pick(&mut a, Step::Bulk(BulkKind::ListClasses)));
    assert_eq!(job(&req), &Command::Classes(vec!["kea-hq".into()]));
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Classes(vec![(
            "kea-hq".into(),
            Ok(vec![ddish::ops::bulk::ClassInfo {
                name: "printers".into(),
                test: Some("substring(option[60].hex,0,2) == 'HP'".into()),
                options: vec![("routers".into(), "10.64.0.1".into())],
                used_by: vec!["scope 10.64.0.0/24".into()],
            }]),
        )]))),
    ));
    let text = shot(&a);
    assert!(text.contains("printers"), "{text}");
    assert!(text.contains("used by scope 10.64.0.0/24"), "{text}");
    a.update(key(KeyCode::Esc));
    // A server-level option set: the target is the servers.
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::SetOption));
    typed(&mut a, "ntp-servers");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "192.0.2.123");
    let req = only(a.update(key(KeyCode::Enter)));
    let Command::BulkPreview(c) = job(&req) else {
        panic!()
    };
    assert_eq!(c.target(), &BulkTarget::Servers(vec!["kea-hq".into()]));
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Preview(preview_rows()))),
    ));
    // n goes back to the form, Esc leaves it.
    a.update(ch('n'));
    a.update(key(KeyCode::Esc));
    assert!(a.layer.is_empty(), "{:?}", a.layer);
    // A server parameter: picked from the list, its value checked by its type.
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::ServerParam));
    // The form opens on the value: back up to the parameter.
    a.update(key(KeyCode::BackTab));
    for _ in 0..11 {
        a.update(key(KeyCode::Right));
    }
    assert_eq!(form(&a).fields.list[0].value(), "authoritative");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "maybe");
    assert!(error_of(&a, "Value").unwrap().contains("true or false"));
    clear_field(&mut a);
    typed(&mut a, "yes");
    let req = only(a.update(key(KeyCode::Enter)));
    let Command::BulkPreview(c) = job(&req) else {
        panic!()
    };
    assert_eq!(c.op().describe(), "authoritative=true");
    assert_eq!(c.target(), &BulkTarget::Servers(vec!["kea-hq".into()]));
}

// ----- claims outside every scope -----

#[test]
fn claims_outside_every_scope_from_the_network_view() {
    let mut a = tree();
    a.rights.insert("kea-hq".into(), Role::Admin);
    goto(&mut a, "10.64.0.0/16");
    a.update(key(KeyCode::Enter));
    assert!(matches!(
        a.tab().unwrap().stack.last(),
        Some(View::Network(_))
    ));
    a.update(ch('c'));
    typed(&mut a, "10.64.0.20");
    assert_eq!(
        error_of(&a, "IP").unwrap(),
        "10.64.0.20 is inside the scope 10.64.0.0/24: claim it there (open the scope, c)"
    );
    clear_field(&mut a);
    typed(&mut a, "10.65.0.1");
    assert!(error_of(&a, "IP").unwrap().contains("outside the network"));
    clear_field(&mut a);
    typed(&mut a, "10.64.9.9");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "02:00:00:00:09:09");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "printer-9");
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::Claim {
            ip: ip("10.64.9.9"),
            claim: ddish::ops::ClaimRequest {
                mac: "02:00:00:00:09:09".into(),
                hostname: Some("printer-9".into()),
                comment: None
            }
        }
    );
    let reload = only(a.update(respond(&req, done("10.64.9.9 claimed"))));
    let mut d = server_data();
    d.networks[1].claims.push(NetworkClaim {
        ip: ip("10.64.9.9"),
        mac: "02:00:00:00:09:09".into(),
        hostname: Some("printer-9".into()),
        comment: Some("lobby".into()),
    });
    d.tree = ddish::model::ServerTree::build(&d.networks, d.tree.scopes.clone());
    a.update(respond(&reload, Payload::Server(Ok(Arc::new(d)))));
    // The list shows it; d asks before unclaiming.
    a.update(ch('C'));
    insta::assert_snapshot!("claims_list", shot(&a));
    // e: the network's claims as CSV, written by the worker's export.
    let req = only(a.update(ch('e')));
    let RequestKind::Export(export) = req.kind.clone() else {
        panic!("{req:?}")
    };
    assert_eq!(req.target, Target::Export);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.csv");
    ddish::tui::worker::write_export_to(export, &Default::default(), &path).unwrap();
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        csv,
        "server,network,ip,mac,hostname,comment\nkea-hq,10.64.0.0/16,10.64.9.9,02:00:00:00:09:09,printer-9,lobby\n"
    );
    a.update(respond(&req, Payload::Exported(Ok(path.clone()))));
    assert!(status(&a).1.starts_with("exported to "));
    a.update(ch('d'));
    let req = only(a.update(ch('y')));
    assert_eq!(
        job(&req),
        &Command::Unclaim {
            ip: ip("10.64.9.9")
        }
    );
    a.update(respond(&req, done("10.64.9.9 unclaimed")));
    assert!(matches!(a.layer.last(), Some(Modal::ClaimList { .. })));
    // The tree marks the network's claims.
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Esc));
    assert!(shot(&a).contains("10.64.0.0/16 ◆1"));
}

#[test]
fn an_inactive_scope_shows_no_utilization_in_its_card_or_the_tree() {
    let mut a = tree();
    goto(&mut a, "10.64.1.0/24");
    let mut lab = def(
        "10.64.1.0/24",
        "10.64.1.10-10.64.1.200",
        &["10.64.1.10-10.64.1.200"],
        ScopeStatus::Inactive,
    );
    lab.id = 12;
    let req = only(a.update(key(KeyCode::Enter)));
    a.update(respond(
        &req,
        Payload::Scope(Ok(Arc::new(ddish::model::ScopeView::build(
            lab,
            vec![],
            NOW,
        )))),
    ));
    let text = shot(&a);
    let card: Vec<&str> = text.lines().take(8).collect();
    assert!(card.iter().any(|l| l.contains("- inactive")), "{text}");
    assert!(!card.iter().any(|l| l.contains('%')), "{text}");
    a.update(key(KeyCode::Esc));
    let row = shot(&a)
        .lines()
        .find(|l| l.contains("10.64.1.0/24"))
        .unwrap()
        .to_string();
    assert!(!row.contains('%') && row.contains("Inactive"), "{row}");
}

#[test]
fn snapshot_create_menu_and_an_exclusion_preview_with_a_lease_warning() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch('n'));
    insta::assert_snapshot!("create_menu", shot(&a));
    a.update(key(KeyCode::Esc));
    a.update(ch(' '));
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::Exclude));
    typed(&mut a, "10.64.0.20");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "10.64.0.29");
    let req = only(a.update(key(KeyCode::Enter)));
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Preview(vec![ServerPreview {
            server: "kea-hq".into(),
            changes: vec!["10.64.0.0/24: pools 10.64.0.20-10.64.0.119 -> 10.64.0.30-10.64.0.119".into()],
            error: None,
            warnings: vec!["10.64.0.0/24: 10 leased addresses in 10.64.0.20-10.64.0.29 (first 10.64.0.20): excluding stops DHCP from handing them out again, but each lease runs until it expires".into()],
        }]))),
    ));
    assert_eq!(status(&a).0, StatusKind::Warn);
    insta::assert_snapshot!("exclusion_preview_warns", shot(&a));
    // n goes back to the form, nothing sent.
    assert!(a.update(ch('n')).is_empty());
    assert!(matches!(a.layer.last(), Some(Modal::Form(_))));
}

#[test]
fn a_bulk_job_that_times_out_says_so_instead_of_waiting_forever() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::LeaseTime));
    typed(&mut a, "7200");
    let req = only(a.update(key(KeyCode::Enter)));
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Preview(vec![ServerPreview {
            server: "kea-hq".into(),
            changes: vec!["10.64.0.0/24: valid-lifetime 3600 -> 7200".into()],
            error: None,
            warnings: vec![],
        }]))),
    ));
    let apply = only(a.update(ch('y')));
    let why = "no answer from every server within 80 s: the change may or may not have been made on each; r reloads to see";
    a.update(respond(&apply, Payload::Bulk(Err(why.into()))));
    match a.layer.last() {
        Some(Modal::Message { text, error, .. }) => {
            assert!(error);
            assert_eq!(text, why);
        }
        other => panic!("the reason expected: {other:?}"),
    }
    assert_eq!(a.layer.len(), 1, "the waiting outcome gave way");
    assert_eq!(status(&a), (StatusKind::Error, why.to_string()));
    // A new bulk change may start: nothing is pending any more.
    assert!(a.layer_pending.is_none());
}

#[test]
fn space_in_a_network_view_marks_the_scope_under_its_cursor() {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/16");
    a.update(key(KeyCode::Enter));
    a.update(ch('j'));
    a.update(ch(' '));
    assert_eq!(
        a.marks.iter().cloned().collect::<Vec<_>>(),
        vec![("kea-hq".to_string(), net("10.64.1.0/24"))]
    );
    let text = shot(&a);
    let row = text.lines().find(|l| l.contains("10.64.1.0/24")).unwrap();
    assert!(row.contains('✓'), "{row}");
    // A filter that hides every scope: Space marks the network's scopes, not the tree's row.
    a.update(ch('/'));
    typed(&mut a, "zzz");
    a.update(key(KeyCode::Enter));
    a.update(ch(' '));
    assert_eq!(a.marks.len(), 2, "{:?}", a.marks);
    assert!(a
        .marks
        .contains(&("kea-hq".to_string(), net("10.64.0.0/24"))));
}

#[test]
fn the_servers_tab_says_the_service_state_in_the_fleet_words() {
    let mut a = app_with_fleet(80, 24);
    let reqs = a.update(ch('r'));
    let mut h = health_down();
    h.name = "kea-lab".into();
    h.error_kind = Some("daemon offline".into());
    h.error = Some("kea-dhcp4 behind the control agent at kea-lab does not answer".into());
    let lab = reqs
        .iter()
        .find(|r| r.target == Target::Fleet("kea-lab".into()))
        .unwrap();
    a.update(respond(lab, Payload::Health(Box::new(h))));
    let text = shot(&a);
    assert!(text.contains("✗ daemon stopped"), "{text}");
    assert!(text.contains("● running"), "{text}");
}

// ----- activate, deactivate, delete the marked scopes -----

/// kea-hq's tree with 10.64.0.0/24 marked, then kea-dc's tab opened (same data, other
/// name) with its 10.64.0.0/24 and 10.64.1.0/24 marked.
fn marked_on_two_servers() -> App {
    let mut a = tree();
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    a.update(ch('1'));
    a.update(ch('j'));
    let req = only(a.update(key(KeyCode::Enter)));
    let mut dc = server_data();
    dc.name = "kea-dc".into();
    a.update(respond(&req, Payload::Server(Ok(Arc::new(dc)))));
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    goto(&mut a, "10.64.1.0/24");
    a.update(ch(' '));
    assert_eq!(a.mark_counts(), (3, 2));
    a
}

fn outcome_rows(a: &App) -> Option<Vec<ServerOutcome>> {
    match a.layer.last() {
        Some(Modal::Outcome { rows, .. }) => rows.clone(),
        other => panic!("outcome expected, got {other:?}"),
    }
}

#[test]
fn deactivate_marked_scopes_on_two_servers_previews_then_sends_one_job_per_server() {
    let mut a = marked_on_two_servers();
    a.update(ch('B'));
    let req = only(pick(&mut a, Step::Scopes(ScopesOp::Deactivate)));
    assert_eq!(req.target, Target::Bulk);
    let Command::ScopesPreview { op, scopes } = job(&req) else {
        panic!("{req:?}")
    };
    assert_eq!(*op, ScopesOp::Deactivate);
    assert_eq!(
        scopes,
        &vec![
            ("kea-dc".to_string(), net("10.64.0.0/24")),
            ("kea-dc".to_string(), net("10.64.1.0/24")),
            ("kea-hq".to_string(), net("10.64.0.0/24")),
        ]
    );
    // y before the preview is in: nothing is sent.
    assert!(a.update(ch('y')).is_empty());
    let rows = vec![
        ServerPreview {
            server: "kea-dc".into(),
            changes: vec![
                "10.64.0.0/24: deactivated: DHCP stops serving it, it stays configured (4 lease(s), 1 reservation(s))".into(),
                "10.64.1.0/24: deactivated: DHCP stops serving it, it stays configured (0 lease(s), 0 reservation(s))".into(),
            ],
            error: None,
            warnings: vec![],
        },
        ServerPreview {
            server: "kea-hq".into(),
            changes: vec![
                "10.64.0.0/24: deactivated: DHCP stops serving it, it stays configured (12 lease(s), 2 reservation(s))".into(),
            ],
            error: None,
            warnings: vec![],
        },
    ];
    a.update(respond(&req, Payload::Bulk(Ok(BulkResult::Preview(rows)))));
    let s = shot(&a);
    assert!(
        s.contains("Deactivate 3 marked scope(s) on 2 server(s)"),
        "{s}"
    );
    assert!(s.contains("kea-dc") && s.contains("kea-hq"), "{s}");
    insta::assert_snapshot!("scopes_deactivate_preview", s);

    // y: one job per server, each with that server's marked scopes.
    let sent = a.update(ch('y'));
    assert_eq!(sent.len(), 2, "{sent:?}");
    let jobs: Vec<_> = sent
        .iter()
        .map(|r| (r.target.clone(), job(r).clone()))
        .collect();
    assert_eq!(
        jobs,
        vec![
            (
                Target::Bulk,
                Command::ScopesApply {
                    server: "kea-dc".into(),
                    op: ScopesOp::Deactivate,
                    cidrs: vec![net("10.64.0.0/24"), net("10.64.1.0/24")],
                }
            ),
            (
                Target::Bulk,
                Command::ScopesApply {
                    server: "kea-hq".into(),
                    op: ScopesOp::Deactivate,
                    cidrs: vec![net("10.64.0.0/24")],
                }
            ),
        ]
    );
    assert_eq!(outcome_rows(&a), None);
    // kea-hq answers first: its tab reloads, the table waits for kea-dc.
    let reload = a.update(respond(
        &sent[1],
        Payload::Bulk(Ok(BulkResult::Outcome(vec![ServerOutcome {
            server: "kea-hq".into(),
            peers: vec!["kea-hq".into(), "kea-hq-standby".into()],
            result: Ok("scope 10.64.0.0/24 deactivated: it allocates nothing".into()),
        }]))),
    ));
    assert_eq!(reload.len(), 1);
    assert!(is_load_server(&reload[0]));
    assert_eq!(outcome_rows(&a), None);
    assert_eq!(status(&a).0, StatusKind::Busy);
    // kea-dc failed (here: the worker's timeout): it shows, and kea-hq's success with it.
    a.update(respond(
        &sent[0],
        Payload::Bulk(Err(
            "no answer from every server within 20 s: the change may or may not have been made on each; r reloads to see".into(),
        )),
    ));
    let rows = outcome_rows(&a).expect("the outcome table");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].server, "kea-dc");
    assert!(rows[0].result.is_err());
    assert_eq!(rows[1].server, "kea-hq");
    assert!(rows[1].result.is_ok());
    assert_eq!(
        status(&a),
        (
            StatusKind::Error,
            "1 of 2 server(s) failed: see the outcome table".into()
        )
    );
    // Deactivating keeps the marks.
    assert_eq!(a.marks.len(), 3);
    insta::assert_snapshot!("scopes_deactivate_outcome", shot(&a));
    a.update(key(KeyCode::Esc));
    assert!(a.layer.is_empty());
}

#[test]
fn delete_marked_scopes_needs_admin_everywhere_and_clears_the_marks_of_what_went() {
    let mut a = marked_on_two_servers();
    // Operator only on kea-hq (the kea-dc tab is open): refused with the reason, nothing sent.
    a.rights.insert("kea-hq".into(), Role::Operator);
    a.update(ch('B'));
    assert!(pick(&mut a, Step::Scopes(ScopesOp::Delete)).is_empty());
    match a.layer.last() {
        Some(Modal::Message { text, error, .. }) => {
            assert!(*error);
            assert!(
                text.contains("admin role") && text.contains("kea-hq"),
                "{text}"
            );
        }
        other => panic!("refusal expected, got {other:?}"),
    }
    a.update(key(KeyCode::Esc));
    a.rights.insert("kea-hq".into(), Role::Admin);

    a.update(ch('B'));
    let req = only(pick(&mut a, Step::Scopes(ScopesOp::Delete)));
    assert!(matches!(
        job(&req),
        Command::ScopesPreview {
            op: ScopesOp::Delete,
            ..
        }
    ));
    // kea-dc's scope vanished meanwhile: that server cannot take it, kea-hq can.
    let rows = vec![
        ServerPreview {
            server: "kea-dc".into(),
            changes: vec![],
            error: Some("no scope 10.64.1.0/24 on server kea-dc: list them with `ddish export --what scopes --server kea-dc`".into()),
            warnings: vec![],
        },
        ServerPreview {
            server: "kea-hq".into(),
            changes: vec!["10.64.0.0/24: DELETED with its 12 lease(s), 2 reservation(s)".into()],
            error: None,
            warnings: vec!["10.64.0.0/24 still has 12 lease(s), 2 reservation(s): they go with it and its clients lose their addresses".into()],
        },
    ];
    a.update(respond(&req, Payload::Bulk(Ok(BulkResult::Preview(rows)))));
    insta::assert_snapshot!("scopes_delete_preview", shot(&a));
    // n cancels, nothing sent; B again to say yes.
    assert!(a.update(ch('n')).is_empty());
    assert!(a.layer.is_empty());
    a.update(ch('B'));
    let req = only(pick(&mut a, Step::Scopes(ScopesOp::Delete)));
    a.update(respond(
        &req,
        Payload::Bulk(Ok(BulkResult::Preview(vec![
            ServerPreview {
                server: "kea-hq".into(),
                changes: vec!["10.64.0.0/24: DELETED with its 0 lease(s), 0 reservation(s)".into()],
                error: None,
                warnings: vec![],
            },
            ServerPreview {
                server: "kea-dc".into(),
                changes: vec![],
                error: Some("kea-dc unreachable".into()),
                warnings: vec![],
            },
        ]))),
    ));
    // Only kea-hq gets a job; kea-dc is in the table as not sent.
    let sent = only(a.update(ch('y')));
    assert_eq!(
        job(&sent),
        &Command::ScopesApply {
            server: "kea-hq".into(),
            op: ScopesOp::Delete,
            cidrs: vec![net("10.64.0.0/24")],
        }
    );
    a.update(respond(
        &sent,
        Payload::Bulk(Ok(BulkResult::Outcome(vec![ServerOutcome {
            server: "kea-hq".into(),
            peers: vec!["kea-hq".into()],
            result: Ok(
                "scope 10.64.0.0/24 deleted (0 lease(s), 0 reservation(s) went with it)".into(),
            ),
        }]))),
    ));
    let rows = outcome_rows(&a).expect("the outcome table");
    assert_eq!(rows.len(), 2);
    assert!(
        matches!(&rows[0].result, Err(e) if e.contains("not sent") && e.contains("unreachable"))
    );
    assert!(rows[1].result.is_ok());
    // The deleted scope's mark went; kea-dc's stay.
    assert!(!a
        .marks
        .contains(&("kea-hq".to_string(), net("10.64.0.0/24"))));
    assert_eq!(a.marks.len(), 2);
}

// ----- K: the running configuration in the editor -----

fn edit_base() -> ddish::ops::EditBase {
    ddish::ops::EditBase {
        server: "kea-hq".into(),
        config: serde_json::json!({"Dhcp4": {
            "valid-lifetime": 3600,
            "hooks-libraries": [{"library": "ha.so", "parameters": {"high-availability": [{
                "peers": [{"name": "kea-dc", "basic-auth-password": "peer-secret"}]}]}}]
        }}),
    }
}

#[test]
fn k_edits_the_running_configuration_through_the_editor_and_a_question() {
    // A viewer has no K.
    let mut v = app_with_tree(80, 24);
    v.rights.insert("kea-hq".into(), Role::Viewer);
    assert!(v.update(ch('K')).is_empty());

    let mut a = app_with_tree(100, 30);
    a.rights.insert("kea-hq".into(), Role::Admin);
    let req = only(a.update(ch('K')));
    assert!(matches!(job(&req), Command::ConfigBase), "{req:?}");
    assert!(matches!(&req.target, Target::Layout { server } if server == "kea-hq"));
    a.update(respond(&req, Payload::EditBase(Ok(Box::new(edit_base())))));
    // The main loop hands the terminal to the editor once, with the secret masked.
    let ed = a.editor_request().expect("the editor opens");
    assert!(a.editor_request().is_none(), "asked once");
    assert!(!ed.text.contains("peer-secret") && ed.text.contains("********"));
    assert!(ed.notes.iter().any(|n| n.contains("kea-hq")));

    // Not JSON: the editor opens again with the reason on top.
    a.update(Msg::Edited(Ok(Some("{ broken".into()))));
    let again = a.editor_request().expect("reopened");
    assert!(
        again.notes[0].starts_with("ERROR: not JSON"),
        "{:?}",
        again.notes
    );
    assert_eq!(again.text, "{ broken", "the admin's text comes back");

    // An edit: every change in the question, then the write.
    let edited = ed.text.replace("3600", "4000");
    a.update(Msg::Edited(Ok(Some(edited))));
    let Some(Modal::Confirm(c)) = a.layer.last() else {
        panic!("a question, got {:?}", a.layer.last())
    };
    assert!(
        c.text.contains("/Dhcp4/valid-lifetime: 3600 → 4000"),
        "{}",
        c.text
    );
    assert!(!c.text.contains("peer-secret"));
    let req = only(a.update(ch('y')));
    assert!(matches!(job(&req), Command::ConfigEdit { .. }), "{req:?}");

    // Kea refuses: nothing was written, back to the editor with its reason.
    let why = "change on kea-hq not made: kea-hq: config-test failed: bad valid-lifetime";
    a.update(respond(
        &req,
        Payload::Action(Err(Fail::Failed(why.into()))),
    ));
    let back = a.editor_request().expect("the editor opens again");
    assert!(
        back.notes[0].contains("config-test failed"),
        "{:?}",
        back.notes
    );
    assert!(back.text.contains("4000"), "the edit is kept");

    // Left unchanged: nothing is sent, the edit is over.
    assert!(a.update(Msg::Edited(Ok(None))).is_empty());
    assert!(
        status(&a).1.contains("nothing was sent"),
        "{:?}",
        status(&a)
    );
    assert!(a.editor_request().is_none());
    // And K works again; while its question is up, not twice.
    let req = only(a.update(ch('K')));
    assert!(matches!(job(&req), Command::ConfigBase));
    a.update(respond(&req, Payload::EditBase(Ok(Box::new(edit_base())))));
    let ed = a.editor_request().unwrap();
    a.update(Msg::Edited(Ok(Some(ed.text.replace("3600", "4100")))));
    assert!(matches!(a.layer.last(), Some(Modal::Confirm(_))));
    assert!(a.update(ch('K')).is_empty(), "one edit at a time");
    // n: nothing sent, the edit is over.
    a.update(ch('n'));
    assert!(matches!(job(&only(a.update(ch('K')))), Command::ConfigBase));
}

// ----- custom options -----

/// The server's own option definitions (loaded with its tab) make its option names known
/// to the bulk option form, with values checked against their type; marked servers can
/// get a definition in bulk.
#[test]
fn bulk_option_forms_know_the_servers_own_options() {
    use ddish::model::option_defs::CustomOptionDef;
    let mut a = app_with_fleet(80, 24);
    a.rights.insert("kea-hq".into(), Role::Admin);
    let req = only(a.update(key(KeyCode::Enter)));
    let mut data = server_data();
    data.option_defs = vec![CustomOptionDef {
        name: "tftp-list".into(),
        code: 224,
        kind: "ipv4-address".into(),
        array: true,
        record_types: vec![],
        space: "dhcp4".into(),
    }];
    a.update(respond(&req, Payload::Server(Ok(Arc::new(data)))));
    goto(&mut a, "10.64.0.0/24");
    a.update(ch(' '));
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::SetOption));
    typed(&mut a, "tftp-lst");
    assert!(
        error_of(&a, "Option").unwrap().contains("tftp-list"),
        "the server's own are named"
    );
    a.update(key(KeyCode::Backspace));
    a.update(key(KeyCode::Backspace));
    typed(&mut a, "ist");
    assert_eq!(error_of(&a, "Option"), None);
    a.update(key(KeyCode::Tab));
    typed(&mut a, "10.0.0.9, nine");
    assert!(error_of(&a, "Value").unwrap().contains("tftp-list"));
    clear_field(&mut a);
    typed(&mut a, "10.0.0.9, 10.0.0.10");
    let req = only(a.update(key(KeyCode::Enter)));
    let Command::BulkPreview(c) = job(&req) else {
        panic!()
    };
    assert_eq!(
        c.op(),
        &BulkOp::SetOption {
            name: "tftp-list".into(),
            data: "10.0.0.9, 10.0.0.10".into()
        }
    );
    a.update(ch('n'));
    a.update(key(KeyCode::Esc));

    // Marked servers: define an option on all of them at once.
    a.update(ch('1'));
    a.update(ch(' '));
    a.update(ch('B'));
    pick(&mut a, Step::Bulk(BulkKind::DefineOption));
    typed(&mut a, "site-prio");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "225");
    a.update(key(KeyCode::Tab));
    for _ in 0..20 {
        if form(&a).fields.value("Type") == "uint16" {
            break;
        }
        a.update(key(KeyCode::Right));
    }
    assert_eq!(form(&a).fields.value("Type"), "uint16");
    let req = only(a.update(key(KeyCode::Enter)));
    let Command::BulkPreview(c) = job(&req) else {
        panic!()
    };
    assert!(
        matches!(c.op(), BulkOp::PutOptionDef(d) if d.name == "site-prio" && d.code == 225 && d.kind == "uint16")
    );
    assert_eq!(c.target(), &BulkTarget::Servers(vec!["kea-hq".into()]));
}
