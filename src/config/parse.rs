//! Stage one of loading: TOML text into the [`raw`](super::raw) structs.
//!
//! serde stops at the first problem (a syntax error, an unknown key, a value of the wrong
//! type), so this reports one [`Issue`], named with the dotted key serde was at and the line
//! of the span toml gives. Checking the values is stage two, in `validate`.

use super::error::{Issue, Problem};
use super::raw;

/// Stage one: TOML into the raw structs. Serde stops at the first problem, so this yields one.
pub(super) fn parse(text: &str) -> Result<raw::RawConfig, Issue> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let line = e.inner().span().map(|s| line_of(text, s.start));
        let mut key = dotted(e.path());
        let message = e.inner().message().trim_end().replace('\n', "; ");
        let problem = if let Some(rest) = message.strip_prefix("unknown field `") {
            let (field, expected) = rest.split_once("`, ").unwrap_or((rest, ""));
            // serde's path usually ends with the unknown key already; make sure it does.
            if !key.ends_with(&key_segment(field)) {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(&key_segment(field));
            }
            Problem::UnknownKey {
                expected: expected.to_owned(),
            }
        } else if key.is_empty() {
            Problem::Syntax { message }
        } else {
            Problem::WrongType { message }
        };
        Issue { line, key, problem }
    })
}

/// serde's path as the dotted key the file uses, without the markers `Spanned` leaves.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if key.starts_with("$__serde_spanned") {
                    continue;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&key_segment(key));
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// A key as TOML would need it written: bare when it can be, else quoted.
pub(super) fn key_segment(key: &str) -> String {
    let bare = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
