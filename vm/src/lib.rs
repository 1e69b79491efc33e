//! smalt-vm: object memory, garbage collection, interpreter and primitives.
//!
//! Dependencies inside this crate run one way: `heap` <- `objects` <-
//! `interp`, `prims` <- `install`, `run`, `bootstrap`. Only the region
//! module of `heap` contains `unsafe`.
//!
//! The facade: [`Vm::bootstrap`] makes a world from the embedded class
//! library; [`Vm::file_in`] runs a source file; [`Vm::evaluate`] runs
//! statements; [`Vm::print_string`] shows a result.

pub mod bootstrap;
mod error;
pub mod heap;
pub mod image;
pub mod install;
pub mod interp;
pub mod introspect;
pub mod objects;
pub mod prims;
pub mod run;

pub use error::VmError;
pub use heap::Oop;
pub use interp::{Halt, Vm, VmOptions};
pub use run::LoadError;
