//! The running configuration as text an admin edits (`ddish config show|edit`): secrets
//! masked on the way out and put back on the way in, the edit as a list of changes at JSON
//! pointers, and those changes applied to an HA peer only where the peer holds exactly
//! what the edited server held (never to a different subnet at the same index).
use serde_json::{Map, Value};

use super::write::EditRefused;

/// What a secret reads as in `show` and in the editor.
pub const MASK: &str = "********";

/// Keys whose string values are secrets (HA peers' and the agent's basic auth, TLS keys'
/// passwords, database passwords).
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k == "secret"
}

/// A changed value as a diff shows it: compact JSON with secrets masked (a secret itself
/// as [`MASK`]).
pub fn shown_at(path: &str, v: &Value) -> String {
    let key = path.rsplit('/').next().unwrap_or_default();
    if v.is_string() && is_secret(&unescape(key)) {
        return MASK.into();
    }
    masked(v).to_string()
}

/// A copy with every secret replaced by [`MASK`].
pub fn masked(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if is_secret(k) && v.is_string() {
                        Value::String(MASK.into())
                    } else {
                        masked(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// `edited` with every [`MASK`] still standing where `base` had a secret put back: the
/// admin left it alone. A mask where `base` had none is refused (a secret cannot be typed
/// as the mask).
pub fn unmasked(edited: &Value, base: &Value, at: &str) -> Result<Value, EditRefused> {
    match edited {
        Value::String(s) if s == MASK => match base {
            Value::String(b) => Ok(Value::String(b.clone())),
            _ => Err(EditRefused(format!(
                "{at} reads {MASK} but no secret was there: type the value itself"
            ))),
        },
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let b = base.get(k).unwrap_or(&Value::Null);
                out.insert(k.clone(), unmasked(v, b, &format!("{at}/{}", escape(k)))?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, v) in a.iter().enumerate() {
                let b = base.get(i).unwrap_or(&Value::Null);
                out.push(unmasked(v, b, &format!("{at}/{i}"))?);
            }
            Ok(Value::Array(out))
        }
        other => Ok(other.clone()),
    }
}

/// One change at a JSON pointer: `before` is what the edited server held there (`None`:
/// nothing), `after` what it holds now (`None`: removed).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The list element the change is inside (the deepest one) and what it held before
    /// the edit: a peer gets the change only where it holds that same element there.
    pub within: Option<(String, Value)>,
}

/// The changes from `base` to `edited`, as small as objects allow: an object is compared
/// key by key, an array element by element when the length stayed, else as a whole.
pub fn changes(base: &Value, edited: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at("", base, edited, None, &mut out);
    out
}

fn diff_at(
    path: &str,
    a: &Value,
    b: &Value,
    within: Option<(&str, &Value)>,
    out: &mut Vec<Change>,
) {
    let change = |path: String, before: Option<&Value>, after: Option<&Value>| Change {
        path,
        before: before.cloned(),
        after: after.cloned(),
        within: within.map(|(p, v)| (p.to_string(), v.clone())),
    };
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}/{}", escape(k));
                match y.get(k) {
                    Some(vb) => diff_at(&p, va, vb, within, out),
                    None => out.push(change(p, Some(va), None)),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(change(format!("{path}/{}", escape(k)), None, Some(vb)));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let p = format!("{path}/{i}");
                diff_at(&p, va, vb, Some((&p, va)), out);
            }
        }
        _ => out.push(change(path.to_string(), Some(a), Some(b))),
    }
}

/// RFC 6901 escaping of one key.
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn unescape(k: &str) -> String {
    k.replace("~1", "/").replace("~0", "~")
}

/// Applies `changes` to `config` (a peer's), each only where the peer holds what the
/// edited server held before: otherwise nothing is applied and the refusal names the path.
pub fn apply_changes(
    config: &mut Value,
    changes: &[Change],
    peer: &str,
) -> Result<(), EditRefused> {
    for c in changes {
        let same_element = c
            .within
            .as_ref()
            .is_none_or(|(p, v)| config.pointer(p) == Some(v));
        if !same_element || config.pointer(&c.path) != c.before.as_ref() {
            return Err(EditRefused(format!(
                "{peer} holds something else at {}: edit it on its own, or make the peers' \
                 configurations the same first",
                c.path
            )));
        }
    }
    for c in changes {
        let (parent, key) = match c.path.rsplit_once('/') {
            Some((p, k)) => (p, unescape(k)),
            None => ("", String::new()),
        };
        if c.path.is_empty() {
            if let Some(a) = &c.after {
                *config = a.clone();
            }
            continue;
        }
        let Some(target) = config.pointer_mut(parent) else {
            return Err(EditRefused(format!("{peer} has no {parent}")));
        };
        match (target, &c.after) {
            (Value::Object(m), Some(a)) => {
                m.insert(key, a.clone());
            }
            (Value::Object(m), None) => {
                m.remove(&key);
            }
            (Value::Array(v), Some(a)) => match key.parse::<usize>() {
                Ok(i) if i < v.len() => v[i] = a.clone(),
                _ => return Err(EditRefused(format!("{peer}: no element {}", c.path))),
            },
            _ => {
                return Err(EditRefused(format!(
                    "{peer}: cannot change {} there",
                    c.path
                )))
            }
        }
    }
    Ok(())
}

