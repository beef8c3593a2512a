//! Errors of list parsing (filled in by the lists work).
#[derive(Debug, thiserror::Error)]
#[error("list error")]
pub struct ListError;
