//! The console's pure core: key events and worker responses in, state and requests out.
mod tui_support;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ddish::tui::app::{ExportJob, Msg, Payload, RequestKind, StatusKind, Target};
use ddish::tui::views::{Load, ScopeMode, View};
use tui_support::*;

#[test]
fn start_checks_every_server_and_results_fill_rows() {
    let mut a = app_sized(80, 24);
    let reqs = a.start();
    let targets: Vec<_> = reqs.iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            Target::Fleet("kea-hq".into()),
            Target::Fleet("kea-dc".into()),
            Target::Fleet("kea-lab".into())
        ]
    );
    assert!(reqs
        .iter()
        .all(|r| matches!(r.kind, RequestKind::CheckServer)));
    assert!(a.fleet.rows.iter().all(|r| r.checking));
    a.update(respond(&reqs[1], Payload::Health(Box::new(health_down()))));
    let dc = &a.fleet.rows[1];
    assert!(!dc.checking);
    assert!(!dc.health.as_ref().unwrap().reachable);
    assert!(a.fleet.rows[0].checking);
}

#[test]
fn open_server_adds_tab_and_loads_then_esc_goes_back() {
    let mut a = app_with_fleet(80, 24);
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(req.target, Target::Server("kea-hq".into()));
    assert!(is_load_server(&req));
    assert_eq!(a.tabs.len(), 1);
    assert_eq!(a.active, 1);
    assert_eq!(a.tab().unwrap().load, Load::Loading);

    a.update(respond(&req, Payload::Server(Ok(Arc::new(server_data())))));
    let t = a.tab().unwrap();
    assert_eq!(t.load, Load::Loaded);
    assert_eq!(t.loaded_at, Some(NOW - 5));
    let data = t.data.clone().unwrap();
    let labels: Vec<String> = t
        .tree
        .rows(&data.tree)
        .iter()
        .map(|r| r.node.label())
        .collect();
    assert_eq!(
        labels,
        [
            "10.0.0.0/8",
            "10.64.0.0/16",
            "10.64.0.0/24",
            "10.64.1.0/24",
            "10.64.2.0/24",
            "10.128.0.0/16",
            "Ungrouped subnets",
            "192.0.2.0/24"
        ]
    );

    // Esc at the tree goes back to the Servers tab; the tab stays open.
    a.update(key(KeyCode::Esc));
    assert_eq!(a.active, 0);
    assert_eq!(a.tabs.len(), 1);
    // Enter on the same server switches to its tab without a second load.
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(a.active, 1);
}

/// A server tab shows its tree as soon as Kea gave the configuration; the lease counts
/// (utilization) follow with a second request, and only for the load that asked.
#[test]
fn the_tree_comes_first_and_its_utilization_after() {
    use ddish::model::ScopeStats;
    use std::collections::HashMap;
    let mut a = app_with_fleet(80, 24);
    let req = only(a.update(key(KeyCode::Enter)));
    let full = server_data();
    let bare = full.with_stats(&HashMap::new());
    let reqs = a.update(respond(&req, Payload::Server(Ok(Arc::new(bare)))));
    // The stats, and the summary's address counts (a small server: every scope).
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let stats = reqs[0].clone();
    assert!(matches!(stats.kind, RequestKind::LoadStats), "{stats:?}");
    assert!(
        matches!(&reqs[1].target, Target::Counts { server, key } if server == "kea-hq" && key == "server"),
        "{reqs:?}"
    );
    assert_eq!((stats.gen, &stats.target), (req.gen, &req.target));
    let t = a.tab().unwrap();
    assert_eq!(t.load, Load::Loaded);
    let tree = &t.data.as_ref().unwrap().tree;
    assert!(tree.scopes.iter().all(|s| s.stats.is_none()));
    assert_eq!(tree.scopes.len(), full.tree.scopes.len());

    let counts: HashMap<u32, ScopeStats> = full
        .tree
        .scopes
        .iter()
        .filter_map(|s| s.stats.map(|st| (s.def.id, st)))
        .collect();
    assert!(a
        .update(respond(&stats, Payload::Stats(Ok(counts.clone()))))
        .is_empty());
    assert_eq!(a.tab().unwrap().data.as_ref().unwrap().tree, full.tree);

    // After a reload, the older load's counts are dropped; a failure keeps the tree.
    let reload = only(a.update(ch('r')));
    let stats2 = a.update(respond(
        &reload,
        Payload::Server(Ok(Arc::new(full.with_stats(&HashMap::new())))),
    ))[0]
        .clone();
    a.update(respond(&stats, Payload::Stats(Ok(counts))));
    assert!(a.tab().unwrap().data.as_ref().unwrap().tree.scopes[0]
        .stats
        .is_none());
    a.update(respond(&stats2, Payload::Stats(Err("timed out".into()))));
    assert_eq!(a.tab().unwrap().load, Load::Loaded);
    let st = a.status.as_ref().unwrap();
    assert_eq!(st.kind, StatusKind::Error);
    assert!(
        st.text.contains("lease counts not read (timed out)"),
        "{}",
        st.text
    );
}

