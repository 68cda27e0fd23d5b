//! ddish: a keyboard-driven DDI console for ISC Kea and BIND.
//! Layers (dependencies point down): cli/tui -> ops -> kea, dns, probe -> model;
//! audit, export, config beside them. See ../shared/DESIGN.md.
pub mod config;
pub mod model;
