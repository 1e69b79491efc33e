//! Primitives of String, Symbol and WideString: character access, hashing,
//! interning, comparison and case mapping (Unicode's full mapping, which
//! may change the size: `'straße' asUppercase` is `'STRASSE'`).
//!
//! A String holds characters 0..=255 one byte each; a WideString holds any
//! code point in 32-bit words. Both answer Characters from `at:`.

use super::index::Primitive as P;
use super::object::indexable_size;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::symbol::string_hash;

pub fn string(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    require(holds_text(vm, rcvr))?;
    match prim {
        P::StringAt => {
            let index = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require(index >= 1 && index as usize <= indexable_size(vm, rcvr))?;
            let i = index as usize - 1;
            let cp = match vm.mem.heap.format_of(rcvr) {
                Format::Bytes { .. } => vm.mem.heap.bytes(rcvr)[i] as u32,
                Format::Words32 { .. } => {
                    let b = &vm.mem.heap.bytes(rcvr)[i * 4..i * 4 + 4];
                    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
                }
                _ => return Err(PrimError::Fail),
            };
            answer(vm, argc, Oop::character(cp))
        }
        P::StringAtPut => {
            let index = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            let ch = arg(vm, argc, 1);
            require(ch.is_character() && index >= 1 && index as usize <= indexable_size(vm, rcvr))?;
            require(!vm.mem.is_symbol(rcvr) && !vm.mem.heap.header(rcvr).is_immutable())?;
            let i = index as usize - 1;
            let cp = ch.as_character();
            match vm.mem.heap.format_of(rcvr) {
                Format::Bytes { .. } => {
                    require(cp < 256)?;
                    vm.mem.heap.bytes_mut(rcvr)[i] = cp as u8;
                }
                Format::Words32 { .. } => {
                    vm.mem.heap.bytes_mut(rcvr)[i * 4..i * 4 + 4].copy_from_slice(&cp.to_le_bytes());
                }
                _ => return Err(PrimError::Fail),
            }
            answer(vm, argc, ch)
        }
        P::StringHash => {
            let hash = if vm.mem.is_symbol(rcvr) {
                vm.mem.heap.identity_hash(rcvr)
            } else {
                text(vm, rcvr).map_or(0, |t| string_hash(t.code_points()))
            };
            answer(vm, argc, Oop::small_integer(hash as i64))
        }
        P::StringAsSymbol => {
            if vm.mem.is_symbol(rcvr) {
                return answer(vm, argc, rcvr);
            }
            let cps = vm.mem.code_points(rcvr).unwrap_or_default();
            let symbol = vm.mem.intern_code_points(&cps)?;
            answer(vm, argc, symbol)
        }
        P::StringEqual => {
            let other = arg(vm, argc, 0);
            let equal = vm.mem.is_string_like(other)
                && match (text(vm, rcvr), text(vm, other)) {
                    (Some(Text::Narrow(a)), Some(Text::Narrow(b))) => a == b,
                    (Some(a), Some(b)) => a.code_points().eq(b.code_points()),
                    _ => false,
                };
            let result = vm.mem.boolean(equal);
            answer(vm, argc, result)
        }
        P::StringCompare => {
            let other = arg(vm, argc, 0);
            require(vm.mem.is_string_like(other))?;
            let order = match (text(vm, rcvr), text(vm, other)) {
                // Bytes are code points 0..=255, so they order alike.
                (Some(Text::Narrow(a)), Some(Text::Narrow(b))) => a.cmp(b),
                (Some(a), Some(b)) => a.code_points().cmp(b.code_points()),
                _ => return Err(PrimError::Fail),
            } as i64;
            answer(vm, argc, Oop::small_integer(order))
        }
        P::SymbolNumArgs => {
            let text = vm.mem.string_value(rcvr).unwrap_or_default();
            answer(vm, argc, Oop::small_integer(num_args(&text) as i64))
        }
        P::StringAsUppercase | P::StringAsLowercase => {
            let text = vm.mem.string_value(rcvr).unwrap_or_default();
            // Unicode's full mapping: 'straße' asUppercase is 'STRASSE', and
            // a final sigma lowers to ς; the size may change.
            let mapped = if prim == P::StringAsUppercase { text.to_uppercase() } else { text.to_lowercase() };
            let result = if vm.mem.is_symbol(rcvr) { vm.mem.intern(&mapped)? } else { vm.mem.new_string(&mapped)? };
            answer(vm, argc, result)
        }
        _ => Err(PrimError::Fail),
    }
}

/// The characters of a String, Symbol or WideString: a byte string's bytes
/// as they lie in the heap (no copy), a wide string's code points.
enum Text<'a> {
    Narrow(&'a [u8]),
    Wide(Vec<u32>),
}

impl Text<'_> {
    fn code_points(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Text::Narrow(bytes) => Box::new(bytes.iter().map(|&b| u32::from(b))),
            Text::Wide(cps) => Box::new(cps.iter().copied()),
        }
    }
}

/// Whether `oop` holds characters (bytes or 32-bit words).
fn holds_text(vm: &Vm, oop: Oop) -> bool {
    oop.is_object() && matches!(vm.mem.heap.format_of(oop), Format::Bytes { .. } | Format::Words32 { .. })
}

/// The characters of `oop`, if it holds characters.
fn text(vm: &Vm, oop: Oop) -> Option<Text<'_>> {
    if !holds_text(vm, oop) {
        return None;
    }
    match vm.mem.heap.format_of(oop) {
        Format::Bytes { .. } => Some(Text::Narrow(vm.mem.heap.bytes(oop))),
        Format::Words32 { .. } => vm.mem.code_points(oop).map(Text::Wide),
        _ => None,
    }
}

/// The number of arguments a selector takes: keywords count their colons,
/// binary selectors take one, unary none.
pub fn num_args(selector: &str) -> usize {
    match selector.chars().next() {
        None => 0,
        Some(c) if c.is_alphabetic() || c == '_' => selector.matches(':').count(),
        Some(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::num_args;

    #[test]
    fn selectors_know_their_arity() {
        assert_eq!(num_args("foo"), 0);
        assert_eq!(num_args("at:put:"), 2);
        assert_eq!(num_args("+"), 1);
        assert_eq!(num_args("->"), 1);
        assert_eq!(num_args(""), 0);
    }
}
