//! Numbers as text and numbers across representations: printing Floats the
//! way Pharo does, printing Integers in a base, reading Smalltalk number
//! literals, and the exact conversions these need (Integer or ratio to the
//! nearest Float, Float to Integer, `ldexp`, the binary exponent).
//!
//! Pure functions over Rust values: this module knows nothing of the heap,
//! of Oops or of the interpreter, so everything here is tested in isolation.

use std::cmp::Ordering;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer as _;
use num_traits::{One, Pow, ToPrimitive, Zero};

// ----- printing -----

/// The decimal exponents (of the first significant digit) that Pharo prints
/// without an exponent: `Float>>absPrintExactlyOn:base:` uses fixed notation
/// when its digit count before the point is in `-3..=6`.
const FIXED_EXPONENTS: std::ops::RangeInclusive<i32> = -4..=5;

/// The shortest text that reads back as `x`, in Pharo's form: `0.1`,
/// `100.0`, `123456.0`, `1.0e6`, `1.0e-5`, `0.0001`, `-0.0`, `Float nan`,
/// `Float infinity`, `Float infinity negated`.
///
/// The digits are Rust's shortest round-trip digits (as Burger and Dybvig's
/// free-format algorithm, which Pharo uses, gives them); only the layout is
/// Pharo's: fixed notation for decimal exponents -4 to 5, else one digit,
/// a point, the rest (at least `0`), `e` and the exponent with no `+`.
pub fn print_float(x: f64) -> String {
    if x.is_nan() {
        return "Float nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Float infinity" } else { "Float infinity negated" }.to_string();
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    let magnitude = x.abs();
    if magnitude == 0.0 {
        out.push_str("0.0");
        return out;
    }
    // `{:e}` is the shortest round-trip form: `d[.ddd]e[-]N`.
    let scientific = format!("{magnitude:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    if FIXED_EXPONENTS.contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exponent - 1) as usize));
            out.push_str(&digits);
        } else {
            let whole = exponent as usize + 1;
            if digits.len() <= whole {
                out.push_str(&digits);
                out.push_str(&"0".repeat(whole - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..whole]);
                out.push('.');
                out.push_str(&digits[whole..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('e');
        out.push_str(&exponent.to_string());
    }
    out
}

/// `printString: base`: upper-case digits, a `-` for negatives; None unless
/// `base` is in 2..=36.
pub fn print_integer(value: &BigInt, base: u32) -> Option<String> {
    (2..=36).contains(&base).then(|| value.to_str_radix(base).to_ascii_uppercase())
}

// ----- reading -----

/// A number read from text.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Integer(BigInt),
    Float(f64),
}

/// Why text did not read as an Integer or a Float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRead {
    /// The text is not a number literal.
    NotANumber,
    /// A number literal whose value is neither an Integer nor a Float: a
    /// ScaledDecimal (`3.14s2`), an integer with a negative exponent that
    /// leaves a fraction (`1e-2`), or one too large to build.
    Unsupported,
}

/// The largest exponent magnitude read for an integer (`1e100000`): beyond
/// it the value is not built.
const MAX_INTEGER_EXPONENT: u32 = 100_000;

/// The white space Smalltalk skips around a number (`Character separators`).
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0C')
}

