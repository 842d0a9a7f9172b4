//! Static checking: names, types, arity and the service's limits (`checker`), and lints
//! for likely mistakes (`lint`).

pub mod checker;
pub mod lint;

pub use checker::check;
