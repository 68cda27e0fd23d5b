//! One scope read by commands instead of a whole config-get. Where the server has
//! subnet_cmds and host_cmds (Kea 3.0 ships both), `subnet4-list` (ids and prefixes),
//! `subnet4-get` (one subnet) and `reservation-get-all` (that subnet's hosts from the config
//! file and from hosts databases alike; subnet-id 0 for the global ones) cost milliseconds,
//! where config-get of a 10,000-subnet server costs ~0.5 s and tens of MB (KEA_FACTS.md §14).
//!
//! Verified on Kea 3.0.4: subnet4-get carries no reservations and no shared-network name
//! (subnet4-list has the name); an unknown prefix is result 3.
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::KeaClient;
use super::config::{
    parse_reservation, parse_subnet, routers, RawOption, RawReservation, RawSubnet, Shared,
};
use super::error::KeaError;
use crate::model::scope::attach_global_reservations;
use crate::model::{Reservation, ScopeDef};

/// Whether a server with these commands can have its scopes read by commands.
pub fn reads_by_commands(commands: &BTreeSet<String>) -> bool {
    ["subnet4-list", "subnet4-get", "reservation-get-all"]
        .iter()
        .all(|c| commands.contains(*c))
}

/// One `subnet4-list` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetRef {
    pub id: u32,
    pub cidr: Ipv4Net,
    pub shared_network: Option<String>,
}

#[derive(Deserialize)]
struct ListArgs {
    #[serde(default)]
    subnets: Vec<ListEntry>,
}

#[derive(Deserialize)]
struct ListEntry {
    id: Option<u64>,
    subnet: Option<String>,
    #[serde(rename = "shared-network-name")]
    shared_network: Option<String>,
}

/// Every subnet's id, prefix and shared network (`subnet4-list`): ~70 bytes a subnet, read
/// without building a `Value` (10,000 subnets: 0.7 MB).
pub async fn subnet_list(client: &KeaClient) -> Result<Vec<SubnetRef>, KeaError> {
    let list: Option<ListArgs> = client.call_typed("subnet4-list", None).await?;
    Ok(list
        .map(|l| l.subnets)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| {
            Some(SubnetRef {
                id: u32::try_from(s.id?).ok()?,
                cidr: s.subnet?.parse::<Ipv4Net>().ok()?.trunc(),
                shared_network: s.shared_network,
            })
        })
        .collect())
}

/// One subnet read whole: subnet4-get, its reservations, the global reservations inside it,
/// and its shared network's gateway when it has none of its own. `None`: it went away
/// between the list and the get.
pub async fn scope_of_subnet(
    client: &KeaClient,
    s: &SubnetRef,
) -> Result<Option<ScopeDef>, KeaError> {
    let (subnet, hosts, globals) = tokio::try_join!(
        subnet_get(client, s.id),
        hosts_of(client, s.id),
        hosts_of(client, 0),
    )?;
    let Some(subnet) = subnet else {
        return Ok(None);
    };
    let shared_gateway = match &s.shared_network {
        Some(name) if subnet_routers(&subnet).is_none() => network_gateway(client, name).await?,
        _ => None,
    };
    let mut scope = scope_from_parts(&subnet, &hosts, s.shared_network.as_deref(), shared_gateway)
        .map_err(|e| {
            KeaError::malformed(format!("subnet4-get of subnet {} ({}): {e}", s.id, s.cidr))
                .on_server(client.server_name())
        })?;
    let globals: Vec<Reservation> = globals.iter().filter_map(reservation_of).collect();
    attach_global_reservations(std::slice::from_mut(&mut scope), globals);
    Ok(Some(scope))
}

/// One subnet as subnet4-get returns it, `None` when the server has no subnet `id`.
pub async fn subnet_get(client: &KeaClient, id: u32) -> Result<Option<Value>, KeaError> {
    let r = client
        .call("subnet4-get", Some(json!({ "id": id })))
        .await?;
    Ok(r.arguments
        .and_then(|mut a| a.get_mut("subnet4").map(Value::take))
        .and_then(|mut l| l.get_mut(0).map(Value::take)))
}

/// Every reservation of one subnet (0: the global ones) that has an address, from every
/// host source the server has (its config and its hosts databases).
pub async fn subnet_reservations(
    client: &KeaClient,
    subnet_id: u32,
) -> Result<Vec<Reservation>, KeaError> {
    Ok(hosts_of(client, subnet_id)
        .await?
        .iter()
        .filter_map(reservation_of)
        .collect())
}

