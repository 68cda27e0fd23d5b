//! Probes of a single address: ICMP echo (ping).
pub mod dhcp;
mod ping;

pub use ping::{ping, PingError, PingResult, Pinger, SocketKind, NOT_PERMITTED_HINT};
