//! The `spatialclaw-gpu` client against a fake of the original GPU server on 127.0.0.1 that
//! implements its wire format (tools-perception.md §7.2–7.3): bearer auth, JSON requests with
//! tagged values, deployment/method allow-list, MessagePack responses.

#![allow(
    clippy::result_large_err,
    reason = "the fake server's handlers return ready-made error responses"
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use spatialclaw_perception::gpu_codec::{
    NdArray, NpDType, Tagged, decode_msgpack, encode_msgpack, json_to_tagged,
};
use spatialclaw_perception::{
    Backend, GpuBackend, GpuConfig, GpuEndpoint, PerceptionError, RemoteServer, RgbFrame,
    SegmentPrompt,
};

// ---------------------------------------------------------------------------------------------
// The fake server

struct Fake {
    token: String,
    /// Pad every successful response to this many bytes (oversized-response test).
    pad_to: usize,
    calls: AtomicUsize,
    last_kwargs: std::sync::Mutex<Option<BTreeMap<String, Tagged>>>,
}

fn f32_array(shape: Vec<usize>, v: &[f32]) -> Tagged {
    Tagged::Array(
        NdArray::new(
            NpDType::F32,
            shape,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
        .unwrap(),
    )
}

fn f64_array(shape: Vec<usize>, v: &[f64]) -> Tagged {
    Tagged::Array(
        NdArray::new(
            NpDType::F64,
            shape,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
        .unwrap(),
    )
}

fn map(entries: Vec<(&str, Tagged)>) -> Tagged {
    Tagged::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn dataclass(name: &str, fields: Vec<(&str, Tagged)>) -> Tagged {
    Tagged::Dataclass {
        name: name.into(),
        fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

fn msgpack(status: StatusCode, body: &Tagged) -> Response {
    let mut r = (status, encode_msgpack(body)).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, "application/msgpack".parse().unwrap());
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, "Bearer".parse().unwrap());
    }
    r
}

fn failure(status: StatusCode, kind: &str, message: &str) -> Response {
    msgpack(
        status,
        &map(vec![
            ("version", Tagged::Int(1)),
            ("ok", Tagged::Bool(false)),
            (
                "error",
                map(vec![
                    ("type", Tagged::Str(kind.into())),
                    ("message", Tagged::Str(message.into())),
                ]),
            ),
        ]),
    )
}

fn decode_png(png_bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// First camera's pose on the fake server: rotated 30° about Y and moved; the client must
/// re-express everything in this camera's frame.
fn server_pose(i: usize) -> [[f64; 4]; 4] {
    let a = 30f64.to_radians() + 0.1 * i as f64;
    let (s, c) = a.sin_cos();
    [
        [c, 0.0, s, 1.0 + 0.5 * i as f64],
        [0.0, 1.0, 0.0, 0.2],
        [-s, 0.0, c, -0.3 * i as f64],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

/// Depth the fake model predicts at model pixel (v, u) of frame i.
fn fake_depth(i: usize, v: usize, u: usize) -> f64 {
    2.0 + 0.1 * i as f64 + 0.01 * u as f64 + 0.02 * v as f64
}

const MODEL_K: [f64; 4] = [4.0, 4.0, 1.5, 1.0]; // fx, fy, cx, cy at the model resolution

fn reconstruct(kwargs: &BTreeMap<String, Tagged>) -> Result<Tagged, Response> {
    let Some(Tagged::List(images)) = kwargs.get("video_frames") else {
        return Err(failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TypeError",
            "video_frames missing",
        ));
    };
    let n = images.len();
    let Tagged::Image(first) = &images[0] else {
        panic!("not an image")
    };
    let (w, h, _) = decode_png(first);
    let (hm, wm) = (h.div_ceil(2), w.div_ceil(2));
    let (mut points, mut conf, mut poses, mut ks) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let p = server_pose(i);
        for v in 0..hm {
            for u in 0..wm {
                let d = fake_depth(i, v, u);
                let cam = [
                    (u as f64 - MODEL_K[2]) * d / MODEL_K[0],
                    (v as f64 - MODEL_K[3]) * d / MODEL_K[1],
                    d,
                ];
                for row in p.iter().take(3) {
                    points.push(
                        (row[0] * cam[0] + row[1] * cam[1] + row[2] * cam[2] + row[3]) as f32,
                    );
                }
                conf.push(1.0 + u as f32);
            }
        }
        poses.extend(p.iter().flatten());
        ks.extend([
            MODEL_K[0], 0.0, MODEL_K[2], 0.0, MODEL_K[1], MODEL_K[3], 0.0, 0.0, 1.0,
        ]);
    }
    Ok(dataclass(
        "DA3ReconstructionOutput",
        vec![
            ("points", f32_array(vec![n, hm, wm, 3], &points)),
            ("confidence", f32_array(vec![n, hm, wm], &conf)),
            ("camera_poses", f64_array(vec![n, 4, 4], &poses)),
            (
                "frame_indices",
                Tagged::List((0..n as i64).map(Tagged::Int).collect()),
            ),
            ("metric_scale", Tagged::Float(1.25)),
            ("num_frames", Tagged::Int(n as i64)),
            ("_rays", Tagged::Nil),
            ("_intrinsics", f64_array(vec![n, 3, 3], &ks)),
        ],
    ))
}

fn detect(kwargs: &BTreeMap<String, Tagged>) -> Result<Tagged, Response> {
    let Some(Tagged::Image(png_bytes)) = kwargs.get("image_source") else {
        return Err(failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TypeError",
            "image_source missing",
        ));
    };
    let (w, h, _) = decode_png(png_bytes);
    match kwargs.get("prompt").and_then(Tagged::as_str) {
        Some("explode") => {
            return Err(failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "RuntimeError",
                "CUDA out of memory",
            ));
        }
        Some("bad") => {
            return Err(failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ValueError",
                "prompt must not be 'bad'",
            ));
        }
        Some("nothing") => {
            let empty = Tagged::Array(NdArray::new(NpDType::Bool, vec![0, h, w], vec![]).unwrap());
            return Ok(dataclass(
                "SAM3ImageDetectionOutput",
                vec![
                    ("boxes", f32_array(vec![0, 4], &[])),
                    ("scores", f32_array(vec![0], &[])),
                    ("masks", empty),
                    ("labels", Tagged::List(vec![])),
                ],
            ));
        }
        _ => {}
    }
    // Two instances at half resolution: the left half and the top row.
    let (hm, wm) = (h.div_ceil(2), w.div_ceil(2));
    let mut data = Vec::new();
    for k in 0..2 {
        for v in 0..hm {
            for u in 0..wm {
                data.push(u8::from(if k == 0 { u < wm / 2 } else { v == 0 }));
            }
        }
    }
    Ok(dataclass(
        "SAM3ImageDetectionOutput",
        vec![
            ("boxes", f32_array(vec![2, 4], &[0.0; 8])),
            ("scores", f32_array(vec![2], &[0.9, 0.4])),
            (
                "masks",
                Tagged::Array(NdArray::new(NpDType::Bool, vec![2, hm, wm], data).unwrap()),
            ),
            (
                "labels",
                Tagged::List(vec![Tagged::Str("x".into()), Tagged::Str("x".into())]),
            ),
        ],
    ))
}

