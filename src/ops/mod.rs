//! Every user action, once: the console and the CLI both call these.
//! Reading (this issue): load a server's tree, load one scope's addresses, check servers.
mod actions;
mod add_server;
mod baseline;
pub mod bulk;
mod command;
mod error;
pub mod events;
pub mod failover;
pub mod fleet;
pub mod history;
pub mod layout;
mod lease_looks;
mod load;
mod peers;
mod raw_config;
mod reserve;
mod review;
pub use add_server::AddServer;
pub use review::{review_file, FileReview, ServerReview};
pub mod search;
mod server_props;
pub use server_props::ParamValue;
mod session;
pub mod sweep;
pub use raw_config::{ChangeLine, EditBase};
mod write;
mod write_lock;
pub use write_lock::{describe_unfinished, dismiss_unfinished, unfinished_writes, SinceIntent};
pub mod zones;

pub use crate::config::Role;
pub use actions::{
    validate_client_id, validate_hostname, validate_mac, ActionOutcome, ClaimRequest, Ident,
    ReservationRequest, ReservationType,
};
pub use baseline::{acting_on, Baseline};
pub use command::{Command, Outcome, ScopesOp};
// Data the front doors show, from the I/O layers below ops: they import them from here.
pub use crate::audit::Entry as JournalEntry;
pub use crate::kea::progress;
pub use crate::probe::{PingResult, SocketKind};
pub use error::{Invalid, OpError};
pub use load::{ha_summary, MAX_COUNTED};
pub use peers::PeerDrift;
pub use session::Session;

use crate::model::{ServerTree, Utilization};

/// What the console and CLI know of one server after a load.
#[derive(Clone, Debug)]
pub struct ServerData {
    pub name: String,
    pub version: String,
    /// `list-commands`: which hooks (lease_cmds, host_cmds, ...) the server has.
    pub commands: Vec<String>,
    pub tree: ServerTree,
    pub networks: Vec<crate::model::NetworkDef>,
    /// HA state line, e.g. "load-balancing (partner: load-balancing)", when the HA hook runs.
    pub ha_state: Option<String>,
    /// Epoch seconds of this load.
    pub loaded_at: i64,
    /// The configuration this was built from: what a change made from this view is made
    /// against (None in tests that build one by hand).
    pub baseline: Option<Baseline>,
    /// Configuration entries ddish could not read and does not show, each with why.
    pub skipped: Vec<String>,
    /// The server's own option definitions: forms accept their names as options.
    pub option_defs: Vec<crate::model::option_defs::CustomOptionDef>,
}

impl ServerData {
    pub fn has_command(&self, c: &str) -> bool {
        self.commands.iter().any(|x| x == c)
    }

    /// The same server with these lease counts (a tree loaded by `load_server_tree` gets
    /// its utilization).
    pub fn with_stats(
        &self,
        stats: &std::collections::HashMap<u32, crate::model::ScopeStats>,
    ) -> ServerData {
        let scopes = self
            .tree
            .scopes
            .iter()
            .filter(|s| s.def.status != crate::model::ScopeStatus::Missing)
            .map(|s| crate::model::tree::ScopeSummary {
                def: s.def.clone(),
                stats: stats.get(&s.def.id).copied(),
            })
            .collect();
        ServerData {
            name: self.name.clone(),
            version: self.version.clone(),
            commands: self.commands.clone(),
            tree: ServerTree::build(&self.networks, scopes),
            networks: self.networks.clone(),
            ha_state: self.ha_state.clone(),
            loaded_at: self.loaded_at,
            baseline: self.baseline.clone(),
            skipped: self.skipped.clone(),
            option_defs: self.option_defs.clone(),
        }
    }

    /// What `ddish check` and the console say when entries were skipped.
    pub fn skipped_note(&self) -> Option<String> {
        let first = self.skipped.first()?;
        let n = self.skipped.len();
        Some(format!(
            "server {}: {n} configuration entr{} ddish cannot read and does not show (first: {first}); \
             see the log for all, fix them on the server",
            self.name,
            if n == 1 { "y" } else { "ies" }
        ))
    }
}

/// One line of the Servers tab and of `ddish check`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerHealth {
    pub name: String,
    pub url: String,
    pub reachable: bool,
    pub version: Option<String>,
    pub scopes: Option<usize>,
    pub utilization: Option<Utilization>,
    pub ha_state: Option<String>,
    /// How ddish writes to it, from its commands (`kea::write_paths_label`).
    pub writes: Option<String>,
    /// Short kind of failure for tables ("auth failed", "timeout", ...).
    pub error_kind: Option<String>,
    /// The full user-facing message.
    pub error: Option<String>,
}

/// Seconds since the epoch, for lease expiry.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
