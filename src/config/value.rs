//! Parsers for the scalar values of the configuration, one function per kind of value.
//!
//! Each takes the string as written and returns the typed value or the [`Problem`] with it;
//! none knows which key it is parsing or where, which `validate` adds. Pure functions: no
//! file system access (paths are resolved lexically, never checked for existence).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use jsonwebtoken::Algorithm;

use super::Source;
use super::error::{Problem, UrlProblem};

/// A humantime duration such as `"30s"`, `"5m"`, `"8h"`.
pub fn duration(raw: &str) -> Result<Duration, Problem> {
    humantime::parse_duration(raw).map_err(|e| Problem::NotADuration {
        value: raw.to_owned(),
        reason: e.to_string(),
    })
}

/// A duration that must be longer than zero.
pub fn positive_duration(raw: &str) -> Result<Duration, Problem> {
    let d = duration(raw)?;
    if d.is_zero() {
        return Err(Problem::ZeroDuration);
    }
    Ok(d)
}

/// A calendar date written exactly as `YYYY-MM-DD`.
pub fn date(raw: &str) -> Result<NaiveDate, Problem> {
    let not_a_date = || Problem::NotADate {
        value: raw.to_owned(),
    };
    let shape_ok = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(not_a_date());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| not_a_date())
}

pub fn socket_addr(raw: &str) -> Result<SocketAddr, Problem> {
    raw.parse().map_err(|_| Problem::NotASocketAddr {
        value: raw.to_owned(),
    })
}

/// A non-empty string.
pub fn non_empty(raw: &str) -> Result<String, Problem> {
    if raw.is_empty() {
        return Err(Problem::Empty);
    }
    Ok(raw.to_owned())
}

/// A path, made absolute against `base` (the config file's folder) when relative.
pub fn path(raw: &str, base: &Path) -> Result<PathBuf, Problem> {
    if raw.is_empty() {
        return Err(Problem::Empty);
    }
    Ok(resolve(Path::new(raw), base))
}

