//! Without onnxruntime the backend refuses to start and says how to install it. One test in its
//! own binary: it changes environment variables, and onnxruntime loads once per process.

use spatialclaw_onnx::{OnnxBackend, OnnxConfig, OnnxError};

const MANIFEST: &str =
    "name = \"x\"\n[depth]\nmodel = \"depth.onnx\"\ninput = { size = [32, 32] }\n";

#[test]
fn a_missing_or_broken_library_is_reported_with_the_remedy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), MANIFEST).unwrap();
    // A model file is needed only so the manifest check passes; it is never opened.
    std::fs::write(dir.path().join("depth.onnx"), b"not a model").unwrap();
    let empty_root = dir.path().join("no-venvs");
    std::fs::create_dir(&empty_root).unwrap();
    // SAFETY: this binary has one test, so no other thread reads the environment meanwhile.
    unsafe {
        std::env::remove_var("ORT_DYLIB_PATH");
        std::env::remove_var("SPATIALCLAW_PYTHON_ENV");
        std::env::remove_var("VIRTUAL_ENV");
    }
    let cfg = OnnxConfig {
        manifest: dir.path().join("manifest.toml"),
        library: None,
        search_roots: vec![empty_root.clone()],
    };
    let err = OnnxBackend::open(&cfg).err().expect("no library anywhere");
    let text = err.to_string();
    assert!(matches!(err, OnnxError::LibraryNotFound { .. }), "{text}");
    assert!(text.contains("pip install onnxruntime"), "{text}");
    assert!(text.contains("ORT_DYLIB_PATH"), "{text}");
    assert!(text.contains("no-venvs"), "says where it looked: {text}");

    // ORT_DYLIB_PATH naming a file that is not there.
    let gone = dir.path().join("libonnxruntime.so.9.9");
    unsafe { std::env::set_var("ORT_DYLIB_PATH", &gone) };
    let text = OnnxBackend::open(&cfg)
        .err()
        .expect("no such file")
        .to_string();
    assert!(
        text.contains("no such file") && text.contains("libonnxruntime.so.9.9"),
        "{text}"
    );

    // A file that is not a shared library: dlopen fails, and the message still says what to do.
    std::fs::write(&gone, b"\x7fELF garbage").unwrap();
    let err = OnnxBackend::open(&cfg).err().expect("not a library");
    let text = err.to_string();
    assert!(matches!(err, OnnxError::LibraryLoad { .. }), "{text}");
    assert!(text.contains("pip install onnxruntime"), "{text}");

    // A venv-shaped root without onnxruntime in it is searched and reported too.
    unsafe { std::env::remove_var("ORT_DYLIB_PATH") };
    let venv = empty_root.join("venv-x");
    std::fs::create_dir_all(venv.join("lib/python3.11/site-packages")).unwrap();
    std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    let text = OnnxBackend::open(&cfg)
        .err()
        .expect("venv without it")
        .to_string();
    assert!(text.contains("venv-x"), "{text}");
}
