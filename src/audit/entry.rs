//! One journal entry and who made it.
use std::ffi::CStr;
use std::net::Ipv4Addr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::redact::redact;

/// One action on a server, as the journal records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// `user@host` of whoever ran ddish.
    pub user: String,
    pub server: String,
    /// The scope's CIDR, when the action concerns one.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub ip: Option<Ipv4Addr>,
    /// `hold`, `release`, `claim`, `reserve`, `exclude`, `dns-add`, ...
    pub action: String,
    #[serde(default)]
    pub before: Option<Value>,
    #[serde(default)]
    pub after: Option<Value>,
    /// `ok`, or the error message.
    pub result: String,
}

impl Entry {
    /// An entry stamped now, by the current user, with result `ok` until told otherwise.
    pub fn new(server: &str, action: &str) -> Entry {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Entry {
            time,
            user: current_user(),
            server: server.to_string(),
            scope: None,
            ip: None,
            action: action.to_string(),
            before: None,
            after: None,
            result: "ok".to_string(),
        }
    }

    pub fn scope(mut self, cidr: impl Into<String>) -> Entry {
        self.scope = Some(cidr.into());
        self
    }

    pub fn ip(mut self, ip: Ipv4Addr) -> Entry {
        self.ip = Some(ip);
        self
    }

    /// The state before the action; secrets are masked at once so they never sit in memory
    /// where a debug print could show them.
    pub fn before(mut self, v: Value) -> Entry {
        self.before = Some(redact(v));
        self
    }

    pub fn after(mut self, v: Value) -> Entry {
        self.after = Some(redact(v));
        self
    }

    /// `Ok` records `ok`; `Err` records the error's message.
    pub fn outcome<T, E: std::fmt::Display>(mut self, r: &Result<T, E>) -> Entry {
        self.result = match r {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        self
    }

    pub fn result(mut self, result: impl Into<String>) -> Entry {
        self.result = result.into();
        self
    }

    pub fn is_ok(&self) -> bool {
        self.result == "ok"
    }
}

/// `user@host`: the password database's name for the effective uid (else `$USER`) at the
/// host name. Never fails: unknown parts become `uid<N>` / `unknown-host`. The uid comes
/// first: `$USER` is whatever the caller's environment says, not who is writing.
pub fn current_user() -> String {
    let user = passwd_name()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        // SAFETY: geteuid has no preconditions and cannot fail.
        .unwrap_or_else(|| format!("uid{}", unsafe { libc::geteuid() }));
    let host = hostname().unwrap_or_else(|| "unknown-host".to_string());
    format!("{user}@{host}")
}

fn passwd_name() -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: zeroed passwd is a valid out-parameter for getpwuid_r.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: buf outlives the call and the use of pw's pointers below; its length is passed.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pw,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        )
    };
    if rc != 0 || out.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside buf.
    let name = unsafe { CStr::from_ptr(pw.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length are valid; gethostname writes at most len bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    // POSIX leaves truncated names possibly unterminated: stop at the first NUL or the end.
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let h = String::from_utf8_lossy(&buf[..end]).into_owned();
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_fills_time_and_user() {
        let e = Entry::new("kea-a", "hold");
        assert!(e.time > 1_600_000_000);
        let (u, h) = e.user.split_once('@').expect("user@host");
        assert!(!u.is_empty() && !h.is_empty());
        assert_eq!(e.result, "ok");
    }

    #[test]
    fn setters_redact_and_outcome_records_errors() {
        let e = Entry::new("s", "dns-add")
            .before(json!({"tsig": {"secret": "c2VjcmV0"}}))
            .outcome(&Err::<(), _>("REFUSED by 127.0.0.1:5353"));
        assert_eq!(e.before, Some(json!({"tsig": {"secret": "***"}})));
        assert_eq!(e.result, "REFUSED by 127.0.0.1:5353");
        assert!(!e.is_ok());
    }
}
