//! Networks and containers: create, edit, turn into a container, delete.

use ipnet::Ipv4Net;
use serde_json::json;

use crate::config::Role;
use crate::kea::marks::*;
use crate::kea::subnet_json::*;
use crate::model::NetworkKind;
use crate::ops::actions::ActionOutcome;
use crate::ops::{OpError, Session};

use super::rules::*;
use super::*;

impl Session {
    // ---- networks and containers ----

    /// Creates a network or container at `cidr`. A new network lists the server's subnets
    /// inside it as its scopes.
    pub async fn create_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
        kind: NetworkKind,
        title: Option<String>,
        description: Option<String>,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Role::Admin, "network create").await?;
        let (raw, nets) = self.layout_base(server).await?;
        check_network_place(&nets, cidr, kind).map_err(refused)?;
        let inside: Vec<Ipv4Net> = all_subnets(&raw)
            .iter()
            .filter_map(|s| subnet_cidr(s))
            .filter(|c| cidr.contains(c))
            .collect();
        // Subnets not already inside a network the new container would hold.
        let loose: Vec<Ipv4Net> = inside
            .iter()
            .filter(|c| {
                !nets
                    .iter()
                    .any(|n| cidr.contains(&n.cidr) && n.cidr.contains(*c))
            })
            .copied()
            .collect();
        if kind == NetworkKind::Container && !loose.is_empty() {
            return Err(refused(format!(
                "{cidr} holds the scope(s) {}, and a container holds only networks: \
                 create a network instead",
                list(&loose)
            )));
        }
        let inside = if kind == NetworkKind::Network {
            inside
        } else {
            Vec::new()
        };
        let mut entry = json!({"cidr": cidr.to_string(), "kind": kind_word(kind),
                               "scopes": inside.iter().map(|c| c.to_string()).collect::<Vec<_>>()});
        if let Some(t) = title.as_deref().filter(|t| !t.is_empty()) {
            entry["title"] = json!(t);
        }
        if let Some(d) = description.as_deref().filter(|d| !d.is_empty()) {
            entry["description"] = json!(d);
        }
        let peers = self.peers(server).await?;
        let e2 = entry.clone();
        self.layout_write(
            server,
            &peers,
            &[],
            &format!("{}-create", kind_word(kind)),
            None,
            entry,
            format!("{} {cidr} created", kind_word(kind)),
            move |cfg| {
                let list = networks_mut(cfg)?;
                if network_entry_mut(list, &cidr).is_some() {
                    return Err(crate::kea::EditRefused(format!("{cidr} already exists")));
                }
                list.push(e2.clone());
                Ok(())
            },
        )
        .await
    }

    /// Changes a network's title and description (`Some("")` clears).
    pub async fn edit_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
        title: Option<String>,
        description: Option<String>,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Role::Admin, "network edit").await?;
        let (_, nets) = self.layout_base(server).await?;
        network_of(&nets, &cidr)?;
        let peers = self.peers(server).await?;
        let after = json!({"cidr": cidr.to_string(), "title": title, "description": description});
        self.layout_write(
            server,
            &peers,
            &[],
            "network-edit",
            None,
            after,
            format!("{cidr} changed"),
            move |cfg| {
                let n = network_mut(cfg, &cidr)?;
                for (k, v) in [("title", &title), ("description", &description)] {
                    match v.as_deref() {
                        None => {}
                        Some("") => {
                            if let Some(o) = n.as_object_mut() {
                                o.remove(k);
                            }
                        }
                        Some(s) => n[k] = json!(s),
                    }
                }
                Ok(())
            },
        )
        .await
    }

    /// Turns a network into a container; refused while it holds scopes.
    pub async fn network_to_container(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self
            .writing(server, Role::Admin, "network to container")
            .await?;
        let (raw, nets) = self.layout_base(server).await?;
        let n = network_of(&nets, &cidr)?;
        if n.kind == NetworkKind::Container {
            return Err(refused(format!("{cidr} is already a container")));
        }
        let held = scopes_held(&raw, &n);
        if !held.is_empty() {
            return Err(refused(format!(
                "{cidr} holds the scope(s) {}, and a container holds only networks: \
                 delete or move them first",
                list(&held)
            )));
        }
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "network-to-container",
            None,
            json!({"cidr": cidr.to_string(), "kind": "container"}),
            format!("{cidr} is now a container"),
            move |cfg| {
                let n = network_mut(cfg, &cidr)?;
                n["kind"] = json!("container");
                if let Some(o) = n.as_object_mut() {
                    o.remove("scopes");
                }
                Ok(())
            },
        )
        .await
    }

    /// Deletes a network (refused while it holds scopes, listing them) or a container
    /// (refused while it holds networks).
    pub async fn delete_network(
        &self,
        server: &str,
        cidr: Ipv4Net,
    ) -> Result<ActionOutcome, OpError> {
        let _lock = self.writing(server, Role::Admin, "network delete").await?;
        let (raw, nets) = self.layout_base(server).await?;
        let n = network_of(&nets, &cidr)?;
        match n.kind {
            NetworkKind::Network => {
                let held = scopes_held(&raw, &n);
                if !held.is_empty() {
                    return Err(refused(format!(
                        "network {cidr} still holds the scope(s) {}: delete them (or forget \
                         missing ones) first",
                        list(&held)
                    )));
                }
                if !n.claims.is_empty() {
                    return Err(refused(format!(
                        "network {cidr} still holds claimed addresses ({}): unclaim them first",
                        n.claims
                            .iter()
                            .map(|c| c.ip.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            NetworkKind::Container => {
                let kids: Vec<Ipv4Net> = nets
                    .iter()
                    .filter(|x| x.cidr != cidr && cidr.contains(&x.cidr))
                    .map(|x| x.cidr)
                    .collect();
                if !kids.is_empty() {
                    return Err(refused(format!(
                        "container {cidr} still holds {}: delete them first",
                        list(&kids)
                    )));
                }
            }
        }
        let peers = self.peers(server).await?;
        self.layout_write(
            server,
            &peers,
            &[],
            "network-delete",
            None,
            json!({"cidr": cidr.to_string()}),
            format!("{} {cidr} deleted", kind_word(n.kind)),
            move |cfg| {
                let list = networks_mut(cfg)?;
                let before = list.len();
                list.retain(|x| {
                    x["cidr"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()) != Some(cidr)
                });
                if list.len() == before {
                    return Err(crate::kea::EditRefused(format!(
                        "{cidr} is no longer on this server: reload"
                    )));
                }
                Ok(())
            },
        )
        .await
    }
}
