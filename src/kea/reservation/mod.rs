//! Reservation changes, said as what (put this reservation, delete that one) and done the way
//! the server allows: host_cmds' `reservation-add` / `reservation-update` / `reservation-del`
//! with `"operation-target": "memory"` (deletes: `"all"`, since the host may sit in a hosts
//! database; a change of, or putting back, a host the database holds: `"database"`, where it
//! lives) and one `config-write` where every peer has them (Kea 3.0 ships the hook: ~1 ms
//! instead of a full reload, KEA_FACTS.md §14), else the safe config edit (Kea 2.2, 2.6).
//! Both paths: both HA peers or neither, read back and verified.
use std::net::Ipv4Addr;
use std::time::Instant;

use serde_json::{json, Value};

use super::client::KeaClient;
use super::error::KeaError;
use super::write::{EditRefused, WriteError, WriteOutcome};

/// One reservation as ddish writes it (the subnet's `reservations` entry).
#[derive(Clone, Debug, PartialEq)]
pub struct ReservationSpec {
    pub ip: Ipv4Addr,
    /// Exactly one of `hw_address` / `client_id`, normalised (`aa:bb:...`).
    pub hw_address: Option<String>,
    pub client_id: Option<String>,
    pub hostname: Option<String>,
    /// The `ddish` part of its user-context (type, description).
    pub ddish: Value,
}

impl ReservationSpec {
    /// The entry as it sits in a subnet's `reservations`.
    pub fn to_json(&self) -> Value {
        let mut r = json!({"ip-address": self.ip.to_string()});
        if let Some(m) = &self.hw_address {
            r["hw-address"] = json!(m);
        }
        if let Some(c) = &self.client_id {
            r["client-id"] = json!(c);
        }
        if let Some(h) = &self.hostname {
            r["hostname"] = json!(h);
        }
        r["user-context"] = json!({"ddish": self.ddish});
        r
    }
}

/// A reservation change in one subnet.
#[derive(Clone, Debug, PartialEq)]
pub enum ReservationChange {
    /// Creates the reservation, or replaces the one at the same address.
    Put {
        subnet_id: u32,
        reservation: ReservationSpec,
    },
    /// Deletes the reservation at `ip`.
    Delete { subnet_id: u32, ip: Ipv4Addr },
}

impl ReservationChange {
    fn subnet_id(&self) -> u32 {
        match self {
            ReservationChange::Put { subnet_id, .. }
            | ReservationChange::Delete { subnet_id, .. } => *subnet_id,
        }
    }

    fn ip(&self) -> Ipv4Addr {
        match self {
            ReservationChange::Put { reservation, .. } => reservation.ip,
            ReservationChange::Delete { ip, .. } => *ip,
        }
    }

    /// The same change as an edit of a full config (the path without host_cmds).
    /// What [`edit_config`](Self::edit_config) needs to see whole: its own subnet (none for
    /// a global reservation).
    pub fn reach(&self) -> super::lean::Reach {
        let id = self.subnet_id();
        super::lean::Reach::Subnets(if id == 0 { vec![] } else { vec![id] })
    }

