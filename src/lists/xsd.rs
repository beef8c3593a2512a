//! The XSD simple types of the MedMij lists, checked with XSD semantics.
//!
//! Hand-written equivalents of the schema facets (anchored patterns, lengths in characters,
//! `xs:string` keeping whitespace, `xs:dateTime`/`xs:positiveInteger` collapsing it), so that
//! a value costs one pass and no regex engine on the hot path. Each function takes the value
//! as the document holds it (after XML entity and line-end handling) and returns the typed
//! value or a [`Violation`]. The list parsers in this module's siblings call them and attach
//! the position. Nothing here knows about elements or documents.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use super::error::{Rule, quoted};
use super::{EndpointUri, Volgnummer};

/// A value that breaks a facet: the rule and a short detail (position added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
}

fn violation(rule: Rule, detail: String) -> Violation {
    Violation { rule, detail }
}

/// XSD whitespace: space, tab, LF, CR.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `whiteSpace="collapse"`: trims and folds inner runs to one space.
pub fn collapse(s: &str) -> Cow<'_, str> {
    let trimmed = s.trim_matches(is_space);
    let needs_fold = trimmed
        .as_bytes()
        .windows(2)
        .any(|w| is_space(w[0] as char) && is_space(w[1] as char))
        || trimmed.contains(['\t', '\n', '\r']);
    if !needs_fold {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut in_space = false;
    for c in trimmed.chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    Cow::Owned(out)
}

/// Length in characters, as XSD counts it.
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Checks `minLength`/`maxLength` in characters.
pub fn length(s: &str, min: usize, max: usize, what: &str, rule: Rule) -> Result<(), Violation> {
    let n = char_len(s);
    if n < min || n > max {
        return Err(violation(
            rule,
            format!("{what} {} has {n} characters, not {min}..{max}", quoted(s)),
        ));
    }
    Ok(())
}

/// `Zorgaanbiedernaam`: pattern `([a-z])+@medmij`, length 10..57.
pub fn zorgaanbiedernaam(s: &str) -> Result<(), Violation> {
    let ok = s
        .strip_suffix("@medmij")
        .is_some_and(|local| !local.is_empty() && local.bytes().all(|b| b.is_ascii_lowercase()));
    if !ok {
        return Err(violation(
            Rule::ZorgaanbiedernaamPattern,
            format!(
                "Zorgaanbiedernaam {} does not match [a-z]+@medmij",
                quoted(s)
            ),
        ));
    }
    length(
        s,
        10,
        57,
        "Zorgaanbiedernaam",
        Rule::ZorgaanbiedernaamLength,
    )
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// The host part shared by the hostname and URI patterns:
/// `(([a-z0-9])([a-z0-9-])*(\.))+([a-z0-9])([a-z0-9-])*` followed by a final `([a-z0-9])`
/// that is required (`strict`) or optional.
fn host_matches(host: &str, strict: bool) -> bool {
    let mut labels = host.split('.').peekable();
    let mut count = 0;
    while let Some(label) = labels.next() {
        count += 1;
        let bytes = label.as_bytes();
        let Some((&first, rest)) = bytes.split_first() else {
            return false;
        };
        if !is_alnum(first) || !rest.iter().all(|&b| is_alnum(b) || b == b'-') {
            return false;
        }
        let last = labels.peek().is_none();
        if last && strict && (rest.is_empty() || !rest.last().is_some_and(|&b| is_alnum(b))) {
            return false;
        }
    }
    count >= 2
}

/// `Hostname`: `(([a-z0-9])([a-z0-9-])*(\.))+([a-z0-9])([a-z0-9-])*([a-z0-9])`.
pub fn hostname(s: &str) -> Result<(), Violation> {
    if host_matches(s, true) {
        Ok(())
    } else {
        Err(violation(
            Rule::HostnamePattern,
            format!("Hostname {} is not a lowercase DNS name", quoted(s)),
        ))
    }
}

/// `(/[^?#/]+)*`: empty, or non-empty segments free of `?` and `#`, no trailing `/`.
fn path_matches(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    !rest.contains(['?', '#']) && rest.split('/').all(|seg| !seg.is_empty())
}

/// `Frontchanneluri`: https, lowercase host (last character optional), no port, path.
pub fn frontchannel_uri(s: &str) -> Result<EndpointUri, Violation> {
    let fail = || {
        violation(
            Rule::FrontchannelUriPattern,
            format!(
                "AuthorizationEndpointuri {} is not https://host/path without port, query or fragment",
                quoted(s)
            ),
        )
    };
    let rest = s.strip_prefix("https://").ok_or_else(fail)?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if !host_matches(host, false) || !path_matches(path) {
        return Err(fail());
    }
    Ok(EndpointUri {
        uri: s.into(),
        host: host.into(),
        port: None,
        path: path.into(),
    })
}

static UNICODE_PORT: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"^\d{1,5}$").ok());

