//! smalt-compiler: Smalltalk source text to compiled method descriptions.
//!
//! The pipeline is lexer (logos) -> parser (LALRPOP) -> AST (in a bumpalo
//! arena) -> scope analysis -> code generation. The output is plain Rust
//! values ([`CompiledCode`], [`Item`]); this crate never sees an object
//! pointer and never depends on the VM. It never prints, panics or exits:
//! every failure is a [`Diagnostic`] with a position.
//!
//! # What the VM must know
//!
//! - **Temps.** A method's temps are its arguments, then its declared temps
//!   and compiler-made ones (inlined-block variables, `to:do:` limits and
//!   counters, temp vectors), `num_temps` in all. A block's are its
//!   arguments, then its `num_copied` copied values (in the order they were
//!   pushed before `PushClosure`), then its own. All start as nil.
//! - **Captured variables.** One that is written after a block captures it
//!   lives in a temp vector (`PushNewTempVector`, held in a temp); blocks get
//!   the vector as a copied value and use the remote-temp opcodes on it.
//!   Temps of a block inlined into a loop get a fresh vector each iteration.
//! - **Free names** (globals, class variables, workspace variables) are
//!   [`Literal::Binding`]s, reached with `PushGlobal`/`StoreGlobal`; the VM
//!   resolves each name to an Association when it installs the code.
//! - **Doits** are methods named [`DOIT_SELECTOR`] with no arguments that
//!   answer their last statement's value. Temps declared at the top of a
//!   [`compile_doit`] input, or between top-level statements of a file, are
//!   workspace variables: listed in [`DoIt::declared`] (create them, nil,
//!   if missing) and reached as bindings. An `Eval [ | t | ... ]`'s temps
//!   are ordinary method temps.
//! - **Files.** [`parse_file`] answers items in order; each top-level
//!   statement is its own doit, to be run before the next item is installed.
//!   [`parse_file_items`] gives the same items one by one with the errors in
//!   their place, so that the items before a syntax error can still run.
//!   Methods in class bodies come back as [`MethodSource`] (text, origin,
//!   [`MethodSyntax`]), already syntax-checked, to be compiled with
//!   [`compile_method`] once their class exists. [`MethodSource::class_side`]
//!   is absolute: inside `Foo class extend [ ]` (an [`Extension`] with
//!   `class_side` set) every method has it set too, and it means "install
//!   in `Foo class`", never in the metaclass's metaclass. Class-variable
//!   initialisers are [`SourceText`] for [`compile_doit`].
//! - **Returns.** `ReturnTop` and its shortcuts in a block are non-local
//!   returns from the home method; `BlockReturn` ends a block normally.
#![forbid(unsafe_code)]

mod ast;
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
#[cfg(test)]
mod inline_equivalence_tests;
mod input;
pub mod lexer;
mod literal;
mod parse;
mod scope;
mod source_map;
#[cfg(test)]
mod test_vm;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, clippy::unwrap_used, unused_parens, unused_qualifications)]
    grammar
);

use bumpalo::Bump;

pub use chunk::{is_chunk_format, parse_chunk_file, split_chunks, Chunk};
pub use code::*;
pub use diagnostic::Diagnostic;
pub use disasm::disassemble;
pub use file::{parse_file, parse_file_items};
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
    let errors = |errs: Vec<(Span, String)>| errs.into_iter().map(|(s, m)| map.diagnostic(s, m)).collect::<Vec<_>>();
    let position = |o: usize| map.position(o);
    let analysis = scope::analyze(method.params, &method.body, true, &position).map_err(errors)?;
    let generator = Generator { an: &analysis, ivars: &scope.instance_variables, selector: method.selector, map: &map };
    let whole = Span::new(0, source.text.len());
    let mut code = generator.root(method.body.statements, RootKind::Method, whole).map_err(|e| errors(vec![e]))?;
    code.source = source.text.clone();
    apply_pragmas(&mut code, method.body.pragmas).map_err(|e| errors(vec![e]))?;
    if code.primitive == 0 {
        code.primitive = bytecode::quick_primitive(&code.bytecodes, code.num_args).unwrap_or(0);
    }
    Ok(code)
}

/// Sets `primitive` from `<primitive: n>` and lists the other pragmas.
fn apply_pragmas(code: &mut CompiledCode, pragmas: &[PragmaNode<'_>]) -> Result<(), (Span, String)> {
    for p in pragmas {
        let arguments = p.args.iter().map(literal::value).collect::<Result<Vec<_>, _>>()?;
        if p.selector == "primitive:" {
            let number = match arguments.first() {
                Some(Literal::Integer(n)) => u16::try_from(n.clone()).ok().filter(|&n| n > 0),
                _ => None,
            };
            match number {
                Some(n) => code.primitive = n,
                None => {
                    return Err((
                        p.span,
                        "expected a primitive number from 1 to 65535 in <primitive: >, found something else".into(),
                    ))
                }
            }
            continue;
        }
        code.pragmas.push(Pragma { selector: p.selector.to_string(), arguments });
    }
    Ok(())
}

/// Compiles a statement sequence as a method `DoIt` of no arguments that
/// answers the value of its last statement (nil if there is none). Leading
/// temps are workspace variables: listed in `declared`, reached as bindings.
pub fn compile_doit(source: &SourceText, scope: &ClassScope) -> Result<DoIt, Vec<Diagnostic>> {
    let map = SourceMap::new(&source.text, &source.origin);
    let mut tokens = parse::tokens(&map).map_err(|d| vec![d])?;
    // As in GNU Smalltalk, `!` ends a statement as `.` does.
    let mut depth = 0i32;
    for t in &mut tokens {
        match t.tok {
            lexer::Tok::LParen
            | lexer::Tok::LBracket
            | lexer::Tok::LBrace
            | lexer::Tok::LitArrayOpen
            | lexer::Tok::ByteArrayOpen => depth += 1,
            lexer::Tok::RParen | lexer::Tok::RBracket | lexer::Tok::RBrace => depth -= 1,
            lexer::Tok::Bang if depth == 0 => t.tok = lexer::Tok::Dot,
            _ => {}
        }
    }
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
    let errors = |errs: Vec<(Span, String)>| errs.into_iter().map(|(s, m)| map.diagnostic(s, m)).collect::<Vec<_>>();
    let position = |o: usize| map.position(o);
    let analysis = scope::analyze(&[], &body, temps_are_local, &position).map_err(errors)?;
    let generator = Generator { an: &analysis, ivars, selector: DOIT_SELECTOR, map };
    let meaningful = tokens.iter().rposition(|t| t.tok != lexer::Tok::Dot).map_or(0, |i| i + 1);
    let span = match (tokens.first(), tokens[..meaningful].last()) {
        (Some(first), Some(last)) => Span::new(first.start, last.end),
        _ => Span::new(0, 0),
    };
    let mut code = generator.root(body.statements, RootKind::DoIt, span).map_err(|e| errors(vec![e]))?;
    code.source = map.text.get(span.start..span.end).unwrap_or_default().to_string();
    let declared = if temps_are_local { Vec::new() } else { body.temps.iter().map(|n| n.name.to_string()).collect() };
    Ok(DoIt { declared, code })
}
