//! Prints `bench_render` figures: `cargo run -p spatialclaw-synth --release --example synth_bench`.

fn main() {
    for seed in [0, 1, 2] {
        let runs = [
            ("demo", spatialclaw_synth::bench_render(seed, 50)),
            ("room", spatialclaw_synth::bench_render_room(seed, 50)),
        ];
        for (what, result) in runs {
            match result {
                Ok(b) => println!(
                    "{what} seed {seed}: {}x{} render min {:.2} ms median {:.2} ms mean {:.2} ms, png median {:.2} ms",
                    b.width,
                    b.height,
                    b.render_min_ms,
                    b.render_median_ms,
                    b.render_mean_ms,
                    b.png_median_ms
                ),
                Err(e) => eprintln!("seed {seed}: error: {e}"),
            }
        }
    }
}
