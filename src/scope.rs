//! The MedMij OAuth scope grammar (SPEC §5): parsing a scope string into a [`Scope`] and
//! printing it back.
//!
//! A scope is one or more tokens separated by single spaces, all naming the same ZA:
//! `<za>~<id>`, `subscribe~<days>/<za>~<id>`, `onbehalfof`, `onbehalfofchild`. Anything
//! else is malformed, and [`ScopeError`] says what was wrong. The choices where MedMij
//! leaves room:
//!
//! - `<za>` is 3..=50 lowercase ASCII letters: the ZAL's `Zorgaanbiedernaam` is
//!   `[a-z]+@medmij` of length 10..=57, and the scope carries it without `@medmij`.
//! - `<id>` is 1..=30 characters of `[A-Za-z0-9._-]`. `GegevensdienstId` is an `xs:string`
//!   of length 1..=30; a scope needs an alphabet without its own delimiters (space, `~`,
//!   `/`, `%`), and every id MedMij has issued is digits.
//! - `<days>` is a positive decimal integer without leading zeros, at most 5 digits
//!   (99999 days is over 270 years; anything longer is not a real subscription).
//! - `~` may arrive percent-encoded as `%7E` or `%7e`; [`Scope::parse`] accepts both
//!   wherever the grammar has `~`. No other percent-encoding is decoded.
//! - `subscribe~48` (no `/`) is the service token of a ZA named `subscribe`, which the
//!   grammar allows; only a token with `/` is read as a subscription.
//! - Repeated tokens are kept as given; [`Scope::service_ids`] deduplicates.
//!
//! This module does not decide whether the ZA or ids exist or are allowed: that is
//! [`crate::policy`], which calls [`Scope::parse`] once per request (so parsing validates
//! on borrowed slices and allocates only the owned result).

use std::collections::HashSet;

use smallvec::SmallVec;
use std::fmt;

/// The literal `onbehalfof` token.
const ON_BEHALF_OF: &str = "onbehalfof";
/// The literal `onbehalfofchild` token.
const ON_BEHALF_OF_CHILD: &str = "onbehalfofchild";
const SUBSCRIBE: &str = "subscribe";
const ZA_LEN: std::ops::RangeInclusive<usize> = 3..=50;
const ID_MAX_LEN: usize = 30;
const DAYS_MAX_DIGITS: usize = 5;
/// Up to this many tokens [`Scope::service_ids`] deduplicates without hashing.
const DEDUP_LINEAR_MAX: usize = 32;

/// One token of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeToken {
    /// `<za>~<id>`
    Service {
        za: String,
        id: String,
    },
    /// `subscribe~<days>/<za>~<id>`
    Subscribe {
        days: u32,
        za: String,
        id: String,
    },
    OnBehalfOf,
    OnBehalfOfChild,
}

impl ScopeToken {
    /// The gegevensdienst id this token names, if any.
    pub fn service_id(&self) -> Option<&str> {
        match self {
            ScopeToken::Service { id, .. } | ScopeToken::Subscribe { id, .. } => Some(id),
            ScopeToken::OnBehalfOf | ScopeToken::OnBehalfOfChild => None,
        }
    }
}

/// Prints the token in its canonical form (with `~`, never `%7E`).
impl fmt::Display for ScopeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeToken::Service { za, id } => write!(f, "{za}~{id}"),
            ScopeToken::Subscribe { days, za, id } => write!(f, "{SUBSCRIBE}~{days}/{za}~{id}"),
            ScopeToken::OnBehalfOf => f.write_str(ON_BEHALF_OF),
            ScopeToken::OnBehalfOfChild => f.write_str(ON_BEHALF_OF_CHILD),
        }
    }
}

/// A well-formed scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The ZA without `@medmij`, as in the scope.
    pub za: String,
    /// In the order given.
    pub tokens: Vec<ScopeToken>,
}

