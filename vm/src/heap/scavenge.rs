//! The scavenger: a Cheney-style copying collector for the nursery.
//!
//! ```text
//!  from-space (eden + reserve, past survivors)      to-space
//!  +-----------------------------+          +-----------------------+
//!  | A  B  C  D ...              |  copy    | A' C'  ...            |  future survivor space
//!  +-----------------------------+  ----->  +-----------------------+
//!    A, C: header format := Forwarded,       ^scan          ^top
//!          body word 0 := new Oop
//!                                           old space:  ... | D' ...        (tenured)
//!                                                          ^old scan  ^old top
//! ```
//!
//! Roots are the VM's [`Roots`] and the remembered set. Copying is breadth
//! first: two scan pointers (one in the future survivor space, one over the
//! freshly tenured part of old space) chase the two allocation tops until
//! both catch up, so no Rust recursion grows with the object graph's depth.
//!
//! An object copied out of eden goes to the future survivor space; one copied
//! out of the past survivor space (its second survival), or that does not fit,
//! is tenured to old space. A scavenge for a full collection tenures all.
//!
//! Weak objects are not traced: they are listed, and once copying is done
//! each of their slots that refers to a from-space object is updated if the
//! object was copied and set to `nil` if it was not.
//!
//! # GC
//! Only [`Heap::scavenge`], [`Heap::collect`] and [`Heap::full_collect`] run
//! this, at the VM's safe points. Every `Oop` outside the heap and `roots` is
//! stale afterwards.

use std::time::Instant;

use super::header::Format;
use super::layout::Slots;
use super::{Heap, Oop, Roots, NIL};

struct Scavenger<'h> {
    heap: &'h mut Heap,
    future_top: usize,
    future_limit: usize,
    past_end: usize,
    tenure_all: bool,
    /// Header offsets (current locations) of weak objects to fix up.
    weak: Vec<usize>,
    /// The new remembered set.
    remembered: Vec<Oop>,
    tenured: usize,
}

const FORWARDED: u8 = Format::Forwarded.code();

