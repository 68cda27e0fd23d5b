//! F6 and F7 against the ddish binary: a Kea API that answers badly (truncated, huge, deeply
//! nested, wrong-typed, not UTF-8, a byte at a time, not at all) and TLS or authentication
//! that fails (name mismatch, expired, self-signed, 401, redirect). ddish must fail with an
//! error naming the server, within its timeout, without a panic or a big heap, and its
//! password must appear in no output, log, journal or export. Loopback only: scripted
//! servers on ephemeral ports and `openssl s_server` on free ports.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::canned::{Canned, Reply};
use common::tls::{self, openssl};

const SECRET: &str = "F6-secret-93817";

/// One run of the ddish binary: exit code, stdout + stderr, seconds, peak RSS in MB.
struct Run {
    code: Option<i32>,
    out: String,
    secs: f64,
    rss_mb: u64,
}

/// Runs ddish with `args` on `cfg`, HOME and the XDG folders inside `home`, and measures
/// the child's peak RSS (wait4).
fn run(home: &Path, cfg: &Path, args: &[&str]) -> Run {
    let out_path = home.join(format!("out-{}", next_id()));
    let f = std::fs::File::create(&out_path).unwrap();
    let started = Instant::now();
    let child: Child = Command::new(env!("CARGO_BIN_EXE_ddish"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::from(f.try_clone().unwrap()))
        .stderr(Stdio::from(f))
        .spawn()
        .expect("run ddish");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `child` is not waited on elsewhere.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let secs = started.elapsed().as_secs_f64();
    std::mem::forget(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Run {
        code,
        out: String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).into_owned(),
        secs,
        rss_mb: (usage.ru_maxrss as u64) / 1024,
    }
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A config with `servers` as (name, url, extra TOML lines), password from a file holding
/// [`SECRET`], the journal inside `home`.
fn config(home: &Path, timeout: u64, servers: &[(&str, String, &str)]) -> PathBuf {
    let pw = home.join("kea.pass");
    std::fs::write(&pw, format!("{SECRET}\n")).unwrap();
    let mut toml = format!(
        "[settings]\nrequest_timeout = {timeout}\njournal = \"{}\"\n",
        home.join("journal.jsonl").display()
    );
    for (name, url, extra) in servers {
        toml += &format!(
            "\n[[server]]\nname = \"{name}\"\nurl = \"{url}\"\nuser = \"admin\"\n\
             password_file = \"{}\"\nrole = \"admin\"\n{extra}\n",
            pw.display()
        );
    }
    let path = home.join("ddish.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn home() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ddish-replies-")
        .tempdir()
        .unwrap()
}

/// F7: each bad reply, to the command that meets it first, through `ddish check` (or an
/// export for lease lists). Every run ends with an error naming the server, no panic,
/// within the command's timeout, and far below 512 MB.
#[test]
fn bad_replies_fail_naming_the_server_without_panic() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let json = |s: String| Reply::Json(s);
    let cases: Vec<(&str, &str, Reply, &[&str])> = vec![
        (
            "truncated body",
            "config-get",
            Reply::Raw(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n[{\"result\":0,\"arguments\":{\"Dhcp4\""
                    .to_vec(),
            ),
            &["check"],
        ),
        ("1M-deep nesting", "config-get", json(deep(1_000_000)), &["check"]),
        (
            "deep user-context",
            "config-get",
            json(format!(
                r#"[{{"result":0,"arguments":{{"Dhcp4":{{"subnet4":[{{"id":1,"subnet":"10.40.0.0/24","user-context":{}}}]}}}}}}]"#,
                deep(100_000)
            )),
            &["check"],
        ),
        ("result a string", "version-get", json(r#"[{"result":"0"}]"#.into()), &["check"]),
        (
            "subnet4 a string",
            "config-get",
            json(r#"[{"result":0,"arguments":{"Dhcp4":{"subnet4":"10.40.0.0/24"}}}]"#.into()),
            &["check"],
        ),
        (
            "subnet id a word",
            "config-get",
            json(r#"[{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":"one","subnet":"10.40.0.0/24"}]}}}]"#.into()),
            &["check"],
        ),
        (
            "commands a string",
            "list-commands",
            json(r#"[{"result":0,"arguments":"config-get"}]"#.into()),
            &["check"],
        ),
        (
            "not UTF-8",
            "config-get",
            Reply::Body(
                b"[{\"result\":0,\"text\":\"\xff\xfe\",\"arguments\":{\"Dhcp4\":{\"subnet4\":[]}}}]"
                    .to_vec(),
            ),
            &["check"],
        ),
        ("not HTTP", "version-get", Reply::Raw(b"\x00\x01\x02 SSH-2.0-x\r\n\r\n".to_vec()), &["check"]),
        ("300 MB streamed", "config-get", Reply::Endless(300 << 20), &["check"]),
        ("slowloris", "version-get", Reply::Dribble(Duration::from_millis(200)), &["check"]),
        ("no answer", "version-get", Reply::Silent, &["check"]),
        (
            "lease ip a number",
            "lease4-get-all",
            json(r#"[{"result":0,"arguments":{"leases":[{"ip-address":5,"subnet-id":1}]}}]"#.into()),
            &["export", "--what", "ips", "--scope", "10.40.0.0/24"],
        ),
        (
            "leases truncated",
            "lease4-get-all",
            Reply::Raw(
                b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n[{\"result\":0,\"arguments\":{\"leases\":[{\"ip-address\":\"10.40.0.11\""
                    .to_vec(),
            ),
            &["export", "--what", "ips", "--scope", "10.40.0.0/24"],
        ),
    ];
    let timeout = 3;
    let mut rows = Vec::new();
    let mut peak = 0;
    for (label, command, reply, args) in cases {
        let h = home();
        let server = Canned::start(vec![(command, reply)]);
        let cfg = config(h.path(), timeout, &[("kea-x", server.url(), "")]);
        let r = run(h.path(), &cfg, args);
        assert!(!r.out.contains("panicked"), "{label}: {}", r.out);
        assert!(
            matches!(r.code, Some(c) if c != 0 && c != 101),
            "{label}: exit {:?}\n{}",
            r.code,
            r.out
        );
        assert!(
            r.out.contains("kea-x"),
            "{label}: the server is named\n{}",
            r.out
        );
        // config-get and lease lists get at least 30 s (big servers), the rest the setting.
        let limit = if matches!(command, "config-get" | "lease4-get-all") {
            30
        } else {
            timeout
        };
        assert!(r.secs < (limit + 5) as f64, "{label}: took {:.1} s", r.secs);
        assert!(r.rss_mb < 512, "{label}: peak RSS {} MB", r.rss_mb);
        peak = peak.max(r.rss_mb);
        let said = r
            .out
            .lines()
            .find(|l| l.contains("kea-x") && l.len() > 12)
            .unwrap_or("")
            .trim()
            .chars()
            .take(110)
            .collect::<String>();
        rows.push(format!(
            "  {label:<18} {command:<15} exit {} {:>5.1} s {:>4} MB  {said}",
            r.code.unwrap_or(-1),
            r.secs,
            r.rss_mb
        ));
    }
    println!(
        "F7 bad replies ({} cases, request_timeout {timeout} s): no panic, peak RSS {peak} MB\n{}",
        rows.len(),
        rows.join("\n")
    );
}

/// `openssl s_server` on `port` with `cert`/`key`; killed on drop.
struct TlsServer(Child);

impl TlsServer {
    fn start(dir: &Path, port: u16, cert: &str, key: &str) -> TlsServer {
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", cert, "-key", key])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "s_server on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsServer(child)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A CA; leaf certificates signed by it for 127.0.0.2 (wrong name) and for 127.0.0.1 but
/// expired in 2021; a self-signed one for 127.0.0.1.
fn make_certs(d: &Path) {
    tls::make_ca(d, "ddish F6 CA");
    tls::make_csr(d, "leaf", "127.0.0.1");
    let leaf = |san: &str| {
        format!("subjectAltName=IP:{san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    };
    tls::sign(d, "leaf.csr", "other.pem", &leaf("127.0.0.2"));
    std::fs::write(d.join("expired.ext"), leaf("127.0.0.1")).unwrap();
    // `openssl ca` is the one that takes dates in the past.
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("serial"), "1000\n").unwrap();
    std::fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "leaf.csr",
            "-out",
            "expired.pem",
            "-startdate",
            "200101000000Z",
            "-enddate",
            "210101000000Z",
            "-extfile",
            "expired.ext",
            "-notext",
        ],
    );
    let mut a = vec!["req", "-x509"];
    a.extend(tls::EC_KEY);
    a.extend([
        "-keyout",
        "self.key",
        "-out",
        "self.pem",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ]);
    openssl(d, &a);
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// F6: TLS with the wrong name, an expired or a self-signed certificate, a 401 and a
/// redirect each end in a clear error naming the server; the password (and its base64 in
/// the Authorization header) is in no output, log, journal, event or export.
#[test]
fn tls_and_auth_failures_are_clear_and_keep_the_secret() {
    let h = home();
    let d = h.path();
    make_certs(d);
    let tls = common::ports(3);
    let _servers = [
        TlsServer::start(d, tls, "other.pem", "leaf.key"),
        TlsServer::start(d, tls + 1, "expired.pem", "leaf.key"),
        TlsServer::start(d, tls + 2, "self.pem", "self.key"),
    ];
    let unauthorized = Canned::start(vec![(
        "*",
        Reply::Raw(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"kea\"\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
    )]);
    let redirect = Canned::start(vec![(
        "*",
        Reply::Raw(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
    )]);
    let ca = format!("ca_file = \"{}\"", d.join("ca.pem").display());
    let cfg = config(
        d,
        5,
        &[
            ("kea-name", format!("https://127.0.0.1:{tls}/"), &ca),
            (
                "kea-expired",
                format!("https://127.0.0.1:{}/", tls + 1),
                &ca,
            ),
            ("kea-self", format!("https://127.0.0.1:{}/", tls + 2), &ca),
            ("kea-401", unauthorized.url(), ""),
            ("kea-302", redirect.url(), ""),
        ],
    );
    let check = run(d, &cfg, &["-v", "check"]);
    assert_eq!(check.code, Some(2), "{}", check.out);
    let line = |server: &str| {
        check
            .out
            .lines()
            .find(|l| l.starts_with(server))
            .unwrap_or_else(|| panic!("{server} in\n{}", check.out))
            .to_string()
    };
    let expect = [
        ("kea-name ", "not valid for name"),
        ("kea-expired ", "xpired"),
        ("kea-self ", "self-signed: put the CA"),
        ("kea-401 ", "authentication failed for server kea-401"),
        ("kea-302 ", "does not follow"),
    ];
    let mut rows = Vec::new();
    for (server, says) in expect {
        let l = line(server);
        assert!(
            l.contains(says),
            "{server}: want {says:?} in\n{}",
            check.out
        );
        rows.push(format!(
            "  {}",
            l.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    let export_path = d.join("servers.csv");
    let export = run(
        d,
        &cfg,
        &[
            "-v",
            "export",
            "--what",
            "servers",
            "-o",
            export_path.to_str().unwrap(),
        ],
    );
    let hold = run(
        d,
        &cfg,
        &["-v", "ip", "hold", "10.40.0.15", "--server", "kea-401"],
    );
    let events = run(d, &cfg, &["-v", "events"]);
    assert!(hold.code != Some(0), "{}", hold.out);

    // The secret, and admin:secret as HTTP basic auth sends it.
    let b64 = base64_of(&format!("admin:{SECRET}"));
    let mut looked = Vec::new();
    for (what, text) in [
        ("check output", check.out.as_str()),
        ("export output", &export.out),
        ("hold output", &hold.out),
        ("events output", &events.out),
    ] {
        assert!(
            !text.contains(SECRET) && !text.contains(&b64),
            "{what}: {text}"
        );
        looked.push(what.to_string());
    }
    for f in files(d) {
        if f.ends_with("kea.pass") || f.ends_with("ddish.toml") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(
            !text.contains(SECRET) && !text.contains(&b64),
            "{}",
            f.display()
        );
        looked.push(f.strip_prefix(d).unwrap().display().to_string());
    }
    assert!(
        looked.iter().any(|f| f.contains("ddish.log")),
        "ddish's log was written and read: {looked:?}"
    );
    println!(
        "F6 TLS and auth failures, `ddish check`:\n{}\nsecret searched in {} outputs and files \
         (log, exports, outputs): 0 hits",
        rows.join("\n"),
        looked.len()
    );
}

fn base64_of(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