/// Joins a relative path onto `base` and drops `.` components; absolute paths are kept.
pub fn resolve(p: &Path, base: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Where a list or a JWKS comes from: an http(s) URL, or else a file path.
pub fn source(raw: &str, base: &Path) -> Result<Source, Problem> {
    if raw.is_empty() {
        return Err(Problem::Empty);
    }
    if raw.contains("://") {
        return http_url(raw).map(Source::Url);
    }
    Ok(Source::File(resolve(Path::new(raw), base)))
}

/// An absolute http or https URL with a host and without credentials or fragment.
pub fn http_url(raw: &str) -> Result<url::Url, Problem> {
    let bad = |reason| Problem::BadUrl {
        value: raw.to_owned(),
        reason,
    };
    let url = url::Url::parse(raw).map_err(|e| bad(UrlProblem::Parse(e)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(UrlProblem::Scheme(url.scheme().to_owned())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(UrlProblem::NoHost));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(UrlProblem::Credentials));
    }
    if url.fragment().is_some() {
        return Err(bad(UrlProblem::Fragment));
    }
    Ok(url)
}

/// An upstream base: an http(s) URL without query, the trailing `/` of its path trimmed
/// (the root path stays `/`, which every http URL has).
pub fn upstream(raw: &str) -> Result<url::Url, Problem> {
    let mut url = http_url(raw)?;
    if url.query().is_some() {
        return Err(Problem::BadUrl {
            value: raw.to_owned(),
            reason: UrlProblem::Query,
        });
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// One entry of `tokens.algorithms`: an asymmetric JWS algorithm.
pub fn algorithm(raw: &str) -> Result<Algorithm, Problem> {
    if raw.eq_ignore_ascii_case("none") {
        return Err(Problem::RefusedAlgorithm {
            value: raw.to_owned(),
            why: "unsigned tokens are never accepted",
        });
    }
    let alg: Algorithm = raw.parse().map_err(|_| Problem::UnknownAlgorithm {
        value: raw.to_owned(),
    })?;
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(Problem::RefusedAlgorithm {
            value: raw.to_owned(),
            why: "a shared-secret (HS*) algorithm cannot be verified with public keys",
        }),
        Algorithm::ES256
        | Algorithm::ES384
        | Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512
        | Algorithm::EdDSA => Ok(alg),
    }
}

/// A zorgaanbieder name as the ZAL XSD defines it: `[a-z]+@medmij`, 10 to 57 characters.
pub fn provider_name(raw: &str) -> Result<String, Problem> {
    let valid = (10..=57).contains(&raw.len())
        && raw
            .strip_suffix("@medmij")
            .is_some_and(|letters| letters.bytes().all(|b| b.is_ascii_lowercase()));
    if !valid {
        return Err(Problem::NotAProviderName {
            value: raw.to_owned(),
        });
    }
    Ok(raw.to_owned())
}

/// A gegevensdienst id as the XSDs define it: 1 to 30 characters.
pub fn service_id(raw: &str) -> Result<String, Problem> {
    if !(1..=30).contains(&raw.chars().count()) {
        return Err(Problem::NotAServiceId {
            value: raw.to_owned(),
        });
    }
    Ok(raw.to_owned())
}

/// A TOML integer that must lie in `min..=max`.
pub fn in_range(value: i64, min: i64, max: i64) -> Result<i64, Problem> {
    if !(min..=max).contains(&value) {
        return Err(Problem::OutOfRange { value, min, max });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_humantime_durations() {
        assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
    }

    #[test]
    fn refuses_a_duration_without_a_unit() {
        assert!(matches!(duration("30"), Err(Problem::NotADuration { .. })));
    }

    #[test]
    fn refuses_a_zero_duration_where_one_is_needed() {
        assert_eq!(positive_duration("0s"), Err(Problem::ZeroDuration));
    }

    #[test]
    fn parses_a_date() {
        assert_eq!(
            date("2026-11-01"),
            NaiveDate::from_ymd_opt(2026, 11, 1).ok_or(Problem::Empty)
        );
    }

    #[test]
    fn refuses_month_thirteen() {
        assert_eq!(
            date("2026-13-01"),
            Err(Problem::NotADate {
                value: "2026-13-01".into()
            })
        );
    }

    #[test]
    fn refuses_a_date_without_zero_padding() {
        assert!(date("2026-1-05").is_err());
    }

    #[test]
    fn refuses_february_thirtieth() {
        assert!(date("2027-02-30").is_err());
    }

    #[test]
    fn resolves_a_relative_path_against_the_base_without_dot_components() {
        assert_eq!(
            path("./lists/zal.xml", Path::new("/etc/scopegate")),
            Ok(PathBuf::from("/etc/scopegate/lists/zal.xml"))
        );
    }

    #[test]
    fn keeps_an_absolute_path() {
        assert_eq!(
            path("/var/lib/zal.xml", Path::new("/etc/scopegate")),
            Ok(PathBuf::from("/var/lib/zal.xml"))
        );
    }

    #[test]
    fn reads_an_https_source_as_a_url() {
        let s = source("https://lists.medmij.nl/zal.xml", Path::new("/x"));
        assert_eq!(
            s.map(|s| s.to_string()),
            Ok("https://lists.medmij.nl/zal.xml".into())
        );
    }

    #[test]
    fn refuses_an_ftp_source() {
        assert_eq!(
            source("ftp://lists.medmij.nl/zal.xml", Path::new("/x")),
            Err(Problem::BadUrl {
                value: "ftp://lists.medmij.nl/zal.xml".into(),
                reason: UrlProblem::Scheme("ftp".into())
            })
        );
    }

    #[test]
    fn trims_the_trailing_slash_of_an_upstream_path() {
        assert_eq!(
            upstream("http://127.0.0.1:8081/fhir/").map(String::from),
            Ok("http://127.0.0.1:8081/fhir".into())
        );
    }

    #[test]
    fn refuses_an_upstream_with_a_query() {
        assert_eq!(
            upstream("http://127.0.0.1:8081/fhir?x=1"),
            Err(Problem::BadUrl {
                value: "http://127.0.0.1:8081/fhir?x=1".into(),
                reason: UrlProblem::Query
            })
        );
    }

    #[test]
    fn refuses_an_upstream_with_a_fragment() {
        assert!(matches!(
            upstream("http://127.0.0.1:8081/fhir#top"),
            Err(Problem::BadUrl {
                reason: UrlProblem::Fragment,
                ..
            })
        ));
    }

    #[test]
    fn refuses_an_upstream_with_credentials() {
        assert!(matches!(
            upstream("http://user:pw@127.0.0.1:8081/fhir"),
            Err(Problem::BadUrl {
                reason: UrlProblem::Credentials,
                ..
            })
        ));
    }

    #[test]
    fn refuses_a_relative_upstream() {
        assert!(matches!(
            upstream("/fhir"),
            Err(Problem::BadUrl {
                reason: UrlProblem::Parse(_),
                ..
            })
        ));
    }

    #[test]
    fn accepts_es256() {
        assert_eq!(algorithm("ES256"), Ok(Algorithm::ES256));
    }

    #[test]
    fn refuses_alg_none() {
        assert!(matches!(
            algorithm("none"),
            Err(Problem::RefusedAlgorithm { .. })
        ));
    }

    #[test]
    fn refuses_hs256() {
        assert!(matches!(
            algorithm("HS256"),
            Err(Problem::RefusedAlgorithm { .. })
        ));
    }

    #[test]
    fn refuses_an_unknown_algorithm() {
        assert_eq!(
            algorithm("RS999"),
            Err(Problem::UnknownAlgorithm {
                value: "RS999".into()
            })
        );
    }

    #[test]
    fn accepts_a_zorgaanbieder_name() {
        assert_eq!(
            provider_name("umcharderwijk@medmij"),
            Ok("umcharderwijk@medmij".into())
        );
    }

    #[test]
    fn refuses_a_zorgaanbieder_name_with_digits() {
        assert!(provider_name("umc1harderwijk@medmij").is_err());
    }

    #[test]
    fn refuses_a_zorgaanbieder_name_shorter_than_ten_characters() {
        assert!(provider_name("ab@medmij").is_err());
    }

    #[test]
    fn refuses_a_zorgaanbieder_name_longer_than_fifty_seven_characters() {
        let name = format!("{}@medmij", "a".repeat(51));
        assert!(provider_name(&name).is_err());
    }

    #[test]
    fn refuses_a_service_id_of_thirty_one_characters() {
        assert!(service_id(&"1".repeat(31)).is_err());
    }

    #[test]
    fn refuses_an_empty_service_id() {
        assert!(service_id("").is_err());
    }
}
