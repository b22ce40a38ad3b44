//! TLS client settings: rustls with the `ring` provider and the platform's certificate verifier,
//! plus the extra certificate authorities the user named (a corporate TLS-inspecting proxy, a
//! private gateway), which are *added* to the platform's roots.
//!
//! On Linux the platform's roots are read by `rustls-native-certs`, which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` (they then replace the system store, as in OpenSSL). An
//! `SSL_CERT_FILE` that names a missing file, or a file without a certificate, would otherwise
//! only show up as "unknown issuer" on the first call: it is checked here, when the client is
//! built.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_rustls::TlsConnector;

use crate::config::CaFile;

const ALPN_H2: &[u8] = b"h2";
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Whether TLS negotiated HTTP/2.
pub(crate) fn is_h2(alpn: Option<&[u8]>) -> bool {
    alpn == Some(ALPN_H2)
}

/// A TLS connector trusting the platform's roots and `extra` (each file's errors name the
/// file and the option or variable that gave it). With `http2_only` (prior knowledge), ALPN
/// offers only `h2`.
pub(crate) fn connector(http2_only: bool, extra: &[CaFile]) -> Result<TlsConnector, String> {
    check_openssl_variables()?;
    let mut roots = Vec::new();
    for file in extra {
        roots.extend(read_certificates(&file.path, &file.origin)?);
    }
    install_crypto_provider();
    let builder = rustls::ClientConfig::builder();
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        roots,
        builder.crypto_provider().clone(),
    )
    .map_err(|e| format!("could not load the trusted certificate authorities: {e}"))?;
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = if http2_only {
        vec![ALPN_H2.to_vec()]
    } else {
        vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()]
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Reads `extra` only to check it: for a plain-http base URL, which needs no TLS, so that a
/// wrong path fails at `build()` against a local server too, not first in production.
pub(crate) fn check_ca_files(extra: &[CaFile]) -> Result<(), String> {
    for file in extra {
        read_certificates(&file.path, &file.origin)?;
    }
    Ok(())
}

/// The certificates of a PEM file; an error names the file and `origin` when it cannot be read
/// or holds none.
fn read_certificates(path: &Path, origin: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    // PEM text where a path belongs: said so, without echoing a kilobyte of it as a file name.
    if path.to_string_lossy().contains("-----BEGIN") {
        return Err(format!(
            "the CA file given by {origin} is PEM text, not a path: write it to a file and pass \
             the file's path"
        ));
    }
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the CA file {shown} given by {origin}: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the CA file {shown} given by {origin} is not valid PEM: {e}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "the CA file {shown} given by {origin} holds no PEM certificate \
             (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certificates)
}

/// `SSL_CERT_FILE`, when set, must name a file with certificates (see the module's
/// documentation). `SSL_CERT_DIR` is left to the verifier: OpenSSL skips a directory that is
/// missing, and so does `rustls-native-certs`; with no root left at all, building the verifier
/// fails and says so.
fn check_openssl_variables() -> Result<(), String> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        read_certificates(Path::new(&file), "SSL_CERT_FILE")?;
    }
    Ok(())
}

/// Installs rustls' `ring` provider as the process default, once (rustls is built without
/// aws-lc-rs); one the application installed earlier is kept.
fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A failed handshake, with a hint where rustls's own words are a debug dump: webpki refuses a
/// certificate authority as the server's own certificate (`CaUsedAsEndEntity`), which is what
/// `openssl req -x509` makes by default (`CA:TRUE`) and what OpenSSL-based clients accept when
/// it is also their trusted CA file.
pub(crate) fn explain(error: std::io::Error) -> std::io::Error {
    let text = error.to_string();
    if !text.contains("CaUsedAsEndEntity") {
        return error;
    }
    std::io::Error::new(
        error.kind(),
        format!(
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE) used as the \
             server's own, which is refused even when it is a trusted CA: make the server a \
             certificate signed by that CA, or a self-signed one with CA:FALSE (openssl req \
             -x509 ... -addext basicConstraints=critical,CA:FALSE) ({text})"
        ),
    )
}
