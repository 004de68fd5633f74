//! CPU-bound work (embedding a query, exact search) called from the library's `async fn`s runs
//! here, on Tokio's blocking pool, so that a server calling `query::run` or `eval::run::evaluate`
//! never stalls one of its runtime's worker threads for the length of a model run.

use crate::error::{Error, Result};

/// Run `f` on the blocking pool and wait for it. A panic in `f` is resumed in the caller (as if
/// `f` had run inline); a task cancelled by a shutting-down runtime is an error naming `what`.
pub(crate) async fn run<T, F>(what: &'static str, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::StageFailed {
            stage: what,
            message: format!("it did not finish: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn runs_off_the_runtime_thread_and_returns_errors() {
        let caller = std::thread::current().id();
        let other = run("test", move || Ok(std::thread::current().id() != caller))
            .await
            .unwrap();
        assert!(other, "the closure ran on the runtime's own thread");
        let err = run::<(), _>("test", || Err(Error::Other("boom".into())))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "boom");
    }
}
