//! Certificates for TLS tests, made with the openssl CLI in a test's directory: a CA, keys
//! with their signing requests, and leaves the CA signs.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `openssl ARGS` in `dir`, which must succeed.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A P-256 key without a passphrase, as `req` takes it.
pub const EC_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

/// `ca.pem` and `ca.key` in `dir`: a CA named `cn`, valid two days.
pub fn make_ca(dir: &Path, cn: &str) {
    let subj = format!("/CN={cn}");
    let mut a = vec!["req", "-x509"];
    a.extend(EC_KEY);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        &subj,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &a);
}

/// `NAME.key` and `NAME.csr` in `dir` for common name `cn`.
pub fn make_csr(dir: &Path, name: &str, cn: &str) {
    let (key, csr, subj) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("/CN={cn}"),
    );
    let mut a = vec!["req"];
    a.extend(EC_KEY);
    a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
    openssl(dir, &a);
}

/// `out` in `dir`: `csr` signed by the CA of [`make_ca`] for two days, with the
/// extensions in `ext` (openssl's extfile lines).
pub fn sign(dir: &Path, csr: &str, out: &str, ext: &str) {
    let ext_file = format!("{out}.ext");
    std::fs::write(dir.join(&ext_file), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            out,
            "-days",
            "2",
            "-extfile",
            &ext_file,
        ],
    );
}