/// What made a scope malformed. `index` is the 0-based position of the offending token;
/// `at` a byte offset into the scope string. Carries no part of the scope itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope is empty")]
    Empty,
    #[error("scope has a bad separator at byte {at}: tokens are separated by single spaces")]
    BadSeparator { at: usize },
    #[error(
        "scope token {index} is not one of <za>~<id>, subscribe~<days>/<za>~<id>, onbehalfof, onbehalfofchild"
    )]
    UnknownToken { index: usize },
    #[error("scope token {index} has a bad zorgaanbieder name (3 to 50 letters a-z)")]
    BadZa { index: usize },
    #[error("scope token {index} has a bad gegevensdienst id (1 to 30 of A-Z a-z 0-9 . _ -)")]
    BadId { index: usize },
    #[error("scope token {index} has a bad number of days (1 to 99999, no leading zeros)")]
    BadDays { index: usize },
    #[error("scope token {index} names another zorgaanbieder than token {first}")]
    MixedZa { index: usize, first: usize },
    #[error("scope names no zorgaanbieder")]
    NoZa,
}

/// A token as found in the string, before anything is copied.
enum Parsed<'a> {
    Service { za: &'a str, id: &'a str },
    Subscribe { days: u32, za: &'a str, id: &'a str },
    OnBehalfOf,
    OnBehalfOfChild,
}

/// Why one token is malformed; [`ScopeError`] adds its index.
enum TokenError {
    Unknown,
    Za,
    Id,
    Days,
}

impl TokenError {
    fn at(self, index: usize) -> ScopeError {
        match self {
            TokenError::Unknown => ScopeError::UnknownToken { index },
            TokenError::Za => ScopeError::BadZa { index },
            TokenError::Id => ScopeError::BadId { index },
            TokenError::Days => ScopeError::BadDays { index },
        }
    }
}

impl Scope {
    /// Parses a scope per SPEC §5 (see the module docs for the exact grammar). Accepts `~`
    /// also as `%7E`/`%7e`. Never panics.
    pub fn parse(s: &str) -> Result<Scope, ScopeError> {
        let mut tokens = Vec::with_capacity(s.bytes().filter(|&b| b == b' ').count() + 1);
        let za = parse_with(s, |parsed| tokens.push(parsed.into_owned()))?;
        Ok(Scope {
            za: za.to_owned(),
            tokens,
        })
    }

    /// The ZA's full name as on the ZAL (`<za>@medmij`).
    pub fn provider(&self) -> String {
        format!("{}@medmij", self.za)
    }

    /// The gegevensdienst ids the scope names, in order, without duplicates.
    /// Linear for the usual handful of tokens, hashed beyond 32 tokens so that a
    /// scope of thousands of tokens stays cheap.
    pub fn service_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::with_capacity(self.tokens.len());
        let all = self.tokens.iter().filter_map(ScopeToken::service_id);
        if self.tokens.len() <= DEDUP_LINEAR_MAX {
            for id in all {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        } else {
            let mut seen = HashSet::with_capacity(self.tokens.len());
            ids.extend(all.filter(|id| seen.insert(*id)));
        }
        ids
    }
}

/// A well-formed scope borrowed from the string it was parsed from: the ZA and the
/// deduplicated service ids, without allocating for the usual handful of tokens. This is
/// what the per-request decision uses; [`Scope`] is the owned form for everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeView<'a> {
    /// The ZA without `@medmij`.
    pub za: &'a str,
    /// Service ids of `<za>~<id>` and `subscribe~<days>/<za>~<id>` tokens, in order, each once.
    pub ids: SmallVec<[&'a str; 4]>,
}

