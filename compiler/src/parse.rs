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

fn triples<'a, 't>(tokens: &'t [Token<'a>]) -> impl Iterator<Item = Result<(usize, Tok<'a>, usize), SyntaxError>> + 't {
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
    let method = result.map_err(|e| diagnose(map, tokens, e, syntax == MethodSyntax::Bracket, true))?;
    check_nesting(map, method.body.statements)?;
    for p in method.body.pragmas {
        if let Some(span) = p.args.iter().find_map(|a| crate::ast::literal_too_deep(a, 0)) {
            return Err(
                map.diagnostic(span, "expected literal arrays nested at most 256 deep, found deeper nesting here")
            );
        }
    }
    Ok(method)
}

fn check_nesting(map: &SourceMap<'_>, statements: &[crate::ast::Stmt<'_>]) -> Result<(), Diagnostic> {
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
pub fn doit_body<'a>(arena: &'a Bump, map: &SourceMap<'a>, tokens: &[Token<'a>]) -> Result<Body<'a>, Diagnostic> {
    let body = grammar::DoItBodyParser::new()
        .parse(arena, triples(tokens))
        .map_err(|e| diagnose(map, tokens, e, false, false))?;
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
    let has = |name: &str| expected.iter().any(|e| e == name);
    let starts_value = ["Number", "Char", "Str", "Symbol", "\"#(\"", "\"#[\"", "\"(\"", "\"[\"", "\"{\""];
    // After an operand, a name, keyword or operator all start a message.
    let starts_message = ["Ident", "Keyword", "BinOp", "\"|\"", "\"<\"", "\">\""];
    let mut names: Vec<String> = Vec::new();
    let message = has("Keyword") || has("BinOp");
    let value = starts_value.iter().any(|s| has(s));
    if message {
        names.push("a message".into());
    } else if value {
        names.push("an expression".into());
    } else if has("Ident") {
        names.push("a name".into());
    }
    for e in expected {
        let name = match e.as_str() {
            s if message && starts_message.contains(&s) => continue,
            s if (value || message) && starts_value.contains(&s) => continue,
            "Ident" | "BinOp" => continue,
            "Keyword" => "a keyword".to_string(),
            s if s.starts_with('"') => format!("'{}'", s.trim_matches('"')),
            s => s.to_lowercase(),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0 => "end of input".into(),
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
    is_method: bool,
) -> Diagnostic {
    let (span, found, expected, index, found_tok) = match error {
        ParseError::User { error } => return map.diagnostic(error.span, error.message),
        ParseError::InvalidToken { location } => {
            return map.diagnostic(Span::new(location, location + 1), "unexpected input");
        }
        ParseError::ExtraToken { token: (lo, tok, hi) } => {
            return map.diagnostic(Span::new(lo, hi), format!("expected end of input, found {}", tok.describe()));
        }
        ParseError::UnrecognizedToken { token: (lo, tok, hi), expected } => {
            let index = tokens.iter().position(|t| t.start == lo).unwrap_or(tokens.len());
            (Span::new(lo, hi), tok.describe(), expected, index, Some(tok))
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let at = tokens.last().map_or(location, |t| t.end);
            (Span::new(at, at), "end of input".to_string(), expected, tokens.len(), None)
        }
    };
    let previous = index.checked_sub(1).and_then(|i| tokens.get(i)).map(|t| t.tok);
    let has = |name: &str| expected.iter().any(|e| e == name);
    // Literals can start an expression; where only a name can come, a name
    // is meant (an argument in a pattern, a temp, a block argument).
    let wants_value = has("Number");
    let wants_name = has("Ident") && !wants_value;
    let before_previous = index.checked_sub(2).and_then(|i| tokens.get(i)).map(|t| t.tok);
    if index == 0 && is_method {
        return map.diagnostic(
            span,
            format!("expected a method pattern (a unary, binary or keyword selector with its argument names), found {found}"),
        );
    }
    if matches!((before_previous, previous), (Some(Tok::Colon), Some(Tok::Ident(_)))) && has("\"|\"") {
        let message =
            format!("expected another block argument (':name'), '|' or ']' after the block arguments, found {found}");
        return map.diagnostic(span, message);
    }
    if wants_name && has("\"|\"") && expected.len() == 2 {
        if let Some(bar) = tokens[..index.min(tokens.len())].iter().rev().find(|t| t.tok == Tok::Bar) {
            let opened = map.position(bar.start);
            return map.diagnostic(
                span,
                format!("expected a temp name or '|' to end the declaration opened at {opened}, found {found}"),
            );
        }
    }
    if has("\">\"") && has("Keyword") && !has("BinOp") {
        if let Some(lt) = tokens[..index.min(tokens.len())].iter().rev().find(|t| t.tok == Tok::Lt) {
            let opened = map.position(lt.start);
            return map.diagnostic(
                span,
                format!(
                    "expected another 'keyword: literal' or '>' to close the pragma opened at {opened}, found {found}"
                ),
            );
        }
    }
    let operator = match previous {
        Some(Tok::BinOp(op)) => Some(op),
        Some(Tok::Bar) => Some("|"),
        Some(Tok::Lt) => Some("<"),
        Some(Tok::Gt) => Some(">"),
        _ => None,
    };
    let message = match previous {
        Some(Tok::Assign) if wants_value => {
            format!("expected an expression after ':=', found {found}")
        }
        Some(Tok::Caret) if wants_value => {
            format!("expected an expression after '^', found {found}")
        }
        Some(Tok::Keyword(k)) if wants_value => {
            format!("expected an argument after '{k}', found {found}")
        }
        Some(Tok::Keyword(k)) if wants_name => {
            format!("expected an argument name after '{k}', found {found}")
        }
        _ if wants_value && operator.is_some() => {
            format!("expected an argument after '{}', found {found}", operator.unwrap_or_default())
        }
        _ if wants_name && operator.is_some() => {
            format!("expected an argument name after '{}', found {found}", operator.unwrap_or_default())
        }
        Some(Tok::Colon) if wants_name => {
            format!("expected a block argument name after ':', found {found}")
        }
        Some(Tok::Semi) => format!("expected a message after ';', found {found}"),
        _ => {
            // The innermost bracket still open where the error is.
            let mut open: Vec<Token<'a>> = Vec::new();
            for t in &tokens[..index.min(tokens.len())] {
                match t.tok {
                    Tok::LBracket | Tok::ByteArrayOpen | Tok::LParen | Tok::LitArrayOpen | Tok::LBrace => open.push(*t),
                    Tok::RBracket | Tok::RParen | Tok::RBrace => {
                        open.pop();
                    }
                    _ => {}
                }
            }
            let closer_expected = open.last().filter(|o| {
                let (closer, _) = opener_name(o.tok, false);
                expected.iter().any(|e| e.trim_matches('"') == closer.trim_matches('\''))
            });
            let stray_closer = matches!(found_tok, Some(Tok::RBracket | Tok::RParen | Tok::RBrace)) && open.is_empty();
            match closer_expected {
                _ if stray_closer => {
                    format!(
                        "found {found} but nothing is open here for it to close; remove it or add the opening bracket"
                    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Expr, Lit, LitNode, Stmt};
    use crate::code::Origin;

    fn lit(l: &LitNode<'_>) -> String {
        match l.lit {
            Lit::Number(n) => n.to_string(),
            Lit::Char(c) => format!("${c}"),
            Lit::Str(s) | Lit::Symbol(s) => s.to_string(),
            Lit::BareSymbol(s) => format!("#{s}"),
            Lit::Nil => "nil".into(),
            Lit::True => "true".into(),
            Lit::False => "false".into(),
            Lit::Array(items) => {
                format!("#({})", items.iter().map(lit).collect::<Vec<_>>().join(" "))
            }
            Lit::ByteArray(items) => {
                format!("#[{}]", items.iter().map(lit).collect::<Vec<_>>().join(" "))
            }
        }
    }

    fn sexpr(e: &Expr<'_>) -> String {
        match e {
            Expr::Literal(l) => lit(l),
            Expr::Variable(n) => n.name.to_string(),
            Expr::Assign { target, value } => format!("(:= {} {})", target.name, sexpr(value)),
            Expr::Send { receiver, message } => {
                let args: String = message.args.iter().map(|a| format!(" {}", sexpr(a))).collect();
                format!("({} {}{args})", message.selector, sexpr(receiver))
            }
            Expr::Cascade { receiver, parts } => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|chain| {
                        chain
                            .iter()
                            .map(|m| {
                                let args: String = m.args.iter().map(|a| format!(" {}", sexpr(a))).collect();
                                format!("{}{args}", m.selector)
                            })
                            .collect::<Vec<_>>()
                            .join(" > ")
                    })
                    .collect();
                format!("(cascade {} {})", sexpr(receiver), parts.join("; "))
            }
            Expr::Block(b) => {
                let params: Vec<&str> = b.params.iter().map(|p| p.name).collect();
                let temps: Vec<&str> = b.temps.iter().map(|p| p.name).collect();
                format!("[{:?} {:?} {}]", params, temps, stmts(b.body))
            }
            Expr::Brace { elements, .. } => {
                format!("{{{}}}", elements.iter().map(sexpr).collect::<Vec<_>>().join(". "))
            }
        }
    }

    fn stmts(s: &[Stmt<'_>]) -> String {
        s.iter()
            .map(|st| match st {
                Stmt::Expr(e) => sexpr(e),
                Stmt::Return(e, _) => format!("^{}", sexpr(e)),
            })
            .collect::<Vec<_>>()
            .join(". ")
    }

    fn parse(text: &str) -> String {
        let origin = Origin { name: "t".into(), first_line: 1, first_column: 1 };
        let map = SourceMap::new(text, &origin);
        let toks = tokens(&map).expect("lexes");
        let arena = Bump::new();
        match doit_body(&arena, &map, &toks) {
            Ok(body) => stmts(body.statements),
            Err(d) => format!("error {}:{} {}", d.line, d.column, d.message),
        }
    }

    #[test]
    fn precedence_is_unary_binary_keyword() {
        assert_eq!(parse("a + b * c foo: d bar"), "(foo: (* (+ a b) c) (bar d))");
        assert_eq!(parse("a foo bar + b baz"), "(+ (bar (foo a)) (baz b))");
        assert_eq!(parse("x at: 1 put: 2 + 3"), "(at:put: x 1 (+ 2 3))");
        assert_eq!(parse("(a at: 1) at: 2"), "(at: (at: a 1) 2)");
        assert_eq!(parse("x := y := 3 + 4"), "(:= x (:= y (+ 3 4)))");
        assert_eq!(parse("a -> b"), "(-> a b)");
        assert_eq!(parse("a | b & c"), "(& (| a b) c)");
        assert_eq!(parse("a < b. c > d"), "(< a b). (> c d)");
        assert_eq!(parse("x-1. 3 - -5. 3-1"), "(- x 1). (- 3 -5). (- 3 1)");
    }

    #[test]
    fn cascades_go_to_the_last_receiver() {
        assert_eq!(parse("a foo; bar"), "(cascade a foo; bar)");
        assert_eq!(parse("a b foo: 1; bar baz; + 2; qux: 3"), "(cascade (b a) foo: 1; bar > baz; + 2; qux: 3)");
        assert_eq!(parse("Transcript show: 'a'; cr"), "(cascade Transcript show: 'a'; cr)");
        assert_eq!(parse("(a foo; bar) baz"), "(baz (cascade a foo; bar))");
    }

    #[test]
    fn blocks_literals_and_statements() {
        assert_eq!(parse("[:x :y | | t | t := x. ^y]"), "[[\"x\", \"y\"] [\"t\"] (:= t x). ^y]");
        assert_eq!(parse("[:x]"), "[[\"x\"] [] ]");
        assert_eq!(parse("[:x || t | t]"), "[[\"x\"] [\"t\"] t]");
        assert_eq!(parse("[]"), "[[] [] ]");
        assert_eq!(parse("{1. 2 + 3}"), "{1. (+ 2 3)}");
        assert_eq!(
            parse("#(1 $a 'str' #sym (nested) true false nil foo at:put: #(x) #[1 2] -3 + foo:)"),
            "#(1 $a 'str' #sym #(#nested) true false nil #foo #at:put: #(#x) #[1 2] -3 #+ #foo:)"
        );
        assert_eq!(parse("#[1 2 255]"), "#[1 2 255]");
        assert_eq!(parse("a. . b."), "a. b");
        assert_eq!(parse(""), "");
        assert_eq!(parse("x:=3"), "(:= x 3)");
    }

    #[test]
    fn syntax_errors_say_what_was_expected_and_found() {
        assert_eq!(parse("x := )"), "error 1:6 expected an expression after ':=', found ')'");
        assert_eq!(parse("x foo: ]"), "error 1:8 expected an argument after 'foo:', found ']'");
        assert_eq!(
            parse("\n  [:x | x + 1"),
            "error 2:14 expected ']' to close the block opened at 2:3, found end of input"
        );
        assert_eq!(
            parse("(1 + 2"),
            "error 1:7 expected ')' to close the parenthesis opened at 1:1, found end of input"
        );
        assert_eq!(
            parse("#(1 2"),
            "error 1:6 expected ')' to close the literal array opened at 1:1, found end of input"
        );
        assert_eq!(parse("{1. 2"), "error 1:6 expected '}' to close the brace array opened at 1:1, found end of input");
        assert_eq!(parse("3 + "), "error 1:4 expected an argument after '+', found end of input");
        assert_eq!(parse("^"), "error 1:2 expected an expression after '^', found end of input");
        assert_eq!(parse("3; foo").split(" (").next(), Some("error 1:2 expected a message send before ';'"));
        assert_eq!(
            parse("a ]"),
            "error 1:3 found ']' but nothing is open here for it to close; remove it or add the opening bracket"
        );
        assert_eq!(
            parse("[:x 3]"),
            "error 1:5 expected another block argument (':name'), '|' or ']' after the block arguments, found number 3"
        );
    }
}
