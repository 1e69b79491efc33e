//! Primitives of ArrayedCollection and WriteStream over one: making one
//! (`new:`), copying a range (`copyFrom:to:`), concatenating (`,`), and
//! writing an element or
//! a run of them into a stream's collection (`nextPut:`, `nextPutAll:`).
//! The library's code does the same with a loop of sends or several
//! primitives; these answer in one step for the collections programs use
//! most: Arrays, Strings, Symbols, WideStrings and ByteArrays themselves.
//! Anything else (a subclass, whose species or `at:put:` may differ; a
//! stream that must grow; a character a byte String cannot hold) fails
//! to that code, which also names the error when there is one.

use super::index::Primitive as P;
use super::object::indexable_size;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::{Format, Oop};
use crate::interp::Vm;
use crate::objects::layout::KnownClass;

/// The first four slots of a WriteStream, as `stdlib/060-Stream.st`
/// declares them (PositionableStream's three, then WriteStream's).
mod stream {
    pub const COLLECTION: usize = 0;
    pub const POSITION: usize = 1;
    pub const READ_LIMIT: usize = 2;
    pub const SLOTS: usize = 4;
}

pub fn arrayed(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::ArrayedCopyFromTo => {
            require(argc == 2)?;
            let (start, stop) = (small(arg(vm, argc, 0))?, small(arg(vm, argc, 1))?);
            let copy = copy_from_to(vm, receiver(vm, argc), start, stop)?;
            answer(vm, argc, copy)
        }
        P::ArrayedConcatenate => {
            require(argc == 1)?;
            let joined = concatenate(vm, receiver(vm, argc), arg(vm, argc, 0))?;
            answer(vm, argc, joined)
        }
        P::WriteStreamNextPut => {
            require(argc == 1)?;
            let value = arg(vm, argc, 0);
            next_put(vm, receiver(vm, argc), value)?;
            answer(vm, argc, value)
        }
        P::WriteStreamNextPutAll => {
            require(argc == 1)?;
            let source = arg(vm, argc, 0);
            next_put_all(vm, receiver(vm, argc), source)?;
            answer(vm, argc, source)
        }
        P::ArrayedNew => {
            let class = receiver(vm, argc);
            require(class.is_object() && vm.mem.is_behavior(class))?;
            let index = vm.mem.index_of_class(class);
            let known = [KnownClass::Array, KnownClass::String, KnownClass::WideString, KnownClass::ByteArray];
            require(known.iter().any(|k| k.index() == index))?;
            super::object::object(vm, P::BasicNewSized, argc)
        }
        _ => Err(PrimError::Fail),
    }
}

fn small(oop: Oop) -> Result<i64, PrimError> {
    oop.to_small_integer().ok_or(PrimError::Fail)
}

/// How the elements of a collection this module knows are held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An Array: object references.
    Array,
    /// A String or Symbol: characters 0..=255, a byte each.
    Narrow,
    /// A WideString: code points, 32 bits each.
    Wide,
    /// A ByteArray.
    Bytes,
}

impl Kind {
    /// The class of a new collection of this kind (`species`: a Symbol's is String).
    fn species(self) -> KnownClass {
        match self {
            Kind::Array => KnownClass::Array,
            Kind::Narrow => KnownClass::String,
            Kind::Wide => KnownClass::WideString,
            Kind::Bytes => KnownClass::ByteArray,
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Kind::Narrow | Kind::Wide)
    }
}

/// The kind of `oop` if it is an Array, String, Symbol, WideString or
/// ByteArray itself (not a subclass) of the expected format.
fn kind_of(vm: &Vm, oop: Oop) -> Option<Kind> {
    if !oop.is_object() {
        return None;
    }
    let heap = &vm.mem.heap;
    let class = heap.class_index_of(oop);
    let format = heap.format_of(oop);
    let is = |k: KnownClass| class == k.index();
    match format {
        Format::Indexable if is(KnownClass::Array) => Some(Kind::Array),
        Format::Bytes { .. } if is(KnownClass::String) || is(KnownClass::Symbol) => Some(Kind::Narrow),
        Format::Bytes { .. } if is(KnownClass::ByteArray) => Some(Kind::Bytes),
        Format::Words32 { .. } if is(KnownClass::WideString) => Some(Kind::Wide),
        _ => None,
    }
}