/// Reservations kept in hosts databases (the host sources after the config file, which
/// config-get never shows), with their subnet ids (0: global), paged at most 1,000 at a time.
/// A server without a hosts database answers the first page empty.
pub async fn database_reservations(
    client: &KeaClient,
) -> Result<Vec<(u32, Reservation)>, KeaError> {
    const PAGE: u64 = 1_000;
    let mut out = Vec::new();
    let (mut from, mut source) = (0u64, 1u64);
    // A bound on the walk: a server that keeps answering the same page must not loop.
    for _ in 0..100_000 {
        let r = client
            .call(
                "reservation-get-page",
                Some(json!({"limit": PAGE, "source-index": source, "from": from})),
            )
            .await?;
        if r.is_empty() {
            break;
        }
        let Some(args) = r.arguments else {
            break;
        };
        let hosts = args
            .get("hosts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if hosts.is_empty() {
            break;
        }
        for h in hosts {
            let sid = h
                .get("subnet-id")
                .and_then(Value::as_u64)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0);
            if let Some(r) = reservation_of(h) {
                out.push((sid, r));
            }
        }
        let next = |k: &str| {
            args.get("next")
                .and_then(|n| n.get(k))
                .and_then(Value::as_u64)
        };
        match (next("from"), next("source-index")) {
            (Some(f), Some(s)) if (f, s) != (from, source) => (from, source) = (f, s),
            _ => break,
        }
    }
    Ok(out)
}

/// A subnet's reservations as its `reservations` list in a config would hold them
/// (reservation-get-all's hosts without their `subnet-id`).
pub async fn subnet_hosts(client: &KeaClient, subnet_id: u32) -> Result<Vec<Value>, KeaError> {
    let mut hosts = hosts_of(client, subnet_id).await?;
    for h in &mut hosts {
        if let Some(o) = h.as_object_mut() {
            o.remove("subnet-id");
        }
    }
    Ok(hosts)
}

/// How many of a subnet's reservations the server holds in memory (its config file's and
/// those added with `"operation-target": "memory"`): the ones that go with the subnet. The
/// rest of what [`subnet_hosts`] lists lives in a hosts database and stays there.
pub async fn subnet_hosts_in_memory(client: &KeaClient, subnet_id: u32) -> Result<usize, KeaError> {
    Ok(hosts_in(client, subnet_id, Some("memory")).await?.len())
}

/// reservation-get-all's hosts (empty on result 3).
async fn hosts_of(client: &KeaClient, subnet_id: u32) -> Result<Vec<Value>, KeaError> {
    hosts_in(client, subnet_id, None).await
}

/// [`hosts_of`] from one source (`"memory"`, `"database"`); `None`: all of them.
async fn hosts_in(
    client: &KeaClient,
    subnet_id: u32,
    target: Option<&str>,
) -> Result<Vec<Value>, KeaError> {
    let mut args = json!({ "subnet-id": subnet_id });
    if let Some(t) = target {
        args["operation-target"] = json!(t);
    }
    let r = client.call("reservation-get-all", Some(args)).await?;
    Ok(r.arguments
        .and_then(|mut a| a.get_mut("hosts").map(Value::take))
        .and_then(|h| match h {
            Value::Array(l) => Some(l),
            _ => None,
        })
        .unwrap_or_default())
}

fn reservation_of(host: &Value) -> Option<Reservation> {
    RawReservation::deserialize(host)
        .ok()
        .and_then(|r| parse_reservation(&r))
}

