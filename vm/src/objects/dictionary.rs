//! The VM's side of two hashed structures the stdlib also uses: Dictionaries
//! of bindings keyed by Symbols (globals, class pools, workspace variables)
//! and MethodDictionaries. The layouts and probe sequences are fixed in
//! [`layout`](super::layout) so that Smalltalk code and the VM agree.

use super::layout::{association, dictionary, method_dict, KnownClass};
use super::memory::ObjectMemory;
use crate::heap::{Format, Oop};
use crate::VmError;

impl ObjectMemory {
    /// An empty Dictionary-shaped object of `class` with room for `capacity` entries.
    pub fn new_dictionary(&mut self, class: KnownClass, capacity: usize) -> Result<Oop, VmError> {
        let dict = self.allocate(class, Format::Fixed, 2)?;
        let array = self.new_array(capacity.max(4))?;
        self.heap.store(dict, dictionary::TALLY, Oop::small_integer(0));
        self.heap.store(dict, dictionary::ARRAY, array);
        Ok(dict)
    }

    /// The Association for `key` (a Symbol) in a Dictionary, if present.
    pub fn dictionary_binding(&self, dict: Oop, key: Oop) -> Option<Oop> {
        let array = self.heap.fetch(dict, dictionary::ARRAY);
        let size = self.heap.num_slots(array);
        if size == 0 {
            return None;
        }
        let mut i = self.key_hash(key) as usize % size;
        for _ in 0..size {
            let assoc = self.heap.fetch(array, i);
            if assoc == self.nil() {
                return None;
            }
            if self.heap.fetch(assoc, association::KEY) == key {
                return Some(assoc);
            }
            i = (i + 1) % size;
        }
        None
    }

    /// Adds an Association whose key is not in the Dictionary yet.
    pub fn dictionary_add(&mut self, dict: Oop, assoc: Oop) -> Result<(), VmError> {
        let tally = self.heap.fetch(dict, dictionary::TALLY).as_small_integer() as usize + 1;
        let array = self.heap.fetch(dict, dictionary::ARRAY);
        if tally * 4 > self.heap.num_slots(array) * 3 {
            self.grow_dictionary(dict, self.heap.num_slots(array) * 2)?;
        }
        let array = self.heap.fetch(dict, dictionary::ARRAY);
        Self::place_association(self, array, assoc);
        self.heap.store(dict, dictionary::TALLY, Oop::small_integer(tally as i64));
        Ok(())
    }

    /// `dict at: key put: value` for a Symbol key; answers the binding.
    pub fn dictionary_at_put(&mut self, dict: Oop, key: Oop, value: Oop) -> Result<Oop, VmError> {
        if let Some(assoc) = self.dictionary_binding(dict, key) {
            self.heap.store(assoc, association::VALUE, value);
            return Ok(assoc);
        }
        let assoc = self.new_association(key, value)?;
        self.dictionary_add(dict, assoc)?;
        Ok(assoc)
    }

    /// Removes `key`'s Association, answering it.
    pub fn dictionary_remove(&mut self, dict: Oop, key: Oop) -> Option<Oop> {
        let assoc = self.dictionary_binding(dict, key)?;
        let array = self.heap.fetch(dict, dictionary::ARRAY);
        let size = self.heap.num_slots(array);
        let mut i = (0..size).find(|&i| self.heap.fetch(array, i) == assoc)?;
        self.heap.store(array, i, self.nil());
        // Re-place the rest of the probe cluster so no entry is cut off.
        loop {
            i = (i + 1) % size;
            let next = self.heap.fetch(array, i);
            if next == self.nil() {
                break;
            }
            self.heap.store(array, i, self.nil());
            self.place_association(array, next);
        }
        let tally = self.heap.fetch(dict, dictionary::TALLY).as_small_integer();
        self.heap.store(dict, dictionary::TALLY, Oop::small_integer(tally - 1));
        Some(assoc)
    }

    /// Every Association in a Dictionary.
    pub fn dictionary_associations(&self, dict: Oop) -> Vec<Oop> {
        let array = self.heap.fetch(dict, dictionary::ARRAY);
        (0..self.heap.num_slots(array)).map(|i| self.heap.fetch(array, i)).filter(|&a| a != self.nil()).collect()
    }

