//! The Kea reply envelope (KEA_FACTS.md §3): a JSON array with one element per service on
//! success, a bare object for HTTP-level errors (400, 401) and from daemons reached
//! directly. Result codes: 0 success, 1 error, 2 unsupported, 3 empty.
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::error::KeaError;

pub const RESULT_OK: i64 = 0;
pub const RESULT_ERROR: i64 = 1;
pub const RESULT_UNSUPPORTED: i64 = 2;
pub const RESULT_EMPTY: i64 = 3;

/// One command's answer with result 0 (success) or 3 (empty / not found); other results
/// come back as `KeaError`.
#[derive(Clone, Debug, PartialEq)]
pub struct KeaResponse {
    pub result: i64,
    pub text: Option<String>,
    pub arguments: Option<Value>,
}

impl KeaResponse {
    pub fn is_empty(&self) -> bool {
        self.result == RESULT_EMPTY
    }
}

/// One reply element, with `arguments` typed by the caller (a `Value`, or a borrowed struct
/// for big lease lists).
#[derive(Deserialize)]
pub(crate) struct RawReply<'a, A> {
    pub result: i64,
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default = "Option::default")]
    pub arguments: Option<A>,
}

/// Decodes the envelope of a response body and checks its result code. Returns the element
/// for result 0 and 3; errors (with an empty server name, see `KeaError::on_server`) else.
pub(crate) fn decode<'a, A: Deserialize<'a>>(
    body: &'a [u8],
    command: &str,
) -> Result<RawReply<'a, A>, KeaError> {
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    let (reply, bare) = match first {
        Some(b'[') => {
            let list: Vec<RawReply<'a, A>> = serde_json::from_slice(body).map_err(bad_json)?;
            // One element per service; ddish always asks one service.
            let reply = list
                .into_iter()
                .next()
                .ok_or_else(|| KeaError::malformed("an empty reply list"))?;
            (reply, false)
        }
        Some(b'{') => (serde_json::from_slice(body).map_err(bad_json)?, true),
        None => return Err(KeaError::malformed("an empty reply")),
        Some(_) => return Err(KeaError::malformed(format!("not JSON: {}", snippet(body)))),
    };
    check(reply, bare, command)
}

fn bad_json(e: serde_json::Error) -> KeaError {
    KeaError::malformed(format!("invalid JSON ({e})"))
}

/// The start of a non-JSON body (an HTML error page from a proxy, say), printable.
fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(60)]);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{:?}", s.trim())
}

fn check<'a, A>(
    reply: RawReply<'a, A>,
    bare: bool,
    command: &str,
) -> Result<RawReply<'a, A>, KeaError> {
    let text = || reply.text.as_deref().unwrap_or("").to_string();
    match reply.result {
        RESULT_OK | RESULT_EMPTY => Ok(reply),
        RESULT_UNSUPPORTED => Err(KeaError::Unsupported {
            server: String::new(),
            command: command.to_string(),
        }),
        RESULT_ERROR => Err(classify_error(command, &text())),
        // The Control Agent's HTTP errors carry the HTTP status as result in a bare object.
        401 if bare => Err(KeaError::Unauthorized {
            server: String::new(),
        }),
        s @ 100..=599 if bare => Err(KeaError::Http {
            server: String::new(),
            status: s as u16,
        }),
        r => Err(KeaError::Failed {
            server: String::new(),
            command: command.to_string(),
            text: format!("unexpected result {r}: {}", text()),
        }),
    }
}

/// Result 1 covers real command failures and the Control Agent not reaching its daemon.
fn classify_error(command: &str, text: &str) -> KeaError {
    // "unable to forward command to the dhcp4 service: No such file or directory. The
    // server is likely to be offline"
    if let Some(rest) = text.strip_prefix("unable to forward command to the ") {
        let service = rest.split_whitespace().next().unwrap_or("dhcp4");
        return KeaError::DaemonOffline {
            server: String::new(),
            service: service.to_string(),
        };
    }
    // "forwarding socket is not configured for the server type dhcp6"
    if let Some(rest) =
        text.strip_prefix("forwarding socket is not configured for the server type ")
    {
        return KeaError::NoService {
            server: String::new(),
            service: rest.trim().to_string(),
        };
    }
    KeaError::Failed {
        server: String::new(),
        command: command.to_string(),
        text: if text.is_empty() {
            "no reason given".to_string()
        } else {
            text.to_string()
        },
    }
}

