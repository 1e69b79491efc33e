//! Fast paths for the exception system's own reflection: the handler
//! search and the unwinding code (Context, 071; Exception, 080) read and
//! write context temps by index on every signal. Each primitive here
//! answers exactly what the general one or the library code it stands in
//! for would answer, only without working out the receiver's shape from
//! its class or activating that code; anything else goes to that general
//! primitive or fails to the method's code. This module must not know how
//! exceptions are searched: the library decides that. Of unwinding it
//! knows only the library's protocol for unwind contexts (their first two
//! temps are the unwind block and whether it has run), and it unwinds
//! only where no unwind block is left to run.

use super::index::Primitive as P;
use super::{answer, arg, receiver, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::layout::{class, code, context, special, KnownClass};
use crate::prims::object;
use smalt_compiler::bytecode::quick;

/// Where `Exception`'s fourth instance variable, `signalContext` (the
/// context of `signal`), is; checked by name against the receiver's class.
const SIGNAL_CONTEXT: usize = 3;
const SIGNAL_CONTEXT_NAME: &[u8] = b"signalContext";

/// The indices of `class` and `value` among the special selectors
/// (`smalt_compiler::bytecode::SPECIAL_SELECTORS`).
const CLASS_SELECTOR: usize = 23;
const VALUE_SELECTOR: usize = 19;

/// An unwind context's (`ensure:`, `ifCurtailed:`, `privRunHandler`)
/// unwind block and whether it is complete: its first two temps.
const UNWIND_BLOCK: usize = context::FIRST_TEMP;
const UNWIND_COMPLETE: usize = context::FIRST_TEMP + 1;

/// More senders than this and the walk is left to the library's loop
/// (a chain made circular by hand runs there, where it can be interrupted).
const MOST_SENDERS: usize = 1 << 20;

pub fn exception(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::ContextTempAt => match context_temp_index(vm, argc) {
            Some(slot) => {
                let value = vm.mem.heap.fetch(receiver(vm, argc), slot);
                answer(vm, argc, value)
            }
            None => object::object(vm, P::BasicAt, argc),
        },
        P::ContextTempAtPut => {
            let ctx = receiver(vm, argc);
            match context_temp_index(vm, argc) {
                Some(slot) if !vm.mem.heap.header(ctx).is_immutable() => {
                    let value = arg(vm, argc, 1);
                    vm.mem.heap.store(ctx, slot, value);
                    answer(vm, argc, value)
                }
                _ => object::object(vm, P::BasicAtPut, argc),
            }
        }
        P::ExceptionSignalerContext => {
            let ctx = signaler_context(vm, receiver(vm, argc)).ok_or(PrimError::Fail)?;
            answer(vm, argc, ctx)
        }
        P::ContextNextHandlerContext => {
            let ctx = next_handler_context(vm, receiver(vm, argc)).ok_or(PrimError::Fail)?;
            answer(vm, argc, ctx)
        }
        P::ContextReturn => {
            let ctx = receiver(vm, argc);
            if !vm.mem.is_instance_of(ctx, KnownClass::Context) {
                return Err(PrimError::Fail);
            }
            let (target, value) = (vm.sender_of(ctx), arg(vm, argc, 0));
            resume_through_empty_unwinds(vm, target, value)
        }
        _ => Err(PrimError::Fail),
    }
}

/// What `Context>>nextHandlerContext` answers for `ctx`: the first of its
/// senders that is an `on:do:` activation, or nil. None (the library's
/// code decides) when something on the way is not a Context.
fn next_handler_context(vm: &Vm, ctx: Oop) -> Option<Oop> {
    let nil = vm.mem.nil();
    let is_context = |c: Oop| vm.mem.is_instance_of(c, KnownClass::Context);
    if !is_context(ctx) {
        return None;
    }
    let mut c = vm.sender_of(ctx);
    for _ in 0..MOST_SENDERS {
        if c == nil || (is_context(c) && vm.is_handler_context(c)) {
            return Some(c);
        }
        if !is_context(c) {
            return None;
        }
        c = vm.sender_of(c);
    }
    None
}

