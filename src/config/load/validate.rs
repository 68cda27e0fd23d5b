//! Value validation: each bad value named with its line and what to write instead.
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::super::error::{suggest, ConfigError};
use super::super::paths::{data_dir, resolve};
use super::super::raw::{RawDns, RawQuery, RawServer, RawSettings, RawZone};
use super::super::{
    ApiStyle, DnsConfig, DnsServerConfig, Role, SavedQuery, SecretSource, ServerConfig, Settings,
    ZoneConfig,
};

use super::*;

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    pub(super) base: PathBuf,
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
        super::super::error::line_col(self.text, span.start).0
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
                format!(
                    "use whole seconds from 1 to {max} (default {default}){}",
                    if key == "hold_time" {
                        ", or 0 to hold until released"
                    } else {
                        ""
                    }
                ),
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

    pub(super) fn settings(&self, s: RawSettings) -> R<Settings> {
        let refresh_interval = self.seconds(s.refresh_interval, "refresh_interval", 30, 86_400)?;
        let request_timeout = self.seconds(s.request_timeout, "request_timeout", 10, 600)?;
        let write_timeout = self.seconds(s.write_timeout, "write_timeout", 90, 3600)?;
        // 0: held until released (an infinite lease, as a claim's).
        let hold_time = match &s.hold_time {
            Some(v) if *v.get_ref() == 0 => Duration::ZERO,
            _ => self.seconds(s.hold_time, "hold_time", 3600, 31_536_000)?,
        };
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

    pub(super) fn servers(&self, raw: Vec<RawServer>) -> R<Vec<ServerConfig>> {
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

    pub(super) fn queries(&self, raw: Vec<RawQuery>) -> R<Vec<SavedQuery>> {
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

    pub(super) fn dns(&self, d: RawDns) -> R<DnsConfig> {
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
