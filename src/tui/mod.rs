//! The console: ratatui + crossterm. A pure core (`app::App::update`) driven by key events
//! and worker results, plain render functions, one keymap table, and an async worker that
//! does all network and file I/O so the screen never waits.
pub mod app;
pub mod filter;
pub mod keymap;
pub mod layout;
pub mod render;
pub mod theme;
pub mod views;
