use super::super::store::Logged;
use super::*;

fn server(running: bool, digest: Option<u64>, scopes: &[(&str, bool)], at: i64) -> ServerSnap {
    ServerSnap {
        state: if running { "running" } else { "daemon stopped" }.into(),
        running,
        ha: false,
        digest,
        scopes: digest.map(|_| scopes.iter().map(|(c, a)| (c.to_string(), *a)).collect()),
        read_at: digest.map(|_| at),
        journal_mark: None,
        seen_at: at,
    }
}

fn snap(at: i64, servers: Vec<(&str, ServerSnap)>) -> Snapshot {
    Snapshot {
        taken_at: at,
        servers: servers
            .into_iter()
            .map(|(n, s)| (n.to_string(), s))
            .collect(),
        ..Snapshot::default()
    }
}

/// A journal of these entries, each line 100 bytes long.
fn log(entries: Vec<Entry>) -> JournalLog {
    JournalLog {
        size: 100 * entries.len() as u64,
        entries: entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| Logged {
                offset: 100 * i as u64,
                entry,
            })
            .collect(),
    }
}

fn kinds(ev: &[Event]) -> Vec<(String, EventKind)> {
    ev.iter().map(|e| (e.server.clone(), e.kind)).collect()
}

#[test]
fn outside_change_with_its_scopes() {
    let prev = snap(
        100,
        vec![(
            "a",
            server(
                true,
                Some(1),
                &[("10.0.0.0/24", true), ("10.1.0.0/24", true)],
                100,
            ),
        )],
    );
    let fresh = snap(
        200,
        vec![(
            "a",
            server(
                true,
                Some(2),
                &[("10.0.0.0/24", false), ("10.2.0.0/24", true)],
                200,
            ),
        )],
    );
    let ev = diff(&prev, &fresh, &mut JournalLog::default);
    let k = kinds(&ev);
    assert_eq!(
        k.iter().map(|x| x.1).collect::<Vec<_>>(),
        [
            EventKind::OutsideChange,
            EventKind::ScopeDeactivated,
            EventKind::ScopeVanished,
            EventKind::ScopeAppeared
        ]
    );
    assert!(
        ev[0].description.contains("10.2.0.0/24 appeared"),
        "{ev:#?}"
    );
    assert_eq!(ev[2].scope, Some("10.1.0.0/24".parse().unwrap()));
    assert!(ev.iter().all(|e| e.user.is_empty()));
}

#[test]
fn journal_entry_explains_the_change() {
    let prev = snap(100, vec![("a", server(true, Some(1), &[], 100))]);
    let fresh = snap(
        200,
        vec![("a", server(true, Some(2), &[("10.9.0.0/24", true)], 200))],
    );
    let mut e = Entry::new("a", "scope-create");
    e.time = 150;
    e.user = "alice@jump".into();
    let ev = diff(&prev, &fresh, &mut || log(vec![e.clone()]));
    assert_eq!(kinds(&ev), [("a".to_string(), EventKind::ScopeAppeared)]);
    assert_eq!(ev[0].user, "alice@jump");
    // A failed ddish change is named, but the change still shows as outside ddish.
    let mut f = e.clone();
    f.result = "config-set failed: bad subnet".into();
    let ev = diff(&prev, &fresh, &mut || log(vec![f.clone()]));
    assert_eq!(ev[0].kind, EventKind::OutsideChange);
    assert!(
        ev[0]
            .description
            .contains("a failed ddish scope-create by alice@jump"),
        "{}",
        ev[0].description
    );
    // Before the window, a lease action, or another server: not an explanation.
    for (time, action, server) in [
        (50, "scope-create", "a"),
        (150, "hold", "a"),
        (150, "scope-create", "b"),
    ] {
        let mut x = e.clone();
        x.time = time;
        x.action = action.into();
        x.server = server.into();
        let ev = diff(&prev, &fresh, &mut || log(vec![x.clone()]));
        assert_eq!(
            ev[0].kind,
            EventKind::OutsideChange,
            "{time} {action} {server}"
        );
    }
}

