//! `spatialclaw view`: the report site over HTTP, read-only, from a local address.
//!
//! A plain static file server over the folder `write_site` produced: nothing is computed per
//! request, paths cannot leave the folder, and every response carries the same no-script,
//! no-remote CSP as the pages themselves. It binds to loopback by default because, like the
//! original viewer, it has no authentication.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ReportError;
use crate::html::CSP;

/// A bound, not yet running, server.
pub struct Server {
    listener: tokio::net::TcpListener,
    root: Arc<PathBuf>,
}

/// Binds `addr` (e.g. `127.0.0.1:8501`; port 0 picks a free one) to serve `root`. A busy port
/// or a bad address is a [`ReportError::Bind`] that says what to do.
pub async fn bind(root: PathBuf, addr: &str) -> Result<Server, ReportError> {
    let parsed: SocketAddr = addr.parse().map_err(|e| ReportError::Bind {
        addr: addr.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not HOST:PORT ({e})"),
        ),
    })?;
    let listener = tokio::net::TcpListener::bind(parsed)
        .await
        .map_err(|source| ReportError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
    Ok(Server {
        listener,
        root: Arc::new(root),
    })
}

impl Server {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ReportError> {
        self.listener.local_addr().map_err(ReportError::Serve)
    }

    /// Serves until the task is dropped or the process ends.
    pub async fn run(self) -> Result<(), ReportError> {
        let app = Router::new().fallback(static_file).with_state(self.root);
        axum::serve(self.listener, app)
            .await
            .map_err(ReportError::Serve)
    }
}

/// Maps a URL path to a file under `root`, refusing anything that is not a plain relative path.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut path = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if decoded.is_empty() || decoded.ends_with('/') || path.is_dir() {
        path.push("index.html");
    }
    Some(path)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0') && !text.contains('\\')).then_some(text)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

async fn static_file(State(root): State<Arc<PathBuf>>, req: Request) -> Response {
    let Some(path) = resolve(&root, req.uri().path()) else {
        return (StatusCode::BAD_REQUEST, "bad path").into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            resp
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let root = Path::new("/srv/site");
        assert_eq!(
            resolve(root, "/sessions/r0/a%20b.html"),
            Some(root.join("sessions/r0/a b.html"))
        );
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/%2e%2e/%2e%2e/x"), None);
        assert_eq!(resolve(root, "/%zz"), None);
    }
}
