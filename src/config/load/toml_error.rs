//! TOML syntax and shape errors, pointed at their line with a hint.
use std::path::Path;

use super::super::error::{closest, suggest, ConfigError};

use super::*;

/// The table header (`[settings]`, `[[server]]`, ...) governing byte `offset`.
fn section_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    text[..end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            let double = l.starts_with("[[");
            let inner = l.trim_start_matches('[');
            let inner = inner.split(']').next().unwrap_or(inner).trim();
            if double {
                format!("[[{inner}]]")
            } else {
                format!("[{inner}]")
            }
        })
        .unwrap_or_else(|| "the top level".to_string())
}

/// The key on the line holding byte `offset`, if that line is `key = value`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    let key = key.rsplit('.').next().unwrap_or(key).trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// "in [settings]" or "at the top level".
fn where_(section: &str) -> String {
    if section.starts_with('[') {
        format!("in {section}")
    } else {
        format!("at {section}")
    }
}

/// The value text after `=` on the line holding byte `offset`.
fn value_at(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    line.split_once('=').map_or("", |(_, v)| v.trim_start())
}

fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

pub(super) fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let msg = e.message().trim();
    let span = e.span().unwrap_or(0..0);
    let section = section_at(text, span.start);
    let err =
        |message: String, hint: String| ConfigError::at(path, text, span.clone(), message, hint);

    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = backticked(rest);
        let key = names.first().copied().unwrap_or("?");
        let valid: Vec<&str> = names.iter().skip(1).copied().collect();
        let elsewhere = SECTIONS.iter().find(|(_, keys)| keys.contains(&key));
        let hint = match elsewhere {
            _ if valid.is_empty() => "this table takes no keys".to_string(),
            Some((s, _)) if closest(key, &valid).is_none() => {
                format!(
                    "'{key}' belongs in {s}; valid keys here: {}",
                    valid.join(", ")
                )
            }
            _ => suggest(key, &valid, "keys"),
        };
        return err(format!("unknown key '{key}' {}", where_(&section)), hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let key = backticked(rest).first().copied().unwrap_or("?").to_string();
        let example = match key.as_str() {
            "name" => "name = \"kea-hq\"",
            "url" => "url = \"http://127.0.0.1:8000/\"",
            "addr" => "addr = \"127.0.0.1:53\"",
            "primary" => "primary = \"127.0.0.1:53\"",
            _ => "",
        };
        let hint = if example.is_empty() {
            format!("add '{key}' to this {section} table")
        } else {
            format!("add '{key}' to this {section} table, e.g. {example}")
        };
        return err(
            format!("missing required key '{key}' {}", where_(&section)),
            hint,
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let Some(key) = key_at(text, span.start) else {
            // A header like `[server]` where `[[server]]` (one table per item) is needed.
            if expected.contains("sequence") && section.starts_with('[') {
                let name = section.trim_matches(|c| c == '[' || c == ']');
                return err(
                    format!("[{name}] must be written [[{name}]]"),
                    format!(
                        "each item is its own [[{name}]] table (two brackets), repeated per item"
                    ),
                );
            }
            return err(
                format!("wrong type {}: found {found}", where_(&section)),
                "see config.example.toml for the expected form".to_string(),
            );
        };
        let quoted = found.starts_with("string");
        let in_list = value_at(text, span.start).starts_with('[');
        let (want, hint) = if expected.starts_with("i64") || expected.contains("integer") {
            let hint = if quoted {
                format!("write it without quotes, e.g. {key} = 30")
            } else {
                format!("use a whole number, e.g. {key} = 30")
            };
            ("a whole number", hint)
        } else if expected.starts_with("f64") || expected.contains("float") {
            (
                "a number",
                format!("write it without quotes, e.g. {key} = 80"),
            )
        } else if expected.contains("string") && in_list {
            (
                "a string",
                format!("quote each item, e.g. {key} = [\"a\", \"b\"]"),
            )
        } else if expected.contains("string") {
            (
                "a string",
                format!("put it in double quotes, e.g. {key} = \"...\""),
            )
        } else if expected.contains("sequence") {
            (
                "a list",
                format!("write a list, e.g. {key} = [\"a\", \"b\"]"),
            )
        } else if expected.contains("map") || expected.contains("struct") {
            (
                "a table",
                format!("write it as a table: [{key}] on its own line, then key = value lines"),
            )
        } else {
            (
                "another type",
                "see config.example.toml for the expected form".to_string(),
            )
        };
        return err(
            format!(
                "wrong type for '{key}' {}: found {found}, expected {want}",
                where_(&section)
            ),
            hint,
        );
    }
    if msg.starts_with("duplicate key") {
        let key = key_at(text, span.start).unwrap_or_default();
        return err(
            format!("key '{key}' is set twice {}", where_(&section)),
            "each key may appear once per table: remove one of them".to_string(),
        );
    }
    err(
        format!("invalid TOML: {msg}"),
        "check the syntax here: `key = value` lines, strings in double quotes, \
         tables as [name] or [[name]]"
            .to_string(),
    )
}
