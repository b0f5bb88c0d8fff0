//! The `spatialclaw-gpu` backend: a client for the original project's GPU server, so the
//! Depth Anything 3 / SAM 3 servers users already run can serve SpatialClaw unchanged.
//!
//! Speaks that server's protocol version 1 (tools-perception.md §7–8): authenticated
//! `POST /call` with a tagged JSON request naming a deployment and an allow-listed method,
//! MessagePack response (gpu_codec.rs). Servers are found like the original finds them — the
//! registry file (`gpu_server.json`, entries with ip, port, tools, protocol version and token;
//! entries that lack a token or speak another protocol are skipped, unreachable ones are
//! skipped after a TCP probe) — or given directly as URL + token.
//!
//! Results are translated into our raw types (§4.2 steps 5–6, §2.4): model-resolution point
//! maps, confidence and masks are resized nearest-neighbour to the input frame size, and
//! intrinsics are rescaled to it; geometry is re-expressed in the first camera's frame.
//! Unlike the original client, an exhausted retry budget reports the underlying errors
//! (quirk §10.3 #13), and discovery does not wait hours for a server to appear (#14).

use crate::pose::{Mat4, mat_mul, rigid_inverse};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

use crate::backend::{Backend, PerceptionError};
use crate::gpu_codec::{self, NdArray, Tagged};
use crate::remote::{RemoteServer, read_limited};
use crate::resize::resize_nearest;
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
use crate::wire::MAX_SIDE;

/// Deployment and method names on the original server, with the tool name its registry lists.
const RECONSTRUCT: (&str, &str, &str) = ("spatial_Reconstruct", "reconstruct", "Reconstruct");
const DETECT: (&str, &str, &str) = ("spatial_SAM3", "detect", "SAM3");

/// Where the servers are.
#[derive(Debug, Clone)]
pub enum GpuEndpoint {
    /// The original's registry file (`spatial_agent/logs/gpu_server.json`), read afresh on
    /// every attempt so restarted servers are picked up.
    Registry(PathBuf),
    /// Fixed servers (e.g. through an SSH tunnel), tried in turn.
    Direct(Vec<RemoteServer>),
}

#[derive(Debug, Clone)]
pub struct GpuConfig {
    pub endpoint: GpuEndpoint,
    /// Attempts per call across servers (the original's `gpu_tool_max_retries`, 3).
    pub attempts: usize,
    /// Sleep after the first failed attempt, doubling after each further one.
    pub backoff: Duration,
    /// Per-request timeout (450 s in the original, below the 600 s cell timeout).
    pub timeout: Duration,
    /// TCP probe timeout when choosing a registry entry.
    pub probe_timeout: Duration,
    /// Responses larger than this are refused; a 64-frame DA3 answer is several hundred MB.
    pub max_response_bytes: u64,
    /// Names the server's model in our cache keys (e.g. "da3"); taken from the registry's
    /// `reconstruct_backend` when not given. Change it when the server's checkpoints change.
    pub model: Option<String>,
}

impl GpuConfig {
    /// From the environment: `SPATIALCLAW_GPU_REGISTRY` (the registry file), or
    /// `SPATIALCLAW_GPU_URL` (comma-separated URLs) with `SPATIALCLAW_GPU_TOKEN_FILE`; plus
    /// `SPATIALCLAW_GPU_MODEL` for the cache identity. `None` when neither is set.
    pub fn from_env() -> Result<Option<Self>, PerceptionError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let endpoint = match (var("SPATIALCLAW_GPU_REGISTRY"), var("SPATIALCLAW_GPU_URL")) {
            (Some(reg), None) => GpuEndpoint::Registry(PathBuf::from(reg)),
            (None, Some(urls)) => {
                let file = var("SPATIALCLAW_GPU_TOKEN_FILE").ok_or_else(|| {
                    PerceptionError::Failed(
                        "SPATIALCLAW_GPU_URL needs SPATIALCLAW_GPU_TOKEN_FILE (the server's token)"
                            .into(),
                    )
                })?;
                let token = std::fs::read_to_string(&file)
                    .map(|t| t.trim().to_owned())
                    .ok()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        PerceptionError::Failed(format!("cannot read a token from {file}"))
                    })?;
                GpuEndpoint::Direct(
                    urls.split(',')
                        .map(|u| RemoteServer::new(u.trim(), token.clone()))
                        .collect(),
                )
            }
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(PerceptionError::Failed(
                    "set either SPATIALCLAW_GPU_REGISTRY or SPATIALCLAW_GPU_URL, not both".into(),
                ));
            }
        };
        Ok(Some(Self {
            model: var("SPATIALCLAW_GPU_MODEL"),
            ..Self::new(endpoint)
        }))
    }

    pub fn new(endpoint: GpuEndpoint) -> Self {
        Self {
            endpoint,
            attempts: 3,
            backoff: Duration::from_secs(5),
            timeout: Duration::from_secs(450),
            probe_timeout: Duration::from_secs(5),
            max_response_bytes: 2 << 30,
            model: None,
        }
    }
}

