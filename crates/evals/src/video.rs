//! Video frame extraction with ffmpeg, cached on disk (evals-runs.md §1.4).
//!
//! Behaviour kept from the original: frames are extracted at `min(native fps, max_fps)` (every native
//! frame when there is no cap) as JPEG quality 2, optionally scaled so the short edge has a given
//! size, and frame `i` of the output carries the **absolute native frame index**
//! `round(i · native_fps / out_fps)` with Python's half-to-even rounding.
//!
//! Fixed: the cache key is the video's canonical path, size and modification time **plus** the fps
//! cap and the resize (the original's key ignored both, so changing them reused stale frames); an
//! extraction lands in a temporary folder and is renamed into place only when complete, so a killed
//! run or two concurrent workers never see half a frame set; an empty extraction or a missing
//! ffmpeg is an error, never a frameless sample.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Why frames could not be extracted.
#[derive(Debug, Error)]
pub enum VideoError {
    #[error(
        "{tool} not found (needed to extract video frames). Install ffmpeg: `bash scripts/setup-ffmpeg.sh` \
         or `apt-get install ffmpeg` (Debian/Ubuntu), `brew install ffmpeg` (macOS); or point \
         SPATIALCLAW_FFMPEG / SPATIALCLAW_FFPROBE at the binaries"
    )]
    FfmpegMissing { tool: &'static str },

    #[error("video file {} not found", path.display())]
    VideoMissing { path: PathBuf },

    #[error("{tool} failed on {}: {message}", path.display())]
    ToolFailed {
        tool: &'static str,
        path: PathBuf,
        message: String,
    },

    #[error("{tool} took longer than {}s on {}", timeout.as_secs(), path.display())]
    Timeout {
        tool: &'static str,
        path: PathBuf,
        timeout: Duration,
    },

    #[error("ffprobe found no usable video stream in {}: {reason}", path.display())]
    BadStream { path: PathBuf, reason: String },

    #[error(
        "ffmpeg produced no frames for {}; the video may be empty or damaged — check it with `ffprobe`, then re-download or re-encode it",
        path.display()
    )]
    NoFrames { path: PathBuf },

    /// ffprobe cannot read the file: empty, truncated, garbage, or not a video at all.
    #[error(
        "{} is not a readable video ({message}); check it with `ffprobe {}`, then re-download or re-encode it",
        path.display(),
        path.display()
    )]
    Unreadable { path: PathBuf, message: String },

    /// Frames this large would be refused as input images anyway; extracting them would fill
    /// the disk and memory first.
    #[error(
        "{} has {width}×{height} frames, over the {limit_mpx:.1} Mpx limit for input images; re-encode it smaller (e.g. `ffmpeg -i in.mp4 -vf scale=1920:-2 out.mp4`)",
        path.display(),
        limit_mpx = crate::image_check::MAX_IMAGE_PIXELS as f64 / 1e6
    )]
    FramesTooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
    },

    #[error("frame cache {}: {source}", path.display())]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The ffmpeg and ffprobe binaries.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

