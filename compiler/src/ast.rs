//! The syntax tree, allocated in a bumpalo arena that lives for one compile.
//!
//! Nodes are `Copy` and borrow both the arena and the source text. Literals
//! keep their source spelling; turning them into values (and reporting a
//! byte out of range) is [`crate::literal`]'s job. The tree says nothing about
//! which names are temps, instance variables or globals: that is scope
//! analysis.

use bumpalo::Bump;

/// A byte range in the text that was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span { start: self.start, end: other.end.max(self.start) }
    }
}

/// A syntax error found by a grammar action (the parser's own errors are
/// turned into diagnostics by [`crate::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// A name and where it is written: an argument, a temp, a variable reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name<'a> {
    pub name: &'a str,
    pub span: Span,
}

/// A literal as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit<'a> {
    /// The number's text, e.g. `-16r1F` or `3.14s2`.
    Number(&'a str),
    Char(char),
    /// With its quotes and doubled quotes.
    Str(&'a str),
    /// With its `#`, and quotes when quoted: `#foo`, `#'a b'`.
    Symbol(&'a str),
    /// A word inside a literal array that stands for a symbol: `foo`, `at:put:`, `+`.
    BareSymbol(&'a str),
    Nil,
    True,
    False,
    Array(&'a [LitNode<'a>]),
    ByteArray(&'a [LitNode<'a>]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LitNode<'a> {
    pub lit: Lit<'a>,
    pub span: Span,
}

/// A message: selector and arguments, without its receiver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message<'a> {
    pub selector: &'a str,
    pub args: &'a [Expr<'a>],
    /// Where the selector (its first keyword) is written.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expr<'a> {
    Literal(LitNode<'a>),
    /// Any name, including `self`, `super`, `nil`, `true`, `false`, `thisContext`.
    Variable(Name<'a>),
    Assign {
        target: Name<'a>,
        value: &'a Expr<'a>,
    },
    Send {
        receiver: &'a Expr<'a>,
        message: Message<'a>,
    },
    /// `receiver m1; m2 m3; ...`: each part is a chain of messages whose first
    /// goes to the receiver and each next one to the previous one's result.
    Cascade {
        receiver: &'a Expr<'a>,
        parts: &'a [&'a [Message<'a>]],
    },
    Block(&'a Block<'a>),
    /// `{a. b}`
    Brace {
        elements: &'a [Expr<'a>],
        span: Span,
    },
}

impl Expr<'_> {
    /// The span of the whole expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(l) => l.span,
            Expr::Variable(n) => n.span,
            Expr::Assign { target, value } => target.span.to(value.span()),
            Expr::Send { receiver, message } => {
                let end = message.args.last().map_or(message.span, |a| a.span());
                receiver.span().to(end)
            }
            Expr::Cascade { receiver, parts } => {
                let last = parts.last().and_then(|p| p.last());
                match last {
                    Some(m) => receiver.span().to(m.args.last().map_or(m.span, |a| a.span())),
                    None => receiver.span(),
                }
            }
            Expr::Block(b) => b.span,
            Expr::Brace { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stmt<'a> {
    Expr(Expr<'a>),
    /// `^expr`; the span is the caret's.
    Return(Expr<'a>, Span),
}

impl Stmt<'_> {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Expr(e) => e.span(),
            Stmt::Return(e, caret) => caret.to(e.span()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block<'a> {
    pub params: &'a [Name<'a>],
    pub temps: &'a [Name<'a>],
    pub body: &'a [Stmt<'a>],
    pub span: Span,
}

/// `<keyword: literal ...>` in a method body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PragmaNode<'a> {
    pub selector: &'a str,
    pub args: &'a [LitNode<'a>],
    pub span: Span,
}

/// Temps, pragmas and statements: a method's body or a doit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Body<'a> {
    pub temps: &'a [Name<'a>],
    pub pragmas: &'a [PragmaNode<'a>],
    pub statements: &'a [Stmt<'a>],
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Method<'a> {
    pub selector: &'a str,
    pub params: &'a [Name<'a>],
    pub body: Body<'a>,
    /// Where the selector pattern is written.
    pub pattern_span: Span,
}

/// One declaration at the head of a body.
#[derive(Debug, Clone)]
pub enum Decl<'a> {
    Temps(Vec<Name<'a>>),
    Pragma(PragmaNode<'a>),
}

/// Moves `items` into the arena.
pub fn slice<T: Copy>(arena: &Bump, items: Vec<T>) -> &[T] {
    arena.alloc_slice_copy(&items)
}

/// Builds a [`Body`] from its head declarations and statements.
pub fn body<'a>(arena: &'a Bump, decls: Vec<Decl<'a>>, statements: Vec<Stmt<'a>>) -> Body<'a> {
    let mut temps = Vec::new();
    let mut pragmas = Vec::new();
    for d in decls {
        match d {
            Decl::Temps(t) => temps.extend(t),
            Decl::Pragma(p) => pragmas.push(p),
        }
    }
    Body { temps: slice(arena, temps), pragmas: slice(arena, pragmas), statements: slice(arena, statements) }
}

