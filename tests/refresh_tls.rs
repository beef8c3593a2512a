//! The list server over https with a client certificate (issue 4): a test PKI made with rcgen
//! at run time, a list server on loopback that requires a client certificate from that CA,
//! and the gateway configured with `lists.ca`, `lists.client_cert` and `lists.client_key`.

mod refresh_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use refresh_support::*;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use scopegate::lists::ListKind;
use scopegate::refresh::refresh_once;

struct Pki {
    dir: tempfile::TempDir,
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "list server test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki {
            ca_der: ca.der().clone(),
            issuer: Issuer::new(params, key),
            dir,
        }
    }

    /// Writes `<name>.pem` and `<name>.key`; returns (cert PEM, key PEM).
    fn leaf(&self, name: &str, sans: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let sans: Vec<String> = sans.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (c, k) = (cert.pem(), key.serialize_pem());
        std::fs::write(self.path(&format!("{name}.pem")), &c).unwrap();
        std::fs::write(self.path(&format!("{name}.key")), &k).unwrap();
        (c, k)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }
}

/// A TLS acceptor for 127.0.0.1 that requires a client certificate issued by the test CA.
fn acceptor(pki: &Pki) -> tokio_rustls::TlsAcceptor {
    let (cert, key) = pki.leaf(
        "server",
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
        )
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

fn lists_keys(ca: &Path, client: Option<(&Path, &Path)>) -> String {
    let mut s = format!("ca = {:?}\n", ca.display().to_string());
    if let Some((cert, key)) = client {
        s.push_str(&format!(
            "client_cert = {:?}\nclient_key = {:?}\n",
            cert.display().to_string(),
            key.display().to_string()
        ));
    }
    s
}

#[tokio::test]
async fn lists_load_from_an_https_server_that_requires_the_configured_client_certificate() {
    let pki = Pki::new();
    pki.leaf(
        "client",
        &["dvza.example.nl"],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    let server = ListServer::start_tls(acceptor(&pki)).await;
    let knobs = ConfigKnobs {
        extra_lists: lists_keys(
            &pki.path("ca.pem"),
            Some((&pki.path("client.pem"), &pki.path("client.key"))),
        ),
        ..ConfigKnobs::default()
    };
    let env = Env::start_on(
        server,
        knobs,
        Some(zal_xml(10, &["51"])),
        Some(ocl_xml(5, &[GLG_DVP])),
    )
    .await;
    assert_eq!(env.readyz().await, 200);

    env.serve_zal(zal_xml(11, &["51", "49"]));
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.replaced, [ListKind::Zal]);
    assert_eq!(
        env.get(GLG_DVP, "umcharderwijk~49", "/fhir-49/Patient")
            .await,
        (200, None)
    );
}

#[tokio::test]
async fn without_a_client_certificate_the_https_list_server_is_unreachable() {
    let pki = Pki::new();
    let server = ListServer::start_tls(acceptor(&pki)).await;
    let knobs = ConfigKnobs {
        extra_lists: lists_keys(&pki.path("ca.pem"), None),
        ..ConfigKnobs::default()
    };
    let env = Env::start_on(
        server,
        knobs,
        Some(zal_xml(10, &["51"])),
        Some(ocl_xml(5, &[GLG_DVP])),
    )
    .await;

    assert_eq!(env.readyz().await, 503);
    let report = refresh_once(env.gateway()).await;
    assert_eq!(report.failed, [ListKind::Zal, ListKind::Ocl]);
}
