//! A tiny blocking client for the lab's own Kea control channels: HTTP/1.1 POST to a Control
//! Agent on 127.0.0.1 and the daemon's unix socket. Only for readiness checks and tests;
//! ddish itself talks to Kea through `crate::kea`.
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Default time a lab request may take (a /16's lease4-get-all takes ~1 s).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// POSTs `body` to the Control Agent on 127.0.0.1:`port`; returns the HTTP status and the
/// parsed JSON body. Never connects anywhere but loopback.
pub fn ca_post(
    port: u16,
    auth: Option<(&str, &str)>,
    body: &Value,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let payload = body.to_string();
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        payload.len()
    );
    if let Some((user, pass)) = auth {
        req.push_str(&format!(
            "Authorization: Basic {}\r\n",
            base64(format!("{user}:{pass}").as_bytes())
        ));
    }
    req.push_str("\r\n");
    req.push_str(&payload);
    s.write_all(req.as_bytes())
        .map_err(|e| format!("{addr}: sending request: {e}"))?;
    let mut raw = Vec::new();
    read_response(&mut s, &mut raw).map_err(|e| format!("{addr}: reading response: {e}"))?;
    parse_response(&raw).map_err(|e| format!("{addr}: {e}"))
}

/// Reads until the headers' Content-Length is satisfied (or EOF).
fn read_response(s: &mut TcpStream, raw: &mut Vec<u8>) -> std::io::Result<()> {
    let mut buf = [0u8; 65536];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = header_end(raw) {
            if let Some(len) = content_length(&raw[..end]) {
                if raw.len() >= end + len {
                    return Ok(());
                }
            }
        }
    }
}

fn header_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

fn parse_response(raw: &[u8]) -> Result<(u16, Value), String> {
    let end = header_end(raw).ok_or("incomplete HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("malformed HTTP status line")?;
    let body = &raw[end..];
    let body = match content_length(&raw[..end]) {
        Some(len) if body.len() >= len => &body[..len],
        _ => body,
    };
    let v = serde_json::from_slice(body)
        .map_err(|e| format!("HTTP {status}, body is not JSON: {e}"))?;
    Ok((status, v))
}

/// Sends one command to the CA on `port` and returns the first (only) answer object,
/// `{"result": .., "text": .., "arguments": ..}`. `service` None = a CA-local command.
pub fn kea_command(
    port: u16,
    auth: Option<(&str, &str)>,
    service: Option<&str>,
    command: &str,
    arguments: Option<Value>,
) -> Result<Value, String> {
    let mut body = json!({ "command": command });
    if let Some(s) = service {
        body["service"] = json!([s]);
    }
    if let Some(a) = arguments {
        body["arguments"] = a;
    }
    let (status, v) = ca_post(port, auth, &body, TIMEOUT)?;
    match v {
        Value::Array(mut items) if !items.is_empty() => Ok(items.swap_remove(0)),
        // HTTP-level errors (400, 401) come back as a bare object.
        other => Err(format!(
            "HTTP {status}: {}",
            other
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or("unexpected answer")
        )),
    }
}

/// Sends one command straight to kea-dhcp4's unix control socket (bypassing the CA).
pub fn unix_command(
    socket: &Path,
    command: &str,
    arguments: Option<Value>,
) -> Result<Value, String> {
    let mut s = UnixStream::connect(socket).map_err(|e| format!("{}: {e}", socket.display()))?;
    s.set_read_timeout(Some(TIMEOUT)).ok();
    let mut body = json!({ "command": command });
    if let Some(a) = arguments {
        body["arguments"] = a;
    }
    s.write_all(body.to_string().as_bytes())
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    // Kea answers with one JSON object and closes the connection.
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    serde_json::from_slice(&raw)
        .map_err(|e| format!("{}: answer is not JSON: {e}", socket.display()))
}

/// Standard base64 (with padding), for the Basic auth header.
pub(crate) fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// config-set as another tool would do it, for tests that change a server behind ddish's
/// back: Kea >= 2.4's top-level `hash` (from config-get) is dropped, since config-set
/// refuses it, and a load refused while the last one's kea-lfc runs (Kea >= 2.6) is sent
/// again for up to 30 s.
pub fn kea_config_set(
    port: u16,
    auth: Option<(&str, &str)>,
    mut config: Value,
) -> Result<Value, String> {
    if let Some(top) = config.as_object_mut() {
        top.remove("hash");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = kea_command(
            port,
            auth,
            Some("dhcp4"),
            "config-set",
            Some(config.clone()),
        )?;
        let busy = r["text"]
            .as_str()
            .is_some_and(|t| t.contains("lease file cleanup is in progress"));
        if !busy || std::time::Instant::now() > deadline {
            return Ok(r);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn parses_a_kea_http_answer() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Type: application/json\r\n\r\n[ {\"result\":0} ]";
        let (status, v) = parse_response(raw).unwrap();
        assert_eq!(status, 200);
        assert_eq!(v[0]["result"], 0);
    }
}
