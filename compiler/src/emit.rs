//! The instruction buffer of one method or block: labels and jumps, the
//! literal frame, stack depth and the line table, assembled into bytes.
//!
//! Code after a return or an unconditional jump is never reached unless a
//! label makes it so; such code is dropped as it is emitted, which keeps the
//! stack depth at every label exact.

use crate::bytecode::{for_loop, Instruction, Opcode, SPECIAL_SELECTORS};
use crate::code::Literal;

/// A jump target, bound to a position later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpKind {
    Always,
    IfTrue,
    IfFalse,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Insn(Instruction),
    Jump(JumpKind, Label),
    /// An [`Instruction::ForLoop`] whose offsets are to be resolved.
    ForLoop {
        counter: u8,
        limit: u8,
        step: u8,
        flags: u8,
        back: Label,
        exit: Label,
    },
    Bind(Label),
}

#[derive(Debug, Default)]
pub struct Emitter {
    ops: Vec<(Op, u32)>,
    /// The stack depth at each label, once a reachable jump targets it.
    label_depth: Vec<Option<i32>>,
    depth: i32,
    max_depth: i32,
    unreachable: bool,
    /// The source line given to the instructions emitted next.
    pub line: u32,
    pub literals: Vec<Literal>,
}

/// Equality for deduplicating literals: unlike `==`, `0.0` and `-0.0` differ,
/// and blocks are never shared.
fn same_literal(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Float(x), Literal::Float(y)) => x.to_bits() == y.to_bits(),
        (Literal::Array(x), Literal::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_literal(p, q))
        }
        (Literal::Block(_), _) | (_, Literal::Block(_)) => false,
        _ => a == b,
    }
}

/// A superinstruction for `last` followed by `next`, when there is one:
/// answers what `last` becomes (None: it is replaced) and the instruction
/// that follows it. The stack depth is counted on the unfused pair, so
/// `max_stack` has room for the pushes a fused instruction makes before it
/// sends.
fn fuse(last: Instruction, next: Instruction) -> Option<(Option<Instruction>, Instruction)> {
    use Instruction as I;
    let binary = |index: u8| SPECIAL_SELECTORS[index as usize].1 == 1;
    match (last, next) {
        (I::PushTemp(a), I::PushTemp(b)) => Some((None, I::PushTemps(u8::try_from(a).ok()?, u8::try_from(b).ok()?))),
        (I::PushTemp(t), I::SendSpecial(index)) if binary(index) => {
            Some((None, I::SendSpecialTemp { index, temp: u8::try_from(t).ok()? }))
        }
        (I::PushTemps(a, b), I::SendSpecial(index)) if binary(index) => {
            Some((None, I::SendSpecialTemps { a, index, b }))
        }
        (I::PopIntoTemp(a), I::PushTemp(b)) => {
            Some((None, I::PopIntoTempPushTemp(u8::try_from(a).ok()?, u8::try_from(b).ok()?)))
        }
        (I::PushSmallInteger(value), I::SendSpecial(index)) if binary(index) => {
            Some((None, I::SendSpecialInt { index, value }))
        }
        _ => None,
    }
}

/// The assembled code.
#[derive(Debug)]
pub struct Assembled {
    pub bytecodes: Vec<u8>,
    pub lines: Vec<(u32, u32)>,
    pub max_stack: u16,
}

impl Emitter {
    pub fn new(line: u32) -> Emitter {
        Emitter { line, ..Emitter::default() }
    }

    /// The index of `literal` in the literal frame, adding it if needed.
    pub fn literal(&mut self, literal: Literal) -> Result<u16, String> {
        if let Some(i) = self.literals.iter().position(|l| same_literal(l, &literal)) {
            return Ok(i as u16);
        }
        self.literals.push(literal);
        u16::try_from(self.literals.len() - 1)
            .map_err(|_| "method too large: more than 65536 literals; split it into smaller methods".to_string())
    }

    pub fn emit(&mut self, insn: Instruction) {
        if self.unreachable {
            return;
        }
        self.depth += insn.stack_effect() as i32;
        self.max_depth = self.max_depth.max(self.depth);
        if let Some((Op::Insn(last), line)) = self.ops.last_mut() {
            if let Some((first, fused)) = fuse(*last, insn) {
                // The fused instruction keeps the later line: a send's.
                match first {
                    Some(kept) => {
                        *last = kept;
                        self.ops.push((Op::Insn(fused), self.line));
                    }
                    None => (*last, *line) = (fused, self.line),
                }
                return;
            }
        }
        self.ops.push((Op::Insn(insn), self.line));
        if insn.opcode().is_terminator() {
            self.unreachable = true;
        }
    }

