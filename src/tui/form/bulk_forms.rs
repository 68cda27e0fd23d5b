//! Bulk change forms: lease time, exclusion, DDNS, options, client classes; each value
//! checked as it is typed with the validators the ops layer runs before writing.

use crate::model::{option_defs, server_params};
use crate::ops::bulk::{self, BulkChange, BulkOp, ClassSpec, Target, DDNS_PARAMS};
use crate::tui::actions::BulkKind;
use crate::tui::checks;

use super::layout_forms::*;
use super::option_def_fields as odf;
use super::{opt, Field, Form, FormKind};

impl Form {
    /// A bulk change of `kind` for `target`.
    /// `custom`: the target servers' own option definitions, as loaded in their tabs.
    pub fn bulk(
        kind: BulkKind,
        target: Target,
        custom: Vec<crate::model::option_defs::CustomOptionDef>,
    ) -> Form {
        let fields = match kind {
            BulkKind::LeaseTime => vec![Field::text(LEASE, "")],
            BulkKind::Exclude => vec![Field::text(START, ""), Field::text(END, "")],
            BulkKind::Ddns => vec![
                Field::choice(
                    PARAM,
                    DDNS_PARAMS.iter().map(|s| s.to_string()).collect(),
                    0,
                ),
                Field::text(VALUE, ""),
            ],
            BulkKind::ServerParam => vec![
                Field::choice(
                    PARAM,
                    server_params::PARAMS
                        .iter()
                        .map(|p| p.name.to_string())
                        .collect(),
                    0,
                ),
                Field::text(VALUE, ""),
            ],
            BulkKind::SetOption => vec![Field::text(OPTION, ""), Field::text(VALUE, "")],
            BulkKind::DeleteOption => vec![Field::text(OPTION, "")],
            BulkKind::ReplaceOption => vec![
                Field::text(OPTION, "domain-name-servers"),
                Field::text(FIND, ""),
                Field::text(REPLACE, ""),
            ],
            BulkKind::CreateClass | BulkKind::EditClass => vec![
                Field::text(CLASS, ""),
                Field::text(TEST, ""),
                Field::text(CLASS_OPTIONS, ""),
            ],
            BulkKind::DeleteClass | BulkKind::ListClasses => vec![Field::text(CLASS, "")],
            BulkKind::DefineOption => odf::fields(None),
            BulkKind::DeleteOptionDef => {
                vec![Field::text(odf::NAME, ""), Field::text(odf::SPACE, "dhcp4")]
            }
        };
        let on = match &target {
            Target::Scopes(s) => format!(
                "{} marked scope{}",
                s.len(),
                if s.len() == 1 { "" } else { "s" }
            ),
            Target::Servers(s) => s.join(", "),
        };
        let mut t = kind.label().to_string();
        if let Some(c) = t.get_mut(0..1) {
            c.make_ascii_uppercase();
        }
        Form::bare(
            FormKind::Bulk { kind, target },
            format!("{t} · {on}"),
            fields,
            Ctx {
                custom,
                ..Ctx::default()
            },
        )
    }

    pub(super) fn bulk_target(&self) -> Option<(BulkKind, &Target)> {
        match &self.kind {
            FormKind::Bulk { kind, target } => Some((*kind, target)),
            _ => None,
        }
    }

