//! smalt-compiler: Smalltalk source text to compiled method descriptions.
//!
//! The pipeline is lexer (logos) -> parser (LALRPOP) -> AST (in a bumpalo
//! arena) -> scope analysis -> code generation. The output is plain Rust
//! values ([`CompiledCode`], [`Item`]); this crate never sees an object
//! pointer and never depends on the VM. It never prints, panics or exits:
//! every failure is a [`Diagnostic`] with a position.
#![forbid(unsafe_code)]

pub mod ast;
pub mod bytecode;
pub mod chunk;
mod class_body;
pub mod code;
mod codegen;
#[cfg(test)]
mod codegen_tests;
pub mod diagnostic;
mod disasm;
mod emit;
mod file;
mod inline;
mod input;
pub mod lexer;
mod literal;
mod parse;
mod scope;
mod source_map;
#[cfg(test)]
mod test_vm;

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        unused_parens,
        unused_qualifications
    )]
    grammar
);

use bumpalo::Bump;

pub use chunk::{parse_chunk_file, split_chunks, Chunk};
pub use code::*;
pub use diagnostic::Diagnostic;
pub use disasm::disassemble;
pub use file::parse_file;
pub use input::{input_status, InputStatus};

use crate::ast::{PragmaNode, Span};
use crate::codegen::{Generator, RootKind};
use crate::lexer::Token;
use crate::source_map::SourceMap;

/// Which way a method's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodSyntax {
    /// `pattern [ body ]`, as in bracket-syntax class bodies.
    Bracket,
    /// `pattern body`, as `Behavior>>compile:` and chunk files write it.
    Classic,
}

/// The selector of every doit.
pub const DOIT_SELECTOR: &str = "DoIt";

/// Compiles one method for a class.
pub fn compile_method(
    source: &SourceText,
    syntax: MethodSyntax,
    scope: &ClassScope,
) -> Result<CompiledCode, Vec<Diagnostic>> {
    let map = SourceMap::new(&source.text, &source.origin);
    let tokens = parse::tokens(&map).map_err(|d| vec![d])?;
    let arena = Bump::new();
    let method = parse::method(&arena, &map, &tokens, syntax).map_err(|d| vec![d])?;
    let errors = |errs: Vec<(Span, String)>| {
        errs.into_iter()
            .map(|(s, m)| map.diagnostic(s, m))
            .collect::<Vec<_>>()
    };
    let position = |o: usize| map.position(o);
    let analysis = scope::analyze(method.params, &method.body, true, &position).map_err(errors)?;
    let generator = Generator {
        an: &analysis,
        ivars: &scope.instance_variables,
        selector: method.selector,
        map: &map,
    };
    let whole = Span::new(0, source.text.len());
    let mut code = generator
        .root(method.body.statements, RootKind::Method, whole)
        .map_err(|e| errors(vec![e]))?;
    code.source = source.text.clone();
    apply_pragmas(&mut code, method.body.pragmas).map_err(|e| errors(vec![e]))?;
    Ok(code)
}

/// Sets `primitive` from `<primitive: n>` and lists the other pragmas.
fn apply_pragmas(
    code: &mut CompiledCode,
    pragmas: &[PragmaNode<'_>],
) -> Result<(), (Span, String)> {
    for p in pragmas {
        let arguments = p
            .args
            .iter()
            .map(literal::value)
            .collect::<Result<Vec<_>, _>>()?;
        if p.selector == "primitive:" {
            let number = match arguments.first() {
                Some(Literal::Integer(n)) => u16::try_from(n.clone()).ok().filter(|&n| n > 0),
                _ => None,
            };
            match number {
                Some(n) => code.primitive = n,
                None => {
                    return Err((p.span, "expected a primitive number from 1 to 65535 in <primitive: >, found something else".into()))
                }
            }
            continue;
        }
        code.pragmas.push(Pragma {
            selector: p.selector.to_string(),
            arguments,
        });
    }
    Ok(())
}

/// Compiles a statement sequence as a method `DoIt` of no arguments that
/// answers the value of its last statement (nil if there is none). Leading
/// temps are workspace variables: listed in `declared`, reached as bindings.
pub fn compile_doit(source: &SourceText, scope: &ClassScope) -> Result<DoIt, Vec<Diagnostic>> {
    let map = SourceMap::new(&source.text, &source.origin);
    let tokens = parse::tokens(&map).map_err(|d| vec![d])?;
    compile_doit_tokens(&map, &tokens, false, &scope.instance_variables)
}

/// Compiles `tokens` (a slice of `map`'s text) as a doit. With
/// `temps_are_local`, its temps are method temps (`Eval [ ]`); otherwise
/// they are workspace variables.
pub(crate) fn compile_doit_tokens(
    map: &SourceMap<'_>,
    tokens: &[Token<'_>],
    temps_are_local: bool,
    ivars: &[String],
) -> Result<DoIt, Vec<Diagnostic>> {
    let arena = Bump::new();
    let body = parse::doit_body(&arena, map, tokens).map_err(|d| vec![d])?;
    let errors = |errs: Vec<(Span, String)>| {
        errs.into_iter()
            .map(|(s, m)| map.diagnostic(s, m))
            .collect::<Vec<_>>()
    };
    let position = |o: usize| map.position(o);
    let analysis = scope::analyze(&[], &body, temps_are_local, &position).map_err(errors)?;
    let generator = Generator {
        an: &analysis,
        ivars,
        selector: DOIT_SELECTOR,
        map,
    };
    let span = match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) => Span::new(first.start, last.end),
        _ => Span::new(0, 0),
    };
    let mut code = generator
        .root(body.statements, RootKind::DoIt, span)
        .map_err(|e| errors(vec![e]))?;
    code.source = map
        .text
        .get(span.start..span.end)
        .unwrap_or_default()
        .to_string();
    let declared = if temps_are_local {
        Vec::new()
    } else {
        body.temps.iter().map(|n| n.name.to_string()).collect()
    };
    Ok(DoIt { declared, code })
}
