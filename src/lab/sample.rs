//! The lab's sample data: six scopes (one in a shared network, a /16, an inactive one, one
//! inside 127.0.0.0/8, a nearly full one), ddish networks and a container, reservations,
//! exclusions, ~20,000 leases in Kea's memfile format, and DNS zones.
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::Ipv4Addr;

/// How the two lab servers share the work (Kea HA `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HaMode {
    #[default]
    LoadBalancing,
    HotStandby,
}

impl HaMode {
    /// Kea's name for the mode, which is also the HA state both peers reach.
    pub fn as_kea(self) -> &'static str {
        match self {
            HaMode::LoadBalancing => "load-balancing",
            HaMode::HotStandby => "hot-standby",
        }
    }
}

/// Subnet ids of the sample scopes (fixed, identical on both peers).
pub mod ids {
    pub const HQ: u32 = 1;
    pub const FLOOR2: u32 = 2;
    pub const CAMPUS: u32 = 3;
    pub const INACTIVE: u32 = 4;
    pub const LOOPBACK: u32 = 5;
    pub const DMZ: u32 = 6;
}

/// Number of leases seeded in the /16.
pub const CAMPUS_LEASES: u32 = 20_000;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("sample addresses are literals")
}

/// Pools for one scope: one per range when there are no HA peers or in hot-standby; in
/// load-balancing each range is cut in two halves, `HA_<peer1>` and `HA_<peer2>`.
fn pools(ranges: &[(&str, &str)], peers: &[(String, String)], mode: HaMode) -> Value {
    let mut out = Vec::new();
    for (a, b) in ranges {
        let (a, b) = (u32::from(ip(a)), u32::from(ip(b)));
        if mode == HaMode::LoadBalancing && peers.len() == 2 {
            let mid = a + (b - a) / 2;
            out.push(
                json!({"pool": format!("{} - {}", Ipv4Addr::from(a), Ipv4Addr::from(mid)),
                            "client-class": format!("HA_{}", peers[0].0)}),
            );
            out.push(
                json!({"pool": format!("{} - {}", Ipv4Addr::from(mid + 1), Ipv4Addr::from(b)),
                            "client-class": format!("HA_{}", peers[1].0)}),
            );
        } else {
            out.push(json!({"pool": format!("{} - {}", Ipv4Addr::from(a), Ipv4Addr::from(b))}));
        }
    }
    Value::Array(out)
}

