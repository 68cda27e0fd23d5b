//! DHCP clients behind a relay on loopback (KEA_FACTS.md §8): DISCOVER, REQUEST and RELEASE
//! sent from `giaddr:<ephemeral>` with option 82 sub-option 19 (relay-port), so Kea answers
//! to this socket. Sent to every server of an HA pair, as a relay configured with both;
//! the peer that serves the client answers. Loopback only.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use dhcproto::v4::{
    relay::{RelayAgentInformation, RelayCode, RelayInfo, UnknownInfo},
    DhcpOption, Message, MessageType, Opcode, OptionCode,
};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};

pub struct Relay {
    sock: UdpSocket,
    giaddr: Ipv4Addr,
    servers: Vec<SocketAddr>,
}

/// What a DORA ended in.
#[derive(Debug, PartialEq)]
pub enum Bound {
    /// ACK for this address, from this server id.
    Ack(Ipv4Addr, Ipv4Addr),
    /// NAK, or no OFFER / ACK within the timeout.
    Nothing(&'static str),
}

impl Relay {
    pub fn new(giaddr: Ipv4Addr, servers: Vec<SocketAddr>) -> Relay {
        assert!(giaddr.is_loopback());
        assert!(servers.iter().all(|s| s.ip().is_loopback()));
        let sock = UdpSocket::bind((giaddr, 0)).expect("bind the relay socket");
        Relay {
            sock,
            giaddr,
            servers,
        }
    }

    fn message(&self, xid: u32, mac: [u8; 6], kind: MessageType, ciaddr: Ipv4Addr) -> Message {
        let z = Ipv4Addr::UNSPECIFIED;
        let mut m = Message::new_with_id(xid, ciaddr, z, z, self.giaddr, &mac);
        m.set_opcode(Opcode::BootRequest).set_hops(1);
        let opts = m.opts_mut();
        opts.insert(DhcpOption::MessageType(kind));
        let mut cid = vec![1u8];
        cid.extend_from_slice(&mac);
        opts.insert(DhcpOption::ClientIdentifier(cid));
        let mut rai = RelayAgentInformation::default();
        rai.insert(RelayInfo::AgentCircuitId(b"ddish-f4".to_vec()));
        rai.insert(RelayInfo::Unknown(UnknownInfo::new(
            RelayCode::Unknown(19),
            vec![0, 0],
        )));
        opts.insert(DhcpOption::RelayAgentInformation(rai));
        m
    }

    fn send(&self, m: &Message) {
        let mut buf = Vec::new();
        m.encode(&mut Encoder::new(&mut buf)).unwrap();
        for s in &self.servers {
            self.sock.send_to(&buf, s).expect("send");
        }
    }

    /// The next reply for `xid` of one of `kinds`, within `timeout`.
    fn reply(&self, xid: u32, kinds: &[MessageType], timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                return None;
            };
            let Ok(m) = Message::decode(&mut Decoder::new(&buf[..n])) else {
                continue;
            };
            if m.xid() != xid {
                continue;
            }
            if let Some(DhcpOption::MessageType(t)) = m.opts().get(OptionCode::MessageType) {
                if kinds.contains(t) {
                    return Some(m);
                }
            }
        }
    }

    /// DISCOVER, OFFER, REQUEST, ACK for `mac`.
    pub fn dora(&self, mac: [u8; 6], timeout: Duration) -> Bound {
        let xid = fastrand::u32(..);
        self.send(&self.message(xid, mac, MessageType::Discover, Ipv4Addr::UNSPECIFIED));
        let Some(offer) = self.reply(xid, &[MessageType::Offer], timeout) else {
            return Bound::Nothing("no offer");
        };
        let ip = offer.yiaddr();
        let Some(DhcpOption::ServerIdentifier(sid)) =
            offer.opts().get(OptionCode::ServerIdentifier).cloned()
        else {
            return Bound::Nothing("offer without server id");
        };
        let mut req = self.message(xid, mac, MessageType::Request, Ipv4Addr::UNSPECIFIED);
        req.opts_mut().insert(DhcpOption::RequestedIpAddress(ip));
        req.opts_mut().insert(DhcpOption::ServerIdentifier(sid));
        self.send(&req);
        match self.reply(xid, &[MessageType::Ack, MessageType::Nak], timeout) {
            Some(m)
                if m.opts().get(OptionCode::MessageType)
                    == Some(&DhcpOption::MessageType(MessageType::Ack)) =>
            {
                Bound::Ack(m.yiaddr(), sid)
            }
            Some(_) => Bound::Nothing("nak"),
            None => Bound::Nothing("no ack"),
        }
    }

    /// RELEASE of `ip` by `mac` (no answer is expected).
    pub fn release(&self, mac: [u8; 6], ip: Ipv4Addr, server_id: Ipv4Addr) {
        let mut m = self.message(fastrand::u32(..), mac, MessageType::Release, ip);
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server_id));
        self.send(&m);
    }
}
