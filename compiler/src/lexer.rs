//! The lexer: source text to a vector of tokens with byte spans.
//!
//! logos does the raw scanning; a small pass afterwards settles the few places
//! where Smalltalk's tokens depend on their neighbours (`x:=1`, negative number
//! literals, `|` and `<`/`>` that double as punctuation). It knows nothing of
//! the grammar beyond that.

use logos::{FilterResult, Logos};

/// A token as the parser sees it. Text-carrying variants borrow the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    Ident(&'a str),
    /// `at:`
    Keyword(&'a str),
    /// `at:put:` written as one word (only meaningful inside literal arrays).
    KeywordSeq(&'a str),
    /// A binary selector other than `|`, `<` and `>`.
    BinOp(&'a str),
    Bar,
    Lt,
    Gt,
    /// The number's text as written, with a leading `-` for negative literals.
    Number(&'a str),
    Char(char),
    /// The string's text with its quotes and doubled quotes, as written.
    Str(&'a str),
    /// `#foo`, `#at:put:`, `#+` or `#'hello world'`, as written.
    Symbol(&'a str),
    LitArrayOpen,
    ByteArrayOpen,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Semi,
    Caret,
    Assign,
    Colon,
    Bang,
}

impl Tok<'_> {
    /// Whether an operand can end with this token, so that a following `-`
    /// is a binary minus rather than a negative literal's sign.
    fn ends_operand(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Char(_)
                | Tok::Str(_)
                | Tok::Symbol(_)
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
        )
    }

    /// How a person would name this token in a message, e.g. `')'` or `name 'foo'`.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("name '{s}'"),
            Tok::Keyword(s) | Tok::KeywordSeq(s) => format!("keyword '{s}'"),
            Tok::BinOp(s) => format!("'{s}'"),
            Tok::Bar => "'|'".into(),
            Tok::Lt => "'<'".into(),
            Tok::Gt => "'>'".into(),
            Tok::Number(s) => format!("number {s}"),
            Tok::Char(c) => format!("character ${c}"),
            Tok::Str(s) => format!("string {}", shorten(s)),
            Tok::Symbol(s) => format!("symbol {}", shorten(s)),
            Tok::LitArrayOpen => "'#('".into(),
            Tok::ByteArrayOpen => "'#['".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Semi => "';'".into(),
            Tok::Caret => "'^'".into(),
            Tok::Assign => "':='".into(),
            Tok::Colon => "':'".into(),
            Tok::Bang => "'!'".into(),
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 24 {
        let head: String = s.chars().take(20).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

/// A token and its byte span in the text that was lexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

/// What went wrong while lexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LexErrorKind {
    #[default]
    UnexpectedChar,
    UnterminatedString,
    UnterminatedComment,
    MissingCharacter,
    BareHash,
}

/// A lexing error at a byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub start: usize,
    pub end: usize,
}

impl LexError {
    /// The diagnostic message, given the text that was lexed.
    pub fn message(&self, source: &str) -> String {
        match self.kind {
            LexErrorKind::UnexpectedChar => {
                let c = source.get(self.start..).and_then(|s| s.chars().next()).unwrap_or(' ');
                format!("unexpected character '{}' (U+{:04X}); expected a name, literal or punctuation", c, c as u32)
            }
            LexErrorKind::UnterminatedString => {
                "expected a closing quote (') for this string, found end of input".into()
            }
            LexErrorKind::UnterminatedComment => {
                "expected a closing double quote (\") for this comment, found end of input".into()
            }
            LexErrorKind::MissingCharacter => "expected a character after '$', found end of input".into(),
            LexErrorKind::BareHash => "expected a symbol, '(' or '[' after '#', found something else".into(),
        }
    }
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
enum Raw {
    #[token("\"", comment)]
    Comment,
    #[regex(r"[\p{L}_][\p{L}\p{Nd}_]*")]
    Ident,
    #[regex(r"[\p{L}_][\p{L}\p{Nd}_]*:")]
    Keyword,
    #[regex(r"([\p{L}_][\p{L}\p{Nd}_]*:)([\p{L}_][\p{L}\p{Nd}_]*:)+")]
    KeywordSeq,
    #[regex(r"[-+*/\\<>=~@%|&?,]+")]
    BinOp,
    #[regex("[0-9]+", number)]
    Number,
    #[token("$", character)]
    Char(char),
    #[token("'", string)]
    Str,
    #[regex(r"#[\p{L}_][\p{L}\p{Nd}_:]*")]
    #[regex(r"#[-+*/\\<>=~@%|&?,]+")]
    Symbol,
    #[token("#'", quoted_symbol)]
    QuotedSymbol,
    #[token("#")]
    Hash,
    #[token("#(")]
    LitArrayOpen,
    #[token("#[")]
    ByteArrayOpen,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(".")]
    Dot,
    #[token(";")]
    Semi,
    #[token("^")]
    Caret,
    #[token(":=")]
    Assign,
    #[token(":")]
    Colon,
    #[token("!")]
    Bang,
}

fn comment(lex: &mut logos::Lexer<'_, Raw>) -> FilterResult<(), LexErrorKind> {
    match lex.remainder().find('"') {
        Some(n) => {
            lex.bump(n + 1);
            FilterResult::Skip
        }
        None => {
            lex.bump(lex.remainder().len());
            FilterResult::Error(LexErrorKind::UnterminatedComment)
        }
    }
}

/// Scans past the body of a quoted string or symbol (the opening quote is
/// already consumed), treating `''` as an escaped quote.
fn quoted_body(lex: &mut logos::Lexer<'_, Raw>) -> Result<(), LexErrorKind> {
    let rest = lex.remainder().as_bytes();
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'\'' {
            if rest.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            lex.bump(i + 1);
            return Ok(());
        }
        i += 1;
    }
    lex.bump(rest.len());
    Err(LexErrorKind::UnterminatedString)
}

fn string(lex: &mut logos::Lexer<'_, Raw>) -> Result<(), LexErrorKind> {
    quoted_body(lex)
}

fn quoted_symbol(lex: &mut logos::Lexer<'_, Raw>) -> Result<(), LexErrorKind> {
    quoted_body(lex)
}

fn character(lex: &mut logos::Lexer<'_, Raw>) -> Result<char, LexErrorKind> {
    match lex.remainder().chars().next() {
        Some(c) => {
            lex.bump(c.len_utf8());
            Ok(c)
        }
        None => Err(LexErrorKind::MissingCharacter),
    }
}

/// Extends a run of decimal digits to a whole number literal: radix
/// (`16r1F`, `16r-1F`), fraction (`3.14`), exponent (`1e6`, `1.0e-10`) and
/// scale (`3.14s2`). Each part is taken only when it is complete, so `3.`
/// ends a statement and `2r` is `2` followed by `r`.
fn number(lex: &mut logos::Lexer<'_, Raw>) {
    let base: u32 = lex.slice().parse().unwrap_or(10);
    let rest = lex.remainder().as_bytes();
    let mut i = 0;
    let digit_in = |b: u8, radix: u32| (b as char).to_digit(36).is_some_and(|d| d < radix);
    let mut radix = 10;
    if rest.first() == Some(&b'r') && (2..=36).contains(&base) {
        let sign = usize::from(rest.get(1) == Some(&b'-'));
        let mut j = 1 + sign;
        while rest.get(j).is_some_and(|&b| digit_in(b, base)) {
            j += 1;
        }
        if j > 1 + sign {
            i = j;
            radix = base;
        }
    }
    if radix == 10 && rest.get(i) == Some(&b'.') && rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 2;
        while rest.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if rest.get(i) == Some(&b'e') {
        let sign = usize::from(rest.get(i + 1) == Some(&b'-'));
        let mut j = i + 1 + sign;
        while rest.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > i + 1 + sign {
            i = j;
        }
    }
    if radix == 10 && rest.get(i) == Some(&b's') {
        let mut j = i + 1;
        while rest.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let next_is_word = rest.get(j).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
        if !next_is_word {
            i = j;
        }
    }
    lex.bump(i);
}

/// Lexes `source` into tokens, or answers the first lexical error.
pub fn lex(source: &str) -> Result<Vec<Token<'_>>, LexError> {
    let mut raw = Raw::lexer(source);
    let mut out: Vec<Token<'_>> = Vec::new();
    while let Some(result) = raw.next() {
        let span = raw.span();
        let (start, end) = (span.start, span.end);
        let text = &source[start..end];
        let tok = match result {
            Err(kind) => return Err(LexError { kind, start, end }),
            Ok(r) => match r {
                Raw::Comment => continue,
                Raw::Ident => Tok::Ident(text),
                Raw::Keyword => Tok::Keyword(text),
                Raw::KeywordSeq => Tok::KeywordSeq(text),
                Raw::BinOp => Tok::BinOp(text),
                Raw::Number => Tok::Number(text),
                Raw::Char(c) => Tok::Char(c),
                Raw::Str => Tok::Str(text),
                Raw::Symbol | Raw::QuotedSymbol => Tok::Symbol(text),
                Raw::Hash => return Err(LexError { kind: LexErrorKind::BareHash, start, end }),
                Raw::LitArrayOpen => Tok::LitArrayOpen,
                Raw::ByteArrayOpen => Tok::ByteArrayOpen,
                Raw::LParen => Tok::LParen,
                Raw::RParen => Tok::RParen,
                Raw::LBracket => Tok::LBracket,
                Raw::RBracket => Tok::RBracket,
                Raw::LBrace => Tok::LBrace,
                Raw::RBrace => Tok::RBrace,
                Raw::Dot => Tok::Dot,
                Raw::Semi => Tok::Semi,
                Raw::Caret => Tok::Caret,
                Raw::Assign => Tok::Assign,
                Raw::Colon => Tok::Colon,
                Raw::Bang => Tok::Bang,
            },
        };
        out.push(Token { tok, start, end });
    }
    let out = split_keyword_assignments(source, out);
    let out = settle_minus(source, out);
    Ok(settle_punctuation(out))
}

/// `x:=1` lexes as keyword `x:` and operator `=`; make it `x`, `:=`, `1`.
fn split_keyword_assignments<'a>(source: &'a str, tokens: Vec<Token<'a>>) -> Vec<Token<'a>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut iter = tokens.into_iter().peekable();
    while let Some(t) = iter.next() {
        if let (Tok::Keyword(_), Some(next)) = (t.tok, iter.peek().copied()) {
            if let Tok::BinOp(op) = next.tok {
                if next.start == t.end && op.starts_with('=') {
                    iter.next();
                    out.push(Token { tok: Tok::Ident(&source[t.start..t.end - 1]), start: t.start, end: t.end - 1 });
                    out.push(Token { tok: Tok::Assign, start: t.end - 1, end: next.start + 1 });
                    if op.len() > 1 {
                        let s = next.start + 1;
                        out.push(Token { tok: Tok::BinOp(&source[s..next.end]), start: s, end: next.end });
                    }
                    continue;
                }
            }
        }
        out.push(t);
    }
    out
}

