//! Code generation: an analysed syntax tree to [`CompiledCode`].
//!
//! One [`Frame`] per real scope (the method, each real block) holds that
//! scope's instruction buffer and temp layout: arguments, then copied values
//! (blocks), then declared and compiler-made temps in the order they are
//! first needed. Inlined control messages are expanded here; which sends are
//! inlined is decided in [`crate::inline`], which scope analysis shares.

use std::collections::HashMap;

use num_traits::{Signed, ToPrimitive};

use crate::ast::{Block, Expr, Lit, LitNode, Message, Span, Stmt};
use crate::bytecode::{for_loop, special_selector_index, Instruction as I};
use crate::code::{CompiledCode, Literal};
use crate::emit::{Emitter, JumpKind};
use crate::inline::{inline_kind, literal_step, Inline};
use crate::literal;
use crate::scope::{Analysis, Capture, ScopeId, ScopeKind, VarId};
use crate::source_map::SourceMap;

/// Whether an expression's value is wanted on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Value,
    Effect,
}

/// How the code of the root scope ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    /// Falls off the end answering self.
    Method,
    /// Answers the value of the last statement, or nil.
    DoIt,
}

pub type GenError = (Span, String);
type Gen<T = ()> = Result<T, GenError>;

/// Where a variable lives, from one frame's point of view.
#[derive(Debug, Clone, Copy)]
enum Loc {
    Temp(u16),
    Remote { index: u16, vector: u8 },
    InstVar(u16),
    Global(u16),
    Receiver,
    Nil,
    True,
    False,
    ThisContext,
}

struct Frame {
    em: Emitter,
    scope: ScopeId,
    temps: HashMap<VarId, u16>,
    vectors: HashMap<ScopeId, u16>,
    captures: HashMap<Capture, u16>,
    num_temps: u32,
    /// How many `to:by:do:` loops with a run-time step, each compiled as
    /// two copies of its body, enclose the code being generated.
    doubled_loops: u32,
}

/// The most nested run-time-step loops compiled as two copies each (their
/// innermost body 2^n times); deeper ones test the step's sign every time
/// round instead.
const MAX_DOUBLED_LOOPS: u32 = 3;

impl Frame {
    fn new(scope: ScopeId, line: u32) -> Frame {
        Frame {
            em: Emitter::new(line),
            scope,
            temps: HashMap::new(),
            vectors: HashMap::new(),
            captures: HashMap::new(),
            num_temps: 0,
            doubled_loops: 0,
        }
    }

    fn new_temp(&mut self, span: Span) -> Gen<u16> {
        let t = u16::try_from(self.num_temps).map_err(|_| {
            (span, "method too large: more than 65535 temps; split it into smaller methods".to_string())
        })?;
        self.num_temps += 1;
        Ok(t)
    }
}

/// Generates the code of one method or doit from its analysis.
pub struct Generator<'x> {
    pub an: &'x Analysis,
    pub ivars: &'x [String],
    pub selector: &'x str,
    pub map: &'x SourceMap<'x>,
}

fn internal(span: Span) -> GenError {
    (span, "internal compiler error: scope analysis and code generation disagree".to_string())
}