/// The part of `config` at `section`: a JSON pointer (`/Dhcp4/subnet4/0`) or dotted
/// (`Dhcp4.subnet4.0`); a path that does not start at `Dhcp4` is looked up under it.
pub fn section<'a>(config: &'a Value, section: &str) -> Option<&'a Value> {
    let p = if section.starts_with('/') {
        section.to_string()
    } else {
        format!("/{}", section.replace('.', "/"))
    };
    config
        .pointer(&p)
        .or_else(|| config.pointer(&format!("/Dhcp4{p}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> Value {
        json!({"Dhcp4": {
            "valid-lifetime": 3600,
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}, {"id": 2, "subnet": "10.0.1.0/24"}],
            "hooks-libraries": [{"library": "ha.so", "parameters": {"high-availability": [{
                "peers": [{"name": "a", "basic-auth-password": "pw-a"}]}]}}]
        }})
    }

    #[test]
    fn secrets_are_masked_and_come_back_unless_changed() {
        let c = cfg();
        let m = masked(&c);
        assert!(!m.to_string().contains("pw-a"), "{m}");
        assert!(m.to_string().contains(MASK));
        assert_eq!(
            unmasked(&m, &c, "").unwrap(),
            c,
            "left alone: the secret comes back"
        );
        let mut typed = m.clone();
        *typed.pointer_mut("/Dhcp4/hooks-libraries/0/parameters/high-availability/0/peers/0/basic-auth-password").unwrap() = json!("new");
        assert!(unmasked(&typed, &c, "")
            .unwrap()
            .to_string()
            .contains("\"new\""));
        let mut bogus = c.clone();
        bogus["Dhcp4"]["valid-lifetime"] = json!(MASK);
        let e = unmasked(&bogus, &c, "").unwrap_err();
        assert!(e.0.contains("/Dhcp4/valid-lifetime"), "{e}");
    }

    #[test]
    fn changes_are_small_and_apply_only_where_the_peer_matches() {
        let base = cfg();
        let mut edited = base.clone();
        edited["Dhcp4"]["valid-lifetime"] = json!(4000);
        edited["Dhcp4"]["subnet4"][1]["comment"] = json!("lab");
        edited["Dhcp4"]
            .as_object_mut()
            .unwrap()
            .insert("renew-timer".into(), json!(900));
        let ch = changes(&base, &edited);
        let paths: Vec<&str> = ch.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/Dhcp4/subnet4/1/comment",
                "/Dhcp4/valid-lifetime",
                "/Dhcp4/renew-timer"
            ]
        );
        // A peer with the same subnets gets the same result.
        let mut peer = base.clone();
        apply_changes(&mut peer, &ch, "kea-2").unwrap();
        assert_eq!(peer, edited);
        // A peer whose second subnet is another one is refused, untouched.
        let mut other = base.clone();
        other["Dhcp4"]["subnet4"][1] = json!({"id": 7, "subnet": "10.9.9.0/24"});
        let before = other.clone();
        let e = apply_changes(&mut other, &ch, "kea-2").unwrap_err();
        assert!(
            e.0.contains("kea-2") && e.0.contains("/Dhcp4/subnet4/1/comment"),
            "{e}"
        );
        assert_eq!(other, before);
        // A list whose length changed is one change, applied only to the same list.
        let mut grown = base.clone();
        grown["Dhcp4"]["subnet4"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": 3, "subnet": "10.0.2.0/24"}));
        let ch = changes(&base, &grown);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].path, "/Dhcp4/subnet4");
        let mut peer = base.clone();
        apply_changes(&mut peer, &ch, "kea-2").unwrap();
        assert_eq!(peer, grown);
    }

    #[test]
    fn sections_by_pointer_or_dots() {
        let c = cfg();
        assert_eq!(section(&c, "/Dhcp4/valid-lifetime"), Some(&json!(3600)));
        assert_eq!(section(&c, "Dhcp4.subnet4.1.id"), Some(&json!(2)));
        assert_eq!(section(&c, "subnet4.0.id"), Some(&json!(1)));
        assert_eq!(section(&c, "nothing.here"), None);
    }
}
