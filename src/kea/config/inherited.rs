//! The option values a scope inherits and the server's option definitions (for the
//! review's redundant- and unknown-option checks).
use serde_json::Value;

use crate::model::OptionData;

/// The option values scopes inherit, from `{"Dhcp4": ...}` (the outline will do): the
/// server's `option-data` and each shared network's.
pub fn inherited_options(config: &Value) -> crate::model::review::Inherited {
    let list = |v: Option<&Value>| -> Vec<OptionData> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|o| OptionData {
                name: o.get("name").and_then(Value::as_str).map(str::to_string),
                code: o
                    .get("code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok()),
                data: o
                    .get("data")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                always_send: o
                    .get("always-send")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
            .collect()
    };
    let d = config.get("Dhcp4");
    let shared = d
        .and_then(|d| d.get("shared-networks"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| {
            Some((
                n.get("name")?.as_str()?.to_string(),
                list(n.get("option-data")),
            ))
        })
        .collect();
    crate::model::review::Inherited {
        global: list(d.and_then(|d| d.get("option-data"))),
        shared,
        defined: d
            .map(crate::model::option_defs::CustomOptionDef::list_from)
            .unwrap_or_default(),
    }
}
