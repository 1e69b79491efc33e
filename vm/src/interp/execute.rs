//! The bytecode loop.

use smalt_compiler::bytecode::{Opcode, SPECIAL_IDENTITY, SPECIAL_SELECTORS};

use super::returns::Returned;
use super::{Halt, Vm};
use crate::heap::{Format, Oop};
use crate::objects::layout::{association, closure, code, special, KnownClass};
use crate::VmError;

impl Vm {
    /// Runs the active context until the bottom context of this evaluation
    /// returns, answering its value.
    ///
    /// # GC
    /// Collects at safe points.
    pub(crate) fn interpret(&mut self) -> Result<Oop, Halt> {
        let mut ext: usize = 0;
        loop {
            let byte = self.next_byte();
            let Some(op) = Opcode::from_byte(byte) else {
                return Err(Halt::Vm(VmError::Broken(format!("bad bytecode {byte} at pc {}", self.ip - 1))));
            };
            match op {
                Opcode::Ext => {
                    ext = (ext << 8) | (self.next_byte() as usize) << 8;
                    continue;
                }
                Opcode::PushReceiver => {
                    let r = self.receiver;
                    self.push(r);
                }
                Opcode::PushNil => self.push(crate::heap::NIL),
                Opcode::PushTrue => self.push(crate::heap::TRUE),
                Opcode::PushFalse => self.push(crate::heap::FALSE),
                Opcode::PushThisContext => {
                    self.save_registers();
                    let c = self.ctx;
                    self.push(c);
                }
                Opcode::PushSmallInteger => {
                    let v = self.next_byte() as i8;
                    self.push(Oop::small_integer(v as i64));
                }
                Opcode::PushLiteral => {
                    let n = ext | self.next_byte() as usize;
                    let lit = self.literal(n);
                    self.push(lit);
                }
                Opcode::PushGlobal => {
                    let n = ext | self.next_byte() as usize;
                    let binding = self.literal(n);
                    let value = self.mem.heap.fetch(binding, association::VALUE);
                    self.push(value);
                }
                Opcode::StoreGlobal | Opcode::PopIntoGlobal => {
                    let n = ext | self.next_byte() as usize;
                    let binding = self.literal(n);
                    let value = if op == Opcode::PopIntoGlobal { self.pop() } else { self.top() };
                    self.mem.heap.store(binding, association::VALUE, value);
                }
                Opcode::PushInstVar => {
                    let n = ext | self.next_byte() as usize;
                    let value = self.mem.heap.fetch(self.receiver, n);
                    self.push(value);
                }
                Opcode::StoreInstVar | Opcode::PopIntoInstVar => {
                    let n = ext | self.next_byte() as usize;
                    let value = if op == Opcode::PopIntoInstVar { self.pop() } else { self.top() };
                    let r = self.receiver;
                    self.mem.heap.store(r, n, value);
                }
                Opcode::PushTemp => {
                    let n = ext | self.next_byte() as usize;
                    let value = self.temp(n);
                    self.push(value);
                }
                Opcode::StoreTemp | Opcode::PopIntoTemp => {
                    let n = ext | self.next_byte() as usize;
                    let value = if op == Opcode::PopIntoTemp { self.pop() } else { self.top() };
                    self.set_temp(n, value);
                }
                Opcode::PushRemoteTemp => {
                    let index = ext | self.next_byte() as usize;
                    let vector_index = self.next_byte() as usize;
                    let vector = self.temp(vector_index);
                    let value = self.mem.heap.fetch(vector, index);
                    self.push(value);
                }
                Opcode::StoreRemoteTemp | Opcode::PopIntoRemoteTemp => {
                    let index = ext | self.next_byte() as usize;
                    let vector_index = self.next_byte() as usize;
                    let vector = self.temp(vector_index);
                    let value = if op == Opcode::PopIntoRemoteTemp { self.pop() } else { self.top() };
                    self.mem.heap.store(vector, index, value);
                }
                Opcode::PushNewArray => {
                    let n = ext | self.next_byte() as usize;
                    let array = self.mem.new_array(n)?;
                    for i in 0..n {
                        let v = self.stack_value(n - 1 - i);
                        self.mem.heap.store(array, i, v);
                    }
                    self.pop_n(n);
                    self.push(array);
                }
                Opcode::PushNewTempVector => {
                    let n = ext | self.next_byte() as usize;
                    let array = self.mem.new_array(n)?;
                    self.push(array);
                }
                Opcode::PushClosure => {
                    let lit = ext | self.next_byte() as usize;
                    let copied = self.next_byte() as usize;
                    self.push_closure(lit, copied)?;
                }
                Opcode::Pop => self.pop_n(1),
                Opcode::Dup => {
                    let t = self.top();
                    self.push(t);
                }
                Opcode::Send => {
                    let lit = ext | self.next_byte() as usize;
                    let argc = self.next_byte() as usize;
                    let selector = self.literal(lit);
                    self.send(selector, argc)?;
                }
                Opcode::SuperSend => {
                    let lit = ext | self.next_byte() as usize;
                    let argc = self.next_byte() as usize;
                    let selector = self.literal(lit);
                    self.super_send(selector, argc)?;
                }
                Opcode::SendSpecial => {
                    let index = self.next_byte();
                    self.send_special(index)?;
                }
                Opcode::ReturnTop => {
                    let value = self.pop();
                    if let Returned::Finished(v) = self.return_from_method(value)? {
                        if let Some(v) = self.bottom_returned(v)? {
                            return Ok(v);
                        }
                    }
                }
                Opcode::ReturnReceiver | Opcode::ReturnNil | Opcode::ReturnTrue | Opcode::ReturnFalse => {
                    let value = match op {
                        Opcode::ReturnReceiver => self.receiver,
                        Opcode::ReturnNil => crate::heap::NIL,
                        Opcode::ReturnTrue => crate::heap::TRUE,
                        _ => crate::heap::FALSE,
                    };
                    if let Returned::Finished(v) = self.return_from_method(value)? {
                        if let Some(v) = self.bottom_returned(v)? {
                            return Ok(v);
                        }
                    }
                }
                Opcode::BlockReturn => {
                    let value = self.pop();
                    if let Returned::Finished(v) = self.return_to_sender(value)? {
                        if let Some(v) = self.bottom_returned(v)? {
                            return Ok(v);
                        }
                    }
                }
                Opcode::Jump => {
                    let offset = self.jump_offset();
                    self.ip = (self.ip as isize + offset) as usize;
                    if offset < 0 {
                        self.safe_point()?;
                    }
                }
                Opcode::JumpIfTrue | Opcode::JumpIfFalse => {
                    let offset = self.jump_offset();
                    let condition = self.pop();
                    let when = if op == Opcode::JumpIfTrue { crate::heap::TRUE } else { crate::heap::FALSE };
                    let other = if op == Opcode::JumpIfTrue { crate::heap::FALSE } else { crate::heap::TRUE };
                    if condition == when {
                        self.ip = (self.ip as isize + offset) as usize;
                        if offset < 0 {
                            self.safe_point()?;
                        }
                    } else if condition != other {
                        // Back up to the jump, so the answer of mustBeBoolean is tested again.
                        self.ip -= 3;
                        self.vm_send(special::SELECTOR_MUST_BE_BOOLEAN, condition, &[])?;
                    }
                }
            }
            ext = 0;
        }
    }