/// The code points `from..to` (0-based, exclusive end) of a String, Symbol or WideString.
fn code_points(vm: &Vm, oop: Oop, kind: Kind, from: usize, to: usize) -> Vec<u32> {
    let bytes = vm.mem.heap.bytes(oop);
    match kind {
        Kind::Wide => {
            bytes[from * 4..to * 4].chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        }
        _ => bytes[from..to].iter().map(|&b| u32::from(b)).collect(),
    }
}

/// A new collection of `kind`'s species holding elements `from..to` of
/// each `(collection, from, to)` part in turn; every part must be of a
/// kind that can go into it (checked by the callers).
///
/// # GC
/// Allocates once; no safe point.
fn gather(vm: &mut Vm, kind: Kind, parts: &[(Oop, Kind, usize, usize)]) -> Result<Oop, PrimError> {
    let total: usize = parts.iter().map(|&(_, _, from, to)| to - from).sum();
    match kind {
        Kind::Array => {
            let result = vm.mem.new_array(total)?;
            let mut i = 0;
            for &(part, _, from, to) in parts {
                for j in from..to {
                    let value = vm.mem.heap.fetch(part, j);
                    vm.mem.heap.store(result, i, value);
                    i += 1;
                }
            }
            Ok(result)
        }
        Kind::Narrow | Kind::Bytes => {
            let mut bytes = Vec::with_capacity(total);
            for &(part, _, from, to) in parts {
                bytes.extend_from_slice(&vm.mem.heap.bytes(part)[from..to]);
            }
            Ok(vm.mem.new_bytes(kind.species(), &bytes)?)
        }
        Kind::Wide => {
            let mut cps = Vec::with_capacity(total);
            for &(part, part_kind, from, to) in parts {
                cps.extend(code_points(vm, part, part_kind, from, to));
            }
            Ok(vm.mem.new_wide_string(&cps)?)
        }
    }
}

/// `ArrayedCollection>>copyFrom: start to: stop`: empty when stop < start,
/// else start and stop must lie in 1..=size (the fallback signals).
fn copy_from_to(vm: &mut Vm, rcvr: Oop, start: i64, stop: i64) -> Result<Oop, PrimError> {
    let kind = kind_of(vm, rcvr).ok_or(PrimError::Fail)?;
    if stop < start {
        return gather(vm, kind, &[]);
    }
    require(start >= 1 && stop as u64 <= indexable_size(vm, rcvr) as u64)?;
    gather(vm, kind, &[(rcvr, kind, start as usize - 1, stop as usize)])
}

/// `,`: a String or Symbol with a String or Symbol is a String, with a
/// WideString a WideString (`String>>,`); a WideString with any of them a
/// WideString; an Array with an Array an Array; a ByteArray with a
/// ByteArray a ByteArray. Other mixes are the library's.
fn concatenate(vm: &mut Vm, rcvr: Oop, other: Oop) -> Result<Oop, PrimError> {
    let a = kind_of(vm, rcvr).ok_or(PrimError::Fail)?;
    let b = kind_of(vm, other).ok_or(PrimError::Fail)?;
    let kind = match (a, b) {
        (Kind::Narrow, Kind::Narrow) => Kind::Narrow,
        _ if a.is_text() && b.is_text() => Kind::Wide,
        _ if a == b => a,
        _ => return Err(PrimError::Fail),
    };
    let (n, m) = (indexable_size(vm, rcvr), indexable_size(vm, other));
    gather(vm, kind, &[(rcvr, a, 0, n), (other, b, 0, m)])
}

