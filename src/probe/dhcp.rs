//! A relayed DHCPv4 DISCOVER over loopback (KEA_FACTS.md §8): answers "does this scope hand
//! out an address?" without root, raw sockets or port 67. The probe acts as a relay agent:
//! it binds `giaddr:0`, sets giaddr and hops, and adds option 82 with the RFC 8357
//! relay-port sub-option so Kea replies to `giaddr:<our port>` instead of `giaddr:67`.
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use dhcproto::v4::{
    relay::{RelayAgentInformation, RelayCode, RelayInfo, UnknownInfo},
    DhcpOption, Message, MessageType, Opcode, OptionCode,
};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use tokio::net::UdpSocket;

/// What a server offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub yiaddr: Ipv4Addr,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 1.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3.
    pub routers: Vec<Ipv4Addr>,
    /// Option 6.
    pub dns_servers: Vec<Ipv4Addr>,
    /// Option 15.
    pub domain_name: Option<String>,
    /// Option 51, seconds.
    pub lease_time: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Traffic may only go to loopback (the project's network rule).
    #[error("{0} is not a loopback address: the DHCP probe only talks to 127.0.0.0/8")]
    NotLoopback(Ipv4Addr),
    #[error("DHCP probe: cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddrV4,
        source: std::io::Error,
    },
    #[error("DHCP probe: {0}")]
    Io(#[from] std::io::Error),
    #[error("DHCP probe: cannot build the DISCOVER: {0}")]
    Encode(String),
}

fn loopback_only(ip: Ipv4Addr) -> Result<(), ProbeError> {
    if ip.is_loopback() {
        Ok(())
    } else {
        Err(ProbeError::NotLoopback(ip))
    }
}

/// The relayed DISCOVER: hops 1, giaddr, options 53/61/55 and 82 (circuit-id + relay-port).
pub fn build_discover(xid: u32, giaddr: Ipv4Addr, mac: [u8; 6]) -> Result<Vec<u8>, ProbeError> {
    let z = Ipv4Addr::UNSPECIFIED;
    let mut m = Message::new_with_id(xid, z, z, z, giaddr, &mac);
    m.set_opcode(Opcode::BootRequest).set_hops(1);
    let opts = m.opts_mut();
    opts.insert(DhcpOption::MessageType(MessageType::Discover));
    let mut cid = vec![1u8];
    cid.extend_from_slice(&mac);
    opts.insert(DhcpOption::ClientIdentifier(cid));
    opts.insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::Router,
        OptionCode::DomainNameServer,
        OptionCode::DomainName,
        OptionCode::AddressLeaseTime,
    ]));
    let mut rai = RelayAgentInformation::default();
    rai.insert(RelayInfo::AgentCircuitId(b"ddish-probe".to_vec()));
    // RFC 8357 relay-port: "reply to my source port". Two bytes (a downstream port of 0):
    // Kea 2.6/3.0 drop the whole packet when it is empty ("OptionInt 19 truncated"), 2.2
    // takes both (verified on 2.2.0, 2.6.3, 3.0.4).
    rai.insert(RelayInfo::Unknown(UnknownInfo::new(
        RelayCode::Unknown(19),
        vec![0, 0],
    )));
    opts.insert(DhcpOption::RelayAgentInformation(rai));
    let mut buf = Vec::new();
    m.encode(&mut Encoder::new(&mut buf))
        .map_err(|e| ProbeError::Encode(e.to_string()))?;
    Ok(buf)
}

