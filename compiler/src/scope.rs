//! Scope analysis: which names are arguments and temps, which real block (or
//! the method) owns each one's storage, and how blocks reach the variables
//! they capture.
//!
//! A captured variable that is never written after it is captured is copied
//! into the closure by value. One written inside a block, or after a block
//! captured it (in source order, or anywhere in a loop), lives in a temp
//! vector created when its declaring scope is entered; for a scope inlined
//! into a loop that is once per iteration, so every iteration gets fresh
//! variables. Names that are not temps or arguments (instance variables,
//! globals, pseudo-variables) are left to the code generator.

use std::collections::HashMap;

use crate::ast::{Block, Body, Expr, Message, Name, Span, Stmt};
use crate::inline::inline_kind;

pub type VarId = usize;
pub type ScopeId = usize;

pub const PSEUDO_VARIABLES: [&str; 6] = ["self", "super", "nil", "true", "false", "thisContext"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// The method (or doit) itself.
    Method,
    /// A real block: compiled separately, its own temps.
    Block,
    /// A literal block inlined into its enclosing scope; `is_loop` when its
    /// code may run repeatedly within one activation of that scope.
    Inlined { is_loop: bool },
}

/// How a real block reaches an outer variable: its value copied into the
/// closure, or the temp vector it lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capture {
    Copied(VarId),
    Vector(ScopeId),
}

#[derive(Debug, Clone)]
pub struct ScopeInfo {
    pub parent: Option<ScopeId>,
    pub kind: ScopeKind,
    /// The real scope (method or block) whose temps hold this scope's variables.
    pub real: ScopeId,
    /// Declared here: arguments first, then temps.
    pub vars: Vec<VarId>,
    /// For real blocks: the closure's copied values, in order.
    pub captures: Vec<Capture>,
    /// Variables declared here that live in this scope's temp vector, in vector order.
    pub remote_vars: Vec<VarId>,
}

#[derive(Debug, Clone)]
pub struct VarInfo {
    pub name: String,
    pub span: Span,
    pub is_param: bool,
    /// The scope that declares it.
    pub scope: ScopeId,
    /// The real scope that owns its storage.
    pub real: ScopeId,
    /// Whether a real block other than its owner uses it.
    pub captured: bool,
    /// Whether it lives in a temp vector.
    pub remote: bool,
    /// Its index in the temp vector, when remote.
    pub remote_index: usize,
    first_capture: Option<u32>,
    written_in_block: bool,
    written_late: bool,
    own_writes: Vec<u32>,
}

/// The result of analysing one method or doit.
#[derive(Debug, Default)]
pub struct Analysis {
    pub scopes: Vec<ScopeInfo>,
    pub vars: Vec<VarInfo>,
    /// Every block's scope, keyed by the offset of its `[`.
    pub block_scopes: HashMap<usize, ScopeId>,
}

impl Analysis {
    /// The variable `name` as seen from `scope`, if it is a temp or argument.
    pub fn lookup(&self, mut scope: ScopeId, name: &str) -> Option<VarId> {
        loop {
            let info = &self.scopes[scope];
            if let Some(v) = info.vars.iter().rev().find(|&&v| self.vars[v].name == name) {
                return Some(*v);
            }
            scope = info.parent?;
        }
    }

    fn real_parent(&self, real: ScopeId) -> Option<ScopeId> {
        self.scopes[real].parent.map(|p| self.scopes[p].real)
    }
}

struct Analyzer<'e> {
    an: Analysis,
    position: &'e dyn Fn(usize) -> String,
    seq: u32,
    errors: Vec<(Span, String)>,
    /// Every use of a variable: which variable, from which real scope.
    refs: Vec<(VarId, ScopeId)>,
}