    pub fn edit_config(&self, cfg: &mut Value) -> Result<(), EditRefused> {
        let id = self.subnet_id();
        let ip = self.ip().to_string();
        // Subnet id 0 is Kea's name for the global reservations (Dhcp4.reservations).
        let s = if id == 0 {
            cfg.get_mut("Dhcp4").ok_or("no Dhcp4 object")?
        } else {
            super::semantic::subnet_mut(cfg, id)?
        };
        match self {
            ReservationChange::Put { reservation, .. } => {
                if !s["reservations"].is_array() {
                    s["reservations"] = json!([]);
                }
                let list = s["reservations"]
                    .as_array_mut()
                    .ok_or("no reservations list")?;
                list.retain(|x| x["ip-address"].as_str() != Some(&ip));
                list.push(reservation.to_json());
                Ok(())
            }
            ReservationChange::Delete { .. } => {
                let list = s["reservations"]
                    .as_array_mut()
                    .ok_or("the subnet has no reservations any more")?;
                let n = list.len();
                list.retain(|x| x["ip-address"].as_str() != Some(&ip));
                if list.len() == n {
                    return Err(EditRefused(format!(
                        "{ip} has no reservation on this server any more: reload"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// How a change reaches a server, for `ddish check` and the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePath {
    /// One command per change (host_cmds / subnet_cmds), then config-write.
    Commands,
    /// config-get, edit, config-test, config-set, config-write.
    ConfigEdit,
}

impl WritePath {
    pub fn label(self) -> &'static str {
        match self {
            WritePath::Commands => "commands",
            WritePath::ConfigEdit => "config edit",
        }
    }
}

/// The path for reservation changes on a server with these commands.
pub fn reservation_path(commands: &std::collections::BTreeSet<String>) -> WritePath {
    let has = |c: &str| commands.contains(c);
    if has("reservation-add") && has("reservation-del") && has("reservation-get") {
        WritePath::Commands
    } else {
        WritePath::ConfigEdit
    }
}

/// How ddish writes to a server with these commands, for `ddish check`: which changes go
/// by one command each and which by the config edit.
pub fn write_paths_label(commands: &[String]) -> String {
    let set: std::collections::BTreeSet<String> = commands.iter().cloned().collect();
    let subnets = set.contains("subnet4-update");
    match (reservation_path(&set), subnets) {
        (WritePath::Commands, true) => {
            "commands (reservations, subnet edits), config edit (rest)".into()
        }
        (WritePath::Commands, false) => "commands (reservations), config edit (rest)".into(),
        (WritePath::ConfigEdit, true) => "commands (subnet edits), config edit (rest)".into(),
        (WritePath::ConfigEdit, false) => WritePath::ConfigEdit.label().into(),
    }
}

/// What the caller knows of a server it is about to change by commands.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// Kea's hash (Kea >= 2.4) of the configuration the user acted on.
    pub hash: Option<String>,
    /// The reservation the user saw at the address (`Some(None)`: none), compared by who it
    /// is for (address, MAC, client-id, hostname) so a concurrent edit of it is not overwritten.
    pub reservation: Option<Option<Value>>,
}

/// The path reservation changes take on these servers: commands only when every peer has
/// host_cmds (an HA pair is changed one way, so both hold the same thing).
pub async fn reservation_write_path(clients: &[&KeaClient]) -> WritePath {
    for c in clients {
        match c.list_commands().await {
            Ok(cmds)
                if reservation_path(&cmds.iter().cloned().collect()) == WritePath::Commands => {}
            _ => return WritePath::ConfigEdit,
        }
    }
    WritePath::Commands
}

/// The reservation at `ip` in `subnet_id` as the server holds it, `None` when there is none.
async fn reservation_get(
    c: &KeaClient,
    subnet_id: u32,
    ip: Ipv4Addr,
) -> Result<Option<Value>, KeaError> {
    let args = json!({"subnet-id": subnet_id, "ip-address": ip.to_string()});
    let r = c.call("reservation-get", Some(args)).await?;
    Ok(if r.is_empty() { None } else { r.arguments })
}

/// A digest of what the server holds at `ip`: the reservation in `subnet_id` and the global
/// one. Two reservation-gets, cheap on any server, so a write's intent can tell afterwards
/// whether the address's reservations changed (Kea's config hash is rebuilt per request).
pub async fn host_fingerprint(
    c: &KeaClient,
    subnet_id: u32,
    ip: Ipv4Addr,
) -> Result<u64, KeaError> {
    let own = reservation_get(c, subnet_id, ip).await?;
    let global = reservation_get(c, 0, ip).await?;
    let both = serde_json::to_vec(&json!([
        own.as_ref().map(essence),
        global.as_ref().map(essence)
    ]))
    .unwrap_or_default();
    // FNV-1a: the digest is kept in an intent file and compared by whichever ddish build
    // runs next, so its algorithm must not change with the compiler (DefaultHasher may).
    Ok(both.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    }))
}

/// Where a reservation lives: `"database"` when a hosts database holds it, else `"memory"`
/// (the config file's hosts). A change of it, and putting it back, go to the same place: a
/// database host updated or restored "in memory" would move into the config file.
async fn home_of(c: &KeaClient, subnet_id: u32, ip: Ipv4Addr) -> &'static str {
    let args = json!({"subnet-id": subnet_id, "ip-address": ip.to_string(),
                      "operation-target": "database"});
    // Without a hosts database Kea answers "not found" (result 3).
    match c.call("reservation-get", Some(args)).await {
        Ok(r) if !r.is_empty() && r.arguments.is_some() => "database",
        _ => "memory",
    }
}

/// The fields of a reservation that say who it is for and what it is.
fn essence(r: &Value) -> Value {
    let s = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_ascii_lowercase())
    };
    json!({
        "ip-address": s("ip-address"),
        "hw-address": s("hw-address"),
        "client-id": s("client-id"),
        "hostname": s("hostname"),
        "ddish": r.pointer("/user-context/ddish").cloned(),
    })
}

/// Who a reservation is for, for the "changed since you read it" check.
fn identity(r: &Value) -> Value {
    let e = essence(r);
    json!([
        e["ip-address"],
        e["hw-address"],
        e["client-id"],
        e["hostname"]
    ])
}

