//! A small self-contained starter for a real kea-dhcp4 + kea-ctrl-agent pair on loopback,
//! unprivileged (KEA_FACTS.md §1): temp dir, own pid/lock dirs, dropped to nobody when root.
//! Every process is killed when the `KeaPair` is dropped, also when a test fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const NOBODY: u32 = 65534;
const HOOKS: &str = "/usr/lib/x86_64-linux-gnu/kea/hooks";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A running process we started; killed on drop (SIGKILL also ends a SIGSTOPped process).
pub struct Proc {
    pub name: &'static str,
    child: Option<Child>,
}

impl Proc {
    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    pub fn signal(&self, sig: i32) {
        if let Some(c) = &self.child {
            // SAFETY: plain kill(2) on the pid of our own child, which we have not reaped.
            unsafe { libc::kill(c.id() as i32, sig) };
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // No SIGCONT first: a stopped process would get to answer a pending request.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// TLS material for the Control Agent.
pub struct Tls {
    pub ca_pem: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Default)]
pub struct Options {
    /// Basic auth on the CA: (user, password).
    pub auth: Option<(String, String)>,
    pub tls: bool,
    /// Start the CA only (its dhcp4 socket leads nowhere).
    pub no_dhcp4: bool,
}

/// kea-dhcp4 (management only: no DHCP sockets) and its Control Agent.
pub struct KeaPair {
    // Processes first: they are dropped (killed) before the directory goes.
    pub ca: Proc,
    pub dhcp4: Proc,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub tls: Option<Tls>,
}

impl KeaPair {
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The CA's and the daemon's logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for f in ["dhcp4.out", "dhcp4.log", "ca.out", "ca.log"] {
            let text = std::fs::read_to_string(self.path(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            s += &format!("--- {f}\n");
            for l in tail.into_iter().rev() {
                s += l;
                s.push('\n');
            }
        }
        s
    }
}

/// Starts the pair with `subnets` in Dhcp4 (the rest of the config is filled in here) and
/// waits until the CA answers. `extra` is merged into the top of Dhcp4 (shared-networks,
/// user-context, ...).
pub fn start(port: u16, extra: Value, opts: Options) -> KeaPair {
    let dir = tempfile::Builder::new()
        .prefix("ddish-kea-")
        .tempdir()
        .expect("temp dir");
    let d = dir.path();
    let sock = d.join("kea4.sock");
    let mut dhcp4 = json!({
        "interfaces-config": {"interfaces": []},
        "control-socket": {"socket-type": "unix", "socket-name": sock},
        "lease-database": {"type": "memfile", "persist": true, "name": d.join("leases4.csv"), "lfc-interval": 0},
        "valid-lifetime": 3600,
        "hooks-libraries": [
            {"library": format!("{HOOKS}/libdhcp_lease_cmds.so")},
            {"library": format!("{HOOKS}/libdhcp_stat_cmds.so")}],
        "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": d.join("dhcp4.log")}], "severity": "INFO"}]
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut dhcp4, extra) {
        base.extend(extra);
    }
    write_json(&d.join("kea-dhcp4.json"), &json!({ "Dhcp4": dhcp4 }));

    let mut ca = json!({
        "http-host": "127.0.0.1", "http-port": port,
        "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": sock}},
        "loggers": [{"name": "kea-ctrl-agent", "output_options": [{"output": d.join("ca.log")}], "severity": "INFO"}]
    });
    if let Some((user, password)) = &opts.auth {
        ca["authentication"] = json!({"type": "basic", "realm": "ddish-test",
            "clients": [{"user": user, "password": password}]});
    }
    let tls = opts.tls.then(|| make_tls(d));
    if let Some(t) = &tls {
        ca["trust-anchor"] = json!(t.ca_pem);
        ca["cert-file"] = json!(t.cert);
        ca["key-file"] = json!(t.key);
        ca["cert-required"] = json!(false);
    }
    write_json(
        &d.join("kea-ctrl-agent.json"),
        &json!({ "Control-agent": ca }),
    );

    if is_root() {
        chown_tree(d);
    }
    let dhcp4 = if opts.no_dhcp4 {
        Proc {
            name: "kea-dhcp4",
            child: None,
        }
    } else {
        spawn(
            d,
            "kea-dhcp4",
            "/usr/sbin/kea-dhcp4",
            "kea-dhcp4.json",
            "dhcp4.out",
        )
    };
    let ca = spawn(
        d,
        "kea-ctrl-agent",
        "/usr/sbin/kea-ctrl-agent",
        "kea-ctrl-agent.json",
        "ca.out",
    );
    let pair = KeaPair {
        ca,
        dhcp4,
        port,
        dir,
        tls,
    };
    wait_ready(&pair, !opts.no_dhcp4, opts.auth.as_ref());
    pair
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).expect("write config");
}

fn chown_tree(d: &Path) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        std::os::unix::fs::chown(&p, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    std::os::unix::fs::chown(d, Some(NOBODY), Some(NOBODY)).unwrap();
}

fn spawn(d: &Path, name: &'static str, program: &str, config: &str, out: &str) -> Proc {
    let log = std::fs::File::create(d.join(out)).expect("log file");
    // As root, setpriv drops to nobody and execs: the pid stays the daemon's own.
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            program,
        ]);
        c
    } else {
        Command::new(program)
    };
    cmd.arg("-c")
        .arg(d.join(config))
        .env("KEA_PIDFILE_DIR", d)
        .env("KEA_LOCKFILE_DIR", d)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    Proc {
        name,
        child: Some(child),
    }
}

/// Raw HTTP POST of one command, independent of the client under test.
pub fn raw_post(port: u16, body: &str, auth: Option<&(String, String)>) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let auth = auth
        .map(|(u, p)| {
            format!(
                "Authorization: Basic {}\r\n",
                base64(format!("{u}:{p}").as_bytes())
            )
        })
        .unwrap_or_default();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn wait_ready(p: &KeaPair, with_dhcp4: bool, auth: Option<&(String, String)>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if p.tls.is_some() {
            // No TLS in raw_post: a listening CA and the daemon's socket are what we can check.
            let sock = !with_dhcp4 || p.path("kea4.sock").exists();
            if sock && std::net::TcpStream::connect(("127.0.0.1", p.port)).is_ok() {
                return;
            }
        } else if let Some(r) = raw_post(
            p.port,
            r#"{"command":"status-get","service":["dhcp4"]}"#,
            auth,
        ) {
            let ok = r.contains("\"result\": 0") || r.contains("\"result\":0");
            if ok || !with_dhcp4 {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("Kea on port {} did not come up\n{}", p.port, p.logs());
}

/// A CA certificate and a server certificate for 127.0.0.1 signed by it (openssl CLI).
fn make_tls(d: &Path) -> Tls {
    use crate::common::tls;
    tls::make_ca(d, "ddish test CA");
    tls::make_csr(d, "srv", "127.0.0.1");
    tls::sign(
        d,
        "srv.csr",
        "srv.pem",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    Tls {
        ca_pem: d.join("ca.pem"),
        cert: d.join("srv.pem"),
        key: d.join("srv.key"),
    }
}
