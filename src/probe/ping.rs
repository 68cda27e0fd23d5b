//! ICMP echo through surge-ping, with an explicit choice of socket kind.
//!
//! surge-ping falls back from DGRAM to RAW silently; ddish wants to tell the user which
//! kind it used and, when neither may be opened, how to fix it. So the socket kind is
//! decided here by opening each kind once ourselves, and the client is then built with
//! that kind; the kind reported is read back from the client's socket.
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use surge_ping::{Client, Config, PingIdentifier, PingSequence, SurgeError, ICMP};

/// The fix shown when neither socket kind may be opened. Linux's ping sockets for both
/// IPv4 and IPv6 are governed by the one `net.ipv4.ping_group_range` sysctl.
pub const NOT_PERMITTED_HINT: &str = "run `sudo setcap cap_net_raw+ep $(which ddish)` or allow \
your group: `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`";

/// Payload size of the echo request, as ping(8) sends by default.
const PAYLOAD_LEN: usize = 56;
/// Pause between echo requests, so a count above one is not a burst.
const INTERVAL: Duration = Duration::from_millis(100);

/// Which kind of ICMP socket carried the echo requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// Unprivileged "ping socket" (Linux, allowed by `net.ipv4.ping_group_range`).
    Dgram,
    /// Raw ICMP socket (root or `cap_net_raw`).
    Raw,
}

impl fmt::Display for SocketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SocketKind::Dgram => "DGRAM",
            SocketKind::Raw => "RAW",
        })
    }
}

