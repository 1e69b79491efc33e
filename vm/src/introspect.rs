//! What a development tool (the REPL) asks the running world: names for
//! completion, the selectors a receiver understands, a method's source, a
//! class's description, heap statistics, and setting a workspace variable;
//! and, of text alone, whether an input is unfinished.
//!
//! Everything here reads the heap directly and runs no Smalltalk code, so
//! nothing here reaches a safe point except [`Vm::collect_all_garbage`],
//! which says so. It knows nothing of terminals or line editing.

use std::collections::BTreeSet;

pub use smalt_compiler::{input_status, InputStatus};

use smalt_compiler::lexer::{lex, Tok};
use smalt_compiler::Origin;

use crate::heap::{HeapStats, Oop};
use crate::interp::Vm;
use crate::objects::layout::{association, class, code, special, KnownClass};
use crate::VmError;

/// Methods without a `<category: ...>` pragma are listed under this name.
pub const NO_CATEGORY: &str = "as yet unclassified";

/// What `:browse` shows of a class: its definition and its selectors by
/// category, instance side then class side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassReport {
    pub name: String,
    /// The superclass's name, or `nil`.
    pub superclass: String,
    pub category: Option<String>,
    pub comment: Option<String>,
    /// Own instance variables (inherited ones are not repeated).
    pub instance_variables: Vec<String>,
    pub class_variables: Vec<String>,
    /// Own class-side instance variables.
    pub class_instance_variables: Vec<String>,
    /// (category, sorted selectors), categories sorted.
    pub instance_side: Vec<(String, Vec<String>)>,
    pub class_side: Vec<(String, Vec<String>)>,
}

impl Vm {
    /// The names bound in `Smalltalk` (classes and other globals), sorted.
    pub fn global_names(&self) -> Vec<String> {
        let smalltalk = self.mem.special_object(special::SMALLTALK);
        self.binding_names(smalltalk)
    }

    /// The names of the workspace variables, sorted.
    pub fn workspace_variable_names(&self) -> Vec<String> {
        let workspace = self.mem.special_object(special::WORKSPACE);
        self.binding_names(workspace)
    }

