//! Reading and writing objects: headers, slots, bodies, and the write barrier.
//!
//! Every accessor is panic-free for a valid heap object; passing an immediate
//! or a stale `Oop` is a VM bug caught by debug assertions (and, in release
//! builds, at worst a wrong answer, a bounds panic from a slice, or a read
//! or write elsewhere in the heap's mapping from a masked access — never
//! undefined behaviour: see the region's "Masked access").
//!
//! # Write barrier
//!
//! [`Heap::store`] remembers an old object the first time a young reference
//! is stored into it: it sets the header's remembered bit and pushes the
//! object on the remembered set, which the scavenger treats as roots.
//! [`Heap::words_mut`] and [`Heap::bytes_mut`] cannot see what is written,
//! so they conservatively remember any old object whose body may hold
//! references (pointer and code formats).

use super::header::{Format, Header};
use super::region::{Near, Region};
use super::{Heap, Oop, CHARACTER_CLASS_INDEX, FLOAT_CLASS_INDEX, SMALL_INTEGER_CLASS_INDEX};

impl Heap {
    /// The header word of a heap object.
    #[inline]
    pub fn header(&self, oop: Oop) -> Header {
        debug_assert!(oop.is_object());
        self.header_at(oop.offset())
    }

    /// Replaces a heap object's header word (class changes, immutability).
    /// The slot-count field must not change; the remembered bit belongs to
    /// the collector and is kept as it is, whatever `h` says.
    #[inline]
    pub fn set_header(&mut self, oop: Oop, h: Header) {
        let current = self.header(oop);
        debug_assert!(h.num_slots_field() == current.num_slots_field());
        self.region.write(oop.offset(), h.with_remembered(current.is_remembered()).0);
    }

    /// The class index of any `Oop`; immediates answer
    /// [`SMALL_INTEGER_CLASS_INDEX`], [`CHARACTER_CLASS_INDEX`] or
    /// [`FLOAT_CLASS_INDEX`].
    #[inline]
    pub fn class_index_of(&self, oop: Oop) -> u32 {
        if oop.is_small_integer() {
            SMALL_INTEGER_CLASS_INDEX
        } else if oop.is_object() {
            self.header(oop).class_index()
        } else if oop.is_character() {
            CHARACTER_CLASS_INDEX
        } else {
            FLOAT_CLASS_INDEX
        }
    }

    /// A heap object's format (an unknown code reads as `Forwarded`, which no
    /// live object has).
    #[inline]
    pub fn format_of(&self, oop: Oop) -> Format {
        self.header(oop).format().unwrap_or(Format::Forwarded)
    }

    /// The number of body words (the overflow word's count for big objects).
    #[inline]
    pub fn num_slots(&self, oop: Oop) -> usize {
        debug_assert!(oop.is_object());
        self.slots_at(oop.offset())
    }

    /// Pointer slot `index` (0-based).
    #[inline]
    pub fn fetch(&self, oop: Oop, index: usize) -> Oop {
        debug_assert!(index < self.num_slots(oop), "fetch {index} of {oop:?}");
        Oop::from_bits(self.region.read(oop.offset() + 8 + 8 * index))
    }

    /// Stores `value` in pointer slot `index`, with the write barrier.
    #[inline]
    pub fn store(&mut self, oop: Oop, index: usize, value: Oop) {
        debug_assert!(index < self.num_slots(oop), "store {index} of {oop:?}");
        let h = oop.offset();
        self.region.write(h + 8 + 8 * index, value.bits());
        if h < self.nursery_start && value.is_object() && value.offset() >= self.nursery_start {
            self.remember(h);
        }
    }

    /// Puts the old object at `h` in the remembered set, once.
    #[inline]
    pub(super) fn remember(&mut self, h: usize) {
        let header = self.header_at(h);
        if !header.is_remembered() {
            self.region.write(h, header.with_remembered(true).0);
            self.remembered.push(Oop::from_offset(h));
        }
    }

