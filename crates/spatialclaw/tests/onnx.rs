//! The `onnx` perception backend through the binary: `perception serve --backend onnx` with the
//! tiny graphs answering a remote client, the errors of a missing manifest, and `bench onnx`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use spatialclaw_perception::{
    Backend, RemoteBackend, RemoteConfig, RemoteServer, RgbFrame, SegmentPrompt,
};

/// The onnx environment (provisioned by the project's code) and the tiny models, written into
/// this test binary's temporary directory.
fn tiny() -> &'static (PathBuf, PathBuf) {
    static T: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    T.get_or_init(|| {
        let env = spatialclaw_kernel::ensure_onnx_env(|m| eprintln!("{m}")).unwrap();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("onnx-cli");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        spatialclaw_onnx::testkit::write_tiny_models(&env.python, &dir).unwrap();
        (env.python, dir)
    })
}

/// The shared library inside the environment, found the way users' installs are.
fn library(python: &Path) -> PathBuf {
    let venv = python.parent().unwrap().parent().unwrap().to_owned();
    spatialclaw_onnx::runtime::find_library(&[venv]).unwrap()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn perception_serve_runs_the_onnx_backend_for_remote_clients() {
    let (python, dir) = tiny();
    let token_file = dir.join("serve.token");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("spatialclaw"))
        .args([
            "perception",
            "serve",
            "--backend",
            "onnx",
            "--bind",
            "127.0.0.1:0",
        ])
        .arg("--onnx-manifest")
        .arg(dir.join("tiny.toml"))
        .arg("--token-file")
        .arg(&token_file)
        .env("ORT_DYLIB_PATH", library(python))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("server exited: {seen:?}"))
            .unwrap();
        if let Some(rest) = line.split(" on http://").nth(1) {
            assert!(line.contains("backend onnx/tiny-v1/ort"), "{line}");
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
        seen.push(line);
    };
    assert!(
        seen.iter()
            .any(|l| l.contains("onnxruntime") && l.contains("CPU")),
        "{seen:?}"
    );
    let token = std::fs::read_to_string(&token_file).unwrap();
    let remote = RemoteBackend::connect(
        vec![RemoteServer::new(url, token.trim())],
        RemoteConfig::default(),
    )
    .unwrap();
    let px: Vec<u8> = (0..40 * 30).flat_map(|i| [(i % 40) as u8, 9, 9]).collect();
    let frame = RgbFrame::new(40, 30, px, 3).unwrap();
    let masks = remote
        .segment(&frame, &SegmentPrompt::Box([0.25, 0.2, 0.5, 0.5]))
        .unwrap();
    assert_eq!((masks.count, masks.width, masks.height), (1, 40, 30));
    // Pixel (20, 15) is inside the box, (2, 2) is not.
    assert!(masks.data[15 * 40 + 20] && !masks.data[2 * 40 + 2]);
    let recon = remote.reconstruct(&[frame]).unwrap();
    assert_eq!((recon.frames, recon.height, recon.width), (1, 30, 40));
    drop(server);
}

/// `spatialclaw perception serve --backend onnx` on a free local port.
fn serve_onnx() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("spatialclaw").unwrap();
    cmd.args([
        "perception",
        "serve",
        "--backend",
        "onnx",
        "--bind",
        "127.0.0.1:0",
    ]);
    cmd
}

#[test]
fn a_missing_manifest_says_how_to_give_one() {
    let out = serve_onnx()
        .env_remove("SPATIALCLAW_ONNX_MANIFEST")
        .env("SPATIALCLAW_CACHE", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SPATIALCLAW_ONNX_MANIFEST") && err.contains("docs/onnx.md"),
        "{err}"
    );
    let out = serve_onnx()
        .args(["--onnx-manifest", "/nonexistent/models.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/models.toml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn bench_onnx_prints_rust_numpy_and_end_to_end_rows() {
    tiny(); // provisions the environment the bench uses
    let out = assert_cmd::Command::cargo_bin("spatialclaw")
        .unwrap()
        .args([
            "bench",
            "onnx",
            "--width",
            "64",
            "--height",
            "48",
            "--repeats",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    for step in spatialclaw_onnx::bench::STEPS {
        for side in ["rust", "numpy"] {
            let ms = v[format!("{side}_{step}_ms")].as_f64();
            assert!(ms.is_some_and(|m| m >= 0.0), "{side} {step}: {v}");
        }
    }
    assert!(v["e2e_segment_text_ms"].as_f64().is_some(), "{v}");
}

/// The agent's own tools in a real kernel session, served by the onnx backend through the host:
/// the kernel-side post-processing (gravity alignment, mask wrapping) accepts what it returns.
#[tokio::test(flavor = "multi_thread")]
async fn the_kernels_tools_run_on_the_onnx_backend() {
    use spatialclaw_kernel::{InputFrame, KernelSession, SessionInputs, SessionOptions};
    let (python, dir) = tiny();
    // 64x64, red top-right quadrant: the tiny detector finds "chair" there, and the tiny depth
    // model puts it at 2 m (1 m elsewhere).
    let (w, h) = (64u32, 64u32);
    let px: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            if x >= 32 && y < 32 {
                [255, 0, 0]
            } else {
                [0, 0, 40]
            }
        })
        .collect();
    let path = dir.join("frame.png");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&px).unwrap();
    }
    let backend = spatialclaw_onnx::OnnxBackend::open(&spatialclaw_onnx::OnnxConfig {
        manifest: dir.join("tiny.toml"),
        library: Some(library(python)),
        search_roots: vec![],
    })
    .unwrap();
    let host = spatialclaw_agent::SampleHost {
        backend: std::sync::Arc::new(backend),
        vlm: None,
        session_id: "onnx-test".into(),
    };
    let env = spatialclaw_kernel::ensure_python_env(|m| eprintln!("{m}")).unwrap();
    let inputs = SessionInputs {
        frames: vec![InputFrame {
            path,
            frame_index: 0,
        }],
        metadata: serde_json::json!({
            "is_video": false, "fps": null, "total_frames": 1, "duration_sec": null,
            "num_images": 1, "video_source": null, "num_videos": 1,
        }),
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default())
        .await
        .unwrap();
    let code = r#"
img = InputImages[0]
fi = img.frame_index
r = tools.Reconstruct.Reconstruct(InputImages)
d = r.depth[fi]
print("depth", d.shape, round(float(d[10, 45]), 3), round(float(d[50, 10]), 3))
seg = tools.SAM3.segment_image_by_text(img, "chair")
m = seg.get_mask(frame=fi, object=0)
print("text", m.shape, bool(m[15, 48]), bool(m[50, 10]), bool(m[15, 10]))
b = tools.SAM3.segment_image_by_box(img, [8, 8, 24, 24])
mb = b.get_mask(frame=fi, object=0)
print("box", bool(mb[16, 16]), bool(mb[40, 40]))
try:
    tools.SAM3.segment_image_by_text(img, "table")
except RuntimeError as e:
    print("none", "no usable mask" in str(e))
"#;
    let out = session
        .exec(code, std::time::Duration::from_secs(120), &host)
        .await
        .unwrap();
    session.shutdown().await;
    assert!(out.error.is_none(), "{:?}\n{}", out.error, out.stdout);
    let s = out.stdout;
    assert!(s.contains("depth (64, 64) 2.0 1.0"), "{s}");
    assert!(s.contains("text (64, 64) True False False"), "{s}");
    assert!(s.contains("box True False"), "{s}");
    assert!(s.contains("none True"), "{s}");
}
