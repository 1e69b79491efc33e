//! Primitives of Character: classification and case mapping over all of
//! Unicode, in Pharo's terms (a letter is a character of general category
//! L*, a digit one of Nd, punctuation one of P*).
//!
//! It knows code points and the Unicode tables of Rust's `char` and of
//! `unicode-properties`; it knows nothing of strings or the heap beyond the
//! immediate Character it is handed.

use super::index::Primitive as P;
use super::{answer, receiver, PrimError, PrimResult};
use crate::heap::Oop;
use crate::interp::Vm;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

pub fn character(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    if !rcvr.is_character() {
        return Err(PrimError::Fail);
    }
    // Surrogates and other code points that are no `char` have no properties.
    let c = char::from_u32(rcvr.as_character());
    let result = match prim {
        P::CharacterAsUppercase => Oop::character(c.map_or(rcvr.as_character(), |c| to_upper(c) as u32)),
        P::CharacterAsLowercase => Oop::character(c.map_or(rcvr.as_character(), |c| to_lower(c) as u32)),
        P::CharacterDigitValue => Oop::small_integer(c.map_or(-1, digit_value)),
        _ => {
            let yes = c.is_some_and(|c| match prim {
                P::CharacterIsLetter => is_letter(c),
                P::CharacterIsDigit => is_digit(c),
                P::CharacterIsUppercase => c.general_category() == GeneralCategory::UppercaseLetter,
                P::CharacterIsLowercase => c.general_category() == GeneralCategory::LowercaseLetter,
                P::CharacterIsSeparator => is_separator(c),
                P::CharacterIsPunctuation => c.general_category_group() == GeneralCategoryGroup::Punctuation,
                _ => false,
            });
            vm.mem.boolean(yes)
        }
    };
    answer(vm, argc, result)
}

/// Letters: general category Lu, Ll, Lt, Lm or Lo (Pharo's `isLetter`).
pub fn is_letter(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Letter
}

/// Decimal digits of any script: general category Nd (Pharo's `isDigit`).
pub fn is_digit(c: char) -> bool {
    c.general_category() == GeneralCategory::DecimalNumber
}

/// Pharo's five ASCII separators (space, tab, LF, form feed, CR), and above
/// ASCII every character with Unicode's White_Space property (no-break
/// space, the typographic spaces, the ideographic space ...).
pub fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, ' ' | '\t' | '\n' | '\x0C' | '\r')
    } else {
        c.is_whitespace()
    }
}

/// The simple (one character to one character) upper case of `c`; `c`
/// itself when Unicode maps it to more than one character (`ß`) or to none.
pub fn to_upper(c: char) -> char {
    single(c.to_uppercase()).unwrap_or(c)
}

/// The simple lower case of `c`, as [`to_upper`].
pub fn to_lower(c: char) -> char {
    single(c.to_lowercase()).unwrap_or(c)
}

fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

/// 0-9 for a decimal digit of any script, 10-35 for the ASCII letters
/// (either case), -1 otherwise. Unicode keeps every script's digits in one
/// run from 0 to 9 (several runs may touch, as the mathematical digits do),
/// so a digit's value is its distance from the start of its run, modulo 10.
pub fn digit_value(c: char) -> i64 {
    if c.is_ascii_alphanumeric() {
        return c.to_digit(36).map_or(-1, i64::from);
    }
    if !is_digit(c) {
        return -1;
    }
    let mut start = c as u32;
    while let Some(before) = start.checked_sub(1).and_then(char::from_u32) {
        if !is_digit(before) {
            break;
        }
        start -= 1;
    }
    ((c as u32 - start) % 10) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{FALSE, TRUE};
    use crate::prims::integer::tests::{run, test_vm};

    fn ch(c: char) -> Oop {
        Oop::character(c as u32)
    }

    #[test]
    fn classification_follows_the_general_category() {
        for c in ['a', 'Z', 'é', 'ß', 'Ω', 'ж', '中', 'ا', 'ǅ'] {
            assert!(is_letter(c), "{c} is a letter");
        }
        for c in ['1', '_', '\u{0903}', 'Ⅻ', '½', ' '] {
            assert!(!is_letter(c), "{c} is no letter");
        }
        for c in ['7', '٣', '३', '𝟘'] {
            assert!(is_digit(c), "{c} is a digit");
        }
        for c in ['²', '½', 'Ⅻ', 'a'] {
            assert!(!is_digit(c), "{c} is no digit");
        }
        assert!(is_separator('\u{3000}') && is_separator('\u{A0}') && is_separator('\t'));
        assert!(!is_separator('\x0B') && !is_separator('x'));
    }

    #[test]
    fn case_maps_one_character_to_one() {
        assert_eq!(to_upper('é'), 'É');
        assert_eq!(to_upper('ß'), 'ß');
        assert_eq!(to_lower('Σ'), 'σ');
        assert_eq!(to_lower('Ж'), 'ж');
        assert_eq!(to_upper('1'), '1');
        assert_eq!(to_upper('ÿ'), 'Ÿ');
    }

    #[test]
    fn digit_values_of_every_script() {
        assert_eq!(digit_value('7'), 7);
        assert_eq!(digit_value('f'), 15);
        assert_eq!(digit_value('Z'), 35);
        assert_eq!(digit_value('٣'), 3);
        assert_eq!(digit_value('९'), 9);
        assert_eq!(digit_value('\u{1D7D9}'), 1); // MATHEMATICAL DOUBLE-STRUCK DIGIT ONE, in the second run
        assert_eq!(digit_value('²'), -1);
        assert_eq!(digit_value('é'), -1);
    }

    #[test]
    fn the_primitives_answer_and_fail() {
        let mut vm = test_vm();
        assert_eq!(run(&mut vm, 290, &[ch('中')]), Some(TRUE));
        assert_eq!(run(&mut vm, 290, &[ch('3')]), Some(FALSE));
        assert_eq!(run(&mut vm, 291, &[ch('٣')]), Some(TRUE));
        assert_eq!(run(&mut vm, 292, &[ch('Д')]), Some(TRUE));
        assert_eq!(run(&mut vm, 293, &[ch('Д')]), Some(FALSE));
        assert_eq!(run(&mut vm, 294, &[ch('\u{2003}')]), Some(TRUE));
        assert_eq!(run(&mut vm, 295, &[ch('¿')]), Some(TRUE));
        assert_eq!(run(&mut vm, 295, &[ch('+')]), Some(FALSE));
        assert_eq!(run(&mut vm, 296, &[ch('ω')]), Some(ch('Ω')));
        assert_eq!(run(&mut vm, 297, &[ch('É')]), Some(ch('é')));
        assert_eq!(run(&mut vm, 298, &[ch('٧')]), Some(Oop::small_integer(7)));
        // A surrogate is a Character but no char: it has no properties.
        assert_eq!(run(&mut vm, 290, &[Oop::character(0xD800)]), Some(FALSE));
        assert_eq!(run(&mut vm, 296, &[Oop::character(0xD800)]), Some(Oop::character(0xD800)));
        for number in 290..=298 {
            assert_eq!(run(&mut vm, number, &[Oop::small_integer(65)]), None, "primitive {number} on 65");
        }
    }
}