    /// The bulk operation as typed (not yet checked as a whole).
    pub(super) fn bulk_op(&self, kind: BulkKind) -> Result<BulkOp, String> {
        let name = self.val(OPTION).trim().to_string();
        Ok(match kind {
            BulkKind::LeaseTime => BulkOp::LeaseTime(secs(self.val(LEASE))?.ok_or("required")?),
            BulkKind::Exclude => {
                BulkOp::Exclude(checks::ipv4(self.val(START))?, checks::ipv4(self.val(END))?)
            }
            BulkKind::Ddns => {
                let p = self.at(PARAM).map_or("", |i| self.text(i)).to_string();
                let v = bulk::ddns_value(&p, self.val(VALUE))?;
                BulkOp::Ddns(vec![(p, v)])
            }
            BulkKind::ServerParam => {
                let p = self.at(PARAM).map_or("", |i| self.text(i)).to_string();
                let v = server_params::parse(&p, self.val(VALUE))?;
                BulkOp::Params(vec![(p, v)])
            }
            BulkKind::SetOption => BulkOp::SetOption {
                name,
                data: self.val(VALUE).trim().to_string(),
            },
            BulkKind::DeleteOption => BulkOp::DeleteOption { name },
            BulkKind::ReplaceOption => BulkOp::ReplaceOption {
                name,
                from: self.val(FIND).trim().to_string(),
                to: self.val(REPLACE).trim().to_string(),
            },
            BulkKind::CreateClass | BulkKind::EditClass => BulkOp::PutClass(
                ClassSpec {
                    name: self.val(CLASS).trim().to_string(),
                    test: opt(self.val(TEST)),
                    options: option_list(self.val(CLASS_OPTIONS))?,
                },
                kind == BulkKind::CreateClass,
            ),
            BulkKind::DeleteClass | BulkKind::ListClasses => {
                BulkOp::DeleteClass(self.val(CLASS).trim().to_string())
            }
            BulkKind::DefineOption => BulkOp::PutOptionDef(odf::def_from(&self.fields)?),
            BulkKind::DeleteOptionDef => match self.val(odf::NAME).trim() {
                "" => return Err("give the option's name".into()),
                n => BulkOp::DeleteOptionDef(
                    n.to_string(),
                    match self.val(odf::SPACE).trim() {
                        "" => "dhcp4".to_string(),
                        s => s.to_string(),
                    },
                ),
            },
        })
    }

    pub(super) fn bulk_field_error(
        &self,
        kind: BulkKind,
        label: &str,
        v: &str,
    ) -> Result<(), String> {
        let required = || {
            if v.trim().is_empty() {
                Err("required".to_string())
            } else {
                Ok(())
            }
        };
        let name = self.val(OPTION).trim();
        match (kind, label) {
            (BulkKind::DefineOption, l) => odf::field_error(&self.fields, l),
            (BulkKind::DeleteOptionDef, _) => required(),
            (BulkKind::LeaseTime, LEASE) => {
                required()?;
                let s = secs(v)?.unwrap_or(0);
                let target = self.bulk_target().map(|(_, t)| t.clone());
                match target {
                    Some(t) => BulkChange::new(t, BulkOp::LeaseTime(s))
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            }
            (BulkKind::Exclude, START) => checks::ipv4(v).map(|_| ()),
            (BulkKind::Exclude, END) => {
                let e = checks::ipv4(v)?;
                match checks::ipv4(self.val(START)) {
                    Ok(s) if u32::from(e) < u32::from(s) => {
                        Err(format!("the end {e} comes before the start {s}"))
                    }
                    _ => Ok(()),
                }
            }
            (BulkKind::Ddns, VALUE) => {
                let p = self.at(PARAM).map_or("", |i| self.text(i));
                bulk::ddns_value(p, v).map(|_| ()).map_err(String::from)
            }
            (BulkKind::ServerParam, VALUE) => {
                let p = self.at(PARAM).map_or("", |i| self.text(i));
                server_params::parse(p, v).map(|_| ())
            }
            (_, OPTION) => {
                required()?;
                option_defs::option_known(v.trim(), &self.ctx.custom)
            }
            (BulkKind::SetOption, VALUE) | (BulkKind::ReplaceOption, FIND | REPLACE) => {
                if option_defs::option_known(name, &self.ctx.custom).is_err() {
                    return Ok(()); // the name's own error says it
                }
                required()?;
                option_defs::option_value(name, v, &self.ctx.custom).map(|_| ())
            }
            (_, CLASS) => {
                required()?;
                Ok(bulk::validate_class_name(v.trim())?)
            }
            (_, CLASS_OPTIONS) => option_list(v).map(|_| ()),
            _ => Ok(()),
        }
    }
}
