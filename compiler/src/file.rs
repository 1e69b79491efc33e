//! The top level of a `.st` file: statements, top-level temps, `Eval [ ]`,
//! and GNU Smalltalk's bracket class syntax.
//!
//! This is a small hand-written driver over the token stream: it recognises
//! the heads of class definitions and extensions by their first few tokens,
//! finds each piece's extent by bracket matching, and hands statements and
//! methods to the LALRPOP grammar. Statements are compiled here (one doit
//! each); methods are only syntax-checked, because their instance variables
//! are known only once the VM has made their class.

use crate::ast::Span;
use crate::code::{ClassDefinition, ClassVariable, Extension, Item, MethodSource, Origin, Shape, SourceText};
use crate::compile_doit_tokens;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, Token};
use crate::literal;
use crate::parse;
use crate::source_map::SourceMap;

/// Parses a whole source file into its top-level items, in order.
/// Top-level statements become one [`Item::DoIt`] each; top-level temps
/// are reported in the `declared` of the doit that follows them (or of a
/// doit of their own, with no statements, when no statement follows).
/// Fails with every error in the file if there is any; see
/// [`parse_file_items`] to run the items before the first error.
pub fn parse_file(source: &str, origin: &Origin) -> Result<Vec<Item>, Vec<Diagnostic>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for result in parse_file_items(source, origin) {
        match result {
            Ok(item) => items.push(item),
            Err(ds) => errors.extend(ds),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// As [`parse_file`], but item by item: each top-level piece of the file is
/// an item or the errors that kept it from being one, in file order. A VM
/// can run the items up to the first error, as GNU Smalltalk does, and then
/// report the errors.
pub fn parse_file_items(source: &str, origin: &Origin) -> Vec<Result<Item, Vec<Diagnostic>>> {
    let map = SourceMap::new(source, origin);
    let tokens = match parse::tokens(&map) {
        Ok(tokens) => tokens,
        Err(d) => return vec![Err(vec![d])],
    };
    let mut parser = FileParser {
        map: &map,
        tokens: &tokens,
        items: Vec::new(),
        errors: Vec::new(),
        declared: Vec::new(),
        results: Vec::new(),
    };
    parser.file();
    parser.results
}

/// Index of the token closing the bracket opened at `open`, if any.
pub(crate) fn matching_close(tokens: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::LitArrayOpen | Tok::ByteArrayOpen => depth += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Index of the token ending the statement that starts at `start`: the
/// first `.` or `!` outside brackets, a closer with no opener, or the end.
pub(crate) fn statement_end(tokens: &[Token<'_>], start: usize, end: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().take(end).skip(start) {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::LitArrayOpen | Tok::ByteArrayOpen => depth += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return i,
            },
            Tok::Dot | Tok::Bang if depth == 0 => return i,
            _ => {}
        }
    }
    end
}

pub(crate) struct FileParser<'m, 's> {
    pub(crate) map: &'m SourceMap<'s>,
    pub(crate) tokens: &'m [Token<'s>],
    items: Vec<Item>,
    pub(crate) errors: Vec<Diagnostic>,
    /// Finished pieces of the file, in order.
    results: Vec<Result<Item, Vec<Diagnostic>>>,
    /// Top-level temps not yet handed to a doit.
    declared: Vec<String>,
}

/// What a class body may contain, and what it collects.
#[derive(Default)]
pub(crate) struct ClassBody {
    pub(crate) instance_variables: Vec<String>,
    pub(crate) class_instance_variables: Vec<String>,
    pub(crate) class_variables: Vec<ClassVariable>,
    pub(crate) comment: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) shape: Option<Shape>,
    pub(crate) methods: Vec<MethodSource>,
}

