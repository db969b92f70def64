//! The accept loop and the limits every connection lives under. axum routes; hyper reads
//! and writes; this file decides how long and how many. A client gets at most
//! [`Limits::header_read`] to send its request head (a slowloris that dribbles bytes is cut
//! off there), the handler at most [`Limits::request`], and the whole connection at most
//! [`Limits::connection`] (one that never reads its answer is dropped). At most
//! [`Limits::max_connections`] are open at once; past that a new one is told 503 and
//! closed at once, so a flood costs a file descriptor for a moment, not a task forever.
//! Each connection carries one request (no keep-alive): nothing idles between requests,
//! and clients that read to the end of the stream (as the old server's did) still work.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// How long and how many: see the module header.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read: Duration,
    pub request: Duration,
    pub connection: Duration,
    /// The largest request body taken (413 past it); reads send none, writes a small one.
    pub body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            header_read: Duration::from_secs(5),
            request: Duration::from_secs(10),
            connection: Duration::from_secs(30),
            body_bytes: 64 * 1024,
        }
    }
}

/// What a connection past the cap is told before it is closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections\n";

/// Serves `app` on `listener` under `limits` until the process ends.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits) {
    let app = app
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors (or a like hiccup): back off instead of spinning.
                tracing::debug!(target: "runner::web", %error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let _ = stream.set_nodelay(true);
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .keep_alive(false)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.connection, connection).await;
        });
    }
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(TOO_MANY)).await;
    let _ = stream.shutdown().await;
}
