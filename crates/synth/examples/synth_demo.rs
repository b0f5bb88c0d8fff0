//! Writes the demo frame of a seed as PNG and prints its question and ground truth.
//!
//! `cargo run -p spatialclaw-synth --release --example synth_demo -- <seed> <out.png>`

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let out = args
        .next()
        .unwrap_or_else(|| format!("synth_demo_{seed}.png"));
    let sample = match spatialclaw_synth::demo_sample(seed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let png = match sample.frame.png_bytes() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&out, png) {
        eprintln!("error: cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    for o in &sample.scene.objects {
        println!(
            "{:>3} {:<10} centre {:?} size {:?}",
            o.instance_id,
            o.label,
            o.center.to_array(),
            o.size.to_array()
        );
    }
    println!(
        "{}  ->  {:.3} m",
        sample.question.text, sample.question.answer_m
    );
    println!("frame hash {}", sample.frame.content_hash_hex());
    println!("wrote {out}");
    ExitCode::SUCCESS
}
