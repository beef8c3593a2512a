//! `scopegate audit verify PATH`: checks an audit file's hash chain line by line.
//!
//! Verification is textual, so it cannot drift with JSON formatting: for each line it strips
//! the trailing `,"hash":"<64 hex>"}`, closes the rest with `}` and recomputes the hash over
//! the expected `prev_hash` followed by those bytes. It also checks that every line is a JSON
//! object with exactly the SPEC §11 members and that its `prev_hash` is the previous line's
//! `hash`. It stops at the first broken line and names it.
//!
//! It does not judge the values (a well-chained file with odd values verifies) and it cannot
//! notice that lines were cut off at the end of the file, or that the whole file was
//! rewritten with a fresh chain: compare the last hash with one kept elsewhere for that.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::record::{FIELDS, GENESIS_HASH, chain_hash, split_hash};

/// What a successful verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    /// `hash` of the last record ([`GENESIS_HASH`] for an empty file).
    pub last_hash: String,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ok records={} last_hash={}",
            self.records, self.last_hash
        )
    }
}

/// Why verification stopped.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("error audit_unreadable path={path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("error audit_broken line={line}: {fault}")]
    Broken { line: u64, fault: Fault },
}

impl VerifyError {
    /// The 1-based number of the first broken line, when a line is at fault.
    pub fn line(&self) -> Option<u64> {
        match self {
            VerifyError::Io { .. } => None,
            VerifyError::Broken { line, .. } => Some(*line),
        }
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("bad_json: {0}")]
    BadJson(String),
    #[error("missing_field: {0}")]
    MissingField(&'static str),
    #[error("unexpected_field: {0}")]
    UnexpectedField(String),
    /// The `hash` member is not the last one or is not 64 lowercase hex digits.
    #[error("malformed_hash: the line does not end with \"hash\":\"<64 hex>\"}}")]
    MalformedHash,
    /// A line was deleted, inserted or moved before this one.
    #[error("prev_hash_mismatch: expected {expected}, found {found}")]
    PrevHashMismatch { expected: String, found: String },
    /// The line was changed after it was written.
    #[error("hash_mismatch: computed {computed}, stored {stored}")]
    HashMismatch { computed: String, stored: String },
    /// The file ends in an incomplete line (a crash mid-write; the gateway truncates it on
    /// its next start).
    #[error("torn_line: the last line has no newline")]
    TornLine,
}

/// Checks the chain of the audit file at `path`.
pub fn verify(path: &Path) -> Result<VerifyReport, VerifyError> {
    let io_err = |source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io_err)?);
    let mut prev = GENESIS_HASH.to_string();
    let mut records = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io_err)? == 0 {
            break;
        }
        let line_no = records + 1;
        let broken = |fault| VerifyError::Broken {
            line: line_no,
            fault,
        };
        let Some(line) = buf.strip_suffix(b"\n") else {
            return Err(broken(Fault::TornLine));
        };
        prev = check_line(line, &prev).map_err(broken)?;
        records = line_no;
    }
    Ok(VerifyReport {
        records,
        last_hash: prev,
    })
}

