//! The inside of a bracket-syntax class definition or extension: instance
//! variables, class variables with their initialisers, class pragmas,
//! class-side blocks and methods. Methods are found and syntax-checked, not
//! compiled (see [`crate::file`]).

use bumpalo::Bump;

use crate::ast::Lit;
use crate::code::{ClassVariable, MethodSource, Shape};
use crate::file::{matching_close, statement_end, ClassBody, FileParser};
use crate::lexer::Tok;
use crate::literal;
use crate::parse;
use crate::MethodSyntax;

impl FileParser<'_, '_> {
    /// Parses tokens `start..end` (inside the brackets) of the body of
    /// `class_name`. `class_side` is set inside `Foo class [ ]` and for
    /// `Foo class extend [ ]`; `is_definition` for `subclass:` bodies.
    pub(crate) fn class_body(
        &mut self,
        start: usize,
        end: usize,
        class_name: &str,
        class_side: bool,
        is_definition: bool,
    ) -> ClassBody {
        let mut body = ClassBody::default();
        let mut i = start;
        while i < end {
            let t = |k: usize| if i + k < end { self.tok(i + k) } else { None };
            i = match (t(0), t(1), t(2)) {
                (Some(Tok::Dot), ..) => i + 1,
                // `| aBoolean [` and `< aMagnitude [` are binary methods, not
                // a variable declaration or a pragma.
                (Some(Tok::Bar | Tok::Lt), Some(Tok::Ident(_)), Some(Tok::LBracket)) => {
                    self.method(i, end, class_side, &mut body)
                }
                (Some(Tok::Bar), ..) => self.variable_declaration(i, end, &mut body, class_side),
                (Some(Tok::Lt), ..) => self.class_pragma(i, end, &mut body),
                (Some(Tok::Ident(name)), Some(Tok::Assign), _) => {
                    if class_side || !is_definition {
                        self.error(
                            i,
                            format!("expected a method or '| a |' here, found class variable '{name}': class variables can only be declared in a 'subclass:' definition"),
                        );
                    }
                    self.class_variable(i, end, &mut body)
                }
                (Some(Tok::Ident(c)), Some(Tok::Ident("class")), Some(Tok::BinOp(">>"))) => {
                    self.check_class_name(i, c, class_name);
                    self.method(i + 3, end, true, &mut body)
                }
                (Some(Tok::Ident(c)), Some(Tok::BinOp(">>")), _) => {
                    self.check_class_name(i, c, class_name);
                    self.method(i + 2, end, class_side, &mut body)
                }
                (Some(Tok::Ident(c)), Some(Tok::Ident("class")), Some(Tok::LBracket)) => {
                    self.check_class_name(i, c, class_name);
                    match matching_close(self.tokens, i + 2).filter(|&c| c < end) {
                        Some(close) => {
                            let inner = self.class_body(i + 3, close, class_name, true, is_definition);
                            body.class_instance_variables.extend(inner.class_instance_variables);
                            body.methods.extend(inner.methods);
                            close + 1
                        }
                        None => {
                            let opened = self.map.position(self.tokens[i + 2].start);
                            self.error(
                                end,
                                format!(
                                    "expected ']' to close the class side of {class_name} opened at {opened}, found {}",
                                    self.found(end, end)
                                ),
                            );
                            end
                        }
                    }
                }
                _ => self.method(i, end, class_side, &mut body),
            };
        }
        body
    }

    fn check_class_name(&mut self, i: usize, written: &str, class_name: &str) {
        if written != class_name {
            self.error(i, format!("expected '{class_name}' (the class being defined), found '{written}'"));
        }
    }

    /// `| a b |`: instance variables, or class-side ones inside `Foo class [ ]`.
    fn variable_declaration(&mut self, start: usize, end: usize, body: &mut ClassBody, class_side: bool) -> usize {
        let mut i = start + 1;
        while i < end {
            match self.tok(i) {
                Some(Tok::Ident(name)) => {
                    let list =
                        if class_side { &mut body.class_instance_variables } else { &mut body.instance_variables };
                    list.push(name.to_string());
                }
                Some(Tok::Bar) => return i + 1,
                _ => break,
            }
            i += 1;
        }
        let opened = self.map.position(self.tokens[start].start);
        let found = self.found(i, end);
        self.error(
            i,
            format!("expected a variable name or '|' to end the declaration opened at {opened}, found {found}"),
        );
        end
    }

