//! Reads a list or key source: a local file or an http(s) URL.
//!
//! One function per transport, returning the bytes; parsing and validation belong to the
//! callers ([`crate::lists`], [`crate::token`]). HTTP fetches go through a caller-supplied
//! `reqwest::Client` (rustls, no redirects) with connect and whole-fetch timeouts;
//! [`list_client`] builds the one for the list server, with the optional client certificate.
//! [`fetch_conditional`] sends `If-None-Match` / `If-Modified-Since` from the validators of
//! an earlier answer and reports a `304`. Which validators to keep, and retries, are the
//! refresher's business ([`crate::refresh`]), not this module's.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::HeaderValue;
use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

use crate::config::{self, Source};
use crate::lists::{self, ListError, ListKind};
use crate::snapshot::{ListSet, LoadTimes};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot fetch {url}: {source}")]
    Http {
        url: url::Url,
        #[source]
        source: reqwest::Error,
    },
    #[error("{list} is larger than lists.max_bytes ({limit} bytes); it was not read")]
    TooLarge { list: String, limit: usize },
    #[error("cannot fetch {url}: HTTP status {status}")]
    Status { url: url::Url, status: u16 },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("{list} answered 304 Not Modified to a request that was not conditional")]
    UnaskedNotModified { list: String },
    #[error("the parse of a downloaded list did not finish")]
    ParseAborted,
    #[error("the list server roots {path} are not PEM certificates: {source}")]
    Roots {
        path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot read {path} (list server TLS): {source}")]
    IdentityFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the list client certificate {cert} and key {key} are not a usable PEM pair: {source}")]
    Identity {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: reqwest::Error,
    },
}

/// What an HTTP answer said about its document's version (`ETag`, `Last-Modified`), to be
/// sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<HeaderValue>,
    pub last_modified: Option<HeaderValue>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The outcome of a conditional fetch.
#[derive(Debug)]
pub enum Fetched {
    /// The whole document, with the validators of this answer (empty for files).
    Body {
        bytes: Bytes,
        validators: Validators,
    },
    /// `304 Not Modified`: the document the validators came from is still current.
    NotModified,
}

/// Why one list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ListLoadError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Invalid(#[from] ListError),
}

/// Fetches and parses the lists named in the config, all of them, reporting every failure.
pub async fn load_lists(
    lists: &config::Lists,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<ListSet, Vec<(ListKind, ListLoadError)>> {
    async fn one<T>(
        source: &Source,
        client: &reqwest::Client,
        limit: usize,
        parse: fn(&[u8]) -> Result<T, ListError>,
    ) -> Result<Arc<T>, ListLoadError> {
        let bytes = fetch(source, client, limit).await?;
        Ok(Arc::new(parse(&bytes)?))
    }
    async fn optional<T>(
        source: Option<&Source>,
        client: &reqwest::Client,
        limit: usize,
        parse: fn(&[u8]) -> Result<T, ListError>,
    ) -> Result<Option<Arc<T>>, ListLoadError> {
        match source {
            Some(s) => one(s, client, limit, parse).await.map(Some),
            None => Ok(None),
        }
    }
    let limit = lists.max_bytes;
    let (zal, ocl, whl, gnl) = tokio::join!(
        one(&lists.zal, client, limit, lists::zal::parse),
        one(&lists.ocl, client, limit, lists::ocl::parse),
        optional(lists.whl.as_ref(), client, limit, lists::whl::parse),
        optional(lists.gnl.as_ref(), client, limit, lists::gnl::parse),
    );
    fn keep<T>(
        errors: &mut Vec<(ListKind, ListLoadError)>,
        kind: ListKind,
        r: Result<T, ListLoadError>,
    ) -> Option<T> {
        r.map_err(|e| errors.push((kind, e))).ok()
    }
    let mut errors = Vec::new();
    let zal = keep(&mut errors, ListKind::Zal, zal);
    let ocl = keep(&mut errors, ListKind::Ocl, ocl);
    let whl = keep(&mut errors, ListKind::Whl, whl);
    let gnl = keep(&mut errors, ListKind::Gnl, gnl);
    match (zal, ocl, whl, gnl) {
        (Some(zal), Some(ocl), Some(whl), Some(gnl)) if errors.is_empty() => Ok(ListSet {
            zal,
            ocl,
            whl,
            gnl,
            loaded_at: LoadTimes::all(now),
        }),
        _ => Err(errors),
    }
}

/// The HTTP client for list and key sources: rustls, no redirects, bounded time.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, SourceError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(SourceError::Client)
}

/// The HTTP client for the list server: rustls, no redirects, `lists.timeout` for the
/// connection and for the whole fetch, the extra roots of `lists.ca` and the client
/// certificate when configured. Reads those files; call it again after they rotate.
pub fn list_client(lists: &config::Lists) -> Result<reqwest::Client, SourceError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(lists.timeout)
        .connect_timeout(lists.timeout.min(Duration::from_secs(10)));
    if let Some(path) = &lists.ca {
        let pem = std::fs::read(path).map_err(|source| SourceError::IdentityFile {
            path: path.clone(),
            source,
        })?;
        let roots =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| SourceError::Roots {
                path: path.clone(),
                source,
            })?;
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    if let Some(cc) = &lists.client_cert {
        builder = builder.identity(identity(cc)?);
    }
    builder.build().map_err(SourceError::Client)
}

/// The PEM bytes of the list client certificate and key, read now.
pub fn identity_pem(cc: &config::ClientCert) -> Result<Vec<u8>, SourceError> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|source| SourceError::IdentityFile {
            path: path.clone(),
            source,
        })
    };
    let mut pem = read(&cc.cert)?;
    pem.push(b'\n');
    pem.extend_from_slice(&read(&cc.key)?);
    Ok(pem)
}

