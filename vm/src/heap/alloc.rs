//! Allocation: bumping a pointer in eden, the reserve or old space.
//!
//! Allocation never moves an object and never collects; when a space runs
//! out it falls through to the next one and raises the collection flag that
//! the VM acts on at its next safe point:
//!
//! ```text
//!   fits in eden?        -> eden
//!   fits in the reserve? -> reserve, and needs_collection() becomes true
//!   otherwise            -> old space (also for objects > eden / 8)
//!   old space at limit   -> None: the heap is exhausted until a full GC
//! ```

use super::header::{Format, Header, OVERFLOW_SLOTS};
use super::layout::{object_bytes, overflow_word};
use super::{Heap, Oop, NIL};

/// More slots than any reservation could hold (2^40 words = 8 TiB); keeps
/// size arithmetic far from overflow.
const MAX_SLOTS: usize = 1 << 40;

impl Heap {
    /// A new object, normally in eden: pointer slots hold `nil`, other bodies
    /// are zero (a code object's slot 0 is SmallInteger 0: no literals yet).
    /// Its identity hash is a fresh nonzero 22-bit number.
    ///
    /// Answers `None` only when the heap is exhausted (old space has reached
    /// its limit); `needs_collection` is then true, and a full collection at
    /// the next safe point may make room again.
    ///
    /// # GC
    /// Never collects and never moves anything.
    pub fn allocate(&mut self, class_index: u32, format: Format, num_slots: usize) -> Option<Oop> {
        if num_slots > MAX_SLOTS {
            return None;
        }
        let bytes = object_bytes(num_slots);
        if bytes > self.big_object_bytes || self.old_top > self.old_limit {
            return self.allocate_old(class_index, format, num_slots);
        }
        let start = self.eden_top;
        if start + bytes > self.eden_limit {
            self.collection_requested = true;
            if start + bytes > self.reserve_limit {
                return self.allocate_old(class_index, format, num_slots);
            }
        }
        self.eden_top = start + bytes;
        Some(self.initialize(start, class_index, format, num_slots))
    }

    /// [`Heap::allocate`] for an object of a pointer format with fewer than
    /// 255 slots (no overflow word), its slots nil: the interpreter's
    /// contexts. The common case, room in eden, is a bump and a fill;
    /// anything else goes the general way.
    ///
    /// # GC
    /// Never collects and never moves anything.
    #[inline(always)]
    pub fn allocate_small_pointers(&mut self, class_index: u32, format: Format, num_slots: usize) -> Option<Oop> {
        match self.allocate_in_eden(class_index, format, num_slots, &[]) {
            Some(oop) => Some(oop),
            None => self.allocate(class_index, format, num_slots),
        }
    }

    /// [`Heap::allocate_small_pointers`]'s common case alone: a young object
    /// bumped in eden, with `first` in its first slots and nil in the rest,
    /// or `None`, having done nothing, when that needs the general way. A
    /// young object's slots take stores without the barrier.
    ///
    /// # GC
    /// Never collects and never moves anything.
    #[inline(always)]
    pub fn allocate_in_eden(
        &mut self,
        class_index: u32,
        format: Format,
        num_slots: usize,
        first: &[Oop],
    ) -> Option<Oop> {
        debug_assert!(format.is_pointers() && first.len() <= num_slots);
        let start = self.eden_top;
        let end = start + 8 + 8 * num_slots;
        if num_slots == 0
            || num_slots >= OVERFLOW_SLOTS as usize
            || end > self.eden_limit
            || self.old_top > self.old_limit
            || end - start > self.big_object_bytes
        {
            return None;
        }
        self.eden_top = end;
        let header = Header::new(class_index, format, self.next_hash(), num_slots as u64);
        let words = self.region.word_range_mut(start, 1 + num_slots);
        words[0] = header.0;
        let (given, rest) = words[1..].split_at_mut(first.len());
        for (word, value) in given.iter_mut().zip(first) {
            *word = value.bits();
        }
        rest.fill(NIL.bits());
        Some(Oop::from_offset(start))
    }

    /// A new object in old space, initialized as by [`Heap::allocate`].
    /// The bootstrap uses this for `nil`, `false` and `true`.
    ///
    /// # GC
    /// Never collects and never moves anything.
    pub fn allocate_old(&mut self, class_index: u32, format: Format, num_slots: usize) -> Option<Oop> {
        if num_slots > MAX_SLOTS {
            return None;
        }
        let bytes = object_bytes(num_slots);
        let start = self.old_top;
        if start.checked_add(bytes)? > self.old_limit {
            self.collection_requested = true;
            return None;
        }
        self.old_top = start + bytes;
        if self.old_top > self.old_threshold {
            self.collection_requested = true;
        }
        Some(self.initialize(start, class_index, format, num_slots))
    }