    fn remember_if_old_with_pointers(&mut self, oop: Oop) {
        let h = oop.offset();
        if h < self.nursery_start {
            let format = self.format_of(oop);
            if format.is_pointers() || format.is_code() {
                self.remember(h);
            }
        }
    }

    /// The body's length in bytes without padding: `8 * num_slots` less the
    /// unused trailing bytes of byte, code, 16- and 32-bit formats.
    #[inline]
    pub fn byte_len(&self, oop: Oop) -> usize {
        let whole = 8 * self.num_slots(oop);
        whole.saturating_sub(unused_bytes(self.header(oop).format_code()))
    }

    /// The body as bytes, without padding.
    #[inline]
    pub fn bytes(&self, oop: Oop) -> &[u8] {
        let body = oop.offset() + 8;
        &self.region.bytes()[body..body + self.byte_len(oop)]
    }

    /// A heap offset masked once, to read the bytes just after it with
    /// [`Heap::byte_near`]: what [`Heap::bytes`] would give at `offset -
    /// (oop.offset() + 8)`, for a reader (the bytecode loop, once per
    /// instruction) that has computed the object's body offset itself.
    #[inline(always)]
    pub fn near(offset: usize) -> Near {
        Region::near(offset)
    }

    /// The byte at `k` bytes (fewer than 4096) after `at`. Not
    /// bounds-checked in release builds (see the region's "Masked
    /// access"): it must be inside the heap.
    #[inline(always)]
    pub fn byte_near(&self, at: Near, k: usize) -> u8 {
        self.region.byte_near(at, k)
    }

    /// The body as mutable bytes, without padding. Remembers an old code or
    /// pointer object, as its references may change.
    #[inline]
    pub fn bytes_mut(&mut self, oop: Oop) -> &mut [u8] {
        self.remember_if_old_with_pointers(oop);
        let body = oop.offset() + 8;
        let len = self.byte_len(oop);
        &mut self.region.bytes_mut()[body..body + len]
    }

    /// The whole body as words.
    #[inline]
    pub fn words(&self, oop: Oop) -> &[u64] {
        self.region.word_range(oop.offset() + 8, self.num_slots(oop))
    }

    /// The whole body as mutable words. Remembers an old code or pointer
    /// object, as its references may change (prefer [`Heap::store`]).
    #[inline]
    pub fn words_mut(&mut self, oop: Oop) -> &mut [u64] {
        self.remember_if_old_with_pointers(oop);
        let n = self.num_slots(oop);
        self.region.word_range_mut(oop.offset() + 8, n)
    }

    /// The identity hash: nonzero, 22 bits, kept by GC and images.
    #[inline]
    pub fn identity_hash(&self, oop: Oop) -> u32 {
        self.header(oop).identity_hash()
    }

    /// Whether a reference is to a nursery object (false for immediates).
    #[inline]
    pub fn is_young(&self, oop: Oop) -> bool {
        oop.is_object() && oop.offset() >= self.nursery_start
    }

    /// Whether `oop` plausibly refers to a live object: inside a space's
    /// used part, aligned, with a known format that is not `Forwarded`, and
    /// ending inside the space. For defensive checks; cheap, not exhaustive
    /// (it cannot tell a header from a body word that looks like one).
    pub fn is_valid_object(&self, oop: Oop) -> bool {
        if !oop.is_object() || oop.bits() == 0 {
            return false;
        }
        let h = oop.offset();
        let Some(&(_, to)) = self.spaces().iter().find(|&&(from, to)| h >= from && h < to) else {
            return false;
        };
        let header = self.header_at(h);
        match header.format() {
            None | Some(Format::Forwarded) => false,
            Some(_) => self.end_of(h) <= to,
        }
    }

    /// Calls `f` on every object, old space first, then the survivors, then
    /// eden. `f` cannot allocate: collect the oops first if it must.
    pub fn for_each_object(&self, mut f: impl FnMut(Oop)) {
        for (from, to) in self.spaces() {
            self.walk(from, to, |h| f(Oop::from_offset(h)));
        }
    }

