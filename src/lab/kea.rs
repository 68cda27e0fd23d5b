//! One Kea server for the lab and the tests: a kea-dhcp4 and its kea-ctrl-agent (or, with
//! the direct API, kea-dhcp4's own HTTP socket), with all files (configs, leases, sockets,
//! pid files, logs) in one private directory. Which Kea runs is a [`KeaDist`].
use super::http;
use super::kea_config::{ca_config, complete_dhcp4, copy_tls, http_socket, pretty};
use super::kea_dist::{KeaDist, LabApi};
use super::proc::{self, Daemon, Spec};
use super::LabError;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a daemon may take to answer after start (a big lease file loads slowly).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// One kea-dhcp4 plus its kea-ctrl-agent. Dropping it stops both.
pub struct KeaInstance {
    pub name: String,
    /// `http://127.0.0.1:<ca_port>/`: the Control Agent, or kea-dhcp4 itself (direct API).
    pub ca_url: String,
    /// Which Kea and API this instance runs.
    pub dist: KeaDist,
    pub dir: PathBuf,
    pub ca_port: u16,
    pub dhcp_port: u16,
    /// kea-dhcp4's `-c` file (config-write rewrites it).
    pub config_path: PathBuf,
    pub socket_path: PathBuf,
    pub leases_path: PathBuf,
    /// kea-dhcp4's own log (after its config is loaded); start-up errors go to `dhcp_out`.
    pub dhcp_log: PathBuf,
    pub dhcp_out: PathBuf,
    pub ca_log: PathBuf,
    pub ca_out: PathBuf,
    auth: Option<(String, String)>,
    /// HTTPS on `ca_port`: the lab's own commands then go over the unix socket.
    tls: bool,
    dhcp: Daemon,
    /// `None` with the direct API: kea-dhcp4 answers HTTP itself.
    ca: Option<Daemon>,
}

impl fmt::Debug for KeaInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeaInstance")
            .field("name", &self.name)
            .field("ca_url", &self.ca_url)
            .field("dir", &self.dir)
            .field("dhcp_port", &self.dhcp_port)
            .field("auth", &self.auth.as_ref().map(|(u, _)| format!("{u}:***")))
            .field("pids", &self.pids())
            .finish()
    }
}

impl Drop for KeaInstance {
    fn drop(&mut self) {
        // The CA first, so nothing is forwarded to a dying kea-dhcp4.
        if let Some(ca) = &mut self.ca {
            ca.stop();
        }
        self.dhcp.stop();
    }
}

/// TLS for the HTTP endpoint (the CA, or kea-dhcp4's own socket with the direct API): PEM
/// files, copied into the instance's directory so the daemons' user can read them.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The CA that signed client certificates (Kea wants a trust anchor even when it does
    /// not require them).
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What [`KeaInstance::start_with`] may add to a plain instance.
#[derive(Clone, Debug, Default)]
pub struct KeaOptions<'a> {
    /// Basic auth on the HTTP endpoint: (user, password).
    pub ca_auth: Option<(&'a str, &'a str)>,
    /// A Kea 2.2 memfile written to leases4.csv before the start.
    pub leases_csv: Option<&'a str>,
    pub tls: Option<TlsFiles>,
}

impl KeaInstance {
    /// Writes the configs into `dir` and starts kea-dhcp4 (on 127.0.0.1:`dhcp_port`, never
    /// 67) and kea-ctrl-agent (on 127.0.0.1:`ca_port`), then waits until the CA answers
    /// `status-get` through dhcp4.
    ///
    /// `dhcp4` is the full `{"Dhcp4": {...}}` without control-socket, lease-database and
    /// loggers (filled in here for `dir`; any given are replaced). Hook libraries given by bare
    /// file name (`libdhcp_ha.so`) are looked up in [`hooks_dir`](super::hooks_dir). Without
    /// `interfaces-config` the server listens on `lo` over UDP. `ca_auth` turns on basic auth
    /// on the CA. `leases_csv` (a Kea 2.2 memfile, see [`sample_leases_csv`](super::sample_leases_csv))
    /// is written to leases4.csv before the start.
    pub fn start(
        dir: &Path,
        name: &str,
        ca_port: u16,
        dhcp_port: u16,
        dhcp4: Value,
        ca_auth: Option<(&str, &str)>,
        leases_csv: Option<&str>,
    ) -> Result<KeaInstance, LabError> {
        let dist = KeaDist::from_env()?;
        Self::start_on(
            &dist, dir, name, ca_port, dhcp_port, dhcp4, ca_auth, leases_csv,
        )
    }

