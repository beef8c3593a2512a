//! scopegate: the MedMij scope gateway a DVZA puts in front of its zorgaanbieders' systems.
//!
//! The request path, in the order a request meets it:
//! [`server`] accepts → [`proxy`] phases (authenticate with [`token`], authorize with the pure
//! [`policy::decide`] over one [`snapshot::Snapshot`] of [`config`] + [`lists`] + [`glg`],
//! route, rewrite, forward, respond) → [`audit`] records the decision. [`admin`] and
//! [`metrics`] serve operators; [`cli`] holds the operator commands.

pub mod admin;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod gateway;
pub mod glg;
pub mod lists;
pub mod metrics;
pub mod policy;
pub mod proxy;
pub mod reason;
pub mod refresh;
pub mod scope;
pub mod serve;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod tls;
pub mod token;
