//! A content-addressed cache in front of any backend.
//!
//! Many questions share one video, and agents re-run the same reconstruction across steps and
//! samples; a DA3 call costs seconds of GPU time, a cache hit costs a file read. Entries are
//! keyed on what determines the answer: the frames' pixels, the request parameters and the
//! backend's identity and version, so a model upgrade (a new `version()`) can never serve a
//! stale result. Entries live on disk (shared across sessions and runs, size-capped, least
//! recently used evicted first; see store.rs), with a small in-memory layer for the hottest
//! ones, and identical requests that are in flight at the same time make one backend call.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::backend::{Backend, PerceptionError};
use crate::coalesce::Coalescer;
use crate::store::{DiskStore, Key, Lookup};
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
use crate::wire::{self, BackendId, Output};

/// Default on-disk budget: a few dozen 32-frame VGA reconstructions.
pub const DEFAULT_MAX_BYTES: u64 = 8 << 30;
/// Default in-memory budget for the hot layer.
pub const DEFAULT_MEMORY_BYTES: usize = 512 << 20;

/// The SpatialClaw cache directory: `$SPATIALCLAW_CACHE`, else `$XDG_CACHE_HOME/spatialclaw`,
/// else `~/.cache/spatialclaw` (the same rule as the kernel's environment cache; replicated so
/// that this crate does not depend on the kernel).
pub fn spatialclaw_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATIALCLAW_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("spatialclaw");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("spatialclaw")
}

/// Default directory of the perception cache: `<cache>/perception`.
pub fn default_cache_dir() -> PathBuf {
    spatialclaw_cache_dir().join("perception")
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot open the perception cache at {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A request, borrowed, for computing its cache key.
#[derive(Debug, Clone, Copy)]
pub enum RequestRef<'a> {
    Reconstruct(&'a [RgbFrame]),
    Segment(&'a RgbFrame, &'a SegmentPrompt),
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn put_frame(h: &mut Sha256, f: &RgbFrame) {
    h.update(f.content_hash());
    h.update(f.frame_index.to_le_bytes());
}

/// The cache key of a request to a backend: SHA-256 over a length-prefixed encoding of the
/// backend's name and version, the method, every frame's content hash and index, and the
/// prompt. Length prefixes and tags make distinct requests distinct byte strings.
pub fn request_key(backend_name: &str, backend_version: &str, req: RequestRef<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put_str(&mut h, "spatialclaw-perception-key/1");
    put_str(&mut h, backend_name);
    put_str(&mut h, backend_version);
    match req {
        RequestRef::Reconstruct(frames) => {
            put_str(&mut h, "reconstruct");
            h.update((frames.len() as u64).to_le_bytes());
            frames.iter().for_each(|f| put_frame(&mut h, f));
        }
        RequestRef::Segment(f, prompt) => {
            put_str(&mut h, "segment");
            put_frame(&mut h, f);
            match prompt {
                SegmentPrompt::Text(t) => {
                    put_str(&mut h, "text");
                    put_str(&mut h, t);
                }
                SegmentPrompt::Box(b) => {
                    put_str(&mut h, "box");
                    b.iter().for_each(|v| h.update(v.to_bits().to_le_bytes()));
                }
                SegmentPrompt::Points { points, labels } => {
                    put_str(&mut h, "points");
                    h.update((points.len() as u64).to_le_bytes());
                    for [x, y] in points {
                        h.update(x.to_bits().to_le_bytes());
                        h.update(y.to_bits().to_le_bytes());
                    }
                    h.update((labels.len() as u64).to_le_bytes());
                    labels.iter().for_each(|l| h.update(l.to_le_bytes()));
                }
            }
        }
    }
    h.finalize().into()
}

/// Counters for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from the cache (memory or disk).
    pub hits: u64,
    /// Of the hits, those answered from the in-memory layer.
    pub memory_hits: u64,
    /// Requests that had to go to the backend.
    pub misses: u64,
    /// Requests that waited for an identical in-flight request instead of calling the backend.
    pub coalesced: u64,
    /// Calls made to the backend (equals `misses`).
    pub backend_calls: u64,
    /// Backend calls that failed (errors are never cached).
    pub backend_errors: u64,
    /// Bytes of entries on disk.
    pub bytes: u64,
    /// Entries on disk.
    pub entries: u64,
    /// Entries removed to keep the size cap.
    pub evictions: u64,
    /// Entry files that failed validation and were discarded (served as misses).
    pub corrupt: u64,
    /// Results that could not be written to disk (still returned to the caller).
    pub write_errors: u64,
}

impl fmt::Display for CacheStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "perception cache: {} hits ({} from memory), {} misses, {} coalesced, {} backend calls \
             ({} failed), {} entries / {:.1} MB on disk, {} evictions",
            self.hits,
            self.memory_hits,
            self.misses,
            self.coalesced,
            self.backend_calls,
            self.backend_errors,
            self.entries,
            self.bytes as f64 / 1e6,
            self.evictions
        )?;
        if self.corrupt > 0 || self.write_errors > 0 {
            write!(
                f,
                ", {} corrupt entries dropped, {} write errors",
                self.corrupt, self.write_errors
            )?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    memory_hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    backend_errors: AtomicU64,
    corrupt: AtomicU64,
    write_errors: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// The in-memory layer: recently used results up to a byte budget.
struct MemoryLru {
    map: HashMap<Key, (Arc<Output>, usize, u64)>,
    total: usize,
    tick: u64,
    cap: usize,
}

impl MemoryLru {
    fn get(&mut self, key: &Key) -> Option<Arc<Output>> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|(v, _, t)| {
            *t = tick;
            v.clone()
        })
    }

    fn put(&mut self, key: Key, value: Arc<Output>) {
        let size = value.heap_bytes();
        if size > self.cap {
            return;
        }
        self.tick += 1;
        if let Some((_, old, _)) = self.map.insert(key, (value, size, self.tick)) {
            self.total -= old;
        }
        self.total += size;
        while self.total > self.cap {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, _, t))| *t)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some((_, s, _)) = self.map.remove(&oldest) {
                self.total -= s;
            }
        }
    }
}

