//! Primitives of Object and Behavior: indexing, instantiation, identity,
//! copying, become, and Character conversion.
//!
//! A Float, immediate or boxed, reads as two 32-bit words, the high half of
//! its bits first, as in Pharo: `basicSize` 2, `basicAt:`/`instVarAt:` 1 and
//! 2; only a boxed one can be changed with `basicAt:put:`. So nothing here
//! shows which of the two a Float is, but `==` and `identityHash`.

use super::index::Primitive as P;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::layout::{closure, code, special, KnownClass};
use crate::objects::memory::InstanceSpec;
use smalt_compiler::bytecode::quick;

/// The largest object `basicNew:` will try to make, in slots: beyond it the
/// primitive fails (and the Smalltalk code signals) instead of attempting it.
const MAX_NEW_SLOTS: usize = 1 << 32;

pub fn object(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    match prim {
        P::BasicAt => {
            let index = index_arg(vm, argc, 0)?;
            let value = basic_at(vm, rcvr, index)?;
            answer(vm, argc, value)
        }
        P::BasicAtPut => {
            let index = index_arg(vm, argc, 0)?;
            let value = arg(vm, argc, 1);
            basic_at_put(vm, rcvr, index, value)?;
            answer(vm, argc, value)
        }
        P::BasicSize => {
            let size = indexable_size(vm, rcvr);
            answer(vm, argc, Oop::small_integer(size as i64))
        }
        P::BehaviorNew => {
            require(vm.mem.is_behavior(rcvr))?;
            // `initialize` first: a class that has one fails at once.
            let initialize = vm.mem.special_object(special::SELECTOR_INITIALIZE);
            let instance_side = vm.lookup(vm.mem.index_of_class(rcvr), initialize).ok_or(PrimError::Fail)?;
            require(code::primitive(vm.code_header(instance_side)) == usize::from(quick::RETURN_SELF))?;
            let basic_new = vm.mem.special_object(special::SELECTOR_BASIC_NEW);
            let class_side = vm.lookup(vm.mem.heap.class_index_of(rcvr), basic_new).ok_or(PrimError::Fail)?;
            require(code::primitive(vm.code_header(class_side)) == P::BasicNew as usize)?;
            object(vm, P::BasicNew, argc)
        }
        P::BasicNew => {
            require(vm.mem.is_behavior(rcvr))?;
            let spec = vm.mem.instance_spec(rcvr);
            require(!spec.is_indexable())?;
            let format = Format::from_code(spec.format_code).ok_or(PrimError::Fail)?;
            let index = vm.mem.index_of_class(rcvr);
            let oop = vm.mem.allocate_indexed(index, format, spec.fixed)?;
            answer(vm, argc, oop)
        }
        P::BasicNewSized => {
            require(vm.mem.is_behavior(rcvr))?;
            // The interpreter enters a BlockClosure's code trusting its
            // slots: only the VM makes them (the library says so).
            require(vm.mem.index_of_class(rcvr) != KnownClass::BlockClosure.index())?;
            let n = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require(n >= 0 && (n as usize) < MAX_NEW_SLOTS)?;
            let spec = vm.mem.instance_spec(rcvr);
            require(spec.is_indexable())?;
            let oop = instantiate(vm, rcvr, spec, n as usize)?;
            answer(vm, argc, oop)
        }
        P::InstVarAt if vm.mem.is_float(rcvr) => {
            let index = index_arg(vm, argc, 0)?;
            let value = basic_at(vm, rcvr, index)?;
            answer(vm, argc, value)
        }
        P::InstVarAt => {
            let index = index_arg(vm, argc, 0)?;
            require(rcvr.is_object() && vm.mem.heap.format_of(rcvr).is_pointers())?;
            require(index < vm.mem.heap.num_slots(rcvr))?;
            let value = vm.mem.heap.fetch(rcvr, index);
            answer(vm, argc, value)
        }
        P::InstVarAtPut => {
            let index = index_arg(vm, argc, 0)?;
            let value = arg(vm, argc, 1);
            require(rcvr.is_object() && vm.mem.heap.format_of(rcvr).is_pointers())?;
            require(index < vm.mem.heap.num_slots(rcvr))?;
            require(keeps_closure_enterable(vm, rcvr, index, value))?;
            vm.note_slot_write(rcvr, index);
            vm.mem.heap.store(rcvr, index, value);
            forget_lookups_through(vm, rcvr);
            answer(vm, argc, value)
        }
        P::IdentityHash => {
            let hash = if rcvr.is_object() {
                vm.mem.heap.identity_hash(rcvr) as i64
            } else if let Some(v) = rcvr.to_small_integer() {
                v
            } else if rcvr.is_character() {
                rcvr.as_character() as i64
            } else {
                // An immediate Float: its 61 bits above the tag, as Spur answers.
                (rcvr.bits() >> 3) as i64
            };
            answer(vm, argc, Oop::small_integer(hash))
        }
        P::Identical => {
            let other = arg(vm, argc, 0);
            let result = vm.mem.boolean(rcvr == other);
            answer(vm, argc, result)
        }
        P::Class => {
            let cls = vm.mem.class_of(rcvr);
            answer(vm, argc, cls)
        }
        P::ShallowCopy => {
            let copy = shallow_copy(vm, rcvr)?;
            answer(vm, argc, copy)
        }
        P::BecomeForward => {
            let other = arg(vm, argc, 0);
            require(
                rcvr.is_object()
                    && rcvr != vm.mem.nil()
                    && rcvr != vm.mem.true_object()
                    && rcvr != vm.mem.false_object()
                    // Whatever refers to a Context (its callee's sender
                    // slot) must keep referring to a Context, and a context
                    // running a method to that method: returns trust both.
                    && !vm.mem.is_instance_of(rcvr, KnownClass::Context)
                    && !vm.mem.heap.format_of(rcvr).is_code(),
            )?;
            vm.mem.pending_forwards.push((rcvr, other));
            vm.apply_pending_forwards();
            // The stack now holds `other` where the receiver was.
            let rcvr = receiver(vm, argc);
            answer(vm, argc, rcvr)
        }
        P::ReplaceFromToWithStartingAt => {
            replace_from_to(vm, argc)?;
            answer(vm, argc, rcvr)
        }
        P::CharacterValueOf => {
            let v = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require((0..=0x10FFFF).contains(&v))?;
            answer(vm, argc, Oop::character(v as u32))
        }
        P::CharacterValue => {
            require(rcvr.is_character())?;
            answer(vm, argc, Oop::small_integer(rcvr.as_character() as i64))
        }
        P::AllInstances => {
            require(vm.mem.is_behavior(rcvr))?;
            let index = vm.mem.index_of_class(rcvr);
            let mut found = Vec::new();
            vm.mem.heap.for_each_object(|o| found.push(o));
            found.retain(|&o| vm.mem.heap.class_index_of(o) == index);
            let array = vm.mem.new_array_from(&found)?;
            answer(vm, argc, array)
        }
        P::ChangeClass => {
            let cls = arg(vm, argc, 0);
            require(rcvr.is_object() && vm.mem.is_behavior(cls))?;
            let spec = vm.mem.instance_spec(cls);
            let format = vm.mem.heap.format_of(rcvr);
            let same_kind =
                Format::from_code(spec.format_code).is_some_and(|f| f.is_pointers() == format.is_pointers());
            require(same_kind && vm.mem.heap.num_slots(rcvr) >= spec.fixed)?;
            let index = vm.mem.index_of_class(cls);
            let closure_class = KnownClass::BlockClosure.index();
            require(index != closure_class || vm.mem.heap.class_index_of(rcvr) == closure_class)?;
            let mut header = vm.mem.heap.header(rcvr);
            let context = KnownClass::Context.index();
            if header.class_index() == context || index == context {
                // Not a Context the VM made: returns into it are checked.
                header = header.with_edited();
            }
            vm.mem.heap.set_header(rcvr, header.with_class_index(index));
            answer(vm, argc, rcvr)
        }
        _ => Err(PrimError::Fail),
    }
}

