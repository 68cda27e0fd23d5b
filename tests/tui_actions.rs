//! The console's IP and scope actions (issue 3) through `App::update`: which actions each
//! address state offers, roles and read-only, forms with live checks, confirmations, the
//! server's confirmation question, results and reloads; and 80x24 snapshots of every popup.
mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use ddish::ops::{ClaimRequest, Ident, ReservationRequest, ReservationType};
use ddish::probe::{PingResult, SocketKind};
use ddish::tui::actions::{Command, Done, Fail, HistoryRow, Modal};
use ddish::tui::app::{App, Msg, Payload, RequestKind, StatusKind, Target};
use ddish::tui::keymap::{Action, Role};
use tui_support::*;

const OPERATOR: Role = Role::Operator;

fn top(a: &App) -> Option<&Modal> {
    scope_state(a).modals.last()
}

fn menu_items(a: &App) -> Vec<Action> {
    match top(a) {
        Some(Modal::Menu(m)) => m.items.clone(),
        other => panic!("menu expected, got {other:?}"),
    }
}

// ----- which actions an address offers -----

#[test]
fn menu_offers_only_what_the_state_allows() {
    use Action::*;
    let mut a = office_with(Role::Admin);
    let cases: [(&str, &[Action]); 6] = [
        (
            "10.64.0.70",
            &[Hold, Claim, Reserve, Ping, DnsAdd, DnsDelete, History],
        ),
        (
            "10.64.0.60",
            &[Release, Claim, Reserve, Ping, DnsAdd, DnsDelete, History],
        ),
        ("10.64.0.61", &[Unclaim, Ping, DnsAdd, DnsDelete, History]),
        // Excluded: claim yes, never a hold or a reservation.
        ("10.64.0.12", &[Claim, Ping, DnsAdd, DnsDelete, History]),
        // Reserved: edit or delete the reservation.
        (
            "10.64.0.15",
            &[Reserve, Unreserve, Ping, DnsAdd, DnsDelete, History],
        ),
        // Leased by DHCP: a reservation (the server asks first) or the lease copied as
        // one; no hold or claim.
        (
            "10.64.0.21",
            &[Reserve, ReserveLease, Ping, DnsAdd, DnsDelete, History],
        ),
    ];
    for (addr, want) in cases {
        cursor_to(&mut a, addr);
        a.update(ch('a'));
        assert_eq!(menu_items(&a), want, "{addr}");
        a.update(key(KeyCode::Esc));
        assert!(top(&a).is_none());
    }
    // The network address: nothing but its history.
    cursor_to(&mut a, "10.64.0.0");
    a.update(ch('a'));
    assert_eq!(menu_items(&a), [History]);
}

#[test]
fn r_copies_a_lease_as_its_clients_reservation_after_a_question() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.33");
    assert!(a.update(ch('R')).is_empty(), "a question first");
    let Some(Modal::Confirm(c)) = top(&a) else {
        panic!("confirmation: {:?}", top(&a))
    };
    assert_eq!(
        c.text,
        "Reserve 10.64.0.33 for aa:bb:cc:00:00:21 (desk-33)? Its client keeps this address from now on."
    );
    let req = only(a.update(ch('y')));
    assert_eq!(
        job(&req),
        &Command::Reserve {
            ip: ip("10.64.0.33"),
            reservation: ReservationRequest {
                ident: Ident::Mac("aa:bb:cc:00:00:21".into()),
                kind: ReservationType::Dhcp,
                hostname: Some("desk-33".into()),
                description: None,
            },
            confirmed: false,
        }
    );
    // Held, claimed, free or reserved addresses have no client lease to copy.
    for (addr, why) in [
        (
            "10.64.0.60",
            "10.64.0.60 is Held: only an address leased to a client",
        ),
        (
            "10.64.0.70",
            "10.64.0.70 is Available: only an address leased",
        ),
        ("10.64.0.15", "10.64.0.15 is reserved already"),
    ] {
        let mut a = office_with(Role::Admin);
        cursor_to(&mut a, addr);
        assert!(a.update(ch('R')).is_empty());
        let (kind, text) = status(&a);
        assert_eq!(kind, StatusKind::Error);
        assert!(text.starts_with(why), "{text}");
        assert!(top(&a).is_none());
    }
    // A viewer has no such key.
    let mut v = office_with(Role::Viewer);
    cursor_to(&mut v, "10.64.0.33");
    assert!(v.update(ch('R')).is_empty());
    assert!(top(&v).is_none());
}