/// `target` resumed with `value` from the active context, as
/// `Context>>resume:through:` and `privResume:` do it, when no unwind
/// block is left to run on the way: each unwind context between the
/// active context (inclusive) and `target` that is not complete yet has
/// nil for its unwind block, for which `value` is quick (so that sending
/// it does nothing). Those are marked complete, as the library's unwinding
/// marks them before sending `value`; every context on the way is cut off
/// (dead, without a sender) as `terminateTo:` cuts them; then `target`
/// goes on as if its pending send had answered `value`. Fails, having
/// changed nothing, when an unwind block has work to do, when `target` is
/// not a live Context below the active one (the active one itself is left
/// to the library too), or when something on the way is not a Context.
fn resume_through_empty_unwinds(vm: &mut Vm, target: Oop, value: Oop) -> PrimResult {
    let nil = vm.mem.nil();
    let is_context = |vm: &Vm, c: Oop| vm.mem.is_instance_of(c, KnownClass::Context);
    // The active context's registers are the loop's, not yet in the
    // context: it is resumed by returning to it, which the library does.
    if target == vm.ctx || !is_context(vm, target) || !vm.is_resumable_context(target) {
        return Err(PrimError::Fail);
    }
    let mut pending = 0;
    let mut c = vm.ctx;
    for _ in 0..MOST_SENDERS {
        if c == target {
            break;
        }
        if c == nil || !is_context(vm, c) {
            return Err(PrimError::Fail);
        }
        if vm.is_unwind_context(c) {
            if vm.mem.heap.num_slots(c) < UNWIND_COMPLETE + 1 {
                return Err(PrimError::Fail);
            }
            if vm.mem.heap.fetch(c, UNWIND_COMPLETE) == nil {
                if vm.mem.heap.fetch(c, UNWIND_BLOCK) != nil {
                    return Err(PrimError::Fail);
                }
                pending += 1;
            }
        }
        c = vm.sender_of(c);
    }
    if c != target || (pending > 0 && !value_of_nil_is_quick(vm)) {
        return Err(PrimError::Fail);
    }
    let done = vm.mem.true_object();
    let mut c = vm.ctx;
    while c != target {
        let next = vm.sender_of(c);
        if pending > 0 && vm.is_unwind_context(c) && vm.mem.heap.fetch(c, UNWIND_COMPLETE) == nil {
            vm.mem.heap.store(c, UNWIND_COMPLETE, done);
            pending -= 1;
        }
        vm.mark_dead(c);
        vm.mem.heap.store(c, context::SENDER, nil);
        c = next;
    }
    if vm.resume_context(target, value) {
        Ok(())
    } else {
        Err(PrimError::Fail)
    }
}

/// Whether `nil value` is a quick method answering a constant (Object's
/// `^self`): then an unwind block of nil has nothing to do.
fn value_of_nil_is_quick(vm: &mut Vm) -> bool {
    let selector = vm.mem.heap.fetch(vm.mem.special_object(special::SPECIAL_SELECTORS), VALUE_SELECTOR);
    let Some(method) = vm.lookup(KnownClass::UndefinedObject.index(), selector) else { return false };
    let primitive = code::primitive(vm.code_header(method));
    (usize::from(quick::RETURN_SELF)..=usize::from(quick::RETURN_NIL)).contains(&primitive)
}

