//! Setting an HA pair up, changing it and taking it apart (KEA_FACTS.md §12): the HA hook
//! block and pool layout as config edits, a different safe edit per server set back to back
//! in a chosen order (the server holding the leases first), and waiting for HA states.
use super::write_error::EditRefused;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use super::class_field::{classes_of, has_class, remove_classes, set_class};
use super::client::KeaClient;
use super::write::{prepare, WriteError, WriteOutcome};
use crate::model::failover::split_pools;
use crate::model::{Range, RangeSet};

/// Where Debian's kea packages put the hooks; used when a server names its hooks without a
/// directory ddish can see.
pub const DEBIAN_HOOKS_DIR: &str = "/usr/lib/x86_64-linux-gnu/kea/hooks";
pub const HA_LIB: &str = "libdhcp_ha.so";
pub const LEASE_CMDS_LIB: &str = "libdhcp_lease_cmds.so";

/// The HA relationship as ddish reads and writes it (one per server in Kea 2.2).
#[derive(Clone, PartialEq, Eq)]
pub struct HaParams {
    /// `load-balancing`, `hot-standby`, `passive-backup`.
    pub mode: String,
    pub this_server_name: String,
    pub peers: Vec<HaPeerParams>,
    pub heartbeat_delay: u32,
    pub max_response_delay: u32,
    pub max_ack_delay: u32,
    pub max_unacked_clients: u32,
}

#[derive(Clone, PartialEq, Eq)]
pub struct HaPeerParams {
    pub name: String,
    pub url: String,
    pub role: String,
    pub auto_failover: bool,
    pub basic_auth_user: Option<String>,
    /// Plain text as Kea keeps it: never print it (Debug masks it).
    pub basic_auth_password: Option<String>,
}

impl std::fmt::Debug for HaPeerParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HaPeerParams")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("role", &self.role)
            .field("auto_failover", &self.auto_failover)
            .field("basic_auth_user", &self.basic_auth_user)
            .field(
                "basic_auth_password",
                &self.basic_auth_password.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

impl std::fmt::Debug for HaParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HaParams")
            .field("mode", &self.mode)
            .field("this_server_name", &self.this_server_name)
            .field("peers", &self.peers)
            .field("heartbeat_delay", &self.heartbeat_delay)
            .field("max_response_delay", &self.max_response_delay)
            .field("max_ack_delay", &self.max_ack_delay)
            .field("max_unacked_clients", &self.max_unacked_clients)
            .finish()
    }
}

impl HaParams {
    pub fn this_peer(&self) -> Option<&HaPeerParams> {
        self.peers.iter().find(|p| p.name == self.this_server_name)
    }

    /// The other non-backup peer.
    pub fn partner(&self) -> Option<&HaPeerParams> {
        self.peers
            .iter()
            .find(|p| p.name != self.this_server_name && p.role != "backup")
    }

    /// The same relationship as the named peer's config holds it.
    pub fn for_peer(&self, name: &str) -> HaParams {
        HaParams {
            this_server_name: name.to_string(),
            ..self.clone()
        }
    }

