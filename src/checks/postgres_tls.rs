//! TLS for the `postgres` kind: tokio-postgres asks for a `MakeTlsConnect`, and this is a
//! small one over tokio-rustls with the client configurations the `http` and `tcp` kinds
//! already build (rustls on ring, the system's roots), so that no second TLS stack is
//! compiled for one kind. What `sslmode` means is decided by the caller: `verify-full`
//! verifies the certificate and the name; `require` and `prefer` encrypt without
//! verifying, as libpq does.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use rustls::pki_types::{InvalidDnsNameError, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// The ALPN protocol PostgreSQL 17 and later check for (another one is refused).
const ALPN: &[u8] = b"postgresql";

/// Makes a TLS connection for each server tokio-postgres connects to.
#[derive(Clone)]
pub struct RustlsConnector {
    config: Arc<ClientConfig>,
}

impl RustlsConnector {
    /// `verify`: check the certificate against the system's roots and the host's name.
    pub fn new(verify: bool) -> RustlsConnector {
        let base = if verify { super::tls::verifying_config() } else { super::tls::insecure_config() };
        let mut config = (*base).clone();
        config.alpn_protocols = vec![ALPN.to_vec()];
        RustlsConnector { config: Arc::new(config) }
    }
}

impl<S> MakeTlsConnect<S> for RustlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, InvalidDnsNameError> {
        let name = ServerName::try_from(domain.trim_start_matches('[').trim_end_matches(']').to_string())?;
        Ok(RustlsConnect { config: self.config.clone(), name })
    }
}

/// One TLS handshake with one server.
pub struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.config);
            connector.connect(self.name, stream).await.map(RustlsStream)
        })
    }
}

/// The encrypted stream.
pub struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    /// No channel binding: SCRAM then runs without it, as with libpq's `channel_binding=prefer`
    /// against a client that cannot bind.
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}