/// Decides, for each `-` written right before a number, whether it is the
/// literal's sign: always inside a literal array, elsewhere only where no
/// operand precedes it (`3 - -5`, `x := -1`, but `x-1` is a subtraction).
fn settle_minus<'a>(source: &'a str, tokens: Vec<Token<'a>>) -> Vec<Token<'a>> {
    let mut out: Vec<Token<'a>> = Vec::with_capacity(tokens.len());
    // For each open bracket, whether it opens a literal array.
    let mut literal_stack: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let in_literal = literal_stack.last().copied().unwrap_or(false);
        match t.tok {
            Tok::LitArrayOpen => literal_stack.push(true),
            Tok::LParen => literal_stack.push(in_literal),
            Tok::LBracket | Tok::LBrace | Tok::ByteArrayOpen => literal_stack.push(false),
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                literal_stack.pop();
            }
            _ => {}
        }
        if let (Tok::BinOp(op), Some(next)) = (t.tok, tokens.get(i + 1)) {
            let adjacent_number = next.start == t.end && matches!(next.tok, Tok::Number(_));
            if adjacent_number && op.ends_with('-') {
                let sign_start = t.end - 1;
                let prefix_is_operator = op.len() > 1;
                let prev_ends_operand = out.last().is_some_and(|p| p.tok.ends_operand());
                if prefix_is_operator || in_literal || !prev_ends_operand {
                    if prefix_is_operator {
                        out.push(Token {
                            tok: Tok::BinOp(&source[t.start..sign_start]),
                            start: t.start,
                            end: sign_start,
                        });
                    }
                    out.push(Token {
                        tok: Tok::Number(&source[sign_start..next.end]),
                        start: sign_start,
                        end: next.end,
                    });
                    i += 2;
                    continue;
                }
            }
        }
        out.push(t);
        i += 1;
    }
    out
}

