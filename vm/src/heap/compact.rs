//! The full collector: mark-compact of old space, sliding in address order.
//!
//! A full collection first scavenges with every survivor tenured, so the
//! nursery and the remembered set are empty and only old space remains.
//! Then, in four passes over old space:
//!
//! 1. **Mark** from the roots (and `nil`, `false`, `true`, which are pinned at
//!    their offsets) with an explicit mark stack. Marking an object sets the
//!    bits of *every* word it occupies (overflow word included) in a side
//!    bitmap, one bit per heap word; the headers are never written, so a
//!    mapped image's pages are not dirtied by marking. Weak objects are
//!    listed instead of traced.
//! 2. **Weak**: slots of live weak objects that refer to unmarked objects
//!    become `nil`.
//! 3. **Forwarding** needs no per-object table: since the bitmap marks live
//!    *words*, an object's new offset is the number of live words before it.
//!    A prefix-count table (one entry per 64-word block) makes that O(1):
//!
//!    ```text
//!    word index w:     0     64    128   192        (one bitmap word per block)
//!    bitmap:         [0111..][1100..][0000..][1111..]
//!    block_live:       0     k0    k0+k1 k0+k1      live words in earlier blocks
//!
//!    new_offset(w) = 8 + 8 * (block_live[w / 64] + popcount(bitmap[w / 64] & below(w % 64)))
//!    ```
//!
//!    (Word 0, the heap marker, is never marked and stays put.)
//! 4. **Update** every reference in live objects (weak slots too) and in the
//!    roots to its new offset, then **slide** each live object down to it,
//!    lowest first. Destinations never pass their sources, so an object not
//!    yet moved is never overwritten and the walk can still parse it.
//!
//! **A pinned base** (see [`super::MappedBase`]): when old space's start was
//! mapped from an image file, every object in that part is marked live
//! before the roots, so the dense prefix covers it and nothing in it moves;
//! only the objects above it are compacted.
//!
//! # GC
//! Only [`Heap::full_collect`] and [`Heap::collect`] run this, at the VM's
//! safe points. Every `Oop` outside the heap and `roots` is stale afterwards.

use std::time::Instant;

use super::layout::Slots;
use super::{Heap, Oop, Roots, NIL};

struct Compactor<'h> {
    heap: &'h mut Heap,
    bits: Vec<u64>,
    stack: Vec<usize>,
    weak: Vec<usize>,
    /// Live words in the blocks before each block.
    block_live: Vec<u64>,
    /// Everything below this offset is live and stays where it is.
    dense_end: usize,
}

#[inline]
fn set_range(bits: &mut [u64], mut lo: usize, hi: usize) {
    while lo < hi {
        let b = lo % 64;
        let n = (64 - b).min(hi - lo);
        let mask = if n == 64 { !0 } else { ((1u64 << n) - 1) << b };
        bits[lo / 64] |= mask;
        lo += n;
    }
}