/// Empties the method caches (global and send-site) when `oop`, about to
/// be written or just written by reflection, is something lookups read: a
/// class (its superclass, its method dictionary) or a method dictionary.
/// The library changes methods through primitives that do this
/// themselves; these writes are the way around them.
fn forget_lookups_through(vm: &mut Vm, oop: Oop) {
    if vm.mem.is_instance_of(oop, KnownClass::MethodDictionary) || vm.mem.is_behavior(oop) {
        vm.cache.invalidate();
    }
}

/// Whether storing `value` in slot `index` of `rcvr` leaves it a closure
/// the interpreter can enter without checking (see `Vm::block_taking`):
/// for a BlockClosure, its outer context stays a Context or nil, and its
/// code a CompiledBlock whose temps hold its arguments and this closure's
/// copied values. Anything else may be stored anywhere.
fn keeps_closure_enterable(vm: &Vm, rcvr: Oop, index: usize, value: Oop) -> bool {
    if !vm.mem.is_instance_of(rcvr, KnownClass::BlockClosure) {
        return true;
    }
    match index {
        closure::OUTER_CONTEXT => value == vm.mem.nil() || vm.mem.is_instance_of(value, KnownClass::Context),
        closure::COMPILED_BLOCK => {
            let copied = vm.mem.heap.num_slots(rcvr) - closure::FIRST_COPIED;
            vm.mem.is_instance_of(value, KnownClass::CompiledBlock) && {
                let header = vm.code_header(value);
                code::num_args(header) + copied <= code::num_temps(header)
            }
        }
        _ => true,
    }
}

