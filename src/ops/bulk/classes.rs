//! Client classes across servers: what each server has, and what uses each class.

use serde_json::Value;

use crate::ops::{OpError, Session};

use super::*;

/// A `client-classes` entry as a [`ClassInfo`], with what uses it in `d` (Dhcp4).
pub(super) fn class_info(c: &Value, d: &Value) -> Option<ClassInfo> {
    let name = c["name"].as_str()?.to_string();
    let options = c["option-data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let n = o["name"]
                .as_str()
                .map(str::to_string)
                .or_else(|| o["code"].as_u64().map(|c| c.to_string()))
                .unwrap_or_default();
            (n, o["data"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    Some(ClassInfo {
        used_by: edit::class_users(d, &name),
        name,
        test: c["test"].as_str().map(str::to_string),
        options,
    })
}

/// The client classes in a config-get `{"Dhcp4": ...}`.
pub fn classes_of(cfg: &Value) -> Vec<ClassInfo> {
    let d = &cfg["Dhcp4"];
    d["client-classes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| class_info(c, d))
        .collect()
}

impl Session {
    /// The client classes of `server`, with what uses each.
    pub async fn classes(&self, server: &str) -> Result<Vec<ClassInfo>, OpError> {
        let raw = self.client(server)?.config_get_raw().await?;
        Ok(classes_of(&raw))
    }
}
