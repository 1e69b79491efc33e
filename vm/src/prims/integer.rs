//! Integer primitives: SmallInteger arithmetic (1-20), which fails whenever
//! an operand or the answer is not a SmallInteger, and the Integer
//! primitives (21-44), which take any mix of SmallIntegers and LargeIntegers
//! and answer normalised Integers.
//!
//! The arithmetic is in pure functions ([`small_op`] over i128, [`big_op`]
//! over BigInt); the primitives only read operands and allocate answers.
//! How a LargeInteger is laid out is ObjectMemory's business, not this
//! module's. Nothing here reaches a safe point.

use num_bigint::BigInt;
use num_integer::Integer as IntegerOps;
use num_traits::{Signed, ToPrimitive, Zero};

use super::index::Primitive as P;
use super::number_text;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::Oop;
use crate::interp::Vm;
use crate::objects::layout::KnownClass;

/// The largest Integer, in bits, a shift may make; a bigger one fails the
/// primitive rather than exhaust memory.
pub const MAX_SHIFTED_BITS: u64 = 1 << 26;

/// A two-operand Integer operation, shared by the SmallInteger and Integer primitives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerOp {
    Add,
    Subtract,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Equal,
    NotEqual,
    Multiply,
    /// Exact division: fails unless the quotient is whole.
    Divide,
    /// `\\`: the remainder of a division rounded toward negative infinity.
    Modulo,
    /// `//`: the quotient rounded toward negative infinity.
    FloorDivide,
    /// `quo:`: the quotient truncated toward zero.
    Quo,
    BitAnd,
    BitOr,
    BitXor,
    /// Left for a positive count, arithmetic right for a negative one.
    BitShift,
    /// `rem:`: the remainder of a division truncated toward zero.
    Rem,
    /// The non-negative greatest common divisor.
    Gcd,
}

/// What an [`IntegerOp`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegerAnswer<T> {
    Integer(T),
    Boolean(bool),
}

impl IntegerOp {
    /// The operation a primitive performs, if it is a two-operand one.
    pub fn of(prim: P) -> Option<IntegerOp> {
        use IntegerOp as O;
        Some(match prim {
            P::SmallIntegerAdd | P::IntegerAdd => O::Add,
            P::SmallIntegerSubtract | P::IntegerSubtract => O::Subtract,
            P::SmallIntegerLess | P::IntegerLess => O::Less,
            P::SmallIntegerGreater | P::IntegerGreater => O::Greater,
            P::SmallIntegerLessOrEqual | P::IntegerLessOrEqual => O::LessOrEqual,
            P::SmallIntegerGreaterOrEqual | P::IntegerGreaterOrEqual => O::GreaterOrEqual,
            P::SmallIntegerEqual | P::IntegerEqual => O::Equal,
            P::SmallIntegerNotEqual | P::IntegerNotEqual => O::NotEqual,
            P::SmallIntegerMultiply | P::IntegerMultiply => O::Multiply,
            P::SmallIntegerDivide | P::IntegerDivide => O::Divide,
            P::SmallIntegerModulo | P::IntegerModulo => O::Modulo,
            P::SmallIntegerFloorDivide | P::IntegerFloorDivide => O::FloorDivide,
            P::SmallIntegerQuo | P::IntegerQuo => O::Quo,
            P::SmallIntegerBitAnd | P::IntegerBitAnd => O::BitAnd,
            P::SmallIntegerBitOr | P::IntegerBitOr => O::BitOr,
            P::SmallIntegerBitXor | P::IntegerBitXor => O::BitXor,
            P::SmallIntegerBitShift | P::IntegerBitShift => O::BitShift,
            P::SmallIntegerRem | P::IntegerRem => O::Rem,
            P::IntegerGcd => O::Gcd,
            _ => return None,
        })
    }
}