/// Reads a whole Smalltalk number literal, white space around it allowed:
/// `42`, `-7`, `16r1F`, `-16r1F`, `16r-1F`, `2r1010`, `1e6` (an Integer),
/// `3.14`, `1.5e-3`, `2r1.1e2` (Floats; an exponent scales by the radix).
/// Radix digits are `0-9` and upper-case `A-Z`.
pub fn parse_number(text: &str) -> Result<Number, NotRead> {
    let text = text.trim_matches(is_separator);
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let mut negative = false;
    if chars.first() == Some(&'-') {
        negative = true;
        at += 1;
    }
    let leading = take_digits(&chars, &mut at, 10);
    if leading.is_empty() {
        return Err(NotRead::NotANumber);
    }
    let mut radix = 10;
    let mut whole = leading;
    if chars.get(at) == Some(&'r') {
        at += 1;
        radix = whole.parse::<u32>().ok().filter(|r| (2..=36).contains(r)).ok_or(NotRead::NotANumber)?;
        if chars.get(at) == Some(&'-') {
            if negative {
                return Err(NotRead::NotANumber);
            }
            negative = true;
            at += 1;
        }
        whole = take_digits(&chars, &mut at, radix);
        if whole.is_empty() {
            return Err(NotRead::NotANumber);
        }
    }
    let mut fraction = String::new();
    if chars.get(at) == Some(&'.') && chars.get(at + 1).is_some_and(|&c| digit_value(c, radix).is_some()) {
        at += 1;
        fraction = take_digits(&chars, &mut at, radix);
    }
    let mut exponent: i64 = 0;
    let mut scaled = false;
    match chars.get(at) {
        Some('e') => {
            at += 1;
            let minus = chars.get(at) == Some(&'-');
            if minus {
                at += 1;
            }
            let digits = take_digits(&chars, &mut at, 10);
            if digits.is_empty() {
                return Err(NotRead::NotANumber);
            }
            // Longer exponents saturate: the value is then 0, infinite or unsupported anyway.
            let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX / 2).min(i64::MAX / 2);
            exponent = if minus { -magnitude } else { magnitude };
        }
        Some('s') => {
            at += 1;
            take_digits(&chars, &mut at, 10);
            scaled = true;
        }
        _ => {}
    }
    if at != chars.len() {
        return Err(NotRead::NotANumber);
    }
    if scaled {
        return Err(NotRead::Unsupported);
    }
    let sign = if negative { Sign::Minus } else { Sign::Plus };
    if fraction.is_empty() {
        let value = read_integer(&whole, radix, exponent)?;
        return Ok(Number::Integer(BigInt::from_biguint(sign, value)));
    }
    let magnitude = if radix == 10 {
        format!("{whole}.{fraction}e{exponent}").parse::<f64>().map_err(|_| NotRead::NotANumber)?
    } else {
        let mut digits = whole;
        digits.push_str(&fraction);
        let mantissa = BigUint::parse_bytes(digits.as_bytes(), radix).ok_or(NotRead::NotANumber)?;
        scaled_to_f64(&mantissa, radix, exponent.saturating_sub(fraction.len() as i64))
    };
    Ok(Number::Float(if negative { -magnitude } else { magnitude }))
}

/// Consumes the longest run of digits of `radix` at `at`.
fn take_digits(chars: &[char], at: &mut usize, radix: u32) -> String {
    let start = *at;
    while chars.get(*at).is_some_and(|&c| digit_value(c, radix).is_some()) {
        *at += 1;
    }
    chars[start..*at].iter().collect()
}

/// The value of a digit of `radix` (`0-9`, then upper-case `A-Z`).
fn digit_value(c: char, radix: u32) -> Option<u32> {
    let value = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        _ => return None,
    };
    (value < radix).then_some(value)
}

/// `digits` (in `radix`) times `radix` to the `exponent`, when that is a whole number.
fn read_integer(digits: &str, radix: u32, exponent: i64) -> Result<BigUint, NotRead> {
    let value = BigUint::parse_bytes(digits.as_bytes(), radix).ok_or(NotRead::NotANumber)?;
    if exponent == 0 || value.is_zero() {
        return Ok(value);
    }
    let power = u32::try_from(exponent.unsigned_abs())
        .ok()
        .filter(|&e| e <= MAX_INTEGER_EXPONENT)
        .ok_or(NotRead::Unsupported)?;
    let scale: BigUint = Pow::pow(BigUint::from(radix), power);
    if exponent > 0 {
        return Ok(value * scale);
    }
    let (quotient, remainder) = value.div_rem(&scale);
    if remainder.is_zero() {
        Ok(quotient)
    } else {
        Err(NotRead::Unsupported)
    }
}