/// Builds a send of a keyword message from its parts.
pub fn keyword_message<'a>(arena: &'a Bump, parts: Vec<(Span, &'a str, Expr<'a>)>) -> Message<'a> {
    let selector: String = parts.iter().map(|(_, k, _)| *k).collect();
    let span = parts.first().map_or(Span::default(), |p| p.0);
    let args: Vec<Expr<'a>> = parts.into_iter().map(|(_, _, e)| e).collect();
    Message { selector: arena.alloc_str(&selector), args: slice(arena, args), span }
}

/// Builds `receiver message`.
pub fn send<'a>(arena: &'a Bump, receiver: Expr<'a>, message: Message<'a>) -> Expr<'a> {
    Expr::Send { receiver: arena.alloc(receiver), message }
}

/// Builds a cascade from its first expression (which must be a send) and the
/// message chains after each `;`.
pub fn cascade<'a>(
    arena: &'a Bump,
    first: Expr<'a>,
    rest: Vec<Vec<Message<'a>>>,
    semicolon: Span,
) -> Result<Expr<'a>, SyntaxError> {
    let Expr::Send { receiver, message } = first else {
        return Err(SyntaxError {
            span: semicolon,
            message: "expected a message send before ';' (a cascade sends more messages to the receiver of the last one), found an expression without one".into(),
        });
    };
    let mut parts: Vec<&'a [Message<'a>]> = vec![arena.alloc_slice_copy(&[message])];
    for chain in rest {
        parts.push(slice(arena, chain));
    }
    Ok(Expr::Cascade { receiver, parts: slice(arena, parts) })
}

/// A bare word in a literal array or pragma: `true`, `false` and `nil` are
/// themselves, anything else a symbol.
pub fn bare_word(word: &str) -> Lit<'_> {
    match word {
        "true" => Lit::True,
        "false" => Lit::False,
        "nil" => Lit::Nil,
        _ => Lit::BareSymbol(word),
    }
}

/// How deeply expressions may nest. The passes after parsing recurse over
/// the tree, so this bounds their stack use; real code stays far below it.
pub const MAX_NESTING: usize = 256;

/// Finds an expression nested more than [`MAX_NESTING`] deep, without itself
/// recursing further than that.
pub fn too_deep(statements: &[Stmt<'_>]) -> Option<Span> {
    fn stmts(s: &[Stmt<'_>], depth: usize) -> Option<Span> {
        s.iter().find_map(|st| match st {
            Stmt::Expr(e) | Stmt::Return(e, _) => expr(e, depth),
        })
    }
    fn expr(e: &Expr<'_>, depth: usize) -> Option<Span> {
        if depth > MAX_NESTING {
            return Some(match e {
                Expr::Variable(n) => n.span,
                Expr::Literal(l) => l.span,
                Expr::Send { message, .. } => message.span,
                Expr::Block(b) => Span::new(b.span.start, b.span.start + 1),
                Expr::Brace { span, .. } => Span::new(span.start, span.start + 1),
                Expr::Assign { target, .. } => target.span,
                Expr::Cascade { parts, .. } => {
                    parts.first().and_then(|p| p.first()).map_or(Span::default(), |m| m.span)
                }
            });
        }
        let d = depth + 1;
        match e {
            Expr::Literal(l) => literal_too_deep(l, d),
            Expr::Variable(_) => None,
            Expr::Assign { value, .. } => expr(value, d),
            Expr::Send { receiver, message } => {
                expr(receiver, d).or_else(|| message.args.iter().find_map(|a| expr(a, d)))
            }
            Expr::Cascade { receiver, parts } => expr(receiver, d)
                .or_else(|| parts.iter().flat_map(|p| p.iter()).flat_map(|m| m.args.iter()).find_map(|a| expr(a, d))),
            Expr::Block(b) => stmts(b.body, d),
            Expr::Brace { elements, .. } => elements.iter().find_map(|el| expr(el, d)),
        }
    }
    stmts(statements, 0)
}

/// Finds a literal array nested more than [`MAX_NESTING`] deep.
pub fn literal_too_deep(l: &LitNode<'_>, depth: usize) -> Option<Span> {
    if depth > MAX_NESTING {
        return Some(l.span);
    }
    match l.lit {
        Lit::Array(items) | Lit::ByteArray(items) => items.iter().find_map(|i| literal_too_deep(i, depth + 1)),
        _ => None,
    }
}
