//! A private PostgreSQL on loopback as Kea's hosts database, for the tests of reservations
//! kept outside the config file (config-get never shows them; host_cmds does): `initdb` in
//! the lab dir, `postgres` on 127.0.0.1:<port> only, trust authentication (nothing but
//! loopback reaches it), unprivileged (nobody when root), Kea's schema loaded from the Kea
//! installation's kea-admin scripts. Dropping it stops the server.
use super::proc::{self, Daemon, Spec};
use super::LabError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The database and role Kea uses.
pub const PG_DB: &str = "kea";
pub const PG_USER: &str = "kea";

pub struct PgInstance {
    pub port: u16,
    pub dir: PathBuf,
    daemon: Daemon,
}

impl std::fmt::Debug for PgInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgInstance")
            .field("port", &self.port)
            .field("dir", &self.dir)
            .finish()
    }
}

/// The newest PostgreSQL server installed (`/usr/lib/postgresql/<N>/bin`).
pub fn pg_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

fn not_installed() -> LabError {
    LabError::NotInstalled {
        missing: vec!["PostgreSQL (initdb, postgres, psql)".into()],
        packages: vec!["postgresql".into(), "postgresql-client".into()],
    }
}

impl PgInstance {
    /// Starts PostgreSQL in `dir` on 127.0.0.1:`port` with database [`PG_DB`] owned by
    /// [`PG_USER`], and loads `schema` (kea-admin's `dhcpdb_create.pgsql`) into it.
    pub fn start(dir: &Path, port: u16, schema: &Path) -> Result<PgInstance, LabError> {
        let bin = pg_bin_dir().ok_or_else(not_installed)?;
        super::check_ports_free(&[(port, "PostgreSQL".to_string())])?;
        let dir = std::path::absolute(dir).map_err(|e| LabError::io("bad directory", dir, e))?;
        proc::check_reachable_by_nobody(&dir)?;
        proc::make_dir(&dir)?;
        let data = dir.join("data");
        run_once(
            &bin.join("initdb"),
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                PG_USER.as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ],
            &dir.join("initdb.log"),
        )?;
        let daemon = Daemon::start(Spec {
            name: "postgres".into(),
            program: bin.join("postgres"),
            args: vec![
                "-D".into(),
                data.clone().into_os_string(),
                "-p".into(),
                port.to_string().into(),
                "-k".into(),
                dir.clone().into_os_string(),
                "-c".into(),
                "listen_addresses=127.0.0.1".into(),
                // A test database: nothing here must survive a crash.
                "-c".into(),
                "fsync=off".into(),
            ],
            env: Vec::new(),
            log: dir.join("postgres.log"),
        })?;
        let pg = PgInstance { port, dir, daemon };
        pg.wait_ready()?;
        pg.psql(
            "postgres",
            &format!("CREATE DATABASE {PG_DB} OWNER {PG_USER}"),
        )?;
        let out = pg.psql_file(PG_DB, schema)?;
        if out.contains("ERROR") {
            return Err(LabError::Check(format!(
                "loading the Kea schema {} failed: {out}",
                schema.display()
            )));
        }
        Ok(pg)
    }

    fn wait_ready(&self) -> Result<(), LabError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.psql("postgres", "SELECT 1").is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(LabError::Check(format!(
                    "PostgreSQL did not answer on 127.0.0.1:{} within 30 s; its log:\n{}",
                    self.port,
                    proc::tail(&self.dir.join("postgres.log"), 20)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs one SQL statement as [`PG_USER`]; returns psql's output.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, LabError> {
        self.psql_args(db, &["-c", sql])
    }

    fn psql_file(&self, db: &str, file: &Path) -> Result<String, LabError> {
        self.psql_args(db, &["-f", &file.to_string_lossy()])
    }

    fn psql_args(&self, db: &str, extra: &[&str]) -> Result<String, LabError> {
        let psql = super::find_program("psql").ok_or_else(not_installed)?;
        let port = self.port.to_string();
        let out = Command::new(psql)
            // Tuples only, unaligned: a count comes back as just the number.
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
            ])
            .arg(&port)
            .args(["-U", PG_USER, "-d", db])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| LabError::Spawn {
                program: "psql".into(),
                source: e,
            })?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Ok(text)
        } else {
            Err(LabError::Check(format!(
                "psql on port {port}: {}",
                text.trim()
            )))
        }
    }

    /// Kea's `hosts-database` entry for this server.
    pub fn kea_hosts_database(&self) -> serde_json::Value {
        serde_json::json!({"type": "postgresql", "name": PG_DB, "host": "127.0.0.1",
                           "port": self.port, "user": PG_USER})
    }

    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }
}

/// Runs a program to its end as the daemons' user (nobody when root: initdb refuses root).
fn run_once(program: &Path, args: &[&std::ffi::OsStr], log: &Path) -> Result<(), LabError> {
    let out = proc::as_daemon_user(program)?
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LabError::Spawn {
            program: program.display().to_string(),
            source: e,
        })?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::write(log, &text);
    if out.status.success() {
        Ok(())
    } else {
        Err(LabError::Check(format!(
            "{} failed: {}",
            program.display(),
            text.lines().rev().take(5).collect::<Vec<_>>().join(" / ")
        )))
    }
}
