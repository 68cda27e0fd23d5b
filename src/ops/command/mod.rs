//! Every action and query the front doors send, as data: a [`Command`] in, an [`Outcome`]
//! or a typed [`OpError`](super::OpError) out ([`Session::run`](super::Session::run)). The
//! console's worker and the CLI only build commands and show outcomes.
use crate::ops::Invalid;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::scope::IpDetail;
use crate::model::{IpState, Range, ScopeDef};
use crate::probe::PingResult;

use crate::config::{Config, ZoneConfig};

use super::bulk::{BulkChange, ClassInfo, ServerOutcome, ServerPreview};
use super::events::{Event, EventsError, Observed};
use super::failover::{FailoverChange, FailoverInfo, FailoverOutcome, FailoverPlan, FailoverSpec};
use super::fleet::{DnsStatus, ServiceStatus};
use super::layout::{ScopeEdit, ScopeProps};
use super::search::{LeaseWalk, SearchResult, Term};
use super::zones::{ZoneHealth, ZoneRecord};
use super::{ActionOutcome, ClaimRequest, Ident, ReservationRequest, ReservationType};

mod run;
mod screens;

/// One change or query on the server it is run on (`Session::run(server, command)`).
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    // ----- one address -----
    /// Hold the next (or a random) free address of the scope.
    HoldFree {
        scope: Box<ScopeDef>,
        random: bool,
    },
    Hold {
        ip: Ipv4Addr,
    },
    Release {
        ip: Ipv4Addr,
    },
    Claim {
        ip: Ipv4Addr,
        claim: ClaimRequest,
    },
    Unclaim {
        ip: Ipv4Addr,
    },
    /// Without `confirmed`, replacing another client's reservation or lease is a question.
    Reserve {
        ip: Ipv4Addr,
        reservation: ReservationRequest,
        confirmed: bool,
    },
    Unreserve {
        ip: Ipv4Addr,
    },
    DnsAdd {
        ip: Ipv4Addr,
        zone: String,
        hostname: String,
        ttl: u32,
        ptr: bool,
        comment: Option<String>,
    },
    DnsDelete {
        ip: Ipv4Addr,
        zone: String,
        hostname: String,
        ptr: bool,
    },
    /// Add an exclusion, or change one: `replaces` is the exclusion it takes the place of
    /// (the parts of it outside the new range go back into the pools).
    Exclude {
        scope: Box<ScopeDef>,
        range: Range,
        replaces: Option<Range>,
        confirmed: bool,
    },
    Unexclude {
        scope: Box<ScopeDef>,
        range: Range,
    },
    Ping {
        ip: Ipv4Addr,
    },
    History {
        ip: Ipv4Addr,
    },
    // ----- the address space -----
    CreateNetwork {
        cidr: Ipv4Net,
        container: bool,
        title: Option<String>,
        description: Option<String>,
    },
    /// `Some("")` clears.
    EditNetwork {
        cidr: Ipv4Net,
        title: Option<String>,
        description: Option<String>,
    },
    ToContainer {
        cidr: Ipv4Net,
    },
    DeleteNetwork {
        cidr: Ipv4Net,
    },
    CreateScope {
        network: Ipv4Net,
        subnet: Option<Ipv4Net>,
        props: Box<ScopeProps>,
    },
    EditScope {
        cidr: Ipv4Net,
        edit: Box<ScopeEdit>,
    },
    SetActive {
        cidr: Ipv4Net,
        active: bool,
    },
    DuplicateScope {
        cidr: Ipv4Net,
        to_cidr: Option<Ipv4Net>,
        to_server: Option<String>,
    },
    /// Without `confirmed` the answer is a question with the lease and reservation counts.
    DeleteScope {
        cidr: Ipv4Net,
        confirmed: bool,
    },
    RecreateScope {
        cidr: Ipv4Net,
    },
    ForgetScope {
        cidr: Ipv4Net,
    },
    // ----- many scopes, many servers (the server run on is not used) -----
    BulkPreview(Box<BulkChange>),
    BulkApply(Box<BulkChange>),
    /// The client classes of these servers.
    Classes(Vec<String>),
    /// What activating, deactivating or deleting these marked scopes would do, per
    /// server (their lease and reservation counts).
    ScopesPreview {
        op: ScopesOp,
        scopes: Vec<(String, Ipv4Net)>,
    },
    /// The marked scopes of one server, activated, deactivated or deleted in one write.
    ScopesApply {
        server: String,
        op: ScopesOp,
        cidrs: Vec<Ipv4Net>,
    },
    // ----- the raw configuration of the server run on -----
    /// Its configuration to edit (remembered as what the user saw).
    ConfigBase,
    /// Its running configuration (secrets masked), whole or the part at `section`.
    ConfigShow {
        section: Option<String>,
    },
    /// The admin's edit of `base` (secrets still masked), written by the safe write.
    ConfigEdit {
        base: Box<super::EditBase>,
        edited: Box<serde_json::Value>,
    },
    /// Review these servers' configurations (all configured when empty).
    Review {
        servers: Vec<String>,
    },
    // ----- the full-window screens (each names its servers) -----
    /// The configuration ddish runs with (saved queries, status groupings).
    Config,
    /// The journal and the recorded server changes.
    Events,
    /// Look at every server and zone now and record what changed.
    ObserveChanges,
    /// The status of these DHCP servers, side by side; `trees`: keep each one's scope tree.
    FleetStatus {
        servers: Vec<String>,
        trees: bool,
    },
    /// Every configured DNS server's status.
    DnsStatus,
    /// Every zone's health on every DNS server.
    ZonesHealth,
    ZoneHealth(Box<ZoneConfig>),
    /// Every record of the zone (AXFR from its primary).
    ZoneRecords(Box<ZoneConfig>),
    /// Look the term up in these servers' leases and reservations.
    SearchServers {
        servers: Vec<String>,
        term: Term,
    },
    /// Look the term up in the configured zones.
    SearchDns(Term),
    /// An address's names by lookups (PTR, confirmed by A): the IP popup's.
    DnsNames(std::net::Ipv4Addr),
    /// One step of a server's lease walk; answers `Search` with the step's hits and the
    /// walk's new state (done or not) in `walks`.
    SearchWalk(Box<LeaseWalk>),
    /// The per-state address counts of these scopes together (summary cards).
    CountScopes {
        server: String,
        scopes: Vec<crate::model::ScopeDef>,
    },
    /// The server's global parameters (`model::server_params`) with their values.
    ServerParams {
        server: String,
    },
    /// The server's own option definitions (`option-def`).
    OptionDefs {
        server: String,
    },
    /// Add a server to the configuration file (asked first what answers at its URL).
    AddServer(Box<crate::ops::AddServer>),
    /// One step of a ping sweep of a scope (a few seconds of pings at its rate); answers
    /// `Sweep` with where it stands.
    SweepStep(Box<crate::model::sweep::Sweep>),
    /// The failover relationships of the server with both sides' live state.
    FailoverList {
        server: String,
    },
    /// What creating this failover would do on both servers.
    FailoverPlan(Box<FailoverSpec>),
    FailoverCreate(Box<FailoverSpec>),
    FailoverChange {
        server: String,
        change: FailoverChange,
    },
}