/// Decodes a whole response body into a `KeaResponse` (arguments as a `Value`).
pub fn parse_response(body: &[u8], command: &str) -> Result<KeaResponse, KeaError> {
    let r: RawReply<'_, Value> = decode(body, command)?;
    Ok(KeaResponse {
        result: r.result,
        text: r.text.map(Cow::into_owned),
        arguments: r.arguments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> KeaError {
        parse_response(body.as_bytes(), "cmd").unwrap_err()
    }

    #[test]
    fn array_success_and_empty() {
        let r = parse_response(
            br#"[{"arguments":{"pid":1,"reload":2,"uptime":3},"result":0}]"#,
            "status-get",
        )
        .unwrap();
        assert_eq!(r.result, 0);
        assert_eq!(r.arguments.unwrap()["pid"], 1);
        let r =
            parse_response(br#"[{"result":3,"text":"Lease not found."}]"#, "lease4-get").unwrap();
        assert!(r.is_empty());
        assert_eq!(r.text.as_deref(), Some("Lease not found."));
        assert_eq!(r.arguments, None);
    }

    #[test]
    fn bare_objects() {
        assert_eq!(
            err(r#"{ "result": 401, "text": "Unauthorized" }"#),
            KeaError::Unauthorized {
                server: String::new()
            }
        );
        assert_eq!(
            err(r#"{ "result": 400, "text": "Bad Request" }"#),
            KeaError::Http {
                server: String::new(),
                status: 400
            }
        );
        // A daemon reached directly answers with a bare object.
        let r = parse_response(br#"{"result":0,"text":"2.2.0"}"#, "version-get").unwrap();
        assert_eq!(r.text.as_deref(), Some("2.2.0"));
    }

    #[test]
    fn result_codes() {
        assert_eq!(
            err(r#"[{"result":2,"text":"'subnet4-list' command not supported."}]"#),
            KeaError::Unsupported {
                server: String::new(),
                command: "cmd".into()
            }
        );
        assert_eq!(
            err(r#"[{"result":1,"text":"IPv4 lease already exists."}]"#),
            KeaError::Failed {
                server: String::new(),
                command: "cmd".into(),
                text: "IPv4 lease already exists.".into()
            }
        );
        assert_eq!(
            err(
                r#"[{"result":1,"text":"unable to forward command to the dhcp4 service: No such file or directory. The server is likely to be offline"}]"#
            ),
            KeaError::DaemonOffline {
                server: String::new(),
                service: "dhcp4".into()
            }
        );
        assert_eq!(
            err(
                r#"[{"result":1,"text":"forwarding socket is not configured for the server type dhcp6"}]"#
            ),
            KeaError::NoService {
                server: String::new(),
                service: "dhcp6".into()
            }
        );
        assert!(
            matches!(err(r#"[{"result":1}]"#), KeaError::Failed { text, .. } if text == "no reason given")
        );
        assert!(matches!(
            err(r#"[{"result":7,"text":"x"}]"#),
            KeaError::Failed { .. }
        ));
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            "",
            "  ",
            "[]",
            "[{\"result\":0",
            "<html>502 Bad Gateway</html>",
            "[{\"text\":\"no result\"}]",
        ] {
            let e = err(body);
            assert!(matches!(e, KeaError::Malformed { .. }), "{body}: {e:?}");
        }
        let e = err("<html>\n502</html>").on_server("kea-hq");
        assert_eq!(
            e.to_string(),
            "server kea-hq sent a reply ddish cannot read: not JSON: \"<html> 502</html>\""
        );
    }
}
