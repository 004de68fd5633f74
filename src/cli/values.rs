//! The flag spellings of the library's enums: clap's `ValueEnum` for each, here at the CLI edge,
//! so that library types do not depend on clap. Names come from each type's `name()` (the same
//! lowercase spelling as its `Display`, JSON or engine name where those exist), variants from its
//! `ALL`.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::embed::OptLevel;
use crate::engines::layout::vector::{EsIndexType, KnnEngine};
use crate::engines::{AwsService, EngineKind, SchemaPreset, Similarity};
use crate::ingest::OnError;
use crate::query::Mode;

/// `ValueEnum` from the type's `ALL` and `name()`.
macro_rules! value_enum {
    ($($ty:ty),* $(,)?) => {$(
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &<$ty>::ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.name()))
            }
        }
    )*};
}

value_enum!(
    EngineKind,
    Similarity,
    KnnEngine,
    EsIndexType,
    Mode,
    OptLevel,
    SchemaPreset,
    AwsService
);

/// With a help line per value (shown by `ingest --help`).
impl ValueEnum for OnError {
    fn value_variants<'a>() -> &'a [Self] {
        &[OnError::Skip, OnError::Fail]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            OnError::Skip => PossibleValue::new("skip")
                .help("Report it (file:line:field), count it, go on; exit code 1 at the end"),
            OnError::Fail => PossibleValue::new("fail").help(
                "Stop at the first bad record (what was already sent stays indexed and checkpointed)",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: ValueEnum>() -> Vec<String> {
        T::value_variants()
            .iter()
            .map(|v| v.to_possible_value().unwrap().get_name().to_owned())
            .collect()
    }

    /// The spellings `--help` has always listed; a change here changes what users type.
    #[test]
    fn flag_spellings_stay() {
        assert_eq!(names::<EngineKind>(), ["opensearch", "elasticsearch"]);
        assert_eq!(names::<Similarity>(), ["cosine", "dot", "l2"]);
        assert_eq!(names::<KnnEngine>(), ["lucene", "faiss"]);
        assert_eq!(
            names::<EsIndexType>(),
            ["hnsw", "int8-hnsw", "bbq-hnsw", "flat"]
        );
        assert_eq!(names::<Mode>(), ["bm25", "knn", "hybrid"]);
        assert_eq!(names::<OptLevel>(), ["disable", "basic", "extended", "all"]);
        assert_eq!(names::<OnError>(), ["skip", "fail"]);
        assert_eq!(names::<AwsService>(), ["es", "aoss"]);
        assert_eq!(
            EsIndexType::from_str("int8-hnsw", false),
            Ok(EsIndexType::Int8Hnsw)
        );
    }
}
