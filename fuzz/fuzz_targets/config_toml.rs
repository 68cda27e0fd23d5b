//! Any text as ddish's config file: loaded or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = ddish::config::parse(text, std::path::Path::new("/tmp/fuzz.toml"));
});