#[test]
fn stale_generation_is_dropped() {
    let mut a = app_with_fleet(80, 24);
    let first = only(a.update(key(KeyCode::Enter)));
    // `r` supersedes the first load.
    let second = only(a.update(ch('r')));
    assert!(second.gen > first.gen);
    assert_eq!(second.target, first.target);
    a.update(respond(
        &first,
        Payload::Server(Ok(Arc::new(server_data()))),
    ));
    assert_eq!(a.tab().unwrap().load, Load::Loading);
    assert!(a.tab().unwrap().data.is_none());
    a.update(respond(&second, Payload::Server(Err("late".into()))));
    assert_eq!(a.tab().unwrap().load, Load::Failed("late".into()));

    // The same for fleet checks: an older check never overwrites a newer one.
    let mut a = app_sized(80, 24);
    let old = a.start();
    let new = a.update(ch('r'));
    assert_eq!(new.len(), 3);
    a.update(respond(&old[0], Payload::Health(Box::new(health_down()))));
    assert!(a.fleet.rows[0].health.is_none());
    a.update(respond(&new[0], Payload::Health(Box::new(health_up()))));
    assert!(a.fleet.rows[0].health.as_ref().unwrap().reachable);
}

#[test]
fn error_response_sets_the_tab_error_and_only_that_tab() {
    let mut a = app_with_tree(80, 24);
    // Open kea-dc too; it fails.
    a.update(ch('1'));
    a.update(ch('j'));
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(req.target, Target::Server("kea-dc".into()));
    let reason = "cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused";
    a.update(respond(&req, Payload::Server(Err(reason.into()))));
    assert_eq!(a.tabs[1].load, Load::Failed(reason.into()));
    assert_eq!(a.tabs[0].load, Load::Loaded);
    let screen = screen(&render(&a, 80, 24));
    assert!(screen.contains("connection refused"), "{screen}");
    // r retries that tab only.
    let retry = only(a.update(ch('r')));
    assert_eq!(retry.target, Target::Server("kea-dc".into()));
    assert_eq!(a.tabs[1].load, Load::Loading);
}

#[test]
fn quit_with_q_and_ctrl_c() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('q'));
    assert!(a.quit);
    let mut a = app_with_tree(80, 24);
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(a.quit);
}

#[test]
fn tabs_switch_with_tab_shift_tab_digits_and_close() {
    let mut a = app_with_tree(80, 24);
    assert_eq!(a.active, 1);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.active, 0);
    a.update(key(KeyCode::BackTab));
    assert_eq!(a.active, 1);
    a.update(ch('1'));
    assert_eq!(a.active, 0);
    a.update(ch('2'));
    assert_eq!(a.active, 1);
    a.update(ch('9'));
    assert_eq!(a.active, 1, "no tab 9: unchanged");
    a.update(ch('x'));
    assert!(a.tabs.is_empty());
    assert_eq!(a.active, 0);
}