    #[inline]
    fn jump_offset(&mut self) -> isize {
        let lo = self.next_byte();
        let hi = self.next_byte();
        i16::from_le_bytes([lo, hi]) as isize
    }

    fn push_closure(&mut self, lit: usize, copied: usize) -> Result<(), Halt> {
        let block = self.literal(lit);
        let header = self.code_header(block);
        let oop =
            self.mem.allocate(KnownClass::BlockClosure, Format::FixedIndexable, closure::FIRST_COPIED + copied)?;
        self.save_registers();
        let heap = &mut self.mem.heap;
        heap.store(oop, closure::OUTER_CONTEXT, self.ctx);
        heap.store(oop, closure::COMPILED_BLOCK, block);
        heap.store(oop, closure::NUM_ARGS, Oop::small_integer(code::num_args(header) as i64));
        heap.store(oop, closure::RECEIVER, self.receiver);
        for i in 0..copied {
            let v = self.stack_value(copied - 1 - i);
            self.mem.heap.store(oop, closure::FIRST_COPIED + i, v);
        }
        self.pop_n(copied);
        self.push(oop);
        Ok(())
    }

    /// A special send: SmallInteger arithmetic and comparisons without a
    /// lookup, identity without a send, everything else as a normal send.
    fn send_special(&mut self, index: u8) -> Result<(), Halt> {
        let argc = SPECIAL_SELECTORS[index as usize].1 as usize;
        if index == SPECIAL_IDENTITY {
            let b = self.pop();
            let a = self.pop();
            self.push(self.mem.boolean(a == b));
            return Ok(());
        }
        if argc == 1 {
            let arg = self.stack_value(0);
            let rcvr = self.stack_value(1);
            if let (Some(a), Some(b)) = (rcvr.to_small_integer(), arg.to_small_integer()) {
                let result = match index {
                    0 => a.checked_add(b).and_then(Oop::try_small_integer),
                    1 => a.checked_sub(b).and_then(Oop::try_small_integer),
                    2 => Some(self.mem.boolean(a < b)),
                    3 => Some(self.mem.boolean(a > b)),
                    4 => Some(self.mem.boolean(a <= b)),
                    5 => Some(self.mem.boolean(a >= b)),
                    6 => Some(self.mem.boolean(a == b)),
                    7 => Some(self.mem.boolean(a != b)),
                    8 => a.checked_mul(b).and_then(Oop::try_small_integer),
                    12 => Some(Oop::small_integer(a & b)),
                    13 => Some(Oop::small_integer(a | b)),
                    _ => None,
                };
                if let Some(result) = result {
                    self.pop_n(2);
                    self.push(result);
                    return Ok(());
                }
            }
        }
        let selector = self.special_selector(index);
        self.send(selector, argc)
    }

    fn special_selector(&self, index: u8) -> Oop {
        let table = self.mem.special_object(special::SPECIAL_SELECTORS);
        self.mem.heap.fetch(table, index as usize)
    }
}