impl<'x> Generator<'x> {
    /// Compiles the root scope (scope 0): `num_args` arguments and `statements`.
    pub fn root(&self, statements: &[Stmt<'_>], kind: RootKind, span: Span) -> Gen<CompiledCode> {
        let mut f = Frame::new(0, self.map.line(span.start));
        self.enter_real(&mut f, 0, span)?;
        match kind {
            RootKind::Method => {
                self.statements(&mut f, 0, statements, Ctx::Effect)?;
                f.em.emit(I::ReturnReceiver);
            }
            RootKind::DoIt => {
                if statements.is_empty() {
                    f.em.emit(I::ReturnNil);
                } else {
                    self.statements(&mut f, 0, statements, Ctx::Value)?;
                    f.em.emit(I::ReturnTop);
                }
            }
        }
        self.finish(f, false, span)
    }

    fn finish(&self, f: Frame, is_block: bool, span: Span) -> Gen<CompiledCode> {
        let assembled = f.em.assemble().map_err(|m| (span, m))?;
        let info = &self.an.scopes[f.scope];
        let num_args = info.vars.iter().filter(|&&v| self.an.vars[v].is_param).count();
        let too_many = |what: &str| (span, format!("expected at most 255 {what}, found more; split the code up"));
        Ok(CompiledCode {
            selector: self.selector.to_string(),
            is_block,
            num_args: u8::try_from(num_args).map_err(|_| too_many("arguments"))?,
            num_copied: u8::try_from(info.captures.len()).map_err(|_| too_many("variables captured by one block"))?,
            num_temps: u16::try_from(f.num_temps).map_err(|_| too_many("temps"))?,
            max_stack: assembled.max_stack,
            primitive: 0,
            literals: f.em.literals,
            bytecodes: assembled.bytecodes,
            lines: assembled.lines,
            source: String::new(),
            pragmas: Vec::new(),
        })
    }

    /// Lays out a real scope's temps: arguments, copied values, then its own.
    fn enter_real(&self, f: &mut Frame, scope: ScopeId, span: Span) -> Gen {
        let info = &self.an.scopes[scope];
        for &v in &info.vars {
            if self.an.vars[v].is_param {
                let t = f.new_temp(span)?;
                f.temps.insert(v, t);
            }
        }
        for &c in &info.captures {
            let t = f.new_temp(span)?;
            f.captures.insert(c, t);
        }
        self.alloc_scope(f, scope, span)?;
        self.init_scope(f, scope, span)
    }

    /// Gives the scope's variables their temps (once).
    fn alloc_scope(&self, f: &mut Frame, scope: ScopeId, span: Span) -> Gen {
        let info = &self.an.scopes[scope];
        // The vector first: its temp index must fit the remote-temp
        // instructions' one-byte operand.
        if !info.remote_vars.is_empty() && !f.vectors.contains_key(&scope) {
            let t = f.new_temp(span)?;
            f.vectors.insert(scope, t);
        }
        for &v in &info.vars {
            if !self.an.vars[v].remote && !f.temps.contains_key(&v) {
                let t = f.new_temp(span)?;
                f.temps.insert(v, t);
            }
        }
        Ok(())
    }

    /// Code run each time the scope is entered: a fresh temp vector, and for
    /// inlined scopes that may run repeatedly, nil in their temps.
    fn init_scope(&self, f: &mut Frame, scope: ScopeId, span: Span) -> Gen {
        self.alloc_scope(f, scope, span)?;
        let info = &self.an.scopes[scope];
        if matches!(info.kind, ScopeKind::Inlined { .. }) && self.in_loop(scope) {
            for &v in &info.vars {
                let var = &self.an.vars[v];
                if !var.is_param && !var.remote {
                    let t = *f.temps.get(&v).ok_or_else(|| internal(span))?;
                    f.em.emit(I::PushNil);
                    f.em.emit(I::PopIntoTemp(t));
                }
            }
        }
        if !info.remote_vars.is_empty() {
            let t = *f.vectors.get(&scope).ok_or_else(|| internal(span))?;
            f.em.emit(I::PushNewTempVector(info.remote_vars.len() as u16));
            f.em.emit(I::PopIntoTemp(t));
        }
        Ok(())
    }

    fn in_loop(&self, mut scope: ScopeId) -> bool {
        loop {
            let info = &self.an.scopes[scope];
            match info.kind {
                ScopeKind::Inlined { is_loop: true } => return true,
                ScopeKind::Inlined { is_loop: false } => match info.parent {
                    Some(p) => scope = p,
                    None => return false,
                },
                _ => return false,
            }
        }
    }

    // ---- variables ----

    fn vector_temp(&self, f: &Frame, scope: ScopeId, span: Span) -> Gen<u8> {
        let t = if self.an.scopes[scope].real == f.scope {
            f.vectors.get(&scope)
        } else {
            f.captures.get(&Capture::Vector(scope))
        };
        let t = *t.ok_or_else(|| internal(span))?;
        u8::try_from(t).map_err(|_| {
            (span, "method too large: a temp vector would be temp 256 or beyond; use fewer temps".to_string())
        })
    }

    fn var_loc(&self, f: &Frame, v: VarId, span: Span) -> Gen<Loc> {
        let var = &self.an.vars[v];
        if var.remote {
            let vector = self.vector_temp(f, var.scope, span)?;
            return Ok(Loc::Remote { index: var.remote_index as u16, vector });
        }
        let t = if var.real == f.scope { f.temps.get(&v) } else { f.captures.get(&Capture::Copied(v)) };
        Ok(Loc::Temp(*t.ok_or_else(|| internal(span))?))
    }

    fn loc(&self, f: &mut Frame, scope: ScopeId, name: &str, span: Span) -> Gen<Loc> {
        match name {
            "self" | "super" => return Ok(Loc::Receiver),
            "nil" => return Ok(Loc::Nil),
            "true" => return Ok(Loc::True),
            "false" => return Ok(Loc::False),
            "thisContext" => return Ok(Loc::ThisContext),
            _ => {}
        }
        if let Some(v) = self.an.lookup(scope, name) {
            return self.var_loc(f, v, span);
        }
        if let Some(i) = self.ivars.iter().rposition(|n| n == name) {
            return Ok(Loc::InstVar(u16::try_from(i).map_err(|_| internal(span))?));
        }
        let lit = f.em.literal(Literal::Binding(name.to_string())).map_err(|m| (span, m))?;
        Ok(Loc::Global(lit))
    }

    fn push_loc(f: &mut Frame, loc: Loc) {
        f.em.emit(match loc {
            Loc::Temp(t) => I::PushTemp(t),
            Loc::Remote { index, vector } => I::PushRemoteTemp { index, vector },
            Loc::InstVar(i) => I::PushInstVar(i),
            Loc::Global(l) => I::PushGlobal(l),
            Loc::Receiver => I::PushReceiver,
            Loc::Nil => I::PushNil,
            Loc::True => I::PushTrue,
            Loc::False => I::PushFalse,
            Loc::ThisContext => I::PushThisContext,
        });
    }

    /// Stores the top of stack, popping it when `pop`.
    fn store_loc(f: &mut Frame, loc: Loc, pop: bool, span: Span) -> Gen {
        let insn = match (loc, pop) {
            (Loc::Temp(t), false) => I::StoreTemp(t),
            (Loc::Temp(t), true) => I::PopIntoTemp(t),
            (Loc::Remote { index, vector }, false) => I::StoreRemoteTemp { index, vector },
            (Loc::Remote { index, vector }, true) => I::PopIntoRemoteTemp { index, vector },
            (Loc::InstVar(i), false) => I::StoreInstVar(i),
            (Loc::InstVar(i), true) => I::PopIntoInstVar(i),
            (Loc::Global(l), false) => I::StoreGlobal(l),
            (Loc::Global(l), true) => I::PopIntoGlobal(l),
            _ => return Err((span, "expected a variable to assign to, found a pseudo-variable".to_string())),
        };
        f.em.emit(insn);
        Ok(())
    }

    fn at(&self, f: &mut Frame, span: Span) {
        f.em.line = self.map.line(span.start);
    }

    // ---- statements ----

    /// Statements in sequence; in `Value` context the last one's value is
    /// left on the stack (nil when there are none).
    fn statements(&self, f: &mut Frame, scope: ScopeId, statements: &[Stmt<'_>], ctx: Ctx) -> Gen {
        if statements.is_empty() && ctx == Ctx::Value {
            f.em.emit(I::PushNil);
        }
        for (i, s) in statements.iter().enumerate() {
            let last = i + 1 == statements.len();
            self.at(f, s.span());
            match s {
                Stmt::Return(e, _) => {
                    self.ret(f, scope, e)?;
                    break;
                }
                Stmt::Expr(e) => self.expr(f, scope, e, if last { ctx } else { Ctx::Effect })?,
            }
        }
        Ok(())
    }

    fn ret(&self, f: &mut Frame, scope: ScopeId, e: &Expr<'_>) -> Gen {
        if let Expr::Variable(n) = e {
            let shortcut = match n.name {
                "self" => Some(I::ReturnReceiver),
                "nil" => Some(I::ReturnNil),
                "true" => Some(I::ReturnTrue),
                "false" => Some(I::ReturnFalse),
                _ => None,
            };
            if let Some(insn) = shortcut {
                f.em.emit(insn);
                return Ok(());
            }
        }
        self.expr(f, scope, e, Ctx::Value)?;
        f.em.emit(I::ReturnTop);
        Ok(())
    }

    // ---- expressions ----

    fn expr(&self, f: &mut Frame, scope: ScopeId, e: &Expr<'_>, ctx: Ctx) -> Gen {
        match e {
            Expr::Literal(node) => {
                let value = literal::value(node)?;
                if ctx == Ctx::Value {
                    self.push_literal(f, value, node.span)?;
                }
            }
            Expr::Variable(n) => {
                let loc = self.loc(f, scope, n.name, n.span)?;
                if ctx == Ctx::Value {
                    Self::push_loc(f, loc);
                }
            }
            Expr::Assign { target, value } => {
                self.expr(f, scope, value, Ctx::Value)?;
                let loc = self.loc(f, scope, target.name, target.span)?;
                self.at(f, target.span);
                Self::store_loc(f, loc, ctx == Ctx::Effect, target.span)?;
            }
            Expr::Send { receiver, message } => self.send(f, scope, receiver, message, ctx)?,
            Expr::Cascade { receiver, parts } => {
                self.expr(f, scope, receiver, Ctx::Value)?;
                let to_super = is_super(receiver);
                for (i, chain) in parts.iter().enumerate() {
                    let last = i + 1 == parts.len();
                    if !last {
                        f.em.emit(I::Dup);
                    }
                    for (j, m) in chain.iter().enumerate() {
                        for a in m.args {
                            self.expr(f, scope, a, Ctx::Value)?;
                        }
                        self.emit_send(f, m, to_super && j == 0)?;
                    }
                    if !last || ctx == Ctx::Effect {
                        f.em.emit(I::Pop);
                    }
                }
            }
            Expr::Block(b) => {
                self.block(f, b)?;
                if ctx == Ctx::Effect {
                    f.em.emit(I::Pop);
                }
            }
            Expr::Brace { elements, span } => {
                for el in elements.iter() {
                    self.expr(f, scope, el, Ctx::Value)?;
                }
                let n = u16::try_from(elements.len())
                    .map_err(|_| (*span, "expected at most 65535 elements in a brace array".to_string()))?;
                f.em.emit(I::PushNewArray(n));
                if ctx == Ctx::Effect {
                    f.em.emit(I::Pop);
                }
            }
        }
        Ok(())
    }

    fn push_literal(&self, f: &mut Frame, value: Literal, span: Span) -> Gen {
        let insn = match &value {
            Literal::Integer(n) => match n.to_i8() {
                Some(small) => I::PushSmallInteger(small),
                None => I::PushLiteral(f.em.literal(value).map_err(|m| (span, m))?),
            },
            _ => I::PushLiteral(f.em.literal(value).map_err(|m| (span, m))?),
        };
        f.em.emit(insn);
        Ok(())
    }

    fn emit_send(&self, f: &mut Frame, m: &Message<'_>, to_super: bool) -> Gen {
        self.at(f, m.span);
        let argc = u8::try_from(m.args.len())
            .map_err(|_| (m.span, "expected at most 255 arguments in a message, found more".to_string()))?;
        if !to_super {
            if let Some(i) = special_selector_index(m.selector) {
                f.em.emit(I::SendSpecial(i));
                return Ok(());
            }
        }
        let literal = f.em.literal(Literal::Symbol(m.selector.to_string())).map_err(|e| (m.span, e))?;
        f.em.emit(if to_super { I::SuperSend { literal, argc } } else { I::Send { literal, argc } });
        Ok(())
    }

    fn send(&self, f: &mut Frame, scope: ScopeId, receiver: &Expr<'_>, m: &Message<'_>, ctx: Ctx) -> Gen {
        if let Some(kind) = inline_kind(receiver, m) {
            return self.inline(f, scope, kind, receiver, m, ctx);
        }
        self.expr(f, scope, receiver, Ctx::Value)?;
        for a in m.args {
            self.expr(f, scope, a, Ctx::Value)?;
        }
        self.emit_send(f, m, is_super(receiver))?;
        if ctx == Ctx::Effect {
            f.em.emit(I::Pop);
        }
        Ok(())
    }

    /// A real block: its own compiled code, and a closure made here.
    fn block(&self, f: &mut Frame, b: &Block<'_>) -> Gen {
        let scope = *self.an.block_scopes.get(&b.span.start).ok_or_else(|| internal(b.span))?;
        let mut inner = Frame::new(scope, self.map.line(b.span.start));
        self.enter_real(&mut inner, scope, b.span)?;
        match b.body.split_last() {
            None => {
                inner.em.emit(I::PushNil);
                inner.em.emit(I::BlockReturn);
            }
            Some((last, init)) => {
                self.statements(&mut inner, scope, init, Ctx::Effect)?;
                self.at(&mut inner, last.span());
                match last {
                    Stmt::Return(e, _) => self.ret(&mut inner, scope, e)?,
                    Stmt::Expr(e) => {
                        self.expr(&mut inner, scope, e, Ctx::Value)?;
                        inner.em.emit(I::BlockReturn);
                    }
                }
            }
        }
        let code = self.finish(inner, true, b.span)?;
        self.at(f, b.span);
        let captures = &self.an.scopes[scope].captures;
        for &c in captures {
            match c {
                Capture::Copied(v) => {
                    let loc = self.var_loc(f, v, b.span)?;
                    Self::push_loc(f, loc);
                }
                Capture::Vector(s) => {
                    let t = self.vector_temp(f, s, b.span)?;
                    f.em.emit(I::PushTemp(t as u16));
                }
            }
        }
        let copied = code.num_copied;
        let literal = f.em.literal(Literal::Block(Box::new(code))).map_err(|m| (b.span, m))?;
        f.em.emit(I::PushClosure { literal, copied });
        Ok(())
    }

    // ---- inlined control messages ----

    fn block_arg<'b>(e: &'b Expr<'b>) -> Gen<&'b Block<'b>> {
        match e {
            Expr::Block(b) => Ok(b),
            other => Err(internal(other.span())),
        }
    }

    /// The statements of an inlined literal block, in `ctx`.
    fn inlined(&self, f: &mut Frame, b: &Block<'_>, ctx: Ctx) -> Gen<ScopeId> {
        let scope = *self.an.block_scopes.get(&b.span.start).ok_or_else(|| internal(b.span))?;
        self.init_scope(f, scope, b.span)?;
        self.statements(f, scope, b.body, ctx)?;
        Ok(scope)
    }

    /// An inlined block whose one argument takes the value on top of the stack.
    fn inlined_with_arg(&self, f: &mut Frame, b: &Block<'_>, ctx: Ctx) -> Gen {
        let scope = *self.an.block_scopes.get(&b.span.start).ok_or_else(|| internal(b.span))?;
        self.init_scope(f, scope, b.span)?;
        match b.params.first() {
            Some(p) => {
                let v = self.an.lookup(scope, p.name).ok_or_else(|| internal(p.span))?;
                let loc = self.var_loc(f, v, p.span)?;
                Self::store_loc(f, loc, true, p.span)?;
            }
            None => f.em.emit(I::Pop),
        }
        self.statements(f, scope, b.body, ctx)
    }

    fn inline(
        &self,
        f: &mut Frame,
        scope: ScopeId,
        kind: Inline,
        receiver: &Expr<'_>,
        m: &Message<'_>,
        ctx: Ctx,
    ) -> Gen {
        let arg = |i: usize| m.args.get(i).ok_or_else(|| internal(m.span));
        self.at(f, m.span);
        match kind {
            Inline::IfTrue | Inline::IfFalse | Inline::IfTrueIfFalse | Inline::IfFalseIfTrue => {
                self.expr(f, scope, receiver, Ctx::Value)?;
                self.at(f, m.span);
                let (first_if_true, has_second) = match kind {
                    Inline::IfTrue => (true, false),
                    Inline::IfFalse => (false, false),
                    Inline::IfTrueIfFalse => (true, true),
                    _ => (false, true),
                };
                let else_label = f.em.new_label();
                let end = f.em.new_label();
                let skip = if first_if_true { JumpKind::IfFalse } else { JumpKind::IfTrue };
                f.em.jump(skip, else_label);
                self.inlined(f, Self::block_arg(arg(0)?)?, ctx)?;
                // With nothing to skip, the one branch falls through to the end.
                if has_second || ctx == Ctx::Value {
                    f.em.jump(JumpKind::Always, end);
                }
                f.em.bind(else_label);
                if has_second {
                    self.inlined(f, Self::block_arg(arg(1)?)?, ctx)?;
                } else if ctx == Ctx::Value {
                    f.em.emit(I::PushNil);
                }
                f.em.bind(end);
            }
            Inline::And | Inline::Or => {
                self.expr(f, scope, receiver, Ctx::Value)?;
                self.at(f, m.span);
                let short = f.em.new_label();
                let end = f.em.new_label();
                let is_and = kind == Inline::And;
                f.em.jump(if is_and { JumpKind::IfFalse } else { JumpKind::IfTrue }, short);
                self.inlined(f, Self::block_arg(arg(0)?)?, ctx)?;
                f.em.jump(JumpKind::Always, end);
                f.em.bind(short);
                if ctx == Ctx::Value {
                    f.em.emit(if is_and { I::PushFalse } else { I::PushTrue });
                }
                f.em.bind(end);
            }
            Inline::WhileTrue | Inline::WhileFalse | Inline::WhileTrue0 | Inline::WhileFalse0 => {
                let condition = Self::block_arg(receiver)?;
                let top = f.em.new_label();
                match kind {
                    Inline::WhileTrue0 | Inline::WhileFalse0 => f.em.bind(top),
                    _ => {
                        // The test at the bottom: one jump per time round.
                        let test = f.em.new_label();
                        f.em.enter_loop_at_test(test, top);
                        self.inlined(f, Self::block_arg(arg(0)?)?, Ctx::Effect)?;
                        f.em.bind(test);
                    }
                }
                self.inlined(f, condition, Ctx::Value)?;
                self.at(f, m.span);
                let again = if matches!(kind, Inline::WhileTrue0 | Inline::WhileTrue) {
                    JumpKind::IfTrue
                } else {
                    JumpKind::IfFalse
                };
                f.em.jump(again, top);
                if ctx == Ctx::Value {
                    f.em.emit(I::PushNil);
                }
            }
            Inline::TimesRepeat => {
                self.expr(f, scope, receiver, Ctx::Value)?;
                self.at(f, m.span);
                let limit = f.new_temp(m.span)?;
                let counter = f.new_temp(m.span)?;
                f.em.emit(I::Dup);
                f.em.emit(I::PopIntoTemp(limit));
                f.em.emit(I::PushSmallInteger(1));
                f.em.emit(I::PopIntoTemp(counter));
                let body = f.em.new_label();
                let test = f.em.new_label();
                f.em.enter_loop_at_test(test, body);
                self.inlined(f, Self::block_arg(arg(0)?)?, Ctx::Effect)?;
                self.at(f, m.span);
                f.em.emit(I::PushTemp(counter));
                f.em.emit(I::PushSmallInteger(1));
                self.special(f, "+");
                f.em.emit(I::PopIntoTemp(counter));
                f.em.bind(test);
                f.em.emit(I::PushTemp(counter));
                f.em.emit(I::PushTemp(limit));
                self.special(f, "<=");
                f.em.jump(JumpKind::IfTrue, body);
                if ctx == Ctx::Effect {
                    f.em.emit(I::Pop);
                }
            }
            Inline::ToDo => self.to_do(f, scope, receiver, m, ctx)?,
            Inline::IfNil | Inline::IfNotNil | Inline::IfNilIfNotNil | Inline::IfNotNilIfNil => {
                self.expr(f, scope, receiver, Ctx::Value)?;
                self.at(f, m.span);
                let (nil_block, not_nil_block) = match kind {
                    Inline::IfNil => (Some(arg(0)?), None),
                    Inline::IfNotNil => (None, Some(arg(0)?)),
                    Inline::IfNilIfNotNil => (Some(arg(0)?), Some(arg(1)?)),
                    _ => (Some(arg(1)?), Some(arg(0)?)),
                };
                let not_nil = f.em.new_label();
                let end = f.em.new_label();
                f.em.emit(I::Dup);
                f.em.emit(I::PushNil);
                self.special(f, "==");
                f.em.jump(JumpKind::IfFalse, not_nil);
                // The receiver is nil, and still on the stack.
                if let Some(b) = nil_block {
                    f.em.emit(I::Pop);
                    self.inlined(f, Self::block_arg(b)?, Ctx::Value)?;
                }
                f.em.jump(JumpKind::Always, end);
                f.em.bind(not_nil);
                if let Some(b) = not_nil_block {
                    self.inlined_with_arg(f, Self::block_arg(b)?, Ctx::Value)?;
                }
                f.em.bind(end);
                if ctx == Ctx::Effect {
                    f.em.emit(I::Pop);
                }
            }
        }
        Ok(())
    }

    fn special(&self, f: &mut Frame, selector: &str) {
        if let Some(i) = special_selector_index(selector) {
            f.em.emit(I::SendSpecial(i));
        }
    }

    /// `start to: stop [by: step] do: [:i | ...]`. The receiver stays on the
    /// stack as the loop's value; the counter is `i`'s own temp unless a
    /// block captures `i`, in which case each iteration gets a fresh `i`.
    fn to_do(&self, f: &mut Frame, scope: ScopeId, receiver: &Expr<'_>, m: &Message<'_>, ctx: Ctx) -> Gen {
        let (limit_expr, step_expr, body) = match m.args {
            [limit, body] => (limit, None, body),
            [limit, step, body] => (limit, Some(step), body),
            _ => return Err(internal(m.span)),
        };
        // A literal step (1 for to:do:) fixes the direction; any other is
        // evaluated once, after the limit, into a temp.
        let step = match step_expr {
            None => Step::Constant(Literal::Integer(1.into())),
            Some(e) => match literal_step(e) {
                Some(literal) => Step::Constant(literal),
                None => Step::Temp(0),
            },
        };
        let descending = match &step {
            Step::Constant(Literal::Integer(n)) => Some(n.is_negative()),
            Step::Constant(Literal::Float(x)) => Some(*x < 0.0),
            Step::Constant(_) => Some(false),
            Step::Temp(_) => None,
        };
        let b = Self::block_arg(body)?;
        let body_scope = *self.an.block_scopes.get(&b.span.start).ok_or_else(|| internal(b.span))?;
        let param = b.params.first().ok_or_else(|| internal(b.span))?;
        let var = self.an.lookup(body_scope, param.name).ok_or_else(|| internal(param.span))?;
        self.alloc_scope(f, body_scope, b.span)?;
        let counter = if self.an.vars[var].captured {
            f.new_temp(m.span)?
        } else {
            *f.temps.get(&var).ok_or_else(|| internal(param.span))?
        };
        self.expr(f, scope, receiver, Ctx::Value)?;
        self.at(f, m.span);
        f.em.emit(I::Dup);
        f.em.emit(I::PopIntoTemp(counter));
        // A loop that will use `ForLoop` (its counter, limit and step in
        // temps below 256, its direction known) keeps even a literal limit
        // in a temp, where that instruction reads it.
        let fast_counter = u8::try_from(counter).ok();
        let fast_step = match &step {
            Step::Constant(Literal::Integer(n)) => i8::try_from(n).ok().filter(|&s| s != 0).map(|s| s as u8),
            Step::Constant(_) => None,
            Step::Temp(_) => Some(0),
        };
        let direction_known = descending.is_some() || f.doubled_loops < MAX_DOUBLED_LOOPS;
        let fast_loop = fast_counter.is_some() && fast_step.is_some() && direction_known && f.num_temps + 2 <= 256;
        let limit = match limit_expr {
            Expr::Literal(node @ LitNode { lit: Lit::Number(_), .. }) if !fast_loop => {
                Limit::Constant(literal::value(node)?)
            }
            Expr::Literal(node @ LitNode { lit: Lit::Number(_), .. }) => {
                self.push_literal(f, literal::value(node)?, m.span)?;
                let t = f.new_temp(m.span)?;
                f.em.emit(I::PopIntoTemp(t));
                Limit::Temp(t)
            }
            other => {
                self.expr(f, scope, other, Ctx::Value)?;
                self.at(f, m.span);
                let t = f.new_temp(m.span)?;
                f.em.emit(I::PopIntoTemp(t));
                Limit::Temp(t)
            }
        };
        let end = f.em.new_label();
        let step = match (step, step_expr) {
            (Step::Temp(_), Some(e)) => {
                self.expr(f, scope, e, Ctx::Value)?;
                self.at(f, m.span);
                let t = f.new_temp(m.span)?;
                f.em.emit(I::PopIntoTemp(t));
                // step = 0 ifTrue: [start error: 'step must not be zero'], as
                // Number>>to:by:do: does; the loop is then skipped.
                let nonzero = f.em.new_label();
                f.em.emit(I::PushTemp(t));
                f.em.emit(I::PushSmallInteger(0));
                self.special(f, "=");
                f.em.jump(JumpKind::IfFalse, nonzero);
                f.em.emit(I::PushTemp(counter));
                self.push_literal(f, Literal::String("step must not be zero".into()), m.span)?;
                let error = f.em.literal(Literal::Symbol("error:".into())).map_err(|e| (m.span, e))?;
                f.em.emit(I::Send { literal: error, argc: 1 });
                f.em.emit(I::Pop);
                f.em.jump(JumpKind::Always, end);
                f.em.bind(nonzero);
                Step::Temp(t)
            }
            (step, _) => step,
        };
        let push_limit = |f: &mut Frame| -> Gen {
            match &limit {
                Limit::Temp(t) => f.em.emit(I::PushTemp(*t)),
                Limit::Constant(value) => self.push_literal(f, value.clone(), m.span)?,
            }
            Ok(())
        };
        // The loop, its test at the bottom (one jump per time round): jump
        // to the test; the body and the increment; the test jumps back
        // while the counter has not passed the limit, in the direction
        // given or, for `None`, the step's sign says.
        let emit_loop = |f: &mut Frame, descending: Option<bool>| -> Gen {
            let body_start = f.em.new_label();
            let test = f.em.new_label();
            f.em.enter_loop_at_test(test, body_start);
            self.init_scope(f, body_scope, b.span)?;
            if self.an.vars[var].captured {
                f.em.emit(I::PushTemp(counter));
                let loc = self.var_loc(f, var, param.span)?;
                Self::store_loc(f, loc, true, param.span)?;
            }
            self.statements(f, body_scope, b.body, Ctx::Effect)?;
            self.at(f, m.span);
            // The step and test in one instruction, for SmallIntegers; the
            // sends below run only when it cannot answer.
            let exit = f.em.new_label();
            let fast = match (fast_counter, &limit, fast_step, &step, descending) {
                (Some(c), Limit::Temp(l), Some(s), Step::Constant(_), Some(down)) => {
                    u8::try_from(*l).ok().map(|l| (c, l, s, down, 0))
                }
                (Some(c), Limit::Temp(l), Some(_), Step::Temp(t), Some(down)) => u8::try_from(*l)
                    .ok()
                    .zip(u8::try_from(*t).ok())
                    .map(|(l, t)| (c, l, t, down, for_loop::STEP_IN_TEMP)),
                _ => None,
            };
            if let Some((c, l, s, down, flags)) = fast {
                let flags = flags | if down { for_loop::DESCENDING } else { 0 };
                f.em.for_loop(c, l, s, flags, body_start, exit);
            }
            f.em.emit(I::PushTemp(counter));
            match &step {
                Step::Constant(literal) => self.push_literal(f, literal.clone(), m.span)?,
                Step::Temp(t) => f.em.emit(I::PushTemp(*t)),
            }
            self.special(f, "+");
            f.em.emit(I::PopIntoTemp(counter));
            f.em.bind(test);
            let compare = |f: &mut Frame, descending: bool| -> Gen {
                f.em.emit(I::PushTemp(counter));
                push_limit(f)?;
                self.special(f, if descending { ">=" } else { "<=" });
                f.em.jump(JumpKind::IfTrue, body_start);
                Ok(())
            };
            match (descending, &step) {
                (Some(descending), _) => compare(f, descending)?,
                (None, Step::Temp(t)) => {
                    // step > 0 ifTrue: [i <= limit] ifFalse: [i >= limit]
                    let down = f.em.new_label();
                    let done = f.em.new_label();
                    f.em.emit(I::PushTemp(*t));
                    f.em.emit(I::PushSmallInteger(0));
                    self.special(f, ">");
                    f.em.jump(JumpKind::IfFalse, down);
                    compare(f, false)?;
                    f.em.jump(JumpKind::Always, done);
                    f.em.bind(down);
                    compare(f, true)?;
                    f.em.bind(done);
                }
                (None, Step::Constant(_)) => return Err(internal(m.span)),
            }
            f.em.bind(exit);
            Ok(())
        };
        match (descending, &step) {
            (Some(descending), _) => emit_loop(f, Some(descending))?,
            (None, Step::Temp(_)) if f.doubled_loops >= MAX_DOUBLED_LOOPS => emit_loop(f, None)?,
            (None, Step::Temp(t)) => {
                // The step's sign, known only now, picks one of two copies
                // of the loop: the test in the loop stays one comparison.
                let down = f.em.new_label();
                f.em.emit(I::PushTemp(*t));
                f.em.emit(I::PushSmallInteger(0));
                self.special(f, ">");
                f.em.jump(JumpKind::IfFalse, down);
                f.doubled_loops += 1;
                emit_loop(f, Some(false))?;
                f.em.jump(JumpKind::Always, end);
                f.em.bind(down);
                emit_loop(f, Some(true))?;
                f.doubled_loops -= 1;
            }
            (None, Step::Constant(_)) => return Err(internal(m.span)),
        }
        f.em.bind(end);
        if ctx == Ctx::Effect {
            f.em.emit(I::Pop);
        }
        Ok(())
    }
}

/// The step of an inlined `to:do:`: a literal, or a temp holding the value
/// of the step expression.
enum Step {
    Constant(Literal),
    Temp(u16),
}

/// Where a `to:do:` finds its limit each time round: a literal is pushed
/// again, anything else was evaluated once into a temp.
enum Limit {
    Temp(u16),
    Constant(Literal),
}

fn is_super(e: &Expr<'_>) -> bool {
    matches!(e, Expr::Variable(n) if n.name == "super")
}
