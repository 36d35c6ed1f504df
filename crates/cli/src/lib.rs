//! tlsdoctor as a library: the engine loop, report rendering and the demo.
//! The binary (`main.rs`) only parses arguments and calls in here.
#![forbid(unsafe_code)]

pub mod args;
pub mod batch;
pub mod capture;
pub mod commands;
pub mod compare;
pub mod demo;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod listen;
pub mod render;
pub mod scan;
pub mod target;
pub mod trust;

#[cfg(test)]
mod fix_commands_tests;
