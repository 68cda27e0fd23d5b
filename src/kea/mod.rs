//! The Kea control API: a client for one server (Control Agent or a daemon's own HTTP
//! socket) and typed reading of its replies into `model` types. KEA_FACTS.md §3, §4, §11.
mod class_field;
mod class_write;
mod client;
mod config;
mod config_file;
mod config_reply;
pub mod discover;
mod drift;
mod error;
mod ha;
pub mod ha_setup;
mod lean;
mod lease_write;
mod leases;
pub mod marks;
pub mod progress;
pub mod raw;
mod reply;
mod reservation;
mod scope_read;
mod semantic;
mod stats;
mod status;
mod subnet_edit;
pub mod subnet_json;
mod subnet_write;
mod write;
mod write_checks;
mod write_error;

pub use class_field::{classes_of, has_class, remove_classes, set_class};
pub use client::{command_timeout, Capabilities, KeaClient, MAX_PAGE};
pub use config::{config_digest, inherited_options, parse_config, parse_config_body, KeaConfig};
pub use config_reply::ConfigReply;
pub use drift::drift;
pub use error::KeaError;
pub use ha::{
    ha_peers, safe_config_edit_pair, safe_config_edit_pair_allowing, safe_config_edit_pair_on,
    validate_ha, HaPeer,
};
pub use lean::{LeanConfig, Reach};
pub use lease_write::{
    has_mark, lease_add_all, lease_del_all, lease_update_all, Deleted, LeaseWriteError,
};
pub use leases::{lease_at, lease_of, parse_leases};
pub use reply::{
    parse_response, KeaResponse, RESULT_EMPTY, RESULT_ERROR, RESULT_OK, RESULT_UNSUPPORTED,
};
pub use reservation::{
    host_fingerprint, reservation_by_commands, reservation_path, reservation_write_path,
    write_paths_label, Expect, ReservationChange, ReservationSpec, WritePath,
};
pub use scope_read::{
    database_reservations, reads_by_commands, scope_of_subnet, subnet_get, subnet_hosts,
    subnet_hosts_in_memory, subnet_list, subnet_reservations, SubnetRef,
};
pub use semantic::{
    changed_parts, describe_summary, diff_summary, edit_is_live, find_subnet_mut, mask_secrets,
    normalise, same_meaning, subnet_mut, subnets_by_id,
};
pub use stats::parse_stats;
pub use status::{parse_status, HaStatus, KeaStatus};
pub use subnet_edit::subnet_edit_pair;
pub use write::{
    safe_config_edit, safe_config_edit_allowing, Base, EditRefused, WriteError, WriteOutcome,
    GUARDED_KEYS,
};