impl<'a> ScopeView<'a> {
    /// Parses exactly as [`Scope::parse`] does.
    pub fn parse(s: &'a str) -> Result<ScopeView<'a>, ScopeError> {
        let mut ids: SmallVec<[&'a str; 4]> = SmallVec::new();
        let mut seen: Option<HashSet<&'a str>> = None;
        let za = parse_with(s, |parsed| {
            let id = match parsed {
                Parsed::Service { id, .. } | Parsed::Subscribe { id, .. } => id,
                Parsed::OnBehalfOf | Parsed::OnBehalfOfChild => return,
            };
            if ids.len() < DEDUP_LINEAR_MAX {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            } else {
                let seen = seen.get_or_insert_with(|| ids.iter().copied().collect());
                if seen.insert(id) {
                    ids.push(id);
                }
            }
        })?;
        Ok(ScopeView { za, ids })
    }
}

/// Checks the separators and every token, hands each parsed token to `visit` in order and
/// returns the one ZA the scope names.
fn parse_with<'a>(s: &'a str, mut visit: impl FnMut(Parsed<'a>)) -> Result<&'a str, ScopeError> {
    check_separators(s)?;
    // The ZA as written in the first token that names one, and that token's index.
    let mut first_za: Option<(&str, usize)> = None;
    for (index, raw) in s.split(' ').enumerate() {
        let parsed = parse_token(raw).map_err(|e| e.at(index))?;
        let za = match parsed {
            Parsed::Service { za, .. } | Parsed::Subscribe { za, .. } => za,
            Parsed::OnBehalfOf | Parsed::OnBehalfOfChild => "",
        };
        if !za.is_empty() {
            match first_za {
                None => first_za = Some((za, index)),
                Some((first, _)) if first == za => {}
                Some((_, first)) => return Err(ScopeError::MixedZa { index, first }),
            }
        }
        visit(parsed);
    }
    first_za.map(|(za, _)| za).ok_or(ScopeError::NoZa)
}

/// Prints the scope in canonical form: tokens in order, single spaces, `~` unencoded.
/// `Scope::parse(&scope.to_string())` gives back `scope`.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{token}")?;
        }
        Ok(())
    }
}

impl Parsed<'_> {
    fn into_owned(self) -> ScopeToken {
        match self {
            Parsed::Service { za, id } => ScopeToken::Service {
                za: za.to_owned(),
                id: id.to_owned(),
            },
            Parsed::Subscribe { days, za, id } => ScopeToken::Subscribe {
                days,
                za: za.to_owned(),
                id: id.to_owned(),
            },
            Parsed::OnBehalfOf => ScopeToken::OnBehalfOf,
            Parsed::OnBehalfOfChild => ScopeToken::OnBehalfOfChild,
        }
    }
}

/// Empty scopes, leading, trailing or double spaces, and whitespace other than the space.
fn check_separators(s: &str) -> Result<(), ScopeError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err(ScopeError::Empty);
    }
    let mut previous_space = true; // a space at byte 0 is a leading space
    for (at, &b) in bytes.iter().enumerate() {
        let space = b == b' ';
        if (space && previous_space) || (b.is_ascii_whitespace() && !space) {
            return Err(ScopeError::BadSeparator { at });
        }
        previous_space = space;
    }
    if previous_space {
        return Err(ScopeError::BadSeparator {
            at: bytes.len() - 1,
        });
    }
    Ok(())
}

fn parse_token(token: &str) -> Result<Parsed<'_>, TokenError> {
    match token {
        ON_BEHALF_OF => return Ok(Parsed::OnBehalfOf),
        ON_BEHALF_OF_CHILD => return Ok(Parsed::OnBehalfOfChild),
        _ => {}
    }
    let (head, rest) = split_tilde(token).ok_or(TokenError::Unknown)?;
    if head == SUBSCRIBE {
        if let Some((days, service)) = rest.split_once('/') {
            let days = parse_days(days).ok_or(TokenError::Days)?;
            let (za, id) = split_tilde(service).ok_or(TokenError::Unknown)?;
            let (za, id) = za_and_id(za, id)?;
            return Ok(Parsed::Subscribe { days, za, id });
        }
    }
    let (za, id) = za_and_id(head, rest)?;
    Ok(Parsed::Service { za, id })
}

/// Splits at the first `~`, `%7E` or `%7e`.
fn split_tilde(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'~' => return Some((&s[..i], &s[i + 1..])),
            b'%' if bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.eq_ignore_ascii_case(b"7e")) =>
            {
                return Some((&s[..i], &s[i + 3..]));
            }
            _ => i += 1,
        }
    }
    None
}