    pub fn new_label(&mut self) -> Label {
        self.label_depth.push(None);
        Label(self.label_depth.len() - 1)
    }

    pub fn jump(&mut self, kind: JumpKind, to: Label) {
        if self.unreachable {
            return;
        }
        if kind != JumpKind::Always {
            self.depth -= 1;
        }
        if let Some(slot) = self.label_depth.get_mut(to.0) {
            slot.get_or_insert(self.depth);
        }
        self.ops.push((Op::Jump(kind, to), self.line));
        if kind == JumpKind::Always {
            self.unreachable = true;
        }
    }

    /// The fast step and test of an inlined `to:do:` ([`Instruction::ForLoop`]):
    /// on to `back` while the loop goes on, to `exit` when it is done, and
    /// on to the next instruction (the same step and test as sends) when
    /// its operands are not all SmallIntegers. A `Pop` just before it (the
    /// body's last statement, for effect) becomes its `POP_FIRST` flag.
    pub fn for_loop(&mut self, counter: u8, limit: u8, step: u8, flags: u8, back: Label, exit: Label) {
        if self.unreachable {
            return;
        }
        let mut flags = flags;
        if let Some((Op::Insn(Instruction::Pop), _)) = self.ops.last() {
            // Its effect on the depth is counted already.
            self.ops.pop();
            flags |= for_loop::POP_FIRST;
        }
        for label in [back, exit] {
            if let Some(slot) = self.label_depth.get_mut(label.0) {
                slot.get_or_insert(self.depth);
            }
        }
        self.ops.push((Op::ForLoop { counter, limit, step, flags, back, exit }, self.line));
    }

    /// Jumps to `test` and places `body` after the jump: the start of a
    /// loop whose test is at its bottom (`test` is bound after the body,
    /// and the test jumps back to `body` while the loop goes on). The body
    /// is reachable, at the current depth, though only a later jump enters it.
    pub fn enter_loop_at_test(&mut self, test: Label, body: Label) {
        if self.unreachable {
            return;
        }
        if let Some(slot) = self.label_depth.get_mut(body.0) {
            slot.get_or_insert(self.depth);
        }
        self.jump(JumpKind::Always, test);
        self.bind(body);
    }

    /// Places `label` here. Code after it is reachable if it was, or if a
    /// reachable jump targets the label.
    pub fn bind(&mut self, label: Label) {
        let target_depth = self.label_depth.get(label.0).copied().flatten();
        if self.unreachable {
            match target_depth {
                Some(d) => {
                    self.depth = d;
                    self.unreachable = false;
                }
                None => return,
            }
        }
        // A backward jump to this label will record the same depth.
        if let Some(slot) = self.label_depth.get_mut(label.0) {
            slot.get_or_insert(self.depth);
        }
        self.ops.push((Op::Bind(label), self.line));
    }

