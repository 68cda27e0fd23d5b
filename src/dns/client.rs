//! Talking to one server: UDP requests (queries, UPDATE), SOA serial, TCP zone transfer.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hickory_client::client::{Client, ClientHandle};
use hickory_client::proto::op::{Message, MessageFinalizer};
use hickory_client::proto::rr::{DNSClass, Name, RData, Record, RecordType as HType};
use hickory_client::proto::runtime::TokioRuntimeProvider;
use hickory_client::proto::tcp::TcpClientStream;
use hickory_client::proto::udp::UdpClientStream;
use hickory_client::proto::xfer::{DnsHandle, DnsResponse};

use super::error::Ctx;
use super::tsig::signer_for;
use super::DnsError;
use crate::config::ZoneConfig;

/// What [`lookup`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupType {
    A,
    Aaaa,
    Ptr,
}

impl From<super::RecordType> for LookupType {
    fn from(t: super::RecordType) -> Self {
        match t {
            super::RecordType::A => LookupType::A,
            super::RecordType::Aaaa => LookupType::Aaaa,
        }
    }
}

impl LookupType {
    fn hickory(self) -> HType {
        match self {
            LookupType::A => HType::A,
            LookupType::Aaaa => HType::AAAA,
            LookupType::Ptr => HType::PTR,
        }
    }
}

/// One record of a zone transfer. `name` is absolute without the trailing dot; `data` is
/// the RDATA in zone-file form (names in it end with a dot, as BIND prints them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneRecord {
    pub name: String,
    pub ttl: u32,
    pub rtype: String,
    pub data: String,
}

/// A DNS name from our dotless form.
pub(crate) fn dns_name(name: &str, ctx: &Ctx) -> Result<Name, DnsError> {
    Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).map_err(|e| {
        DnsError::BadInput(format!(
            "\"{name}\" is not a valid DNS name (zone {}): {e}",
            ctx.zone
        ))
    })
}

/// A UDP client for `ctx.server`, signing UPDATEs with `signer` when given.
async fn udp_client(
    ctx: &Ctx,
    signer: Option<Arc<dyn MessageFinalizer>>,
) -> Result<Client, DnsError> {
    let stream = UdpClientStream::builder(ctx.server, TokioRuntimeProvider::new())
        .with_timeout(Some(ctx.timeout))
        .with_signer(signer)
        .build();
    let (client, bg) = Client::connect(stream)
        .await
        .map_err(|e| ctx.proto_error(&e))?;
    // Ends by itself once the client is dropped.
    tokio::spawn(bg);
    Ok(client)
}

/// Sends `message` (an UPDATE) to the zone's primary, signed when the zone has a key, and
/// turns any failure or non-NOERROR answer into a [`DnsError`].
pub(crate) async fn send_update(
    zone: &ZoneConfig,
    message: Message,
    ctx: &Ctx,
) -> Result<DnsResponse, DnsError> {
    let signer = signer_for(zone)?;
    let client = udp_client(ctx, signer).await?;
    let reply = within(ctx, async {
        match client.send(message).next().await {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(ctx.proto_error(&e)),
            None => Err(ctx.timeout_error()),
        }
    })
    .await;
    let reply = explain_timeout(ctx, reply).await?;
    match ctx.rcode_error(reply.response_code(), Some(&reply)) {
        Some(e) => Err(e),
        None => Ok(reply),
    }
}

/// A UDP request to a port nobody listens on just times out (the socket is not connected,
/// so the ICMP "port unreachable" is lost). Turn such a timeout into "not listening" when
/// a quick TCP connect to the same address is refused: named listens on both.
async fn explain_timeout<T>(ctx: &Ctx, r: Result<T, DnsError>) -> Result<T, DnsError> {
    match r {
        Err(DnsError::Timeout { .. }) => {
            let probe = tokio::net::TcpStream::connect(ctx.server);
            match tokio::time::timeout(Duration::from_millis(200), probe).await {
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    Err(DnsError::Unreachable {
                        server: ctx.server,
                        detail: "nothing listens on that port (no answer over UDP, TCP \
                                 connection refused)"
                            .into(),
                    })
                }
                _ => Err(ctx.timeout_error()),
            }
        }
        other => other,
    }
}

/// Runs `f` under the request timeout, as a backstop to hickory's own.
async fn within<T>(
    ctx: &Ctx,
    f: impl std::future::Future<Output = Result<T, DnsError>>,
) -> Result<T, DnsError> {
    // A little slack so hickory's own timeout, with its clearer cause, usually fires first.
    match tokio::time::timeout(ctx.timeout + Duration::from_millis(200), f).await {
        Ok(r) => r,
        Err(_) => Err(ctx.timeout_error()),
    }
}

