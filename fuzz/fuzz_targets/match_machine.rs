//! `cargo fuzz run match_machine`: see `fuzz/checks.rs` (`match_machine`) for the input format and the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::match_machine(data));
