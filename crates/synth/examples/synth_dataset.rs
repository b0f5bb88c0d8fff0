//! Writes a small dataset: `cargo run -p spatialclaw-synth --release --example synth_dataset -- DIR [count] [seed]`.

use spatialclaw_synth::dataset::{WriteOptions, write};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "synth_dataset".into());
    let count = args.next().and_then(|s| s.parse().ok()).unwrap_or(14);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    match write(
        std::path::Path::new(&dir),
        seed,
        count,
        &WriteOptions::default(),
    ) {
        Ok(s) => println!("{s:?}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
