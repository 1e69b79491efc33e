//! Runs the LALRPOP grammar over tokens and turns its errors into
//! diagnostics that say what was expected and what was found.

use bumpalo::Bump;
use lalrpop_util::ParseError;

use crate::ast::{Body, Method, Span, SyntaxError};
use crate::diagnostic::Diagnostic;
use crate::grammar;
use crate::lexer::{self, Tok, Token};
use crate::source_map::SourceMap;
use crate::MethodSyntax;

type GrammarError<'a> = ParseError<usize, Tok<'a>, SyntaxError>;

/// Lexes the whole text of `map`.
pub fn tokens<'s>(map: &SourceMap<'s>) -> Result<Vec<Token<'s>>, Diagnostic> {
    lexer::lex(map.text).map_err(|e| map.diagnostic(Span::new(e.start, e.end), e.message(map.text)))
}

fn triples<'a, 't>(
    tokens: &'t [Token<'a>],
) -> impl Iterator<Item = Result<(usize, Tok<'a>, usize), SyntaxError>> + 't {
    tokens.iter().map(|t| Ok((t.start, t.tok, t.end)))
}

/// Parses a method in either syntax from `tokens` (all of them).
pub fn method<'a>(
    arena: &'a Bump,
    map: &SourceMap<'a>,
    tokens: &[Token<'a>],
    syntax: MethodSyntax,
) -> Result<Method<'a>, Diagnostic> {
    let result = match syntax {
        MethodSyntax::Classic => grammar::MethodClassicParser::new().parse(arena, triples(tokens)),
        MethodSyntax::Bracket => grammar::MethodBracketParser::new().parse(arena, triples(tokens)),
    };
    let method = result.map_err(|e| diagnose(map, tokens, e, syntax == MethodSyntax::Bracket))?;
    check_nesting(map, method.body.statements)?;
    for p in method.body.pragmas {
        if let Some(span) = p
            .args
            .iter()
            .find_map(|a| crate::ast::literal_too_deep(a, 0))
        {
            return Err(map.diagnostic(
                span,
                "expected literal arrays nested at most 256 deep, found deeper nesting here",
            ));
        }
    }
    Ok(method)
}

fn check_nesting(
    map: &SourceMap<'_>,
    statements: &[crate::ast::Stmt<'_>],
) -> Result<(), Diagnostic> {
    match crate::ast::too_deep(statements) {
        Some(span) => Err(map.diagnostic(
            span,
            format!(
                "expected expressions nested at most {} deep, found deeper nesting here; split it up with temps",
                crate::ast::MAX_NESTING
            ),
        )),
        None => Ok(()),
    }
}

/// Parses temps and statements (a doit) from `tokens` (all of them).
pub fn doit_body<'a>(
    arena: &'a Bump,
    map: &SourceMap<'a>,
    tokens: &[Token<'a>],
) -> Result<Body<'a>, Diagnostic> {
    let body = grammar::DoItBodyParser::new()
        .parse(arena, triples(tokens))
        .map_err(|e| diagnose(map, tokens, e, false))?;
    check_nesting(map, body.statements)?;
    Ok(body)
}

fn opener_name(opener: Tok<'_>, is_method_body: bool) -> (&'static str, &'static str) {
    match opener {
        Tok::LBracket if is_method_body => ("']'", "the method body"),
        Tok::LBracket => ("']'", "the block"),
        Tok::ByteArrayOpen => ("']'", "the byte array"),
        Tok::LParen => ("')'", "the parenthesis"),
        Tok::LitArrayOpen => ("')'", "the literal array"),
        _ => ("'}'", "the brace array"),
    }
}

