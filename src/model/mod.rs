//! Pure IPAM domain: no I/O. Address ranges, IP states, scopes, networks, the per-server
//! tree, utilization. Everything above (kea, ops, tui, cli) speaks these types.
pub mod alloc;
pub mod failover;
pub mod lease;
pub mod lease_watch;
pub mod option_defs;
pub mod options;
pub mod range;
pub mod review;
pub mod scope;
pub mod search;
pub mod server_params;
pub mod state;
pub mod sweep;
pub mod tree;
pub mod util;

pub use lease::{HwAddr, Lease, LeaseMark, LeaseState};
pub use range::{Range, RangeSet};
pub use scope::{
    NetworkClaim, NetworkDef, NetworkKind, OptionData, Reservation, ScopeCounts, ScopeDef,
    ScopeStats, ScopeStatus, ScopeView,
};
pub use state::IpState;
pub use tree::{Node, NodeKind, ServerTree};
pub use util::{Thresholds, UtilBand, Utilization};
