use super::*;
use proptest::prelude::*;
use tokio::io::AsyncReadExt;

const MAX_HEAD: usize = 8192;

/// Feeds `chunks` as successive reads and returns what hyper would see, or the error.
fn feed(chunks: &[&[u8]]) -> Result<Vec<u8>, GuardError> {
    let mut framing = Framing::new(MAX_HEAD);
    let mut pending = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        pending.extend_from_slice(chunk);
        let settled = framing.advance(&mut pending)?;
        out.extend(pending.drain(..settled));
    }
    if !pending.is_empty() && !framing.may_end() {
        return Err(GuardError::AfterRefusedHead);
    }
    out.extend(pending);
    Ok(out)
}

fn one_read(bytes: &[u8]) -> Result<Vec<u8>, GuardError> {
    feed(&[bytes])
}

const CHUNKED: &[u8] = b"POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n\
5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
const SIZED: &[u8] = b"POST /b HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello";
const BOTH: &[u8] =
    b"POST /c HTTP/1.1\r\nHost: gw\r\ncontent-LENGTH: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
3\r\nabc\r\n0\r\n\r\n";
const BOTH_MARKED: &[u8] =
    b"POST /c HTTP/1.1\r\nHost: gw\r\nX-Smuggle-Clen: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
3\r\nabc\r\n0\r\n\r\n";
const GET: &[u8] = b"GET /d HTTP/1.1\r\nHost: gw\r\n\r\n";

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn the_marker_is_as_long_as_content_length() {
    assert_eq!(MARKER.len(), "Content-Length".len());
}

#[test]
fn a_content_length_body_passes_unchanged_and_the_next_head_is_inspected() {
    let input = concat(&[SIZED, BOTH]);
    assert_eq!(one_read(&input), Ok(concat(&[SIZED, BOTH_MARKED])));
}

#[test]
fn a_body_that_looks_like_a_head_is_skipped_by_its_length() {
    let smuggled = b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let len = smuggled.len();
    let head = format!("POST /b HTTP/1.1\r\nContent-Length: {len}\r\n\r\n");
    let input = concat(&[head.as_bytes(), smuggled, GET]);
    assert_eq!(one_read(&input), Ok(input.clone()));
}

#[test]
fn a_chunked_body_with_extensions_and_trailers_passes_unchanged() {
    let input = concat(&[CHUNKED, GET]);
    assert_eq!(one_read(&input), Ok(input.clone()));
}

#[test]
fn a_head_after_a_chunked_body_is_inspected() {
    let input = concat(&[CHUNKED, BOTH]);
    assert_eq!(one_read(&input), Ok(concat(&[CHUNKED, BOTH_MARKED])));
}

#[test]
fn content_length_before_transfer_encoding_is_renamed_to_the_marker() {
    assert_eq!(one_read(BOTH), Ok(BOTH_MARKED.to_vec()));
}

#[test]
fn content_length_after_transfer_encoding_is_renamed_too() {
    let input =
        b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 3\r\n\r\n0\r\n\r\n";
    let expected =
        b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nX-Smuggle-Clen: 3\r\n\r\n0\r\n\r\n";
    assert_eq!(one_read(input), Ok(expected.to_vec()));
}

#[test]
fn every_content_length_line_is_renamed() {
    let input = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n";
    let expected = b"POST / HTTP/1.1\r\nX-Smuggle-Clen: 3\r\nTransfer-Encoding: chunked\r\nX-Smuggle-Clen: 4\r\n\r\n0\r\n\r\n";
    assert_eq!(one_read(input), Ok(expected.to_vec()));
}

#[test]
fn a_head_split_across_reads_is_held_back_until_complete() {
    let mut framing = Framing::new(MAX_HEAD);
    let mut first = BOTH[..20].to_vec();
    assert_eq!(framing.advance(&mut first), Ok(0));
    let mut all = BOTH.to_vec();
    assert_eq!(framing.advance(&mut all), Ok(BOTH.len()));
    assert_eq!(all, BOTH_MARKED);
}

#[test]
fn a_split_at_every_byte_boundary_gives_the_same_output() {
    let input = concat(&[CHUNKED, SIZED, BOTH, GET]);
    let whole = one_read(&input).unwrap();
    for at in 0..=input.len() {
        assert_eq!(
            feed(&[&input[..at], &input[at..]]),
            Ok(whole.clone()),
            "{at}"
        );
    }
}

#[test]
fn a_request_without_framing_headers_has_no_body() {
    let input = concat(&[GET, BOTH]);
    assert_eq!(one_read(&input), Ok(concat(&[GET, BOTH_MARKED])));
}

