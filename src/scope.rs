//! The MedMij OAuth scope grammar (SPEC §5). Filled in by the scope work.
//!
//! A scope is one or more tokens separated by single spaces, all naming the same ZA:
//! `<za>~<id>`, `subscribe~<days>/<za>~<id>`, `onbehalfof`, `onbehalfofchild`.

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

/// A well-formed scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The ZA without `@medmij`, as in the scope.
    pub za: String,
    /// In the order given.
    pub tokens: Vec<ScopeToken>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed scope")]
pub struct ScopeError;

impl Scope {
    pub fn parse(_s: &str) -> Result<Scope, ScopeError> {
        Err(ScopeError)
    }

    /// The ZA's full name as on the ZAL (`<za>@medmij`).
    pub fn provider(&self) -> String {
        format!("{}@medmij", self.za)
    }

    /// The gegevensdienst ids the scope names, in order, without duplicates.
    pub fn service_ids(&self) -> Vec<&str> {
        Vec::new()
    }
}
