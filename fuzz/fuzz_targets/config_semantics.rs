//! Two JSON documents as configs: comparing, diffing, checking an edit and drift never
//! panic, and a config means the same as itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (Ok(a), Ok(b)) = (
        serde_json::from_str::<serde_json::Value>(input.0),
        serde_json::from_str::<serde_json::Value>(input.1),
    ) else {
        return;
    };
    assert!(ddish::kea::same_meaning(&a, &a));
    let _ = ddish::kea::same_meaning(&a, &b);
    let _ = ddish::kea::diff_summary(&a, &b);
    let _ = ddish::kea::edit_is_live(&a, &b, &a);
    let _ = ddish::kea::drift(&a, "a", &b, "b");
});