    /// A byte object (format [`Format::bytes_for`]) holding a copy of `bytes`.
    ///
    /// # GC
    /// Never collects and never moves anything.
    pub fn allocate_bytes(&mut self, class_index: u32, bytes: &[u8]) -> Option<Oop> {
        let num_slots = bytes.len().div_ceil(8);
        let oop = self.allocate(class_index, Format::bytes_for(bytes.len()), num_slots)?;
        let body = oop.offset() + 8;
        self.region.bytes_mut()[body..body + bytes.len()].copy_from_slice(bytes);
        Some(oop)
    }

    /// Writes the overflow word, header and initial body at `start`.
    fn initialize(&mut self, start: usize, class_index: u32, format: Format, num_slots: usize) -> Oop {
        debug_assert!(format != Format::Forwarded, "only the scavenger forwards objects");
        let mut h = start;
        let field = if num_slots >= OVERFLOW_SLOTS as usize {
            self.region.write(start, overflow_word(num_slots));
            h += 8;
            OVERFLOW_SLOTS
        } else {
            num_slots as u64
        };
        let hash = self.next_hash();
        self.region.write(h, Header::new(class_index, format, hash, field).0);
        let fill = match format {
            Format::Fixed | Format::Indexable | Format::FixedIndexable | Format::Weak => NIL.bits(),
            _ => 0,
        };
        self.region.word_range_mut(h + 8, num_slots.max(1)).fill(fill);
        if format.is_code() && num_slots > 0 {
            self.region.write(h + 8, Oop::small_integer(0).bits());
        }
        Oop::from_offset(h)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::small_heap;
    use super::super::*;

    #[test]
    fn small_pointer_objects_are_bumped_in_eden_filled_with_nil() {
        let mut heap = small_heap();
        let a = heap.allocate_small_pointers(5, Format::FixedIndexable, 9).expect("room");
        let b = heap.allocate_small_pointers(5, Format::FixedIndexable, 9).expect("room");
        assert!(heap.is_young(a) && heap.is_young(b));
        assert_eq!(b.offset() - a.offset(), 8 * 10, "one header word and nine slots apart");
        assert_eq!((heap.num_slots(a), heap.format_of(a), heap.class_index_of(a)), (9, Format::FixedIndexable, 5));
        assert!((0..9).all(|i| heap.fetch(a, i) == NIL));
        assert_ne!(heap.identity_hash(a), heap.identity_hash(b));
    }

    #[test]
    fn small_pointer_objects_outside_the_fast_path_go_the_general_way() {
        let mut heap = small_heap();
        let big = heap.allocate_small_pointers(5, Format::Indexable, 300).expect("room");
        assert_eq!(heap.num_slots(big), 300, "an overflow word");
        let empty = heap.allocate_small_pointers(5, Format::Fixed, 0).expect("room");
        assert_eq!(heap.num_slots(empty), 0);
        // Fill eden: the general path takes the reserve and asks for a collection.
        while !heap.needs_collection() {
            heap.allocate_small_pointers(5, Format::Fixed, 200).expect("room");
        }
        assert!(heap.allocate_small_pointers(5, Format::Fixed, 4).is_some());
    }

    #[test]
    fn eden_allocation_writes_the_given_slots_and_refuses_without_a_trace() {
        let mut heap = small_heap();
        let first = [Oop::small_integer(7), TRUE];
        let a = heap.allocate_in_eden(5, Format::FixedIndexable, 4, &first).expect("room");
        assert!(heap.is_young(a));
        assert_eq!((0..4).map(|i| heap.fetch(a, i)).collect::<Vec<_>>(), [first[0], first[1], NIL, NIL]);
        // Whatever needs the general way is refused, and nothing changes.
        let before = heap.stats();
        assert_eq!(heap.allocate_in_eden(5, Format::Indexable, 300, &[]), None, "an overflow word");
        assert_eq!(heap.allocate_in_eden(5, Format::Fixed, 0, &[]), None);
        assert_eq!(heap.stats(), before);
        assert!(!heap.needs_collection());
        while !heap.needs_collection() {
            heap.allocate_small_pointers(5, Format::Fixed, 200).expect("room");
        }
        // Eden is full: refused, though the general way still finds room.
        assert_eq!(heap.allocate_in_eden(5, Format::Fixed, 4, &first), None);
        assert!(heap.allocate_small_pointers(5, Format::Fixed, 4).is_some());
    }

    #[test]
    fn nil_false_and_true_land_at_their_fixed_offsets() {
        let heap = small_heap();
        assert_eq!(heap.num_slots(NIL), 0);
        assert_eq!(heap.format_of(TRUE), Format::Empty);
        assert_eq!(heap.stats().old_used, 56);
        assert!(!heap.is_young(FALSE));
    }

    #[test]
    fn every_format_allocates_with_its_initial_contents() {
        let mut heap = small_heap();
        let formats = [
            Format::Empty,
            Format::Fixed,
            Format::Indexable,
            Format::FixedIndexable,
            Format::Weak,
            Format::Words64,
            Format::Words32 { unused: 1 },
            Format::Words16 { unused: 3 },
            Format::Bytes { unused: 5 },
            Format::Code { unused: 2 },
        ];
        for (i, format) in formats.into_iter().enumerate() {
            let oop = heap.allocate(10 + i as u32, format, 3).expect("room");
            assert!(heap.is_young(oop));
            assert_eq!(heap.class_index_of(oop), 10 + i as u32);
            assert_eq!(heap.format_of(oop), format);
            assert_eq!(heap.num_slots(oop), 3);
            assert_ne!(heap.identity_hash(oop), 0);
            if format.is_pointers() && format != Format::Empty {
                assert!((0..3).all(|j| heap.fetch(oop, j) == NIL));
            } else if format.is_bits() {
                assert!(heap.bytes(oop).iter().all(|&b| b == 0));
            }
        }
        let s = heap.allocate_bytes(20, b"hello").expect("room");
        assert_eq!(heap.bytes(s), b"hello");
        assert_eq!(heap.byte_len(s), 5);
        assert_eq!(heap.format_of(s), Format::Bytes { unused: 3 });
        let empty = heap.allocate_bytes(20, b"").expect("room");
        assert_eq!(heap.byte_len(empty), 0);
        let w = heap.allocate(21, Format::Words32 { unused: 1 }, 2).expect("room");
        assert_eq!(heap.byte_len(w), 12);
        let c = heap.allocate(22, Format::code_for(3), 2).expect("room");
        assert_eq!(heap.fetch(c, 0), Oop::small_integer(0));
        assert_eq!(heap.byte_len(c), 11);
        let mut roots = vec![s, empty, w, c];
        super::super::testing::check(&heap, &mut roots);
    }

    #[test]
    fn big_objects_get_an_overflow_word() {
        let mut heap = small_heap();
        let young = heap.allocate(5, Format::Indexable, 300).expect("room");
        assert!(heap.is_young(young));
        assert_eq!(heap.num_slots(young), 300);
        assert_eq!(heap.fetch(young, 299), NIL);
        let huge = heap.allocate(5, Format::Words64, 100_000).expect("room");
        assert!(!heap.is_young(huge), "bigger than eden/8 goes to old space");
        assert_eq!(heap.num_slots(huge), 100_000);
        assert_eq!(heap.words(huge).len(), 100_000);
        heap.words_mut(huge)[99_999] = 42;
        let after = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        assert_eq!(after.offset(), huge.offset() + 8 + 8 * 100_000);
        let mut roots = vec![young, huge, after];
        super::super::testing::check(&heap, &mut roots);
    }

    #[test]
    fn a_full_eden_spills_into_the_reserve_then_old_space() {
        let mut heap = small_heap();
        assert!(!heap.needs_collection());
        let mut last = NIL;
        while !heap.needs_collection() {
            last = heap.allocate(5, Format::Fixed, 6).expect("room");
        }
        assert!(heap.is_young(last), "the first object past eden's limit is in the reserve");
        let mut n = 0;
        while heap.is_young(last) {
            last = heap.allocate(5, Format::Fixed, 6).expect("room");
            n += 1;
        }
        assert!(n > 100, "the reserve held {n} objects");
    }

    #[test]
    fn an_exhausted_heap_answers_none() {
        let mut heap = small_heap();
        let mut count = 0;
        while heap.allocate_old(5, Format::Words64, 10_000).is_some() {
            count += 1;
        }
        assert!(count > 10);
        assert!(heap.allocate(5, Format::Fixed, 1).is_some() || heap.needs_collection());
        assert_eq!(heap.allocate(5, Format::Indexable, usize::MAX), None);
        assert_eq!(heap.allocate_old(5, Format::Indexable, 1 << 50), None);
    }
}