/// The lab's Dhcp4 config for one server, without control-socket, lease-database and
/// loggers ([`KeaInstance::start`](super::KeaInstance::start) adds those). `peers` are the
/// HA pair as (name, CA url), the first one primary; empty means a standalone server with
/// the same data. `auth` is the (user, password) each peer uses on the other's CA. Hook
/// libraries are bare file names, resolved by `KeaInstance::start`.
pub fn sample_dhcp4(
    server_name: &str,
    peers: &[(String, String)],
    mode: HaMode,
    auth: Option<(&str, &str)>,
) -> Value {
    let mut hooks = vec![
        json!({"library": "libdhcp_lease_cmds.so"}),
        json!({"library": "libdhcp_stat_cmds.so"}),
    ];
    if !peers.is_empty() {
        let peer_list: Vec<Value> = peers
            .iter()
            .enumerate()
            .map(|(i, (name, url))| {
                let role = match (i, mode) {
                    (0, _) => "primary",
                    (_, HaMode::LoadBalancing) => "secondary",
                    (_, HaMode::HotStandby) => "standby",
                };
                let mut p = json!({"name": name, "url": url, "role": role, "auto-failover": true});
                if let Some((user, password)) = auth {
                    // Credentials for that peer's CA (KEA_FACTS §12).
                    p["basic-auth-user"] = json!(user);
                    p["basic-auth-password"] = json!(password);
                }
                p
            })
            .collect();
        hooks.push(
            json!({"library": "libdhcp_ha.so", "parameters": {"high-availability": [{
                "this-server-name": server_name,
                "mode": mode.as_kea(),
                "heartbeat-delay": 2000,
                "max-response-delay": 6000,
                "max-ack-delay": 5000,
                "max-unacked-clients": 0,
                "sync-timeout": 10000,
                // Pages above ~1,000 leases get slow fast in 2.2 (KEA_FACTS §11).
                "sync-page-limit": 1000,
                "peers": peer_list
            }]}}),
        );
    }

    let hq = json!({
        "id": ids::HQ, "subnet": "10.10.0.0/24",
        "relay": {"ip-addresses": ["127.0.0.1"]},
        // .140-.149 excluded by the gap between the pools; .10-.99 by ddish's range.
        "pools": pools(&[("10.10.0.100", "10.10.0.139"), ("10.10.0.150", "10.10.0.199")], peers, mode),
        "option-data": [{"name": "routers", "data": "10.10.0.1"},
                        {"name": "domain-name-servers", "data": "10.10.0.53"}],
        "valid-lifetime": 3600,
        "user-context": {"ddish": {
            "title": "HQ clients",
            "description": "Desktops and printers, HQ building",
            "range": {"start": "10.10.0.10", "end": "10.10.0.199"}
        }},
        "reservations": [
            {"hw-address": "aa:bb:cc:00:00:01", "ip-address": "10.10.0.10", "hostname": "printer1"},
            {"hw-address": "aa:bb:cc:00:00:02", "ip-address": "10.10.0.11", "hostname": "scanner1"},
            {"client-id": "01:aa:bb:cc:00:00:03", "ip-address": "10.10.0.12", "hostname": "voip-gw",
             "user-context": {"ddish": {"comment": "reserved by client-id"}}}
        ]
    });
    let floor2 = json!({
        "id": ids::FLOOR2, "subnet": "10.20.0.0/24",
        "relay": {"ip-addresses": ["127.0.0.2"]},
        "pools": pools(&[("10.20.0.100", "10.20.0.199")], peers, mode),
        "option-data": [{"name": "routers", "data": "10.20.0.1"}]
    });
    let campus = json!({
        "id": ids::CAMPUS, "subnet": "10.64.0.0/16",
        "relay": {"ip-addresses": ["127.0.0.3"]},
        "pools": pools(&[("10.64.0.10", "10.64.255.250")], peers, mode),
        "option-data": [{"name": "routers", "data": "10.64.0.1"}],
        "valid-lifetime": 1800,
        "user-context": {"ddish": {"title": "Campus wifi", "description": "Guest and staff wireless"}}
    });
    let inactive = json!({
        "id": ids::INACTIVE, "subnet": "10.30.0.0/26",
        "relay": {"ip-addresses": ["127.0.0.4"]},
        "pools": pools(&[("10.30.0.10", "10.30.0.50")], peers, mode),
        // Nothing is served from it (KEA_FACTS §6); the class need not exist.
        "client-class": "never",
        "user-context": {"ddish": {"title": "Old lab", "description": "Decommissioned, kept for its leases", "inactive": true}}
    });
    let loopback = json!({
        "id": ids::LOOPBACK, "subnet": "127.0.99.0/24",
        "relay": {"ip-addresses": ["127.0.0.5"]},
        "pools": pools(&[("127.0.99.100", "127.0.99.200")], peers, mode),
        "user-context": {"ddish": {"title": "Loopback lab (ping)",
                                   "description": "Every address answers ping: it is 127.0.0.0/8"}}
    });
    let dmz = json!({
        "id": ids::DMZ, "subnet": "192.0.2.0/28",
        "relay": {"ip-addresses": ["127.0.0.6"]},
        "pools": pools(&[("192.0.2.1", "192.0.2.14")], peers, mode),
        "user-context": {"ddish": {"title": "DMZ", "description": "Tiny and nearly full"}}
    });

    json!({"Dhcp4": {
        "server-tag": server_name,
        "interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
        "valid-lifetime": 3600,
        "hooks-libraries": hooks,
        "user-context": {"ddish": {"networks": [
            {"cidr": "10.0.0.0/8", "kind": "container", "title": "Corporate",
             "description": "All internal networks", "scopes": []},
            {"cidr": "10.10.0.0/16", "kind": "network", "title": "HQ",
             "description": "Headquarters", "scopes": ["10.10.0.0/24", "10.10.99.0/24"]},
            {"cidr": "10.64.0.0/15", "kind": "network", "title": "Campus",
             "description": "Campus wireless", "scopes": ["10.64.0.0/16"]}
        ]}},
        "shared-networks": [{"name": "floor2", "subnet4": [floor2]}],
        "subnet4": [hq, campus, inactive, loopback, dmz]
    }})
}

