//! The viewer's server: serves the site, refuses paths outside it, and a busy port is a clear
//! error that says what to do.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_files_refuses_escapes_and_explains_a_busy_port() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("sessions")).unwrap();
    std::fs::write(site.join("index.html"), "<!DOCTYPE html><title>hi</title>").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();

    let server = spatialclaw_report::bind(site.clone(), "127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run());

    let index = get(addr, "/").await;
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("content-type: text/html") && index.contains("content-security-policy"));
    assert!(index.contains("<title>hi</title>"));
    assert!(get(addr, "/nope.html").await.starts_with("HTTP/1.1 404"));
    let escape = get(addr, "/%2e%2e/secret.txt").await;
    assert!(
        !escape.contains("secret\n") && !escape.ends_with("secret"),
        "{escape}"
    );

    let err = spatialclaw_report::bind(site.clone(), &addr.to_string())
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("cannot listen on") && msg.contains("--bind"),
        "{msg}"
    );
    let err = spatialclaw_report::bind(site, "localhost-ish")
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("not HOST:PORT"), "{err}");
}
