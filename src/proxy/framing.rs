//! Refuses ambiguous request framing before anything reaches an upstream, and caps bodies.
//!
//! [`check`] runs on the request head, before authentication, and answers with the
//! [`Reason`] to deny with; [`limited_body`] wraps the streamed request body so that it stops
//! with [`http_body_util::LengthLimitError`] past `max_body_bytes` (a chunked body announces
//! no length, so only counting can catch it).
//!
//! What hyper 1.x (1.13) already does on its own for HTTP/1 requests, before our code runs
//! (see `hyper::proto::h1::role`, and the `http_framing` integration test):
//! - several `Content-Length` values that differ, a non-numeric one or a comma list
//!   (`5, 5`): bare `400 Bad Request`, connection closed; our service never sees it;
//! - repeated *equal* `Content-Length` lines: merged into one, accepted;
//! - `Transfer-Encoding` whose last coding is not `chunked`, or any `Transfer-Encoding` on
//!   HTTP/1.0: bare 400;
//! - both `Content-Length` and `Transfer-Encoding: chunked`: accepted as chunked, the
//!   `Content-Length` is *removed* and the connection closes after the response
//!   (RFC 9112 §6.3). Our code would not see that a `Content-Length` was there, hence the
//!   marker below.
//!
//! What reaches [`check`] and is refused here with `request_malformed`: a
//! `Transfer-Encoding` that is not exactly `chunked` (`gzip, chunked`, or several lines),
//! both headers at once (possible on paths hyper does not normalise, e.g. HTTP/2 where
//! `Transfer-Encoding` is itself illegal), several or non-numeric `Content-Length` values.
//! A `Content-Length` above `max_body_bytes` is `body_too_large`.
//!
//! Both headers on HTTP/1: `server`'s read-side guard sees the raw head before hyper does
//! and renames every `Content-Length` to [`SMUGGLED_LENGTH_MARKER`] (same length, so nothing
//! else moves); [`check`] refuses any request carrying that header with `request_malformed`.
//! A client that sends the marker header itself is refused the same way, which is harmless:
//! no legitimate client sends it.
//!
//! It does not read bodies and does not build responses ([`super::respond`] does).

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, Limited};

use super::respond::{Body, BoxError};
use crate::reason::Reason;

/// The header name a `Content-Length` is renamed to when it came with `Transfer-Encoding`;
/// exactly as long as `Content-Length`.
pub const SMUGGLED_LENGTH_MARKER: &str = "X-Smuggle-Clen";

/// Checks the framing headers of a request; `Ok` carries the declared length, if any.
pub fn check(headers: &HeaderMap, max_body_bytes: u64) -> Result<Option<u64>, Reason> {
    if headers.contains_key(SMUGGLED_LENGTH_MARKER) {
        return Err(Reason::RequestMalformed);
    }
    let lengths: Vec<_> = headers.get_all(CONTENT_LENGTH).iter().collect();
    let encodings: Vec<_> = headers.get_all(TRANSFER_ENCODING).iter().collect();

    if !encodings.is_empty() {
        let only_chunked = matches!(encodings.as_slice(), [one] if one.as_bytes().eq_ignore_ascii_case(b"chunked"));
        if !only_chunked || !lengths.is_empty() {
            return Err(Reason::RequestMalformed);
        }
        return Ok(None);
    }

    match lengths.as_slice() {
        [] => Ok(None),
        [one] => {
            let length = parse_length(one.as_bytes()).ok_or(Reason::RequestMalformed)?;
            if length > max_body_bytes {
                Err(Reason::BodyTooLarge)
            } else {
                Ok(Some(length))
            }
        }
        _ => Err(Reason::RequestMalformed),
    }
}

/// The request body, streamed, ending in an error once more than `max_body_bytes` came.
pub fn limited_body<B>(body: B, max_body_bytes: u64) -> Body
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let limit = usize::try_from(max_body_bytes).unwrap_or(usize::MAX);
    Limited::new(body, limit).boxed_unsync()
}

/// Whether an error (or anything in its source chain) is the body limit being hit.
pub fn is_body_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Digits only, as RFC 9110 §8.6 has it; no sign, no spaces, no list.
fn parse_length(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http_body_util::Full;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn accepts_no_body_framing() {
        assert_eq!(check(&HeaderMap::new(), 10), Ok(None));
    }

    #[test]
    fn accepts_one_content_length_within_the_limit() {
        assert_eq!(
            check(&headers(&[("content-length", "10")]), 10),
            Ok(Some(10))
        );
    }

    #[test]
    fn accepts_chunked_in_any_case() {
        assert_eq!(
            check(&headers(&[("transfer-encoding", "Chunked")]), 10),
            Ok(None)
        );
    }

    #[test]
    fn refuses_a_content_length_above_the_limit_as_too_large() {
        let h = headers(&[("content-length", "11")]);
        assert_eq!(check(&h, 10), Err(Reason::BodyTooLarge));
    }

    #[test]
    fn refuses_both_content_length_and_transfer_encoding() {
        let h = headers(&[("content-length", "3"), ("transfer-encoding", "chunked")]);
        assert_eq!(check(&h, 10), Err(Reason::RequestMalformed));
    }

    #[test]
    fn refuses_the_marker_of_a_length_sent_with_transfer_encoding() {
        let h = headers(&[("x-smuggle-clen", "3"), ("transfer-encoding", "chunked")]);
        assert_eq!(check(&h, 10), Err(Reason::RequestMalformed));
    }

    #[test]
    fn refuses_the_marker_header_on_its_own() {
        assert_eq!(
            check(&headers(&[("X-Smuggle-Clen", "3")]), 10),
            Err(Reason::RequestMalformed)
        );
    }

    #[test]
    fn refuses_several_content_lengths_even_when_equal() {
        let h = headers(&[("content-length", "3"), ("content-length", "3")]);
        assert_eq!(check(&h, 10), Err(Reason::RequestMalformed));
    }

    #[test]
    fn refuses_non_numeric_content_lengths() {
        for v in [
            "",
            "+3",
            "3 ",
            "3,3",
            "0x10",
            "-1",
            "99999999999999999999999",
        ] {
            assert_eq!(
                check(&headers(&[("content-length", v)]), u64::MAX),
                Err(Reason::RequestMalformed),
                "{v:?}"
            );
        }
    }

    #[test]
    fn refuses_transfer_codings_other_than_exactly_chunked() {
        for v in [
            "gzip, chunked",
            "chunked, chunked",
            "gzip",
            "identity",
            "chunked;x=1",
        ] {
            let h = headers(&[("transfer-encoding", v)]);
            assert_eq!(check(&h, 10), Err(Reason::RequestMalformed), "{v:?}");
        }
    }

    #[test]
    fn refuses_several_transfer_encoding_lines() {
        let h = headers(&[
            ("transfer-encoding", "chunked"),
            ("transfer-encoding", "chunked"),
        ]);
        assert_eq!(check(&h, 10), Err(Reason::RequestMalformed));
    }

    #[tokio::test]
    async fn a_limited_body_errors_past_the_limit() {
        let body = limited_body(Full::new(Bytes::from_static(b"12345")), 4);
        let error = body.collect().await.err().unwrap();
        assert!(is_body_too_large(error.as_ref()));
    }

    #[tokio::test]
    async fn a_limited_body_at_the_limit_arrives_whole() {
        let body = limited_body(Full::new(Bytes::from_static(b"1234")), 4);
        assert_eq!(
            body.collect().await.unwrap().to_bytes(),
            Bytes::from_static(b"1234")
        );
    }
}
