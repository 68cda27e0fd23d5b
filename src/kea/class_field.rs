//! The client class of a subnet, pool or shared network, in either of Kea's two spellings.
//!
//! Kea 2.2/2.6 take one class as `"client-class": "name"`. Kea 3.0 replaced it by a list,
//! `"client-classes": ["name", ...]` (the object is selected for a client in ANY of them),
//! still accepts the old key, returns the list from config-get, and refuses an object with
//! both ("cannot specify both 'client-class' and 'client-classes'", verified on 3.0.4). So a
//! change keeps whichever spelling the object came with.
use serde_json::{json, Value};

const ONE: &str = "client-class";
const LIST: &str = "client-classes";

/// Every class the object is limited to, in either spelling; empty names skipped.
pub fn classes_of(o: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    if let Some(c) = o[ONE].as_str() {
        out.push(c);
    }
    for c in o[LIST].as_array().into_iter().flatten() {
        if let Some(c) = c.as_str() {
            out.push(c);
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Whether the object is limited to class `name`.
pub fn has_class(o: &Value, name: &str) -> bool {
    classes_of(o).contains(&name)
}

/// Limits the object to exactly `class` (or to none), in the spelling it already uses:
/// the list where the object has one (Kea 3.0), else the single key.
pub fn set_class(o: &mut Value, class: Option<&str>) {
    let Some(map) = o.as_object_mut() else {
        return;
    };
    let list = map.contains_key(LIST);
    map.remove(ONE);
    map.remove(LIST);
    match (class, list) {
        (Some(c), true) => {
            map.insert(LIST.into(), json!([c]));
        }
        (Some(c), false) => {
            map.insert(ONE.into(), json!(c));
        }
        // 3.0 config-get prints an empty list for "no class"; keep that spelling.
        (None, true) => {
            map.insert(LIST.into(), json!([]));
        }
        (None, false) => {}
    }
}

/// Drops the classes for which `drop` is true, keeping the rest and the spelling.
pub fn remove_classes(o: &mut Value, drop: impl Fn(&str) -> bool) {
    let Some(map) = o.as_object_mut() else {
        return;
    };
    if map.get(ONE).and_then(Value::as_str).is_some_and(&drop) {
        map.remove(ONE);
    }
    if let Some(l) = map.get_mut(LIST).and_then(Value::as_array_mut) {
        l.retain(|c| !c.as_str().is_some_and(&drop));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings() {
        assert_eq!(classes_of(&json!({"client-class": "a"})), vec!["a"]);
        assert_eq!(
            classes_of(&json!({"client-classes": ["a", "b"]})),
            vec!["a", "b"]
        );
        assert!(classes_of(&json!({"client-class": ""})).is_empty());
        assert!(classes_of(&json!({"pool": "x"})).is_empty());
        assert!(has_class(&json!({"client-classes": ["never"]}), "never"));
        assert!(!has_class(&json!({"client-classes": []}), "never"));
    }

    #[test]
    fn set_keeps_the_spelling_and_never_writes_both() {
        let mut old = json!({"pool": "p", "client-class": "HA_a"});
        set_class(&mut old, Some("HA_b"));
        assert_eq!(old, json!({"pool": "p", "client-class": "HA_b"}));
        set_class(&mut old, None);
        assert_eq!(old, json!({"pool": "p"}));

        let mut new = json!({"pool": "p", "client-classes": ["HA_a"]});
        set_class(&mut new, Some("HA_b"));
        assert_eq!(new, json!({"pool": "p", "client-classes": ["HA_b"]}));
        set_class(&mut new, None);
        assert_eq!(new, json!({"pool": "p", "client-classes": []}));

        let mut bare = json!({"pool": "p"});
        set_class(&mut bare, Some("never"));
        assert_eq!(bare, json!({"pool": "p", "client-class": "never"}));
    }

    #[test]
    fn remove_keeps_other_classes() {
        let mut o = json!({"client-classes": ["HA_a", "voip"]});
        remove_classes(&mut o, |c| c.starts_with("HA_"));
        assert_eq!(o, json!({"client-classes": ["voip"]}));
        let mut o = json!({"client-class": "HA_a"});
        remove_classes(&mut o, |c| c.starts_with("HA_"));
        assert_eq!(o, json!({}));
        let mut o = json!({"client-class": "voip"});
        remove_classes(&mut o, |c| c.starts_with("HA_"));
        assert_eq!(o, json!({"client-class": "voip"}));
    }
}
