//! `spatialclaw perception serve` end to end over real HTTP on 127.0.0.1, and the
//! `RemoteBackend` client with failover.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{FakeBackend, expected_masks, expected_reconstruction, frame};
use spatialclaw_perception::server::{
    CALL_PATH, generate_token, read_token_file, write_token_file,
};
use spatialclaw_perception::wire::{self, CONTENT_TYPE};
use spatialclaw_perception::{
    Backend, CachedBackend, PerceptionError, RemoteBackend, RemoteConfig, RemoteServer,
    SegmentPrompt, ServerConfig, ServerHandle,
};

const TOKEN: &str = "test-token-0123456789";

fn spawn(backend: Arc<dyn Backend>, cfg: ServerConfig) -> ServerHandle {
    ServerHandle::spawn("127.0.0.1:0".parse().unwrap(), backend, cfg).unwrap()
}

fn quick() -> RemoteConfig {
    RemoteConfig {
        attempts: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(2),
        max_response_bytes: 64 << 20,
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::new()
}

#[test]
fn health_is_open_and_calls_need_the_token() {
    let fake = Arc::new(FakeBackend::new("7"));
    let server = spawn(fake.clone(), ServerConfig::new(TOKEN));
    let health: serde_json::Value = serde_json::from_slice(
        &http()
            .get(format!("{}/health", server.url()))
            .send()
            .unwrap()
            .bytes()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"]["name"], "fake");
    assert_eq!(health["backend"]["version"], "7");

    let body = wire::encode_segment_request(&frame(8, 6, 1, 0), &SegmentPrompt::Text("cup".into()))
        .unwrap();
    let post = |auth: Option<&str>, ctype: &str| {
        let mut r = http()
            .post(format!("{}{CALL_PATH}", server.url()))
            .header("content-type", ctype)
            .body(body.clone());
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send().unwrap()
    };
    let none = post(None, CONTENT_TYPE);
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = post(Some("Bearer not-the-token"), CONTENT_TYPE);
    assert_eq!(wrong.status(), 401);
    let err: serde_json::Value = serde_json::from_slice(&wrong.bytes().unwrap()).unwrap();
    assert_eq!(err["error"]["kind"], "unauthorized");
    assert_eq!(
        post(Some(&format!("Basic {TOKEN}")), CONTENT_TYPE).status(),
        401
    );
    assert_eq!(
        post(Some(&format!("Bearer {TOKEN}x")), CONTENT_TYPE).status(),
        401
    );
    assert_eq!(
        fake.calls(),
        0,
        "unauthenticated requests reached the backend"
    );

    assert_eq!(
        post(Some(&format!("Bearer {TOKEN}")), "application/json").status(),
        415
    );
    let ok = post(Some(&format!("bearer {TOKEN}")), CONTENT_TYPE);
    assert_eq!(ok.status(), 200);
    let (id, out) = wire::decode_output(&ok.bytes().unwrap()).unwrap();
    assert_eq!((id.name.as_str(), id.version.as_str()), ("fake", "7"));
    let f = frame(8, 6, 1, 0);
    assert_eq!(
        out,
        wire::Output::Masks(expected_masks(&f, &SegmentPrompt::Text("cup".into())))
    );
}

#[test]
fn oversized_and_malformed_requests_are_refused() {
    let fake = Arc::new(FakeBackend::new("1"));
    let cfg = ServerConfig {
        max_request_bytes: 4096,
        ..ServerConfig::new(TOKEN)
    };
    let server = spawn(fake.clone(), cfg);
    let send = |body: Vec<u8>| {
        http()
            .post(format!("{}{CALL_PATH}", server.url()))
            .bearer_auth(TOKEN)
            .header("content-type", CONTENT_TYPE)
            .body(body)
            .send()
            .unwrap()
    };
    let big = wire::encode_reconstruct_request(&[frame(64, 48, 1, 0)]).unwrap();
    let r = send(big);
    assert_eq!(r.status(), 413);
    let err: serde_json::Value = serde_json::from_slice(&r.bytes().unwrap()).unwrap();
    assert!(
        err["error"]["message"].as_str().unwrap().contains("4096"),
        "{err}"
    );

    // Through the client: a clear, final BadInput (no retries of a request that cannot fit).
    let remote =
        RemoteBackend::connect(vec![RemoteServer::new(server.url(), TOKEN)], quick()).unwrap();
    let e = remote.reconstruct(&[frame(64, 48, 1, 0)]).unwrap_err();
    assert!(
        matches!(&e, PerceptionError::BadInput(m) if m.contains("limit of 4096 bytes")),
        "{e:?}"
    );

    // Bytes that are not our format, and a header that breaks the schema.
    assert_eq!(send(b"\x05\x00\x00\x00hello".to_vec()).status(), 400);
    let mut ok =
        wire::encode_segment_request(&frame(8, 6, 1, 0), &SegmentPrompt::Text("x".into())).unwrap();
    ok.push(0); // one trailing byte
    let r = send(ok);
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("trailing"));
    let header = br#"{"version":1,"call":{"segment":{"frame_index":0,"prompt":{"text":"x"}}},"arrays":[{"dtype":"<f8","shape":[6,8,3],"nbytes":1152}],"extra":1}"#;
    let mut body = (header.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(header);
    body.extend(vec![0u8; 1152]);
    assert_eq!(send(body).status(), 400);
    assert_eq!(fake.calls(), 0);
}

#[test]
fn remote_backend_round_trips_and_maps_errors() {
    let fake = Arc::new(FakeBackend::new("3"));
    let server = spawn(fake.clone(), ServerConfig::new(TOKEN));
    let remote =
        RemoteBackend::connect(vec![RemoteServer::new(server.url(), TOKEN)], quick()).unwrap();
    assert_eq!((remote.name(), remote.version()), ("fake", "3"));
    let frames = vec![frame(10, 7, 1, 3), frame(10, 7, 2, 9)];
    assert_eq!(
        remote.reconstruct(&frames).unwrap(),
        expected_reconstruction(&frames)
    );
    for p in [
        SegmentPrompt::Text("lamp".into()),
        SegmentPrompt::Text("nothing".into()),
        SegmentPrompt::Box([0.25, 0.0, 0.5, 0.5]),
        SegmentPrompt::Points {
            points: vec![[0.1, 0.2], [0.3, 0.4]],
            labels: vec![1, 0],
        },
    ] {
        assert_eq!(
            remote.segment(&frames[0], &p).unwrap(),
            expected_masks(&frames[0], &p)
        );
    }
    let calls = fake.calls();
    // Backend errors keep their kind and message, and are not retried.
    let e = remote
        .segment(&frames[0], &SegmentPrompt::Text("fail".into()))
        .unwrap_err();
    assert_eq!(
        e,
        PerceptionError::Failed("the model failed on purpose".into())
    );
    let e = remote.reconstruct(&[frame(1, 7, 1, 0)]).unwrap_err();
    assert_eq!(
        e,
        PerceptionError::BadInput("frames must be wider than one pixel".into())
    );
    assert_eq!(fake.calls(), calls + 2);

    // A wrong token: refused, retried, then a clear error naming the cause.
    let bad = RemoteBackend::with_identity(
        vec![RemoteServer::new(server.url(), "wrong")],
        quick(),
        wire::BackendId {
            name: "fake".into(),
            version: "3".into(),
        },
    )
    .unwrap();
    let e = bad
        .segment(&frames[0], &SegmentPrompt::Text("lamp".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("401") && e.contains("token"), "{e}");

    // The remote identity is what a cache in front of it is keyed on.
    let tmp = tempfile::tempdir().unwrap();
    let cached = CachedBackend::new(Arc::new(remote), tmp.path(), 1 << 30).unwrap();
    cached.reconstruct(&frames).unwrap();
    cached.reconstruct(&frames).unwrap();
    assert_eq!(cached.stats().backend_calls, 1);
    assert_eq!(cached.name(), "fake");
}

#[test]
fn remote_backend_fails_over_between_two_servers() {
    let a_backend = Arc::new(FakeBackend::new("1"));
    let b_backend = Arc::new(FakeBackend::new("1"));
    let a = spawn(a_backend.clone(), ServerConfig::new("token-a"));
    let b = spawn(b_backend.clone(), ServerConfig::new("token-b"));
    let servers = vec![
        RemoteServer::new(a.url(), "token-a"),
        RemoteServer::new(b.url(), "token-b"),
    ];
    let remote = RemoteBackend::connect(servers.clone(), quick()).unwrap();
    let f = frame(8, 6, 1, 0);
    let p = SegmentPrompt::Text("cup".into());
    for _ in 0..4 {
        assert_eq!(remote.segment(&f, &p).unwrap(), expected_masks(&f, &p));
    }
    assert_eq!(
        (a_backend.calls(), b_backend.calls()),
        (2, 2),
        "calls are spread over servers"
    );

    drop(a); // server A goes away
    for _ in 0..4 {
        assert_eq!(remote.segment(&f, &p).unwrap(), expected_masks(&f, &p));
    }
    assert_eq!(
        (a_backend.calls(), b_backend.calls()),
        (2, 6),
        "B served everything after A died"
    );

    // Connecting while one server is down works; all down is a clear error.
    let remote2 = RemoteBackend::connect(servers.clone(), quick()).unwrap();
    assert_eq!(remote2.segment(&f, &p).unwrap(), expected_masks(&f, &p));
    drop(b);
    let e = remote2.segment(&f, &p).unwrap_err().to_string();
    assert!(
        e.contains("temporarily unavailable after 3 attempts"),
        "{e}"
    );
    assert!(
        RemoteBackend::connect(servers, quick())
            .unwrap_err()
            .to_string()
            .contains("no perception server answered")
    );
}

#[test]
fn servers_running_different_versions_are_refused() {
    let a = spawn(Arc::new(FakeBackend::new("1")), ServerConfig::new(TOKEN));
    let b = spawn(Arc::new(FakeBackend::new("2")), ServerConfig::new(TOKEN));
    let e = RemoteBackend::connect(
        vec![
            RemoteServer::new(a.url(), TOKEN),
            RemoteServer::new(b.url(), TOKEN),
        ],
        quick(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("disagree"), "{e}");
    // A client that expects one version notices a server that runs another.
    let stale = RemoteBackend::with_identity(
        vec![RemoteServer::new(b.url(), TOKEN)],
        RemoteConfig {
            attempts: 1,
            ..quick()
        },
        wire::BackendId {
            name: "fake".into(),
            version: "1".into(),
        },
    )
    .unwrap();
    let e = stale
        .segment(&frame(8, 6, 1, 0), &SegmentPrompt::Text("x".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("now runs fake/2"), "{e}");
}

#[test]
fn the_concurrency_limit_holds() {
    let fake = Arc::new(FakeBackend::new("1").with_delay(Duration::from_millis(150)));
    let cfg = ServerConfig {
        max_concurrency: 1,
        ..ServerConfig::new(TOKEN)
    };
    let server = spawn(fake.clone(), cfg);
    let remote = Arc::new(
        RemoteBackend::connect(vec![RemoteServer::new(server.url(), TOKEN)], quick()).unwrap(),
    );
    let handles: Vec<_> = (0..3u8)
        .map(|i| {
            let remote = remote.clone();
            std::thread::spawn(move || {
                remote
                    .segment(&frame(8, 6, i, 0), &SegmentPrompt::Text("x".into()))
                    .unwrap()
            })
        })
        .collect();
    handles.into_iter().for_each(|h| drop(h.join().unwrap()));
    assert_eq!(fake.calls(), 3);
    assert_eq!(
        fake.max_running.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn tokens_are_random_and_token_files_are_private() {
    let (a, b) = (generate_token().unwrap(), generate_token().unwrap());
    assert_ne!(a, b);
    assert!(a.len() >= 43);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("token");
    std::fs::write(&path, "old").unwrap();
    write_token_file(&path, &a).unwrap();
    assert_eq!(read_token_file(&path).unwrap(), a);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    std::fs::write(&path, "\n").unwrap();
    assert!(read_token_file(&path).is_err());
}

#[test]
fn a_server_can_front_a_remote_backend() {
    // serve --backend remote: the outer server calls RemoteBackend from its blocking pool.
    let fake = Arc::new(FakeBackend::new("4"));
    let inner = spawn(fake.clone(), ServerConfig::new("inner"));
    let remote =
        RemoteBackend::connect(vec![RemoteServer::new(inner.url(), "inner")], quick()).unwrap();
    let outer = spawn(Arc::new(remote), ServerConfig::new("outer"));
    let client =
        RemoteBackend::connect(vec![RemoteServer::new(outer.url(), "outer")], quick()).unwrap();
    assert_eq!(client.version(), "4");
    let frames = vec![frame(6, 4, 1, 0)];
    assert_eq!(
        client.reconstruct(&frames).unwrap(),
        expected_reconstruction(&frames)
    );
    assert_eq!(fake.calls(), 1);
}
