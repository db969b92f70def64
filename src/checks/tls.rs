//! TLS helpers shared by the `http` and `tcp` probes: the crypto provider, client
//! configurations (verifying with the system's roots, or not verifying at all), and the
//! days left on a certificate.
//!
//! The certificate's `notAfter` is read by x509-parser: the bytes come from whatever server
//! a check talks to, so they are parsed by a maintained X.509 library, not by hand.

use std::sync::{Arc, Once, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

/// Installs the ring crypto provider once per process (reqwest is built without one).
pub fn install_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client config that verifies against the system's root certificates. The roots are
/// read on the first handshake, not when the config is built: a run whose checks are all
/// plain `http://` never pays for parsing the certificate store.
pub fn verifying_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            install_provider();
            let mut config = ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LazyRoots))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

/// The system's roots, loaded once, on first use.
fn system_verifier() -> Result<Arc<rustls::client::WebPkiServerVerifier>, rustls::Error> {
    static VERIFIER: OnceLock<Result<Arc<rustls::client::WebPkiServerVerifier>, String>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            rustls::client::WebPkiServerVerifier::builder(Arc::new(roots)).build().map_err(|e| e.to_string())
        })
        .clone()
        .map_err(rustls::Error::General)
}

/// Verifies with the system's roots, loading them on the first handshake.
#[derive(Debug, Default)]
struct LazyRoots;

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        system_verifier()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        system_verifier()?.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        system_verifier()?.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider().signature_verification_algorithms.supported_schemes()
    }
}

/// A client config that accepts any certificate (`tls_verify: false`): the handshake
/// still happens, so the certificate's expiry can still be read.
pub fn insecure_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            install_provider();
            let provider = rustls::crypto::ring::default_provider();
            let schemes = provider.signature_verification_algorithms.supported_schemes();
            let mut config = ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnything { schemes }))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

#[derive(Debug)]
struct AcceptAnything {
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Why a certificate's expiry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UnreadableCertificate {
    /// The DER does not parse as a certificate.
    #[error("the certificate's expiry cannot be read: {0}")]
    Der(#[source] x509_parser::nom::Err<x509_parser::error::X509Error>),
    /// `notAfter` is outside the times jiff can hold.
    #[error("the certificate's expiry cannot be read: {0}")]
    OutOfRange(#[source] jiff::Error),
}

/// Days (fractional) until the certificate's `notAfter`, negative when expired.
pub fn days_left(der: &[u8], now: jiff::Timestamp) -> Result<f64, UnreadableCertificate> {
    let not_after = not_after(der)?;
    Ok((not_after.as_second() - now.as_second()) as f64 / 86_400.0)
}

/// Reads `tbsCertificate.validity.notAfter` from a DER certificate. Extensions are not
/// parsed in depth: only the validity is needed.
pub fn not_after(der: &[u8]) -> Result<jiff::Timestamp, UnreadableCertificate> {
    use x509_parser::nom::Parser;
    let (_, certificate) = x509_parser::certificate::X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(der)
        .map_err(UnreadableCertificate::Der)?;
    let seconds = certificate.validity().not_after.timestamp();
    jiff::Timestamp::from_second(seconds).map_err(UnreadableCertificate::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_not_after_of_a_generated_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2031, 5, 17);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let ts = not_after(cert.der()).unwrap();
        assert_eq!(ts.to_string(), "2031-05-17T00:00:00Z");
        let days = days_left(cert.der(), "2031-05-07T00:00:00Z".parse().unwrap()).unwrap();
        assert!((days - 10.0).abs() < 1e-9);
    }

    #[test]
    fn garbage_and_truncated_certificates_are_errors_not_panics() {
        let error = not_after(b"garbage").unwrap_err().to_string();
        assert!(error.starts_with("the certificate's expiry cannot be read"), "{error}");
        let params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let der = cert.der();
        for cut in [1, 10, der.len() / 2, der.len() - 1] {
            assert!(not_after(&der[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = der.to_vec();
        flipped[1] ^= 0xff;
        assert!(not_after(&flipped).is_err());
    }
}
