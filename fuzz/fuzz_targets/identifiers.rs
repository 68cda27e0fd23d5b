//! What an admin types: MACs, client ids, hostnames and TSIG key files. An accepted value
//! is canonical (accepted again as itself).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(m) = ddish::ops::validate_mac(text) {
        assert_eq!(ddish::ops::validate_mac(&m), Ok(m.clone()));
    }
    if let Ok(c) = ddish::ops::validate_client_id(text) {
        assert_eq!(ddish::ops::validate_client_id(&c), Ok(c.clone()));
    }
    let _ = ddish::ops::validate_hostname(text);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("key");
    std::fs::write(&p, text).unwrap();
    let _ = ddish::config::read_tsig_secret(&p);
});
