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
use std::io::{self, Write};
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
pub(crate) enum Lookup {
    Hit(EntryBytes),
    Miss,
    /// The file existed but failed validation; it has been removed.
    Corrupt(String),
}

/// A validated entry file held in memory; the payload is a range of it (no copy).
#[derive(Debug)]
pub(crate) struct EntryBytes {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl EntryBytes {
    pub(crate) fn payload(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
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

pub(crate) fn encode_entry(key: &Key, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX_LEN + payload.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&STORE_FORMAT.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out
}

/// Validate an entry file and return its payload (without copying it out of `bytes`).
pub(crate) fn decode_entry<'a>(key: &Key, bytes: &'a [u8]) -> Result<&'a [u8], String> {
    if bytes.len() < PREFIX_LEN + 4 {
        return Err(format!("{} bytes is shorter than any entry", bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err("bad magic".into());
    }
    let format = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if format != STORE_FORMAT {
        return Err(format!("store format {format}, expected {STORE_FORMAT}"));
    }
    if &bytes[12..44] != key {
        return Err("entry belongs to another key".into());
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[44..52]);
    let len = u64::from_le_bytes(len);
    if len != (bytes.len() - PREFIX_LEN - 4) as u64 {
        return Err(format!(
            "declares a {len}-byte payload, file holds {}",
            bytes.len() - PREFIX_LEN - 4
        ));
    }
    let payload = &bytes[PREFIX_LEN..bytes.len() - 4];
    let tail = &bytes[bytes.len() - 4..];
    let crc = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(payload)
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

    /// Look an entry up; a hit refreshes its recency.
    pub(crate) fn get(&self, key: &Key) -> Lookup {
        let path = self.path(key);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(_) => {
                lock(&self.index).remove(key);
                return Lookup::Miss;
            }
        };
        match decode_entry(key, &bytes) {
            Ok(payload) => {
                let now = SystemTime::now();
                // Best effort: a read-only cache still serves hits, it just ages them.
                if let Ok(f) = fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(now);
                }
                lock(&self.index).insert(*key, bytes.len() as u64, now);
                let (start, end) = (PREFIX_LEN, PREFIX_LEN + payload.len());
                Lookup::Hit(EntryBytes { bytes, start, end })
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
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&encode_entry(key, payload))?;
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

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let key = [7u8; 32];
        let payload = b"hello arrays".to_vec();
        let e = encode_entry(&key, &payload);
        assert_eq!(decode_entry(&key, &e).unwrap(), &payload[..]);
        assert!(decode_entry(&[8u8; 32], &e).is_err());
        for cut in [0, 10, e.len() - 1] {
            assert!(decode_entry(&key, &e[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = e.clone();
        flipped[PREFIX_LEN + 3] ^= 0x20;
        assert_eq!(
            decode_entry(&key, &flipped).unwrap_err(),
            "checksum mismatch"
        );
        assert_eq!(parse_hex(&hex(&key)), Some(key));
    }
}