#[test]
fn tree_folds_opens_network_and_scope() {
    let mut a = app_with_tree(80, 24);
    // Fold the container: only it and the ungrouped group remain.
    a.update(ch('h'));
    let rows = |a: &ddish::tui::app::App| {
        let t = a.tab().unwrap();
        t.tree.rows(&t.data.as_ref().unwrap().tree).len()
    };
    assert_eq!(rows(&a), 3);
    a.update(ch('l'));
    assert_eq!(rows(&a), 8);
    // Left on a leaf goes to its parent.
    tree_cursor_to(&mut a, "10.64.1.0/24");
    a.update(key(KeyCode::Left));
    assert_eq!(a.tab().unwrap().tree.list.cursor, 1);

    // Enter on a network opens its view and counts its scopes' addresses (summary card).
    let count = only(a.update(key(KeyCode::Enter)));
    let RequestKind::Screen(job) = &count.kind else {
        panic!("{count:?}")
    };
    assert!(
        matches!(&job.cmd, ddish::ops::Command::CountScopes { scopes, .. } if scopes.len() == 2),
        "office and lab; the missing printers scope is not counted: {:?}",
        job.cmd
    );
    let Some(View::Network(n)) = a.tab().unwrap().stack.last() else {
        panic!("network view expected")
    };
    assert_eq!(n.label, "10.64.0.0/16 Office");
    assert!(screen(&render(&a, 100, 30)).contains("Addresses   counting…"));
    let counted = ddish::model::ScopeCounts {
        total: 432,
        available: 200,
        assigned: 40,
        claimed: 3,
        held: 2,
        reserved: 2,
        excluded: 185,
        declined: 0,
        expired: 0,
        from_stats: false,
    };
    a.update(respond(
        &count,
        Payload::Screen(ddish::tui::screen::JobResult(Ok(
            ddish::ops::Outcome::Counts(counted),
        ))),
    ));
    let text = screen(&render(&a, 100, 30));
    assert!(
        text.contains("432 total · 200 avail. · 40 asgn · 3 clm · 2 held · 2 resv. · 185 excl."),
        "{text}"
    );
    // Its scopes: office, lab, printers (missing); Enter on the first loads it.
    let req = only(a.update(key(KeyCode::Enter)));
    match &req.kind {
        RequestKind::LoadScope(d) => assert_eq!(d.cidr.to_string(), "10.64.0.0/24"),
        k => panic!("{k:?}"),
    }
    a.update(respond(&req, Payload::Scope(Ok(Arc::new(office_view())))));
    let Some(View::Scope(s)) = a.tab().unwrap().stack.last() else {
        panic!("scope view expected")
    };
    assert_eq!(s.load, Load::Loaded);
    // The cursor starts on the first address of the range.
    assert_eq!(s.cursor, 10);
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Esc));
    assert!(a.tab().unwrap().stack.is_empty());
}

#[test]
fn missing_scope_shows_why_without_asking_the_server() {
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.2.0/24");
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let Some(View::Scope(s)) = a.tab().unwrap().stack.last() else {
        panic!()
    };
    match &s.load {
        Load::Failed(why) => assert!(why.contains("not a subnet on kea-hq"), "{why}"),
        l => panic!("{l:?}"),
    }
}

fn scope(a: &ddish::tui::app::App) -> &ddish::tui::views::ScopeState {
    match a.tab().unwrap().stack.last() {
        Some(View::Scope(s)) => s,
        _ => panic!("not in a scope"),
    }
}