    fn binding_names(&self, dict: Oop) -> Vec<String> {
        let mut names: Vec<String> = self
            .mem
            .dictionary_associations(dict)
            .into_iter()
            .filter_map(|a| self.mem.string_value(self.mem.heap.fetch(a, association::KEY)))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Binds a workspace variable (creating it if needed), as a top-level
    /// assignment would: the REPL keeps its last result in `it` this way.
    ///
    /// Allocates, but never collects: `value` need not be rooted.
    pub fn set_workspace_variable(&mut self, name: &str, value: Oop) -> Result<(), VmError> {
        let symbol = self.mem.intern(name)?;
        let workspace = self.mem.special_object(special::WORKSPACE);
        self.mem.dictionary_at_put(workspace, symbol, value)?;
        Ok(())
    }

    /// The selectors understood by the object that `receiver` denotes, when
    /// that is known without running code: a literal (`3`, `'abc'`, `#sym`,
    /// `$a`, `#(...)`, `[...]`, `{...}`, `true`, `nil`), a workspace variable
    /// or a global. Sorted; `None` when the receiver cannot be told.
    pub fn selectors_understood_by(&self, receiver: &str) -> Option<Vec<String>> {
        let cls = self.class_of_receiver_text(receiver.trim())?;
        let mut selectors = BTreeSet::new();
        let mut c = cls;
        let nil = self.mem.nil();
        while c != nil && c.is_object() {
            self.add_selectors(c, &mut selectors);
            c = self.mem.superclass_of(c);
        }
        Some(selectors.into_iter().collect())
    }

    /// Every selector implemented by some class or metaclass, sorted.
    pub fn all_selectors(&self) -> Vec<String> {
        let mut selectors = BTreeSet::new();
        let table = self.mem.class_table();
        let nil = self.mem.nil();
        for i in 0..self.mem.heap.num_slots(table) {
            let cls = self.mem.heap.fetch(table, i);
            if cls == nil || !self.mem.is_behavior(cls) {
                continue;
            }
            self.add_selectors(cls, &mut selectors);
            let meta = self.mem.class_of(cls);
            if meta != nil && self.mem.is_metaclass(meta) {
                self.add_selectors(meta, &mut selectors);
            }
        }
        selectors.into_iter().collect()
    }

    fn add_selectors(&self, cls: Oop, into: &mut BTreeSet<String>) {
        let md = self.mem.heap.fetch(cls, class::METHOD_DICT);
        if md == self.mem.nil() {
            return;
        }
        for (selector, _) in self.mem.method_dict_pairs(md) {
            if let Some(name) = self.mem.string_value(selector) {
                into.insert(name);
            }
        }
    }

    /// The class of the object a literal or a variable name denotes.
    fn class_of_receiver_text(&self, text: &str) -> Option<Oop> {
        let tokens = lex(text).ok()?;
        let first = tokens.first()?;
        let known = |k: KnownClass| Some(self.mem.known_class(k));
        let whole = tokens.len() == 1;
        match first.tok {
            Tok::Number(n) if whole => known(number_class(n)),
            Tok::Str(_) if whole => known(KnownClass::String),
            Tok::Symbol(_) if whole => known(KnownClass::Symbol),
            Tok::Char(_) if whole => known(KnownClass::Character),
            Tok::LitArrayOpen | Tok::LBrace => known(KnownClass::Array),
            Tok::ByteArrayOpen => known(KnownClass::ByteArray),
            Tok::LBracket => known(KnownClass::BlockClosure),
            Tok::Ident(name) if whole => match name {
                "true" => known(KnownClass::True),
                "false" => known(KnownClass::False),
                "nil" | "self" | "super" => known(KnownClass::UndefinedObject),
                "thisContext" => known(KnownClass::Context),
                _ => self.variable_value(name).map(|v| self.mem.class_of(v)),
            },
            _ => None,
        }
    }

    /// The value of a workspace variable or global named `name`.
    fn variable_value(&self, name: &str) -> Option<Oop> {
        let symbol = self.mem.lookup_symbol(name)?;
        [special::WORKSPACE, special::SMALLTALK].into_iter().find_map(|which| {
            let dict = self.mem.special_object(which);
            let binding = self.mem.dictionary_binding(dict, symbol)?;
            Some(self.mem.heap.fetch(binding, association::VALUE))
        })
    }

    /// The class or metaclass named `Foo` or `Foo class`.
    fn behavior_named(&self, name: &str) -> Result<Oop, String> {
        let name = name.trim();
        let (base, meta) = match name.strip_suffix(" class") {
            Some(base) => (base.trim(), true),
            None => (name, false),
        };
        let value =
            self.variable_value(base).filter(|&v| self.mem.is_behavior(v) && !self.mem.is_metaclass(v)).ok_or_else(
                || format!("no class named {base}; `:browse` and `:source` take a class name such as Object"),
            )?;
        Ok(if meta { self.mem.class_of(value) } else { value })
    }

    /// The source of `Class>>selector` (or `Class class>>selector`), as it
    /// was compiled, after a comment naming the class that holds it (the
    /// class itself or the superclass it is inherited from).
    pub fn method_source(&self, class_name: &str, selector: &str) -> Result<String, String> {
        let cls = self.behavior_named(class_name)?;
        let selector = selector.trim().trim_start_matches('#');
        let symbol = self.mem.lookup_symbol(selector).ok_or_else(|| {
            format!("{} does not understand #{selector}: no method has that selector", class_name.trim())
        })?;
        let method = self
            .mem
            .lookup_method(cls, symbol)
            .ok_or_else(|| format!("{} does not understand #{selector}", self.mem.class_name(cls)))?;
        let holder = self.mem.heap.fetch(method, code::METHOD_CLASS);
        let source = self.mem.heap.fetch(method, code::SOURCE);
        let text = self
            .mem
            .string_value(source)
            .ok_or_else(|| format!("{}>>{selector} has no source kept", self.mem.class_name(holder)))?;
        // Where the method is, which tells an inherited one apart.
        Ok(format!("\"{}>>{selector}\"\n{text}", self.mem.class_name(holder)))
    }

    /// The definition of a class and its selectors by category.
    pub fn class_report(&self, name: &str) -> Result<ClassReport, String> {
        let cls = self.behavior_named(name.trim().trim_end_matches(" class"))?;
        let nil = self.mem.nil();
        let superclass = self.mem.superclass_of(cls);
        let own = |c: Oop| -> Vec<String> {
            let all = self.mem.instance_variable_names(c);
            let sup = self.mem.superclass_of(c);
            let inherited = if sup == nil { 0 } else { self.mem.instance_variable_names(sup).len() };
            all.into_iter().skip(inherited).collect()
        };
        let meta = self.mem.class_of(cls);
        let pool = self.mem.heap.fetch(cls, class::CLASS_POOL);
        let class_variables = if pool == nil { Vec::new() } else { self.binding_names(pool) };
        let text = |slot: usize| {
            let v = self.mem.heap.fetch(cls, slot);
            if v == nil {
                None
            } else {
                self.mem.string_value(v).filter(|s| !s.is_empty())
            }
        };
        Ok(ClassReport {
            name: self.mem.class_name(cls),
            superclass: self.mem.class_name(superclass),
            category: text(class::CATEGORY),
            comment: text(class::COMMENT),
            instance_variables: own(cls),
            class_variables,
            class_instance_variables: own(meta),
            instance_side: self.selectors_by_category(cls),
            class_side: self.selectors_by_category(meta),
        })
    }

    fn selectors_by_category(&self, cls: Oop) -> Vec<(String, Vec<String>)> {
        let nil = self.mem.nil();
        let md = self.mem.heap.fetch(cls, class::METHOD_DICT);
        if md == nil {
            return Vec::new();
        }
        let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (selector, method) in self.mem.method_dict_pairs(md) {
            let Some(name) = self.mem.string_value(selector) else {
                continue;
            };
            let props = self.mem.heap.fetch(method, code::PROPERTIES);
            let category = if props != nil && props.is_object() && self.mem.heap.num_slots(props) > 0 {
                self.mem.string_value(self.mem.heap.fetch(props, 0))
            } else {
                None
            };
            groups.entry(category.unwrap_or_else(|| NO_CATEGORY.to_string())).or_default().push(name);
        }
        groups
            .into_iter()
            .map(|(c, mut s)| {
                s.sort();
                (c, s)
            })
            .collect()
    }

    /// The heap's counters.
    pub fn heap_stats(&self) -> HeapStats {
        self.mem.heap.stats()
    }

    /// A full collection with compaction, now; answers the counters before
    /// and after.
    ///
    /// # GC
    /// Moves objects: call it only between evaluations, holding no Oop.
    pub fn collect_all_garbage(&mut self) -> (HeapStats, HeapStats) {
        let before = self.mem.heap.stats();
        self.full_garbage_collect();
        (before, self.mem.heap.stats())
    }
}

/// Whether REPL input is unfinished, so that the next line continues it:
/// the lexer finds an open string, comment or bracket, or a trailing keyword
/// or operator ([`input_status`]); or the real parser (the one that will run
/// the input) stops only at the end of the text, as in `| a b` or
/// `coll add: 1;`. An error before the end is the user's to see at once.
pub fn is_unfinished_input(source: &str) -> bool {
    if input_status(source) == InputStatus::Incomplete {
        return true;
    }
    let Ok(tokens) = lex(source) else {
        return false;
    };
    let Some(last) = tokens.last() else {
        return false;
    };
    // Where the text ends, as a diagnostic counts: 1-based line and column
    // (in characters) just after the last token.
    let before = &source[..last.end];
    let line = 1 + before.matches('\n').count() as u32;
    let column = 1 + before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() as u32;
    let origin = Origin { name: "input".into(), first_line: 1, first_column: 1 };
    match smalt_compiler::parse_file(source, &origin) {
        Ok(_) => false,
        Err(diagnostics) => diagnostics.iter().all(|d| (d.line, d.column) >= (line, column)),
    }
}

/// The class of a number literal as written (`3`, `-7`, `16r1F`, `1e6`,
/// `3.14`, `3.14s2`, `100000000000000000000`). `1e6` is an Integer.
fn number_class(text: &str) -> KnownClass {
    let digits = text.trim_start_matches('-');
    let radix = digits.contains('r');
    if digits.contains('s') && !radix {
        KnownClass::ScaledDecimal
    } else if digits.contains('.') {
        KnownClass::Float
    } else if digits.len() > 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
        if text.starts_with('-') {
            KnownClass::LargeNegativeInteger
        } else {
            KnownClass::LargePositiveInteger
        }
    } else {
        KnownClass::SmallInteger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_unfinished_while_more_text_could_complete_it() {
        for unfinished in [
            "3 +",
            "(3 + 4",
            "'open",
            "\"open",
            "#(1 2) inject: 0 into:",
            "| a b",
            "OrderedCollection new add: 1;",
            "x := ",
            "3 + 4. x :=",
            "3 + \"a comment\"",
            "Object subclass: Foo [\n    bar [ ^1 ]",
            "Object subclass: Foo [ bar",
        ] {
            assert!(is_unfinished_input(unfinished), "{unfinished:?} is unfinished");
        }
        for finished in ["3 + 4", "| a b | a := 1", "3 ) 4", "x := 3 ) . y :=", "", "\"just a comment\"", "3 foo: ]"] {
            assert!(!is_unfinished_input(finished), "{finished:?} is finished (or wrong)");
        }
    }

    #[test]
    fn number_literals_have_their_classes() {
        assert_eq!(number_class("3"), KnownClass::SmallInteger);
        assert_eq!(number_class("-7"), KnownClass::SmallInteger);
        assert_eq!(number_class("16r1F"), KnownClass::SmallInteger);
        assert_eq!(number_class("3.14"), KnownClass::Float);
        assert_eq!(number_class("2.5e3"), KnownClass::Float);
        assert_eq!(number_class("3.14s2"), KnownClass::ScaledDecimal);
        assert_eq!(number_class("100000000000000000000"), KnownClass::LargePositiveInteger);
        assert_eq!(number_class("-100000000000000000000"), KnownClass::LargeNegativeInteger);
    }
}
