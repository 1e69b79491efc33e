//! Literal spellings to literal values: numbers of every form, strings,
//! symbols, literal and byte arrays. Errors come back as a span and a message.

use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::ast::{Lit, LitNode, Span};
use crate::code::Literal;

/// Exponents beyond this would make integers too large to be worth building.
const MAX_EXPONENT: u32 = 100_000;

/// The value of a literal node.
pub fn value(node: &LitNode<'_>) -> Result<Literal, (Span, String)> {
    Ok(match node.lit {
        Lit::Number(text) => number(text).map_err(|m| (node.span, m))?,
        Lit::Char(c) => Literal::Character(c),
        Lit::Str(s) => Literal::String(unquote(s)),
        Lit::Symbol(s) => Literal::Symbol(symbol_name(s)),
        Lit::BareSymbol(s) => Literal::Symbol(s.to_string()),
        Lit::Nil => Literal::Nil,
        Lit::True => Literal::True,
        Lit::False => Literal::False,
        Lit::Array(items) => Literal::Array(items.iter().map(value).collect::<Result<_, _>>()?),
        Lit::ByteArray(items) => {
            let mut bytes = Vec::with_capacity(items.len());
            for item in items {
                let byte = match value(item)? {
                    Literal::Integer(n) => n.to_u8(),
                    _ => None,
                };
                match byte {
                    Some(b) => bytes.push(b),
                    None => {
                        let text = if let Lit::Number(t) = item.lit { t } else { "?" };
                        return Err((
                            item.span,
                            format!("expected a byte (an integer from 0 to 255) in the byte array, found {text}"),
                        ));
                    }
                }
            }
            Literal::ByteArray(bytes)
        }
    })
}

/// The text of a string literal: quotes removed, doubled quotes undoubled.
pub fn unquote(s: &str) -> String {
    let inner = s.strip_prefix('\'').unwrap_or(s);
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    inner.replace("''", "'")
}

/// The name of a symbol literal: `#foo` is `foo`, `#'a b'` is `a b`.
pub fn symbol_name(s: &str) -> String {
    let s = s.strip_prefix('#').unwrap_or(s);
    if s.starts_with('\'') {
        unquote(s)
    } else {
        s.to_string()
    }
}

