//! The classic chunk format that every Smalltalk files out:
//!
//! ```text
//! Object subclass: #Foo instanceVariableNames: 'a' classVariableNames: '' package: 'Demo'!
//!
//! !Foo methodsFor: 'accessing'!
//! a
//!     ^a
//! !
//! a: x
//!     a := x
//! ! !
//!
//! Foo new a printNl!
//! ```
//!
//! Chunks end at a `!`; `!!` stands for one `!` inside a chunk. An empty
//! chunk announces a declaration chunk (`Foo methodsFor: 'x'`), after which
//! every chunk is a method, in classic syntax, until the next empty chunk.

use bumpalo::Bump;

use crate::code::{Extension, Item, MethodSource, Origin, SourceText};
use crate::diagnostic::Diagnostic;
use crate::lexer::Tok;
use crate::source_map::SourceMap;
use crate::{compile_doit_tokens, parse, MethodSyntax};

/// One chunk: its text with `!!` undoubled and surrounding white space
/// removed, and where that text starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// Byte offset of the text's first character in the source.
    pub offset: usize,
    /// 1-based line and column of the text's first character, counted in the source.
    pub line: u32,
    pub column: u32,
}

impl Chunk {
    /// Whether the chunk holds nothing but white space.
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// Splits `source` into chunks at each `!` that is not doubled. Text after
/// the last `!` is a chunk too, unless it is blank.
pub fn split_chunks(source: &str) -> Vec<Chunk> {
    let origin = Origin { name: String::new(), first_line: 1, first_column: 1 };
    let map = SourceMap::new(source, &origin);
    let mut chunks = Vec::new();
    let mut text = String::new();
    let mut first: Option<usize> = None;
    let mut iter = source.char_indices().peekable();
    let mut push = |text: &mut String, first: &mut Option<usize>| {
        let trimmed = text.trim_end().to_string();
        let offset = first.unwrap_or(0);
        let (line, column) = map.line_col(offset);
        chunks.push(Chunk { text: trimmed, offset, line, column });
        text.clear();
        *first = None;
    };
    while let Some((i, c)) = iter.next() {
        if c == '!' {
            if iter.peek().map(|&(_, n)| n) == Some('!') {
                iter.next();
                first.get_or_insert(i);
                text.push('!');
                continue;
            }
            push(&mut text, &mut first);
            continue;
        }
        if first.is_none() && c.is_whitespace() {
            continue;
        }
        first.get_or_insert(i);
        text.push(c);
    }
    if first.is_some() {
        push(&mut text, &mut first);
    }
    chunks
}

/// Whether `source` looks like a chunk-format file (it has a
/// `!Foo methodsFor: '...'!` or `!Foo class methodsFor: '...'!` section),
/// so that a file-in can choose between [`parse_chunk_file`] and
/// [`crate::parse_file`].
pub fn is_chunk_format(source: &str) -> bool {
    let chunks = split_chunks(source);
    chunks.windows(2).any(|w| w[0].is_blank() && method_section(&w[1].text).is_some())
}

/// `Foo methodsFor: 'x'` or `Foo class methodsFor: 'x' stamp: '...'`:
/// the class name and whether it is the class side.
fn method_section(text: &str) -> Option<(String, bool, Option<String>)> {
    let tokens = crate::lexer::lex(text).ok()?;
    let toks: Vec<Tok<'_>> = tokens.iter().map(|t| t.tok).collect();
    let category = |rest: &[Tok<'_>]| match rest.first() {
        Some(Tok::Str(s)) => Some(crate::literal::unquote(s)),
        _ => None,
    };
    match toks.as_slice() {
        [Tok::Ident(c), Tok::Keyword(k), rest @ ..] if k.ends_with("ethodsFor:") => {
            Some((c.to_string(), false, category(rest)))
        }
        [Tok::Ident(c), Tok::Ident("class"), Tok::Keyword(k), rest @ ..] if k.ends_with("ethodsFor:") => {
            Some((c.to_string(), true, category(rest)))
        }
        _ => None,
    }
}

/// `Foo commentStamp: '...' prior: 0`, as Squeak and Pharo file out class comments.
fn is_comment_stamp(text: &str) -> bool {
    let Ok(tokens) = crate::lexer::lex(text) else {
        return false;
    };
    matches!(
        tokens.iter().map(|t| t.tok).collect::<Vec<_>>().as_slice(),
        [Tok::Ident(_), Tok::Keyword("commentStamp:"), ..]
            | [Tok::Ident(_), Tok::Ident("class"), Tok::Keyword("commentStamp:"), ..]
    )
}

fn origin_of(chunk: &Chunk, name: &str) -> Origin {
    Origin { name: name.to_string(), first_line: chunk.line, first_column: chunk.column }
}

/// Parses a chunk-format file into items: a doit per statement chunk, and an
/// [`Extension`] per `methodsFor:` section whose methods are in classic syntax.
pub fn parse_chunk_file(source: &str, origin: &Origin) -> Result<Vec<Item>, Vec<Diagnostic>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let chunks = split_chunks(source);
    let mut i = 0;
    // Chunk positions are counted from the start of `source`; shift them to the file.
    let shift = |mut c: Chunk| {
        if c.line == 1 {
            c.column += origin.first_column.max(1) - 1;
        }
        c.line += origin.first_line.max(1) - 1;
        c
    };
    while i < chunks.len() {
        let chunk = shift(chunks[i].clone());
        i += 1;
        if chunk.is_blank() {
            let Some(next) = chunks.get(i).cloned().map(shift) else {
                break;
            };
            if let Some((class_name, class_side, category)) = method_section(&next.text) {
                i += 1;
                let mut methods = Vec::new();
                while let Some(m) = chunks.get(i).cloned().map(shift) {
                    i += 1;
                    if m.is_blank() {
                        break;
                    }
                    let source = SourceText { text: m.text.clone(), origin: origin_of(&m, &origin.name) };
                    if let Err(d) = check_method(&source) {
                        errors.push(d);
                    }
                    methods.push(MethodSource {
                        class_side,
                        source,
                        syntax: MethodSyntax::Classic,
                        category: category.clone(),
                    });
                }
                items.push(Item::Extension(Extension {
                    class_name,
                    class_side,
                    instance_variables: Vec::new(),
                    methods,
                }));
            } else if is_comment_stamp(&next.text) {
                // `!Foo commentStamp: '...' prior: 0!` is followed by the
                // class comment as a chunk of prose, not code.
                i += 2;
            }
            continue;
        }
        let o = origin_of(&chunk, &origin.name);
        let map = SourceMap::new(&chunk.text, &o);
        match parse::tokens(&map) {
            Ok(tokens) => match compile_doit_tokens(&map, &tokens, false, &[]) {
                Ok(doit) => items.push(Item::DoIt(doit)),
                Err(ds) => errors.extend(ds),
            },
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// Syntax-checks a classic-syntax method.
fn check_method(source: &SourceText) -> Result<(), Diagnostic> {
    let map = SourceMap::new(&source.text, &source.origin);
    let tokens = parse::tokens(&map)?;
    let arena = Bump::new();
    parse::method(&arena, &map, &tokens, MethodSyntax::Classic).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Object subclass: #Foo\n    instanceVariableNames: 'a'\n    classVariableNames: ''\n    package: 'Demo'!\n!Foo commentStamp: 'x' prior: 0!\nA comment, not code!\n\n!Foo methodsFor: 'accessing'!\na\n    ^a\n!\na: x\n    a := x. ^'wow!!'\n! !\n\n!Foo class methodsFor: 'instance creation'!\nnew\n    ^super new a: 1\n! !\n\nFoo new a printNl!\n";

    #[test]
    fn recognises_chunk_files() {
        assert!(is_chunk_format(FILE));
        assert!(!is_chunk_format("Object subclass: Foo [ foo [ ^1 ] ]\nFoo new foo printNl!"));
    }

    #[test]
    fn splits_at_single_bangs() {
        let chunks = split_chunks("a! b!!c !  !\nd");
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["a", "b!c", "", "d"]);
        assert_eq!((chunks[3].line, chunks[3].column), (2, 1));
    }

    #[test]
    fn files_in_doits_and_method_sections() {
        let origin = Origin { name: "foo.st".into(), first_line: 1, first_column: 1 };
        let items = parse_chunk_file(FILE, &origin).expect("parses");
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[0], Item::DoIt(_)));
        let Item::Extension(e) = &items[1] else { panic!("expected an extension") };
        assert_eq!((e.class_name.as_str(), e.class_side, e.methods.len()), ("Foo", false, 2));
        assert_eq!(e.methods[0].source.text, "a\n    ^a");
        assert_eq!(e.methods[0].source.origin.first_line, 9);
        assert_eq!(e.methods[1].source.text, "a: x\n    a := x. ^'wow!'");
        assert_eq!(e.methods[1].syntax, MethodSyntax::Classic);
        assert_eq!(e.methods[1].category.as_deref(), Some("accessing"));
        let Item::Extension(c) = &items[2] else { panic!("expected an extension") };
        assert!(c.class_side && c.methods[0].class_side);
        let Item::DoIt(d) = &items[3] else { panic!("expected a doit") };
        assert_eq!(d.code.lines.first().map(|l| l.1), Some(21));
    }

    #[test]
    fn reports_errors_in_methods_with_file_lines() {
        let origin = Origin { name: "bad.st".into(), first_line: 1, first_column: 1 };
        let errors = parse_chunk_file("!Foo methodsFor: 'x'!\nfoo\n  ^(1 + ! !\n", &origin).expect_err("fails");
        assert_eq!(errors[0].line, 3);
    }
}