/// Reads an OFFER for `xid`; anything else (another xid, a NAK, garbage) is `None`.
pub fn parse_offer(data: &[u8], xid: u32) -> Option<Offer> {
    let m = Message::decode(&mut Decoder::new(data)).ok()?;
    if m.xid() != xid || m.opcode() != Opcode::BootReply {
        return None;
    }
    let o = m.opts();
    if !matches!(
        o.get(OptionCode::MessageType),
        Some(DhcpOption::MessageType(MessageType::Offer))
    ) {
        return None;
    }
    let mut offer = Offer {
        yiaddr: m.yiaddr(),
        server_id: None,
        subnet_mask: None,
        routers: Vec::new(),
        dns_servers: Vec::new(),
        domain_name: None,
        lease_time: None,
    };
    for (_, opt) in o.iter() {
        match opt {
            DhcpOption::ServerIdentifier(ip) => offer.server_id = Some(*ip),
            DhcpOption::SubnetMask(ip) => offer.subnet_mask = Some(*ip),
            DhcpOption::Router(v) => offer.routers = v.clone(),
            DhcpOption::DomainNameServer(v) => offer.dns_servers = v.clone(),
            DhcpOption::DomainName(s) => offer.domain_name = Some(s.clone()),
            DhcpOption::AddressLeaseTime(t) => offer.lease_time = Some(*t),
            _ => {}
        }
    }
    Some(offer)
}

/// Sends one relayed DISCOVER for `mac` to `server` (a kea-dhcp4 started with `-p`), as a
/// relay at `giaddr`, and waits up to `timeout` for the OFFER. `Ok(None)`: no offer (no
/// subnet for that relay, an inactive scope, an empty pool, or an HA peer that leaves this
/// client to its partner). Both addresses must be in 127.0.0.0/8.
pub async fn discover(
    server: SocketAddr,
    giaddr: Ipv4Addr,
    mac: [u8; 6],
    timeout: Duration,
) -> Result<Option<Offer>, ProbeError> {
    let server_ip = match server {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(a) => {
            return Err(ProbeError::Io(std::io::Error::other(format!(
                "{a} is IPv6: Kea's DHCPv4 server listens on IPv4"
            ))))
        }
    };
    loopback_only(server_ip)?;
    loopback_only(giaddr)?;
    let local = SocketAddrV4::new(giaddr, 0);
    let sock = UdpSocket::bind(local)
        .await
        .map_err(|source| ProbeError::Bind {
            addr: local,
            source,
        })?;
    let xid = fastrand::u32(..);
    sock.send_to(&build_discover(xid, giaddr, mac)?, server)
        .await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; 1500];
    loop {
        let got = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await;
        match got {
            Err(_) => return Ok(None),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok((n, _))) => {
                if let Some(o) = parse_offer(&buf[..n], xid) {
                    return Ok(Some(o));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discover_carries_relay_fields() {
        let mac = [0xaa, 0xbb, 0xcc, 0, 0, 1];
        let giaddr: Ipv4Addr = "127.0.0.9".parse().unwrap();
        let pkt = build_discover(7, giaddr, mac).unwrap();
        assert_eq!(pkt[3], 1, "hops");
        assert_eq!(&pkt[24..28], &giaddr.octets(), "giaddr");
        assert_eq!(&pkt[28..34], &mac, "chaddr");
        // option 82 holds sub-option 19 with two bytes
        let m = Message::decode(&mut Decoder::new(&pkt)).unwrap();
        let Some(DhcpOption::RelayAgentInformation(r)) =
            m.opts().get(OptionCode::RelayAgentInformation)
        else {
            panic!("no option 82")
        };
        assert!(r.get(RelayCode::Unknown(19)).is_some());
        assert!(
            pkt.windows(4).any(|w| w == [19, 2, 0, 0]),
            "relay-port holds two bytes"
        );
        assert!(r.get(RelayCode::AgentCircuitId).is_some());
        // a DISCOVER is not an offer
        assert_eq!(parse_offer(&pkt, 7), None);
    }

    #[tokio::test]
    async fn refuses_anything_but_loopback() {
        let e = discover(
            "192.0.2.1:67".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            [2, 0, 0, 0, 0, 1],
            Duration::from_millis(10),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ProbeError::NotLoopback(_)));
        let e = discover(
            "127.0.0.1:10067".parse().unwrap(),
            "10.0.0.1".parse().unwrap(),
            [2, 0, 0, 0, 0, 1],
            Duration::from_millis(10),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("127.0.0.0/8"));
    }
}
