//! Fast paths for the exception system's own reflection: the handler
//! search and the unwinding code (Context, 071; Exception, 080) read and
//! write context temps by index on every signal. Each primitive here
//! answers exactly what the general one it stands in for would answer,
//! only without working out the receiver's shape from its class; anything
//! else goes to that general primitive or fails to the method's code.
//! This module must not know how exceptions are searched or unwound: the
//! library decides that.

use super::index::Primitive as P;
use super::{answer, arg, receiver, PrimError, PrimResult};
use crate::interp::Vm;
use crate::objects::layout::{context, KnownClass};
use crate::prims::object;

pub fn exception(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::ContextTempAt => {
            match context_temp_index(vm, argc) {
                Some(slot) => {
                    let value = vm.mem.heap.fetch(receiver(vm, argc), slot);
                    answer(vm, argc, value)
                }
                None => object::object(vm, P::BasicAt, argc),
            }
        }
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
        _ => Err(PrimError::Fail),
    }
}

/// For `tempAt:` and `tempAt:put:` sent to a Context itself (whose named
/// slots are `context::IVARS`): the slot of temp `index` (the first
/// argument), if it is inside the context. None for anything else,
/// which `basicAt:`'s general primitive then answers (or fails on).
#[inline]
fn context_temp_index(vm: &Vm, argc: usize) -> Option<usize> {
    let ctx = receiver(vm, argc);
    if !ctx.is_object() || vm.mem.heap.class_index_of(ctx) != KnownClass::Context.index() {
        return None;
    }
    let index = arg(vm, argc, 0).to_small_integer()?;
    let slot = context::FIRST_TEMP + usize::try_from(index).ok()?.checked_sub(1)?;
    (slot < vm.mem.heap.num_slots(ctx)).then_some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{Format, Oop, NIL, TRUE};
    use crate::prims::integer::tests::{run, test_vm};

    fn si(value: i64) -> Oop {
        Oop::small_integer(value)
    }

    #[test]
    fn context_temps_are_read_and_written_in_place() {
        let mut vm = test_vm();
        let ctx = vm.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + 3).expect("room");
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
        let ctx = vm.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + 2).expect("room");
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
}
