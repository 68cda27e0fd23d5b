//! BIND for the lab and the tests: one named, primary for the given zones, on
//! 127.0.0.1:<port>, with a TSIG key (tsig-keygen) allowed to update and transfer them.
use super::proc::{self, Daemon, Spec};
use super::{tools, LabError};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The TSIG key name every lab zone accepts.
pub const LAB_KEY_NAME: &str = "lab-key";

/// A running named. Dropping it stops it.
pub struct DnsInstance {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub key_name: String,
    /// Base64 TSIG secret (hmac-sha256). Never printed by Debug.
    pub secret_b64: String,
    /// The BIND key file (`key "lab-key" { algorithm hmac-sha256; secret "..."; };`).
    pub key_file: PathBuf,
    pub conf_path: PathBuf,
    /// named's stderr (-g logs there).
    pub log: PathBuf,
    pub zones: Vec<String>,
    named: Daemon,
}

impl fmt::Debug for DnsInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsInstance")
            .field("addr", &self.addr)
            .field("dir", &self.dir)
            .field("key_name", &self.key_name)
            .field("secret_b64", &"***")
            .field("zones", &self.zones)
            .field("pid", &self.named.pid())
            .finish()
    }
}

impl DnsInstance {
    /// Writes named.conf, the key and one `db.<zone>` file per zone into `dir`, starts named
    /// on 127.0.0.1:`port` and waits until it answers SOA for every zone. Zone bodies are
    /// ordinary zone files (with `$TTL`, SOA and NS). Old `.jnl` journals are removed so the
    /// zones start exactly as given.
    pub fn start(dir: &Path, port: u16, zones: &[(&str, &str)]) -> Result<DnsInstance, LabError> {
        let dir = prepare(dir, port)?;
        let key_text = generate_key(LAB_KEY_NAME)?;
        for (zone, body) in zones {
            let file = dir.join(zone_file_name(zone));
            proc::write_file(&file, body, 0o644)?;
            let _ = std::fs::remove_file(PathBuf::from(format!("{}.jnl", file.display())));
        }
        let mut conf = conf_head(&dir, port);
        for (zone, _) in zones {
            conf.push_str(&format!(
                r#"zone "{zone}" {{
    type primary;
    file "{d}/{file}";
    allow-update {{ key "{LAB_KEY_NAME}"; }};
    allow-transfer {{ key "{LAB_KEY_NAME}"; 127.0.0.1; }};
}};
"#,
                d = dir.display(),
                file = zone_file_name(zone)
            ));
        }
        let names: Vec<String> = zones.iter().map(|(z, _)| z.to_string()).collect();
        launch(dir, port, &key_text, &conf, names)
    }

    /// A second named on 127.0.0.1:`port`, secondary for all of `primary`'s zones (same
    /// key; transfers signed with it). The primary sends no NOTIFY (`notify no`), so after an
    /// update the secondary stays behind until it is told (KEA_FACTS §13). Returns once it
    /// has transferred every zone.
    pub fn start_secondary(
        dir: &Path,
        port: u16,
        primary: &DnsInstance,
    ) -> Result<DnsInstance, LabError> {
        let dir = prepare(dir, port)?;
        let key_text = std::fs::read_to_string(&primary.key_file)
            .map_err(|e| LabError::io("cannot read", &primary.key_file, e))?;
        let mut conf = conf_head(&dir, port);
        for zone in &primary.zones {
            let file = dir.join(zone_file_name(zone));
            // Start empty: everything must come by transfer.
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(PathBuf::from(format!("{}.jnl", file.display())));
            conf.push_str(&format!(
                r#"zone "{zone}" {{
    type secondary;
    file "{file}";
    primaries {{ 127.0.0.1 port {pport} key "{LAB_KEY_NAME}"; }};
    allow-notify {{ 127.0.0.1; }};
    allow-transfer {{ key "{LAB_KEY_NAME}"; 127.0.0.1; }};
}};
"#,
                file = file.display(),
                pport = primary.addr.port()
            ));
        }
        launch(dir, port, &key_text, &conf, primary.zones.clone())
    }

    pub fn pid(&self) -> Option<u32> {
        self.named.pid()
    }

    pub fn pids(&self) -> Vec<(String, u32)> {
        self.pid()
            .map(|p| vec![("named".to_string(), p)])
            .unwrap_or_default()
    }

    /// The zone's SOA serial as named answers it now.
    pub fn soa_serial(&self, zone: &str) -> Result<u32, LabError> {
        soa_serial(self.addr, zone, Duration::from_secs(2))
            .map_err(|e| LabError::Check(format!("SOA {zone} from {}: {e}", self.addr)))
    }

    pub fn stop(&mut self) {
        self.named.stop();
    }

    /// Starts named again from the same files (zones as named last saved them).
    pub fn restart(&mut self) -> Result<(), LabError> {
        self.named.restart()?;
        self.wait_ready()
    }

    pub fn pause(&self) {
        self.named.signal(libc::SIGSTOP);
    }

    pub fn resume(&self) {
        self.named.signal(libc::SIGCONT);
    }

    /// Leaves named running after this value is gone; returns its pid.
    pub fn detach(mut self) -> Vec<(String, u32)> {
        self.release()
    }

    pub(crate) fn release(&mut self) -> Vec<(String, u32)> {
        let pids = self.pids();
        self.named.detach();
        pids
    }

    fn wait_ready(&mut self) -> Result<(), LabError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut pending: Vec<String> = self.zones.clone();
        loop {
            pending.retain(|z| soa_serial(self.addr, z, Duration::from_millis(300)).is_err());
            if pending.is_empty() {
                return Ok(());
            }
            let what = if !self.named.alive() {
                "exited during start-up"
            } else if Instant::now() > deadline {
                "did not answer SOA within 30 s"
            } else {
                std::thread::sleep(Duration::from_millis(30));
                continue;
            };
            return Err(LabError::NotReady {
                what: format!(
                    "named on {} {what} (zones not served: {})",
                    self.addr,
                    pending.join(", ")
                ),
                log: self.log.clone(),
                tail: proc::tail(&self.log, 12),
            });
        }
    }
}