/// One usable registry entry.
#[derive(Debug, Clone)]
struct Candidate {
    server: RemoteServer,
    addr: String,
}

enum Attempt {
    Retry(String),
    Final(PerceptionError),
}

/// The `spatialclaw-gpu` backend.
pub struct GpuBackend {
    cfg: GpuConfig,
    client: Client,
    version: String,
    rotate: AtomicUsize,
}

/// Read the registry: entries listing `tool`, speaking protocol 1, carrying a token.
fn read_registry(path: &Path, tool: &str) -> Result<Vec<(Candidate, Option<String>)>, String> {
    // The server rewrites the registry under an exclusive flock on `<registry>.lock`; a shared
    // lock keeps us from reading a half-written file.
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let lock = std::fs::File::open(&lock_path).ok();
    if let Some(l) = &lock {
        let _ = l.lock_shared();
    }
    let text = std::fs::read_to_string(path);
    drop(lock);
    let text = text.map_err(|e| {
        format!(
            "cannot read the GPU server registry {}: {e}",
            path.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("GPU server registry {} is not JSON: {e}", path.display()))?;
    let Some(entries) = v.as_object() else {
        return Err(format!(
            "GPU server registry {} is not a JSON object",
            path.display()
        ));
    };
    let mut out = Vec::new();
    for e in entries.values() {
        let lists_tool = e
            .get("tools")
            .and_then(|t| t.as_array())
            .is_some_and(|t| t.iter().any(|x| x.as_str() == Some(tool)));
        let ip = e.get("ip").and_then(|x| x.as_str());
        let port = e
            .get("http_port")
            .and_then(|x| x.as_u64())
            .filter(|p| *p > 0 && *p < 65536);
        let token = e
            .get("auth_token")
            .and_then(|x| x.as_str())
            .filter(|t| !t.is_empty());
        let proto = e.get("protocol_version").and_then(|x| x.as_i64());
        let (Some(ip), Some(port), Some(token), Some(gpu_codec::RPC_VERSION)) =
            (ip, port, token, proto)
        else {
            continue;
        };
        if !lists_tool {
            continue;
        }
        let host = if ip.contains(':') {
            format!("[{ip}]")
        } else {
            ip.to_owned()
        };
        let addr = format!("{host}:{port}");
        let model = e
            .get("reconstruct_backend")
            .and_then(|x| x.as_str())
            .map(str::to_owned);
        out.push((
            Candidate {
                server: RemoteServer::new(format!("http://{addr}"), token),
                addr,
            },
            model,
        ));
    }
    Ok(out)
}

fn probe(addr: &str, timeout: Duration) -> bool {
    let Ok(addrs) = addr.to_socket_addrs() else {
        return false;
    };
    addrs
        .collect::<Vec<SocketAddr>>()
        .iter()
        .any(|a| TcpStream::connect_timeout(a, timeout).is_ok())
}

fn png_of(frame: &RgbFrame) -> Result<Vec<u8>, PerceptionError> {
    let mut out = Vec::new();
    let fail = |e: png::EncodingError| {
        PerceptionError::Failed(format!("cannot encode a frame as PNG: {e}"))
    };
    {
        let mut enc = png::Encoder::new(&mut out, frame.width as u32, frame.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(fail)?;
        w.write_image_data(&frame.pixels).map_err(fail)?;
        w.finish().map_err(fail)?;
    }
    Ok(out)
}

fn field<'a>(fields: &'a BTreeMap<String, Tagged>, name: &str) -> Option<&'a Tagged> {
    fields.get(name).filter(|v| **v != Tagged::Nil)
}

fn array<'a>(
    fields: &'a BTreeMap<String, Tagged>,
    name: &str,
) -> Result<Option<&'a NdArray>, String> {
    match field(fields, name) {
        None => Ok(None),
        Some(Tagged::Array(a)) => Ok(Some(a)),
        Some(_) => Err(format!("field {name} is not an array")),
    }
}