/// What a command answered.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A change on one server (and its HA peers) went through.
    Done(ActionOutcome),
    Ping(PingResult),
    /// The journal's entries for the address, newest first.
    History(Vec<super::history::HistoryItem>),
    /// What a change across servers would do, per server.
    Preview(Vec<ServerPreview>),
    /// What a change across servers did, per server.
    Applied(Vec<ServerOutcome>),
    Classes(Vec<(String, Result<Vec<ClassInfo>, String>)>),
    Config(Box<Config>),
    /// A part of a server's configuration as JSON.
    Json(Box<serde_json::Value>),
    /// A configuration to edit.
    EditBase(Box<super::EditBase>),
    Review(Vec<super::ServerReview>),
    Events(Result<Vec<Event>, EventsError>),
    Observed(Result<Observed, EventsError>),
    Services(Vec<ServiceStatus>),
    Dns(Vec<DnsStatus>),
    Zones(Vec<ZoneHealth>),
    Zone(Box<ZoneHealth>),
    ZoneRecords(Vec<ZoneRecord>),
    Search(SearchResult),
    Sweep(Box<crate::model::sweep::Sweep>),
    ServerParams(Vec<crate::ops::ParamValue>),
    OptionDefs(Vec<crate::model::option_defs::CustomOptionDef>),
    /// What was added where.
    ServerAdded(String),
    Counts(crate::model::ScopeCounts),
    FailoverList(Vec<FailoverInfo>),
    FailoverPlan(Box<FailoverPlan>),
    Failover(Box<FailoverOutcome>),
}

