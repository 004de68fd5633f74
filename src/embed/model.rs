//! A sentence-transformers model folder: which files make the model, how its token vectors are
//! pooled, whether it normalizes, how long inputs may be and which prompts it wants.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::pooling::Pooling;
use crate::error::{Error, Result};

/// Everything read from the model folder, before ONNX Runtime is involved.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub dir: PathBuf,
    pub onnx_path: PathBuf,
    pub tokenizer_path: PathBuf,
    pub pooling: Pooling,
    pub normalize: bool,
    /// Tokens per text, special tokens included (sentence_bert_config.json, default 256... or 512).
    pub max_seq_length: usize,
    pub do_lower_case: bool,
    /// Named prompts (config_sentence_transformers.json), e.g. "query" -> "query: ".
    pub prompts: BTreeMap<String, String>,
    pub default_prompt_name: Option<String>,
}

/// What makes two vector sets comparable: same weights, same tokenizer, same post-processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFingerprint {
    pub onnx_sha256: String,
    pub tokenizer_sha256: String,
    pub dims: usize,
    pub pooling: Pooling,
    pub normalize: bool,
    pub max_seq_length: usize,
}

impl ModelFingerprint {
    /// A short id for messages and checkpoint keys.
    pub fn short(&self) -> String {
        format!(
            "{}-{}-{}d",
            &self.onnx_sha256[..12.min(self.onnx_sha256.len())],
            &self.tokenizer_sha256[..8.min(self.tokenizer_sha256.len())],
            self.dims
        )
    }
}

/// The prompt sentence-transformers' `encode_query` / `encode_document` would apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Document,
}

#[derive(Deserialize)]
struct ModuleEntry {
    #[serde(default)]
    path: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
    #[serde(default)]
    pooling_mode: Option<String>,
}

#[derive(Deserialize)]
struct SbertConfig {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

#[derive(Deserialize, Default)]
struct StConfig {
    #[serde(default)]
    prompts: BTreeMap<String, String>,
    #[serde(default)]
    default_prompt_name: Option<String>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::model(path, format!("invalid JSON: {e}")))
}

impl ModelConfig {
    /// Read a sentence-transformers folder. Needs `model.onnx` (or `onnx/model.onnx`) and
    /// `tokenizer.json`; pooling defaults to mean and normalization to what `modules.json` says.
    pub fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::model(
                dir,
                "not a directory; pass the folder that holds model.onnx and tokenizer.json \
                 (run scripts/setup.sh for the default model)",
            ));
        }
        let onnx_path = ["model.onnx", "onnx/model.onnx"]
            .iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::model(
                    dir,
                    "no model.onnx (nor onnx/model.onnx): export the model to ONNX first",
                )
            })?;
        let tokenizer_path = dir.join("tokenizer.json");
        if !tokenizer_path.is_file() {
            return Err(Error::model(
                dir,
                "no tokenizer.json: copy the tokenizer of the model (the `tokenizers` JSON format) into the folder",
            ));
        }

        let modules_path = dir.join("modules.json");
        let modules: Vec<ModuleEntry> = if modules_path.is_file() {
            read_json(&modules_path)?
        } else {
            Vec::new()
        };
        let normalize = modules.iter().any(|m| m.kind.ends_with("Normalize"));
        let pooling_dir = modules
            .iter()
            .find(|m| m.kind.ends_with("Pooling"))
            .map(|m| dir.join(&m.path))
            .unwrap_or_else(|| dir.join("1_Pooling"));
        let pooling_path = pooling_dir.join("config.json");
        let pooling = if pooling_path.is_file() {
            parse_pooling(&pooling_path, read_json(&pooling_path)?)?
        } else {
            Pooling::Mean
        };

        let sbert_path = dir.join("sentence_bert_config.json");
        let sbert: SbertConfig = if sbert_path.is_file() {
            read_json(&sbert_path)?
        } else {
            SbertConfig {
                max_seq_length: None,
                do_lower_case: false,
            }
        };
        let model_max = max_position_embeddings(dir)?;
        let max_seq_length = match (sbert.max_seq_length, model_max) {
            (Some(s), Some(m)) => s.min(m),
            (Some(s), None) => s,
            (None, Some(m)) => m.min(512),
            (None, None) => 512,
        };
        if max_seq_length < 2 {
            return Err(Error::model(
                &sbert_path,
                format!("max_seq_length {max_seq_length} is too small"),
            ));
        }

        let st_path = dir.join("config_sentence_transformers.json");
        let st: StConfig = if st_path.is_file() {
            read_json(&st_path)?
        } else {
            StConfig::default()
        };
        if let Some(name) = &st.default_prompt_name
            && !st.prompts.contains_key(name)
        {
            return Err(Error::model(
                &st_path,
                format!(
                    "default_prompt_name `{name}` is not among the prompts {:?}",
                    st.prompts.keys().collect::<Vec<_>>()
                ),
            ));
        }

        Ok(ModelConfig {
            dir: dir.to_path_buf(),
            onnx_path,
            tokenizer_path,
            pooling,
            normalize,
            max_seq_length,
            do_lower_case: sbert.do_lower_case,
            prompts: st.prompts,
            default_prompt_name: st.default_prompt_name,
        })
    }

    /// The prompt for a role, chosen as sentence-transformers does: `encode_query` uses the
    /// "query" prompt, `encode_document` the first of "document", "passage", "corpus"; otherwise
    /// the default prompt, otherwise none.
    pub fn prompt_for(&self, role: Role) -> Option<&str> {
        let names: &[&str] = match role {
            Role::Query => &["query"],
            Role::Document => &["document", "passage", "corpus"],
        };
        names
            .iter()
            .find_map(|n| self.prompts.get(*n))
            .or_else(|| {
                self.default_prompt_name
                    .as_ref()
                    .and_then(|n| self.prompts.get(n))
            })
            .map(String::as_str)
    }

    /// The named prompt, or an error that lists the ones the model has.
    pub fn named_prompt(&self, name: &str) -> Result<&str> {
        self.prompts.get(name).map(String::as_str).ok_or_else(|| {
            Error::config(
                "--prompt-name",
                format!(
                    "the model has no prompt `{name}` (it has: {:?})",
                    self.prompts.keys().collect::<Vec<_>>()
                ),
            )
        })
    }

    /// Hash the files that determine the vectors.
    pub fn fingerprint(&self, dims: usize) -> Result<ModelFingerprint> {
        Ok(ModelFingerprint {
            onnx_sha256: sha256_file(&self.onnx_path)?,
            tokenizer_sha256: sha256_file(&self.tokenizer_path)?,
            dims,
            pooling: self.pooling,
            normalize: self.normalize,
            max_seq_length: self.max_seq_length,
        })
    }
}