/// `a op b` for SmallInteger-sized operands, exact in i128 (no product or
/// sum of two 63-bit values overflows it). None when the primitive must
/// fail: a zero divisor, an inexact `/`, or a shift whose answer would not
/// fit in an i128 (the Integer primitive then does it in BigInt).
pub fn small_op(op: IntegerOp, a: i64, b: i64) -> Option<IntegerAnswer<i128>> {
    use IntegerAnswer::{Boolean, Integer};
    use IntegerOp as O;
    let (a, b) = (a as i128, b as i128);
    Some(match op {
        O::Add => Integer(a + b),
        O::Subtract => Integer(a - b),
        O::Multiply => Integer(a * b),
        O::Less => Boolean(a < b),
        O::Greater => Boolean(a > b),
        O::LessOrEqual => Boolean(a <= b),
        O::GreaterOrEqual => Boolean(a >= b),
        O::Equal => Boolean(a == b),
        O::NotEqual => Boolean(a != b),
        O::Divide => {
            if b == 0 || a % b != 0 {
                return None;
            }
            Integer(a / b)
        }
        O::Modulo => Integer(nonzero(b).map(|b| IntegerOps::mod_floor(&a, &b))?),
        O::FloorDivide => Integer(nonzero(b).map(|b| IntegerOps::div_floor(&a, &b))?),
        O::Quo => Integer(nonzero(b).map(|b| a / b)?),
        O::Rem => Integer(nonzero(b).map(|b| a % b)?),
        O::BitAnd => Integer(a & b),
        O::BitOr => Integer(a | b),
        O::BitXor => Integer(a ^ b),
        O::BitShift => Integer(shift_i128(a, b)?),
        O::Gcd => Integer(IntegerOps::gcd(&a, &b)),
    })
}

fn nonzero(b: i128) -> Option<i128> {
    (b != 0).then_some(b)
}

/// `a bitShift: count` for a 63-bit `a`, when the answer fits in an i128.
fn shift_i128(a: i128, count: i128) -> Option<i128> {
    if count >= 0 {
        if a == 0 {
            return Some(0);
        }
        // |a| < 2^62, so a shift of up to 64 stays below 2^126.
        (count <= 64).then(|| a << count)
    } else {
        Some(a >> (-count).min(127))
    }
}

/// `a op b` for any Integers. None when the primitive must fail: a zero
/// divisor, an inexact `/`, or a shift to more than [`MAX_SHIFTED_BITS`].
pub fn big_op(op: IntegerOp, a: &BigInt, b: &BigInt) -> Option<IntegerAnswer<BigInt>> {
    use IntegerAnswer::{Boolean, Integer};
    use IntegerOp as O;
    Some(match op {
        O::Add => Integer(a + b),
        O::Subtract => Integer(a - b),
        O::Multiply => Integer(a * b),
        O::Less => Boolean(a < b),
        O::Greater => Boolean(a > b),
        O::LessOrEqual => Boolean(a <= b),
        O::GreaterOrEqual => Boolean(a >= b),
        O::Equal => Boolean(a == b),
        O::NotEqual => Boolean(a != b),
        O::Divide => {
            if b.is_zero() {
                return None;
            }
            let (quotient, remainder) = a.div_rem(b);
            if !remainder.is_zero() {
                return None;
            }
            Integer(quotient)
        }
        O::Modulo if !b.is_zero() => Integer(a.mod_floor(b)),
        O::FloorDivide if !b.is_zero() => Integer(a.div_floor(b)),
        O::Quo if !b.is_zero() => Integer(a / b),
        O::Rem if !b.is_zero() => Integer(a % b),
        O::Modulo | O::FloorDivide | O::Quo | O::Rem => return None,
        // BigInt's bit operations are two's-complement on negatives.
        O::BitAnd => Integer(a & b),
        O::BitOr => Integer(a | b),
        O::BitXor => Integer(a ^ b),
        O::BitShift => Integer(shift_big(a, b)?),
        O::Gcd => Integer(a.gcd(b)),
    })
}

