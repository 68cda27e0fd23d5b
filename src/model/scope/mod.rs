//! DHCP scopes (Kea subnets seen through ddish's marks), networks and containers, and the
//! per-address view of one scope.
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::lease::{HwAddr, Lease, LeaseMark, LeaseState};
use super::range::{Range, RangeSet};
use super::state::IpState;
use super::util::Utilization;

/// One `option-data` entry as Kea reports it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OptionData {
    pub name: Option<String>,
    pub code: Option<u16>,
    pub data: String,
    pub always_send: bool,
}

/// A host reservation inside a subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub ip: Ipv4Addr,
    pub hw: Option<String>,
    pub client_id: Option<String>,
    pub hostname: Option<String>,
    /// `user-context.ddish.description`, else `user-context.comment`.
    pub description: Option<String>,
    /// Client classes on the reservation (`BOOTP` marks a BOOTP reservation).
    pub client_classes: Vec<String>,
    /// One of Kea's global reservations (`Dhcp4.reservations`), shown in the scope whose
    /// subnet holds its address: Kea hands it out there when the subnet allows global ones,
    /// and either way no one else may get it.
    pub global: bool,
}

impl Default for Reservation {
    fn default() -> Self {
        Reservation {
            ip: std::net::Ipv4Addr::UNSPECIFIED,
            hw: None,
            client_id: None,
            hostname: None,
            description: None,
            client_classes: Vec::new(),
            global: false,
        }
    }
}

