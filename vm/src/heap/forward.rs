//! One-way become: redirecting every reference to some objects to others.
//!
//! `forward_references` rewrites, in one walk of every space and the roots,
//! each reference slot (strong, weak, and a code object's literals) that
//! holds a key of the pairs. It moves no object and keeps the write
//! barrier's invariant: an old object that now refers to a young one is
//! remembered. The objects that were forwarded from stay in the heap until
//! a collection finds them unreferenced.

use std::collections::HashMap;

use super::{Heap, Oop, Roots};

impl Heap {
    /// Makes every reference to `pair.0`, anywhere in the heap or in
    /// `roots`, refer to `pair.1` instead (Smalltalk's `becomeForward:`).
    ///
    /// # GC
    /// Moves no object, but rewrites references in `roots`; the VM calls it
    /// at a safe point like a collection.
    #[doc(alias = "becomeForward:")]
    pub fn forward_references(&mut self, roots: &mut dyn Roots, pairs: &[(Oop, Oop)]) {
        let map: HashMap<Oop, Oop> = pairs.iter().copied().filter(|(a, _)| a.is_object()).collect();
        if map.is_empty() {
            return;
        }
        roots.visit(&mut |slot: &mut Oop| {
            if let Some(&to) = map.get(slot) {
                *slot = to;
            }
        });
        let mut to_remember = Vec::new();
        for (from, to) in self.spaces() {
            let mut start = from;
            while start < to {
                let h = self.header_from_start(start);
                start = self.end_of(h);
                let mut young = false;
                let n = self.reference_slots(h);
                for i in 0..n {
                    let at = h + 8 + 8 * i;
                    let value = Oop::from_bits(self.region.read(at));
                    if let Some(&new) = value.is_object().then(|| map.get(&value)).flatten() {
                        self.region.write(at, new.bits());
                        young |= self.is_young(new);
                    }
                }
                if young && h < self.nursery_start {
                    to_remember.push(h);
                }
            }
        }
        for h in to_remember {
            self.remember(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, small_heap};
    use super::super::*;

    #[test]
    fn every_reference_to_the_old_object_now_refers_to_the_new() {
        let mut heap = small_heap();
        let a = heap.allocate_old(5, Format::Fixed, 1).expect("room");
        let b = heap.allocate(5, Format::Fixed, 1).expect("room");
        let holder_old = heap.allocate_old(5, Format::Indexable, 3).expect("room");
        let holder_young = heap.allocate(5, Format::Weak, 1).expect("room");
        let code = heap.allocate(6, Format::code_for(4), 3).expect("room");
        heap.store(holder_old, 0, a);
        heap.store(holder_old, 2, a);
        heap.store(holder_young, 0, a);
        heap.store(code, 0, Oop::small_integer(1));
        heap.store(code, 1, a);
        heap.words_mut(code)[2] = a.bits(); // bytecodes: untouched
        let mut roots = vec![a, holder_old, holder_young, code];
        heap.forward_references(&mut roots, &[(a, b)]);
        assert_eq!(roots[0], b);
        assert_eq!(heap.fetch(holder_old, 0), b);
        assert_eq!(heap.fetch(holder_old, 1), NIL);
        assert_eq!(heap.fetch(holder_old, 2), b);
        assert_eq!(heap.fetch(holder_young, 0), b);
        assert_eq!(heap.fetch(code, 1), b);
        assert_eq!(heap.words(code)[2], a.bits());
        assert!(heap.header(holder_old).is_remembered());
        check(&heap, &mut roots);
        heap.scavenge(&mut roots);
        check(&heap, &mut roots);
        assert_eq!(heap.fetch(roots[1], 0), roots[0]);
    }
}
