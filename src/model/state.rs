//! The state of one address in a scope, as shown in the grid, the list and CSV.
use std::fmt;

/// One byte per address so a /16's grid is 64 KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum IpState {
    /// In a pool, nothing on it: DHCP may hand it out.
    Available = 0,
    /// An ordinary DHCP lease.
    Assigned = 1,
    /// A long-lived lease ddish added for a client (user-context `ddish.claimed`).
    Claimed = 2,
    /// A short lease ddish added to set the address aside (user-context `ddish.held`).
    Held = 3,
    /// A host reservation in the subnet, with no lease of another client on it.
    Reserved = 4,
    /// In the scope range but in no pool: DHCP never hands it out.
    Excluded = 5,
    /// A lease the client declined (address conflict detected by the client).
    Declined = 6,
    /// A lease past its lifetime or reclaimed: the address is free again for DHCP.
    Expired = 7,
    /// In the subnet but outside the scope range (network, broadcast, or beyond start/end).
    Outside = 8,
}

impl IpState {
    pub const ALL: [IpState; 9] = [
        IpState::Available,
        IpState::Assigned,
        IpState::Claimed,
        IpState::Held,
        IpState::Reserved,
        IpState::Excluded,
        IpState::Declined,
        IpState::Expired,
        IpState::Outside,
    ];

    pub fn label(self) -> &'static str {
        match self {
            IpState::Available => "Available",
            IpState::Assigned => "Assigned",
            IpState::Claimed => "Claimed",
            IpState::Held => "Held",
            IpState::Reserved => "Reserved",
            IpState::Excluded => "Excluded",
            IpState::Declined => "Declined",
            IpState::Expired => "Expired",
            IpState::Outside => "Outside range",
        }
    }

    pub fn from_u8(v: u8) -> IpState {
        IpState::ALL
            .get(v as usize)
            .copied()
            .unwrap_or(IpState::Outside)
    }

    /// Whether DHCP (or ddish's next-free) may give this address to a new client.
    pub fn is_free(self) -> bool {
        matches!(self, IpState::Available | IpState::Expired)
    }

    /// Whether it counts as used in utilization.
    pub fn is_used(self) -> bool {
        matches!(
            self,
            IpState::Assigned
                | IpState::Claimed
                | IpState::Held
                | IpState::Reserved
                | IpState::Declined
        )
    }
}

impl fmt::Display for IpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