impl Compactor<'_> {
    #[inline]
    fn is_marked(&self, h: usize) -> bool {
        let w = h / 8;
        self.bits[w / 64] & (1 << (w % 64)) != 0
    }

    #[inline]
    fn mark(&mut self, oop: Oop) {
        if !oop.is_object() {
            return;
        }
        let h = oop.offset();
        debug_assert!(h >= 8 && h < self.heap.old_top, "full GC met a non-old ref {oop:?}");
        if self.is_marked(h) {
            return;
        }
        let start = self.heap.start_of(h);
        let end = self.heap.end_of(h);
        set_range(&mut self.bits, start / 8, end / 8);
        self.stack.push(h);
    }

    fn trace(&mut self) {
        while let Some(h) = self.stack.pop() {
            self.scan(h);
        }
    }

    /// Marks what the object at `h` refers to (weak objects wait for the end).
    fn scan(&mut self, h: usize) {
        match self.heap.traced_slots(h) {
            Slots::Weak(_) => self.weak.push(h),
            Slots::Strong(n) => {
                for i in 0..n {
                    let value = Oop::from_bits(self.heap.region.read(h + 8 + 8 * i));
                    self.mark(value);
                }
            }
        }
    }

    /// Marks everything in `[8, end)` — the pinned base, whose objects all
    /// count as live and stay put — and what it refers to. The base's
    /// references are read, never written, so its pages stay clean.
    fn mark_pinned(&mut self, end: usize) {
        set_range(&mut self.bits, 1, end / 8);
        let mut start = 8;
        while start < end {
            let h = self.heap.header_from_start(start);
            start = self.heap.end_of(h);
            self.scan(h);
        }
    }

    fn clear_weak(&mut self) {
        for &h in &self.weak {
            for i in 0..self.heap.slots_at(h) {
                let at = h + 8 + 8 * i;
                let value = Oop::from_bits(self.heap.region.read(at));
                if value.is_object() && !self.is_marked(value.offset()) {
                    self.heap.region.write(at, NIL.bits());
                }
            }
        }
    }

    /// Fills `block_live`, finds the dense prefix, and answers the total of
    /// live words.
    fn count_blocks(&mut self) -> usize {
        self.block_live.clear();
        let mut total = 0u64;
        for &word in &self.bits {
            self.block_live.push(total);
            total += u64::from(word.count_ones());
        }
        // Word 0 (the marker) counts as live here: it never moves either.
        let word = |i: usize| {
            if i == 0 {
                self.bits[0] | 1
            } else {
                self.bits[i]
            }
        };
        let first_dead = (0..self.bits.len())
            .find(|&i| word(i) != !0)
            .map_or(64 * self.bits.len(), |i| 64 * i + (!word(i)).trailing_zeros() as usize);
        self.dense_end = 8 * first_dead;
        total as usize
    }

    /// The offset the live word at byte offset `off` slides to.
    #[inline]
    fn new_offset(&self, off: usize) -> usize {
        let w = off / 8;
        let below = self.bits[w / 64] & ((1u64 << (w % 64)) - 1);
        8 + 8 * (self.block_live[w / 64] as usize + below.count_ones() as usize)
    }

    #[inline]
    fn forward(&self, oop: Oop) -> Oop {
        if oop.is_object() && oop.offset() >= self.dense_end {
            Oop::from_offset(self.new_offset(oop.offset()))
        } else {
            oop
        }
    }

    /// Rewrites every reference in live objects to its new offset.
    fn update_heap(&mut self, old_top: usize) {
        let mut start = 8;
        while start < old_top {
            let h = self.heap.header_from_start(start);
            start = self.heap.end_of(h);
            if !self.is_marked(h) {
                continue;
            }
            let n = self.heap.reference_slots(h);
            for i in 0..n {
                let at = h + 8 + 8 * i;
                let value = Oop::from_bits(self.heap.region.read(at));
                if value.is_object() && value.offset() >= self.dense_end {
                    debug_assert!(self.is_marked(value.offset()), "live ref to dead {value:?}");
                    let moved = self.forward(value);
                    // An unchanged word is not written: its page stays clean.
                    if moved != value {
                        self.heap.region.write(at, moved.bits());
                    }
                }
            }
        }
    }

    /// Moves every live object above the dense prefix to its new offset,
    /// lowest first.
    fn slide(&mut self, old_top: usize) {
        let mut start = self.dense_end.clamp(8, old_top.max(8));
        while start < old_top {
            let h = self.heap.header_from_start(start);
            let end = self.heap.end_of(h);
            if self.is_marked(h) {
                let dest = self.new_offset(start);
                if dest != start {
                    self.heap.region.copy_words(start, dest, (end - start) / 8);
                }
            }
            start = end;
        }
    }
}

impl Heap {
    /// Collects everything: afterwards eden and the survivor spaces are
    /// empty (every young survivor tenured), and old space holds only live
    /// objects, compacted in their original address order.
    ///
    /// # GC
    /// Moves objects and updates every reference to them in the heap and in
    /// `roots`; any other `Oop` held in Rust is stale afterwards.
    #[doc(alias = "fullGC")]
    pub fn full_collect(&mut self, roots: &mut dyn Roots) {
        let started = Instant::now();
        self.scavenge_with(roots, true);
        debug_assert!(self.remembered.is_empty());
        let old_top = self.old_top;
        let mut bits = std::mem::take(&mut self.mark_bits);
        bits.clear();
        bits.resize((old_top / 8).div_ceil(64) + 1, 0);
        let mut c =
            Compactor { heap: self, bits, stack: Vec::new(), weak: Vec::new(), block_live: Vec::new(), dense_end: 0 };

        let pinned_end = c.heap.pinned_end();
        if pinned_end > 8 {
            c.mark_pinned(pinned_end);
        }
        roots.visit(&mut |slot: &mut Oop| c.mark(*slot));
        let mut pinned = 8;
        for _ in 0..3 {
            if pinned >= old_top {
                break;
            }
            let h = c.heap.header_from_start(pinned);
            pinned = c.heap.end_of(h);
            c.mark(Oop::from_offset(h));
        }
        c.trace();
        c.clear_weak();
        let live_words = c.count_blocks();
        c.update_heap(old_top);
        roots.visit(&mut |slot: &mut Oop| *slot = c.forward(*slot));
        c.slide(old_top);

        let Compactor { bits, .. } = c;
        self.mark_bits = bits;
        self.old_top = 8 + 8 * live_words;
        self.region.discard(self.old_top, old_top - self.old_top);
        self.set_old_threshold();
        self.collection_requested = false;
        self.stats.full_collections += 1;
        self.stats.full_collection_time += started.elapsed();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, heap_with, small_heap};
    use super::super::*;

