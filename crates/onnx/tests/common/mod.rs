//! Shared set-up: the onnx virtual environment (provisioned by the project's own code, like the
//! kernel tests do) and the tiny models written into this test binary's temporary directory.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use spatialclaw_onnx::{OnnxBackend, OnnxConfig};
use spatialclaw_perception::RgbFrame;

pub struct Fixture {
    pub python: PathBuf,
    /// The virtual environment holding onnxruntime.
    pub venv: PathBuf,
    pub dir: PathBuf,
}

pub fn fixture(name: &str) -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let env = spatialclaw_kernel::ensure_onnx_env(|m| eprintln!("{m}"))
            .expect("provisioning the onnx Python environment");
        let venv = env
            .python
            .parent()
            .and_then(|p| p.parent())
            .expect("<venv>/bin/python")
            .to_owned();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("onnx-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        spatialclaw_onnx::testkit::write_tiny_models(&env.python, &dir)
            .expect("building the tiny ONNX graphs");
        Fixture {
            python: env.python,
            venv,
            dir,
        }
    })
}

pub fn open(f: &Fixture, manifest: &str) -> Result<OnnxBackend, spatialclaw_onnx::OnnxError> {
    OnnxBackend::open(&OnnxConfig {
        manifest: f.dir.join(manifest),
        library: None,
        search_roots: vec![f.venv.clone()],
    })
}

/// A frame whose pixels are `f(x, y) -> [r, g, b]`.
pub fn frame(w: usize, h: usize, index: i64, f: impl Fn(usize, usize) -> [u8; 3]) -> RgbFrame {
    let px: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| f(x, y))
        .collect();
    RgbFrame::new(w, h, px, index).unwrap()
}
