//! The on-disk layer of the perception cache: one file per entry, size-capped, least recently
//! used evicted first.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! 8 bytes  magic "SCPCACHE"
//! u32      store format version (1)
//! 32 bytes the entry's key (a file renamed or copied under another key is refused)
//! u64      payload length
//! payload  a wire-format result message (wire.rs: JSON header + raw arrays)
//! u32      CRC-32 of the payload
//! ```
//!
//! Files are written to a temporary name and renamed into place, so readers in other
//! processes see either the old state or a complete entry. Recency is the file's mtime,
//! refreshed on every hit, which lets several processes share one directory without a shared
//! index: eviction re-reads the directory and removes the oldest files until the total fits.
//! Anything that fails validation is deleted and reported as corrupt, never trusted.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

pub(crate) const MAGIC: &[u8; 8] = b"SCPCACHE";
pub(crate) const STORE_FORMAT: u32 = 1;
const EXT: &str = "scpc";
const PREFIX_LEN: usize = 8 + 4 + 32 + 8;
/// Temporary files older than this belong to a writer that died; they are swept on scans.
const STALE_TMP: Duration = Duration::from_secs(600);

pub(crate) type Key = [u8; 32];

pub(crate) fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(name: &str) -> Option<Key> {
    if name.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(name.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup<T> {
    Hit(T),
    Miss,
    /// The file existed but failed validation; it has been removed.
    Corrupt(String),
}

/// Feeds everything read through it into a CRC, so the payload is checked while it streams.
struct CrcReader<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[derive(Default)]
struct Index {
    entries: HashMap<Key, (u64, SystemTime)>,
    total: u64,
}

impl Index {
    fn insert(&mut self, key: Key, size: u64, at: SystemTime) {
        if let Some((old, _)) = self.entries.insert(key, (size, at)) {
            self.total -= old;
        }
        self.total += size;
    }

    fn remove(&mut self, key: &Key) {
        if let Some((old, _)) = self.entries.remove(key) {
            self.total -= old;
        }
    }
}

/// A directory of cache entries with a byte budget.
pub(crate) struct DiskStore {
    dir: PathBuf,
    max_bytes: u64,
    index: Mutex<Index>,
    evictions: AtomicU64,
    tmp_counter: AtomicU64,
}

/// Write one entry: prefix, payload, checksum (straight to `w`, no assembled copy).
fn write_entry(w: &mut impl Write, key: &Key, payload: &[u8]) -> io::Result<()> {
    w.write_all(MAGIC)?;
    w.write_all(&STORE_FORMAT.to_le_bytes())?;
    w.write_all(key)?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)?;
    w.write_all(&crc32fast::hash(payload).to_le_bytes())
}

fn lock(m: &Mutex<Index>) -> std::sync::MutexGuard<'_, Index> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DiskStore {
    /// Open (creating it owner-only if needed) a cache directory and index what is there.
    pub(crate) fn open(dir: &Path, max_bytes: u64) -> io::Result<Self> {
        create_private_dir(dir)?;
        let store = Self {
            dir: dir.to_path_buf(),
            max_bytes,
            index: Mutex::new(Index::default()),
            evictions: AtomicU64::new(0),
            tmp_counter: AtomicU64::new(0),
        };
        *lock(&store.index) = store.scan()?;
        Ok(store)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.{EXT}", hex(key)))
    }

    /// Read the directory: every entry file with its size and mtime; sweeps stale temp files.
    fn scan(&self) -> io::Result<Index> {
        let mut index = Index::default();
        let now = SystemTime::now();
        for entry in fs::read_dir(&self.dir)? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.ends_with(".tmp") {
                if now.duration_since(mtime).unwrap_or_default() > STALE_TMP {
                    let _ = fs::remove_file(entry.path());
                }
                continue;
            }
            if let Some(key) = name.strip_suffix(&format!(".{EXT}")).and_then(parse_hex) {
                index.insert(key, meta.len(), mtime);
            }
        }
        Ok(index)
    }

    /// Look an entry up, handing its payload to `decode` as a stream of exactly the given
    /// length (no whole-file buffer); a hit refreshes the entry's recency. The checksum is
    /// verified after decoding and a mismatch discards the decoded value.
    pub(crate) fn get<T>(
        &self,
        key: &Key,
        decode: impl FnOnce(&mut dyn Read, u64) -> Result<T, String>,
    ) -> Lookup<T> {
        let path = self.path(key);
        let Ok(file) = fs::File::open(&path) else {
            lock(&self.index).remove(key);
            return Lookup::Miss;
        };
        let read = || -> Result<(T, u64), String> {
            let size = file.metadata().map_err(|e| e.to_string())?.len();
            if size < (PREFIX_LEN + 4) as u64 {
                return Err(format!("{size} bytes is shorter than any entry"));
            }
            let mut rd = io::BufReader::with_capacity(1 << 16, &file);
            let mut prefix = [0u8; PREFIX_LEN];
            rd.read_exact(&mut prefix).map_err(|e| e.to_string())?;
            if &prefix[..8] != MAGIC {
                return Err("bad magic".into());
            }
            let format = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
            if format != STORE_FORMAT {
                return Err(format!("store format {format}, expected {STORE_FORMAT}"));
            }
            if &prefix[12..44] != key {
                return Err("entry belongs to another key".into());
            }
            let mut len = [0u8; 8];
            len.copy_from_slice(&prefix[44..52]);
            let len = u64::from_le_bytes(len);
            if len != size - (PREFIX_LEN + 4) as u64 {
                return Err(format!(
                    "declares a {len}-byte payload, file holds {}",
                    size - (PREFIX_LEN + 4) as u64
                ));
            }
            let mut crc = CrcReader {
                inner: (&mut rd).take(len),
                hasher: crc32fast::Hasher::new(),
            };
            let value = decode(&mut crc, len)?;
            let CrcReader { inner, hasher } = crc;
            if inner.limit() != 0 {
                return Err("payload not fully consumed".into());
            }
            let mut tail = [0u8; 4];
            rd.read_exact(&mut tail).map_err(|e| e.to_string())?;
            if hasher.finalize() != u32::from_le_bytes(tail) {
                return Err("checksum mismatch".into());
            }
            Ok((value, size))
        };
        match read() {
            Ok((value, size)) => {
                let now = SystemTime::now();
                // Best effort: a read-only cache still serves hits, it just ages them.
                if let Ok(f) = fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(now);
                }
                lock(&self.index).insert(*key, size, now);
                Lookup::Hit(value)
            }
            Err(why) => {
                let _ = fs::remove_file(&path);
                lock(&self.index).remove(key);
                Lookup::Corrupt(why)
            }
        }
    }

    /// Store an entry atomically, then evict least recently used entries over the budget.
    /// Entries larger than the whole budget are not stored. Returns whether it was stored.
    pub(crate) fn put(&self, key: &Key, payload: &[u8]) -> io::Result<bool> {
        let size = (PREFIX_LEN + payload.len() + 4) as u64;
        if size > self.max_bytes {
            return Ok(false);
        }
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex(key),
            std::process::id(),
            self.tmp_counter.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut f = io::BufWriter::new(fs::File::create(&tmp)?);
            write_entry(&mut f, key, payload)?;
            f.flush()?;
            drop(f);
            fs::rename(&tmp, self.path(key))
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let over = {
            let mut index = lock(&self.index);
            index.insert(*key, size, SystemTime::now());
            index.total > self.max_bytes
        };
        if over {
            self.evict()?;
        }
        Ok(true)
    }

    /// Remove the least recently used entries until the directory fits the budget. Re-reads
    /// the directory so entries written by other processes count too.
    fn evict(&self) -> io::Result<()> {
        let mut index = lock(&self.index);
        let fresh = self.scan()?;
        let mut entries: Vec<(Key, u64, SystemTime)> = fresh
            .entries
            .iter()
            .map(|(k, (s, t))| (*k, *s, *t))
            .collect();
        entries.sort_by_key(|(k, _, t)| (*t, *k));
        *index = fresh;
        for (key, _, _) in entries {
            if index.total <= self.max_bytes {
                break;
            }
            match fs::remove_file(self.path(&key)) {
                Ok(()) => {
                    self.evictions.fetch_add(1, Ordering::Relaxed);
                }
                // Another process evicted it first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            index.remove(&key);
        }
        Ok(())
    }

    /// Bytes on disk as this process last saw them.
    pub(crate) fn bytes(&self) -> u64 {
        lock(&self.index).total
    }

    pub(crate) fn entries(&self) -> usize {
        lock(&self.index).entries.len()
    }

    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }
}