    #[test]
    fn set_range_covers_partial_and_whole_words() {
        let mut bits = vec![0u64; 4];
        super::set_range(&mut bits, 3, 5);
        assert_eq!(bits[0], 0b11000);
        super::set_range(&mut bits, 60, 200);
        assert_eq!(bits[0] >> 60, 0xF);
        assert_eq!(bits[1], !0);
        assert_eq!(bits[2], !0);
        assert_eq!(bits[3], 0xFF);
    }

    #[test]
    fn compaction_slides_live_objects_down_in_order() {
        let mut heap = small_heap();
        let mut all = Vec::new();
        for i in 0..10 {
            let o = heap.allocate_old(5, Format::Fixed, 1 + i % 3).expect("room");
            heap.store(o, 0, Oop::small_integer(i as i64));
            all.push(o);
        }
        // Keep the odd ones, linked backwards; a cycle between the last two.
        for i in (3..10).step_by(2) {
            heap.store(all[i], 0, all[i - 2]);
        }
        heap.store(all[1], 0, all[9]);
        let hashes: Vec<u32> = all.iter().map(|&o| heap.identity_hash(o)).collect();
        let mut roots = vec![all[9], Oop::small_integer(1)];
        heap.full_collect(&mut roots);
        check(&heap, &mut roots);
        let mut seen = Vec::new();
        heap.for_each_object(|o| seen.push(o));
        assert_eq!(&seen[..3], &[NIL, FALSE, TRUE]);
        let kept = &seen[3..];
        assert_eq!(kept.len(), 5);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(kept[0], Oop::from_offset(56), "first survivor slid to the bottom");
        for (k, &o) in kept.iter().enumerate() {
            let i = 2 * k + 1;
            assert_eq!(heap.identity_hash(o), hashes[i]);
            assert_eq!(heap.num_slots(o), 1 + i % 3);
        }
        assert_eq!(roots[0], kept[4]);
        assert_eq!(heap.fetch(kept[4], 0), kept[3]);
        assert_eq!(heap.fetch(kept[0], 0), kept[4]);
        assert_eq!(heap.stats().full_collections, 1);
        assert_eq!(heap.stats().old_used, heap.stats().last_live_bytes);
    }

    #[test]
    fn compaction_moves_big_objects_with_their_overflow_words() {
        let mut heap = small_heap();
        let dead = heap.allocate_old(5, Format::Indexable, 400).expect("room");
        let big = heap.allocate_old(5, Format::Indexable, 500).expect("room");
        let bytes = heap.allocate_bytes(6, &[7u8; 3000]).expect("room");
        let tail = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        heap.store(big, 499, bytes);
        heap.store(big, 0, tail);
        heap.store(tail, 0, big);
        let _ = dead;
        let mut roots = vec![tail];
        heap.full_collect(&mut roots);
        check(&heap, &mut roots);
        let tail = roots[0];
        let big = heap.fetch(tail, 0);
        assert_eq!(big, Oop::from_offset(64), "overflow word at 56, header at 64");
        assert_eq!(heap.num_slots(big), 500);
        assert_eq!(heap.fetch(big, 0), tail);
        assert_eq!(heap.bytes(heap.fetch(big, 499)), &[7u8; 3000][..]);
    }

