//! Text to syntax tree: the logos lexer, the LALRPOP grammar and their errors.

#[doc(hidden)]
pub mod ast;
#[doc(hidden)]
pub mod fmt;
#[doc(hidden)]
pub mod lexer;
#[doc(hidden)]
pub mod nesting;
#[doc(hidden)]
pub mod parser;
pub mod span;
