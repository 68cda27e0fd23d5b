//! The HTTP client for one Kea server: POSTs one command at a time over a kept-alive
//! connection, with a timeout that fits the command, and maps every failure to a
//! `KeaError` that names the server.
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::Ipv4Addr;
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::{json, Value};

use super::config::{config_arguments, config_digest, parse_config_body, KeaConfig};
use super::error::KeaError;
use super::leases::parse_leases_for;
use super::reply::{parse_response, KeaResponse};
use super::stats::parse_stats;
use super::status::{parse_status, KeaStatus};
use crate::config::{ApiStyle, Secret, ServerConfig};
use crate::model::{Lease, ScopeStats};

/// Reply bodies from this size on are parsed off the async threads.
const BIG_BODY: usize = 256 * 1024;

/// Biggest lease4-get-page ever sent: larger pages can wedge Kea for minutes (KEA_FACTS.md §11).
pub const MAX_PAGE: u32 = 1000;

/// How long a config-set waits out a running lease file cleanup.
const LFC_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Kea 2.6 and 3.0 run kea-lfc on every config load; a config-set (or config-reload) while it runs
/// fails with "unable to load leases from files while the lease file cleanup is in
/// progress" and leaves the lease database closed until a later load succeeds (measured on
/// 2.6.3 and 3.0.4 with 20,000 leases: the second of two back-to-back config-sets fails, one ~1 s
/// later succeeds). Nothing was applied, so sending it again is safe.
fn is_lfc_busy(command: &str, text: &str) -> bool {
    matches!(command, "config-set" | "config-reload")
        && text.contains("lease file cleanup is in progress")
}

/// The default of `settings.write_timeout`: config writes on a big server legitimately
/// take ~30 s (KEA_FACTS.md §11).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(90);

/// How long one command may take: config writes get `write`, big reads a few seconds;
/// everything else gets `base`.
pub fn command_timeout(command: &str, base: Duration, write: Duration) -> Duration {
    match command {
        "config-set" | "config-test" | "config-reload" | "config-write" => write,
        "config-get" | "lease4-get-all" | "statistic-get-all" | "stat-lease4-get" => {
            base.max(Duration::from_secs(30))
        }
        _ => base,
    }
}

/// A client for one server. Cheap to clone: clones share the connection pool.
#[derive(Clone, Debug)]
pub struct KeaClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    url: String,
    /// `Some(service)` for the Control Agent style: requests carry `"service": [service]`.
    service: Option<String>,
    /// Secret's Debug prints `***`.
    auth: Option<(String, Option<Secret>)>,
    http: reqwest::Client,
    timeout: Duration,
    /// For config-set, config-test, config-reload, config-write.
    write_timeout: Duration,
}

/// The most a reply buffer is sized up front from its Content-Length.
const MAX_PREALLOC: u64 = 64 << 20;
/// The largest reply ddish reads (a 10,000-subnet config-get is ~10 MB, a lease page of
/// 1,000 under 1 MB): a bigger one is a broken or hostile server, not data to hold.
pub const MAX_BODY: u64 = 256 << 20;

/// Request body: `{"command": .., "service": [..], "arguments": ..}`.
#[derive(Serialize)]
struct Request<'a, A: ?Sized> {
    command: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arguments: Option<&'a A>,
}

/// What a server can do: its version and the commands `list-commands` reports.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub version: String,
    pub commands: BTreeSet<String>,
}

impl Capabilities {
    pub fn has(&self, command: &str) -> bool {
        self.commands.contains(command)
    }
    /// lease_cmds hook: lease4-add/-get/-del/-get-page ...
    pub fn lease_cmds(&self) -> bool {
        self.has("lease4-get-page")
    }
    /// stat_cmds hook: stat-lease4-get.
    pub fn stat_cmds(&self) -> bool {
        self.has("stat-lease4-get")
    }
    pub fn ha(&self) -> bool {
        self.has("ha-heartbeat")
    }
    /// host_cmds hook: single-reservation writes without a full config-set.
    pub fn host_cmds(&self) -> bool {
        self.has("reservation-add")
    }
    /// subnet_cmds hook: single-subnet writes without a full config-set.
    pub fn subnet_cmds(&self) -> bool {
        self.has("subnet4-add")
    }
}

fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    // Err only means another provider is installed already, which is just as good.
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl KeaClient {
    /// Builds the client; reads the password now (so a bad password_file shows at start).
    pub fn new(server: &ServerConfig, request_timeout: Duration) -> Result<KeaClient, KeaError> {
        install_crypto_provider();
        let name = &server.name;
        let cfg_err = |what: String| KeaError::Config(format!("server {name}: {what}"));
        let url = reqwest::Url::parse(&server.url)
            .map_err(|e| cfg_err(format!("url {:?} is not valid ({e})", server.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(cfg_err(format!(
                "url {:?} must start with http:// or https://",
                server.url
            )));
        }
        let password = match &server.password {
            Some(src) => Some(src.read().map_err(cfg_err)?),
            None => None,
        };
        let auth = match (&server.user, password) {
            (Some(u), p) => Some((u.clone(), p)),
            (None, Some(_)) => {
                return Err(cfg_err(
                    "a password is set but no user: add user = \"...\"".to_string(),
                ))
            }
            (None, None) => None,
        };
        if auth.is_some()
            && url.scheme() == "http"
            && !server.allow_plain_http
            && !crate::config::loopback_url(&server.url)
        {
            return Err(cfg_err(
                "basic authentication over plain http:// would send the password readable on \
                 the network: use an https:// url, or set allow_plain_http = true for this \
                 server"
                    .into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(request_timeout.min(Duration::from_secs(5)))
            // Below the Control Agent's own idle timeout, so a pooled connection is not
            // reused just as Kea closes it.
            .pool_idle_timeout(Duration::from_secs(20))
            .tcp_nodelay(true)
            // Kea is reached directly: never hand credentials to a proxy from the environment.
            .no_proxy()
            // A redirect would carry the request (and its credentials) somewhere the config
            // does not name: a 3xx is an error naming the status.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ddish/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &server.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| cfg_err(format!("cannot read ca_file {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    cfg_err(format!(
                        "ca_file {} holds no PEM certificate",
                        path.display()
                    ))
                })?;
            // Pinned: only these CAs, not the system's roots as well (a public CA could
            // otherwise vouch for a look-alike of an internal Kea).
            builder = builder.tls_certs_only(certs);
        } else if url.scheme() == "http" {
            // Plain HTTP never verifies a certificate: loading the system's CA roots (~145
            // certificates parsed) would only add ~10 ms to every CLI action.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let http = builder.build().map_err(|e| KeaError::Tls {
            server: name.clone(),
            detail: format!("cannot set up TLS: {}", root_cause(&e)),
        })?;
        Ok(KeaClient {
            inner: Arc::new(Inner {
                name: name.clone(),
                url: server.url.clone(),
                service: match server.api {
                    ApiStyle::Agent => Some(server.service.clone()),
                    ApiStyle::Direct => None,
                },
                auth,
                http,
                timeout: request_timeout,
                write_timeout: WRITE_TIMEOUT,
            }),
        })
    }

    /// The same client with config writes limited to `d` (`settings.write_timeout`). Made
    /// right after [`new`](Self::new), before the client is shared.
    pub fn with_write_timeout(mut self, d: Duration) -> KeaClient {
        if let Some(i) = Arc::get_mut(&mut self.inner) {
            i.write_timeout = d;
        }
        self
    }

    /// How long a config-set, -test, -reload or -write may take.
    pub fn write_timeout(&self) -> Duration {
        self.inner.write_timeout
    }

    pub fn server_name(&self) -> &str {
        &self.inner.name
    }

    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// One command. Result 0 and 3 (empty) come back as `Ok`; result 1, 2 and HTTP errors
    /// as the matching `KeaError`.
    pub async fn call(
        &self,
        command: &str,
        arguments: Option<Value>,
    ) -> Result<KeaResponse, KeaError> {
        self.call_ref(command, arguments.as_ref()).await
    }

    /// `call` with borrowed arguments: config-test then config-set of an 8.8 MB config
    /// without copying it.
    pub async fn call_ref(
        &self,
        command: &str,
        arguments: Option<&Value>,
    ) -> Result<KeaResponse, KeaError> {
        self.call_with(command, arguments).await
    }

    /// `call_ref` with any serialisable arguments (a lean config's wire form).
    pub async fn call_with<A: Serialize + ?Sized + Sync>(
        &self,
        command: &str,
        arguments: Option<&A>,
    ) -> Result<KeaResponse, KeaError> {
        let started = std::time::Instant::now();
        loop {
            let body = self.send(command, arguments, true).await?;
            let name = command.to_string();
            let r = self.parse(body, move |b| parse_response(b, &name)).await;
            match &r {
                Err(KeaError::Failed { text, .. })
                    if is_lfc_busy(command, text) && started.elapsed() < LFC_WAIT =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                _ => return r,
            }
        }
    }

    /// A command for the Control Agent itself (no `service`), e.g. its own config-get.
    /// On a Direct-style server this is the same as `call_ref`.
    pub async fn call_agent(
        &self,
        command: &str,
        arguments: Option<&Value>,
    ) -> Result<KeaResponse, KeaError> {
        let body = self.send(command, arguments, false).await?;
        parse_response(body.as_ref(), command).map_err(|e| e.on_server(&self.inner.name))
    }

    /// The version text, e.g. `2.2.0`.
    pub async fn version_get(&self) -> Result<String, KeaError> {
        let r = self.call("version-get", None).await?;
        r.text
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.malformed("version-get gave no version text"))
    }

    pub async fn list_commands(&self) -> Result<Vec<String>, KeaError> {
        let r = self.call("list-commands", None).await?;
        let list = r
            .arguments
            .as_ref()
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed("list-commands gave no command list"))?;
        Ok(list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect())
    }

    /// version-get and list-commands together.
    pub async fn capabilities(&self) -> Result<Capabilities, KeaError> {
        let (version, commands) = tokio::try_join!(self.version_get(), self.list_commands())?;
        Ok(Capabilities {
            version,
            commands: commands.into_iter().collect(),
        })
    }

    pub async fn status_get(&self) -> Result<KeaStatus, KeaError> {
        let r = self.call("status-get", None).await?;
        Ok(parse_status(r.arguments.as_ref().unwrap_or(&Value::Null)))
    }

    /// config-get read as IPAM (scopes, networks): the read path, no `Value` built.
    pub async fn config_get(&self) -> Result<KeaConfig, KeaError> {
        let body = self.send::<Value>("config-get", None, true).await?;
        self.parse(body, parse_config_body).await
    }

    /// config-get `arguments` whole, `{"Dhcp4": {...}}`: the base of every safe write.
    pub async fn config_get_raw(&self) -> Result<Value, KeaError> {
        Ok(self.config_get_raw_digest().await?.0)
    }

    /// [`config_get_raw`](Self::config_get_raw) with the reply's [`config_digest`], to tell
    /// whether the configuration changed since an earlier `config_get`.
    pub async fn config_get_raw_digest(&self) -> Result<(Value, u64), KeaError> {
        let body = self.send::<Value>("config-get", None, true).await?;
        self.parse(body, |b| Ok((config_arguments(b)?, config_digest(b))))
            .await
    }

    /// A command whose `arguments` are read straight into `T` (no `Value` built): for
    /// replies that are big and regular, like subnet4-list on 10,000 subnets. `None` when
    /// Kea answered "empty" (result 3) or with no arguments.
    pub(crate) async fn call_typed<T>(
        &self,
        command: &'static str,
        arguments: Option<Value>,
    ) -> Result<Option<T>, KeaError>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        let body = self.send(command, arguments.as_ref(), true).await?;
        self.parse(body, move |b| {
            let r = super::reply::decode::<T>(b, command)?;
            Ok(if r.result == super::reply::RESULT_EMPTY {
                None
            } else {
                r.arguments
            })
        })
        .await
    }

    /// config-get kept as its bytes ([`ConfigReply`]): read as the IPAM model, the HA set-up
    /// or a whole `Value`, as each use needs.
    pub async fn config_get_reply(&self) -> Result<super::config_reply::ConfigReply, KeaError> {
        let body = self.send::<Value>("config-get", None, true).await?;
        // The reply keeps reqwest's buffer itself (a refcount, not a 10 MB copy).
        let kept = body.clone();
        self.parse(body, move |_| super::config_reply::ConfigReply::new(kept))
            .await
    }

    /// config-get as an outline: everything whole but the subnets, which are `{"id",
    /// "subnet"}` only ([`ConfigReply::outline`]). What layout checks read on a big server.
    pub async fn config_get_outline(&self) -> Result<Value, KeaError> {
        self.config_get_reply().await?.outline()
    }

    /// config-hash-get (Kea >= 2.4): the SHA-256 of the running config, changed by every
    /// config-set and every host/subnet command; 112 bytes instead of a whole config-get.
    /// `None` where the command does not exist (Kea 2.2).
    pub async fn config_hash(&self) -> Result<Option<String>, KeaError> {
        match self.call("config-hash-get", None).await {
            Ok(r) => Ok(r
                .arguments
                .as_ref()
                .and_then(|a| a.get("hash"))
                .and_then(Value::as_str)
                .map(str::to_string)),
            Err(KeaError::Unsupported { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Lease counters by subnet id; a server with no subnets gives an empty map.
    pub async fn stat_lease4_get(&self) -> Result<HashMap<u32, ScopeStats>, KeaError> {
        let r = self.call("stat-lease4-get", None).await?;
        match (r.is_empty(), r.arguments) {
            (false, Some(a)) => parse_stats(&a).map_err(|e| e.on_server(&self.inner.name)),
            _ => Ok(HashMap::new()),
        }
    }

    /// Every lease of one subnet (fast even for a /16, KEA_FACTS.md §11).
    pub async fn lease4_get_all(&self, subnet_id: u32) -> Result<Vec<Lease>, KeaError> {
        const CMD: &str = "lease4-get-all";
        let body = self
            .send(CMD, Some(&json!({ "subnets": [subnet_id] })), true)
            .await?;
        self.parse(body, |b| parse_leases_for(b, CMD)).await
    }

    /// One page of leases in address order, after `from` (exclusive; `None` starts at the
    /// beginning). `limit` is clamped to 1..=1000. An empty page means the end.
    pub async fn lease4_get_page(
        &self,
        from: Option<Ipv4Addr>,
        limit: u32,
    ) -> Result<Vec<Lease>, KeaError> {
        const CMD: &str = "lease4-get-page";
        let from = from.map_or_else(|| "start".to_string(), |ip| ip.to_string());
        let args = json!({ "from": from, "limit": limit.clamp(1, MAX_PAGE) });
        let body = self.send(CMD, Some(&args), true).await?;
        self.parse(body, |b| parse_leases_for(b, CMD)).await
    }

    /// Runs a parser over a reply body; big bodies (a /16 of leases, a 10,000-subnet config:
    /// tens of ms) are parsed on a blocking thread so the async threads stay responsive.
    async fn parse<B, T, F>(&self, body: B, parser: F) -> Result<T, KeaError>
    where
        B: AsRef<[u8]> + Send + 'static,
        T: Send + 'static,
        F: FnOnce(&[u8]) -> Result<T, KeaError> + Send + 'static,
    {
        let result = if body.as_ref().len() < BIG_BODY {
            parser(body.as_ref())
        } else {
            tokio::task::spawn_blocking(move || parser(body.as_ref()))
                .await
                .unwrap_or_else(|e| {
                    Err(KeaError::malformed(format!("the reply parser failed: {e}")))
                })
        };
        result.map_err(|e| e.on_server(&self.inner.name))
    }

    fn malformed(&self, detail: &str) -> KeaError {
        KeaError::malformed(detail).on_server(&self.inner.name)
    }

    /// POSTs one command and returns the body of a 200 reply.
    async fn send<A: Serialize + ?Sized + Sync>(
        &self,
        command: &str,
        arguments: Option<&A>,
        to_service: bool,
    ) -> Result<bytes::Bytes, KeaError> {
        let i = &self.inner;
        let body = serde_json::to_vec(&Request {
            command,
            service: i.service.as_deref().filter(|_| to_service).map(|s| [s]),
            arguments,
        })
        .map_err(|e| {
            KeaError::Config(format!("server {}: cannot encode '{command}': {e}", i.name))
        })?;
        let timeout = command_timeout(command, i.timeout, i.write_timeout);
        let mut req = i
            .http
            .post(&i.url)
            .header(CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(body);
        if let Some((user, pass)) = &i.auth {
            req = req.basic_auth(user, pass.as_ref().map(Secret::expose));
        }
        let fail = |e: reqwest::Error| self.map_error(&e, command, timeout);
        let sent = std::time::Instant::now();
        let mut resp = req.send().await.map_err(fail)?;
        let status = resp.status().as_u16();
        if status == 401 {
            return Err(KeaError::Unauthorized {
                server: i.name.clone(),
            });
        }
        if !(200..300).contains(&status) {
            return Err(KeaError::Http {
                server: i.name.clone(),
                status,
            });
        }
        // Chunk by chunk into one buffer of the announced size: `bytes()` holds the chunks
        // and their concatenation at once (twice a 10 MB config-get).
        let too_big = || KeaError::Malformed {
            server: i.name.clone(),
            detail: format!(
                "its reply to '{command}' is larger than {} MB; ddish stopped reading it",
                MAX_BODY >> 20
            ),
        };
        if resp.content_length().is_some_and(|n| n > MAX_BODY) {
            return Err(too_big());
        }
        let mut body = Vec::with_capacity(
            usize::try_from(resp.content_length().unwrap_or(0).min(MAX_PREALLOC)).unwrap_or(0),
        );
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            if (body.len() + chunk.len()) as u64 > MAX_BODY {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        let body = bytes::Bytes::from(body);
        // `ddish -v` shows what each action cost on the server (the bench's breakdown).
        tracing::debug!(
            server = %i.name,
            command,
            ms = sent.elapsed().as_secs_f64() * 1e3,
            bytes = body.len(),
            "kea call"
        );
        Ok(body)
    }

    fn map_error(&self, e: &reqwest::Error, command: &str, timeout: Duration) -> KeaError {
        let server = self.inner.name.clone();
        if let Some(detail) = tls_detail(e) {
            return KeaError::Tls { server, detail };
        }
        if e.is_timeout() {
            if e.is_connect() {
                return KeaError::Unreachable {
                    server,
                    detail: "no connection could be made in time".to_string(),
                };
            }
            return KeaError::Timeout {
                server,
                command: command.to_string(),
                secs: timeout.as_secs_f64().ceil() as u64,
            };
        }
        if e.is_connect() {
            if io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused) {
                return KeaError::Refused {
                    server,
                    url: self.inner.url.clone(),
                };
            }
            return KeaError::Unreachable {
                server,
                detail: root_cause(e),
            };
        }
        KeaError::Unreachable {
            server,
            detail: format!("connection lost during '{command}': {}", root_cause(e)),
        }
    }
}

/// The error and its causes, looking inside `io::Error`s too (their `source()` skips the
/// wrapped error, where rustls puts its own).
fn causes<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(e), |&x: &&'a (dyn StdError + 'static)| {
        if let Some(inner) = x
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            return Some(inner as &(dyn StdError + 'static));
        }
        x.source()
    })
}

fn tls_detail(e: &reqwest::Error) -> Option<String> {
    causes(e).find_map(|c| {
        let r = c.downcast_ref::<rustls::Error>()?;
        Some(match r {
            rustls::Error::InvalidMessage(_) => {
                format!("{r} (does the server speak plain http? then use an http:// url)")
            }
            rustls::Error::InvalidCertificate(c) => format!("{r}{}", certificate_hint(c)),
            _ => r.to_string(),
        })
    })
}

/// What to do about the usual certificate failures.
fn certificate_hint(c: &rustls::CertificateError) -> &'static str {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => {
            " (not signed by a CA ddish trusts, e.g. self-signed: put the CA that signed it, \
             or the certificate itself, in ca_file)"
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            " (the url's host is not in the certificate: use a name or address it holds)"
        }
        C::Expired | C::ExpiredContext { .. } => {
            " (renew the server's certificate, or check this machine's clock)"
        }
        C::NotValidYet | C::NotValidYetContext { .. } => " (check this machine's clock)",
        _ => "",
    }
}

fn io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    causes(e).find_map(|c| c.downcast_ref::<std::io::Error>().map(|io| io.kind()))
}

/// The innermost cause's text: the most specific (e.g. "Connection reset by peer").
fn root_cause(e: &(dyn StdError + 'static)) -> String {
    causes(e).last().map(|c| c.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
