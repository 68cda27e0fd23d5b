//! The changes the console is writing: it waits for them before it exits (a write dropped
//! half-way could leave HA peers different or a change live but unsaved).
use std::sync::Arc;

/// The changes being written: the console waits for them before it exits (a write dropped
/// half-way could leave HA peers different or a change live but unsaved).
#[derive(Clone, Default)]
pub struct Writes(Arc<WritesInner>);

#[derive(Default)]
struct WritesInner {
    doing: std::sync::Mutex<Vec<(u64, String)>>,
    idle: tokio::sync::Notify,
}

/// One write in flight; dropping it (the write ended) takes it off the list.
pub(super) struct WriteTicket(Writes, u64);

impl Writes {
    pub(super) fn start(&self, id: u64, what: String) -> WriteTicket {
        self.lock().push((id, what));
        WriteTicket(self.clone(), id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, String)>> {
        self.0.doing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is being written now ("reserving 10.0.0.5", ...).
    pub fn running(&self) -> Vec<String> {
        self.lock().iter().map(|(_, w)| w.clone()).collect()
    }

    /// Resolves once no write is in flight.
    pub async fn idle(&self) {
        loop {
            let notified = self.0.idle.notified();
            if self.lock().is_empty() {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for WriteTicket {
    fn drop(&mut self) {
        self.0.lock().retain(|(id, _)| *id != self.1);
        self.0 .0.idle.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_every_write() {
        let w = Writes::default();
        w.idle().await;
        let a = w.start(1, "reserving 10.0.0.5".into());
        let b = w.start(2, "deleting scope 10.1.0.0/24".into());
        assert_eq!(w.running().len(), 2);
        let waiter = tokio::spawn({
            let w = w.clone();
            async move { w.idle().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one write is still running");
        assert_eq!(w.running(), vec!["deleting scope 10.1.0.0/24".to_string()]);
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("idle once both ended")
            .unwrap();
    }
}