type Shared = Result<Arc<Output>, PerceptionError>;

/// The result by value: moved out when nobody else holds it (memory layer off or full, no
/// coalesced waiters), cloned otherwise. Saves a full copy of large disk hits.
fn owned(out: Arc<Output>) -> Output {
    Arc::try_unwrap(out).unwrap_or_else(|shared| (*shared).clone())
}

/// A [`Backend`] that answers from the cache when it can and from `inner` otherwise. It keeps
/// the inner backend's name and version, so it can stand in for it anywhere.
pub struct CachedBackend {
    inner: Arc<dyn Backend>,
    id: BackendId,
    store: DiskStore,
    memory: Mutex<MemoryLru>,
    inflight: Coalescer<Key, Shared>,
    counters: Counters,
}

impl CachedBackend {
    /// Cache `inner` in `dir` (created owner-only if missing) with at most `max_bytes` on disk.
    pub fn new(
        inner: Arc<dyn Backend>,
        dir: impl AsRef<Path>,
        max_bytes: u64,
    ) -> Result<Self, CacheError> {
        let dir = dir.as_ref();
        let store = DiskStore::open(dir, max_bytes).map_err(|source| CacheError::Open {
            path: dir.to_path_buf(),
            source,
        })?;
        let id = BackendId {
            name: inner.name().to_owned(),
            version: inner.version().to_owned(),
        };
        Ok(Self {
            inner,
            id,
            store,
            memory: Mutex::new(MemoryLru {
                map: HashMap::new(),
                total: 0,
                tick: 0,
                cap: DEFAULT_MEMORY_BYTES,
            }),
            inflight: Coalescer::new(),
            counters: Counters::default(),
        })
    }

