//! The claim checks shared by JWT and introspection mode: `iss`, `aud`, `exp`, `nbf` with
//! leeway, and extraction of client, scope and subject.
//!
//! Pure: takes the claim object and `now` and returns a value. It does not verify signatures
//! or talk to anything; [`super::jwt`] calls it after a signature verified and
//! [`super::introspection`] after the endpoint said `active: true`.

use serde_json::{Map, Value};

use super::TokenError;
use crate::config::Tokens;

/// What scopegate takes from a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// From the configured `client_claim`: the DVP's OCL hostname.
    pub client_id: String,
    /// From the configured `scope_claim`, unparsed (SPEC §5 parsing is [`crate::scope`]'s).
    pub scope: String,
    pub sub: Option<String>,
    /// Seconds since the Unix epoch.
    pub exp: i64,
}

/// [`Claims`] plus what the cache needs to know about the token's validity window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    pub claims: Claims,
    pub nbf: Option<i64>,
}

/// The checks of SPEC §7 row 4 that do not depend on how the claims were obtained.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub issuer: String,
    pub audience: Option<String>,
    /// Seconds; applies to `exp` and `nbf`.
    pub leeway: i64,
    pub client_claim: String,
    pub scope_claim: String,
}

impl ClaimRules {
    pub fn from_config(tokens: &Tokens) -> Self {
        ClaimRules {
            issuer: tokens.issuer.clone(),
            audience: tokens.audience.clone(),
            leeway: i64::try_from(tokens.leeway.as_secs()).unwrap_or(i64::MAX),
            client_claim: tokens.client_claim.clone(),
            scope_claim: tokens.scope_claim.clone(),
        }
    }

    /// The last second (exclusive) at which a token with this `exp` is still accepted.
    pub fn accept_until(&self, exp: i64) -> i64 {
        exp.saturating_add(self.leeway)
    }

    /// Checks the claims at `now` (Unix seconds). A token is valid while
    /// `nbf - leeway <= now < exp + leeway`.
    pub fn check(&self, claims: &Map<String, Value>, now: i64) -> Result<Checked, TokenError> {
        let exp = numeric_date(claims, "exp")?.ok_or(TokenError::MissingClaim {
            claim: "exp".to_owned(),
        })?;
        let nbf = numeric_date(claims, "nbf")?;

        match claims.get("iss") {
            None => {
                return Err(TokenError::MissingClaim {
                    claim: "iss".to_owned(),
                });
            }
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(_) => return Err(TokenError::WrongIssuer),
        }
        if let Some(audience) = &self.audience {
            check_audience(claims.get("aud"), audience)?;
        }

        if now >= self.accept_until(exp) {
            return Err(TokenError::Expired { exp });
        }
        if let Some(nbf) = nbf {
            if now < nbf.saturating_sub(self.leeway) {
                return Err(TokenError::NotYetValid { nbf });
            }
        }

        let client_id = required_string(claims, &self.client_claim)?;
        let scope = required_string(claims, &self.scope_claim)?;
        let sub = match claims.get("sub") {
            None | Some(Value::Null) => None,
            Some(Value::String(sub)) => Some(sub.clone()),
            Some(_) => {
                return Err(TokenError::MistypedClaim {
                    claim: "sub".to_owned(),
                });
            }
        };
        Ok(Checked {
            claims: Claims {
                client_id,
                scope,
                sub,
                exp,
            },
            nbf,
        })
    }
}

fn check_audience(aud: Option<&Value>, expected: &str) -> Result<(), TokenError> {
    let matches = match aud {
        None => {
            return Err(TokenError::MissingClaim {
                claim: "aud".to_owned(),
            });
        }
        Some(Value::String(aud)) => aud == expected,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected)),
        Some(_) => false,
    };
    if matches {
        Ok(())
    } else {
        Err(TokenError::WrongAudience)
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, fractions rounded down.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    let mistyped = || TokenError::MistypedClaim {
        claim: name.to_owned(),
    };
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.floor() as i64)),
                    _ => Err(mistyped()),
                }
            }
        }
        Some(_) => Err(mistyped()),
    }
}

