//! The four MedMij lists (ZAL, OCL, WHL, GNL) as immutable, indexed values.
//!
//! This module holds the types every other part of scopegate reads; parsing and XSD
//! validation of the XML documents live in the submodules (one per list, sharing the
//! streaming reader in [`xml`] and the XSD simple types in [`xsd`]). Nothing here does IO
//! beyond reading a byte slice or a `BufRead`; fetching and refreshing lists is the
//! refresher's job.

use std::collections::{HashMap, HashSet};

pub mod error;
pub mod gnl;
pub mod ocl;
pub mod synth;
pub mod whl;
pub mod xml;
pub mod xsd;
pub mod zal;

pub use error::ListError;

/// Which list a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Zal,
    Ocl,
    Whl,
    Gnl,
}

impl ListKind {
    pub const fn name(self) -> &'static str {
        match self {
            ListKind::Zal => "zal",
            ListKind::Ocl => "ocl",
            ListKind::Whl => "whl",
            ListKind::Gnl => "gnl",
        }
    }
}

/// `Volgnummer`: an `xs:positiveInteger`, which has no upper bound. Stored as its canonical
/// decimal digits (no sign, no leading zeros), ordered numerically.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Volgnummer(pub(crate) Box<str>);

impl Volgnummer {
    /// Parses the lexical form of `xs:positiveInteger` (optional `+`, leading zeros allowed,
    /// value at least 1); surrounding whitespace must already be collapsed.
    pub fn parse(s: &str) -> Option<Volgnummer> {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let canonical = digits.trim_start_matches('0');
        if canonical.is_empty() {
            return None;
        }
        Some(Volgnummer(canonical.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a float, for metrics only (exact up to 2^53).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::MAX)
    }
}

impl Ord for Volgnummer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Volgnummer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Volgnummer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every list starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListHeader {
    /// `Tijdstempel`, always with a time zone.
    pub tijdstempel: chrono::DateTime<chrono::FixedOffset>,
    pub volgnummer: Volgnummer,
}

/// A ZAL endpoint URI split once at load time, so that matching a request costs no parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUri {
    /// The URI exactly as the ZAL has it.
    pub uri: Box<str>,
    /// Lowercase host without port.
    pub host: Box<str>,
    pub port: Option<u16>,
    /// The path, `""` or starting with `/`, without a trailing `/`.
    pub path: Box<str>,
}

/// One `Systeemrol` of a gegevensdienst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Systeemrol {
    pub code: Box<str>,
    pub resource_endpoint: EndpointUri,
}

/// One gegevensdienst as a zorgaanbieder offers it. In the later list form the same id may be
/// offered under several interface versions; each becomes its own `ZalService`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZalService {
    pub id: Box<str>,
    /// `InterfaceversieId` in the later form, `None` in the 1.x form.
    pub interfaceversie: Option<Box<str>>,
    pub authorization_endpoint: EndpointUri,
    pub token_endpoint: EndpointUri,
    pub systeemrollen: Vec<Systeemrol>,
}

/// One zorgaanbieder of the ZAL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zorgaanbieder {
    /// With `@medmij`, e.g. `umcharderwijk@medmij`.
    pub naam: Box<str>,
    /// In document order.
    pub services: Vec<ZalService>,
}

impl Zorgaanbieder {
    /// Does this ZA offer the gegevensdienst `id` (under any interface version)?
    pub fn offers(&self, id: &str) -> bool {
        self.services.iter().any(|s| &*s.id == id)
    }

    /// Every entry for gegevensdienst `id` (one per interface version).
    pub fn service(&self, id: &str) -> impl Iterator<Item = &ZalService> {
        self.services.iter().filter(move |s| &*s.id == id)
    }
}

/// The Zorgaanbiederslijst, indexed by ZA name.
#[derive(Debug, Clone)]
pub struct Zal {
    pub header: ListHeader,
    /// Keyed by the full name (`umcharderwijk@medmij`).
    pub zorgaanbieders: HashMap<Box<str>, Zorgaanbieder>,
}

impl Zal {
    /// Looks a ZA up by its full name (`x@medmij`).
    pub fn get(&self, naam: &str) -> Option<&Zorgaanbieder> {
        self.zorgaanbieders.get(naam)
    }
}

/// One OAuth client (DVP) of the OCL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub hostname: Box<str>,
    pub organisatienaam: Box<str>,
    /// `None`: the 1.x form, qualified for every gegevensdienst. `Some`: the later form,
    /// qualified only for these ids (union over interface versions).
    pub gegevensdiensten: Option<HashSet<Box<str>>>,
}

impl OAuthClient {
    pub fn qualified_for(&self, id: &str) -> bool {
        match &self.gegevensdiensten {
            None => true,
            Some(ids) => ids.contains(id),
        }
    }
}

/// The OAuthclientlist, indexed by hostname (the DVP's `client_id`).
#[derive(Debug, Clone)]
pub struct Ocl {
    pub header: ListHeader,
    pub clients: HashMap<Box<str>, OAuthClient>,
}

impl Ocl {
    pub fn get(&self, hostname: &str) -> Option<&OAuthClient> {
        self.clients.get(hostname)
    }
}

/// The Whitelist of MedMij node hostnames.
#[derive(Debug, Clone)]
pub struct Whl {
    pub header: ListHeader,
    pub hosts: HashSet<Box<str>>,
}

impl Whl {
    pub fn contains(&self, host: &str) -> bool {
        self.hosts.contains(host)
    }
}

/// The Gegevensdienstnamenlijst: id → display name.
#[derive(Debug, Clone)]
pub struct Gnl {
    pub header: ListHeader,
    pub names: HashMap<Box<str>, Box<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volgnummer_orders_numerically_not_lexically() {
        let nine = Volgnummer::parse("9").unwrap();
        let ten = Volgnummer::parse("10").unwrap();
        assert!(nine < ten);
    }

    #[test]
    fn volgnummer_accepts_plus_sign_and_leading_zeros_as_xsd_does() {
        assert_eq!(
            Volgnummer::parse("+007").unwrap(),
            Volgnummer::parse("7").unwrap()
        );
    }

    #[test]
    fn volgnummer_rejects_zero_negative_and_non_digits() {
        for s in ["0", "000", "-1", "", "+", "1.0", "1e3", " 1"] {
            assert_eq!(Volgnummer::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn volgnummer_beyond_u64_still_orders() {
        let big = Volgnummer::parse("99999999999999999999999").unwrap();
        let small = Volgnummer::parse("18446744073709551615").unwrap();
        assert!(small < big);
    }
}
