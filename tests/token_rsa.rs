//! RS256 with the committed test-only RSA key pair (tests/fixtures/token-test-rsa.*): the
//! JWKS path for RSA keys, and the algorithm-confusion attacks that RSA keys invite.

mod token_support;

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use scopegate::config::Source;
use scopegate::reason::Reason;
use scopegate::token::{TokenError, TokenValidator};
use token_support::{claims, http_client, jwt_tokens};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn validator() -> TokenValidator {
    let tokens = jwt_tokens(Source::File(fixture("token-test-rsa.jwks.json")));
    TokenValidator::new(&tokens, http_client(Duration::from_secs(1)))
        .await
        .unwrap()
}

fn rsa_signed(alg: Algorithm, kid: Option<&str>) -> String {
    let pem = std::fs::read(fixture("token-test-rsa.key.pem")).unwrap();
    let key = EncodingKey::from_rsa_pem(&pem).unwrap();
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims(5_000), &key).unwrap()
}

#[tokio::test]
async fn accepts_an_rs256_token_signed_with_the_test_key() {
    let v = validator().await;
    let claims = v
        .validate(&rsa_signed(Algorithm::RS256, Some("rsa-test-1")), 1_000)
        .await;
    assert_eq!(claims.unwrap().client_id, "medmij.deenigeechtepgo.nl");
}

#[tokio::test]
async fn rejects_ps256_when_the_jwk_pins_rs256() {
    let v = validator().await;
    let mut tokens = jwt_tokens(Source::File(fixture("token-test-rsa.jwks.json")));
    tokens.algorithms.push(Algorithm::PS256);
    let v2 = TokenValidator::new(&tokens, http_client(Duration::from_secs(1)))
        .await
        .unwrap();
    let token = rsa_signed(Algorithm::PS256, Some("rsa-test-1"));
    let err = v2.validate(&token, 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::KeyMismatch {
            alg: Algorithm::PS256
        }
    ));
    // And with the default allow-list PS256 is not even allowed.
    let err = v.validate(&token, 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::AlgorithmNotAllowed {
            alg: Algorithm::PS256
        }
    ));
}

#[tokio::test]
async fn rejects_hs256_signed_with_the_public_pem_as_secret() {
    let v = validator().await;
    let public_pem = std::fs::read(fixture("token-test-rsa.pub.pem")).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-test-1".to_owned());
    let forged = jsonwebtoken::encode(
        &header,
        &claims(5_000),
        &EncodingKey::from_secret(&public_pem),
    )
    .unwrap();
    let err = v.validate(&forged, 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::AlgorithmNotAllowed {
            alg: Algorithm::HS256
        }
    ));
    assert_eq!(err.reason(), Reason::TokenInvalid);
}

#[tokio::test]
async fn rejects_an_rs256_token_claimed_under_an_unknown_kid() {
    let v = validator().await;
    let err = v
        .validate(&rsa_signed(Algorithm::RS256, Some("rsa-test-2")), 1_000)
        .await;
    assert!(matches!(err.err(), Some(TokenError::UnknownKey)));
}
