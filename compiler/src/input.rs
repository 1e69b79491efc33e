//! Whether a REPL input is complete or needs more lines.

use crate::lexer::{lex, LexErrorKind, Tok};

/// What the REPL should do with the input typed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputStatus {
    /// Compile and run it (syntax errors included: compiling reports them).
    Complete,
    /// Read another line and append it.
    Incomplete,
}

/// Answers `Incomplete` when a bracket, parenthesis or brace is still open,
/// a string or comment is unterminated, or the input ends with a keyword,
/// a binary operator, `:=` or `^`; `Complete` otherwise. Never fails.
pub fn input_status(source: &str) -> InputStatus {
    let tokens = match lex(source) {
        Ok(tokens) => tokens,
        Err(e) => {
            return match e.kind {
                LexErrorKind::UnterminatedString | LexErrorKind::UnterminatedComment => InputStatus::Incomplete,
                _ => InputStatus::Complete,
            }
        }
    };
    let mut depth: i64 = 0;
    for t in &tokens {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::LitArrayOpen | Tok::ByteArrayOpen => depth += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                depth -= 1;
                if depth < 0 {
                    // A stray closer: the input is wrong, not unfinished.
                    return InputStatus::Complete;
                }
            }
            _ => {}
        }
    }
    if depth > 0 {
        return InputStatus::Incomplete;
    }
    match tokens.last().map(|t| t.tok) {
        Some(Tok::Keyword(_) | Tok::BinOp(_) | Tok::Lt | Tok::Gt | Tok::Assign | Tok::Caret | Tok::Colon) => {
            InputStatus::Incomplete
        }
        _ => InputStatus::Complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InputStatus::*;

    #[test]
    fn open_constructs_are_incomplete() {
        for s in [
            "[:x |",
            "(1 + 2",
            "{1.",
            "#(1 2",
            "'abc",
            "\"comment",
            "3 +",
            "x at: 1 put:",
            "x :=",
            "^",
            "Object subclass: Foo [",
        ] {
            assert_eq!(input_status(s), Incomplete, "{s}");
        }
    }

    #[test]
    fn finished_or_broken_input_is_complete() {
        for s in ["3 + 4", "", "x foo.", "[:x | x] value: 3", "1 + )", "x := 3. y", "| a b |", "§", "#(1 2)"] {
            assert_eq!(input_status(s), Complete, "{s}");
        }
    }
}