#[test]
fn reservation_is_never_offered_on_an_excluded_address() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.12");
    assert!(a.update(ch('s')).is_empty());
    assert!(top(&a).is_none(), "no form opens");
    let (k, text) = status(&a);
    assert_eq!(k, StatusKind::Error);
    assert!(text.contains("excluded"), "{text}");
    // Nor a hold.
    assert!(a.update(ch('H')).is_empty());
    assert!(status(&a).1.contains("excluded"));
}

#[test]
fn menu_runs_the_selected_action_and_its_letters() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    // From the IP popup: Enter opens the menu.
    a.update(key(KeyCode::Enter));
    assert!(scope_state(&a).popup);
    a.update(key(KeyCode::Enter));
    assert_eq!(menu_items(&a)[0], Action::Hold);
    // Enter on the first item holds the address.
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::Hold {
            ip: ip("10.64.0.70")
        }
    );
    assert!(top(&a).is_none());
    // A letter runs its action from the menu too.
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('a'));
    a.update(ch('c'));
    assert!(matches!(top(&a), Some(Modal::Form(_))));
}

// ----- roles and read-only -----

#[test]
fn a_viewer_sees_no_write_action_and_write_keys_do_nothing() {
    let mut a = office_with(Role::Viewer);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('a'));
    assert_eq!(menu_items(&a), [Action::Ping, Action::History]);
    a.update(key(KeyCode::Esc));
    for k in ['n', 'N', 'H', 'c', 's', 'd', 'D', 'U', 'C', 'S'] {
        assert!(a.update(ch(k)).is_empty(), "{k}");
        assert!(top(&a).is_none(), "{k} opened something");
        assert!(a.status.is_none(), "{k} said something");
    }
    let footer = shot(&a);
    assert!(!footer.contains("next free"), "{footer}");
    // The exclusions panel is readable; changing it is not.
    a.update(ch('X'));
    assert!(matches!(top(&a), Some(Modal::Exclusions { .. })));
    assert!(a.update(ch('a')).is_empty());
    assert!(a.update(ch('d')).is_empty());
    assert!(matches!(top(&a), Some(Modal::Exclusions { .. })));
    // Help lists no write key.
    a.update(key(KeyCode::Esc));
    a.update(ch('?'));
    let help = shot(&a);
    assert!(!help.contains("hold this address"), "{help}");
}

#[test]
fn read_only_hides_writes_whatever_the_role() {
    let mut a = office_with(Role::Admin);
    a.read_only = true;
    cursor_to(&mut a, "10.64.0.60");
    a.update(ch('a'));
    assert_eq!(menu_items(&a), [Action::Ping, Action::History]);
    a.update(key(KeyCode::Esc));
    assert!(a.update(ch('U')).is_empty());
    assert!(a.update(ch('n')).is_empty());
    assert!(top(&a).is_none());
}

#[test]
fn an_operator_changes_addresses_but_not_exclusions() {
    let mut a = office_with(OPERATOR);
    cursor_to(&mut a, "10.64.0.70");
    assert_eq!(
        only(a.update(ch('H'))).target,
        Target::Action {
            server: "kea-hq".into(),
            cidr: "10.64.0.0/24".parse().unwrap()
        }
    );
    let mut a = office_with(OPERATOR);
    a.update(ch('X'));
    assert!(a.update(ch('a')).is_empty());
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(matches!(top(&a), Some(Modal::Exclusions { .. })));
}

// ----- forms -----