/// `Backchanneluri`: https, lowercase host, optional `:port` of 1..5 digits, path.
///
/// XSD `\d` is any Unicode decimal digit and five digits may exceed 65535; such a port
/// matches the pattern but cannot be used, and is refused as [`Rule::PortRange`].
pub fn backchannel_uri(s: &str, what: &str) -> Result<EndpointUri, Violation> {
    let fail = || {
        violation(
            Rule::BackchannelUriPattern,
            format!(
                "{what} {} is not https://host[:port]/path without query or fragment",
                quoted(s)
            ),
        )
    };
    let rest = s.strip_prefix("https://").ok_or_else(fail)?;
    let host_end = rest.find([':', '/']).unwrap_or(rest.len());
    let (host, after_host) = rest.split_at(host_end);
    if !host_matches(host, true) {
        return Err(fail());
    }
    let (port, path) = match after_host.strip_prefix(':') {
        None => (None, after_host),
        Some(p) => {
            let (digits, path) = p.split_at(p.find('/').unwrap_or(p.len()));
            let unicode_digits = UNICODE_PORT.as_ref().is_some_and(|re| re.is_match(digits));
            if !unicode_digits {
                return Err(fail());
            }
            match digits.parse::<u16>() {
                Ok(port) if digits.is_ascii() => (Some(port), path),
                _ => {
                    return Err(violation(
                        Rule::PortRange,
                        format!("{what} {} has a port no URI can carry", quoted(s)),
                    ));
                }
            }
        }
    };
    if !path_matches(path) {
        return Err(fail());
    }
    Ok(EndpointUri {
        uri: s.into(),
        host: host.into(),
        port,
        path: path.into(),
    })
}

/// `Positiefnummer` (`xs:positiveInteger`, whitespace collapsed).
pub fn positive_integer(raw: &str) -> Result<Volgnummer, Violation> {
    let s = collapse(raw);
    Volgnummer::parse(&s).ok_or_else(|| {
        violation(
            Rule::PositiveInteger,
            format!("Volgnummer {} is not a positive integer", quoted(&s)),
        )
    })
}

/// Takes exactly `n` ASCII digits from the front of `s`.
fn digits(s: &mut &str, n: usize) -> Option<u32> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    *s = &s[n..];
    head.parse().ok()
}

