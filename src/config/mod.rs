//! ddish's configuration: the TOML schema, loading from the XDG path or `--config FILE`,
//! and validation with file:line errors.
mod schema;
pub use schema::*;