/// host_cmds' reservation shape: the subnet entry plus `subnet-id`.
fn with_subnet(spec: &ReservationSpec, subnet_id: u32) -> Value {
    let mut r = spec.to_json();
    r["subnet-id"] = json!(subnet_id);
    r
}

/// Puts the server's reservation at the address back to `old` (None: none), where it lived
/// (`home`: "memory" or "database").
async fn put_back(
    c: &KeaClient,
    subnet_id: u32,
    ip: Ipv4Addr,
    old: &Option<Value>,
    home: &str,
) -> Result<(), KeaError> {
    let del = json!({"subnet-id": subnet_id, "ip-address": ip.to_string(),
                     "operation-target": "all"});
    match c.call("reservation-del", Some(del)).await {
        Ok(_) | Err(KeaError::Failed { .. }) => {}
        Err(e) => return Err(e),
    }
    if let Some(o) = old {
        let mut r = o.clone();
        r["subnet-id"] = json!(subnet_id);
        c.call(
            "reservation-add",
            Some(json!({"reservation": r, "operation-target": home})),
        )
        .await?;
    }
    c.call("config-write", None).await?;
    Ok(())
}

struct Done {
    old: Option<Value>,
    /// Where `old` lived ([`home_of`]).
    home: &'static str,
    started: Instant,
}

/// One server: check it still runs what the user saw, do the change in memory.
async fn apply_one(
    c: &KeaClient,
    expect: &Expect,
    change: &ReservationChange,
) -> Result<Done, WriteError> {
    let started = Instant::now();
    let server = c.server_name().to_string();
    let kea = |stage: &'static str, written: bool| {
        let server = server.clone();
        move |source| WriteError::Kea {
            server,
            stage,
            written,
            source,
        }
    };
    if let Some(want) = &expect.hash {
        let now = c
            .config_hash()
            .await
            .map_err(kea("read its configuration hash (config-hash-get)", false))?;
        if now
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case(want))
        {
            return Err(WriteError::Changed {
                server,
                what: "its config-hash-get differs from the configuration ddish read".into(),
            });
        }
    }
    let (subnet_id, ip) = (change.subnet_id(), change.ip());
    let old = reservation_get(c, subnet_id, ip)
        .await
        .map_err(kea("read the reservation (reservation-get)", false))?;
    if let Some(seen) = &expect.reservation {
        if old.as_ref().map(identity) != seen.as_ref().map(identity) {
            return Err(WriteError::Changed {
                server,
                what: format!("the reservation of {ip} changed since ddish read it"),
            });
        }
    }
    // A reservation is changed where it lives; a new one goes into memory (then config-write
    // puts it in the config file).
    let home = match &old {
        Some(_) => home_of(c, subnet_id, ip).await,
        None => "memory",
    };
    let at_home = |r: Value| Some(json!({"reservation": r, "operation-target": home}));
    // "all": the host goes wherever it is, the config's hosts or a hosts database (a
    // reservation ddish shows may live in either; without a database "all" is memory).
    let del_args = json!({"subnet-id": subnet_id, "ip-address": ip.to_string(),
                          "operation-target": "all"});
    super::progress::step("reservation change", c.server_name());
    let result: Result<(), (&'static str, KeaError)> = match change {
        ReservationChange::Put { reservation, .. } => {
            let new = with_subnet(reservation, subnet_id);
            let add = |v: Value| async move {
                c.call("reservation-add", at_home(v))
                    .await
                    .map(|_| ())
                    .map_err(|e| ("reservation-add", e))
            };
            match &old {
                None => add(new).await,
                // reservation-update finds the host by its identifier: only for the same
                // client. A new MAC or client-id is a delete and an add.
                Some(o) if who(o) == who(&new) => {
                    match c.call("reservation-update", at_home(new.clone())).await {
                        Ok(_) => Ok(()),
                        Err(KeaError::Unsupported { .. }) => {
                            match c.call("reservation-del", Some(del_args.clone())).await {
                                Ok(_) => add(new).await,
                                Err(e) => Err(("reservation-del", e)),
                            }
                        }
                        Err(e) => Err(("reservation-update", e)),
                    }
                }
                Some(_) => match c.call("reservation-del", Some(del_args.clone())).await {
                    Ok(_) => add(new).await,
                    Err(e) => Err(("reservation-del", e)),
                },
            }
        }
        ReservationChange::Delete { .. } => {
            match (&old, &expect.reservation) {
                (Some(_), _) => {}
                // A peer the user did not look at that has none (HA peers sharing one hosts
                // database: the first peer's delete took it out for both): nothing to do.
                (None, None) => return Ok(Done { old, home, started }),
                (None, Some(_)) => {
                    return Err(WriteError::Refused {
                        server,
                        reason: format!("{ip} has no reservation on this server any more: reload"),
                    })
                }
            }
            c.call("reservation-del", Some(del_args.clone()))
                .await
                .map(|_| ())
                .map_err(|e| ("reservation-del", e))
        }
    };
    match result {
        Ok(()) => Ok(Done { old, home, started }),
        Err((command, e)) => {
            // A refused command changes nothing, but a del may have come before it.
            let restored = put_back_if_changed(c, subnet_id, ip, &old, home)
                .await
                .is_ok();
            match e {
                KeaError::Failed { text, .. } if restored => Err(WriteError::CommandRefused {
                    server,
                    command,
                    text,
                }),
                e => Err(WriteError::CommandFailed {
                    server,
                    command,
                    text: match e {
                        KeaError::Failed { text, .. } => text,
                        e => e.to_string(),
                    },
                    restored,
                }),
            }
        }
    }
}

