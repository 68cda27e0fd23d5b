//! RFC 2136 UPDATEs: add an A/AAAA (+ PTR) for an IP, delete them again, and confirm each
//! change by querying the primary.
use std::net::IpAddr;
use std::time::Duration;

use hickory_client::proto::op::update_message::UpdateMessage;
use hickory_client::proto::op::{Message, MessageType, OpCode, Query};
use hickory_client::proto::rr::rdata::{A, AAAA, PTR};
use hickory_client::proto::rr::{DNSClass, Name, RData, Record, RecordType as HType};

use super::client::{dns_name, lookup, send_update, LookupType};
use super::error::Ctx;
use super::names::{find_zone, fqdn_in_zone, is_reverse_zone, norm, ptr_name};
use super::tsig::signer_for;
use super::{reverse_zone_for, DnsError};
use crate::config::{DnsConfig, ZoneConfig};

/// TTL ddish suggests for new records.
pub const DEFAULT_TTL: u32 = 3600;

/// The address record type, by the IP's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordType {
    A,
    Aaaa,
}

impl RecordType {
    pub fn for_ip(ip: IpAddr) -> RecordType {
        match ip {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::Aaaa,
        }
    }

    fn hickory(self) -> HType {
        match self {
            RecordType::A => HType::A,
            RecordType::Aaaa => HType::AAAA,
        }
    }
}

/// A new forward record, and optionally its PTR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRequest {
    /// A forward zone from the config.
    pub zone: String,
    /// Relative label(s), `@`, or an absolute name inside the zone.
    pub hostname: String,
    pub ip: IpAddr,
    pub ttl: u32,
    /// Also write the PTR in the longest-matching configured reverse zone.
    pub ptr: bool,
    /// Not written to DNS (an A record has no room for it); returned for the journal.
    pub comment: Option<String>,
}

/// What happened to each of the (separate) updates.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordOutcome {
    /// Absolute name, no trailing dot.
    pub fqdn: String,
    pub ip: IpAddr,
    pub forward: StepResult,
    /// None when no PTR was asked for.
    pub ptr: Option<StepResult>,
    pub ptr_zone: Option<String>,
    pub ptr_name: Option<String>,
    pub comment: Option<String>,
}

impl RecordOutcome {
    /// Every requested step was done (verified or not).
    pub fn all_done(&self) -> bool {
        self.forward.is_done() && self.ptr.as_ref().is_none_or(StepResult::is_done)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepResult {
    /// The server accepted the update; `verified` says a query afterwards showed the change.
    Done {
        verified: bool,
    },
    Failed(DnsError),
}

impl StepResult {
    pub fn is_done(&self) -> bool {
        matches!(self, StepResult::Done { .. })
    }
}

/// Everything checked before a packet is sent.
struct Plan<'a> {
    zone: &'a ZoneConfig,
    fqdn: String,
    rtype: RecordType,
    reverse: Option<&'a ZoneConfig>,
}

fn plan<'a>(
    cfg: &'a DnsConfig,
    zone: &str,
    hostname: &str,
    ip: IpAddr,
    ptr: bool,
) -> Result<Plan<'a>, DnsError> {
    let z = find_zone(cfg, zone)?;
    if is_reverse_zone(&z.name) {
        return Err(DnsError::BadInput(format!(
            "zone {} is a reverse zone: pick a forward zone for the A/AAAA record (the PTR goes \
             to the reverse zone by itself)",
            z.name
        )));
    }
    let fqdn = fqdn_in_zone(hostname, &z.name)?;
    // The key must be usable before anything is sent, so that nothing half-happens.
    signer_for(z)?;
    let reverse = if ptr {
        let rz = reverse_zone_for(cfg, ip).ok_or(DnsError::NoReverseZone { ip })?;
        signer_for(rz)?;
        Some(rz)
    } else {
        None
    };
    Ok(Plan {
        zone: z,
        fqdn,
        rtype: RecordType::for_ip(ip),
        reverse,
    })
}