#[test]
fn claim_form_refuses_a_bad_mac_then_sends_it_normalised() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('c'));
    let Some(Modal::Form(f)) = top(&a) else {
        panic!("claim form")
    };
    assert_eq!(f.title, "Claim 10.64.0.70");
    // An empty required MAC shows its error only after Enter.
    assert_eq!(f.shown_error(0), None);
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert_eq!(f.shown_error(0).as_deref(), Some("required"));
    typed(&mut a, "aa:bb:zz");
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert!(f.shown_error(0).unwrap().contains("not a MAC"));
    assert!(
        a.update(key(KeyCode::Enter)).is_empty(),
        "a bad MAC is not sent"
    );
    clear_field(&mut a);
    typed(&mut a, "AA-BB-CC-00-00-70");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "bad_host!");
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert!(f.shown_error(1).is_some());
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert_eq!(f.fields.focus, 1, "Enter goes to the first field in error");
    clear_field(&mut a);
    typed(&mut a, "printer-3");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "room 3.01");
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::Claim {
            ip: ip("10.64.0.70"),
            claim: ClaimRequest {
                mac: "aa:bb:cc:00:00:70".into(),
                hostname: Some("printer-3".into()),
                comment: Some("room 3.01".into()),
            },
        }
    );
    assert_eq!(status(&a).0, StatusKind::Busy);
    assert!(scope_state(&a).pending.is_some());
}

#[test]
fn success_reloads_the_scope_and_keeps_the_cursor() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('c'));
    typed(&mut a, "aa:bb:cc:00:00:70");
    let req = only(a.update(key(KeyCode::Enter)));
    let reload = only(a.update(respond(
        &req,
        done("10.64.0.70 claimed for aa:bb:cc:00:00:70"),
    )));
    assert!(matches!(reload.kind, RequestKind::ReloadScope(c) if c.to_string() == "10.64.0.0/24"));
    assert!(matches!(reload.target, Target::Scope { .. }));
    assert!(top(&a).is_none(), "the form closed");
    assert!(scope_state(&a).pending.is_none());
    assert_eq!(
        status(&a),
        (
            StatusKind::Info,
            "10.64.0.70 claimed for aa:bb:cc:00:00:70".into()
        )
    );
    // The reload brings a new definition and leases; the cursor stays on .70.
    let mut d = office_def();
    d.title = Some("Office LAN (renamed)".into());
    let v = ddish::model::ScopeView::build(d, vec![], NOW);
    a.update(respond(
        &reload,
        Payload::Reloaded(Ok((Arc::new(server_data()), Arc::new(v)))),
    ));
    let s = scope_state(&a);
    assert_eq!(s.label, "10.64.0.0/24 (Office LAN (renamed))");
    assert_eq!(s.cursor_ip(), Some(ip("10.64.0.70")));
}

#[test]
fn hold_next_free_moves_the_cursor_to_the_held_address() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.20");
    let req = only(a.update(ch('n')));
    assert!(matches!(job(&req), Command::HoldFree { random: false, scope } if scope.id == 11));
    // Made against the configuration the tab shows, not a later background load.
    let b = req
        .baseline
        .as_ref()
        .expect("a change carries its view's baseline");
    assert_eq!((b.digest, b.hash.as_deref()), (42, Some("HASH-AS-SHOWN")));
    // One change at a time per scope.
    assert!(a.update(ch('N')).is_empty());
    assert!(status(&a)
        .1
        .starts_with("still holding a next free address"));
    let reload = only(a.update(respond(
        &req,
        Payload::Action(Ok(Done {
            summary: "10.64.0.64 held for 1h (on kea-hq, kea-dc)".into(),
            warnings: vec![],
            ip: Some(ip("10.64.0.64")),
            view: None,
        })),
    )));
    assert!(matches!(reload.kind, RequestKind::ReloadScope(_)));
    assert_eq!(scope_state(&a).cursor_ip(), Some(ip("10.64.0.64")));
    let req = only(a.update(ch('N')));
    assert!(matches!(job(&req), Command::HoldFree { random: true, .. }));
    // The tab was loaded before this console's own change: no longer the baseline (the
    // session's record after its write is).
    assert_eq!(req.baseline, None);
}

