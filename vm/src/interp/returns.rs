//! Returns: local returns, non-local returns from blocks (with `ensure:`
//! blocks run on the way by the image's unwinding code), and the context
//! surgery the exception system's primitives do.

use super::frame::{frame_base, LoopRegisters};
use super::{Halt, Vm};
use crate::heap::{Oop, NIL};
use crate::objects::layout::{code, context, special};
use crate::prims::index::Primitive;

/// What a return did.
pub(crate) enum Returned {
    /// Execution goes on in the context returned to.
    Continue,
    /// The bottom context returned this value: the evaluation is over.
    Finished(Oop),
}

impl Vm {
    /// `^value` from the active context: to its sender from a method, to its
    /// home method's sender from a block.
    #[inline(always)]
    pub(crate) fn return_from_method(&mut self, value: Oop) -> Result<Returned, Halt> {
        if self.in_block() {
            self.non_local_return(value)
        } else {
            self.return_to_sender(value)
        }
    }

    /// Returns `value` from the active context to its sender.
    #[inline(always)]
    pub(crate) fn return_to_sender(&mut self, value: Oop) -> Result<Returned, Halt> {
        let ctx = self.ctx;
        let sender = self.sender_of(ctx);
        self.mark_dead(ctx);
        self.depth = self.depth.saturating_sub(1);
        if sender == self.mem.nil() {
            return Ok(Returned::Finished(value));
        }
        if !self.load_sender(ctx, sender) {
            // The sender was terminated or tampered with: report, don't crash.
            return self.cannot_return(ctx, value);
        }
        self.push(value);
        Ok(Returned::Continue)
    }

    /// The common return, for the bytecode loop and on its registers:
    /// `value` from the active context to its sender, when the sender can
    /// be trusted ([`Vm::trusted_sender`]). `from_block` is a block's
    /// return to its caller (`BlockReturn`); otherwise this is `^`, which
    /// in a block is a non-local return and not done here. Answers false,
    /// having done nothing, in every other case: [`Vm::return_from_method`]
    /// and [`Vm::return_to_sender`] do it then.
    #[inline(always)]
    pub(crate) fn return_in_loop(&mut self, value: Oop, from_block: bool, regs: LoopRegisters<'_>) -> bool {
        let LoopRegisters { ip, fp, sp } = regs;
        let slots = *fp - context::FIRST_TEMP;
        if !from_block && self.mem.heap.word(slots + context::CLOSURE) != NIL {
            return false;
        }
        let sender = self.mem.heap.word(slots + context::SENDER);
        let Some(frame) = self.trusted_sender(self.ctx, sender) else { return false };
        let heap = &mut self.mem.heap;
        // Dead: its pc is nil (nil is old: no barrier).
        heap.set_word_unbarriered(slots + context::PC, NIL);
        // The loop's invariant: an old active context is remembered.
        heap.remember_if_old(sender);
        let sender_fp = frame_base(sender);
        heap.set_word_unbarriered(sender_fp + frame.sp, value);
        self.receiver = heap.word(sender_fp - context::FIRST_TEMP + context::RECEIVER);
        self.ctx = sender;
        self.method = frame.method;
        self.code_base = frame.code_base;
        self.depth = self.depth.saturating_sub(1);
        *ip = frame.code_base + frame.pc;
        *fp = sender_fp;
        *sp = sender_fp + frame.sp + 1;
        true
    }

    /// `^value` inside a block.
    fn non_local_return(&mut self, value: Oop) -> Result<Returned, Halt> {
        let ctx = self.ctx;
        let nil = self.mem.nil();
        let home = self.home_context(ctx);
        if home == nil || self.is_dead(home) {
            return self.cannot_return(ctx, value);
        }
        // Walk from the block's sender to the home: the home must be on the
        // chain, and an unwind context between them means ensure: blocks run.
        let mut walker = self.sender_of(ctx);
        let mut count = 1;
        let mut first_unwind = nil;
        while walker != home {
            if walker == nil {
                return self.cannot_return(ctx, value);
            }
            if first_unwind == nil && self.is_unwind_context(walker) {
                first_unwind = walker;
            }
            count += 1;
            walker = self.sender_of(walker);
        }
        if first_unwind != nil {
            // Let the image run the unwind blocks; if it returns here, the
            // `^` is tried again with the value it answers.
            self.ip -= 1;
            return self
                .vm_send(special::SELECTOR_ABOUT_TO_RETURN, ctx, &[value, first_unwind])
                .map(|_| Returned::Continue);
        }
        let target = self.sender_of(home);
        let mut dead = ctx;
        while dead != target && dead != nil {
            let next = self.sender_of(dead);
            self.mark_dead(dead);
            dead = next;
        }
        self.depth = self.depth.saturating_sub(count + 1);
        if target == nil {
            return Ok(Returned::Finished(value));
        }
        if !self.is_resumable_context(target) {
            return self.cannot_return(ctx, value);
        }
        self.load_context(target);
        self.push(value);
        Ok(Returned::Continue)
    }

