//! Float primitives (50-79) and `String>>asNumber` (125).
//!
//! The receiver is a Float; an argument may be a Float or any Integer.
//! Arithmetic converts an Integer argument to the nearest Float; comparisons
//! are exact (a Float is never equal to an Integer it merely rounds to). The
//! work is in the pure function [`float_op`]; the primitives read operands
//! and allocate answers. Nothing here reaches a safe point.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_integer::Integer as _;
use num_traits::{Signed, ToPrimitive, Zero};

use super::index::Primitive as P;
use super::integer::integer_hash;
use super::number_text::{self, compare_float_integer, float_exponent, float_truncated, integer_to_f64, ldexp};
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::Oop;
use crate::interp::Vm;

/// The numeric argument of a Float primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Float(f64),
    SmallInteger(i64),
    LargeInteger(BigInt),
}

impl Operand {
    /// The nearest Float.
    pub fn to_f64(&self) -> f64 {
        match self {
            Operand::Float(y) => *y,
            Operand::SmallInteger(i) => *i as f64,
            Operand::LargeInteger(i) => integer_to_f64(i),
        }
    }

    fn is_zero(&self) -> bool {
        match self {
            Operand::Float(y) => *y == 0.0,
            Operand::SmallInteger(i) => *i == 0,
            Operand::LargeInteger(i) => i.is_zero(),
        }
    }
}

/// What a Float primitive answers.
#[derive(Debug, Clone, PartialEq)]
pub enum FloatAnswer {
    Float(f64),
    Boolean(bool),
    Integer(BigInt),
    Text(String),
}

/// How `x` compares with `y`, exactly; None when either is NaN.
pub fn compare(x: f64, y: &Operand) -> Option<Ordering> {
    const EXACT: u64 = 1 << 53;
    match y {
        Operand::Float(y) => x.partial_cmp(y),
        // Integers up to 2^53 are exact as Floats.
        Operand::SmallInteger(i) if i.unsigned_abs() <= EXACT => x.partial_cmp(&(*i as f64)),
        Operand::SmallInteger(i) => compare_float_integer(x, &BigInt::from(*i)),
        Operand::LargeInteger(i) => compare_float_integer(x, i),
    }
}

/// A Float's hash: an integral Float hashes as the equal Integer (so
/// `1 = 1.0` and their hashes agree); others fold their bits to 30.
pub fn float_hash(x: f64) -> i64 {
    if x.is_finite() && x.fract() == 0.0 {
        if let Some(whole) = float_truncated(x) {
            return integer_hash(&whole);
        }
    }
    let bits = x.to_bits();
    ((bits ^ (bits >> 30) ^ (bits >> 60)) & 0x3FFF_FFFF) as i64
}

/// `x raisedTo: y`; None where Pharo signals (zero to a negative power, a
/// negative base to a fractional one).
pub fn raised_to(x: f64, y: &Operand) -> Option<f64> {
    let negative_power = compare(0.0, y) == Some(Ordering::Greater);
    if x == 0.0 && negative_power {
        return None;
    }
    match y {
        Operand::Float(p) => {
            if x < 0.0 && p.is_finite() && p.fract() != 0.0 {
                return None;
            }
            Some(x.powf(*p))
        }
        _ => {
            // Keep the sign exact for huge odd exponents, which a Float would round even.
            let odd = match y {
                Operand::SmallInteger(i) => i % 2 != 0,
                Operand::LargeInteger(i) => i.is_odd(),
                Operand::Float(_) => false,
            };
            let magnitude = x.abs().powf(y.to_f64());
            Some(if x.is_sign_negative() && odd { -magnitude } else { magnitude })
        }
    }
}

/// An Integer from a whole finite Float; None for NaN and infinities.
fn whole(x: f64) -> Option<FloatAnswer> {
    float_truncated(x).map(FloatAnswer::Integer)
}

