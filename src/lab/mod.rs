//! `ddish lab`: a real Kea 2.2 HA pair and BIND 9.18 on loopback, unprivileged, with sample
//! data; for the demo and as the integration tests' harness.
//!
//! Layout of a lab dir `D` (default [`default_dir`]):
//! ```text
//! D/.ddish-lab         marker: `up` only ever clears directories that carry it
//! D/ddish.toml         config for ddish pointing at the lab
//! D/kea-password       the CAs' basic-auth password (user "ddish")
//! D/journal.jsonl      ddish's audit journal
//! D/run/pids           "name pid" per daemon; `down` stops exactly these
//! D/kea-1/, D/kea-2/   kea-dhcp4 + kea-ctrl-agent: configs, leases4.csv, sockets, logs
//! D/dns/               named.conf, tsig.key, zone files, named.log
//! ```
//! Ports: CA1 = base, CA2 = base+1, DHCP base+2/base+3, named base+4 (default base 18001).
//!
//! Building blocks for tests: [`KeaInstance`], [`DnsInstance`], [`Lab`] (the whole lab,
//! stopped on drop), [`sample_dhcp4`], [`sample_leases_csv`], [`write_ddish_toml`].
mod dns;
mod error;
mod http;
mod kea;
mod kea_config;
pub use kea_config::minimal_dhcp4;
mod kea_dist;
mod pgsql;
pub(crate) mod proc;
mod sample;
mod toml_out;
mod tools;

pub use dns::{soa_serial, zone_file_name, DnsInstance, LAB_KEY_NAME};
pub use error::LabError;
pub use http::{ca_post, kea_command, kea_config_set, unix_command};
pub use kea::{wait_ha_ports, wait_ha_state, CaTarget, KeaInstance, KeaOptions, TlsFiles};
pub use kea_dist::{parse_version, KeaDist, LabApi, ENV_API, ENV_ROOT};
pub use pgsql::{pg_bin_dir, PgInstance, PG_DB, PG_USER};
pub use proc::{is_root, pid_alive, PidFile};
pub use sample::{
    ids, leases_csv, sample_dhcp4, sample_lease_counts, sample_leases, sample_leases_csv,
    sample_zones, HaMode, SeedLease, CAMPUS_LEASES, MEMFILE_HEADER,
};
pub use toml_out::{write_ddish_toml, DdishToml, TomlDns, TomlServer};
pub use tools::{check_installed, find_program, hooks_dir};

use serde_json::json;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default first port of the lab.
pub const DEFAULT_PORT_BASE: u16 = 18001;
/// User name on the lab CAs.
pub const LAB_USER: &str = "ddish";
const MARKER: &str = ".ddish-lab";
const SERVER_NAMES: [&str; 2] = ["kea-1", "kea-2"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabOptions {
    pub dir: PathBuf,
    pub port_base: u16,
    pub ha_mode: HaMode,
    /// Basic auth on both CAs (and between the HA peers).
    pub with_auth: bool,
    /// Which Kea runs and how ddish reaches it; `None`: what `DDISH_KEA_ROOT` and
    /// `DDISH_KEA_API` say (the system's Kea through an agent when unset).
    pub kea: Option<KeaDist>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            dir: default_dir(),
            port_base: DEFAULT_PORT_BASE,
            ha_mode: HaMode::LoadBalancing,
            with_auth: true,
            kea: None,
        }
    }
}

impl LabOptions {
    /// The Kea this lab runs.
    pub fn dist(&self) -> Result<KeaDist, LabError> {
        match &self.kea {
            Some(d) => Ok(d.clone()),
            None => KeaDist::from_env(),
        }
    }
}

/// The lab's ports, derived from the base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabPorts {
    pub ca: [u16; 2],
    pub dhcp: [u16; 2],
    pub dns: u16,
}