    /// Kea 2.2's HA hook fails to load when a peer URL names a host instead of an IP address
    /// ("Failed to convert string to address"), and config-test does not notice: checked here.
    /// `tls`: the relationship already has its TLS files (set by hand), so https is fine.
    pub fn check_peer_urls(&self, tls: bool) -> Result<(), String> {
        for p in &self.peers {
            let host = reqwest::Url::parse(&p.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            if p.url.starts_with("https://") && !tls {
                return Err(format!(
                    "peer {}: {} is https, and HA over TLS needs certificate files on both servers (trust-anchor, cert-file, key-file in the HA hook) that ddish does not set: give ddish the agents' http:// URLs, or set the pair up by hand and manage it here afterwards (ddish keeps those settings when it edits)",
                    p.name, p.url
                ));
            }
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if bare.parse::<std::net::IpAddr>().is_err() {
                return Err(format!(
                    "peer {}: its URL {} names the host '{host}', but Kea 2.2's HA peers need an IP address there (the hook cannot resolve names): set the server's url in the ddish config to its Control Agent's IP address",
                    p.name, p.url
                ));
            }
        }
        Ok(())
    }

    /// The `high-availability` entry.
    pub fn to_json(&self) -> Value {
        let peers: Vec<Value> = self
            .peers
            .iter()
            .map(|p| {
                let mut v = json!({"name": p.name, "url": p.url, "role": p.role,
                                   "auto-failover": p.auto_failover});
                if let (Some(u), Some(pw)) = (&p.basic_auth_user, &p.basic_auth_password) {
                    v["basic-auth-user"] = json!(u);
                    v["basic-auth-password"] = json!(pw);
                }
                v
            })
            .collect();
        json!({
            "this-server-name": self.this_server_name,
            "mode": self.mode,
            "heartbeat-delay": self.heartbeat_delay,
            "max-response-delay": self.max_response_delay,
            "max-ack-delay": self.max_ack_delay,
            "max-unacked-clients": self.max_unacked_clients,
            // Kea >= 2.4 turns HA multi-threading on by default, and with it a listener of
            // its own on this peer's URL port, which the Control Agent (or, on 3.0 direct,
            // the daemon's control socket) already holds: config-set fails "Address already
            // in use". Off, the peers talk through the API as on 2.2 (which accepts the key).
            "multi-threading": {"enable-multi-threading": false},
            "peers": peers
        })
    }
}

fn hooks(cfg: &Value) -> Vec<Value> {
    cfg["Dhcp4"]["hooks-libraries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn lib_file(h: &Value) -> &str {
    h["library"]
        .as_str()
        .map(|l| l.rsplit('/').next().unwrap_or(l))
        .unwrap_or("")
}

/// The HA relationship of a config (`{"Dhcp4": ...}`), if the HA hook is configured.
pub fn read_ha(cfg: &Value) -> Option<HaParams> {
    let hooks = hooks(cfg);
    let ha = hooks.iter().find(|h| lib_file(h) == HA_LIB)?;
    let rel = ha["parameters"]["high-availability"].get(0)?;
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_string();
    let n = |k: &str, d: u32| {
        rel[k]
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .unwrap_or(d)
    };
    let peers = rel["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| HaPeerParams {
            name: s(p, "name"),
            url: s(p, "url"),
            role: s(p, "role"),
            auto_failover: p["auto-failover"].as_bool().unwrap_or(true),
            basic_auth_user: p["basic-auth-user"].as_str().map(str::to_string),
            basic_auth_password: p["basic-auth-password"].as_str().map(str::to_string),
        })
        .collect();
    Some(HaParams {
        mode: s(rel, "mode"),
        this_server_name: s(rel, "this-server-name"),
        peers,
        // Kea's defaults when the keys are left out.
        heartbeat_delay: n("heartbeat-delay", 10_000),
        max_response_delay: n("max-response-delay", 60_000),
        max_ack_delay: n("max-ack-delay", 10_000),
        max_unacked_clients: n("max-unacked-clients", 10),
    })
}

/// The HA relationship in `cfg` has TLS set up (a trust anchor), by hand: ddish keeps it.
pub fn has_tls(cfg: &Value) -> bool {
    hooks(cfg)
        .iter()
        .filter(|h| lib_file(h) == HA_LIB)
        .any(|h| {
            h["parameters"]["high-availability"][0]
                .get("trust-anchor")
                .is_some()
        })
}

/// The directory this server loads its hooks from (ddish usually runs on another host, so
/// only the server's own config tells where its Kea keeps them): the directory of its
/// lease_cmds, else of another `libdhcp_*.so` given with a path, else Debian's.
pub fn hooks_dir_of(cfg: &Value) -> String {
    let libs: Vec<String> = hooks(cfg)
        .iter()
        .filter_map(|h| h["library"].as_str())
        .filter(|l| l.starts_with('/') && l.contains("libdhcp_"))
        .map(str::to_string)
        .collect();
    let dir = |l: &String| l.rsplit_once('/').map(|(d, _)| d.to_string());
    libs.iter()
        .filter(|l| l.ends_with(LEASE_CMDS_LIB))
        .chain(libs.iter())
        .find_map(dir)
        .unwrap_or_else(|| DEBIAN_HOOKS_DIR.to_string())
}

fn hooks_mut(cfg: &mut Value) -> Result<&mut Vec<Value>, String> {
    let d = cfg
        .get_mut("Dhcp4")
        .and_then(Value::as_object_mut)
        .ok_or("the configuration has no Dhcp4 object")?;
    let h = d.entry("hooks-libraries").or_insert_with(|| json!([]));
    h.as_array_mut()
        .ok_or_else(|| "hooks-libraries is not a list".to_string())
}

/// The hook files a config lacks for HA (`libdhcp_lease_cmds.so`, `libdhcp_ha.so`).
pub fn missing_ha_hooks(cfg: &Value) -> Vec<String> {
    let have: Vec<String> = hooks(cfg).iter().map(|h| lib_file(h).to_string()).collect();
    [LEASE_CMDS_LIB, HA_LIB]
        .into_iter()
        .filter(|l| !have.iter().any(|h| h == l))
        .map(str::to_string)
        .collect()
}

/// Loads lease_cmds (first, when missing) and sets the HA hook with `params` (added last,
/// or merged into the existing relationship), from `dir`.
pub fn set_ha(cfg: &mut Value, params: &HaParams, dir: &str) -> Result<(), EditRefused> {
    let list = hooks_mut(cfg)?;
    if !list.iter().any(|h| lib_file(h) == LEASE_CMDS_LIB) {
        list.insert(0, json!({"library": format!("{dir}/{LEASE_CMDS_LIB}")}));
    }
    match list.iter_mut().find(|h| lib_file(h) == HA_LIB) {
        Some(h) => {
            let old = h["parameters"]["high-availability"]
                .get(0)
                .cloned()
                .unwrap_or_else(|| json!({}));
            h["parameters"] = json!({"high-availability": [merge_rel(&old, params.to_json())]});
        }
        None => list.push(json!({"library": format!("{dir}/{HA_LIB}"),
                                 "parameters": {"high-availability": [params.to_json()]}})),
    }
    Ok(())
}

/// The keys ddish manages, set from `new` over an existing relationship `old`; everything
/// else there (sync-timeout, TLS files, state-machine, a peer's cert-file ...) is kept.
fn merge_rel(old: &Value, new: Value) -> Value {
    let mut out = if old.is_object() {
        old.clone()
    } else {
        json!({})
    };
    for k in [
        "this-server-name",
        "mode",
        "heartbeat-delay",
        "max-response-delay",
        "max-ack-delay",
        "max-unacked-clients",
    ] {
        out[k] = new[k].clone();
    }
    if out.get("multi-threading").is_none() {
        out["multi-threading"] = new["multi-threading"].clone();
    }
    let old_peers = old["peers"].as_array().cloned().unwrap_or_default();
    let peers: Vec<Value> = new["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let mut m = old_peers
                .iter()
                .find(|o| o["name"] == p["name"])
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Some(o) = m.as_object_mut() {
                o.remove("basic-auth-user");
                o.remove("basic-auth-password");
            }
            if let Some(src) = p.as_object() {
                for (k, v) in src {
                    m[k.as_str()] = v.clone();
                }
            }
            m
        })
        .collect();
    out["peers"] = Value::Array(peers);
    out
}

