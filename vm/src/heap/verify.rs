//! The heap verifier: checks every header and every reference.
//!
//! A full verification walks every space twice: first to check each object
//! on its own (overflow word, format, class index, size, padding, a code
//! object's literal count) and to note where the headers are, then to check
//! that every reference slot of every object, every root and every
//! remembered-set entry points at one of those headers, and that every old
//! object holding a young reference is remembered (the write barrier's
//! invariant). The young-only verification that stress mode runs after each
//! scavenge does the same for the nursery, the remembered set and the roots,
//! and only checks that references into old space look plausible.
//!
//! Knows nothing of what class indices mean: the VM sets an upper bound with
//! [`Heap::set_class_index_limit`].

use std::collections::HashSet;
use std::fmt;

use super::header::{Format, OVERFLOW_SLOTS};
use super::{Heap, Oop, Roots, HEAP_MARKER};

/// What the verifier found wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    /// Byte offset of the offending object's header (or word, or 0 for roots).
    pub offset: usize,
    pub problem: Problem,
}

/// The kinds of heap corruption the verifier detects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Word 0 is not [`HEAP_MARKER`].
    BadMarker(u64),
    /// The header's format code is not a format.
    BadFormat(u8),
    /// A live space holds a forwarded object.
    Forwarded,
    /// The class index is above the limit the VM set.
    BadClassIndex { class_index: u32, limit: u32 },
    /// A big object's overflow word is malformed or counts fewer than 255 slots.
    BadOverflowWord(u64),
    /// The object runs past the end of its space.
    PastEnd { end: usize, space_end: usize },
    /// A byte or word format claims more padding than its body has.
    BadPadding,
    /// A code object's slot 0 is not a SmallInteger, or counts more literals
    /// than the object has slots.
    BadCodeHeader,
    /// A young object has the remembered bit.
    YoungRemembered,
    /// A slot holds an immediate with a reserved tag.
    ReservedTag { slot: usize, bits: u64 },
    /// A slot holds an immediate Float that no double encodes to (its
    /// exponent is outside the immediate range).
    BadImmediateFloat { slot: usize, bits: u64 },
    /// A slot refers to something that is not an object's header.
    Dangling { slot: usize, target: u64 },
    /// A root refers to something that is not an object's header.
    DanglingRoot { root: usize, target: u64 },
    /// An old object refers to a young one but is not in the remembered set.
    NotRemembered { slot: usize, target: u64 },
    /// A remembered-set entry is not an old object with the remembered bit.
    StrayRememberedEntry,
    /// An old object has the remembered bit but is not in the remembered set.
    RememberedBitWithoutEntry,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "object at {:#x}: ", self.offset)?;
        match &self.problem {
            Problem::BadMarker(w) => write!(f, "heap marker word is {w:#x}, not {HEAP_MARKER:#x}"),
            Problem::BadFormat(c) => write!(f, "header has format code {c}, which is no format"),
            Problem::Forwarded => write!(f, "a forwarded object survived a collection"),
            Problem::BadClassIndex { class_index, limit } => {
                write!(f, "class index {class_index} is above the limit {limit}")
            }
            Problem::BadOverflowWord(w) => write!(f, "overflow word {w:#x} is malformed"),
            Problem::PastEnd { end, space_end } => {
                write!(f, "object ends at {end:#x}, past its space's end {space_end:#x}")
            }
            Problem::BadPadding => write!(f, "format claims more padding than the body has"),
            Problem::BadCodeHeader => {
                write!(f, "code object's slot 0 is not a SmallInteger literal count that fits")
            }
            Problem::YoungRemembered => write!(f, "young object has the remembered bit"),
            Problem::ReservedTag { slot, bits } => {
                write!(f, "slot {slot} holds {bits:#x}, an immediate with a reserved tag")
            }
            Problem::BadImmediateFloat { slot, bits } => {
                write!(f, "slot {slot} holds {bits:#x}, an immediate Float whose exponent is out of range")
            }
            Problem::Dangling { slot, target } => {
                write!(f, "slot {slot} refers to {target:#x}, which is not an object")
            }
            Problem::DanglingRoot { root, target } => {
                write!(f, "root {root} refers to {target:#x}, which is not an object")
            }
            Problem::NotRemembered { slot, target } => {
                write!(f, "slot {slot} refers to young object {target:#x} but the object is not remembered")
            }
            Problem::StrayRememberedEntry => {
                write!(f, "remembered-set entry is not an old object with the remembered bit")
            }
            Problem::RememberedBitWithoutEntry => {
                write!(f, "remembered bit is set but the object is not in the remembered set")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Where the headers of one space are: one bit per word.
struct HeaderMap {
    from: usize,
    to: usize,
    bits: Vec<u64>,
}

impl HeaderMap {
    fn new(from: usize, to: usize) -> HeaderMap {
        HeaderMap { from, to, bits: vec![0; (to.saturating_sub(from) / 8).div_ceil(64)] }
    }

    fn set(&mut self, h: usize) {
        let w = (h - self.from) / 8;
        self.bits[w / 64] |= 1 << (w % 64);
    }

    fn get(&self, h: usize) -> bool {
        let w = (h - self.from) / 8;
        self.bits[w / 64] & (1 << (w % 64)) != 0
    }
}

struct Verifier<'h> {
    heap: &'h Heap,
    /// Header maps: old space (only in a full verification), then the nursery's.
    maps: Vec<HeaderMap>,
}

type Check = Result<(), VerifyError>;

fn err(offset: usize, problem: Problem) -> Check {
    Err(VerifyError { offset, problem })
}

impl Verifier<'_> {
    /// Checks each object of `[from, to)` on its own and maps its headers.
    fn check_objects(&mut self, from: usize, to: usize) -> Check {
        let mut map = HeaderMap::new(from, to);
        let heap = self.heap;
        let mut start = from;
        while start < to {
            let first = heap.region.read(start);
            let h = if first >> 56 == OVERFLOW_SLOTS {
                if first & ((1 << 56) - 1) < OVERFLOW_SLOTS || start + 8 >= to {
                    return err(start, Problem::BadOverflowWord(first));
                }
                let header = heap.header_at(start + 8);
                if header.num_slots_field() != OVERFLOW_SLOTS {
                    return err(start, Problem::BadOverflowWord(first));
                }
                start + 8
            } else {
                start
            };
            let header = heap.header_at(h);
            let Some(format) = header.format() else {
                return err(h, Problem::BadFormat(header.format_code()));
            };
            if format == Format::Forwarded {
                return err(h, Problem::Forwarded);
            }
            let limit = heap.class_index_limit;
            if header.class_index() > limit {
                return err(h, Problem::BadClassIndex { class_index: header.class_index(), limit });
            }
            let n = heap.slots_at(h);
            let end = h.checked_add(8 + 8 * n.max(1)).filter(|&e| e <= to).ok_or(VerifyError {
                offset: h,
                problem: Problem::PastEnd { end: h + 8 + 8 * n.max(1), space_end: to },
            })?;
            let padding = match format {
                Format::Bytes { unused } | Format::Code { unused } => unused as usize,
                Format::Words16 { unused } => 2 * unused as usize,
                Format::Words32 { unused } => 4 * unused as usize,
                _ => 0,
            };
            if padding > 8 * n {
                return err(h, Problem::BadPadding);
            }
            if format.is_code() && n > 0 {
                let slot0 = Oop::from_bits(heap.region.read(h + 8));
                match slot0.to_small_integer() {
                    Some(v) if (v as usize & 0xFFFF) < n => {}
                    _ => return err(h, Problem::BadCodeHeader),
                }
            }
            if header.is_remembered() && heap.is_young(Oop::from_offset(h)) {
                return err(h, Problem::YoungRemembered);
            }
            map.set(h);
            start = end;
        }
        self.maps.push(map);
        Ok(())
    }

    /// Whether `oop` refers to a mapped header (or, for a space that is not
    /// mapped, a plausible object).
    fn is_object(&self, oop: Oop) -> bool {
        let h = oop.offset();
        match self.maps.iter().find(|m| h >= m.from && h < m.to) {
            Some(map) => h & 7 == 0 && map.get(h),
            None => h < self.heap.nursery_start && self.heap.is_valid_object(oop),
        }
    }

    /// Checks the reference slots of the object at `h`; `remembered` is the
    /// remembered set, checked for old objects holding young references.
    fn check_references(&self, h: usize, remembered: Option<&HashSet<Oop>>) -> Check {
        let heap = self.heap;
        let n = heap.reference_slots(h);
        let holder_old = h < heap.nursery_start;
        for slot in 0..n {
            let value = Oop::from_bits(heap.region.read(h + 8 + 8 * slot));
            if value.is_small_integer() || value.is_character() {
                continue;
            }
            if value.is_float() {
                if Oop::try_float(value.as_float()) != Some(value) {
                    return err(h, Problem::BadImmediateFloat { slot, bits: value.bits() });
                }
                continue;
            }
            if !value.is_object() {
                return err(h, Problem::ReservedTag { slot, bits: value.bits() });
            }
            if !self.is_object(value) {
                return err(h, Problem::Dangling { slot, target: value.bits() });
            }
            if holder_old && heap.is_young(value) {
                let listed = match remembered {
                    Some(set) => set.contains(&Oop::from_offset(h)),
                    None => true,
                };
                if !heap.header_at(h).is_remembered() || !listed {
                    return err(h, Problem::NotRemembered { slot, target: value.bits() });
                }
            }
        }
        Ok(())
    }

    fn check_roots(&self, roots: &mut dyn Roots) -> Check {
        let mut result = Ok(());
        let mut index = 0;
        roots.visit(&mut |slot: &mut Oop| {
            let value = *slot;
            if result.is_ok() && value.is_object() && !self.is_object(value) {
                result = err(0, Problem::DanglingRoot { root: index, target: value.bits() });
            }
            index += 1;
        });
        result
    }

    fn check_remembered_entries(&self) -> Check {
        for &oop in &self.heap.remembered {
            if !oop.is_object() || self.heap.is_young(oop) || !self.is_object(oop) {
                return err(oop.bits() as usize, Problem::StrayRememberedEntry);
            }
            if !self.heap.header(oop).is_remembered() {
                return err(oop.offset(), Problem::StrayRememberedEntry);
            }
        }
        Ok(())
    }
}