/// `a bitShift: count`: left for a positive count, arithmetic right
/// (toward negative infinity) for a negative one.
fn shift_big(a: &BigInt, count: &BigInt) -> Option<BigInt> {
    if a.is_zero() {
        return Some(BigInt::zero());
    }
    if count.is_negative() {
        let right = count.magnitude().to_u64().unwrap_or(u64::MAX);
        if right >= a.bits() {
            return Some(if a.is_negative() { BigInt::from(-1) } else { BigInt::zero() });
        }
        return Some(a >> right);
    }
    let left = count.to_u64().filter(|&left| a.bits().saturating_add(left) <= MAX_SHIFTED_BITS)?;
    Some(a << left)
}

/// A SmallInteger hash of any Integer, equal for equal values: a
/// SmallInteger is its own hash; a LargeInteger hashes its bytes (FNV-1a)
/// down to 30 bits.
pub fn integer_hash(value: &BigInt) -> i64 {
    if let Some(small) = value.to_i64().filter(|v| Oop::try_small_integer(*v).is_some()) {
        return small;
    }
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in value.to_signed_bytes_le() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    ((hash ^ (hash >> 30) ^ (hash >> 60)) & 0x3FFF_FFFF) as i64
}

/// `highBit`: the 1-based index of the highest set bit (0 for 0); None for negatives.
pub fn high_bit(value: &BigInt) -> Option<u64> {
    (!value.is_negative()).then(|| value.bits())
}

/// `sqrtFloor`: the largest Integer whose square is at most `value`; None for negatives.
pub fn sqrt_floor(value: &BigInt) -> Option<BigInt> {
    (!value.is_negative()).then(|| value.sqrt())
}

// ----- primitives -----

/// `SmallInteger>>#+` and the other SmallInteger primitives (1-20):
/// receiver and argument SmallIntegers, an answer that fits in one, or fail.
pub fn small_integer(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let Some(a) = receiver(vm, argc).to_small_integer() else {
        return Err(PrimError::Fail);
    };
    match prim {
        P::SmallIntegerAsFloat => {
            let float = vm.mem.new_float(a as f64)?;
            answer(vm, argc, float)
        }
        P::IntegerAsCharacter => {
            let code = u32::try_from(a).ok().filter(|&c| c <= 0x10FFFF).ok_or(PrimError::Fail)?;
            answer(vm, argc, Oop::character(code))
        }
        _ => {
            let op = IntegerOp::of(prim).ok_or(PrimError::Fail)?;
            require(argc == 1)?;
            let Some(b) = arg(vm, argc, 0).to_small_integer() else {
                return Err(PrimError::Fail);
            };
            let result = match small_op(op, a, b).ok_or(PrimError::Fail)? {
                IntegerAnswer::Boolean(truth) => vm.mem.boolean(truth),
                IntegerAnswer::Integer(value) => {
                    let small = i64::try_from(value).ok().and_then(Oop::try_small_integer);
                    small.ok_or(PrimError::Fail)?
                }
            };
            answer(vm, argc, result)
        }
    }
}

/// `Integer>>#+` and the other Integer primitives (21-44): any mix of
/// SmallIntegers and LargeIntegers; answers are normalised.
pub fn large_integer(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    if let Some(op) = IntegerOp::of(prim) {
        require(argc == 1)?;
        let other = arg(vm, argc, 0);
        // Both SmallIntegers: no BigInt needed.
        if let (Some(a), Some(b)) = (rcvr.to_small_integer(), other.to_small_integer()) {
            if let Some(outcome) = small_op(op, a, b) {
                let result = match outcome {
                    IntegerAnswer::Boolean(truth) => vm.mem.boolean(truth),
                    IntegerAnswer::Integer(value) => vm.mem.new_integer_i128(value)?,
                };
                return answer(vm, argc, result);
            }
        }
        let a = vm.mem.integer_value(rcvr).ok_or(PrimError::Fail)?;
        let b = vm.mem.integer_value(other).ok_or(PrimError::Fail)?;
        let result = match big_op(op, &a, &b).ok_or(PrimError::Fail)? {
            IntegerAnswer::Boolean(truth) => vm.mem.boolean(truth),
            IntegerAnswer::Integer(value) => vm.mem.new_integer(&value)?,
        };
        return answer(vm, argc, result);
    }
    if prim == P::IntegerPrintStringBase {
        return print_string(vm, rcvr, argc);
    }
    let value = vm.mem.integer_value(rcvr).ok_or(PrimError::Fail)?;
    let result = match prim {
        P::IntegerAsFloat => vm.mem.new_float(number_text::integer_to_f64(&value))?,
        P::IntegerHash => Oop::small_integer(integer_hash(&value)),
        P::IntegerHighBit => {
            let bit = high_bit(&value).and_then(|b| i64::try_from(b).ok()).ok_or(PrimError::Fail)?;
            Oop::try_small_integer(bit).ok_or(PrimError::Fail)?
        }
        P::IntegerSqrtFloor => {
            let root = sqrt_floor(&value).ok_or(PrimError::Fail)?;
            vm.mem.new_integer(&root)?
        }
        _ => return Err(PrimError::Fail),
    };
    answer(vm, argc, result)
}