/// Unloads the HA hook (lease_cmds and the rest stay).
pub fn remove_ha(cfg: &mut Value) -> Result<(), EditRefused> {
    hooks_mut(cfg)?.retain(|h| lib_file(h) != HA_LIB);
    Ok(())
}

/// `Dhcp4.user-context.ddish.failover` (ddish's name for the relationship); `None` removes.
pub fn set_failover_mark(cfg: &mut Value, name: Option<&str>) -> Result<(), EditRefused> {
    let d = cfg
        .get_mut("Dhcp4")
        .and_then(Value::as_object_mut)
        .ok_or("the configuration has no Dhcp4 object")?;
    let uc = d.entry("user-context").or_insert_with(|| json!({}));
    if !uc.is_object() {
        *uc = json!({});
    }
    if !uc["ddish"].is_object() {
        uc["ddish"] = json!({});
    }
    match name {
        Some(n) => uc["ddish"]["failover"] = json!({"name": n}),
        None => {
            if let Some(o) = uc["ddish"].as_object_mut() {
                o.remove("failover");
            }
        }
    }
    Ok(())
}

pub fn failover_mark(cfg: &Value) -> Option<String> {
    cfg["Dhcp4"]["user-context"]["ddish"]["failover"]["name"]
        .as_str()
        .map(str::to_string)
}

/// The pools of a subnet entry as ranges, with each pool object.
fn pools_of(subnet: &Value) -> Result<Vec<(Range, Value)>, String> {
    subnet["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let s = p["pool"].as_str().unwrap_or("");
            Range::parse_pool(s)
                .map(|r| (r, p.clone()))
                .ok_or_else(|| format!("pool '{s}' is not a range ddish can split"))
        })
        .collect()
}