impl<'m, 's> FileParser<'m, 's> {
    pub(crate) fn tok(&self, i: usize) -> Option<Tok<'s>> {
        self.tokens.get(i).map(|t| t.tok)
    }

    pub(crate) fn span(&self, i: usize) -> Span {
        match self.tokens.get(i) {
            Some(t) => Span::new(t.start, t.end),
            None => {
                let end = self.tokens.last().map_or(0, |t| t.end);
                Span::new(end, end)
            }
        }
    }

    pub(crate) fn found(&self, i: usize, end: usize) -> String {
        if i >= end {
            return "end of input".into();
        }
        self.tok(i).map_or("end of input".into(), |t| t.describe())
    }

    pub(crate) fn error(&mut self, i: usize, message: String) {
        let d = self.map.diagnostic(self.span(i), message);
        self.errors.push(d);
    }

    /// The text of tokens `from..=to` and where it starts.
    pub(crate) fn source_text(&self, from: usize, to: usize) -> SourceText {
        let start = self.tokens[from].start;
        let end = self.tokens[to].end;
        let (line, column) = self.map.line_col(start);
        SourceText {
            text: self.map.text.get(start..end).unwrap_or_default().to_string(),
            origin: Origin { name: self.map.origin.name.clone(), first_line: line, first_column: column },
        }
    }

    fn flush_declared(&mut self) {
        if !self.declared.is_empty() {
            match compile_doit_tokens(self.map, &[], false, &[]) {
                Ok(mut doit) => {
                    doit.declared = std::mem::take(&mut self.declared);
                    self.items.push(Item::DoIt(doit));
                }
                Err(ds) => self.errors.extend(ds),
            }
        }
    }

    fn file(&mut self) {
        let end = self.tokens.len();
        let mut i = 0;
        while i < end {
            i = match self.tok(i) {
                Some(Tok::Dot | Tok::Bang) => i + 1,
                Some(Tok::Bar) => self.top_temps(i),
                _ => match self.item_head(i) {
                    Some(head) => {
                        self.flush_declared();
                        self.settle();
                        self.bracket_item(head)
                    }
                    None => self.statement(i),
                },
            };
            self.settle();
        }
        self.flush_declared();
        self.settle();
    }

    /// Moves what the last piece of the file produced into `results`: its
    /// items, or its errors instead if it had any.
    fn settle(&mut self) {
        if self.errors.is_empty() {
            let items = std::mem::take(&mut self.items);
            self.results.extend(items.into_iter().map(Ok));
        } else {
            self.items.clear();
            let errors = std::mem::take(&mut self.errors);
            self.results.push(Err(errors));
        }
    }

    /// `| a b |` between top-level statements.
    fn top_temps(&mut self, start: usize) -> usize {
        let mut i = start + 1;
        while let Some(Tok::Ident(name)) = self.tok(i) {
            if !self.declared.iter().any(|d| d == name) {
                self.declared.push(name.to_string());
            }
            i += 1;
        }
        if self.tok(i) == Some(Tok::Bar) {
            return i + 1;
        }
        let found = self.found(i, self.tokens.len());
        let opened = self.map.position(self.tokens[start].start);
        self.error(i, format!("expected a temp name or '|' to end the declaration opened at {opened}, found {found}"));
        statement_end(self.tokens, i, self.tokens.len()) + 1
    }

    fn statement(&mut self, start: usize) -> usize {
        let end = statement_end(self.tokens, start, self.tokens.len());
        // A stray closer ends nothing: report it rather than loop on it.
        let stop =
            if end < self.tokens.len() && !matches!(self.tok(end), Some(Tok::Dot | Tok::Bang)) { end + 1 } else { end };
        // The period goes with the statement, so that an error just before
        // it says it found the period rather than the end of the input.
        let with_dot = if self.tok(end) == Some(Tok::Dot) { end + 1 } else { stop };
        let slice = &self.tokens[start..with_dot.min(self.tokens.len())];
        match compile_doit_tokens(self.map, slice, false, &[]) {
            Ok(mut doit) => {
                let mut declared = std::mem::take(&mut self.declared);
                declared.extend(doit.declared);
                doit.declared = declared;
                self.items.push(Item::DoIt(doit));
            }
            Err(ds) => {
                self.errors.extend(ds);
                // An unclosed bracket ran the statement to the end of the
                // file; carry on after its first period to find more errors.
                if end == self.tokens.len() {
                    if let Some(dot) = (start..end).find(|&k| self.tok(k) == Some(Tok::Dot)) {
                        return dot + 1;
                    }
                }
            }
        }
        stop + 1
    }
}

