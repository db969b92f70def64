//! A small real HTTP/1.1 server on 127.0.0.1 for tests: programmable replies (status,
//! delay, never answering, redirect loops), optional TLS with a self-signed certificate,
//! and a record of every request it received (for webhook receivers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        delay: Duration,
    },
    /// Accept and never answer.
    Hang,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Respond { status, headers: Vec::new(), body: body.to_string(), delay: Duration::ZERO }
    }
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn redirect(to: &str) -> Reply {
        Reply::Respond {
            status: 302,
            headers: vec![("Location".into(), to.to_string())],
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn delayed(self, delay: Duration) -> Reply {
        match self {
            Reply::Respond { status, headers, body, .. } => Reply::Respond { status, headers, body, delay },
            other => other,
        }
    }
    pub fn header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Respond { status, mut headers, body, delay } => {
                headers.push((name.to_string(), value.to_string()));
                Reply::Respond { status, headers, body, delay }
            }
            other => other,
        }
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A running server; stops when dropped.
pub struct Server {
    pub port: u16,
    pub tls: bool,
    requests: Arc<Mutex<Vec<Request>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// The default routes: `/ok` 200, `/health` JSON `{"status":"UP"}`, `/fail` 500,
    /// `/slow` 200 after 5 s, `/hang` never answers, `/loop` redirects to itself,
    /// `/redirect` to `/ok`, anything else 404.
    pub fn start() -> Server {
        Server::with(default_routes)
    }

    pub fn with(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        Server::build(Arc::new(handler), None)
    }

    /// The same, over TLS with a self-signed certificate for `localhost` and 127.0.0.1
    /// that expires in `days` days.
    pub fn tls(days: i64, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let (y, m, d) = ymd(-1);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(days);
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let der = rustls::pki_types::CertificateDer::from(cert.der().to_vec());
        let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let config =
            rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![der], key_der).unwrap();
        Server::build(Arc::new(handler), Some(Arc::new(config)))
    }

    /// The same over TLS, presenting `certificate` as it is (any bytes, even ones that are
    /// no certificate at all), with handshakes signed by a fresh key.
    pub fn tls_presenting(certificate: &[u8], handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = rcgen::KeyPair::generate().unwrap();
        let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let signing_key = rustls::crypto::ring::sign::any_supported_type(&key_der).unwrap();
        let chain = vec![rustls::pki_types::CertificateDer::from(certificate.to_vec())];
        let presented = PresentAsIs(Arc::new(rustls::sign::CertifiedKey::new(chain, signing_key)));
        let config = rustls::ServerConfig::builder().with_no_client_auth().with_cert_resolver(Arc::new(presented));
        Server::build(Arc::new(handler), Some(Arc::new(config)))
    }

    fn build(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let is_tls = tls.is_some();
        runtime.spawn(async move {
            let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                let recorded = recorded.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, handler, recorded).await;
                            }
                        }
                        None => serve(stream, handler, recorded).await,
                    }
                });
            }
        });
        Server { port, tls: is_tls, requests, runtime: Some(runtime) }
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The date `days` from today (UTC), as (year, month, day).
fn ymd(days: i64) -> (i32, u8, u8) {
    let date = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    (i32::from(date.year()), date.month() as u8, date.day() as u8)
}

pub fn default_routes(request: &Request) -> Reply {
    match request.path.as_str() {
        "/ok" => Reply::status(200, "ok"),
        "/health" => Reply::json(200, r#"{"status":"UP","checks":[{"name":"db","ok":true}]}"#),
        "/fail" => Reply::status(500, "internal error"),
        "/slow" => Reply::status(200, "slow").delayed(Duration::from_secs(5)),
        "/hang" => Reply::Hang,
        "/loop" => Reply::redirect("/loop"),
        "/redirect" => Reply::redirect("/ok"),
        _ => Reply::status(404, "not found"),
    }
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    handler: Handler,
    recorded: Arc<Mutex<Vec<Request>>>,
) {
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        recorded.lock().unwrap().push(request.clone());
        match handler(&request) {
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Respond { status, headers, body, delay } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let mut response =
                    format!("HTTP/1.1 {status} {}\r\nContent-Length: {}\r\n", reason(status), body.len());
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
            }
        }
    }
}

async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Presents one chain without checking that it is a certificate for the key, as
/// `with_single_cert` would: a server sending garbage is what the test needs.
#[derive(Debug)]
struct PresentAsIs(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for PresentAsIs {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}
