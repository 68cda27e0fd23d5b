//! Any bytes as a journal file: the readable lines read, the rest counted.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    std::fs::write(&path, body).unwrap();
    let j = ddish::audit::Journal::new(&path);
    let r = j.read().unwrap();
    let lines = body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    assert!(r.entries.len() + r.skipped <= lines);
});