impl Heap {
    /// Checks the whole heap: every header, every reference, the roots and
    /// the remembered set. Slow (two walks of every space); for tests, stress
    /// mode and the image checker.
    pub fn verify(&self, roots: &mut dyn Roots) -> Result<(), VerifyError> {
        let marker = self.region.read(0);
        if marker != HEAP_MARKER {
            return err(0, Problem::BadMarker(marker));
        }
        let mut v = Verifier { heap: self, maps: Vec::new() };
        for (from, to) in self.spaces() {
            v.check_objects(from, to)?;
        }
        v.check_remembered_entries()?;
        let remembered: HashSet<Oop> = self.remembered.iter().copied().collect();
        for (from, to) in self.spaces() {
            let mut result = Ok(());
            self.walk(from, to, |h| {
                if result.is_ok() {
                    result = v.check_references(h, Some(&remembered));
                    if result.is_ok() && self.header_at(h).is_remembered() && !remembered.contains(&Oop::from_offset(h))
                    {
                        result = err(h, Problem::RememberedBitWithoutEntry);
                    }
                }
            });
            result?;
        }
        v.check_roots(roots)
    }

    /// Checks the nursery, the remembered set and the roots; references into
    /// old space are only checked for plausibility, and the remembered set
    /// only for the objects it lists. Cheap enough to run after every
    /// scavenge in stress mode.
    pub fn verify_young(&self, roots: &mut dyn Roots) -> Result<(), VerifyError> {
        let mut v = Verifier { heap: self, maps: Vec::new() };
        let [_, past, eden] = self.spaces();
        for (from, to) in [past, eden] {
            v.check_objects(from, to)?;
        }
        v.check_remembered_entries()?;
        for (from, to) in [past, eden] {
            let mut result = Ok(());
            self.walk(from, to, |h| {
                if result.is_ok() {
                    result = v.check_references(h, None);
                }
            });
            result?;
        }
        for &oop in &self.remembered {
            v.check_references(oop.offset(), None)?;
        }
        v.check_roots(roots)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::small_heap;
    use super::super::*;
    use super::Problem;

    #[test]
    fn a_corrupted_reference_is_caught_with_its_offset() {
        let mut heap = small_heap();
        let a = heap.allocate_old(5, Format::Fixed, 2).expect("room");
        let b = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        heap.store(a, 1, b);
        let mut roots = vec![a];
        assert_eq!(heap.verify(&mut roots), Ok(()));
        heap.store(a, 1, Oop::from_offset(b.offset() + 8)); // into b's body
        let e = heap.verify(&mut roots).expect_err("dangling");
        assert_eq!(e.offset, a.offset());
        assert!(matches!(e.problem, Problem::Dangling { slot: 1, .. }), "{e}");
        heap.store(a, 1, Oop::from_bits(0b110));
        let e = heap.verify(&mut roots).expect_err("reserved tag");
        assert!(matches!(e.problem, Problem::ReservedTag { slot: 1, .. }), "{e}");
        // Immediate Floats are fine, +0.0 and 2^-126 among them; an exponent
        // field of 0 with a mantissa is no Float's encoding.
        for value in [0.0, -0.0, 2f64.powi(-126), 1.5e38] {
            heap.store(a, 1, Oop::try_float(value).expect("immediate"));
            assert_eq!(heap.verify(&mut roots), Ok(()), "{value}");
        }
        heap.store(a, 1, Oop::from_bits((1 << 4) | 0b100));
        let e = heap.verify(&mut roots).expect_err("malformed float");
        assert!(matches!(e.problem, Problem::BadImmediateFloat { slot: 1, .. }), "{e}");
    }

    #[test]
    fn a_missing_remembered_entry_is_caught() {
        let mut heap = small_heap();
        let old = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let young = heap.allocate(5, Format::Fixed, 1).expect("room");
        // Bypass the barrier: write the slot through the region.
        heap.region.write(old.offset() + 8, young.bits());
        let mut roots = vec![old];
        let e = heap.verify(&mut roots).expect_err("not remembered");
        assert_eq!(e.offset, old.offset());
        assert!(matches!(e.problem, Problem::NotRemembered { slot: 0, .. }), "{e}");
        assert!(heap.verify_young(&mut roots).is_ok(), "young verify cannot see it");
    }

    #[test]
    fn bad_headers_and_roots_are_caught() {
        let mut heap = small_heap();
        let a = heap.allocate(9, Format::Fixed, 1).expect("room");
        let mut roots = vec![a];
        heap.set_class_index_limit(8);
        let e = heap.verify(&mut roots).expect_err("class index");
        assert_eq!(e.problem, Problem::BadClassIndex { class_index: 9, limit: 8 });
        assert!(heap.verify_young(&mut roots).is_err());
        heap.set_class_index_limit(100);
        let mut bad_roots = vec![Oop::from_offset(a.offset() + 8)];
        let e = heap.verify(&mut bad_roots).expect_err("root");
        assert!(matches!(e.problem, Problem::DanglingRoot { root: 0, .. }));
        heap.region.write(a.offset(), (heap.header(a).0 & !(0x1F << 24)) | (6 << 24));
        let e = heap.verify(&mut roots).expect_err("format");
        assert!(matches!(e.problem, Problem::BadFormat(_)));
        let shown = e.to_string();
        assert!(shown.contains("format code"), "{shown}");
    }
}