impl LabPorts {
    pub fn from_base(base: u16) -> Result<LabPorts, LabError> {
        if !(1024..=u16::MAX - 4).contains(&base) {
            return Err(LabError::Invalid(format!(
                "--port-base {base} is out of range: the lab uses 5 ports from it and needs \
                 1024 <= base <= {} (ports below 1024 need root)",
                u16::MAX - 4
            )));
        }
        Ok(LabPorts {
            ca: [base, base + 1],
            dhcp: [base + 2, base + 3],
            dns: base + 4,
        })
    }

    /// Every port with what it is for.
    pub fn all(&self) -> Vec<(u16, String)> {
        vec![
            (self.ca[0], format!("{} control agent", SERVER_NAMES[0])),
            (self.ca[1], format!("{} control agent", SERVER_NAMES[1])),
            (self.dhcp[0], format!("{} DHCP", SERVER_NAMES[0])),
            (self.dhcp[1], format!("{} DHCP", SERVER_NAMES[1])),
            (self.dns, "named".into()),
        ]
    }
}

/// What `up` started.
#[derive(Clone, Debug, PartialEq)]
pub struct LabInfo {
    pub dir: PathBuf,
    /// `D/ddish.toml`
    pub config_path: PathBuf,
    /// (name, CA url), kea-1 first (the HA primary).
    pub servers: Vec<(String, String)>,
    pub dns: SocketAddr,
    pub ports: LabPorts,
    pub ha_mode: HaMode,
    /// CA user, when auth is on.
    pub user: Option<String>,
    /// `D/kea-password`, when auth is on.
    pub password_file: Option<PathBuf>,
    /// BIND key file of `lab-key` (hmac-sha256).
    pub dns_key_file: PathBuf,
    pub zones: Vec<String>,
    pub pids_file: PathBuf,
    /// How ddish reaches the servers (agent or direct).
    pub api: LabApi,
    /// `kea-dhcp4 -v` of the lab's Kea.
    pub kea_version: String,
}

impl LabInfo {
    /// The CA password, read from `password_file`.
    pub fn password(&self) -> Option<String> {
        let p = self.password_file.as_ref()?;
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Waits until both servers report the HA mode's state (load-balancing or hot-standby);
    /// typically 4-6 s after `up`.
    pub fn wait_ha(&self, timeout: Duration) -> Result<(), LabError> {
        let password = self.password();
        let auth = match (&self.user, &password) {
            (Some(u), Some(p)) => Some((u.as_str(), p.as_str())),
            _ => None,
        };
        let servers: Vec<CaTarget> = self
            .servers
            .iter()
            .zip(self.ports.ca)
            .map(|((n, _), port)| (n.clone(), port, auth))
            .collect();
        wait_ha_ports(&servers, self.ha_mode.as_kea(), timeout)
    }
}

/// A running lab owned by this process: dropping it stops every daemon and removes the pids
/// file. [`up`] is `Lab::start` + [`Lab::detach`].
#[derive(Debug)]
pub struct Lab {
    pub info: LabInfo,
    /// kea-1 (primary), kea-2.
    pub kea: Vec<KeaInstance>,
    pub dns: DnsInstance,
    detached: bool,
}

impl Lab {
    /// Starts the whole lab in `opts.dir` and waits until both CAs answer status-get through
    /// dhcp4, kea-1 holds every seeded lease, and named answers SOA for every zone. Refuses
    /// when the dir has a running lab or a port is taken. Starts from fresh sample data each
    /// time (configs, leases and zones are rewritten; the journal is kept).
    pub fn start(opts: &LabOptions) -> Result<Lab, LabError> {
        let ports = LabPorts::from_base(opts.port_base)?;
        let dist = opts.dist()?;
        tools::check_installed_for(dist.root.is_some())?;
        let dir = std::path::absolute(&opts.dir)
            .map_err(|e| LabError::io("bad directory", &opts.dir, e))?;
        prepare_dir(&dir)?;
        let pids = PidFile::new(&dir);
        if pids
            .read()?
            .iter()
            .any(|(_, pid)| pid_alive(*pid) && proc::is_ours(*pid, &dir))
        {
            return Err(LabError::AlreadyRunning {
                dir: dir.clone(),
                pids: pids.path.clone(),
            });
        }
        pids.remove();
        check_ports_free(&ports.all())?;
        proc::check_reachable_by_nobody(&dir)?;
        for sub in SERVER_NAMES.iter().chain(&["dns", "run"]) {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p)
                    .map_err(|e| LabError::io("cannot clear old lab state in", &p, e))?;
            }
        }
        let result = start_daemons(opts, &dist, &dir, ports, &pids);
        if result.is_err() {
            // The daemons already stopped (dropped inside start_daemons).
            pids.remove();
        }
        result
    }

    /// Leaves the daemons running (for `ddish lab up`); `down(dir)` stops them.
    pub fn detach(mut self) -> LabInfo {
        for k in &mut self.kea {
            k.release();
        }
        self.dns.release();
        self.detached = true;
        self.info.clone()
    }

    /// Waits until both servers are in the HA mode's state.
    pub fn wait_ha(&self, timeout: Duration) -> Result<(), LabError> {
        let refs: Vec<&KeaInstance> = self.kea.iter().collect();
        wait_ha_state(&refs, self.info.ha_mode.as_kea(), timeout)
    }

    /// Every daemon's (name, pid).
    pub fn pids(&self) -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = self.kea.iter().flat_map(|k| k.pids()).collect();
        v.extend(self.dns.pids());
        v
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.detached {
            // Fields drop after this and stop the daemons; the record goes with them.
            PidFile::new(&self.info.dir).remove();
        }
    }
}

