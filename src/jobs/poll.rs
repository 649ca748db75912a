//! The loop every worker runs: a pass, then a pause when the pass found nothing to do.

use tokio::sync::watch;

/// Runs `pass` until `stop` turns true: again at once after a pass that found work (it
/// returns how many items it handled), after `poll` otherwise. A failed pass is logged and
/// waited out like an idle one.
pub async fn poll_until_stopped<F, Fut>(
    what: &str,
    poll: std::time::Duration,
    mut stop: watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    loop {
        let busy = match pass().await {
            Ok(handled) => handled > 0,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), queue = what, "pass failed");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