    /// The hash a Dictionary probes with for the keys the VM uses: a Symbol's
    /// identity hash (its string hash), a SmallInteger's value, a Character's
    /// code point. The VM puts no Float keys in its dictionaries; an
    /// immediate one would hash by its bits (a slot, not `Float>>hash`).
    pub fn key_hash(&self, key: Oop) -> u64 {
        if let Some(v) = key.to_small_integer() {
            v.unsigned_abs()
        } else if key.is_character() {
            key.as_character() as u64
        } else if key.is_float() {
            key.bits() >> 3
        } else {
            self.heap.identity_hash(key) as u64
        }
    }

    fn place_association(&mut self, array: Oop, assoc: Oop) {
        let size = self.heap.num_slots(array);
        let key = self.heap.fetch(assoc, association::KEY);
        let mut i = self.key_hash(key) as usize % size;
        while self.heap.fetch(array, i) != self.nil() {
            i = (i + 1) % size;
        }
        self.heap.store(array, i, assoc);
    }

    fn grow_dictionary(&mut self, dict: Oop, capacity: usize) -> Result<(), VmError> {
        let old = self.heap.fetch(dict, dictionary::ARRAY);
        let entries: Vec<Oop> =
            (0..self.heap.num_slots(old)).map(|i| self.heap.fetch(old, i)).filter(|&a| a != self.nil()).collect();
        let array = self.new_array(capacity)?;
        for assoc in entries {
            self.place_association(array, assoc);
        }
        self.heap.store(dict, dictionary::ARRAY, array);
        Ok(())
    }

    // ----- method dictionaries -----

    /// An empty MethodDictionary with `capacity` pairs (rounded up to a power of two).
    pub fn new_method_dictionary(&mut self, capacity: usize) -> Result<Oop, VmError> {
        let capacity = capacity.max(4).next_power_of_two();
        let md = self.allocate(KnownClass::MethodDictionary, Format::FixedIndexable, 1 + 2 * capacity)?;
        self.heap.store(md, method_dict::TALLY, Oop::small_integer(0));
        Ok(md)
    }

    fn method_dict_capacity(&self, md: Oop) -> usize {
        (self.heap.num_slots(md) - method_dict::FIRST_PAIR) / 2
    }

    /// The method for `selector` in a MethodDictionary.
    pub fn method_dict_at(&self, md: Oop, selector: Oop) -> Option<Oop> {
        if md == self.nil() {
            return None;
        }
        let capacity = self.method_dict_capacity(md);
        if capacity == 0 {
            return None;
        }
        let mut i = self.heap.identity_hash(selector) as usize & (capacity - 1);
        for _ in 0..capacity {
            let key = self.heap.fetch(md, method_dict::FIRST_PAIR + 2 * i);
            if key == selector {
                return Some(self.heap.fetch(md, method_dict::FIRST_PAIR + 2 * i + 1));
            }
            if key == self.nil() {
                return None;
            }
            i = (i + 1) & (capacity - 1);
        }
        None
    }

    /// Stores `method` under `selector`; answers the dictionary, which is a new,
    /// larger one when the old was too full (the caller stores it in its class).
    pub fn method_dict_at_put(&mut self, md: Oop, selector: Oop, method: Oop) -> Result<Oop, VmError> {
        let capacity = self.method_dict_capacity(md);
        let tally = self.heap.fetch(md, method_dict::TALLY).as_small_integer() as usize;
        if self.method_dict_at(md, selector).is_none() && (tally + 1) * 4 > capacity * 3 {
            let bigger = self.new_method_dictionary(capacity * 2)?;
            let mut target = bigger;
            for (sel, m) in self.method_dict_pairs(md) {
                target = self.method_dict_at_put(target, sel, m)?;
            }
            return self.method_dict_at_put(target, selector, method);
        }
        let mut i = self.heap.identity_hash(selector) as usize & (capacity - 1);
        loop {
            let key = self.heap.fetch(md, method_dict::FIRST_PAIR + 2 * i);
            if key == selector {
                self.heap.store(md, method_dict::FIRST_PAIR + 2 * i + 1, method);
                return Ok(md);
            }
            if key == self.nil() {
                self.heap.store(md, method_dict::FIRST_PAIR + 2 * i, selector);
                self.heap.store(md, method_dict::FIRST_PAIR + 2 * i + 1, method);
                self.heap.store(md, method_dict::TALLY, Oop::small_integer(tally as i64 + 1));
                return Ok(md);
            }
            i = (i + 1) & (capacity - 1);
        }
    }