fn parse_pooling(path: &Path, c: PoolingConfig) -> Result<Pooling> {
    if let Some(mode) = c.pooling_mode.as_deref() {
        return match mode {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            "max" => Ok(Pooling::Max),
            other => Err(Error::model(
                path,
                format!("pooling mode `{other}` is not supported (mean, cls, max are)"),
            )),
        };
    }
    let unsupported = [
        (c.pooling_mode_mean_sqrt_len_tokens, "mean_sqrt_len_tokens"),
        (c.pooling_mode_weightedmean_tokens, "weightedmean_tokens"),
        (c.pooling_mode_lasttoken, "lasttoken"),
    ];
    if let Some((_, name)) = unsupported.iter().find(|(on, _)| *on) {
        return Err(Error::model(
            path,
            format!("pooling mode `{name}` is not supported (mean, cls, max are)"),
        ));
    }
    match (
        c.pooling_mode_mean_tokens,
        c.pooling_mode_cls_token,
        c.pooling_mode_max_tokens,
    ) {
        (true, false, false) => Ok(Pooling::Mean),
        (false, true, false) => Ok(Pooling::Cls),
        (false, false, true) => Ok(Pooling::Max),
        (false, false, false) => Err(Error::model(path, "no pooling mode is enabled")),
        _ => Err(Error::model(
            path,
            "several pooling modes at once (concatenated) are not supported",
        )),
    }
}

/// `max_position_embeddings` from the transformer's config.json, when present.
fn max_position_embeddings(dir: &Path) -> Result<Option<usize>> {
    let path = dir.join("config.json");
    if !path.is_file() {
        return Ok(None);
    }
    let v: serde_json::Value = read_json(&path)?;
    Ok(v.get("max_position_embeddings")
        .and_then(|x| x.as_u64())
        .map(|x| x as usize))
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        dir
    }

    #[test]
    fn reads_pooling_prompts_and_lengths() {
        let d = folder(&[
            ("model.onnx", "x"),
            ("tokenizer.json", "{}"),
            (
                "modules.json",
                r#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]"#,
            ),
            (
                "1_Pooling/config.json",
                r#"{"pooling_mode_cls_token": true}"#,
            ),
            ("sentence_bert_config.json", r#"{"max_seq_length": 1024}"#),
            ("config.json", r#"{"max_position_embeddings": 512}"#),
            (
                "config_sentence_transformers.json",
                r#"{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}"#,
            ),
        ]);
        let c = ModelConfig::load(d.path()).unwrap();
        assert_eq!(c.pooling, Pooling::Cls);
        assert!(c.normalize);
        assert_eq!(c.max_seq_length, 512, "capped by max_position_embeddings");
        assert_eq!(c.prompt_for(Role::Query), Some("query: "));
        assert_eq!(c.prompt_for(Role::Document), Some("passage: "));
    }

    #[test]
    fn missing_tokenizer_names_the_folder_and_the_file() {
        let d = folder(&[("model.onnx", "x")]);
        let err = ModelConfig::load(d.path()).unwrap_err().to_string();
        assert!(
            err.contains("tokenizer.json") && err.contains(&d.path().display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn unknown_pooling_is_an_error() {
        let d = folder(&[
            ("model.onnx", "x"),
            ("tokenizer.json", "{}"),
            (
                "1_Pooling/config.json",
                r#"{"pooling_mode_lasttoken": true}"#,
            ),
        ]);
        let err = ModelConfig::load(d.path()).unwrap_err().to_string();
        assert!(
            err.contains("lasttoken") && err.contains("not supported"),
            "{err}"
        );
    }

    #[test]
    fn no_prompts_means_no_prompt_and_no_normalize_without_modules() {
        let d = folder(&[("onnx/model.onnx", "x"), ("tokenizer.json", "{}")]);
        let c = ModelConfig::load(d.path()).unwrap();
        assert_eq!(c.prompt_for(Role::Query), None);
        assert!(!c.normalize);
        assert_eq!(c.pooling, Pooling::Mean);
        assert!(c.onnx_path.ends_with("onnx/model.onnx"));
    }
}