/// Analyses a method or doit body with the given arguments. When
/// `temps_are_local` is false (a doit's workspace variables), the body's
/// declared temps are not variables here: they resolve as globals do.
/// `position` formats an offset as `line:col` for messages.
pub fn analyze(
    params: &[Name<'_>],
    body: &Body<'_>,
    temps_are_local: bool,
    position: &dyn Fn(usize) -> String,
) -> Result<Analysis, Vec<(Span, String)>> {
    let mut a = Analyzer { an: Analysis::default(), position, seq: 0, errors: Vec::new(), refs: Vec::new() };
    let root = a.new_scope(None, ScopeKind::Method);
    a.declare_all(root, params, true);
    if temps_are_local {
        a.declare_all(root, body.temps, false);
    }
    a.statements(root, body.statements);
    a.finish()
}

impl<'e> Analyzer<'e> {
    fn new_scope(&mut self, parent: Option<ScopeId>, kind: ScopeKind) -> ScopeId {
        let id = self.an.scopes.len();
        let real = match (kind, parent) {
            (ScopeKind::Inlined { .. }, Some(p)) => self.an.scopes[p].real,
            _ => id,
        };
        self.an.scopes.push(ScopeInfo {
            parent,
            kind,
            real,
            vars: Vec::new(),
            captures: Vec::new(),
            remote_vars: Vec::new(),
        });
        id
    }

    fn declare_all(&mut self, scope: ScopeId, names: &[Name<'_>], is_param: bool) {
        for n in names {
            self.declare(scope, n, is_param);
        }
    }

    fn declare(&mut self, scope: ScopeId, n: &Name<'_>, is_param: bool) {
        if PSEUDO_VARIABLES.contains(&n.name) {
            let what = if is_param { "an argument" } else { "a temp" };
            self.errors.push((n.span, format!("expected a name for {what}, found the reserved name '{}'", n.name)));
            return;
        }
        let duplicate = self.an.scopes[scope].vars.iter().find(|&&v| self.an.vars[v].name == n.name).copied();
        if let Some(v) = duplicate {
            let first = self.an.vars[v].span;
            self.errors.push((
                n.span,
                format!(
                    "duplicate name '{}': it is already declared at {} in the same scope; rename one of them",
                    n.name,
                    (self.position)(first.start)
                ),
            ));
            return;
        }
        let id = self.an.vars.len();
        self.an.vars.push(VarInfo {
            name: n.name.to_string(),
            span: n.span,
            is_param,
            scope,
            real: self.an.scopes[scope].real,
            captured: false,
            remote: false,
            remote_index: 0,
            first_capture: None,
            written_in_block: false,
            written_late: false,
            own_writes: Vec::new(),
        });
        self.an.scopes[scope].vars.push(id);
    }

    fn statements(&mut self, scope: ScopeId, statements: &[Stmt<'_>]) {
        for s in statements {
            match s {
                Stmt::Expr(e) | Stmt::Return(e, _) => self.expr(scope, e),
            }
        }
    }

    fn expr(&mut self, scope: ScopeId, e: &Expr<'_>) {
        self.seq += 1;
        match e {
            Expr::Literal(_) => {}
            Expr::Variable(n) => self.read(scope, n),
            Expr::Assign { target, value } => {
                self.expr(scope, value);
                self.write(scope, target);
            }
            Expr::Send { receiver, message } => self.send(scope, receiver, message),
            Expr::Cascade { receiver, parts } => {
                self.expr(scope, receiver);
                for part in parts.iter() {
                    for m in part.iter() {
                        for a in m.args {
                            self.expr(scope, a);
                        }
                    }
                }
            }
            Expr::Block(b) => self.block(scope, b, ScopeKind::Block),
            Expr::Brace { elements, .. } => {
                for el in elements.iter() {
                    self.expr(scope, el);
                }
            }
        }
    }

    fn send(&mut self, scope: ScopeId, receiver: &Expr<'_>, message: &Message<'_>) {
        let Some(kind) = inline_kind(receiver, message) else {
            self.expr(scope, receiver);
            for a in message.args {
                self.expr(scope, a);
            }
            return;
        };
        let inlined = ScopeKind::Inlined { is_loop: kind.is_loop() };
        match receiver {
            Expr::Block(b) if kind.inlines_receiver() => self.block(scope, b, inlined),
            _ => self.expr(scope, receiver),
        }
        let argc = message.args.len();
        for (i, a) in message.args.iter().enumerate() {
            match a {
                Expr::Block(b) if kind.inlines_argument(i, argc) => self.block(scope, b, inlined),
                other => self.expr(scope, other),
            }
        }
    }

    fn block(&mut self, scope: ScopeId, b: &Block<'_>, kind: ScopeKind) {
        let inner = self.new_scope(Some(scope), kind);
        self.an.block_scopes.insert(b.span.start, inner);
        self.declare_all(inner, b.params, true);
        self.declare_all(inner, b.temps, false);
        self.statements(inner, b.body);
    }

    fn read(&mut self, scope: ScopeId, n: &Name<'_>) {
        if let Some(v) = self.an.lookup(scope, n.name) {
            self.note_use(scope, v);
        }
    }

    fn note_use(&mut self, scope: ScopeId, v: VarId) {
        let real = self.an.scopes[scope].real;
        self.refs.push((v, real));
        let var = &mut self.an.vars[v];
        if var.real != real {
            var.captured = true;
            var.first_capture.get_or_insert(self.seq);
        }
    }

    fn write(&mut self, scope: ScopeId, n: &Name<'_>) {
        if PSEUDO_VARIABLES.contains(&n.name) {
            self.errors.push((
                n.span,
                format!("expected a variable to assign to, found '{}', which cannot be assigned", n.name),
            ));
            return;
        }
        let Some(v) = self.an.lookup(scope, n.name) else {
            return;
        };
        if self.an.vars[v].is_param {
            self.errors.push((
                n.span,
                format!("expected a variable to assign to, found argument '{}', which cannot be assigned", n.name),
            ));
            return;
        }
        self.note_use(scope, v);
        let real = self.an.scopes[scope].real;
        let declared_in = self.an.vars[v].scope;
        // Does the path from here up to the declaring scope cross a loop?
        let mut crosses_loop = false;
        let mut s = scope;
        while s != declared_in {
            if self.an.scopes[s].kind == (ScopeKind::Inlined { is_loop: true }) {
                crosses_loop = true;
            }
            match self.an.scopes[s].parent {
                Some(p) => s = p,
                None => break,
            }
        }
        let seq = self.seq;
        let var = &mut self.an.vars[v];
        if var.real != real {
            var.written_in_block = true;
        } else {
            var.own_writes.push(seq);
            if crosses_loop {
                var.written_late = true;
            }
        }
    }

    fn finish(mut self) -> Result<Analysis, Vec<(Span, String)>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let mut an = self.an;
        for v in 0..an.vars.len() {
            let var = &mut an.vars[v];
            let late = match var.first_capture {
                Some(first) => var.written_late || var.own_writes.iter().any(|&w| w > first),
                None => false,
            };
            var.remote = var.captured && (var.written_in_block || late);
            if var.remote {
                let scope = var.scope;
                var.remote_index = an.scopes[scope].remote_vars.len();
                an.scopes[scope].remote_vars.push(v);
            }
        }
        for (v, from) in std::mem::take(&mut self.refs) {
            let var = &an.vars[v];
            if var.real == from {
                continue;
            }
            let capture = if var.remote { Capture::Vector(var.scope) } else { Capture::Copied(v) };
            let owner = var.real;
            let mut r = from;
            while r != owner {
                if !an.scopes[r].captures.contains(&capture) {
                    an.scopes[r].captures.push(capture);
                }
                match an.real_parent(r) {
                    Some(p) => r = p,
                    None => break,
                }
            }
        }
        Ok(an)
    }
}