/// Finds an executable on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Ffmpeg {
    /// `SPATIALCLAW_FFMPEG` / `SPATIALCLAW_FFPROBE` when set, else the binaries on PATH.
    pub fn locate() -> Result<Self, VideoError> {
        let find = |env: &str, name: &'static str| {
            std::env::var_os(env)
                .map(PathBuf::from)
                .filter(|p| p.is_file())
                .or_else(|| which(name))
                .ok_or(VideoError::FfmpegMissing { tool: name })
        };
        Ok(Ffmpeg {
            ffmpeg: find("SPATIALCLAW_FFMPEG", "ffmpeg")?,
            ffprobe: find("SPATIALCLAW_FFPROBE", "ffprobe")?,
        })
    }

    /// Write a `seconds`-long `width`×`height` test pattern (ffmpeg's `testsrc`, MPEG-4) to
    /// `path`: a real video made on the spot, for tests and examples that need one.
    pub fn write_test_pattern(
        &self,
        path: &Path,
        (width, height): (u32, u32),
        fps: u32,
        seconds: u32,
    ) -> Result<(), VideoError> {
        let out = Command::new(&self.ffmpeg)
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!(
                "testsrc=size={width}x{height}:rate={fps}:duration={seconds}"
            ))
            .args(["-c:v", "mpeg4", "-pix_fmt", "yuv420p"])
            .arg(path)
            .output()
            .map_err(|e| VideoError::ToolFailed {
                tool: "ffmpeg",
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(VideoError::ToolFailed {
                tool: "ffmpeg",
                path: path.to_path_buf(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(())
    }

    /// Native frame rate, duration and frame count of a video's first video stream.
    pub fn probe(&self, video: &Path) -> Result<VideoInfo, VideoError> {
        if !video.is_file() {
            return Err(VideoError::VideoMissing {
                path: video.to_path_buf(),
            });
        }
        let mut cmd = Command::new(&self.ffprobe);
        cmd.args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration",
            "-of",
            "json",
        ])
        .arg(video);
        if std::fs::metadata(video).is_ok_and(|m| m.len() == 0) {
            return Err(VideoError::Unreadable {
                path: video.to_path_buf(),
                message: "the file is empty (0 bytes)".into(),
            });
        }
        let out = match run(cmd, "ffprobe", video, Duration::from_secs(30)) {
            Ok(out) => out,
            Err(VideoError::ToolFailed { message, .. }) => {
                return Err(VideoError::Unreadable {
                    path: video.to_path_buf(),
                    message: format!("ffprobe: {}", tidy_ffmpeg_message(&message)),
                });
            }
            Err(e) => return Err(e),
        };
        parse_probe(&out, video)
    }

    /// Extracts (or reuses from the cache) the frames of `video`.
    pub fn extract(&self, video: &Path, opts: &ExtractOptions) -> Result<Frames, VideoError> {
        let info = self.probe(video)?;
        if opts.resize_short_edge.is_none()
            && u64::from(info.width) * u64::from(info.height) > crate::image_check::MAX_IMAGE_PIXELS
        {
            return Err(VideoError::FramesTooLarge {
                path: video.to_path_buf(),
                width: info.width,
                height: info.height,
            });
        }
        let key = cache_key(video, opts)?;
        let final_dir = opts.cache_dir.join(&key[..2]).join(&key);
        if let Some(frames) = read_cached(&final_dir) {
            return Ok(frames);
        }
        let out_fps = match opts.max_fps {
            Some(cap) if cap > 0.0 && info.fps > cap => cap,
            _ => info.fps,
        };
        let parent = final_dir.parent().unwrap_or(&opts.cache_dir).to_path_buf();
        let cache_err = |path: &Path, source| VideoError::Cache {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&parent).map_err(|e| cache_err(&parent, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = parent.join(format!(".{key}.tmp-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&tmp).map_err(|e| cache_err(&tmp, e))?;
        if let Err(e) = self.extract_into(video, &info, out_fps, opts, &tmp) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        // Publish atomically; a concurrent worker that won the race leaves its complete copy.
        if let Err(e) = std::fs::rename(&tmp, &final_dir) {
            let _ = std::fs::remove_dir_all(&tmp);
            if read_cached(&final_dir).is_none() {
                return Err(cache_err(&final_dir, e));
            }
        }
        read_cached(&final_dir).ok_or_else(|| VideoError::NoFrames {
            path: video.to_path_buf(),
        })
    }

    fn extract_into(
        &self,
        video: &Path,
        info: &VideoInfo,
        out_fps: f64,
        opts: &ExtractOptions,
        dir: &Path,
    ) -> Result<(), VideoError> {
        let mut filters = Vec::new();
        let resample = out_fps < info.fps * (1.0 - 1e-9);
        if resample {
            filters.push(format!("fps={out_fps}"));
        }
        if let Some(short) = opts.resize_short_edge {
            if info.width <= info.height {
                filters.push(format!("scale={short}:-2"));
            } else {
                filters.push(format!("scale=-2:{short}"));
            }
        }
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
            .arg(video);
        if !filters.is_empty() {
            cmd.arg("-vf").arg(filters.join(","));
        }
        if !resample {
            // Every native frame, none duplicated or dropped.
            cmd.args(["-vsync", "0"]);
        }
        cmd.args(["-q:v", "2"]).arg(dir.join("frame_%06d.jpg"));
        run(cmd, "ffmpeg", video, opts.timeout)?;
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| VideoError::Cache {
                path: dir.to_path_buf(),
                source: e,
            })?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .filter(|n| n.starts_with("frame_") && n.ends_with(".jpg"))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(VideoError::NoFrames {
                path: video.to_path_buf(),
            });
        }
        let frame_indices = (0..names.len())
            .map(|i| native_index(i, info.fps, out_fps))
            .collect();
        let meta = CacheMeta {
            video: video.to_path_buf(),
            native_fps: info.fps,
            out_fps,
            total_frames: info.total_frames,
            duration_sec: info.duration_sec,
            frame_indices,
            frame_files: names,
            max_fps: opts.max_fps,
            resize_short_edge: opts.resize_short_edge,
        };
        let text = serde_json::to_vec_pretty(&meta).map_err(|e| VideoError::Cache {
            path: dir.join("meta.json"),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(dir.join("meta.json"), text).map_err(|e| VideoError::Cache {
            path: dir.join("meta.json"),
            source: e,
        })?;
        Ok(())
    }
}

/// What ffprobe says about a video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VideoInfo {
    /// Native frame rate (average frame rate, else the stream's base rate).
    pub fps: f64,
    pub duration_sec: f64,
    /// The stream's frame count when the container records it, else `int(duration · fps)` (the
    /// original's estimate).
    pub total_frames: u64,
    pub width: u32,
    pub height: u32,
}

/// Extraction settings; all of them are part of the cache key.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Frame-rate cap (`video_max_fps`); `None` extracts every native frame.
    pub max_fps: Option<f64>,
    /// Scale so the short edge has this many pixels (`video_frame_resize_short_edge`).
    pub resize_short_edge: Option<u32>,
    /// Root of the frame cache.
    pub cache_dir: PathBuf,
    /// Limit for one ffmpeg run (the original: 600 s).
    pub timeout: Duration,
}

impl ExtractOptions {
    /// Settings with the default cache (`$SPATIALCLAW_CACHE/frames`, else
    /// `~/.cache/spatialclaw/frames`) and the original's 600 s limit.
    pub fn new(max_fps: Option<f64>) -> Self {
        ExtractOptions {
            max_fps,
            resize_short_edge: None,
            cache_dir: default_cache_dir(),
            timeout: Duration::from_secs(600),
        }
    }
}

/// `$SPATIALCLAW_CACHE/frames`, else `$HOME/.cache/spatialclaw/frames`, else a temp folder.
pub fn default_cache_dir() -> PathBuf {
    if let Some(c) = std::env::var_os("SPATIALCLAW_CACHE") {
        return PathBuf::from(c).join("frames");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/spatialclaw/frames");
    }
    std::env::temp_dir().join("spatialclaw/frames")
}

/// Extracted frames of one video.
#[derive(Debug, Clone, PartialEq)]
pub struct Frames {
    pub video: PathBuf,
    /// JPEG files in order.
    pub files: Vec<PathBuf>,
    /// Absolute native frame index of each file.
    pub frame_indices: Vec<u64>,
    pub native_fps: f64,
    pub out_fps: f64,
    pub total_frames: u64,
    pub duration_sec: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheMeta {
    video: PathBuf,
    native_fps: f64,
    out_fps: f64,
    total_frames: u64,
    duration_sec: f64,
    frame_indices: Vec<u64>,
    frame_files: Vec<String>,
    max_fps: Option<f64>,
    resize_short_edge: Option<u32>,
}

impl CacheMeta {
    fn into_frames(self, dir: &Path) -> Frames {
        Frames {
            files: self.frame_files.iter().map(|f| dir.join(f)).collect(),
            video: self.video,
            frame_indices: self.frame_indices,
            native_fps: self.native_fps,
            out_fps: self.out_fps,
            total_frames: self.total_frames,
            duration_sec: self.duration_sec,
        }
    }
}

/// A complete cache entry (meta.json is written last, and every listed file exists).
fn read_cached(dir: &Path) -> Option<Frames> {
    let text = std::fs::read(dir.join("meta.json")).ok()?;
    let meta: CacheMeta = serde_json::from_slice(&text).ok()?;
    let frames = meta.into_frames(dir);
    (!frames.files.is_empty() && frames.files.iter().all(|f| f.is_file())).then_some(frames)
}

/// The cache key: canonical path, size and mtime of the video, the fps cap and the resize.
pub fn cache_key(video: &Path, opts: &ExtractOptions) -> Result<String, VideoError> {
    let missing = || VideoError::VideoMissing {
        path: video.to_path_buf(),
    };
    let canon = video.canonicalize().map_err(|_| missing())?;
    let meta = std::fs::metadata(&canon).map_err(|_| missing())?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(b"spatialclaw-frames-v1\0");
    h.update(canon.to_string_lossy().as_bytes());
    h.update(format!(
        "\0{}\0{mtime}\0{:?}\0{:?}",
        meta.len(),
        opts.max_fps.map(f64::to_bits),
        opts.resize_short_edge
    ));
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Python's `round(x)` (half to even) for a non-negative x.
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// The absolute native frame index of output frame `i`: `round(i · native_fps / out_fps)`.
pub fn native_index(i: usize, native_fps: f64, out_fps: f64) -> u64 {
    if out_fps <= 0.0 {
        return i as u64;
    }
    round_half_even(i as f64 * native_fps / out_fps).max(0.0) as u64
}

/// Parses "30000/1001" or "25".
fn parse_rate(s: &str) -> Option<f64> {
    let v = match s.split_once('/') {
        Some((n, d)) => {
            let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => s.trim().parse::<f64>().ok()?,
    };
    (v.is_finite() && v > 0.0).then_some(v)
}

fn parse_probe(json: &[u8], video: &Path) -> Result<VideoInfo, VideoError> {
    let bad = |reason: &str| VideoError::BadStream {
        path: video.to_path_buf(),
        reason: reason.into(),
    };
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|_| bad("ffprobe printed no JSON"))?;
    let stream = v
        .get("streams")
        .and_then(|s| s.get(0))
        .ok_or_else(|| bad("no video stream"))?;
    let s = |k: &str| stream.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let fps = s("avg_frame_rate")
        .as_deref()
        .and_then(parse_rate)
        .or_else(|| s("r_frame_rate").as_deref().and_then(parse_rate))
        .ok_or_else(|| bad("no frame rate"))?;
    let duration = s("duration")
        .and_then(|d| d.parse::<f64>().ok())
        .or_else(|| {
            v.get("format")
                .and_then(|f| f.get("duration"))
                .and_then(|d| d.as_str())
                .and_then(|d| d.parse::<f64>().ok())
        })
        .filter(|d| d.is_finite() && *d >= 0.0)
        .unwrap_or(0.0);
    let total = s("nb_frames")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or((duration * fps) as u64);
    let dim = |k: &str| {
        stream
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32
    };
    Ok(VideoInfo {
        fps,
        duration_sec: duration,
        total_frames: total,
        width: dim("width"),
        height: dim("height"),
    })
}

/// ffmpeg's stderr without the exit status and the `[demuxer @ 0x55…]` context prefixes, which
/// say nothing to a user.
fn tidy_ffmpeg_message(message: &str) -> String {
    static CONTEXT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = CONTEXT
        .get_or_init(|| regex::Regex::new(r"\[[^\]]* @ 0x[0-9a-fA-F]+\] ").expect("valid regex"));
    let text = message
        .strip_prefix("exit status: ")
        .and_then(|rest| rest.split_once(": "))
        .map_or(message, |(_, rest)| rest);
    re.replace_all(text, "").into_owned()
}

/// Runs a tool with a time limit, returning its stdout; stderr goes into the error message.
fn run(
    mut cmd: Command,
    tool: &'static str,
    video: &Path,
    timeout: Duration,
) -> Result<Vec<u8>, VideoError> {
    let spawn_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            VideoError::FfmpegMissing { tool }
        } else {
            VideoError::ToolFailed {
                tool,
                path: video.to_path_buf(),
                message: e.to_string(),
            }
        }
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(VideoError::Timeout {
                    tool,
                    path: video.to_path_buf(),
                    timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(spawn_err(e)),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let tail: String = text
            .trim()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("; ");
        return Err(VideoError::ToolFailed {
            tool,
            path: video.to_path_buf(),
            message: format!("{status}: {tail}"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banker_rounding_of_indices() {
        assert_eq!(round_half_even(0.5), 0.0);
        assert_eq!(round_half_even(1.5), 2.0);
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(2.4), 2.0);
        // 25 fps native, 10 fps out: 0, 2.5→2, 5, 7.5→8, 10
        let idx: Vec<u64> = (0..5).map(|i| native_index(i, 25.0, 10.0)).collect();
        assert_eq!(idx, vec![0, 2, 5, 8, 10]);
        assert_eq!(native_index(3, 30.0, 30.0), 3);
    }

    #[test]
    fn ffmpeg_messages_lose_their_noise() {
        assert_eq!(
            tidy_ffmpeg_message(
                "exit status: 1: [mov,mp4,m4a,3gp,3g2,mj2 @ 0x55a9de595bc0] moov atom not found; v.mp4: Invalid data"
            ),
            "moov atom not found; v.mp4: Invalid data"
        );
        assert_eq!(tidy_ffmpeg_message("signal: 9"), "signal: 9");
    }

    #[test]
    fn rates_and_probe_json() {
        assert_eq!(parse_rate("30/1"), Some(30.0));
        assert_eq!(parse_rate("0/0"), None);
        assert!((parse_rate("30000/1001").unwrap() - 29.97).abs() < 0.01);
        let j = br#"{"streams":[{"width":64,"height":48,"avg_frame_rate":"10/1","r_frame_rate":"10/1","duration":"2.000000"}],"format":{"duration":"2.0"}}"#;
        let info = parse_probe(j, Path::new("v.mp4")).unwrap();
        assert_eq!(info.total_frames, 20);
        assert_eq!((info.width, info.height), (64, 48));
        assert!(parse_probe(b"{}", Path::new("v.mp4")).is_err());
    }
}