/// Refuses a non-empty dir that is not a lab dir (so `up` never clears someone's files),
/// then creates it with the marker.
fn prepare_dir(dir: &Path) -> Result<(), LabError> {
    let marker = dir.join(MARKER);
    if dir.exists() && !marker.exists() {
        let non_empty = std::fs::read_dir(dir)
            .map_err(|e| LabError::io("cannot read", dir, e))?
            .next()
            .is_some();
        if non_empty {
            return Err(LabError::Invalid(format!(
                "{} is not empty and is not a ddish lab directory (no {MARKER} in it); \
                 pick an empty or new directory with --dir",
                dir.display()
            )));
        }
    }
    // D itself stays ddish's (its ddish.toml and kea-password must not be replaceable by the
    // daemons' user); only the per-daemon subdirs go to nobody.
    std::fs::create_dir_all(dir).map_err(|e| LabError::io("cannot create directory", dir, e))?;
    if is_root() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::os::unix::fs::lchown(dir, Some(0), Some(0));
        // nobody must pass through D to its subdirs (mktemp -d makes 0700 dirs).
        let mode = std::fs::metadata(dir)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o755);
        if mode & 0o001 == 0 {
            std::fs::set_permissions(
                dir,
                std::fs::Permissions::from_mode((mode & 0o7777) | 0o711),
            )
            .map_err(|e| LabError::io("cannot make accessible to the daemons", dir, e))?;
        }
    }
    proc::write_own_file(&marker, "ddish lab directory\n", 0o644)
}