/// The collection of a WriteStream and the stream's position, when the
/// receiver has a WriteStream's slots and the collection is one this
/// module writes into (and not read-only).
fn stream_parts(vm: &Vm, stream: Oop) -> Result<(Oop, Kind, usize), PrimError> {
    let heap = &vm.mem.heap;
    require(stream.is_object() && heap.format_of(stream) == Format::Fixed && heap.num_slots(stream) >= stream::SLOTS)?;
    let collection = heap.fetch(stream, stream::COLLECTION);
    let kind = kind_of(vm, collection).ok_or(PrimError::Fail)?;
    require(kind != Kind::Narrow || heap.class_index_of(collection) == KnownClass::String.index())?;
    require(!heap.header(collection).is_immutable())?;
    let position = small(heap.fetch(stream, stream::POSITION))?;
    small(heap.fetch(stream, stream::READ_LIMIT))?;
    let position = usize::try_from(position).map_err(|_| PrimError::Fail)?;
    Ok((collection, kind, position))
}

/// Moves the position to `new_end`, and the read limit with it if it is behind.
fn advance(vm: &mut Vm, stream: Oop, new_end: usize) {
    let end = Oop::small_integer(new_end as i64);
    let heap = &mut vm.mem.heap;
    heap.store(stream, stream::POSITION, end);
    if heap.fetch(stream, stream::READ_LIMIT).to_small_integer().is_some_and(|limit| limit < new_end as i64) {
        heap.store(stream, stream::READ_LIMIT, end);
    }
}

/// `WriteStream>>nextPut:` when the element fits: room left in the
/// collection, and a Character a String can hold (or any object for an
/// Array, a byte for a ByteArray).
fn next_put(vm: &mut Vm, stream: Oop, value: Oop) -> Result<(), PrimError> {
    let (collection, kind, position) = stream_parts(vm, stream)?;
    require(position < indexable_size(vm, collection))?;
    let heap = &mut vm.mem.heap;
    match kind {
        Kind::Array => heap.store(collection, position, value),
        Kind::Narrow => {
            require(value.is_character() && value.as_character() < 256)?;
            heap.bytes_mut(collection)[position] = value.as_character() as u8;
        }
        Kind::Bytes => {
            let byte = value.to_small_integer().and_then(|b| u8::try_from(b).ok()).ok_or(PrimError::Fail)?;
            heap.bytes_mut(collection)[position] = byte;
        }
        Kind::Wide => {
            require(value.is_character())?;
            let at = position * 4;
            heap.bytes_mut(collection)[at..at + 4].copy_from_slice(&value.as_character().to_le_bytes());
        }
    }
    advance(vm, stream, position + 1);
    Ok(())
}

/// `WriteStream>>nextPutAll:` when the whole source fits in the room left:
/// Strings and Symbols into a String, any text into a WideString, an Array
/// into an Array, a ByteArray into a ByteArray.
fn next_put_all(vm: &mut Vm, stream: Oop, source: Oop) -> Result<(), PrimError> {
    let (collection, kind, position) = stream_parts(vm, stream)?;
    let source_kind = kind_of(vm, source).ok_or(PrimError::Fail)?;
    require(source_kind == kind || (kind == Kind::Wide && source_kind == Kind::Narrow))?;
    let n = indexable_size(vm, source);
    let new_end = position + n;
    require(new_end <= indexable_size(vm, collection))?;
    match (kind, source_kind) {
        (Kind::Array, _) => {
            for i in 0..n {
                let value = vm.mem.heap.fetch(source, i);
                vm.mem.heap.store(collection, position + i, value);
            }
        }
        (Kind::Wide, Kind::Narrow) => {
            let cps = code_points(vm, source, source_kind, 0, n);
            let bytes = &mut vm.mem.heap.bytes_mut(collection)[position * 4..new_end * 4];
            for (slot, cp) in bytes.chunks_exact_mut(4).zip(cps) {
                slot.copy_from_slice(&cp.to_le_bytes());
            }
        }
        _ => {
            let width = if kind == Kind::Wide { 4 } else { 1 };
            if source == collection {
                vm.mem.heap.bytes_mut(collection).copy_within(0..n * width, position * width);
            } else {
                let (src, dst) = (vm.mem.heap.bytes(source).to_vec(), position * width);
                vm.mem.heap.bytes_mut(collection)[dst..dst + n * width].copy_from_slice(&src[..n * width]);
            }
        }
    }
    advance(vm, stream, new_end);
    Ok(())
}
