//! DNS for ddish: RFC 2136 UPDATEs signed with TSIG (add/delete an address record and its
//! PTR), queries to confirm them, SOA serials per server and zone listings by AXFR.
//! Talks to BIND (or any RFC 2136 server) through hickory-client; see docs/RUST_STACK.md.
//!
//! Names are handled without the trailing dot and in lower case; zones come from
//! `[[dns.zones]]` in the config (`ZoneConfig`: primary, key_name, algorithm, secret_file).
//! The TSIG secret is read from its file for each request and never logged or shown.
mod client;
mod error;
mod names;
mod tsig;
mod update;

pub use client::{axfr, lookup, query_soa_serial, LookupType, ZoneRecord};
pub use error::DnsError;
pub use names::{ptr_name, reverse_zone_for, validate_hostname};
pub use update::{
    add_record, delete_records, RecordOutcome, RecordRequest, RecordType, StepResult, DEFAULT_TTL,
};
