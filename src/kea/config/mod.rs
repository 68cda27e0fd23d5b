//! config-get read as IPAM (DESIGN.md "IPAM on top of Kea"): every subnet4, also inside
//! shared networks, becomes a `ScopeDef`; ddish's networks and containers come from
//! `Dhcp4.user-context.ddish.networks`. Bad entries are skipped, never a panic or a failed
//! load, and named in `KeaConfig::skipped` so the user sees what is missing; a `subnet4` or
//! `shared-networks` that is not a list fails the read (that is no Kea configuration).
//!
//! Speed (a 10,000-subnet config is 8.8 MB): reading builds no `serde_json::Value` at all
//! (building and later freeing that tree cost more than the rest together); the fields ddish
//! reads are deserialized straight from the body into small borrowed structs (`Raw*`). If
//! that typed pass fails (never seen with Kea's own output), the body is read as a `Value`
//! and each subnet on its own, so one odd subnet only skips itself. Writes fetch the whole
//! config as a `Value` separately (`KeaClient::config_get_raw`).
use std::borrow::Cow;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Deserialize;
use serde_json::Value;

use super::error::KeaError;
use super::reply::{decode, RawReply};
use crate::model::option_defs::CustomOptionDef;
use crate::model::scope::attach_global_reservations;
use crate::model::{
    NetworkDef, NetworkKind, OptionData, Range, RangeSet, Reservation, ScopeDef, ScopeStatus,
};

/// The IPAM view of a server's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct KeaConfig {
    pub scopes: Vec<ScopeDef>,
    pub networks: Vec<NetworkDef>,
    /// Digest of the config-get reply this was read from ([`config_digest`]): a later
    /// config-get with another digest means the configuration changed meanwhile.
    pub digest: u64,
    /// Kea's own hash of it (config-get's top-level `hash`, Kea >= 2.4): what
    /// config-hash-get answers while nothing changed.
    pub hash: Option<String>,
    /// Entries ddish could not read and left out, each with why (e.g. "subnet id \"one\"
    /// (10.40.0.0/24): invalid type ...").
    pub skipped: Vec<String>,
    /// The server's own option definitions (`option-def`): the names its option values
    /// may use beside the standard table.
    pub option_defs: Vec<CustomOptionDef>,
}

/// Digest of a config-get reply body. Kea serialises a configuration the same way each
/// time (its maps are ordered), so equal configurations give equal digests.
pub fn config_digest(body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

impl KeaConfig {
    pub fn scope(&self, id: u32) -> Option<&ScopeDef> {
        self.scopes.iter().find(|s| s.id == id)
    }
}

// ---- the fields ddish reads, borrowed from the body or from a `Value` ----
// Numbers are read wide and checked later; ddish's own user-context keys stay `Value`s
// because people edit them by hand.

#[derive(Deserialize)]
struct RawArgs<'a> {
    #[serde(rename = "Dhcp4", borrow)]
    dhcp4: Option<RawDhcp4<'a>>,
    #[serde(borrow)]
    hash: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawDhcp4<'a> {
    /// Kept as text, read afterwards on two threads (see [`top_subnets`]).
    #[serde(borrow, default)]
    subnet4: Vec<&'a serde_json::value::RawValue>,
    #[serde(rename = "shared-networks", borrow, default)]
    shared_networks: Vec<RawShared<'a>>,
    #[serde(borrow, default)]
    reservations: Vec<RawReservation<'a>>,
    #[serde(rename = "user-context", default)]
    user_context: Option<Context>,
    /// Few and small: kept as a value for the model's own reader.
    #[serde(rename = "option-def", default)]
    option_def: Value,
}

#[derive(Deserialize)]
struct RawShared<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "option-data", borrow, default)]
    option_data: Vec<RawOption<'a>>,
    #[serde(borrow, default)]
    subnet4: Vec<RawSubnet<'a>>,
}

#[derive(Deserialize)]
pub(super) struct RawSubnet<'a> {
    id: Option<i64>,
    #[serde(borrow)]
    subnet: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pools: Vec<RawPool<'a>>,
    #[serde(rename = "option-data", borrow, default)]
    option_data: Vec<RawOption<'a>>,
    #[serde(borrow, default)]
    pub(super) reservations: Vec<RawReservation<'a>>,
    #[serde(rename = "valid-lifetime")]
    valid_lifetime: Option<i64>,
    #[serde(rename = "client-class", borrow)]
    client_class: Option<Cow<'a, str>>,
    /// Kea 3.0's spelling (see class_field.rs).
    #[serde(rename = "client-classes", borrow, default)]
    client_classes: Vec<Cow<'a, str>>,
    #[serde(rename = "user-context", default)]
    user_context: Option<Context>,
}