/// Checks one line (without its `\n`) chained after `prev`; returns its hash.
pub(crate) fn check_line(line: &[u8], prev: &str) -> Result<String, Fault> {
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| Fault::BadJson(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(Fault::BadJson("not a JSON object".into()));
    };
    if let Some(field) = FIELDS.iter().find(|f| !object.contains_key(**f)) {
        return Err(Fault::MissingField(field));
    }
    if let Some(extra) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(Fault::UnexpectedField(extra.clone()));
    }
    let found = object
        .get("prev_hash")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if found != prev {
        return Err(Fault::PrevHashMismatch {
            expected: prev.to_string(),
            found: found.to_string(),
        });
    }
    let (body, stored) = split_hash(line).ok_or(Fault::MalformedHash)?;
    let computed = chain_hash(prev, &body);
    if computed != stored {
        return Err(Fault::HashMismatch {
            computed,
            stored: stored.to_string(),
        });
    }
    Ok(computed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{Decision, Kind, Record, encode};
    use crate::reason::Reason;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn record(path: &str) -> Record {
        let ts = Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap();
        Record::new(ts, Kind::Resource, "req", Decision::Allow, "GET", path)
    }

    fn line_of(rec: &Record, prev: &str) -> (Vec<u8>, String) {
        let line = encode(rec, prev).unwrap();
        let text = line.text.trim_end_matches('\n').as_bytes().to_vec();
        (text, line.hash)
    }

    #[test]
    fn a_fresh_line_checks_and_yields_its_hash() {
        let (line, hash) = line_of(&record("/a"), GENESIS_HASH);
        assert_eq!(check_line(&line, GENESIS_HASH), Ok(hash));
    }

    #[test]
    fn an_edited_value_is_a_hash_mismatch() {
        let (line, _) = line_of(&record("/a"), GENESIS_HASH);
        let edited = String::from_utf8(line)
            .unwrap()
            .replace("\"allow\"", "\"deny\"");
        assert!(matches!(
            check_line(edited.as_bytes(), GENESIS_HASH),
            Err(Fault::HashMismatch { .. })
        ));
    }

    #[test]
    fn a_removed_member_is_reported_by_name() {
        let (line, _) = line_of(&record("/a"), GENESIS_HASH);
        let edited = String::from_utf8(line)
            .unwrap()
            .replace("\"glg\":null,", "");
        assert_eq!(
            check_line(edited.as_bytes(), GENESIS_HASH),
            Err(Fault::MissingField("glg"))
        );
    }

    #[test]
    fn an_added_member_is_reported_by_name() {
        let (line, _) = line_of(&record("/a"), GENESIS_HASH);
        let edited = String::from_utf8(line)
            .unwrap()
            .replacen('{', "{\"token\":\"x\",", 1);
        assert_eq!(
            check_line(edited.as_bytes(), GENESIS_HASH),
            Err(Fault::UnexpectedField("token".into()))
        );
    }

    #[test]
    fn a_hash_that_is_not_the_last_member_is_malformed() {
        let (line, _) = line_of(&record("/a"), GENESIS_HASH);
        let mut text = String::from_utf8(line).unwrap();
        text.insert(text.len() - 1, ' ');
        assert_eq!(
            check_line(text.as_bytes(), GENESIS_HASH),
            Err(Fault::MalformedHash)
        );
    }

    #[test]
    fn a_line_chained_after_another_record_is_a_prev_hash_mismatch_here() {
        let (line, _) = line_of(&record("/a"), &"1".repeat(64));
        assert_eq!(
            check_line(&line, GENESIS_HASH),
            Err(Fault::PrevHashMismatch {
                expected: GENESIS_HASH.into(),
                found: "1".repeat(64)
            })
        );
    }

    #[test]
    fn a_broken_line_displays_its_number_and_fault() {
        let err = VerifyError::Broken {
            line: 7,
            fault: Fault::MissingField("kind"),
        };
        assert_eq!(
            err.to_string(),
            "error audit_broken line=7: missing_field: kind"
        );
        assert_eq!(err.line(), Some(7));
    }

    fn opt(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    /// Any string, with quotes, backslashes, control characters and `\n` well represented.
    fn nasty_string() -> impl Strategy<Value = String> {
        let tricky =
            proptest::sample::select(vec!['"', '\\', '\n', '\r', '\0', '\u{1f}', '\u{2028}', '}']);
        let char = prop_oneof![any::<char>(), tricky];
        proptest::collection::vec(char, 0..40).prop_map(String::from_iter)
    }

    proptest! {
        #[test]
        fn any_field_strings_make_a_line_that_verifies(
            fields in proptest::collection::vec(nasty_string(), 11),
            status in any::<Option<u16>>(),
            upstream_ms in any::<Option<u64>>(),
            reason in proptest::sample::select(Reason::ALL.to_vec()),
        ) {
            let mut rec = record(&fields[0]);
            rec.request_id = fields[1].clone();
            rec.correlation_id = opt(&fields[2]);
            rec.client = opt(&fields[3]);
            rec.cert_host = opt(&fields[4]);
            rec.provider = opt(&fields[5]);
            rec.requested_service = opt(&fields[6]);
            rec.effective_service = opt(&fields[7]);
            rec.glg = opt(&fields[8]);
            rec.method = fields[9].clone();
            rec.sub_hash = opt(&fields[10]);
            rec.reason = Some(reason);
            rec.status = status;
            rec.upstream_ms = upstream_ms;
            let first = encode(&rec, GENESIS_HASH).unwrap();
            let second = encode(&rec, &first.hash).unwrap();
            prop_assert_eq!(first.text.matches('\n').count(), 1);
            let one = first.text.trim_end_matches('\n').as_bytes();
            let two = second.text.trim_end_matches('\n').as_bytes();
            prop_assert_eq!(check_line(one, GENESIS_HASH), Ok(first.hash.clone()));
            prop_assert_eq!(check_line(two, &first.hash), Ok(second.hash));
        }
    }
}
