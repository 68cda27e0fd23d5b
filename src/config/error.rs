//! `ConfigError`: every configuration problem a user sees, with file, line, column and a hint.
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A configuration problem: where it is, what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the problem is at a place in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    pub message: String,
    pub hint: String,
}

impl ConfigError {
    /// An error about the file as a whole (missing, unreadable).
    pub fn file(file: &Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// An error at byte offset `span.start` of `text`.
    pub fn at(
        file: &Path,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(text, span.start);
        ConfigError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_lc = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            // A prefix of a longer key ("secret" for "secret_file") counts as close.
            let prefix = word_lc.len() >= 4 && c.starts_with(&word_lc);
            (
                if prefix {
                    1
                } else {
                    edit_distance(&word_lc, c)
                },
                *c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean 'x'? Valid keys: a, b, c" (or just the list).
pub fn suggest(word: &str, candidates: &[&str], what: &str) -> String {
    let list = candidates.join(", ");
    match closest(word, candidates) {
        Some(c) => format!("did you mean '{c}'? Valid {what}: {list}"),
        None => format!("valid {what}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(text, 9), (2, 3));
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["password_file", "password_env", "user"];
        assert_eq!(closest("pasword_file", &keys), Some("password_file"));
        assert_eq!(closest("colour", &keys), None);
        assert!(suggest("usr", &keys, "keys").starts_with("did you mean 'user'?"));
    }

    #[test]
    fn display_has_place_and_hint() {
        let e = ConfigError::at(Path::new("/x/c.toml"), "a\nbb = 1", 5..6, "bad", "fix it");
        assert_eq!(e.to_string(), "/x/c.toml:2:4: bad\n  hint: fix it");
    }
}
