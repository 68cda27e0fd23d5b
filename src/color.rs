//! Whether to colour what ddish prints: `--color never|auto|always`, and the NO_COLOR
//! convention (no-color.org: set and not empty means no colour) for `auto`. The CLI colours
//! only a terminal; the console, always on a terminal, goes monochrome (states stay
//! distinguishable by their letters and reverse video).
use std::io::IsTerminal;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Set once, from the command line, before anything is printed.
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

fn choice() -> ColorChoice {
    CHOICE.get().copied().unwrap_or_default()
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Colour for `auto`: a terminal, and no NO_COLOR.
fn decide(choice: ColorChoice, terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

/// Whether the CLI colours its standard output.
pub fn stdout() -> bool {
    decide(choice(), std::io::stdout().is_terminal(), no_color_env())
}

/// Whether the console draws in colour (it runs on a terminal by definition).
pub fn console() -> bool {
    decide(choice(), true, no_color_env())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_then_the_terminal_then_no_color() {
        use ColorChoice::*;
        assert!(decide(Always, false, true));
        assert!(!decide(Never, true, false));
        assert!(decide(Auto, true, false));
        assert!(!decide(Auto, false, false), "not a terminal");
        assert!(!decide(Auto, true, true), "NO_COLOR");
    }
}
