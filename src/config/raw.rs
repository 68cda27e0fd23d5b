//! The TOML file as written, before validation. Every table refuses unknown keys, and
//! values keep their place in the file (`Spanned`) so errors can point at the line.
use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub server: Vec<RawServer>,
    #[serde(default)]
    pub dns: RawDns,
    /// Saved event queries: `[[query]] name = "...", filter = "..."`.
    #[serde(default)]
    pub query: Vec<RawQuery>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuery {
    pub name: Spanned<String>,
    pub filter: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub refresh_interval: Option<Spanned<i64>>,
    pub request_timeout: Option<Spanned<i64>>,
    pub write_timeout: Option<Spanned<i64>>,
    pub hold_time: Option<Spanned<i64>>,
    pub utilization_under: Option<Spanned<f64>>,
    pub utilization_over: Option<Spanned<f64>>,
    pub journal: Option<Spanned<String>>,
    pub journal_group: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub name: Spanned<String>,
    pub url: Spanned<String>,
    pub api: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub allow_plain_http: Option<Spanned<bool>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    #[serde(default)]
    pub fields: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDns {
    #[serde(default)]
    pub server: Vec<RawDnsServer>,
    #[serde(default)]
    pub zone: Vec<RawZone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDnsServer {
    pub name: Spanned<String>,
    pub addr: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZone {
    pub name: Spanned<String>,
    pub primary: Spanned<String>,
    pub key_name: Option<Spanned<String>>,
    pub algorithm: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
}