/// The identifier a reservation is for (host_cmds finds hosts by it).
fn who(r: &Value) -> Value {
    let e = essence(r);
    json!([e["hw-address"], e["client-id"]])
}

async fn put_back_if_changed(
    c: &KeaClient,
    subnet_id: u32,
    ip: Ipv4Addr,
    old: &Option<Value>,
    home: &str,
) -> Result<(), KeaError> {
    let now = reservation_get(c, subnet_id, ip).await?;
    if now.as_ref().map(essence) == old.as_ref().map(essence) {
        return Ok(());
    }
    put_back(c, subnet_id, ip, old, home).await
}

/// config-write, then read the reservation back and compare.
async fn finish_one(
    c: &KeaClient,
    change: &ReservationChange,
    done: &Done,
) -> Result<WriteOutcome, WriteError> {
    let server = c.server_name().to_string();
    let (subnet_id, ip) = (change.subnet_id(), change.ip());
    let write = c.call("config-write", None).await;
    let want = match change {
        ReservationChange::Put { reservation, .. } => Some(essence(&reservation.to_json())),
        ReservationChange::Delete { .. } => None,
    };
    let (after, verify_note) = match reservation_get(c, subnet_id, ip).await {
        Ok(now) => {
            let note = (now.as_ref().map(essence) != want)
                .then(|| format!("read back, the reservation of {ip} is not what was written"));
            (now, note)
        }
        Err(e) => (
            None,
            Some(format!("could not read the reservation back: {e}")),
        ),
    };
    let outcome = WriteOutcome {
        server: server.clone(),
        written: true,
        summary: json!({"reservations": {"subnet-id": subnet_id, "ip-address": ip.to_string()}}),
        before: done.old.clone().unwrap_or(Value::Null),
        after: after.unwrap_or(Value::Null),
        persisted: write.is_ok(),
        verified: verify_note.is_none(),
        verify_note,
        duration: done.started.elapsed(),
    };
    match write {
        Ok(_) => Ok(outcome),
        Err(e) => Err(WriteError::NotPersisted {
            server,
            text: match e {
                KeaError::Failed { text, .. } => text,
                e => e.to_string(),
            },
            outcome: Box::new(outcome),
        }),
    }
}

/// Makes `change` by host_cmds on every server in `clients` (an HA pair, write order) and
/// returns each one's outcome in that order: a failing peer takes the earlier ones back.
pub async fn reservation_by_commands(
    clients: &[&KeaClient],
    expect: &[Expect],
    change: &ReservationChange,
) -> Vec<(String, Result<WriteOutcome, WriteError>)> {
    let names: Vec<String> = clients
        .iter()
        .map(|c| c.server_name().to_string())
        .collect();
    let mut done: Vec<Done> = Vec::new();
    let none = Expect::default();
    for (i, c) in clients.iter().enumerate() {
        match apply_one(c, expect.get(i).unwrap_or(&none), change).await {
            Ok(d) => done.push(d),
            Err(e) => {
                let reason = e.to_string();
                let mut out = Vec::new();
                for (j, d) in done.iter().enumerate() {
                    let back =
                        put_back(clients[j], change.subnet_id(), change.ip(), &d.old, d.home).await;
                    out.push((
                        names[j].clone(),
                        Err(WriteError::Undone {
                            server: names[j].clone(),
                            peer: names[i].clone(),
                            restored: back.is_ok(),
                            restore_error: back.err().map(|e| e.to_string()),
                        }),
                    ));
                }
                out.push((names[i].clone(), Err(e)));
                for n in &names[i + 1..] {
                    out.push((
                        n.clone(),
                        Err(WriteError::PeerFailed {
                            server: n.clone(),
                            peer: names[i].clone(),
                            reason: reason.clone(),
                        }),
                    ));
                }
                return out;
            }
        }
    }
    let mut out = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        out.push((names[i].clone(), finish_one(c, change, &done[i]).await));
    }
    out
}

#[cfg(test)]
mod tests;
