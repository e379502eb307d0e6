//! Typed pattern builders for Lambda filters (to be written).
