//! A server's own option definitions (Kea `option-def`, issue 13 item 2): what a custom
//! option is called, its code and data shape; checks of a definition before it is written
//! and of a value against it. Pure: ops reads and writes them in the configuration.
use serde_json::{json, Value};

use super::options::{self, Field};

/// One custom option definition as Kea holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomOptionDef {
    pub name: String,
    pub code: u16,
    /// Kea's type name: uint8, uint16, uint32, int8, int16, int32, boolean, string, fqdn,
    /// ipv4-address, ipv6-address, binary, empty, record.
    pub kind: String,
    pub array: bool,
    /// The field types of a record, in order.
    pub record_types: Vec<String>,
    pub space: String,
}

/// The Kea types ddish checks values of (others are written as given and left to Kea).
fn field_of(kind: &str) -> Option<Field> {
    Some(match kind {
        "uint8" => Field::U8,
        "uint16" => Field::U16,
        "uint32" => Field::U32,
        "int32" => Field::I32,
        "boolean" => Field::Bool,
        "string" => Field::Str,
        "fqdn" => Field::Fqdn,
        "ipv4-address" => Field::Ipv4,
        "ipv6-address" => Field::Ipv6,
        "binary" => Field::Binary,
        "empty" => Field::Empty,
        _ => return None,
    })
}

/// Every type Kea accepts in an option-def.
pub const KINDS: &[&str] = &[
    "empty",
    "binary",
    "boolean",
    "int8",
    "int16",
    "int32",
    "uint8",
    "uint16",
    "uint32",
    "ipv4-address",
    "ipv6-address",
    "ipv6-prefix",
    "psid",
    "string",
    "fqdn",
    "tuple",
    "record",
];

