//! Reads a list or key source: a local file or an http(s) URL.
//!
//! One function per transport, returning the bytes; parsing and validation belong to the
//! callers ([`crate::lists`], [`crate::token`]). HTTP fetches go through a caller-supplied
//! `reqwest::Client` (rustls, no redirects) with a timeout. Conditional requests and retries
//! are the refresher's business, not this module's.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

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
    #[error("cannot fetch {url}: HTTP status {status}")]
    Status { url: url::Url, status: u16 },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
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
        parse: fn(&[u8]) -> Result<T, ListError>,
    ) -> Result<Arc<T>, ListLoadError> {
        let bytes = fetch(source, client).await?;
        Ok(Arc::new(parse(&bytes)?))
    }
    async fn optional<T>(
        source: Option<&Source>,
        client: &reqwest::Client,
        parse: fn(&[u8]) -> Result<T, ListError>,
    ) -> Result<Option<Arc<T>>, ListLoadError> {
        match source {
            Some(s) => one(s, client, parse).await.map(Some),
            None => Ok(None),
        }
    }
    let (zal, ocl, whl, gnl) = tokio::join!(
        one(&lists.zal, client, lists::zal::parse),
        one(&lists.ocl, client, lists::ocl::parse),
        optional(lists.whl.as_ref(), client, lists::whl::parse),
        optional(lists.gnl.as_ref(), client, lists::gnl::parse),
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

/// Reads the whole source.
pub async fn fetch(source: &Source, client: &reqwest::Client) -> Result<Bytes, SourceError> {
    match source {
        Source::File(path) => tokio::fs::read(path)
            .await
            .map(Bytes::from)
            .map_err(|source| SourceError::File {
                path: path.clone(),
                source,
            }),
        Source::Url(url) => {
            let http = |source| SourceError::Http {
                url: url.clone(),
                source,
            };
            let resp = client.get(url.clone()).send().await.map_err(http)?;
            if !resp.status().is_success() {
                return Err(SourceError::Status {
                    url: url.clone(),
                    status: resp.status().as_u16(),
                });
            }
            resp.bytes().await.map_err(http)
        }
    }
}
