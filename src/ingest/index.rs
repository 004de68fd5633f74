//! Index planning: check an existing index against the job's spec before any embedding, and
//! create (or drop and create) it only when the first bulk request is ready.

use crate::engines::{Engine, IndexSpec};
use crate::error::{Error, Result};

/// What the index needs before the first bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexSetup {
    /// It exists with a mapping that agrees: nothing.
    Ready,
    Create,
    /// `--recreate` of an existing index: drop, then create.
    DropAndCreate,
}

/// Check the index against the spec without changing anything: a mismatch is an error here,
/// before any embedding; creating (or dropping) waits for [`apply_index_setup`].
pub async fn plan_index(engine: &Engine, spec: &IndexSpec, recreate: bool) -> Result<IndexSetup> {
    if !engine.index_exists(&spec.name).await? {
        return Ok(IndexSetup::Create);
    }
    if recreate {
        return Ok(IndexSetup::DropAndCreate);
    }
    let differences = engine.mapping_differences(spec).await?;
    if !differences.is_empty() {
        return Err(Error::MappingMismatch {
            index: spec.name.clone(),
            differences,
        });
    }
    Ok(IndexSetup::Ready)
}

/// Carry out what [`plan_index`] decided (drop and/or create the index).
pub async fn apply_index_setup(engine: &Engine, spec: &IndexSpec, setup: IndexSetup) -> Result<()> {
    match setup {
        IndexSetup::Ready => Ok(()),
        IndexSetup::Create => engine.create_index(spec).await,
        IndexSetup::DropAndCreate => {
            engine.delete_index(&spec.name).await?;
            engine.create_index(spec).await
        }
    }
}
