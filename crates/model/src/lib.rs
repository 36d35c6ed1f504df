//! The shared vocabulary of tlsdoctor: plain serde data that flows between the
//! crates.
//!
//! * [`Target`] — what the user asked about.
//! * [`ProbeRequest`] — what analysis wants to know next (one connection each).
//! * [`Observations`] — what the network showed, and nothing else: no verdicts.
//!   It serializes to JSON, so a diagnosis can be replayed offline and stored
//!   scans can be re-judged when the rules change.
//! * [`Report`] — the judgement: steps, diagnoses, verdict.
//!
//! This crate does no I/O and holds no logic beyond small accessors.
#![forbid(unsafe_code)]

mod bytes;
mod capture;
mod client_hello;
mod observations;
mod report;
mod request;
mod scan;
mod target;
mod transport;
mod vulns;

pub use bytes::Bytes;
pub use capture::CaptureFacts;
pub use client_hello::*;
pub use observations::*;
pub use report::*;
pub use request::*;
pub use scan::*;
pub use target::*;
pub use transport::*;
pub use vulns::*;

/// Version of the JSON documents tlsdoctor prints (`schema_version`).
pub const SCHEMA_VERSION: u32 = 2;
