//! Token validation.
