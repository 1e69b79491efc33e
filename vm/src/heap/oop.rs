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
//! | exponent-896 (8) |  mantissa (52)         | sign  | 1  0  0 |  immediate Float
//! +---------------------------------------------------+--+--+--+
//! ```
//!
//! A heap reference holds an *offset* from the heap's base, never a machine
//! address, so a heap mapped at any address stays valid with no relocation.
//! Offset 0 is never an object. Tag `110` is reserved and never appears.
//! This module knows nothing of classes.
//!
//! # Immediate Floats
//!
//! As Spur's SmallFloat64: an IEEE double whose 11-bit biased exponent `e`
//! lies in 897..=1151 (magnitudes from 2^-126 up to but excluding 2^129) is
//! held in the Oop itself. Its bits are rotated left by one, so the sign
//! lands in bit 0 under the exponent and mantissa; 896 is taken off the
//! exponent, which then fits in 8 bits; and the word is shifted over the tag.
//! ±0.0 (exponent 0, mantissa 0) rotates to 0 or 1 and is stored as is, so
//! both zeros are immediate too. Every other double (subnormals, magnitudes
//! outside the range, infinities, NaNs) is not immediate: the object memory
//! keeps it as a boxed Float on the heap. A double is immediate whenever it
//! can be, so two immediate Floats are `==` exactly when their bits agree.

use std::fmt;

/// An object reference: a heap offset or an immediate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Oop(u64);

const TAG_MASK: u64 = 0b111;
const TAG_CHARACTER: u64 = 0b010;
const TAG_FLOAT: u64 = 0b100;

/// What is taken off a double's biased exponent in an immediate Float.
const FLOAT_EXPONENT_OFFSET: u64 = 896;
/// Where the exponent starts in a double rotated left by one bit.
const ROTATED_EXPONENT_SHIFT: u32 = 53;

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

    /// Whether this is an immediate (a SmallInteger, a Character or an immediate Float).
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

    /// Whether this is an immediate Float (a Float may also be a heap object).
    #[inline]
    pub const fn is_float(self) -> bool {
        self.0 & TAG_MASK == TAG_FLOAT
    }

    /// The immediate Float for `value`, if its exponent is in the immediate
    /// range or it is a zero (see the module comment); None for the doubles
    /// that must be boxed.
    #[inline(always)]
    pub const fn try_float(value: f64) -> Option<Oop> {
        let bits = value.to_bits();
        let exponent = (bits >> 52) & 0x7FF;
        let rotated = bits.rotate_left(1);
        if exponent > FLOAT_EXPONENT_OFFSET && exponent <= FLOAT_EXPONENT_OFFSET + 255 {
            Some(Oop(((rotated - (FLOAT_EXPONENT_OFFSET << ROTATED_EXPONENT_SHIFT)) << 3) | TAG_FLOAT))
        } else if rotated <= 1 {
            Some(Oop((rotated << 3) | TAG_FLOAT))
        } else {
            None
        }
    }

    /// The value of an immediate Float; only for immediate Floats.
    #[inline(always)]
    pub const fn as_float(self) -> f64 {
        debug_assert!(self.is_float());
        let mut rotated = self.0 >> 3;
        if rotated > 1 {
            rotated += FLOAT_EXPONENT_OFFSET << ROTATED_EXPONENT_SHIFT;
        }
        f64::from_bits(rotated.rotate_right(1))
    }

    /// The value if this is an immediate Float.
    #[inline]
    pub fn to_float(self) -> Option<f64> {
        self.is_float().then(|| self.as_float())
    }
}

impl fmt::Debug for Oop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_small_integer() {
            write!(f, "Oop({})", self.as_small_integer())
        } else if self.is_character() {
            write!(f, "Oop(${:#x})", self.as_character())
        } else if self.is_float() {
            write!(f, "Oop({:?}f)", self.as_float())
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

    /// The smallest positive double with biased exponent `e` and mantissa 0.
    fn power_of_two(e: u64) -> f64 {
        f64::from_bits(e << 52)
    }

    /// A double that is immediate decodes to the same bits, is only a Float,
    /// and a double that is not answers None.
    fn check(value: f64, immediate: bool) {
        match Oop::try_float(value) {
            Some(oop) => {
                assert!(immediate, "{value:e} ({:#x}) should be boxed", value.to_bits());
                assert!(oop.is_float() && oop.is_immediate(), "{value:e}");
                assert!(!oop.is_object() && !oop.is_small_integer() && !oop.is_character(), "{value:e}");
                assert_eq!(oop.as_float().to_bits(), value.to_bits(), "{value:e}");
                assert_eq!(oop.to_float().map(f64::to_bits), Some(value.to_bits()));
            }
            None => assert!(!immediate, "{value:e} ({:#x}) should be immediate", value.to_bits()),
        }
    }

    #[test]
    fn floats_in_the_immediate_range_round_trip_and_others_are_refused() {
        for sign in [1.0, -1.0] {
            // Both zeros.
            check(sign * 0.0, true);
            // Common values.
            for v in [1.0, 0.1, 1.5, std::f64::consts::PI, 1e-30, 1e30, 6.02214076e23] {
                check(sign * v, true);
            }
            // The exact edges: 2^-126 is the smallest immediate magnitude, the
            // largest double below 2^129 the largest; one ulp beyond each is boxed.
            let smallest = power_of_two(897);
            assert_eq!(smallest, 2f64.powi(-126));
            check(sign * smallest, true);
            check(sign * f64::from_bits(smallest.to_bits() - 1), false);
            let largest = f64::from_bits(power_of_two(1152).to_bits() - 1);
            check(sign * largest, true);
            check(sign * power_of_two(1152), false);
            assert_eq!(power_of_two(1152), 2f64.powi(129));
            // Subnormals, the largest and smallest normals, infinities.
            for v in
                [f64::from_bits(1), f64::from_bits(0x000F_FFFF_FFFF_FFFF), f64::MIN_POSITIVE, f64::MAX, f64::INFINITY]
            {
                check(sign * v, false);
            }
        }
        for nan in [f64::NAN, -f64::NAN, f64::from_bits(0x7FF0_0000_0000_0001), f64::from_bits(0xFFF8_0000_0000_0001)] {
            check(nan, false);
        }
    }

    #[test]
    fn immediate_floats_compare_by_bits() {
        let a = Oop::try_float(1.5).expect("immediate");
        assert_eq!(a, Oop::try_float(3.0 / 2.0).expect("immediate"));
        assert_ne!(Oop::try_float(0.0), Oop::try_float(-0.0));
        assert_eq!(a.bits() & 7, 0b100);
        // A mantissa of all ones in the largest exponent stays clear of the top bits.
        let top = Oop::try_float(-f64::from_bits(power_of_two(1152).to_bits() - 1)).expect("immediate");
        assert!(top.is_float());
    }
}
