//! smalt-compiler: Smalltalk source text to compiled method descriptions.
//!
//! The pipeline is lexer (logos) -> parser (LALRPOP) -> AST (in a bumpalo
//! arena) -> scope analysis -> code generation. The output is plain Rust
//! values ([`CompiledCode`], [`Item`]); this crate never sees an object
//! pointer and never depends on the VM. It never prints, panics or exits:
//! every failure is a [`Diagnostic`] with a position.
#![forbid(unsafe_code)]

pub mod bytecode;
pub mod code;
pub mod diagnostic;

pub use code::*;
pub use diagnostic::Diagnostic;
