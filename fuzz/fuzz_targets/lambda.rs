//! `cargo fuzz run lambda`: see `fuzz/checks.rs` (`lambda`) for the input format and the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::lambda(data));
