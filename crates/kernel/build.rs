//! Embeds the in-kernel Python runtime into the binary so that `spatialclaw` works from any
//! directory (and after `cargo install`): the files are written to the cache on first use.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("python runtime directory is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "__pycache__") {
                collect(&path, root, out);
            }
        } else if path.extension().is_some_and(|e| e == "py" || e == "txt") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path.canonicalize().unwrap()));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let python = manifest.join("../../python").canonicalize().unwrap();
    let runtime = python.join("spatialclaw_kernel");
    println!("cargo:rerun-if-changed={}", runtime.display());
    println!(
        "cargo:rerun-if-changed={}",
        python.join("requirements.txt").display()
    );
    let mut files = Vec::new();
    collect(&runtime, &python, &mut files);
    let mut code = String::from(
        "/// (path relative to the runtime root, contents)\npub const RUNTIME_FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, abs) in &files {
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// Pinned packages of the kernel's virtual environment.\npub const REQUIREMENTS: &str = include_str!({:?});",
        python.join("requirements.txt").display().to_string()
    )
    .unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("runtime_files.rs");
    std::fs::write(out, code).unwrap();
}