impl CustomOptionDef {
    /// Reads Kea's `option-def` list (entries Kea cannot have written are skipped).
    pub fn list_from(dhcp4: &Value) -> Vec<CustomOptionDef> {
        dhcp4
            .get("option-def")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                Some(CustomOptionDef {
                    name: d.get("name")?.as_str()?.to_string(),
                    code: u16::try_from(d.get("code")?.as_u64()?).ok()?,
                    kind: d.get("type")?.as_str()?.to_string(),
                    array: d.get("array").and_then(Value::as_bool).unwrap_or(false),
                    record_types: d
                        .get("record-types")
                        .and_then(Value::as_str)
                        .map(|s| {
                            s.split(',')
                                .map(|t| t.trim().to_string())
                                .filter(|t| !t.is_empty())
                                .collect()
                        })
                        .unwrap_or_default(),
                    space: d
                        .get("space")
                        .and_then(Value::as_str)
                        .unwrap_or("dhcp4")
                        .to_string(),
                })
            })
            .collect()
    }

    /// The entry as Kea's `option-def` takes it.
    pub fn to_kea(&self) -> Value {
        json!({
            "name": self.name,
            "code": self.code,
            "type": self.kind,
            "array": self.array,
            "record-types": self.record_types.join(", "),
            "space": self.space,
            "encapsulate": "",
        })
    }

    /// "uint32", "ipv4-address list", "record (uint8, string)".
    pub fn shape(&self) -> String {
        let base = if self.kind == "record" {
            format!("record ({})", self.record_types.join(", "))
        } else {
            self.kind.clone()
        };
        if self.array {
            format!("{base} list")
        } else {
            base
        }
    }

    /// Checks a definition before it is written: the name, a code free in the dhcp4 space
    /// (not a standard option's), a type Kea knows, record types only for a record.
    pub fn check(&self) -> Result<(), String> {
        let n = &self.name;
        if n.is_empty()
            || n.len() > 64
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            || n.starts_with(['-', '_'])
        {
            return Err(format!(
                "'{n}' is not an option name: letters, digits, '-' and '_', at most 64"
            ));
        }
        if self.space == "dhcp4" {
            if let Some(std) = options::lookup(n) {
                return Err(format!(
                    "'{n}' is the standard option {}: pick another name",
                    std.code
                ));
            }
            if !(1..=254).contains(&self.code) {
                return Err(format!(
                    "code {} is out of range: DHCPv4 option codes are 1-254",
                    self.code
                ));
            }
            if let Some(std) = u8::try_from(self.code).ok().and_then(options::by_code) {
                return Err(format!(
                    "code {} is the standard option {}: Kea refuses to redefine it; pick a free \
                     code (e.g. 224-254, the site-specific range)",
                    self.code, std.name
                ));
            }
        }
        if !KINDS.contains(&self.kind.as_str()) {
            return Err(format!(
                "'{}' is not a Kea option type: use one of {}",
                self.kind,
                KINDS.join(", ")
            ));
        }
        match (self.kind == "record", self.record_types.is_empty()) {
            (true, true) => return Err("a record needs its field types (record-types)".into()),
            (false, false) => {
                return Err(format!(
                    "record-types are only for type record (this one is {})",
                    self.kind
                ))
            }
            _ => {}
        }
        for t in &self.record_types {
            if !KINDS.contains(&t.as_str()) || t == "record" {
                return Err(format!("'{t}' is not a field type for a record"));
            }
        }
        Ok(())
    }

    /// Checks a value typed for this option; returns it normalised (as the standard
    /// options' check does). Types ddish does not check pass as given.
    pub fn validate(&self, data: &str) -> Result<String, String> {
        let parts = options::split_list(data);
        let fields: Vec<Option<Field>> = if self.kind == "record" {
            self.record_types.iter().map(|t| field_of(t)).collect()
        } else {
            vec![field_of(&self.kind)]
        };
        let what = |e: String| {
            format!(
                "{} (option {}, {}): {e}",
                self.name,
                self.code,
                self.shape()
            )
        };
        if self.kind != "record" && !self.array {
            return match fields[0] {
                Some(f) => options::field(f, data).map_err(what),
                None => Ok(data.trim().to_string()),
            };
        }
        let n = fields.len();
        let shape_ok = if self.array {
            parts.len() >= n
        } else {
            parts.len() == n
        };
        if !shape_ok {
            return Err(what(format!(
                "expects {}{} comma-separated value(s), got {}",
                if self.array { "at least " } else { "" },
                n,
                parts.len()
            )));
        }
        let out: Result<Vec<String>, String> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| match fields[i.min(n - 1)] {
                Some(f) => options::field(f, p),
                None => Ok(p.clone()),
            })
            .collect();
        Ok(out.map_err(what)?.join(", "))
    }
}

/// A custom definition of `name` in the dhcp4 space, unless `name` is a standard option.
pub fn custom<'a>(name: &str, defs: &'a [CustomOptionDef]) -> Option<&'a CustomOptionDef> {
    if options::lookup(name).is_some() {
        return None;
    }
    defs.iter().find(|d| d.name == name && d.space == "dhcp4")
}

/// Checks a value for `name`: a standard option's, else a custom definition's.
pub fn option_value(name: &str, data: &str, defs: &[CustomOptionDef]) -> Result<String, String> {
    match custom(name, defs) {
        Some(d) => d.validate(data),
        None => options::validate(name, data).map_err(|e| with_custom_hint(e, defs)),
    }
}

/// Checks that `name` is a standard option or one of `defs`.
pub fn option_known(name: &str, defs: &[CustomOptionDef]) -> Result<(), String> {
    if custom(name, defs).is_some() {
        return Ok(());
    }
    options::definition(name)
        .map(|_| ())
        .map_err(|e| with_custom_hint(e, defs))
}