async fn call(State(s): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok_auth = auth
        .split_once(' ')
        .is_some_and(|(scheme, tok)| scheme.eq_ignore_ascii_case("bearer") && tok == s.token);
    if !ok_auth {
        return failure(
            StatusCode::UNAUTHORIZED,
            "PermissionError",
            "invalid or missing bearer token",
        );
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.split(';').next() != Some("application/json") {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "RPCProtocolError",
            "Content-Type must be application/json",
        );
    }
    let Ok(serde_json::Value::Object(req)) = serde_json::from_slice::<serde_json::Value>(&body)
    else {
        return failure(
            StatusCode::BAD_REQUEST,
            "RPCProtocolError",
            "body is not a JSON object",
        );
    };
    let mut keys: Vec<&str> = req.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["deployment", "kwargs", "method", "version"] || req["version"] != 1 {
        return failure(
            StatusCode::BAD_REQUEST,
            "RPCProtocolError",
            "bad request envelope",
        );
    }
    let (dep, method) = (
        req["deployment"].as_str().unwrap_or(""),
        req["method"].as_str().unwrap_or(""),
    );
    let allowed = matches!(
        (dep, method),
        ("spatial_Reconstruct", "reconstruct") | ("spatial_SAM3", "detect" | "segment_video")
    );
    if !allowed {
        return failure(
            StatusCode::NOT_FOUND,
            "RPCProtocolError",
            "method not allowed",
        );
    }
    let Ok(Tagged::Map(kwargs)) = json_to_tagged(&req["kwargs"], 0) else {
        return failure(StatusCode::BAD_REQUEST, "RPCProtocolError", "bad kwargs");
    };
    s.calls.fetch_add(1, Ordering::SeqCst);
    *s.last_kwargs.lock().unwrap() = Some(kwargs.clone());
    let result = match method {
        "reconstruct" => reconstruct(&kwargs),
        "detect" => detect(&kwargs),
        _ => Err(failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NotImplementedError",
            "no video here",
        )),
    };
    let result = match result {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut fields = vec![
        ("result", result),
        ("err_msg", Tagged::Nil),
        ("err_src", Tagged::Nil),
    ];
    if s.pad_to > 0 {
        fields.push((
            "padding",
            Tagged::Array(NdArray::new(NpDType::U8, vec![s.pad_to], vec![7; s.pad_to]).unwrap()),
        ));
    }
    let out = map(vec![
        ("version", Tagged::Int(1)),
        ("ok", Tagged::Bool(true)),
        ("result", dataclass("AgentToolOutput", fields)),
    ]);
    msgpack(StatusCode::OK, &out)
}

