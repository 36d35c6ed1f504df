//! Sans-IO TLS/SSL wire codec.
//!
//! This crate builds and parses TLS and SSL messages and never touches a socket
//! (the quinn-proto / rustls `msgs` idea). Everything it parses may come from a
//! hostile peer: parsing is bounded, never panics and never allocates by a length
//! field it has not checked against the bytes actually present.
#![forbid(unsafe_code)]

pub mod alert;
pub mod codec;
pub mod flight;
pub mod handshake;
pub mod ja3;
pub mod ja4;
pub mod keyshare;
pub mod pcap;
pub mod record;
pub mod registry;
pub mod sslv2;
pub mod tls12;
pub mod tls13;
