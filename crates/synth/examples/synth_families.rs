//! Generates samples of every family and prints their prompts and answers:
//! `cargo run -p spatialclaw-synth --release --example synth_families -- [seeds]`.

use spatialclaw_synth::questions::Family;
use spatialclaw_synth::sample::{SampleOptions, generate_sample};

fn main() {
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let options = SampleOptions::default();
    for family in Family::ALL {
        for seed in 0..seeds {
            let t = std::time::Instant::now();
            match generate_sample(seed, family, &options) {
                Ok(s) => println!(
                    "{:<26} seed {seed} {:?} {} frames {:.0} ms\n  {}\n  -> {:?}",
                    family.name(),
                    s.rig.kind,
                    s.frames.len(),
                    t.elapsed().as_secs_f64() * 1e3,
                    s.question.prompt.replace('\n', "\n  "),
                    s.question.answer
                ),
                Err(e) => println!("{:<26} seed {seed}: ERROR {e}", family.name()),
            }
        }
    }
}