/// The kind of bracketed top-level item, recognised by its first tokens.
#[derive(Debug, Clone)]
enum Head {
    Eval,
    Subclass { superclass: String, name: String },
    Extend { class_name: String, class_side: bool },
}

impl FileParser<'_, '_> {
    /// Recognises `Eval [`, `Super subclass: Name [`, `Name extend [`,
    /// `Name class extend [` and `Name class [`; answers the head and leaves
    /// the index of the `[` to [`Self::bracket_item`].
    fn item_head(&self, i: usize) -> Option<(Head, usize)> {
        let t = |k: usize| self.tok(i + k);
        match (t(0)?, t(1), t(2), t(3), t(4)) {
            (Tok::Ident("Eval"), Some(Tok::LBracket), ..) => Some((Head::Eval, i + 1)),
            (Tok::Ident(sup), Some(Tok::Keyword("subclass:")), Some(Tok::Ident(name)), Some(Tok::LBracket), _) => {
                Some((Head::Subclass { superclass: sup.into(), name: name.into() }, i + 3))
            }
            (Tok::Ident(sup), Some(Tok::Keyword("subclass:")), Some(Tok::Symbol(sym)), Some(Tok::LBracket), _) => {
                Some((Head::Subclass { superclass: sup.into(), name: literal::symbol_name(sym) }, i + 3))
            }
            (Tok::Ident(name), Some(Tok::Ident("extend")), Some(Tok::LBracket), ..) => {
                Some((Head::Extend { class_name: name.into(), class_side: false }, i + 2))
            }
            (Tok::Ident(name), Some(Tok::Ident("class")), Some(Tok::Ident("extend")), Some(Tok::LBracket), _) => {
                Some((Head::Extend { class_name: name.into(), class_side: true }, i + 3))
            }
            (Tok::Ident(name), Some(Tok::Ident("class")), Some(Tok::LBracket), ..) => {
                Some((Head::Extend { class_name: name.into(), class_side: true }, i + 2))
            }
            _ => None,
        }
    }