    /// Sends `cannotReturn: value` to `ctx`, from the context that called it:
    /// if the error is resumed, its answer is what the block answers there.
    fn cannot_return(&mut self, ctx: Oop, value: Oop) -> Result<Returned, Halt> {
        let caller = self.sender_of(ctx);
        self.mark_dead(ctx);
        if caller == self.mem.nil() || !self.is_resumable_context(caller) {
            // Nowhere to report it from: the evaluation ends with the value.
            return Ok(Returned::Finished(value));
        }
        self.load_context(caller);
        self.vm_send(special::SELECTOR_CANNOT_RETURN, ctx, &[value])?;
        Ok(Returned::Continue)
    }

    /// Whether a context is an `ensure:`/`ifCurtailed:` activation.
    pub(crate) fn is_unwind_context(&self, ctx: Oop) -> bool {
        self.context_primitive(ctx) == Primitive::UnwindMarker as usize
    }

    /// Whether a context is an `on:do:` activation.
    pub(crate) fn is_handler_context(&self, ctx: Oop) -> bool {
        self.context_primitive(ctx) == Primitive::HandlerMarker as usize
    }

    fn context_primitive(&self, ctx: Oop) -> usize {
        let method = self.mem.heap.fetch(ctx, context::METHOD);
        if !method.is_object() || !self.mem.heap.format_of(method).is_code() {
            return 0;
        }
        code::primitive(self.code_header(method))
    }

    /// Counts the contexts from the active one down to the bottom.
    pub(crate) fn recount_depth(&mut self) {
        let nil = self.mem.nil();
        let mut n = 0;
        let mut c = self.ctx;
        while c != nil {
            n += 1;
            c = self.sender_of(c);
        }
        self.depth = n;
        if self.depth + 10_000 < self.depth_limit && self.depth_limit > self.options.max_depth {
            self.depth_limit = self.options.max_depth;
        }
    }

    /// Resumes `target` (a sender of the active context, which must already
    /// have been unwound to it) as if its pending send answered `value`.
    /// Answers false for the active context itself: its pc and stack
    /// pointer are the loop's registers, not yet in it, and resuming it is
    /// answering `value` from the running send, which the caller's
    /// fallback code does.
    pub(crate) fn resume_context(&mut self, target: Oop, value: Oop) -> bool {
        if target == self.ctx || !self.is_resumable_context(target) {
            return false;
        }
        let nil = self.mem.nil();
        let mut c = self.ctx;
        while c != target && c != nil {
            let next = self.sender_of(c);
            self.mark_dead(c);
            c = next;
        }
        self.load_context(target);
        self.push(value);
        self.recount_depth();
        true
    }

    /// Restarts `target` from its first bytecode and makes it active.
    pub(crate) fn restart_context(&mut self, target: Oop) -> bool {
        if !self.is_resumable_context(target) {
            return false;
        }
        let nil = self.mem.nil();
        let mut c = self.ctx;
        while c != target && c != nil {
            let next = self.sender_of(c);
            self.mark_dead(c);
            c = next;
        }
        let method = self.mem.heap.fetch(target, context::METHOD);
        let header = self.code_header(method);
        let num_args = code::num_args(header);
        let num_temps = code::num_temps(header);
        // Blocks keep their copied values, which follow the arguments.
        let closure_oop = self.mem.heap.fetch(target, context::CLOSURE);
        let kept = if closure_oop == nil {
            num_args
        } else {
            num_args + self.mem.heap.num_slots(closure_oop) - crate::objects::layout::closure::FIRST_COPIED
        };
        for i in kept..num_temps {
            self.mem.heap.store(target, context::FIRST_TEMP + i, nil);
        }
        self.mem.heap.store(target, context::PC, Oop::small_integer(0));
        self.mem.heap.store(target, context::STACKP, Oop::small_integer(num_temps as i64));
        self.load_context(target);
        self.recount_depth();
        true
    }
}
