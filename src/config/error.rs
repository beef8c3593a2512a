//! What can be wrong with a configuration file, as typed values.
//!
//! A [`ConfigError`] either says the file could not be read or carries every [`Issue`]
//! found in it, each naming the dotted key (`providers[1].upstream`) and, where the file
//! has one, the 1-based line. Displayed, every issue is one line in the form compilers use:
//! `config/scopegate.toml:42: glg[0].start: "2026-13-01" is not a date (YYYY-MM-DD)`.
//! This module only describes problems; finding them is `validate`'s job.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("{}: cannot read the configuration: {source}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid configuration; every problem found is listed.
    #[error("{}", Rendered { file, issues })]
    Invalid {
        /// The file as the caller named it (`<config>` for text without a file).
        file: String,
        /// Never empty; in the order of the file where practical.
        issues: Vec<Issue>,
    },
}

impl ConfigError {
    /// Every issue found (empty for [`ConfigError::Read`]).
    pub fn issues(&self) -> &[Issue] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { issues, .. } => issues,
        }
    }
}

/// One problem at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// 1-based line of the offending value (or of its table when the key is missing).
    pub line: Option<usize>,
    /// Dotted key, e.g. `providers[1].upstream`; empty for a TOML syntax error.
    pub key: String,
    pub problem: Problem,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.problem)
    }
}

/// The issues of one file, one per line, each prefixed with the file name.
struct Rendered<'a> {
    file: &'a str,
    issues: &'a [Issue],
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{issue}", self.file)?;
        }
        Ok(())
    }
}

/// What is wrong with one key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The text is not TOML.
    #[error("{message}")]
    Syntax { message: String },
    /// The key is not part of SPEC §3 at this place.
    #[error("unknown key ({expected})")]
    UnknownKey { expected: String },
    /// The value has the wrong TOML type (serde's wording).
    #[error("{message}")]
    WrongType { message: String },
    #[error("is required but missing")]
    Missing,
    #[error("must not be empty")]
    Empty,
    #[error("{value:?} is not a duration ({reason})")]
    NotADuration { value: String, reason: String },
    #[error("must be longer than zero")]
    ZeroDuration,
    #[error("{} is too long: at most {} ({why})", humantime::format_duration(*value), humantime::format_duration(*max))]
    DurationTooLong {
        value: Duration,
        max: Duration,
        why: &'static str,
    },
    #[error("{} is shorter than lists.refresh_interval ({}): the lists would go stale between refreshes", humantime::format_duration(*value), humantime::format_duration(*refresh))]
    StaleBeforeRefresh { value: Duration, refresh: Duration },
    #[error("{value} is out of range ({min} to {max})")]
    OutOfRange { value: i64, min: i64, max: i64 },
    #[error("{value:?} is not a date (YYYY-MM-DD)")]
    NotADate { value: String },
    #[error("{value:?} is not a socket address (IP:port)")]
    NotASocketAddr { value: String },
    #[error("{value} is also server.listen; the admin listener needs its own address")]
    SameAsListen { value: std::net::SocketAddr },
    #[error("{value:?} is not a usable URL: {reason}")]
    BadUrl { value: String, reason: UrlProblem },
    #[error("{value:?} is not one of {expected}")]
    NotOneOf {
        value: String,
        expected: &'static str,
    },
    #[error("{value:?} is not a signing algorithm")]
    UnknownAlgorithm { value: String },
    #[error("{value:?} is refused: {why}")]
    RefusedAlgorithm { value: String, why: &'static str },
    #[error("{value:?} is listed twice")]
    DuplicateAlgorithm { value: String },
    /// A key that the token mode needs is absent.
    #[error("is required when tokens.mode = \"{mode}\"")]
    RequiredForMode { mode: &'static str },
    /// A key that only makes sense together with another one.
    #[error("needs {needs}")]
    Needs { needs: &'static str },
    #[error("{value:?} is not a zorgaanbieder name ([a-z]+@medmij, 10 to 57 characters)")]
    NotAProviderName { value: String },
    #[error("{value:?} is already the name of providers[{first}]")]
    DuplicateProvider { value: String, first: usize },
    #[error("{value:?} is not a gegevensdienst id (1 to 30 characters)")]
    NotAServiceId { value: String },
    #[error("{value:?} is not served by this gateway (not one of the [[providers]])")]
    ProviderNotServed { value: String },
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("{0}")]
    Parse(#[from] url::ParseError),
    #[error("the scheme must be http or https, not {0:?}")]
    Scheme(String),
    #[error("it has no host")]
    NoHost,
    #[error("it must not carry a user name or password")]
    Credentials,
    #[error("it must not have a query")]
    Query,
    #[error("it must not have a fragment")]
    Fragment,
}
