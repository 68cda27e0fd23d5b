//! Reading and validating the configuration file: TOML errors and bad values become
//! `ConfigError`s that point at the offending line with a hint.
use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::error::{closest, suggest, ConfigError};
use super::paths::{data_dir, resolve};
use super::raw::{RawConfig, RawDns, RawQuery, RawServer, RawSettings, RawZone};
use super::{
    ApiStyle, Config, DnsConfig, DnsServerConfig, Role, SavedQuery, SecretSource, ServerConfig,
    Settings, ZoneConfig,
};

const SETTINGS_KEYS: &[&str] = &[
    "refresh_interval",
    "request_timeout",
    "write_timeout",
    "hold_time",
    "utilization_under",
    "utilization_over",
    "journal",
    "journal_group",
];
const SERVER_KEYS: &[&str] = &[
    "name",
    "url",
    "api",
    "service",
    "user",
    "password_file",
    "password_env",
    "ca_file",
    "allow_plain_http",
    "tags",
    "role",
    "fields",
];
const DNS_SERVER_KEYS: &[&str] = &["name", "addr"];
const ZONE_KEYS: &[&str] = &["name", "primary", "key_name", "algorithm", "secret_file"];
const QUERY_KEYS: &[&str] = &["name", "filter"];
const ALGORITHMS: &[&str] = &["hmac-sha256", "hmac-sha384", "hmac-sha512"];
const SERVICES: &[&str] = &["dhcp4", "dhcp6", "d2"];
const SECTIONS: &[(&str, &[&str])] = &[
    ("[settings]", SETTINGS_KEYS),
    ("[[server]]", SERVER_KEYS),
    ("[[dns.server]]", DNS_SERVER_KEYS),
    ("[[dns.zone]]", ZONE_KEYS),
    ("[[query]]", QUERY_KEYS),
];

/// Read and validate the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ConfigError::file(
            path,
            "no configuration file here",
            format!(
                "copy config.example.toml (in the ddish sources) to {} and edit it, \
                 or pass --config FILE",
                path.display()
            ),
        ),
        ErrorKind::PermissionDenied => ConfigError::file(
            path,
            "cannot read the configuration file: permission denied",
            "make it readable by the user running ddish (chmod 600 and chown to that user)",
        ),
        ErrorKind::InvalidData => ConfigError::file(
            path,
            "the configuration file is not UTF-8 text",
            "save it as UTF-8",
        ),
        _ => ConfigError::file(
            path,
            format!("cannot read the configuration file: {e}"),
            "check the path given to --config",
        ),
    })?;
    // Absolute, so relative paths inside stay right whatever the working directory later is.
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    parse(&text, &path)
}

/// Parse and validate configuration `text`; `path` names it in errors, and relative paths
/// inside resolve against its directory.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let v = Validator { text, path, base };
    let settings = v.settings(raw.settings)?;
    let servers = v.servers(raw.server)?;
    let dns = v.dns(raw.dns)?;
    let queries = v.queries(raw.query)?;
    Ok(Config {
        servers,
        dns,
        settings,
        queries,
        source: Some(path.to_path_buf()),
    })
}

// ---------------------------------------------------------------------------------------
// TOML syntax and shape errors

/// The table header (`[settings]`, `[[server]]`, ...) governing byte `offset`.
fn section_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    text[..end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            let double = l.starts_with("[[");
            let inner = l.trim_start_matches('[');
            let inner = inner.split(']').next().unwrap_or(inner).trim();
            if double {
                format!("[[{inner}]]")
            } else {
                format!("[{inner}]")
            }
        })
        .unwrap_or_else(|| "the top level".to_string())
}

/// The key on the line holding byte `offset`, if that line is `key = value`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    let key = key.rsplit('.').next().unwrap_or(key).trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// "in [settings]" or "at the top level".
fn where_(section: &str) -> String {
    if section.starts_with('[') {
        format!("in {section}")
    } else {
        format!("at {section}")
    }
}

/// The value text after `=` on the line holding byte `offset`.
fn value_at(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    line.split_once('=').map_or("", |(_, v)| v.trim_start())
}

fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let msg = e.message().trim();
    let span = e.span().unwrap_or(0..0);
    let section = section_at(text, span.start);
    let err =
        |message: String, hint: String| ConfigError::at(path, text, span.clone(), message, hint);

    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = backticked(rest);
        let key = names.first().copied().unwrap_or("?");
        let valid: Vec<&str> = names.iter().skip(1).copied().collect();
        let elsewhere = SECTIONS.iter().find(|(_, keys)| keys.contains(&key));
        let hint = match elsewhere {
            _ if valid.is_empty() => "this table takes no keys".to_string(),
            Some((s, _)) if closest(key, &valid).is_none() => {
                format!(
                    "'{key}' belongs in {s}; valid keys here: {}",
                    valid.join(", ")
                )
            }
            _ => suggest(key, &valid, "keys"),
        };
        return err(format!("unknown key '{key}' {}", where_(&section)), hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let key = backticked(rest).first().copied().unwrap_or("?").to_string();
        let example = match key.as_str() {
            "name" => "name = \"kea-hq\"",
            "url" => "url = \"http://127.0.0.1:8000/\"",
            "addr" => "addr = \"127.0.0.1:53\"",
            "primary" => "primary = \"127.0.0.1:53\"",
            _ => "",
        };
        let hint = if example.is_empty() {
            format!("add '{key}' to this {section} table")
        } else {
            format!("add '{key}' to this {section} table, e.g. {example}")
        };
        return err(
            format!("missing required key '{key}' {}", where_(&section)),
            hint,
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let Some(key) = key_at(text, span.start) else {
            // A header like `[server]` where `[[server]]` (one table per item) is needed.
            if expected.contains("sequence") && section.starts_with('[') {
                let name = section.trim_matches(|c| c == '[' || c == ']');
                return err(
                    format!("[{name}] must be written [[{name}]]"),
                    format!(
                        "each item is its own [[{name}]] table (two brackets), repeated per item"
                    ),
                );
            }
            return err(
                format!("wrong type {}: found {found}", where_(&section)),
                "see config.example.toml for the expected form".to_string(),
            );
        };
        let quoted = found.starts_with("string");
        let in_list = value_at(text, span.start).starts_with('[');
        let (want, hint) = if expected.starts_with("i64") || expected.contains("integer") {
            let hint = if quoted {
                format!("write it without quotes, e.g. {key} = 30")
            } else {
                format!("use a whole number, e.g. {key} = 30")
            };
            ("a whole number", hint)
        } else if expected.starts_with("f64") || expected.contains("float") {
            (
                "a number",
                format!("write it without quotes, e.g. {key} = 80"),
            )
        } else if expected.contains("string") && in_list {
            (
                "a string",
                format!("quote each item, e.g. {key} = [\"a\", \"b\"]"),
            )
        } else if expected.contains("string") {
            (
                "a string",
                format!("put it in double quotes, e.g. {key} = \"...\""),
            )
        } else if expected.contains("sequence") {
            (
                "a list",
                format!("write a list, e.g. {key} = [\"a\", \"b\"]"),
            )
        } else if expected.contains("map") || expected.contains("struct") {
            (
                "a table",
                format!("write it as a table: [{key}] on its own line, then key = value lines"),
            )
        } else {
            (
                "another type",
                "see config.example.toml for the expected form".to_string(),
            )
        };
        return err(
            format!(
                "wrong type for '{key}' {}: found {found}, expected {want}",
                where_(&section)
            ),
            hint,
        );
    }
    if msg.starts_with("duplicate key") {
        let key = key_at(text, span.start).unwrap_or_default();
        return err(
            format!("key '{key}' is set twice {}", where_(&section)),
            "each key may appear once per table: remove one of them".to_string(),
        );
    }
    err(
        format!("invalid TOML: {msg}"),
        "check the syntax here: `key = value` lines, strings in double quotes, \
         tables as [name] or [[name]]"
            .to_string(),
    )
}

// ---------------------------------------------------------------------------------------
// Value validation

struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
    base: PathBuf,
}

type R<T> = Result<T, ConfigError>;

