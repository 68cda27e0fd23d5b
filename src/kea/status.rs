//! status-get: process facts and the HA hook's view of both peers (KEA_FACTS.md §4, §7).
//! Every field is optional: a server without HA, or another Kea version, leaves them out.
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeaStatus {
    pub pid: Option<i64>,
    /// Seconds since the daemon started.
    pub uptime: Option<i64>,
    /// Seconds since the last configuration (re)load.
    pub reload: Option<i64>,
    pub multi_threading: Option<bool>,
    /// The first HA relationship (Kea 2.2 has one); `None` without the HA hook.
    pub ha: Option<HaStatus>,
    /// How many HA relationships the server has (Kea >= 2.6 hub-and-spoke: several).
    pub ha_relationships: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HaStatus {
    /// `load-balancing`, `hot-standby`, ...
    pub mode: Option<String>,
    pub local_state: Option<String>,
    pub local_role: Option<String>,
    pub local_scopes: Vec<String>,
    /// This server's and its partner's `server-name` (Kea >= 2.4 reports them; 2.2 does not).
    pub local_name: Option<String>,
    pub remote_name: Option<String>,
    /// The partner's state as last seen (`remote.last-state`).
    pub remote_state: Option<String>,
    pub remote_role: Option<String>,
    pub remote_scopes: Vec<String>,
    pub communication_interrupted: Option<bool>,
    pub in_touch: Option<bool>,
    /// Seconds since the partner was last heard from.
    pub age: Option<i64>,
    pub unacked_clients: Option<u64>,
    pub unacked_clients_left: Option<u64>,
    pub connecting_clients: Option<u64>,
    pub analyzed_packets: Option<u64>,
}

/// Reads the `arguments` of a status-get reply.
pub fn parse_status(args: &Value) -> KeaStatus {
    KeaStatus {
        pid: args.get("pid").and_then(Value::as_i64),
        uptime: args.get("uptime").and_then(Value::as_i64),
        reload: args.get("reload").and_then(Value::as_i64),
        multi_threading: args.get("multi-threading-enabled").and_then(Value::as_bool),
        ha: args
            .get("high-availability")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .map(parse_ha),
        ha_relationships: args
            .get("high-availability")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    }
}

fn parse_ha(ha: &Value) -> HaStatus {
    let servers = ha.get("ha-servers");
    let local = servers.and_then(|s| s.get("local"));
    let remote = servers.and_then(|s| s.get("remote"));
    let s = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let u = |k: &str| remote.and_then(|v| v.get(k)).and_then(Value::as_u64);
    let list = |v: Option<&Value>, k: &str| -> Vec<String> {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    HaStatus {
        mode: s(Some(ha), "ha-mode"),
        local_state: s(local, "state"),
        local_role: s(local, "role"),
        local_scopes: list(local, "scopes"),
        local_name: s(local, "server-name"),
        remote_name: s(remote, "server-name"),
        remote_state: s(remote, "last-state"),
        remote_role: s(remote, "role"),
        remote_scopes: list(remote, "last-scopes"),
        communication_interrupted: remote
            .and_then(|v| v.get("communication-interrupted"))
            .and_then(Value::as_bool),
        in_touch: remote
            .and_then(|v| v.get("in-touch"))
            .and_then(Value::as_bool),
        age: remote.and_then(|v| v.get("age")).and_then(Value::as_i64),
        unacked_clients: u("unacked-clients"),
        unacked_clients_left: u("unacked-clients-left"),
        connecting_clients: u("connecting-clients"),
        analyzed_packets: u("analyzed-packets"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha_fields() {
        let v: Value = serde_json::from_str(r#"{"high-availability":[{"ha-mode":"load-balancing","ha-servers":{"local":{"role":"primary","scopes":["server1"],"state":"load-balancing"},"remote":{"age":1,"analyzed-packets":0,"communication-interrupted":false,"connecting-clients":0,"in-touch":true,"last-scopes":["server2"],"last-state":"load-balancing","role":"secondary","unacked-clients":0,"unacked-clients-left":0}}}],"multi-threading-enabled":false,"pid":12031,"reload":10,"sockets":{"status":"ready"},"uptime":10}"#).unwrap();
        let s = parse_status(&v);
        assert_eq!(
            (s.pid, s.uptime, s.reload),
            (Some(12031), Some(10), Some(10))
        );
        assert_eq!(s.multi_threading, Some(false));
        let ha = s.ha.unwrap();
        assert_eq!(ha.mode.as_deref(), Some("load-balancing"));
        assert_eq!(ha.local_state.as_deref(), Some("load-balancing"));
        assert_eq!(ha.local_role.as_deref(), Some("primary"));
        assert_eq!(ha.local_scopes, vec!["server1"]);
        assert_eq!(ha.remote_state.as_deref(), Some("load-balancing"));
        assert_eq!(ha.remote_scopes, vec!["server2"]);
        assert_eq!(ha.communication_interrupted, Some(false));
        assert_eq!(ha.in_touch, Some(true));
        assert_eq!(ha.unacked_clients, Some(0));
        // Kea 2.2 does not name the servers.
        assert_eq!((ha.local_name, ha.remote_name), (None, None));
    }

    #[test]
    fn server_names_of_kea_2_6_and_3_0() {
        // status-get of Kea 3.0.4 (lab pair), abbreviated.
        let v: Value = serde_json::from_str(r#"{"high-availability":[{"ha-mode":"load-balancing","ha-servers":{"local":{"role":"primary","scopes":["kea-1"],"server-name":"kea-1","state":"load-balancing"},"remote":{"last-scopes":["kea-2"],"last-state":"load-balancing","role":"secondary","server-name":"kea-2"}}}],"pid":7,"reload":8}"#).unwrap();
        let ha = parse_status(&v).ha.unwrap();
        assert_eq!(ha.local_name.as_deref(), Some("kea-1"));
        assert_eq!(ha.remote_name.as_deref(), Some("kea-2"));
        assert_eq!(ha.remote_role.as_deref(), Some("secondary"));
    }

    #[test]
    fn without_ha() {
        let v: Value = serde_json::from_str(r#"{"pid":1,"reload":2,"uptime":3}"#).unwrap();
        let s = parse_status(&v);
        assert_eq!(s.pid, Some(1));
        assert!(s.ha.is_none());
        assert_eq!(parse_status(&Value::Null), KeaStatus::default());
    }
}