    /// [`start`](Self::start) on a given Kea ([`KeaDist`]) instead of the one the
    /// environment names (`DDISH_KEA_ROOT`, `DDISH_KEA_API`). With the direct API, `ca_port`
    /// is kea-dhcp4's own HTTP socket and no agent runs.
    #[allow(clippy::too_many_arguments)]
    pub fn start_on(
        dist: &KeaDist,
        dir: &Path,
        name: &str,
        ca_port: u16,
        dhcp_port: u16,
        dhcp4: Value,
        ca_auth: Option<(&str, &str)>,
        leases_csv: Option<&str>,
    ) -> Result<KeaInstance, LabError> {
        let opts = KeaOptions {
            ca_auth,
            leases_csv,
            tls: None,
        };
        Self::start_with(dist, dir, name, ca_port, dhcp_port, dhcp4, &opts)
    }

    /// [`start_on`](Self::start_on) with [`KeaOptions`] (TLS among them).
    pub fn start_with(
        dist: &KeaDist,
        dir: &Path,
        name: &str,
        ca_port: u16,
        dhcp_port: u16,
        dhcp4: Value,
        opts: &KeaOptions,
    ) -> Result<KeaInstance, LabError> {
        let (ca_auth, leases_csv) = (opts.ca_auth, opts.leases_csv);
        let dir = std::path::absolute(dir).map_err(|e| LabError::io("bad directory", dir, e))?;
        // A CA already on the port would answer our readiness checks in its stead.
        super::check_ports_free(&[
            (ca_port, format!("{name} control agent")),
            (dhcp_port, format!("{name} DHCP")),
        ])?;
        proc::check_reachable_by_nobody(&dir)?;
        proc::make_dir(&dir)?;
        let socket_path = dir.join("kea4-ctrl.sock");
        if socket_path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(LabError::Invalid(format!(
                "directory path too long for Kea's control socket ({} > {MAX_SOCKET_PATH} bytes): {}",
                socket_path.as_os_str().len(),
                socket_path.display()
            )));
        }
        let config_path = dir.join("kea-dhcp4.json");
        let ca_config_path = dir.join("kea-ctrl-agent.json");
        let leases_path = dir.join("leases4.csv");
        let dhcp_log = dir.join("kea-dhcp4.log");
        let ca_log = dir.join("kea-ctrl-agent.log");

        let tls = match &opts.tls {
            Some(t) => Some(copy_tls(&dir, t)?),
            None => None,
        };
        let http =
            (dist.api == LabApi::Direct).then(|| http_socket(ca_port, ca_auth, tls.as_ref()));
        let config = complete_dhcp4(dist, dhcp4, &socket_path, &leases_path, &dhcp_log, http)?;
        // 0600: the HA peers' and the CA's passwords are in these files.
        proc::write_file(&config_path, &pretty(&config), 0o600)?;
        if dist.api == LabApi::Agent {
            proc::write_file(
                &ca_config_path,
                &pretty(&ca_config(
                    ca_port,
                    &socket_path,
                    &ca_log,
                    ca_auth,
                    tls.as_ref(),
                )),
                0o600,
            )?;
        }
        if let Some(csv) = leases_csv {
            proc::write_file(&leases_path, csv, 0o644)?;
        }
        // Kea >= 2.6.2 checks that its socket directory is 0750 (KEA_FACTS.md §14).
        proc::set_mode(&dir, 0o750)?;

