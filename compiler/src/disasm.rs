//! A readable listing of compiled code, nested blocks included, for
//! snapshot tests and for people debugging the compiler or the VM.

use std::fmt::Write;

use crate::bytecode::{for_loop, Instruction, SPECIAL_SELECTORS};
use crate::code::{CompiledCode, Literal};

/// The listing of `code`: header, literals, then one line per instruction
/// (pc, source line where it changes, instruction), then each block.
pub fn disassemble(code: &CompiledCode) -> String {
    let mut out = String::new();
    write_code(&mut out, code, 0);
    out
}

fn literal_text(lit: &Literal) -> String {
    match lit {
        Literal::Nil => "nil".into(),
        Literal::True => "true".into(),
        Literal::False => "false".into(),
        Literal::Integer(n) => n.to_string(),
        Literal::Float(f) => format!("{f:?}"),
        Literal::ScaledDecimal { numerator, denominator, scale } => format!("{numerator}/{denominator}s{scale}"),
        Literal::Character(c) => format!("${c}"),
        Literal::String(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Symbol(s) => format!("#{s}"),
        Literal::Array(items) => {
            let inner: Vec<String> = items.iter().map(literal_text).collect();
            format!("#({})", inner.join(" "))
        }
        Literal::ByteArray(bytes) => {
            let inner: Vec<String> = bytes.iter().map(|b| b.to_string()).collect();
            format!("#[{}]", inner.join(" "))
        }
        Literal::Binding(name) => format!("binding {name}"),
        Literal::Block(_) => "a block".into(),
    }
}

fn write_code(out: &mut String, code: &CompiledCode, depth: usize) {
    let pad = "  ".repeat(depth);
    let kind = if code.is_block { "block in" } else { "method" };
    let _ = writeln!(
        out,
        "{pad}{kind} #{}  args {}  copied {}  temps {}  stack {}{}",
        code.selector,
        code.num_args,
        code.num_copied,
        code.num_temps,
        code.max_stack,
        if code.primitive != 0 { format!("  primitive {}", code.primitive) } else { String::new() }
    );
    for p in &code.pragmas {
        let args: Vec<String> = p.arguments.iter().map(literal_text).collect();
        let _ = writeln!(out, "{pad}  pragma <{} {}>", p.selector, args.join(" "));
    }
    for (i, lit) in code.literals.iter().enumerate() {
        let _ = writeln!(out, "{pad}  lit {i}: {}", literal_text(lit));
    }
    let literal = |i: u16| code.literals.get(i as usize).map_or("?".to_string(), literal_text);
    let mut pc = 0;
    let mut line_index = 0;
    while pc < code.bytecodes.len() {
        let mut line = String::from("     ");
        while line_index < code.lines.len() && code.lines[line_index].0 as usize <= pc {
            line = format!("L{:<4}", code.lines[line_index].1);
            line_index += 1;
        }
        let (insn, next) = match Instruction::decode(&code.bytecodes, pc) {
            Ok(decoded) => decoded,
            Err(e) => {
                let _ = writeln!(out, "{pad}  {pc:>4} {line} <{e}>");
                break;
            }
        };
        let target = |offset: i16| next as i64 + offset as i64;
        let text = match insn {
            Instruction::PushReceiver => "push self".to_string(),
            Instruction::PushNil => "push nil".into(),
            Instruction::PushTrue => "push true".into(),
            Instruction::PushFalse => "push false".into(),
            Instruction::PushThisContext => "push thisContext".into(),
            Instruction::PushSmallInteger(v) => format!("push {v}"),
            Instruction::PushLiteral(l) => format!("push lit {l} ({})", literal(l)),
            Instruction::PushGlobal(l) => format!("push global {l} ({})", literal(l)),
            Instruction::StoreGlobal(l) => format!("store global {l} ({})", literal(l)),
            Instruction::PopIntoGlobal(l) => format!("pop into global {l} ({})", literal(l)),
            Instruction::PushInstVar(i) => format!("push ivar {i}"),
            Instruction::StoreInstVar(i) => format!("store ivar {i}"),
            Instruction::PopIntoInstVar(i) => format!("pop into ivar {i}"),
            Instruction::PushTemp(t) => format!("push temp {t}"),
            Instruction::StoreTemp(t) => format!("store temp {t}"),
            Instruction::PopIntoTemp(t) => format!("pop into temp {t}"),
            Instruction::PushRemoteTemp { index, vector } => {
                format!("push remote {index} in temp {vector}")
            }
            Instruction::StoreRemoteTemp { index, vector } => {
                format!("store remote {index} in temp {vector}")
            }
            Instruction::PopIntoRemoteTemp { index, vector } => {
                format!("pop into remote {index} in temp {vector}")
            }
            Instruction::PushNewArray(n) => format!("push new array of {n}"),
            Instruction::PushNewTempVector(n) => format!("push new temp vector of {n}"),
            Instruction::PushClosure { literal: l, copied } => {
                format!("push closure lit {l} copied {copied}")
            }
            Instruction::Pop => "pop".into(),
            Instruction::Dup => "dup".into(),
            Instruction::Send { literal: l, argc } => format!("send {} ({argc})", literal(l)),
            Instruction::SuperSend { literal: l, argc } => {
                format!("super send {} ({argc})", literal(l))
            }
            Instruction::SendSpecial(i) => {
                let (sel, argc) = SPECIAL_SELECTORS.get(i as usize).copied().unwrap_or(("?", 0));
                format!("send special #{sel} ({argc})")
            }
            Instruction::PushTemps(a, b) => format!("push temps {a} {b}"),
            Instruction::SendSpecialTemps { a, index, b } => {
                format!("push temps {a} {b}, send special #{}", special_name(index))
            }
            Instruction::PopIntoTempPushTemp(a, b) => format!("pop into temp {a}, push temp {b}"),
            Instruction::SendSpecialTemp { index, temp } => {
                format!("push temp {temp}, send special #{}", special_name(index))
            }
            Instruction::ForLoop { counter, limit, step, flags, back, exit } => {
                let step =
                    if flags & for_loop::STEP_IN_TEMP != 0 { format!("temp {step}") } else { (step as i8).to_string() };
                let test = if flags & for_loop::DESCENDING != 0 { ">=" } else { "<=" };
                let pop = if flags & for_loop::POP_FIRST != 0 { "pop, " } else { "" };
                format!(
                    "{pop}for temp {counter} + {step} {test} temp {limit}: loop to {}, end to {}",
                    target(back),
                    target(exit)
                )
            }
            Instruction::SendSpecialInt { index, value } => {
                format!("push {value}, send special #{}", special_name(index))
            }
            Instruction::ReturnTop => "return top".into(),
            Instruction::ReturnReceiver => "return self".into(),
            Instruction::ReturnNil => "return nil".into(),
            Instruction::ReturnTrue => "return true".into(),
            Instruction::ReturnFalse => "return false".into(),
            Instruction::BlockReturn => "block return".into(),
            Instruction::Jump(o) => format!("jump to {}", target(o)),
            Instruction::JumpIfTrue(o) => format!("jump if true to {}", target(o)),
            Instruction::JumpIfFalse(o) => format!("jump if false to {}", target(o)),
        };
        let _ = writeln!(out, "{pad}  {pc:>4} {line} {text}");
        pc = next;
    }
    for (i, lit) in code.literals.iter().enumerate() {
        if let Literal::Block(block) = lit {
            let _ = writeln!(out, "{pad}  lit {i} =");
            write_code(out, block, depth + 2);
        }
    }
}

/// The selector of a special send, or `?` for a bad index.
fn special_name(index: u8) -> &'static str {
    SPECIAL_SELECTORS.get(index as usize).map_or("?", |&(sel, _)| sel)
}