/// One lease as written to Kea 2.2's memfile (leases4.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct SeedLease {
    pub ip: Ipv4Addr,
    /// `aa:bb:..`; empty for a declined lease (Kea clears it).
    pub hw: String,
    pub client_id: String,
    pub valid_lft: u32,
    /// Unix time the lease expires (cltt = expire - valid_lft).
    pub expire: i64,
    pub subnet_id: u32,
    pub fqdn_fwd: bool,
    pub fqdn_rev: bool,
    pub hostname: String,
    /// 0 default, 1 declined, 2 expired-reclaimed.
    pub state: u8,
    pub user_context: Option<Value>,
}

impl SeedLease {
    /// An ordinary lease: `hw`, `hostname`, lifetime `valid`, granted `age` seconds ago.
    pub fn new(
        ip: Ipv4Addr,
        subnet_id: u32,
        hw: &str,
        hostname: &str,
        valid: u32,
        age: i64,
        now: i64,
    ) -> Self {
        SeedLease {
            ip,
            hw: hw.into(),
            client_id: String::new(),
            valid_lft: valid,
            expire: now - age + i64::from(valid),
            subnet_id,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: hostname.into(),
            state: 0,
            user_context: None,
        }
    }
}

/// The memfile v4 header of Kea 2.2 (checked against a file kea-dhcp4 wrote itself).
pub const MEMFILE_HEADER: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

/// Kea escapes commas inside a CSV field as `&#x2c` (it does not quote fields).
fn csv_escape(s: &str) -> String {
    s.replace(',', "&#x2c")
}

/// A leases4.csv with `leases`, loadable by kea-dhcp4 2.2.
pub fn leases_csv(leases: &[SeedLease]) -> String {
    let mut out = String::with_capacity(64 * leases.len() + 128);
    out.push_str(MEMFILE_HEADER);
    out.push('\n');
    for l in leases {
        let ctx = l
            .user_context
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            l.ip,
            l.hw,
            l.client_id,
            l.valid_lft,
            l.expire,
            l.subnet_id,
            u8::from(l.fqdn_fwd),
            u8::from(l.fqdn_rev),
            csv_escape(&l.hostname),
            l.state,
            csv_escape(&ctx)
        );
    }
    out
}

