//! TLS helpers shared by the `http` and `tcp` probes: the crypto provider, client
//! configurations (verifying with the system's roots, or not verifying at all), and the
//! days left on a certificate.
//!
//! The certificate's `notAfter` is read with a minimal DER walk (Certificate → TBS →
//! validity) rather than a full X.509 parser: it is the one field runner needs.

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

/// Days (fractional) until the certificate's `notAfter`, negative when expired.
pub fn days_left(der: &[u8], now: jiff::Timestamp) -> Option<f64> {
    let not_after = not_after(der)?;
    Some((not_after.as_second() - now.as_second()) as f64 / 86_400.0)
}

/// Reads `tbsCertificate.validity.notAfter` from a DER certificate.
pub fn not_after(der: &[u8]) -> Option<jiff::Timestamp> {
    let (certificate, _) = read_tlv(der, 0x30)?;
    let (tbs, _) = read_tlv(certificate, 0x30)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, optional.
    if rest.first() == Some(&0xa0) {
        rest = skip_tlv(rest)?;
    }
    rest = skip_tlv(rest)?; // serialNumber
    rest = skip_tlv(rest)?; // signature algorithm
    rest = skip_tlv(rest)?; // issuer
    let (validity, _) = read_tlv(rest, 0x30)?;
    let after_not_before = skip_tlv(validity)?;
    let tag = *after_not_before.first()?;
    let (time, _) = read_tlv(after_not_before, tag)?;
    let text = std::str::from_utf8(time).ok()?;
    parse_asn1_time(tag, text)
}

/// UTCTime (`YYMMDDHHMMSSZ`, tag 0x17) or GeneralizedTime (`YYYYMMDDHHMMSSZ`, 0x18).
fn parse_asn1_time(tag: u8, text: &str) -> Option<jiff::Timestamp> {
    let text = text.strip_suffix('Z')?;
    let full = match tag {
        0x17 => {
            let yy: i32 = text.get(0..2)?.parse().ok()?;
            let century = if yy >= 50 { "19" } else { "20" };
            format!("{century}{text}")
        }
        0x18 => text.to_string(),
        _ => return None,
    };
    let date =
        jiff::civil::date(full.get(0..4)?.parse().ok()?, full.get(4..6)?.parse().ok()?, full.get(6..8)?.parse().ok()?);
    let time = jiff::civil::time(
        full.get(8..10)?.parse().ok()?,
        full.get(10..12)?.parse().ok()?,
        full.get(12..14).and_then(|s| s.parse().ok()).unwrap_or(0),
        0,
    );
    date.to_datetime(time).to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Reads one TLV with the expected tag; returns (contents, rest).
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *input.first()? != tag {
        return None;
    }
    let (len, header) = read_len(&input[1..])?;
    let start = 1 + header;
    let end = start.checked_add(len)?;
    Some((input.get(start..end)?, input.get(end..)?))
}

fn skip_tlv(input: &[u8]) -> Option<&[u8]> {
    let tag = *input.first()?;
    read_tlv(input, tag).map(|(_, rest)| rest)
}

/// A DER length: (value, bytes used).
fn read_len(input: &[u8]) -> Option<(usize, usize)> {
    let first = *input.first()?;
    if first & 0x80 == 0 {
        return Some((first as usize, 1));
    }
    let count = (first & 0x7f) as usize;
    if count == 0 || count > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..count {
        len = (len << 8) | *input.get(1 + i)? as usize;
    }
    Some((len, 1 + count))
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
        assert_eq!(not_after(b"garbage"), None);
    }
}
