//! ddish's configuration: the TOML schema, loading from the XDG path or `--config FILE`,
//! and validation with file:line errors.
mod error;
mod load;
mod paths;
mod raw;
mod schema;
mod secret;
pub mod starter;

pub use error::ConfigError;
pub use load::{load, parse};
pub use paths::{data_dir, default_path, state_dir};
pub use schema::*;
pub use secret::{read_tsig_secret, Secret};

/// Whether an http(s) url names a loopback host (127.0.0.0/8, ::1, localhost): what is
/// sent there never leaves this machine.
pub fn loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod loopback_tests {
    use super::loopback_url;

    #[test]
    fn loopback_hosts() {
        for u in [
            "http://127.0.0.1:8000/",
            "http://127.9.9.9/",
            "http://[::1]:8000/",
            "http://localhost:8000",
            "http://LOCALHOST",
        ] {
            assert!(loopback_url(u), "{u}");
        }
        for u in [
            "http://10.0.0.1:8000/",
            "http://kea.example.com/",
            "http://127.0.0.1.example.com/",
            "http://[2001:db8::1]:8000/",
            "http://localhost.evil.test/",
        ] {
            assert!(!loopback_url(u), "{u}");
        }
    }
}
