//! The benchmark's measuring functions produce figures (no time is asserted: only that the
//! figures exist and are consistent).

use spatialclaw_kernel::bench::{Stats, bench_memory, bench_ours, pss_kb};
use spatialclaw_kernel::ensure_python_env;

#[test]
fn stats_pick_percentiles() {
    let s = Stats::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
    assert_eq!((s.p50_ms, s.p90_ms, s.n), (3.0, 5.0, 5));
    assert!(Stats::of(&[]).p50_ms.is_nan());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_side_measures_ready_step_and_memory() {
    let env = ensure_python_env(|m| eprintln!("{m}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("f.png");
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 8, 6);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()
            .unwrap()
            .write_image_data(&[90; 8 * 6 * 3])
            .unwrap();
    }
    std::fs::write(&frame, bytes).unwrap();
    let r = bench_ours(&env, &frame, 3, 5, true).await.unwrap();
    let plain = bench_ours(&env, &frame, 3, 30, false).await.unwrap();
    eprintln!("without snapshots: step p50 {:.2} ms", plain.step.p50_ms);
    assert_eq!((r.ready.n, r.step.n, r.step_back_to_back.n), (3, 15, 15));
    assert!(r.ready.p50_ms > 0.0 && r.step.p50_ms > 0.0);
    eprintln!(
        "ready p50 {:.2} ms, step p50 {:.2} ms, back-to-back p50 {:.2} ms, zygote {:.0} ms",
        r.ready.p50_ms, r.step.p50_ms, r.step_back_to_back.p50_ms, r.zygote_start_ms
    );
    let (kb, procs) = bench_memory(&env, &frame, 4).await.unwrap();
    // 4 sessions + 4 snapshots + the zygote and its spare, all alive while measured.
    assert_eq!(procs, 10);
    assert!(kb > 10_000, "{kb} kB");
    eprintln!("4 sessions: {:.0} MB PSS", kb as f64 / 1024.0);
    assert_eq!(
        pss_kb(&[u32::MAX]),
        0,
        "a missing process counts as nothing"
    );
}