#[test]
fn the_journal_mark_tells_entries_before_the_read_from_after() {
    // A ddish change in the same second as the previous read, journaled before it:
    // already in the previous digest, it can't explain a later change.
    let mut p = server(true, Some(1), &[], 100);
    p.journal_mark = Some(100);
    let prev = snap(100, vec![("a", p)]);
    let fresh = snap(101, vec![("a", server(true, Some(2), &[], 101))]);
    let mut before = Entry::new("a", "scope-edit");
    before.time = 100;
    let mut after = before.clone();
    after.time = 100;
    let ev = diff(&prev, &fresh, &mut || log(vec![before.clone()]));
    assert_eq!(
        ev[0].kind,
        EventKind::OutsideChange,
        "entry at offset 0 < mark 100"
    );
    let ev = diff(&prev, &fresh, &mut || {
        log(vec![before.clone(), after.clone()])
    });
    assert!(ev.is_empty(), "entry at offset 100 >= mark: {ev:?}");
    // A journal that shrank below the mark: back to the time window.
    let mut q = prev.clone();
    q.servers.get_mut("a").unwrap().journal_mark = Some(10_000);
    assert!(diff(&q, &fresh, &mut || log(vec![before.clone()])).is_empty());
}

#[test]
fn ha_peer_change_is_explained_by_the_pair() {
    let mut a0 = server(true, Some(1), &[], 100);
    a0.ha = true;
    let mut b0 = a0.clone();
    b0.digest = Some(7);
    let mut a1 = server(true, Some(2), &[], 200);
    a1.ha = true;
    let mut b1 = a1.clone();
    b1.digest = Some(8);
    let prev = snap(100, vec![("a", a0), ("b", b0)]);
    let fresh = snap(200, vec![("a", a1), ("b", b1)]);
    let mut e = Entry::new("a", "scope-edit");
    e.time = 150;
    assert!(diff(&prev, &fresh, &mut || log(vec![e.clone()])).is_empty());
}

#[test]
fn down_and_back_compares_with_before_it_went_down() {
    let s0 = snap(
        100,
        vec![("a", server(true, Some(1), &[("10.0.0.0/24", true)], 100))],
    );
    let s1 = snap(200, vec![("a", server(false, None, &[], 200))]);
    let ev = diff(&s0, &s1, &mut JournalLog::default);
    assert_eq!(kinds(&ev), [("a".to_string(), EventKind::ServiceDown)]);
    let m = merge(s0, &s1);
    assert_eq!(m.servers["a"].digest, Some(1), "last known digest kept");
    let s2 = snap(
        300,
        vec![("a", server(true, Some(1), &[("10.0.0.0/24", true)], 300))],
    );
    let ev = diff(&m, &s2, &mut JournalLog::default);
    assert_eq!(kinds(&ev), [("a".to_string(), EventKind::ServiceUp)]);
    // A server seen for the first time records nothing.
    let s3 = snap(400, vec![("new", server(true, Some(5), &[], 400))]);
    assert!(diff(&m, &s3, &mut JournalLog::default).is_empty());
}

#[test]
fn zone_serial_and_dns_service() {
    let z = |serial, at| ZoneSnap {
        primary: "ns1".into(),
        serial,
        read_at: serial.map(|_| at),
        journal_mark: None,
        seen_at: at,
    };
    let d = |answering, at| DnsSnap {
        addr: "127.0.0.1:53".into(),
        answering,
        seen_at: at,
    };
    let mut prev = Snapshot {
        taken_at: 100,
        ..Snapshot::default()
    };
    prev.zones.insert("ex.test".into(), z(Some(1), 100));
    prev.dns.insert("ns2".into(), d(true, 100));
    let mut fresh = prev.clone();
    fresh.taken_at = 200;
    fresh.zones.insert("ex.test".into(), z(Some(2), 200));
    fresh.dns.insert("ns2".into(), d(false, 200));
    let mut e = Entry::new("kea-a", "dns-add").after(serde_json::json!({"zone": "ex.test"}));
    e.time = 150;
    e.user = "bob@jump".into();
    let ev = diff(&prev, &fresh, &mut || log(vec![e.clone()]));
    assert_eq!(
        kinds(&ev),
        [
            ("ns2".to_string(), EventKind::ServiceDown),
            ("ns1".to_string(), EventKind::ZoneSerialMoved)
        ]
    );
    assert!(
        ev[1].description.contains("serial 1 -> 2"),
        "{}",
        ev[1].description
    );
    assert_eq!(ev[1].user, "bob@jump");
}