fn identity(cc: &config::ClientCert) -> Result<reqwest::Identity, SourceError> {
    reqwest::Identity::from_pem(&identity_pem(cc)?).map_err(|source| SourceError::Identity {
        cert: cc.cert.clone(),
        key: cc.key.clone(),
        source,
    })
}

/// Reads the whole source (at most `limit` bytes), asking an HTTP server for it only if it
/// changed since the answer `validators` came from.
pub async fn fetch_conditional(
    source: &Source,
    client: &reqwest::Client,
    limit: usize,
    validators: Option<&Validators>,
) -> Result<Fetched, SourceError> {
    let url = match source {
        Source::File(path) => {
            return Ok(Fetched::Body {
                bytes: read_file(path, limit).await?,
                validators: Validators::default(),
            });
        }
        Source::Url(url) => url,
    };
    let http = |source| SourceError::Http {
        url: url.clone(),
        source,
    };
    let mut req = client.get(url.clone());
    if let Some(v) = validators {
        if let Some(etag) = &v.etag {
            req = req.header(IF_NONE_MATCH, etag.clone());
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm.clone());
        }
    }
    let resp = req.send().await.map_err(http)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED && validators.is_some_and(|v| !v.is_empty()) {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(SourceError::Status {
            url: url.clone(),
            status: status.as_u16(),
        });
    }
    let validators = Validators {
        etag: resp.headers().get(ETAG).cloned(),
        last_modified: resp.headers().get(LAST_MODIFIED).cloned(),
    };
    let bytes = body(resp, url, limit).await?;
    Ok(Fetched::Body { bytes, validators })
}

/// Reads the whole source, refusing one of more than `limit` bytes.
pub async fn fetch(
    source: &Source,
    client: &reqwest::Client,
    limit: usize,
) -> Result<Bytes, SourceError> {
    match fetch_conditional(source, client, limit, None).await? {
        Fetched::Body { bytes, .. } => Ok(bytes),
        // Without validators a 304 is an error status, never `NotModified`.
        Fetched::NotModified => Err(SourceError::UnaskedNotModified {
            list: source.to_string(),
        }),
    }
}

/// A list file, refused unread when it is larger than `limit` bytes.
async fn read_file(path: &std::path::Path, limit: usize) -> Result<Bytes, SourceError> {
    let file_err = |source| SourceError::File {
        path: path.to_path_buf(),
        source,
    };
    let len = tokio::fs::metadata(path).await.map_err(file_err)?.len();
    if usize::try_from(len).map_or(true, |n| n > limit) {
        return Err(SourceError::TooLarge {
            list: path.display().to_string(),
            limit,
        });
    }
    tokio::fs::read(path)
        .await
        .map(Bytes::from)
        .map_err(file_err)
}

/// An HTTP answer's body, refused as soon as it is known to exceed `limit` bytes: from its
/// `Content-Length` before anything is read, else once the bytes read pass the limit.
async fn body(
    mut resp: reqwest::Response,
    url: &url::Url,
    limit: usize,
) -> Result<Bytes, SourceError> {
    let too_large = || SourceError::TooLarge {
        list: url.to_string(),
        limit,
    };
    let announced = resp.content_length().unwrap_or(0);
    let announced = usize::try_from(announced).map_err(|_| too_large())?;
    if announced > limit {
        return Err(too_large());
    }
    let http = |source| SourceError::Http {
        url: url.clone(),
        source,
    };
    // Chunks are kept as they come and joined once at the end, as `Response::bytes` does.
    let mut chunks = Vec::new();
    let mut len = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(http)? {
        if chunk.len() > limit - len {
            return Err(too_large());
        }
        len += chunk.len();
        chunks.push(chunk);
    }
    if chunks.len() == 1 {
        return Ok(chunks.swap_remove(0));
    }
    let mut whole = bytes::BytesMut::with_capacity(len);
    for chunk in chunks {
        whole.extend_from_slice(&chunk);
    }
    Ok(whole.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Serves one raw HTTP/1.1 response to the first connection and returns the URL.
    async fn one_answer(response: &'static [u8]) -> url::Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4096];
            let _ = tcp.read(&mut head).await;
            let _ = tcp.write_all(response).await;
            let _ = tcp.shutdown().await;
        });
        format!("http://{addr}/MedMij_Zorgaanbiederslijst.xml")
            .parse()
            .unwrap()
    }

    fn client() -> reqwest::Client {
        http_client(Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn a_file_larger_than_the_limit_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zal.xml");
        std::fs::write(&path, [b'x'; 11]).unwrap();
        let err = fetch(&Source::File(path), &client(), 10).await.unwrap_err();
        assert!(
            matches!(err, SourceError::TooLarge { limit: 10, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("lists.max_bytes (10 bytes)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_announced_content_length_over_the_limit_is_refused_before_reading() {
        let url = one_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\nxx").await;
        let err = fetch(&Source::Url(url), &client(), 10).await.unwrap_err();
        assert!(
            matches!(err, SourceError::TooLarge { limit: 10, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_chunked_body_is_refused_once_it_passes_the_limit() {
        let url = one_answer(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n789012\r\n0\r\n\r\n",
        )
        .await;
        let err = fetch(&Source::Url(url), &client(), 10).await.unwrap_err();
        assert!(
            matches!(err, SourceError::TooLarge { limit: 10, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_chunked_body_within_the_limit_is_read_whole() {
        let url = one_answer(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n",
        )
        .await;
        let bytes = fetch(&Source::Url(url), &client(), 10).await.unwrap();
        assert_eq!(&bytes[..], b"1234567890");
    }
}
