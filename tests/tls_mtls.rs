//! The MedMij listener over TLS with client certificates: versions, ALPN, the certificate
//! host against the Whitelist, and the audit record's `cert_host`.

mod tls_support;

use std::io;

use http::{StatusCode, Version};
use rustls::AlertDescription;
use tls_support::{
    Harness, NOT_WHITELISTED, Setup, TlsSetup, WHITELISTED, connect, http1, http2, read,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A minimal ClientHello record offering only `version` (no supported_versions extension),
/// with two CBC suites any TLS 1.0/1.1 client would send. TLS 1.0/1.1 clients (OpenSSL's
/// `s_client -tls1_1`, for one) send no signature_algorithms extension, a TLS 1.2 one; with
/// `sig_algs` the hello gets past that check to the version check.
fn legacy_client_hello(version: [u8; 2], sig_algs: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version); // client_version
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session_id: empty
    body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x13, 0x00, 0x2f]); // ECDHE-RSA-AES128-SHA, AES128-SHA
    body.extend_from_slice(&[0x01, 0x00]); // compression: null
    if sig_algs {
        // extensions (8 bytes): signature_algorithms (13), 4 bytes, list of 2: rsa_pkcs1_sha256
        body.extend_from_slice(&[0x00, 0x08, 0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01]);
    }
    let mut handshake = vec![0x01, 0x00]; // client_hello, length (3 bytes)
    handshake.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16];
    record.extend_from_slice(&version);
    record.extend_from_slice(&u16::try_from(handshake.len()).unwrap().to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// Sends a legacy ClientHello and returns everything the server sent before closing.
async fn answer_to_legacy_hello(h: &Harness, version: [u8; 2], sig_algs: bool) -> Vec<u8> {
    let mut tcp = TcpStream::connect(h.addr()).await.unwrap();
    tcp.write_all(&legacy_client_hello(version, sig_algs))
        .await
        .unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    answer
}

/// One fatal alert record (type 21, body length 2, level 2) with `description`, then close.
fn fatal_alert(description: u8) -> (usize, u8, [u8; 4]) {
    (7, 0x15, [0x00, 0x02, 0x02, description])
}

fn shape(answer: &[u8]) -> (usize, u8, [u8; 4]) {
    let tail: [u8; 4] = answer
        .get(3..7)
        .and_then(|t| t.try_into().ok())
        .unwrap_or([0; 4]);
    (answer.len(), answer.first().copied().unwrap_or(0), tail)
}

const PROTOCOL_VERSION: u8 = 70;
const HANDSHAKE_FAILURE: u8 = 40;

#[tokio::test]
async fn a_tls_1_1_hello_is_refused_with_a_protocol_version_alert() {
    let h = Harness::start(Setup::default()).await;
    let answer = answer_to_legacy_hello(&h, [0x03, 0x02], true).await;
    assert_eq!(shape(&answer), fatal_alert(PROTOCOL_VERSION));
    assert_eq!(h.upstream.count(), 0);
}

#[tokio::test]
async fn a_tls_1_0_hello_is_refused_with_a_protocol_version_alert() {
    let h = Harness::start(Setup::default()).await;
    let answer = answer_to_legacy_hello(&h, [0x03, 0x01], true).await;
    assert_eq!(shape(&answer), fatal_alert(PROTOCOL_VERSION));
}

#[tokio::test]
async fn a_tls_1_1_hello_as_real_clients_send_it_is_refused_with_handshake_failure() {
    // Without signature_algorithms rustls stops one check earlier, with handshake_failure.
    let h = Harness::start(Setup::default()).await;
    let answer = answer_to_legacy_hello(&h, [0x03, 0x02], false).await;
    assert_eq!(shape(&answer), fatal_alert(HANDSHAKE_FAILURE));
}

/// The alert the server sent, from whichever step of the client noticed it.
fn alert_of(e: &io::Error) -> Option<AlertDescription> {
    match e.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_when_one_is_required() {
    let h = Harness::start(Setup::default()).await;
    let config = h.pki.client_config(None, &[b"http/1.1"]);
    // In TLS 1.3 the client finishes its side before the server has judged its (empty)
    // certificate, so the refusal may arrive on the first read instead of the handshake.
    let alert = match connect(h.addr(), config).await {
        Err(e) => alert_of(&e),
        Ok(mut stream) => {
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
            let mut buf = Vec::new();
            let e = stream.read_to_end(&mut buf).await.unwrap_err();
            alert_of(&e)
        }
    };
    assert_eq!(alert, Some(AlertDescription::CertificateRequired));
    assert_eq!(h.upstream.count(), 0);
}

#[tokio::test]
async fn a_certificate_from_an_impostor_ca_of_the_same_name_is_refused() {
    // The impostor CA has the test CA's name but not its key: the signature does not verify.
    let h = Harness::start(Setup::default()).await;
    let stranger = tls_support::Pki::new().client(WHITELISTED);
    let config = h.pki.client_config(Some(&stranger), &[b"http/1.1"]);
    let alert = match connect(h.addr(), config).await {
        Err(e) => alert_of(&e),
        Ok(mut stream) => {
            let mut buf = Vec::new();
            let e = stream.read_to_end(&mut buf).await.unwrap_err();
            alert_of(&e)
        }
    };
    assert_eq!(alert, Some(AlertDescription::DecryptError));
}

#[tokio::test]
async fn a_whitelisted_certificate_reaches_the_upstream_and_is_audited() {
    let h = Harness::start(Setup::default()).await;
    let cert = h.pki.client(WHITELISTED);
    let stream = connect(h.addr(), h.pki.client_config(Some(&cert), &[b"http/1.1"]))
        .await
        .unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let mut send = http1(stream).await;
    let (status, _) = read(send.send_request(h.request()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.upstream.count(), 1);
    // The decision record is on disk before forwarding; an outcome record may follow.
    let records = h.audit();
    assert_eq!(records[0]["decision"], "allow");
    assert!(records.iter().all(|r| r["cert_host"] == WHITELISTED));
}

#[tokio::test]
async fn a_certificate_host_off_the_whitelist_is_denied_and_nothing_is_forwarded() {
    let h = Harness::start(Setup::default()).await;
    let cert = h.pki.client(NOT_WHITELISTED);
    let stream = connect(h.addr(), h.pki.client_config(Some(&cert), &[b"http/1.1"]))
        .await
        .unwrap();
    let mut send = http1(stream).await;
    let (status, body) = read(send.send_request(h.request()).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(diagnostics.starts_with("whitelist_denied"), "{diagnostics}");
    assert_eq!(h.upstream.count(), 0);
    let records = h.audit();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["reason"], "whitelist_denied");
    assert_eq!(records[0]["cert_host"], NOT_WHITELISTED);
}

#[tokio::test]
async fn alpn_h2_serves_http2_over_tls() {
    let h = Harness::start(Setup::default()).await;
    let cert = h.pki.client(WHITELISTED);
    let config = h.pki.client_config(Some(&cert), &[b"h2", b"http/1.1"]);
    let stream = connect(h.addr(), config).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let mut send = http2(stream).await;
    let response = send.send_request(h.request()).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(read(response).await.0, StatusCode::OK);
    assert_eq!(h.upstream.count(), 1);
}

#[tokio::test]
async fn an_optional_client_certificate_may_be_left_out_when_the_whitelist_is_not_checked() {
    let setup = Setup {
        tls: Some(TlsSetup {
            require_client_cert: false,
            whitelist_check: false,
        }),
        ..Setup::default()
    };
    let h = Harness::start(setup).await;
    let stream = connect(h.addr(), h.pki.client_config(None, &[b"http/1.1"]))
        .await
        .unwrap();
    let mut send = http1(stream).await;
    let (status, _) = read(send.send_request(h.request()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.audit()[0]["cert_host"], serde_json::Value::Null);
}

/// `openssl s_client` offering only `version_flag`, when openssl is installed: its exit
/// status and everything it printed. `None` when there is no openssl.
async fn openssl_client(h: &Harness, version_flag: &str) -> Option<(bool, String)> {
    let output = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect", &h.addr().to_string(), version_flag])
        // OpenSSL 3 refuses to offer TLS 1.0/1.1 at its default security level at all.
        .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "localhost"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Some((output.status.success(), text))
}

#[tokio::test]
async fn openssl_s_client_with_tls_1_0_or_1_1_gets_a_handshake_failure_alert() {
    let h = Harness::start(Setup::default()).await;
    for flag in ["-tls1", "-tls1_1"] {
        let Some((success, text)) = openssl_client(&h, flag).await else {
            eprintln!("openssl not installed; the hand-made ClientHello tests cover this");
            return;
        };
        assert!(!success, "{flag}: {text}");
        // No signature_algorithms in a TLS 1.0/1.1 hello: rustls answers handshake_failure.
        assert!(text.contains("SSL alert number 40"), "{flag}: {text}");
        assert!(
            text.contains("no peer certificate available"),
            "{flag}: {text}"
        );
    }
    assert_eq!(h.upstream.count(), 0);
}