/// Float primitive `prim` on receiver `x` and argument `y` (for the
/// primitives that take one). None when the primitive must fail.
pub fn float_op(prim: P, x: f64, y: Option<&Operand>) -> Option<FloatAnswer> {
    use FloatAnswer::{Boolean, Float, Integer, Text};
    if takes_argument(prim) && y.is_none() {
        return None;
    }
    let ordering = || y.and_then(|y| compare(x, y));
    Some(match prim {
        P::FloatAdd => Float(x + y?.to_f64()),
        P::FloatSubtract => Float(x - y?.to_f64()),
        P::FloatMultiply => Float(x * y?.to_f64()),
        P::FloatDivide => {
            let y = y?;
            if y.is_zero() {
                return None;
            }
            Float(x / y.to_f64())
        }
        P::FloatLess => Boolean(ordering() == Some(Ordering::Less)),
        P::FloatGreater => Boolean(ordering() == Some(Ordering::Greater)),
        P::FloatLessOrEqual => Boolean(matches!(ordering(), Some(Ordering::Less | Ordering::Equal))),
        P::FloatGreaterOrEqual => Boolean(matches!(ordering(), Some(Ordering::Greater | Ordering::Equal))),
        P::FloatEqual => Boolean(ordering() == Some(Ordering::Equal)),
        P::FloatNotEqual => Boolean(ordering() != Some(Ordering::Equal)),
        P::FloatTruncated => whole(x)?,
        P::FloatFloor => whole(x.floor())?,
        P::FloatCeiling => whole(x.ceil())?,
        // Halves away from zero.
        P::FloatRounded => whole(x.round())?,
        P::FloatFractionPart => Float(if x.is_infinite() { 0.0f64.copysign(x) } else { x.fract() }),
        P::FloatExponent => Integer(BigInt::from(float_exponent(x)?)),
        P::FloatTimesTwoPower => {
            let n = match y? {
                Operand::SmallInteger(n) => *n,
                Operand::LargeInteger(n) => n.to_i64().unwrap_or(if n.is_negative() { i64::MIN } else { i64::MAX }),
                Operand::Float(_) => return None,
            };
            Float(ldexp(x, n))
        }
        P::FloatSqrt if x < 0.0 => return None,
        P::FloatSqrt => Float(x.sqrt()),
        P::FloatSin => Float(x.sin()),
        P::FloatCos => Float(x.cos()),
        P::FloatTan => Float(x.tan()),
        P::FloatArcTan => Float(x.atan()),
        P::FloatArcSin => Float(x.asin()),
        P::FloatArcCos => Float(x.acos()),
        P::FloatExp => Float(x.exp()),
        P::FloatLn | P::FloatLog10 if x <= 0.0 => return None,
        P::FloatLn => Float(x.ln()),
        P::FloatLog10 => Float(x.log10()),
        P::FloatRaisedTo => Float(raised_to(x, y?)?),
        P::FloatHash => Integer(BigInt::from(float_hash(x))),
        P::FloatPrintString => Text(number_text::print_float(x)),
        _ => return None,
    })
}

/// Whether a Float primitive takes an argument.
fn takes_argument(prim: P) -> bool {
    matches!(
        prim,
        P::FloatAdd
            | P::FloatSubtract
            | P::FloatLess
            | P::FloatGreater
            | P::FloatLessOrEqual
            | P::FloatGreaterOrEqual
            | P::FloatEqual
            | P::FloatNotEqual
            | P::FloatMultiply
            | P::FloatDivide
            | P::FloatTimesTwoPower
            | P::FloatRaisedTo
    )
}

/// `oop` as a Float primitive's argument, if it is a Float or an Integer.
fn operand(vm: &Vm, oop: Oop) -> Option<Operand> {
    if let Some(i) = oop.to_small_integer() {
        return Some(Operand::SmallInteger(i));
    }
    if let Some(y) = vm.mem.float_value(oop) {
        return Some(Operand::Float(y));
    }
    vm.mem.integer_value(oop).map(Operand::LargeInteger)
}

