//! Control primitives: perform, block evaluation, and the context surgery
//! the exception system is built on (unwinding, handler search, restart,
//! resumption). These switch the active context instead of answering.

use super::index::Primitive as P;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::layout::{code, context, KnownClass};
use crate::prims::string::num_args;

pub fn control(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::Perform => {
            require(argc >= 1)?;
            let selector = arg(vm, argc, 0);
            require(vm.mem.is_symbol(selector))?;
            let n = argc - 1;
            require(num_args(&vm.mem.string_value(selector).unwrap_or_default()) == n)?;
            // Slide the arguments down over the selector.
            for i in 0..n {
                let v = vm.stack_value(n - 1 - i);
                vm.set_stack_value(n - i, v);
            }
            vm.pop_n(1);
            vm.send(selector, n)?;
            Ok(())
        }
        P::PerformWithArguments | P::PerformWithArgumentsInSuperclass => {
            let in_super = prim == P::PerformWithArgumentsInSuperclass;
            require(argc == if in_super { 3 } else { 2 })?;
            let selector = arg(vm, argc, 0);
            let args = arg(vm, argc, 1);
            require(vm.mem.is_symbol(selector) && vm.mem.is_instance_of(args, KnownClass::Array))?;
            let values = vm.mem.array_elements(args);
            require(num_args(&vm.mem.string_value(selector).unwrap_or_default()) == values.len())?;
            let start = if in_super {
                let cls = arg(vm, argc, 2);
                let rcvr = receiver(vm, argc);
                require(vm.mem.is_behavior(cls) && vm.mem.inherits_from(vm.mem.class_of(rcvr), cls))?;
                Some(cls)
            } else {
                None
            };
            require(has_room(vm, argc, values.len()))?;
            vm.pop_n(argc);
            for v in &values {
                vm.push(*v);
            }
            match start {
                Some(cls) => vm.send_from_class(selector, values.len(), cls)?,
                None => vm.send(selector, values.len())?,
            }
            Ok(())
        }
        P::BlockValue => {
            if vm.activate_block(argc)? {
                Ok(())
            } else {
                Err(PrimError::Fail)
            }
        }
        P::BlockValueWithArguments => {
            require(argc == 1)?;
            let args = arg(vm, argc, 0);
            require(vm.mem.is_instance_of(args, KnownClass::Array))?;
            let values = vm.mem.array_elements(args);
            let block = receiver(vm, argc);
            require(vm.block_accepts(block, values.len()))?;
            // The new context takes the arguments directly, so any number
            // fits, however small the caller's stack.
            vm.pop_n(argc + 1);
            vm.activate_closure(block, &values)?;
            Ok(())
        }
        P::ContextTerminateTo => {
            let rcvr = receiver(vm, argc);
            let target = arg(vm, argc, 0);
            require(is_context(vm, rcvr) && (target == vm.mem.nil() || is_context(vm, target)))?;
            let nil = vm.mem.nil();
            if target == nil || on_chain(vm, rcvr, target) {
                let mut c = vm.sender_of(rcvr);
                while c != target && c != nil {
                    let next = vm.sender_of(c);
                    vm.mark_dead(c);
                    vm.mem.heap.store(c, context::SENDER, nil);
                    c = next;
                }
            }
            vm.mem.heap.store(rcvr, context::SENDER, target);
            answer(vm, argc, rcvr)?;
            vm.recount_depth();
            Ok(())
        }
        P::ContextFindNextUnwindContextUpTo => {
            let rcvr = receiver(vm, argc);
            let limit = arg(vm, argc, 0);
            require(is_context(vm, rcvr))?;
            let nil = vm.mem.nil();
            let mut c = vm.sender_of(rcvr);
            let mut found = nil;
            while c != nil && c != limit {
                if vm.is_unwind_context(c) {
                    found = c;
                    break;
                }
                c = vm.sender_of(c);
            }
            answer(vm, argc, found)
        }
        P::ContextFindNextHandlerContext => {
            let rcvr = receiver(vm, argc);
            require(is_context(vm, rcvr))?;
            let nil = vm.mem.nil();
            let mut c = rcvr;
            while c != nil && !vm.is_handler_context(c) {
                c = vm.sender_of(c);
            }
            answer(vm, argc, c)
        }
        P::ContextRestart => {
            let target = receiver(vm, argc);
            require(is_context(vm, target) && on_chain(vm, vm.ctx, target))?;
            require(vm.restart_context(target))
        }
        P::ContextResume => {
            let target = receiver(vm, argc);
            let value = arg(vm, argc, 0);
            require(is_context(vm, target) && on_chain(vm, vm.ctx, target))?;
            require(vm.resume_context(target, value))
        }
        P::ContextCurrentLine => {
            let rcvr = receiver(vm, argc);
            require(is_context(vm, rcvr))?;
            let line = current_line(vm, rcvr);
            answer(vm, argc, Oop::small_integer(line as i64))
        }
        P::UnwindMarker | P::HandlerMarker => Err(PrimError::Fail),
        _ => Err(PrimError::Fail),
    }
}

fn is_context(vm: &Vm, oop: Oop) -> bool {
    vm.mem.is_instance_of(oop, KnownClass::Context)
}

/// Whether `target` is `from` or one of its senders.
fn on_chain(vm: &Vm, from: Oop, target: Oop) -> bool {
    let nil = vm.mem.nil();
    let mut c = from;
    while c != nil {
        if c == target {
            return true;
        }
        c = vm.sender_of(c);
    }
    false
}

/// Whether the active frame can take `count` values in place of its
/// `argc + 1` receiver and arguments.
fn has_room(vm: &Vm, argc: usize, count: usize) -> bool {
    let capacity = vm.mem.heap.num_slots(vm.ctx) - context::FIRST_TEMP;
    vm.sp - argc + count <= capacity
}

/// The source line a context is at, from its code's line table (0 if unknown).
pub fn current_line(vm: &Vm, ctx: Oop) -> u32 {
    let heap = &vm.mem.heap;
    let method = heap.fetch(ctx, context::METHOD);
    if !method.is_object() || !heap.format_of(method).is_code() {
        return 0;
    }
    let pc = heap.fetch(ctx, context::PC).to_small_integer().unwrap_or(0).max(1) as u32 - 1;
    let table = heap.fetch(method, code::LINES);
    if !table.is_object() || !matches!(heap.format_of(table), Format::Bytes { .. }) {
        return 0;
    }
    let mut line = 0;
    for pair in heap.bytes(table).chunks_exact(8) {
        let at = u32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]);
        if at > pc {
            break;
        }
        line = u32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]);
    }
    line
}
