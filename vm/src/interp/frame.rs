//! Access to the active frame, which is a heap Context: its stack, temps and
//! registers. Code outside the bytecode loop reads and writes the stack
//! through these functions; the loop (`execute.rs`) keeps the registers in
//! locals and reaches the frame's words from [`frame_base`]. The sends and
//! returns the loop does on its registers ([`LoopRegisters`]:
//! `Vm::enter_in_loop` in `send.rs`, `Vm::return_in_loop` in `returns.rs`)
//! write frames too, trusting a sender by [`Vm::trusted_sender`]'s rule.
//! A move to stack frames would touch those, this module and the loop's
//! frame macros.

use super::Vm;
use crate::heap::Oop;
use crate::objects::layout::{closure, code, context, KnownClass};

impl Vm {
    #[inline]
    pub(crate) fn push(&mut self, value: Oop) {
        self.mem.heap.store(self.ctx, context::FIRST_TEMP + self.sp, value);
        self.sp += 1;
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Oop {
        self.sp -= 1;
        self.mem.heap.fetch(self.ctx, context::FIRST_TEMP + self.sp)
    }

    #[inline]
    pub(crate) fn pop_n(&mut self, n: usize) {
        self.sp -= n;
    }

    /// The value `n` below the top (0 is the top).
    #[inline]
    pub(crate) fn stack_value(&self, n: usize) -> Oop {
        self.mem.heap.fetch(self.ctx, context::FIRST_TEMP + self.sp - 1 - n)
    }

    #[inline]
    pub(crate) fn set_stack_value(&mut self, n: usize, value: Oop) {
        self.mem.heap.store(self.ctx, context::FIRST_TEMP + self.sp - 1 - n, value);
    }

    #[inline]
    pub(crate) fn literal(&self, index: usize) -> Oop {
        self.mem.heap.fetch(self.method, code::FIRST_LITERAL + index)
    }

    /// Stores the cached pc and stack pointer into the active context.
    pub(crate) fn save_registers(&mut self) {
        self.mem.heap.store(self.ctx, context::PC, Oop::small_integer(self.ip as i64));
        self.mem.heap.store(self.ctx, context::STACKP, Oop::small_integer(self.sp as i64));
    }

    /// Makes `ctx` the active context, loading its registers.
    pub(crate) fn load_context(&mut self, ctx: Oop) {
        let heap = &self.mem.heap;
        self.ctx = ctx;
        self.method = heap.fetch(ctx, context::METHOD);
        self.receiver = heap.fetch(ctx, context::RECEIVER);
        self.ip = heap.fetch(ctx, context::PC).to_small_integer().unwrap_or(0).max(0) as usize;
        self.sp = heap.fetch(ctx, context::STACKP).to_small_integer().unwrap_or(0).max(0) as usize;
        let header = heap.fetch(self.method, code::HEADER).to_small_integer().unwrap_or(0);
        self.code_base = code::code_base(self.method, header);
    }

    /// Makes `ctx` the active context if [`Vm::is_resumable_context`]
    /// holds, checking and loading in one pass (the return path's).
    #[inline]
    pub(crate) fn load_resumable_context(&mut self, ctx: Oop) -> bool {
        let Some(frame) = self.resumable_frame(ctx) else { return false };
        self.ctx = ctx;
        self.method = frame.method;
        self.receiver = self.mem.heap.fetch(ctx, context::RECEIVER);
        self.ip = frame.pc;
        self.sp = frame.sp;
        self.code_base = frame.method.offset() + 8 + frame.code_start;
        true
    }

    /// Makes `sender`, the sender of the returning context `callee`, the
    /// active context: on [`Vm::trusted_sender`]'s word when it gives it,
    /// else checked in full, as [`Vm::load_resumable_context`] does (which
    /// also refuses a dead sender).
    #[inline(always)]
    pub(crate) fn load_sender(&mut self, callee: Oop, sender: Oop) -> bool {
        let Some(frame) = self.trusted_sender(callee, sender) else { return self.load_resumable_context(sender) };
        self.ctx = sender;
        self.method = frame.method;
        self.receiver = self.mem.heap.fetch(sender, context::RECEIVER);
        self.ip = frame.pc;
        self.sp = frame.sp;
        self.code_base = frame.code_base;
        true
    }

    /// The registers of `sender`, the sender of the returning context
    /// `callee`, read without checking them, when that is safe: neither
    /// has been edited by Smalltalk code (the header's edited bit), so the
    /// VM wrote both, and `sender` is a Context with compiled code and
    /// registers in range; and `sender` is alive (its pc is an integer).
    /// None otherwise (nil, edited, dead).
    #[inline(always)]
    pub(crate) fn trusted_sender(&self, callee: Oop, sender: Oop) -> Option<TrustedFrame> {
        if sender == self.mem.nil() || self.is_edited(callee) || self.is_edited(sender) {
            return None;
        }
        let heap = &self.mem.heap;
        let pc = heap.fetch(sender, context::PC).to_small_integer()? as usize;
        let method = heap.fetch(sender, context::METHOD);
        let sp = heap.fetch(sender, context::STACKP).to_small_integer().unwrap_or(0) as usize;
        Some(TrustedFrame { method, pc, sp, code_base: code::code_base(method, self.code_header(method)) })
    }

    /// Whether `oop` is an object whose header has the edited bit (a
    /// Context whose fixed slots Smalltalk wrote); true for anything that
    /// is not an object, which can be no sender to trust either.
    #[inline(always)]
    fn is_edited(&self, oop: Oop) -> bool {
        !oop.is_object() || self.mem.heap.header(oop).is_edited()
    }

    /// Called before Smalltalk code writes slot `index` of `oop` (by
    /// `instVarAt:put:`, an assignment in a method of the object's class,
    /// a quick setter): when that is a fixed slot of a Context (its sender,
    /// pc, stack pointer, method ...), the Context is marked edited, and
    /// returns into it check it in full (see [`Vm::load_sender`]).
    #[inline(always)]
    pub(crate) fn note_slot_write(&mut self, oop: Oop, index: usize) {
        if index < context::FIRST_TEMP && self.mem.is_instance_of(oop, KnownClass::Context) {
            let header = self.mem.heap.header(oop);
            if !header.is_edited() {
                self.mem.heap.set_header(oop, header.with_edited());
            }
        }
    }

    /// The header word of compiled code.
    #[inline]
    pub(crate) fn code_header(&self, method: Oop) -> i64 {
        self.mem.heap.fetch(method, code::HEADER).to_small_integer().unwrap_or(0)
    }

    /// Whether a context has returned (or was terminated).
    pub(crate) fn is_dead(&self, ctx: Oop) -> bool {
        self.mem.heap.fetch(ctx, context::PC) == self.mem.nil()
    }

    pub(crate) fn mark_dead(&mut self, ctx: Oop) {
        let nil = self.mem.nil();
        self.mem.heap.store(ctx, context::PC, nil);
    }

    pub(crate) fn sender_of(&self, ctx: Oop) -> Oop {
        self.mem.heap.fetch(ctx, context::SENDER)
    }

    /// The method context a (possibly block) context belongs to, or nil if
    /// the chain of outer contexts is broken.
    pub(crate) fn home_context(&self, mut ctx: Oop) -> Oop {
        let nil = self.mem.nil();
        loop {
            let closure_oop = self.mem.heap.fetch(ctx, context::CLOSURE);
            if closure_oop == nil {
                return ctx;
            }
            ctx = self.mem.heap.fetch(closure_oop, closure::OUTER_CONTEXT);
            if ctx == nil {
                return nil;
            }
        }
    }

    /// Whether the active context is a block's.
    pub(crate) fn in_block(&self) -> bool {
        self.mem.heap.fetch(self.ctx, context::CLOSURE) != self.mem.nil()
    }

    /// Checks a context before it is resumed: its pc and stack pointer must
    /// be in range, so that Smalltalk code that wrote them cannot crash the VM.
    pub(crate) fn is_resumable_context(&self, ctx: Oop) -> bool {
        self.resumable_frame(ctx).is_some()
    }

    /// The registers of a context that can be resumed, read and checked:
    /// a Context whose method is compiled code, whose pc is inside the
    /// bytecodes and whose stack pointer is inside the context.
    #[inline]
    fn resumable_frame(&self, ctx: Oop) -> Option<ResumableFrame> {
        let heap = &self.mem.heap;
        if !ctx.is_object() || heap.header(ctx).class_index() != KnownClass::Context.index() {
            return None;
        }
        let method = heap.fetch(ctx, context::METHOD);
        if !method.is_object() {
            return None;
        }
        let padding = heap.header(method).code_padding()?;
        let pc = usize::try_from(heap.fetch(ctx, context::PC).to_small_integer()?).ok()?;
        let sp = usize::try_from(heap.fetch(ctx, context::STACKP).to_small_integer()?).ok()?;
        let code_start = (1 + code::pointer_slots(self.code_header(method))) * 8;
        let code_len = (8 * heap.num_slots(method)).saturating_sub(padding + code_start);
        let slots = heap.num_slots(ctx) - context::FIRST_TEMP;
        (pc < code_len && sp <= slots).then_some(ResumableFrame { method, pc, sp, code_start })
    }
}

/// What [`Vm::trusted_sender`] reads from a context: its method, pc and
/// stack pointer, and the heap offset of the method's first bytecode.
pub(crate) struct TrustedFrame {
    pub method: Oop,
    pub pc: usize,
    pub sp: usize,
    pub code_base: usize,
}

/// The bytecode loop's registers (see [`Vm::interpret`]), lent to the
/// sends and returns it does on them: `ip` the heap offset of the next
/// bytecode, `fp` the heap word index of the active context's first temp,
/// `sp` that of its first free stack slot.
pub(crate) struct LoopRegisters<'a> {
    pub ip: &'a mut usize,
    pub fp: &'a mut usize,
    pub sp: &'a mut usize,
}

/// A new context's fixed slots, in the order of `layout::context`: its
/// sender, pc 0, its stack pointer just past its `num_temps` temps, its
/// code, its closure (nil for a method) and its receiver.
#[inline(always)]
pub(crate) fn fixed_slots(sender: Oop, num_temps: usize, code: Oop, closure_oop: Oop, receiver: Oop) -> [Oop; 6] {
    [sender, Oop::small_integer(0), Oop::small_integer(num_temps as i64), code, closure_oop, receiver]
}

/// What [`Vm::resumable_frame`] reads from a context: its method, pc and
/// stack pointer, and where the method's bytecodes start in its body.
struct ResumableFrame {
    method: Oop,
    pc: usize,
    sp: usize,
    code_start: usize,
}

/// The heap word index of a context's first temp: where its frame starts
/// (slot `i` of an object is word `offset / 8 + 1 + i`).
#[inline(always)]
pub(crate) fn frame_base(ctx: Oop) -> usize {
    (ctx.offset() >> 3) + 1 + context::FIRST_TEMP
}
