//! A change of the global client classes sent as class_cmds (`class-add`, `class-update`,
//! `class-del`) instead of a config-set, where the server has them (Kea 3.0 ships class_cmds).
//!
//! Kea evaluates classes in list order and `class-add` appends, so the commands only stand
//! for a change that keeps the existing classes in their order and adds new ones at the end;
//! anything else (a class inserted before others) goes by the config edit.
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::client::KeaClient;
use super::error::KeaError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum ClassChange {
    Add(Value),
    /// (new, old)
    Update(Value, Value),
    /// (name, old: what `class-add` puts back)
    Del(String, Value),
}

impl ClassChange {
    pub fn name(&self) -> &str {
        match self {
            ClassChange::Add(c) | ClassChange::Update(c, _) => c["name"].as_str().unwrap_or(""),
            ClassChange::Del(n, _) => n,
        }
    }
}

fn list(d: &Value) -> Vec<&Value> {
    d.get("client-classes")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

fn name(c: &Value) -> Option<&str> {
    c.get("name")?.as_str()
}

/// The class commands that make `before`'s Dhcp4 classes into `after`'s; `Some(vec![])`
/// when they are the same, `None` when commands cannot do it (missing class_cmds, a reorder,
/// a class without a name).
pub(super) fn class_plan(
    before: &Value,
    after: &Value,
    commands: &BTreeSet<String>,
) -> Option<Vec<ClassChange>> {
    let (b, a) = (list(before), list(after));
    if b == a {
        return Some(Vec::new());
    }
    if !["class-add", "class-update", "class-del"]
        .iter()
        .all(|c| commands.contains(*c))
    {
        return None;
    }
    let bn: Vec<&str> = b.iter().map(|c| name(c)).collect::<Option<_>>()?;
    let an: Vec<&str> = a.iter().map(|c| name(c)).collect::<Option<_>>()?;
    // The classes kept, in after's order, must be a prefix of after and in before's order.
    let kept: Vec<&str> = an.iter().copied().filter(|n| bn.contains(n)).collect();
    if an[..kept.len()] != kept[..] {
        return None;
    }
    let kept_in_before: Vec<&str> = bn.iter().copied().filter(|n| an.contains(n)).collect();
    if kept != kept_in_before {
        return None;
    }
    let mut plan = Vec::new();
    for (n, old) in bn.iter().zip(&b) {
        match an.iter().position(|x| x == n) {
            None => plan.push(ClassChange::Del(n.to_string(), (*old).clone())),
            Some(i) if a[i] != *old => plan.push(ClassChange::Update(a[i].clone(), (*old).clone())),
            Some(_) => {}
        }
    }
    for (n, new) in an.iter().zip(&a) {
        if !bn.contains(n) {
            plan.push(ClassChange::Add((*new).clone()));
        }
    }
    Some(plan)
}

async fn send(c: &KeaClient, change: &ClassChange) -> Result<(), KeaError> {
    let (command, args) = match change {
        ClassChange::Add(v) => ("class-add", json!({"client-classes": [v]})),
        ClassChange::Update(v, _) => ("class-update", json!({"client-classes": [v]})),
        ClassChange::Del(n, _) => ("class-del", json!({"name": n})),
    };
    c.call(command, Some(args)).await.map(|_| ())
}

/// The change that takes `change` back.
fn inverse(change: &ClassChange) -> ClassChange {
    match change {
        ClassChange::Add(v) => ClassChange::Del(name(v).unwrap_or("").to_string(), v.clone()),
        ClassChange::Update(new, old) => ClassChange::Update(old.clone(), new.clone()),
        ClassChange::Del(_, old) => ClassChange::Add(old.clone()),
    }
}

/// Sends the changes in order; on a failure the ones before it are taken back. The error
/// says which class and whether the rest was put back.
pub(super) async fn apply_classes(
    c: &KeaClient,
    plan: &[ClassChange],
) -> Result<(), (usize, KeaError, bool)> {
    for (i, ch) in plan.iter().enumerate() {
        if let Err(e) = send(c, ch).await {
            let restored = undo_classes(c, &plan[..i]).await.is_ok();
            return Err((i, e, restored));
        }
    }
    Ok(())
}

/// Takes `plan` back, last change first.
pub(super) async fn undo_classes(c: &KeaClient, plan: &[ClassChange]) -> Result<(), String> {
    let mut errors = Vec::new();
    for ch in plan.iter().rev() {
        if let Err(e) = send(c, &inverse(ch)).await {
            errors.push(format!("class {}: {e}", ch.name()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds() -> BTreeSet<String> {
        ["class-add", "class-update", "class-del"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn d(classes: Value) -> Value {
        json!({"client-classes": classes})
    }

    #[test]
    fn add_update_delete_in_order() {
        let before = d(json!([{"name": "a", "test": "1"}, {"name": "b", "test": "2"}]));
        let after = d(json!([{"name": "b", "test": "3"}, {"name": "c", "test": "4"}]));
        let plan = class_plan(&before, &after, &cmds()).unwrap();
        assert_eq!(
            plan,
            vec![
                ClassChange::Del("a".into(), json!({"name": "a", "test": "1"})),
                ClassChange::Update(
                    json!({"name": "b", "test": "3"}),
                    json!({"name": "b", "test": "2"})
                ),
                ClassChange::Add(json!({"name": "c", "test": "4"})),
            ]
        );
        assert_eq!(
            inverse(&plan[2]),
            ClassChange::Del("c".into(), json!({"name": "c", "test": "4"}))
        );
        // A first class on a server without the key.
        let plan = class_plan(&json!({}), &d(json!([{"name": "x"}])), &cmds()).unwrap();
        assert_eq!(plan, vec![ClassChange::Add(json!({"name": "x"}))]);
        assert_eq!(class_plan(&before, &before, &BTreeSet::new()), Some(vec![]));
    }

    #[test]
    fn reorders_and_missing_commands_go_by_the_config_edit() {
        let before = d(json!([{"name": "a"}, {"name": "b"}]));
        let inserted = d(json!([{"name": "n"}, {"name": "a"}, {"name": "b"}]));
        assert_eq!(class_plan(&before, &inserted, &cmds()), None);
        let swapped = d(json!([{"name": "b"}, {"name": "a"}]));
        assert_eq!(class_plan(&before, &swapped, &cmds()), None);
        let added = d(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]));
        assert_eq!(class_plan(&before, &added, &BTreeSet::new()), None);
        assert!(class_plan(&before, &added, &cmds()).is_some());
    }
}