fn gcd(a: &BigInt, b: &BigInt) -> BigInt {
    let (mut a, mut b) = (a.abs(), b.abs());
    while !b.is_zero() {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

fn digits_value(digits: &str, radix: u32) -> Result<BigInt, String> {
    BigInt::parse_bytes(digits.as_bytes(), radix)
        .ok_or_else(|| format!("expected digits in base {radix}, found '{digits}'"))
}

/// The value of a number literal as the lexer delimits it (see `lexer::number`).
pub fn number(text: &str) -> Result<Literal, String> {
    let (mut negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let int_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let mut radix = 10u32;
    let mut mantissa = &rest[..int_end];
    let mut tail = &rest[int_end..];
    if let Some(after_r) = tail.strip_prefix('r') {
        radix = mantissa
            .parse()
            .ok()
            .filter(|r| (2..=36).contains(r))
            .ok_or_else(|| format!("expected a radix from 2 to 36, found {mantissa}"))?;
        let after_r = match after_r.strip_prefix('-') {
            Some(r) => {
                negative = !negative;
                r
            }
            None => after_r,
        };
        let end = after_r.find(|c: char| !c.is_digit(radix)).unwrap_or(after_r.len());
        mantissa = &after_r[..end];
        tail = &after_r[end..];
    }
    let mut fraction = "";
    if let Some(after_dot) = tail.strip_prefix('.') {
        let end = after_dot.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_dot.len());
        fraction = &after_dot[..end];
        tail = &after_dot[end..];
    }
    let mut exponent: Option<i64> = None;
    if let Some(after_e) = tail.strip_prefix('e') {
        let end = after_e
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
            .map_or(after_e.len(), |(i, _)| i);
        exponent = Some(after_e[..end].parse().map_err(|_| format!("exponent out of range in {text}"))?);
        tail = &after_e[end..];
    }
    let scale: Option<u32> = match tail.strip_prefix('s') {
        Some("") => Some(fraction.len() as u32),
        Some(d) => Some(d.parse().map_err(|_| format!("scale out of range in {text}"))?),
        None => None,
    };
    let exp = exponent.unwrap_or(0);
    if exp.unsigned_abs() > MAX_EXPONENT as u64 {
        return Err(format!("expected an exponent of at most {MAX_EXPONENT}, found {exp} in {text}"));
    }
    let sign = |n: BigInt| if negative { -n } else { n };
    if let Some(scale) = scale {
        let mut numerator = digits_value(&format!("{mantissa}{fraction}"), 10)?;
        let mut denominator = BigInt::from(10u32).pow(fraction.len() as u32);
        if exp >= 0 {
            numerator *= BigInt::from(10u32).pow(exp as u32);
        } else {
            denominator *= BigInt::from(10u32).pow((-exp) as u32);
        }
        let g = gcd(&numerator, &denominator);
        if !g.is_zero() && !g.is_one() {
            numerator /= &g;
            denominator /= &g;
        }
        return Ok(Literal::ScaledDecimal { numerator: sign(numerator), denominator, scale });
    }
    if !fraction.is_empty() {
        let spelled = format!("{}{mantissa}.{fraction}e{exp}", if negative { "-" } else { "" });
        return spelled.parse::<f64>().map(Literal::Float).map_err(|_| format!("expected a float, found {text}"));
    }
    let m = digits_value(mantissa, radix)?;
    if exp >= 0 {
        Ok(Literal::Integer(sign(m * BigInt::from(radix).pow(exp as u32))))
    } else {
        // Smalltalk would answer a Fraction; a Float is the nearest plain literal.
        let f = m.to_f64().unwrap_or(f64::INFINITY) * (radix as f64).powi(exp as i32);
        Ok(Literal::Float(if negative { -f } else { f }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i64) -> Literal {
        Literal::Integer(BigInt::from(n))
    }

    #[test]
    fn numbers() {
        assert_eq!(number("42"), Ok(int(42)));
        assert_eq!(number("-7"), Ok(int(-7)));
        assert_eq!(number("16r1F"), Ok(int(31)));
        assert_eq!(number("16r-1F"), Ok(int(-31)));
        assert_eq!(number("-16r1F"), Ok(int(-31)));
        assert_eq!(number("2r1010"), Ok(int(10)));
        assert_eq!(number("1e6"), Ok(int(1_000_000)));
        assert_eq!(number("3.25"), Ok(Literal::Float(3.25)));
        assert_eq!(number("1.0e-10"), Ok(Literal::Float(1.0e-10)));
        assert_eq!(number("2.5e3"), Ok(Literal::Float(2500.0)));
        assert_eq!(number("1.5e300"), Ok(Literal::Float(1.5e300)));
        assert_eq!(
            number("3.14s2"),
            Ok(Literal::ScaledDecimal { numerator: BigInt::from(157), denominator: BigInt::from(50), scale: 2 })
        );
        assert_eq!(
            number("3s2"),
            Ok(Literal::ScaledDecimal { numerator: BigInt::from(3), denominator: BigInt::from(1), scale: 2 })
        );
        assert_eq!(
            number("3.14s"),
            Ok(Literal::ScaledDecimal { numerator: BigInt::from(157), denominator: BigInt::from(50), scale: 2 })
        );
        assert!(number("1e999999999").is_err());
        assert!(number("1r0").is_err());
        assert!(number("99r0").is_err());
        let big = number("123456789012345678901234567890");
        assert!(matches!(big, Ok(Literal::Integer(_))));
    }

    #[test]
    fn strings_and_symbols() {
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(symbol_name("#at:put:"), "at:put:");
        assert_eq!(symbol_name("#'hello world'"), "hello world");
    }
}