/// Every lease of the sample, as of `now` (unix seconds).
pub fn sample_leases(now: i64) -> Vec<SeedLease> {
    let mut v = Vec::new();
    let hq = ids::HQ;
    // Reserved clients holding their reserved addresses.
    v.push(SeedLease::new(
        ip("10.10.0.10"),
        hq,
        "aa:bb:cc:00:00:01",
        "printer1",
        3600,
        600,
        now,
    ));
    v.push(SeedLease::new(
        ip("10.10.0.11"),
        hq,
        "aa:bb:cc:00:00:02",
        "scanner1",
        3600,
        1200,
        now,
    ));
    for i in 0..18u32 {
        let mut l = SeedLease::new(
            Ipv4Addr::from(u32::from(ip("10.10.0.100")) + i),
            hq,
            &format!("02:10:00:00:00:{:02x}", i + 1),
            &format!("hq-pc-{:02}", i + 1),
            3600,
            i64::from(i) * 97 % 3000,
            now,
        );
        l.client_id = format!("01:02:10:00:00:00:{:02x}", i + 1);
        l.fqdn_fwd = i % 3 == 0;
        l.fqdn_rev = i % 3 == 0;
        v.push(l);
    }
    let mut held = SeedLease::new(
        ip("10.10.0.120"),
        hq,
        "00:00:00:00:00:00",
        "",
        7200,
        60,
        now,
    );
    held.user_context = Some(
        json!({"ddish": {"held": true, "by": "lab", "comment": "for the new laptop, ask Sam"}}),
    );
    v.push(held);
    let mut claimed = SeedLease::new(
        ip("10.10.0.121"),
        hq,
        "aa:bb:cc:00:00:21",
        "kiosk1",
        30 * 86400,
        3600,
        now,
    );
    claimed.user_context =
        Some(json!({"ddish": {"claimed": true, "by": "lab", "comment": "lobby kiosk, fixed IP"}}));
    v.push(claimed);
    // Declined: Kea itself clears the hardware address and sets the probation lifetime.
    let mut declined = SeedLease::new(ip("10.10.0.150"), hq, "", "", 86400, 300, now);
    declined.state = 1;
    v.push(declined);
    // Expired ten minutes ago, not yet reclaimed.
    v.push(SeedLease::new(
        ip("10.10.0.151"),
        hq,
        "02:10:00:00:01:51",
        "old-laptop",
        3600,
        4200,
        now,
    ));

    for i in 0..5u32 {
        v.push(SeedLease::new(
            Ipv4Addr::from(u32::from(ip("10.20.0.100")) + i * 7),
            ids::FLOOR2,
            &format!("02:20:00:00:00:{:02x}", i + 1),
            &format!("floor2-{}", i + 1),
            3600,
            i64::from(i) * 300,
            now,
        ));
    }

    // The /16: spread over the pool (one lease per 3 addresses, jittered), so every part of
    // the grid has some.
    let base = u32::from(ip("10.64.0.10"));
    for i in 0..CAMPUS_LEASES {
        let jitter = i.wrapping_mul(2_654_435_761) >> 30; // 0..=3, deterministic
        let addr = base + i * 3 + jitter.min(2);
        v.push(SeedLease::new(
            Ipv4Addr::from(addr),
            ids::CAMPUS,
            &format!(
                "02:64:{:02x}:{:02x}:{:02x}:{:02x}",
                (i >> 24) & 255,
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            ),
            &format!("wifi-{i}"),
            1800,
            i64::from(i % 1700),
            now,
        ));
    }

    // Leases stay in an inactive scope.
    v.push(SeedLease::new(
        ip("10.30.0.10"),
        ids::INACTIVE,
        "02:30:00:00:00:01",
        "old-lab-1",
        86400,
        3600,
        now,
    ));
    v.push(SeedLease::new(
        ip("10.30.0.11"),
        ids::INACTIVE,
        "02:30:00:00:00:02",
        "old-lab-2",
        86400,
        3600,
        now,
    ));

    // 127.0.99.1/.2 outside the pool: real ping targets with leases; .100 inside it.
    v.push(SeedLease::new(
        ip("127.0.99.1"),
        ids::LOOPBACK,
        "02:7f:00:63:00:01",
        "lo-gw",
        86400,
        60,
        now,
    ));
    v.push(SeedLease::new(
        ip("127.0.99.2"),
        ids::LOOPBACK,
        "02:7f:00:63:00:02",
        "lo-host",
        86400,
        60,
        now,
    ));
    v.push(SeedLease::new(
        ip("127.0.99.100"),
        ids::LOOPBACK,
        "02:7f:00:63:00:64",
        "lo-client",
        3600,
        60,
        now,
    ));

    // 13 of 14 pool addresses: over the 80 % threshold.
    for i in 1..=13u32 {
        v.push(SeedLease::new(
            Ipv4Addr::from(u32::from(ip("192.0.2.0")) + i),
            ids::DMZ,
            &format!("02:c0:00:02:00:{i:02x}"),
            &format!("dmz-{i}"),
            3600,
            i64::from(i) * 60,
            now,
        ));
    }
    v
}

