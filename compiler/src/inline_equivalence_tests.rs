//! Inlining must not change what a program does. These tests generate
//! random programs full of control messages, blocks that capture variables,
//! loop temps and non-local returns; compile each twice, once with the
//! control messages inlined and once as real sends of real blocks; run both
//! on the test interpreter; and require the same answer.

use std::cell::RefCell;
use std::rc::Rc;

use crate::inline::NO_INLINING;
use crate::test_vm::{TestVm, V};
use crate::*;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

/// Writes random statements and expressions over the variables in scope.
struct Generator {
    rng: Rng,
    /// Variables that may be read and assigned.
    vars: Vec<String>,
    /// Variables that may only be read (block and loop arguments).
    args: Vec<String>,
    fresh: usize,
    /// Loop counters in use; each loop gets its own method temp.
    loops: usize,
}

impl Generator {
    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn readable(&mut self) -> String {
        let n = self.vars.len() + self.args.len();
        let i = self.rng.below(n);
        if i < self.vars.len() {
            self.vars[i].clone()
        } else {
            self.args[i - self.vars.len()].clone()
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        let choice = if depth == 0 { self.rng.below(2) } else { self.rng.below(8) };
        match choice {
            0 => format!("{}", self.rng.below(10)),
            1 => self.readable(),
            2 => format!("({} + {})", self.expr(depth - 1), self.expr(depth - 1)),
            3 => format!("({} - {})", self.expr(depth - 1), self.expr(depth - 1)),
            4 => {
                let p = self.name("p");
                self.args.push(p.clone());
                let body = self.expr(depth - 1);
                self.args.pop();
                format!("([:{p} | {body}] value: {})", self.expr(depth - 1))
            }
            5 => format!(
                "({} ifTrue: [{}] ifFalse: [{}])",
                self.condition(depth - 1),
                self.expr(depth - 1),
                self.expr(depth - 1)
            ),
            6 => {
                let w = self.name("w");
                let nil_case = self.expr(depth - 1);
                self.args.push(w.clone());
                let body = self.expr(depth - 1);
                self.args.pop();
                let receiver = if self.rng.below(2) == 0 { "nil".to_string() } else { self.expr(depth - 1) };
                format!("({receiver} ifNil: [{nil_case}] ifNotNil: [:{w} | {body}])")
            }
            _ => format!(
                "({} ifFalse: [{}] ifTrue: [{}])",
                self.condition(depth - 1),
                self.expr(depth - 1),
                self.expr(depth - 1)
            ),
        }
    }

    fn condition(&mut self, depth: usize) -> String {
        let simple = |g: &mut Generator| format!("({} < {})", g.expr(depth), g.expr(depth));
        match self.rng.below(4) {
            0 => format!("({} and: [{}])", simple(self), simple(self)),
            1 => format!("({} or: [{}])", simple(self), simple(self)),
            _ => simple(self),
        }
    }

    /// A block body: fresh temps (assigned before use) and statements.
    fn body(&mut self, depth: usize) -> String {
        let temp = self.name("u");
        let init = self.expr(depth.min(1));
        self.vars.push(temp.clone());
        let statements = self.statements(depth);
        self.vars.pop();
        format!("| {temp} | {temp} := {init}. {statements}")
    }

    fn statements(&mut self, depth: usize) -> String {
        let n = 1 + self.rng.below(3);
        (0..n).map(|_| self.statement(depth)).collect::<Vec<_>>().join(" ")
    }

    fn statement(&mut self, depth: usize) -> String {
        let choice = if depth == 0 { self.rng.below(2) } else { self.rng.below(11) };
        match choice {
            0 => {
                let v = self.vars[self.rng.below(self.vars.len())].clone();
                format!("{v} := {}.", self.expr(depth.min(2)))
            }
            1 => format!("bs add: [{}].", self.expr(depth.min(2))),
            2 => {
                format!("{} ifTrue: [{}] ifFalse: [{}].", self.condition(1), self.body(depth - 1), self.body(depth - 1))
            }
            3 | 4 => {
                let i = self.name("i");
                let (from, to) = (self.rng.below(3), self.rng.below(5));
                self.args.push(i.clone());
                let body = self.body(depth - 1);
                self.args.pop();
                if self.rng.below(2) == 0 {
                    format!("{from} to: {to} do: [:{i} | {body}].")
                } else {
                    format!("{to} to: {from} by: -1 do: [:{i} | {body}].")
                }
            }
            5 => format!("{} timesRepeat: [{}].", self.rng.below(4), self.body(depth - 1)),
            6 if self.loops < 4 => {
                let c = format!("c{}", self.loops);
                self.loops += 1;
                let limit = self.rng.below(4);
                let body = self.body(depth - 1);
                self.loops -= 1;
                if self.rng.below(2) == 0 {
                    format!("{c} := 0. [{c} < {limit}] whileTrue: [{body} {c} := {c} + 1].")
                } else {
                    format!("{c} := 0. [{body} {c} := {c} + 1. {c} >= {limit}] whileFalse.")
                }
            }
            7 => {
                let p = self.name("p");
                self.args.push(p.clone());
                let body = self.body(depth - 1);
                self.args.pop();
                let block = format!("[:{p} | {body}]");
                if self.rng.below(2) == 0 {
                    format!("bs add: ({block} value: {}).", self.expr(1))
                } else {
                    let b = self.name("b");
                    format!("bs add: [:{b} | {block} value: {b}].")
                        .replace(&format!("[:{b} | "), "[")
                        .replace(&format!("value: {b}]"), "value: 1]")
                }
            }
            8 if self.rng.below(4) == 0 => format!("{} ifTrue: [^{{{}. #early}}].", self.condition(1), self.expr(1)),
            9 => format!("{} ifNotNil: [:{} | {}].", self.expr(1), self.name("n"), self.body(depth - 1)),
            _ => format!("{} ifFalse: [{}].", self.condition(1), self.body(depth - 1)),
        }
    }

    fn program(&mut self) -> String {
        self.vars = vec!["t0".into(), "t1".into(), "t2".into()];
        self.args.clear();
        let statements = self.statements(3);
        format!(
            "run | t0 t1 t2 c0 c1 c2 c3 bs | t0 := 0. t1 := 1. t2 := 2. bs := OrderedCollection new. {statements} ^{{t0. t1. t2. bs collectValues}}"
        )
    }
}

fn compile(text: &str, inline: bool) -> CompiledCode {
    NO_INLINING.with(|n| n.set(!inline));
    let source =
        SourceText { text: text.into(), origin: Origin { name: "gen.st".into(), first_line: 1, first_column: 1 } };
    let result = compile_method(&source, MethodSyntax::Classic, &ClassScope::default());
    NO_INLINING.with(|n| n.set(false));
    match result {
        Ok(code) => code,
        Err(ds) => panic!("{text}\n{}", ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

fn run(code: &CompiledCode) -> Result<V, String> {
    let receiver = V::Obj(Rc::new(RefCell::new(Vec::new())));
    TestVm::new().run_method(code, receiver, Vec::new())
}

#[test]
fn inlined_and_sent_control_messages_agree() {
    // The test interpreter recurses on every send, and the sent version
    // of a program sends a lot.
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(compare_many).expect("thread");
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn compare_many() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("SMALT_EQUIV_SEED").unwrap_or(0xC0FF_EE00_1234_5679) | 1;
    let programs = env("SMALT_EQUIV_PROGRAMS").unwrap_or(1500);
    let mut g = Generator { rng: Rng(seed), vars: Vec::new(), args: Vec::new(), fresh: 0, loops: 0 };
    let mut compared = 0;
    for _ in 0..programs {
        let text = g.program();
        let inlined = compile(&text, true);
        let sent = compile(&text, false);
        // Printed, closures compare by their shape rather than identity.
        let (a, b) = (format!("{:?}", run(&inlined)), format!("{:?}", run(&sent)));
        assert_eq!(a, b, "{text}\n--- inlined\n{}", disassemble(&inlined));
        if a.starts_with("Ok") {
            compared += 1;
        }
    }
    assert!(compared * 100 > programs * 90, "only {compared} of {programs} programs ran to completion");
}

#[test]
fn to_by_do_with_a_step_known_only_at_run_time_agrees_with_the_send() {
    let programs = [
        "run | s r | s := 3. r := OrderedCollection new. 1 to: 20 by: s do: [:i | r add: i]. ^r collectValues",
        "run | s r | s := -4. r := OrderedCollection new. 20 to: 1 by: s do: [:i | r add: i]. ^r collectValues",
        "run | s r | s := -1. r := OrderedCollection new. 1 to: 5 by: s do: [:i | r add: i]. ^r collectValues",
        "run | s r | s := 2. r := OrderedCollection new. 5 to: 1 by: s do: [:i | r add: i]. ^r collectValues",
        "run | n r | n := 0. r := OrderedCollection new. 1 to: 9 by: (n := n + 2) do: [:i | r add: i + n]. ^r collectValues",
        "run | s bs | s := 2. bs := OrderedCollection new. 1 to: 7 by: s do: [:i | bs add: [i]]. ^bs collectValues",
        "run | s t | s := 5. t := 0. 100 to: 0 by: 0 - s do: [:i | t := t + i]. ^t",
        "run | s | s := 3. ^1 to: 10 by: s do: [:i | i]",
        // Counters, limits and steps outside the test VM's FOR_LOOP_SMALL:
        // the sends after the fast step and test run, and agree.
        "run | t | t := 0. 65530 to: 65540 do: [:i | t := t + i]. ^t",
        "run | t | t := 0. 65540 to: 65530 by: -3 do: [:i | t := t + i]. ^t",
        "run | s t | s := 70000. t := 0. 1 to: 200000 by: s do: [:i | t := t + i]. ^t",
        "run | n t | n := 65538. t := 0. 65520 to: n do: [:i | t := t + i]. ^t",
        // Nested deeper than the loops compiled as two copies: the innermost
        // tests the step's sign every time round, both ways.
        "run | s t | s := 2. t := 0. 1 to: 4 by: s do: [:a | 1 to: 4 by: s do: [:b | 1 to: 4 by: s do: [:c | 1 to: 4 by: s do: [:d | 6 to: 1 by: 0 - s do: [:e | t := t + a + b + c + d + e]]]]]. ^t",
        "run | s t | s := -1. t := 0. 3 to: 1 by: s do: [:a | 3 to: 1 by: s do: [:b | 3 to: 1 by: s do: [:c | 3 to: 1 by: s do: [:d | 1 to: 3 by: 0 - s do: [:e | t := t + (a * e) - d]]]]]. ^t",
    ];
    for text in programs {
        let inlined = run(&compile(text, true));
        let sent = run(&compile(text, false));
        assert_eq!(inlined, sent, "{text}");
        assert!(inlined.is_ok(), "{text}: {inlined:?}");
    }
}