fn ctx(zone: &ZoneConfig, name: &str, timeout: Duration) -> Ctx {
    Ctx {
        zone: norm(&zone.name),
        server: zone.primary,
        timeout,
        name: name.to_string(),
    }
}

/// An UPDATE message for `zone` with no prerequisites or updates yet.
fn update_for(zone: Name) -> Message {
    let mut q = Query::new();
    q.set_name(zone)
        .set_query_class(DNSClass::IN)
        .set_query_type(HType::SOA);
    let mut m = Message::new();
    m.set_id(fastrand::u16(..))
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Update)
        .set_recursion_desired(false);
    m.add_zone(q);
    m
}

/// Prerequisite "no RRset of this type at name" (RFC 2136 2.4.3): fails with YXRRSET.
fn absent(name: &Name, rtype: HType) -> Record {
    let mut r = Record::update0(name.clone(), 0, rtype);
    r.set_dns_class(DNSClass::NONE);
    r
}

/// Update "delete this RR" (RFC 2136 2.5.4): class NONE, TTL 0.
fn delete_rr(name: &Name, rdata: RData) -> Record {
    let mut r = Record::from_rdata(name.clone(), 0, rdata);
    r.set_dns_class(DNSClass::NONE);
    r
}

fn address_rdata(ip: IpAddr) -> RData {
    match ip {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    }
}

/// Adds `req.hostname` -> `req.ip` (A or AAAA) to the zone's primary with TSIG, refusing if
/// the name already has a record of that type (or a CNAME), then the PTR as a second update
/// when asked. Each step is confirmed by a query to the primary. Returns Err only for input
/// or config problems found before anything is sent.
pub async fn add_record(
    cfg: &DnsConfig,
    req: &RecordRequest,
    timeout: Duration,
) -> Result<RecordOutcome, DnsError> {
    if req.ttl > i32::MAX as u32 {
        return Err(DnsError::BadInput(format!(
            "TTL {} is too large; DNS allows at most {}",
            req.ttl,
            i32::MAX
        )));
    }
    let p = plan(cfg, &req.zone, &req.hostname, req.ip, req.ptr)?;
    let fctx = ctx(p.zone, &p.fqdn, timeout);
    let name = dns_name(&p.fqdn, &fctx)?;
    let mut msg = update_for(dns_name(&p.zone.name, &fctx)?);
    msg.add_pre_requisite(absent(&name, p.rtype.hickory()));
    // Adding an address where a CNAME is would be silently ignored by the server.
    msg.add_pre_requisite(absent(&name, HType::CNAME));
    msg.add_update(Record::from_rdata(
        name.clone(),
        req.ttl,
        address_rdata(req.ip),
    ));
    let forward = match send_update(p.zone, msg, &fctx).await {
        Ok(_) => StepResult::Done {
            verified: resolves(&fctx, &p.fqdn, p.rtype.into(), &req.ip.to_string()).await,
        },
        Err(e) => StepResult::Failed(e),
    };

    let mut out = RecordOutcome {
        fqdn: p.fqdn.clone(),
        ip: req.ip,
        forward,
        ptr: None,
        ptr_zone: p.reverse.map(|z| z.name.clone()),
        ptr_name: p.reverse.map(|_| ptr_name(req.ip)),
        comment: req.comment.clone(),
    };
    if let Some(rz) = p.reverse {
        out.ptr = Some(if out.forward.is_done() {
            add_ptr(rz, req, &name, &p.fqdn, timeout).await
        } else {
            StepResult::Failed(DnsError::Skipped(
                "the PTR was not written because the forward record failed".into(),
            ))
        });
    }
    Ok(out)
}