struct FakeServer {
    addr: SocketAddr,
    fake: Arc<Fake>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    fn start(token: &str, pad_to: usize) -> Self {
        let fake = Arc::new(Fake {
            token: token.into(),
            pad_to,
            calls: AtomicUsize::new(0),
            last_kwargs: std::sync::Mutex::new(None),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/call", post(call))
            .with_state(fake.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            addr,
            fake,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn calls(&self) -> usize {
        self.fake.calls.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

fn config(endpoint: GpuEndpoint) -> GpuConfig {
    GpuConfig {
        attempts: 2,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(20),
        probe_timeout: Duration::from_millis(500),
        max_response_bytes: 1 << 20,
        ..GpuConfig::new(endpoint)
    }
}

fn direct(server: &FakeServer, token: &str) -> GpuBackend {
    GpuBackend::new(config(GpuEndpoint::Direct(vec![RemoteServer::new(
        server.url(),
        token,
    )])))
    .unwrap()
}

fn frame(w: usize, h: usize, seed: u8, index: i64) -> RgbFrame {
    let px: Vec<u8> = (0..w * h * 3)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect();
    RgbFrame::new(w, h, px, index).unwrap()
}

fn mat(v: &[f64]) -> [[f64; 4]; 4] {
    let mut m = [[0.0; 4]; 4];
    for (i, row) in m.iter_mut().enumerate() {
        row.copy_from_slice(&v[i * 4..i * 4 + 4]);
    }
    m
}

#[test]
fn reconstructions_come_back_at_input_resolution_in_the_first_camera_frame() {
    let server = FakeServer::start("secret", 0);
    let gpu = direct(&server, "secret");
    assert_eq!(
        (gpu.name(), gpu.version()),
        ("spatialclaw-gpu", "rpc1/unknown")
    );
    let frames = vec![frame(8, 6, 1, 10), frame(8, 6, 2, 20), frame(8, 6, 3, 30)];
    let r = gpu.reconstruct(&frames).unwrap();
    assert_eq!((r.frames, r.height, r.width), (3, 6, 8));
    assert_eq!(
        (r.points.len(), r.confidence.len()),
        (3 * 6 * 8 * 3, 3 * 6 * 8)
    );
    assert_eq!(r.metric_scale, 1.25);
    // The request carried PNGs of our pixels and the frame indices.
    let kwargs = server.fake.last_kwargs.lock().unwrap().clone().unwrap();
    let Some(Tagged::List(images)) = kwargs.get("video_frames") else {
        panic!("no frames")
    };
    let Tagged::Image(png0) = &images[0] else {
        panic!("not an image")
    };
    assert_eq!(decode_png(png0), (8, 6, frames[0].pixels.to_vec()));
    assert_eq!(
        kwargs.get("frame_indices"),
        Some(&Tagged::List(vec![
            Tagged::Int(10),
            Tagged::Int(20),
            Tagged::Int(30)
        ]))
    );

    // First camera at the origin.
    let p0 = mat(&r.camera_poses[..16]);
    for (i, row) in p0.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            assert!(
                (v - f64::from(u8::from(i == j))).abs() < 1e-9,
                "pose 0 is not identity: {p0:?}"
            );
        }
    }
    // Model outputs (4x3) stretched nearest-neighbour to 8x6 like scipy zoom(order=0): output
    // column u samples model column round(u * 3/7), row v samples round(v * 2/5).
    let idx = |o: usize, in_len: usize, out_len: usize| {
        ((o as f64 * (in_len - 1) as f64 / (out_len - 1) as f64) + 0.5).floor() as usize
    };
    for i in 0..3 {
        let pose = mat(&r.camera_poses[i * 16..(i + 1) * 16]);
        for v in 0..6 {
            for u in 0..8 {
                let (vm, um) = (idx(v, 3, 6), idx(u, 4, 8));
                let o = (i * 48 + v * 8 + u) * 3;
                let p = [
                    r.points[o] as f64,
                    r.points[o + 1] as f64,
                    r.points[o + 2] as f64,
                ];
                // Camera-frame depth through our (normalised) pose = the model's depth there.
                let d: f64 = (0..3).map(|k| pose[k][2] * (p[k] - pose[k][3])).sum();
                assert!(
                    (d - fake_depth(i, vm, um)).abs() < 1e-4,
                    "frame {i} ({u},{v}): {d}"
                );
                assert_eq!(r.confidence[i * 48 + v * 8 + u], 1.0 + um as f32);
            }
        }
        // Intrinsics rescaled from the model's 4x3 to 8x6: x by 2, y by 2.
        assert_eq!(
            &r.intrinsics[i * 9..i * 9 + 9],
            &[8.0, 0.0, 3.0, 0.0, 8.0, 2.0, 0.0, 0.0, 1.0]
        );
    }
    // Relative camera motion is preserved: distance between camera 1 and 2 centres.
    let (a, b) = (server_pose(1), server_pose(2));
    let want =
        ((a[0][3] - b[0][3]).powi(2) + (a[1][3] - b[1][3]).powi(2) + (a[2][3] - b[2][3]).powi(2))
            .sqrt();
    let c = |i: usize| {
        [
            r.camera_poses[i * 16 + 3],
            r.camera_poses[i * 16 + 7],
            r.camera_poses[i * 16 + 11],
        ]
    };
    let got = (0..3)
        .map(|k| (c(1)[k] - c(2)[k]).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((got - want).abs() < 1e-9);
}

#[test]
fn detections_are_translated_and_prompts_encoded() {
    let server = FakeServer::start("secret", 0);
    let gpu = direct(&server, "secret");
    let f = frame(8, 6, 1, 4);
    let m = gpu
        .segment(&f, &SegmentPrompt::Text("chair".into()))
        .unwrap();
    assert_eq!((m.count, m.height, m.width), (2, 6, 8));
    assert_eq!(m.scores, vec![0.9, 0.4]);
    // Mask 0 = left half of the 4-wide model mask -> model columns 0,1 -> output columns 0..=3
    // (output u samples model round(u*3/7): 0,0,1,1,2,2,3,3).
    for v in 0..6 {
        let row: Vec<bool> = m.data[v * 8..v * 8 + 8].to_vec();
        assert_eq!(
            row,
            vec![true, true, true, true, false, false, false, false]
        );
    }
    // Mask 1 = top model row -> output rows sampling model row 0: round(v*2/5) == 0 for v in 0..=1.
    let top: Vec<usize> = (0..6).filter(|v| m.data[48 + v * 8]).collect();
    assert_eq!(top, vec![0, 1]);
    let kwargs = server.fake.last_kwargs.lock().unwrap().clone().unwrap();
    assert_eq!(kwargs.get("prompt"), Some(&Tagged::Str("chair".into())));

    let none = gpu
        .segment(&f, &SegmentPrompt::Text("nothing".into()))
        .unwrap();
    assert_eq!(
        (none.count, none.height, none.width, none.data.len()),
        (0, 6, 8, 0)
    );

    gpu.segment(&f, &SegmentPrompt::Box([0.25, 0.5, 0.25, 0.125]))
        .unwrap();
    let kwargs = server.fake.last_kwargs.lock().unwrap().clone().unwrap();
    assert_eq!(
        kwargs.get("bounding_boxes"),
        Some(&Tagged::List(vec![Tagged::List(vec![
            Tagged::Float(0.25),
            Tagged::Float(0.5),
            Tagged::Float(0.25),
            Tagged::Float(0.125)
        ])]))
    );
    assert_eq!(
        kwargs.get("bounding_box_labels"),
        Some(&Tagged::List(vec![Tagged::Int(1)]))
    );
    gpu.segment(
        &f,
        &SegmentPrompt::Points {
            points: vec![[0.5, 0.25]],
            labels: vec![1],
        },
    )
    .unwrap();
    let kwargs = server.fake.last_kwargs.lock().unwrap().clone().unwrap();
    assert_eq!(
        kwargs.get("point_labels"),
        Some(&Tagged::List(vec![Tagged::Int(1)]))
    );
}

#[test]
fn auth_failure_is_a_clear_error() {
    let server = FakeServer::start("secret", 0);
    let gpu = direct(&server, "not-the-secret");
    let e = gpu
        .segment(&frame(8, 6, 1, 0), &SegmentPrompt::Text("chair".into()))
        .unwrap_err();
    let PerceptionError::Unavailable(msg) = &e else {
        panic!("{e:?}")
    };
    assert!(
        msg.contains("refused our bearer token (HTTP 401 PermissionError"),
        "{msg}"
    );
    assert!(msg.contains("wrong or stale"), "{msg}");
    assert!(
        msg.contains("SAM3.detect is temporarily unavailable"),
        "{msg}"
    );
    assert_eq!(server.calls(), 0);
}

#[test]
fn oversized_responses_are_refused_with_a_clear_error() {
    let server = FakeServer::start("secret", 2 << 20); // 2 MiB answer, 1 MiB limit
    let gpu = direct(&server, "secret");
    let e = gpu
        .segment(&frame(8, 6, 1, 0), &SegmentPrompt::Text("chair".into()))
        .unwrap_err();
    let PerceptionError::Failed(msg) = &e else {
        panic!("{e:?}")
    };
    assert!(
        msg.contains("too large") && msg.contains("exceeds the limit of 1048576 bytes"),
        "{msg}"
    );
    assert_eq!(server.calls(), 1, "an oversized answer is not retried");
}

#[test]
fn server_errors_map_like_the_original_client() {
    let server = FakeServer::start("secret", 0);
    let gpu = direct(&server, "secret");
    let f = frame(8, 6, 1, 0);
    // ValueError: the agent's to fix, raised at once.
    let e = gpu
        .segment(&f, &SegmentPrompt::Text("bad".into()))
        .unwrap_err();
    assert_eq!(
        e,
        PerceptionError::BadInput("prompt must not be 'bad'".into())
    );
    assert_eq!(server.calls(), 1);
    // Anything else: retried, then reported with the server's message (not hidden).
    let e = gpu
        .segment(&f, &SegmentPrompt::Text("explode".into()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("temporarily unavailable") && e.contains("RuntimeError: CUDA out of memory"),
        "{e}"
    );
    assert_eq!(server.calls(), 3);
}

#[test]
fn servers_are_discovered_through_the_registry() {
    let live = FakeServer::start("tok-live", 0);
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let port = live.addr.port();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("gpu_server.json");
    let entry = |ip: &str, port: u16, tools: &[&str], token: Option<&str>, proto: Option<i64>| {
        let mut e = serde_json::json!({"ip": ip, "http_port": port, "tools": tools, "reconstruct_backend": "da3",
                                        "num_gpus": 1, "pid": 1, "slurm_job_id": null, "create_time": 0});
        if let Some(t) = token {
            e["auth_token"] = t.into();
        }
        if let Some(p) = proto {
            e["protocol_version"] = p.into();
        }
        e
    };
    let reg = serde_json::json!({
        "dead0001": entry("127.0.0.1", dead_port, &["Reconstruct", "SAM3"], Some("x"), Some(1)),
        "nopickle": entry("127.0.0.1", port, &["Reconstruct", "SAM3"], None, None),
        "oldproto": entry("127.0.0.1", port, &["Reconstruct", "SAM3"], Some("tok-live"), Some(0)),
        "samonly0": entry("127.0.0.1", dead_port, &["SAM3"], Some("x"), Some(1)),
        "live0001": entry("127.0.0.1", port, &["Reconstruct", "SAM3"], Some("tok-live"), Some(1)),
    });
    std::fs::write(&registry, reg.to_string()).unwrap();
    std::fs::write(tmp.path().join("gpu_server.json.lock"), "").unwrap();
    let gpu = GpuBackend::new(config(GpuEndpoint::Registry(registry.clone()))).unwrap();
    assert_eq!(gpu.version(), "rpc1/da3");
    for _ in 0..3 {
        gpu.reconstruct(&[frame(8, 6, 1, 0)]).unwrap();
        gpu.segment(&frame(8, 6, 1, 0), &SegmentPrompt::Text("cup".into()))
            .unwrap();
    }
    assert_eq!(live.calls(), 6);

    // No usable entry: a clear error, quickly (no hours of polling).
    std::fs::write(&registry, serde_json::json!({"dead0001": entry("127.0.0.1", dead_port, &["SAM3"], Some("x"), Some(1))}).to_string()).unwrap();
    let t = std::time::Instant::now();
    let e = gpu
        .reconstruct(&[frame(8, 6, 1, 0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no GPU server with Reconstruct"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn malformed_responses_are_rejected() {
    // A response with a dataclass not on the allow-list, or a wrongly sized array, never
    // becomes a result.
    let bad = dataclass("Exploit", vec![]);
    assert!(
        decode_msgpack(&encode_msgpack(&bad))
            .unwrap_err()
            .contains("allow-list")
    );
}
