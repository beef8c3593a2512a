//! A read-side inspector for HTTP/1 connections that marks requests framed two ways at once.
//!
//! hyper 1.x accepts a request carrying both `Content-Length` and `Transfer-Encoding`,
//! silently drops the length and decodes the body as chunked, so the service never learns
//! the client sent both (RFC 9112 §6.3 allows that; the issue requires a refusal).
//! [`H1Guard`] sits between the socket and hyper, follows HTTP/1 message boundaries on the
//! bytes hyper reads (request head → body by its framing → next head), and when a head has
//! both headers it renames every `Content-Length` in place to [`MARKER`], which is exactly as
//! long. hyper then sees only `Transfer-Encoding`, and [`crate::proxy::framing::check`]
//! refuses any request carrying the marker with `request_malformed`. No other byte changes.
//!
//! Cost: heads are scanned for their blank line and parsed once with `httparse` (the parser
//! hyper uses); body bytes are skipped by count; chunked bodies only have their size lines,
//! chunk ends and trailers walked byte by byte. A head not complete at the end of a read is
//! held back (at most `max_head` bytes, the server's `max_header_bytes`) so that its names can
//! still be rewritten: hyper would hold those bytes too. A partial head longer than that is
//! passed through and inspection stops, because hyper answers such a head with 431 once it
//! completes (`parsed_len > max_header_size`) and closes the connection.
//!
//! Fail closed: a head `httparse` rejects, a malformed chunk line, or any byte after a head
//! hyper will refuse (invalid or differing lengths, a `Transfer-Encoding` not ending in
//! `chunked`, `Transfer-Encoding` on HTTP/1.0) ends the read side with an io error.
//!
//! It does not know HTTP/2 (the server only wraps connections it serves as HTTP/1), does not
//! buffer bodies, and decides nothing itself. Called by [`super`]'s connection task.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

use crate::proxy::framing::SMUGGLED_LENGTH_MARKER;

/// What a `Content-Length` name becomes when `Transfer-Encoding` is present too.
pub const MARKER: &[u8] = SMUGGLED_LENGTH_MARKER.as_bytes();

const CONTENT_LENGTH: &str = "content-length";
// As long as the name it replaces, so no offset in the head moves.
const _: () = assert!(MARKER.len() == CONTENT_LENGTH.len());
const TRANSFER_ENCODING: &str = "transfer-encoding";
/// hyper's `DEFAULT_MAX_HEADERS`; a head with more is refused by hyper too.
const MAX_HEADERS: usize = 100;

/// Why the inspector gave up on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("the request head does not parse: {0}")]
    Head(httparse::Error),
    #[error("the chunked body is malformed")]
    Chunk,
    #[error("bytes followed a request head the server refuses")]
    AfterRefusedHead,
}

impl From<GuardError> for io::Error {
    fn from(e: GuardError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting (more of) a request head.
    Head,
    /// This many body bytes still to skip.
    Length(u64),
    Chunked(Chunk),
    /// A partial head grew past `max_head`: hyper will refuse it, stop looking.
    Opaque,
    /// A complete head hyper will refuse: nothing after it is let through.
    Refused,
}

/// hyper's chunked decoder states (`proto::h1::decode::ChunkedState`) and transitions; a size
/// line without a hex digit is refused here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size { size: u64, digits: u8 },
    SizeLws(u64),
    Extension(u64),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    EndCr,
    Trailer,
    TrailerLf,
    EndLf,
}

/// The pure state machine: HTTP/1 request boundaries over a byte stream.
#[derive(Debug)]
pub struct Framing {
    state: State,
    max_head: usize,
    /// Bytes of the held-back head already scanned for its blank line.
    scanned: usize,
}

impl Framing {
    pub fn new(max_head: usize) -> Self {
        Self {
            state: State::Head,
            max_head,
            scanned: 0,
        }
    }