    /// Set the in-memory layer's budget (0 disables it; every hit then reads the disk).
    pub fn with_memory_budget(self, bytes: usize) -> Self {
        self.lock_memory().cap = bytes;
        self
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    pub fn inner(&self) -> &Arc<dyn Backend> {
        &self.inner
    }

    pub fn stats(&self) -> CacheStats {
        let c = &self.counters;
        let misses = c.misses.load(Ordering::Relaxed);
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            memory_hits: c.memory_hits.load(Ordering::Relaxed),
            misses,
            coalesced: c.coalesced.load(Ordering::Relaxed),
            backend_calls: misses,
            backend_errors: c.backend_errors.load(Ordering::Relaxed),
            bytes: self.store.bytes(),
            entries: self.store.entries() as u64,
            evictions: self.store.evictions(),
            corrupt: c.corrupt.load(Ordering::Relaxed),
            write_errors: c.write_errors.load(Ordering::Relaxed),
        }
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, MemoryLru> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Read an entry from disk; anything unreadable or foreign counts as a miss.
    fn read_disk(&self, key: &Key) -> Option<Output> {
        let decode = |r: &mut dyn std::io::Read, len: u64| {
            wire::read_output(r, len).map_err(|e| e.to_string())
        };
        match self.store.get(key, decode) {
            Lookup::Hit((id, out)) if id == self.id => Some(out),
            Lookup::Hit((id, _)) => {
                // A key collision across backends is not credible; a hand-copied file is.
                bump(&self.counters.corrupt);
                tracing::warn!(
                    "perception cache entry in {} was made by {}/{}, not {}/{}; ignoring it",
                    self.store.dir().display(),
                    id.name,
                    id.version,
                    self.id.name,
                    self.id.version
                );
                None
            }
            Lookup::Miss => None,
            Lookup::Corrupt(why) => {
                bump(&self.counters.corrupt);
                tracing::warn!("discarding a damaged perception cache entry: {why}");
                None
            }
        }
    }

    fn fetch(
        &self,
        key: Key,
        call: impl FnOnce() -> Result<Output, PerceptionError>,
    ) -> Result<Arc<Output>, PerceptionError> {
        if let Some(v) = self.lock_memory().get(&key) {
            bump(&self.counters.hits);
            bump(&self.counters.memory_hits);
            return Ok(v);
        }
        let (result, coalesced) = self.inflight.run(key, || {
            if let Some(out) = self.read_disk(&key) {
                bump(&self.counters.hits);
                let out = Arc::new(out);
                self.lock_memory().put(key, out.clone());
                return Ok(out);
            }
            bump(&self.counters.misses);
            let out = call().inspect_err(|_| bump(&self.counters.backend_errors))?;
            match wire::encode_output(&out, &self.id) {
                Ok(payload) => {
                    if let Err(e) = self.store.put(&key, &payload) {
                        bump(&self.counters.write_errors);
                        tracing::warn!(
                            "cannot write to the perception cache at {}: {e}",
                            self.store.dir().display()
                        );
                    }
                }
                // The backend produced an inconsistent result; refuse it rather than cache it.
                Err(e) => {
                    bump(&self.counters.backend_errors);
                    return Err(PerceptionError::Failed(format!(
                        "backend {} returned an invalid result: {e}",
                        self.id.name
                    )));
                }
            }
            let out = Arc::new(out);
            self.lock_memory().put(key, out.clone());
            Ok(out)
        });
        if coalesced {
            bump(&self.counters.coalesced);
        }
        result
    }
}

impl Backend for CachedBackend {
    fn name(&self) -> &str {
        &self.id.name
    }

    fn version(&self) -> &str {
        &self.id.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        let key = request_key(
            &self.id.name,
            &self.id.version,
            RequestRef::Reconstruct(frames),
        );
        let out = self.fetch(key, || {
            self.inner.reconstruct(frames).map(Output::Reconstruction)
        })?;
        match owned(out) {
            Output::Reconstruction(r) => Ok(r),
            Output::Masks(_) => Err(PerceptionError::Failed(
                "perception cache entry holds masks where a reconstruction was expected".into(),
            )),
        }
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let key = request_key(
            &self.id.name,
            &self.id.version,
            RequestRef::Segment(frame, prompt),
        );
        let out = self.fetch(key, || self.inner.segment(frame, prompt).map(Output::Masks))?;
        match owned(out) {
            Output::Masks(m) => Ok(m),
            Output::Reconstruction(_) => Err(PerceptionError::Failed(
                "perception cache entry holds a reconstruction where masks were expected".into(),
            )),
        }
    }
}
