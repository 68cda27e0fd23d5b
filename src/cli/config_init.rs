//! `ddish config init`: a commented starter configuration at the XDG path (or --config),
//! never over an existing one without --force; each --server URL is asked what answers
//! there (agent or direct API, dhcp4 or dhcp6, version) and written as found.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ddish::config::starter::{self, NewServer};
use ddish::config::SecretSource;

use super::common::{runtime, Fail};

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// A Kea server's URL (Control Agent or the daemon's own HTTP socket); repeatable.
    #[arg(long = "server", value_name = "URL")]
    pub servers: Vec<String>,
    /// Its name in ddish (repeatable, in --server order; default kea-1, kea-2...).
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// The user ddish logs in as: once for every server, or once per --server.
    #[arg(long = "user", value_name = "U")]
    pub users: Vec<String>,
    /// A file holding the password (first line): once for all, or once per --server.
    #[arg(long = "password-file", value_name = "FILE")]
    pub password_files: Vec<PathBuf>,
    /// A PEM CA bundle for https:// servers' certificates: once for all, or once per --server.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<PathBuf>,
    /// Allow a login over plain http:// to a host that is not loopback (the password
    /// crosses the network readable; prefer https).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Replace an existing configuration file.
    #[arg(long)]
    pub force: bool,
}

/// The `i`th of a per-server list: one value for all, or one each.
fn nth<'a, T>(list: &'a [T], i: usize, what: &str, servers: usize) -> Result<Option<&'a T>, Fail> {
    match list.len() {
        0 => Ok(None),
        1 => Ok(list.first()),
        n if n == servers => Ok(list.get(i)),
        n => Err(Fail(
            3,
            format!("{n} {what} for {servers} --server: give one for all, or one per server"),
        )),
    }
}

pub fn init(path: &Path, a: InitArgs) -> Result<ExitCode, Fail> {
    if path.exists() && !a.force {
        return Err(Fail(
            3,
            format!(
                "{} exists: nothing written (add --force to replace it, or edit it)",
                path.display()
            ),
        ));
    }
    let rt = runtime()?;
    let n = a.servers.len();
    let mut found = Vec::new();
    for (i, url) in a.servers.iter().enumerate() {
        // Names are each server's own: none, or one per --server.
        let name = match a.names.len() {
            0 => format!("kea-{}", i + 1),
            m if m == n => a.names[i].clone(),
            m => {
                return Err(Fail(
                    3,
                    format!("{m} --name for {n} --server: give one per server, or none"),
                ))
            }
        };
        let user = nth(&a.users, i, "--user", n)?.cloned();
        let password_file = match nth(&a.password_files, i, "--password-file", n)? {
            Some(p) => Some(
                std::fs::canonicalize(p)
                    .map_err(|e| Fail(3, format!("--password-file {}: {e}", p.display())))?,
            ),
            None => None,
        };
        let ca_file = match nth(&a.ca_files, i, "--ca-file", n)? {
            Some(p) => Some(
                std::fs::canonicalize(p)
                    .map_err(|e| Fail(3, format!("--ca-file {}: {e}", p.display())))?,
            ),
            None => None,
        };
        if user.is_some() != password_file.is_some() {
            return Err(Fail(
                3,
                format!("{name}: a user needs a password file and a password file a user"),
            ));
        }
        let base = ddish::kea::discover::trial(
            &name,
            url,
            user.as_deref(),
            password_file.clone().map(SecretSource::File),
            ca_file.clone(),
            a.allow_plain_http,
        );
        let f = rt
            .block_on(ddish::kea::discover::discover(
                &base,
                Duration::from_secs(10),
            ))
            .map_err(|e| Fail(2, format!("{url}: {e}; nothing written")))?;
        let how = f.how();
        eprintln!("{name}: Kea {} answers at {url} {how}", f.version);
        found.push(NewServer {
            name,
            url: url.clone(),
            api: f.api,
            service: f.service,
            user,
            password_file,
            ca_file,
            allow_plain_http: a.allow_plain_http,
            found: format!("Kea {} {how}, when ddish config init asked", f.version),
        });
    }
    let text = starter::starter(
        &found,
        Path::new("/usr/share/doc/ddish/config.example.toml"),
    );
    // What it writes, it must read back.
    ddish::config::parse(&text, path).map_err(|e| Fail(2, format!("internal error: {e}")))?;
    starter::write_private(path, &text)
        .map_err(|e| Fail(2, format!("cannot write {}: {e}", path.display())))?;
    println!("{}", path.display());
    eprintln!(
        "wrote {} with {} server(s); open the console with: ddish{}",
        path.display(),
        found.len(),
        if Some(path.to_path_buf()) == ddish::config::default_path() {
            String::new()
        } else {
            format!(" --config {}", path.display())
        }
    );
    Ok(ExitCode::SUCCESS)
}
