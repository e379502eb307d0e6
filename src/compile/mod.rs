//! The compile stage: operator values (numbers, CIDR ranges, wildcards, case folding), wildcard
//! complexity, and the branch representation that matchers consume.

pub(crate) mod cidr;
pub(crate) mod complexity;
pub(crate) mod fold;
pub(crate) mod ir;
pub(crate) mod number;
pub(crate) mod wildcard;
