//! Which sends the compiler inlines instead of sending.
//!
//! Scope analysis and code generation both ask here, so they always agree
//! on which literal blocks become part of their enclosing scope. A send is
//! inlined only when every block the construct needs is written literally
//! with the right number of arguments; anything else is an ordinary send.

use crate::ast::{Expr, Lit, Message};
use crate::code::Literal;
use crate::literal;

#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    IfTrue,
    IfFalse,
    IfTrueIfFalse,
    IfFalseIfTrue,
    And,
    Or,
    /// `[c] whileTrue: [b]`
    WhileTrue,
    /// `[c] whileFalse: [b]`
    WhileFalse,
    /// `[c] whileTrue`
    WhileTrue0,
    /// `[c] whileFalse`
    WhileFalse0,
    /// `to:do:`, and `to:by:do:` with any step: a literal non-zero step
    /// fixes the direction at compile time, any other is tested when the
    /// loop starts (zero signals the error `Number>>to:by:do:` signals).
    ToDo,
    TimesRepeat,
    IfNil,
    IfNotNil,
    IfNilIfNotNil,
    IfNotNilIfNil,
}

fn is_block(e: &Expr<'_>, args: usize) -> bool {
    matches!(e, Expr::Block(b) if b.params.len() == args)
}

fn is_optional_arg_block(e: &Expr<'_>) -> bool {
    matches!(e, Expr::Block(b) if b.params.len() <= 1)
}

/// The step of a `to:by:do:`, when it is a literal number other than zero.
pub fn literal_step(e: &Expr<'_>) -> Option<Literal> {
    let Expr::Literal(node) = e else { return None };
    let Lit::Number(text) = node.lit else {
        return None;
    };
    match literal::number(text).ok()? {
        Literal::Integer(n) if n != 0.into() => Some(Literal::Integer(n)),
        Literal::Float(f) if f != 0.0 && f.is_finite() => Some(Literal::Float(f)),
        _ => None,
    }
}

#[cfg(test)]
thread_local! {
    /// Lets the equivalence tests compile every control message as a real
    /// send, to compare with the inlined code.
    pub static NO_INLINING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether `receiver message` is inlined, and as what.
pub fn inline_kind(receiver: &Expr<'_>, message: &Message<'_>) -> Option<Inline> {
    #[cfg(test)]
    if NO_INLINING.with(|n| n.get()) {
        return None;
    }
    let a = message.args;
    let block = |i: usize, n: usize| a.get(i).is_some_and(|e| is_block(e, n));
    let optional = |i: usize| a.get(i).is_some_and(is_optional_arg_block);
    let kind = match message.selector {
        "ifTrue:" if block(0, 0) => Inline::IfTrue,
        "ifFalse:" if block(0, 0) => Inline::IfFalse,
        "ifTrue:ifFalse:" if block(0, 0) && block(1, 0) => Inline::IfTrueIfFalse,
        "ifFalse:ifTrue:" if block(0, 0) && block(1, 0) => Inline::IfFalseIfTrue,
        "and:" if block(0, 0) => Inline::And,
        "or:" if block(0, 0) => Inline::Or,
        "whileTrue:" if is_block(receiver, 0) && block(0, 0) => Inline::WhileTrue,
        "whileFalse:" if is_block(receiver, 0) && block(0, 0) => Inline::WhileFalse,
        "whileTrue" if is_block(receiver, 0) => Inline::WhileTrue0,
        "whileFalse" if is_block(receiver, 0) => Inline::WhileFalse0,
        "to:do:" if block(1, 1) => Inline::ToDo,
        "to:by:do:" if block(2, 1) => Inline::ToDo,
        "timesRepeat:" if block(0, 0) => Inline::TimesRepeat,
        "ifNil:" if block(0, 0) => Inline::IfNil,
        "ifNotNil:" if optional(0) => Inline::IfNotNil,
        "ifNil:ifNotNil:" if block(0, 0) && optional(1) => Inline::IfNilIfNotNil,
        "ifNotNil:ifNil:" if optional(0) && block(1, 0) => Inline::IfNotNilIfNil,
        _ => return None,
    };
    Some(kind)
}

impl Inline {
    /// Whether the receiver is a literal block that becomes part of the
    /// enclosing scope (the condition of a `while` loop).
    pub fn inlines_receiver(&self) -> bool {
        matches!(self, Inline::WhileTrue | Inline::WhileFalse | Inline::WhileTrue0 | Inline::WhileFalse0)
    }

    /// Whether argument `index` (of `argc`) is a literal block that becomes
    /// part of the enclosing scope. `to:do:`'s limit and step are ordinary
    /// expressions even when written as blocks.
    pub fn inlines_argument(&self, index: usize, argc: usize) -> bool {
        match self {
            Inline::ToDo => index + 1 == argc,
            _ => true,
        }
    }

    /// Whether the inlined blocks may run more than once per activation.
    pub fn is_loop(&self) -> bool {
        matches!(
            self,
            Inline::WhileTrue
                | Inline::WhileFalse
                | Inline::WhileTrue0
                | Inline::WhileFalse0
                | Inline::ToDo
                | Inline::TimesRepeat
        )
    }
}