#[test]
fn removals_ask_first_and_no_sends_nothing() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.60");
    assert!(a.update(ch('U')).is_empty());
    let Some(Modal::Confirm(c)) = top(&a) else {
        panic!("confirmation")
    };
    assert!(
        c.text.contains("10.64.0.60") && c.text.contains("alice"),
        "{}",
        c.text
    );
    assert!(a.update(ch('n')).is_empty());
    assert!(top(&a).is_none());
    assert!(status(&a).1.contains("nothing was changed"));
    a.update(ch('U'));
    let req = only(a.update(ch('y')));
    assert_eq!(
        job(&req),
        &Command::Release {
            ip: ip("10.64.0.60")
        }
    );
    // Unclaim and delete-reservation ask too.
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.61");
    assert!(a.update(ch('C')).is_empty());
    assert!(matches!(top(&a), Some(Modal::Confirm(_))));
    assert_eq!(
        job(&only(a.update(ch('y')))),
        &Command::Unclaim {
            ip: ip("10.64.0.61")
        }
    );
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.15");
    assert!(a.update(ch('S')).is_empty());
    assert_eq!(
        job(&only(a.update(ch('y')))),
        &Command::Unreserve {
            ip: ip("10.64.0.15")
        }
    );
}

#[test]
fn the_servers_question_comes_back_as_a_confirmation_and_is_resent_confirmed() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    a.update(ch('s'));
    let Some(Modal::Form(f)) = top(&a) else {
        panic!("reservation form")
    };
    // Filled from the lease; the lease warning shows before sending.
    assert_eq!(f.fields.list[1].value(), "aa:bb:cc:00:00:15");
    assert!(f.notes().is_empty(), "same client as the lease: no warning");
    // Another client's MAC: the warning appears.
    clear_field(&mut a);
    typed(&mut a, "02:00:00:00:99:99");
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert!(
        f.notes()[0].contains("leased to aa:bb:cc:00:00:15"),
        "{:?}",
        f.notes()
    );
    let req = only(a.update(key(KeyCode::Enter)));
    let first = job(&req).clone();
    assert!(matches!(
        first,
        Command::Reserve {
            confirmed: false,
            reservation: ReservationRequest {
                kind: ReservationType::Dhcp,
                ident: Ident::Mac(_),
                ..
            },
            ..
        }
    ));
    let msg = "10.64.0.21 is leased to aa:bb:cc:00:00:15 until 23:03: reserve it for 02:00:00:00:99:99 anyway?";
    assert!(a
        .update(respond(
            &req,
            Payload::Action(Err(Fail::NeedsConfirmation(msg.into())))
        ))
        .is_empty());
    let Some(Modal::Confirm(c)) = top(&a) else {
        panic!("confirmation")
    };
    assert_eq!(c.text, msg);
    let again = only(a.update(ch('y')));
    assert_eq!(job(&again), &first.clone().confirmed());
    assert!(matches!(
        job(&again),
        Command::Reserve {
            confirmed: true,
            ..
        }
    ));
}

#[test]
fn a_refusal_keeps_the_form_open_with_the_reason() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('s'));
    // The form opens on the MAC, where one types.
    typed(&mut a, "02:00:00:00:00:70");
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Right));
    let req = only(a.update(key(KeyCode::Enter)));
    assert!(matches!(
        job(&req),
        Command::Reserve {
            reservation: ReservationRequest {
                kind: ReservationType::Bootp,
                ..
            },
            ..
        }
    ));
    let why = "kea-hq has no bootp hook (libdhcp_bootp.so): BOOTP reservations need it; add it to hooks-libraries or choose DHCP";
    a.update(respond(
        &req,
        Payload::Action(Err(Fail::Failed(why.into()))),
    ));
    let Some(Modal::Form(f)) = top(&a) else {
        panic!("the form stays")
    };
    assert_eq!(f.error.as_deref(), Some(why));
    assert_eq!(status(&a).0, StatusKind::Error);
    // Without a form the reason opens in a message.
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    let req = only(a.update(ch('H')));
    a.update(respond(
        &req,
        Payload::Action(Err(Fail::Failed(
            "10.64.0.70 was taken meanwhile by aa:bb:cc:dd:ee:ff".into(),
        ))),
    ));
    let Some(Modal::Message {
        text, error: true, ..
    }) = top(&a)
    else {
        panic!("message")
    };
    assert!(text.contains("taken meanwhile"));
    a.update(key(KeyCode::Esc));
    assert!(top(&a).is_none());
}