/// Puts each global reservation into the most specific scope holding its address, unless
/// that scope has its own reservation there (the subnet's wins in Kea too). Addresses in no
/// scope are left out: IPAM has no place for them.
pub fn attach_global_reservations(scopes: &mut [ScopeDef], globals: Vec<Reservation>) {
    for mut r in globals {
        let best = scopes
            .iter_mut()
            .filter(|s| s.cidr.contains(&r.ip))
            .max_by_key(|s| s.cidr.prefix_len());
        if let Some(s) = best {
            if s.reservation_at(r.ip).is_none() {
                r.global = true;
                s.reservations.push(r);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeStatus {
    Active,
    /// `client-class: never` or `user-context.ddish.inactive` on the server.
    Inactive,
    /// Listed by a ddish network but no longer a subnet on the server.
    Missing,
}

impl ScopeStatus {
    pub fn label(self) -> &'static str {
        match self {
            ScopeStatus::Active => "Active",
            ScopeStatus::Inactive => "Inactive",
            ScopeStatus::Missing => "Inactive (not on server)",
        }
    }

    pub fn is_active(self) -> bool {
        self == ScopeStatus::Active
    }
}

/// A DHCP scope: one Kea `subnet4`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeDef {
    /// Kea subnet id; 0 for a scope that is missing from the server.
    pub id: u32,
    pub cidr: Ipv4Net,
    /// Start-end of the scope: `user-context.ddish.range`, else the hull of pools and
    /// reservations, else the subnet's host addresses.
    pub range: Range,
    /// Whether `range` came from ddish's own mark (true) or was derived (false).
    pub range_marked: bool,
    /// Pools clipped to nothing: exactly what Kea has, merged.
    pub pools: RangeSet,
    pub reservations: Vec<Reservation>,
    pub options: Vec<OptionData>,
    pub valid_lifetime: Option<u32>,
    pub shared_network: Option<String>,
    pub status: ScopeStatus,
    pub title: Option<String>,
    pub description: Option<String>,
    /// First `routers` option address.
    pub gateway: Option<Ipv4Addr>,
    pub client_class: Option<String>,
    /// Pools limited to a client class, with the class: in HA load-balancing Kea's own
    /// recipe splits each pool between `HA_<server>` classes, which says which peer hands
    /// an address out.
    pub pool_classes: Vec<(Range, String)>,
}

impl ScopeDef {
    /// An active scope of `cidr` with these pools and nothing else (its range derived as
    /// Kea's would be): the start of tests that set what they need.
    pub fn bare(id: u32, cidr: Ipv4Net, pools: RangeSet) -> ScopeDef {
        ScopeDef {
            id,
            range: ScopeDef::derive_range(&cidr, &pools, &[]),
            range_marked: false,
            cidr,
            pools,
            reservations: vec![],
            options: vec![],
            valid_lifetime: None,
            shared_network: None,
            status: ScopeStatus::Active,
            title: None,
            description: None,
            gateway: None,
            client_class: None,
            pool_classes: Vec::new(),
        }
    }

    /// The HA peer that hands `ip` out when its pool is limited to one `HA_<name>` class
    /// (load-balancing): `<name>`.
    pub fn serving_peer(&self, ip: Ipv4Addr) -> Option<&str> {
        let mut names = self
            .pool_classes
            .iter()
            .filter(|(r, _)| r.contains(u32::from(ip)))
            .filter_map(|(_, c)| c.strip_prefix("HA_"));
        let first = names.next()?;
        // A pool open to both peers' classes has no single server.
        names.all(|n| n == first).then_some(first)
    }

    /// Range minus pools: the addresses DHCP never hands out.
    pub fn exclusions(&self) -> RangeSet {
        RangeSet::from_ranges([self.range]).subtract(&self.pools)
    }

    /// Derives the scope range when ddish has not marked one.
    pub fn derive_range(cidr: &Ipv4Net, pools: &RangeSet, reservations: &[Reservation]) -> Range {
        let mut all = pools.clone();
        for r in reservations {
            all.insert(Range::single(r.ip));
        }
        let hosts = Range::hosts_of_net(cidr);
        all.hull()
            .and_then(|h| h.intersect(&hosts))
            .unwrap_or(hosts)
    }

    pub fn reservation_at(&self, ip: Ipv4Addr) -> Option<&Reservation> {
        self.reservations.iter().find(|r| r.ip == ip)
    }

    pub fn label(&self) -> String {
        match &self.title {
            Some(t) if !t.is_empty() => format!("{} ({})", self.cidr, t),
            _ => self.cidr.to_string(),
        }
    }
}

/// Whether a ddish network node holds scopes or other networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    Network,
    Container,
}

/// A network or container from `Dhcp4.user-context.ddish.networks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkDef {
    pub cidr: Ipv4Net,
    pub kind: NetworkKind,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Scopes (by CIDR) the network lists; one with no subnet behind it is Missing.
    pub scopes: Vec<Ipv4Net>,
    /// Addresses claimed at network level, outside every scope (no lease can exist there).
    pub claims: Vec<NetworkClaim>,
}

/// An address of a network, outside its scopes, claimed for a client: kept in the
/// network's own entry (`user-context.ddish.networks[].claims`), since Kea holds no lease
/// outside a subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkClaim {
    pub ip: Ipv4Addr,
    pub mac: String,
    pub hostname: Option<String>,
    pub comment: Option<String>,
}

/// Per-subnet counters from `stat-lease4-get` (cheap even for 10,000 subnets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ScopeStats {
    /// Sum of pool sizes.
    pub total: u64,
    /// Leases in the subnet, declined not included (holds and claims are leases too).
    pub assigned: u64,
    pub declined: u64,
}

impl ScopeStats {
    pub fn utilization(&self) -> Utilization {
        Utilization::new(self.assigned + self.declined, self.total)
    }
}

/// How many addresses of a scope's range are in each state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ScopeCounts {
    /// Addresses in the scope range.
    pub total: u64,
    pub available: u64,
    pub assigned: u64,
    pub claimed: u64,
    pub held: u64,
    pub reserved: u64,
    pub excluded: u64,
    pub declined: u64,
    pub expired: u64,
    /// Told from Kea's statistics and the configuration, not from the leases (too many
    /// scopes to read): holds and claims are counted in `assigned`.
    pub from_stats: bool,
}