/// A claim that must be present as a non-empty string.
fn required_string(claims: &Map<String, Value>, name: &str) -> Result<String, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(TokenError::MissingClaim {
            claim: name.to_owned(),
        }),
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(TokenError::MistypedClaim {
            claim: name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::Reason;
    use serde_json::json;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: "https://auth.example".to_owned(),
            audience: Some("scopegate".to_owned()),
            leeway: 30,
            client_claim: "client_id".to_owned(),
            scope_claim: "scope".to_owned(),
        }
    }

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://auth.example",
            "aud": "scopegate",
            "exp": 1_000,
            "client_id": "medmij.pgo.example",
            "scope": "umcharderwijk~48",
            "sub": "patient-1",
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            for (k, v) in extra {
                if v.is_null() {
                    base.remove(&k);
                } else {
                    base.insert(k, v);
                }
            }
        }
        match base {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn reason_of(extra: Value, now: i64) -> Reason {
        match rules().check(&claims(extra), now) {
            Ok(_) => panic!("expected a rejection"),
            Err(e) => e.reason(),
        }
    }

    #[test]
    fn accepts_a_valid_claim_set_and_extracts_client_scope_sub_and_exp() {
        let checked = rules().check(&claims(json!({})), 900).unwrap();
        assert_eq!(
            checked.claims,
            Claims {
                client_id: "medmij.pgo.example".to_owned(),
                scope: "umcharderwijk~48".to_owned(),
                sub: Some("patient-1".to_owned()),
                exp: 1_000,
            }
        );
        assert_eq!(checked.nbf, None);
    }

    #[test]
    fn rejects_a_wrong_issuer() {
        let err = rules().check(&claims(json!({"iss": "https://evil.example"})), 900);
        assert!(matches!(err, Err(TokenError::WrongIssuer)));
        assert_eq!(
            reason_of(json!({"iss": "https://evil.example"}), 900),
            Reason::TokenInvalid
        );
    }

    #[test]
    fn rejects_a_missing_issuer() {
        let err = rules().check(&claims(json!({"iss": null})), 900);
        assert!(matches!(err, Err(TokenError::MissingClaim { claim }) if claim == "iss"));
    }

    #[test]
    fn rejects_a_wrong_audience() {
        let err = rules().check(&claims(json!({"aud": "someone-else"})), 900);
        assert!(matches!(err, Err(TokenError::WrongAudience)));
    }

    #[test]
    fn accepts_the_audience_inside_an_array() {
        let ok = rules().check(&claims(json!({"aud": ["other", "scopegate"]})), 900);
        assert!(ok.is_ok());
    }

    #[test]
    fn rejects_a_missing_audience_when_one_is_configured() {
        let err = rules().check(&claims(json!({"aud": null})), 900);
        assert!(matches!(err, Err(TokenError::MissingClaim { claim }) if claim == "aud"));
    }

    #[test]
    fn ignores_the_audience_when_none_is_configured() {
        let mut r = rules();
        r.audience = None;
        assert!(r.check(&claims(json!({"aud": "anyone"})), 900).is_ok());
    }

    #[test]
    fn rejects_a_token_without_exp() {
        let err = rules().check(&claims(json!({"exp": null})), 900);
        assert!(matches!(err, Err(TokenError::MissingClaim { claim }) if claim == "exp"));
        assert_eq!(reason_of(json!({"exp": null}), 900), Reason::TokenInvalid);
    }

    #[test]
    fn rejects_a_string_exp() {
        let err = rules().check(&claims(json!({"exp": "1000"})), 900);
        assert!(matches!(err, Err(TokenError::MistypedClaim { claim }) if claim == "exp"));
    }

    #[test]
    fn accepts_an_expired_token_within_the_leeway() {
        assert!(rules().check(&claims(json!({})), 1_029).is_ok());
    }

    #[test]
    fn rejects_a_token_expired_beyond_the_leeway_as_expired() {
        let err = rules().check(&claims(json!({})), 1_030);
        assert!(matches!(err, Err(TokenError::Expired { exp: 1_000 })));
        assert_eq!(reason_of(json!({}), 1_030), Reason::TokenExpired);
    }

    #[test]
    fn rounds_a_fractional_exp_down() {
        let checked = rules().check(&claims(json!({"exp": 1000.9})), 900).unwrap();
        assert_eq!(checked.claims.exp, 1_000);
    }

    #[test]
    fn rejects_a_token_whose_nbf_is_beyond_the_leeway() {
        let err = rules().check(&claims(json!({"nbf": 931})), 900);
        assert!(matches!(err, Err(TokenError::NotYetValid { nbf: 931 })));
        assert_eq!(reason_of(json!({"nbf": 931}), 900), Reason::TokenInvalid);
    }

    #[test]
    fn accepts_a_token_whose_nbf_is_within_the_leeway() {
        let checked = rules().check(&claims(json!({"nbf": 930})), 900).unwrap();
        assert_eq!(checked.nbf, Some(930));
    }

    #[test]
    fn rejects_a_missing_client_claim() {
        let err = rules().check(&claims(json!({"client_id": null})), 900);
        assert!(matches!(err, Err(TokenError::MissingClaim { claim }) if claim == "client_id"));
    }

    #[test]
    fn rejects_a_numeric_client_claim() {
        let err = rules().check(&claims(json!({"client_id": 42})), 900);
        assert!(matches!(err, Err(TokenError::MistypedClaim { claim }) if claim == "client_id"));
    }

    #[test]
    fn rejects_a_missing_scope_claim() {
        let err = rules().check(&claims(json!({"scope": null})), 900);
        assert!(matches!(err, Err(TokenError::MissingClaim { claim }) if claim == "scope"));
        assert_eq!(reason_of(json!({"scope": null}), 900), Reason::TokenInvalid);
    }

    #[test]
    fn rejects_a_scope_given_as_an_array() {
        let err = rules().check(&claims(json!({"scope": ["umcharderwijk~48"]})), 900);
        assert!(matches!(err, Err(TokenError::MistypedClaim { claim }) if claim == "scope"));
    }

    #[test]
    fn reads_client_and_scope_from_the_configured_claim_names() {
        let mut r = rules();
        r.client_claim = "azp".to_owned();
        r.scope_claim = "scp".to_owned();
        let checked = r
            .check(&claims(json!({"azp": "dvp.example", "scp": "za~1"})), 900)
            .unwrap();
        assert_eq!(checked.claims.client_id, "dvp.example");
        assert_eq!(checked.claims.scope, "za~1");
    }

    #[test]
    fn treats_a_missing_sub_as_none() {
        let checked = rules().check(&claims(json!({"sub": null})), 900).unwrap();
        assert_eq!(checked.claims.sub, None);
    }
}