/// The Float nearest `mantissa * radix^exponent`.
fn scaled_to_f64(mantissa: &BigUint, radix: u32, exponent: i64) -> f64 {
    if mantissa.is_zero() {
        return 0.0;
    }
    // Past these bounds the value is certainly beyond the Float range (radix >= 2).
    let bits = mantissa.bits() as i64;
    if exponent > 1100 {
        return f64::INFINITY;
    }
    if exponent < -(bits + 1100) {
        return 0.0;
    }
    let scale: BigUint = Pow::pow(BigUint::from(radix), exponent.unsigned_abs());
    if exponent >= 0 {
        ratio_to_f64(&(mantissa * scale), &BigUint::one())
    } else {
        ratio_to_f64(mantissa, &scale)
    }
}

// ----- conversions -----

/// The Float nearest `numerator / denominator` (both positive), rounding
/// half to even, with subnormal results rounded once, correctly.
pub fn ratio_to_f64(numerator: &BigUint, denominator: &BigUint) -> f64 {
    if numerator.is_zero() || denominator.is_zero() {
        return 0.0;
    }
    // Scale so the quotient has 65 or 66 bits; the rest is a sticky bit.
    let shift = 65 + denominator.bits() as i64 - numerator.bits() as i64;
    let (quotient, remainder) = if shift >= 0 {
        (numerator << shift as usize).div_rem(denominator)
    } else {
        numerator.div_rem(&(denominator << (-shift) as usize))
    };
    let mut sticky = !remainder.is_zero();
    let extra = quotient.bits().saturating_sub(64);
    let lost = &quotient & ((BigUint::one() << extra as usize) - 1u32);
    sticky |= !lost.is_zero();
    let top = (quotient >> extra as usize).to_u64().unwrap_or(u64::MAX);
    // value = (top + sticky fraction) * 2^binary_exponent, top in [2^63, 2^64).
    let binary_exponent = extra as i64 - shift;
    round_to_f64(top, sticky, binary_exponent)
}

/// The Float nearest `top * 2^exponent` (plus a little when `sticky`), for
/// `top` with its high bit set.
fn round_to_f64(top: u64, sticky: bool, exponent: i64) -> f64 {
    // The value's own binary exponent: it lies in [2^e, 2^(e+1)).
    let e = exponent + 63;
    let keep: i64 = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep < 0 {
        return 0.0;
    }
    let drop = 64 - keep as u32;
    let wide = (top as u128) << 1 | sticky as u128; // one more bit so drop + 1 <= 65 stays in range
    let drop = drop + 1;
    let mut kept = (wide >> drop) as u64;
    let rest = wide & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rest > half || (rest == half && kept & 1 == 1) {
        kept += 1;
    }
    ldexp(kept as f64, exponent + drop as i64 - 1)
}

/// The Float nearest an Integer (infinite when beyond the Float range).
pub fn integer_to_f64(value: &BigInt) -> f64 {
    if let Some(small) = value.to_i64() {
        return small as f64;
    }
    let magnitude = ratio_to_f64(value.magnitude(), &BigUint::one());
    if value.sign() == Sign::Minus {
        -magnitude
    } else {
        magnitude
    }
}

/// `x` times 2 to the `n`, rounded once (C's `scalbn`).
pub fn ldexp(x: f64, n: i64) -> f64 {
    let two_1023 = f64::from_bits(0x7FE << 52);
    let two_minus_969 = f64::from_bits((0x3FF - 1022 + 53) << 52); // 2^-1022 * 2^53
    let mut y = x;
    let mut n = n.clamp(-4000, 4000);
    if n > 1023 {
        y *= two_1023;
        n -= 1023;
        if n > 1023 {
            y *= two_1023;
            n -= 1023;
            n = n.min(1023);
        }
    } else if n < -1022 {
        // Stay above the subnormal range until the last step, so it rounds once.
        y *= two_minus_969;
        n += 1022 - 53;
        if n < -1022 {
            y *= two_minus_969;
            n += 1022 - 53;
            n = n.max(-1022);
        }
    }
    y * f64::from_bits(((0x3FF + n) as u64) << 52)
}