impl Scavenger<'_> {
    /// Whether `h` lies in from-space: young and not in the future space.
    #[inline]
    fn is_from_space(&self, h: usize) -> bool {
        h >= self.heap.nursery_start && !(h >= self.heap.future_start && h < self.future_limit)
    }

    /// The new location of `oop`, copying it if it is a from-space object
    /// not yet copied.
    #[inline]
    fn forward(&mut self, oop: Oop) -> Oop {
        if !oop.is_object() || !self.is_from_space(oop.offset()) {
            return oop;
        }
        let h = oop.offset();
        let header = self.heap.header_at(h);
        if header.format_code() == FORWARDED {
            return Oop::from_bits(self.heap.region.read(h + 8));
        }
        self.copy(h)
    }

    fn copy(&mut self, h: usize) -> Oop {
        let heap = &mut *self.heap;
        let start = heap.start_of(h);
        let bytes = heap.end_of(h) - start;
        let second_survival = h >= heap.past_start && h < self.past_end;
        let to_future = !self.tenure_all && !second_survival;
        let dest = if to_future && self.future_top + bytes <= self.future_limit {
            self.future_top += bytes;
            self.future_top - bytes
        } else if heap.old_top + bytes <= heap.nursery_start {
            heap.old_top += bytes;
            self.tenured += bytes;
            heap.old_top - bytes
        } else if !self.tenure_all && self.future_top + bytes <= self.future_limit {
            self.future_top += bytes;
            self.future_top - bytes
        } else {
            // The tenure headroom (one nursery) makes this unreachable unless
            // the whole reservation is full of live objects.
            panic!("object memory exhausted: no room to tenure {bytes} bytes during a scavenge")
        };
        heap.region.copy_words(start, dest, bytes / 8);
        let new = Oop::from_offset(dest + (h - start));
        let header = heap.header_at(h);
        heap.region.write(h, header.with_format(Format::Forwarded).0);
        heap.region.write(h + 8, new.bits());
        new
    }

    /// Forwards the references of the object at `h` (already in its final
    /// place); an old object left with young references is remembered.
    fn scan(&mut self, h: usize) {
        match self.heap.traced_slots(h) {
            Slots::Weak(_) => self.weak.push(h),
            Slots::Strong(n) => {
                let mut has_young = false;
                for i in 0..n {
                    let at = h + 8 + 8 * i;
                    let value = Oop::from_bits(self.heap.region.read(at));
                    let new = self.forward(value);
                    if new != value {
                        self.heap.region.write(at, new.bits());
                    }
                    has_young |= self.heap.is_young(new);
                }
                if has_young && h < self.heap.nursery_start {
                    self.remember(h);
                }
            }
        }
    }

    fn remember(&mut self, h: usize) {
        let header = self.heap.header_at(h);
        if !header.is_remembered() {
            self.heap.region.write(h, header.with_remembered(true).0);
            self.remembered.push(Oop::from_offset(h));
        }
    }

    /// Copies everything reachable from what has been copied so far.
    fn drain(&mut self, mut future_scan: usize, mut old_scan: usize) {
        loop {
            let mut progressed = false;
            while future_scan < self.future_top {
                let h = self.heap.header_from_start(future_scan);
                future_scan = self.heap.end_of(h);
                self.scan(h);
                progressed = true;
            }
            while old_scan < self.heap.old_top {
                let h = self.heap.header_from_start(old_scan);
                old_scan = self.heap.end_of(h);
                self.scan(h);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// Updates or clears the from-space referents of every listed weak object.
    fn process_weak(&mut self) {
        let weak = std::mem::take(&mut self.weak);
        for &h in &weak {
            let n = self.heap.slots_at(h);
            let mut has_young = false;
            for i in 0..n {
                let at = h + 8 + 8 * i;
                let value = Oop::from_bits(self.heap.region.read(at));
                let new = if value.is_object() && self.is_from_space(value.offset()) {
                    let header = self.heap.header_at(value.offset());
                    if header.format_code() == FORWARDED {
                        Oop::from_bits(self.heap.region.read(value.offset() + 8))
                    } else {
                        NIL
                    }
                } else {
                    value
                };
                if new != value {
                    self.heap.region.write(at, new.bits());
                }
                has_young |= self.heap.is_young(new);
            }
            if has_young && h < self.heap.nursery_start {
                self.remember(h);
            }
        }
    }
}

impl Heap {
    /// Collects the nursery: survivors move to the other survivor space or
    /// are tenured; eden is empty afterwards.
    ///
    /// # GC
    /// Moves young objects and updates every reference to them in the heap
    /// and in `roots`; any other `Oop` held in Rust is stale afterwards.
    #[doc(alias = "incrementalGC")]
    pub fn scavenge(&mut self, roots: &mut dyn Roots) {
        self.scavenge_with(roots, false);
    }

    /// A scavenge; with `tenure_all`, every survivor goes to old space and
    /// the nursery and remembered set are left empty.
    pub(super) fn scavenge_with(&mut self, roots: &mut dyn Roots, tenure_all: bool) {
        let started = Instant::now();
        let old_scan = self.old_top;
        let future_start = self.future_start;
        let mut s = Scavenger {
            future_top: future_start,
            future_limit: future_start + self.survivor_bytes,
            past_end: self.past_start + self.survivor_bytes,
            tenure_all,
            weak: Vec::new(),
            remembered: Vec::new(),
            tenured: 0,
            heap: self,
        };
        roots.visit(&mut |slot: &mut Oop| *slot = s.forward(*slot));
        let remembered = std::mem::take(&mut s.heap.remembered);
        for oop in remembered {
            let h = oop.offset();
            let header = s.heap.header_at(h);
            s.heap.region.write(h, header.with_remembered(false).0);
            s.scan(h);
        }
        s.drain(future_start, old_scan);
        s.process_weak();
        let (future_top, remembered, tenured) = (s.future_top, s.remembered, s.tenured);
        self.remembered = remembered;
        self.future_start = self.past_start;
        self.past_start = future_start;
        self.past_top = future_top;
        self.eden_top = self.eden_start;
        self.collection_requested = self.old_top > self.old_threshold;
        self.stats.scavenges += 1;
        self.stats.bytes_tenured += tenured as u64;
        self.stats.scavenge_time += started.elapsed();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, heap_with, small_heap};
    use super::super::*;

    #[test]
    fn scavenging_moves_young_objects_and_fixes_roots() {
        let mut heap = small_heap();
        let a = heap.allocate(5, Format::Fixed, 2).expect("room");
        let b = heap.allocate_bytes(6, b"payload").expect("room");
        let _garbage = heap.allocate(5, Format::Fixed, 10).expect("room");
        heap.store(a, 0, b);
        heap.store(a, 1, Oop::small_integer(9));
        let hash = heap.identity_hash(a);
        let mut roots = vec![a, Oop::character(65), a];
        heap.scavenge(&mut roots);
        let a2 = roots[0];
        assert_ne!(a2, a);
        assert_eq!(roots[2], a2);
        assert_eq!(roots[1], Oop::character(65));
        assert!(heap.is_young(a2));
        assert_eq!(heap.identity_hash(a2), hash);
        assert_eq!(heap.bytes(heap.fetch(a2, 0)), b"payload");
        assert_eq!(heap.fetch(a2, 1), Oop::small_integer(9));
        assert_eq!(heap.stats().eden_used, 0);
        check(&heap, &mut roots);
    }

    #[test]
    fn old_to_young_references_are_roots_and_cycles_survive() {
        let mut heap = small_heap();
        let old = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let x = heap.allocate(5, Format::Fixed, 1).expect("room");
        let y = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.store(x, 0, y);
        heap.store(y, 0, x);
        heap.store(old, 0, x);
        let mut roots = vec![old];
        heap.scavenge(&mut roots);
        let x2 = heap.fetch(old, 0);
        assert!(heap.is_young(x2) && x2 != x);
        let y2 = heap.fetch(x2, 0);
        assert_eq!(heap.fetch(y2, 0), x2);
        assert!(heap.header(old).is_remembered(), "still refers to a young object");
        check(&heap, &mut roots);
        // Second survival tenures both; old no longer needs remembering.
        heap.scavenge(&mut roots);
        let x3 = heap.fetch(old, 0);
        assert!(!heap.is_young(x3));
        assert_eq!(heap.fetch(heap.fetch(x3, 0), 0), x3);
        assert!(!heap.header(old).is_remembered());
        assert!(heap.remembered.is_empty());
        assert_eq!(heap.stats().bytes_tenured, 32);
        check(&heap, &mut roots);
    }

    #[test]
    fn a_tenured_object_referring_to_a_young_one_is_remembered() {
        let mut heap = small_heap();
        let a = heap.allocate(5, Format::Fixed, 1).expect("room");
        let mut roots = vec![a];
        heap.scavenge(&mut roots);
        let b = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.store(roots[0], 0, b); // young -> young: no barrier
        heap.scavenge(&mut roots); // a tenured, b to survivor space
        assert!(!heap.is_young(roots[0]));
        let b2 = heap.fetch(roots[0], 0);
        assert!(heap.is_young(b2));
        assert!(heap.header(roots[0]).is_remembered());
        check(&heap, &mut roots);
    }

    #[test]
    fn unreferenced_young_objects_are_dropped() {
        let mut heap = small_heap();
        for _ in 0..1000 {
            heap.allocate(5, Format::Fixed, 4).expect("room");
        }
        let mut roots = vec![];
        heap.scavenge(&mut roots);
        assert_eq!(heap.stats().survivor_used, 0);
        assert_eq!(heap.stats().old_used, 56);
    }

    #[test]
    fn a_chain_of_a_million_objects_is_copied_without_recursion() {
        let mut heap = heap_with(HeapConfig { max_heap: 512 << 20, eden_bytes: 32 << 20, gc_stress: false });
        let mut head = NIL;
        for i in 0..1_000_000 {
            let o = heap.allocate(5, Format::Fixed, 2).expect("room");
            heap.store(o, 0, head);
            heap.store(o, 1, Oop::small_integer(i));
            head = o;
        }
        let mut roots = vec![head];
        heap.scavenge(&mut roots);
        let count = |heap: &Heap, mut o: Oop| {
            let mut n = 0;
            while o != NIL {
                assert_eq!(heap.fetch(o, 1), Oop::small_integer(999_999 - n));
                o = heap.fetch(o, 0);
                n += 1;
            }
            n
        };
        assert_eq!(count(&heap, roots[0]), 1_000_000);
        check(&heap, &mut roots);
        heap.full_collect(&mut roots);
        assert_eq!(count(&heap, roots[0]), 1_000_000);
        check(&heap, &mut roots);
    }

    #[test]
    fn weak_slots_lose_young_referents_that_only_they_hold() {
        let mut heap = small_heap();
        let weak = heap.allocate(5, Format::Weak, 3).expect("room");
        let kept = heap.allocate(5, Format::Fixed, 1).expect("room");
        let lost = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.store(weak, 0, kept);
        heap.store(weak, 1, lost);
        heap.store(weak, 2, Oop::small_integer(7));
        let old_weak = heap.allocate_old(5, Format::Weak, 2).expect("room");
        heap.store(old_weak, 0, kept);
        heap.store(old_weak, 1, lost);
        let mut roots = vec![weak, kept, old_weak];
        heap.scavenge(&mut roots);
        let (weak, kept) = (roots[0], roots[1]);
        assert_eq!(heap.fetch(weak, 0), kept);
        assert_eq!(heap.fetch(weak, 1), NIL);
        assert_eq!(heap.fetch(weak, 2), Oop::small_integer(7));
        assert_eq!(heap.fetch(old_weak, 0), kept);
        assert_eq!(heap.fetch(old_weak, 1), NIL);
        assert!(heap.header(old_weak).is_remembered());
        check(&heap, &mut roots);
    }

    #[test]
    fn code_objects_trace_their_literals_but_not_their_bytecodes() {
        let mut heap = small_heap();
        let lit = heap.allocate(5, Format::Fixed, 1).expect("room");
        let code = heap.allocate(6, Format::code_for(8), 3).expect("room");
        heap.store(code, 0, Oop::small_integer(1));
        heap.store(code, 1, lit);
        heap.words_mut(code)[2] = 0x0000_0000_0000_1000; // bytecodes that look like an Oop
        let mut roots = vec![code];
        heap.scavenge(&mut roots);
        let code = roots[0];
        assert_eq!(heap.words(code)[2], 0x1000);
        assert!(heap.is_young(heap.fetch(code, 1)));
        assert_ne!(heap.fetch(code, 1), lit);
        check(&heap, &mut roots);
    }

    #[test]
    fn big_young_objects_keep_their_overflow_word() {
        let mut heap = small_heap();
        let big = heap.allocate(5, Format::Indexable, 1000).expect("room");
        assert!(heap.is_young(big));
        let small = heap.allocate(5, Format::Fixed, 1).expect("room");
        heap.store(big, 999, small);
        let mut roots = vec![big];
        heap.scavenge(&mut roots);
        heap.scavenge(&mut roots);
        let big = roots[0];
        assert!(!heap.is_young(big));
        assert_eq!(heap.num_slots(big), 1000);
        assert_eq!(heap.fetch(big, 0), NIL);
        assert!(!heap.is_young(heap.fetch(big, 999)));
        check(&heap, &mut roots);
    }
}