    /// Inspects `bytes` (which start with the bytes left unsettled by the previous call),
    /// rewriting heads in place, and returns how many leading bytes are settled and may go to
    /// hyper. The rest is the start of an incomplete head, to be offered again with more.
    pub fn advance(&mut self, bytes: &mut [u8]) -> Result<usize, GuardError> {
        let mut pos = 0;
        while pos < bytes.len() {
            match self.state {
                State::Head => match self.head(&mut bytes[pos..])? {
                    Some(len) => pos += len,
                    None if bytes.len() - pos > self.max_head => {
                        self.state = State::Opaque;
                        return Ok(bytes.len());
                    }
                    None => return Ok(pos),
                },
                State::Length(left) => {
                    let available = (bytes.len() - pos) as u64;
                    let skip = left.min(available);
                    // skip <= available, which is a usize.
                    pos += usize::try_from(skip).unwrap_or(usize::MAX);
                    self.state = match left - skip {
                        0 => State::Head,
                        rest => State::Length(rest),
                    };
                }
                State::Chunked(Chunk::Data(left)) => {
                    let available = (bytes.len() - pos) as u64;
                    let skip = left.min(available);
                    pos += usize::try_from(skip).unwrap_or(usize::MAX);
                    self.state = State::Chunked(match left - skip {
                        0 => Chunk::DataCr,
                        rest => Chunk::Data(rest),
                    });
                }
                State::Chunked(chunk) => {
                    self.state = chunk_step(chunk, bytes[pos])?;
                    pos += 1;
                }
                State::Opaque => return Ok(bytes.len()),
                State::Refused if pos == 0 => return Err(GuardError::AfterRefusedHead),
                State::Refused => return Ok(pos),
            }
        }
        Ok(pos)
    }

    /// Whether the stream may end here with the unsettled bytes handed on as they are.
    pub fn may_end(&self) -> bool {
        self.state != State::Refused
    }

    /// Looks for the end of the head at the start of `head`; on finding it, sets the body
    /// state, rewrites the head if needed and returns its length.
    fn head(&mut self, head: &mut [u8]) -> Result<Option<usize>, GuardError> {
        let from = self.scanned;
        self.scanned = head.len();
        for i in from..head.len() {
            let blank_line = head[i] == b'\n'
                && ((i >= 1 && head[i - 1] == b'\n')
                    || (i >= 2 && head[i - 1] == b'\r' && head[i - 2] == b'\n'));
            if !blank_line {
                continue;
            }
            if let Some(len) = self.complete_head(&mut head[..=i])? {
                self.scanned = 0;
                return Ok(Some(len));
            }
        }
        Ok(None)
    }

    fn complete_head(&mut self, head: &mut [u8]) -> Result<Option<usize>, GuardError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let len = match req.parse(head).map_err(GuardError::Head)? {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => return Ok(None),
        };
        let http10 = req.version == Some(0);
        let mut last_te_chunked = None;
        let mut length = None;
        let mut lengths_agree = true;
        let mut length_names = Vec::new();
        for h in req.headers.iter() {
            if h.name.eq_ignore_ascii_case(TRANSFER_ENCODING) {
                last_te_chunked = Some(ends_in_chunked(h.value));
            } else if h.name.eq_ignore_ascii_case(CONTENT_LENGTH) {
                length_names.push(h.name.as_ptr() as usize - head.as_ptr() as usize);
                match digits(h.value) {
                    Some(n) if length.is_none_or(|l| l == n) => length = Some(n),
                    _ => lengths_agree = false,
                }
            }
        }
        self.state = match (last_te_chunked, length) {
            (Some(true), _) if !http10 => {
                for at in length_names {
                    head[at..at + MARKER.len()].copy_from_slice(MARKER);
                }
                State::Chunked(Chunk::Size { size: 0, digits: 0 })
            }
            (Some(_), _) => State::Refused,
            (None, _) if !lengths_agree => State::Refused,
            (None, Some(n)) if n > 0 => State::Length(n),
            (None, _) => State::Head,
        };
        Ok(Some(len))
    }
}