#[test]
fn grid_moves_toggles_list_and_opens_popup() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    // 80 columns: 32 addresses per grid row.
    a.update(ch('j'));
    assert_eq!(scope(&a).cursor, 42);
    a.update(ch('l'));
    a.update(ch('l'));
    a.update(ch('k'));
    assert_eq!(scope(&a).cursor, 12);
    a.update(ch('G'));
    assert_eq!(scope(&a).cursor, 255);
    a.update(ch('g'));
    assert_eq!(scope(&a).cursor, 0);
    // In the list, only the range: the cursor snaps to 10.64.0.10 and moves by rows.
    a.update(ch('v'));
    assert_eq!(scope(&a).mode, ScopeMode::List);
    assert_eq!(scope(&a).cursor, 10);
    a.update(ch('j'));
    assert_eq!(scope(&a).cursor, 11);
    a.update(ch('G'));
    assert_eq!(scope(&a).cursor, 250);
    a.update(ch('v'));
    assert_eq!(scope(&a).mode, ScopeMode::Grid);
    assert_eq!(scope(&a).cursor, 250);
    // Enter opens the popup; keys other than Esc/Enter/?/q do nothing there.
    a.update(key(KeyCode::Enter));
    assert!(scope(&a).popup);
    a.update(ch('j'));
    assert_eq!(scope(&a).cursor, 250);
    a.update(key(KeyCode::Esc));
    assert!(!scope(&a).popup);
    assert!(matches!(
        a.tab().unwrap().stack.last(),
        Some(View::Scope(_))
    ));
}

#[test]
fn slash16_pages_keep_the_cursor_visible() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.128.0.0/16", campus_view());
    a.update(key(KeyCode::PageDown));
    let s = scope(&a);
    // Cursor starts at .0.1; a page is visible rows x 32.
    assert!(s.cursor > 32 * 5, "{}", s.cursor);
    assert!(s.grid_top > 0);
    let row = s.cursor / 32;
    assert!(row >= s.grid_top && row < s.grid_top + 12);
    a.update(ch('G'));
    assert_eq!(scope(&a).cursor, 65535);
    assert_eq!(scope(&a).grid_top, 2048 - 10);
}

#[test]
fn filter_narrows_and_esc_clears() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('/'));
    assert!(a.filter_editing);
    for c in "dc".chars() {
        a.update(ch(c));
    }
    assert_eq!(a.fleet.visible(), vec![1]);
    a.update(key(KeyCode::Enter));
    assert!(!a.filter_editing);
    assert_eq!(a.fleet.filter, "dc");
    // Enter now opens the one visible server.
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(req.target, Target::Server("kea-dc".into()));
    a.update(ch('1'));
    a.update(key(KeyCode::Esc));
    assert_eq!(a.fleet.filter, "");
    assert_eq!(a.fleet.visible().len(), 3);

    // Version matches too.
    a.update(ch('/'));
    for c in "2.2".chars() {
        a.update(ch(c));
    }
    assert_eq!(a.fleet.visible(), vec![0]);
    // Esc while typing clears.
    a.update(key(KeyCode::Esc));
    assert!(!a.filter_editing);
    assert_eq!(a.fleet.visible().len(), 3);
}

#[test]
fn tree_filter_keeps_path_and_children() {
    let mut a = app_with_tree(80, 24);
    a.update(ch('/'));
    for c in "office".chars() {
        a.update(ch(c));
    }
    let t = a.tab().unwrap();
    let labels: Vec<String> = t
        .tree
        .rows(&t.data.as_ref().unwrap().tree)
        .iter()
        .map(|r| r.node.label())
        .collect();
    // The network "Office" with its scopes, the scope titled "Office LAN", and their parent.
    assert_eq!(
        labels,
        [
            "10.0.0.0/8",
            "10.64.0.0/16",
            "10.64.0.0/24",
            "10.64.1.0/24",
            "10.64.2.0/24"
        ]
    );
}