#[test]
fn warnings_after_success_are_shown_in_full() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    let req = only(a.update(ch('H')));
    a.update(respond(
        &req,
        Payload::Action(Ok(Done {
            summary: "10.64.0.70 held for 1h on kea-hq".into(),
            warnings: vec!["kea-dc did not answer: the hold is on kea-hq only".into()],
            ip: Some(ip("10.64.0.70")),
            view: None,
        })),
    ));
    assert_eq!(status(&a).0, StatusKind::Warn);
    let Some(Modal::Message {
        text, error: false, ..
    }) = top(&a)
    else {
        panic!("message")
    };
    assert!(text.contains("kea-dc did not answer"));
}

#[test]
fn exclusion_form_checks_range_order_scope_and_reservations() {
    let mut a = office_with(Role::Admin);
    a.update(ch('X'));
    a.update(ch('a'));
    let err = |a: &App, i: usize| match top(a) {
        Some(Modal::Form(f)) => f.shown_error(i),
        _ => panic!("form"),
    };
    typed(&mut a, "10.64.0.90");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "10.64.0.80");
    assert!(err(&a, 1).unwrap().contains("comes before the start"));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.251");
    assert!(err(&a, 1).unwrap().contains("outside the scope range"));
    a.update(key(KeyCode::BackTab));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.14");
    a.update(key(KeyCode::Tab));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.16");
    assert!(err(&a, 1)
        .unwrap()
        .contains("covers the reservation of 10.64.0.15"));
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    // Leased addresses inside warn but don't block.
    a.update(key(KeyCode::BackTab));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.55");
    a.update(key(KeyCode::Tab));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.58");
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert!(
        f.notes()[0].contains("4 leased addresses inside"),
        "{:?}",
        f.notes()
    );
    let req = only(a.update(key(KeyCode::Enter)));
    assert!(
        matches!(job(&req), Command::Exclude { range, replaces: None, confirmed: false, .. }
        if range.to_string() == "10.64.0.55 - 10.64.0.58")
    );
    // The server asks about the leases; yes resends confirmed.
    a.update(respond(
        &req,
        Payload::Action(Err(Fail::NeedsConfirmation(
            "4 leased addresses in 10.64.0.55-10.64.0.58: exclude anyway?".into(),
        ))),
    ));
    let again = only(a.update(ch('y')));
    assert!(matches!(
        job(&again),
        Command::Exclude {
            confirmed: true,
            ..
        }
    ));
    // Success: the form is gone, the panel stays, the scope reloads.
    let reload = only(a.update(respond(
        &again,
        done("10.64.0.55-10.64.0.58 excluded from 10.64.0.0/24"),
    )));
    assert!(matches!(reload.kind, RequestKind::ReloadScope(_)));
    assert!(matches!(top(&a), Some(Modal::Exclusions { .. })));
}

#[test]
fn exclusions_are_changed_and_removed_from_the_panel() {
    let mut a = office_with(Role::Admin);
    a.update(ch('X'));
    // Second exclusion: 10.64.0.120-10.64.0.129.
    a.update(ch('j'));
    a.update(key(KeyCode::Enter));
    let Some(Modal::Form(f)) = top(&a) else {
        panic!("edit form")
    };
    assert_eq!(f.fields.list[0].value(), "10.64.0.120");
    a.update(key(KeyCode::Tab));
    clear_field(&mut a);
    typed(&mut a, "10.64.0.124");
    let req = only(a.update(key(KeyCode::Enter)));
    assert!(
        matches!(job(&req), Command::Exclude { range, replaces: Some(old), .. }
        if range.to_string() == "10.64.0.120 - 10.64.0.124" && old.to_string() == "10.64.0.120 - 10.64.0.129")
    );
    a.update(respond(&req, done("changed")));
    // Remove: asks first.
    assert!(a.update(ch('d')).is_empty());
    let Some(Modal::Confirm(c)) = top(&a) else {
        panic!("confirmation")
    };
    assert!(c.text.contains("10.64.0.120 - 10.64.0.129"), "{}", c.text);
    let req = only(a.update(ch('y')));
    assert!(
        matches!(job(&req), Command::Unexclude { range, .. } if range.to_string() == "10.64.0.120 - 10.64.0.129")
    );
}

