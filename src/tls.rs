//! TLS on both sides of the gateway, with rustls and the `ring` provider.
//!
//! Towards clients: [`server_config`] builds a rustls server config from the PEM files of
//! `[server.tls]` — TLS 1.3 and 1.2 only, ALPN `h2` and `http/1.1`, client certificates
//! verified against `client_ca` (required when `require_client_cert`, otherwise optional).
//! [`TlsAcceptor`] is the [`crate::server::Acceptor`] the MedMij listener runs on: it reports
//! the protocol from ALPN and the client certificate's first DNS name (see [`cert_host`]) as
//! [`ConnInfo::cert_host`], which the proxy checks against the Whitelist. It holds its config
//! in an `ArcSwap`: [`TlsAcceptor::reload`] reads the files again and swaps a new config in
//! for new connections only when the whole new config builds; on any error the last good one
//! stays. Open connections keep the config they were accepted with.
//!
//! Towards upstreams: [`upstream_client_config`] builds a client config trusting the webpki
//! roots plus an optional CA file (`[server] upstream_ca`); [`upstream_connector`] wraps it
//! into the hyper connector [`crate::proxy::forward::UpstreamClient`] uses.
//!
//! It does not decide anything about the certificate host (the proxy checks it against the
//! WHL), read the config file, or watch files: [`crate::gateway`] calls `reload` on SIGHUP
//! and `POST /admin/reload`.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::config;
use crate::server::{Accepted, Acceptor, ConnInfo, Protocol};

/// The versions offered, newest first. TLS 1.0 and 1.1 are not implemented by rustls at all.
pub const PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// ALPN identifiers, in server preference order.
pub const ALPN_H2: &[u8] = b"h2";
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} from {path}: {source}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: pem::Error,
    },
    #[error("{path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("CA certificate in {path} is not usable: {source}")]
    BadCa {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("certificate {cert} and key {key} are not a usable pair: {source}")]
    Pair {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("TLS protocol versions: {0}")]
    Versions(#[source] rustls::Error),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file, in file order; at least one.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |source| TlsError::Pem {
        what: "certificates",
        path: path.to_owned(),
        source,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::Pem {
        what: "a private key",
        path: path.to_owned(),
        source,
    })
}

/// A root store holding every certificate of a PEM file.
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|source| TlsError::BadCa {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(roots)
}

/// The server config for `[server.tls]`, every file read now.
pub fn server_config(tls: &config::Tls) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(TlsError::Versions)?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let roots = Arc::new(load_roots(ca)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = if tls.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(verifier.build()?)
        }
        None => builder.with_no_client_auth(),
    };
    let certs = load_certs(&tls.cert)?;
    let key = load_key(&tls.key)?;
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|source| TlsError::Pair {
            cert: tls.cert.clone(),
            key: tls.key.clone(),
            source,
        })?;
    config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// The host a client certificate names: its first DNS name in subjectAltName, lowercased.
///
/// Only for a certificate the verifier already accepted; this is an identity for the WHL
/// lookup, not a name check. `None` when the certificate does not parse or has no DNS name.
pub fn cert_host(cert: &CertificateDer<'_>) -> Option<String> {
    let cert = webpki::EndEntityCert::try_from(cert).ok()?;
    cert.valid_dns_names()
        .next()
        .map(|name| name.to_ascii_lowercase())
}

/// The MedMij listener's TLS handshake, its server config swappable at run time.
#[derive(Debug)]
pub struct TlsAcceptor {
    config: ArcSwap<ServerConfig>,
}

impl TlsAcceptor {
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self {
            config: ArcSwap::new(config),
        }
    }

    /// Reads `[server.tls]`'s files and builds the acceptor.
    pub fn from_config(tls: &config::Tls) -> Result<Self, TlsError> {
        server_config(tls).map(Self::new)
    }

    /// Reads the files again; new connections get the new config only when it builds whole.
    /// On error the config in force stays and the error says why.
    pub fn reload(&self, tls: &config::Tls) -> Result<(), TlsError> {
        let next = server_config(tls)?;
        self.config.store(next);
        tracing::info!(tls.cert = %tls.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// The config new connections are accepted with.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.load_full()
    }
}

/// The HTTP version ALPN settled on; without ALPN the preface decides.
fn protocol_from_alpn(alpn: Option<&[u8]>) -> Protocol {
    match alpn {
        Some(ALPN_H2) => Protocol::Http2,
        Some(_) => Protocol::Http1,
        None => Protocol::Detect,
    }
}

impl Acceptor for TlsAcceptor {
    type Stream = TlsStream<TcpStream>;

    async fn accept(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
    ) -> io::Result<Accepted<TlsStream<TcpStream>>> {
        tcp.set_nodelay(true)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config());
        let stream = acceptor.accept(tcp).await?;
        let (_, conn) = stream.get_ref();
        let protocol = protocol_from_alpn(conn.alpn_protocol());
        let cert_host = conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(cert_host);
        Ok(Accepted {
            stream,
            info: ConnInfo {
                peer,
                tls: true,
                cert_host,
            },
            protocol,
        })
    }
}

