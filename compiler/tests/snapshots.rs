//! Disassembly snapshots of representative methods. Each file in
//! `tests/snapshots/` holds the source and the expected listing; run with
//! `SMALT_UPDATE_SNAPSHOTS=1` to rewrite them after an intended change.

use std::path::PathBuf;

use smalt_compiler::*;

const CASES: &[(&str, &str)] = &[
    ("accessor", "name\n    ^name"),
    ("setter", "name: aString\n    <category: 'accessing'>\n    name := aString"),
    ("primitive", "+ aNumber\n    <primitive: 1>\n    ^super + aNumber"),
    ("arithmetic", "area\n    ^(width * height) + (1000000 // 3) - -5"),
    ("cascade", "printOn: aStream\n    aStream nextPutAll: 'a '; print: name; nextPut: $!"),
    ("if_true_if_false", "max: other\n    ^self > other ifTrue: [self] ifFalse: [other]"),
    ("and_or", "isSmall: x\n    ^(x notNil and: [x < 10]) or: [x == 0]"),
    ("while_loop", "countTo: n\n    | i |\n    i := 0.\n    [i < n] whileTrue: [i := i + 1].\n    ^i"),
    ("to_do", "sum: n\n    | s |\n    s := 0.\n    1 to: n do: [:i | s := s + i].\n    ^s"),
    ("to_by_do_captured", "blocks\n    | bs |\n    bs := OrderedCollection new.\n    10 to: 1 by: -2 do: [:i | bs add: [i]].\n    ^bs"),
    ("to_by_do_runtime_step", "sumBy: step\n    | sum |\n    sum := 0.\n    1 to: 10 by: step do: [:i | sum := sum + i].\n    ^sum"),
    ("times_repeat", "ring: n\n    n timesRepeat: [self bell]"),
    ("if_nil", "valueOr: default\n    ^value ifNil: [default] ifNotNil: [:v | v printString]"),
    ("copied_closure", "adder: n\n    ^[:x | x + n]"),
    ("temp_vector_closure", "counter\n    | count |\n    count := 0.\n    ^[count := count + 1]"),
    ("fresh_per_iteration", "makeAll\n    ^(1 to: 3) collect: [:i | | t | t := i. [t := t + 1]]"),
    ("nested_blocks", "nested: a\n    | x |\n    x := 1.\n    ^[:b | [:c | a + b + c + x + name]]"),
    ("non_local_return", "detect: aBlock\n    items do: [:each | (aBlock value: each) ifTrue: [^each]].\n    ^nil"),
    ("literals", "literals\n    ^#(1 $a 'str' #sym (nested 2) true false nil foo at:put: #[1 2 255]) , {3.14. 2.5e3. 16r1F. 3.14s2. 100 factorial. -0.0. 0.0}"),
    (
        "effect_conditionals",
        "check: x\n    x isNil ifTrue: [^0].\n    x > 10 ifFalse: [self error: 'small'].\n    ^x",
    ),
    (
        "both_branches_return",
        "sign: x\n    x < 0 ifTrue: [^-1] ifFalse: [^1]",
    ),
    ("this_context_super", "caller\n    super caller.\n    ^thisContext sender"),
];

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("snapshots")
}

#[test]
fn disassembly_snapshots() {
    let update = std::env::var("SMALT_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let scope = ClassScope {
        class_name: "Thing".into(),
        instance_variables: vec!["name".into(), "width".into(), "height".into(), "value".into(), "items".into()],
    };
    let mut failures = Vec::new();
    for (name, text) in CASES {
        let source = SourceText {
            text: text.to_string(),
            origin: Origin { name: format!("{name}.st"), first_line: 1, first_column: 1 },
        };
        let listing = match compile_method(&source, MethodSyntax::Classic, &scope) {
            Ok(code) => disassemble(&code),
            Err(ds) => ds.iter().map(|d| format!("{d}\n")).collect(),
        };
        let actual = format!("{text}\n----\n{listing}");
        let path = snapshot_dir().join(format!("{name}.txt"));
        if update {
            std::fs::write(&path, &actual).expect("snapshot written");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                failures.push(format!("{name}: listing differs\n--- expected\n{expected}\n--- actual\n{actual}"))
            }
            Err(_) => {
                failures.push(format!("{name}: no snapshot at {}; run with SMALT_UPDATE_SNAPSHOTS=1", path.display()))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