    /// The word at word index `index` of the heap; slot `i` of the object
    /// `oop` is word `oop.offset() / 8 + 1 + i`. For a reader (the
    /// interpreter's frame access) that computes an object's first slot
    /// once and then indexes from it. Not bounds-checked in release builds
    /// (see the region's "Masked access"): `index` must be inside the heap.
    #[inline(always)]
    pub fn word(&self, index: usize) -> Oop {
        Oop::from_bits(self.region.word(index))
    }

    /// Stores `value` in slot `index` of an object being filled in: without
    /// the write barrier when the object is young (the common case for a new
    /// object), with it when it was allocated in old space.
    #[inline(always)]
    pub fn init_slot(&mut self, oop: Oop, index: usize, value: Oop) {
        if oop.offset() >= self.nursery_start {
            debug_assert!(index < self.num_slots(oop), "init_slot {index} of {oop:?}");
            self.region.set_word((oop.offset() >> 3) + 1 + index, value.bits());
        } else {
            self.store(oop, index, value);
        }
    }

    /// Stores `values` in the first slots of an object being filled in, as
    /// [`Heap::init_slot`] does each.
    #[inline(always)]
    pub fn init_first_slots(&mut self, oop: Oop, values: &[Oop]) {
        if oop.offset() >= self.nursery_start {
            debug_assert!(values.len() <= self.num_slots(oop));
            let slots = self.region.word_range_mut(oop.offset() + 8, values.len());
            for (slot, value) in slots.iter_mut().zip(values) {
                *slot = value.bits();
            }
        } else {
            for (i, value) in values.iter().enumerate() {
                self.store(oop, i, *value);
            }
        }
    }

    /// Stores `value` at word index `index` *without* the write barrier:
    /// only into a slot of a young object or of an old one already in the
    /// remembered set (see [`Heap::remember_if_old`]), whose slots the
    /// scavenger scans whatever they hold.
    #[inline(always)]
    pub fn set_word_unbarriered(&mut self, index: usize, value: Oop) {
        self.region.set_word(index, value.bits());
    }

    /// Puts an old object in the remembered set (once), so that stores into
    /// it may skip the barrier until the next collection, which may drop it
    /// from the set again. The interpreter does this for the active context.
    #[inline]
    pub fn remember_if_old(&mut self, oop: Oop) {
        if oop.offset() < self.nursery_start {
            self.remember(oop.offset());
        }
    }
}

