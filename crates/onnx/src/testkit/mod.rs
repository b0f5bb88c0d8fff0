//! Tiny ONNX graphs and numpy reference steps, shared by the tests and `spatialclaw bench
//! onnx`. No real weights are needed: the graphs have the signatures of real exports and
//! compute simple known functions (see `tiny_graphs.py`).

use std::path::Path;
use std::process::Command;

/// Builds the tiny graphs, tokenizer files and manifests (`tiny.toml`, `tiny_fov.toml`,
/// `tiny_mv.toml`) into a directory; needs the `onnx` and `numpy` packages.
pub const TINY_GRAPHS_PY: &str = include_str!("tiny_graphs.py");
/// numpy implementations of the pre/post-processing steps (reference and benchmark).
pub const NUMPY_STEPS_PY: &str = include_str!("numpy_steps.py");
/// Token id of `chair` in the tiny vocabulary: the only query the tiny detector answers.
pub const TINY_CHAIR_ID: i64 = 8;

fn run_script(
    python: &Path,
    dir: &Path,
    name: &str,
    text: &str,
    args: &[&str],
) -> Result<String, String> {
    let script = dir.join(name);
    std::fs::write(&script, text).map_err(|e| format!("writing {}: {e}", script.display()))?;
    let out = Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{name} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Write the tiny models and manifests into `dir` with `python` (an environment with onnx).
pub fn write_tiny_models(python: &Path, dir: &Path) -> Result<(), String> {
    let d = dir.to_string_lossy().into_owned();
    run_script(python, dir, "tiny_graphs.py", TINY_GRAPHS_PY, &[&d]).map(|_| ())
}

/// Run the numpy steps script in `dir` with the given arguments; returns its stdout.
pub fn run_numpy_steps(python: &Path, dir: &Path, args: &[&str]) -> Result<String, String> {
    run_script(python, dir, "numpy_steps.py", NUMPY_STEPS_PY, args)
}
