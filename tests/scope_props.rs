//! Property tests for the scope grammar (SPEC §5): the parser never panics, printing and
//! parsing round-trip, and tokens just outside the grammar are refused with the right error.

use proptest::prelude::*;
use scopegate::scope::{Scope, ScopeError, ScopeToken};

fn za() -> impl Strategy<Value = String> {
    "[a-z]{3,50}"
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,30}"
}

fn days() -> impl Strategy<Value = u32> {
    1u32..=99_999
}

fn za_token(za: String) -> impl Strategy<Value = ScopeToken> {
    let za2 = za.clone();
    prop_oneof![
        id().prop_map(move |id| ScopeToken::Service { za: za.clone(), id }),
        (days(), id()).prop_map(move |(days, id)| ScopeToken::Subscribe {
            days,
            za: za2.clone(),
            id
        }),
    ]
}

fn any_token(za: String) -> impl Strategy<Value = ScopeToken> {
    prop_oneof![
        3 => za_token(za),
        1 => Just(ScopeToken::OnBehalfOf),
        1 => Just(ScopeToken::OnBehalfOfChild),
    ]
}

/// A valid scope: at least one token naming the ZA, the rest in any order.
fn scope() -> impl Strategy<Value = Scope> {
    za().prop_flat_map(|za| {
        (
            za_token(za.clone()),
            prop::collection::vec(any_token(za.clone()), 0..8),
        )
            .prop_flat_map(|(first, rest)| {
                let mut tokens = rest;
                tokens.push(first);
                Just(tokens).prop_shuffle()
            })
            .prop_map(move |tokens| Scope {
                za: za.clone(),
                tokens,
            })
    })
}

/// The grammar of one token as a regular expression: an independent oracle for `parse`.
fn one_token_oracle() -> regex::Regex {
    let tilde = "(?:~|%7[Ee])";
    let service = format!("[a-z]{{3,50}}{tilde}[A-Za-z0-9._-]{{1,30}}");
    let token =
        format!("onbehalfof|onbehalfofchild|{service}|subscribe{tilde}[1-9][0-9]{{0,4}}/{service}");
    regex::Regex::new(&format!("^(?:{token})$")).unwrap()
}

proptest! {
    #[test]
    fn single_tokens_are_accepted_exactly_when_the_oracle_matches(
        s in "(subscribe|[a-z]{1,4}|[a-zA-Z]{3}|onbehalfof(child)?)(~|%7E|%7e|%7F|/|)([0-9]{0,3}/)?[a-zA-Z]{0,4}(~|%7e|%)?[0-9a-z._/%~-]{0,4}"
    ) {
        let oracle = one_token_oracle();
        let names_a_za = !matches!(s.as_str(), "onbehalfof" | "onbehalfofchild");
        let want = oracle.is_match(&s) && names_a_za;
        prop_assert_eq!(Scope::parse(&s).is_ok(), want, "{:?}", s);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = Scope::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_strings_near_the_grammar(s in "[a-z~%7Eeb/0-9 .\t_-]{0,60}") {
        let _ = Scope::parse(&s);
    }

    #[test]
    fn display_then_parse_gives_back_the_scope(scope in scope()) {
        prop_assert_eq!(Scope::parse(&scope.to_string()), Ok(scope));
    }

    #[test]
    fn percent_encoded_tildes_parse_to_the_same_scope(scope in scope(), upper in any::<bool>()) {
        let encoded = scope.to_string().replace('~', if upper { "%7E" } else { "%7e" });
        prop_assert_eq!(Scope::parse(&encoded), Ok(scope));
    }

    #[test]
    fn service_ids_are_unique_and_cover_every_token(scope in scope()) {
        let ids = scope.service_ids();
        for (i, id) in ids.iter().enumerate() {
            prop_assert!(!ids[..i].contains(id));
        }
        for token in &scope.tokens {
            if let ScopeToken::Service { id, .. } | ScopeToken::Subscribe { id, .. } = token {
                prop_assert!(ids.contains(&id.as_str()));
            }
        }
    }

    #[test]
    fn za_names_of_the_wrong_length_are_refused(za in "[a-z]{1,2}|[a-z]{51,60}", id in id()) {
        prop_assert_eq!(Scope::parse(&format!("{za}~{id}")), Err(ScopeError::BadZa { index: 0 }));
    }

    #[test]
    fn za_names_with_other_characters_are_refused(
        head in "[a-z]{0,5}", bad in "[A-Z0-9._@-]", tail in "[a-z]{0,5}", id in id()
    ) {
        let s = format!("{head}{bad}{tail}x~{id}");
        prop_assert_eq!(Scope::parse(&s), Err(ScopeError::BadZa { index: 0 }));
    }

    #[test]
    fn ids_longer_than_thirty_are_refused(za in za(), id in "[A-Za-z0-9._-]{31,40}") {
        prop_assert_eq!(Scope::parse(&format!("{za}~{id}")), Err(ScopeError::BadId { index: 0 }));
    }

    #[test]
    fn ids_with_characters_outside_the_alphabet_are_refused(
        za in za(), head in "[0-9]{0,5}", bad in "[^A-Za-z0-9._\\- \t\n\r\x0b\x0c]", tail in "[0-9]{0,5}"
    ) {
        let s = format!("{za}~{head}{bad}{tail}");
        prop_assert_eq!(Scope::parse(&s), Err(ScopeError::BadId { index: 0 }));
    }

    #[test]
    fn days_with_leading_zeros_or_too_many_digits_are_refused(
        za in za(), id in id(), days in "0[0-9]{0,4}|[1-9][0-9]{5,8}"
    ) {
        let s = format!("{za}~1 subscribe~{days}/{za}~{id}");
        prop_assert_eq!(Scope::parse(&s), Err(ScopeError::BadDays { index: 1 }));
    }

    #[test]
    fn a_second_za_is_refused(a in za(), b in za(), id in id()) {
        prop_assume!(a != b);
        let s = format!("{a}~{id} onbehalfof {b}~{id}");
        prop_assert_eq!(Scope::parse(&s), Err(ScopeError::MixedZa { index: 2, first: 0 }));
    }

    #[test]
    fn doubled_or_surrounding_spaces_are_refused(scope in scope(), where_ in 0usize..3) {
        let s = scope.to_string();
        let bad = match where_ {
            0 => format!(" {s}"),
            1 => format!("{s} "),
            _ => s.replacen(' ', "  ", 1),
        };
        prop_assume!(bad != s);
        let refused = matches!(Scope::parse(&bad), Err(ScopeError::BadSeparator { .. }));
        prop_assert!(refused, "{:?} was not refused for its separator", bad);
    }
}
