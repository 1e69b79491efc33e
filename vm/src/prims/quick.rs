//! Quick methods: a method whose body only answers self, a constant or an
//! instance variable, or only sets one, carries a primitive number from
//! `smalt_compiler::bytecode::quick` and is answered here without a context.
//! A receiver these cannot serve (not a pointer object, or too few slots)
//! fails the primitive, and the method's bytecodes run.

use super::{answer, arg, receiver, require, PrimResult};
use crate::interp::Vm;
use smalt_compiler::bytecode::quick;

/// Answers the quick method `number` (at least [`quick::FIRST`]).
#[inline]
pub fn run(vm: &mut Vm, number: usize, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    let number = u16::try_from(number).unwrap_or(u16::MAX);
    let value = match number {
        quick::RETURN_SELF => rcvr,
        quick::RETURN_TRUE => vm.mem.true_object(),
        quick::RETURN_FALSE => vm.mem.false_object(),
        quick::RETURN_NIL => vm.mem.nil(),
        n if (quick::RETURN_INST_VAR..quick::SET_INST_VAR).contains(&n) && argc == 0 => {
            let index = usize::from(n - quick::RETURN_INST_VAR);
            require(has_slot(vm, rcvr, index))?;
            vm.mem.heap.fetch(rcvr, index)
        }
        n if (quick::SET_INST_VAR..quick::SET_INST_VAR + 256).contains(&n) && argc == 1 => {
            let index = usize::from(n - quick::SET_INST_VAR);
            require(has_slot(vm, rcvr, index))?;
            let value = arg(vm, argc, 0);
            vm.note_slot_write(rcvr, index);
            vm.mem.heap.store(rcvr, index, value);
            rcvr
        }
        _ => return Err(super::PrimError::Fail),
    };
    answer(vm, argc, value)
}

/// Whether `oop` is an object of pointers with a slot `index`.
#[inline]
pub(crate) fn has_slot(vm: &Vm, oop: crate::heap::Oop, index: usize) -> bool {
    oop.is_object() && vm.mem.heap.format_of(oop).is_pointers() && index < vm.mem.heap.num_slots(oop)
}