fn bad(msg: impl Into<String>) -> PerceptionError {
    PerceptionError::Failed(format!(
        "spatialclaw-gpu: malformed server result: {}",
        msg.into()
    ))
}

/// Turn the server's reconstruction dataclass into our raw reconstruction at the input size.
pub(crate) fn translate_reconstruction(
    result: &Tagged,
    frames: &[RgbFrame],
) -> Result<Reconstruction, PerceptionError> {
    let Tagged::Dataclass { name, fields } = result else {
        return Err(bad("reconstruction result is not a dataclass"));
    };
    if !name.ends_with("ReconstructionOutput") {
        return Err(bad(format!("expected a reconstruction output, got {name}")));
    }
    let n = frames.len();
    let (h, w) = (frames[0].height, frames[0].width);
    let points = array(fields, "points")
        .map_err(bad)?
        .ok_or_else(|| bad("no points"))?;
    let [pn, hm, wm, 3] = points.shape[..] else {
        return Err(bad(format!(
            "points have shape {:?}, expected (N, H, W, 3)",
            points.shape
        )));
    };
    if pn != n {
        return Err(bad(format!("{pn} frames of points for {n} input frames")));
    }
    if hm == 0 || wm == 0 || hm > MAX_SIDE || wm > MAX_SIDE {
        return Err(bad(format!("model resolution {wm}x{hm}")));
    }
    let confidence = match array(fields, "confidence").map_err(bad)? {
        Some(c) if c.shape == [n, hm, wm] => c.to_f32(),
        Some(c) => {
            return Err(bad(format!(
                "confidence has shape {:?}, expected ({n}, {hm}, {wm})",
                c.shape
            )));
        }
        None => vec![1.0; n * hm * wm],
    };
    let poses = array(fields, "camera_poses")
        .map_err(bad)?
        .ok_or_else(|| bad("no camera_poses"))?;
    let rows = match poses.shape[..] {
        [pn, 4, 4] if pn == n => 4,
        [pn, 3, 4] if pn == n => 3,
        _ => {
            return Err(bad(format!(
                "camera_poses have shape {:?}, expected ({n}, 4, 4)",
                poses.shape
            )));
        }
    };
    let pv = poses.to_f64();
    let mut c2w: Vec<Mat4> = (0..n)
        .map(|i| {
            let mut m = [
                [0.0, 0.0, 0.0, 0.0],
                [0.0; 4],
                [0.0; 4],
                [0.0, 0.0, 0.0, 1.0],
            ];
            for (r, row) in m.iter_mut().enumerate().take(rows) {
                for (c, cell) in row.iter_mut().enumerate() {
                    *cell = pv[i * rows * 4 + r * 4 + c];
                }
            }
            m
        })
        .collect();
    if pv.iter().any(|v| !v.is_finite()) {
        return Err(bad("camera_poses contain non-finite values"));
    }
    let metric_scale = match field(fields, "metric_scale") {
        None => 1.0,
        Some(t) => t
            .as_f64()
            .ok_or_else(|| bad("metric_scale is not a number"))?,
    };

    // Express everything in the first camera's frame (our raw contract; DA3 already is).
    let to_first = rigid_inverse(&c2w[0]);
    let identity = (0..4)
        .all(|i| (0..4).all(|j| (to_first[i][j] - f64::from(u8::from(i == j))).abs() < 1e-12));
    let mut pts = points.to_f32();
    if !identity {
        for p in pts.chunks_exact_mut(3) {
            let (x, y, z) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
            for (k, row) in to_first.iter().take(3).enumerate() {
                p[k] = (row[0] * x + row[1] * y + row[2] * z + row[3]) as f32;
            }
        }
        for m in &mut c2w {
            *m = mat_mul(&to_first, m);
        }
    }

    // Intrinsics at the input resolution (§4.2 step 11).
    let (sx, sy) = (w as f64 / wm as f64, h as f64 / hm as f64);
    let intrinsics: Vec<f64> = match array(fields, "_intrinsics").map_err(bad)? {
        Some(k) if k.shape == [n, 3, 3] => k
            .to_f64()
            .chunks_exact(9)
            .flat_map(|k| crate::pose::scale_intrinsics(k, sx, sy))
            .collect(),
        Some(k) => {
            return Err(bad(format!(
                "_intrinsics have shape {:?}, expected ({n}, 3, 3)",
                k.shape
            )));
        }
        None => {
            let rays = match array(fields, "_rays").map_err(bad)? {
                Some(r) if r.shape == [n, hm, wm, 3] => Some(r.to_f64()),
                _ => None,
            };
            (0..n)
                .flat_map(|i| {
                    let (mut fx, mut fy) = (0.8 * w as f64, 0.8 * h as f64);
                    if let Some(r) = &rays {
                        // Rays are camera-frame (Pi3X); the original rotated them by the aligned
                        // pose first (quirk §10.3 #7), which we do not.
                        let at = |v: usize, u: usize| {
                            let o = ((i * hm + v) * wm + u) * 3;
                            (r[o], r[o + 1], r[o + 2])
                        };
                        let (x, _, z) = at(hm / 2, wm - 1);
                        let (_, y, z2) = at(hm - 1, wm / 2);
                        let (tx, ty) =
                            (x.abs().atan2(z.abs()).tan(), y.abs().atan2(z2.abs()).tan());
                        if tx > 1e-6 && tx.is_finite() {
                            fx = (w as f64 / 2.0) / tx;
                        }
                        if ty > 1e-6 && ty.is_finite() {
                            fy = (h as f64 / 2.0) / ty;
                        }
                    }
                    [
                        fx,
                        0.0,
                        w as f64 / 2.0,
                        0.0,
                        fy,
                        h as f64 / 2.0,
                        0.0,
                        0.0,
                        1.0,
                    ]
                })
                .collect()
        }
    };

    Ok(Reconstruction {
        frames: n,
        height: h,
        width: w,
        points: resize_nearest(&pts, n, (hm, wm), 3, (h, w)),
        confidence: resize_nearest(&confidence, n, (hm, wm), 1, (h, w)),
        camera_poses: c2w
            .iter()
            .flat_map(|m| m.iter().flatten().copied())
            .collect(),
        intrinsics,
        metric_scale,
    })
}