    /// `Name := expression.`: the initialiser is kept as text.
    fn class_variable(&mut self, i: usize, end: usize, body: &mut ClassBody) -> usize {
        let name = match self.tok(i) {
            Some(Tok::Ident(n)) => n.to_string(),
            _ => String::new(),
        };
        let stop = statement_end(self.tokens, i + 2, end);
        if stop == i + 2 {
            let found = self.found(stop, end);
            self.error(stop, format!("expected an expression after ':=', found {found}"));
        } else {
            let arena = Bump::new();
            if let Err(d) = parse::doit_body(&arena, self.map, &self.tokens[i + 2..stop]) {
                self.errors.push(d);
            }
            let initializer = Some(self.source_text(i + 2, stop - 1));
            body.class_variables.push(ClassVariable { name, initializer });
        }
        stop + 1
    }

    /// `<comment: 'x'>`, `<category: 'x'>`, `<shape: #pointer>`; other
    /// class pragmas are accepted and ignored.
    fn class_pragma(&mut self, start: usize, end: usize, body: &mut ClassBody) -> usize {
        let Some(close) = (start..end).find(|&k| self.tok(k) == Some(Tok::Gt)) else {
            let opened = self.map.position(self.tokens[start].start);
            self.error(
                end,
                format!("expected '>' to close the pragma opened at {opened}, found {}", self.found(end, end)),
            );
            return end;
        };
        let (key, arg) = (self.tok(start + 1), self.tok(start + 2));
        match (key, arg, close == start + 3) {
            (Some(Tok::Keyword("comment:")), Some(Tok::Str(s)), true) => body.comment = Some(literal::unquote(s)),
            (Some(Tok::Keyword("category:")), Some(Tok::Str(s)), true) => body.category = Some(literal::unquote(s)),
            (Some(Tok::Keyword("shape:")), Some(Tok::Symbol(s)), true) => {
                let shape = match literal::symbol_name(s).as_str() {
                    "pointer" => Some(Shape::Pointers),
                    "byte" => Some(Shape::Bytes),
                    "word" => Some(Shape::Words),
                    "weak" => Some(Shape::Weak),
                    "inherit" => Some(Shape::Inherit),
                    _ => None,
                };
                match shape {
                    Some(shape) => body.shape = Some(shape),
                    None => self.error(
                        start + 2,
                        format!("expected #pointer, #byte, #word, #weak or #inherit as the shape, found {s}"),
                    ),
                }
            }
            (Some(Tok::Keyword(k @ ("comment:" | "category:" | "shape:"))), _, _) => {
                let found = self.found(start + 2, end);
                let wanted = if k == "shape:" { "a symbol" } else { "a string" };
                self.error(start + 2, format!("expected {wanted} after '{k}' and then '>', found {found}"));
            }
            _ => {}
        }
        close + 1
    }

    /// A method `pattern [ body ]` starting at `start`.
    fn method(&mut self, start: usize, end: usize, class_side: bool, body: &mut ClassBody) -> usize {
        let t = |k: usize| if k < end { self.tok(k) } else { None };
        let open = match (t(start), t(start + 1), t(start + 2)) {
            (Some(Tok::Ident(_)), Some(Tok::LBracket), _) => Some(start + 1),
            (Some(Tok::BinOp(_) | Tok::Bar | Tok::Lt | Tok::Gt), Some(Tok::Ident(_)), Some(Tok::LBracket)) => {
                Some(start + 2)
            }
            (Some(Tok::Keyword(_)), ..) => {
                let mut k = start;
                while matches!((t(k), t(k + 1)), (Some(Tok::Keyword(_)), Some(Tok::Ident(_)))) {
                    k += 2;
                }
                (k > start && t(k) == Some(Tok::LBracket)).then_some(k)
            }
            _ => None,
        };
        let Some(open) = open else {
            let found = self.found(start, end);
            self.error(
                start,
                format!("expected a method ('selector [ ... ]'), '| a |', 'Name := value.' or a class pragma, found {found}"),
            );
            return end;
        };
        let Some(close) = matching_close(self.tokens, open).filter(|&c| c < end) else {
            let opened = self.map.position(self.tokens[open].start);
            self.error(
                end,
                format!("expected ']' to close the method body opened at {opened}, found {}", self.found(end, end)),
            );
            return end;
        };
        let arena = Bump::new();
        let category = match parse::method(&arena, self.map, &self.tokens[start..=close], MethodSyntax::Bracket) {
            Ok(method) => method.body.pragmas.iter().find_map(|p| match (p.selector, p.args) {
                ("category:", [arg]) => match arg.lit {
                    Lit::Str(s) => Some(literal::unquote(s)),
                    _ => None,
                },
                _ => None,
            }),
            Err(d) => {
                self.errors.push(d);
                None
            }
        };
        body.methods.push(MethodSource {
            class_side,
            source: self.source_text(start, close),
            syntax: MethodSyntax::Bracket,
            category,
        });
        close + 1
    }
}
