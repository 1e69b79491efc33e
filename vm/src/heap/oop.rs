//! Object references: one tagged 64-bit word.
//!
//! ```text
//!  63                                                3  2  1  0
//! +---------------------------------------------------+--+--+--+
//! |  byte offset of the object's header from the base  | 0  0  0 |  heap object
//! +---------------------------------------------------+--+--+--+
//! |  63-bit two's-complement integer                          | 1 |  SmallInteger
//! +---------------------------------------------------+--+--+--+
//! |  Unicode code point                                | 0  1  0 |  Character
//! +---------------------------------------------------+--+--+--+
//! ```
//!
//! A heap reference holds an *offset* from the heap's base, never a machine
//! address, so a heap mapped at any address stays valid with no relocation.
//! Offset 0 is never an object. Tags `100` and `110` are reserved (an
//! immediate float will take one). This module knows nothing of classes.

use std::fmt;

/// An object reference: a heap offset or an immediate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Oop(u64);

const TAG_MASK: u64 = 0b111;
const TAG_CHARACTER: u64 = 0b010;

/// The smallest SmallInteger.
pub const SMALL_INTEGER_MIN: i64 = -(1 << 62);
/// The largest SmallInteger.
pub const SMALL_INTEGER_MAX: i64 = (1 << 62) - 1;

impl Oop {
    /// The raw word, as stored in a slot.
    #[inline]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The Oop a stored word denotes.
    #[inline]
    pub const fn from_bits(bits: u64) -> Oop {
        Oop(bits)
    }

    /// A reference to the object whose header is at `offset` (8-byte aligned, non-zero).
    #[inline]
    pub const fn from_offset(offset: usize) -> Oop {
        debug_assert!(offset & 7 == 0 && offset != 0);
        Oop(offset as u64)
    }

    /// Whether this refers to a heap object (as opposed to an immediate).
    #[inline]
    pub const fn is_object(self) -> bool {
        self.0 & TAG_MASK == 0
    }

    /// Whether this is an immediate (a SmallInteger or a Character).
    #[inline]
    pub const fn is_immediate(self) -> bool {
        !self.is_object()
    }

    /// The header's byte offset from the heap base; only for heap objects.
    #[inline]
    pub const fn offset(self) -> usize {
        debug_assert!(self.is_object());
        self.0 as usize
    }

    #[inline]
    pub const fn is_small_integer(self) -> bool {
        self.0 & 1 == 1
    }

    /// A SmallInteger; `value` must be in range (see [`Oop::try_small_integer`]).
    #[inline]
    pub const fn small_integer(value: i64) -> Oop {
        debug_assert!(value >= SMALL_INTEGER_MIN && value <= SMALL_INTEGER_MAX);
        Oop(((value as u64) << 1) | 1)
    }

    /// A SmallInteger, if `value` fits in 63 bits.
    #[inline]
    pub fn try_small_integer(value: i64) -> Option<Oop> {
        (SMALL_INTEGER_MIN..=SMALL_INTEGER_MAX).contains(&value).then(|| Oop::small_integer(value))
    }

    /// The value of a SmallInteger; only for SmallIntegers.
    #[inline]
    pub const fn as_small_integer(self) -> i64 {
        debug_assert!(self.is_small_integer());
        (self.0 as i64) >> 1
    }

    /// The value if this is a SmallInteger.
    #[inline]
    pub fn to_small_integer(self) -> Option<i64> {
        self.is_small_integer().then(|| self.as_small_integer())
    }

    #[inline]
    pub const fn is_character(self) -> bool {
        self.0 & TAG_MASK == TAG_CHARACTER
    }

    /// A Character of any code point up to 0x10FFFF (surrogates included, as
    /// a Character may hold one).
    #[inline]
    pub const fn character(code_point: u32) -> Oop {
        Oop(((code_point as u64) << 3) | TAG_CHARACTER)
    }

    /// The code point of a Character; only for Characters.
    #[inline]
    pub const fn as_character(self) -> u32 {
        debug_assert!(self.is_character());
        (self.0 >> 3) as u32
    }
}

impl fmt::Debug for Oop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_small_integer() {
            write!(f, "Oop({})", self.as_small_integer())
        } else if self.is_character() {
            write!(f, "Oop(${:#x})", self.as_character())
        } else if self.is_object() {
            write!(f, "Oop(@{:#x})", self.0)
        } else {
            write!(f, "Oop(?{:#x})", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_integers_round_trip_at_the_edges() {
        for v in [0, 1, -1, 42, SMALL_INTEGER_MIN, SMALL_INTEGER_MAX] {
            let oop = Oop::small_integer(v);
            assert!(oop.is_small_integer() && !oop.is_object() && !oop.is_character());
            assert_eq!(oop.as_small_integer(), v);
        }
        assert_eq!(Oop::try_small_integer(SMALL_INTEGER_MAX + 1), None);
        assert_eq!(Oop::try_small_integer(SMALL_INTEGER_MIN - 1), None);
    }

    #[test]
    fn characters_and_objects_are_told_apart() {
        let c = Oop::character(0x10FFFF);
        assert!(c.is_character() && !c.is_small_integer() && !c.is_object());
        assert_eq!(c.as_character(), 0x10FFFF);
        let o = Oop::from_offset(4096);
        assert!(o.is_object() && !o.is_immediate());
        assert_eq!(o.offset(), 4096);
        assert_eq!(Oop::from_bits(o.bits()), o);
    }
}
