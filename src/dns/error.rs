//! What can go wrong talking to a DNS server, in words a user can act on.
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_client::proto::dnssec::rdata::{DNSSECRData, TSIG};
use hickory_client::proto::op::{Message, ResponseCode};
use hickory_client::proto::rr::RData;
use hickory_client::proto::serialize::binary::{BinEncodable, BinEncoder};
use hickory_client::proto::{ProtoError, ProtoErrorKind};
use hickory_client::{ClientError, ClientErrorKind};

/// Marks a reply whose TSIG signature did not verify (see `tsig.rs`).
pub(crate) const UNVERIFIED: &str = "ddish: reply signature did not verify";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DnsError {
    #[error(
        "{server} REFUSED the request for zone {zone}: ddish's TSIG key (or its address, if no \
         key is configured) is not allowed; check allow-update/allow-transfer for the zone in \
         named.conf and key_name/secret_file for zone {zone} in ddish's config"
    )]
    Refused { zone: String, server: SocketAddr },
    #[error(
        "TSIG key rejected by {server} for zone {zone} (NOTAUTH: BADSIG/BADKEY): the key name, \
         algorithm or secret in ddish's config does not match the server's key; check \
         key_name, algorithm and secret_file for zone {zone}"
    )]
    TsigRejected { zone: String, server: SocketAddr },
    #[error(
        "TSIG time check failed at {server} for zone {zone} (BADTIME): this machine's clock and \
         the server's differ by more than 5 minutes; synchronise the clocks (NTP)"
    )]
    TsigClock { zone: String, server: SocketAddr },
    #[error(
        "record already exists: {name} already has a record of this type (or a CNAME); nothing \
         was changed. Delete it first or choose another name"
    )]
    RecordExists { name: String },
    #[error(
        "{server} is not authoritative for zone {zone} (NOTAUTH): check that zone {zone}'s \
         primary in ddish's config is the server that holds the zone"
    )]
    NotAuth { zone: String, server: SocketAddr },
    #[error(
        "no answer from {server} within {secs} s: is named running and reachable there? \
         (a hung or firewalled server looks like this)"
    )]
    Timeout { server: SocketAddr, secs: f64 },
    #[error(
        "cannot reach {server}: {detail}; is named running and listening on that address and port?"
    )]
    Unreachable { server: SocketAddr, detail: String },
    #[error(
        "{server} failed to process the request for zone {zone} (SERVFAIL): see named's log; \
         the zone may not be loaded"
    )]
    ServerFail { zone: String, server: SocketAddr },
    #[error("{server} answered {rcode} for zone {zone}")]
    Rcode {
        zone: String,
        server: SocketAddr,
        rcode: String,
    },
    #[error(
        "zone {zone} has only one of key_name and secret_file in ddish's config: set both to \
         sign with TSIG, or neither to send unsigned requests"
    )]
    NoKey { zone: String },
    #[error("{0}")]
    Secret(String),
    #[error("zone {zone} is not in ddish's config (configured zones: {}): add it under [[dns.zones]] or pick one of those", list(known))]
    UnknownZone { zone: String, known: Vec<String> },
    #[error(
        "no reverse zone for {ip} in ddish's config, so its PTR cannot be written: add the \
         in-addr.arpa/ip6.arpa zone under [[dns.zones]] or leave PTR off"
    )]
    NoReverseZone { ip: IpAddr },
    #[error("{0}")]
    BadInput(String),
    #[error(
        "zone {zone} from {server} has more than {limit} records: ddish stopped the transfer \
         (a zone that big is not browsed record by record; look it up by name instead)"
    )]
    TooBig {
        zone: String,
        server: SocketAddr,
        limit: usize,
    },
    #[error("not attempted: {0}")]
    Skipped(String),
    #[error("{0}")]
    Other(String),
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl DnsError {
    /// A short stable tag for journals, CSV and tests.
    pub fn kind_label(&self) -> &'static str {
        match self {
            DnsError::Refused { .. } => "refused",
            DnsError::TsigRejected { .. } => "tsig-rejected",
            DnsError::TsigClock { .. } => "tsig-badtime",
            DnsError::RecordExists { .. } => "record-exists",
            DnsError::NotAuth { .. } => "not-auth",
            DnsError::Timeout { .. } => "timeout",
            DnsError::Unreachable { .. } => "unreachable",
            DnsError::ServerFail { .. } => "servfail",
            DnsError::Rcode { .. } => "rcode",
            DnsError::NoKey { .. } => "no-key",
            DnsError::Secret(_) => "secret",
            DnsError::UnknownZone { .. } => "unknown-zone",
            DnsError::NoReverseZone { .. } => "no-reverse-zone",
            DnsError::BadInput(_) => "bad-input",
            DnsError::TooBig { .. } => "too-big",
            DnsError::Skipped(_) => "skipped",
            DnsError::Other(_) => "other",
        }
    }
}

/// Where a request went, to put into errors.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub zone: String,
    pub server: SocketAddr,
    pub timeout: Duration,
    /// The name being changed (for RecordExists).
    pub name: String,
}

impl Ctx {
    pub fn timeout_error(&self) -> DnsError {
        DnsError::Timeout {
            server: self.server,
            secs: (self.timeout.as_secs_f64() * 10.0).round() / 10.0,
        }
    }