/// A client config for upstreams: the webpki roots, plus every certificate in `ca`.
pub fn upstream_client_config(ca: Option<&Path>) -> Result<ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(ca) = ca {
        roots.roots.extend(load_roots(ca)?.roots);
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(TlsError::Versions)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The upstream connector: `https://` bases over TLS with `config`, `http://` bases plain.
pub fn upstream_connector(config: ClientConfig) -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_h2_means_http2() {
        assert_eq!(protocol_from_alpn(Some(b"h2")), Protocol::Http2);
    }

    #[test]
    fn alpn_http11_means_http1() {
        assert_eq!(protocol_from_alpn(Some(b"http/1.1")), Protocol::Http1);
    }

    #[test]
    fn no_alpn_leaves_the_preface_to_decide() {
        assert_eq!(protocol_from_alpn(None), Protocol::Detect);
    }

    #[test]
    fn only_tls13_and_tls12_are_offered() {
        let versions: Vec<_> = PROTOCOL_VERSIONS.iter().map(|v| v.version).collect();
        assert_eq!(
            versions,
            vec![
                rustls::ProtocolVersion::TLSv1_3,
                rustls::ProtocolVersion::TLSv1_2
            ]
        );
    }

    #[test]
    fn cert_host_is_none_for_bytes_that_are_no_certificate() {
        assert_eq!(
            cert_host(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            None
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A self-signed certificate for `names` and its key, as files in `dir`.
    fn self_signed(dir: &Path, stem: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(names)
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (
            write(dir, &format!("{stem}.pem"), &cert.pem()),
            write(dir, &format!("{stem}.key"), &key.serialize_pem()),
        )
    }

    fn tls(cert: PathBuf, key: PathBuf) -> config::Tls {
        config::Tls {
            cert,
            key,
            client_ca: None,
            require_client_cert: false,
            whitelist_check: false,
        }
    }

    #[test]
    fn cert_host_is_the_first_dns_name_lowercased() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = self_signed(dir.path(), "c", &["MedMij.DeEnigeEchtePGO.nl", "b.example"]);
        let der = load_certs(&cert).unwrap().remove(0);
        assert_eq!(
            cert_host(&der).as_deref(),
            Some("medmij.deenigeechtepgo.nl")
        );
    }

    #[test]
    fn cert_host_is_none_without_a_dns_name() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = self_signed(dir.path(), "c", &["127.0.0.1"]);
        let der = load_certs(&cert).unwrap().remove(0);
        assert_eq!(cert_host(&der), None);
    }

    #[test]
    fn a_missing_certificate_file_is_a_pem_error_naming_the_file() {
        let err = load_certs(Path::new("/nonexistent/scopegate/server.pem")).unwrap_err();
        assert!(matches!(
            err,
            TlsError::Pem { what: "certificates", ref path, .. }
                if path == Path::new("/nonexistent/scopegate/server.pem")
        ));
    }

    #[test]
    fn a_pem_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "empty.pem", "not pem at all\n");
        assert!(matches!(
            load_certs(&path),
            Err(TlsError::NoCertificate { path: p }) if p == path
        ));
    }

    #[test]
    fn the_server_config_offers_h2_then_http11() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "s", &["localhost"]);
        let config = server_config(&tls(cert, key)).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn a_key_of_another_certificate_is_refused_as_a_pair() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = self_signed(dir.path(), "a", &["localhost"]);
        let (_, other_key) = self_signed(dir.path(), "b", &["localhost"]);
        let err = server_config(&tls(cert, other_key)).unwrap_err();
        assert!(matches!(
            err,
            TlsError::Pair {
                source: rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch),
                ..
            }
        ));
    }

    #[test]
    fn a_failed_reload_keeps_the_config_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "a", &["localhost"]);
        let acceptor = TlsAcceptor::from_config(&tls(cert.clone(), key)).unwrap();
        let before = acceptor.config();
        let (_, other_key) = self_signed(dir.path(), "b", &["localhost"]);
        assert!(acceptor.reload(&tls(cert, other_key)).is_err());
        assert!(Arc::ptr_eq(&before, &acceptor.config()));
    }

    #[test]
    fn a_good_reload_swaps_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "a", &["localhost"]);
        let acceptor = TlsAcceptor::from_config(&tls(cert, key)).unwrap();
        let before = acceptor.config();
        let (cert, key) = self_signed(dir.path(), "b", &["localhost"]);
        acceptor.reload(&tls(cert, key)).unwrap();
        assert!(!Arc::ptr_eq(&before, &acceptor.config()));
    }

    #[test]
    fn an_upstream_ca_file_adds_its_certificate_to_the_webpki_roots() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _) = self_signed(dir.path(), "ca", &["upstream.test"]);
        assert_eq!(load_roots(&ca).unwrap().len(), 1);
        assert!(upstream_client_config(Some(&ca)).is_ok());
    }

    #[test]
    fn an_upstream_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "ca.pem", "");
        assert!(matches!(
            upstream_client_config(Some(&path)),
            Err(TlsError::NoCertificate { .. })
        ));
    }
}
