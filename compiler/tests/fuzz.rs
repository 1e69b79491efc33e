//! Feeds the compiler thousands of mutated and random inputs and checks that
//! it never panics, and that whatever it does compile is well formed:
//! every instruction decodes, every jump lands on an instruction, line
//! tables are sorted.

use std::panic;

use smalt_compiler::bytecode::Instruction;
use smalt_compiler::*;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const SEEDS: &[&str] = &[
    "foo ^1 + 2",
    "at: i put: v | t | t := i. ^[:x | t := x + v] value: 3",
    "sum: n | s | s := 0. 1 to: n do: [:i | s := s + i]. ^s",
    "m ^self > 0 ifTrue: [#(1 $a 'x' #y (z) #[1 2])] ifFalse: [{1. 2.5e3. 16r1F. 3.14s2}]",
    "m | bs | bs := OrderedCollection new. 1 to: 3 do: [:i | | t | t := i. bs add: [t := t + 1]]. ^bs",
    "m [:x | x isNil] whileFalse: [^x]. 5 timesRepeat: [a := a ifNil: [0] ifNotNil: [:v | v + 1]]",
    "m <primitive: 60> <category: 'x'> ^super m; yourself; printString",
    "Object subclass: Animal [\n | name |\n Count := 0.\n <comment: 'x'>\n Animal class >> named: s [ ^self new setName: s ]\n setName: s [ name := s ]\n + o [ ^o ]\n]\nAnimal new setName: 'x'.\nEval [ | d | d := 3. d printNl ]\n",
    "Integer extend [ double [ ^self * 2 ] ]\nDog class extend [ default [ ^self named: 'Rex' ] ]\n| a b |\na := 3 - -5. b := a-1!",
    "!Foo methodsFor: 'x'!\nfoo\n  ^'it''s!!'\n! !\nFoo new foo printNl!",
    "\"comment\" x := #foo:bar: . y := #'hello world' -> $' . z := thisContext",
];

const FRAGMENTS: &[&str] = &[
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "#(",
    "#[",
    "'",
    "\"",
    "$",
    "|",
    "||",
    ":=",
    "^",
    ".",
    ";",
    "!",
    ":",
    "#",
    "-",
    "16r",
    "1e",
    "s2",
    " ",
    "\n",
    "x",
    "foo:",
    "ifTrue:",
    "[:x |",
    "to: 3 do:",
    "super",
    "thisContext",
    "<primitive: 1>",
    "Object subclass: Foo [",
    "Eval [",
    "é",
    "\u{0}",
    "99999999999999999999",
    "1e999999",
    "2r",
    "36rZZ",
    "$ ",
    "<",
    ">",
    ">>",
    "class",
    "extend",
    "whileTrue",
    "ifNil:",
    "ifNotNil: [:a :b |",
    "#foo:",
    "-0.0",
    "256",
    "#[300]",
    "| a a |",
    "timesRepeat:",
    "whileTrue:",
    "whileFalse",
    "to:",
    "by:",
    "do:",
    "and:",
    "or:",
    "ifFalse:",
    "ifNotNil:",
    "[:y | ",
    "[ | t | ",
    "t := ",
    "[:i | [i]]",
    "^[",
    "thisContext",
    "x := [:q | q := 1]",
    "self := 1",
    "Foo class >> ",
    "<shape: #word>",
    "!!",
    "\t",
    "\r\n",
];

fn check_code(code: &CompiledCode) {
    let mut starts = Vec::new();
    let mut jumps = Vec::new();
    let mut pc = 0;
    while pc < code.bytecodes.len() {
        let (insn, next) = Instruction::decode(&code.bytecodes, pc).expect("compiled code decodes");
        starts.push(pc);
        if let Instruction::Jump(o) | Instruction::JumpIfTrue(o) | Instruction::JumpIfFalse(o) = insn {
            jumps.push(next as i64 + o as i64);
        }
        pc = next;
    }
    starts.push(code.bytecodes.len());
    for target in jumps {
        assert!(target >= 0 && starts.contains(&(target as usize)), "jump to {target} lands inside an instruction");
    }
    assert!(code.lines.windows(2).all(|w| w[0].0 < w[1].0), "line table sorted");
    assert!(code.num_temps as usize >= code.num_args as usize + code.num_copied as usize);
    let _ = disassemble(code);
    for lit in &code.literals {
        if let Literal::Block(b) = lit {
            check_code(b);
        }
    }
}

