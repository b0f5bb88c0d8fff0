//! `data fetch` against a local fake Hugging Face hub (axum on 127.0.0.1) serving the tree API and the
//! `resolve` URLs of a tiny Omni3D-Bench repository: paginated listing, LFS sha256 verification,
//! resume with `Range` after a dropped connection, archive unpacking, an idempotent second run, and
//! clear errors for gated repositories and corrupt content.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use sha2::{Digest, Sha256};
use spatialclaw_evals::fetch::{FetchError, FetchOptions, Hub, MANIFEST};
use spatialclaw_evals::loaders::{self, LoadOptions};

#[derive(Clone)]
struct FakeFile {
    data: Vec<u8>,
    lfs: bool,
    /// Overrides the sha256 the listing advertises (to simulate corruption).
    listed_sha: Option<String>,
}

#[derive(Default)]
struct Hub_ {
    files: Vec<(String, FakeFile)>,
    /// Paths whose next download is cut off half way.
    drop_next: Mutex<Vec<String>>,
    /// (path, Range header) of every resolve request.
    log: Mutex<Vec<(String, Option<String>)>>,
    tree_requests: Mutex<usize>,
    require_token: Option<String>,
}

type Shared = Arc<Hub_>;

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn authorized(hub: &Hub_, headers: &HeaderMap) -> bool {
    match &hub.require_token {
        None => true,
        Some(t) => {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                == Some(&format!("Bearer {t}"))
        }
    }
}

async fn tree(
    State(hub): State<Shared>,
    UrlPath((_owner, _name, _rev)): UrlPath<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&hub, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    *hub.tree_requests.lock().unwrap() += 1;
    let entries: Vec<serde_json::Value> = hub
        .files
        .iter()
        .map(|(p, f)| {
            let mut e = json!({"type": "file", "path": p, "size": f.data.len(), "oid": format!("git-{}", &sha(&f.data)[..12])});
            if f.lfs {
                e["lfs"] = json!({"oid": f.listed_sha.clone().unwrap_or_else(|| sha(&f.data)), "size": f.data.len(), "pointerSize": 130});
            }
            e
        })
        .chain(std::iter::once(json!({"type": "directory", "path": "images", "oid": "d"})))
        .collect();
    // Two pages, linked like the hub does.
    let half = entries.len() / 2;
    if !q.contains_key("cursor") {
        let next = format!(
            "<{}&cursor=1>; rel=\"next\"",
            "/api/datasets/o/n/tree/main?recursive=true"
        );
        let mut resp = axum::Json(entries[..half].to_vec()).into_response();
        resp.headers_mut()
            .insert(header::LINK, next.parse().unwrap());
        resp
    } else {
        axum::Json(entries[half..].to_vec()).into_response()
    }
}

