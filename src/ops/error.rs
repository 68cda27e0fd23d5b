//! What an operation answers when it does not do what was asked: typed kinds, each worded
//! for the person at the keyboard.
use crate::kea::KeaError;

/// A failed operation, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{0}")]
    Kea(#[from] KeaError),
    #[error("no server named '{0}' in the configuration: check `ddish check` for the names")]
    UnknownServer(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input or a state that doesn't allow the action; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The role (or --read-only) forbids it: what the user has and what the action needs.
    #[error("{}", forbidden_text(.server, *.role, *.need, *.read_only))]
    Forbidden {
        server: String,
        role: crate::config::Role,
        need: crate::config::Role,
        read_only: bool,
    },
    /// Allowed, but the user must confirm (e.g. the IP is leased to another client).
    #[error("{0}")]
    NeedsConfirmation(String),
    /// Boxed: it carries per-server undo details and would make every result large.
    #[error("{0}")]
    LeaseWrite(Box<crate::kea::LeaseWriteError>),
    /// Another ddish on this host is writing to the server and did not finish in time.
    #[error("{0}")]
    Busy(String),
    /// Sent and accepted, but the server's read-back does not show it: not "done".
    #[error("{0}")]
    Unverified(String),
    /// The server's configuration is no longer the one the change was made from (another
    /// admin or tool changed it): nothing was written; reload and try again.
    #[error("{0}")]
    Changed(String),
    /// What was to be created is there already (an address a client took meanwhile);
    /// nothing was written.
    #[error("{0}")]
    Exists(String),
    /// A read that got no full answer within `secs` (a write is never cut off: stopped in
    /// the middle it could leave HA peers different). Nothing was changed.
    #[error("no answer from {server} within {secs} s: slow or unreachable; nothing was changed (r retries)")]
    Timeout { server: String, secs: u64 },
}

fn forbidden_text(
    server: &str,
    role: crate::config::Role,
    need: crate::config::Role,
    read_only: bool,
) -> String {
    use crate::config::Role;
    if read_only {
        return "ddish runs with --read-only: no changes are made".into();
    }
    let (what, roles) = match need {
        Role::Admin => ("a configuration change", "role = \"admin\""),
        _ => ("this change", "role = \"operator\" or \"admin\""),
    };
    format!(
        "your role on {server} is {} (config `role`): {what} needs {roles}",
        role.word()
    )
}

/// Input that cannot be acted on as given (a malformed MAC, a scope outside its network, a
/// filter that does not parse): the message says what to write instead. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<String> for Invalid {
    fn from(s: String) -> Invalid {
        Invalid(s)
    }
}

impl From<&str> for Invalid {
    fn from(s: &str) -> Invalid {
        Invalid(s.to_string())
    }
}

/// For the console's form checks, which speak in messages.
impl From<Invalid> for String {
    fn from(e: Invalid) -> String {
        e.0
    }
}

impl From<Invalid> for OpError {
    fn from(e: Invalid) -> OpError {
        OpError::Refused(e.0)
    }
}

/// A config edit that refused: nothing was written.
impl From<crate::kea::EditRefused> for OpError {
    fn from(e: crate::kea::EditRefused) -> OpError {
        OpError::Refused(e.0)
    }
}

impl From<crate::kea::LeaseWriteError> for OpError {
    fn from(e: crate::kea::LeaseWriteError) -> Self {
        OpError::LeaseWrite(Box::new(e))
    }
}

impl OpError {
    /// Short kind for tables.
    pub fn kind_label(&self) -> &'static str {
        match self {
            OpError::Kea(e) => e.kind_label(),
            OpError::UnknownServer(_) => "unknown server",
            OpError::NotFound(_) => "not found",
            OpError::Refused(_) => "refused",
            OpError::Forbidden { .. } => "not allowed",
            OpError::NeedsConfirmation(_) => "needs confirmation",
            OpError::LeaseWrite(_) => "lease write failed",
            OpError::Busy(_) => "busy",
            OpError::Unverified(_) => "not verified",
            OpError::Changed(_) => "changed meanwhile",
            OpError::Exists(_) => "exists",
            OpError::Timeout { .. } => "timeout",
        }
    }

    /// `server`'s configuration changed since the user loaded it.
    pub fn changed_since_loaded(server: &str) -> OpError {
        OpError::Changed(format!(
            "the configuration of {server} changed on the server since you loaded it: nothing \
             was written; reload (r) and try again"
        ))
    }
}