    /// A transport or library error.
    pub fn client_error(&self, e: &ClientError) -> DnsError {
        match e.kind() {
            ClientErrorKind::Proto(p) => self.proto_error(p),
            ClientErrorKind::Timeout => self.timeout_error(),
            ClientErrorKind::Io(io) => self.io_error(io.kind(), &io.to_string()),
            _ => DnsError::Other(format!("{} (zone {}): {e}", self.server, self.zone)),
        }
    }

    pub fn proto_error(&self, e: &ProtoError) -> DnsError {
        match e.kind() {
            ProtoErrorKind::Timeout => self.timeout_error(),
            ProtoErrorKind::Io(io) => self.io_error(io.kind(), &io.to_string()),
            ProtoErrorKind::NoRecordsFound { response_code, .. } => self
                .rcode_error(*response_code, None)
                .unwrap_or_else(|| DnsError::Other(format!("{}: {e}", self.server))),
            ProtoErrorKind::Msg(m) if m.contains("outdated response") => DnsError::TsigClock {
                zone: self.zone.clone(),
                server: self.server,
            },
            // hickory's "truncated HMACs" means the server sent back an empty MAC: it
            // did not accept our key.
            ProtoErrorKind::Msg(m) if m.contains(UNVERIFIED) || m.contains("truncated HMAC") => {
                DnsError::TsigRejected {
                    zone: self.zone.clone(),
                    server: self.server,
                }
            }
            ProtoErrorKind::Msg(m) if m.contains("stream closed") => DnsError::Unreachable {
                server: self.server,
                detail: "the server closed the connection".into(),
            },
            _ => DnsError::Other(format!("{} (zone {}): {e}", self.server, self.zone)),
        }
    }

    fn io_error(&self, kind: ErrorKind, text: &str) -> DnsError {
        let detail = match kind {
            ErrorKind::ConnectionRefused => "connection refused (nothing listens on that port)",
            ErrorKind::TimedOut => return self.timeout_error(),
            ErrorKind::ConnectionReset => "the server reset the connection",
            ErrorKind::AddrNotAvailable => "address not available",
            _ => text,
        };
        DnsError::Unreachable {
            server: self.server,
            detail: detail.to_string(),
        }
    }

    /// The error an answer's RCODE stands for; None for NOERROR. `reply` lets NOTAUTH tell
    /// a rejected key (TSIG error set) from a server that does not hold the zone.
    pub fn rcode_error(&self, code: ResponseCode, reply: Option<&Message>) -> Option<DnsError> {
        let (zone, server) = (self.zone.clone(), self.server);
        Some(match code {
            ResponseCode::NoError => return None,
            ResponseCode::Refused => DnsError::Refused { zone, server },
            ResponseCode::NotAuth => match reply.and_then(tsig_error) {
                Some(18) => DnsError::TsigClock { zone, server },
                Some(0) | None => DnsError::NotAuth { zone, server },
                Some(_) => DnsError::TsigRejected { zone, server },
            },
            ResponseCode::BADSIG | ResponseCode::BADKEY => DnsError::TsigRejected { zone, server },
            ResponseCode::BADTIME => DnsError::TsigClock { zone, server },
            ResponseCode::YXRRSet => DnsError::RecordExists {
                name: self.name.clone(),
            },
            ResponseCode::ServFail => DnsError::ServerFail { zone, server },
            other => DnsError::Rcode {
                zone,
                server,
                rcode: format!("{other:?}").to_ascii_uppercase(),
            },
        })
    }
}

/// The Error field of a reply's TSIG record (16 BADSIG, 17 BADKEY, 18 BADTIME), if it has one.
/// hickory has no getter for it: re-encode the RDATA and read it after the MAC.
fn tsig_error(reply: &Message) -> Option<u16> {
    let tsig: &TSIG = reply.signature().iter().find_map(|r| match r.data() {
        RData::DNSSEC(DNSSECRData::TSIG(t)) => Some(t),
        _ => None,
    })?;
    let mut rdata = Vec::new();
    tsig.emit(&mut BinEncoder::new(&mut rdata)).ok()?;
    let mut alg = Vec::new();
    tsig.algorithm().emit(&mut BinEncoder::new(&mut alg)).ok()?;
    // algorithm name, time (6), fudge (2), MAC size (2), MAC, original id (2), error (2)
    let at = alg.len() + 10 + tsig.mac().len() + 2;
    Some(u16::from_be_bytes([*rdata.get(at)?, *rdata.get(at + 1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_place_and_fix() {
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let e = DnsError::TsigRejected {
            zone: "example.test".into(),
            server,
        };
        let s = e.to_string();
        assert!(s.starts_with("TSIG key rejected by 127.0.0.1:53"), "{s}");
        assert!(s.contains("secret_file"), "{s}");
        assert_eq!(e.kind_label(), "tsig-rejected");
        let e = DnsError::UnknownZone {
            zone: "x.test".into(),
            known: vec!["a.test".into(), "b.test".into()],
        };
        assert!(e.to_string().contains("a.test, b.test"), "{e}");
        let ctx = Ctx {
            zone: "z".into(),
            server,
            timeout: Duration::from_millis(1500),
            name: "n.z".into(),
        };
        assert!(ctx.timeout_error().to_string().contains("within 1.5 s"));
        assert_eq!(
            ctx.rcode_error(ResponseCode::YXRRSet, None),
            Some(DnsError::RecordExists { name: "n.z".into() })
        );
        assert_eq!(
            ctx.rcode_error(ResponseCode::NXRRSet, None)
                .unwrap()
                .to_string(),
            "127.0.0.1:53 answered NXRRSET for zone z"
        );
    }
}
