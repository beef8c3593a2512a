//! scopegate: the MedMij scope gateway a DVZA puts in front of its zorgaanbieders' systems.
//!
//! The request path, in the order a request meets it:
//! [`server`] accepts → [`proxy`] phases (authenticate with [`token`], authorize with the pure
//! [`policy::decide`] over one [`snapshot::Snapshot`] of [`config`] + [`lists`] + [`glg`],
//! route, rewrite, forward, respond) → [`audit`] records the decision. [`admin`] and
//! [`metrics`] serve operators; [`cli`] holds the operator commands.

pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod glg;
pub mod lists;
pub mod metrics;
pub mod policy;
pub mod proxy;
pub mod reason;
pub mod scope;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod token;