async fn resolve(
    State(hub): State<Shared>,
    UrlPath((_owner, _name, _rev, path)): UrlPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&hub, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    hub.log.lock().unwrap().push((path.clone(), range.clone()));
    let Some((_, f)) = hub.files.iter().find(|(p, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    let body = f.data[start.min(f.data.len())..].to_vec();
    let drop_now = {
        let mut d = hub.drop_next.lock().unwrap();
        match d.iter().position(|p| *p == path) {
            Some(i) => {
                d.remove(i);
                true
            }
            None => false,
        }
    };
    let status = if start > 0 {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let len = body.len();
    let stream_body = if drop_now {
        // Send half, give it time to reach the client, then fail the stream: hyper aborts the
        // connection mid-body.
        let first = Bytes::from(body[..len / 2].to_vec());
        let stream = futures_util::stream::unfold(0u8, move |step| {
            let first = first.clone();
            async move {
                match step {
                    0 => Some((Ok::<Bytes, std::io::Error>(first), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((
                            Err(std::io::Error::other("connection dropped by the fake hub")),
                            2,
                        ))
                    }
                    _ => None,
                }
            }
        });
        Body::from_stream(stream)
    } else {
        Body::from(body)
    };
    let mut resp = Response::new(stream_body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, len.to_string().parse().unwrap());
    if start > 0 {
        resp.headers_mut().insert(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", f.data.len() - 1, f.data.len())
                .parse()
                .unwrap(),
        );
    }
    resp
}

async fn serve(hub: Shared) -> String {
    let app = Router::new()
        .route("/api/datasets/{owner}/{name}/tree/{rev}", get(tree))
        .route(
            "/datasets/{owner}/{name}/resolve/{rev}/{*path}",
            get(resolve),
        )
        .with_state(hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn options(url: &str) -> FetchOptions {
    FetchOptions {
        hub_url: url.to_string(),
        token: None,
        revision: "main".into(),
        retries: 3,
        backoff: Duration::from_millis(10),
        unpack: true,
    }
}

fn tar_of(name: &str, content: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    support::write(&dir.path().join(name), content);
    let out = dir.path().join("a.tar");
    let ok = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&out)
        .arg("-C")
        .arg(dir.path())
        .arg(name)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "tar is available");
    std::fs::read(out).unwrap()
}

fn omni3d_repo() -> Vec<(String, FakeFile)> {
    let ann = json!({"questions": [
        {"question_index": 0, "question": "How tall?", "image_filename": "a.png", "answer": 2.0, "answer_type": "float"}
    ]});
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = |data: Vec<u8>, lfs: bool| FakeFile {
        data,
        lfs,
        listed_sha: None,
    };
    vec![
        (
            "annotations.json".into(),
            file(ann.to_string().into_bytes(), false),
        ),
        ("images/a.png".into(), file(support::png(3), true)),
        ("images/big.bin".into(), file(big, true)),
        (
            "extra/clips.tar".into(),
            file(tar_of("clips/x.mp4", b"fake video"), true),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_resumes_verifies_unpacks_and_is_idempotent() {
    let hub = Arc::new(Hub_ {
        files: omni3d_repo(),
        drop_next: Mutex::new(vec!["images/big.bin".into()]),
        ..Hub_::default()
    });
    let url = serve(hub.clone()).await;
    let root = tempfile::tempdir().unwrap();
    let spec = loaders::find("omni3d").unwrap();
    let client = Hub::new(options(&url)).unwrap();
    let lines = Mutex::new(Vec::new());
    let progress = |l: &str| lines.lock().unwrap().push(l.to_string());

    let report = client.fetch(spec, root.path(), &progress).await.unwrap();
    assert_eq!(report.downloaded.len(), 4);
    assert_eq!(report.unpacked, vec!["extra/clips.tar".to_string()]);
    let dir = root.path().join("Omni3D-Bench");
    // The dropped download was resumed with a Range request from where it stopped.
    let log = hub.log.lock().unwrap().clone();
    let big: Vec<&Option<String>> = log
        .iter()
        .filter(|(p, _)| p == "images/big.bin")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(big.len(), 2, "{log:?}");
    assert!(big[0].is_none());
    let resumed_from: u64 = big[1]
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse().ok())
        .expect("range header");
    assert!(resumed_from > 0 && resumed_from < 200_000);
    let expected = &hub.files[2].1.data;
    assert_eq!(
        &std::fs::read(dir.join("images/big.bin")).unwrap(),
        expected
    );
    assert!(!dir.join("images/big.bin.incomplete").exists());
    // The archive was unpacked in place and deleted.
    assert_eq!(
        std::fs::read(dir.join("extra/clips/x.mp4")).unwrap(),
        b"fake video"
    );
    assert!(!dir.join("extra/clips.tar").exists());
    assert!(dir.join(MANIFEST).is_file());
    // Both listing pages were read (the directory entry is ignored).
    assert_eq!(*hub.tree_requests.lock().unwrap(), 2);
    // The fetched data loads.
    let v = loaders::load("omni3d", root.path(), &LoadOptions::default()).unwrap();
    assert!(v[0].is_ok(), "{:?}", v[0]);

    // A second run downloads nothing (the deleted archive is remembered as unpacked).
    let requests_before = hub.log.lock().unwrap().len();
    let again = client.fetch(spec, root.path(), &progress).await.unwrap();
    assert!(again.downloaded.is_empty(), "{:?}", again.downloaded);
    assert_eq!(again.up_to_date.len(), 4);
    assert_eq!(hub.log.lock().unwrap().len(), requests_before);

    // A partial file left by a killed run is continued, not restarted.
    std::fs::remove_file(dir.join("images/big.bin")).unwrap();
    std::fs::write(dir.join("images/big.bin.incomplete"), &expected[..1000]).unwrap();
    let third = client.fetch(spec, root.path(), &progress).await.unwrap();
    assert_eq!(third.downloaded, vec!["images/big.bin".to_string()]);
    assert_eq!(third.bytes_downloaded, 199_000);
    let last = hub.log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.1.as_deref(), Some("bytes=1000-"));
    assert_eq!(
        &std::fs::read(dir.join("images/big.bin")).unwrap(),
        expected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_content_and_gated_repositories_are_clear_errors() {
    let mut files = omni3d_repo();
    files.truncate(2);
    files[1].1.listed_sha = Some("00".repeat(32));
    let hub = Arc::new(Hub_ {
        files,
        ..Hub_::default()
    });
    let url = serve(hub).await;
    let root = tempfile::tempdir().unwrap();
    let spec = loaders::find("omni3d").unwrap();
    let mut o = options(&url);
    o.retries = 1;
    let e = Hub::new(o)
        .unwrap()
        .fetch(spec, root.path(), &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, FetchError::GaveUp { .. }) && e.to_string().contains("sha256"),
        "{e}"
    );
    assert!(!root.path().join("Omni3D-Bench/images/a.png").exists());

    let gated = Arc::new(Hub_ {
        files: omni3d_repo(),
        require_token: Some("secret".into()),
        ..Hub_::default()
    });
    let url = serve(gated).await;
    let e = Hub::new(options(&url))
        .unwrap()
        .fetch(spec, root.path(), &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, FetchError::Unauthorized { status: 401, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("HF_TOKEN"));
    let mut o = options(&url);
    o.token = Some("secret".into());
    let ok = Hub::new(o)
        .unwrap()
        .fetch(spec, root.path(), &|_| {})
        .await
        .unwrap();
    // annotations.json came in during the failed run above and is kept.
    assert_eq!(ok.downloaded.len(), 3);
    assert_eq!(ok.up_to_date, vec!["annotations.json".to_string()]);
}
