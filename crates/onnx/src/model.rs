//! One opened ONNX model: its signature checked against the manifest on open, and a run that
//! takes and gives plain vectors with shapes.

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::{DynValue, Tensor, TensorElementType};

use crate::error::OnnxError;
use crate::runtime::Runtime;

/// A tensor going in.
pub enum Input {
    F32(Vec<i64>, Vec<f32>),
    I64(Vec<i64>, Vec<i64>),
}

/// A float tensor coming out, in C order.
#[derive(Debug, Clone)]
pub struct Output {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

pub struct Model {
    /// The manifest key that named it, for messages (e.g. `depth.model`).
    pub what: String,
    session: Mutex<Session>,
}

impl Model {
    /// Open `path` and check that it has the inputs and outputs the manifest relies on.
    pub fn open(
        rt: &Runtime,
        path: &Path,
        what: &str,
        inputs: &[&str],
        outputs: &[&str],
    ) -> Result<Self, OnnxError> {
        let session = rt.session(path, what)?;
        let have_in: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
        let have_out: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        let missing_in: Vec<&&str> = inputs.iter().filter(|n| !have_in.contains(n)).collect();
        let missing_out: Vec<&&str> = outputs.iter().filter(|n| !have_out.contains(n)).collect();
        if !missing_in.is_empty() || !missing_out.is_empty() {
            return Err(OnnxError::Signature {
                model: format!("{what} ({})", path.display()),
                why: format!(
                    "missing inputs {missing_in:?} / outputs {missing_out:?}; the model has inputs \
                     {have_in:?} and outputs {have_out:?} (set the names in the manifest)"
                ),
            });
        }
        let float_outputs_ok = session.outputs().iter().all(|o| {
            !outputs.contains(&o.name())
                || o.dtype().tensor_type() == Some(TensorElementType::Float32)
        });
        if !float_outputs_ok {
            return Err(OnnxError::Signature {
                model: format!("{what} ({})", path.display()),
                why: "the outputs used must be float32 tensors".into(),
            });
        }
        Ok(Self {
            what: what.to_owned(),
            session: Mutex::new(session),
        })
    }

    /// Run with named inputs; returns the named outputs in the order asked.
    pub fn run(
        &self,
        inputs: Vec<(&str, Input)>,
        outputs: &[&str],
    ) -> Result<Vec<Output>, OnnxError> {
        let fail = |why: String| OnnxError::Run {
            model: self.what.clone(),
            why,
        };
        let mut values: Vec<(String, DynValue)> = Vec::with_capacity(inputs.len());
        for (name, input) in inputs {
            let v = match input {
                Input::F32(shape, data) => Tensor::from_array((shape, data)).map(|t| t.into_dyn()),
                Input::I64(shape, data) => Tensor::from_array((shape, data)).map(|t| t.into_dyn()),
            }
            .map_err(|e| fail(format!("input {name}: {e}")))?;
            values.push((name.to_owned(), v));
        }
        // ONNX Runtime sessions are not safe to run concurrently; one call at a time per model.
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let result = session.run(values).map_err(|e| fail(e.to_string()))?;
        outputs
            .iter()
            .map(|name| {
                let v = result
                    .get(*name)
                    .ok_or_else(|| fail(format!("no output {name}")))?;
                let (shape, data) = v
                    .try_extract_tensor::<f32>()
                    .map_err(|e| fail(format!("output {name}: {e}")))?;
                Ok(Output {
                    shape: shape.iter().map(|&d| d.max(0) as usize).collect(),
                    data: data.to_vec(),
                })
            })
            .collect()
    }
}
