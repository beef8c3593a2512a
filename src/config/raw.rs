//! The TOML file of SPEC §3 exactly as written: serde structs, one per table.
//!
//! Every struct refuses unknown keys, and every value keeps its byte span so that the
//! validation in `validate` can name the line it complains about. Nothing here interprets a
//! value: durations, dates, addresses and URLs stay strings, and every key is optional, so
//! that a missing required key is reported together with every other problem instead of
//! stopping the parse. Only `validate` uses these types; they are public for tools that
//! want to read the file as written.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde_spanned::__unstable::{END_FIELD, NAME, START_FIELD, VALUE_FIELD};
use serde_spanned::Spanned;

/// A value together with its byte range in the file.
pub type S<T> = Spanned<T>;

/// A TOML table with its byte range when the file has one. Unlike [`Spanned`], this also
/// accepts tables the file only implies, such as `[server]` when only `[server.tls]` is
/// written, which have no span of their own.
#[derive(Debug)]
pub struct Table<T> {
    pub span: Option<Range<usize>>,
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Table<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Asking for the span struct makes toml hand over the span when there is one;
        // otherwise it hands over the plain table.
        const FIELDS: [&str; 3] = [START_FIELD, END_FIELD, VALUE_FIELD];
        deserializer.deserialize_struct(NAME, &FIELDS, TableVisitor(PhantomData))
    }
}

struct TableVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for TableVisitor<T> {
    type Value = Table<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Table<T>, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() != Some(START_FIELD) {
            // A plain table: hand it to `T` with its first key put back.
            let rest = Prepended { first, map };
            let value = T::deserialize(de::value::MapAccessDeserializer::new(rest))?;
            return Ok(Table { span: None, value });
        }
        let start: usize = map.next_value()?;
        let mut end = None;
        let mut value = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                END_FIELD => end = Some(map.next_value::<usize>()?),
                VALUE_FIELD => value = Some(map.next_value::<T>()?),
                other => return Err(de::Error::unknown_field(other, &[END_FIELD, VALUE_FIELD])),
            }
        }
        let value = value.ok_or_else(|| de::Error::missing_field(VALUE_FIELD))?;
        let span = end.map(|end| start..end);
        Ok(Table { span, value })
    }
}

/// A map whose first key was already read.
struct Prepended<A> {
    first: Option<String>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prepended<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub server: Option<Table<RawServer>>,
    pub lists: Option<Table<RawLists>>,
    pub tokens: Option<Table<RawTokens>>,
    pub authorization_server: Option<Table<RawAuthorizationServer>>,
    #[serde(default)]
    pub providers: Vec<Table<RawProvider>>,
    #[serde(default)]
    pub glg: Vec<Table<RawGlg>>,
    pub audit: Option<Table<RawAudit>>,
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<S<String>>,
    pub admin_listen: Option<S<String>>,
    pub match_host: Option<bool>,
    pub request_timeout: Option<S<String>>,
    pub header_read_timeout: Option<S<String>>,
    pub max_header_bytes: Option<S<i64>>,
    pub max_body_bytes: Option<S<i64>>,
    pub upstream_ca: Option<S<String>>,
    pub tls: Option<Table<RawTls>>,
}

/// `[server.tls]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: Option<S<String>>,
    pub key: Option<S<String>>,
    pub client_ca: Option<S<String>>,
    pub require_client_cert: Option<S<bool>>,
    pub whitelist_check: Option<S<bool>>,
}

/// `[lists]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLists {
    pub zal: Option<S<String>>,
    pub ocl: Option<S<String>>,
    pub whl: Option<S<String>>,
    pub gnl: Option<S<String>>,
    pub refresh_interval: Option<S<String>>,
    pub max_stale: Option<S<String>>,
    pub timeout: Option<S<String>>,
    pub max_bytes: Option<S<i64>>,
    pub ca: Option<S<String>>,
    pub client_cert: Option<S<String>>,
    pub client_key: Option<S<String>>,
}

/// `[tokens]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    pub mode: Option<S<String>>,
    pub issuer: Option<S<String>>,
    pub audience: Option<S<String>>,
    pub algorithms: Option<S<Vec<S<String>>>>,
    pub jwks: Option<S<String>>,
    pub leeway: Option<S<String>>,
    pub scope_claim: Option<S<String>>,
    pub client_claim: Option<S<String>>,
    pub forward_authorization: Option<bool>,
    pub introspection: Option<Table<RawIntrospection>>,
}

/// `[tokens.introspection]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntrospection {
    pub url: Option<S<String>>,
    pub client_id: Option<S<String>>,
    pub client_secret_file: Option<S<String>>,
    pub cache_ttl: Option<S<String>>,
}

/// `[authorization_server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuthorizationServer {
    pub upstream: Option<S<String>>,
}

/// One `[[providers]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    pub name: Option<S<String>>,
    pub upstream: Option<S<String>>,
    /// Gegevensdienst id → upstream base. TOML keys are unique, so a map loses nothing.
    pub services: Option<Table<BTreeMap<String, S<String>>>>,
    pub authorization_server: Option<S<String>>,
}

/// One `[[glg]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGlg {
    pub id: Option<S<String>>,
    pub provider: Option<S<String>>,
    pub copy_service: Option<S<String>>,
    pub original_service: Option<S<String>>,
    pub dvps: Option<S<Vec<S<String>>>>,
    pub start: Option<S<String>>,
    pub end: Option<S<String>>,
    pub extended_until: Option<S<String>>,
}

/// `[audit]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub path: Option<S<String>>,
    pub mode: Option<S<String>>,
}