#[test]
fn dns_form_picks_zones_and_the_reverse_zone() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    a.update(ch('d'));
    let Some(Modal::Form(f)) = top(&a) else {
        panic!("dns form")
    };
    assert_eq!(f.fields.list[0].value(), "example.test");
    assert_eq!(f.fields.list[1].value(), "desk-21");
    assert_eq!(f.fields.list[3].value(), "3600");
    assert!(f
        .notes()
        .contains(&"PTR goes in 0.64.10.in-addr.arpa".to_string()));
    // Zones cycle with ←/→ on the zone field.
    a.update(key(KeyCode::BackTab));
    a.update(key(KeyCode::Right));
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Tab));
    clear_field(&mut a);
    typed(&mut a, "0");
    let Some(Modal::Form(f)) = top(&a) else {
        panic!()
    };
    assert!(f.shown_error(3).unwrap().contains("not a TTL"));
    clear_field(&mut a);
    typed(&mut a, "300");
    let req = only(a.update(key(KeyCode::Enter)));
    assert_eq!(
        job(&req),
        &Command::DnsAdd {
            ip: ip("10.64.0.21"),
            zone: "lab.test".into(),
            hostname: "desk-21".into(),
            ttl: 300,
            ptr: true,
            comment: None
        }
    );
    // Delete asks after the form.
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    a.update(ch('D'));
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    assert!(matches!(top(&a), Some(Modal::Confirm(_))));
    let req = only(a.update(ch('y')));
    assert!(matches!(job(&req), Command::DnsDelete { ptr: true, .. }));
    // No zone configured: said, no form.
    let mut a = office_with(Role::Admin);
    a.dns = Default::default();
    assert!(a.update(ch('d')).is_empty());
    assert!(top(&a).is_none());
    assert!(status(&a).1.contains("no DNS zone configured"));
}

#[test]
fn ping_and_history_fill_their_popups() {
    let mut a = office_with(Role::Viewer);
    cursor_to(&mut a, "10.64.0.21");
    let req = only(a.update(ch('p')));
    assert_eq!(
        job(&req),
        &Command::Ping {
            ip: ip("10.64.0.21")
        }
    );
    assert!(matches!(top(&a), Some(Modal::Ping { result: None, .. })));
    a.update(respond(
        &req,
        Payload::Ping {
            ip: ip("10.64.0.21"),
            result: Ok(PingResult {
                ip: ip("10.64.0.21").into(),
                reachable: true,
                rtt: Some(Duration::from_micros(420)),
                socket: SocketKind::Dgram,
                sent: 3,
                received: 3,
            }),
        },
    ));
    assert!(matches!(
        top(&a),
        Some(Modal::Ping {
            result: Some(Ok(_)),
            ..
        })
    ));
    a.update(key(KeyCode::Esc));
    let req = only(a.update(ch('y')));
    assert_eq!(
        job(&req),
        &Command::History {
            ip: ip("10.64.0.21")
        }
    );
    a.update(respond(
        &req,
        Payload::History {
            ip: ip("10.64.0.21"),
            rows: Ok(history_rows()),
        },
    ));
    assert!(matches!(top(&a), Some(Modal::History { rows: Some(Ok(r)), .. }) if r.len() == 2));
}

#[test]
fn an_answer_for_a_closed_scope_still_reaches_the_status_line() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    let req = only(a.update(ch('H')));
    a.update(key(KeyCode::Esc));
    assert!(a
        .update(respond(&req, done("10.64.0.70 held for 1h")))
        .is_empty());
    assert_eq!(status(&a).1, "10.64.0.70 held for 1h");
}

