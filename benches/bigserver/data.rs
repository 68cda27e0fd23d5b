//! The big server's data: 10,000 /24 subnets plus a /16 with ddish's marks, and 1,000,000
//! leases as a memfile CSV.
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use ddish::lab::KeaDist;

pub const SUBNETS: u32 = 10_000;

pub const LEASES: u32 = 1_000_000;

/// The /16 holds this many of them; the rest are spread over the /24s.
pub const BIG_SCOPE_LEASES: u32 = 65_000;

/// The /24 number `i` (0-based): 10.(1 + i/256).(i%256).0/24, subnet id i+1.
pub fn net24(i: u32) -> (u8, u8) {
    ((1 + i / 256) as u8, (i % 256) as u8)
}

/// Dhcp4 with the subnets, the hooks this Kea ships, and ddish's networks.
pub fn big_dhcp4(dist: &KeaDist) -> Value {
    let mut subnets = Vec::with_capacity(SUBNETS as usize + 1);
    for i in 0..SUBNETS {
        let (a, b) = net24(i);
        subnets.push(json!({
            "id": i + 1,
            "subnet": format!("10.{a}.{b}.0/24"),
            "pools": [{"pool": format!("10.{a}.{b}.20-10.{a}.{b}.250")}],
            "option-data": [
                {"name": "routers", "data": format!("10.{a}.{b}.1")},
                {"name": "domain-name-servers", "data": format!("10.{a}.{b}.53")}
            ],
            "reservations": [{"hw-address": format!("aa:bb:cc:{:02x}:{:02x}:01", (i >> 8) & 0xff, i & 0xff),
                              "ip-address": format!("10.{a}.{b}.10"), "hostname": format!("printer{i}")}],
            "user-context": {"ddish": {"title": format!("floor {i}")}}
        }));
    }
    subnets.push(json!({
        "id": SUBNETS + 1,
        "subnet": "10.200.0.0/16",
        "pools": [{"pool": "10.200.0.10-10.200.255.250"}],
        "option-data": [{"name": "routers", "data": "10.200.0.1"}]
    }));
    let dir = dist.hooks_dir().expect("the Kea's hooks directory");
    let hooks: Vec<Value> = [
        "libdhcp_lease_cmds.so",
        "libdhcp_stat_cmds.so",
        "libdhcp_host_cmds.so",
        "libdhcp_subnet_cmds.so",
        "libdhcp_class_cmds.so",
    ]
    .iter()
    .filter(|l| dir.join(l).is_file())
    .map(|l| json!({"library": l}))
    .collect();
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "interfaces-config": {"interfaces": []},
        "hooks-libraries": hooks,
        "user-context": {"ddish": {"networks": [
            {"cidr": "10.0.0.0/8", "kind": "container", "title": "Corp"},
            {"cidr": "10.200.0.0/16", "kind": "network", "title": "Campus"}
        ]}},
        "subnet4": subnets
    }})
}

/// The memfile: 65,000 leases in the /16, the rest 93-94 per /24 from .20 up.
pub fn big_leases_csv() -> String {
    let expire = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 30 * 86_400;
    let mut s = String::with_capacity(LEASES as usize * 80);
    s.push_str(ddish::lab::MEMFILE_HEADER);
    s.push('\n');
    let mut n: u32 = 0;
    let mut line = |s: &mut String, ip: Ipv4Addr, subnet: u32| {
        let _ = writeln!(
            s,
            "{ip},02:{:02x}:{:02x}:{:02x}:{:02x}:01,,86400,{expire},{subnet},0,0,host{n}.example.test,0,",
            (n >> 24) & 0xff,
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        );
        n += 1;
    };
    for k in 0..BIG_SCOPE_LEASES {
        let ip = u32::from(Ipv4Addr::new(10, 200, 0, 10)) + k;
        line(&mut s, Ipv4Addr::from(ip), SUBNETS + 1);
    }
    let rest = LEASES - BIG_SCOPE_LEASES;
    for i in 0..SUBNETS {
        let (a, b) = net24(i);
        let count = rest / SUBNETS + u32::from(i < rest % SUBNETS);
        for k in 0..count {
            line(&mut s, Ipv4Addr::new(10, a, b, 20 + k as u8), i + 1);
        }
    }
    s
}
