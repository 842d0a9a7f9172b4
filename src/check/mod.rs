//! Static checking: names, types, arity and the service's limits (`checker`), and lints
//! for likely mistakes (`lint`).

pub mod builtins;
pub mod checker;
pub mod lint;
pub mod types;

pub use checker::check;