    /// Lays out the code, resolving jumps. Fails if a jump does not fit.
    pub fn assemble(&self) -> Result<Assembled, String> {
        let mut positions = vec![0usize; self.label_depth.len()];
        let mut pc = 0usize;
        for (op, _) in &self.ops {
            match op {
                Op::Insn(i) => pc += i.encoded_len(),
                Op::Jump(..) => pc += 3,
                Op::ForLoop { .. } => pc += Opcode::ForLoop.length(),
                Op::Bind(l) => {
                    if let Some(p) = positions.get_mut(l.0) {
                        *p = pc;
                    }
                }
            }
        }
        let mut bytecodes = Vec::with_capacity(pc);
        let mut lines: Vec<(u32, u32)> = Vec::new();
        for (op, line) in &self.ops {
            let here = bytecodes.len();
            // The offset to `label` from the end of an instruction of `len` bytes here.
            let offset = |label: Label, len: usize| {
                let target = positions.get(label.0).copied().unwrap_or(0) as i64;
                i16::try_from(target - (here + len) as i64).map_err(|_| {
                    "method too large: a jump spans more than 32767 bytes; split it into smaller methods".to_string()
                })
            };
            let insn = match *op {
                Op::Insn(i) => i,
                Op::ForLoop { counter, limit, step, flags, back, exit } => {
                    let len = Opcode::ForLoop.length();
                    Instruction::ForLoop {
                        counter,
                        limit,
                        step,
                        flags,
                        back: offset(back, len)?,
                        exit: offset(exit, len)?,
                    }
                }
                Op::Jump(kind, l) => {
                    let offset = offset(l, 3)?;
                    match kind {
                        JumpKind::Always => Instruction::Jump(offset),
                        JumpKind::IfTrue => Instruction::JumpIfTrue(offset),
                        JumpKind::IfFalse => Instruction::JumpIfFalse(offset),
                    }
                }
                Op::Bind(_) => continue,
            };
            if lines.last().map(|&(_, l)| l) != Some(*line) {
                lines.push((here as u32, *line));
            }
            insn.encode(&mut bytecodes);
        }
        Ok(Assembled { bytecodes, lines, max_stack: self.max_depth.clamp(0, u16::MAX as i32) as u16 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::special_selector_index;
    use Instruction as I;

    fn assembled(build: impl FnOnce(&mut Emitter)) -> (Vec<Instruction>, u16) {
        let mut em = Emitter::new(1);
        build(&mut em);
        let code = em.assemble().expect("assembles");
        let mut insns = Vec::new();
        let mut pc = 0;
        while pc < code.bytecodes.len() {
            let (insn, next) = Instruction::decode(&code.bytecodes, pc).expect("decodes");
            insns.push(insn);
            pc = next;
        }
        (insns, code.max_stack)
    }

    #[test]
    fn pushes_before_a_binary_special_send_are_fused() {
        let plus = special_selector_index("+").expect("special");
        let (insns, max_stack) = assembled(|em| {
            for insn in [I::PushTemp(0), I::PushTemp(1), I::PushTemp(2), I::SendSpecial(plus)] {
                em.emit(insn);
            }
            em.emit(I::PushSmallInteger(-3));
            em.emit(I::SendSpecial(plus));
            for insn in [I::PopIntoTemp(1), I::PushTemp(3), I::PushTemp(4), I::SendSpecial(plus), I::ReturnTop] {
                em.emit(insn);
            }
        });
        assert_eq!(
            insns,
            [
                I::PushTemps(0, 1),
                I::SendSpecialTemp { index: plus, temp: 2 },
                I::SendSpecialInt { index: plus, value: -3 },
                I::PopIntoTempPushTemp(1, 3),
                I::SendSpecialTemp { index: plus, temp: 4 },
                I::ReturnTop
            ]
        );
        // Room for the third temp, pushed before the send.
        assert_eq!(max_stack, 3);
    }

    #[test]
    fn two_temps_and_a_binary_special_send_are_one_instruction() {
        let less = special_selector_index("<").expect("special");
        let (insns, _) = assembled(|em| {
            for insn in [I::PushTemp(5), I::PushTemp(6), I::SendSpecial(less), I::ReturnTop] {
                em.emit(insn);
            }
        });
        assert_eq!(insns, [I::SendSpecialTemps { a: 5, index: less, b: 6 }, I::ReturnTop]);
    }

    #[test]
    fn nothing_is_fused_across_a_label_or_into_other_sends() {
        let size = special_selector_index("size").expect("special");
        let (insns, _) = assembled(|em| {
            let label = em.new_label();
            em.emit(I::PushTemp(0));
            em.bind(label);
            em.emit(I::PushTemp(1));
            em.emit(I::PushTemp(300));
            em.emit(I::SendSpecial(size));
            em.emit(I::ReturnTop);
        });
        assert_eq!(insns, [I::PushTemp(0), I::PushTemp(1), I::PushTemp(300), I::SendSpecial(size), I::ReturnTop]);
    }

    #[test]
    fn a_pop_just_before_a_for_loop_becomes_its_flag_but_not_across_a_label() {
        let for_loop = |flags| I::ForLoop { counter: 0, limit: 1, step: 1, flags, back: -11, exit: 12 };
        let (insns, _) = assembled(|em| {
            let (body, exit, label) = (em.new_label(), em.new_label(), em.new_label());
            em.bind(body);
            em.emit(I::PushTemp(2));
            em.emit(I::Pop);
            em.for_loop(0, 1, 1, 0, body, exit);
            em.emit(I::PushTemp(3));
            em.emit(I::Pop);
            em.bind(label);
            em.for_loop(0, 1, 1, for_loop::DESCENDING, body, exit);
            em.bind(exit);
            em.emit(I::ReturnReceiver);
        });
        assert_eq!(
            insns,
            [
                I::PushTemp(2),
                for_loop(for_loop::POP_FIRST),
                I::PushTemp(3),
                I::Pop,
                I::ForLoop { counter: 0, limit: 1, step: 1, flags: for_loop::DESCENDING, back: -23, exit: 0 },
                I::ReturnReceiver
            ]
        );
        assert_eq!(for_loop(for_loop::POP_FIRST).stack_effect(), -1);
        assert_eq!(for_loop(0).stack_effect(), 0);
    }
}