#[derive(Deserialize)]
struct RawPool<'a> {
    #[serde(borrow)]
    pool: Option<Cow<'a, str>>,
    #[serde(rename = "client-class", borrow)]
    client_class: Option<Cow<'a, str>>,
    #[serde(rename = "client-classes", borrow, default)]
    client_classes: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct RawOption<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    code: Option<i64>,
    #[serde(borrow)]
    data: Option<Cow<'a, str>>,
    #[serde(rename = "always-send")]
    always_send: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct RawReservation<'a> {
    #[serde(rename = "ip-address", borrow)]
    ip: Option<Cow<'a, str>>,
    #[serde(rename = "hw-address", borrow)]
    hw: Option<Cow<'a, str>>,
    #[serde(rename = "client-id", borrow)]
    client_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    hostname: Option<Cow<'a, str>>,
    #[serde(rename = "client-classes", borrow, default)]
    client_classes: Vec<Cow<'a, str>>,
    #[serde(rename = "user-context", default)]
    user_context: Option<Context>,
}

/// A Kea `user-context`: only ddish's key and the conventional `comment` are read; other
/// tools' keys are skipped without being built.
#[derive(Deserialize, Default)]
struct Context {
    #[serde(default)]
    ddish: Option<Value>,
    #[serde(default)]
    comment: Option<Value>,
}

impl Context {
    fn ddish(c: &Option<Context>) -> &Value {
        c.as_ref()
            .and_then(|c| c.ddish.as_ref())
            .unwrap_or(&Value::Null)
    }
}