/// The padding bytes at the end of a body of this format code, read from
/// the code itself as [`Format::from_code`] lays the codes out (one `match`
/// on a byte instead of decoding the format): bytes 16..=23 and code
/// 24..=31 keep the unused bytes in their low three bits, 16-bit words are
/// 12..=15, 32-bit words 10..=11; anything else has none.
#[inline]
fn unused_bytes(code: u8) -> usize {
    match code {
        16..=31 => usize::from(code & 7),
        12..=15 => 2 * usize::from(code - 12),
        10..=11 => 4 * usize::from(code - 10),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, small_heap};
    use super::super::*;
    use super::unused_bytes;

    #[test]
    fn unused_bytes_are_what_each_format_says() {
        for code in 0..=u8::MAX {
            let expected = match Format::from_code(code) {
                Some(Format::Bytes { unused } | Format::Code { unused }) => usize::from(unused),
                Some(Format::Words16 { unused }) => 2 * usize::from(unused),
                Some(Format::Words32 { unused }) => 4 * usize::from(unused),
                _ => 0,
            };
            assert_eq!(unused_bytes(code), expected, "format code {code}");
        }
    }

    #[test]
    fn storing_a_young_reference_into_an_old_object_remembers_it_once() {
        let mut heap = small_heap();
        let old = heap.allocate_old(5, Format::Fixed, 2).expect("room");
        let young = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.store(old, 0, Oop::small_integer(3));
        heap.store(old, 1, NIL);
        assert!(!heap.header(old).is_remembered());
        heap.store(old, 0, young);
        heap.store(old, 1, young);
        assert!(heap.header(old).is_remembered());
        assert_eq!(heap.remembered, vec![old]);
        heap.store(young, 0, old);
        assert_eq!(heap.remembered.len(), 1);
        check(&heap, &mut vec![old]);
    }

    #[test]
    fn filling_in_a_new_object_takes_the_barrier_only_when_it_is_old() {
        let mut heap = small_heap();
        let young = heap.allocate(5, Format::Fixed, 3).expect("room");
        let old = heap.allocate_old(5, Format::Fixed, 3).expect("room");
        let target = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.init_first_slots(young, &[target, Oop::small_integer(1)]);
        heap.init_slot(young, 2, target);
        assert_eq!(
            (heap.fetch(young, 0), heap.fetch(young, 1), heap.fetch(young, 2)),
            (target, Oop::small_integer(1), target)
        );
        assert!(heap.remembered.is_empty());
        heap.init_first_slots(old, &[Oop::small_integer(2), target]);
        assert!(heap.header(old).is_remembered());
        assert_eq!(heap.fetch(old, 1), target);
        check(&heap, &mut vec![young, old]);
    }

    #[test]
    fn an_old_object_remembered_ahead_may_be_written_without_the_barrier() {
        let mut heap = small_heap();
        let old = heap.allocate_old(5, Format::Indexable, 2).expect("room");
        let young = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.remember_if_old(young);
        assert!(heap.remembered.is_empty(), "a young object is never remembered");
        heap.remember_if_old(old);
        heap.remember_if_old(old);
        assert_eq!(heap.remembered, vec![old], "remembered once");
        heap.set_word_unbarriered((old.offset() >> 3) + 1 + 1, young);
        assert_eq!(heap.word((old.offset() >> 3) + 2), young);
        // The scavenger finds the young object through the remembered set.
        check(&heap, &mut vec![old]);
    }

    #[test]
    fn words_mut_on_an_old_pointer_object_remembers_it() {
        let mut heap = small_heap();
        let old = heap.allocate_old(5, Format::Indexable, 2).expect("room");
        let bits = heap.allocate_old(5, Format::Words64, 2).expect("room");
        let young = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.words_mut(old)[1] = young.bits();
        heap.words_mut(bits)[1] = young.bits();
        assert!(heap.header(old).is_remembered());
        assert!(!heap.header(bits).is_remembered());
        check(&heap, &mut vec![old, bits]);
    }

    #[test]
    fn immediates_have_fixed_class_indices_and_are_never_young() {
        let heap = small_heap();
        assert_eq!(heap.class_index_of(Oop::small_integer(-5)), SMALL_INTEGER_CLASS_INDEX);
        assert_eq!(heap.class_index_of(Oop::character(97)), CHARACTER_CLASS_INDEX);
        assert_eq!(heap.class_index_of(Oop::try_float(2.5).expect("immediate")), FLOAT_CLASS_INDEX);
        assert_eq!(heap.class_index_of(NIL), 3);
        assert!(!heap.is_young(Oop::small_integer(1 << 40)));
        assert!(heap.is_valid_object(TRUE));
        assert!(!heap.is_valid_object(Oop::from_offset(56)));
        assert!(!heap.is_valid_object(Oop::small_integer(8)));
    }

    #[test]
    fn for_each_object_visits_old_then_young() {
        let mut heap = small_heap();
        let y = heap.allocate(7, Format::Fixed, 1).expect("room");
        let o = heap.allocate_old(7, Format::Fixed, 1).expect("room");
        let mut seen = Vec::new();
        heap.for_each_object(|oop| seen.push(oop));
        assert_eq!(seen, vec![NIL, FALSE, TRUE, o, y]);
    }
}
