//! The browser test: the dashboard and a session report served by the `spatialclaw view` server
//! in-process, opened in headless Debian chromium; the rendered DOM must hold the expected text,
//! and screenshots must show drawn content (not a blank page) including the inlined images.
//! Screenshots are kept under `target/test-artifacts/` for people to look at.
//!
//! Chromium comes from `scripts/setup-chromium.sh`. In CI (`CI` set) a missing chromium is
//! installed by that script; elsewhere the test says it is skipped and passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// True when chromium is there (installing it first in CI).
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var_os("CI").is_none() {
        println!("skipped: chromium not installed; run scripts/setup-chromium.sh");
        return false;
    }
    let status = Command::new("bash")
        .arg(workspace_root().join("scripts/setup-chromium.sh"))
        .status()
        .expect("run scripts/setup-chromium.sh");
    assert!(status.success(), "scripts/setup-chromium.sh failed");
    assert!(
        Path::new(CHROMIUM).exists(),
        "setup-chromium.sh did not install {CHROMIUM}"
    );
    true
}

/// Runs headless chromium with `mode` (`--dump-dom` or `--screenshot=FILE`); returns stdout.
fn chromium(mode: &str, url: &str, profile: &Path) -> String {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,2000",
            mode,
            url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let stderr = child.stderr.take().unwrap();
    let err_reader =
        std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {mode} {url} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap();
    let err = err_reader.join().unwrap();
    assert!(status.success(), "chromium {mode} failed ({status}): {err}");
    out
}

struct Shot {
    width: u32,
    height: u32,
    rgb: Vec<[u8; 3]>,
}

fn decode(path: &Path) -> Shot {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    let rgb = buf
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    Shot {
        width: info.width,
        height: info.height,
        rgb,
    }
}

fn variance(shot: &Shot) -> f64 {
    let lum: Vec<f64> = shot
        .rgb
        .iter()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64
}

/// Pixels of the fixtures' pure magenta: nothing in the stylesheet is magenta, so they can only
/// come from a decoded inline image.
fn magenta_pixels(shot: &Shot) -> usize {
    shot.rgb
        .iter()
        .filter(|p| p[0] > 235 && p[1] < 25 && p[2] > 235)
        .count()
}

#[test]
fn dashboard_and_session_render_in_headless_chromium() {
    if !chromium_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runs = common::three_runs(dir.path());
    let site = dir.path().join("site");
    spatialclaw_report::write_site(&runs, &site).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(spatialclaw_report::bind(site.clone(), "127.0.0.1:0"))
        .unwrap();
    let addr = server.local_addr().unwrap();
    rt.spawn(server.run());

    let artifacts = artifacts_dir();
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let doc = scraper::Html::parse_document(&index);
    let first_session = doc
        .select(&scraper::Selector::parse("#samples a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_owned();

    let pages = [
        (
            "dashboard",
            format!("http://{addr}/"),
            vec![
                "SpatialClaw runs",
                "55.0%",
                "45.0%",
                "connection refused after 5 retries",
                "vid-1",
            ],
            false,
        ),
        (
            "session",
            format!("http://{addr}/{first_session}"),
            vec![
                "How far is the heater from the door?",
                "Step 30",
                "NameError",
                "Correct",
                "Is the door <open>?",
            ],
            true,
        ),
    ];
    for (name, url, expected, has_images) in pages {
        let profile = tempfile::tempdir().unwrap();
        let dom = chromium("--dump-dom", &url, profile.path());
        let dom_doc = scraper::Html::parse_document(&dom);
        let text: String = dom_doc.root_element().text().collect();
        for e in &expected {
            assert!(text.contains(e), "{name}: rendered DOM lacks {e:?}");
        }
        if has_images {
            let imgs = dom_doc
                .select(&scraper::Selector::parse("img").unwrap())
                .count();
            assert!(imgs >= 8, "{name}: {imgs} images in the DOM");
        } else {
            assert!(
                dom.contains("<svg") && dom.contains("polygon"),
                "{name}: the radar chart is in the DOM"
            );
        }

        let shot_path = artifacts.join(format!("report-{name}.png"));
        let _ = std::fs::remove_file(&shot_path);
        let profile = tempfile::tempdir().unwrap();
        chromium(
            &format!("--screenshot={}", shot_path.display()),
            &url,
            profile.path(),
        );
        assert!(shot_path.exists(), "{name}: no screenshot written");
        let shot = decode(&shot_path);
        assert!(
            shot.width >= 1000 && shot.height >= 1000,
            "{name}: {}x{}",
            shot.width,
            shot.height
        );
        let v = variance(&shot);
        assert!(
            v > 50.0,
            "{name}: the screenshot is blank (luminance variance {v:.1})"
        );
        if has_images {
            let m = magenta_pixels(&shot);
            assert!(
                m > 1000,
                "{name}: inline images were not drawn ({m} magenta pixels)"
            );
        }
        println!(
            "{name}: screenshot {} ({}x{}, variance {v:.0})",
            shot_path.display(),
            shot.width,
            shot.height
        );
    }
    rt.shutdown_timeout(Duration::from_secs(2));
}