/// Builds a `KeaConfig` from config-get `arguments` (moved in: an 8.8 MB config is not
/// copied). Fails only when there is no `Dhcp4` object at all.
pub fn parse_config(arguments: &Value) -> Result<KeaConfig, KeaError> {
    let (scopes, networks, skipped, option_defs) = model_from_value(arguments)?;
    Ok(KeaConfig {
        scopes,
        networks,
        skipped,
        option_defs,
        digest: 0,
        hash: arguments
            .get("hash")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Builds a `KeaConfig` from a whole config-get response body: the fast path the client
/// uses.
pub fn parse_config_body(body: &[u8]) -> Result<KeaConfig, KeaError> {
    let ((scopes, networks, skipped, option_defs), hash) = match typed_model(body) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("config-get: fast read failed ({e}); reading subnet by subnet");
            let reply: RawReply<'_, Value> = decode(body, "config-get")?;
            let args = reply
                .arguments
                .ok_or_else(|| KeaError::malformed("config-get gave no configuration"))?;
            let hash = args.get("hash").and_then(Value::as_str).map(str::to_string);
            (model_from_value(&args)?, hash)
        }
    };
    Ok(KeaConfig {
        scopes,
        networks,
        skipped,
        option_defs,
        digest: config_digest(body),
        hash,
    })
}

/// The `arguments` of a config-get body as a `Value`: `{"Dhcp4": {...}}`.
/// The configuration as config-set takes it: `{"Dhcp4": {...}}`. Kea >= 2.4 adds a
/// top-level `"hash"` (SHA-256 of the running config) beside `Dhcp4`; config-set refuses
/// unknown top-level keys, so it is dropped here and never sent back (KEA_FACTS.md §14).
pub fn config_arguments(body: &[u8]) -> Result<Value, KeaError> {
    let reply: RawReply<'_, Value> = decode(body, "config-get")?;
    let mut args = reply
        .arguments
        .ok_or_else(|| KeaError::malformed("config-get gave no configuration"))?;
    if let Some(top) = args.as_object_mut() {
        top.remove("hash");
    }
    Ok(args)
}

/// Scopes, networks, what was skipped, and the option definitions.
type Model = (
    Vec<ScopeDef>,
    Vec<NetworkDef>,
    Vec<String>,
    Vec<CustomOptionDef>,
);
/// The model plus Kea's hash of the config (Kea >= 2.4).
type HashedModel = (Model, Option<String>);

/// The typed pass over a whole body; `Err` sends the caller to the lenient pass.
fn typed_model(body: &[u8]) -> Result<HashedModel, KeaError> {
    let reply: RawReply<'_, RawArgs<'_>> = decode(body, "config-get")?;
    let args = reply
        .arguments
        .ok_or_else(|| KeaError::malformed("no Dhcp4 object"))?;
    let hash = args.hash.map(Cow::into_owned);
    let dhcp4 = args
        .dhcp4
        .ok_or_else(|| KeaError::malformed("no Dhcp4 object"))?;
    Ok((model_from_raw(dhcp4)?, hash))
}

/// From this many top-level subnets on, they are read on two threads.
const SPLIT_SUBNETS: usize = 2_000;

/// The top-level subnets' scopes (and what was skipped), in order. A big server's are read
/// in two halves side by side: reading 10,000 subnets' JSON is most of what opening such a
/// server costs ddish (~50 ms of Kea's ~450 ms config-get on Kea 3.0).
fn top_subnets(
    raw: &[&serde_json::value::RawValue],
) -> Result<(Vec<ScopeDef>, Vec<String>), KeaError> {
    fn read(
        part: &[&serde_json::value::RawValue],
    ) -> Result<(Vec<ScopeDef>, Vec<String>), KeaError> {
        let mut scopes = Vec::with_capacity(part.len());
        let mut skipped = Vec::new();
        for r in part {
            let s: RawSubnet<'_> = serde_json::from_str(r.get())
                .map_err(|e| KeaError::malformed(format!("a subnet: {e}")))?;
            push_scope(&mut scopes, &mut skipped, &s, None);
        }
        Ok((scopes, skipped))
    }
    if raw.len() < SPLIT_SUBNETS {
        return read(raw);
    }
    let (a, b) = raw.split_at(raw.len() / 2);
    let (first, second) = std::thread::scope(|t| {
        // No thread to be had (a process at its limit): the second half on this one.
        let Ok(other) = std::thread::Builder::new().spawn_scoped(t, || read(b)) else {
            return (read(a), read(b));
        };
        let first = read(a);
        let second = other
            .join()
            .unwrap_or_else(|_| Err(KeaError::malformed("the subnet reader failed")));
        (first, second)
    });
    let ((mut scopes, mut skipped), (more, more_skipped)) = (first?, second?);
    scopes.extend(more);
    skipped.extend(more_skipped);
    Ok((scopes, skipped))
}

/// The typed pass over the whole document.
fn model_from_raw(d: RawDhcp4<'_>) -> Result<Model, KeaError> {
    let (mut scopes, mut skipped) = top_subnets(&d.subnet4)?;
    for net in &d.shared_networks {
        let Some(name) = net.name.as_deref() else {
            skip(&mut skipped, "a shared network without a name".into());
            continue;
        };
        let shared = Shared {
            name,
            gateway: routers(&net.option_data),
        };
        for s in &net.subnet4 {
            push_scope(&mut scopes, &mut skipped, s, Some(&shared));
        }
    }
    let globals = d
        .reservations
        .iter()
        .filter_map(parse_reservation)
        .collect();
    attach_global_reservations(&mut scopes, globals);
    let networks = parse_networks(Context::ddish(&d.user_context), &mut skipped);
    let defs = CustomOptionDef::list_from(&serde_json::json!({ "option-def": d.option_def }));
    Ok((scopes, networks, skipped, defs))
}

/// The lenient pass: each subnet and shared network read from the `Value` on its own.
fn model_from_value(arguments: &Value) -> Result<Model, KeaError> {
    let dhcp4 = arguments
        .get("Dhcp4")
        .filter(|d| d.is_object())
        .ok_or_else(|| {
            KeaError::malformed("config-get returned no Dhcp4 object (is the service dhcp4?)")
        })?;
    let mut scopes = Vec::new();
    let mut skipped = Vec::new();
    for v in list(dhcp4, "subnet4", "Dhcp4")? {
        match RawSubnet::deserialize(v) {
            Ok(s) => push_scope(&mut scopes, &mut skipped, &s, None),
            Err(e) => skip(&mut skipped, format!("subnet {}: {e}", describe(v))),
        }
    }
    for net in list(dhcp4, "shared-networks", "Dhcp4")? {
        let Some(name) = net.get("name").and_then(Value::as_str) else {
            skip(&mut skipped, "a shared network without a name".into());
            continue;
        };
        let options: Vec<RawOption<'_>> = array(net, "option-data")
            .iter()
            .filter_map(|o| RawOption::deserialize(o).ok())
            .collect();
        let shared = Shared {
            name,
            gateway: routers(&options),
        };
        for v in list(net, "subnet4", &format!("shared network {name}"))? {
            match RawSubnet::deserialize(v) {
                Ok(s) => push_scope(&mut scopes, &mut skipped, &s, Some(&shared)),
                Err(e) => skip(&mut skipped, format!("subnet {}: {e}", describe(v))),
            }
        }
    }
    let globals = array(dhcp4, "reservations")
        .iter()
        .filter_map(|r| RawReservation::deserialize(r).ok())
        .filter_map(|r| parse_reservation(&r))
        .collect();
    attach_global_reservations(&mut scopes, globals);
    let networks = parse_networks(ddish(dhcp4), &mut skipped);
    Ok((scopes, networks, skipped, CustomOptionDef::list_from(dhcp4)))
}

fn parse_networks(ddish: &Value, skipped: &mut Vec<String>) -> Vec<NetworkDef> {
    array(ddish, "networks")
        .iter()
        .filter_map(|n| match parse_network(n) {
            Ok(n) => Some(n),
            Err(e) => {
                skip(skipped, format!("a ddish network entry: {e}"));
                None
            }
        })
        .collect()
}

/// Notes an entry left out (logged too).
fn skip(skipped: &mut Vec<String>, what: String) {
    tracing::warn!("config-get: skipped {what}");
    skipped.push(what);
}

/// `v[key]` as a list: absent is empty, any other type fails the read.
fn list<'v>(v: &'v Value, key: &str, inside: &str) -> Result<&'v [Value], KeaError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(KeaError::malformed(format!(
            "config-get: {key} in {inside} is {}, not a list; this is no Kea configuration \
             ddish can read",
            kind_of(other)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What a subnet inherits from its shared network.