/// A 0-based index from a 1-based SmallInteger argument.
fn index_arg(vm: &Vm, argc: usize, i: usize) -> Result<usize, PrimError> {
    let v = arg(vm, argc, i).to_small_integer().ok_or(PrimError::Fail)?;
    require(v >= 1)?;
    Ok(v as usize - 1)
}

/// The number of named slots of an object (0 for non-pointer objects).
pub fn fixed_fields(vm: &Vm, oop: Oop) -> usize {
    let cls = vm.mem.class_of(oop);
    if cls == vm.mem.nil() {
        return 0;
    }
    match vm.mem.heap.format_of(oop) {
        Format::Fixed | Format::FixedIndexable | Format::Empty => vm.mem.instance_spec(cls).fixed,
        _ => 0,
    }
}

/// The number of indexed elements (a Float's two 32-bit words included).
pub fn indexable_size(vm: &Vm, oop: Oop) -> usize {
    if vm.mem.is_float(oop) {
        return 2;
    }
    if !oop.is_object() {
        return 0;
    }
    let heap = &vm.mem.heap;
    match heap.format_of(oop) {
        Format::Indexable | Format::Weak => heap.num_slots(oop),
        Format::FixedIndexable => heap.num_slots(oop).saturating_sub(fixed_fields(vm, oop)),
        Format::Bytes { .. } => heap.byte_len(oop),
        Format::Words32 { .. } => heap.byte_len(oop) / 4,
        Format::Words16 { .. } => heap.byte_len(oop) / 2,
        Format::Words64 => heap.num_slots(oop),
        Format::Code { .. } => 0,
        Format::Empty | Format::Fixed | Format::Forwarded => 0,
    }
}

/// The high (`index` 0) or low (1) 32 bits of a Float's value.
fn float_word(value: f64, index: usize) -> Oop {
    let bits = value.to_bits();
    Oop::small_integer(if index == 0 { bits >> 32 } else { bits & 0xFFFF_FFFF } as i64)
}

fn basic_at(vm: &mut Vm, oop: Oop, index: usize) -> Result<Oop, PrimError> {
    require(index < indexable_size(vm, oop))?;
    if let Some(value) = vm.mem.float_value(oop) {
        return Ok(float_word(value, index));
    }
    let heap = &vm.mem.heap;
    Ok(match heap.format_of(oop) {
        Format::Indexable | Format::Weak | Format::FixedIndexable => heap.fetch(oop, fixed_fields(vm, oop) + index),
        Format::Bytes { .. } => Oop::small_integer(heap.bytes(oop)[index] as i64),
        Format::Words16 { .. } => {
            let b = heap.bytes(oop);
            Oop::small_integer(u16::from_le_bytes([b[index * 2], b[index * 2 + 1]]) as i64)
        }
        Format::Words32 { .. } => {
            let b = &heap.bytes(oop)[index * 4..index * 4 + 4];
            Oop::small_integer(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64)
        }
        Format::Words64 => {
            let w = heap.words(oop)[index];
            vm.mem.new_integer_i128(w as i128)?
        }
        _ => return Err(PrimError::Fail),
    })
}