impl Outcome {
    /// The change on one server, for callers that sent one.
    pub fn done(self) -> Option<ActionOutcome> {
        match self {
            Outcome::Done(o) => Some(o),
            _ => None,
        }
    }
}

/// What happens to the marked scopes as a whole (the `B` menu, `ddish scope bulk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopesOp {
    Activate,
    Deactivate,
    Delete,
}

impl ScopesOp {
    pub fn label(self) -> &'static str {
        match self {
            ScopesOp::Activate => "activate the marked scopes",
            ScopesOp::Deactivate => "deactivate the marked scopes (stay configured, serve nobody)",
            ScopesOp::Delete => "delete the marked scopes",
        }
    }

    /// "activating" etc., for the busy line.
    pub fn doing(self) -> &'static str {
        match self {
            ScopesOp::Activate => "activating",
            ScopesOp::Deactivate => "deactivating",
            ScopesOp::Delete => "deleting",
        }
    }

    /// "Activate" etc., for titles.
    pub fn verb(self) -> &'static str {
        match self {
            ScopesOp::Activate => "Activate",
            ScopesOp::Deactivate => "Deactivate",
            ScopesOp::Delete => "Delete",
        }
    }
}

impl Command {
    /// A reservation for the client that has the lease of the address in `d`: its MAC and
    /// hostname, at that address ("copy this lease as a reservation").
    pub fn reserve_lease(d: &IpDetail) -> Result<Command, Invalid> {
        let ip = d.ip;
        if d.reservation.is_some() {
            return Err(format!("{ip} is reserved already: edit the reservation instead").into());
        }
        let Some(lease) = d.lease.filter(|_| d.state == IpState::Assigned) else {
            return Err(format!(
                "{ip} is {}: only an address leased to a client can become its reservation",
                d.state.label()
            )
            .into());
        };
        if lease.hw.is_none() || lease.hw.is_zero() {
            return Err(format!(
                "the lease of {ip} has no MAC address: reserve it by client id instead"
            )
            .into());
        }
        Ok(Command::Reserve {
            ip,
            reservation: ReservationRequest {
                ident: Ident::Mac(lease.hw.to_string()),
                kind: ReservationType::Dhcp,
                hostname: d.hostname().map(str::to_string),
                description: None,
            },
            confirmed: false,
        })
    }

    /// The same command, the user having confirmed the server's question.
    pub fn confirmed(mut self) -> Command {
        if let Command::Reserve { confirmed, .. }
        | Command::Exclude { confirmed, .. }
        | Command::DeleteScope { confirmed, .. } = &mut self
        {
            *confirmed = true;
        }
        self
    }

