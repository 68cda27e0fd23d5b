//! Editing a text in the admin's own editor ($VISUAL, $EDITOR, else vi): a private file,
//! notes on top that are not part of the text, and "unchanged" told apart from an edit.
//! The CLI (`ddish config edit`) and the console share it; the console gives the terminal
//! to the editor while it runs.
use std::path::{Path, PathBuf};

/// Lines of the file that start with this are notes, not the text.
pub const NOTE: &str = "//";

#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("cannot {what} {path}: {err}")]
    File {
        what: &'static str,
        path: PathBuf,
        err: std::io::Error,
    },
    #[error("cannot start the editor {program:?}: {err}; set $EDITOR to one you have")]
    Start {
        program: String,
        err: std::io::Error,
    },
    #[error("the editor {program:?} failed ({status}): nothing was sent")]
    Failed { program: String, status: String },
}

/// Opens `text` under `notes` (each line prefixed with [`NOTE`]) in the editor, as
/// `<name>.json` in a 0700 directory removed afterwards. `Some(text)` without the notes
/// when the file was changed, `None` when it was saved unchanged or not saved.
pub fn edit(name: &str, text: &str, notes: &[String]) -> Result<Option<String>, EditorError> {
    let dir = PrivateDir::new()?;
    let file = dir.0.join(format!("{name}.json"));
    let written = with_notes(text, notes);
    write_private(&file, &written)?;
    run_editor(&file)?;
    let back = std::fs::read_to_string(&file).map_err(|err| EditorError::File {
        what: "read",
        path: file.clone(),
        err,
    })?;
    Ok((back != written).then(|| strip_notes(&back)))
}

fn with_notes(text: &str, notes: &[String]) -> String {
    let mut out = String::new();
    for n in notes {
        for l in n.lines() {
            out.push_str(&format!("{NOTE} {l}\n"));
        }
    }
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn strip_notes(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(NOTE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A 0700 directory for the editor's file, removed when dropped.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new() -> Result<PrivateDir, EditorError> {
        use std::os::unix::fs::DirBuilderExt;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let p = std::env::temp_dir().join(format!("ddish-edit-{}-{nanos}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&p)
            .map_err(|err| EditorError::File {
                what: "make",
                path: p.clone(),
                err,
            })?;
        Ok(PrivateDir(p))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file is 0600: it holds the configuration's structure (secrets masked).
fn write_private(path: &Path, text: &str) -> Result<(), EditorError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |err| EditorError::File {
        what: "write",
        path: path.to_path_buf(),
        err,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)
}

/// $VISUAL, else $EDITOR, else vi; a value with arguments (`code --wait`) is split on
/// white space.
fn run_editor(file: &Path) -> Result<(), EditorError> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi").to_string();
    let status = std::process::Command::new(&program)
        .args(parts)
        .arg(file)
        .status()
        .map_err(|err| EditorError::Start {
            program: program.clone(),
            err,
        })?;
    if !status.success() {
        return Err(EditorError::Failed {
            program,
            status: status.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_go_on_top_and_come_off() {
        let t = with_notes(
            "{\n  \"a\": 1\n}",
            &["ERROR: bad\nsecond".into(), "hint".into()],
        );
        assert!(t.starts_with("// ERROR: bad\n// second\n// hint\n{"), "{t}");
        assert_eq!(strip_notes(&t), "{\n  \"a\": 1\n}");
    }
}
