//! Any bytes as a Kea reply, through every reply parser (tests/parsers_fuzz.rs mirrors it).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = ddish::kea::parse_response(body, "config-get");
    let _ = ddish::kea::parse_config_body(body);
    let _ = ddish::kea::parse_leases(body);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = ddish::kea::parse_config(&v);
        let _ = ddish::kea::parse_stats(&v);
        let _ = ddish::kea::parse_status(&v);
    }
});
