//! Object geometry: where an object starts and ends, how many slots it has,
//! which of them the collector traces, and walking a space object by object.
//!
//! ```text
//!   start ->  [ 0xFF | count ]   overflow word, only if numSlots field = 255
//!   header -> [ header word  ]   <- the Oop
//!             [ slot 0       ]   body: max(num_slots, 1) words
//!             [ ...          ]
//!   end    -> next object's start
//! ```
//!
//! At an object's start, a word whose top byte is 0xFF is the overflow word:
//! a header with that top byte is always preceded by one, so the walk meets
//! the overflow word first.

use super::header::{Format, Header, OVERFLOW_SLOTS};
use super::{Heap, Oop};

const COUNT_MASK: u64 = (1 << 56) - 1;

/// The overflow word for a big object of `num_slots` slots.
pub(super) const fn overflow_word(num_slots: usize) -> u64 {
    (OVERFLOW_SLOTS << 56) | (num_slots as u64 & COUNT_MASK)
}

/// Bytes an object of `num_slots` slots occupies, overflow word included.
#[inline]
pub(super) const fn object_bytes(num_slots: usize) -> usize {
    let overflow = if num_slots >= OVERFLOW_SLOTS as usize { 8 } else { 0 };
    let body = if num_slots == 0 { 1 } else { num_slots };
    overflow + 8 + 8 * body
}

/// Which slots of an object hold references the collector must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slots {
    /// Slots `0..n` are strong references.
    Strong(usize),
    /// Slots `0..n` are weak references.
    Weak(usize),
}

impl Heap {
    /// The header word of the object at `h` (a header offset).
    #[inline]
    pub(super) fn header_at(&self, h: usize) -> Header {
        Header(self.region.read(h))
    }

    /// The slot count of the object whose header is at `h`.
    #[inline]
    pub(super) fn slots_at(&self, h: usize) -> usize {
        let field = self.header_at(h).num_slots_field();
        if field == OVERFLOW_SLOTS {
            (self.region.read(h - 8) & COUNT_MASK) as usize
        } else {
            field as usize
        }
    }

    /// The header offset of the object that starts at `start`.
    #[inline]
    pub(super) fn header_from_start(&self, start: usize) -> usize {
        if self.region.read(start) >> 56 == OVERFLOW_SLOTS {
            start + 8
        } else {
            start
        }
    }

    /// The start (overflow word or header) of the object whose header is at `h`.
    #[inline]
    pub(super) fn start_of(&self, h: usize) -> usize {
        if self.header_at(h).num_slots_field() == OVERFLOW_SLOTS {
            h - 8
        } else {
            h
        }
    }

    /// The offset just past the object whose header is at `h`.
    #[inline]
    pub(super) fn end_of(&self, h: usize) -> usize {
        h + 8 + 8 * self.slots_at(h).max(1)
    }

    /// The traced slots of the object at `h`, by its format.
    #[inline]
    pub(super) fn traced_slots(&self, h: usize) -> Slots {
        let header = self.header_at(h);
        match header.format() {
            Some(Format::Fixed | Format::Indexable | Format::FixedIndexable) => Slots::Strong(self.slots_at(h)),
            Some(Format::Weak) => Slots::Weak(self.slots_at(h)),
            Some(Format::Code { .. }) => Slots::Strong(self.code_pointer_slots(h)),
            _ => Slots::Strong(0),
        }
    }

    /// How many leading slots of the object at `h` hold references, strong
    /// or weak.
    #[inline]
    pub(super) fn reference_slots(&self, h: usize) -> usize {
        match self.traced_slots(h) {
            Slots::Strong(n) | Slots::Weak(n) => n,
        }
    }

    /// Slot 0 and the literals of a code object: `1 + n`, where slot 0 is a
    /// SmallInteger with `n` in its low 16 bits (capped by the object's size).
    pub(super) fn code_pointer_slots(&self, h: usize) -> usize {
        let n = self.slots_at(h);
        if n == 0 {
            return 0;
        }
        let slot0 = Oop::from_bits(self.region.read(h + 8));
        match slot0.to_small_integer() {
            Some(v) => (1 + (v as usize & 0xFFFF)).min(n),
            None => 0,
        }
    }

    /// Calls `f` with the header offset of every object in `[from, to)`,
    /// which must be a parseable run of objects.
    #[inline]
    pub(super) fn walk(&self, from: usize, to: usize, mut f: impl FnMut(usize)) {
        let mut start = from;
        while start < to {
            let h = self.header_from_start(start);
            let end = self.end_of(h);
            f(h);
            start = end;
        }
    }

    /// The runs of objects, old space first: `(from, to)` byte ranges.
    pub(super) fn spaces(&self) -> [(usize, usize); 3] {
        [(8, self.old_top), (self.past_start, self.past_top), (self.eden_start, self.eden_top)]
    }
}