/// Turn the server's detection dataclass into masks at the frame's size.
pub(crate) fn translate_detection(
    result: &Tagged,
    frame: &RgbFrame,
) -> Result<Masks, PerceptionError> {
    let Tagged::Dataclass { name, fields } = result else {
        return Err(bad("detection result is not a dataclass"));
    };
    if name != "SAM3ImageDetectionOutput" {
        return Err(bad(format!(
            "expected SAM3ImageDetectionOutput, got {name}"
        )));
    }
    let (h, w) = (frame.height, frame.width);
    let Some(masks) = array(fields, "masks").map_err(bad)? else {
        return Ok(Masks {
            count: 0,
            height: h,
            width: w,
            data: Vec::new(),
            scores: Vec::new(),
        });
    };
    let [k, mh, mw] = masks.shape[..] else {
        return Err(bad(format!(
            "masks have shape {:?}, expected (N, H, W)",
            masks.shape
        )));
    };
    if k > 4096 || (k > 0 && (mh == 0 || mw == 0 || mh > MAX_SIDE || mw > MAX_SIDE)) {
        return Err(bad(format!("masks have shape {:?}", masks.shape)));
    }
    // The original filters by score only when the lengths agree; without scores every
    // detection counts as certain.
    let scores = match array(fields, "scores").map_err(bad)? {
        Some(s) if s.len() == k => s.to_f32(),
        _ => vec![1.0; k],
    };
    let data = if k == 0 {
        Vec::new()
    } else {
        resize_nearest(&masks.to_bool(), k, (mh, mw), 1, (h, w))
    };
    Ok(Masks {
        count: k,
        height: h,
        width: w,
        data,
        scores,
    })
}

/// Map the server's error type to ours, as the original client does (§7.4): argument errors
/// are the agent's to fix, everything else may succeed on another try.
fn remote_error(kind: &str, message: &str, url: &str) -> Attempt {
    match kind {
        "ValueError" | "TypeError" | "AssertionError" | "RPCProtocolError" => {
            Attempt::Final(PerceptionError::BadInput(message.to_owned()))
        }
        _ => Attempt::Retry(format!("{url}: {kind}: {message}")),
    }
}

