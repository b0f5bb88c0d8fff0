//! Writes the valid inputs each crate's `fuzz_support` module provides as the starting corpus of
//! every fuzz target: `seed_corpus <dir>` fills `<dir>/<target>/seed-<n>` (scripts/fuzz.sh).

use std::path::Path;

fn write(dir: &Path, target: &str, seeds: Vec<Vec<u8>>) -> std::io::Result<()> {
    let folder = dir.join(target);
    std::fs::create_dir_all(&folder)?;
    for (n, s) in seeds.iter().enumerate() {
        std::fs::write(folder.join(format!("seed-{n}")), s)?;
    }
    println!("{target}: {} seeds", seeds.len());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/seeds".into());
    let dir = Path::new(&dir);
    use spatialclaw_agent::fuzz_support as agent;
    use spatialclaw_evals::fuzz_support as evals;
    use spatialclaw_perception::fuzz_support as perception;
    let react: Vec<Vec<u8>> = agent::tool_call_seeds()
        .into_iter()
        .map(|s| [vec![3u8], s].concat())
        .collect();
    write(dir, "response_parser", agent::response_seeds())?;
    write(dir, "react_translator", react)?;
    write(
        dir,
        "kernel_protocol",
        spatialclaw_kernel::fuzz_support::seeds(),
    )?;
    write(dir, "perception_wire", perception::wire_seeds())?;
    write(dir, "perception_gpu_codec", perception::gpu_codec_seeds())?;
    let records = evals::record_seeds().into_iter().map(|(_, s)| s).collect();
    write(dir, "evals_records", records)?;
    write(dir, "evals_scoring", evals::scoring_seeds())?;
    Ok(())
}