/// Pharo's `Float>>exponent`: the binary exponent of the leading bit
/// (`8.0` -> 3, `0.5` -> -1); -1 for zero, as `frexp` minus one gives it.
/// None for NaN and infinities.
pub fn float_exponent(x: f64) -> Option<i64> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i64;
    let fraction = bits & ((1 << 52) - 1);
    Some(match (biased, fraction) {
        (0, 0) => -1,
        (0, _) => (63 - fraction.leading_zeros() as i64) - 1074,
        _ => biased - 1023,
    })
}

/// The Integer a finite Float truncates to (toward zero); None for NaN and infinities.
pub fn float_truncated(x: f64) -> Option<BigInt> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i64;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        return Some(BigInt::zero()); // zero or subnormal: |x| < 1
    }
    let significand = BigUint::from(fraction | (1 << 52));
    let shift = biased - 1075; // x = significand * 2^shift
    let magnitude = if shift >= 0 { significand << shift as usize } else { significand >> (-shift).min(64) as usize };
    let sign = if x.is_sign_negative() { Sign::Minus } else { Sign::Plus };
    Some(BigInt::from_biguint(sign, magnitude))
}

/// How a Float compares with an Integer, exactly (no rounding of the
/// Integer); None when the Float is NaN.
pub fn compare_float_integer(x: f64, value: &BigInt) -> Option<Ordering> {
    if x.is_nan() {
        return None;
    }
    if x.is_infinite() {
        return Some(if x > 0.0 { Ordering::Greater } else { Ordering::Less });
    }
    let floor = x.floor();
    let whole = float_truncated(floor)?;
    Some(match whole.cmp(value) {
        Ordering::Equal if floor != x => Ordering::Greater,
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(text: &str) -> BigInt {
        BigInt::parse_bytes(text.as_bytes(), 10).unwrap_or_default()
    }

    #[test]
    fn floats_print_as_pharo_prints_them() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (0.5, "0.5"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1.0e-5"),
            (1.5e-7, "1.5e-7"),
            (1.0e-10, "1.0e-10"),
            (100000.0, "100000.0"),
            (123456.7, "123456.7"),
            (999999.0, "999999.0"),
            (1e6, "1.0e6"),
            (1234567.0, "1.234567e6"),
            (1e15, "1.0e15"),
            (1e16, "1.0e16"),
            (1e100, "1.0e100"),
            (-2.0e20, "-2.0e20"),
            (2f64.sqrt(), "1.4142135623730951"),
            (std::f64::consts::PI, "3.141592653589793"),
            (f64::MAX, "1.7976931348623157e308"),
            (-f64::MAX, "-1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (f64::from_bits(1), "5.0e-324"),
            (f64::from_bits(0x000F_FFFF_FFFF_FFFF), "2.225073858507201e-308"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "Float nan"),
            (f64::INFINITY, "Float infinity"),
            (f64::NEG_INFINITY, "Float infinity negated"),
            (9007199254740993.0, "9.007199254740992e15"),
            (12.0, "12.0"),
            (10.25, "10.25"),
        ];
        for &(x, text) in cases {
            assert_eq!(print_float(x), text, "printing {x:?}");
        }
    }

    #[test]
    fn factorial_100_as_float_prints_shortest() {
        let mut f = BigInt::one();
        for i in 1..=100u32 {
            f *= i;
        }
        assert_eq!(print_float(integer_to_f64(&f)), "9.332621544394415e157");
    }

    #[test]
    fn printed_floats_read_back_exactly() {
        let mut x = 1.0e-300_f64;
        while x < 1.0e300 {
            for y in [x, -x, x * 1.2345678901234567, x / 3.0] {
                let text = print_float(y);
                match parse_number(&text) {
                    Ok(Number::Float(z)) => assert_eq!(z.to_bits(), y.to_bits(), "{text}"),
                    other => panic!("{text} read as {other:?}"),
                }
            }
            x *= 7.77;
        }
    }

    #[test]
    fn integers_print_in_any_base() {
        assert_eq!(print_integer(&BigInt::from(255), 16).as_deref(), Some("FF"));
        assert_eq!(print_integer(&BigInt::from(-5), 2).as_deref(), Some("-101"));
        assert_eq!(print_integer(&BigInt::from(0), 10).as_deref(), Some("0"));
        assert_eq!(print_integer(&BigInt::from(35), 36).as_deref(), Some("Z"));
        assert_eq!(
            print_integer(&big("-123456789012345678901234567890"), 10).as_deref(),
            Some("-123456789012345678901234567890")
        );
        assert_eq!(print_integer(&BigInt::from(1), 1), None);
        assert_eq!(print_integer(&BigInt::from(1), 37), None);
        assert_eq!(print_integer(&BigInt::from(1), 0), None);
    }

    fn int(text: &str) -> Result<Number, NotRead> {
        Ok(Number::Integer(big(text)))
    }

    #[test]
    fn integer_literals_read() {
        assert_eq!(parse_number("42"), int("42"));
        assert_eq!(parse_number("-7"), int("-7"));
        assert_eq!(parse_number("0"), int("0"));
        assert_eq!(parse_number("-0"), int("0"));
        assert_eq!(parse_number("  42\t\n"), int("42"));
        assert_eq!(parse_number("16r1F"), int("31"));
        assert_eq!(parse_number("-16r1F"), int("-31"));
        assert_eq!(parse_number("16r-1F"), int("-31"));
        assert_eq!(parse_number("2r1010"), int("10"));
        assert_eq!(parse_number("2r-101"), int("-5"));
        assert_eq!(parse_number("36rZZ"), int("1295"));
        assert_eq!(parse_number("1e6"), int("1000000"));
        assert_eq!(parse_number("1e0"), int("1"));
        assert_eq!(parse_number("2r1e4"), int("16"));
        assert_eq!(parse_number("16r1e2"), int("256"));
        assert_eq!(parse_number("100e-2"), int("1"));
        assert_eq!(parse_number("0e-5"), int("0"));
        assert_eq!(parse_number("123456789012345678901234567890"), int("123456789012345678901234567890"));
        assert_eq!(parse_number("-4611686018427387905"), int("-4611686018427387905"));
    }

    #[test]
    fn float_literals_read() {
        let float = |text: &str| match parse_number(text) {
            Ok(Number::Float(x)) => x,
            other => panic!("{text} read as {other:?}"),
        };
        assert_eq!(float("3.25"), 3.25);
        assert_eq!(float("2.71"), 2.71);
        assert_eq!(float("-3.5"), -3.5);
        assert_eq!(float("1.5e-3"), 1.5e-3);
        assert_eq!(float("2.5e3"), 2500.0);
        assert_eq!(float("1.0e-10"), 1.0e-10);
        assert_eq!(float(" 0.1 "), 0.1);
        assert_eq!(float("1.0e400"), f64::INFINITY);
        assert_eq!(float("1.0e-400"), 0.0);
        assert_eq!(float("1.0e99999999999999999999999"), f64::INFINITY);
        assert_eq!(float("-0.0").to_bits(), (-0.0f64).to_bits());
        assert_eq!(float("2r1.1"), 1.5);
        assert_eq!(float("2r1.1e2"), 6.0);
        assert_eq!(float("16r1.8"), 1.5);
        assert_eq!(float("-16r1.8"), -1.5);
        assert_eq!(float("16r-1.8"), -1.5);
        assert_eq!(float("3r0.1"), 1.0 / 3.0);
        assert_eq!(float("2r1.0e1024"), f64::INFINITY);
        assert_eq!(float("2r1.0e-1074"), f64::from_bits(1));
        assert_eq!(float("2r1.0e-1075"), 0.0); // a tie, to even
        assert_eq!(float("2r1.1e-1075"), f64::from_bits(1));
        assert_eq!(float("2r1.0e1023"), f64::from_bits(0x7FE << 52));
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in [
            "", " ", "-", "abc", "12abc", "1.", ".5", "1.5e", "1e", "1e-", "--1", "- 1", "+1", "1+", "16r", "16rG",
            "16rff", "1r0", "37r1", "0r1", "-16r-1F", "1.5.5", "1 2", "1e+5", "3/4", "1.0E5", "2r102", "16r1.",
        ] {
            assert_eq!(parse_number(text), Err(NotRead::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn unrepresentable_literals_are_unsupported() {
        for text in ["3.14s2", "3s2", "3s", "1e-2", "7e-1", "1e1000000"] {
            assert_eq!(parse_number(text), Err(NotRead::Unsupported), "{text:?}");
        }
    }

    #[test]
    fn integers_convert_to_the_nearest_float() {
        let two = BigInt::from(2);
        assert_eq!(integer_to_f64(&BigInt::from(0)), 0.0);
        assert_eq!(integer_to_f64(&BigInt::from(-3)), -3.0);
        assert_eq!(integer_to_f64(&Pow::pow(&two, 62u32)), 4611686018427387904.0);
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: to even.
        let tie: BigInt = Pow::pow(&two, 53u32) + 1;
        assert_eq!(integer_to_f64(&(&tie << 20)), 9007199254740992.0 * 1048576.0);
        let above: BigInt = (&tie << 20) + 1;
        assert_eq!(integer_to_f64(&above), 9007199254740994.0 * 1048576.0);
        assert_eq!(integer_to_f64(&-above), -9007199254740994.0 * 1048576.0);
        assert_eq!(integer_to_f64(&Pow::pow(&two, 1024u32)), f64::INFINITY);
        assert_eq!(integer_to_f64(&-Pow::pow(&two, 1024u32)), f64::NEG_INFINITY);
        let max: BigInt = (Pow::pow(&two, 53u32) - 1) << 971;
        assert_eq!(integer_to_f64(&max), f64::MAX);
        assert_eq!(integer_to_f64(&big("100000000000000000000000")), 1e23);
    }

    /// A deterministic xorshift sequence, for property tests.
    fn random_words(seed: u64) -> impl Iterator<Item = u64> {
        let mut state = seed;
        std::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        })
    }

    #[test]
    fn conversions_agree_with_rusts_correctly_rounded_parser() {
        let mut words = random_words(0x9E37_79B9_7F4A_7C15);
        for round in 0..2000 {
            let limbs = 1 + round % 20;
            let mut n = BigUint::zero();
            for _ in 0..limbs {
                n = (n << 64usize) + words.next().unwrap_or(1);
            }
            n >>= (words.next().unwrap_or(0) % 64) as usize;
            let decimal = n.to_str_radix(10);
            let expected: f64 = decimal.parse().unwrap_or(f64::NAN);
            assert_eq!(integer_to_f64(&BigInt::from(n.clone())), expected, "{decimal}");
            // n / 10^k, well into the subnormal range for some.
            let k = (words.next().unwrap_or(0) % 700) as u32;
            let scale: BigUint = Pow::pow(BigUint::from(10u32), k);
            let expected: f64 = format!("{decimal}e-{k}").parse().unwrap_or(f64::NAN);
            assert_eq!(ratio_to_f64(&n, &scale), expected, "{decimal}e-{k}");
        }
    }

    #[test]
    fn random_floats_print_and_read_back() {
        for bits in random_words(0x2545_F491_4F6C_DD1D).take(20_000) {
            let x = f64::from_bits(bits);
            if x.is_nan() || x.is_infinite() {
                continue;
            }
            let text = print_float(x);
            match parse_number(&text) {
                Ok(Number::Float(y)) => assert_eq!(y.to_bits(), x.to_bits(), "{text}"),
                other => panic!("{text} read as {other:?}"),
            }
        }
    }

    #[test]
    fn ratios_round_once_even_when_subnormal() {
        let one = BigUint::one();
        let two = BigUint::from(2u32);
        assert_eq!(ratio_to_f64(&one, &BigUint::from(10u32)), 0.1);
        assert_eq!(ratio_to_f64(&one, &BigUint::from(3u32)), 1.0 / 3.0);
        assert_eq!(ratio_to_f64(&one, &Pow::pow(&two, 1074u32)), f64::from_bits(1));
        assert_eq!(ratio_to_f64(&BigUint::from(3u32), &Pow::pow(&two, 1075u32)), f64::from_bits(2));
        assert_eq!(ratio_to_f64(&one, &Pow::pow(&two, 1076u32)), 0.0);
        assert_eq!(ratio_to_f64(&one, &Pow::pow(&two, 1022u32)), f64::MIN_POSITIVE);
    }

    #[test]
    fn ldexp_scales_and_rounds_once() {
        assert_eq!(ldexp(1.0, 3), 8.0);
        assert_eq!(ldexp(1.0, -1074), f64::from_bits(1));
        assert_eq!(ldexp(1.0, -1075), 0.0);
        assert_eq!(ldexp(1.5, -1074), f64::from_bits(2));
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(f64::from_bits(1), 1074 + 1023), f64::from_bits(0x7FE << 52));
        assert_eq!(ldexp(3.0, i64::MIN), 0.0);
        assert_eq!(ldexp(-3.0, i64::MAX), f64::NEG_INFINITY);
        assert!(ldexp(f64::NAN, 4).is_nan());
    }

    #[test]
    fn exponents_are_pharos() {
        assert_eq!(float_exponent(8.0), Some(3));
        assert_eq!(float_exponent(1.0), Some(0));
        assert_eq!(float_exponent(1.99), Some(0));
        assert_eq!(float_exponent(0.5), Some(-1));
        assert_eq!(float_exponent(-8.0), Some(3));
        assert_eq!(float_exponent(0.0), Some(-1));
        assert_eq!(float_exponent(f64::MAX), Some(1023));
        assert_eq!(float_exponent(f64::MIN_POSITIVE), Some(-1022));
        assert_eq!(float_exponent(f64::from_bits(1)), Some(-1074));
        assert_eq!(float_exponent(f64::INFINITY), None);
        assert_eq!(float_exponent(f64::NAN), None);
    }

    #[test]
    fn floats_truncate_to_exact_integers() {
        assert_eq!(float_truncated(2.7), Some(BigInt::from(2)));
        assert_eq!(float_truncated(-2.7), Some(BigInt::from(-2)));
        assert_eq!(float_truncated(-0.5), Some(BigInt::from(0)));
        assert_eq!(float_truncated(1e-320), Some(BigInt::from(0)));
        assert_eq!(float_truncated(4611686018427387904.0), Some(big("4611686018427387904")));
        assert_eq!(float_truncated(1e23), Some(big("99999999999999991611392")));
        let max: BigInt = (Pow::pow(BigInt::from(2), 53u32) - 1) << 971;
        assert_eq!(float_truncated(-f64::MAX), Some(-max));
        assert_eq!(float_truncated(f64::NAN), None);
        assert_eq!(float_truncated(f64::NEG_INFINITY), None);
    }

    #[test]
    fn floats_compare_exactly_with_integers() {
        use Ordering::*;
        let huge = Pow::pow(BigInt::from(2), 64u32);
        assert_eq!(compare_float_integer(18446744073709551616.0, &huge), Some(Equal));
        assert_eq!(compare_float_integer(18446744073709551616.0, &(&huge + 1)), Some(Less));
        assert_eq!(compare_float_integer(18446744073709551616.0, &(&huge - 1)), Some(Greater));
        assert_eq!(compare_float_integer(2.5, &BigInt::from(2)), Some(Greater));
        assert_eq!(compare_float_integer(2.5, &BigInt::from(3)), Some(Less));
        assert_eq!(compare_float_integer(-2.5, &BigInt::from(-2)), Some(Less));
        assert_eq!(compare_float_integer(-2.5, &BigInt::from(-3)), Some(Greater));
        assert_eq!(compare_float_integer(-0.0, &BigInt::from(0)), Some(Equal));
        assert_eq!(compare_float_integer(f64::INFINITY, &huge), Some(Greater));
        assert_eq!(compare_float_integer(f64::NEG_INFINITY, &huge), Some(Less));
        assert_eq!(compare_float_integer(f64::NAN, &huge), None);
    }
}