fn start_daemons(
    opts: &LabOptions,
    dist: &KeaDist,
    dir: &Path,
    ports: LabPorts,
    pids: &PidFile,
) -> Result<Lab, LabError> {
    let password = if opts.with_auth {
        let p = proc::random_hex(16)?;
        let file = dir.join("kea-password");
        // Read by ddish (root or the current user), never by the daemons: not chowned.
        proc::write_own_file(&file, &format!("{p}\n"), 0o600)?;
        Some((p, file))
    } else {
        let _ = std::fs::remove_file(dir.join("kea-password"));
        None
    };
    let auth = password.as_ref().map(|(p, _)| (LAB_USER, p.as_str()));
    let peers: Vec<(String, String)> = SERVER_NAMES
        .iter()
        .zip(ports.ca)
        .map(|(n, p)| (n.to_string(), format!("http://127.0.0.1:{p}/")))
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let csv = sample_leases_csv(now);

    let mut kea = Vec::new();
    for (i, name) in SERVER_NAMES.iter().enumerate() {
        let k = KeaInstance::start_on(
            dist,
            &dir.join(name),
            name,
            ports.ca[i],
            ports.dhcp[i],
            lab_dhcp4(dist, name, &peers, opts.ha_mode, auth)?,
            auth,
            Some(&csv),
        )?;
        for (n, pid) in k.pids() {
            pids.append(&n, pid)?;
        }
        kea.push(k);
    }
    check_seeded_leases(&kea[0])?;

    let zones = sample_zones();
    let zone_refs: Vec<(&str, &str)> = zones.iter().map(|(z, b)| (*z, b.as_str())).collect();
    let dns = DnsInstance::start(&dir.join("dns"), ports.dns, &zone_refs)?;
    for (n, pid) in dns.pids() {
        pids.append(&n, pid)?;
    }

    let info = LabInfo {
        dir: dir.to_path_buf(),
        config_path: dir.join("ddish.toml"),
        servers: peers.clone(),
        dns: dns.addr,
        ports,
        ha_mode: opts.ha_mode,
        user: password.as_ref().map(|_| LAB_USER.to_string()),
        password_file: password.as_ref().map(|(_, f)| f.clone()),
        dns_key_file: dns.key_file.clone(),
        zones: dns.zones.clone(),
        pids_file: pids.path.clone(),
        api: dist.api,
        kea_version: dist.version().unwrap_or_else(|_| "?".into()),
    };
    write_ddish_toml(&info.config_path, &lab_toml(&info, &dns))?;
    Ok(Lab {
        info,
        kea,
        dns,
        detached: false,
    })
}

/// The lab's sample config for this Kea. Kea >= 2.4 runs HA with multi-threading by default,
/// and then each server opens its own HTTP listener on its peer URL (KEA_FACTS.md §14),
/// which is the agent's or the daemon's API port here: the lab turns HA's own threads off so
/// the peers talk through the API port on every version, as on 2.2.
fn lab_dhcp4(
    dist: &KeaDist,
    name: &str,
    peers: &[(String, String)],
    mode: HaMode,
    auth: Option<(&str, &str)>,
) -> Result<serde_json::Value, LabError> {
    let mut cfg = sample_dhcp4(name, peers, mode, auth);
    // host_cmds, subnet_cmds and class_cmds are open source since Kea 2.7 (3.0 ships them):
    // where the Kea has them, the lab loads them and ddish writes through them.
    let dir = dist.hooks_dir()?;
    if let Some(hooks) = cfg["Dhcp4"]["hooks-libraries"].as_array_mut() {
        for lib in [
            "libdhcp_host_cmds.so",
            "libdhcp_subnet_cmds.so",
            "libdhcp_class_cmds.so",
        ] {
            if dir.join(lib).is_file() {
                hooks.insert(2, serde_json::json!({ "library": lib }));
            }
        }
    }
    if dist.version_number()? >= (2, 4) {
        for h in cfg["Dhcp4"]["hooks-libraries"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            let ha = h
                .get_mut("parameters")
                .and_then(|p| p.get_mut("high-availability"))
                .and_then(|l| l.get_mut(0))
                .and_then(serde_json::Value::as_object_mut);
            if let Some(ha) = ha {
                ha.insert(
                    "multi-threading".into(),
                    json!({"enable-multi-threading": false}),
                );
            }
        }
    }
    Ok(cfg)
}

