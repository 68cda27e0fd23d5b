//! The history journal on a real file: round trip, per-IP view, redaction, concurrent
//! appenders, damaged lines and unwritable paths.
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use ddish::audit::{AuditError, Entry, Journal};
use serde_json::json;

mod common;

fn entry(time: i64, ip: Option<Ipv4Addr>, action: &str) -> Entry {
    let mut e = Entry::new("kea-a", action).scope("10.0.0.0/24");
    e.time = time;
    e.ip = ip;
    e
}

#[test]
fn append_then_read_round_trips_and_creates_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::new(&dir.path().join("nested/deeper/journal.jsonl"));
    assert!(
        j.read_all().unwrap().is_empty(),
        "missing file reads as empty"
    );

    let a = Entry::new("kea-a", "hold")
        .scope("10.0.0.0/24")
        .ip(Ipv4Addr::new(10, 0, 0, 5))
        .before(json!({"state": "free"}))
        .after(json!({"state": "held", "valid-lft": 3600}));
    let b = Entry::new("kea-b", "reserve").outcome(&Err::<(), _>("subnet 7 not found on kea-b"));
    j.append(&a).unwrap();
    j.append(&b).unwrap();

    assert_eq!(j.read_all().unwrap(), vec![a.clone(), b.clone()]);
    assert!(a.user.contains('@'));
    let text = std::fs::read_to_string(j.path()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.ends_with('\n'));
    let mode = std::fs::metadata(j.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o660, 0, "mode {mode:o} is at most 0660");
}

#[test]
fn for_ip_filters_and_puts_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::new(&dir.path().join("j.jsonl"));
    let ip = Ipv4Addr::new(10, 0, 0, 9);
    let other = Ipv4Addr::new(10, 0, 0, 90); // shares a prefix with ip's text
    j.append(&entry(100, Some(ip), "hold")).unwrap();
    j.append(&entry(300, Some(other), "claim")).unwrap();
    j.append(&entry(50, Some(ip), "reserve")).unwrap(); // an older clock wrote later
    j.append(&entry(200, None, "exclude")).unwrap();
    j.append(&entry(200, Some(ip), "release")).unwrap();
    j.append(&entry(200, Some(ip), "unreserve")).unwrap();

    let got: Vec<(i64, String)> = j
        .for_ip(ip)
        .unwrap()
        .into_iter()
        .map(|e| (e.time, e.action))
        .collect();
    assert_eq!(
        got,
        vec![
            (200, "unreserve".to_string()), // same second: the later line first
            (200, "release".to_string()),
            (100, "hold".to_string()),
            (50, "reserve".to_string()),
        ]
    );
    assert_eq!(j.for_ip(other).unwrap().len(), 1);
    assert!(j.for_ip(Ipv4Addr::new(10, 0, 0, 1)).unwrap().is_empty());
}

#[test]
fn secrets_in_before_and_after_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::new(&dir.path().join("j.jsonl"));
    // Fields set directly, bypassing the redacting setters: append must still mask them.
    let mut e = Entry::new("kea-a", "dns-add");
    e.before = Some(json!({"server": {"user": "admin", "password": "hunter2"}}));
    e.after = Some(json!({
        "zones": [{"key_name": "ddish-key", "tsig": {"Secret": "c2VjcmV0MTIz", "algorithm": "hmac-sha256"}}],
        "api_key": "abc123", "basic-auth-password-file": "/etc/pw"
    }));
    j.append(&e).unwrap();

    let text = std::fs::read_to_string(j.path()).unwrap();
    for secret in ["hunter2", "c2VjcmV0MTIz", "abc123", "/etc/pw"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let back = &j.read_all().unwrap()[0];
    assert_eq!(back.before.as_ref().unwrap()["server"]["password"], "***");
    assert_eq!(back.before.as_ref().unwrap()["server"]["user"], "admin");
    let after = back.after.as_ref().unwrap();
    assert_eq!(after["zones"][0]["key_name"], "ddish-key");
    assert_eq!(after["zones"][0]["tsig"]["Secret"], "***");
    assert_eq!(after["zones"][0]["tsig"]["algorithm"], "hmac-sha256");
    assert_eq!(after["api_key"], "***");
    assert_eq!(after["basic-auth-password-file"], "***");
}

#[test]
fn concurrent_appenders_never_interleave_lines() {
    const THREADS: usize = 8;
    const EACH: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.jsonl");
    // Each thread opens the file through its own Journal, as separate processes would;
    // a long `after` makes a torn or interleaved write show up as a malformed line.
    let filler = "x".repeat(3000);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (path, filler) = (&path, &filler);
            s.spawn(move || {
                let j = Journal::new(path);
                for i in 0..EACH {
                    let e = Entry::new("kea-a", "hold")
                        .ip(Ipv4Addr::new(10, 1, t as u8, (i % 250) as u8))
                        .after(json!({"t": t, "i": i, "pad": filler}));
                    j.append(&e).unwrap();
                }
            });
        }
    });
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), THREADS * EACH);
    let r = Journal::new(&path).read().unwrap();
    assert_eq!(r.skipped, 0);
    assert_eq!(r.entries.len(), THREADS * EACH);
    // Every (thread, index) pair arrived exactly once.
    let mut seen: Vec<(u64, u64)> = r
        .entries
        .iter()
        .map(|e| {
            let a = e.after.as_ref().unwrap();
            (a["t"].as_u64().unwrap(), a["i"].as_u64().unwrap())
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), THREADS * EACH);
}

const CHILD_ENV: &str = "DDISH_AUDIT_CHILD_JOURNAL";

