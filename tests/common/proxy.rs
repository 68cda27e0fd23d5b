//! A small HTTP fault proxy on loopback between ddish and a Kea API: one request per
//! connection, passed on to the real server; requests whose body names a chosen command can
//! have their answer held back (the server did the work, the client never hears) or be
//! swallowed (never reaches the server). What the fault tests use to make a config-set
//! "slower than the timeout" deterministically.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happens to a request naming the chosen command.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Passed on and answered as usual.
    Pass,
    /// Passed on; the answer is held back this long, then the connection is closed unanswered.
    HoldAnswer(Duration),
    /// Not passed on; the connection is closed after this long.
    Swallow(Duration),
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    rule: Arc<Mutex<(String, Fault)>>,
    /// (trigger, command, fault): once a request naming `trigger` has passed, requests
    /// naming `command` get `fault` (e.g. list-commands lost only after a config-set).
    after: Arc<Mutex<Option<(String, String, Fault)>>>,
    /// Requests naming the command that reached the proxy.
    pub seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Listens on an ephemeral loopback port and passes everything on to `upstream`.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let rule = Arc::new(Mutex::new((String::new(), Fault::Pass)));
        let seen = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let after = Arc::new(Mutex::new(None));
        let (r, s, st, af) = (rule.clone(), seen.clone(), stop.clone(), after.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s, af) = (r.clone(), s.clone(), af.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &r, &s, &af);
                });
            }
        });
        FaultProxy {
            addr,
            rule,
            after,
            seen,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// From now on, requests whose command is `command` get `fault`.
    pub fn set(&self, command: &str, fault: Fault) {
        *self.rule.lock().unwrap() = (command.to_string(), fault);
    }

    /// Once a `trigger` request has passed, requests naming `command` get `fault`.
    pub fn set_after(&self, trigger: &str, command: &str, fault: Fault) {
        *self.after.lock().unwrap() = Some((trigger.to_string(), command.to_string(), fault));
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    rule: &Mutex<(String, Fault)>,
    seen: &AtomicUsize,
    after: &Mutex<Option<(String, String, Fault)>>,
) -> std::io::Result<()> {
    let request = read_message(&mut client)?;
    let body = String::from_utf8_lossy(&request);
    let names = |c: &str| !c.is_empty() && body.contains(&format!("\"command\":\"{c}\""));
    let (command, fault) = rule.lock().unwrap().clone();
    let mut fault = if names(&command) {
        seen.fetch_add(1, Ordering::Relaxed);
        fault
    } else {
        Fault::Pass
    };
    {
        let mut a = after.lock().unwrap();
        if let Some((trigger, command, f)) = a.clone() {
            if trigger.is_empty() && names(&command) {
                // Once: what comes after (a restore's own check) passes.
                fault = f;
                *a = None;
            } else if names(&trigger) {
                // Armed: from the next request on.
                *a = Some((String::new(), command, f));
            }
        }
    }
    if let Fault::Swallow(d) = fault {
        std::thread::sleep(d);
        return Ok(());
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&close_after(&request))?;
    let answer = read_message(&mut up)?;
    if let Fault::HoldAnswer(d) = fault {
        std::thread::sleep(d);
        return Ok(());
    }
    client.write_all(&close_after(&answer))?;
    Ok(())
}

/// One HTTP/1.1 message: headers, then Content-Length bytes of body.
pub fn read_message(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.truncate(end + 4 + len);
                return Ok(buf);
            }
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The message with `Connection: close`, so each side opens a new connection per request.
fn close_after(msg: &[u8]) -> Vec<u8> {
    let Some(end) = find(msg, b"\r\n\r\n") else {
        return msg.to_vec();
    };
    let head = String::from_utf8_lossy(&msg[..end]);
    let mut out: Vec<u8> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| format!("{l}\r\n").into_bytes())
        .collect();
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&msg[end + 4..]);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