fn basic_at_put(vm: &mut Vm, oop: Oop, index: usize, value: Oop) -> Result<(), PrimError> {
    require(index < indexable_size(vm, oop))?;
    // A class has no indexed part: only a method dictionary's matters.
    if vm.mem.is_instance_of(oop, KnownClass::MethodDictionary) {
        vm.cache.invalidate();
    }
    // An immediate Float has nowhere to store into.
    require(oop.is_object() && !vm.mem.heap.header(oop).is_immutable())?;
    if vm.mem.is_float(oop) {
        let v = value.to_small_integer().ok_or(PrimError::Fail)?;
        require((0..=0xFFFF_FFFF).contains(&v))?;
        let word = &mut vm.mem.heap.words_mut(oop)[0];
        let (shift, keep) = if index == 0 { (32, 0xFFFF_FFFF) } else { (0, 0xFFFF_FFFF << 32) };
        *word = (*word & keep) | ((v as u64) << shift);
        return Ok(());
    }
    let fixed = fixed_fields(vm, oop);
    match vm.mem.heap.format_of(oop) {
        Format::Indexable | Format::Weak | Format::FixedIndexable => vm.mem.heap.store(oop, fixed + index, value),
        Format::Bytes { .. } => {
            let v = value.to_small_integer().ok_or(PrimError::Fail)?;
            require((0..=255).contains(&v))?;
            vm.mem.heap.bytes_mut(oop)[index] = v as u8;
        }
        Format::Words16 { .. } => {
            let v = value.to_small_integer().ok_or(PrimError::Fail)?;
            require((0..=0xFFFF).contains(&v))?;
            vm.mem.heap.bytes_mut(oop)[index * 2..index * 2 + 2].copy_from_slice(&(v as u16).to_le_bytes());
        }
        Format::Words32 { .. } => {
            let v = value.to_small_integer().ok_or(PrimError::Fail)?;
            require((0..=0xFFFF_FFFF).contains(&v))?;
            vm.mem.heap.bytes_mut(oop)[index * 4..index * 4 + 4].copy_from_slice(&(v as u32).to_le_bytes());
        }
        Format::Words64 => {
            let v =
                vm.mem.integer_value(value).and_then(|b| num_traits::ToPrimitive::to_u64(&b)).ok_or(PrimError::Fail)?;
            vm.mem.heap.words_mut(oop)[index] = v;
        }
        _ => return Err(PrimError::Fail),
    }
    Ok(())
}

/// A new instance of an indexable class with `n` indexed elements.
pub fn instantiate(vm: &mut Vm, cls: Oop, spec: InstanceSpec, n: usize) -> Result<Oop, PrimError> {
    let index = vm.mem.index_of_class(cls);
    let (format, slots) = match Format::from_code(spec.format_code).ok_or(PrimError::Fail)? {
        Format::Indexable | Format::FixedIndexable => {
            (if spec.fixed == 0 { Format::Indexable } else { Format::FixedIndexable }, spec.fixed + n)
        }
        Format::Weak => (Format::Weak, spec.fixed + n),
        Format::Bytes { .. } => (Format::bytes_for(n), n.div_ceil(8)),
        Format::Words16 { .. } => (Format::Words16 { unused: ((4 - n % 4) % 4) as u8 }, n.div_ceil(4)),
        Format::Words32 { .. } => (Format::Words32 { unused: (n % 2) as u8 }, n.div_ceil(2)),
        Format::Words64 => (Format::Words64, n),
        _ => return Err(PrimError::Fail),
    };
    Ok(vm.mem.allocate_indexed(index, format, slots)?)
}

/// A copy of an object with the same class, format and slot values.
pub fn shallow_copy(vm: &mut Vm, oop: Oop) -> Result<Oop, PrimError> {
    if !oop.is_object() {
        return Ok(oop);
    }
    let heap = &vm.mem.heap;
    let format = heap.format_of(oop);
    let slots = heap.num_slots(oop);
    let index = heap.class_index_of(oop);
    let copy = vm.mem.allocate_indexed(index, format, slots)?;
    if format.is_pointers() {
        for i in 0..slots {
            let v = vm.mem.heap.fetch(oop, i);
            vm.mem.heap.store(copy, i, v);
        }
    } else {
        let words: Vec<u64> = vm.mem.heap.words(oop).to_vec();
        vm.mem.heap.words_mut(copy).copy_from_slice(&words);
    }
    Ok(copy)
}