/// Create `dir` (and parents); the leaf is owner-only because cached frames and geometry are
/// the user's data.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: &mut dyn Read, len: u64) -> Result<Vec<u8>, String> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).map_err(|e| e.to_string())?;
        if v.len() as u64 != len {
            return Err("short".into());
        }
        Ok(v)
    }

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let tmp = std::env::temp_dir().join(format!("scp-store-test-{}", std::process::id()));
        let store = DiskStore::open(&tmp, 1 << 20).unwrap();
        let key = [7u8; 32];
        let payload = b"hello arrays".to_vec();
        assert!(matches!(store.get(&key, read_all), Lookup::Miss));
        assert!(store.put(&key, &payload).unwrap());
        assert!(matches!(store.get(&key, read_all), Lookup::Hit(p) if p == payload));
        let path = store.path(&key);
        let good = fs::read(&path).unwrap();
        let mut flipped = good.clone();
        flipped[PREFIX_LEN + 3] ^= 0x20;
        for (bytes, why) in [
            (flipped, "checksum mismatch"),
            (good[..good.len() - 1].to_vec(), "declares"),
            (good[..10].to_vec(), "shorter"),
        ] {
            fs::write(&path, &bytes).unwrap();
            match store.get(&key, read_all) {
                Lookup::Corrupt(w) => assert!(w.contains(why), "{w}"),
                other => panic!("{other:?}"),
            }
            assert!(!path.exists(), "a damaged entry is removed");
        }
        // A file copied under another key's name is refused.
        fs::write(store.path(&[8u8; 32]), &good).unwrap();
        assert!(
            matches!(store.get(&[8u8; 32], read_all), Lookup::Corrupt(w) if w.contains("another key"))
        );
        assert_eq!(parse_hex(&hex(&key)), Some(key));
        let _ = fs::remove_dir_all(&tmp);
    }
}