/// [`sample_leases`] as a leases4.csv (identical for both HA peers).
pub fn sample_leases_csv(now: i64) -> String {
    leases_csv(&sample_leases(now))
}

/// How many leases [`sample_leases`] puts in each subnet id.
pub fn sample_lease_counts() -> BTreeMap<u32, usize> {
    let mut m = BTreeMap::new();
    for l in sample_leases(0) {
        *m.entry(l.subnet_id).or_insert(0) += 1;
    }
    m
}

/// The lab's DNS zones as (zone, zone file body).
pub fn sample_zones() -> Vec<(&'static str, String)> {
    const HEAD: &str = "$TTL 300\n@   IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )\n    IN NS  ns1.example.test.\n";
    vec![
        (
            "example.test",
            format!(
                "{HEAD}ns1      IN A   127.0.0.1\ngw       IN A   10.10.0.1\nprinter1 IN A   10.10.0.10\n\
                 scanner1 IN A   10.10.0.11\nvoip-gw  IN A   10.10.0.12\nlo-gw    IN A   127.0.99.1\n\
                 lo-host  IN A   127.0.99.2\nwww      IN CNAME gw\n"
            ),
        ),
        (
            "0.10.10.in-addr.arpa",
            format!(
                "{HEAD}1   IN PTR gw.example.test.\n10  IN PTR printer1.example.test.\n\
                 11  IN PTR scanner1.example.test.\n12  IN PTR voip-gw.example.test.\n"
            ),
        ),
        (
            "99.0.127.in-addr.arpa",
            format!("{HEAD}1   IN PTR lo-gw.example.test.\n2   IN PTR lo-host.example.test.\n"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_escapes_commas_like_kea() {
        let mut l = SeedLease::new(ip("10.10.0.5"), 1, "aa:bb:cc:dd:ee:ff", "a,b", 600, 0, 1000);
        l.user_context = Some(json!({"ddish": {"held": true, "comment": "x, y"}}));
        let csv = leases_csv(&[l]);
        let line = csv.lines().nth(1).unwrap();
        assert_eq!(line.split(',').count(), 11, "{line}");
        assert!(line.starts_with("10.10.0.5,aa:bb:cc:dd:ee:ff,,600,1600,1,0,0,a&#x2cb,0,{"));
    }

    #[test]
    fn campus_leases_are_distinct_and_inside_the_pool() {
        let leases = sample_leases(0);
        let campus: Vec<u32> = leases
            .iter()
            .filter(|l| l.subnet_id == ids::CAMPUS)
            .map(|l| u32::from(l.ip))
            .collect();
        assert_eq!(campus.len(), CAMPUS_LEASES as usize);
        assert!(campus.windows(2).all(|w| w[0] < w[1]));
        assert!(*campus.first().unwrap() >= u32::from(ip("10.64.0.10")));
        assert!(*campus.last().unwrap() <= u32::from(ip("10.64.255.250")));
    }

    #[test]
    fn load_balancing_splits_pools_per_peer() {
        let peers = vec![
            ("a".to_string(), "u1".to_string()),
            ("b".to_string(), "u2".to_string()),
        ];
        let p = pools(&[("10.0.0.10", "10.0.0.19")], &peers, HaMode::LoadBalancing);
        assert_eq!(p[0]["pool"], "10.0.0.10 - 10.0.0.14");
        assert_eq!(p[1]["pool"], "10.0.0.15 - 10.0.0.19");
        assert_eq!(p[1]["client-class"], "HA_b");
        let p = pools(&[("10.0.0.10", "10.0.0.19")], &peers, HaMode::HotStandby);
        assert_eq!(p.as_array().unwrap().len(), 1);
    }
}
