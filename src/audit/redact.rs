//! Masks secrets in JSON before it reaches the journal.
use serde_json::Value;

const MASK: &str = "***";

/// Replaces the value of every object key (at any depth) that names a password, secret or
/// key (TSIG key material) with `"***"`. `key_name` / `key-name` is an identifier, not
/// material, and is kept.
pub fn redact(mut v: Value) -> Value {
    redact_in_place(&mut v);
    v
}

fn redact_in_place(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if is_secret_key(k) {
                    *val = Value::String(MASK.to_string());
                } else {
                    redact_in_place(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_in_place),
        _ => {}
    }
}

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase().replace('-', "_");
    if k == "key_name" || k == "keyname" {
        return false;
    }
    k.contains("password") || k.contains("secret") || k.contains("key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_at_any_depth_and_keeps_key_name() {
        let v = json!({
            "user": "admin",
            "Password": "hunter2",
            "zones": [{"name": "example.test", "key_name": "ddish-key", "key-name": "k2",
                       "tsig_key": {"algorithm": "hmac-sha256", "secret": "c2VjcmV0"}}],
            "nested": {"deeper": {"api-secret-file": "/etc/x", "count": 3}}
        });
        let r = redact(v);
        assert_eq!(r["user"], "admin");
        assert_eq!(r["Password"], "***");
        assert_eq!(r["zones"][0]["name"], "example.test");
        assert_eq!(r["zones"][0]["key_name"], "ddish-key");
        assert_eq!(r["zones"][0]["key-name"], "k2");
        assert_eq!(r["zones"][0]["tsig_key"], "***");
        assert_eq!(r["nested"]["deeper"]["api-secret-file"], "***");
        assert_eq!(r["nested"]["deeper"]["count"], 3);
    }

    #[test]
    fn scalars_and_plain_values_pass_through() {
        assert_eq!(redact(json!("password")), json!("password"));
        assert_eq!(redact(json!([1, {"a": 2}])), json!([1, {"a": 2}]));
    }
}
