//! A forgiving scanner for what is being typed: it splits a line (possibly
//! unfinished, possibly wrong) into coloured spans for highlighting and
//! finds the receiver before the cursor for completion. It never fails; the
//! real lexer and parser decide what the input means.

/// What a span of input is, as far as colouring and completion care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Comment,
    String,
    Symbol,
    Character,
    Number,
    /// `at:` (not `:=`).
    Keyword,
    /// A name that starts with an upper-case letter (a class or global).
    Global,
    /// `self`, `super`, `nil`, `true`, `false`, `thisContext`.
    Pseudo,
    Name,
    /// `:=` or `^`.
    Assign,
    /// `(`, `[`, `{`, `#(`, `#[`: the last byte is the bracket.
    Open,
    /// `)`, `]`, `}`.
    Close,
    /// `.`, `;`, `|`, `:` and other punctuation.
    Punct,
    Binary,
}

/// A piece of the input: `text[start..end]` is of kind `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

const PSEUDO_VARIABLES: [&str; 6] = ["self", "super", "nil", "true", "false", "thisContext"];

fn is_binary_char(c: char) -> bool {
    "+-*/\\<>=~,@%&?!|".contains(c)
}

/// Splits `text` into spans (whitespace is left out).
pub fn scan(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    let char_at = |i: usize| text[i..].chars().next().unwrap_or(' ');
    while i < text.len() {
        let c = char_at(i);
        let start = i;
        let next = |j: usize| text[j..].chars().next();
        let kind = if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        } else if c == '"' {
            i = text[i + 1..].find('"').map_or(text.len(), |k| i + 1 + k + 1);
            Kind::Comment
        } else if c == '\'' {
            i = end_of_string(text, i);
            Kind::String
        } else if c == '$' {
            i += 1;
            if let Some(ch) = next(i) {
                i += ch.len_utf8();
            }
            Kind::Character
        } else if c == '#' {
            i += 1;
            match next(i) {
                Some('(') | Some('[') => {
                    i += 1;
                    Kind::Open
                }
                Some('\'') => {
                    i = end_of_string(text, i);
                    Kind::Symbol
                }
                Some(ch) if ch.is_alphabetic() || ch == '_' => {
                    while let Some(ch) = next(i).filter(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == ':') {
                        i += ch.len_utf8();
                    }
                    Kind::Symbol
                }
                Some(ch) if is_binary_char(ch) => {
                    while let Some(ch) = next(i).filter(|ch| is_binary_char(*ch)) {
                        i += ch.len_utf8();
                    }
                    Kind::Symbol
                }
                _ => Kind::Punct,
            }
        } else if c.is_ascii_digit()
            || (c == '-' && next(i + 1).is_some_and(|d| d.is_ascii_digit()) && !ends_operand(&spans))
        {
            i += 1;
            while i < text.len() {
                let b = bytes[i];
                let continues_fraction = b == b'.' && i + 1 < text.len() && bytes[i + 1].is_ascii_digit();
                let exponent_sign = b == b'-' && i > 0 && bytes[i - 1] == b'e';
                if b.is_ascii_alphanumeric() || continues_fraction || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            Kind::Number
        } else if c.is_alphabetic() || c == '_' {
            while let Some(ch) = next(i).filter(|ch| ch.is_alphanumeric() || *ch == '_') {
                i += ch.len_utf8();
            }
            let word = &text[start..i];
            if next(i) == Some(':') && next(i + 1) != Some('=') {
                i += 1;
                Kind::Keyword
            } else if PSEUDO_VARIABLES.contains(&word) {
                Kind::Pseudo
            } else if c.is_uppercase() {
                Kind::Global
            } else {
                Kind::Name
            }
        } else if c == ':' && next(i + 1) == Some('=') {
            i += 2;
            Kind::Assign
        } else if c == '^' {
            i += 1;
            Kind::Assign
        } else if "([{".contains(c) {
            i += 1;
            Kind::Open
        } else if ")]}".contains(c) {
            i += 1;
            Kind::Close
        } else if c == '|' || c == '.' || c == ';' || c == ':' || c == '!' {
            i += 1;
            Kind::Punct
        } else if is_binary_char(c) {
            while let Some(ch) = next(i).filter(|ch| is_binary_char(*ch) && *ch != '|') {
                i += ch.len_utf8();
            }
            Kind::Binary
        } else {
            i += c.len_utf8();
            Kind::Punct
        };
        spans.push(Span { kind, start, end: i });
    }
    spans
}

/// The end of a string literal that starts at `start` (its quote), past
/// doubled quotes; the end of the text if it is not closed.
fn end_of_string(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    text.len()
}

/// Whether the last span ends an operand (so a following `-` is binary).
fn ends_operand(spans: &[Span]) -> bool {
    spans.last().is_some_and(|s| is_operand(s.kind))
}

fn is_operand(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::String
            | Kind::Symbol
            | Kind::Character
            | Kind::Number
            | Kind::Global
            | Kind::Pseudo
            | Kind::Name
            | Kind::Close
    )
}