async fn add_ptr(
    rz: &ZoneConfig,
    req: &RecordRequest,
    target: &Name,
    fqdn: &str,
    timeout: Duration,
) -> StepResult {
    let pname = ptr_name(req.ip);
    let rctx = ctx(rz, &pname, timeout);
    let step = async {
        let owner = dns_name(&pname, &rctx)?;
        let mut msg = update_for(dns_name(&rz.name, &rctx)?);
        msg.add_pre_requisite(absent(&owner, HType::PTR));
        msg.add_pre_requisite(absent(&owner, HType::CNAME));
        msg.add_update(Record::from_rdata(
            owner,
            req.ttl,
            RData::PTR(PTR(target.clone())),
        ));
        send_update(rz, msg, &rctx).await
    };
    match step.await {
        Ok(_) => StepResult::Done {
            verified: resolves(&rctx, &pname, LookupType::Ptr, fqdn).await,
        },
        Err(e) => StepResult::Failed(e),
    }
}

/// Deletes exactly the A/AAAA `hostname` -> `ip` (other addresses at the name stay), then,
/// when asked, the PTR for `ip` pointing at that name in the longest-matching reverse zone.
/// Deleting what is not there succeeds (RFC 2136 ignores it); `verified` then says the
/// record is absent. The PTR is left alone if the forward delete failed.
pub async fn delete_records(
    cfg: &DnsConfig,
    zone: &str,
    hostname: &str,
    ip: IpAddr,
    ptr: bool,
    timeout: Duration,
) -> Result<RecordOutcome, DnsError> {
    let p = plan(cfg, zone, hostname, ip, ptr)?;
    let fctx = ctx(p.zone, &p.fqdn, timeout);
    let name = dns_name(&p.fqdn, &fctx)?;
    let mut msg = update_for(dns_name(&p.zone.name, &fctx)?);
    msg.add_update(delete_rr(&name, address_rdata(ip)));
    let forward = match send_update(p.zone, msg, &fctx).await {
        Ok(_) => StepResult::Done {
            verified: gone(&fctx, &p.fqdn, p.rtype.into(), &ip.to_string()).await,
        },
        Err(e) => StepResult::Failed(e),
    };
    let mut out = RecordOutcome {
        fqdn: p.fqdn.clone(),
        ip,
        forward,
        ptr: None,
        ptr_zone: p.reverse.map(|z| z.name.clone()),
        ptr_name: p.reverse.map(|_| ptr_name(ip)),
        comment: None,
    };
    if let Some(rz) = p.reverse {
        out.ptr = Some(if out.forward.is_done() {
            let pname = ptr_name(ip);
            let rctx = ctx(rz, &pname, timeout);
            let step = async {
                let owner = dns_name(&pname, &rctx)?;
                let mut msg = update_for(dns_name(&rz.name, &rctx)?);
                msg.add_update(delete_rr(&owner, RData::PTR(PTR(name.clone()))));
                send_update(rz, msg, &rctx).await
            };
            match step.await {
                Ok(_) => StepResult::Done {
                    verified: gone(&rctx, &pname, LookupType::Ptr, &p.fqdn).await,
                },
                Err(e) => StepResult::Failed(e),
            }
        } else {
            StepResult::Failed(DnsError::Skipped(
                "the PTR was left alone because deleting the forward record failed".into(),
            ))
        });
    }
    Ok(out)
}

/// The primary now answers `value` for `name` (names compared without case or final dot).
async fn resolves(ctx: &Ctx, name: &str, t: LookupType, value: &str) -> bool {
    match lookup(ctx.server, name, t, ctx.timeout).await {
        Ok(values) => values.iter().any(|v| same(v, value)),
        Err(_) => false,
    }
}

/// The primary answered, and `value` is no longer among the answers.
async fn gone(ctx: &Ctx, name: &str, t: LookupType, value: &str) -> bool {
    match lookup(ctx.server, name, t, ctx.timeout).await {
        Ok(values) => !values.iter().any(|v| same(v, value)),
        Err(_) => false,
    }
}

fn same(a: &str, b: &str) -> bool {
    norm(a) == norm(b)
}