// ----- snapshots -----

fn history_rows() -> Vec<HistoryRow> {
    vec![
        HistoryRow {
            time: NOW - 60,
            user: "alice@jump1".into(),
            action: "hold".into(),
            result: "ok".into(),
            change: "- → state=held".into(),
        },
        HistoryRow {
            time: NOW - 3600,
            user: "bob@jump1".into(),
            action: "reserve".into(),
            result: "kea-dc: connection refused".into(),
            change: String::new(),
        },
    ]
}

#[test]
fn snapshot_action_menu() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.60");
    a.update(ch('a'));
    a.update(ch('j'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_claim_form_with_errors() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    a.update(ch('c'));
    typed(&mut a, "aa:bb:cc:dd:ee");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "-bad");
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_reservation_form_on_a_leased_address() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    a.update(ch('s'));
    clear_field(&mut a);
    typed(&mut a, "02:00:00:00:99:99");
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Right));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_exclusion_form() {
    let mut a = office_with(Role::Admin);
    a.update(ch('X'));
    a.update(ch('a'));
    typed(&mut a, "10.64.0.55");
    a.update(key(KeyCode::Tab));
    typed(&mut a, "10.64.0.58");
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_dns_form() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    a.update(ch('d'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_confirm_dialog() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.60");
    a.update(ch('U'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_ping_result_and_privilege_message() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.21");
    let req = only(a.update(ch('p')));
    a.update(respond(
        &req,
        Payload::Ping {
            ip: ip("10.64.0.21"),
            result: Ok(PingResult {
                ip: ip("10.64.0.21").into(),
                reachable: true,
                rtt: Some(Duration::from_micros(420)),
                socket: SocketKind::Dgram,
                sent: 3,
                received: 3,
            }),
        },
    ));
    insta::assert_snapshot!("ping_reachable", render(&a, 80, 24).backend());
    a.update(key(KeyCode::Esc));
    let req = only(a.update(ch('p')));
    a.update(respond(
        &req,
        Payload::Ping {
            ip: ip("10.64.0.21"),
            result: Err(format!(
                "ICMP not permitted: {}",
                ddish::probe::NOT_PERMITTED_HINT
            )),
        },
    ));
    insta::assert_snapshot!("ping_not_permitted", render(&a, 80, 24).backend());
}

#[test]
fn snapshot_history_popup() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.60");
    let req = only(a.update(ch('y')));
    a.update(respond(
        &req,
        Payload::History {
            ip: ip("10.64.0.60"),
            rows: Ok(history_rows()),
        },
    ));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_exclusions_panel() {
    let mut a = office_with(Role::Admin);
    a.update(ch('X'));
    a.update(ch('j'));
    insta::assert_snapshot!(render(&a, 80, 24).backend());
}

#[test]
fn snapshot_busy_status_and_error_message() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    let req = only(a.update(ch('H')));
    insta::assert_snapshot!("busy_status", render(&a, 80, 24).backend());
    a.update(respond(
        &req,
        Payload::Action(Err(Fail::Failed(
            "cannot connect to kea-dc at http://127.0.0.1:18001/: connection refused; is kea-ctrl-agent running? Nothing was written: the hold needs both HA peers.".into(),
        ))),
    ));
    insta::assert_snapshot!("error_message", render(&a, 80, 24).backend());
}

#[test]
fn tiny_terminals_draw_every_popup_without_panicking() {
    for (w, h) in [(40, 12), (50, 14), (80, 24)] {
        let mut a = office_with(Role::Admin);
        a.update(Msg::Resize(w, h));
        cursor_to(&mut a, "10.64.0.21");
        for k in ['a', 's'] {
            a.update(ch(k));
            let _ = render(&a, w, h);
        }
        a.update(key(KeyCode::Esc));
        a.update(key(KeyCode::Esc));
        for k in ['X', 'a'] {
            a.update(ch(k));
            let _ = render(&a, w, h);
        }
        a.update(key(KeyCode::Esc));
        a.update(key(KeyCode::Esc));
        a.update(ch('y'));
        let _ = render(&a, w, h);
    }
}

#[test]
fn refresh_in_a_scope_reloads_the_tree_and_the_definition() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.70");
    let req = only(a.update(ch('r')));
    assert!(matches!(req.kind, RequestKind::ReloadScope(c) if c.to_string() == "10.64.0.0/24"));
    // Another admin reserved .70 meanwhile: the reload shows it.
    let mut d = office_def();
    d.reservations.push(ddish::model::Reservation {
        ip: ip("10.64.0.70"),
        hw: Some("02:00:00:00:00:70".into()),
        client_id: None,
        hostname: Some("scanner".into()),
        description: None,
        client_classes: vec![],
        global: false,
    });
    let v = ddish::model::ScopeView::build(d, vec![], NOW);
    a.update(respond(
        &req,
        Payload::Reloaded(Ok((Arc::new(server_data()), Arc::new(v)))),
    ));
    let s = scope_state(&a);
    assert_eq!(s.cursor_ip(), Some(ip("10.64.0.70")));
    let v = s.data.as_ref().unwrap();
    assert_eq!(
        v.state_of(ip("10.64.0.70")),
        ddish::model::IpState::Reserved
    );
    // A failed reload keeps the reason on the view.
    let req = only(a.update(ch('r')));
    a.update(respond(
        &req,
        Payload::Reloaded(Err("no scope 10.64.0.0/24 on server kea-hq".into())),
    ));
    assert!(
        matches!(&scope_state(&a).load, ddish::tui::views::Load::Failed(e) if e.contains("no scope"))
    );
}

#[test]
fn help_lists_the_write_keys_the_role_allows() {
    let mut a = office_with(OPERATOR);
    a.update(ch('?'));
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&shot(&a));
        for _ in 0..10 {
            a.update(ch('j'));
        }
    }
    assert!(seen.contains("IP actions"), "{seen}");
    assert!(seen.contains("hold this address"));
    assert!(seen.contains("Pools and exclusions"));
    // An operator may not change exclusions: those keys are not listed.
    assert!(!seen.contains("add an exclusion range"));
}

