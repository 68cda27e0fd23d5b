//! ddish: a keyboard-driven DDI console for ISC Kea and BIND.
//! Layers (dependencies point down): cli/tui -> ops -> kea, dns, probe -> model;
//! audit, export, config beside them. See docs/DESIGN.md.
pub mod audit;
pub mod config;
pub mod dns;
pub mod editor;
pub mod export;
pub mod kea;
pub mod lab;
pub mod logging;
pub mod model;
pub mod ops;
pub mod probe;
pub mod tui;