    fn bracket_item(&mut self, (head, open): (Head, usize)) -> usize {
        let Some(close) = matching_close(self.tokens, open) else {
            let what = match &head {
                Head::Eval => "the Eval".to_string(),
                Head::Subclass { name, .. } => format!("the body of class {name}"),
                Head::Extend { class_name, .. } => format!("the extension of {class_name}"),
            };
            let opened = self.map.position(self.tokens[open].start);
            let end = self.tokens.len();
            self.error(end, format!("expected ']' to close {what} opened at {opened}, found end of input"));
            return end;
        };
        match head {
            Head::Eval => match compile_doit_tokens(self.map, &self.tokens[open + 1..close], true, &[]) {
                Ok(doit) => self.items.push(Item::DoIt(doit)),
                Err(ds) => self.errors.extend(ds),
            },
            Head::Subclass { superclass, name } => {
                let body = self.class_body(open + 1, close, &name, false, true);
                self.items.push(Item::ClassDefinition(ClassDefinition {
                    superclass,
                    name,
                    shape: body.shape.unwrap_or(Shape::Inherit),
                    instance_variables: body.instance_variables,
                    class_variables: body.class_variables,
                    class_instance_variables: body.class_instance_variables,
                    comment: body.comment,
                    category: body.category,
                    methods: body.methods,
                }));
            }
            Head::Extend { class_name, class_side } => {
                let body = self.class_body(open + 1, close, &class_name, class_side, false);
                if !class_side && !body.class_instance_variables.is_empty() {
                    let names = body.class_instance_variables.join(" ");
                    self.error(
                        open,
                        format!("expected instance-side variables in '{class_name} extend [ ]', found class-side ones ({names}); declare them in '{class_name} class extend [ | {names} | ]'"),
                    );
                }
                let instance_variables =
                    if class_side { body.class_instance_variables } else { body.instance_variables };
                self.items.push(Item::Extension(Extension {
                    class_name,
                    class_side,
                    instance_variables,
                    methods: body.methods,
                }));
            }
        }
        close + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MethodSyntax;

    fn origin() -> Origin {
        Origin { name: "f.st".into(), first_line: 1, first_column: 1 }
    }

    fn errors(text: &str) -> Vec<String> {
        match parse_file(text, &origin()) {
            Ok(items) => panic!("parsed: {items:?}"),
            Err(ds) => ds.iter().map(|d| format!("{}:{} {}", d.line, d.column, d.message)).collect(),
        }
    }

    const ANIMAL: &str = "\"Animals\"
| a b |
Object subclass: Animal [
    | name age |
    Count := 0.
    Names := OrderedCollection new: 10.
    <comment: 'An animal'>
    <category: 'Zoo'>
    <shape: #pointer>
    Animal class >> named: aString [ Count := Count + 1. ^self new setName: aString ]
    Animal class [ | registry | ]
    | weight |
    setName: aString [ <category: 'private'> name := aString ]
    + other [ ^age + other age ]
    < other [ ^age < other age ]
    | other [ ^true ]
    at: i put: v [ ^v ]
    speak [ ^self subclassResponsibility ]
]
a := 3.
Animal subclass: #Dog [ speak [ ^'Woof' ] ]
Integer extend [ double [ ^self * 2 ] ]
Dog class extend [ default [ ^self named: 'Rex' ] ]
(Dog named: 'Rex') speak displayNl!
Eval [ | d | d := Dog default. d name printNl ]
";

    #[test]
    fn bracket_syntax_items_in_order() {
        let items = parse_file(ANIMAL, &origin()).expect("parses");
        let kinds: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::DoIt(_) => "doit",
                Item::ClassDefinition(_) => "class",
                Item::Extension(_) => "extension",
            })
            .collect();
        assert_eq!(kinds, vec!["doit", "class", "doit", "class", "extension", "extension", "doit", "doit"]);
        let Item::DoIt(temps) = &items[0] else { panic!() };
        assert_eq!(temps.declared, vec!["a", "b"]);
        let Item::ClassDefinition(animal) = &items[1] else { panic!() };
        assert_eq!((animal.superclass.as_str(), animal.name.as_str()), ("Object", "Animal"));
        assert_eq!(animal.instance_variables, vec!["name", "age", "weight"]);
        assert_eq!(animal.class_instance_variables, vec!["registry"]);
        assert_eq!((animal.comment.as_deref(), animal.category.as_deref()), (Some("An animal"), Some("Zoo")));
        assert_eq!(animal.shape, Shape::Pointers);
        let vars: Vec<(&str, &str)> = animal
            .class_variables
            .iter()
            .map(|v| (v.name.as_str(), v.initializer.as_ref().map_or("", |s| s.text.as_str())))
            .collect();
        assert_eq!(vars, vec![("Count", "0"), ("Names", "OrderedCollection new: 10")]);
        let init = animal.class_variables[1].initializer.as_ref().expect("initializer");
        assert_eq!((init.origin.first_line, init.origin.first_column), (6, 14));
        let methods: Vec<(bool, &str)> =
            animal.methods.iter().map(|m| (m.class_side, m.source.text.as_str())).collect();
        assert_eq!(methods[0], (true, "named: aString [ Count := Count + 1. ^self new setName: aString ]"));
        assert_eq!(methods[2], (false, "+ other [ ^age + other age ]"));
        assert_eq!(methods.len(), 7);
        assert_eq!(methods[3].1, "< other [ ^age < other age ]");
        assert!(animal.methods.iter().all(|m| m.syntax == MethodSyntax::Bracket));
        assert_eq!((animal.methods[1].source.origin.first_line, animal.methods[1].source.origin.first_column), (13, 5));
        let Item::ClassDefinition(dog) = &items[3] else { panic!() };
        assert_eq!((dog.name.as_str(), dog.superclass.as_str()), ("Dog", "Animal"));
        let Item::Extension(dog_class) = &items[5] else { panic!() };
        assert!(dog_class.class_side && dog_class.methods[0].class_side);
        let Item::DoIt(eval) = &items[7] else { panic!() };
        assert!(eval.declared.is_empty());
        assert_eq!(eval.code.num_temps, 1);
        assert_eq!(eval.code.lines[0].1, 25);
    }

    #[test]
    fn methods_in_a_class_body_compile_with_their_own_origin() {
        let items = parse_file(ANIMAL, &origin()).expect("parses");
        let Item::ClassDefinition(animal) = &items[1] else { panic!() };
        let scope =
            crate::ClassScope { class_name: "Animal".into(), instance_variables: vec!["name".into(), "age".into()] };
        let code =
            crate::compile_method(&animal.methods[0].source, animal.methods[0].syntax, &scope).expect("compiles");
        assert_eq!(code.selector, "named:");
        assert_eq!(code.lines[0].1, 10);
    }

    #[test]
    fn top_level_statements_are_one_doit_each() {
        let items = parse_file("x := 3. y := x + 1.\n| z |\nz := y", &origin()).expect("parses");
        assert_eq!(items.len(), 3);
        let Item::DoIt(last) = &items[2] else { panic!() };
        assert_eq!(last.declared, vec!["z"]);
        assert_eq!(last.code.source, "z := y");
    }

    #[test]
    fn items_before_an_error_survive_it() {
        let results = parse_file_items("a := 1.\nb := .\nObject subclass: Foo [ bar [ ^1 ] ]\nc := 3", &origin());
        let shape: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(shape, vec![true, false, true, true]);
        let broken = parse_file_items("x := 'abc", &origin());
        assert!(matches!(broken.as_slice(), [Err(_)]));
    }

    #[test]
    fn errors_in_files() {
        assert_eq!(
            errors("Object subclass: Foo [\n  Bar class >> baz [ ^1 ]\n]"),
            vec!["2:3 expected 'Foo' (the class being defined), found 'Bar'"]
        );
        assert_eq!(
            errors("Object subclass: Foo [\n  foo [ ^1 ]\n"),
            vec!["2:13 expected ']' to close the body of class Foo opened at 1:22, found end of input"]
        );
        assert_eq!(
            errors("Object subclass: Foo [ <shape: #round> ]"),
            vec!["1:32 expected #pointer, #byte, #word, #weak or #inherit as the shape, found #round"]
        );
        assert_eq!(
            errors("Object subclass: Foo [\n  foo [\n    ^1 + ]\n]"),
            vec!["3:10 expected an argument after '+', found ']'"]
        );
        assert_eq!(
            errors("x := (3 + 4.\ny := ."),
            vec![
                "1:12 expected ')' to close the parenthesis opened at 1:6, found '.'",
                "2:6 expected an expression after ':=', found '.'"
            ]
        );
        assert_eq!(
            errors("Object subclass: Foo [ 3 ]"),
            vec!["1:24 expected a method ('selector [ ... ]'), '| a |', 'Name := value.' or a class pragma, found number 3"]
        );
        assert_eq!(errors("Foo extend [ X := 3. ]")[0].split(':').next(), Some("1"));
        assert!(errors("Foo extend [ Foo class [ | x | ] ]")[0].contains("Foo class extend [ | x | ]"));
        assert_eq!(
            errors("| a b"),
            vec!["1:6 expected a temp name or '|' to end the declaration opened at 1:1, found end of input"]
        );
        assert_eq!(
            errors("x ] y"),
            vec!["1:3 found ']' but nothing is open here for it to close; remove it or add the opening bracket"]
        );
    }
}
