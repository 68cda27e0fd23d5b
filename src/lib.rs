//! ddish: a keyboard-driven DDI console for ISC Kea and BIND.
//! Layers (dependencies point down): cli/tui -> ops -> kea, dns, probe -> model;
//! audit, export, config beside them. See docs/DESIGN.md.
pub mod audit;
pub mod color;
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

/// The server versions the test suite runs ddish against (`ddish --version` says so).
pub const TESTED_WITH: &str = "Kea 2.2, 2.6 and 3.0 (Control Agent; 3.0 also direct), BIND 9.18";
