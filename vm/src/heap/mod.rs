//! The object heap: one contiguous reservation holding every object.
//!
//! Owns object layout (headers, slots), allocation, the scavenger, the
//! mark-compact collector and the verifier. Knows nothing of bytecodes or of
//! what classes mean: a class is only an index in a header.

pub mod header;
pub mod oop;

pub use header::{Format, Header};
pub use oop::Oop;