fn subnet_routers(subnet: &Value) -> Option<Ipv4Addr> {
    let opts: Vec<RawOption<'_>> = subnet
        .get("option-data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| RawOption::deserialize(o).ok())
        .collect();
    routers(&opts)
}

/// The routers option of a shared network (network4-get), if any.
async fn network_gateway(client: &KeaClient, name: &str) -> Result<Option<Ipv4Addr>, KeaError> {
    // network4-get comes with subnet4-get in subnet_cmds; without it, no gateway is known.
    let r = match client
        .call("network4-get", Some(json!({ "name": name })))
        .await
    {
        Err(KeaError::Unsupported { .. }) => return Ok(None),
        r => r?,
    };
    Ok(r.arguments
        .as_ref()
        .and_then(|a| a.get("shared-networks"))
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(subnet_routers))
}

/// A `ScopeDef` from subnet4-get's subnet and reservation-get-all's hosts: the same reading
/// as a config-get subnet, so both paths give the same scope.
pub(super) fn scope_from_parts(
    subnet: &Value,
    hosts: &[Value],
    shared_network: Option<&str>,
    shared_gateway: Option<Ipv4Addr>,
) -> Result<ScopeDef, String> {
    let mut raw = RawSubnet::deserialize(subnet).map_err(|e| e.to_string())?;
    raw.reservations = hosts
        .iter()
        .filter_map(|h| RawReservation::deserialize(h).ok())
        .collect();
    let shared = shared_network.map(|name| Shared {
        name,
        gateway: shared_gateway,
    });
    parse_subnet(&raw, shared.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_path_needs_all_three() {
        let set = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert!(reads_by_commands(&set(&[
            "subnet4-list",
            "subnet4-get",
            "reservation-get-all",
            "x"
        ])));
        assert!(!reads_by_commands(&set(&["subnet4-list", "subnet4-get"])));
        assert!(!reads_by_commands(&set(&["reservation-get-all"])));
    }

    /// The same subnet through config-get and through subnet4-get + reservation-get-all
    /// (Kea 3.0.4's shapes) reads as the same scope.
    #[test]
    fn both_paths_read_the_same_scope() {
        let subnet = json!({"id": 1, "subnet": "10.10.0.0/24", "allocator": "iterative",
            "option-data": [{"always-send": false, "code": 3, "csv-format": true, "data": "10.10.0.1",
                             "name": "routers", "never-send": false, "space": "dhcp4"}],
            "pools": [{"client-classes": ["HA_kea-1"], "option-data": [], "pool": "10.10.0.100-10.10.0.119"},
                      {"client-classes": ["HA_kea-2"], "option-data": [], "pool": "10.10.0.120-10.10.0.139"}],
            "relay": {"ip-addresses": ["127.0.0.1"]}, "valid-lifetime": 3600,
            "user-context": {"ddish": {"title": "HQ clients", "range": {"start": "10.10.0.10", "end": "10.10.0.199"}}}});
        let hosts = vec![
            json!({"boot-file-name": "", "client-classes": [], "hostname": "printer1",
                   "hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10", "next-server": "0.0.0.0",
                   "option-data": [], "server-hostname": "", "subnet-id": 1}),
            json!({"client-id": "01AABBCC000003", "hostname": "voip-gw", "ip-address": "10.10.0.12",
                   "subnet-id": 1, "user-context": {"ddish": {"description": "by client-id"}}}),
            // A host without an address (options only) has no place in IPAM.
            json!({"hw-address": "aa:bb:cc:00:00:09", "hostname": "noaddr", "subnet-id": 1}),
        ];
        let by_commands = scope_from_parts(&subnet, &hosts, None, None).unwrap();
        let mut whole = subnet.clone();
        whole["reservations"] = json!(hosts);
        let config = super::super::parse_config(&json!({"Dhcp4": {"subnet4": [whole]}})).unwrap();
        assert_eq!(config.scopes, vec![by_commands.clone()]);
        assert_eq!(by_commands.reservations.len(), 2);
        assert_eq!(by_commands.gateway, Some(Ipv4Addr::new(10, 10, 0, 1)));
        assert_eq!(by_commands.title.as_deref(), Some("HQ clients"));
    }

    #[test]
    fn shared_network_gives_its_name_and_gateway() {
        let subnet = json!({"id": 2, "subnet": "10.20.0.0/24", "pools": [{"pool": "10.20.0.100-10.20.0.149"}]});
        let s = scope_from_parts(
            &subnet,
            &[],
            Some("floor2"),
            Some(Ipv4Addr::new(10, 20, 0, 1)),
        )
        .unwrap();
        assert_eq!(s.shared_network.as_deref(), Some("floor2"));
        assert_eq!(s.gateway, Some(Ipv4Addr::new(10, 20, 0, 1)));
    }

    #[test]
    fn odd_replies_are_errors_not_panics() {
        assert!(scope_from_parts(&json!({"subnet": "10.0.0.0/24"}), &[], None, None).is_err());
        assert!(scope_from_parts(&json!("x"), &[], None, None).is_err());
        assert!(scope_from_parts(&json!({"id": 1, "subnet": "nope"}), &[], None, None).is_err());
    }
}