#[test]
fn bare_lf_line_endings_end_a_head_as_they_do_for_httparse() {
    let input = b"POST / HTTP/1.1\nContent-Length: 1\nTransfer-Encoding: chunked\n\n0\r\n\r\n";
    let expected = b"POST / HTTP/1.1\nX-Smuggle-Clen: 1\nTransfer-Encoding: chunked\n\n0\r\n\r\n";
    assert_eq!(one_read(input), Ok(expected.to_vec()));
}

#[test]
fn leading_empty_lines_before_a_head_are_passed_through() {
    let input = concat(&[b"\r\n\r\n", BOTH]);
    assert_eq!(one_read(&input), Ok(concat(&[b"\r\n\r\n", BOTH_MARKED])));
}

#[test]
fn an_unparseable_head_fails_closed() {
    assert_eq!(
        one_read(b"GET /a b HTTP/1.1\r\n\r\n"),
        Err(GuardError::Head(httparse::Error::Version))
    );
}

#[test]
fn a_malformed_chunk_size_fails_closed() {
    let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_eq!(one_read(input), Err(GuardError::Chunk));
}

#[test]
fn a_chunk_without_its_crlf_fails_closed() {
    let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n";
    assert_eq!(one_read(input), Err(GuardError::Chunk));
}

#[test]
fn an_overflowing_chunk_size_fails_closed() {
    let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n";
    assert_eq!(one_read(input), Err(GuardError::Chunk));
}

#[test]
fn bytes_after_a_head_with_differing_lengths_are_refused() {
    let head = b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
    let mut framing = Framing::new(MAX_HEAD);
    let mut input = concat(&[head, b"ab"]);
    assert_eq!(framing.advance(&mut input), Ok(head.len()));
    let mut rest = b"ab".to_vec();
    assert_eq!(
        framing.advance(&mut rest),
        Err(GuardError::AfterRefusedHead)
    );
}

#[test]
fn bytes_after_a_transfer_encoding_not_ending_in_chunked_are_refused() {
    let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\nx";
    assert_eq!(feed(&[input]), Err(GuardError::AfterRefusedHead));
}

#[test]
fn bytes_after_transfer_encoding_on_http10_are_refused() {
    let input = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(feed(&[input]), Err(GuardError::AfterRefusedHead));
}

#[test]
fn a_coding_before_chunked_is_framed_as_chunked_like_hyper_does() {
    let input = concat(&[
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        BOTH,
    ]);
    let expected = concat(&[
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        BOTH_MARKED,
    ]);
    assert_eq!(one_read(&input), Ok(expected));
}

#[test]
fn a_partial_head_longer_than_the_limit_is_passed_through_and_inspection_stops() {
    let mut framing = Framing::new(16);
    let mut input = concat(&[BOTH]);
    // The head of BOTH is longer than 16 bytes; a read that ends inside it overflows.
    let mut partial = input[..40].to_vec();
    assert_eq!(framing.advance(&mut partial), Ok(40));
    assert_eq!(framing.advance(&mut input[40..]), Ok(BOTH.len() - 40));
    assert_eq!(input, BOTH);
}

#[tokio::test]
async fn the_guard_stream_rewrites_what_hyper_reads_and_nothing_else() {
    let (mut client, server) = tokio::io::duplex(16);
    let input = concat(&[CHUNKED, BOTH, SIZED]);
    let writer = tokio::spawn(async move {
        tokio::io::AsyncWriteExt::write_all(&mut client, &input)
            .await
            .unwrap();
    });
    let mut guard = H1Guard::new(server, MAX_HEAD);
    let mut seen = Vec::new();
    guard.read_to_end(&mut seen).await.unwrap();
    writer.await.unwrap();
    assert_eq!(seen, concat(&[CHUNKED, BOTH_MARKED, SIZED]));
}

#[tokio::test]
async fn the_guard_stream_errors_after_a_refused_head() {
    let input: &[u8] = b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\nbody";
    let mut guard = H1Guard::new(input, MAX_HEAD);
    let mut seen = Vec::new();
    let error = guard.read_to_end(&mut seen).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(seen, b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n");
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let message = prop_oneof![
        Just(CHUNKED.to_vec()),
        Just(SIZED.to_vec()),
        Just(BOTH.to_vec()),
        Just(GET.to_vec()),
    ];
    proptest::collection::vec(message, 1..6).prop_map(|m| m.concat())
}

proptest! {
    #[test]
    fn any_split_of_a_stream_gives_the_same_output_as_one_read(
        input in stream(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for cut in at {
            chunks.push(&input[from..cut]);
            from = cut;
        }
        chunks.push(&input[from..]);
        prop_assert_eq!(feed(&chunks), one_read(&input));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_keep_their_length(
        input in proptest::collection::vec(any::<u8>(), 0..512),
        cut in any::<prop::sample::Index>(),
    ) {
        let at = cut.index(input.len() + 1);
        if let Ok(out) = feed(&[&input[..at], &input[at..]]) {
            prop_assert_eq!(out.len(), input.len());
        }
    }
}
