//! DHCP failover (Kea HA) relationships: list with live state, create (the Add Failover
//! wizard), edit, delete back to standalone, add a scope, maintenance. Every change runs
//! the safe write protocol on both servers, set back to back (KEA_FACTS.md §12), and is
//! journaled.
use std::fmt;
use std::time::Duration;

use ipnet::Ipv4Net;

pub use crate::model::failover::{
    validate_field, FailoverSpec, Field, HaMode, PartnerRef, PeerRole, WINDOWS_TERMS,
};

use super::session::Session;

mod change;
mod create;
mod list;
mod maintenance;
mod request;
mod side;
/// Also how an action finds a configured server behind an HA peer URL (ops::peers).
pub(super) use side::norm_url;
mod steps;

pub use change::{add_scope, delete, edit, edit_spec};
pub use create::{create, plan};
pub use list::list;
pub use maintenance::{maintenance_cancel, maintenance_start};
pub use request::{apply, FailoverChange};

/// How long create/edit/add-scope wait for both servers to reach load-balancing or
/// hot-standby before returning (the outcome then says where they are).
pub const HA_WAIT: Duration = Duration::from_secs(25);

/// One failover relationship as seen from one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverInfo {
    /// ddish's name for it (kept in the servers' config); `<primary>-<secondary>` when the
    /// HA set-up was made without ddish.
    pub name: String,
    /// `None` for a mode ddish does not manage (passive-backup); see `mode_text`.
    pub mode: Option<HaMode>,
    pub mode_text: String,
    /// The ddish server this was read from.
    pub this_server: String,
    /// Kea's peer name for it (`this-server-name`).
    pub this_peer: String,
    pub this_url: String,
    /// `primary`, `secondary`, `standby`, `backup`.
    pub this_role: String,
    /// The partner as a server of ddish's config, when one has its URL.
    pub partner_server: Option<String>,
    pub partner_peer: String,
    pub partner_url: String,
    pub partner_role: String,
    /// Scopes on both servers (same subnet id and CIDR): the relationship's scopes. When the
    /// partner cannot be read: this server's scopes.
    pub scopes: Vec<Ipv4Net>,
    /// Scopes only this server has (served only when the HA hashing sends a client here).
    pub only_here: Vec<Ipv4Net>,
    /// Scopes only the partner has.
    pub only_partner: Vec<Ipv4Net>,
    /// What else differs between the two configurations in the shared scopes (pools,
    /// options, reservations; `kea::drift`): HA needs them the same.
    pub drift: Vec<String>,
    /// This server's HA state (`load-balancing`, `partner-down`, `waiting`, `syncing`,
    /// `in-maintenance`, ...); `None` when status-get did not say.
    pub local_state: Option<String>,
    /// The partner's state: its own answer when reachable, else what this server last saw
    /// (`unavailable` when it is gone).
    pub partner_state: Option<String>,
    pub communication_interrupted: Option<bool>,
    pub unacked_clients: Option<u64>,
    /// How long `local_state` has lasted, in seconds, as this ddish process observed it
    /// (Kea 2.2 does not report it): a lower bound, `None` on the first look.
    pub state_for_secs: Option<u64>,
    pub heartbeat_delay_ms: u32,
    pub max_response_delay_ms: u32,
    pub max_ack_delay_ms: u32,
    pub max_unacked_clients: u32,
    pub auto_failover: bool,
    pub peer_user: Option<String>,
    /// A peer password is configured (its value is never read out).
    pub has_peer_password: bool,
    /// Why the partner's own view could not be read (it is down, auth, ...).
    pub partner_error: Option<String>,
}

impl FailoverInfo {
    /// One line: "load-balancing (partner load-balancing)", with communication interrupted
    /// and unacked clients when they matter.
    pub fn state_line(&self) -> String {
        let mut s = format!(
            "{} (partner {})",
            self.local_state.as_deref().unwrap_or("unknown"),
            self.partner_state.as_deref().unwrap_or("unknown")
        );
        if self.communication_interrupted == Some(true) {
            s.push_str(", communication interrupted");
        }
        if let Some(n) = self.unacked_clients.filter(|n| *n > 0) {
            s.push_str(&format!(", {n} unacked clients"));
        }
        s
    }