#[test]
fn scope_filter_by_hostname_mac_and_state() {
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('v'));
    a.update(ch('/'));
    for c in "desk-2".chars() {
        a.update(ch(c));
    }
    let s = scope(&a);
    // desk-20..desk-29
    assert_eq!(s.list_len(), 10);
    assert_eq!(s.cursor, 20);
    a.update(key(KeyCode::Esc));
    a.update(ch('/'));
    for c in "held".chars() {
        a.update(ch(c));
    }
    assert_eq!(scope(&a).matches.as_deref(), Some(&[60u32][..]));
    a.update(key(KeyCode::Esc));
    a.update(ch('/'));
    for c in "02:00:00:00:00:15".chars() {
        a.update(ch(c));
    }
    assert_eq!(scope(&a).matches.as_deref(), Some(&[15u32][..]));
}

#[test]
fn export_sends_the_filtered_view_and_shows_the_path() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('/'));
    a.update(ch('h'));
    a.update(ch('q'));
    a.update(key(KeyCode::Enter));
    let req = only(a.update(ch('e')));
    match &req.kind {
        RequestKind::Export(ExportJob::Servers(rows)) => {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].name, "kea-hq");
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(a.status.as_ref().unwrap().kind, StatusKind::Busy);
    let path = std::path::PathBuf::from("/tmp/ddish-servers-x.csv");
    a.update(respond(&req, Payload::Exported(Ok(path))));
    let st = a.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Info);
    assert_eq!(st.text, "exported to /tmp/ddish-servers-x.csv");
    // The message stays until the next key.
    a.update(Msg::Now(NOW + 1));
    assert!(a.status.is_some());
    a.update(ch('j'));
    assert!(a.status.is_none());

    // A scope export carries the scope view and the filter text.
    let mut a = app_with_tree(80, 24);
    open_scope(&mut a, "10.64.0.0/24", office_view());
    a.update(ch('/'));
    a.update(ch('n'));
    a.update(ch('a'));
    a.update(ch('s'));
    a.update(key(KeyCode::Enter));
    match only(a.update(ch('e'))).kind {
        RequestKind::Export(ExportJob::Ips {
            server,
            view,
            filter,
            sweep,
        }) => {
            assert!(sweep.is_none(), "no sweep was run");
            assert_eq!(server, "kea-hq");
            assert_eq!(view.def.cidr.to_string(), "10.64.0.0/24");
            assert_eq!(filter, "nas");
        }
        k => panic!("{k:?}"),
    }
    // Tree export: the scopes the filter shows. (Esc clears the filter, Esc leaves the scope.)
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Esc));
    a.update(ch('/'));
    a.update(ch('1'));
    a.update(ch('9'));
    a.update(ch('2'));
    a.update(key(KeyCode::Enter));
    match only(a.update(ch('e'))).kind {
        RequestKind::Export(ExportJob::Scopes {
            data, scopes, what, ..
        }) => {
            assert_eq!(what, "scopes");
            let cidrs: Vec<String> = scopes
                .iter()
                .map(|i| data.tree.scopes[*i].def.cidr.to_string())
                .collect();
            assert_eq!(cidrs, ["192.0.2.0/24"]);
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn export_before_load_explains() {
    let mut a = app_with_fleet(80, 24);
    a.update(key(KeyCode::Enter));
    assert!(a.update(ch('e')).is_empty());
    let st = a.status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Error);
    assert!(st.text.contains("not loaded yet"), "{}", st.text);
}

#[test]
fn refresh_timer_rechecks_and_reloads_without_piling_up() {
    let mut a = app_with_tree(80, 24);
    // The fleet's lab row is still checking: only hq and dc are re-checked; the tree reloads.
    let reqs = a.update(Msg::Refresh);
    let targets: Vec<_> = reqs.iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            Target::Fleet("kea-hq".into()),
            Target::Fleet("kea-dc".into()),
            Target::Server("kea-hq".into())
        ]
    );
    // Still loading: the next tick does not restart the load.
    let again = a.update(Msg::Refresh);
    assert!(again.iter().all(|r| !matches!(r.target, Target::Server(_))));
    // Data stays visible while reloading, and the cursor stays on its node.
    tree_cursor_to_while_loading(&mut a);
    let load = reqs.into_iter().find(is_load_server).unwrap();
    let mut d = server_data();
    d.loaded_at = NOW + 30;
    a.update(respond(&load, Payload::Server(Ok(Arc::new(d)))));
    let t = a.tab().unwrap();
    assert_eq!(t.loaded_at, Some(NOW + 30));
    let rows = t.tree.rows(&t.data.as_ref().unwrap().tree);
    assert_eq!(rows[t.tree.list.cursor].node.label(), "10.128.0.0/16");
}