/// The partner of the bracket span at `index`, if it has one.
pub fn matching_bracket(spans: &[Span], index: usize) -> Option<usize> {
    let code: Vec<usize> = (0..spans.len()).filter(|&i| spans[i].kind != Kind::Comment).collect();
    let at = code.iter().position(|&i| i == index)?;
    match spans[index].kind {
        Kind::Open => {
            let mut depth = 0;
            for &i in &code[at..] {
                match spans[i].kind {
                    Kind::Open => depth += 1,
                    Kind::Close => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        Kind::Close => {
            let mut depth = 0;
            for &i in code[..=at].iter().rev() {
                match spans[i].kind {
                    Kind::Close => depth += 1,
                    Kind::Open => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        _ => None,
    }
}

/// What the word being typed at the end of `before` should complete to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A variable: the start of an expression or an argument.
    Name,
    /// A selector for the receiver written as this text (a literal or a
    /// variable), or for an unknown receiver.
    Message(Option<String>),
}

/// Decides from the text before the word being completed whether a name or
/// a message comes next, and for a message, the receiver's text when it is
/// a literal or a variable.
pub fn want_before(before: &str) -> Want {
    let spans: Vec<Span> = scan(before).into_iter().filter(|s| s.kind != Kind::Comment).collect();
    let Some(last) = spans.last() else {
        return Want::Name;
    };
    let n = spans.len();
    let operand_before = |i: usize| i > 0 && is_operand(spans[i - 1].kind);
    match last.kind {
        Kind::String | Kind::Symbol | Kind::Character | Kind::Number | Kind::Pseudo => {
            if operand_before(n - 1) {
                Want::Message(None)
            } else {
                Want::Message(Some(before[last.start..last.end].to_string()))
            }
        }
        Kind::Global | Kind::Name => {
            if operand_before(n - 1) {
                Want::Message(None)
            } else {
                Want::Message(Some(before[last.start..last.end].to_string()))
            }
        }
        Kind::Close => {
            let open = matching_bracket(&spans, n - 1);
            match open {
                Some(o) if &before[spans[o].start..spans[o].end] != "(" => {
                    Want::Message(Some(before[spans[o].start..last.end].to_string()))
                }
                _ => Want::Message(None),
            }
        }
        Kind::Punct if &before[last.start..last.end] == ";" => Want::Message(None),
        _ => Want::Name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        scan(text).into_iter().map(|s| (s.kind, &text[s.start..s.end])).collect()
    }

    #[test]
    fn scans_the_usual_tokens() {
        assert_eq!(
            kinds("x := #(1 $a) at: 1. \"c\" 'it''s' ^#foo:bar: -3"),
            vec![
                (Kind::Name, "x"),
                (Kind::Assign, ":="),
                (Kind::Open, "#("),
                (Kind::Number, "1"),
                (Kind::Character, "$a"),
                (Kind::Close, ")"),
                (Kind::Keyword, "at:"),
                (Kind::Number, "1"),
                (Kind::Punct, "."),
                (Kind::Comment, "\"c\""),
                (Kind::String, "'it''s'"),
                (Kind::Assign, "^"),
                (Kind::Symbol, "#foo:bar:"),
                (Kind::Binary, "-"),
                (Kind::Number, "3"),
            ]
        );
        assert_eq!(kinds("x := -3"), vec![(Kind::Name, "x"), (Kind::Assign, ":="), (Kind::Number, "-3")]);
        assert_eq!(kinds("3-4"), vec![(Kind::Number, "3"), (Kind::Binary, "-"), (Kind::Number, "4")]);
        assert_eq!(kinds("'open"), vec![(Kind::String, "'open")]);
        assert_eq!(kinds("Object self"), vec![(Kind::Global, "Object"), (Kind::Pseudo, "self")]);
    }

    #[test]
    fn finds_matching_brackets() {
        let spans = scan("[:x | (x + 1)] value: #(1)");
        assert_eq!(matching_bracket(&spans, 0), Some(9));
        assert_eq!(matching_bracket(&spans, 9), Some(0));
        assert_eq!(matching_bracket(&spans, 4), Some(8));
    }

    #[test]
    fn tells_names_from_messages() {
        assert_eq!(want_before(""), Want::Name);
        assert_eq!(want_before("x := "), Want::Name);
        assert_eq!(want_before("3 + "), Want::Name);
        assert_eq!(want_before("3 "), Want::Message(Some("3".into())));
        assert_eq!(want_before("Transcript "), Want::Message(Some("Transcript".into())));
        assert_eq!(want_before("x foo "), Want::Message(None));
        assert_eq!(want_before("'abc' "), Want::Message(Some("'abc'".into())));
        assert_eq!(want_before("#(1 2) "), Want::Message(Some("#(1 2)".into())));
        assert_eq!(want_before("[:x | x] "), Want::Message(Some("[:x | x]".into())));
        assert_eq!(want_before("(3 + 4) "), Want::Message(None));
        assert_eq!(want_before("x at: "), Want::Name);
    }
}