pub(super) struct Shared<'a> {
    pub(super) name: &'a str,
    pub(super) gateway: Option<Ipv4Addr>,
}

fn push_scope(
    out: &mut Vec<ScopeDef>,
    skipped: &mut Vec<String>,
    s: &RawSubnet<'_>,
    shared: Option<&Shared<'_>>,
) {
    match parse_subnet(s, shared) {
        Ok(d) => out.push(d),
        Err(e) => skip(
            skipped,
            format!(
                "subnet {} ({}): {e}",
                s.id.map_or("without id".to_string(), |i| format!("id {i}")),
                s.subnet.as_deref().unwrap_or("no subnet")
            ),
        ),
    }
}

fn describe(s: &Value) -> String {
    match (s.get("id"), s.get("subnet")) {
        (Some(id), Some(n)) => format!("id {id} ({n})"),
        (Some(id), None) => format!("id {id}"),
        (None, Some(n)) => n.to_string(),
        (None, None) => "without id".to_string(),
    }
}

fn array<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A non-empty string field as an owned `String`.
fn owned(s: &Option<Cow<'_, str>>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_string)
}

/// `user-context.ddish` of a Kea object held as a `Value`, or `Null`.
fn ddish(v: &Value) -> &Value {
    v.get("user-context")
        .and_then(|c| c.get("ddish"))
        .unwrap_or(&Value::Null)
}

pub(super) fn parse_subnet(
    s: &RawSubnet<'_>,
    shared: Option<&Shared<'_>>,
) -> Result<ScopeDef, String> {
    let id =
        s.id.and_then(|v| u32::try_from(v).ok())
            .ok_or("no valid id")?;
    let cidr: Ipv4Net = s
        .subnet
        .as_deref()
        .ok_or("no subnet")?
        .parse()
        .map_err(|_| "the subnet is not an IPv4 CIDR")?;
    let cidr = cidr.trunc();

    let pools = RangeSet::from_ranges(s.pools.iter().filter_map(|p| {
        let text = p.pool.as_deref()?;
        let r = Range::parse_pool(text);
        if r.is_none() {
            tracing::warn!("config-get: subnet {id}: skipped unreadable pool {text:?}");
        }
        r
    }));
    let pool_classes = s
        .pools
        .iter()
        .filter_map(|p| Some((Range::parse_pool(p.pool.as_deref()?)?, p)))
        .flat_map(|(r, p)| {
            p.client_class
                .iter()
                .chain(&p.client_classes)
                .filter(|c| !c.is_empty())
                .map(move |c| (r, c.to_string()))
        })
        .collect();
    let reservations: Vec<Reservation> = s
        .reservations
        .iter()
        .filter_map(parse_reservation)
        .collect();
    let options: Vec<OptionData> = s.option_data.iter().map(parse_option).collect();
    let classes: Vec<&str> = s
        .client_class
        .as_deref()
        .into_iter()
        .chain(s.client_classes.iter().map(|c| c.as_ref()))
        .filter(|c| !c.is_empty())
        .collect();
    let client_class = (!classes.is_empty()).then(|| classes.join(", "));

    let dd = Context::ddish(&s.user_context);
    let inactive =
        classes.contains(&"never") || dd.get("inactive").and_then(Value::as_bool) == Some(true);
    let marked = dd.get("range").and_then(|r| {
        let range = parse_range_mark(r);
        if range.is_none() {
            tracing::warn!("config-get: subnet {id}: ignored unreadable ddish range {r}");
        }
        range
    });
    let (range, range_marked) = match marked {
        Some(r) => (r, true),
        None => (ScopeDef::derive_range(&cidr, &pools, &reservations), false),
    };

    Ok(ScopeDef {
        id,
        cidr,
        range,
        range_marked,
        pools,
        reservations,
        gateway: routers(&s.option_data).or(shared.and_then(|s| s.gateway)),
        options,
        valid_lifetime: s.valid_lifetime.and_then(|v| u32::try_from(v).ok()),
        shared_network: shared.map(|s| s.name.to_string()),
        status: if inactive {
            ScopeStatus::Inactive
        } else {
            ScopeStatus::Active
        },
        title: str_of(dd, "title"),
        description: str_of(dd, "description"),
        client_class,
        pool_classes,
    })
}

