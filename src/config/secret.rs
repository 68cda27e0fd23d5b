//! Reading passwords and TSIG secrets, and keeping them out of logs and debug output.
use std::fmt;
use std::io::ErrorKind;
use std::path::Path;

use super::SecretSource;

/// A password or key. Debug and Display print `***`; use [`Secret::expose`] where the value
/// is really needed (an Authorization header, a TSIG signer).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl SecretSource {
    /// Read the secret now. Errors name the file or variable, say why, and how to fix it.
    pub fn read(&self) -> Result<Secret, String> {
        match self {
            SecretSource::File(path) => {
                let text = read_secret_file(path, "password file")?;
                let value = trim_newline(&text);
                if value.is_empty() {
                    return Err(format!(
                        "password file {} is empty: write the password on its first line",
                        path.display()
                    ));
                }
                Ok(Secret::new(value))
            }
            SecretSource::Given(s) if s.expose().is_empty() => {
                Err("the password given is empty: type it again".into())
            }
            SecretSource::Given(s) => Ok(s.clone()),
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) if trim_newline(&v).is_empty() => Err(format!(
                    "environment variable {var} is empty: set it to the password"
                )),
                Ok(v) => Ok(Secret::new(trim_newline(&v))),
                Err(std::env::VarError::NotPresent) => Err(format!(
                    "environment variable {var} is not set: export it before starting ddish, \
                     or use password_file"
                )),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(format!("environment variable {var} is not valid UTF-8"))
                }
            },
        }
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "file {}", p.display()),
            SecretSource::Env(v) => write!(f, "environment variable {v}"),
            SecretSource::Given(_) => f.write_str("the password given"),
        }
    }
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\n', '\r'])
}

fn read_secret_file(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            ErrorKind::NotFound => "it does not exist".to_string(),
            ErrorKind::PermissionDenied => {
                "permission denied: make it readable by the user running ddish".to_string()
            }
            ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        format!("cannot read {what} {}: {why}", path.display())
    })
}

/// Read a TSIG secret: a file holding the base64 secret alone, or a BIND key file
/// (`key "name" { algorithm hmac-sha256; secret "BASE64"; };`, first key wins).
pub fn read_tsig_secret(path: &Path) -> Result<Secret, String> {
    let text = read_secret_file(path, "TSIG secret file")?;
    let value = match bind_secret(&text) {
        Some(v) => v,
        None if text.contains("secret") => {
            return Err(format!(
                "TSIG secret file {} looks like a BIND key file but has no `secret \"...\";` line",
                path.display()
            ))
        }
        None => text.trim().to_string(),
    };
    if value.is_empty() {
        return Err(format!(
            "TSIG secret file {} is empty: put the base64 secret in it (e.g. from `tsig-keygen`)",
            path.display()
        ));
    }
    if !is_base64(&value) {
        return Err(format!(
            "TSIG secret in {} is not valid base64: use the secret from `tsig-keygen` \
             or the BIND key file itself",
            path.display()
        ));
    }
    Ok(Secret::new(value))
}

/// The quoted value after the first `secret` keyword outside comments, if any.
fn bind_secret(text: &str) -> Option<String> {
    let code: String = text
        .lines()
        .map(strip_comment)
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("secret") {
        let before_ok = rest[..i]
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace() || c == '{' || c == ';');
        let after = rest[i + "secret".len()..].trim_start();
        if before_ok {
            if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"')?;
                return Some(q[..end].trim().to_string());
            }
        }
        rest = &rest[i + "secret".len()..];
    }
    None
}

/// The line without its `#` or `//` comment. Quoted text is skipped: base64 secrets can
/// contain `//`.
fn strip_comment(l: &str) -> &str {
    let b = l.as_bytes();
    let mut quoted = false;
    for (i, c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'#' if !quoted => return &l[..i],
            b'/' if !quoted && b.get(i + 1) == Some(&b'/') => return &l[..i],
            _ => {}
        }
    }
    l
}

fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2
        && !body.is_empty()
        && s.len().is_multiple_of(4)
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn bind_key_with_slashes_in_the_secret() {
        // tsig-keygen output whose base64 holds "//": not a comment inside quotes.
        let text = "key \"lab-key\" { // generated\n\talgorithm hmac-sha256;\n\tsecret \"ab//cd+ef/gh==\"; # the key\n};\n";
        assert_eq!(bind_secret(text).as_deref(), Some("ab//cd+ef/gh=="));
        assert_eq!(strip_comment("a # b"), "a ");
        assert_eq!(strip_comment("x \"#//\" // c"), "x \"#//\" ");
    }

    #[test]
    fn secret_is_masked() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn file_secret_trims_newline_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret \n").unwrap();
        let s = SecretSource::File(p.clone()).read().unwrap();
        assert_eq!(s.expose(), "s3cret ");
        std::fs::write(&p, "\n").unwrap();
        let e = SecretSource::File(p.clone()).read().unwrap_err();
        assert!(
            e.contains("is empty") && e.contains(&p.display().to_string()),
            "{e}"
        );
        let e = SecretSource::File(PathBuf::from("/nonexistent/pw"))
            .read()
            .unwrap_err();
        assert!(
            e.contains("/nonexistent/pw") && e.contains("does not exist"),
            "{e}"
        );
    }

    #[test]
    fn env_secret() {
        // Unique names: tests run in parallel in one process.
        std::env::set_var("DDISH_TEST_SECRET_SET", "pw\n");
        let s = SecretSource::Env("DDISH_TEST_SECRET_SET".into())
            .read()
            .unwrap();
        assert_eq!(s.expose(), "pw");
        let e = SecretSource::Env("DDISH_TEST_SECRET_UNSET".into())
            .read()
            .unwrap_err();
        assert!(
            e.contains("DDISH_TEST_SECRET_UNSET") && e.contains("not set"),
            "{e}"
        );
    }

    #[test]
    fn tsig_bare_and_bind_formats() {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("bare");
        std::fs::write(&bare, "c2VjcmV0LWtleS1ieXRlcw==\n").unwrap();
        assert_eq!(
            read_tsig_secret(&bare).unwrap().expose(),
            "c2VjcmV0LWtleS1ieXRlcw=="
        );
        let bind = dir.path().join("bind.key");
        std::fs::write(
            &bind,
            "# secret \"not-this\"\nkey \"lab-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"QUJDRA==\";\n};\n",
        )
        .unwrap();
        assert_eq!(read_tsig_secret(&bind).unwrap().expose(), "QUJDRA==");
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "not base64!\n").unwrap();
        assert!(read_tsig_secret(&bad)
            .unwrap_err()
            .contains("not valid base64"));
        let e = read_tsig_secret(&dir.path().join("none")).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn a_given_secret_reads_back_and_never_prints() {
        let src = SecretSource::Given(Secret::new("hunter2"));
        assert_eq!(src.read().unwrap().expose(), "hunter2");
        for shown in [format!("{src}"), format!("{src:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        let e = SecretSource::Given(Secret::new("")).read().unwrap_err();
        assert!(e.contains("empty"), "{e}");
    }
}