impl Validator<'_> {
    fn err<T>(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> R<T> {
        Err(ConfigError::at(self.path, self.text, span, message, hint))
    }

    fn line(&self, span: &Range<usize>) -> usize {
        super::error::line_col(self.text, span.start).0
    }

    fn seconds(&self, v: Option<Spanned<i64>>, key: &str, default: u64, max: u64) -> R<Duration> {
        let Some(v) = v else {
            return Ok(Duration::from_secs(default));
        };
        let n = *v.get_ref();
        if n < 1 || n as u64 > max {
            return self.err(
                v.span(),
                format!("{key} = {n} is out of range"),
                format!("use whole seconds from 1 to {max} (default {default})"),
            );
        }
        Ok(Duration::from_secs(n as u64))
    }

    fn percent(&self, v: &Option<Spanned<f64>>, key: &str, default: f64) -> R<f64> {
        let Some(v) = v else { return Ok(default) };
        let p = *v.get_ref();
        if !(0.0..=100.0).contains(&p) {
            return self.err(
                v.span(),
                format!("{key} = {p} is not a percentage"),
                format!("use a number from 0 to 100 (default {default})"),
            );
        }
        Ok(p)
    }

    fn settings(&self, s: RawSettings) -> R<Settings> {
        let refresh_interval = self.seconds(s.refresh_interval, "refresh_interval", 30, 86_400)?;
        let request_timeout = self.seconds(s.request_timeout, "request_timeout", 10, 600)?;
        let write_timeout = self.seconds(s.write_timeout, "write_timeout", 90, 3600)?;
        let hold_time = self.seconds(s.hold_time, "hold_time", 3600, 31_536_000)?;
        let under = self.percent(&s.utilization_under, "utilization_under", 20.0)?;
        let over = self.percent(&s.utilization_over, "utilization_over", 80.0)?;
        if under >= over {
            let span = s
                .utilization_under
                .as_ref()
                .or(s.utilization_over.as_ref())
                .map_or(0..0, Spanned::span);
            return self.err(
                span,
                format!("utilization_under ({under}) must be below utilization_over ({over})"),
                "pick under < over, e.g. utilization_under = 20 and utilization_over = 80 \
                 (the defaults)",
            );
        }
        let journal = match s.journal {
            Some(j) if j.get_ref().trim().is_empty() => {
                return self.err(
                    j.span(),
                    "journal is empty",
                    "give a file path, or remove the key to use the default in the data dir",
                )
            }
            Some(j) => resolve(&self.base, j.get_ref()),
            None => data_dir().join("journal.jsonl"),
        };
        let journal_group = match s.journal_group {
            None => None,
            Some(g) => match group_id(g.get_ref()) {
                Some(gid) => Some((g.get_ref().clone(), gid)),
                None => {
                    return self.err(
                        g.span(),
                        format!("journal_group '{}' is not a group on this machine", g.get_ref().escape_debug()),
                        "name a group `getent group` lists (e.g. one all ddish users share), or remove the key",
                    )
                }
            },
        };
        Ok(Settings {
            refresh_interval,
            request_timeout,
            write_timeout,
            hold_time,
            utilization_under: under,
            utilization_over: over,
            journal,
            journal_group,
        })
    }

    /// A name: non-empty, no whitespace or control characters.
    fn name(&self, v: &Spanned<String>, what: &str, example: &str) -> R<String> {
        let n = v.get_ref();
        if n.is_empty() || n.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return self.err(
                v.span(),
                format!("{what} '{}' is not a valid name", n.escape_debug()),
                format!("use a non-empty name without spaces, e.g. \"{example}\""),
            );
        }
        Ok(n.clone())
    }

    fn unique(
        &self,
        seen: &mut HashMap<String, usize>,
        name: &str,
        span: Range<usize>,
        what: &str,
    ) -> R<()> {
        let line = self.line(&span);
        if let Some(first) = seen.insert(name.to_string(), line) {
            return self.err(
                span,
                format!("duplicate {what} name '{name}' (first defined on line {first})"),
                format!("give each {what} a different name"),
            );
        }
        Ok(())
    }

    fn one_of<'k>(&self, v: &Spanned<String>, key: &str, valid: &[&'k str]) -> R<&'k str> {
        let got = v.get_ref();
        match valid.iter().find(|k| k.eq_ignore_ascii_case(got)) {
            Some(k) => Ok(k),
            None => self.err(
                v.span(),
                format!("unknown {key} '{}'", got.escape_debug()),
                suggest(got, valid, "values"),
            ),
        }
    }

    fn servers(&self, raw: Vec<RawServer>) -> R<Vec<ServerConfig>> {
        let mut seen = HashMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for s in raw {
            let name = self.name(&s.name, "server name", "kea-hq")?;
            self.unique(&mut seen, &name, s.name.span(), "server")?;
            out.push(self.server(s, name)?);
        }
        Ok(out)
    }

    fn server(&self, s: RawServer, name: String) -> R<ServerConfig> {
        let url = self.url(&s.url)?;
        let https = url.starts_with("https:");
        let api = match &s.api {
            None => ApiStyle::Agent,
            Some(a) => match self.one_of(a, "api", &["agent", "direct"])? {
                "direct" => ApiStyle::Direct,
                _ => ApiStyle::Agent,
            },
        };
        let service =
            match &s.service {
                None => "dhcp4".to_string(),
                Some(v) if api == ApiStyle::Direct => return self.err(
                    v.span(),
                    "service is set but api = \"direct\" talks to one daemon and sends no service",
                    "remove 'service', or use api = \"agent\" to go through kea-ctrl-agent",
                ),
                Some(v) => self.one_of(v, "service", SERVICES)?.to_string(),
            };
        let user = match &s.user {
            Some(u) if u.get_ref().is_empty() || u.get_ref().contains(':') => {
                return self.err(
                    u.span(),
                    "user must be non-empty and contain no ':'",
                    "use the user name from the Control Agent's basic-authentication clients",
                )
            }
            u => u.as_ref().map(|u| u.get_ref().clone()),
        };
        let password = match (&s.password_file, &s.password_env) {
            (Some(_), Some(env)) => {
                return self.err(
                    env.span(),
                    "both password_file and password_env are set",
                    "keep one: password_file = \"kea.pass\" or password_env = \"KEA_PASSWORD\"",
                )
            }
            (Some(f), None) => {
                if f.get_ref().trim().is_empty() {
                    return self.err(
                        f.span(),
                        "password_file is empty",
                        "give the path of a file holding the password",
                    );
                }
                Some((
                    f.span(),
                    SecretSource::File(resolve(&self.base, f.get_ref())),
                ))
            }
            (None, Some(env)) => {
                let var = env.get_ref();
                let valid = var
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return self.err(
                        env.span(),
                        format!(
                            "password_env '{}' is not an environment variable name",
                            var.escape_debug()
                        ),
                        "use letters, digits and '_', e.g. password_env = \"KEA_HQ_PASSWORD\"",
                    );
                }
                Some((env.span(), SecretSource::Env(var.clone())))
            }
            (None, None) => None,
        };
        match (&user, &password, &s.user) {
            (None, Some((span, _)), _) => {
                return self.err(
                    span.clone(),
                    "a password is set but no user",
                    "add user = \"...\" (basic authentication needs both)",
                )
            }
            (Some(_), None, Some(u)) => {
                return self.err(
                    u.span(),
                    "a user is set but no password",
                    "add password_file = \"...\" or password_env = \"...\" (basic authentication needs both)",
                )
            }
            _ => {}
        }
        let ca_file = match &s.ca_file {
            Some(c) if !https => {
                return self.err(
                    c.span(),
                    "ca_file is set but the url is not https",
                    "use an https:// url, or remove ca_file",
                )
            }
            Some(c) if c.get_ref().trim().is_empty() => {
                return self.err(
                    c.span(),
                    "ca_file is empty",
                    "give the path of a PEM CA bundle, or remove the key",
                )
            }
            c => c.as_ref().map(|c| resolve(&self.base, c.get_ref())),
        };
        let allow_plain_http = s.allow_plain_http.as_ref().is_some_and(|a| *a.get_ref());
        if let Some(u) = &s.user {
            if !https && !allow_plain_http && !crate::config::loopback_url(&url) {
                return self.err(
                    u.span(),
                    "basic authentication over plain http:// would send the password \
                     readable to anyone on the path",
                    "use an https:// url (with ca_file for your CA), or set \
                     allow_plain_http = true for this server if the network is trusted",
                );
            }
        }
        let mut tags = Vec::with_capacity(s.tags.len());
        for t in &s.tags {
            let tag = self.name(t, "tag", "prod")?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let role = match &s.role {
            None => Role::default(),
            Some(r) => match self.one_of(r, "role", &["viewer", "operator", "admin"])? {
                "viewer" => Role::Viewer,
                "admin" => Role::Admin,
                _ => Role::Operator,
            },
        };
        let mut fields = BTreeMap::new();
        for (k, v) in s.fields {
            let key = self.name(&k, "field name", "region")?;
            fields.insert(key, v.into_inner());
        }
        Ok(ServerConfig {
            name,
            url,
            api,
            service,
            user,
            password: password.map(|(_, p)| p),
            ca_file,
            allow_plain_http,
            tags,
            fields,
            role,
        })
    }

    fn url(&self, v: &Spanned<String>) -> R<String> {
        let raw = v.get_ref().trim();
        let hint = "write the Control Agent or daemon address, e.g. \"http://127.0.0.1:8000/\"";
        let url = match reqwest::Url::parse(raw) {
            Ok(u) => u,
            Err(_) if !raw.contains("://") => {
                return self.err(
                    v.span(),
                    format!("url '{}' has no scheme", raw.escape_debug()),
                    format!("start it with http:// or https://, e.g. \"http://{raw}\""),
                )
            }
            Err(e) => {
                return self.err(
                    v.span(),
                    format!("url '{}' is not a valid URL: {e}", raw.escape_debug()),
                    hint,
                )
            }
        };
        if url.scheme() != "http" && url.scheme() != "https" {
            return self.err(
                v.span(),
                format!("url scheme '{}' is not supported", url.scheme()),
                "use http:// or https://",
            );
        }
        if url.host_str().is_none_or(str::is_empty) {
            return self.err(v.span(), format!("url '{raw}' has no host"), hint);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return self.err(
                v.span(),
                "the url contains a user or password",
                "remove them from the url and use user = and password_file = / password_env =",
            );
        }
        Ok(url.to_string())
    }

    fn queries(&self, raw: Vec<RawQuery>) -> R<Vec<SavedQuery>> {
        let mut seen = HashMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for q in raw {
            let name = q.name.get_ref().trim().to_string();
            if name.is_empty() {
                return self.err(
                    q.name.span(),
                    "a saved query has an empty name",
                    "give it a name, e.g. name = \"changes on hq\"",
                );
            }
            self.unique(&mut seen, &name, q.name.span(), "saved query")?;
            let filter = q.filter.get_ref().trim().to_string();
            if filter.is_empty() {
                return self.err(
                    q.filter.span(),
                    format!("saved query '{name}' has an empty filter"),
                    "write the words to look for, e.g. filter = \"server:kea-hq kind:config\"",
                );
            }
            out.push(SavedQuery { name, filter });
        }
        Ok(out)
    }

    fn dns(&self, d: RawDns) -> R<DnsConfig> {
        let mut seen = HashMap::new();
        let mut servers = Vec::with_capacity(d.server.len());
        for s in d.server {
            let name = self.name(&s.name, "DNS server name", "ns1")?;
            self.unique(&mut seen, &name, s.name.span(), "DNS server")?;
            let addr = self.addr(&s.addr, "addr")?;
            servers.push(DnsServerConfig { name, addr });
        }
        let mut seen = HashMap::new();
        let mut zones = Vec::with_capacity(d.zone.len());
        for z in d.zone {
            let zone = self.zone(z, &servers)?;
            self.unique(&mut seen, &zone.0.name, zone.1, "zone")?;
            zones.push(zone.0);
        }
        Ok(DnsConfig { servers, zones })
    }

    fn addr(&self, v: &Spanned<String>, key: &str) -> R<SocketAddr> {
        match parse_addr(v.get_ref()) {
            Some(a) => Ok(a),
            None => self.err(
                v.span(),
                format!("{key} '{}' is not an IP address with optional port", v.get_ref().escape_debug()),
                "write an IP address, e.g. \"127.0.0.1:53\", \"127.0.0.1\" (port 53) or \"[::1]:53\"; \
                 host names are not resolved",
            ),
        }
    }

    fn zone(&self, z: RawZone, servers: &[DnsServerConfig]) -> R<(ZoneConfig, Range<usize>)> {
        let raw = z.name.get_ref().trim();
        let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
        if name.is_empty()
            || name.split('.').any(str::is_empty)
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return self.err(
                z.name.span(),
                format!(
                    "zone name '{}' is not a valid domain name",
                    raw.escape_debug()
                ),
                "write the zone's domain, e.g. \"example.test\" or \"0.10.10.in-addr.arpa\"",
            );
        }
        let primary = match servers.iter().find(|s| &s.name == z.primary.get_ref()) {
            Some(s) => s.addr,
            None if parse_addr(z.primary.get_ref()).is_some() => {
                self.addr(&z.primary, "primary")?
            }
            None => {
                let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
                let known = if names.is_empty() {
                    "no [[dns.server]] is defined".to_string()
                } else {
                    suggest(z.primary.get_ref(), &names, "DNS server names")
                };
                return self.err(
                    z.primary.span(),
                    format!(
                        "primary '{}' is neither an IP address nor a [[dns.server]] name",
                        z.primary.get_ref().escape_debug()
                    ),
                    format!("write \"127.0.0.1:53\" or the name of a [[dns.server]] ({known})"),
                );
            }
        };
        let algorithm = match &z.algorithm {
            None => "hmac-sha256".to_string(),
            Some(a)
                if ["hmac-md5", "hmac-sha1", "hmac-sha224"]
                    .iter()
                    .any(|w| a.get_ref().trim_end_matches('.').eq_ignore_ascii_case(w)) =>
            {
                return self.err(
                    a.span(),
                    format!("algorithm '{}' is not supported", a.get_ref()),
                    "use hmac-sha256, hmac-sha384 or hmac-sha512; make a new key with \
                     `tsig-keygen -a hmac-sha256 NAME`",
                )
            }
            Some(a) => {
                let a2 = a.get_ref().trim_end_matches('.');
                self.one_of(
                    &Spanned::new(a.span(), a2.to_string()),
                    "algorithm",
                    ALGORITHMS,
                )?
                .to_string()
            }
        };
        let key_name = match &z.key_name {
            Some(k) => Some(self.name(k, "key_name", "ddish-key")?),
            None => None,
        };
        let secret_file =
            match (&z.key_name, &z.secret_file) {
                (Some(k), None) => return self.err(
                    k.span(),
                    "key_name is set but secret_file is not",
                    "add secret_file = \"...\" (a file with the base64 secret, or a BIND key file)",
                ),
                (None, Some(f)) => {
                    return self.err(
                        f.span(),
                        "secret_file is set but key_name is not",
                        "add key_name = \"...\", the TSIG key name BIND knows the key by",
                    )
                }
                (Some(_), Some(f)) if f.get_ref().trim().is_empty() => {
                    return self.err(
                        f.span(),
                        "secret_file is empty",
                        "give the path of the TSIG key file",
                    )
                }
                (_, f) => f.as_ref().map(|f| resolve(&self.base, f.get_ref())),
            };
        Ok((
            ZoneConfig {
                name,
                primary,
                key_name,
                algorithm,
                secret_file,
            },
            z.name.span(),
        ))
    }
}

/// `ip:port`, `[v6]:port`, or a bare IP (port 53).
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

#[cfg(test)]
mod tests;

/// The gid of group `name` (getgrnam), if it exists.
fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam with a valid C string; the result is read at once, before any other
    // call could reuse its static buffer.
    let g = unsafe { libc::getgrnam(c.as_ptr()) };
    if g.is_null() {
        None
    } else {
        // SAFETY: non-null, points to a struct group.
        Some(unsafe { (*g).gr_gid })
    }
}