/// What `Exception>>signalerContext` answers for `exception`: from its
/// signalContext on, the first context whose receiver is neither the
/// exception nor its class (nil if none). None where the library's loop
/// must decide: an object without Exception's slots, a class whose
/// `class` is not Object's primitive, a sender that is not a Context.
fn signaler_context(vm: &mut Vm, exception: Oop) -> Option<Oop> {
    if !exception.is_object() || !vm.mem.heap.format_of(exception).is_pointers() {
        return None;
    }
    let heap = &vm.mem.heap;
    let cls = vm.mem.class_of(exception);
    if !cls.is_object() || heap.num_slots(cls) <= class::INSTANCE_VARIABLES {
        return None;
    }
    let names = heap.fetch(cls, class::INSTANCE_VARIABLES);
    if !names.is_object() || !heap.format_of(names).is_pointers() || heap.num_slots(names) <= SIGNAL_CONTEXT {
        return None;
    }
    let name = heap.fetch(names, SIGNAL_CONTEXT);
    if !name.is_object()
        || !matches!(heap.format_of(name), Format::Bytes { .. })
        || heap.bytes(name) != SIGNAL_CONTEXT_NAME
    {
        return None;
    }
    // The library's loop sends `self class` (looked up through the cache).
    let selector = heap.fetch(vm.mem.special_object(special::SPECIAL_SELECTORS), CLASS_SELECTOR);
    let class_index = heap.class_index_of(exception);
    let method = vm.lookup(class_index, selector)?;
    if code::primitive(vm.code_header(method)) != P::Class as usize {
        return None;
    }
    let heap = &vm.mem.heap;
    let nil = vm.mem.nil();
    let mut ctx = heap.fetch(exception, SIGNAL_CONTEXT);
    for _ in 0..MOST_SENDERS {
        if ctx == nil {
            return Some(nil);
        }
        if !vm.mem.is_instance_of(ctx, KnownClass::Context) {
            return None;
        }
        let rcvr = heap.fetch(ctx, context::RECEIVER);
        if rcvr != exception && rcvr != cls {
            return Some(ctx);
        }
        ctx = heap.fetch(ctx, context::SENDER);
    }
    None
}

