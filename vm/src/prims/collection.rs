//! Collection primitives: the probe of a Dictionary with the keys
//! programs use most (Strings, Symbols, SmallIntegers), which the library
//! otherwise runs as a loop of sends (`HashedCollection>>scanFor:`), and
//! `at:ifAbsent:` and `at:put:` of a key that is there, on top of it.

use super::index::Primitive as P;
use super::{answer, arg, receiver, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::layout::{association, dictionary, KnownClass};
use crate::objects::symbol::string_hash;

pub fn collection(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::DictionaryScanFor => {
            let index = scan_for(vm, receiver(vm, argc), arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
            answer(vm, argc, Oop::small_integer(index as i64))
        }
        P::DictionaryAtIfAbsent => {
            let assoc = present_association(vm, argc).ok_or(PrimError::Fail)?;
            let value = vm.mem.heap.fetch(assoc, association::VALUE);
            answer(vm, argc, value)
        }
        P::DictionaryAtPut => {
            let assoc = present_association(vm, argc).ok_or(PrimError::Fail)?;
            if vm.mem.heap.header(assoc).is_immutable() {
                return Err(PrimError::Fail);
            }
            let value = arg(vm, argc, 1);
            vm.mem.heap.store(assoc, association::VALUE, value);
            answer(vm, argc, value)
        }
        P::DictionaryAtIfPresent => at_if_present(vm, argc),
        _ => Err(PrimError::Fail),
    }
}

/// `at: key ifPresent: aBlock` of a Dictionary itself: nil for a key that
/// is absent; for one that is there, the block is entered with the value
/// (or with nothing, if it takes no argument) in place of this send.
///
/// # GC
/// Entering the block is a safe point: nothing is read after it.
fn at_if_present(vm: &mut Vm, argc: usize) -> PrimResult {
    let dict = receiver(vm, argc);
    let block = arg(vm, argc, 1);
    let block_argc = if vm.block_accepts(block, 1) {
        1
    } else if vm.block_accepts(block, 0) {
        0
    } else {
        return Err(PrimError::Fail);
    };
    let index = scan_for(vm, dict, arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
    let element = if index == 0 {
        vm.mem.nil()
    } else {
        vm.mem.heap.fetch(vm.mem.heap.fetch(dict, dictionary::ARRAY), index - 1)
    };
    if element == vm.mem.nil() {
        return answer(vm, argc, element);
    }
    let value = vm.mem.heap.fetch(element, association::VALUE);
    vm.pop_n(argc + 1);
    vm.push(block);
    if block_argc == 1 {
        vm.push(value);
    }
    if vm.activate_block(block_argc)? {
        Ok(())
    } else {
        Err(PrimError::Halt(crate::interp::Halt::Vm(crate::VmError::Broken(
            "a block that accepted its arguments was not entered".into(),
        ))))
    }
}

/// The Association of the receiver (a Dictionary) holding the first
/// argument as its key, when scan_for answers and finds it there.
fn present_association(vm: &Vm, argc: usize) -> Option<Oop> {
    let dict = receiver(vm, argc);
    let index = scan_for(vm, dict, arg(vm, argc, 0))?;
    if index == 0 {
        return None;
    }
    let element = vm.mem.heap.fetch(vm.mem.heap.fetch(dict, dictionary::ARRAY), index - 1);
    (element != vm.mem.nil()).then_some(element)
}

/// How a key compares, as its class's `=` does.
#[derive(Clone, Copy)]
enum Key {
    /// `=` is `==` (a Symbol).
    Identity,
    /// A byte String: equal to a String or Symbol of the same characters.
    Text,
    /// A SmallInteger.
    Integer(i64),
}

/// What `HashedCollection>>scanFor:` answers for a Dictionary itself (not
/// a subclass, which may hash or match otherwise): the 1-based index of
/// key's slot or of the empty slot where it would go, 0 if the table is
/// full. None (the primitive fails and the library's loop runs) for keys
/// or stored keys of other kinds, whose `=` and `hash` are Smalltalk's.
fn scan_for(vm: &Vm, dict: Oop, key: Oop) -> Option<usize> {
    let mem = &vm.mem;
    let heap = &mem.heap;
    require_class(vm, dict, KnownClass::Dictionary)?;
    let table = heap.fetch(dict, dictionary::ARRAY);
    require_class(vm, table, KnownClass::Array)?;
    let size = heap.num_slots(table);
    if size == 0 {
        return None;
    }
    let (kind, hash) = key_kind(vm, key)?;
    // A text key's characters, found once for every probe.
    let key_bytes = if matches!(kind, Key::Integer(_)) { &[][..] } else { heap.bytes(key) };
    let start = hash.rem_euclid(size as i64) as usize;
    let mut i = start;
    loop {
        let element = heap.fetch(table, i);
        if element == mem.nil() {
            return Some(i + 1);
        }
        require_class(vm, element, KnownClass::Association)?;
        if stored_key_matches(vm, heap.fetch(element, association::KEY), key, kind, key_bytes)? {
            return Some(i + 1);
        }
        i += 1;
        if i == size {
            i = 0;
        }
        if i == start {
            return Some(0);
        }
    }
}

fn require_class(vm: &Vm, oop: Oop, class: KnownClass) -> Option<()> {
    (oop.is_object() && vm.mem.heap.class_index_of(oop) == class.index()).then_some(())
}

/// The key's kind and its `hash`.
fn key_kind(vm: &Vm, key: Oop) -> Option<(Key, i64)> {
    if let Some(n) = key.to_small_integer() {
        return Some((Key::Integer(n), n));
    }
    if !key.is_object() {
        return None;
    }
    let heap = &vm.mem.heap;
    let class = heap.class_index_of(key);
    let bytes = matches!(heap.format_of(key), Format::Bytes { .. });
    if class == KnownClass::Symbol.index() && bytes {
        Some((Key::Identity, i64::from(heap.identity_hash(key))))
    } else if class == KnownClass::String.index() && bytes {
        let hash = string_hash(heap.bytes(key).iter().map(|&b| u32::from(b)));
        Some((Key::Text, i64::from(hash)))
    } else {
        None
    }
}

/// `storedKey = key`, answered as the stored key's class answers it; None
/// when that class is not one of the three this primitive knows.
/// `key_bytes` are the key's characters when it is a String or Symbol.
fn stored_key_matches(vm: &Vm, stored: Oop, key: Oop, kind: Key, key_bytes: &[u8]) -> Option<bool> {
    let heap = &vm.mem.heap;
    if let Some(n) = stored.to_small_integer() {
        // SmallInteger>>= with another kind of key is the library's business.
        return match kind {
            Key::Integer(k) => Some(n == k),
            _ => None,
        };
    }
    if !stored.is_object() {
        return None;
    }
    let class = heap.class_index_of(stored);
    if class == KnownClass::Symbol.index() {
        return Some(stored == key);
    }
    if class == KnownClass::String.index() && matches!(heap.format_of(stored), Format::Bytes { .. }) {
        // String>>= : a String or Symbol with the same characters.
        return Some(match kind {
            Key::Text | Key::Identity => heap.bytes(stored) == key_bytes,
            Key::Integer(_) => false,
        });
    }
    None
}
