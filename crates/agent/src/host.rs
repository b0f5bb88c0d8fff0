//! Serves the kernel runtime's requests for one sample: perception through the configured
//! backend, and `vlm.*` questions through the LLM client (so their usage is counted with the
//! sample's, which the original lost across its process boundary).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use spatialclaw_kernel::{Array, DType, HostError, HostHandler};
use spatialclaw_llm::{ContentPart, ImagePart, LlmClient, Message, RoleParams, RoleSet};
use spatialclaw_perception::{Backend, PerceptionError, RgbFrame, SegmentPrompt};

use crate::config::Ablations;
use crate::prompts::vlm as prompt;

/// The LLM side of `vlm.locate` / `vlm.ask_with_thinking`.
#[derive(Clone)]
pub struct VlmAccess {
    pub client: LlmClient,
    pub locate: RoleParams,
    pub thinking: RoleParams,
    /// System prompt of locate calls (ablation name `locate_prompt`; empty = none).
    pub locate_system: String,
    /// System prompt of ask_with_thinking calls (ablation name `thinking_prompt`).
    pub thinking_system: String,
}

impl VlmAccess {
    /// The `vlm_grounding` and `vlm` roles, with the prompts after ablations.
    pub fn new(client: LlmClient, roles: &RoleSet, ablations: &Ablations) -> VlmAccess {
        VlmAccess {
            client,
            locate: roles.vlm_grounding.clone(),
            thinking: roles.vlm.clone(),
            locate_system: ablations
                .apply("locate_prompt", || prompt::LOCATE_SYSTEM.into())
                .unwrap_or_default(),
            thinking_system: ablations
                .apply("thinking_prompt", || prompt::THINKING_SYSTEM.into())
                .unwrap_or_default(),
        }
    }
}

/// Request handler for one sample's kernel session.
pub struct SampleHost {
    pub backend: Arc<dyn Backend>,
    pub vlm: Option<VlmAccess>,
    /// Sticky routing and usage accounting key: the sample id.
    pub session_id: String,
}

fn perception_error(e: PerceptionError) -> HostError {
    match e {
        PerceptionError::BadInput(m) => HostError::value(m),
        PerceptionError::Failed(m) => HostError::runtime(m),
        PerceptionError::Unavailable(m) => HostError::unavailable("perception", m),
    }
}

fn frames_from(array: &Array, frame_indices: &[i64]) -> Result<Vec<RgbFrame>, HostError> {
    let bad = || HostError::value("frames must be uint8 RGB pixels shaped (N, H, W, 3)");
    if array.dtype != DType::U8 {
        return Err(bad());
    }
    let (n, h, w) = match array.shape.as_slice() {
        [n, h, w, 3] => (*n, *h, *w),
        [h, w, 3] => (1, *h, *w),
        _ => return Err(bad()),
    };
    if frame_indices.len() != n {
        return Err(HostError::value(format!(
            "{n} frames but {} frame indices",
            frame_indices.len()
        )));
    }
    let size = h * w * 3;
    (0..n)
        .map(|i| {
            RgbFrame::new(
                w,
                h,
                array.data[i * size..(i + 1) * size].to_vec(),
                frame_indices[i],
            )
            .map_err(perception_error)
        })
        .collect()
}

fn parse_prompt(params: &Value) -> Result<SegmentPrompt, HostError> {
    let nums =
        |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
    match params.get("mode").and_then(Value::as_str) {
        Some("text") => {
            let p = params
                .get("prompt")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim();
            if p.is_empty() {
                return Err(HostError::value("a text prompt must be a non-empty string"));
            }
            Ok(SegmentPrompt::Text(p.to_owned()))
        }
        Some("box") => {
            let b = params
                .get("box_xywh")
                .and_then(nums)
                .filter(|b| b.len() == 4);
            let b = b.ok_or_else(|| HostError::value("box_xywh must be four numbers"))?;
            Ok(SegmentPrompt::Box([b[0], b[1], b[2], b[3]]))
        }
        Some("points") => {
            let pts: Option<Vec<[f64; 2]>> = params
                .get("points")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .map(|p| nums(p).filter(|p| p.len() == 2).map(|p| [p[0], p[1]]))
                        .collect()
                });
            let labels: Option<Vec<i32>> = params
                .get("point_labels")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(|l| l.as_i64().map(|l| l as i32)).collect());
            match (pts, labels) {
                (Some(points), Some(labels))
                    if points.len() == labels.len() && !points.is_empty() =>
                {
                    Ok(SegmentPrompt::Points { points, labels })
                }
                _ => Err(HostError::value(
                    "points and point_labels must be non-empty lists of equal length",
                )),
            }
        }
        other => Err(HostError::value(format!(
            "unknown segmentation mode {other:?}"
        ))),
    }
}

impl SampleHost {
    async fn reconstruct(
        &self,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        let indices: Vec<i64> = params
            .get("frame_indices")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let rgb = arrays
            .first()
            .ok_or_else(|| HostError::value("no frames were sent"))?;
        let frames = frames_from(rgb, &indices)?;
        let backend = self.backend.clone();
        let r = tokio::task::spawn_blocking(move || backend.reconstruct(&frames))
            .await
            .map_err(|e| HostError::runtime(format!("reconstruction crashed: {e}")))?
            .map_err(perception_error)?;
        let (n, h, w) = (r.frames, r.height, r.width);
        let arr = |res: Result<Array, spatialclaw_kernel::WireError>| {
            res.map_err(|e| HostError::runtime(e.to_string()))
        };
        Ok((
            json!({"metric_scale": r.metric_scale, "backend": self.backend.name()}),
            vec![
                arr(Array::from_f32(vec![n, h, w, 3], &r.points))?,
                arr(Array::from_f32(vec![n, h, w], &r.confidence))?,
                arr(Array::from_f64(vec![n, 4, 4], &r.camera_poses))?,
                arr(Array::from_f64(vec![n, 3, 3], &r.intrinsics))?,
            ],
        ))
    }