/// Names the grammar's expected terminals for a person.
fn describe_expected(expected: &[String]) -> String {
    let starts_expression = [
        "Ident", "Number", "Char", "Str", "Symbol", "\"#(\"", "\"#[\"", "\"(\"", "\"[\"", "\"{\"",
    ];
    let mut names: Vec<String> = Vec::new();
    if expected
        .iter()
        .any(|e| starts_expression.contains(&e.as_str()))
    {
        names.push("an expression".into());
    } else if expected.iter().any(|e| e == "Ident") {
        names.push("a name".into());
    }
    for e in expected {
        let name = match e.as_str() {
            "Keyword" => "a keyword".to_string(),
            "BinOp" => continue,
            s if starts_expression.contains(&s) => continue,
            s if s.starts_with('"') => format!("'{}'", s.trim_matches('"')),
            s => s.to_lowercase(),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0 => "nothing more".into(),
        1 => names.remove(0),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {}", names.join(", "), last)
        }
    }
}

fn diagnose<'a>(
    map: &SourceMap<'a>,
    tokens: &[Token<'a>],
    error: GrammarError<'a>,
    bracket_method: bool,
) -> Diagnostic {
    let (span, found, expected, index, found_tok) = match error {
        ParseError::User { error } => return map.diagnostic(error.span, error.message),
        ParseError::InvalidToken { location } => {
            return map.diagnostic(Span::new(location, location + 1), "unexpected input");
        }
        ParseError::ExtraToken {
            token: (lo, tok, hi),
        } => {
            return map.diagnostic(
                Span::new(lo, hi),
                format!("expected end of input, found {}", tok.describe()),
            );
        }
        ParseError::UnrecognizedToken {
            token: (lo, tok, hi),
            expected,
        } => {
            let index = tokens
                .iter()
                .position(|t| t.start == lo)
                .unwrap_or(tokens.len());
            (
                Span::new(lo, hi),
                tok.describe(),
                expected,
                index,
                Some(tok),
            )
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let at = tokens.last().map_or(location, |t| t.end);
            (
                Span::new(at, at),
                "end of input".to_string(),
                expected,
                tokens.len(),
                None,
            )
        }
    };
    let previous = index
        .checked_sub(1)
        .and_then(|i| tokens.get(i))
        .map(|t| t.tok);
    let wants_expression = expected.iter().any(|e| e == "Ident");
    let message = match previous {
        Some(Tok::Assign) if wants_expression => {
            format!("expected an expression after ':=', found {found}")
        }
        Some(Tok::Caret) if wants_expression => {
            format!("expected an expression after '^', found {found}")
        }
        Some(Tok::Keyword(k)) if wants_expression => {
            format!("expected an argument after '{k}', found {found}")
        }
        Some(Tok::BinOp(op)) if wants_expression => {
            format!("expected an argument after '{op}', found {found}")
        }
        Some(Tok::Colon) if wants_expression => {
            format!("expected a block argument name after ':', found {found}")
        }
        _ => {
            // The innermost bracket still open where the error is.
            let mut open: Vec<Token<'a>> = Vec::new();
            for t in &tokens[..index.min(tokens.len())] {
                match t.tok {
                    Tok::LBracket
                    | Tok::ByteArrayOpen
                    | Tok::LParen
                    | Tok::LitArrayOpen
                    | Tok::LBrace => open.push(*t),
                    Tok::RBracket | Tok::RParen | Tok::RBrace => {
                        open.pop();
                    }
                    _ => {}
                }
            }
            let closer_expected = open.last().filter(|o| {
                let (closer, _) = opener_name(o.tok, false);
                expected
                    .iter()
                    .any(|e| e.trim_matches('"') == closer.trim_matches('\''))
            });
            let stray_closer = matches!(found_tok, Some(Tok::RBracket | Tok::RParen | Tok::RBrace))
                && open.is_empty();
            match closer_expected {
                _ if stray_closer => {
                    format!("found {found} but nothing is open here for it to close; remove it or add the opening bracket")
                }
                Some(o) => {
                    let (closer, what) = opener_name(o.tok, bracket_method && open.len() == 1);
                    let position = map.position(o.start);
                    format!("expected {closer} to close {what} opened at {position}, found {found}")
                }
                None => format!("expected {}, found {found}", describe_expected(&expected)),
            }
        }
    };
    map.diagnostic(span, message)
}
