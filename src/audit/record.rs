//! One audit record and its exact line form, hash chain included.
//!
//! [`Record`] holds the decision fields of SPEC §11 and nothing else: there is no field for a
//! token, a credential, a query string or a body, so none can be written. The chain members
//! `prev_hash` and `hash` are not part of [`Record`]: only the writer knows the chain, so
//! [`encode`] appends them. The verifier ([`super::verify`]) recomputes the same hash from the
//! line's text. The hash definition itself is documented in the parent module.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::reason::Reason;

/// `prev_hash` of the first record of a file.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Every member of a line, in line order. Nothing else may appear.
pub const FIELDS: [&str; 19] = [
    "ts",
    "request_id",
    "correlation_id",
    "kind",
    "client",
    "cert_host",
    "provider",
    "requested_service",
    "effective_service",
    "glg",
    "decision",
    "reason",
    "method",
    "path",
    "status",
    "upstream_ms",
    "sub_hash",
    "prev_hash",
    "hash",
];

/// Which MedMij exchange a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Resource,
    Authorize,
    Token,
}

/// The gateway's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

/// One decision, as written to the audit trail (SPEC §11), without its chain members.
///
/// Field order is line order. `None` is written as JSON `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// When the decision was taken; written in UTC with microseconds (`...T12:00:00.000123Z`).
    #[serde(serialize_with = "ts_micros")]
    pub ts: DateTime<Utc>,
    /// `MedMij-Request-ID` of the request (generated when the client sent none).
    pub request_id: String,
    /// `X-Correlation-ID` as the client sent it.
    pub correlation_id: Option<String>,
    pub kind: Kind,
    /// OAuth `client_id` (the DVP's OCL hostname).
    pub client: Option<String>,
    /// DNS name of the client certificate (mTLS).
    pub cert_host: Option<String>,
    /// Zorgaanbieder name with `@medmij`.
    pub provider: Option<String>,
    pub requested_service: Option<String>,
    pub effective_service: Option<String>,
    /// GLG id for GLG traffic.
    pub glg: Option<String>,
    pub decision: Decision,
    pub reason: Option<Reason>,
    pub method: String,
    /// The request path only. Whatever follows a `?` or `#` is cut off when the line is
    /// written: a query string may carry an authorization code or a token and never reaches
    /// the audit trail, even when a caller passes the whole request target here.
    #[serde(serialize_with = "path_only")]
    pub path: String,
    /// Status answered to the client.
    pub status: Option<u16>,
    /// Time the upstream took, in milliseconds, for forwarded requests.
    pub upstream_ms: Option<u64>,
    /// [`sub_hash`] of the token's `sub`.
    pub sub_hash: Option<String>,
}

impl Record {
    /// A record with the always-present fields set and every optional field `None`.
    pub fn new(
        ts: DateTime<Utc>,
        kind: Kind,
        request_id: impl Into<String>,
        decision: Decision,
        method: impl Into<String>,
        path: impl Into<String>,
    ) -> Record {
        Record {
            ts,
            request_id: request_id.into(),
            correlation_id: None,
            kind,
            client: None,
            cert_host: None,
            provider: None,
            requested_service: None,
            effective_service: None,
            glg: None,
            decision,
            reason: None,
            method: method.into(),
            path: path.into(),
            status: None,
            upstream_ms: None,
            sub_hash: None,
        }
    }
}

/// Hex SHA-256 of a token's `sub`: lets an auditor follow one subject without the audit
/// trail naming it.
pub fn sub_hash(sub: &str) -> String {
    hex::encode(Sha256::digest(sub.as_bytes()))
}

/// `hash` of a record: hex SHA-256 over `prev_hash` (64 hex characters) followed by the
/// record's line without its `hash` member.
pub fn chain_hash(prev_hash: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// A record as it goes into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The JSON object followed by `\n`.
    pub text: String,
    /// This record's `hash`: the next record's `prev_hash`.
    pub hash: String,
}

/// The line for `rec` chained after a record whose hash is `prev_hash`.
pub fn encode(rec: &Record, prev_hash: &str) -> Result<Line, serde_json::Error> {
    let mut text = serde_json::to_string(rec)?;
    // `{..."sub_hash":...}` becomes `{..."sub_hash":...,"prev_hash":"<hex>"}`: the hashed body.
    text.pop();
    text.push_str(",\"prev_hash\":\"");
    text.push_str(prev_hash);
    text.push_str("\"}");
    let hash = chain_hash(prev_hash, text.as_bytes());
    text.pop();
    text.push_str(",\"hash\":\"");
    text.push_str(&hash);
    text.push_str("\"}\n");
    Ok(Line { text, hash })
}