fn literal(s: &mut &str, c: char) -> Option<()> {
    *s = s.strip_prefix(c)?;
    Some(())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Why a `Tijdstempel` is refused, before it becomes a [`Violation`].
enum DateTimeError {
    Lexical,
    NoTimezone,
    OutOfRange,
}

fn parse_datetime(s: &str) -> Result<DateTime<FixedOffset>, DateTimeError> {
    use DateTimeError::{Lexical, NoTimezone, OutOfRange};
    let mut rest = s;
    let negative = rest.starts_with('-');
    if negative {
        rest = &rest[1..];
    }
    let year_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if year_len < 4 || (year_len > 4 && rest.starts_with('0')) {
        return Err(Lexical);
    }
    let year_abs: i64 = rest[..year_len].parse().map_err(|_| OutOfRange)?;
    rest = &rest[year_len..];
    if year_abs == 0 {
        return Err(Lexical);
    }
    let year = if negative { -year_abs } else { year_abs };
    let mut field = || -> Option<(u32, u32, u32, u32, u32)> {
        literal(&mut rest, '-')?;
        let month = digits(&mut rest, 2)?;
        literal(&mut rest, '-')?;
        let day = digits(&mut rest, 2)?;
        literal(&mut rest, 'T')?;
        let hour = digits(&mut rest, 2)?;
        literal(&mut rest, ':')?;
        let minute = digits(&mut rest, 2)?;
        literal(&mut rest, ':')?;
        let second = digits(&mut rest, 2)?;
        Some((month, day, hour, minute, second))
    };
    let (month, day, hour, minute, second) = field().ok_or(Lexical)?;
    let mut nanos = 0u32;
    let mut fraction_zero = true;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(Lexical);
        }
        for (i, b) in frac[..n].bytes().enumerate() {
            if i < 9 {
                nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
            }
            fraction_zero &= b == b'0';
        }
        rest = &frac[n..];
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(Lexical);
    }
    let midnight_24 = hour == 24 && minute == 0 && second == 0 && fraction_zero;
    if (hour > 23 && !midnight_24) || minute > 59 || second > 59 {
        return Err(Lexical);
    }
    let offset_seconds = match rest {
        "" => return Err(NoTimezone),
        "Z" => 0,
        tz => {
            let mut t = tz;
            let sign = match t.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(Lexical),
            };
            t = &t[1..];
            let hh = digits(&mut t, 2).ok_or(Lexical)?;
            literal(&mut t, ':').ok_or(Lexical)?;
            let mm = digits(&mut t, 2).ok_or(Lexical)?;
            if !t.is_empty() || mm > 59 || hh > 14 || (hh == 14 && mm > 0) {
                return Err(Lexical);
            }
            sign * (hh * 3600 + mm * 60) as i32
        }
    };
    let offset = FixedOffset::east_opt(offset_seconds).ok_or(Lexical)?;
    let year = i32::try_from(year).map_err(|_| OutOfRange)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(OutOfRange)?;
    let time = if midnight_24 {
        date.and_hms_nano_opt(0, 0, 0, 0)
            .and_then(|t| t.checked_add_days(chrono::Days::new(1)))
    } else {
        date.and_hms_nano_opt(hour, minute, second, nanos)
    }
    .ok_or(OutOfRange)?;
    offset.from_local_datetime(&time).single().ok_or(OutOfRange)
}