/// `printString: base`, or `printString` (base 10) when sent without an
/// argument. A SmallInteger in base 10 is written without a BigInt.
fn print_string(vm: &mut Vm, rcvr: Oop, argc: usize) -> PrimResult {
    require(argc <= 1)?;
    let base =
        if argc == 0 { Some(10) } else { arg(vm, argc, 0).to_small_integer().and_then(|b| u32::try_from(b).ok()) };
    let text = match (rcvr.to_small_integer(), base) {
        (Some(n), Some(10)) => n.to_string(),
        _ => {
            let value = vm.mem.integer_value(rcvr).ok_or(PrimError::Fail)?;
            base.and_then(|b| number_text::print_integer(&value, b)).ok_or(PrimError::Fail)?
        }
    };
    let string = vm.mem.new_bytes(KnownClass::String, text.as_bytes())?;
    answer(vm, argc, string)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use num_traits::Pow;

    use IntegerAnswer::{Boolean, Integer};
    use IntegerOp as O;

    const SMALL_MAX: i64 = (1 << 62) - 1;
    const SMALL_MIN: i64 = -(1 << 62);

    fn big(text: &str) -> BigInt {
        BigInt::parse_bytes(text.as_bytes(), 10).unwrap_or_default()
    }

    /// The operation on both paths, which must agree.
    fn both(op: IntegerOp, a: i64, b: i64) -> Option<IntegerAnswer<BigInt>> {
        let small = small_op(op, a, b).map(|r| match r {
            Integer(v) => Integer(BigInt::from(v)),
            Boolean(t) => Boolean(t),
        });
        let large = big_op(op, &BigInt::from(a), &BigInt::from(b));
        if op != O::BitShift || small.is_some() {
            assert_eq!(small, large, "{op:?} {a} {b}");
        }
        large
    }

    fn value(op: IntegerOp, a: i64, b: i64) -> Option<i128> {
        match both(op, a, b) {
            Some(Integer(v)) => v.to_i128(),
            _ => None,
        }
    }

    #[test]
    fn division_floors_or_truncates_as_pharo_does() {
        // (a, b, a // b, a \\ b, a quo: b, a rem: b)
        let table = [
            (7, 2, 3, 1, 3, 1),
            (-7, 2, -4, 1, -3, -1),
            (7, -2, -4, -1, -3, 1),
            (-7, -2, 3, -1, 3, -1),
            (6, 3, 2, 0, 2, 0),
            (-6, 3, -2, 0, -2, 0),
            (0, 5, 0, 0, 0, 0),
            (1, 5, 0, 1, 0, 1),
            (-1, 5, -1, 4, 0, -1),
            (SMALL_MIN, -1, -(SMALL_MIN as i128), 0, -(SMALL_MIN as i128), 0),
        ];
        for (a, b, floor, modulo, quo, rem) in table {
            assert_eq!(value(O::FloorDivide, a, b), Some(floor), "{a} // {b}");
            assert_eq!(value(O::Modulo, a, b), Some(modulo), "{a} \\\\ {b}");
            assert_eq!(value(O::Quo, a, b), Some(quo), "{a} quo: {b}");
            assert_eq!(value(O::Rem, a, b), Some(rem), "{a} rem: {b}");
        }
    }

    #[test]
    fn division_by_zero_fails() {
        for op in [O::Divide, O::FloorDivide, O::Modulo, O::Quo, O::Rem] {
            assert_eq!(both(op, 5, 0), None, "{op:?}");
            assert_eq!(big_op(op, &big("123456789012345678901234567890"), &BigInt::zero()), None);
        }
    }

    #[test]
    fn exact_division_fails_when_inexact() {
        assert_eq!(value(O::Divide, 6, 3), Some(2));
        assert_eq!(value(O::Divide, -6, 3), Some(-2));
        assert_eq!(both(O::Divide, 7, 2), None);
        let n = big("1000000000000000000000000000000");
        assert_eq!(big_op(O::Divide, &n, &BigInt::from(1000)), Some(Integer(big("1000000000000000000000000000"))));
        assert_eq!(big_op(O::Divide, &n, &BigInt::from(7)), None);
    }

    #[test]
    fn arithmetic_and_comparisons() {
        assert_eq!(value(O::Add, 3, 4), Some(7));
        assert_eq!(value(O::Subtract, 3, 4), Some(-1));
        assert_eq!(value(O::Multiply, -3, 4), Some(-12));
        assert_eq!(value(O::Add, SMALL_MAX, 1), Some(1 << 62));
        assert_eq!(value(O::Multiply, SMALL_MAX, SMALL_MAX), Some(SMALL_MAX as i128 * SMALL_MAX as i128));
        assert_eq!(value(O::Gcd, -12, 18), Some(6));
        assert_eq!(value(O::Gcd, 0, 0), Some(0));
        assert_eq!(both(O::Less, 3, 4), Some(Boolean(true)));
        assert_eq!(both(O::Greater, 3, 4), Some(Boolean(false)));
        assert_eq!(both(O::LessOrEqual, 4, 4), Some(Boolean(true)));
        assert_eq!(both(O::GreaterOrEqual, 3, 4), Some(Boolean(false)));
        assert_eq!(both(O::Equal, -4, -4), Some(Boolean(true)));
        assert_eq!(both(O::NotEqual, -4, -4), Some(Boolean(false)));
        let huge = big("-123456789012345678901234567890");
        assert_eq!(big_op(O::Less, &huge, &BigInt::from(SMALL_MIN)), Some(Boolean(true)));
        assert_eq!(big_op(O::Equal, &huge, &huge.clone()), Some(Boolean(true)));
    }

    #[test]
    fn bit_operations_are_twos_complement() {
        assert_eq!(value(O::BitAnd, 12, 10), Some(8));
        assert_eq!(value(O::BitOr, 12, 10), Some(14));
        assert_eq!(value(O::BitXor, 12, 10), Some(6));
        assert_eq!(value(O::BitAnd, -1, 255), Some(255));
        assert_eq!(value(O::BitAnd, -256, 0xFFFF), Some(0xFF00));
        assert_eq!(value(O::BitOr, -8, 3), Some(-5));
        assert_eq!(value(O::BitXor, -1, 5), Some(-6));
        let big_neg = -(BigInt::from(1) << 100u32);
        assert_eq!(big_op(O::BitAnd, &big_neg, &BigInt::from(-1)), Some(Integer(big_neg.clone())));
        assert_eq!(big_op(O::BitAnd, &big_neg, &(BigInt::from(1) << 100u32)), Some(Integer(BigInt::from(1) << 100u32)));
        assert_eq!(big_op(O::BitOr, &big_neg, &BigInt::from(1)), Some(Integer(&big_neg + 1)));
        assert_eq!(big_op(O::BitXor, &(-&big_neg - 1), &BigInt::from(-1)), Some(Integer(big_neg)));
    }

    #[test]
    fn shifts_go_left_and_arithmetically_right() {
        assert_eq!(value(O::BitShift, 1, 10), Some(1024));
        assert_eq!(value(O::BitShift, 1024, -3), Some(128));
        assert_eq!(value(O::BitShift, -7, -1), Some(-4));
        assert_eq!(value(O::BitShift, -1, -100), Some(-1));
        assert_eq!(value(O::BitShift, 5, -100), Some(0));
        assert_eq!(value(O::BitShift, 0, 1_000_000), Some(0));
        assert_eq!(value(O::BitShift, 1, 62), Some(1 << 62));
        assert_eq!(value(O::BitShift, -1, 62), Some(-(1 << 62)));
        assert_eq!(value(O::BitShift, 3, 64), Some(3 << 64));
        // Past i128 the small path declines and BigInt answers.
        assert_eq!(small_op(O::BitShift, 1, 100), None);
        assert_eq!(both(O::BitShift, 1, 100), Some(Integer(BigInt::from(1) << 100u32)));
        assert_eq!(both(O::BitShift, -3, 200), Some(Integer(BigInt::from(-3) << 200u32)));
        let b = big("-340282366920938463463374607431768211457"); // -(2^128) - 1
        assert_eq!(
            big_op(O::BitShift, &b, &BigInt::from(-1)),
            Some(Integer(big("-170141183460469231731687303715884105729")))
        );
        assert_eq!(big_op(O::BitShift, &b, &BigInt::from(-1000)), Some(Integer(BigInt::from(-1))));
        assert_eq!(big_op(O::BitShift, &b, &-big("99999999999999999999999")), Some(Integer(BigInt::from(-1))));
        assert_eq!(big_op(O::BitShift, &b, &big("99999999999999999999999")), None);
        assert_eq!(big_op(O::BitShift, &BigInt::from(1), &BigInt::from(MAX_SHIFTED_BITS)), None);
        let widest = big_op(O::BitShift, &BigInt::from(1), &BigInt::from(MAX_SHIFTED_BITS - 1));
        assert!(widest.is_some());
    }

    #[test]
    fn results_around_the_small_integer_boundary() {
        // The primitives normalise through ObjectMemory::new_integer; here,
        // that the values at 2^62 are exact on both paths.
        let two62: BigInt = Pow::pow(BigInt::from(2), 62u32);
        assert_eq!(both(O::Add, SMALL_MAX, 1), Some(Integer(two62.clone())));
        assert_eq!(both(O::Subtract, SMALL_MIN, 1), Some(Integer(-&two62 - 1)));
        assert_eq!(both(O::Multiply, SMALL_MIN, -1), Some(Integer(two62.clone())));
        assert_eq!(both(O::Quo, SMALL_MIN, -1), Some(Integer(two62.clone())));
        assert_eq!(big_op(O::Subtract, &two62, &BigInt::from(1)), Some(Integer(BigInt::from(SMALL_MAX))));
        assert_eq!(big_op(O::Add, &(-&two62 - 1), &BigInt::from(1)), Some(Integer(BigInt::from(SMALL_MIN))));
    }

    #[test]
    fn hashes_agree_for_equal_values() {
        assert_eq!(integer_hash(&BigInt::from(42)), 42);
        assert_eq!(integer_hash(&BigInt::from(SMALL_MIN)), SMALL_MIN);
        let a = big("123456789012345678901234567890");
        let h = integer_hash(&a);
        assert_eq!(h, integer_hash(&big("123456789012345678901234567890")));
        assert!((0..1 << 30).contains(&h));
        assert_ne!(h, integer_hash(&-&a));
        assert!((0..1 << 30).contains(&integer_hash(&BigInt::from(SMALL_MAX as i128 + 1))));
    }

    #[test]
    fn high_bit_and_sqrt_floor() {
        assert_eq!(high_bit(&BigInt::from(0)), Some(0));
        assert_eq!(high_bit(&BigInt::from(1)), Some(1));
        assert_eq!(high_bit(&BigInt::from(255)), Some(8));
        assert_eq!(high_bit(&(BigInt::from(1) << 100u32)), Some(101));
        assert_eq!(high_bit(&BigInt::from(-1)), None);
        assert_eq!(sqrt_floor(&BigInt::from(0)), Some(BigInt::from(0)));
        assert_eq!(sqrt_floor(&BigInt::from(15)), Some(BigInt::from(3)));
        assert_eq!(sqrt_floor(&BigInt::from(16)), Some(BigInt::from(4)));
        assert_eq!(sqrt_floor(&(BigInt::from(1) << 200u32)), Some(BigInt::from(1) << 100u32));
        assert_eq!(sqrt_floor(&BigInt::from(-4)), None);
    }

    #[test]
    fn every_binary_integer_primitive_has_an_operation() {
        for n in (1..=18).chain(21..=38).chain([41]) {
            let prim = P::from_number(n).unwrap_or(P::IntegerHash);
            assert!(IntegerOp::of(prim).is_some(), "primitive {n}");
        }
        assert_eq!(IntegerOp::of(P::SmallIntegerAsFloat), None);
        assert_eq!(IntegerOp::of(P::IntegerHash), None);
    }

    // ----- the primitives, on a real stack -----

    use crate::heap::{Format, HeapConfig, FALSE, NIL, TRUE};
    use crate::interp::VmOptions;
    use crate::objects::layout::{context, KnownClass};
    use crate::objects::memory::tests::memory;
    use crate::prims::dispatch;

    /// A VM whose active context is a bare stack, over a memory with no classes.
    pub(crate) fn test_vm() -> Vm {
        let options =
            VmOptions { heap: HeapConfig { max_heap: 64 << 20, ..HeapConfig::default() }, ..VmOptions::default() };
        let mut vm = Vm::with_heap(options).expect("heap");
        vm.mem = memory();
        vm.ctx = vm.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + 8).expect("room");
        vm.sp = 0;
        vm
    }

    /// Runs primitive `number` on `operands` (the receiver first): its
    /// answer, or None when it fails, which must leave the stack as it was.
    pub(crate) fn run(vm: &mut Vm, number: usize, operands: &[Oop]) -> Option<Oop> {
        vm.sp = 0;
        for operand in operands {
            vm.push(*operand);
        }
        let argc = operands.len() - 1;
        match dispatch(vm, number, argc) {
            Ok(()) => {
                assert_eq!(vm.sp, 1, "primitive {number} answers one value");
                Some(vm.stack_value(0))
            }
            Err(PrimError::Fail) => {
                assert_eq!(vm.sp, operands.len(), "primitive {number} failed but changed the stack");
                for (i, operand) in operands.iter().enumerate() {
                    assert_eq!(vm.stack_value(argc - i), *operand, "primitive {number} failed but changed the stack");
                }
                None
            }
            Err(PrimError::Halt(halt)) => panic!("primitive {number} halted: {halt:?}"),
        }
    }

    fn si(value: i64) -> Oop {
        Oop::small_integer(value)
    }

    #[test]
    fn small_integer_primitives_succeed_and_fail() {
        let mut vm = test_vm();
        assert_eq!(run(&mut vm, 1, &[si(3), si(4)]), Some(si(7)));
        assert_eq!(run(&mut vm, 1, &[si(SMALL_MAX), si(1)]), None);
        assert_eq!(run(&mut vm, 2, &[si(SMALL_MIN), si(1)]), None);
        assert_eq!(run(&mut vm, 9, &[si(1 << 40), si(1 << 40)]), None);
        assert_eq!(run(&mut vm, 3, &[si(3), si(4)]), Some(TRUE));
        assert_eq!(run(&mut vm, 4, &[si(3), si(4)]), Some(FALSE));
        assert_eq!(run(&mut vm, 7, &[si(3), NIL]), None);
        assert_eq!(run(&mut vm, 10, &[si(8), si(2)]), Some(si(4)));
        assert_eq!(run(&mut vm, 10, &[si(7), si(2)]), None);
        assert_eq!(run(&mut vm, 11, &[si(-7), si(2)]), Some(si(1)));
        assert_eq!(run(&mut vm, 12, &[si(-7), si(2)]), Some(si(-4)));
        assert_eq!(run(&mut vm, 13, &[si(-7), si(2)]), Some(si(-3)));
        assert_eq!(run(&mut vm, 18, &[si(-7), si(2)]), Some(si(-1)));
        assert_eq!(run(&mut vm, 12, &[si(-7), si(0)]), None);
        assert_eq!(run(&mut vm, 14, &[si(-1), si(255)]), Some(si(255)));
        assert_eq!(run(&mut vm, 17, &[si(1), si(61)]), Some(si(1 << 61)));
        assert_eq!(run(&mut vm, 17, &[si(1), si(62)]), None);
        let float = run(&mut vm, 19, &[si(-3)]).expect("asFloat");
        assert_eq!(vm.mem.float_value(float), Some(-3.0));
        assert_eq!(run(&mut vm, 20, &[si(97)]), Some(Oop::character(97)));
        assert_eq!(run(&mut vm, 20, &[si(0x110000)]), None);
        assert_eq!(run(&mut vm, 20, &[si(-1)]), None);
    }

    #[test]
    fn integer_primitives_overflow_into_large_integers_and_back() {
        let mut vm = test_vm();
        let shifted = run(&mut vm, 37, &[si(1), si(62)]).expect("bitShift:");
        assert!(vm.mem.is_instance_of(shifted, KnownClass::LargePositiveInteger));
        assert_eq!(vm.mem.integer_value(shifted), Some(BigInt::from(1u64 << 62)));
        assert_eq!(run(&mut vm, 22, &[shifted, si(1)]), Some(si(SMALL_MAX)));
        let below = run(&mut vm, 22, &[si(SMALL_MIN), si(1)]).expect("-");
        assert!(vm.mem.is_instance_of(below, KnownClass::LargeNegativeInteger));
        assert_eq!(run(&mut vm, 21, &[below, si(1)]), Some(si(SMALL_MIN)));
        assert_eq!(run(&mut vm, 27, &[shifted, shifted]), Some(TRUE));
        assert_eq!(run(&mut vm, 23, &[below, shifted]), Some(TRUE));
        assert_eq!(run(&mut vm, 27, &[shifted, NIL]), None);
        assert_eq!(run(&mut vm, 31, &[shifted, si(0)]), None);
        assert_eq!(run(&mut vm, 30, &[shifted, si(3)]), None);
        assert_eq!(run(&mut vm, 30, &[shifted, si(4)]), Some(si(1 << 60)));
        assert_eq!(run(&mut vm, 41, &[shifted, si(-12)]), Some(si(4)));
        assert_eq!(run(&mut vm, 21, &[NIL, si(1)]), None);
    }

    #[test]
    fn integer_unary_primitives() {
        let mut vm = test_vm();
        let big = vm.mem.new_integer(&(BigInt::from(1) << 100u32)).expect("room");
        let text = run(&mut vm, 40, &[si(-255), si(16)]).expect("printString:");
        assert_eq!(vm.mem.string_value(text).as_deref(), Some("-FF"));
        let text = run(&mut vm, 40, &[big, si(10)]).expect("printString:");
        assert_eq!(vm.mem.string_value(text).as_deref(), Some("1267650600228229401496703205376"));
        assert_eq!(run(&mut vm, 40, &[si(1), si(37)]), None);
        assert_eq!(run(&mut vm, 40, &[si(1), NIL]), None);
        assert_eq!(run(&mut vm, 42, &[si(5)]), Some(si(5)));
        let hash = run(&mut vm, 42, &[big]).expect("hash");
        assert!(hash.is_small_integer());
        assert_eq!(run(&mut vm, 43, &[big]), Some(si(101)));
        assert_eq!(run(&mut vm, 43, &[si(-1)]), None);
        assert_eq!(run(&mut vm, 44, &[big]), Some(si(1 << 50)));
        assert_eq!(run(&mut vm, 44, &[si(-4)]), None);
        let float = run(&mut vm, 39, &[big]).expect("asFloat");
        assert_eq!(vm.mem.float_value(float), Some(2f64.powi(100)));
        assert_eq!(run(&mut vm, 39, &[NIL]), None);
    }
}
