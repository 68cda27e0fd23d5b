//! `ScopeView::build` on a scope from /8 to /32 with any pool and any leases (Kea's own
//! lease JSON, so odd states and lifetimes come through the real parser): one state per
//! address, counts that add up, never a panic. Prefixes under /16 (up to 16M addresses) come
//! only when the first byte asks for them, to keep executions fast.
#![no_main]
use std::net::Ipv4Addr;

use ddish::kea;
use ddish::model::ScopeView;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let prefix = if byte(0) == 0xff {
        8 + byte(1) % 8
    } else {
        16 + byte(1) % 17
    };
    let net = ipnet::Ipv4Net::new(Ipv4Addr::new(10, 9, 0, 0), prefix)
        .unwrap()
        .trunc();
    let size = 1u32 << (32 - prefix);
    let start = u32::from(net.network()) + u32::from(u16::from_le_bytes([byte(2), byte(3)])) % size;
    let last = start
        .saturating_add(u32::from(u16::from_le_bytes([byte(4), byte(5)])))
        .min(u32::from(net.broadcast()));
    let cfg = json!({"Dhcp4": {"subnet4": [{"id": 1, "subnet": net.to_string(),
        "pools": [{"pool": format!("{} - {}", Ipv4Addr::from(start), Ipv4Addr::from(last))}]}]}});
    let Ok(c) = kea::parse_config(&cfg) else { return };
    let Some(def) = c.scopes.into_iter().next() else { return };
    // Each further 6 bytes: a lease at an offset in the scope, with a state and lifetime.
    let leases: Vec<serde_json::Value> = data
        .get(6..)
        .unwrap_or(&[])
        .chunks_exact(6)
        .map(|b| {
            let off = u32::from(u16::from_le_bytes([b[0], b[1]])) % size;
            json!({"ip-address": Ipv4Addr::from(u32::from(net.network()) + off).to_string(),
                   "hw-address": "02:00:00:00:00:01", "subnet-id": 1, "state": b[2] % 5,
                   "cltt": 1_700_000_000 + i64::from(b[3]) * 100, "valid-lft": u32::from(b[4]) * 60,
                   "user-context": if b[5] % 3 == 0 { json!({"ddish": {"held": true}}) } else { json!(null) }})
        })
        .collect();
    let body = serde_json::to_vec(&json!([{"result": 0, "arguments": {"leases": leases}}])).unwrap();
    let leases = kea::parse_leases(&body).unwrap_or_default();
    let v = ScopeView::build(def, leases, 1_700_000_050);
    assert_eq!(v.len() as u64, u64::from(size));
    let c = &v.counts;
    assert_eq!(
        c.available + c.assigned + c.claimed + c.held + c.reserved + c.excluded + c.declined + c.expired,
        c.total
    );
    assert!(c.total <= v.len() as u64);
});