impl ScopeCounts {
    pub fn add(&mut self, s: IpState) {
        match s {
            IpState::Available => self.available += 1,
            IpState::Assigned => self.assigned += 1,
            IpState::Claimed => self.claimed += 1,
            IpState::Held => self.held += 1,
            IpState::Reserved => self.reserved += 1,
            IpState::Excluded => self.excluded += 1,
            IpState::Declined => self.declined += 1,
            IpState::Expired => self.expired += 1,
            IpState::Outside => return,
        }
        self.total += 1;
    }

    /// Adds another scope's counts (a network's or a server's summary).
    pub fn merge(&mut self, o: &ScopeCounts) {
        self.total += o.total;
        self.available += o.available;
        self.assigned += o.assigned;
        self.claimed += o.claimed;
        self.held += o.held;
        self.reserved += o.reserved;
        self.excluded += o.excluded;
        self.declined += o.declined;
        self.expired += o.expired;
        self.from_stats |= o.from_stats;
    }

    /// Used over allocatable: excluded addresses are neither.
    pub fn utilization(&self) -> Utilization {
        let used = self.assigned + self.claimed + self.held + self.reserved + self.declined;
        Utilization::new(used, self.total - self.excluded)
    }
}

/// One scope with every address's state: what the grid, list and IP popup draw.
#[derive(Clone, Debug)]
pub struct ScopeView {
    pub def: ScopeDef,
    /// Leases in the subnet sorted by address (all of them, also outside the range).
    pub leases: Vec<Lease>,
    /// One `IpState` byte per address of the subnet CIDR, network address first.
    states: Vec<u8>,
    pub counts: ScopeCounts,
}

impl ScopeView {
    /// Builds the per-address states. `now` (epoch seconds) decides which leases expired.
    pub fn build(def: ScopeDef, mut leases: Vec<Lease>, now: i64) -> ScopeView {
        leases.sort_unstable_by_key(|l| u32::from(l.ip));
        let net = Range::of_net(&def.cidr);
        let n = net.len() as usize;
        let mut states = vec![IpState::Outside as u8; n];
        let range = def.range.intersect(&net);
        if let Some(range) = range {
            // Range first: excluded everywhere, then pools made available.
            for ip in range.start..=range.end {
                states[(ip - net.start) as usize] = IpState::Excluded as u8;
            }
            for p in def.pools.iter() {
                if let Some(p) = p.intersect(&range) {
                    for ip in p.start..=p.end {
                        states[(ip - net.start) as usize] = IpState::Available as u8;
                    }
                }
            }
        }
        for r in &def.reservations {
            let ip = u32::from(r.ip);
            if net.contains(ip) {
                states[(ip - net.start) as usize] = IpState::Reserved as u8;
            }
        }
        for l in &leases {
            let ip = u32::from(l.ip);
            if !net.contains(ip) {
                continue;
            }
            let slot = &mut states[(ip - net.start) as usize];
            let reserved = *slot == IpState::Reserved as u8;
            let st = lease_state(l, now);
            *slot = match st {
                // An expired lease leaves a reservation or exclusion as it was.
                IpState::Expired if reserved || *slot == IpState::Excluded as u8 => *slot,
                // A reserved address leased to its own client stays Reserved; the popup
                // shows the lease (Kea accepts reservations on leased IPs, KEA_FACTS.md §5).
                IpState::Assigned if reserved => *slot,
                s => s as u8,
            };
        }
        let mut counts = ScopeCounts::default();
        if let Some(range) = range {
            for ip in range.start..=range.end {
                counts.add(IpState::from_u8(states[(ip - net.start) as usize]));
            }
        }
        ScopeView {
            def,
            leases,
            states,
            counts,
        }
    }