    /// Removes `selector`, answering its method; re-places the probe cluster after it.
    pub fn method_dict_remove(&mut self, md: Oop, selector: Oop) -> Result<Option<Oop>, VmError> {
        let Some(method) = self.method_dict_at(md, selector) else { return Ok(None) };
        let pairs: Vec<(Oop, Oop)> = self.method_dict_pairs(md).into_iter().filter(|(s, _)| *s != selector).collect();
        let capacity = self.method_dict_capacity(md);
        for i in 0..capacity * 2 {
            self.heap.store(md, method_dict::FIRST_PAIR + i, self.nil());
        }
        self.heap.store(md, method_dict::TALLY, Oop::small_integer(0));
        for (s, m) in pairs {
            self.method_dict_at_put(md, s, m)?;
        }
        Ok(Some(method))
    }

    /// Every (selector, method) pair.
    pub fn method_dict_pairs(&self, md: Oop) -> Vec<(Oop, Oop)> {
        if md == self.nil() {
            return Vec::new();
        }
        (0..self.method_dict_capacity(md))
            .map(|i| {
                (
                    self.heap.fetch(md, method_dict::FIRST_PAIR + 2 * i),
                    self.heap.fetch(md, method_dict::FIRST_PAIR + 2 * i + 1),
                )
            })
            .filter(|(s, _)| *s != self.nil())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::objects::layout::{association, KnownClass};
    use crate::objects::memory::tests::memory;

    #[test]
    fn bindings_survive_growth_and_removal() {
        let mut mem = memory();
        let dict = mem.new_dictionary(KnownClass::Dictionary, 4).expect("room");
        let keys: Vec<_> = (0..200).map(|i| mem.intern(&format!("k{i}")).expect("room")).collect();
        for (i, k) in keys.iter().enumerate() {
            mem.dictionary_at_put(dict, *k, crate::heap::Oop::small_integer(i as i64)).expect("room");
        }
        for (i, k) in keys.iter().enumerate().step_by(3) {
            let removed = mem.dictionary_remove(dict, *k).expect("present");
            assert_eq!(mem.heap.fetch(removed, association::VALUE).as_small_integer(), i as i64);
        }
        for (i, k) in keys.iter().enumerate() {
            let found = mem.dictionary_binding(dict, *k);
            if i % 3 == 0 {
                assert!(found.is_none());
            } else {
                let b = found.expect("kept");
                assert_eq!(mem.heap.fetch(b, association::VALUE).as_small_integer(), i as i64);
            }
        }
        assert_eq!(mem.dictionary_associations(dict).len(), 200 - 67);
    }

    #[test]
    fn method_dictionaries_grow_and_remove() {
        let mut mem = memory();
        let mut md = mem.new_method_dictionary(4).expect("room");
        let sels: Vec<_> = (0..100).map(|i| mem.intern(&format!("m{i}")).expect("room")).collect();
        for (i, s) in sels.iter().enumerate() {
            md = mem.method_dict_at_put(md, *s, crate::heap::Oop::small_integer(i as i64)).expect("room");
        }
        assert_eq!(mem.method_dict_remove(md, sels[7]).expect("room").map(|m| m.as_small_integer()), Some(7));
        for (i, s) in sels.iter().enumerate() {
            let found = mem.method_dict_at(md, *s).map(|m| m.as_small_integer());
            assert_eq!(found, if i == 7 { None } else { Some(i as i64) });
        }
        assert_eq!(mem.method_dict_pairs(md).len(), 99);
    }
}
