//! Static checking: names, types, arity and the service's limits.

pub mod builtins;
