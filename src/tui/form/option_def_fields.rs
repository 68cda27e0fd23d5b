//! The fields of an option definition, one set for the bulk form on marked servers and
//! the option definitions screen: built from a definition, read back into one, each field
//! checked as it is typed.
use crate::model::option_defs::{CustomOptionDef, KINDS};

use super::field::{Field, Fields};

pub const NAME: &str = "Option name";
pub const CODE: &str = "Code";
pub const TYPE: &str = "Type";
pub const LIST: &str = "List of values";
pub const RECORD: &str = "Record types";
pub const SPACE: &str = "Space";

/// The fields, filled from `d` (a new definition starts as a string in the dhcp4 space).
/// A definition being changed keeps its name: values elsewhere use it.
pub fn fields(d: Option<&CustomOptionDef>) -> Vec<Field> {
    let kind = d.map_or("string", |d| d.kind.as_str());
    vec![
        match d {
            Some(d) => Field::fixed(NAME, d.name.clone()),
            None => Field::text(NAME, ""),
        },
        Field::text(CODE, d.map_or(String::new(), |d| d.code.to_string())),
        Field::choice(
            TYPE,
            KINDS.iter().map(|k| k.to_string()).collect(),
            KINDS.iter().position(|k| *k == kind).unwrap_or(0),
        ),
        Field::toggle(LIST, d.is_some_and(|d| d.array)),
        Field::text(
            RECORD,
            d.map_or(String::new(), |d| d.record_types.join(", ")),
        ),
        // A definition is known by name and space: changing either would add another.
        match d {
            Some(d) => Field::fixed(SPACE, d.space.clone()),
            None => Field::text(SPACE, "dhcp4"),
        },
    ]
}

fn code(v: &str) -> Result<u16, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("required".into());
    }
    v.parse::<u16>()
        .map_err(|_| format!("'{v}' is not a code: a number, 1-254 in the dhcp4 space"))
}

/// The definition typed, checked whole (name, free code, type, record fields).
pub fn def_from(f: &Fields) -> Result<CustomOptionDef, String> {
    let d = CustomOptionDef {
        name: f.value(NAME).trim().to_string(),
        code: code(f.value(CODE))?,
        kind: f.value(TYPE).to_string(),
        array: f.on(LIST),
        record_types: f
            .value(RECORD)
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        space: match f.value(SPACE).trim() {
            "" => "dhcp4".to_string(),
            s => s.to_string(),
        },
    };
    d.check()?;
    Ok(d)
}

/// The error to show under field `id`, if any: its own (a name, a number), else the
/// whole definition's check when it is about this field.
pub fn field_error(f: &Fields, id: &str) -> Result<(), String> {
    if id == NAME && f.value(NAME).trim().is_empty() {
        return Err("required".into());
    }
    if id == CODE {
        code(f.value(CODE))?;
    }
    if !matches!(id, NAME | CODE | TYPE | RECORD) || code(f.value(CODE)).is_err() {
        return Ok(());
    }
    match def_from(f) {
        // Each message says what it is about: shown under the field it concerns.
        Err(e) if about(&e) == id => Err(e),
        _ => Ok(()),
    }
}

/// Which field a definition error concerns (by the wording of `CustomOptionDef::check`).
fn about(e: &str) -> &'static str {
    if e.starts_with("code") {
        CODE
    } else if e.contains("is not an option name") || e.contains("pick another name") {
        NAME
    } else if e.contains("is not a Kea option type") {
        TYPE
    } else if e.contains("record") {
        RECORD
    } else {
        NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_round_trips_and_errors_land_on_their_field() {
        let d = CustomOptionDef {
            name: "tftp-list".into(),
            code: 224,
            kind: "ipv4-address".into(),
            array: true,
            record_types: vec![],
            space: "dhcp4".into(),
        };
        let mut f = Fields::new(fields(Some(&d)));
        assert_eq!(def_from(&f).unwrap(), d);
        assert_eq!(
            f.focused().unwrap().label,
            CODE,
            "the name stays; typing starts at the code"
        );
        f.get_mut(CODE).unwrap().input = crate::tui::form::field::Input::Text {
            value: "6".into(),
            masked: false,
        };
        let e = def_from(&f).unwrap_err();
        assert!(e.contains("standard option"), "{e}");
        // A code error is the code field's, typed or checked.
        assert!(field_error(&f, NAME).is_ok());
        assert_eq!(field_error(&f, CODE).unwrap_err(), e);
        f.get_mut(CODE).unwrap().input = crate::tui::form::field::Input::Text {
            value: "x".into(),
            masked: false,
        };
        assert!(field_error(&f, CODE).unwrap_err().contains("not a code"));
        // A standard code whose option's name says "type" is still the code's error.
        f.get_mut(CODE).unwrap().input = crate::tui::form::field::Input::Text {
            value: "53".into(),
            masked: false,
        };
        assert!(field_error(&f, CODE).is_err());
        assert!(field_error(&f, TYPE).is_ok());
        let f = Fields::new(fields(None));
        assert_eq!(f.value(TYPE), "string");
        assert_eq!(field_error(&f, NAME).unwrap_err(), "required");
    }
}
