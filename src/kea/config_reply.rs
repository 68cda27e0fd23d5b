//! A config-get reply kept as its bytes and read as each use needs: the IPAM model (typed,
//! small), the HA hook's parameters alone, or the whole `{"Dhcp4": ...}` as a `Value` for a
//! write. On a 10,000-subnet server the body is ~9 MB and its `Value` ~100 MB: an action that
//! only looks up a scope or its HA partner never builds the `Value`.
use serde::Deserialize;
use serde_json::{json, Value};

use super::config::{config_arguments, config_digest, parse_config_body, KeaConfig};
use super::error::KeaError;
use super::ha::{ha_peers, HaPeer};
use super::lean::{LeanConfig, Reach};
use super::reply::decode;

pub struct ConfigReply {
    body: bytes::Bytes,
    /// [`config_digest`] of the body.
    pub digest: u64,
    /// Kea's own hash of the config (config-get's top-level `hash`, Kea >= 2.4): what
    /// config-hash-get answers while nothing changed.
    pub hash: Option<String>,
}

#[derive(Deserialize)]
struct HooksArgs {
    #[serde(rename = "Dhcp4")]
    dhcp4: Option<HooksDhcp4>,
    hash: Option<String>,
}

#[derive(Deserialize)]
struct HooksDhcp4 {
    #[serde(rename = "hooks-libraries", default)]
    hooks: Value,
}

impl ConfigReply {
    /// Checks the envelope and reads the hash; the rest waits until asked for.
    pub fn new(body: impl Into<bytes::Bytes>) -> Result<ConfigReply, KeaError> {
        let body = body.into();
        let hash = Self::hooks_args(&body)?.hash;
        Ok(ConfigReply {
            digest: config_digest(&body),
            body,
            hash,
        })
    }

    fn hooks_args(body: &[u8]) -> Result<HooksArgs, KeaError> {
        decode::<HooksArgs>(body, "config-get")?
            .arguments
            .ok_or_else(|| KeaError::malformed("config-get gave no configuration"))
    }

    /// The IPAM view (scopes, networks).
    pub fn model(&self) -> Result<KeaConfig, KeaError> {
        parse_config_body(&self.body)
    }

    /// `{"Dhcp4": {...}}` whole, as a write starts from it (without `hash`).
    pub fn value(&self) -> Result<Value, KeaError> {
        config_arguments(&self.body)
    }

    /// `{"Dhcp4": {...}}` for a write, the subnets out of `reach` held as text.
    pub fn lean(&self, reach: &Reach) -> Result<LeanConfig, KeaError> {
        LeanConfig::from_body(&self.body, reach, None)
    }

    /// [`lean`](Self::lean), sharing the text of every subnet that `known` holds unchanged:
    /// a read-back after a write costs the subnets that changed, not a second copy.
    pub fn lean_beside(&self, reach: &Reach, known: &LeanConfig) -> Result<LeanConfig, KeaError> {
        LeanConfig::from_body(&self.body, reach, Some(known))
    }

    /// The whole config with each subnet as `{"id", "subnet"}` only ([`LeanConfig::outline`]).
    pub fn outline(&self) -> Result<Value, KeaError> {
        Ok(self.lean(&Reach::Subnets(Vec::new()))?.outline())
    }

    /// The first subnet `pick` chooses by its `{"id", "subnet"}`, whole; the others are
    /// never parsed into values.
    pub fn subnet_where(&self, pick: impl Fn(&Value) -> bool) -> Result<Option<Value>, KeaError> {
        self.lean(&Reach::Subnets(Vec::new()))?.find_subnet(pick)
    }

    /// `{"Dhcp4": {"hooks-libraries": [...]}}`: all that the HA set-up is read from.
    pub fn hooks(&self) -> Result<Value, KeaError> {
        let hooks = Self::hooks_args(&self.body)?
            .dhcp4
            .map_or(Value::Null, |d| d.hooks);
        Ok(json!({"Dhcp4": {"hooks-libraries": hooks}}))
    }

    /// The HA partners the config names.
    pub fn ha_peers(&self) -> Result<Vec<HaPeer>, KeaError> {
        Ok(ha_peers(&self.hooks()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(args: Value) -> Vec<u8> {
        serde_json::to_vec(&json!([{"result": 0, "arguments": args}])).unwrap()
    }

    #[test]
    fn each_reading_agrees_with_the_whole_value() {
        let args = json!({"Dhcp4": {
            "hooks-libraries": [{"library": "/x/libdhcp_ha.so", "parameters": {"high-availability": [{
                "this-server-name": "a", "mode": "load-balancing",
                "peers": [{"name": "a", "url": "http://127.0.0.1:1/", "role": "primary"},
                          {"name": "b", "url": "http://127.0.0.1:2/", "role": "secondary"}]}]}}],
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10-10.0.0.20"}]}]},
            "hash": "ABC"});
        let r = ConfigReply::new(body(args.clone())).unwrap();
        assert_eq!(r.hash.as_deref(), Some("ABC"));
        let mut whole = args.clone();
        whole.as_object_mut().unwrap().remove("hash");
        assert_eq!(r.value().unwrap(), whole);
        assert_eq!(r.ha_peers().unwrap(), ha_peers(&whole));
        assert_eq!(r.ha_peers().unwrap().len(), 1);
        assert_eq!(r.model().unwrap().scopes.len(), 1);
        assert_eq!(r.digest, config_digest(&body(args)));
    }

    #[test]
    fn without_hooks_or_hash() {
        let r = ConfigReply::new(body(json!({"Dhcp4": {}}))).unwrap();
        assert!(r.hash.is_none());
        assert!(r.ha_peers().unwrap().is_empty());
        assert!(ConfigReply::new(b"[{\"result\": 1, \"text\": \"no\"}]".to_vec()).is_err());
    }
}