fn za_and_id<'a>(za: &'a str, id: &'a str) -> Result<(&'a str, &'a str), TokenError> {
    if !is_za(za) {
        return Err(TokenError::Za);
    }
    if !is_id(id) {
        return Err(TokenError::Id);
    }
    Ok((za, id))
}

fn is_za(s: &str) -> bool {
    ZA_LEN.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

fn is_id(s: &str) -> bool {
    (1..=ID_MAX_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A positive decimal integer without leading zeros, at most [`DAYS_MAX_DIGITS`] digits.
fn parse_days(s: &str) -> Option<u32> {
    let ok = (1..=DAYS_MAX_DIGITS).contains(&s.len())
        && !s.starts_with('0')
        && s.bytes().all(|b| b.is_ascii_digit());
    if ok { s.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(za: &str, id: &str) -> ScopeToken {
        ScopeToken::Service {
            za: za.into(),
            id: id.into(),
        }
    }

    #[test]
    fn parses_a_single_service_token() {
        let scope = Scope::parse("umcharderwijk~9051").unwrap();
        assert_eq!(scope.za, "umcharderwijk");
        assert_eq!(scope.tokens, [service("umcharderwijk", "9051")]);
        assert_eq!(scope.provider(), "umcharderwijk@medmij");
    }

    #[test]
    fn parses_every_token_kind_in_order() {
        let scope =
            Scope::parse("onbehalfof umch~48 subscribe~30/umch~49 onbehalfofchild").unwrap();
        assert_eq!(
            scope.tokens,
            [
                ScopeToken::OnBehalfOf,
                service("umch", "48"),
                ScopeToken::Subscribe {
                    days: 30,
                    za: "umch".into(),
                    id: "49".into()
                },
                ScopeToken::OnBehalfOfChild,
            ]
        );
    }

    #[test]
    fn accepts_percent_encoded_tildes_in_either_case() {
        let scope = Scope::parse("umch%7E48 subscribe%7e7/umch%7e49").unwrap();
        assert_eq!(scope.to_string(), "umch~48 subscribe~7/umch~49");
    }

    #[test]
    fn subscribe_without_a_slash_is_a_za_named_subscribe() {
        let scope = Scope::parse("subscribe~48").unwrap();
        assert_eq!(scope.tokens, [service("subscribe", "48")]);
    }

    #[test]
    fn service_ids_deduplicate_in_order() {
        let scope = Scope::parse("umch~49 umch~48 subscribe~1/umch~49 onbehalfof umch~48").unwrap();
        assert_eq!(scope.service_ids(), ["49", "48"]);
    }

    #[test]
    fn service_ids_deduplicate_long_scopes_in_order() {
        let s: Vec<String> = (0..100).map(|i| format!("umch~{}", i % 7)).collect();
        let scope = Scope::parse(&s.join(" ")).unwrap();
        assert_eq!(scope.service_ids(), ["0", "1", "2", "3", "4", "5", "6"]);
    }

    #[test]
    fn za_and_id_length_boundaries() {
        let za3 = "abc";
        let za50 = "a".repeat(50);
        let id30 = "9".repeat(30);
        assert!(Scope::parse(&format!("{za3}~1")).is_ok());
        assert!(Scope::parse(&format!("{za50}~{id30}")).is_ok());
        assert_eq!(Scope::parse("ab~1"), Err(ScopeError::BadZa { index: 0 }));
        assert_eq!(
            Scope::parse(&format!("{za50}a~1")),
            Err(ScopeError::BadZa { index: 0 })
        );
        assert_eq!(
            Scope::parse(&format!("abc~{id30}9")),
            Err(ScopeError::BadId { index: 0 })
        );
    }

    #[test]
    fn id_alphabet_allows_letters_digits_dot_underscore_dash() {
        assert!(Scope::parse("umch~Aa0._-").is_ok());
        for bad in [
            "umch~",
            "umch~4/8",
            "umch~4~8",
            "umch~4%208",
            "umch~4é",
            "umch~4+8",
        ] {
            assert_eq!(
                Scope::parse(bad),
                Err(ScopeError::BadId { index: 0 }),
                "{bad}"
            );
        }
    }

    #[test]
    fn separator_errors_table() {
        let cases = [
            ("", ScopeError::Empty),
            (" umch~48", ScopeError::BadSeparator { at: 0 }),
            ("umch~48 ", ScopeError::BadSeparator { at: 7 }),
            ("umch~48  umch~49", ScopeError::BadSeparator { at: 8 }),
            ("umch~48\tumch~49", ScopeError::BadSeparator { at: 7 }),
            ("umch~48\numch~49", ScopeError::BadSeparator { at: 7 }),
            (" ", ScopeError::BadSeparator { at: 0 }),
        ];
        for (s, want) in cases {
            assert_eq!(Scope::parse(s), Err(want), "{s:?}");
        }
    }

    #[test]
    fn token_errors_name_the_token_index() {
        let cases = [
            ("umch~48 onbehalf", ScopeError::UnknownToken { index: 1 }),
            ("umch~48 ONBEHALFOF", ScopeError::UnknownToken { index: 1 }),
            ("Umch~48", ScopeError::BadZa { index: 0 }),
            ("umch1~48", ScopeError::BadZa { index: 0 }),
            ("~48", ScopeError::BadZa { index: 0 }),
            (
                "umch~48 subscribe~0/umch~48",
                ScopeError::BadDays { index: 1 },
            ),
            ("subscribe~007/umch~48", ScopeError::BadDays { index: 0 }),
            ("subscribe~100000/umch~48", ScopeError::BadDays { index: 0 }),
            ("subscribe~/umch~48", ScopeError::BadDays { index: 0 }),
            ("subscribe~-1/umch~48", ScopeError::BadDays { index: 0 }),
            ("subscribe~30/umch48", ScopeError::UnknownToken { index: 0 }),
            ("subscribe~30/umch~", ScopeError::BadId { index: 0 }),
            ("umch%7F48", ScopeError::UnknownToken { index: 0 }),
        ];
        for (s, want) in cases {
            assert_eq!(Scope::parse(s), Err(want), "{s:?}");
        }
    }

    #[test]
    fn days_boundaries() {
        assert!(Scope::parse("subscribe~1/umch~48").is_ok());
        assert!(Scope::parse("subscribe~99999/umch~48").is_ok());
    }

    #[test]
    fn all_tokens_must_name_the_same_za() {
        assert_eq!(
            Scope::parse("umch~48 onbehalfof subscribe~1/other~48"),
            Err(ScopeError::MixedZa { index: 2, first: 0 })
        );
    }

    #[test]
    fn literals_alone_name_no_za() {
        assert_eq!(
            Scope::parse("onbehalfof onbehalfofchild"),
            Err(ScopeError::NoZa)
        );
    }

    #[test]
    fn the_borrowed_view_agrees_with_the_owned_scope() {
        for s in [
            "umcharderwijk~9051",
            "onbehalfof umcharderwijk~48 subscribe~30/umcharderwijk~49 umcharderwijk~48",
            "umcharderwijk%7E51 onbehalfofchild",
        ] {
            let owned = Scope::parse(s).unwrap();
            let view = ScopeView::parse(s).unwrap();
            assert_eq!(view.za, owned.za);
            assert_eq!(view.ids.to_vec(), owned.service_ids());
        }
    }

    #[test]
    fn the_borrowed_view_refuses_what_the_owned_scope_refuses() {
        for s in ["", "umch~1 other~2", "onbehalfof", "umch~", " umch~1"] {
            assert_eq!(ScopeView::parse(s).err(), Scope::parse(s).err(), "{s:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "umch~48",
            "onbehalfof umch~48 umch~48",
            "subscribe~365/umch~x.Y_z-1 onbehalfofchild",
        ] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn errors_describe_the_problem_without_the_scope() {
        let err = Scope::parse("umch~48 geheim~1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "scope token 1 names another zorgaanbieder than token 0"
        );
    }
}
