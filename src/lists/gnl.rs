//! (filled in by the lists work)
use super::{ListError, Gnl};

/// Parses and validates a whole document; see the module docs for the accepted forms.
pub fn parse(_xml: &[u8]) -> Result<Gnl, ListError> {
    todo!()
}
