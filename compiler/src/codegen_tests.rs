//! Code generation tests: each construct is compiled and then run on the
//! tiny test interpreter, so the tests pin behaviour, not byte sequences
//! (the disassembly snapshots in `tests/snapshots` pin those).

use std::cell::RefCell;
use std::rc::Rc;

use crate::bytecode::Instruction;
use crate::test_vm::{arr, TestVm, V};
use crate::*;

fn source(text: &str, first_line: u32) -> SourceText {
    SourceText { text: text.into(), origin: Origin { name: "test.st".into(), first_line, first_column: 1 } }
}

fn scope() -> ClassScope {
    ClassScope { class_name: "Foo".into(), instance_variables: vec!["a".into(), "b".into()] }
}

fn method(text: &str) -> CompiledCode {
    match compile_method(&source(text, 1), MethodSyntax::Classic, &scope()) {
        Ok(code) => code,
        Err(ds) => panic!("{text}: {}", ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

fn errors(text: &str) -> Vec<String> {
    match compile_method(&source(text, 1), MethodSyntax::Classic, &scope()) {
        Ok(_) => panic!("{text} compiled"),
        Err(ds) => ds.into_iter().map(|d| d.message).collect(),
    }
}

fn run(text: &str) -> V {
    let code = method(text);
    let receiver = V::Obj(Rc::new(RefCell::new(vec![V::Nil, V::Nil])));
    match TestVm::new().run_method(&code, receiver, Vec::new()) {
        Ok(v) => v,
        Err(e) => panic!("{text}: {e}\n{}", disassemble(&code)),
    }
}

fn ints(values: &[i64]) -> V {
    arr(values.iter().map(|&i| V::Int(i)).collect())
}

/// Every instruction of the code and its blocks.
fn instructions(code: &CompiledCode) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pc = 0;
    while let Ok((insn, next)) = Instruction::decode(&code.bytecodes, pc) {
        out.push(insn);
        pc = next;
    }
    for lit in &code.literals {
        if let Literal::Block(b) = lit {
            out.extend(instructions(b));
        }
    }
    out
}

fn sends(code: &CompiledCode) -> Vec<String> {
    let mut out = Vec::new();
    for insn in instructions(code) {
        if let Instruction::Send { literal, .. } = insn {
            if let Some(Literal::Symbol(s)) = code.literals.get(literal as usize) {
                out.push(s.clone());
            }
        }
    }
    out
}

#[test]
fn conditionals_are_inlined_and_answer_like_pharo() {
    assert_eq!(run("m ^false ifTrue: [1]"), V::Nil);
    assert_eq!(run("m ^true ifTrue: [1]"), V::Int(1));
    assert_eq!(run("m ^true ifFalse: [1]"), V::Nil);
    assert_eq!(run("m ^(3 > 2) ifTrue: [1] ifFalse: [2]"), V::Int(1));
    assert_eq!(run("m ^(3 < 2) ifTrue: [1] ifFalse: [2]"), V::Int(2));
    assert_eq!(run("m ^(3 < 2) ifFalse: [1] ifTrue: [2]"), V::Int(1));
    assert_eq!(run("m ^true ifTrue: [] ifFalse: [2]"), V::Nil);
    assert_eq!(run("m ^(1 < 2) and: [2 < 1]"), V::Bool(false));
    assert_eq!(run("m ^(1 < 2) and: [1 < 2]"), V::Bool(true));
    assert_eq!(run("m ^(2 < 1) or: [1 < 2]"), V::Bool(true));
    assert_eq!(run("m ^(2 < 1) or: [2 < 1]"), V::Bool(false));
    assert_eq!(run("m | x | x := 1. (x > 0) ifTrue: [x := 5]. ^x"), V::Int(5));
    let code = method("m: c ^c ifTrue: [1] ifFalse: [c and: [c or: [c]]]");
    assert!(sends(&code).is_empty(), "{}", disassemble(&code));
}

#[test]
fn non_block_arguments_are_real_sends() {
    let code = method("m: c ^c ifTrue: c");
    assert_eq!(sends(&code), vec!["ifTrue:"]);
    let code = method("m: c ^c ifTrue: [:x | x]");
    assert_eq!(sends(&code), vec!["ifTrue:"]);
    let code = method("m: c ^c whileTrue: [1]");
    assert_eq!(sends(&code), vec!["whileTrue:"]);
    let code = method("m: c ^1 to: 5 by: c do: c");
    assert_eq!(sends(&code), vec!["to:by:do:"]);
}

#[test]
fn to_by_do_with_a_step_that_is_not_a_literal_is_inlined() {
    // Only the zero-step error is a send.
    let code = method("m: c ^1 to: 5 by: c do: [:i | i]");
    assert_eq!(sends(&code), vec!["error:"], "{}", disassemble(&code));
}

#[test]
fn loops() {
    assert_eq!(run("m | i s | i := 0. s := 0. [i < 5] whileTrue: [i := i + 1. s := s + i]. ^s"), V::Int(15));
    assert_eq!(run("m | i | i := 0. [i >= 5] whileFalse: [i := i + 1]. ^i"), V::Int(5));
    assert_eq!(run("m | i | i := 0. [i := i + 1. i < 5] whileTrue. ^i"), V::Int(5));
    assert_eq!(run("m | i | i := 0. [i := i + 1. i >= 5] whileFalse. ^i"), V::Int(5));
    assert_eq!(run("m ^[false] whileTrue: [1]"), V::Nil);
    assert_eq!(run("m | s | s := 0. 1 to: 10 do: [:i | s := s + i]. ^s"), V::Int(55));
    assert_eq!(run("m ^1 to: 3 do: [:i | ]"), V::Int(1));
    assert_eq!(run("m | s | s := 0. 10 to: 1 by: -3 do: [:i | s := s + i]. ^s"), V::Int(22));
    assert_eq!(run("m | s | s := 0. 1 to: 10 by: 4 do: [:i | s := s + i]. ^s"), V::Int(15));
    assert_eq!(run("m | n s | n := 3. s := 0. 1 to: n do: [:i | n := 10. s := s + i]. ^s"), V::Int(6));
    assert_eq!(run("m | c | c := 0. 4 timesRepeat: [c := c + 1]. ^c"), V::Int(4));
    assert_eq!(run("m ^3 timesRepeat: []"), V::Int(3));
    let code = method("m | s | 1 to: 3 do: [:i | [s] whileFalse: [5 timesRepeat: [s := true]]]. ^s");
    assert!(sends(&code).is_empty(), "{}", disassemble(&code));
}

#[test]
fn blocks_that_are_not_inlined_stay_real_blocks() {
    // Found by the fuzz test: only the blocks a construct inlines join the
    // enclosing scope; a block receiver or a block limit is a real block.
    for text in [
        "m ^[:x | x] timesRepeat: [a := a ifNil: [0]]",
        "m ^1 to: [:x | x] do: [:i | i]",
        "m ^1 to: [3] by: 2 do: [:i | [i] value]",
        "m ^[1] ifTrue: [2] ifFalse: [[3]]",
        "m ^[:y | y] and: [[:z | z]]",
    ] {
        let code = method(text);
        assert!(instructions(&code).iter().any(|i| matches!(i, Instruction::PushClosure { .. })), "{text}");
    }
}

#[test]
fn nil_tests() {
    assert_eq!(run("m ^nil ifNil: [1]"), V::Int(1));
    assert_eq!(run("m ^5 ifNil: [1]"), V::Int(5));
    assert_eq!(run("m ^nil ifNotNil: [:x | x + 1]"), V::Nil);
    assert_eq!(run("m ^5 ifNotNil: [:x | x + 1]"), V::Int(6));
    assert_eq!(run("m ^5 ifNotNil: [0]"), V::Int(0));
    assert_eq!(run("m ^nil ifNil: [1] ifNotNil: [:x | x]"), V::Int(1));
    assert_eq!(run("m ^7 ifNil: [1] ifNotNil: [:x | x * 2]"), V::Int(14));
    assert_eq!(run("m ^7 ifNotNil: [:x | x * 2] ifNil: [1]"), V::Int(14));
    assert_eq!(run("m ^nil ifNotNil: [:x | x * 2] ifNil: [1]"), V::Int(1));
    assert_eq!(run("m | r | r := 0. nil ifNil: [r := 3]. ^r"), V::Int(3));
}

#[test]
fn blocks_copy_what_is_never_written_after_capture() {
    let code = method("m | x | x := 5. ^[x + 1] value");
    assert!(!instructions(&code).iter().any(|i| matches!(i, Instruction::PushNewTempVector(_))));
    assert_eq!(run("m | x | x := 5. ^[x + 1] value"), V::Int(6));
    assert_eq!(run("m | x | x := 1. ^[:p | [:q | p + q + x] value: 10] value: 100"), V::Int(111));
    assert_eq!(run("m | y | ^[y] value"), V::Nil);
}

#[test]
fn blocks_share_what_is_written() {
    let code = method("m | x b | x := 0. b := [x := x + 1]. b value. b value. ^x");
    assert!(instructions(&code).iter().any(|i| matches!(i, Instruction::PushNewTempVector(1))));
    assert_eq!(run("m | x b | x := 0. b := [x := x + 1]. b value. b value. ^x"), V::Int(2));
    assert_eq!(run("m | x | x := 0. [[x := x + 5] value] value. ^x"), V::Int(5));
    assert_eq!(run("m | x b | x := 1. b := [x]. x := 2. ^b value"), V::Int(2));
    assert_eq!(run("m | b | b := [:p | | t | t := p. [t := t + 1] value. t]. ^b value: 4"), V::Int(5));
}

#[test]
fn loop_iterations_get_fresh_variables() {
    let prefix = "m | bs | bs := OrderedCollection new. ";
    assert_eq!(run(&format!("{prefix} 1 to: 3 do: [:i | bs add: [i]]. ^bs collectValues")), ints(&[1, 2, 3]));
    assert_eq!(
        run(&format!("{prefix} 1 to: 3 do: [:i | | t | t := i * 10. bs add: [t]]. ^bs collectValues")),
        ints(&[10, 20, 30])
    );
    assert_eq!(
        run(&format!("{prefix} 1 to: 3 do: [:i | | t | t := i. bs add: [t]. t := t * 10]. ^bs collectValues")),
        ints(&[10, 20, 30])
    );
    assert_eq!(
        run("m | bs i | bs := OrderedCollection new. i := 0. [i < 3] whileTrue: [| t | i := i + 1. t := i. bs add: [t]]. ^bs collectValues"),
        ints(&[1, 2, 3])
    );
    // A variable declared outside the loop is one variable for all iterations.
    assert_eq!(
        run("m | bs s | bs := OrderedCollection new. 1 to: 3 do: [:i | s := i. bs add: [s]]. ^bs collectValues"),
        ints(&[3, 3, 3])
    );
    // Temps of an inlined loop body start each iteration as nil.
    assert_eq!(
        run(&format!("{prefix} 1 to: 3 do: [:i | | t | t ifNil: [t := 0]. t := t + i. bs add: t]. ^bs")),
        ints(&[1, 2, 3])
    );
}

#[test]
fn returns() {
    assert_eq!(run("m [:v | ^v] value: 7. ^0"), V::Int(7));
    assert_eq!(run("m true ifTrue: [^1]. ^2"), V::Int(1));
    assert_eq!(run("m ^[] value"), V::Nil);
    assert_eq!(run("m ^[:x | ] value: 3"), V::Nil);
    assert_eq!(run("m ^[:x | x] value: 3"), V::Int(3));
    assert_eq!(run("m ^[3. 4] value"), V::Int(4));
    let code = method("m ^self");
    assert_eq!(instructions(&code), vec![Instruction::ReturnReceiver]);
    let code = method("m ^true");
    assert_eq!(instructions(&code), vec![Instruction::ReturnTrue]);
    let code = method("m: c c ifTrue: [^1] ifFalse: [^2]");
    assert_eq!(*instructions(&code).last().expect("code"), Instruction::ReturnTop);
}

#[test]
fn falling_off_the_end_answers_self() {
    let code = method("m 3");
    assert_eq!(instructions(&code), vec![Instruction::ReturnReceiver]);
}

#[test]
fn cascades_braces_variables() {
    assert_eq!(run("m ^OrderedCollection new add: 1; add: 2; yourself"), ints(&[1, 2]));
    assert_eq!(run("m ^(OrderedCollection new add: 1; add: 2; yourself) size"), V::Int(2));
    assert_eq!(run("m ^{1. 2 + 3}"), ints(&[1, 5]));
    assert_eq!(run("m ^{}"), ints(&[]));
    assert_eq!(run("m a := 3. b := a + 1. ^b"), V::Int(4));
    assert_eq!(run("m Foo := 3. ^Foo + 1"), V::Int(4));
    assert_eq!(run("m | x y | x := y := 4. ^x + y"), V::Int(8));
    assert_eq!(run("m ^#(1 2 #(3))"), arr(vec![V::Int(1), V::Int(2), ints(&[3])]));
    assert_eq!(run("m ^3 - -5"), V::Int(8));
    assert_eq!(run("m ^3-1"), V::Int(2));
    let code = method("m ^super foo; bar");
    assert!(instructions(&code).iter().all(|i| !matches!(i, Instruction::Send { .. })));
    assert!(instructions(&code).iter().any(|i| matches!(i, Instruction::SuperSend { argc: 0, .. })));
    let code = method("m ^thisContext");
    assert_eq!(instructions(&code), vec![Instruction::PushThisContext, Instruction::ReturnTop]);
}

#[test]
fn doits_answer_their_last_value_and_declare_workspace_variables() {
    let doit = compile_doit(&source("| x | x := 3. x + 1", 1), &ClassScope::default()).expect("compiles");
    assert_eq!(doit.declared, vec!["x".to_string()]);
    assert_eq!(doit.code.selector, "DoIt");
    assert_eq!(doit.code.num_temps, 0);
    assert!(doit.code.literals.contains(&Literal::Binding("x".into())));
    let mut vm = TestVm::new();
    assert_eq!(vm.run_method(&doit.code, V::Nil, Vec::new()), Ok(V::Int(4)));
    assert_eq!(vm.globals.get("x"), Some(&V::Int(3)));
    let empty = compile_doit(&source("", 1), &ClassScope::default()).expect("compiles");
    assert_eq!(instructions(&empty.code), vec![Instruction::ReturnNil]);
    let comment = compile_doit(&source("\"nothing\"", 1), &ClassScope::default()).expect("compiles");
    assert_eq!(instructions(&comment.code), vec![Instruction::ReturnNil]);
    let bang = compile_doit(&source("3 + 4!", 1), &ClassScope::default()).expect("compiles");
    assert_eq!(TestVm::new().run_method(&bang.code, V::Nil, Vec::new()), Ok(V::Int(7)));
    let ret = compile_doit(&source("^3. 4", 1), &ClassScope::default()).expect("compiles");
    assert_eq!(TestVm::new().run_method(&ret.code, V::Nil, Vec::new()), Ok(V::Int(3)));
}

#[test]
fn stack_depth_and_temps_are_exact() {
    assert_eq!(method("m ^1 + (2 + (3 + 4))").max_stack, 4);
    assert_eq!(method("m ^1").max_stack, 1);
    assert_eq!(method("m").max_stack, 0);
    assert_eq!(method("m: x | t | ^x").num_temps, 2);
    let code = method("m: x | t | ^[:y | | z | x + y + z]");
    let Some(Literal::Block(block)) = code.literals.first() else { panic!("no block") };
    // args, then copied values, then own temps
    assert_eq!((block.num_args, block.num_copied, block.num_temps), (1, 1, 3));
    assert!(block.is_block && block.selector == "m:");
}

#[test]
fn pragmas_and_primitives() {
    let code = method("m <primitive: 60> <category: 'accessing'> ^nil");
    assert_eq!(code.primitive, 60);
    assert_eq!(
        code.pragmas,
        vec![Pragma { selector: "category:".into(), arguments: vec![Literal::String("accessing".into())] }]
    );
    let code = method("m | t | <foo: 1 bar: #baz> ^t");
    assert_eq!(code.pragmas[0].selector, "foo:bar:");
    assert_eq!(
        errors("m <primitive: 0> ^1")[0],
        "expected a primitive number from 1 to 65535 in <primitive: >, found something else"
    );
}

#[test]
fn literal_frame_is_deduplicated_but_keeps_distinct_values() {
    let code = method("m ^{1.0. 1.0. -0.0. 0.0. 1. #foo. #foo. 1000. 1000}");
    assert_eq!(code.literals.len(), 5, "{:?}", code.literals);
    assert_eq!(instructions(&method("m ^-128")), vec![Instruction::PushSmallInteger(-128), Instruction::ReturnTop]);
    assert!(matches!(instructions(&method("m ^128"))[0], Instruction::PushLiteral(0)));
    let code = method("m ^Foo. Foo. Foo");
    assert_eq!(code.literals, vec![Literal::Binding("Foo".into())]);
}

#[test]
fn line_table_counts_file_lines() {
    let text = "foo\n  | x |\n  x := 1.\n  ^x\n    + 2";
    let code = compile_method(&source(text, 10), MethodSyntax::Classic, &scope()).expect("compiles");
    let lines: Vec<u32> = code.lines.iter().map(|&(_, l)| l).collect();
    assert_eq!(lines, vec![12, 13, 14]);
    assert_eq!(code.lines[0].0, 0);
    assert!(code.lines.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(code.source, text);
}

#[test]
fn wide_operands_and_huge_methods() {
    let sends: String = (0..300).map(|i| format!("self s{i}. ")).collect();
    let code = method(&format!("m {sends}"));
    assert!(instructions(&code).len() >= 600);
    assert_eq!(code.literals.len(), 300);
    let elements: String = (0..300).map(|i| format!("{}. ", 1000 + i)).collect();
    let expected: Vec<i64> = (0..300).map(|i| 1000 + i).collect();
    assert_eq!(run(&format!("m ^{{{elements}}}")), ints(&expected));
    let temps: String = (0..300).map(|i| format!("t{i} ")).collect();
    let uses: String = (0..300).map(|i| format!("t{i} := {i}. ")).collect();
    assert_eq!(run(&format!("m | {temps} b | {uses} b := [t299 := t299 + t1]. b value. ^t299")), V::Int(300));
    let body: String = (0..9000).map(|i| format!("self s{}. ", i % 50)).collect();
    let messages = errors(&format!("m: c c ifTrue: [{body}]"));
    assert!(messages[0].starts_with("method too large"), "{messages:?}");
}

#[test]
fn method_syntax_errors() {
    assert_eq!(errors("foo: 3"), vec!["expected an argument name after 'foo:', found number 3"]);
    assert_eq!(
        errors("^3"),
        vec!["expected a method pattern (a unary, binary or keyword selector with its argument names), found '^'"]
    );
    assert_eq!(
        errors("foo | a"),
        vec!["expected a temp name or '|' to end the declaration opened at 1:5, found end of input"]
    );
    assert_eq!(
        errors("foo <primitive: 1"),
        vec!["expected another 'keyword: literal' or '>' to close the pragma opened at 1:5, found end of input"]
    );
    assert_eq!(errors("foo ^a bar;"), vec!["expected a message after ';', found end of input"]);
    assert_eq!(errors("foo ^1 2"), vec!["expected a message, '.' or ';', found number 2"]);
    let bracket = compile_method(&source("foo [ ^1 ] bar", 1), MethodSyntax::Bracket, &scope());
    assert_eq!(bracket.map_err(|d| d[0].message.clone()), Err("expected end of input, found name 'bar'".to_string()));
    let bracket = compile_method(&source("foo [ ^1", 1), MethodSyntax::Bracket, &scope());
    assert_eq!(
        bracket.map_err(|d| d[0].message.clone()),
        Err("expected ']' to close the method body opened at 1:5, found end of input".to_string())
    );
}

#[test]
fn scope_errors() {
    assert_eq!(
        errors("m: x x := 3"),
        vec!["expected a variable to assign to, found argument 'x', which cannot be assigned"]
    );
    assert_eq!(errors("m self := 3"), vec!["expected a variable to assign to, found 'self', which cannot be assigned"]);
    assert_eq!(
        errors("m: x | x | ^x")[0],
        "duplicate name 'x': it is already declared at 1:4 in the same scope; rename one of them"
    );
    assert_eq!(
        errors("m ^[:a :a | a]")[0],
        "duplicate name 'a': it is already declared at 1:6 in the same scope; rename one of them"
    );
    assert_eq!(errors("m | nil | ^1")[0], "expected a name for a temp, found the reserved name 'nil'");
    assert_eq!(
        errors("m ^[:x | x := 1]")[0],
        "expected a variable to assign to, found argument 'x', which cannot be assigned"
    );
    // Shadowing an instance variable or an outer temp is allowed.
    assert_eq!(run("m | a | a := 9. ^[:b | b] value: a"), V::Int(9));
}
