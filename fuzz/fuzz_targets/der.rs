//! `analysis::der`: DER elements read one after another (bounded, strictly
//! DER), and the SEQUENCE OF INTEGER reader. Never panics; every element
//! lies inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let count = analysis::fuzzing::der_elements(data);
    assert!(count <= data.len());
});
