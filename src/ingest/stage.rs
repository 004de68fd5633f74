//! A pipeline stage on its own thread, whose end is part of the job's result: a stage that
//! panicked (or returned an error) fails the job instead of looking like the end of the stream.

use std::thread::JoinHandle;

use crate::error::{Error, Result};

/// A running stage; [`Stage::join`] waits for it and turns a panic into [`Error::StageFailed`].
pub(crate) struct Stage<T> {
    name: &'static str,
    handle: JoinHandle<Result<T>>,
}

impl<T: Send + 'static> Stage<T> {
    pub fn spawn(
        name: &'static str,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<Self> {
        let handle = std::thread::Builder::new()
            .name(format!("sembridge-{name}"))
            .spawn(f)
            .map_err(|e| Error::StageFailed {
                stage: name,
                message: format!("the thread could not start: {e}"),
            })?;
        Ok(Stage { name, handle })
    }

    /// Wait for the stage. Call it only once the stage's output channel was drained or dropped,
    /// so a stage blocked on a full channel cannot hang the join.
    pub fn join(self) -> Result<T> {
        self.handle.join().map_err(|panic| Error::StageFailed {
            stage: self.name,
            message: panic_message(&panic),
        })?
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    format!("it panicked ({what}); the stream was cut short, so the job is not finished")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_stage_is_an_error_naming_it() {
        let stage = Stage::spawn("reader", || -> Result<()> { panic!("boom at line 7") }).unwrap();
        let err = stage.join().unwrap_err().to_string();
        assert!(
            err.contains("reader") && err.contains("boom at line 7"),
            "{err}"
        );
        assert!(matches!(
            Stage::spawn("embedder", || Ok(3)).unwrap().join(),
            Ok(3)
        ));
        let failed = Stage::spawn("embedder", || -> Result<()> {
            Err(Error::Other("x".into()))
        })
        .unwrap();
        assert!(matches!(failed.join(), Err(Error::Other(_))));
    }
}