    /// Both servers in the mode's normal state.
    pub fn healthy(&self) -> bool {
        let want = self.mode.map(HaMode::normal_state);
        want.is_some()
            && self.local_state.as_deref() == want
            && self.partner_state.as_deref() == want
    }
}

/// What to change in an existing relationship; `None` keeps a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FailoverEdit {
    pub name: Option<String>,
    pub mode: Option<HaMode>,
    pub primary_is_this: Option<bool>,
    /// A new partner: the old one goes back to standalone WITHOUT the relationship's
    /// scopes (they stay on this server and are copied to the new partner).
    pub partner: Option<PartnerRef>,
    pub heartbeat_delay_ms: Option<u32>,
    pub max_response_delay_ms: Option<u32>,
    pub max_ack_delay_ms: Option<u32>,
    pub max_unacked_clients: Option<u32>,
    pub auto_failover: Option<bool>,
    /// `Some(None)` removes the peer credentials; `Some(Some(..))` sets them. [`edit_spec`]
    /// returns `peer_password: None` when the edit keeps the current one.
    pub peer_user: Option<Option<String>>,
    pub peer_password: Option<Option<String>>,
}

impl fmt::Debug for FailoverEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverEdit")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("primary_is_this", &self.primary_is_this)
            .field("partner", &self.partner)
            .field("heartbeat_delay_ms", &self.heartbeat_delay_ms)
            .field("max_response_delay_ms", &self.max_response_delay_ms)
            .field("max_ack_delay_ms", &self.max_ack_delay_ms)
            .field("max_unacked_clients", &self.max_unacked_clients)
            .field("auto_failover", &self.auto_failover)
            .field("peer_user", &self.peer_user)
            .field(
                "peer_password",
                &self
                    .peer_password
                    .as_ref()
                    .map(|p| p.as_ref().map(|_| "***")),
            )
            .finish()
    }
}

impl FailoverEdit {
    pub fn is_empty(&self) -> bool {
        *self == FailoverEdit::default()
    }
}

/// Which scopes each server keeps when a relationship is deleted. A scope kept on both
/// gets its pools split (this server its own half, the partner the other) so the two
/// standalone servers never hand out the same address; a scope kept on one gets all its
/// pools there and is removed from the other. Every relationship scope must be kept
/// somewhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    pub on_this: Vec<Ipv4Net>,
    pub on_partner: Vec<Ipv4Net>,
}

/// What create would do, worked out without writing anything (the wizard's last page and
/// `ddish failover create --dry-run`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverPlan {
    pub this_server: String,
    /// The partner's ddish server name, or its URL's host:port.
    pub partner_server: String,
    pub partner_url: String,
    /// Scopes copied to the partner with the same subnet id.
    pub copy_to_partner: Vec<Ipv4Net>,
    /// Scopes the partner already has with the same id and CIDR: replaced by this server's.
    pub replace_on_partner: Vec<Ipv4Net>,
    /// Hook libraries loaded per server (file names), e.g. ("kea-2", ["libdhcp_ha.so"]).
    pub hooks_added: Vec<(String, Vec<String>)>,
    /// Things the admin should know (scopes left out of the failover, ...).
    pub warnings: Vec<String>,
}

/// The result of a change to a relationship.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverOutcome {
    pub name: String,
    /// One line for the status bar.
    pub summary: String,
    /// The servers written, in write order.
    pub servers: Vec<String>,
    /// Each server's HA state at the end (`standalone` after a delete).
    pub states: Vec<(String, String)>,
    /// Both reached the mode's normal state (always true for delete and maintenance).
    pub converged: bool,
    /// What was done, in order, for the result popup and the CLI.
    pub steps: Vec<String>,
    pub warnings: Vec<String>,
}

/// The configured servers that can be picked as partner of `server` (all others).
pub fn partner_choices(session: &Session, server: &str) -> Vec<String> {
    session
        .config()
        .servers
        .iter()
        .filter(|s| s.name != server)
        .map(|s| s.name.clone())
        .collect()
}
