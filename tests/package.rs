//! The Debian package (issue 15): `scripts/package.sh` builds it from the tested binary,
//! it holds the man page, completions and example config, depends on nothing but the C
//! library (and GCC's unwinder, in every Debian install), and in clean Debian 12 and 13
//! chroots (scripts/debian-chroot.sh) it installs, `ddish --version` runs and `ddish check`
//! reaches a real Kea on loopback, then purges cleanly.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ddish::lab::{minimal_dhcp4, KeaInstance};
use serde_json::json;

fn sh(args: &[&str]) -> Output {
    // Root makes chroots; elsewhere sudo must not ask (CI runs as root).
    let mut c = if common::is_root() {
        Command::new(args[0])
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(args[0]);
        c
    };
    c.args(&args[1..])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn ok(args: &[&str]) -> String {
    let o = sh(args);
    assert!(o.status.success(), "{args:?}: {}", common::text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn in_chroot(root: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "chroot",
        root.to_str().unwrap(),
        "env",
        "HOME=/root",
        "TERM=dumb",
    ];
    all.extend_from_slice(args);
    sh(&all)
}

#[test]
fn the_package_installs_and_runs_on_debian_12_and_13() {
    let dir = common::kea_dir("ddish-pkg-");
    let out = dir.path().join("deb");
    let built = ok(&[
        "bash",
        "scripts/package.sh",
        "--binary",
        env!("CARGO_BIN_EXE_ddish"),
        "--out",
        out.to_str().unwrap(),
    ]);
    let deb = PathBuf::from(built.lines().last().expect("the .deb's path").trim());
    assert!(deb.exists(), "{deb:?}");
    let files = ok(&["dpkg-deb", "-c", deb.to_str().unwrap()]);
    for f in [
        "./usr/bin/ddish",
        "./usr/share/man/man1/ddish.1.gz",
        "./usr/share/bash-completion/completions/ddish",
        "./usr/share/zsh/vendor-completions/_ddish",
        "./usr/share/fish/vendor_completions.d/ddish.fish",
        "./usr/share/doc/ddish/config.example.toml",
        "./usr/share/doc/ddish/changelog.gz",
    ] {
        assert!(files.contains(f), "{f} missing:\n{files}");
    }
    let depends = ok(&["dpkg-deb", "-f", deb.to_str().unwrap(), "Depends"]);
    assert!(
        depends.trim().starts_with("libc6 (>= 2.") && depends.trim().ends_with(", libgcc-s1"),
        "{depends}"
    );

    let port = common::ports(2);
    let kea = KeaInstance::start(
        &dir.path().join("kea"),
        "pkg",
        port,
        port + 1,
        minimal_dhcp4(json!([{"id": 1, "subnet": "10.93.0.0/24",
            "pools": [{"pool": "10.93.0.10 - 10.93.0.99"}]}])),
        None,
        None,
    )
    .expect("Kea starts");
    let config = format!(
        "[[server]]\nname = \"pkg\"\nurl = \"{}\"\napi = \"{}\"\nallow_plain_http = true\n",
        kea.ca_url,
        kea.dist.api.as_str()
    );
    for suite in ["bookworm", "trixie"] {
        let made = ok(&["bash", "scripts/debian-chroot.sh", suite]);
        let root = PathBuf::from(
            made.lines()
                .last()
                .and_then(|l| l.split_whitespace().nth(1))
                .expect("the chroot's path"),
        );
        let tag = format!("ddish-pkg-{}", std::process::id());
        let deb_in = format!("/tmp/{tag}.deb");
        let cfg_in = format!("/tmp/{tag}.toml");
        ok(&[
            "cp",
            deb.to_str().unwrap(),
            &format!("{}{deb_in}", root.display()),
        ]);
        std::fs::write(dir.path().join("cfg.toml"), &config).unwrap();
        ok(&[
            "cp",
            dir.path().join("cfg.toml").to_str().unwrap(),
            &format!("{}{cfg_in}", root.display()),
        ]);
        let installed = in_chroot(&root, &["dpkg", "-i", &deb_in]);
        let v = in_chroot(&root, &["ddish", "--version"]);
        let check = in_chroot(&root, &["ddish", "-c", &cfg_in, "check"]);
        let man = root.join("usr/share/man/man1/ddish.1.gz").exists();
        // Put the chroot back as it was, whatever happened above.
        let purged = in_chroot(&root, &["dpkg", "--purge", "ddish"]);
        ok(&[
            "rm",
            "-f",
            &format!("{}{deb_in}", root.display()),
            &format!("{}{cfg_in}", root.display()),
        ]);
        assert!(
            installed.status.success(),
            "{suite}: dpkg -i: {}",
            common::text(&installed)
        );
        let v = String::from_utf8_lossy(&v.stdout).into_owned();
        assert!(
            v.starts_with(&format!("ddish {} (commit ", env!("CARGO_PKG_VERSION")))
                && v.contains("tested with Kea"),
            "{suite}: {v}"
        );
        assert_eq!(
            check.status.code(),
            Some(0),
            "{suite}: {}",
            common::text(&check)
        );
        let table = String::from_utf8_lossy(&check.stdout);
        assert!(
            table.contains("pkg") && table.contains("yes"),
            "{suite}: {table}"
        );
        assert!(man, "{suite}: the man page was installed");
        assert!(
            purged.status.success(),
            "{suite}: {}",
            common::text(&purged)
        );
        assert!(!root.join("usr/bin/ddish").exists(), "{suite}: purged");
        println!("{suite}: installed, --version and check ran, purged");
    }
}