        let env = dist.env(&dir)?;
        let dhcp_out = dir.join("kea-dhcp4.out");
        let ca_out = dir.join("kea-ctrl-agent.out");
        let (program, mut args) = dist.command("kea-dhcp4")?;
        args.extend([
            "-c".into(),
            config_path.clone().into_os_string(),
            "-p".into(),
            dhcp_port.to_string().into(),
        ]);
        let dhcp_spec = Spec {
            name: format!("{name}-dhcp4"),
            program,
            args,
            env: env.clone(),
            log: dhcp_out.clone(),
        };
        let dhcp = Daemon::start(dhcp_spec)?;
        let ca = match dist.api {
            LabApi::Direct => None,
            LabApi::Agent => {
                let (program, mut args) = dist.command("kea-ctrl-agent")?;
                args.extend(["-c".into(), ca_config_path.into_os_string()]);
                Some(Daemon::start(Spec {
                    name: format!("{name}-ca"),
                    program,
                    args,
                    env,
                    log: ca_out.clone(),
                })?)
            }
        };
        let mut k = KeaInstance {
            name: name.to_string(),
            ca_url: format!(
                "{}://127.0.0.1:{ca_port}/",
                if tls.is_some() { "https" } else { "http" }
            ),
            dist: dist.clone(),
            dir,
            ca_port,
            dhcp_port,
            config_path,
            socket_path,
            leases_path,
            dhcp_log,
            dhcp_out,
            ca_log,
            ca_out,
            auth: ca_auth.map(|(u, p)| (u.to_string(), p.to_string())),
            tls: tls.is_some(),
            dhcp,
            ca,
        };
        k.wait_dhcp_ready()?;
        k.wait_ca_ready()?;
        Ok(k)
    }

    fn auth(&self) -> Option<(&str, &str)> {
        self.auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// A dhcp4 command through the CA; returns the answer object (`result`, `text`, `arguments`).
    /// With TLS on, through kea-dhcp4's unix socket (the lab's HTTP client speaks no TLS).
    pub fn command(&self, command: &str, arguments: Option<Value>) -> Result<Value, LabError> {
        if self.tls {
            return self.direct_command(command, arguments);
        }
        http::kea_command(self.ca_port, self.auth(), Some("dhcp4"), command, arguments)
            .map_err(|e| LabError::Check(format!("{}: {command}: {e}", self.name)))
    }

    /// config-set as another tool would send it ([`http::kea_config_set`]).
    pub fn config_set(&self, config: Value) -> Result<Value, LabError> {
        http::kea_config_set(self.ca_port, self.auth(), config)
            .map_err(|e| LabError::Check(format!("{}: config-set: {e}", self.name)))
    }

    /// A command to the CA itself (no `service`).
    pub fn ca_command(&self, command: &str, arguments: Option<Value>) -> Result<Value, LabError> {
        http::kea_command(self.ca_port, self.auth(), None, command, arguments)
            .map_err(|e| LabError::Check(format!("{}: {command}: {e}", self.name)))
    }

    /// A command straight to kea-dhcp4's unix socket (works while the CA is stopped/paused).
    pub fn direct_command(
        &self,
        command: &str,
        arguments: Option<Value>,
    ) -> Result<Value, LabError> {
        http::unix_command(&self.socket_path, command, arguments)
            .map_err(|e| LabError::Check(format!("{}: {command}: {e}", self.name)))
    }

    /// The local HA state from `ha-heartbeat` (e.g. "waiting", "load-balancing").
    pub fn ha_state(&self) -> Result<String, LabError> {
        let r = self.command("ha-heartbeat", None)?;
        r["arguments"]["state"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| LabError::Check(format!("{}: ha-heartbeat answered {r}", self.name)))
    }

    /// The pids of the running daemons, named `<name>-dhcp4` and `<name>-ca`.
    pub fn pids(&self) -> Vec<(String, u32)> {
        std::iter::once(&self.dhcp)
            .chain(self.ca.as_ref())
            .filter_map(|d| Some((d.spec.name.clone(), d.pid()?)))
            .collect()
    }

    pub fn dhcp_pid(&self) -> Option<u32> {
        self.dhcp.pid()
    }

    /// The process answering HTTP: the CA, or kea-dhcp4 itself with the direct API.
    pub fn ca_pid(&self) -> Option<u32> {
        self.http_daemon().pid()
    }

    fn http_daemon(&self) -> &Daemon {
        self.ca.as_ref().unwrap_or(&self.dhcp)
    }

    fn http_daemon_mut(&mut self) -> &mut Daemon {
        self.ca.as_mut().unwrap_or(&mut self.dhcp)
    }

    /// Stops kea-dhcp4 (SIGTERM, SIGKILL after 5 s). The CA stays up and answers
    /// "unable to forward command to the dhcp4 service".
    pub fn stop_dhcp(&mut self) {
        self.dhcp.stop();
    }

    /// Starts kea-dhcp4 again from its config file (as config-write left it) and waits
    /// until it answers on its control socket.
    pub fn start_dhcp(&mut self) -> Result<(), LabError> {
        self.wait_lfc_done();
        self.dhcp.restart()?;
        self.wait_dhcp_ready()
    }

    /// Kea >= 2.6 starts kea-lfc on every config load, and it outlives a stopped daemon;
    /// a kea-dhcp4 started while it runs refuses its lease file ("lease file cleanup is in
    /// progress") and exits. Waits (at most 30 s) for the one named in `<leases>.pid`.
    pub fn wait_lfc_done(&self) {
        let mut pid_file = self.leases_path.clone().into_os_string();
        pid_file.push(".pid");
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        {
            if !proc::pid_alive(pid) || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the HTTP endpoint: the CA (kea-dhcp4 itself with the direct API).
    pub fn stop_ca(&mut self) {
        self.http_daemon_mut().stop();
    }

    /// SIGKILL the HTTP endpoint: a paused one dies without answering what it holds
    /// ([`stop_ca`](Self::stop_ca) resumes it first).
    pub fn kill_ca(&mut self) {
        let d = self.http_daemon_mut();
        d.signal(libc::SIGKILL);
        d.stop();
    }

    pub fn start_ca(&mut self) -> Result<(), LabError> {
        self.http_daemon_mut().restart()?;
        if self.ca.is_none() {
            self.wait_dhcp_ready()?;
        }
        self.wait_ca_ready()
    }

    /// SIGSTOP the HTTP endpoint: connections are accepted by the kernel but never answered.
    pub fn pause_ca(&self) {
        self.http_daemon().signal(libc::SIGSTOP);
    }

    pub fn resume_ca(&self) {
        self.http_daemon().signal(libc::SIGCONT);
    }

    /// SIGSTOP kea-dhcp4: the CA answers, forwarded commands hang until its timeout.
    pub fn pause_dhcp(&self) {
        self.dhcp.signal(libc::SIGSTOP);
    }

    pub fn resume_dhcp(&self) {
        self.dhcp.signal(libc::SIGCONT);
    }

    /// Leaves both daemons running after this value is gone; returns their pids.
    pub fn detach(mut self) -> Vec<(String, u32)> {
        self.release()
    }

    pub(crate) fn release(&mut self) -> Vec<(String, u32)> {
        let pids = self.pids();
        self.dhcp.detach();
        if let Some(ca) = &mut self.ca {
            ca.detach();
        }
        pids
    }

    fn wait_dhcp_ready(&mut self) -> Result<(), LabError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(r) = http::unix_command(&self.socket_path, "status-get", None) {
                if r["result"] == 0 {
                    return Ok(());
                }
            }
            if !self.dhcp.alive() {
                return Err(self.not_ready("kea-dhcp4", "exited during start-up", true));
            }
            if Instant::now() > deadline {
                return Err(self.not_ready(
                    "kea-dhcp4",
                    "did not answer on its control socket within 60 s",
                    true,
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_ca_ready(&mut self) -> Result<(), LabError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let last = if self.tls {
                // No TLS in the lab's client: a listening port after a ready kea-dhcp4.
                let addr =
                    std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, self.ca_port));
                match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                    Ok(_) => return Ok(()),
                    Err(e) => e.to_string(),
                }
            } else {
                match http::kea_command(
                    self.ca_port,
                    self.auth(),
                    Some("dhcp4"),
                    "status-get",
                    None,
                ) {
                    Ok(r) if r["result"] == 0 => return Ok(()),
                    Ok(r) => r["text"].as_str().unwrap_or_default().to_string(),
                    Err(e) => e,
                }
            };
            if !self.http_daemon_mut().alive() {
                return Err(self.not_ready("kea-ctrl-agent", "exited during start-up", false));
            }
            if Instant::now() > deadline {
                return Err(self.not_ready(
                    "kea-ctrl-agent",
                    &format!("did not relay status-get to dhcp4 within 60 s ({last})"),
                    false,
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn not_ready(&self, program: &str, what: &str, dhcp: bool) -> LabError {
        let (program, dhcp) = if self.ca.is_none() {
            ("kea-dhcp4", true)
        } else {
            (program, dhcp)
        };
        let (out, log) = if dhcp {
            (&self.dhcp_out, &self.dhcp_log)
        } else {
            (&self.ca_out, &self.ca_log)
        };
        // Config errors land in the .out file (before the loggers apply), the rest in the log:
        // show the ERROR lines of both, else the last lines.
        let text = [out, log]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect::<Vec<_>>()
            .join("\n");
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(" ERROR ") || l.contains("FATAL"))
            .collect();
        let tail = if errors.is_empty() {
            proc::tail(log, 8)
        } else {
            errors[errors.len().saturating_sub(6)..].join("\n")
        };
        let port = if dhcp { self.dhcp_port } else { self.ca_port };
        LabError::NotReady {
            what: format!(
                "{program} for {} (port {port}) {what}\n(start-up output: {})",
                self.name,
                out.display()
            ),
            log: log.clone(),
            tail,
        }
    }
}

/// A CA to poll: (server name, CA port, basic auth).
pub type CaTarget<'a> = (String, u16, Option<(&'a str, &'a str)>);

/// Polls `ha-heartbeat` on all `servers` until every one reports `want` (e.g.
/// "load-balancing"); returns the last states seen on timeout as the error.
pub fn wait_ha_state(
    servers: &[&KeaInstance],
    want: &str,
    timeout: Duration,
) -> Result<(), LabError> {
    let ports: Vec<CaTarget> = servers
        .iter()
        .map(|k| (k.name.clone(), k.ca_port, k.auth()))
        .collect();
    wait_ha_ports(&ports, want, timeout)
}

/// [`wait_ha_state`] by CA port: (name, port, auth).
pub fn wait_ha_ports(servers: &[CaTarget], want: &str, timeout: Duration) -> Result<(), LabError> {
    let deadline = Instant::now() + timeout;
    loop {
        let states: Vec<String> = servers
            .iter()
            .map(|(_, port, auth)| {
                http::kea_command(*port, *auth, Some("dhcp4"), "ha-heartbeat", None)
                    .ok()
                    .and_then(|r| r["arguments"]["state"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "?".into())
            })
            .collect();
        if states.iter().all(|s| s == want) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let seen: Vec<String> = servers
                .iter()
                .zip(&states)
                .map(|((n, _, _), s)| format!("{n}: {s}"))
                .collect();
            return Err(LabError::Check(format!(
                "HA did not reach {want} within {} s ({})",
                timeout.as_secs(),
                seen.join(", ")
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
