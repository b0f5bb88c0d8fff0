//! Cache correctness: keys, invalidation, eviction, corruption, coalescing, persistence.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{FakeBackend, expected_masks, expected_reconstruction, frame};
use spatialclaw_perception::cache::{RequestRef, request_key};
use spatialclaw_perception::{Backend, CachedBackend, PerceptionError, SegmentPrompt};

fn entry_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scpc"))
        .collect()
}

fn dir_bytes(dir: &Path) -> u64 {
    entry_files(dir)
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum()
}

#[test]
fn different_parameters_never_share_an_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeBackend::new("1"));
    let cache = CachedBackend::new(fake.clone(), tmp.path(), 1 << 30).unwrap();
    let (a, b) = (frame(8, 6, 1, 0), frame(8, 6, 2, 0));
    let a_at_5 = frame(8, 6, 1, 5);
    let prompts = [
        SegmentPrompt::Text("chair".into()),
        SegmentPrompt::Text("chairs".into()),
        SegmentPrompt::Box([0.1, 0.2, 0.3, 0.4]),
        SegmentPrompt::Box([0.1, 0.2, 0.3, 0.5]),
        SegmentPrompt::Points {
            points: vec![[0.5, 0.5]],
            labels: vec![1],
        },
        SegmentPrompt::Points {
            points: vec![[0.5, 0.5]],
            labels: vec![0],
        },
        SegmentPrompt::Points {
            points: vec![[0.5, 0.5], [0.1, 0.1]],
            labels: vec![1, 1],
        },
    ];
    let recon_sets: Vec<Vec<_>> = vec![
        vec![a.clone()],
        vec![b.clone()],
        vec![a_at_5.clone()],
        vec![a.clone(), b.clone()],
        vec![b.clone(), a.clone()],
    ];
    // Every request's key is distinct, also across methods and backend versions.
    let mut keys = HashSet::new();
    for set in &recon_sets {
        assert!(keys.insert(request_key("fake", "1", RequestRef::Reconstruct(set))));
    }
    for f in [&a, &b, &a_at_5] {
        for p in &prompts {
            assert!(keys.insert(request_key("fake", "1", RequestRef::Segment(f, p))));
        }
    }
    assert!(keys.insert(request_key(
        "fake",
        "2",
        RequestRef::Reconstruct(&recon_sets[0])
    )));
    assert!(keys.insert(request_key(
        "other",
        "1",
        RequestRef::Reconstruct(&recon_sets[0])
    )));

    // And the cache serves each request its own answer, computing each once.
    for round in 0..2 {
        for set in &recon_sets {
            assert_eq!(
                cache.reconstruct(set).unwrap(),
                expected_reconstruction(set)
            );
        }
        for f in [&a, &b, &a_at_5] {
            for p in &prompts {
                assert_eq!(cache.segment(f, p).unwrap(), expected_masks(f, p));
            }
        }
        let distinct = recon_sets.len() + 3 * prompts.len();
        assert_eq!(fake.calls(), distinct, "round {round}");
    }
    let s = cache.stats();
    assert_eq!((s.misses, s.backend_calls, s.hits), (26, 26, 26));
    assert_eq!(s.entries, 26);
    assert_eq!(entry_files(tmp.path()).len(), 26);
}

#[test]
fn a_backend_version_change_invalidates_and_entries_persist_across_instances() {
    let tmp = tempfile::tempdir().unwrap();
    let frames = vec![frame(8, 6, 3, 0), frame(8, 6, 4, 1)];
    let v1 = Arc::new(FakeBackend::new("1"));
    CachedBackend::new(v1.clone(), tmp.path(), 1 << 30)
        .unwrap()
        .reconstruct(&frames)
        .unwrap();
    assert_eq!(v1.calls(), 1);

    let v2 = Arc::new(FakeBackend::new("2"));
    let c2 = CachedBackend::new(v2.clone(), tmp.path(), 1 << 30).unwrap();
    c2.reconstruct(&frames).unwrap();
    assert_eq!(
        v2.calls(),
        1,
        "a new version must not be served the old entry"
    );

    // A later run (fresh instance, empty memory layer) of v1 finds its entry on disk.
    let again = Arc::new(FakeBackend::new("1"));
    let c3 = CachedBackend::new(again.clone(), tmp.path(), 1 << 30).unwrap();
    assert_eq!(
        c3.reconstruct(&frames).unwrap(),
        expected_reconstruction(&frames)
    );
    assert_eq!(again.calls(), 0);
    assert_eq!(c3.stats().hits, 1);
    assert_eq!(c3.name(), "fake");
    assert_eq!(c3.version(), "1");
}

