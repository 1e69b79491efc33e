//! smalt-vm: object memory, garbage collection, interpreter and primitives.
//!
//! Dependencies inside this crate run one way: `heap` <- `objects` <-
//! `interp`, `prims` <- `image`, `bootstrap`. Only the region module of
//! `heap` contains `unsafe`.

pub mod heap;