/// `{"start": "a.b.c.d", "end": "..."}` or `"a - b"`.
fn parse_range_mark(r: &Value) -> Option<Range> {
    match r {
        Value::String(s) => Range::parse_pool(s),
        Value::Object(_) => {
            let ip = |k: &str| r.get(k)?.as_str()?.trim().parse::<Ipv4Addr>().ok();
            Range::new(ip("start")?, ip("end")?)
        }
        _ => None,
    }
}

pub(super) fn parse_reservation(r: &RawReservation<'_>) -> Option<Reservation> {
    // Reservations without an address (hostname or options only) have no place in IPAM.
    let ip = r.ip.as_deref()?.parse().ok()?;
    let description = str_of(Context::ddish(&r.user_context), "description").or_else(|| {
        r.user_context
            .as_ref()
            .and_then(|c| c.comment.as_ref())
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    Some(Reservation {
        ip,
        hw: owned(&r.hw),
        client_id: owned(&r.client_id),
        hostname: owned(&r.hostname),
        description,
        client_classes: r.client_classes.iter().map(|c| c.to_string()).collect(),
        global: false,
    })
}

fn parse_option(o: &RawOption<'_>) -> OptionData {
    OptionData {
        name: owned(&o.name),
        code: o.code.and_then(|c| u16::try_from(c).ok()),
        data: o.data.as_deref().unwrap_or("").to_string(),
        always_send: o.always_send.unwrap_or(false),
    }
}

/// First address of the `routers` option (name "routers" or code 3).
pub(super) fn routers(option_data: &[RawOption<'_>]) -> Option<Ipv4Addr> {
    option_data
        .iter()
        .find(|o| o.name.as_deref() == Some("routers") || o.code == Some(3))
        .and_then(|o| o.data.as_deref())
        .and_then(|d| d.split(',').next())
        .and_then(|a| a.trim().parse().ok())
}

fn parse_network(n: &Value) -> Result<NetworkDef, String> {
    let cidr: Ipv4Net = n
        .get("cidr")
        .and_then(Value::as_str)
        .ok_or("no cidr")?
        .parse()
        .map_err(|_| format!("cidr {} is not an IPv4 CIDR", n["cidr"]))?;
    let kind = match n.get("kind").and_then(Value::as_str) {
        None | Some("network") => NetworkKind::Network,
        Some("container") => NetworkKind::Container,
        Some(k) => return Err(format!("{cidr}: unknown kind {k:?}")),
    };
    let scopes = array(n, "scopes")
        .iter()
        .filter_map(|s| {
            let c = s.as_str().and_then(|s| s.parse::<Ipv4Net>().ok());
            if c.is_none() {
                tracing::warn!("config-get: network {cidr}: ignored scope entry {s}");
            }
            c.map(|c| c.trunc())
        })
        .collect();
    let claims = array(n, "claims")
        .iter()
        .filter_map(|c| {
            let ip = c.get("ip").and_then(Value::as_str)?.parse().ok();
            let mac = c.get("mac").and_then(Value::as_str).map(str::to_string);
            if ip.is_none() || mac.is_none() {
                tracing::warn!("config-get: network {cidr}: ignored claim entry {c}");
            }
            Some(crate::model::NetworkClaim {
                ip: ip?,
                mac: mac?,
                hostname: str_of(c, "hostname"),
                comment: str_of(c, "comment"),
            })
        })
        .collect();
    Ok(NetworkDef {
        cidr: cidr.trunc(),
        kind,
        title: str_of(n, "title"),
        description: str_of(n, "description"),
        scopes,
        claims,
    })
}

mod inherited;
pub use inherited::inherited_options;

#[cfg(test)]
mod tests;
