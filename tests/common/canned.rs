//! A scripted HTTP server on loopback that plays a Kea API badly: per command a good
//! answer, raw bytes (truncated, nested, wrong-typed, not UTF-8), a body streamed without
//! end, a body dribbled a byte at a time (slowloris), or silence. What the reply fault
//! tests (F6/F7) point ddish at; every request is on a new connection.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Reply {
    /// These bytes, as they are (status line and headers included), then close.
    Raw(Vec<u8>),
    /// HTTP 200 with this JSON body and a correct Content-Length.
    Json(String),
    /// HTTP 200 with these bytes as the body (any bytes) and a correct Content-Length.
    Body(Vec<u8>),
    /// HTTP 200 without Content-Length, then this many bytes of `[` until the client stops.
    Endless(usize),
    /// Headers announcing a body, then one byte of it every `Duration`.
    Dribble(Duration),
    /// Reads the request and never answers.
    Silent,
}

pub struct Canned {
    pub addr: SocketAddr,
}

impl Canned {
    /// Serves `rules` (command -> reply; "*" for every other command); the rest get
    /// [`good`] answers.
    pub fn start(rules: Vec<(&str, Reply)>) -> Canned {
        let rules: Arc<HashMap<String, Reply>> =
            Arc::new(rules.into_iter().map(|(c, r)| (c.to_string(), r)).collect());
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let rules = rules.clone();
                std::thread::spawn(move || {
                    let _ = serve(c, &rules);
                });
            }
        });
        Canned { addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Answers a Control Agent gives to the commands ddish asks first, for a server with one
/// subnet: version-get, list-commands, status-get, config-get, no leases.
pub fn good(command: &str) -> Reply {
    Reply::Json(match command {
        "version-get" => r#"[{"result":0,"text":"2.2.0","arguments":{"extended":"2.2.0"}}]"#.into(),
        "list-commands" => r#"[{"result":0,"arguments":["config-get","list-commands","version-get","lease4-get-all","stat-lease4-get"]}]"#.into(),
        "config-get" => r#"[{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.40.0.0/24","pools":[{"pool":"10.40.0.10 - 10.40.0.20"}]}]}}}]"#.into(),
        "status-get" => r#"[{"result":0,"arguments":{"pid":4242,"uptime":100,"reload":100}}]"#.into(),
        "stat-lease4-get" => r#"[{"result":3,"text":"no statistics"}]"#.into(),
        "lease4-get-all" => r#"[{"result":3,"text":"0 IPv4 lease(s) found.","arguments":{"leases":[]}}]"#.into(),
        _ => r#"[{"result":2,"text":"unsupported"}]"#.into(),
    })
}

fn serve(mut c: TcpStream, rules: &HashMap<String, Reply>) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    let request = super::proxy::read_message(&mut c)?;
    let text = String::from_utf8_lossy(&request);
    let command = text
        .split("\"command\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    let reply = rules
        .get(&command)
        .or_else(|| rules.get("*"))
        .cloned()
        .unwrap_or_else(|| good(&command));
    match reply {
        Reply::Raw(b) => c.write_all(&b),
        Reply::Json(body) => answer(&mut c, body.as_bytes()),
        Reply::Body(body) => answer(&mut c, &body),
        Reply::Endless(total) => {
            c.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            )?;
            let chunk = vec![b'['; 1 << 20];
            let mut sent = 0;
            while sent < total {
                c.write_all(&chunk)?;
                sent += chunk.len();
            }
            Ok(())
        }
        Reply::Dribble(every) => {
            c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")?;
            loop {
                c.write_all(b" ")?;
                std::thread::sleep(every);
            }
        }
        Reply::Silent => {
            std::thread::sleep(Duration::from_secs(120));
            Ok(())
        }
    }
}

fn answer(c: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    c.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    c.write_all(body)
}