fn with_custom_hint(e: String, defs: &[CustomOptionDef]) -> String {
    if e.starts_with("unknown DHCPv4 option") {
        let own: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        if own.is_empty() {
            format!("{e} (a custom option must be defined first: ddish optiondef create)")
        } else {
            format!("{e} (this server's own: {})", own.join(", "))
        }
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, code: u16, kind: &str, array: bool, rec: &[&str]) -> CustomOptionDef {
        CustomOptionDef {
            name: name.into(),
            code,
            kind: kind.into(),
            array,
            record_types: rec.iter().map(|s| s.to_string()).collect(),
            space: "dhcp4".into(),
        }
    }

    #[test]
    fn definitions_are_checked_before_they_are_written() {
        assert!(def("vendor-tftp", 224, "ipv4-address", true, &[])
            .check()
            .is_ok());
        assert!(def("site-rec", 225, "record", false, &["uint8", "string"])
            .check()
            .is_ok());
        let e = |d: CustomOptionDef| d.check().unwrap_err();
        assert!(e(def("routers", 224, "uint8", false, &[])).contains("standard option 3"));
        assert!(e(def("x", 3, "uint8", false, &[])).contains("standard option routers"));
        assert!(e(def("x", 0, "uint8", false, &[])).contains("1-254"));
        assert!(e(def("x", 300, "uint8", false, &[])).contains("1-254"));
        assert!(e(def("bad name", 224, "uint8", false, &[])).contains("not an option name"));
        assert!(e(def("x", 224, "uint64", false, &[])).contains("not a Kea option type"));
        assert!(e(def("x", 224, "record", false, &[])).contains("needs its field types"));
        assert!(e(def("x", 224, "uint8", false, &["uint8"])).contains("only for type record"));
        assert!(e(def("x", 224, "record", false, &["record"])).contains("not a field type"));
        // Another space has its own codes.
        let mut other = def("sub-1", 1, "uint8", false, &[]);
        other.space = "vendor-x".into();
        assert!(other.check().is_ok());
    }

    #[test]
    fn values_are_checked_by_the_definitions_shape() {
        let one = def("tftp", 224, "ipv4-address", false, &[]);
        assert_eq!(one.validate(" 192.0.2.9 "), Ok("192.0.2.9".into()));
        assert!(one
            .validate("192.0.2.x")
            .unwrap_err()
            .contains("tftp (option 224, ipv4-address)"));
        let list = def("ntp-list", 225, "ipv4-address", true, &[]);
        assert_eq!(
            list.validate("192.0.2.1,192.0.2.2"),
            Ok("192.0.2.1, 192.0.2.2".into())
        );
        let rec = def("rec", 226, "record", false, &["uint8", "string"]);
        assert_eq!(rec.validate("7, lab"), Ok("7, lab".into()));
        assert!(rec.validate("7").unwrap_err().contains("expects 2"));
        assert!(rec
            .validate("300, lab")
            .unwrap_err()
            .contains("out of range"));
        let num = def("prio", 227, "uint16", false, &[]);
        assert!(num.validate("70000").is_err());
        // A type ddish does not check (tuple) passes as given; Kea's config-test decides.
        assert_eq!(
            def("t", 228, "tuple", false, &[]).validate("x y"),
            Ok("x y".into())
        );
    }

    #[test]
    fn kea_entries_read_and_write_back() {
        let d = json!({"option-def": [
            {"name": "tftp", "code": 224, "type": "ipv4-address", "array": true,
             "record-types": "", "space": "dhcp4", "encapsulate": ""},
            {"name": "rec", "code": 226, "type": "record", "record-types": "uint8, string"},
            {"code": 1}
        ]});
        let list = CustomOptionDef::list_from(&d);
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].record_types, ["uint8", "string"]);
        assert_eq!(list[1].space, "dhcp4");
        assert_eq!(list[0].shape(), "ipv4-address list");
        assert_eq!(list[1].shape(), "record (uint8, string)");
        assert_eq!(
            CustomOptionDef::list_from(&json!({"option-def": [list[1].to_kea()]})),
            vec![list[1].clone()]
        );
    }
}
