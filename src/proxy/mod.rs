//! The request path of the gateway: authenticate → authorize → route → rewrite → forward →
//! respond → audit. The phases themselves are written here by the lead; the HTTP mechanics
//! they call live in the submodules: [`framing`] (refuse ambiguous framing, cap bodies),
//! [`headers`] (SPEC §8 rewriting), [`forward`] (the pooled upstream client) and [`respond`]
//! (the one place a denial becomes a response).

pub mod forward;
pub mod framing;
pub mod headers;
pub mod respond;
