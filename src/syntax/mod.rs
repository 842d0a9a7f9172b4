//! Text to syntax tree: the logos lexer, the LALRPOP grammar and their errors.

pub mod ast;
pub mod fmt;
pub mod lexer;
pub mod nesting;
pub mod parser;
pub mod span;