fn tree_cursor_to_while_loading(a: &mut ddish::tui::app::App) {
    assert!(a.tab().unwrap().data.is_some());
    tree_cursor_to(a, "10.128.0.0/16");
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut a = app_with_fleet(80, 24);
    a.update(ch('?'));
    assert_eq!(a.help, Some(0));
    a.update(ch('j'));
    assert_eq!(a.help, Some(1));
    for _ in 0..200 {
        a.update(ch('j'));
    }
    let max = a.help.unwrap();
    assert!(max > 1 && max < 200, "{max}");
    // Keys of the views do nothing while help is open.
    a.update(key(KeyCode::Enter));
    assert!(a.tabs.is_empty());
    a.update(key(KeyCode::Esc));
    assert_eq!(a.help, None);
}

#[test]
fn responses_for_closed_tabs_and_left_views_are_dropped() {
    let mut a = app_with_tree(80, 24);
    tree_cursor_to(&mut a, "10.64.0.0/24");
    let req = only(a.update(key(KeyCode::Enter)));
    a.update(key(KeyCode::Esc));
    a.update(respond(&req, Payload::Scope(Ok(Arc::new(office_view())))));
    assert!(a.tab().unwrap().stack.is_empty());
    // Closed tab.
    let reload = only(a.update(ch('r')));
    a.update(ch('x'));
    a.update(respond(&reload, Payload::Server(Err("gone".into()))));
    assert!(a.tabs.is_empty());
}

#[test]
fn tiny_terminal_never_panics() {
    for (w, h) in [(1, 1), (10, 5), (39, 11), (40, 12), (80, 24), (200, 60)] {
        let mut a = app_with_tree(w, h);
        let _ = render(&a, w, h);
        open_scope(&mut a, "10.128.0.0/16", campus_view());
        for k in ['j', 'G', 'v', 'k', 'g'] {
            a.update(ch(k));
            let _ = render(&a, w, h);
        }
        a.update(key(KeyCode::Enter));
        let _ = render(&a, w, h);
        a.update(ch('?'));
        let _ = render(&a, w, h);
    }
}

