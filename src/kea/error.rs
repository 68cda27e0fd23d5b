//! Everything that can go wrong talking to a Kea server, each case with its own short,
//! actionable message (shown in the console tab and by `ddish check`).
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeaError {
    #[error("server {server} is unreachable: {detail}; check its url and the network")]
    Unreachable { server: String, detail: String },

    #[error("server {server} refused the connection at {url}: is kea-ctrl-agent running and listening there?")]
    Refused { server: String, url: String },

    #[error("server {server} did not answer '{command}' within {secs} s: it may be hung or overloaded; raise request_timeout if it is only slow")]
    Timeout {
        server: String,
        command: String,
        secs: u64,
    },

    #[error("authentication failed for server {server} (HTTP 401): check user and password_file")]
    Unauthorized { server: String },

    #[error("TLS with server {server} failed: {detail}; check the https url and ca_file")]
    Tls { server: String, detail: String },

    #[error("server {server}: the Control Agent answers but its {service} daemon is offline; start kea-{service} or check its control socket")]
    DaemonOffline { server: String, service: String },

    #[error("server {server}: the Control Agent has no control socket for service '{service}'; check `service` in the ddish config")]
    NoService { server: String, service: String },

    #[error("server {server} does not support '{command}' (Kea result 2): load the hook library that provides it")]
    Unsupported { server: String, command: String },

    #[error("server {server} sent a reply ddish cannot read: {detail}")]
    Malformed { server: String, detail: String },

    #[error("server {server} answered HTTP {status}{}", http_hint(*status))]
    Http { server: String, status: u16 },

    #[error("server {server}: '{command}' failed: {text}")]
    Failed {
        server: String,
        command: String,
        text: String,
    },

    /// A local setup problem (password file, CA file, URL); the text names the server.
    #[error("{0}")]
    Config(String),
}

fn http_hint(status: u16) -> &'static str {
    match status {
        400 => ": Kea rejected the request as malformed (a ddish bug, please report it)",
        403 => ": access denied; check the user's permissions on the Control Agent",
        404 | 405 => ": the url does not point at a Kea control API",
        300..=399 => ": a redirect, which ddish does not follow (it would carry the request and its password elsewhere); put the final url in the config",
        500..=599 => ": the server or a proxy in front of it failed",
        _ => ": check that the url points at kea-ctrl-agent",
    }
}

impl KeaError {
    /// Short label for tables ("auth failed", "timeout", ...).
    pub fn kind_label(&self) -> &'static str {
        match self {
            KeaError::Unreachable { .. } => "unreachable",
            KeaError::Refused { .. } => "refused",
            KeaError::Timeout { .. } => "timeout",
            KeaError::Unauthorized { .. } => "auth failed",
            KeaError::Tls { .. } => "tls error",
            KeaError::DaemonOffline { .. } => "daemon offline",
            KeaError::NoService { .. } => "no service",
            KeaError::Unsupported { .. } => "unsupported",
            KeaError::Malformed { .. } => "bad reply",
            KeaError::Http { .. } => "http error",
            KeaError::Failed { .. } => "failed",
            KeaError::Config(_) => "config error",
        }
    }

    /// Whether the server could not be talked to at all (as opposed to answering with an
    /// error): the console shows such a server as down.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            KeaError::Unreachable { .. }
                | KeaError::Refused { .. }
                | KeaError::Timeout { .. }
                | KeaError::Tls { .. }
                | KeaError::DaemonOffline { .. }
        )
    }

    /// Fills in the server name; the pure parsers don't know it.
    pub(crate) fn on_server(mut self, name: &str) -> Self {
        match &mut self {
            KeaError::Unreachable { server, .. }
            | KeaError::Refused { server, .. }
            | KeaError::Timeout { server, .. }
            | KeaError::Unauthorized { server }
            | KeaError::Tls { server, .. }
            | KeaError::DaemonOffline { server, .. }
            | KeaError::NoService { server, .. }
            | KeaError::Unsupported { server, .. }
            | KeaError::Malformed { server, .. }
            | KeaError::Http { server, .. }
            | KeaError::Failed { server, .. } => {
                if server.is_empty() {
                    *server = name.to_string();
                }
            }
            KeaError::Config(_) => {}
        }
        self
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        KeaError::Malformed {
            server: String::new(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_server_and_a_fix() {
        let e = KeaError::Unauthorized {
            server: "kea-hq".into(),
        };
        assert_eq!(
            e.to_string(),
            "authentication failed for server kea-hq (HTTP 401): check user and password_file"
        );
        assert_eq!(e.kind_label(), "auth failed");
        let e = KeaError::Http {
            server: "a".into(),
            status: 404,
        };
        assert!(e.to_string().contains("HTTP 404: the url"), "{e}");
        let e = KeaError::malformed("x").on_server("kea-2");
        assert_eq!(
            e.to_string(),
            "server kea-2 sent a reply ddish cannot read: x"
        );
        // An already named server is kept.
        let e = KeaError::Unauthorized { server: "a".into() }.on_server("b");
        assert_eq!(e, KeaError::Unauthorized { server: "a".into() });
    }
}
