//! The configs a lab Kea starts with: kea-dhcp4's (control sockets, memfile, logger,
//! loopback interfaces, hook paths) and its Control Agent's, with basic auth and TLS.
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::kea::TlsFiles;
use super::kea_dist::KeaDist;
use super::proc;
use super::LabError;

/// Fills in what [`KeaInstance::start`] owns: control socket, memfile, logger, interfaces,
/// full hook paths.
/// `http` (direct API): kea-dhcp4's own HTTP socket ([`http_socket`]).
pub(super) fn complete_dhcp4(
    dist: &KeaDist,
    mut config: Value,
    socket: &Path,
    leases: &Path,
    log: &Path,
    http: Option<Value>,
) -> Result<Value, LabError> {
    let Some(d) = config.get_mut("Dhcp4").and_then(Value::as_object_mut) else {
        return Err(LabError::Invalid(
            "Kea config must be an object {\"Dhcp4\": {...}}".into(),
        ));
    };
    let unix = json!({"socket-type": "unix", "socket-name": socket});
    match http {
        None => {
            d.remove("control-sockets");
            d.insert("control-socket".into(), unix);
        }
        Some(h) => {
            // Kea >= 2.7: the daemon answers the API itself (KEA_FACTS.md §14); the unix
            // socket stays for the lab's own readiness checks.
            d.remove("control-socket");
            d.insert("control-sockets".into(), json!([unix, h]));
        }
    }
    d.insert(
        "lease-database".into(),
        // lfc-interval 0: kea-lfc never rewrites the file under a test.
        json!({"type": "memfile", "persist": true, "name": leases, "lfc-interval": 0}),
    );
    d.insert(
        "loggers".into(),
        json!([{"name": "kea-dhcp4", "output_options": [{"output": log}],
                "severity": "INFO", "debuglevel": 0}]),
    );
    let ifaces = d
        .entry("interfaces-config")
        .or_insert_with(|| json!({"interfaces": ["lo"], "dhcp-socket-type": "udp"}));
    // Loopback only: "*" or raw sockets could transmit on a real network.
    let names = ifaces["interfaces"].as_array().cloned().unwrap_or_default();
    if names.iter().any(|n| n.as_str() != Some("lo")) || ifaces["dhcp-socket-type"] == "raw" {
        return Err(LabError::Invalid(format!(
            "lab Kea servers may only listen on \"lo\" over UDP, not {ifaces}"
        )));
    }
    if let Some(hooks) = d.get_mut("hooks-libraries").and_then(Value::as_array_mut) {
        let mut dir = None;
        for h in hooks {
            if let Some(lib) = h["library"].as_str().filter(|l| !l.contains('/')) {
                let hd = match &dir {
                    Some(hd) => hd,
                    None => dir.insert(dist.hooks_dir()?),
                };
                h["library"] = json!(hd.join(lib));
            }
        }
    }
    Ok(config)
}

/// kea-dhcp4's own HTTP control socket (direct API) on `port`.
pub(super) fn http_socket(port: u16, auth: Option<(&str, &str)>, tls: Option<&TlsFiles>) -> Value {
    let mut h = json!({"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": port});
    add_http_security(&mut h, auth, tls);
    h
}

/// Basic auth and TLS: the same keys on the CA and on kea-dhcp4's HTTP socket.
fn add_http_security(h: &mut Value, auth: Option<(&str, &str)>, tls: Option<&TlsFiles>) {
    if let Some((user, password)) = auth {
        h["authentication"] = json!({"type": "basic", "realm": "ddish-lab",
            "clients": [{"user": user, "password": password}]});
    }
    if let Some(t) = tls {
        h["trust-anchor"] = json!(t.ca);
        h["cert-file"] = json!(t.cert);
        h["key-file"] = json!(t.key);
        // Clients show no certificate: ddish authenticates with basic auth.
        h["cert-required"] = json!(false);
    }
}

/// Copies the PEM files into `dir` (as root: owned by nobody, the daemons' user).
pub(super) fn copy_tls(dir: &Path, t: &TlsFiles) -> Result<TlsFiles, LabError> {
    let copy = |from: &Path, name: &str, mode: u32| -> Result<PathBuf, LabError> {
        let text = std::fs::read_to_string(from)
            .map_err(|e| LabError::io("cannot read TLS file", from, e))?;
        let to = dir.join(name);
        proc::write_file(&to, &text, mode)?;
        Ok(to)
    };
    Ok(TlsFiles {
        ca: copy(&t.ca, "tls-ca.pem", 0o644)?,
        cert: copy(&t.cert, "tls-cert.pem", 0o644)?,
        key: copy(&t.key, "tls-key.pem", 0o600)?,
    })
}

pub(super) fn ca_config(
    port: u16,
    socket: &Path,
    log: &Path,
    auth: Option<(&str, &str)>,
    tls: Option<&TlsFiles>,
) -> Value {
    let mut ca = json!({"Control-agent": {
        "http-host": "127.0.0.1",
        "http-port": port,
        "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": socket}},
        "loggers": [{"name": "kea-ctrl-agent", "output_options": [{"output": log}],
                     "severity": "INFO", "debuglevel": 0}]
    }});
    add_http_security(&mut ca["Control-agent"], auth, tls);
    ca
}

pub(super) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// A plain standalone Dhcp4 config (lease_cmds + stat_cmds, no HA, no ddish marks) around
/// the given `subnet4` list: the usual start for tests that need "just a Kea".
pub fn minimal_dhcp4(subnet4: Value) -> Value {
    json!({"Dhcp4": {
        "valid-lifetime": 3600,
        "hooks-libraries": [
            {"library": "libdhcp_lease_cmds.so"},
            {"library": "libdhcp_stat_cmds.so"}
        ],
        "subnet4": subnet4
    }})
}
