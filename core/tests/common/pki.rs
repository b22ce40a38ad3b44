//! A test certificate authority made at test time, and a certificate it signed for
//! `localhost`: for the TLS servers of the tests (rustls, nginx, redis-server).

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TestPki {
    /// The CA's certificate, PEM: what the client is told to trust.
    pub ca_pem: String,
    /// The server's certificate followed by the CA's, PEM (for servers that read files).
    pub chain_pem: String,
    /// The server's certificate alone, PEM.
    pub server_pem: String,
    /// The server's private key, PEM.
    pub key_pem: String,
    /// The server's certificate and the CA's, DER (for rustls).
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// A new CA and a certificate it signed for `localhost`.
pub fn localhost() -> TestPki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        chain_pem: server.pem() + &ca.pem(),
        server_pem: server.pem(),
        key_pem: server_key.serialize_pem(),
        chain: vec![server.der().clone(), ca.der().clone()],
        key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
    }
}

/// A self-signed certificate for `localhost` marked as a CA (`CA:TRUE`), as `openssl req -x509`
/// makes by default: its own trusted CA and the server's certificate at once.
#[allow(dead_code)] // not every test binary uses it
pub fn self_signed_ca_localhost() -> TestPki {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    TestPki {
        ca_pem: cert.pem(),
        chain_pem: cert.pem(),
        server_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        chain: vec![cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

impl TestPki {
    /// A rustls server configuration with this certificate, offering `alpn`.
    pub fn server_config(&self, alpn: &[&[u8]]) -> rustls::ServerConfig {
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                self.chain.clone(),
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}