/// Length of the `,"hash":"<64 hex>"}` suffix every line ends with.
pub const HASH_SUFFIX_LEN: usize = ",\"hash\":\"\"}".len() + 64;

/// Splits a line (without its `\n`) into the hashed body (closed with `}`, as it was hashed)
/// and the stored hash, when the line ends in a well-formed hash member.
pub fn split_hash(line: &[u8]) -> Option<(Vec<u8>, &str)> {
    let cut = line.len().checked_sub(HASH_SUFFIX_LEN)?;
    let (head, suffix) = line.split_at(cut);
    let hex = suffix.strip_prefix(b",\"hash\":\"")?.strip_suffix(b"\"}")?;
    if !is_hash_hex(hex) {
        return None;
    }
    let mut body = Vec::with_capacity(head.len() + 1);
    body.extend_from_slice(head);
    body.push(b'}');
    let hash = std::str::from_utf8(hex).ok()?;
    Some((body, hash))
}

/// 64 lowercase hex digits.
pub fn is_hash_hex(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn ts_micros<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&ts.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

fn path_only<S: Serializer>(path: &str, s: S) -> Result<S::Ok, S::Error> {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    s.serialize_str(&path[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> Record {
        let ts = Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap()
            + chrono::Duration::microseconds(1234);
        Record::new(
            ts,
            Kind::Resource,
            "req-1",
            Decision::Deny,
            "GET",
            "/fhir/Patient",
        )
    }

    #[test]
    fn sub_hash_is_the_hex_sha256_of_the_subject() {
        assert_eq!(
            sub_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_minimal_record_encodes_to_the_exact_documented_line() {
        let line = encode(&sample(), GENESIS_HASH).unwrap();
        let body = format!(
            "{{\"ts\":\"2026-11-02T09:30:00.001234Z\",\"request_id\":\"req-1\",\
             \"correlation_id\":null,\"kind\":\"resource\",\"client\":null,\"cert_host\":null,\
             \"provider\":null,\"requested_service\":null,\"effective_service\":null,\
             \"glg\":null,\"decision\":\"deny\",\"reason\":null,\"method\":\"GET\",\
             \"path\":\"/fhir/Patient\",\"status\":null,\"upstream_ms\":null,\
             \"sub_hash\":null,\"prev_hash\":\"{GENESIS_HASH}\"}}"
        );
        let hash = chain_hash(GENESIS_HASH, body.as_bytes());
        let expected = format!("{}{}\"hash\":\"{hash}\"}}\n", &body[..body.len() - 1], ",");
        assert_eq!(line.text, expected);
        assert_eq!(line.hash, hash);
    }

    #[test]
    fn the_query_string_and_fragment_never_reach_the_line() {
        let mut rec = sample();
        rec.path = "/oauth/token?code=secret-code&access_token=t0k3n#frag".into();
        let line = encode(&rec, GENESIS_HASH).unwrap();
        assert!(line.text.contains("\"path\":\"/oauth/token\""));
        assert!(!line.text.contains("secret-code"));
        assert!(!line.text.contains("t0k3n"));
    }

    #[test]
    fn the_reason_is_written_as_its_stable_code() {
        let mut rec = sample();
        rec.reason = Some(Reason::CopyServiceNotGlgDvp);
        rec.status = Some(403);
        let line = encode(&rec, GENESIS_HASH).unwrap();
        assert!(
            line.text
                .contains("\"reason\":\"copy_service_not_glg_dvp\",\"method\"")
        );
        assert!(line.text.contains("\"status\":403,"));
    }

    #[test]
    fn members_appear_exactly_in_spec_order() {
        let line = encode(&sample(), GENESIS_HASH).unwrap();
        let positions: Vec<usize> = FIELDS
            .iter()
            .map(|f| line.text.find(&format!("\"{f}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn split_hash_returns_the_hashed_body_and_the_stored_hash() {
        let line = encode(&sample(), GENESIS_HASH).unwrap();
        let bytes = line.text.trim_end_matches('\n').as_bytes();
        let (body, hash) = split_hash(bytes).unwrap();
        assert_eq!(hash, line.hash);
        assert_eq!(chain_hash(GENESIS_HASH, &body), line.hash);
    }

    #[test]
    fn split_hash_refuses_an_uppercase_or_short_hash() {
        let upper = format!("{{\"a\":1,\"hash\":\"{}\"}}", "A".repeat(64));
        let short = format!("{{\"a\":1,\"hash\":\"{}\"}}", "a".repeat(63));
        assert_eq!(split_hash(upper.as_bytes()), None);
        assert_eq!(split_hash(short.as_bytes()), None);
    }
}