#[test]
fn eviction_keeps_the_size_cap_and_drops_the_least_recently_used() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeBackend::new("1"));
    // Measure one entry, then allow three.
    let probe = tempfile::tempdir().unwrap();
    let c = CachedBackend::new(fake.clone(), probe.path(), 1 << 30).unwrap();
    c.reconstruct(&[frame(16, 12, 0, 0)]).unwrap();
    let one = dir_bytes(probe.path());
    let cap = one * 3 + one / 2;

    let cache = CachedBackend::new(fake.clone(), tmp.path(), cap)
        .unwrap()
        .with_memory_budget(0);
    let frames: Vec<_> = (0..8u8).map(|i| vec![frame(16, 12, 10 + i, 0)]).collect();
    // Coarse filesystem timestamps (a few ms) must not tie; space the operations out.
    let pause = || std::thread::sleep(Duration::from_millis(20));
    for f in &frames[..3] {
        cache.reconstruct(f).unwrap();
        pause();
    }
    // Touch the oldest: it becomes the most recently used and must survive the next insert.
    cache.reconstruct(&frames[0]).unwrap();
    pause();
    cache.reconstruct(&frames[3]).unwrap();
    assert!(dir_bytes(tmp.path()) <= cap);
    let calls = fake.calls();
    cache.reconstruct(&frames[0]).unwrap();
    assert_eq!(fake.calls(), calls, "the recently used entry was evicted");
    cache.reconstruct(&frames[1]).unwrap();
    assert_eq!(
        fake.calls(),
        calls + 1,
        "the least recently used entry was kept"
    );
    pause();
    for f in &frames[4..] {
        cache.reconstruct(f).unwrap();
        assert!(dir_bytes(tmp.path()) <= cap, "over the cap");
        pause();
    }
    let s = cache.stats();
    assert!(s.evictions >= 5, "{s}");
    assert!(s.bytes <= cap);
    assert_eq!(entry_files(tmp.path()).len(), 3);

    // An entry bigger than the whole budget is served but not stored.
    let big = vec![frame(64, 48, 1, 0)];
    cache.reconstruct(&big).unwrap();
    cache.reconstruct(&big).unwrap();
    assert!(dir_bytes(tmp.path()) <= cap);
}

#[test]
fn a_corrupted_cache_file_is_a_miss_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let frames = vec![frame(8, 6, 9, 0)];
    let fake = Arc::new(FakeBackend::new("1"));
    CachedBackend::new(fake.clone(), tmp.path(), 1 << 30)
        .unwrap()
        .reconstruct(&frames)
        .unwrap();
    let file = entry_files(tmp.path()).pop().unwrap();
    let good = std::fs::read(&file).unwrap();

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let damage: Vec<Damage> = vec![
        Box::new(|b| b.truncate(b.len() / 2)), // torn write
        Box::new(|b| {
            let n = b.len();
            b[n - 100] ^= 0x55
        }), // bit rot in the arrays
        Box::new(|b| b[0] = b'X'),             // not ours
        Box::new(|b| b.clear()),               // empty file
        Box::new(|b| {
            b[60] = b'{';
            b[61] = b'!'
        }), // header garbage, checksum patched below
    ];
    for (i, damage) in damage.iter().enumerate() {
        let mut bytes = good.clone();
        damage(&mut bytes);
        if i == 4 {
            // Re-seal the checksum so only the (now invalid) header content is wrong.
            let n = bytes.len();
            let crc = crc32fast::hash(&bytes[52..n - 4]);
            bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
        }
        std::fs::write(&file, &bytes).unwrap();
        let before = fake.calls();
        let cache = CachedBackend::new(fake.clone(), tmp.path(), 1 << 30).unwrap();
        assert_eq!(
            cache.reconstruct(&frames).unwrap(),
            expected_reconstruction(&frames),
            "damage {i}"
        );
        assert_eq!(fake.calls(), before + 1, "damage {i}: not recomputed");
        assert_eq!(cache.stats().corrupt, 1, "damage {i}");
        // The entry was rewritten and is good again.
        assert_eq!(std::fs::read(&file).unwrap(), good, "damage {i}");
    }
}

#[test]
fn concurrent_identical_requests_coalesce_into_one_backend_call() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeBackend::new("1").with_delay(Duration::from_millis(300)));
    let cache = Arc::new(CachedBackend::new(fake.clone(), tmp.path(), 1 << 30).unwrap());
    let frames = Arc::new(vec![frame(8, 6, 5, 0), frame(8, 6, 6, 1)]);
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (cache, frames, barrier) = (cache.clone(), frames.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cache.reconstruct(&frames).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected_reconstruction(&frames));
    }
    assert_eq!(fake.calls(), 1);
    let s = cache.stats();
    assert_eq!(s.backend_calls, 1);
    assert_eq!(s.coalesced + s.hits, 7, "{s}");
    assert!(s.coalesced >= 1, "{s}");

    // Different requests in flight at once are not merged.
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = ["a", "bb", "ccc"]
        .into_iter()
        .map(|t| {
            let (cache, frames, barrier) = (cache.clone(), frames.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cache
                    .segment(&frames[0], &SegmentPrompt::Text(t.into()))
                    .unwrap()
            })
        })
        .collect();
    handles.into_iter().for_each(|h| drop(h.join().unwrap()));
    assert_eq!(fake.calls(), 4);
}

#[test]
fn errors_are_passed_through_and_never_cached() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeBackend::new("1"));
    let cache = CachedBackend::new(fake.clone(), tmp.path(), 1 << 30).unwrap();
    let f = frame(8, 6, 1, 0);
    for _ in 0..2 {
        let e = cache
            .segment(&f, &SegmentPrompt::Text("fail".into()))
            .unwrap_err();
        assert_eq!(
            e,
            PerceptionError::Failed("the model failed on purpose".into())
        );
    }
    let e = cache.reconstruct(&[frame(1, 6, 1, 0)]).unwrap_err();
    assert!(matches!(e, PerceptionError::BadInput(_)));
    assert_eq!(fake.calls(), 3);
    assert_eq!(cache.stats().backend_errors, 3);
    assert!(entry_files(tmp.path()).is_empty());
    // Empty results are results: cached.
    let none = SegmentPrompt::Text("nothing".into());
    assert_eq!(cache.segment(&f, &none).unwrap().count, 0);
    assert_eq!(cache.segment(&f, &none).unwrap().count, 0);
    assert_eq!(fake.calls(), 4);
}

#[test]
fn the_cache_directory_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b/perception");
    CachedBackend::new(Arc::new(FakeBackend::new("1")), &dir, 1 << 20).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    assert!(spatialclaw_perception::default_cache_dir().ends_with("perception"));
}
