//! ddish's configuration: the TOML schema, loading from the XDG path or `--config FILE`,
//! and validation with file:line errors.
mod error;
mod load;
mod paths;
mod raw;
mod schema;
mod secret;

pub use error::ConfigError;
pub use load::{load, parse};
pub use paths::{data_dir, default_path, state_dir};
pub use schema::*;
pub use secret::{read_tsig_secret, Secret};
