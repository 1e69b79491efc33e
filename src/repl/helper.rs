//! The line editor's helper: tab completion from the live world, syntax
//! highlighting with bracket matching, and the Validator that keeps reading
//! lines while the input is unfinished (decided by the real lexer and
//! parser: `is_unfinished_input`).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use smalt_vm::introspect::is_unfinished_input;
use smalt_vm::Vm;

use super::scan::{matching_bracket, scan, want_before, Kind, Want};
use super::COMMANDS;

const PSEUDO_VARIABLES: [&str; 6] = ["self", "super", "nil", "true", "false", "thisContext"];

/// Completion, highlighting and validation over the world in `vm`.
pub struct ReplHelper {
    vm: Rc<RefCell<Vm>>,
    colour: bool,
    /// Whether the bracket under the cursor and its partner are marked (not
    /// on the final redraw of an accepted line).
    mark_brackets: Cell<bool>,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(vm: Rc<RefCell<Vm>>, colour: bool) -> ReplHelper {
        ReplHelper { vm, colour, mark_brackets: Cell::new(true), files: FilenameCompleter::new() }
    }

    /// Candidates for the word that ends at `pos`, and where that word starts.
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
            .last()
            .map_or(pos, |(i, _)| i);
        let start = start + before[start..].bytes().take_while(|b| *b == b':').count();
        let start = if line.trim_start().starts_with(':') && !before.trim_start().contains(char::is_whitespace) {
            // The meta-command name itself, with its colon.
            before.len() - before.trim_start().len()
        } else {
            start
        };
        let word = &before[start..];
        let vm = self.vm.borrow();
        let pool: Vec<String> = if let Some(rest) = before.trim_start().strip_prefix(':') {
            match rest.split_once(char::is_whitespace) {
                None => COMMANDS.iter().map(|(name, _, _)| format!(":{name}")).collect(),
                Some(("browse", _)) => class_names(&vm),
                Some(("source", arg)) => match arg.split_once(">>") {
                    Some((class_name, _)) => match class_name.trim().strip_suffix(" class") {
                        Some(base) => vm.selectors_understood_by(base.trim()).unwrap_or_default(),
                        None => instance_selectors(&vm, class_name.trim()),
                    },
                    None => class_names(&vm),
                },
                Some(("time", expr)) => expression_candidates(&vm, &expr[..expr.len().saturating_sub(word.len())]),
                Some(_) => Vec::new(),
            }
        } else {
            expression_candidates(&vm, &before[..start])
        };
        let mut found: Vec<String> = pool.into_iter().filter(|c| c.starts_with(word) && c != word).collect();
        found.dedup();
        (start, found)
    }
}

/// Names that can start an expression: pseudo-variables, workspace
/// variables, globals.
fn expression_candidates(vm: &Vm, before: &str) -> Vec<String> {
    match want_before(before) {
        Want::Name => {
            let mut names: Vec<String> = PSEUDO_VARIABLES.iter().map(|s| s.to_string()).collect();
            names.extend(vm.workspace_variable_names());
            names.extend(vm.global_names());
            names
        }
        Want::Message(Some(receiver)) => vm.selectors_understood_by(&receiver).unwrap_or_else(|| vm.all_selectors()),
        Want::Message(None) => vm.all_selectors(),
    }
}

fn class_names(vm: &Vm) -> Vec<String> {
    vm.global_names().into_iter().filter(|n| n.starts_with(char::is_uppercase)).collect()
}

/// The selectors instances of the class named `class_name` understand,
/// gathered from the class and its superclasses.
fn instance_selectors(vm: &Vm, class_name: &str) -> Vec<String> {
    let mut selectors = Vec::new();
    let mut name = class_name.to_string();
    while let Ok(report) = vm.class_report(&name) {
        for (_, group) in report.instance_side {
            selectors.extend(group);
        }
        if report.superclass == "nil" {
            break;
        }
        name = report.superclass;
    }
    selectors.sort();
    selectors
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.trim_start().starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.candidates(line, pos);
        Ok((start, words.into_iter().map(|w| Pair { display: w.clone(), replacement: w }).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim_start().starts_with(':') && !input.trim_start().starts_with(":time") {
            return Ok(ValidationResult::Valid(None));
        }
        let source = input.trim_start().strip_prefix(":time").unwrap_or(input);
        Ok(if is_unfinished_input(source) { ValidationResult::Incomplete } else { ValidationResult::Valid(None) })
    }
}

/// The ANSI colour of a kind of span, if it has one.
fn colour_of(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Comment => "\x1b[90m",
        Kind::String | Kind::Character => "\x1b[32m",
        Kind::Symbol => "\x1b[35m",
        Kind::Number => "\x1b[36m",
        Kind::Keyword => "\x1b[33m",
        Kind::Global => "\x1b[34m",
        Kind::Pseudo => "\x1b[35m",
        Kind::Assign => "\x1b[1m",
        _ => return None,
    })
}

/// Marks the bracket under the cursor and its partner.
const MATCH: &str = "\x1b[1;7m";
const RESET: &str = "\x1b[0m";

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        if !self.colour || line.is_empty() {
            return Cow::Borrowed(line);
        }
        if line.trim_start().starts_with(':') {
            let end = line.find(char::is_whitespace).unwrap_or(line.len());
            return Cow::Owned(format!("\x1b[1m{}{RESET}{}", &line[..end], &line[end..]));
        }
        let spans = scan(line);
        let mut marked = Vec::new();
        if self.mark_brackets.get() {
            // The bracket under the cursor, else the one just typed.
            let ending_at =
                |end: usize| spans.iter().position(|s| matches!(s.kind, Kind::Open | Kind::Close) && s.end == end);
            let under = ending_at(pos + 1).or_else(|| ending_at(pos));
            if let Some(i) = under {
                if let Some(j) = matching_bracket(&spans, i) {
                    marked = vec![i, j];
                }
            }
        }
        let mut out = String::with_capacity(line.len() * 2);
        let mut done = 0;
        for (i, span) in spans.iter().enumerate() {
            out.push_str(&line[done..span.start]);
            let text = &line[span.start..span.end];
            if marked.contains(&i) {
                // Only the bracket character itself (the `(` of `#(`).
                let split = text.len() - 1;
                out.push_str(&text[..split]);
                out.push_str(MATCH);
                out.push_str(&text[split..]);
                out.push_str(RESET);
            } else if let Some(colour) = colour_of(span.kind) {
                out.push_str(colour);
                out.push_str(text);
                out.push_str(RESET);
            } else {
                out.push_str(text);
            }
            done = span.end;
        }
        out.push_str(&line[done..]);
        Cow::Owned(out)
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.mark_brackets.set(kind != CmdKind::ForcedRefresh);
        self.colour
    }
}

impl Helper for ReplHelper {}