async fn query(
    server: SocketAddr,
    name: &str,
    rtype: HType,
    timeout: Duration,
) -> Result<(DnsResponse, Duration), DnsError> {
    let ctx = Ctx {
        zone: name.trim_end_matches('.').to_string(),
        server,
        timeout,
        name: name.to_string(),
    };
    let qname = dns_name(name, &ctx)?;
    let mut client = udp_client(&ctx, None).await?;
    let started = Instant::now();
    let reply = within(&ctx, async {
        client
            .query(qname, DNSClass::IN, rtype)
            .await
            .map_err(|e| ctx.client_error(&e))
    })
    .await;
    let rtt = started.elapsed();
    let reply = explain_timeout(&ctx, reply).await?;
    match reply.response_code() {
        // NXDOMAIN is an answer: the name is not there.
        hickory_client::proto::op::ResponseCode::NXDomain => Ok((reply, rtt)),
        code => match ctx.rcode_error(code, Some(&reply)) {
            Some(e) => Err(e),
            None => Ok((reply, rtt)),
        },
    }
}

/// Asks `server` for `name`'s records of one type (unsigned, no recursion). Addresses come
/// back as text, PTR targets as names without the trailing dot; an empty list means the
/// name or type is not there (NXDOMAIN or no data).
pub async fn lookup(
    server: SocketAddr,
    name: &str,
    rtype: LookupType,
    timeout: Duration,
) -> Result<Vec<String>, DnsError> {
    let (reply, _) = query(server, name, rtype.hickory(), timeout).await?;
    Ok(reply
        .answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::A(a) if rtype == LookupType::A => Some(a.0.to_string()),
            RData::AAAA(a) if rtype == LookupType::Aaaa => Some(a.0.to_string()),
            RData::PTR(p) if rtype == LookupType::Ptr => {
                Some(p.0.to_string().trim_end_matches('.').to_string())
            }
            _ => None,
        })
        .collect())
}

/// `zone`'s SOA serial as `server` answers it now, the round-trip time, and whether the
/// answer was authoritative (AA set: the server really holds the zone).
pub async fn query_soa_serial(
    server: SocketAddr,
    zone: &str,
    timeout: Duration,
) -> Result<(u32, Duration, bool), DnsError> {
    let (reply, rtt) = query(server, zone, HType::SOA, timeout).await?;
    let serial = reply
        .answers()
        .iter()
        .find_map(|r| r.data().as_soa().map(|s| s.serial()));
    match serial {
        Some(s) => Ok((s, rtt, reply.authoritative())),
        None => Err(DnsError::NotAuth {
            zone: zone.trim_end_matches('.').to_string(),
            server,
        }),
    }
}

/// Every record of `zone` by AXFR over TCP from its primary, TSIG-signed when the zone has
/// a key. The closing copy of the SOA is left out. `timeout` applies to connecting and to
/// each message of the transfer, so a big zone may take longer in total.
pub async fn axfr(zone: &ZoneConfig, timeout: Duration) -> Result<Vec<ZoneRecord>, DnsError> {
    let zname = zone.name.trim_end_matches('.').to_string();
    let ctx = Ctx {
        zone: zname.clone(),
        server: zone.primary,
        timeout,
        name: zname.clone(),
    };
    let origin = dns_name(&zname, &ctx)?;
    let signer = signer_for(zone)?;
    let (stream, handle) = TcpClientStream::new(
        zone.primary,
        None,
        Some(timeout),
        TokioRuntimeProvider::new(),
    );
    // The request timeout covers the whole transfer inside hickory: keep it generous and
    // bound each message with `within` instead.
    let whole = timeout.max(Duration::from_secs(600));
    let (mut client, bg) = within(&ctx, async {
        Client::with_timeout(stream, handle, whole, signer)
            .await
            .map_err(|e| ctx.proto_error(&e))
    })
    .await?;
    tokio::spawn(bg);
    let mut transfer = client.zone_transfer(origin, None);
    let mut records: Vec<ZoneRecord> = Vec::new();
    loop {
        let next = within(&ctx, async { Ok(transfer.next().await) }).await?;
        let reply = match next {
            None => break,
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(ctx.client_error(&e)),
        };
        if let Some(e) = ctx.rcode_error(reply.response_code(), Some(&reply)) {
            return Err(e);
        }
        if reply.answers().is_empty() && records.is_empty() {
            return Err(DnsError::NotAuth {
                zone: zname,
                server: zone.primary,
            });
        }
        if records.len() + reply.answers().len() > AXFR_MAX_RECORDS {
            return Err(DnsError::TooBig {
                zone: zname,
                server: zone.primary,
                limit: AXFR_MAX_RECORDS,
            });
        }
        records.extend(reply.answers().iter().map(zone_record));
    }
    if records.len() > 1 && records.last().is_some_and(|r| r.rtype == "SOA") {
        records.pop();
    }
    Ok(records)
}

/// The most records a zone transfer keeps (~200 bytes each: 200 MB at most).
pub const AXFR_MAX_RECORDS: usize = 1_000_000;

fn zone_record(r: &Record) -> ZoneRecord {
    ZoneRecord {
        name: r.name().to_string().trim_end_matches('.').to_string(),
        ttl: r.ttl(),
        rtype: r.record_type().to_string(),
        data: r.data().to_string(),
    }
}
