//! Text helpers for the render functions: times, durations, truncation, utilization bars.
use ratatui::style::Style;
use ratatui::text::Span;

use crate::model::{Thresholds, Utilization};

use crate::tui::theme;

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD HH:MM:SS` of an epoch time shifted by `offset` seconds.
pub fn datetime(epoch: i64, offset: i64) -> String {
    let t = epoch + offset;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `YYYY-MM-DD HH:MM`.
pub fn datetime_short(epoch: i64, offset: i64) -> String {
    let mut s = datetime(epoch, offset);
    s.truncate(16);
    s
}

/// `HH:MM:SS`.
pub fn clock(epoch: i64, offset: i64) -> String {
    datetime(epoch, offset)[11..].to_string()
}

/// Compact duration: `45s`, `5m`, `1h 5m`, `3d 4h`.
pub fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 if s % 3600 / 60 == 0 => format!("{}h", s / 3600),
        3600..=86_399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ if s % 86_400 / 3600 == 0 => format!("{}d", s / 86_400),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// `in 5m` or `5m ago`.
pub fn relative(t: i64, now: i64) -> String {
    if t >= now {
        format!("in {}", duration(t - now))
    } else {
        format!("{} ago", duration(now - t))
    }
}

/// Cuts `s` to `w` columns, marking the cut with `…`.
pub fn trunc(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// Cuts `s` to `w` columns in the middle, keeping its start and its end (paths).
pub fn trunc_middle(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    if w < 3 {
        return trunc(s, w);
    }
    let head = (w - 1) / 3;
    let tail = w - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// A block bar of `width` cells and the percentage, coloured by band.
pub fn util_bar(u: Utilization, width: usize, t: &Thresholds) -> Vec<Span<'static>> {
    let p = u.percent();
    let filled = ((p.min(100.0) / 100.0) * width as f64).round() as usize;
    let filled = if u.used > 0 { filled.max(1) } else { filled };
    let style = Style::new().fg(theme::band_color(u.band(t)));
    vec![
        Span::styled("█".repeat(filled.min(width)), style),
        Span::styled("░".repeat(width - filled.min(width)), theme::dim()),
        Span::raw(format!(" {:>5.1}%", p)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(datetime(0, 0), "1970-01-01 00:00:00");
        assert_eq!(datetime(1_700_000_000, 0), "2023-11-14 22:13:20");
        assert_eq!(datetime(951_782_400, 0), "2000-02-29 00:00:00");
        assert_eq!(datetime(1_700_000_000, 3600), "2023-11-14 23:13:20");
        assert_eq!(datetime_short(1_700_000_000, 0), "2023-11-14 22:13");
        assert_eq!(clock(1_700_000_000, 0), "22:13:20");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(3900), "1h 5m");
        assert_eq!(duration(86_400 * 3 + 3600 * 4), "3d 4h");
        assert_eq!(duration(86_400 * 2), "2d");
        assert_eq!(relative(100, 40), "in 1m");
        assert_eq!(relative(40, 100), "1m ago");
    }

    #[test]
    fn truncation() {
        assert_eq!(trunc("abcdef", 4), "abc…");
        assert_eq!(trunc("abc", 4), "abc");
        assert_eq!(trunc("abc", 0), "");
        assert_eq!(trunc_middle("abcdefghij", 7), "ab…ghij");
        assert_eq!(trunc_middle("abc", 7), "abc");
    }

    #[test]
    fn bars() {
        let t = Thresholds::default();
        let s: String = util_bar(Utilization::new(1, 2), 10, &t)
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(s, "█████░░░░░  50.0%");
        // Any use shows at least one block; over 100% stays in the bar.
        let s: String = util_bar(Utilization::new(1, 1000), 4, &t)
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(s, "█░░░   0.1%");
        let s = util_bar(Utilization::new(300, 100), 4, &t);
        assert_eq!(s[0].content, "████");
    }
}
