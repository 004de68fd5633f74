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
        IndexSetup::Create => create(engine, spec).await,
        IndexSetup::DropAndCreate => {
            engine.delete_index(&spec.name).await?;
            create(engine, spec).await
        }
    }
}

/// Create the index; with an analyzer that was assumed (see `IndexSpec::analyzer_fallback`) and
/// that the engine turns out not to know, with the fallback analyzer instead.
async fn create(engine: &Engine, spec: &IndexSpec) -> Result<()> {
    match (engine.create_index(spec).await, &spec.analyzer_fallback) {
        (
            Err(Error::Engine {
                status: 400,
                reason,
                ..
            }),
            Some(fallback),
        ) if reason.contains(&format!("analyzer [{}]", spec.analyzer)) => {
            tracing::warn!(
                "the engine has no `{}` analyzer; the index is made with `{fallback}`",
                spec.analyzer
            );
            let mut spec = spec.clone();
            spec.analyzer = fallback.clone();
            engine.create_index(&spec).await
        }
        (result, _) => result,
    }
}