impl SocketKind {
    fn sock_type(self) -> Type {
        match self {
            SocketKind::Dgram => Type::DGRAM,
            SocketKind::Raw => Type::RAW,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingResult {
    pub ip: IpAddr,
    /// At least one echo reply came back.
    pub reachable: bool,
    /// Mean round-trip time of the replies; `None` when none came back.
    pub rtt: Option<Duration>,
    pub socket: SocketKind,
    pub sent: u32,
    pub received: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PingError {
    /// Neither a DGRAM nor a RAW ICMP socket may be opened by this process.
    #[error("ICMP not permitted: {hint}")]
    NotPermitted { hint: String },
    /// An ICMP socket could not be opened for another reason (e.g. no IPv6 on this host).
    #[error("cannot open an ICMP socket: {0}")]
    Socket(String),
    #[error("ping failed: {0}")]
    Other(String),
}

/// Sends `count` echo requests (at least one) to `ip`, waiting up to `timeout` for each
/// reply. No reply at all is `Ok` with `reachable: false`, not an error.
pub async fn ping(ip: IpAddr, count: u32, timeout: Duration) -> Result<PingResult, PingError> {
    let icmp = match ip {
        IpAddr::V4(_) => ICMP::V4,
        IpAddr::V6(_) => ICMP::V6,
    };
    let (client, socket) = open_client(icmp)?;
    let mut pinger = client.pinger(ip, PingIdentifier(fastrand::u16(..))).await;
    pinger.timeout(timeout);
    let payload = [0u8; PAYLOAD_LEN];
    let count = count.max(1);
    let (mut received, mut total) = (0u32, Duration::ZERO);
    for seq in 0..count {
        if seq > 0 {
            tokio::time::sleep(INTERVAL).await;
        }
        // Sequence numbers are 16 bits on the wire; wrapping is harmless here.
        match pinger.ping(PingSequence(seq as u16), &payload).await {
            Ok((_, rtt)) => {
                received += 1;
                total += rtt;
            }
            Err(e) if is_no_answer(&e) => {}
            Err(e) => return Err(PingError::Other(format!("{ip}: {e}"))),
        }
    }
    Ok(PingResult {
        ip,
        reachable: received > 0,
        rtt: (received > 0).then(|| total / received),
        socket,
        sent: count,
        received,
    })
}

/// One ICMPv4 client for many echoes (a sweep): the socket kind is chosen and the socket
/// opened once; each echo has its own identifier, so answers find their request.
#[derive(Clone)]
pub struct Pinger {
    client: Client,
    pub socket: SocketKind,
}

impl Pinger {
    pub fn v4() -> Result<Pinger, PingError> {
        let (client, socket) = open_client(ICMP::V4)?;
        Ok(Pinger { client, socket })
    }

    /// One echo request; the round-trip time, or `None` without an answer in `timeout`.
    pub async fn echo(
        &self,
        ip: std::net::Ipv4Addr,
        timeout: Duration,
    ) -> Result<Option<Duration>, PingError> {
        let mut pinger = self
            .client
            .pinger(IpAddr::V4(ip), PingIdentifier(fastrand::u16(..)))
            .await;
        pinger.timeout(timeout);
        match pinger.ping(PingSequence(0), &[0u8; PAYLOAD_LEN]).await {
            Ok((_, rtt)) => Ok(Some(rtt)),
            Err(e) if is_no_answer(&e) => Ok(None),
            Err(e) => Err(PingError::Other(format!("{ip}: {e}"))),
        }
    }
}

/// A surge-ping client on the socket kind this process may open, and the kind it really
/// opened (read back, not assumed).
fn open_client(icmp: ICMP) -> Result<(Client, SocketKind), PingError> {
    let kind = choose_kind(icmp, open_probe)?;
    let config = Config::builder()
        .kind(icmp)
        .sock_type_hint(kind.sock_type())
        .build();
    let client = Client::new(&config).map_err(|e| open_error(kind, &e))?;
    let socket = if client.get_socket().get_type() == Type::DGRAM {
        SocketKind::Dgram
    } else {
        SocketKind::Raw
    };
    Ok((client, socket))
}

/// Opens (and closes) one ICMP socket of the given kind, to learn whether it is allowed.
fn open_probe(icmp: ICMP, ty: Type) -> io::Result<()> {
    let (domain, proto) = match icmp {
        ICMP::V4 => (Domain::IPV4, Protocol::ICMPV4),
        ICMP::V6 => (Domain::IPV6, Protocol::ICMPV6),
    };
    Socket::new(domain, ty, Some(proto)).map(drop)
}

/// DGRAM first (needs no privilege where the sysctl allows it), then RAW.
fn choose_kind(
    icmp: ICMP,
    open: impl Fn(ICMP, Type) -> io::Result<()>,
) -> Result<SocketKind, PingError> {
    let dgram_err = match open(icmp, Type::DGRAM) {
        Ok(()) => return Ok(SocketKind::Dgram),
        Err(e) => e,
    };
    let raw_err = match open(icmp, Type::RAW) {
        Ok(()) => return Ok(SocketKind::Raw),
        Err(e) => e,
    };
    Err(open_errors(&dgram_err, &raw_err))
}

/// Maps the failures of both socket kinds to what the user is told.
fn open_errors(dgram: &io::Error, raw: &io::Error) -> PingError {
    if is_permission(dgram) && is_permission(raw) {
        PingError::NotPermitted {
            hint: NOT_PERMITTED_HINT.to_string(),
        }
    } else {
        PingError::Socket(format!("DGRAM: {dgram}; RAW: {raw}"))
    }
}

fn open_error(kind: SocketKind, e: &io::Error) -> PingError {
    if is_permission(e) {
        PingError::NotPermitted {
            hint: NOT_PERMITTED_HINT.to_string(),
        }
    } else {
        PingError::Socket(format!("{kind}: {e}"))
    }
}

fn is_permission(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied
        || matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
}

/// Errors that mean "no reply from that host" rather than "ping is broken here".
fn is_no_answer(e: &SurgeError) -> bool {
    match e {
        SurgeError::Timeout { .. } => true,
        SurgeError::IOError(io) => matches!(
            io.kind(),
            io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errno(n: i32) -> io::Error {
        io::Error::from_raw_os_error(n)
    }

    #[test]
    fn both_kinds_denied_is_not_permitted_with_the_fix() {
        for (d, r) in [
            (libc::EACCES, libc::EPERM),
            (libc::EPERM, libc::EPERM),
            (libc::EACCES, libc::EACCES),
        ] {
            let e = choose_kind(ICMP::V4, |_, ty| {
                Err(errno(if ty == Type::DGRAM { d } else { r }))
            })
            .unwrap_err();
            assert!(matches!(e, PingError::NotPermitted { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(msg.starts_with("ICMP not permitted: "), "{msg}");
            assert!(msg.contains("setcap cap_net_raw+ep"), "{msg}");
            assert!(msg.contains("net.ipv4.ping_group_range"), "{msg}");
        }
    }

    #[test]
    fn dgram_denied_raw_allowed_uses_raw() {
        let kind = choose_kind(ICMP::V4, |_, ty| {
            if ty == Type::DGRAM {
                Err(errno(libc::EACCES))
            } else {
                Ok(())
            }
        });
        assert_eq!(kind, Ok(SocketKind::Raw));
    }

    #[test]
    fn dgram_allowed_is_preferred() {
        let kind = choose_kind(ICMP::V6, |_, ty| {
            assert_eq!(ty, Type::DGRAM, "RAW must not be tried when DGRAM works");
            Ok(())
        });
        assert_eq!(kind, Ok(SocketKind::Dgram));
    }

    #[test]
    fn other_failures_are_socket_errors_naming_both_kinds() {
        let e = choose_kind(ICMP::V6, |_, _| Err(errno(libc::EAFNOSUPPORT))).unwrap_err();
        match &e {
            PingError::Socket(m) => assert!(m.contains("DGRAM:") && m.contains("RAW:"), "{m}"),
            other => panic!("expected Socket, got {other:?}"),
        }
        assert!(e.to_string().starts_with("cannot open an ICMP socket"));
        // One denied, the other unsupported: not a privilege problem the hint would fix.
        let e = open_errors(&errno(libc::EACCES), &errno(libc::EPROTONOSUPPORT));
        assert!(matches!(e, PingError::Socket(_)), "{e:?}");
    }

    #[test]
    fn timeouts_and_unreachable_routes_are_no_answer() {
        assert!(is_no_answer(&SurgeError::Timeout {
            seq: PingSequence(1)
        }));
        assert!(is_no_answer(&SurgeError::IOError(errno(libc::ENETUNREACH))));
        assert!(is_no_answer(&SurgeError::IOError(errno(
            libc::EHOSTUNREACH
        ))));
        assert!(!is_no_answer(&SurgeError::ClientDestroyed));
    }

    #[test]
    fn socket_kind_display() {
        assert_eq!(SocketKind::Dgram.to_string(), "DGRAM");
        assert_eq!(SocketKind::Raw.to_string(), "RAW");
    }
}