impl GpuBackend {
    /// Set the client up; with a registry, reads it once to learn the model name for the
    /// cache identity (servers need not be up yet).
    pub fn new(cfg: GpuConfig) -> Result<Self, PerceptionError> {
        let model = match (&cfg.model, &cfg.endpoint) {
            (Some(m), _) => m.clone(),
            (None, GpuEndpoint::Registry(path)) => {
                let mut models: Vec<String> = read_registry(path, RECONSTRUCT.2)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(_, m)| m)
                    .collect();
                models.sort();
                models.dedup();
                if models.len() > 1 {
                    return Err(PerceptionError::Failed(format!(
                        "the GPU server registry {} lists servers with different reconstruction \
                         backends ({}); results would depend on which one answers. Pass the model \
                         explicitly or stop the extra servers",
                        path.display(),
                        models.join(", ")
                    )));
                }
                models.pop().unwrap_or_else(|| "unknown".into())
            }
            (None, GpuEndpoint::Direct(_)) => "unknown".into(),
        };
        if let GpuEndpoint::Direct(s) = &cfg.endpoint
            && s.is_empty()
        {
            return Err(PerceptionError::Failed(
                "spatialclaw-gpu: no server URLs given".into(),
            ));
        }
        let client = Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.probe_timeout)
            .build()
            .map_err(|e| PerceptionError::Failed(format!("cannot create an HTTP client: {e}")))?;
        Ok(Self {
            version: format!("rpc{}/{model}", gpu_codec::RPC_VERSION),
            cfg,
            client,
            rotate: AtomicUsize::new(0),
        })
    }

    /// Pick a server for `tool` for this attempt.
    fn choose(&self, tool: &str) -> Result<RemoteServer, String> {
        let turn = self.rotate.fetch_add(1, Ordering::Relaxed);
        match &self.cfg.endpoint {
            GpuEndpoint::Direct(servers) => Ok(servers[turn % servers.len()].clone()),
            GpuEndpoint::Registry(path) => {
                let found = read_registry(path, tool)?;
                if found.is_empty() {
                    return Err(format!(
                        "no GPU server with {tool} (protocol {}, with a token) in the registry {}",
                        gpu_codec::RPC_VERSION,
                        path.display()
                    ));
                }
                let k = found.len();
                (0..k)
                    .map(|i| &found[(turn + i) % k].0)
                    .find(|c| probe(&c.addr, self.cfg.probe_timeout))
                    .map(|c| c.server.clone())
                    .ok_or_else(|| {
                        format!(
                            "none of the {k} registered GPU servers with {tool} accepts connections"
                        )
                    })
            }
        }
    }

    fn attempt(&self, server: &RemoteServer, body: &[u8]) -> Result<Tagged, Attempt> {
        let url = &server.url;
        let resp = self
            .client
            .post(format!("{url}/call"))
            .bearer_auth(&server.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .map_err(|e| Attempt::Retry(format!("{url}: {}", crate::remote::with_causes(&e))))?;
        let status = resp.status();
        let bytes = read_limited(resp, self.cfg.max_response_bytes).map_err(|e| {
            Attempt::Final(PerceptionError::Failed(format!(
                "spatialclaw-gpu: the server at {url} sent a response that is too large ({e}); \
                 send fewer frames or raise the response limit"
            )))
        })?;
        let decoded = gpu_codec::decode_msgpack(&bytes);
        let envelope = match &decoded {
            Ok(Tagged::Map(m)) => Some(m),
            _ => None,
        };
        let error_of = |m: &BTreeMap<String, Tagged>| {
            let e = match m.get("error") {
                Some(Tagged::Map(e)) => e,
                _ => return None,
            };
            Some((
                e.get("type")
                    .and_then(Tagged::as_str)
                    .unwrap_or("Error")
                    .to_owned(),
                e.get("message")
                    .and_then(Tagged::as_str)
                    .unwrap_or("")
                    .to_owned(),
            ))
        };
        if status == StatusCode::UNAUTHORIZED {
            let why = envelope
                .and_then(error_of)
                .map(|(t, m)| format!("{t}: {m}"))
                .unwrap_or_default();
            return Err(Attempt::Retry(format!(
                "{url} refused our bearer token (HTTP 401 {why}); the token in the registry entry or \
                 --gpu-token is wrong or stale"
            )));
        }
        let Some(m) = envelope else {
            return Err(Attempt::Retry(format!(
                "{url}: HTTP {} with an unreadable body ({})",
                status.as_u16(),
                decoded.err().unwrap_or_else(|| "not a map".into())
            )));
        };
        if m.get("version").and_then(|v| v.as_f64()) != Some(gpu_codec::RPC_VERSION as f64) {
            return Err(Attempt::Retry(format!(
                "{url}: response of another protocol version"
            )));
        }
        match (m.get("ok"), status) {
            (Some(Tagged::Bool(true)), StatusCode::OK) => {
                let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
                keys.sort_unstable();
                if keys != ["ok", "result", "version"] {
                    return Err(Attempt::Retry(format!("{url}: response has keys {keys:?}")));
                }
                Ok(m.get("result").cloned().unwrap_or(Tagged::Nil))
            }
            (Some(Tagged::Bool(false)), _) => match error_of(m) {
                Some((t, msg)) => Err(remote_error(&t, &msg, url)),
                None => Err(Attempt::Retry(format!(
                    "{url}: HTTP {} without an error",
                    status.as_u16()
                ))),
            },
            _ => Err(Attempt::Retry(format!(
                "{url}: HTTP {} without a result",
                status.as_u16()
            ))),
        }
    }

    /// Call `deployment.method(**kwargs)` with retries and failover; returns the
    /// `AgentToolOutput`'s inner result.
    fn call(
        &self,
        (deployment, method, tool): (&str, &str, &str),
        kwargs: serde_json::Value,
    ) -> Result<Tagged, PerceptionError> {
        let body = serde_json::to_vec(&json!({
            "version": gpu_codec::RPC_VERSION,
            "deployment": deployment,
            "method": method,
            "kwargs": kwargs,
        }))
        .map_err(|e| PerceptionError::Failed(format!("cannot encode the request: {e}")))?;
        let attempts = self.cfg.attempts.max(1);
        let mut failures = Vec::new();
        let mut backoff = self.cfg.backoff;
        for i in 0..attempts {
            let outcome = match self.choose(tool) {
                Ok(server) => self.attempt(&server, &body),
                Err(e) => Err(Attempt::Retry(e)),
            };
            match outcome {
                Ok(out) => return unwrap_tool_output(out, tool),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Retry(why)) => {
                    tracing::warn!(
                        "spatialclaw-gpu {tool}.{method} attempt {}/{attempts} failed: {why}",
                        i + 1
                    );
                    failures.push(why);
                }
            }
            if i + 1 < attempts {
                std::thread::sleep(backoff);
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(PerceptionError::Unavailable(format!(
            "{tool}.{method} is temporarily unavailable. The GPU server may be restarting. Please try \
             again. ({})",
            failures.join("; ")
        )))
    }
}

/// Unwrap `AgentToolOutput(result, err_msg, err_src)`.
fn unwrap_tool_output(out: Tagged, tool: &str) -> Result<Tagged, PerceptionError> {
    let Tagged::Dataclass { name, mut fields } = out else {
        return Err(bad("result is not an AgentToolOutput"));
    };
    if name != "AgentToolOutput" {
        return Err(bad(format!("result is a {name}, expected AgentToolOutput")));
    }
    if let Some(msg) = field(&fields, "err_msg")
        .and_then(Tagged::as_str)
        .filter(|m| !m.is_empty())
    {
        let what = if tool == RECONSTRUCT.2 {
            "Reconstruction"
        } else {
            "Segmentation"
        };
        return Err(PerceptionError::Failed(format!("{what} failed: {msg}")));
    }
    fields
        .remove("result")
        .ok_or_else(|| bad("AgentToolOutput without a result"))
}

impl Backend for GpuBackend {
    fn name(&self) -> &str {
        "spatialclaw-gpu"
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        crate::types::common_size(frames)?;
        let images = frames
            .iter()
            .map(|f| png_of(f).map(|p| gpu_codec::image_json(&p)))
            .collect::<Result<Vec<_>, _>>()?;
        let indices: Vec<i64> = frames.iter().map(|f| f.frame_index).collect();
        let result = self.call(
            RECONSTRUCT,
            json!({"video_frames": images, "frame_indices": indices}),
        )?;
        translate_reconstruction(&result, frames)
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let image = gpu_codec::image_json(&png_of(frame)?);
        let kwargs = match prompt {
            SegmentPrompt::Text(t) => json!({"image_source": image, "prompt": t}),
            SegmentPrompt::Box(b) => json!({
                "image_source": image,
                "bounding_boxes": [b],
                "bounding_box_labels": [1],
            }),
            SegmentPrompt::Points { points, labels } => json!({
                "image_source": image,
                "points": points,
                "point_labels": labels,
            }),
        };
        let result = self.call(DETECT, kwargs)?;
        translate_detection(&result, frame)
    }
}