/// One byte through hyper's chunked decoder states (data bytes are skipped by the caller).
fn chunk_step(chunk: Chunk, b: u8) -> Result<State, GuardError> {
    let next = match (chunk, b) {
        (Chunk::Size { size, digits }, _) if b.is_ascii_hexdigit() => {
            let digit = u64::from(char::from(b).to_digit(16).ok_or(GuardError::Chunk)?);
            let size = size
                .checked_mul(16)
                .and_then(|s| s.checked_add(digit))
                .ok_or(GuardError::Chunk)?;
            Chunk::Size {
                size,
                digits: digits.saturating_add(1),
            }
        }
        (Chunk::Size { digits: 0, .. }, _) => return Err(GuardError::Chunk),
        (Chunk::Size { size, .. } | Chunk::SizeLws(size), b'\t' | b' ') => Chunk::SizeLws(size),
        (Chunk::Size { size, .. } | Chunk::SizeLws(size) | Chunk::Extension(size), b';') => {
            Chunk::Extension(size)
        }
        (Chunk::Size { size, .. } | Chunk::SizeLws(size) | Chunk::Extension(size), b'\r') => {
            Chunk::SizeLf(size)
        }
        (Chunk::Extension(_), b'\n') => return Err(GuardError::Chunk),
        (Chunk::Extension(size), _) => Chunk::Extension(size),
        (Chunk::SizeLf(0), b'\n') => Chunk::EndCr,
        (Chunk::SizeLf(size), b'\n') => Chunk::Data(size),
        (Chunk::DataCr, b'\r') => Chunk::DataLf,
        (Chunk::DataLf, b'\n') => Chunk::Size { size: 0, digits: 0 },
        (Chunk::EndCr, b'\r') => Chunk::EndLf,
        (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
        (Chunk::EndCr | Chunk::Trailer, _) => Chunk::Trailer,
        (Chunk::TrailerLf, b'\n') => Chunk::EndCr,
        (Chunk::EndLf, b'\n') => return Ok(State::Head),
        _ => return Err(GuardError::Chunk),
    };
    Ok(State::Chunked(next))
}

/// hyper's rule: the last coding of the line is `chunked`, the value visible ASCII.
fn ends_in_chunked(value: &[u8]) -> bool {
    let visible = value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
    visible && last.trim_ascii().eq_ignore_ascii_case(b"chunked")
}

/// hyper's `content_length_parse`: digits only.
fn digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// The stream hyper reads an HTTP/1 connection from; writes pass straight through.
pub struct H1Guard<S> {
    inner: S,
    framing: Framing,
    /// Read from the socket but not settled: the start of an incomplete head.
    pending: Vec<u8>,
    /// Settled bytes from `pending` not yet handed to hyper, from `ready_at`.
    ready: Vec<u8>,
    ready_at: usize,
    eof: bool,
}

impl<S> H1Guard<S> {
    pub fn new(inner: S, max_head: usize) -> Self {
        Self {
            inner,
            framing: Framing::new(max_head),
            pending: Vec::new(),
            ready: Vec::new(),
            ready_at: 0,
            eof: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for H1Guard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if this.ready_at < this.ready.len() {
                let n = (this.ready.len() - this.ready_at).min(buf.remaining());
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                if this.ready_at == this.ready.len() {
                    this.ready.clear();
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let start = buf.filled().len();
            ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
            let n = buf.filled().len() - start;
            if n == 0 {
                this.eof = true;
                if !this.pending.is_empty() && !this.framing.may_end() {
                    return Poll::Ready(Err(GuardError::AfterRefusedHead.into()));
                }
                this.ready = std::mem::take(&mut this.pending);
                continue;
            }
            if this.pending.is_empty() {
                // The common case: inspect and rewrite in hyper's own buffer.
                let fresh = &mut buf.filled_mut()[start..];
                let settled = this.framing.advance(fresh)?;
                if settled < n {
                    this.pending.extend_from_slice(&fresh[settled..]);
                    buf.set_filled(start + settled);
                }
                if settled > 0 {
                    return Poll::Ready(Ok(()));
                }
            } else {
                this.pending.extend_from_slice(&buf.filled()[start..]);
                buf.set_filled(start);
                let settled = this.framing.advance(&mut this.pending)?;
                this.ready = this.pending.drain(..settled).collect();
            }
        }
    }
}

write_through!(H1Guard);

#[cfg(test)]
#[path = "h1_guard_tests.rs"]
mod tests;
