//! Prints the bytecode of one method read from standard input (classic
//! syntax: a pattern then statements), compiled for a class with the
//! instance variables given as arguments:
//! `echo 'sum: n  ^n + 1' | cargo run -p smalt-compiler --example disasm -- a b`
use std::io::Read;

use smalt_compiler::*;

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("standard input is readable");
    let scope = ClassScope { class_name: "Thing".into(), instance_variables: std::env::args().skip(1).collect() };
    let source = SourceText { text, origin: Origin { name: "stdin".into(), first_line: 1, first_column: 1 } };
    match compile_method(&source, MethodSyntax::Classic, &scope) {
        Ok(code) => print!("{}", disassemble(&code)),
        Err(ds) => ds.iter().for_each(|d| eprintln!("{d}")),
    }
}
