//! A small, real ES256 token issuer for `scopegate demo` and the tests.
//!
//! It generates a fresh P-256 key pair with `ring`, publishes the public half as a JWKS and
//! signs whatever claims it is given. It is not an authorization server: it checks nothing,
//! keeps no state and its key lives only in memory. The request path never calls it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    #[error("cannot generate a P-256 key pair")]
    Generate,
}

/// An ES256 issuer with one in-memory key.
pub struct Issuer {
    issuer: String,
    kid: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// A new issuer named `issuer` (the `iss` its tokens should carry) whose key is `kid`.
    pub fn generate(issuer: &str, kid: &str) -> Result<Issuer, IssuerError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| IssuerError::Generate)?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| IssuerError::Generate)?;
        Ok(Issuer {
            issuer: issuer.to_owned(),
            kid: kid.to_owned(),
            key,
            rng,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWKS document with one EC P-256 key.
    pub fn jwks_json(&self) -> String {
        json!({ "keys": [self.public_jwk()] }).to_string()
    }

    /// The public key as one JWK (to combine several issuers into one JWKS).
    pub fn public_jwk(&self) -> Value {
        // An uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
        let point = self.key.public_key().as_ref();
        let coordinates = point.get(1..).unwrap_or_default();
        let (x, y) = coordinates.split_at(coordinates.len() / 2);
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
        })
    }

    /// A compact JWS over `claims` with header `{"alg":"ES256","typ":"JWT","kid":<kid>}`.
    /// The claims are signed as given; `iss` is not added.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "ES256", "typ": "JWT", "kid": self.kid });
        self.sign_with_header(&header, claims)
    }

    /// A compact JWS over `claims` with an arbitrary header, signed with this issuer's key
    /// whatever the header says (tests use it to forge `alg` and `kid`).
    ///
    /// # Panics
    /// Only if the operating system's random generator fails, which `ring` reports for
    /// ECDSA nonces; there is no token to hand out without it.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        #[allow(clippy::expect_used)]
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("the system random generator works");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishes_a_p256_jwk_with_32_byte_coordinates() {
        let issuer = Issuer::generate("https://auth.example", "k1").unwrap();
        let jwk = issuer.public_jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["kid"], "k1");
        for coord in ["x", "y"] {
            let bytes = URL_SAFE_NO_PAD
                .decode(jwk[coord].as_str().unwrap())
                .unwrap();
            assert_eq!(bytes.len(), 32);
        }
    }

    #[test]
    fn the_jwks_holds_no_private_key_material() {
        let issuer = Issuer::generate("https://auth.example", "k1").unwrap();
        let jwks: Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
        assert_eq!(jwks["keys"][0].get("d"), None);
    }

    #[test]
    fn signs_a_token_jsonwebtoken_verifies_with_the_published_key() {
        let issuer = Issuer::generate("https://auth.example", "k1").unwrap();
        let token = issuer.sign(&json!({"sub": "s", "exp": 10}));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(issuer.public_jwk()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims, json!({"sub": "s", "exp": 10}));
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
    }
}