    /// Number of addresses in the subnet (grid cells).
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// State of the `i`-th address of the subnet.
    pub fn state_at(&self, i: usize) -> IpState {
        IpState::from_u8(
            self.states
                .get(i)
                .copied()
                .unwrap_or(IpState::Outside as u8),
        )
    }

    pub fn ip_at(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.def.cidr.network()).wrapping_add(i as u32))
    }

    /// Index of an address in the subnet, if it belongs there.
    pub fn index_of(&self, ip: Ipv4Addr) -> Option<usize> {
        let net = Range::of_net(&self.def.cidr);
        let v = u32::from(ip);
        net.contains(v).then(|| (v - net.start) as usize)
    }

    pub fn state_of(&self, ip: Ipv4Addr) -> IpState {
        self.index_of(ip)
            .map(|i| self.state_at(i))
            .unwrap_or(IpState::Outside)
    }

    pub fn lease_of(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.leases
            .binary_search_by_key(&u32::from(ip), |l| u32::from(l.ip))
            .ok()
            .map(|i| &self.leases[i])
    }

    /// The same scope after the lease of `ip` became `lease` (`None`: deleted): what a
    /// lease change shows without reading every lease again.
    pub fn with_lease_at(&self, ip: Ipv4Addr, lease: Option<Lease>, now: i64) -> ScopeView {
        let mut leases: Vec<Lease> = self.leases.iter().filter(|l| l.ip != ip).cloned().collect();
        leases.extend(lease);
        ScopeView::build(self.def.clone(), leases, now)
    }

    /// Everything known of one address, for the popup, the list and CSV.
    pub fn detail(&self, ip: Ipv4Addr) -> IpDetail<'_> {
        let lease = self.lease_of(ip);
        let reservation = self.def.reservation_at(ip);
        IpDetail {
            ip,
            state: self.state_of(ip),
            lease,
            reservation,
            in_pool: self.def.pools.contains(u32::from(ip)),
            in_range: self.def.range.contains(u32::from(ip)),
            is_gateway: self.def.gateway == Some(ip),
            is_network: ip == self.def.cidr.network() && self.def.cidr.prefix_len() < 31,
            is_broadcast: ip == self.def.cidr.broadcast() && self.def.cidr.prefix_len() < 31,
        }
    }
}

/// What is known of one address.
#[derive(Clone, Debug)]
pub struct IpDetail<'a> {
    pub ip: Ipv4Addr,
    pub state: IpState,
    pub lease: Option<&'a Lease>,
    pub reservation: Option<&'a Reservation>,
    pub in_pool: bool,
    pub in_range: bool,
    pub is_gateway: bool,
    pub is_network: bool,
    pub is_broadcast: bool,
}

impl IpDetail<'_> {
    /// The MAC to show: the lease's, else the reservation's.
    pub fn mac(&self) -> Option<String> {
        match self.lease {
            Some(l) if !l.hw.is_none() && !l.hw.is_zero() => Some(l.hw.to_string()),
            _ => self
                .reservation
                .and_then(|r| r.hw.as_deref())
                .and_then(HwAddr::parse)
                .map(|h| h.to_string()),
        }
    }

    pub fn hostname(&self) -> Option<&str> {
        self.lease
            .and_then(|l| l.hostname.as_deref())
            .filter(|h| !h.is_empty())
            .or_else(|| self.reservation.and_then(|r| r.hostname.as_deref()))
    }

    pub fn expires(&self) -> Option<i64> {
        self.lease.and_then(|l| l.expires())
    }
}

/// The state a lease gives its address.
pub fn lease_state(l: &Lease, now: i64) -> IpState {
    if l.is_expired(now) {
        return IpState::Expired;
    }
    match (l.state, l.mark) {
        (LeaseState::Declined, _) => IpState::Declined,
        (_, LeaseMark::Held) => IpState::Held,
        (_, LeaseMark::Claimed) => IpState::Claimed,
        _ => IpState::Assigned,
    }
}

#[cfg(test)]
mod tests;