    /// Reads only: nothing changes, nothing needs reloading, a timeout may cut it off.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Command::Ping { .. }
                | Command::History { .. }
                | Command::BulkPreview(_)
                | Command::Classes(_)
                | Command::ScopesPreview { .. }
                | Command::ConfigShow { .. }
                | Command::ConfigBase
                | Command::Review { .. }
                | Command::Config
                | Command::Events
                | Command::ObserveChanges
                | Command::FleetStatus { .. }
                | Command::DnsStatus
                | Command::ZonesHealth
                | Command::ZoneHealth(_)
                | Command::ZoneRecords(_)
                | Command::SearchServers { .. }
                | Command::SearchDns(_)
                | Command::DnsNames(_)
                | Command::SearchWalk(_)
                | Command::SweepStep(_)
                | Command::ServerParams { .. }
                | Command::OptionDefs { .. }
                | Command::CountScopes { .. }
                | Command::FailoverList { .. }
                | Command::FailoverPlan(_)
        )
    }

    /// Runs on several servers (answers per server, gets a longer budget).
    pub fn is_many_servers(&self) -> bool {
        matches!(
            self,
            Command::BulkApply(_)
                | Command::BulkPreview(_)
                | Command::Classes(_)
                | Command::ScopesPreview { .. }
                | Command::ScopesApply { .. }
        )
    }

    /// What is being done, for a busy line ("holding 10.64.0.60").
    pub fn doing(&self) -> String {
        match self {
            Command::HoldFree { scope, random } => format!(
                "holding a {} free address in {}",
                if *random { "random" } else { "next" },
                scope.cidr
            ),
            Command::Hold { ip } => format!("holding {ip}"),
            Command::Release { ip } => format!("releasing {ip}"),
            Command::Claim { ip, .. } => format!("claiming {ip}"),
            Command::Unclaim { ip } => format!("unclaiming {ip}"),
            Command::Reserve { ip, .. } => format!("reserving {ip}"),
            Command::Unreserve { ip } => format!("deleting the reservation of {ip}"),
            Command::DnsAdd {
                ip, hostname, zone, ..
            } => format!("adding {hostname}.{zone} → {ip} to DNS"),
            Command::DnsDelete {
                ip, hostname, zone, ..
            } => format!("deleting {hostname}.{zone} → {ip} from DNS"),
            Command::Exclude { range, .. } => format!("excluding {range}"),
            Command::Unexclude { range, .. } => format!("returning {range} to the pools"),
            Command::Ping { ip } => format!("pinging {ip}"),
            Command::History { ip } => format!("reading the history of {ip}"),
            Command::CreateNetwork {
                cidr, container, ..
            } => format!(
                "creating the {} {cidr}",
                if *container { "container" } else { "network" }
            ),
            Command::EditNetwork { cidr, .. } => format!("changing {cidr}"),
            Command::ToContainer { cidr } => format!("turning {cidr} into a container"),
            Command::DeleteNetwork { cidr } => format!("deleting {cidr}"),
            Command::CreateScope {
                network, subnet, ..
            } => format!("creating the scope {}", subnet.unwrap_or(*network)),
            Command::EditScope { cidr, .. } => format!("changing the scope {cidr}"),
            Command::SetActive { cidr, active } => format!(
                "{} the scope {cidr}",
                if *active {
                    "activating"
                } else {
                    "deactivating"
                }
            ),
            Command::DuplicateScope { cidr, .. } => format!("duplicating the scope {cidr}"),
            Command::DeleteScope { cidr, .. } => format!("deleting the scope {cidr}"),
            Command::RecreateScope { cidr } => format!("re-creating the scope {cidr}"),
            Command::ForgetScope { cidr } => format!("forgetting the scope {cidr}"),
            Command::BulkPreview(c) => format!("previewing: {}", c.op().describe()),
            Command::BulkApply(c) => format!("applying: {}", c.op().describe()),
            Command::Classes(_) => "reading the client classes".into(),
            Command::ScopesPreview { op, scopes } => format!(
                "reading what {} {} marked scope(s) would do",
                op.doing(),
                scopes.len()
            ),
            Command::ScopesApply { server, op, cidrs } => {
                format!("{} {} scope(s) on {server}", op.doing(), cidrs.len())
            }
            Command::ConfigShow { .. } | Command::ConfigBase => "reading the configuration".into(),
            Command::ConfigEdit { base, .. } => format!("writing {}'s configuration", base.server),
            Command::Review { .. } => "reviewing the configurations".into(),
            Command::Config => "reading the configuration".into(),
            Command::Events => "reading the events".into(),
            Command::ObserveChanges => "looking at every server and zone for changes".into(),
            Command::FleetStatus { servers, .. } => {
                format!("asking {} server(s) for their status", servers.len())
            }
            Command::DnsStatus => "asking the DNS servers".into(),
            Command::ZonesHealth => "checking every zone".into(),
            Command::ZoneHealth(z) => format!("checking zone {}", z.name),
            Command::ZoneRecords(z) => format!("transferring zone {}", z.name),
            Command::SearchServers { servers, .. } => {
                format!("searching {} server(s)", servers.len())
            }
            Command::SearchDns(_) => "searching the zones".into(),
            Command::DnsNames(ip) => format!("looking up the DNS names of {ip}"),
            Command::SearchWalk(w) => format!("searching the leases of {}", w.server),
            Command::SweepStep(s) => format!("sweeping {} ({})", s.cidr, s.progress()),
            Command::ServerParams { server } => format!("reading the parameters of {server}"),
            Command::OptionDefs { server } => {
                format!("reading the option definitions of {server}")
            }
            Command::AddServer(a) => format!("asking {} what answers there", a.url),
            Command::CountScopes { server, scopes } => {
                format!(
                    "counting the addresses of {} scope(s) on {server}",
                    scopes.len()
                )
            }
            Command::FailoverList { server } => format!("reading the failover of {server}"),
            Command::FailoverPlan(spec) => format!("planning failover {}", spec.name),
            Command::FailoverCreate(spec) => format!("creating failover {}", spec.name),
            Command::FailoverChange { change, .. } => change.doing(),
        }
    }
}
