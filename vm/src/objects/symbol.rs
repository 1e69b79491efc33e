//! Symbols: unique strings, interned in a table that lives in the heap.
//!
//! The table is an Array used as an open-addressed hash set, probed linearly
//! from `string_hash & (capacity - 1)`; its count is a special object. A
//! Symbol's identity hash *is* its string hash, so `Symbol>>hash`,
//! `String>>hash` and the VM's dictionaries all agree.

use super::layout::{special, KnownClass};
use super::memory::ObjectMemory;
use crate::heap::{header::HASH_MASK, Format, Oop};
use crate::VmError;

/// The 22-bit hash of a string of code points (FNV-1a over code points).
pub fn string_hash(code_points: impl IntoIterator<Item = u32>) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for cp in code_points {
        h ^= cp;
        h = h.wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 22)) & HASH_MASK
}

const INITIAL_CAPACITY: usize = 4096;

impl ObjectMemory {
    /// Creates the empty symbol table.
    pub fn init_symbol_table(&mut self) -> Result<(), VmError> {
        let table = self.new_array(INITIAL_CAPACITY)?;
        self.set_special_object(special::SYMBOL_TABLE, table);
        self.set_special_object(special::SYMBOL_COUNT, Oop::small_integer(0));
        Ok(())
    }

    /// The Symbol with these characters, made if it does not exist yet.
    pub fn intern(&mut self, name: &str) -> Result<Oop, VmError> {
        let chars: Vec<u32> = name.chars().map(|c| c as u32).collect();
        self.intern_code_points(&chars)
    }

    /// The Symbol with these code points, made if it does not exist yet.
    pub fn intern_code_points(&mut self, chars: &[u32]) -> Result<Oop, VmError> {
        let hash = string_hash(chars.iter().copied());
        let (slot, found) = self.probe_symbol(chars, hash);
        if let Some(symbol) = found {
            return Ok(symbol);
        }
        let symbol = if chars.iter().all(|&c| c < 256) {
            let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).collect();
            self.new_bytes(KnownClass::Symbol, &bytes)?
        } else {
            let slots = chars.len().div_ceil(2);
            let unused = (chars.len() % 2) as u8;
            let oop = self.allocate(KnownClass::Symbol, Format::Words32 { unused }, slots)?;
            let bytes = self.heap.bytes_mut(oop);
            for (i, c) in chars.iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&c.to_le_bytes());
            }
            oop
        };
        let header = self.heap.header(symbol).with_identity_hash(hash);
        self.heap.set_header(symbol, header);
        let table = self.special_object(special::SYMBOL_TABLE);
        self.heap.store(table, slot, symbol);
        let count = self.special_object(special::SYMBOL_COUNT).as_small_integer() as usize + 1;
        self.set_special_object(special::SYMBOL_COUNT, Oop::small_integer(count as i64));
        if count * 2 > self.heap.num_slots(table) {
            self.grow_symbol_table()?;
        }
        Ok(symbol)
    }

    /// The Symbol with these characters, if one exists.
    pub fn lookup_symbol(&self, name: &str) -> Option<Oop> {
        let chars: Vec<u32> = name.chars().map(|c| c as u32).collect();
        self.probe_symbol(&chars, string_hash(chars.iter().copied())).1
    }

    /// The slot where `chars` is or would go, and the Symbol if it is there.
    fn probe_symbol(&self, chars: &[u32], hash: u32) -> (usize, Option<Oop>) {
        let table = self.special_object(special::SYMBOL_TABLE);
        let capacity = self.heap.num_slots(table);
        let mut i = hash as usize & (capacity - 1);
        loop {
            let candidate = self.heap.fetch(table, i);
            if candidate == self.nil() {
                return (i, None);
            }
            if self.heap.identity_hash(candidate) == hash && self.symbol_equals(candidate, chars) {
                return (i, Some(candidate));
            }
            i = (i + 1) & (capacity - 1);
        }
    }

    fn symbol_equals(&self, symbol: Oop, chars: &[u32]) -> bool {
        match self.heap.format_of(symbol) {
            Format::Bytes { .. } => {
                let bytes = self.heap.bytes(symbol);
                bytes.len() == chars.len() && bytes.iter().zip(chars).all(|(&b, &c)| b as u32 == c)
            }
            _ => self.code_points(symbol).is_some_and(|cps| cps == chars),
        }
    }

    fn grow_symbol_table(&mut self) -> Result<(), VmError> {
        let old = self.special_object(special::SYMBOL_TABLE);
        let old_capacity = self.heap.num_slots(old);
        let table = self.new_array(old_capacity * 2)?;
        let capacity = old_capacity * 2;
        for i in 0..old_capacity {
            let symbol = self.heap.fetch(old, i);
            if symbol == self.nil() {
                continue;
            }
            let mut j = self.heap.identity_hash(symbol) as usize & (capacity - 1);
            while self.heap.fetch(table, j) != self.nil() {
                j = (j + 1) & (capacity - 1);
            }
            self.heap.store(table, j, symbol);
        }
        self.set_special_object(special::SYMBOL_TABLE, table);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::memory::tests::memory;

    #[test]
    fn interning_answers_one_symbol_per_string_across_growth() {
        let mut mem = memory();
        let first = mem.intern("at:put:").expect("room");
        let mut made = Vec::new();
        for i in 0..5000 {
            made.push(mem.intern(&format!("sym{i}")).expect("room"));
        }
        assert_eq!(mem.intern("at:put:").expect("room"), first);
        for (i, s) in made.iter().enumerate() {
            assert_eq!(mem.lookup_symbol(&format!("sym{i}")), Some(*s));
        }
        assert_eq!(mem.lookup_symbol("never made"), None);
        assert!(mem.is_symbol(first));
        assert_eq!(mem.heap.identity_hash(first), string_hash("at:put:".chars().map(|c| c as u32)));
    }

    #[test]
    fn wide_symbols_are_interned_too() {
        let mut mem = memory();
        let a = mem.intern("λ").expect("room");
        assert_eq!(mem.intern("λ").expect("room"), a);
        assert_eq!(mem.string_value(a).as_deref(), Some("λ"));
    }
}