/// Child half of `concurrent_processes_share_one_journal`: appends 200 entries to the
/// journal named in the env var. Does nothing when run on its own.
#[test]
#[ignore = "child half of concurrent_processes_share_one_journal"]
fn child_appends() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let j = Journal::new(Path::new(&path));
    let pid = std::process::id();
    for i in 0..200u32 {
        let e = Entry::new("kea-a", "claim")
            .after(json!({"pid": pid, "i": i, "pad": "y".repeat(2000)}));
        j.append(&e).unwrap();
    }
}

#[test]
fn concurrent_processes_share_one_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.jsonl");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_appends", "--ignored", "--quiet"])
                .env(CHILD_ENV, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // This process appends at the same time as its children.
    let j = Journal::new(&path);
    for i in 0..200 {
        j.append(&Entry::new("kea-b", "hold").after(json!({"i": i})))
            .unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let r = j.read().unwrap();
    assert_eq!(r.skipped, 0);
    assert_eq!(r.entries.len(), 600);
    let claims = r.entries.iter().filter(|e| e.action == "claim").count();
    assert_eq!(claims, 400, "both children's entries are all there");
}

#[test]
fn malformed_lines_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::new(&path);
    let ip = Ipv4Addr::new(10, 0, 0, 7);
    j.append(&entry(1, Some(ip), "hold")).unwrap();
    {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"not json at all\n{\"time\": 5}\n\xff\xfe\n\n")
            .unwrap();
        // A fragment left by a writer that died mid-line, without its newline.
        f.write_all(b"{\"time\":9,\"user\":\"a@b\",\"ip\":\"10.0.0.7\",\"serv")
            .unwrap();
    }
    j.append(&entry(2, Some(ip), "release")).unwrap();

    let r = j.read().unwrap();
    assert_eq!(r.skipped, 4, "three bad lines and the fragment");
    let actions: Vec<_> = r.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["hold", "release"],
        "the entry after the fragment survives"
    );
    assert_eq!(j.read_all().unwrap().len(), 2);
    assert_eq!(j.for_ip(ip).unwrap().len(), 2);
}

#[test]
fn unwritable_path_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the journal's directory should be: fails even for root.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let j = Journal::new(&blocker.join("journal.jsonl"));
    let err = j.append(&Entry::new("kea-a", "hold")).unwrap_err();
    assert!(
        matches!(err, AuditError::Open { .. } | AuditError::CreateDir { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("history journal"), "{msg}");
    assert!(msg.contains(&blocker.display().to_string()), "{msg}");
    assert!(msg.contains("[settings]"), "says how to fix it: {msg}");

    // A path that is a directory.
    let err = Journal::new(dir.path())
        .append(&Entry::new("kea-a", "hold"))
        .unwrap_err();
    assert!(err.to_string().contains(&dir.path().display().to_string()));

    // Permissions: root ignores mode bits, so only check this as an ordinary user.
    if !common::is_root() {
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let err = Journal::new(&ro.join("j.jsonl"))
            .append(&Entry::new("kea-a", "hold"))
            .unwrap_err();
        assert!(err.to_string().contains("permissions"), "{err}");
    }
}

#[test]
fn unreadable_journal_is_an_error_but_missing_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Journal::new(&dir.path().join("none.jsonl"))
        .read_all()
        .unwrap()
        .is_empty());
    let err = Journal::new(dir.path()).read_all().unwrap_err();
    assert!(
        err.to_string().contains("cannot read the history journal"),
        "{err}"
    );
}

/// `journal_group`: the files ddish creates beside its journal (the journal and the write
/// lock of a hold the scripted server refuses) and its exports are 0640 and that group's,
/// via the binary (the setting is process-wide).
#[test]
fn journal_group_gives_new_files_to_the_group() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    // Root may give files to any group; anyone else to their own.
    let (group, gid) = if unsafe { libc::geteuid() } == 0 {
        ("nogroup".to_string(), 65534)
    } else {
        let gid = unsafe { libc::getegid() };
        let g = unsafe { libc::getgrgid(gid) };
        assert!(!g.is_null());
        let name = unsafe { std::ffi::CStr::from_ptr((*g).gr_name) };
        (name.to_string_lossy().into_owned(), gid)
    };
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o750)).unwrap();
    // Answers the reads; lease4-add gets "unsupported", so the hold fails after its lock.
    let kea = common::canned::Canned::start(vec![]);
    let cfg = dir.path().join("ddish.toml");
    std::fs::write(
        &cfg,
        format!(
            "[settings]\njournal = \"{}\"\njournal_group = \"{group}\"\nrequest_timeout = 2\n\n\
             [[server]]\nname = \"kea-x\"\nurl = \"{}\"\nrole = \"operator\"\n",
            shared.join("journal.jsonl").display(),
            kea.url()
        ),
    )
    .unwrap();
    let out = dir.path().join("servers.csv");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ddish"))
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    run(&["export", "--what", "servers", "-o", out.to_str().unwrap()]);
    let hold = run(&["ip", "hold", "10.40.0.15", "--server", "kea-x"]);
    assert_ne!(hold.status.code(), Some(0));
    let mut seen = vec![out.clone(), shared.join("journal.jsonl")];
    seen.extend(
        std::fs::read_dir(shared.join("locks"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file()),
    );
    assert!(seen.len() >= 2, "a lock file beside the journal: {seen:?}");
    for p in &seen {
        let m = std::fs::metadata(p).unwrap();
        assert_eq!(m.mode() & 0o777, 0o640, "{}", p.display());
        assert_eq!(m.gid(), gid, "{}", p.display());
    }
}
