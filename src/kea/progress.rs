//! Where a write is, step by step ("config-set on kea-2"), for whoever watches it: the
//! console shows it with the seconds it has taken so far; the CLI and tests watch nothing.
//! A task-local sink, so the write path needs no extra parameter.
use std::future::Future;
use std::sync::Arc;

/// Told each step as it starts.
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

tokio::task_local! {
    static SINK: Sink;
}

/// Runs `f` with its steps told to `sink`.
pub async fn reporting<F: Future>(sink: Sink, f: F) -> F::Output {
    SINK.scope(sink, f).await
}

/// The write reached `what` on `server` (a no-op when nobody watches).
pub fn step(what: &str, server: &str) {
    let _ = SINK.try_with(|s| s(&format!("{what} on {server}")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn steps_reach_the_sink_of_their_task_only() {
        step("config-set", "kea-1");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        reporting(
            Arc::new(move |t: &str| s.lock().unwrap().push(t.to_string())),
            async {
                step("config-test", "kea-1");
                step("config-set", "kea-2");
            },
        )
        .await;
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["config-test on kea-1", "config-set on kea-2"]
        );
    }
}
