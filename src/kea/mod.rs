//! The Kea control API: a client for one server (Control Agent or a daemon's own HTTP
//! socket) and typed reading of its replies into `model` types. KEA_FACTS.md §3, §4, §11.
mod client;
mod config;
mod error;
mod leases;
mod reply;
mod stats;
mod status;

pub use client::{command_timeout, Capabilities, KeaClient, MAX_PAGE};
pub use config::{parse_config, parse_config_body, KeaConfig};
pub use error::KeaError;
pub use leases::parse_leases;
pub use reply::{
    parse_response, KeaResponse, RESULT_EMPTY, RESULT_ERROR, RESULT_OK, RESULT_UNSUPPORTED,
};
pub use stats::parse_stats;
pub use status::{parse_status, HaStatus, KeaStatus};
