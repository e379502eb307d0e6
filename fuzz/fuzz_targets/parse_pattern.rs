//! `cargo fuzz run parse_pattern`: see `fuzz/checks.rs` (`parse_pattern`) for the input format and the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parse_pattern(data));
