//! The syntax stage: pattern text → JSON tree with spans ([`json`]) → validated, spanned pattern
//! AST ([`ast`]). The productions mirror `grammar/pattern.ebnf`.

pub mod ast;
pub(crate) mod dialect;
pub(crate) mod json;
pub(crate) mod pattern;
mod print;
