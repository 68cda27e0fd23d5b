//! A Kea configuration file as an admin keeps it (kea-dhcp4.conf, Kea's documentation
//! examples): JSON with the comments Kea's own parser accepts (`#`, `//`, `/* */`), read into
//! the same [`ConfigReply`] a config-get gives, so everything that reviews a running server
//! can review a file before it is deployed.
use serde_json::{json, Value};

use super::config_reply::ConfigReply;
use super::error::KeaError;

/// The text as strict JSON: without its comments, and with a number written `.5` (Kea's
/// parser takes it; all-keys.json has `"t1-percent": .5`) as `0.5`. Line breaks are kept
/// so a JSON error's line number is the file's; comment marks inside strings are text
/// (`"http://..."`, `"#1"`).
pub fn strict_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('#', _) | ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('.', _) if matches!(out.trim_end().chars().last(), Some(':' | ',' | '[' | '-')) => {
                out.push_str("0.");
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                    }
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

impl ConfigReply {
    /// A configuration file's text (`{"Dhcp4": {...}}`, other daemons' sections allowed
    /// beside it) as if config-get had answered it. `file` names it in errors.
    pub fn from_file_text(file: &str, text: &str) -> Result<ConfigReply, KeaError> {
        let bad = |detail: String| KeaError::Config(format!("{file}: {detail}"));
        if let Some(line) = text
            .lines()
            .position(|l| l.trim_start().starts_with("<?include"))
        {
            return Err(bad(format!(
                "line {}: <?include?> is not followed; review the file it names, or the \
                 running server with --server",
                line + 1
            )));
        }
        let mut v: Value = serde_json::from_str(&strict_json(text)).map_err(|e| {
            bad(format!(
                "line {} column {}: not JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        if v.get("Dhcp4").and_then(Value::as_object).is_none() {
            return Err(bad(
                "no \"Dhcp4\" object at the top: this is not a kea-dhcp4 configuration".into(),
            ));
        }
        number_subnets(&mut v["Dhcp4"]);
        let body = serde_json::to_vec(&json!([{"result": 0, "arguments": v}]))
            .map_err(|e| bad(e.to_string()))?;
        ConfigReply::new(body)
    }
}

/// Gives every subnet without an `id` the next one no subnet uses, in file order, as Kea
/// does when it loads the file (its documentation examples mostly leave ids out).
fn number_subnets(dhcp4: &mut Value) {
    fn subnets(d: &mut Value) -> Vec<&mut Value> {
        let mut out: Vec<&mut Value> = Vec::new();
        let (top, shared) = match d.as_object_mut() {
            Some(o) => {
                let mut top = None;
                let mut shared = None;
                for (k, v) in o.iter_mut() {
                    match k.as_str() {
                        "subnet4" => top = Some(v),
                        "shared-networks" => shared = Some(v),
                        _ => {}
                    }
                }
                (top, shared)
            }
            None => return out,
        };
        if let Some(Value::Array(a)) = top {
            out.extend(a.iter_mut());
        }
        if let Some(Value::Array(nets)) = shared {
            for n in nets {
                if let Some(Value::Array(a)) = n.get_mut("subnet4") {
                    out.extend(a.iter_mut());
                }
            }
        }
        out
    }
    let mut list = subnets(dhcp4);
    let used: std::collections::HashSet<u64> = list
        .iter()
        .filter_map(|s| s.get("id").and_then(Value::as_u64))
        .collect();
    let mut next = 1u64;
    for s in list.iter_mut() {
        if s.is_object() && s.get("id").is_none() {
            while used.contains(&next) {
                next += 1;
            }
            s["id"] = json!(next);
            next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_strings_and_lines_stay() {
        let t = "{ # shell\n  \"a\": \"http://x#y\", // c++\n /* multi\n line */ \"b\": \"\\\"#\",\n\"c\": [.5, -.25, \".5\"]}";
        let s = strict_json(t);
        assert_eq!(s.lines().count(), t.lines().count());
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "http://x#y");
        assert_eq!(v["b"], "\"#");
        assert_eq!(v["c"], serde_json::json!([0.5, -0.25, ".5"]));
    }

    #[test]
    fn a_file_reads_as_a_reply_and_errors_name_the_line() {
        let r = ConfigReply::from_file_text(
            "f.conf",
            "// lab\n{\"Dhcp4\": {\"subnet4\": [{\"id\": 1, \"subnet\": \"10.0.0.0/24\"}]}}",
        )
        .unwrap();
        assert_eq!(r.model().unwrap().scopes.len(), 1);
        // Subnets without ids get the ones no other subnet uses, top level then shared.
        let r = ConfigReply::from_file_text(
            "f.conf",
            r#"{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/24"}, {"id": 1, "subnet": "10.0.1.0/24"}],
               "shared-networks": [{"name": "n", "subnet4": [{"subnet": "10.0.2.0/24"}]}]}}"#,
        )
        .unwrap();
        let mut ids: Vec<(String, u32)> = r
            .model()
            .unwrap()
            .scopes
            .iter()
            .map(|s| (s.cidr.to_string(), s.id))
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                ("10.0.0.0/24".to_string(), 2),
                ("10.0.1.0/24".to_string(), 1),
                ("10.0.2.0/24".to_string(), 3)
            ]
        );
        let e = ConfigReply::from_file_text("f.conf", "{\n\"Dhcp4\": {,}\n}")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("f.conf") && e.contains("line 2"), "{e}");
        let e = ConfigReply::from_file_text("f.conf", "{\"Dhcp6\": {}}")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a kea-dhcp4"), "{e}");
        let e = ConfigReply::from_file_text("f.conf", "{\n<?include \"x.json\"?>\n}")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }
}
