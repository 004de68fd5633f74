//! The ONNX graph's side of embedding: which inputs and output a model really has, and one batch
//! padded into tensors, run, pooled and normalized.

use std::borrow::Cow;

use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;
use tokenizers::Encoding;

use super::pool::Worker;
use super::{Embedder, ModelConfig, pooling};
use crate::error::{Error, Result};

#[derive(Debug)]
pub(super) struct Inputs {
    pub(super) ids: String,
    pub(super) mask: Option<String>,
    pub(super) type_ids: Option<String>,
    pub(super) int32: bool,
}

#[derive(Debug)]
pub(super) struct Output {
    pub(super) name: String,
    /// The graph already pools (output `[batch, dim]`), so only normalization is left to do.
    pub(super) pooled: bool,
}

fn ort_err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Ort {
        message: format!("{context}: {e}"),
    }
}

impl Embedder {
    /// Pad one batch to its longest text, run the graph, pool and normalize.
    pub(super) fn run_batch(
        &self,
        worker: &Worker<'_>,
        encodings: &[&Encoding],
    ) -> Result<Vec<Vec<f32>>> {
        let b = encodings.len();
        let seq = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![0i64; b * seq];
        let mut mask = vec![0i64; b * seq];
        let mut types = vec![0i64; b * seq];
        for (row, e) in encodings.iter().enumerate() {
            let base = row * seq;
            for (j, ((&id, &m), &t)) in e
                .get_ids()
                .iter()
                .zip(e.get_attention_mask())
                .zip(e.get_type_ids())
                .enumerate()
            {
                ids[base + j] = id as i64;
                mask[base + j] = m as i64;
                types[base + j] = t as i64;
            }
        }
        let shape = [b, seq];
        let tensor = |data: &[i64]| -> Result<SessionInputValue<'static>> {
            Ok(if self.inputs.int32 {
                let v: Vec<i32> = data.iter().map(|&x| x as i32).collect();
                Tensor::from_array((shape, v))
                    .map_err(|e| ort_err("input tensor", e))?
                    .into()
            } else {
                Tensor::from_array((shape, data.to_vec()))
                    .map_err(|e| ort_err("input tensor", e))?
                    .into()
            })
        };
        let mut feed: Vec<(Cow<'_, str>, SessionInputValue<'static>)> =
            vec![(Cow::from(self.inputs.ids.as_str()), tensor(&ids)?)];
        if let Some(name) = &self.inputs.mask {
            feed.push((Cow::from(name.as_str()), tensor(&mask)?));
        }
        if let Some(name) = &self.inputs.type_ids {
            feed.push((Cow::from(name.as_str()), tensor(&types)?));
        }

        worker.with_session(|session| self.read_output(session, feed, &mask, b, seq))
    }

    /// Run the graph on `feed` (`b` texts padded to `seq` tokens, `mask` their attention mask),
    /// pool and normalize.
    fn read_output(
        &self,
        session: &mut Session,
        feed: Vec<(Cow<'_, str>, SessionInputValue<'static>)>,
        mask: &[i64],
        b: usize,
        seq: usize,
    ) -> Result<Vec<Vec<f32>>> {
        let outputs = session.run(feed).map_err(|e| ort_err("inference", e))?;
        let value = outputs
            .get(&self.output.name)
            .ok_or_else(|| ort_err("inference", format!("no output `{}`", self.output.name)))?;
        let (out_shape, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| ort_err("output", e))?;
        let dims: Vec<usize> = out_shape.iter().map(|&d| d.max(0) as usize).collect();

        let mut result = Vec::with_capacity(b);
        if self.output.pooled {
            if dims.len() != 2 || dims[0] != b {
                return Err(Error::model(
                    &self.config.onnx_path,
                    format!(
                        "output `{}` has shape {dims:?}, expected [{b}, dim]",
                        self.output.name
                    ),
                ));
            }
            for row in data.chunks_exact(dims[1]) {
                result.push(row.to_vec());
            }
        } else {
            if dims.len() != 3 || dims[0] != b || dims[1] != seq {
                return Err(Error::model(
                    &self.config.onnx_path,
                    format!(
                        "output `{}` has shape {dims:?}, expected [{b}, {seq}, dim]",
                        self.output.name
                    ),
                ));
            }
            let dim = dims[2];
            for (row, hidden) in data.chunks_exact(seq * dim).enumerate() {
                let mut v = vec![0.0f32; dim];
                pooling::pool(
                    self.config.pooling,
                    hidden,
                    &mask[row * seq..(row + 1) * seq],
                    dim,
                    &mut v,
                );
                result.push(v);
            }
        }
        if self.config.normalize {
            result.iter_mut().for_each(|v| pooling::l2_normalize(v));
        }
        Ok(result)
    }
}

/// Match the graph's inputs by name; token_type_ids and attention_mask are optional.
pub(super) fn find_inputs(config: &ModelConfig, session: &Session) -> Result<Inputs> {
    let names: Vec<String> = session
        .inputs()
        .iter()
        .map(|i| i.name().to_owned())
        .collect();
    let ids = names
        .iter()
        .find(|n| *n == "input_ids")
        .cloned()
        .ok_or_else(|| {
            Error::model(
                &config.onnx_path,
                format!("the graph has no `input_ids` input (inputs: {names:?})"),
            )
        })?;
    let mask = names.iter().find(|n| *n == "attention_mask").cloned();
    let type_ids = names.iter().find(|n| *n == "token_type_ids").cloned();
    if let Some(extra) = names
        .iter()
        .find(|n| ![Some(&ids), mask.as_ref(), type_ids.as_ref()].contains(&Some(*n)))
    {
        return Err(Error::model(
            &config.onnx_path,
            format!(
                "the graph wants an input `{extra}` that sembridge cannot fill (inputs: {names:?})"
            ),
        ));
    }
    let int32 = session
        .inputs()
        .iter()
        .find(|i| i.name() == ids)
        .and_then(|i| i.dtype().tensor_type())
        .is_some_and(|t| t == ort::value::TensorElementType::Int32);
    Ok(Inputs {
        ids,
        mask,
        type_ids,
        int32,
    })
}

/// Prefer an already pooled `sentence_embedding`; else token embeddings (`last_hidden_state`,
/// `token_embeddings`, or the first rank-3 output), pooled by us.
pub(super) fn find_output(config: &ModelConfig, session: &Session) -> Result<Output> {
    let outs = session.outputs();
    let rank = |name: &str| {
        outs.iter()
            .find(|o| o.name() == name)
            .and_then(|o| o.dtype().tensor_shape().map(|s| s.len()))
    };
    if rank("sentence_embedding") == Some(2) {
        return Ok(Output {
            name: "sentence_embedding".into(),
            pooled: true,
        });
    }
    for name in ["last_hidden_state", "token_embeddings"] {
        if rank(name) == Some(3) {
            return Ok(Output {
                name: name.into(),
                pooled: false,
            });
        }
    }
    if let Some(o) = outs
        .iter()
        .find(|o| o.dtype().tensor_shape().map(|s| s.len()) == Some(3))
    {
        return Ok(Output {
            name: o.name().to_owned(),
            pooled: false,
        });
    }
    let described: Vec<String> = outs
        .iter()
        .map(|o| format!("{} {:?}", o.name(), o.dtype().tensor_shape()))
        .collect();
    Err(Error::model(
        &config.onnx_path,
        format!("no output of shape [batch, seq, dim] or [batch, dim] (outputs: {described:?})"),
    ))
}
