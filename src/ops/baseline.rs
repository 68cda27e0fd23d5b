//! What a change is made against: the configuration the user was looking at when they
//! acted, not whatever the background refresh loaded since. The console hands the view's
//! [`Baseline`] to the worker, which runs the action inside [`acting_on`]; the write then
//! compares the server with that (config-hash-get on Kea 2.4+, the config-get digest on
//! 2.2) and stops if another admin changed it meanwhile. Without one (the CLI, which acts
//! on what it reads itself), the session's last load is the baseline.
use std::cell::RefCell;
use std::future::Future;

/// A server's configuration as a view showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    pub server: String,
    /// ddish's digest of the config-get body.
    pub digest: u64,
    /// Kea's own hash (Kea >= 2.4).
    pub hash: Option<String>,
}

tokio::task_local! {
    static ACTING_ON: RefCell<Option<Baseline>>;
}

/// Runs `f` (one action) against `baseline`.
pub async fn acting_on<F: Future>(baseline: Option<Baseline>, f: F) -> F::Output {
    ACTING_ON.scope(RefCell::new(baseline), f).await
}

/// The baseline of `server` for the action running now, if it was given one:
/// `Some(None)` means "given, but forgotten" (after the action's own first write).
pub(crate) fn current(server: &str) -> Option<Option<Baseline>> {
    ACTING_ON
        .try_with(|b| {
            let b = b.borrow();
            match b.as_ref() {
                Some(x) if x.server == server => Some(Some(x.clone())),
                _ => None,
            }
        })
        .ok()
        .flatten()
}

/// After the action's own write to `server`: its next write starts from what it wrote.
pub(crate) fn forget(server: &str) {
    let _ = ACTING_ON.try_with(|b| {
        let mut b = b.borrow_mut();
        if b.as_ref().is_some_and(|x| x.server == server) {
            *b = None;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_given_baseline_holds_for_its_server_until_forgotten() {
        assert_eq!(current("kea-1"), None, "outside an action: none");
        let b = Baseline {
            server: "kea-1".into(),
            digest: 7,
            hash: Some("AB".into()),
        };
        acting_on(Some(b.clone()), async {
            assert_eq!(current("kea-1"), Some(Some(b.clone())));
            assert_eq!(current("kea-2"), None);
            forget("kea-1");
            assert_eq!(current("kea-1"), None);
        })
        .await;
    }
}