/// `db.<zone>`: the zone file name used in the lab dir.
pub fn zone_file_name(zone: &str) -> String {
    format!("db.{}", zone.trim_end_matches('.'))
}

fn generate_key(name: &str) -> Result<String, LabError> {
    let prog = tools::program("tsig-keygen")?;
    let out = Command::new(&prog)
        .args(["-a", "hmac-sha256", name])
        .output()
        .map_err(|e| LabError::Spawn {
            program: prog.display().to_string(),
            source: e,
        })?;
    if !out.status.success() {
        return Err(LabError::Check(format!(
            "tsig-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `secret "..."` of a BIND key file.
pub fn parse_secret(key_text: &str) -> Option<String> {
    let rest = &key_text[key_text.find("secret")? + "secret".len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(rest[start..start + len].to_string())
}

/// Absolute, port free, reachable by the daemons' user, created.
fn prepare(dir: &Path, port: u16) -> Result<PathBuf, LabError> {
    let dir = std::path::absolute(dir).map_err(|e| LabError::io("bad directory", dir, e))?;
    // named would share a busy UDP port silently (SO_REUSEPORT).
    super::check_ports_free(&[(port, "named".to_string())])?;
    proc::check_reachable_by_nobody(&dir)?;
    proc::make_dir(&dir)?;
    Ok(dir)
}

/// Writes the key and named.conf, starts named, waits for SOA of every zone.
fn launch(
    dir: PathBuf,
    port: u16,
    key_text: &str,
    conf: &str,
    zones: Vec<String>,
) -> Result<DnsInstance, LabError> {
    let secret_b64 = parse_secret(key_text)
        .ok_or_else(|| LabError::Check(format!("no secret in the {LAB_KEY_NAME} key text")))?;
    let key_file = dir.join("tsig.key");
    // 0640 is enough for named (owner nobody); ddish reads it as root or as the owner.
    proc::write_file(&key_file, key_text, 0o640)?;
    let conf_path = dir.join("named.conf");
    proc::write_file(&conf_path, conf, 0o644)?;
    let log = dir.join("named.log");
    let named = Daemon::start(Spec {
        name: "named".into(),
        program: tools::program("named")?,
        // -g: foreground, log to stderr; no -u (already unprivileged).
        args: vec!["-g".into(), "-c".into(), conf_path.clone().into_os_string()],
        env: Vec::new(),
        log: log.clone(),
    })?;
    let mut d = DnsInstance {
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        dir,
        key_name: LAB_KEY_NAME.into(),
        secret_b64,
        key_file,
        conf_path,
        log,
        zones,
        named,
    };
    d.wait_ready()?;
    Ok(d)
}

fn conf_head(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        r#"// ddish lab: BIND on 127.0.0.1:{port} only, unprivileged. Generated by ddish; rewritten by `ddish lab up`.
include "{d}/tsig.key";
options {{
    directory "{d}";                  // writable: .jnl journals, managed-keys
    pid-file "{d}/named.pid";         // the default under /run/named is root-only
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    allow-query {{ 127.0.0.1; }};
    dnssec-validation no;
    notify no;
}};
controls {{ }};                       // no rndc channel (would want /etc/bind/rndc.key, port 953)
logging {{
    channel default_stderr {{ stderr; severity info; print-time yes; }};
    category default {{ default_stderr; }};
}};
"#
    )
}

/// Asks `server` (loopback only) for `zone`'s SOA over UDP and returns the serial.
/// A raw query keeps the harness free of a DNS library.
pub fn soa_serial(server: SocketAddr, zone: &str, timeout: Duration) -> Result<u32, String> {
    if !server.ip().is_loopback() {
        return Err(format!("{server} is not a loopback address"));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let id = (std::process::id() as u16) ^ (nanos as u16);
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // no RD; QDCOUNT 1
    for label in zone
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&[0, 6, 0, 1]); // SOA, IN
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    sock.send_to(&q, server).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 1500];
    let n = sock.recv(&mut buf).map_err(|e| e.to_string())?;
    parse_soa_answer(&buf[..n], id, q.len())
}

fn parse_soa_answer(r: &[u8], id: u16, question_end: usize) -> Result<u32, String> {
    if r.len() < question_end || r[0..2] != id.to_be_bytes() {
        return Err("malformed or mismatched answer".into());
    }
    let rcode = r[3] & 0x0f;
    if rcode != 0 {
        return Err(format!("rcode {rcode}"));
    }
    if u16::from_be_bytes([r[6], r[7]]) == 0 {
        return Err("no answer (zone not loaded?)".into());
    }
    // Answer: owner name (a pointer or labels), type, class, ttl, rdlength, rdata.
    let mut i = question_end;
    loop {
        let b = *r.get(i).ok_or("truncated answer")?;
        if b & 0xc0 == 0xc0 {
            i += 2;
            break;
        }
        i += 1 + b as usize;
        if b == 0 {
            break;
        }
    }
    let rtype = u16::from_be_bytes([
        *r.get(i).ok_or("truncated")?,
        *r.get(i + 1).ok_or("truncated")?,
    ]);
    if rtype != 6 {
        return Err(format!("answer is type {rtype}, not SOA"));
    }
    let rdlen = u16::from_be_bytes([
        *r.get(i + 8).ok_or("truncated")?,
        *r.get(i + 9).ok_or("truncated")?,
    ]) as usize;
    let rdata = r.get(i + 10..i + 10 + rdlen).ok_or("truncated rdata")?;
    // SOA rdata ends with serial, refresh, retry, expire, minimum: 5 x u32.
    if rdlen < 20 {
        return Err("short SOA rdata".into());
    }
    let s = &rdata[rdlen - 20..rdlen - 16];
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_secret_from_bind_key_file() {
        let k = "key \"lab-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";\n};\n";
        assert_eq!(parse_secret(k).as_deref(), Some("c2VjcmV0"));
    }
}