/// `|`, `<` and `>` are punctuation as well as binary selectors; the parser
/// wants them as their own tokens. `||` (empty temps, or a block's arguments
/// followed by temps) becomes two bars.
fn settle_punctuation(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        match t.tok {
            Tok::BinOp("|") => out.push(Token { tok: Tok::Bar, ..t }),
            Tok::BinOp("<") => out.push(Token { tok: Tok::Lt, ..t }),
            Tok::BinOp(">") => out.push(Token { tok: Tok::Gt, ..t }),
            Tok::BinOp(op) if op.bytes().all(|b| b == b'|') => {
                for k in 0..op.len() {
                    out.push(Token { tok: Tok::Bar, start: t.start + k, end: t.start + k + 1 });
                }
            }
            _ => out.push(t),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        lex(s).map(|v| v.into_iter().map(|t| t.tok).collect()).unwrap_or_default()
    }

    #[test]
    fn numbers_in_every_form() {
        for n in [
            "42",
            "16r1F",
            "2r1010",
            "1e6",
            "3.14",
            "1.0e-10",
            "2.5e3",
            "1.5e300",
            "3.14s2",
            "3s2",
            "3s",
            "16r-1F",
            "36rSMALLTALK",
        ] {
            assert_eq!(toks(n), vec![Tok::Number(n)], "{n}");
        }
        assert_eq!(toks("3."), vec![Tok::Number("3"), Tok::Dot]);
        assert_eq!(toks("2r"), vec![Tok::Number("2"), Tok::Ident("r")]);
        assert_eq!(toks("3 sqrt"), vec![Tok::Number("3"), Tok::Ident("sqrt")]);
        assert_eq!(toks("3seconds"), vec![Tok::Number("3"), Tok::Ident("seconds")]);
        assert_eq!(toks("1e"), vec![Tok::Number("1"), Tok::Ident("e")]);
    }

    #[test]
    fn negative_literals_follow_pharo() {
        assert_eq!(toks("3 - -5"), vec![Tok::Number("3"), Tok::BinOp("-"), Tok::Number("-5")]);
        assert_eq!(toks("x-1"), vec![Tok::Ident("x"), Tok::BinOp("-"), Tok::Number("1")]);
        assert_eq!(toks("3-1"), vec![Tok::Number("3"), Tok::BinOp("-"), Tok::Number("1")]);
        assert_eq!(toks("x := -1"), vec![Tok::Ident("x"), Tok::Assign, Tok::Number("-1")]);
        assert_eq!(toks("3--5"), vec![Tok::Number("3"), Tok::BinOp("-"), Tok::Number("-5")]);
        assert_eq!(toks("x<-1"), vec![Tok::Ident("x"), Tok::Lt, Tok::Number("-1")]);
        assert_eq!(toks("#(-1 -2)"), vec![Tok::LitArrayOpen, Tok::Number("-1"), Tok::Number("-2"), Tok::RParen]);
        assert_eq!(toks("-16r1F"), vec![Tok::Number("-16r1F")]);
    }

    #[test]
    fn characters_strings_symbols() {
        assert_eq!(toks("$a $  $'"), vec![Tok::Char('a'), Tok::Char(' '), Tok::Char('\'')]);
        assert_eq!(toks("'it''s'"), vec![Tok::Str("'it''s'")]);
        assert_eq!(
            toks("#foo #at:put: #+ #'hello world' #->"),
            vec![
                Tok::Symbol("#foo"),
                Tok::Symbol("#at:put:"),
                Tok::Symbol("#+"),
                Tok::Symbol("#'hello world'"),
                Tok::Symbol("#->")
            ]
        );
        assert_eq!(toks("#[1 2]"), vec![Tok::ByteArrayOpen, Tok::Number("1"), Tok::Number("2"), Tok::RBracket]);
        assert_eq!(toks("\"a comment\" x"), vec![Tok::Ident("x")]);
    }

    #[test]
    fn keywords_and_assignment() {
        assert_eq!(
            toks("at: 1 put: 2"),
            vec![Tok::Keyword("at:"), Tok::Number("1"), Tok::Keyword("put:"), Tok::Number("2")]
        );
        assert_eq!(toks("x:=1"), vec![Tok::Ident("x"), Tok::Assign, Tok::Number("1")]);
        assert_eq!(toks("x:=-1"), vec![Tok::Ident("x"), Tok::Assign, Tok::Number("-1")]);
        assert_eq!(toks("at:put:"), vec![Tok::KeywordSeq("at:put:")]);
        assert_eq!(
            toks("[:x :y | ]"),
            vec![Tok::LBracket, Tok::Colon, Tok::Ident("x"), Tok::Colon, Tok::Ident("y"), Tok::Bar, Tok::RBracket]
        );
        assert_eq!(toks("||"), vec![Tok::Bar, Tok::Bar]);
        assert_eq!(toks("a -> b"), vec![Tok::Ident("a"), Tok::BinOp("->"), Tok::Ident("b")]);
    }

    #[test]
    fn errors_carry_their_kind_and_span() {
        assert_eq!(lex("x 'abc").err().map(|e| (e.kind, e.start)), Some((LexErrorKind::UnterminatedString, 2)));
        assert_eq!(lex("\"abc").err().map(|e| e.kind), Some(LexErrorKind::UnterminatedComment));
        assert_eq!(lex("x $").err().map(|e| e.kind), Some(LexErrorKind::MissingCharacter));
        assert_eq!(lex("x § y").err().map(|e| e.kind), Some(LexErrorKind::UnexpectedChar));
        assert_eq!(lex("# foo").err().map(|e| e.kind), Some(LexErrorKind::BareHash));
    }
}