fn replace_from_to(vm: &mut Vm, argc: usize) -> Result<(), PrimError> {
    require(argc == 4)?;
    let dest = receiver(vm, argc);
    let start = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
    let stop = arg(vm, argc, 1).to_small_integer().ok_or(PrimError::Fail)?;
    let src = arg(vm, argc, 2);
    let rep_start = arg(vm, argc, 3).to_small_integer().ok_or(PrimError::Fail)?;
    require(dest.is_object() && src.is_object())?;
    // A Float's indexed words are a view of its one 64-bit word.
    require(!vm.mem.is_float(dest) && !vm.mem.is_float(src))?;
    let count = stop - start + 1;
    if count <= 0 {
        return require(count == 0);
    }
    require(start >= 1 && rep_start >= 1)?;
    let (start, rep_start, count) = (start as usize - 1, rep_start as usize - 1, count as usize);
    require(start + count <= indexable_size(vm, dest) && rep_start + count <= indexable_size(vm, src))?;
    require(!vm.mem.heap.header(dest).is_immutable())?;
    let df = vm.mem.heap.format_of(dest);
    let sf = vm.mem.heap.format_of(src);
    if df.is_pointers() && sf.is_pointers() {
        let dfix = fixed_fields(vm, dest);
        let sfix = fixed_fields(vm, src);
        let values: Vec<Oop> = (0..count).map(|i| vm.mem.heap.fetch(src, sfix + rep_start + i)).collect();
        for (i, v) in values.into_iter().enumerate() {
            vm.mem.heap.store(dest, dfix + start + i, v);
        }
        return Ok(());
    }
    let width = |f: Format| match f {
        Format::Bytes { .. } => Some(1),
        Format::Words16 { .. } => Some(2),
        Format::Words32 { .. } => Some(4),
        Format::Words64 => Some(8),
        _ => None,
    };
    match (width(df), width(sf)) {
        (Some(dw), Some(sw)) if dw == sw => {
            let bytes = vm.mem.heap.bytes(src)[rep_start * sw..(rep_start + count) * sw].to_vec();
            vm.mem.heap.bytes_mut(dest)[start * dw..(start + count) * dw].copy_from_slice(&bytes);
            Ok(())
        }
        (Some(dw), Some(sw)) => {
            // Characters between byte and wide strings: element by element.
            let read = |vm: &Vm, i: usize| -> u64 {
                let b = vm.mem.heap.bytes(src);
                let mut v = [0u8; 8];
                v[..sw].copy_from_slice(&b[i * sw..i * sw + sw]);
                u64::from_le_bytes(v)
            };
            let values: Vec<u64> = (0..count).map(|i| read(vm, rep_start + i)).collect();
            let max = if dw == 8 { u64::MAX } else { (1u64 << (dw * 8)) - 1 };
            require(values.iter().all(|&v| v <= max))?;
            let bytes = vm.mem.heap.bytes_mut(dest);
            for (i, v) in values.into_iter().enumerate() {
                bytes[(start + i) * dw..(start + i) * dw + dw].copy_from_slice(&v.to_le_bytes()[..dw]);
            }
            Ok(())
        }
        _ => Err(PrimError::Fail),
    }
}

#[cfg(test)]
mod tests {
    use crate::heap::{Format, Oop};
    use crate::interp::{Vm, VmOptions};
    use crate::objects::layout::{context, KnownClass};
    use crate::prims::integer::tests::run;

    #[test]
    fn new_makes_the_instance_itself_only_when_the_two_sends_would_do_nothing_more() {
        let mut vm = Vm::bootstrap(VmOptions::default()).expect("the class library loads");
        let classes = "Object subclass: Plain [ ]
            Object subclass: Counter [ | n | initialize [ n := 0 ] ]
            Object subclass: Logged [ Logged class >> basicNew [ ^super basicNew ] ]";
        vm.run_program(classes, "classes").expect("the classes load");
        let mut value = |source: &str| -> Oop { vm.evaluate(source, "test").expect(source) };
        let (plain, counter, logged, array) = (value("Plain"), value("Counter"), value("Logged"), value("Array"));
        vm.ctx = vm.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + 4).expect("room");
        let made = run(&mut vm, 345, &[plain]).expect("Plain new, by the primitive");
        assert_eq!(vm.mem.class_of(made), plain);
        // A real initialize, a basicNew of the class's own, an indexable
        // class (primitive 103 fails), not a class: the method's way.
        for (what, receiver) in
            [("Counter", counter), ("Logged", logged), ("Array", array), ("3", Oop::small_integer(3))]
        {
            assert_eq!(run(&mut vm, 345, &[receiver]), None, "{what}");
        }
    }
}