    #[test]
    fn full_collection_tenures_the_nursery_and_clears_weak_slots() {
        let mut heap = small_heap();
        let weak = heap.allocate_old(5, Format::Weak, 4).expect("room");
        let old_dead = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let old_kept = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let young_dead = heap.allocate(5, Format::Fixed, 1).expect("room");
        let young_kept = heap.allocate(5, Format::Fixed, 1).expect("room");
        for (i, o) in [old_dead, old_kept, young_dead, young_kept].into_iter().enumerate() {
            heap.store(weak, i, o);
        }
        let mut roots = vec![weak, old_kept, young_kept];
        heap.full_collect(&mut roots);
        check(&heap, &mut roots);
        let weak = roots[0];
        assert_eq!(heap.fetch(weak, 0), NIL);
        assert_eq!(heap.fetch(weak, 1), roots[1]);
        assert_eq!(heap.fetch(weak, 2), NIL);
        assert_eq!(heap.fetch(weak, 3), roots[2]);
        assert!(!heap.is_young(roots[2]));
        let stats = heap.stats();
        assert_eq!((stats.eden_used, stats.survivor_used), (0, 0));
        assert!(heap.remembered.is_empty());
    }

    #[test]
    fn a_pinned_base_stays_in_place_and_only_what_is_above_it_compacts() {
        let mut heap = small_heap();
        let base_dead = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let base_kept = heap.allocate_old(5, Format::Fixed, 2).expect("room");
        let weak = heap.allocate_old(5, Format::Weak, 2).expect("room");
        let base_len = heap.stats().old_used;
        let path = std::env::temp_dir().join(format!("smalt-pinned-{}.bin", std::process::id()));
        std::fs::write(&path, b"stands in for an image").expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let _ = std::fs::remove_file(&path);
        heap.set_mapped_base(Some(MappedBase { path, file, file_offset: 0, len: base_len, identity: [0; 32] }));
        // Above the base: garbage, then an object only a dead base object
        // refers to, then one a live base object refers to.
        let above_dead = heap.allocate_old(5, Format::Fixed, 3).expect("room");
        let kept_by_dead = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let kept_by_live = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let young_only_weakly = heap.allocate(5, Format::Fixed, 1).expect("room");
        let _ = above_dead;
        heap.store(base_dead, 0, kept_by_dead);
        heap.store(base_kept, 0, kept_by_live);
        heap.store(weak, 0, young_only_weakly);
        heap.store(weak, 1, base_dead);
        let mut roots = vec![base_kept];
        heap.full_collect(&mut roots);
        check(&heap, &mut roots);
        assert_eq!(roots[0], base_kept, "the base did not move");
        assert_eq!(heap.fetch(weak, 0), NIL, "a dead young object is cleared from weak slots");
        assert_eq!(heap.fetch(weak, 1), base_dead, "every base object counts as live");
        let moved_dead = heap.fetch(base_dead, 0);
        let moved_live = heap.fetch(base_kept, 0);
        assert_eq!(moved_dead, Oop::from_offset(base_len), "the garbage above the base is gone");
        assert_eq!(moved_live, Oop::from_offset(base_len + 16));
        assert_eq!(heap.stats().old_used, base_len + 32);
        // A full image save unpins: then the base compacts too.
        heap.set_base_pinned(false);
        heap.full_collect(&mut roots);
        check(&heap, &mut roots);
        assert_eq!(roots[0], base_dead, "base_kept slid down over base_dead");
    }

    #[test]
    fn old_space_growth_asks_for_a_full_collection() {
        let mut heap = small_heap();
        let mut roots = vec![];
        while !heap.needs_collection() {
            heap.allocate_old(5, Format::Words64, 1000).expect("room");
        }
        heap.collect(&mut roots);
        assert_eq!(heap.stats().full_collections, 1);
        assert_eq!(heap.stats().old_used, 56);
        assert!(!heap.needs_collection());
    }

    #[test]
    fn stress_mode_collects_every_time_and_stays_consistent() {
        let mut heap = heap_with(HeapConfig { max_heap: 64 << 20, eden_bytes: 64 << 10, gc_stress: true });
        heap.set_stress_full_every(10);
        let table = heap.allocate_old(5, Format::Indexable, 64).expect("room");
        let mut roots = vec![table, NIL];
        for i in 0..1000usize {
            assert!(heap.needs_collection());
            let o = heap.allocate(5, Format::Fixed, 2).expect("room");
            heap.store(o, 0, roots[1]);
            heap.store(o, 1, Oop::small_integer(i as i64));
            roots[1] = o;
            heap.store(roots[0], i % 64, o);
            let before = roots[1];
            heap.collect(&mut roots);
            assert_ne!(roots[1], before, "every survivor moves in stress mode");
        }
        check(&heap, &mut roots);
        let mut n = 0;
        let mut o = roots[1];
        while o != NIL {
            n += 1;
            o = heap.fetch(o, 0);
        }
        assert_eq!(n, 1000);
        assert_eq!(heap.stats().full_collections, 100);
    }
}
