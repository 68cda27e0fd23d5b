//! The relayed DHCP probe against a real standalone kea-dhcp4 on loopback (free
//! ports): an OFFER from the pool of the subnet whose relay is the probe's giaddr, none for a
//! giaddr no subnet serves, and nothing sent outside 127.0.0.0/8.
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use ddish::lab::{minimal_dhcp4, KeaInstance};
use ddish::probe::dhcp::{discover, ProbeError};
use serde_json::json;

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn relayed_discover_gets_an_offer_from_the_relays_subnet() {
    let dir = tempfile::Builder::new()
        .prefix("ddish-probe-")
        .tempdir_in("/tmp")
        .unwrap();
    let cfg = minimal_dhcp4(json!([
        {"id": 1, "subnet": "10.31.0.0/24", "relay": {"ip-addresses": ["127.0.0.31"]},
         "pools": [{"pool": "10.31.0.100 - 10.31.0.110"}],
         "option-data": [{"name": "routers", "data": "10.31.0.1"},
                         {"name": "domain-name-servers", "data": "10.31.0.53"}],
         "valid-lifetime": 900},
        {"id": 2, "subnet": "10.32.0.0/24", "relay": {"ip-addresses": ["127.0.0.32"]},
         "client-class": "never",
         "pools": [{"pool": "10.32.0.100 - 10.32.0.110"}]}
    ]));
    let kea = tokio::task::spawn_blocking({
        let d = dir.path().join("kea");
        let p = common::ports(2);
        move || KeaInstance::start(&d, "probe", p, p + 1, cfg, None, None)
    })
    .await
    .unwrap()
    .expect("kea starts");
    let server: SocketAddr = format!("127.0.0.1:{}", kea.dhcp_port).parse().unwrap();
    let t = Duration::from_secs(3);
    let mac = [0x02, 0xdd, 0x15, 0, 0, 1];

    let o = discover(server, "127.0.0.31".parse().unwrap(), mac, t)
        .await
        .unwrap()
        .expect("an offer for the relay of subnet 1");
    let yi = u32::from(o.yiaddr);
    assert!(
        (u32::from(Ipv4Addr::new(10, 31, 0, 100))..=u32::from(Ipv4Addr::new(10, 31, 0, 110)))
            .contains(&yi),
        "{o:?}"
    );
    assert_eq!(o.routers, vec![Ipv4Addr::new(10, 31, 0, 1)]);
    assert_eq!(o.dns_servers, vec![Ipv4Addr::new(10, 31, 0, 53)]);
    assert_eq!(o.lease_time, Some(900));
    assert_eq!(o.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert!(o.server_id.is_some());

    // The inactive subnet (client-class never) and a relay nobody serves: no offer.
    let none = discover(
        server,
        "127.0.0.32".parse().unwrap(),
        mac,
        Duration::from_secs(1),
    )
    .await
    .unwrap();
    assert_eq!(none, None);
    let none = discover(
        server,
        "127.0.0.99".parse().unwrap(),
        mac,
        Duration::from_secs(1),
    )
    .await
    .unwrap();
    assert_eq!(none, None);

    // Never off loopback.
    let e = discover(server, "192.0.2.1".parse().unwrap(), mac, t)
        .await
        .unwrap_err();
    assert!(matches!(e, ProbeError::NotLoopback(_)), "{e}");
    drop(kea);
}