    async fn segment(
        &self,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        let fi = params
            .get("frame_index")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let rgb = arrays
            .first()
            .ok_or_else(|| HostError::value("no image was sent"))?;
        let frame = frames_from(rgb, &[fi])?.remove(0);
        let prompt = parse_prompt(params)?;
        let backend = self.backend.clone();
        let m = tokio::task::spawn_blocking(move || backend.segment(&frame, &prompt))
            .await
            .map_err(|e| HostError::runtime(format!("segmentation crashed: {e}")))?
            .map_err(perception_error)?;
        let masks = Array::from_bool(vec![m.count, m.height, m.width], &m.data)
            .map_err(|e| HostError::runtime(e.to_string()))?;
        Ok((json!({"scores": m.scores}), vec![masks]))
    }

    async fn vlm_query(
        &self,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        let vlm = self.vlm.as_ref().ok_or_else(|| {
            HostError::runtime("no vision-language model is configured for vlm.* in this session")
        })?;
        let kind = params
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("ask_with_thinking");
        let question = params.get("question").and_then(Value::as_str).unwrap_or("");
        let (system, text, role) = match kind {
            "locate" => (
                vlm.locate_system.as_str(),
                format!("{}{question}", prompt::LOCATE_PREAMBLE),
                &vlm.locate,
            ),
            _ => (
                vlm.thinking_system.as_str(),
                question.to_owned(),
                &vlm.thinking,
            ),
        };
        let mut parts: Vec<ContentPart> = arrays
            .into_iter()
            .map(|a| ImagePart::from_bytes(a.data).map(ContentPart::image))
            .collect::<Result<_, _>>()
            .map_err(|e| HostError::value(format!("vlm image: {e}")))?;
        parts.push(ContentPart::text(text));
        let mut messages = Vec::with_capacity(2);
        if !system.trim().is_empty() {
            messages.push(Message::system(system));
        }
        messages.push(Message::user_parts(parts));
        let reply = vlm
            .client
            .chat(&messages, role, &self.session_id)
            .await
            .map_err(|e| {
                if crate::turn::is_transient(&e) {
                    HostError::unavailable("llm", e.to_string())
                } else {
                    HostError::runtime(e.to_string())
                }
            })?;
        Ok((json!({"answer": reply.content.trim()}), vec![]))
    }
}

impl HostHandler for SampleHost {
    async fn handle(
        &self,
        method: &str,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        match method {
            "perception.reconstruct" => self.reconstruct(params, arrays).await,
            "perception.segment" => self.segment(params, arrays).await,
            "vlm.query" => self.vlm_query(params, arrays).await,
            other => Err(HostError::runtime(format!(
                "the host does not serve `{other}`"
            ))),
        }
    }
}

/// Counts the requests a cell actually makes (every perception and vlm call reaches the host,
/// whatever the code looks like), and refuses them once the run's tool-call budget is spent.
/// The original counted regex matches in the source text instead (§9.6). A request that failed
/// because a service was unavailable is not charged; it is noted for the step instead.
pub(crate) struct CountingHost<'a, H> {
    inner: &'a H,
    cap: Option<usize>,
    total: AtomicUsize,
    step: AtomicUsize,
    /// The last unavailable-service failure of the current step: (service, message).
    outage: std::sync::Mutex<Option<(&'static str, String)>>,
}

impl<'a, H: HostHandler> CountingHost<'a, H> {
    pub(crate) fn new(inner: &'a H, cap: Option<usize>) -> Self {
        CountingHost {
            inner,
            cap,
            total: AtomicUsize::new(0),
            step: AtomicUsize::new(0),
            outage: std::sync::Mutex::new(None),
        }
    }

    /// The last request of this step that failed on an unavailable service, and clears it.
    pub(crate) fn take_outage(&self) -> Option<(&'static str, String)> {
        self.outage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    pub(crate) fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Requests since the last call (one step's worth).
    pub(crate) fn take_step(&self) -> usize {
        self.step.swap(0, Ordering::Relaxed)
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.cap.is_some_and(|c| self.total() >= c)
    }
}

impl<H: HostHandler> HostHandler for CountingHost<'_, H> {
    async fn handle(
        &self,
        method: &str,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        if let Some(cap) = self.cap
            && self.total() >= cap
        {
            return Err(HostError::runtime(format!(
                "the tool-call budget of this session ({cap} calls) is used up; submit your \
                 best answer with ReturnAnswer"
            )));
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        self.step.fetch_add(1, Ordering::Relaxed);
        let result = self.inner.handle(method, params, arrays).await;
        if let Err(e) = &result
            && let Some(service) = e.unavailable
        {
            // Not the agent's doing: refund the call.
            self.total.fetch_sub(1, Ordering::Relaxed);
            self.step.fetch_sub(1, Ordering::Relaxed);
            *self
                .outage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((service, e.message.clone()));
        }
        result
    }
}