/// A server with 300 subnets and no ddish networks: the tree shows folded address blocks
/// with their scope count and utilization, not 300 rows; → opens one, the filter finds a
/// scope inside a folded block.
#[test]
fn a_big_server_tree_is_grouped_into_folded_blocks() {
    use ddish::model::tree::{ScopeSummary, ServerTree};
    use ddish::model::{ScopeStats, ScopeStatus};
    let mut a = app_with_fleet(100, 30);
    let req = only(a.update(key(KeyCode::Enter)));
    let scopes: Vec<ScopeSummary> = (0..300u32)
        .map(|i| {
            let net = std::net::Ipv4Addr::from(u32::from(ip("10.50.0.0")) + (i << 8));
            let mut d = def(
                &format!("{net}/24"),
                &format!("{}-{}", net, std::net::Ipv4Addr::from(u32::from(net) + 254)),
                &[],
                ScopeStatus::Active,
            );
            d.id = i + 1;
            ScopeSummary {
                def: d,
                stats: Some(ScopeStats {
                    total: 100,
                    assigned: 25,
                    declined: 0,
                }),
            }
        })
        .collect();
    let mut data = server_data();
    data.networks = vec![];
    data.tree = ServerTree::build(&[], scopes);
    a.update(respond(&req, Payload::Server(Ok(Arc::new(data)))));
    let text = screen(&render(&a, 100, 30));
    // 300 /24s from 10.50.0.0: blocks of at most 64 (/18s), folded.
    assert!(text.contains("▸ 10.50.0.0/18 block"), "{text}");
    assert!(text.contains("64 scopes"), "{text}");
    assert!(text.contains("25.0%"), "{text}");
    assert!(!text.contains("10.50.1.0/24"), "folded: {text}");
    let rows = a
        .tab()
        .unwrap()
        .tree
        .rows(&a.tab().unwrap().data.as_ref().unwrap().tree);
    assert_eq!(rows.len(), 5, "300 scopes in 5 blocks");
    // → opens the block under the cursor.
    a.update(key(KeyCode::Right));
    let text = screen(&render(&a, 100, 30));
    assert!(
        text.contains("▾ 10.50.0.0/18 block") && text.contains("10.50.1.0/24"),
        "{text}"
    );
    // ← folds it again.
    a.update(key(KeyCode::Left));
    assert!(!screen(&render(&a, 100, 30)).contains("10.50.1.0/24"));
    // The filter finds a scope in a folded block.
    a.update(ch('/'));
    typed(&mut a, "10.50.200.0");
    a.update(key(KeyCode::Enter));
    let text = screen(&render(&a, 100, 30));
    assert!(text.contains("10.50.200.0/24"), "{text}");
}

/// A server with more scopes than are counted from their leases: its summary is told from
/// Kea's statistics (holds and claims inside assigned), once they arrive.
#[test]
fn a_big_servers_summary_comes_from_its_statistics() {
    use ddish::model::tree::ScopeSummary;
    use ddish::model::{RangeSet, ScopeDef, ScopeStats, ServerTree};
    let mut a = app_with_fleet(120, 30);
    let load = only(a.update(key(KeyCode::Enter)));
    let scopes: Vec<ScopeSummary> = (0..100u32)
        .map(|i| {
            let cidr: ipnet::Ipv4Net = format!("10.{}.{}.0/24", 100 + i / 256, i % 256)
                .parse()
                .unwrap();
            let pool = ddish::model::Range::new(
                std::net::Ipv4Addr::from(u32::from(cidr.network()) + 10),
                std::net::Ipv4Addr::from(u32::from(cidr.network()) + 109),
            )
            .unwrap();
            ScopeSummary {
                def: ScopeDef::bare(i + 1, cidr, RangeSet::from_ranges([pool])),
                stats: None,
            }
        })
        .collect();
    let mut data = server_data();
    data.commands.push("stat-lease4-get".into());
    data.tree = ServerTree::build(&[], scopes);
    data.networks = vec![];
    let reqs = a.update(respond(&load, Payload::Server(Ok(Arc::new(data)))));
    // No count of 100 scopes' leases is asked for; the statistics are.
    assert!(
        reqs.iter()
            .all(|r| !matches!(r.kind, RequestKind::Screen(_))),
        "{reqs:?}"
    );
    let stats = reqs
        .iter()
        .find(|r| matches!(r.kind, RequestKind::LoadStats))
        .expect("statistics asked for");
    let text = screen(&render(&a, 120, 30));
    assert!(
        text.contains("100 scopes: waiting for Kea's lease statistics"),
        "{text}"
    );
    let by_id = (1..=100u32)
        .map(|id| {
            (
                id,
                ScopeStats {
                    total: 100,
                    assigned: 30,
                    declined: 1,
                },
            )
        })
        .collect();
    a.update(respond(stats, Payload::Stats(Ok(by_id))));
    let text = screen(&render(&a, 120, 30));
    // Each /24: 254 in range (derived from the pool: 100), 30 assigned, 1 declined.
    assert!(
        text.contains("10000 total · 6900 avail. · 3000 asgn (holds, claims incl.) · 0 resv. · 0 excl. · 100 decl."),
        "{text}"
    );
    assert!(text.contains("from Kea's statistics"), "{text}");
}