fn check_diagnostics<T>(result: &Result<T, Vec<Diagnostic>>) {
    if let Err(ds) = result {
        assert!(!ds.is_empty(), "an error comes with at least one diagnostic");
        for d in ds {
            assert!(!d.message.contains("internal compiler error"), "{d}");
            assert!(d.line >= 1 && d.column >= 1 && d.width >= 1, "{d:?}");
            let _ = d.to_string();
        }
    }
}

fn exercise(text: &str) {
    let origin = Origin { name: "fuzz.st".into(), first_line: 3, first_column: 2 };
    let source = SourceText { text: text.to_string(), origin: origin.clone() };
    let scope = ClassScope { class_name: "Foo".into(), instance_variables: vec!["a".into(), "name".into()] };
    for syntax in [MethodSyntax::Classic, MethodSyntax::Bracket] {
        let result = compile_method(&source, syntax, &scope);
        check_diagnostics(&result);
        if let Ok(code) = result {
            check_code(&code);
        }
    }
    let result = compile_doit(&source, &scope);
    check_diagnostics(&result);
    if let Ok(doit) = result {
        check_code(&doit.code);
    }
    let _ = input_status(text);
    let _ = split_chunks(text);
    for items in [parse_file(text, &origin), parse_chunk_file(text, &origin)].into_iter().flatten() {
        for item in items {
            match item {
                Item::DoIt(d) => check_code(&d.code),
                Item::ClassDefinition(c) => {
                    for m in c.methods {
                        let result = compile_method(&m.source, m.syntax, &scope);
                        check_diagnostics(&result);
                        if let Ok(code) = result {
                            check_code(&code);
                        }
                    }
                }
                Item::Extension(e) => {
                    for m in e.methods {
                        let result = compile_method(&m.source, m.syntax, &scope);
                        check_diagnostics(&result);
                        if let Ok(code) = result {
                            check_code(&code);
                        }
                    }
                }
            }
        }
    }
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut s = input.to_string();
    for _ in 0..1 + rng.below(4) {
        let len = s.len();
        let at = char_boundary(&s, rng.below(len + 1));
        match rng.below(5) {
            0 => {
                let to = char_boundary(&s, (at + rng.below(12)).min(len));
                s.replace_range(at..to, "");
            }
            1 | 2 => s.insert_str(at, FRAGMENTS[rng.below(FRAGMENTS.len())]),
            3 => {
                let to = char_boundary(&s, (at + rng.below(30)).min(len));
                let piece = s[at..to].to_string();
                s.insert_str(at, &piece);
            }
            _ => s.truncate(at),
        }
    }
    s
}

fn random_text(rng: &mut Rng) -> String {
    let n = rng.below(60);
    (0..n)
        .map(|_| {
            if rng.below(3) == 0 {
                FRAGMENTS[rng.below(FRAGMENTS.len())].to_string()
            } else {
                let c = b" \n[](){}#$'\":=^.;!|<>-+*/\\~@%&?,0123456789abcxyzXYZ_es"[rng.below(54)];
                (c as char).to_string()
            }
        })
        .collect()
}

#[test]
fn the_compiler_never_panics() {
    let seed = std::env::var("SMALT_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED_1234_ABCD_0001);
    let mut rng = Rng(seed | 1);
    let mut inputs: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    let n: usize = std::env::var("SMALT_FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    for i in 0..n {
        let input = if i % 4 == 3 {
            random_text(&mut rng)
        } else {
            let seed = SEEDS[rng.below(SEEDS.len())];
            mutate(&mut rng, seed)
        };
        inputs.push(input);
    }
    for input in &inputs {
        let result = panic::catch_unwind(|| exercise(input));
        assert!(result.is_ok(), "the compiler panicked on input {input:?}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let scope = ClassScope::default();
    for text in [
        format!("m ^{}", "[".repeat(5000)),
        format!("m ^1{}", " + 1".repeat(5000)),
        format!("m ^x{}", " foo".repeat(5000)),
        format!("m ^#{}{}", "(".repeat(5000), ")".repeat(5000)),
        format!("m ^{}1{}", "{".repeat(3000), "}".repeat(3000)),
    ] {
        let source = SourceText { text, origin: Origin::default() };
        let result = compile_method(&source, MethodSyntax::Classic, &scope);
        assert!(result.is_err(), "{}", &source.text[..40]);
    }
    // Parentheses alone add no depth to the tree.
    let parens =
        SourceText { text: format!("m ^{}1{}", "(".repeat(5000), ")".repeat(5000)), origin: Origin::default() };
    assert!(compile_method(&parens, MethodSyntax::Classic, &scope).is_ok());
    let ok = SourceText { text: format!("m ^1{}", " + 1".repeat(200)), origin: Origin::default() };
    assert!(compile_method(&ok, MethodSyntax::Classic, &scope).is_ok());
}
