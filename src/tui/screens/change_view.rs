//! What the screens that change whole servers (parameters, option definitions) show of
//! a change: its preview, then what the write did.
use ratatui::text::{Line, Span};

use crate::ops::bulk::{BulkChange, ServerOutcome, ServerPreview};
use crate::ops::Command;
use crate::tui::keymap::Action;
use crate::tui::screen::{ScreenJob, ScreenOut};
use crate::tui::theme;

/// A whole-server change's preview (what changes, refusals, warnings), else what its
/// write did; `None` when there is neither.
pub fn change_lines(
    preview: &Option<Result<Vec<ServerPreview>, String>>,
    outcome: &Option<Result<Vec<ServerOutcome>, String>>,
) -> Option<Vec<Line<'static>>> {
    let mut lines = Vec::new();
    match preview {
        Some(Ok(p)) => {
            for s in p {
                if let Some(e) = &s.error {
                    lines.push(Line::from(Span::styled(
                        format!(" {}: refused: {e}", s.server),
                        theme::error(),
                    )));
                }
                for c in &s.changes {
                    lines.push(Line::from(format!(" {}: {c}", s.server)));
                }
                for w in &s.warnings {
                    lines.push(Line::from(Span::styled(format!(" ⚠ {w}"), theme::warn())));
                }
                if s.error.is_none() && s.changes.is_empty() {
                    lines.push(Line::from(" nothing changes: the server has that already"));
                }
            }
            return Some(lines);
        }
        Some(Err(e)) => {
            return Some(vec![Line::from(Span::styled(
                format!(" the preview failed: {e}"),
                theme::error(),
            ))])
        }
        None => {}
    }
    match outcome {
        Some(Ok(o)) => {
            for s in o {
                lines.push(match &s.result {
                    Ok(t) => Line::from(Span::styled(
                        format!(" ✓ {} ({}): {t}", s.server, s.peers.join(", ")),
                        theme::ok(),
                    )),
                    Err(e) => Line::from(Span::styled(
                        format!(" ✗ {}: {e}", s.server),
                        theme::error(),
                    )),
                });
            }
        }
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            format!(" ✗ not written: {e}"),
            theme::error(),
        ))),
        None => return None,
    }
    Some(lines)
}

/// Whether a preview can be applied: something changes, and no server refuses.
pub fn appliable(preview: &Option<Result<Vec<ServerPreview>, String>>) -> bool {
    matches!(preview, Some(Ok(p))
        if p.iter().all(|s| s.error.is_none()) && p.iter().any(|s| !s.changes.is_empty()))
}

/// `y` writes the previewed change (when something changes and no server refuses), `n`
/// drops it; `None` for any other key, or while nothing is previewed or a job runs.
pub fn yes_no(
    a: Option<Action>,
    change: &mut Option<BulkChange>,
    preview: &mut Option<Result<Vec<ServerPreview>, String>>,
    busy: &mut Option<&'static str>,
) -> Option<ScreenOut> {
    if change.is_none() || busy.is_some() {
        return None;
    }
    match a {
        Some(Action::Yes) => {
            if !appliable(preview) {
                return Some(ScreenOut::say(
                    "nothing to apply: the preview shows no change, or the server refuses it",
                ));
            }
            let change = change.take()?;
            *busy = Some("writing");
            Some(ScreenOut::job(ScreenJob::new(
                "apply",
                Command::BulkApply(Box::new(change)),
            )))
        }
        Some(Action::No) => {
            *change = None;
            *preview = None;
            Some(ScreenOut::say("dropped: nothing was written"))
        }
        _ => None,
    }
}