/// For `tempAt:` and `tempAt:put:` sent to a Context itself (whose named
/// slots are `context::IVARS`): the slot of temp `index` (the first
/// argument), if it is inside the context. None for anything else,
/// which `basicAt:`'s general primitive then answers (or fails on).
#[inline]
fn context_temp_index(vm: &Vm, argc: usize) -> Option<usize> {
    let ctx = receiver(vm, argc);
    if !vm.mem.is_instance_of(ctx, KnownClass::Context) {
        return None;
    }
    let index = arg(vm, argc, 0).to_small_integer()?;
    let slot = context::FIRST_TEMP + usize::try_from(index).ok()?.checked_sub(1)?;
    (slot < vm.mem.heap.num_slots(ctx)).then_some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{NIL, TRUE};
    use crate::interp::VmOptions;
    use crate::prims::integer::tests::{run, test_vm};

    fn si(value: i64) -> Oop {
        Oop::small_integer(value)
    }

    /// A new Context with room for `temps` temps and stack slots.
    fn new_context(vm: &mut Vm, temps: usize) -> Oop {
        vm.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + temps).expect("room")
    }

    #[test]
    fn class_and_value_are_the_special_selectors_named() {
        assert_eq!(smalt_compiler::bytecode::special_selector_index("class"), Some(CLASS_SELECTOR as u8));
        assert_eq!(smalt_compiler::bytecode::special_selector_index("value"), Some(VALUE_SELECTOR as u8));
    }

    #[test]
    fn context_temps_are_read_and_written_in_place() {
        let mut vm = test_vm();
        let ctx = new_context(&mut vm, 3);
        assert_eq!(run(&mut vm, 341, &[ctx, si(3), si(42)]), Some(si(42)));
        assert_eq!(vm.mem.heap.fetch(ctx, context::FIRST_TEMP + 2), si(42));
        assert_eq!(run(&mut vm, 340, &[ctx, si(3)]), Some(si(42)));
        assert_eq!(run(&mut vm, 340, &[ctx, si(1)]), Some(NIL));
        assert_eq!(run(&mut vm, 341, &[ctx, si(1), TRUE]), Some(TRUE));
        assert_eq!(run(&mut vm, 340, &[ctx, si(1)]), Some(TRUE));
    }

    #[test]
    fn outside_a_context_they_answer_as_basic_at_or_fail() {
        let mut vm = test_vm();
        let ctx = new_context(&mut vm, 2);
        // Out of bounds, or not an index: basicAt:'s primitive fails too.
        // (This memory has no classes, so basicAt: sees no named slots:
        // past all of them is out of bounds for both.)
        let past = (context::FIRST_TEMP + 3) as i64;
        assert_eq!(run(&mut vm, 340, &[ctx, si(0)]), None);
        assert_eq!(run(&mut vm, 340, &[ctx, si(past)]), None);
        assert_eq!(run(&mut vm, 340, &[ctx, NIL]), None);
        assert_eq!(run(&mut vm, 341, &[ctx, si(past), NIL]), None);
        assert_eq!(run(&mut vm, 341, &[ctx, si(-1), NIL]), None);
        // Not a context: what basicAt: and basicAt:put: answer.
        let array = vm.mem.allocate(KnownClass::Array, Format::Indexable, 2).expect("room");
        assert_eq!(run(&mut vm, 341, &[array, si(2), si(7)]), Some(si(7)));
        assert_eq!(run(&mut vm, 340, &[array, si(2)]), Some(si(7)));
        assert_eq!(run(&mut vm, 340, &[array, si(3)]), None);
        assert_eq!(run(&mut vm, 340, &[si(5), si(1)]), None);
    }

    #[test]
    fn the_signaler_context_is_the_first_not_running_for_the_exception() {
        let mut vm = Vm::bootstrap(VmOptions::default()).expect("the class library loads");
        let source =
            "ZeroDivide subclass: #OwnClassError instanceVariableNames: '' classVariableNames: '' package: 'Test'.
            (Smalltalk at: #OwnClassError) compile: 'class ^ZeroDivide'.
            {ZeroDivide new. (Smalltalk at: #OwnClassError) new. Array new: 5}";
        let objects = vm.evaluate(source, "test").expect("evaluates");
        let [exception, own_class, array] = [0, 1, 2].map(|i| vm.mem.heap.fetch(objects, i));
        vm.ctx = new_context(&mut vm, 8);
        let [signal, by_class, signaler] = [0; 3].map(|_| new_context(&mut vm, 1));
        let zero_divide = vm.mem.class_of(exception);
        let heap = &mut vm.mem.heap;
        heap.store(exception, SIGNAL_CONTEXT, signal);
        heap.store(own_class, SIGNAL_CONTEXT, signal);
        for (ctx, rcvr, sender) in
            [(signal, exception, by_class), (by_class, zero_divide, signaler), (signaler, si(5), NIL)]
        {
            heap.store(ctx, context::RECEIVER, rcvr);
            heap.store(ctx, context::SENDER, sender);
        }
        assert_eq!(run(&mut vm, 342, &[exception]), Some(signaler));
        vm.mem.heap.store(signaler, context::RECEIVER, exception);
        assert_eq!(run(&mut vm, 342, &[exception]), Some(NIL));
        // Left to the library's loop: a sender that is not a Context, a
        // class with its own `class`, an object without Exception's slots.
        vm.mem.heap.store(by_class, context::SENDER, si(7));
        assert_eq!(run(&mut vm, 342, &[exception]), None);
        vm.mem.heap.store(by_class, context::SENDER, NIL);
        assert_eq!(run(&mut vm, 342, &[exception]), Some(NIL));
        assert_eq!(run(&mut vm, 342, &[own_class]), None);
        assert_eq!(run(&mut vm, 342, &[array]), None);
        assert_eq!(run(&mut vm, 342, &[si(3)]), None);
    }

    #[test]
    fn the_next_handler_context_is_the_first_on_do_among_the_senders() {
        let mut vm = Vm::bootstrap(VmOptions::default()).expect("the class library loads");
        let on_do = vm.evaluate("BlockClosure >> #on:do:", "test").expect("evaluates");
        vm.ctx = new_context(&mut vm, 8);
        let [top, middle, handler] = [0; 3].map(|_| new_context(&mut vm, 3));
        let heap = &mut vm.mem.heap;
        heap.store(top, context::SENDER, middle);
        heap.store(middle, context::SENDER, handler);
        heap.store(handler, context::METHOD, on_do);
        assert_eq!(run(&mut vm, 343, &[top]), Some(handler));
        assert_eq!(run(&mut vm, 343, &[middle]), Some(handler));
        // Not the receiver itself; none below it.
        assert_eq!(run(&mut vm, 343, &[handler]), Some(NIL));
        vm.mem.heap.store(handler, context::METHOD, NIL);
        assert_eq!(run(&mut vm, 343, &[top]), Some(NIL));
        // Left to the library's code: a sender that is not a Context.
        vm.mem.heap.store(middle, context::SENDER, si(4));
        assert_eq!(run(&mut vm, 343, &[top]), None);
        assert_eq!(run(&mut vm, 343, &[si(4)]), None);
    }

    #[test]
    fn return_resumes_the_sender_through_unwind_contexts_without_blocks() {
        let mut vm = Vm::bootstrap(VmOptions::default()).expect("the class library loads");
        let methods = vm.evaluate("{BlockClosure >> #ensure:. Object >> #printString}", "test").expect("evaluates");
        let [ensure, method] = [0, 1].map(|i| vm.mem.heap.fetch(methods, i));
        // top -> unwind -> handler -> target: `handler return: 42` from top.
        let [top, unwind, handler, target] = [0; 4].map(|_| new_context(&mut vm, 8));
        let chain = |vm: &mut Vm| {
            let heap = &mut vm.mem.heap;
            for (ctx, sender) in [(top, unwind), (unwind, handler), (handler, target), (target, NIL)] {
                heap.store(ctx, context::SENDER, sender);
                heap.store(ctx, context::PC, si(0));
                heap.store(ctx, context::STACKP, si(0));
                heap.store(ctx, context::METHOD, method);
            }
            heap.store(unwind, context::METHOD, ensure);
            heap.store(unwind, UNWIND_BLOCK, NIL);
            heap.store(unwind, UNWIND_COMPLETE, NIL);
            vm.ctx = top;
        };
        chain(&mut vm);
        assert_eq!(run(&mut vm, 344, &[handler, si(42)]), Some(si(42)));
        assert_eq!(vm.ctx, target);
        assert_eq!(vm.mem.heap.fetch(unwind, UNWIND_COMPLETE), TRUE);
        for ctx in [top, unwind, handler] {
            assert_eq!(vm.mem.heap.fetch(ctx, context::PC), NIL);
            assert_eq!(vm.mem.heap.fetch(ctx, context::SENDER), NIL);
        }
        // A complete unwind context is passed whatever its block.
        chain(&mut vm);
        vm.mem.heap.store(unwind, UNWIND_BLOCK, si(7));
        vm.mem.heap.store(unwind, UNWIND_COMPLETE, TRUE);
        assert_eq!(run(&mut vm, 344, &[handler, si(43)]), Some(si(43)));
        assert_eq!(vm.ctx, target);
        // Left to the library's code, with nothing changed: a block to
        // run, a sender that is dead or not below the active context, a
        // receiver that is not a Context.
        chain(&mut vm);
        vm.mem.heap.store(unwind, UNWIND_BLOCK, si(7));
        assert_eq!(run(&mut vm, 344, &[handler, si(1)]), None);
        assert_eq!(vm.mem.heap.fetch(unwind, UNWIND_COMPLETE), NIL);
        assert_eq!(vm.mem.heap.fetch(top, context::SENDER), unwind);
        assert_eq!(vm.ctx, top);
        chain(&mut vm);
        vm.mem.heap.store(target, context::PC, NIL);
        assert_eq!(run(&mut vm, 344, &[handler, si(1)]), None);
        chain(&mut vm);
        assert_eq!(run(&mut vm, 344, &[target, si(1)]), None);
        vm.mem.heap.store(handler, context::SENDER, top);
        assert_eq!(run(&mut vm, 344, &[handler, si(1)]), None);
        chain(&mut vm);
        vm.mem.heap.store(unwind, context::SENDER, NIL);
        assert_eq!(run(&mut vm, 344, &[handler, si(1)]), None);
        assert_eq!(run(&mut vm, 344, &[si(3), si(1)]), None);
    }
}
