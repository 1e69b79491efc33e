//! Typed views of the objects the VM itself reads and makes. Knows the
//! layouts in [`layout`]; knows nothing of bytecodes or the interpreter.

pub mod class;
pub mod dictionary;
pub mod layout;
pub mod memory;
pub mod symbol;