/// `DatumTijd` (`xs:dateTime`, whitespace collapsed, pattern `.{20,}`), with a time zone
/// required as SPEC §4 demands (the XSD alone would accept a long enough local time).
pub fn tijdstempel(raw: &str) -> Result<DateTime<FixedOffset>, Violation> {
    let s = collapse(raw);
    match parse_datetime(&s) {
        Ok(dt) => Ok(dt),
        Err(DateTimeError::NoTimezone) => Err(violation(
            Rule::Timezone,
            format!("Tijdstempel {} has no time zone", quoted(&s)),
        )),
        Err(DateTimeError::Lexical) => Err(violation(
            Rule::Datetime,
            format!("Tijdstempel {} is not an xs:dateTime", quoted(&s)),
        )),
        Err(DateTimeError::OutOfRange) => Err(violation(
            Rule::Datetime,
            format!("Tijdstempel {} is outside the supported years", quoted(&s)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule<T: std::fmt::Debug>(r: Result<T, Violation>) -> Rule {
        r.unwrap_err().rule
    }

    #[test]
    fn collapse_trims_and_folds_runs_of_xsd_whitespace() {
        assert_eq!(collapse("\n\t a \r\n b  "), "a b");
        assert!(matches!(collapse("ab"), Cow::Borrowed("ab")));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(length(&"é".repeat(50), 3, 50, "x", Rule::OrganisatienaamLength).is_ok());
        assert_eq!(
            rule(length(
                &"é".repeat(51),
                3,
                50,
                "x",
                Rule::OrganisatienaamLength
            )),
            Rule::OrganisatienaamLength
        );
    }

    #[test]
    fn zorgaanbiedernaam_keeps_whitespace_so_padding_breaks_the_pattern() {
        assert_eq!(
            rule(zorgaanbiedernaam(" umch@medmij")),
            Rule::ZorgaanbiedernaamPattern
        );
        assert_eq!(
            rule(zorgaanbiedernaam("ab@medmij")),
            Rule::ZorgaanbiedernaamLength
        );
        assert!(zorgaanbiedernaam("abc@medmij").is_ok());
    }

    #[test]
    fn hostname_needs_two_labels_and_an_alphanumeric_end() {
        for ok in ["a.nl", "1.22", "medmij-.pgo.nl", "a-b.c-d.nl"] {
            assert!(hostname(ok).is_ok(), "{ok}");
        }
        for bad in [
            "localhost",
            "a.n",
            "a.nl-",
            "-a.nl",
            "a..nl",
            "a.nl.",
            "A.nl",
            "a_b.nl",
            "a.nl:443",
            "",
        ] {
            assert_eq!(rule(hostname(bad)), Rule::HostnamePattern, "{bad}");
        }
    }

    #[test]
    fn frontchannel_allows_a_one_character_last_label_but_no_port() {
        let e = frontchannel_uri("https://a.b/x").unwrap();
        assert_eq!((&*e.host, e.port, &*e.path), ("a.b", None, "/x"));
        assert_eq!(
            rule(frontchannel_uri("https://a.nl:443/x")),
            Rule::FrontchannelUriPattern
        );
        assert_eq!(
            rule(frontchannel_uri("https://a.nl/x/")),
            Rule::FrontchannelUriPattern
        );
        assert_eq!(
            rule(frontchannel_uri("https://a.nl/x?y")),
            Rule::FrontchannelUriPattern
        );
    }

    #[test]
    fn backchannel_splits_host_port_and_path() {
        let e = backchannel_uri("https://fhir.a.nl:8443/r/fhir", "u").unwrap();
        assert_eq!(
            (&*e.uri, &*e.host, e.port, &*e.path),
            (
                "https://fhir.a.nl:8443/r/fhir",
                "fhir.a.nl",
                Some(8443),
                "/r/fhir"
            )
        );
        assert_eq!(&*backchannel_uri("https://a.nl", "u").unwrap().path, "");
        assert_eq!(
            rule(backchannel_uri("https://a.n/x", "u")),
            Rule::BackchannelUriPattern
        );
        assert_eq!(
            rule(backchannel_uri("https://a.nl:/x", "u")),
            Rule::BackchannelUriPattern
        );
        assert_eq!(
            rule(backchannel_uri("https://a.nl:123456/x", "u")),
            Rule::BackchannelUriPattern
        );
        assert_eq!(
            rule(backchannel_uri("https://a.nl//x", "u")),
            Rule::BackchannelUriPattern
        );
    }

    #[test]
    fn a_port_the_pattern_admits_but_no_uri_carries_is_out_of_range() {
        assert_eq!(
            rule(backchannel_uri("https://a.nl:65536/x", "u")),
            Rule::PortRange
        );
        assert_eq!(
            rule(backchannel_uri("https://a.nl:\u{0668}\u{0664}/x", "u")),
            Rule::PortRange
        );
        assert_eq!(
            backchannel_uri("https://a.nl:65535", "u").unwrap().port,
            Some(65535)
        );
    }

    #[test]
    fn tijdstempel_follows_xs_datetime_with_a_required_zone() {
        let t = tijdstempel(" 2024-02-29T24:00:00.000+14:00\n").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T00:00:00+14:00");
        assert_eq!(
            tijdstempel("2024-03-01T08:00:00.5-13:59")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        assert_eq!(
            tijdstempel("-0004-02-29T00:00:00Z")
                .unwrap()
                .format("%Y")
                .to_string(),
            "-0004"
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-03-01T24:00:01Z",
            "2024-03-01T23:59:60Z",
            "2024-03-01T08:00:00+14:01",
            "2024-03-01T08:00:00.Z",
            "0000-03-01T08:00:00Z",
            "02024-03-01T08:00:00Z",
            "2024-03-01T08:00:00z",
        ] {
            assert_eq!(rule(tijdstempel(bad)), Rule::Datetime, "{bad}");
        }
    }

    #[test]
    fn tijdstempel_without_a_zone_is_refused_even_when_long_enough() {
        assert_eq!(rule(tijdstempel("2018-04-16T12:56:33.123")), Rule::Timezone);
    }

    #[test]
    fn positive_integer_collapses_whitespace_first() {
        assert_eq!(positive_integer("\n +0042 ").unwrap().as_str(), "42");
        assert_eq!(rule(positive_integer("4 2")), Rule::PositiveInteger);
    }
}