/// The ddish.toml of a lab.
fn lab_toml(info: &LabInfo, dns: &DnsInstance) -> DdishToml {
    DdishToml {
        servers: info
            .servers
            .iter()
            .map(|(name, url)| TomlServer {
                name: name.clone(),
                url: url.clone(),
                user: info.user.clone(),
                password_file: info.password_file.clone(),
                tags: vec!["lab".into()],
                api: info.api.as_str().into(),
            })
            .collect(),
        dns: Some(TomlDns {
            server_name: "lab-ns".into(),
            addr: dns.addr,
            zones: dns.zones.clone(),
            key_name: dns.key_name.clone(),
            algorithm: "hmac-sha256".into(),
            secret_file: dns.key_file.clone(),
        }),
        journal: info.dir.join("journal.jsonl"),
        refresh_interval: 10,
        request_timeout: 10,
    }
}

/// Kea silently skips CSV lines it can't parse: make sure every seeded lease is there.
fn check_seeded_leases(k: &KeaInstance) -> Result<(), LabError> {
    for (subnet, want) in sample_lease_counts() {
        let r = k.command("lease4-get-all", Some(json!({"subnets": [subnet]})))?;
        let got = r["arguments"]["leases"].as_array().map_or(0, Vec::len);
        if got != want {
            return Err(LabError::NotReady {
                what: format!(
                    "{} loaded {got} leases for subnet {subnet} from its seed file, expected {want} \
                     (is this Kea 2.2's memfile format? see {})",
                    k.name,
                    k.leases_path.display()
                ),
                log: k.dhcp_log.clone(),
                tail: proc::tail(&k.dhcp_log, 8),
            });
        }
    }
    Ok(())
}

/// `ddish lab up`: starts the lab and leaves it running; returns where its ddish.toml is.
pub fn up(opts: &LabOptions) -> Result<LabInfo, LabError> {
    Ok(Lab::start(opts)?.detach())
}

/// `ddish lab down`: stops exactly the daemons recorded in `dir/run/pids` (SIGTERM, SIGKILL
/// after 5 s; a PID that now belongs to another program is left alone) and removes the pids
/// file. Returns one line per daemon; empty when nothing was recorded.
pub fn down(dir: &Path) -> Result<Vec<String>, LabError> {
    let dir = std::path::absolute(dir).map_err(|e| LabError::io("bad directory", dir, e))?;
    let pids = PidFile::new(&dir);
    let entries = pids.read()?;
    let report = proc::stop_recorded(&entries, &dir);
    pids.remove();
    Ok(report)
}

/// `$TMPDIR/ddish-lab-<uid>` (usually /tmp/ddish-lab-<uid>): per user, and reachable by
/// `nobody`, which the daemons run as when ddish runs as root.
pub fn default_dir() -> PathBuf {
    // SAFETY: getuid has no preconditions and can't fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("ddish-lab-{uid}"))
}

/// Refuses ports another process holds on 127.0.0.1, TCP or UDP. Checked before starting
/// because named shares a busy UDP port silently (SO_REUSEPORT, KEA_FACTS §9).
pub fn check_ports_free(ports: &[(u16, String)]) -> Result<(), LabError> {
    for (port, what) in ports {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, *port));
        let tcp = TcpListener::bind(addr).is_ok();
        let udp = UdpSocket::bind(addr).is_ok();
        if !(tcp && udp) {
            return Err(LabError::PortInUse {
                port: *port,
                what: what.clone(),
                detail: port_owner(*port),
            });
        }
    }
    Ok(())
}

/// `ss`'s view of who holds a port, as ": ..." (empty when ss is missing or says nothing).
fn port_owner(port: u16) -> String {
    let Some(ss) = find_program("ss") else {
        return String::new();
    };
    let out = std::process::Command::new(ss)
        .args(["-Hlntup", &format!("sport = :{port}")])
        .output();
    match out {
        Ok(o) if !o.stdout.is_empty() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            format!(":\n  {}", lines.join("\n  "))
        }
        _ => String::new(),
    }
}
