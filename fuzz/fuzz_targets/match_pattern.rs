//! `cargo fuzz run match_pattern`: see `fuzz/checks.rs` (`match_pattern`) for the input format and the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::match_pattern(data));
