//! `cargo fuzz run read_event`: see `fuzz/checks.rs` (`read_event`) for the input format and the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::read_event(data));
