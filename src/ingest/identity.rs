//! Is a resumed job writing to the same place? The checkpoint records the cluster's UUID and the
//! index's UUID; a resume into another cluster, or into an index deleted and created again under
//! the same name, is refused, as is one whose index holds fewer documents than the checkpoint
//! says were acknowledged. And one job at a time per checkpoint: a lock file next to it names
//! the process that holds it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::checkpoint::Checkpoint;
use crate::engines::Engine;
use crate::engines::names::path_segment;
use crate::error::{Error, Result};

/// The cluster's UUID (`cluster_uuid` of `GET /`); `None` where the engine does not say
/// (OpenSearch Serverless).
pub(crate) async fn cluster_uuid(engine: &Engine) -> Option<String> {
    let root = engine.get_json("").await.ok()?;
    root.get("cluster_uuid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty() && *u != "_na_")
        .map(str::to_owned)
}

/// The index's UUID (`index.uuid` of its settings); `None` when it does not exist or the engine
/// does not say.
pub(crate) async fn index_uuid(engine: &Engine, index: &str) -> Option<String> {
    let path = format!("{}/_settings/index.uuid", path_segment(index));
    let v = engine.get_json(&path).await.ok()?;
    v.as_object()?
        .values()
        .next()?
        .pointer("/settings/index/uuid")?
        .as_str()
        .map(str::to_owned)
}

/// Refuse a resume whose target is not the one the checkpoint was written for: another cluster,
/// another index of the same name, or an index that lost acknowledged documents.
pub(crate) async fn check_resume_target(
    engine: &Engine,
    path: &Path,
    previous: &Checkpoint,
    now: &mut Checkpoint,
) -> Result<()> {
    let refuse = |message: String| Error::Checkpoint {
        path: path.to_owned(),
        message: format!("cannot resume: {message}; run without --resume to start over"),
    };
    if let (Some(was), Some(is)) = (&previous.cluster_uuid, &now.cluster_uuid)
        && was != is
    {
        return Err(refuse(format!(
            "it was written for cluster {was}, {} is cluster {is}",
            engine.url()
        )));
    }
    if previous.done == 0 {
        return Ok(());
    }
    let index = &now.index;
    let Some(is) = index_uuid(engine, index).await else {
        // No such index: the caller says so with its own message.
        return Ok(());
    };
    if let Some(was) = &previous.index_uuid
        && *was != is
    {
        return Err(refuse(format!(
            "index `{index}` is not the one it was written for (uuid {was}, now {is}: deleted \
             and created again?)"
        )));
    }
    now.index_uuid = Some(is);
    if !engine.serverless() {
        engine.refresh(index).await?;
        let count = engine.count(index).await?;
        let stored = previous.done.saturating_sub(previous.failed);
        if count < stored {
            return Err(refuse(format!(
                "index `{index}` holds {count} documents, fewer than the {stored} the checkpoint \
                 records as acknowledged"
            )));
        }
    }
    Ok(())
}

/// The lock of one checkpoint: `CHECKPOINT.lock` holding the process id, removed on drop.
#[derive(Debug)]
pub(crate) struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock of `checkpoint`, or refuse naming the process that holds it. A lock left by
    /// a process that no longer runs (Linux: no `/proc/PID`) is taken over.
    pub fn take(checkpoint: &Path) -> Result<Lock> {
        let path = PathBuf::from(format!("{}.lock", checkpoint.display()));
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().parse::<u32>().ok();
                    let alive = match pid {
                        Some(pid) if cfg!(target_os = "linux") => {
                            Path::new(&format!("/proc/{pid}")).exists()
                        }
                        _ => true,
                    };
                    if alive {
                        return Err(Error::Checkpoint {
                            path: checkpoint.to_owned(),
                            message: format!(
                                "another job (process {}) is using it (lock file {}); wait for \
                                 it, or delete the lock file if that process is gone",
                                pid.map(|p| p.to_string())
                                    .unwrap_or_else(|| "unknown".into()),
                                path.display()
                            ),
                        });
                    }
                    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Checkpoint {
            path: checkpoint.to_owned(),
            message: format!("could not take the lock file {}", path.display()),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_first_holder() {
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path().join("job.checkpoint.json");
        let first = Lock::take(&ckpt).unwrap();
        let e = Lock::take(&ckpt).unwrap_err().to_string();
        assert!(
            e.contains(&format!("process {}", std::process::id())) && e.contains(".lock"),
            "{e}"
        );
        drop(first);
        let again = Lock::take(&ckpt).unwrap();
        drop(again);
        // A lock left by a process that is gone is taken over.
        std::fs::write(format!("{}.lock", ckpt.display()), "4294967\n").unwrap();
        assert!(Lock::take(&ckpt).is_ok());
    }
}