fn is_ha_class(c: &str) -> bool {
    c.starts_with("HA_")
}

/// A pool's client class other than an HA scope class (`HA_<peer>`).
pub fn foreign_pool_class(subnet: &Value) -> Option<String> {
    subnet["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(classes_of)
        .find(|c| !is_ha_class(c))
        .map(str::to_string)
}

/// Rewrites a subnet's pools: `ranges` with, for each, the fields of an old pool it came
/// from (pool options) and `class` as client class (HA classes of the old pools dropped).
fn write_pools(subnet: &mut Value, old: &[(Range, Value)], ranges: &[(Range, Option<String>)]) {
    let pools: Vec<Value> = ranges
        .iter()
        .map(|(r, class)| {
            let mut p = old
                .iter()
                .find(|(o, _)| o.overlaps(r))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| json!({}));
            remove_classes(&mut p, is_ha_class);
            p["pool"] = json!(r.to_pool_string());
            if let Some(c) = class {
                set_class(&mut p, Some(c));
            }
            p
        })
        .collect();
    subnet["pools"] = Value::Array(pools);
}

fn merged(old: &[(Range, Value)]) -> Vec<Range> {
    RangeSet::from_ranges(old.iter().map(|(r, _)| *r))
        .ranges()
        .to_vec()
}

/// Load balancing: the first half of the addresses for `HA_<first>`, the rest for
/// `HA_<second>`. Pools already split between exactly these two classes stay as they are
/// (clients keep their addresses).
pub fn split_subnet_pools(
    subnet: &mut Value,
    first: &str,
    second: &str,
) -> Result<(), EditRefused> {
    let old = pools_of(subnet)?;
    let classes = [format!("HA_{first}"), format!("HA_{second}")];
    let already = !old.is_empty()
        && old.iter().all(|(_, p)| {
            let have = classes_of(p);
            have.len() == 1 && classes.iter().any(|x| x == have[0])
        })
        && classes
            .iter()
            .all(|c| old.iter().any(|(_, p)| has_class(p, c)));
    if already {
        return Ok(());
    }
    if let Some(c) = foreign_pool_class(subnet) {
        return Err(EditRefused(format!(
            "a pool of {} is limited to client class {c}; the servers' halves need the classes HA_<server> instead (a pool admits a client of any of its classes), so it cannot be split: remove that class first",
            subnet["subnet"].as_str().unwrap_or("?")
        )));
    }
    let (a, b) = split_pools(&merged(&old));
    let mut out: Vec<(Range, Option<String>)> = Vec::new();
    out.extend(a.into_iter().map(|r| (r, Some(classes[0].clone()))));
    out.extend(b.into_iter().map(|r| (r, Some(classes[1].clone()))));
    write_pools(subnet, &old, &out);
    Ok(())
}

/// Hot standby or standalone: every pool shared, HA classes dropped, adjacent halves merged.
pub fn share_subnet_pools(subnet: &mut Value) -> Result<(), EditRefused> {
    let old = pools_of(subnet)?;
    if old
        .iter()
        .all(|(_, p)| !classes_of(p).into_iter().any(is_ha_class))
    {
        return Ok(());
    }
    let ranges: Vec<(Range, Option<String>)> =
        merged(&old).into_iter().map(|r| (r, None)).collect();
    write_pools(subnet, &old, &ranges);
    Ok(())
}

/// Standalone after a failover, keeping one half of the addresses (`first`: the first
/// half), so two standalone servers with the same scope never hand out the same address.
pub fn half_subnet_pools(subnet: &mut Value, first: bool) -> Result<(), EditRefused> {
    let old = pools_of(subnet)?;
    let (a, b) = split_pools(&merged(&old));
    let keep = if first { a } else { b };
    let ranges: Vec<(Range, Option<String>)> = keep.into_iter().map(|r| (r, None)).collect();
    write_pools(subnet, &old, &ranges);
    Ok(())
}