#[test]
fn a_write_in_flight_shows_its_step_and_seconds() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.20");
    let req = only(a.update(ch('n')));
    let t0 = a.now;
    a.update(Msg::Progress(req.id, "config-set on kea-dc".into()));
    assert_eq!(
        status(&a),
        (StatusKind::Busy, "config-set on kea-dc, 0 s".into())
    );
    a.update(Msg::Now(t0 + 14));
    assert_eq!(status(&a).1, "config-set on kea-dc, 14 s");
    a.update(respond(
        &req,
        Payload::Action(Ok(Done {
            summary: "10.64.0.64 held for 1h (on kea-hq, kea-dc)".into(),
            warnings: vec![],
            ip: Some(ip("10.64.0.64")),
            view: None,
        })),
    ));
    let done = status(&a);
    assert!(done.1.contains("held"), "{done:?}");
    // A step that arrives late never hides the outcome.
    a.update(Msg::Progress(
        req.id,
        "config-write and read-back on kea-dc".into(),
    ));
    a.update(Msg::Now(t0 + 20));
    assert_eq!(status(&a), done);
}

#[test]
fn q_while_a_change_is_written_asks_first() {
    let mut a = office_with(Role::Admin);
    cursor_to(&mut a, "10.64.0.20");
    let req = only(a.update(ch('n')));
    a.update(Msg::Progress(req.id, "config-set on kea-dc".into()));
    // The first q says what is being written and does not quit; the second one does.
    a.update(ch('q'));
    assert!(!a.quit);
    let (kind, text) = status(&a);
    assert_eq!(kind, StatusKind::Warn, "{text}");
    assert!(
        text.contains("config-set on kea-dc") && text.contains("press q again"),
        "{text}"
    );
    a.update(ch('q'));
    assert!(a.quit);
    // With nothing being written, q quits at once.
    let mut b = office_with(Role::Admin);
    b.update(ch('q'));
    assert!(b.quit);
}