// ----- primitives -----

/// `Float>>#+` and the other Float primitives (50-79). Fails on a receiver
/// that is not a Float, an argument that is not a number, and where the
/// table in [`super::index`] says so.
pub fn float(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let x = vm.mem.float_value(receiver(vm, argc)).ok_or(PrimError::Fail)?;
    let y = if takes_argument(prim) {
        require(argc == 1)?;
        Some(operand(vm, arg(vm, argc, 0)).ok_or(PrimError::Fail)?)
    } else {
        None
    };
    let result = match float_op(prim, x, y.as_ref()).ok_or(PrimError::Fail)? {
        FloatAnswer::Float(value) => vm.mem.new_float(value)?,
        FloatAnswer::Boolean(truth) => vm.mem.boolean(truth),
        FloatAnswer::Integer(value) => vm.mem.new_integer(&value)?,
        FloatAnswer::Text(text) => vm.mem.new_string(&text)?,
    };
    answer(vm, argc, result)
}

/// `String>>asNumber` (125): the Integer or Float the whole receiver spells
/// (white space around it allowed), or nil. Fails on a receiver that is not
/// a string and on literals that are neither Integers nor Floats
/// (`3.14s2`, `1e-2`), for the Smalltalk code to build.
pub fn string_as_number(vm: &mut Vm, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    require(vm.mem.is_string_like(rcvr))?;
    let text = vm.mem.string_value(rcvr).ok_or(PrimError::Fail)?;
    let result = match number_text::parse_number(&text) {
        Ok(number_text::Number::Integer(value)) => vm.mem.new_integer(&value)?,
        Ok(number_text::Number::Float(value)) => vm.mem.new_float(value)?,
        Err(number_text::NotRead::NotANumber) => vm.mem.nil(),
        Err(number_text::NotRead::Unsupported) => return Err(PrimError::Fail),
    };
    answer(vm, argc, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FloatAnswer::{Boolean, Float, Integer, Text};

    fn op(prim: P, x: f64, y: Operand) -> Option<FloatAnswer> {
        float_op(prim, x, Some(&y))
    }

    fn unary(prim: P, x: f64) -> Option<FloatAnswer> {
        float_op(prim, x, None)
    }

    fn int(value: i64) -> Option<FloatAnswer> {
        Some(Integer(BigInt::from(value)))
    }

    fn two_to(n: u32) -> BigInt {
        BigInt::from(1) << n
    }

    #[test]
    fn arithmetic_takes_floats_and_integers() {
        assert_eq!(op(P::FloatAdd, 1.5, Operand::Float(2.25)), Some(Float(3.75)));
        assert_eq!(op(P::FloatAdd, 1.5, Operand::SmallInteger(2)), Some(Float(3.5)));
        assert_eq!(op(P::FloatSubtract, 1.5, Operand::SmallInteger(2)), Some(Float(-0.5)));
        assert_eq!(op(P::FloatMultiply, 1.5, Operand::LargeInteger(two_to(70))), Some(Float(1.5 * 2f64.powi(70))));
        assert_eq!(op(P::FloatDivide, 1.0, Operand::SmallInteger(4)), Some(Float(0.25)));
        assert_eq!(op(P::FloatAdd, 1.0, Operand::LargeInteger(two_to(2000))), Some(Float(f64::INFINITY)));
        assert_eq!(float_op(P::FloatAdd, 1.0, None), None);
    }

    #[test]
    fn division_by_zero_fails() {
        assert_eq!(op(P::FloatDivide, 1.0, Operand::Float(0.0)), None);
        assert_eq!(op(P::FloatDivide, 1.0, Operand::Float(-0.0)), None);
        assert_eq!(op(P::FloatDivide, 1.0, Operand::SmallInteger(0)), None);
        assert_eq!(op(P::FloatDivide, 0.0, Operand::SmallInteger(0)), None);
    }

    #[test]
    fn comparisons_are_exact() {
        let big = Operand::LargeInteger(two_to(64) + 1);
        let x = 18446744073709551616.0; // 2^64
        assert_eq!(op(P::FloatEqual, x, big.clone()), Some(Boolean(false)));
        assert_eq!(op(P::FloatNotEqual, x, big.clone()), Some(Boolean(true)));
        assert_eq!(op(P::FloatLess, x, big.clone()), Some(Boolean(true)));
        assert_eq!(op(P::FloatEqual, x, Operand::LargeInteger(two_to(64))), Some(Boolean(true)));
        // 2^62 + 1 rounds to 2^62 as a Float but is not equal to it.
        let small = Operand::SmallInteger((1 << 62) - 1);
        assert_eq!(op(P::FloatEqual, 4611686018427387904.0, small.clone()), Some(Boolean(false)));
        assert_eq!(op(P::FloatGreater, 4611686018427387904.0, small), Some(Boolean(true)));
        assert_eq!(op(P::FloatEqual, 1.0, Operand::SmallInteger(1)), Some(Boolean(true)));
        assert_eq!(op(P::FloatLessOrEqual, 1.0, Operand::SmallInteger(1)), Some(Boolean(true)));
        assert_eq!(op(P::FloatGreaterOrEqual, 0.5, Operand::SmallInteger(1)), Some(Boolean(false)));
        assert_eq!(op(P::FloatEqual, -0.0, Operand::Float(0.0)), Some(Boolean(true)));
    }

    #[test]
    fn nan_compares_unequal_to_everything() {
        let nan = f64::NAN;
        for prim in [P::FloatLess, P::FloatGreater, P::FloatLessOrEqual, P::FloatGreaterOrEqual, P::FloatEqual] {
            assert_eq!(op(prim, nan, Operand::Float(nan)), Some(Boolean(false)), "{prim:?}");
            assert_eq!(op(prim, nan, Operand::SmallInteger(1)), Some(Boolean(false)), "{prim:?}");
            assert_eq!(op(prim, 1.0, Operand::Float(nan)), Some(Boolean(false)), "{prim:?}");
        }
        assert_eq!(op(P::FloatNotEqual, nan, Operand::Float(nan)), Some(Boolean(true)));
    }

    #[test]
    fn infinities_compare_with_any_integer() {
        let huge = Operand::LargeInteger(two_to(5000));
        assert_eq!(op(P::FloatGreater, f64::INFINITY, huge.clone()), Some(Boolean(true)));
        assert_eq!(op(P::FloatLess, f64::NEG_INFINITY, huge.clone()), Some(Boolean(true)));
        assert_eq!(op(P::FloatEqual, f64::INFINITY, huge), Some(Boolean(false)));
    }

    #[test]
    fn rounding_to_integers() {
        assert_eq!(unary(P::FloatTruncated, 2.7), int(2));
        assert_eq!(unary(P::FloatTruncated, -2.7), int(-2));
        assert_eq!(unary(P::FloatFloor, -2.5), int(-3));
        assert_eq!(unary(P::FloatFloor, 2.5), int(2));
        assert_eq!(unary(P::FloatCeiling, 2.1), int(3));
        assert_eq!(unary(P::FloatCeiling, -2.1), int(-2));
        assert_eq!(unary(P::FloatRounded, 2.5), int(3));
        assert_eq!(unary(P::FloatRounded, -2.5), int(-3));
        assert_eq!(unary(P::FloatRounded, 2.4), int(2));
        assert_eq!(unary(P::FloatTruncated, 1e20), Some(Integer(BigInt::from(100_000_000_000_000_000_000u128))));
        for prim in [P::FloatTruncated, P::FloatFloor, P::FloatCeiling, P::FloatRounded] {
            assert_eq!(unary(prim, f64::NAN), None);
            assert_eq!(unary(prim, f64::INFINITY), None);
            assert_eq!(unary(prim, f64::NEG_INFINITY), None);
        }
    }

    #[test]
    fn parts_and_exponents() {
        assert_eq!(unary(P::FloatFractionPart, 2.75), Some(Float(0.75)));
        assert_eq!(unary(P::FloatFractionPart, -2.75), Some(Float(-0.75)));
        assert_eq!(unary(P::FloatExponent, 8.0), int(3));
        assert_eq!(unary(P::FloatExponent, 0.75), int(-1));
        assert_eq!(unary(P::FloatExponent, f64::NAN), None);
        assert_eq!(op(P::FloatTimesTwoPower, 1.5, Operand::SmallInteger(4)), Some(Float(24.0)));
        assert_eq!(op(P::FloatTimesTwoPower, 1.5, Operand::LargeInteger(two_to(80))), Some(Float(f64::INFINITY)));
        assert_eq!(op(P::FloatTimesTwoPower, 1.5, Operand::LargeInteger(-two_to(80))), Some(Float(0.0)));
        assert_eq!(op(P::FloatTimesTwoPower, 1.5, Operand::Float(2.0)), None);
    }

    #[test]
    fn functions_fail_outside_their_domain() {
        assert_eq!(unary(P::FloatSqrt, 16.0), Some(Float(4.0)));
        assert_eq!(unary(P::FloatSqrt, -1.0), None);
        assert_eq!(unary(P::FloatLn, 1.0), Some(Float(0.0)));
        assert_eq!(unary(P::FloatLn, 0.0), None);
        assert_eq!(unary(P::FloatLn, -1.0), None);
        assert_eq!(unary(P::FloatLog10, 1000.0), Some(Float(3.0)));
        assert_eq!(unary(P::FloatLog10, 0.0), None);
        assert_eq!(unary(P::FloatExp, 0.0), Some(Float(1.0)));
        assert_eq!(unary(P::FloatSin, 0.0), Some(Float(0.0)));
        assert_eq!(unary(P::FloatCos, 0.0), Some(Float(1.0)));
        assert_eq!(unary(P::FloatTan, 0.0), Some(Float(0.0)));
        assert_eq!(unary(P::FloatArcTan, 1.0), Some(Float(std::f64::consts::FRAC_PI_4)));
        assert_eq!(unary(P::FloatArcSin, 1.0), Some(Float(std::f64::consts::FRAC_PI_2)));
        assert_eq!(unary(P::FloatArcCos, 1.0), Some(Float(0.0)));
    }

    #[test]
    fn raised_to_follows_pharo() {
        assert_eq!(op(P::FloatRaisedTo, 2.0, Operand::SmallInteger(10)), Some(Float(1024.0)));
        assert_eq!(op(P::FloatRaisedTo, 2.0, Operand::Float(0.5)), Some(Float(2f64.sqrt())));
        assert_eq!(op(P::FloatRaisedTo, -2.0, Operand::SmallInteger(3)), Some(Float(-8.0)));
        assert_eq!(op(P::FloatRaisedTo, -1.0, Operand::LargeInteger(two_to(80) + 1)), Some(Float(-1.0)));
        assert_eq!(op(P::FloatRaisedTo, -1.0, Operand::LargeInteger(two_to(80))), Some(Float(1.0)));
        assert_eq!(op(P::FloatRaisedTo, 2.0, Operand::SmallInteger(-1)), Some(Float(0.5)));
        assert_eq!(op(P::FloatRaisedTo, 0.0, Operand::SmallInteger(-1)), None);
        assert_eq!(op(P::FloatRaisedTo, -8.0, Operand::Float(1.0 / 3.0)), None);
        assert_eq!(op(P::FloatRaisedTo, 0.0, Operand::SmallInteger(0)), Some(Float(1.0)));
    }

    #[test]
    fn integral_floats_hash_as_their_integers() {
        assert_eq!(float_hash(1.0), 1);
        assert_eq!(float_hash(-0.0), 0);
        assert_eq!(float_hash(-42.0), -42);
        assert_eq!(float_hash(1e30), integer_hash(&float_truncated(1e30).unwrap_or_default()));
        assert_eq!(float_hash(0.5), float_hash(0.5));
        assert!((0..1 << 30).contains(&float_hash(0.1)));
        assert!((0..1 << 30).contains(&float_hash(f64::INFINITY)));
        assert_eq!(unary(P::FloatHash, 3.0), int(3));
    }

    #[test]
    fn print_string_answers_text() {
        assert_eq!(unary(P::FloatPrintString, 0.1), Some(Text("0.1".to_string())));
        assert_eq!(unary(P::FloatPrintString, f64::NEG_INFINITY), Some(Text("Float infinity negated".to_string())));
    }

    #[test]
    fn argument_taking_primitives_are_known() {
        for n in 50..=79 {
            let Some(prim) = P::from_number(n) else {
                continue;
            };
            if takes_argument(prim) {
                assert_eq!(float_op(prim, 1.0, None), None, "primitive {n}");
            }
            assert!(float_op(prim, 1.0, Some(&Operand::SmallInteger(1))).is_some(), "primitive {n}");
        }
    }

    // ----- the primitives, on a real stack -----

    use crate::heap::{FALSE, NIL, TRUE};
    use crate::prims::integer::tests::{run, test_vm};

    fn si(value: i64) -> Oop {
        Oop::small_integer(value)
    }

    #[test]
    fn float_primitives_succeed_and_fail() {
        let mut vm = test_vm();
        let half = vm.mem.new_float(0.5).expect("room");
        let sum = run(&mut vm, 50, &[half, si(1)]).expect("+");
        assert_eq!(vm.mem.float_value(sum), Some(1.5));
        let big = vm.mem.new_integer(&(BigInt::from(1) << 70u32)).expect("room");
        let product = run(&mut vm, 58, &[half, big]).expect("*");
        assert_eq!(vm.mem.float_value(product), Some(2f64.powi(69)));
        assert_eq!(run(&mut vm, 52, &[half, big]), Some(TRUE));
        assert_eq!(run(&mut vm, 56, &[half, half]), Some(TRUE));
        assert_eq!(run(&mut vm, 56, &[half, si(0)]), Some(FALSE));
        assert_eq!(run(&mut vm, 56, &[half, NIL]), None);
        assert_eq!(run(&mut vm, 57, &[half, NIL]), None);
        assert_eq!(run(&mut vm, 50, &[si(1), half]), None);
        assert_eq!(run(&mut vm, 59, &[half, si(0)]), None);
        assert_eq!(run(&mut vm, 60, &[half]), Some(si(0)));
        assert_eq!(run(&mut vm, 79, &[half]), Some(si(1)));
        assert_eq!(run(&mut vm, 62, &[half]), Some(si(-1)));
        assert_eq!(run(&mut vm, 64, &[half]).map(|r| vm.mem.float_value(r)), Some(Some(0.5f64.sqrt())));
        let huge = vm.mem.new_float(1e30).expect("room");
        let truncated = run(&mut vm, 60, &[huge]).expect("truncated");
        assert_eq!(vm.mem.integer_value(truncated), float_truncated(1e30));
        let infinity = vm.mem.new_float(f64::INFINITY).expect("room");
        assert_eq!(run(&mut vm, 60, &[infinity]), None);
        assert_eq!(run(&mut vm, 71, &[infinity]), None);
        let minus = vm.mem.new_float(-1.0).expect("room");
        assert_eq!(run(&mut vm, 64, &[minus]), None);
        assert_eq!(run(&mut vm, 68, &[minus]), None);
        let one = vm.mem.new_float(1.0).expect("room");
        assert_eq!(run(&mut vm, 74, &[one]), Some(si(1)));
        let text = run(&mut vm, 70, &[half]).expect("printString");
        assert_eq!(vm.mem.string_value(text).as_deref(), Some("0.5"));
        let text = run(&mut vm, 70, &[infinity]).expect("printString");
        assert_eq!(vm.mem.string_value(text).as_deref(), Some("Float infinity"));
    }

    #[test]
    fn immediate_and_boxed_floats_answer_alike_but_for_identity() {
        let mut vm = test_vm();
        let half = vm.mem.new_float(0.5).expect("room");
        let boxed_half = vm.mem.new_boxed_float(0.5).expect("room");
        let huge = vm.mem.new_float(1e300).expect("room");
        assert!(half.is_float() && boxed_half.is_object() && huge.is_object());
        // Arithmetic answers an immediate whenever the value fits, whatever its operands.
        let one = run(&mut vm, 50, &[boxed_half, half]).expect("+");
        assert_eq!(one, Oop::try_float(1.0).expect("immediate"));
        let back = run(&mut vm, 59, &[huge, huge]).expect("/");
        assert_eq!(back, one);
        let bigger = run(&mut vm, 58, &[huge, si(10)]).expect("*");
        assert!(bigger.is_object() && vm.mem.float_value(bigger) == Some(1e301));
        assert_eq!(run(&mut vm, 56, &[half, boxed_half]), Some(TRUE));
        assert_eq!(run(&mut vm, 74, &[half]), run(&mut vm, 74, &[boxed_half]));
        // basicSize, basicAt: and instVarAt: show two 32-bit words, high first.
        for f in [half, boxed_half] {
            assert_eq!(run(&mut vm, 102, &[f]), Some(si(2)));
            assert_eq!(run(&mut vm, 100, &[f, si(1)]), Some(si(0x3FE0_0000)));
            assert_eq!(run(&mut vm, 100, &[f, si(2)]), Some(si(0)));
            assert_eq!(run(&mut vm, 105, &[f, si(1)]), Some(si(0x3FE0_0000)));
            assert_eq!(run(&mut vm, 100, &[f, si(3)]), None);
        }
        // Only a boxed Float can be stored into, or become another object.
        assert_eq!(run(&mut vm, 101, &[half, si(1), si(0)]), None);
        assert_eq!(run(&mut vm, 101, &[boxed_half, si(1), si(0x4000_0000)]), Some(si(0x4000_0000)));
        assert_eq!(vm.mem.float_value(boxed_half), Some(2.0));
        assert_eq!(run(&mut vm, 111, &[half, huge]), None);
        // An immediate copies as itself and hashes by its bits.
        assert_eq!(run(&mut vm, 110, &[half]), Some(half));
        let copy = run(&mut vm, 110, &[huge]).expect("copy");
        assert!(copy != huge && vm.mem.float_value(copy) == Some(1e300));
        let hash = run(&mut vm, 107, &[half]).expect("identityHash");
        assert_eq!(hash, run(&mut vm, 107, &[Oop::try_float(0.5).expect("immediate")]).expect("identityHash"));
        assert_ne!(hash, run(&mut vm, 107, &[one]).expect("identityHash"));
    }

    #[test]
    fn as_number_reads_integers_floats_or_nil() {
        let mut vm = test_vm();
        let mut read = |text: &str| {
            let string = vm.mem.new_string(text).expect("room");
            run(&mut vm, 125, &[string]).map(|r| (r, vm.mem.float_value(r), vm.mem.integer_value(r)))
        };
        assert_eq!(read(" 42 ").map(|r| r.0), Some(si(42)));
        assert_eq!(read("16r-1F").map(|r| r.0), Some(si(-31)));
        assert_eq!(read("abc").map(|r| r.0), Some(NIL));
        assert_eq!(read("2.5e3").and_then(|r| r.1), Some(2500.0));
        assert_eq!(read("1e30").and_then(|r| r.2), Some(BigInt::from(10).pow(30u32)));
        assert_eq!(read("3.14s2"), None);
        assert_eq!(read("1e-2"), None);
        assert_eq!(run(&mut vm, 125, &[si(3)]), None);
    }
}