/// Every subnet entry of a config, mutable (top level and shared networks).
pub fn subnets_mut(cfg: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    let Some(d) = cfg.get_mut("Dhcp4").and_then(Value::as_object_mut) else {
        return out;
    };
    let mut top = None;
    let mut nets = None;
    for (k, v) in d.iter_mut() {
        match k.as_str() {
            "subnet4" => top = Some(v),
            "shared-networks" => nets = Some(v),
            _ => {}
        }
    }
    if let Some(l) = top.and_then(Value::as_array_mut) {
        out.extend(l.iter_mut());
    }
    if let Some(ns) = nets.and_then(Value::as_array_mut) {
        for n in ns {
            if let Some(l) = n.get_mut("subnet4").and_then(Value::as_array_mut) {
                out.extend(l.iter_mut());
            }
        }
    }
    out
}

/// Removes the subnet with this id wherever it is; whether it was there.
pub fn remove_subnet(cfg: &mut Value, id: u64) -> bool {
    let d = &mut cfg["Dhcp4"];
    let mut found = false;
    if let Some(l) = d["subnet4"].as_array_mut() {
        let before = l.len();
        l.retain(|s| s["id"].as_u64() != Some(id));
        found |= l.len() != before;
    }
    if let Some(ns) = d["shared-networks"].as_array_mut() {
        for n in ns {
            if let Some(l) = n["subnet4"].as_array_mut() {
                let before = l.len();
                l.retain(|s| s["id"].as_u64() != Some(id));
                found |= l.len() != before;
            }
        }
    }
    found
}

/// Adds `subnet` at the top level, replacing a subnet with the same id.
pub fn put_subnet(cfg: &mut Value, subnet: Value) {
    if let Some(id) = subnet["id"].as_u64() {
        remove_subnet(cfg, id);
    }
    let d = &mut cfg["Dhcp4"];
    if !d["subnet4"].is_array() {
        d["subnet4"] = json!([]);
    }
    if let Some(l) = d["subnet4"].as_array_mut() {
        l.push(subnet);
    }
}

/// A config edit for one server of a pair.
pub type PeerEdit = Box<dyn FnOnce(&mut Value) -> Result<(), EditRefused> + Send>;

/// One safe config change per server (`edits[i]` on `clients[i]`, base `bases[i]` or a fresh
/// config-get), for HA set-up where each server needs its own change. Every check runs on
/// all servers first; nothing is written anywhere unless all pass. Then config-set in
/// `order` back to back (the server holding the leases first); if a later one fails, the
/// earlier ones get their last good config back (`WriteError::RolledBack`). Then
/// config-write and read-back on each. `allow`: guarded keys the change may touch.
pub async fn safe_config_edit_each(
    clients: &[&KeaClient],
    bases: &[Option<&Value>],
    edits: Vec<PeerEdit>,
    allow: &[&str],
    order: &[usize],
) -> Vec<(String, Result<WriteOutcome, WriteError>)> {
    let names: Vec<String> = clients
        .iter()
        .map(|c| c.server_name().to_string())
        .collect();
    let prepared = join_all(clients.iter().zip(edits).enumerate().map(|(i, (c, e))| {
        let base = bases.get(i).copied().flatten();
        prepare(
            c,
            super::write::Base::seen_or_fetch(base),
            allow,
            &super::lean::Reach::Whole,
            e,
        )
    }))
    .await;
    let mut order: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| i < clients.len())
        .collect();
    for i in 0..clients.len() {
        if !order.contains(&i) {
            order.push(i);
        }
    }
    super::ha::commit_prepared(names, prepared, &order).await
}

/// A server's local HA state from status-get (`None`: no HA hook or no answer).
pub async fn ha_state(client: &KeaClient) -> Result<Option<String>, String> {
    client
        .status_get()
        .await
        .map(|s| s.ha.and_then(|h| h.local_state))
        .map_err(|e| e.to_string())
}

/// Polls until every server reports `want`, or `timeout`; the last states seen (a failure
/// to ask shows as "unreachable: ...").
pub async fn wait_states(
    clients: &[&KeaClient],
    want: &str,
    timeout: Duration,
) -> (bool, Vec<(String, String)>) {
    let deadline = Instant::now() + timeout;
    loop {
        let states: Vec<(String, String)> = join_all(clients.iter().map(|c| async move {
            let s = match ha_state(c).await {
                Ok(Some(s)) => s,
                Ok(None) => "no HA".to_string(),
                Err(e) => format!("unreachable: {e}"),
            };
            (c.server_name().to_string(), s)
        }))
        .await;
        let done = states.iter().all(|(_, s)| s == want);
        if done || Instant::now() >= deadline {
            return (done, states);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests;
