//! Certificate rotation without a restart: `Gateway::reload` (SIGHUP, `POST /admin/reload`)
//! reads the certificate and key again; new connections get the new pair, open connections
//! keep working, and a pair that does not load is refused with the old one kept.

mod tls_support;

use http::StatusCode;
use scopegate::gateway::ReloadError;
use scopegate::tls::TlsError;
use tls_support::{Harness, Setup, WHITELISTED, connect, http1, read, served_cert};

#[tokio::test]
async fn a_rotated_certificate_is_served_to_new_connections_while_old_ones_keep_working() {
    let h = Harness::start(Setup::default()).await;
    let client = h.pki.client(WHITELISTED);
    let config = h.pki.client_config(Some(&client), &[b"http/1.1"]);

    let old = connect(h.addr(), config.clone()).await.unwrap();
    let first_cert = served_cert(&old);
    let mut old = http1(old).await;
    assert_eq!(
        read(old.send_request(h.request()).await.unwrap()).await.0,
        StatusCode::OK
    );

    let rotated = h.pki.server();
    h.pki.install_server(&rotated);
    h.running.gateway.reload().await.unwrap();

    let new = connect(h.addr(), config).await.unwrap();
    assert_eq!(served_cert(&new), rotated.der);
    assert_ne!(served_cert(&new), first_cert);
    let mut new = http1(new).await;
    assert_eq!(
        read(new.send_request(h.request()).await.unwrap()).await.0,
        StatusCode::OK
    );
    // The connection from before the rotation is still served.
    old.ready().await.unwrap();
    assert_eq!(
        read(old.send_request(h.request()).await.unwrap()).await.0,
        StatusCode::OK
    );
    assert_eq!(h.upstream.count(), 3);
}

#[tokio::test]
async fn a_new_certificate_with_the_wrong_key_is_refused_and_the_old_pair_kept() {
    let h = Harness::start(Setup::default()).await;
    let client = h.pki.client(WHITELISTED);
    let config = h.pki.client_config(Some(&client), &[b"http/1.1"]);
    let before = served_cert(&connect(h.addr(), config.clone()).await.unwrap());

    let new = h.pki.server();
    let other = h.pki.server();
    std::fs::write(h.pki.path("server.pem"), &new.cert_pem).unwrap();
    std::fs::write(h.pki.path("server.key"), &other.key_pem).unwrap();
    let err = h.running.gateway.reload().await.unwrap_err();
    assert!(
        matches!(err, ReloadError::Tls(TlsError::Pair { .. })),
        "{err}"
    );

    let after = connect(h.addr(), config).await.unwrap();
    assert_eq!(served_cert(&after), before);
    let mut send = http1(after).await;
    assert_eq!(
        read(send.send_request(h.request()).await.unwrap()).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_certificate_file_that_is_not_pem_is_refused_and_the_old_pair_kept() {
    let h = Harness::start(Setup::default()).await;
    let client = h.pki.client(WHITELISTED);
    let config = h.pki.client_config(Some(&client), &[b"http/1.1"]);
    let before = served_cert(&connect(h.addr(), config.clone()).await.unwrap());

    std::fs::write(h.pki.path("server.pem"), "half a certificate\n").unwrap();
    let err = h.running.gateway.reload().await.unwrap_err();
    assert!(
        matches!(err, ReloadError::Tls(TlsError::NoCertificate { .. })),
        "{err}"
    );
    let after = connect(h.addr(), config).await.unwrap();
    assert_eq!(served_cert(&after), before);
}
