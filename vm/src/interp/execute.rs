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

    /// A special send: SmallInteger and Float arithmetic and comparisons,
    /// `at:`/`at:put:`/`size` of an Array, and `value`/`value:` of a block
    /// without a lookup, identity without a send, everything else (and
    /// whatever these fast paths do not cover: overflow, other classes, a
    /// bad index) as a normal send.
    fn send_special(&mut self, index: u8) -> Result<(), Halt> {
        let argc = SPECIAL_SELECTORS[index as usize].1 as usize;
        if index == SPECIAL_IDENTITY {
            let b = self.pop();
            let a = self.pop();
            self.push(self.mem.boolean(a == b));
            return Ok(());
        }
        let answered = match argc {
            1 => {
                let arg = self.stack_value(0);
                let rcvr = self.stack_value(1);
                match (rcvr.to_small_integer(), arg.to_small_integer()) {
                    (Some(a), Some(b)) => self.small_integer_special(index, a, b),
                    _ if index <= special_index::DIVIDE => self.float_special(index, rcvr, arg),
                    _ if index == special_index::AT => self.array_at(rcvr, arg),
                    _ if index == special_index::VALUE_ => {
                        if self.activate_block(1)? {
                            return Ok(());
                        }
                        None
                    }
                    _ => None,
                }
            }
            0 if index == special_index::SIZE => {
                let rcvr = self.stack_value(0);
                self.is_plain_array(rcvr).then(|| Oop::small_integer(self.mem.heap.num_slots(rcvr) as i64))
            }
            0 if index == special_index::VALUE => {
                if self.activate_block(0)? {
                    return Ok(());
                }
                None
            }
            2 if index == special_index::AT_PUT => {
                let (rcvr, i, value) = (self.stack_value(2), self.stack_value(1), self.stack_value(0));
                self.array_at_put(rcvr, i, value)
            }
            _ => None,
        };
        if let Some(result) = answered {
            self.pop_n(argc + 1);
            self.push(result);
            return Ok(());
        }
        let selector = self.special_selector(index);
        self.send(selector, argc)
    }

    /// `a op b` for two SmallIntegers, when the answer is one or a Boolean.
    #[inline]
    fn small_integer_special(&self, index: u8, a: i64, b: i64) -> Option<Oop> {
        match index {
            0 => a.checked_add(b).and_then(Oop::try_small_integer),
            1 => a.checked_sub(b).and_then(Oop::try_small_integer),
            2 => Some(self.mem.boolean(a < b)),
            3 => Some(self.mem.boolean(a > b)),
            4 => Some(self.mem.boolean(a <= b)),
            5 => Some(self.mem.boolean(a >= b)),
            6 => Some(self.mem.boolean(a == b)),
            7 => Some(self.mem.boolean(a != b)),
            8 => a.checked_mul(b).and_then(Oop::try_small_integer),
            // `/` only when exact; fractions and ZeroDivide are the method's.
            9 => (b != 0 && a % b == 0).then(|| a / b).and_then(Oop::try_small_integer),
            // `\\` and `//` round toward negative infinity.
            10 => (b != 0).then(|| a - floor_div(a, b) * b).map(Oop::small_integer),
            11 => (b != 0).then(|| floor_div(a, b)).and_then(Oop::try_small_integer),
            12 => Some(Oop::small_integer(a & b)),
            13 => Some(Oop::small_integer(a | b)),
            14 => shifted(a, b).and_then(Oop::try_small_integer),
            _ => None,
        }
    }

    /// `+ - < > <= >= = ~= * /` with a Float and a Float or SmallInteger, as
    /// the Float primitives answer them (division by zero is left to them).
    fn float_special(&mut self, index: u8, rcvr: Oop, arg: Oop) -> Option<Oop> {
        let x = self.mem.float_value(rcvr).or_else(|| rcvr.to_small_integer().map(|i| i as f64))?;
        let y = self.mem.float_value(arg).or_else(|| arg.to_small_integer().map(|i| i as f64))?;
        let value = match index {
            0 => x + y,
            1 => x - y,
            2 => return Some(self.mem.boolean(x < y)),
            3 => return Some(self.mem.boolean(x > y)),
            4 => return Some(self.mem.boolean(x <= y)),
            5 => return Some(self.mem.boolean(x >= y)),
            6 => return Some(self.mem.boolean(x == y)),
            7 => return Some(self.mem.boolean(x != y)),
            8 => x * y,
            9 if y != 0.0 => x / y,
            _ => return None,
        };
        self.mem.new_float(value).ok()
    }

    /// Whether `oop` is an instance of Array itself (not a subclass, which
    /// may redefine `at:`).
    #[inline]
    fn is_plain_array(&self, oop: Oop) -> bool {
        oop.is_object() && self.mem.heap.class_index_of(oop) == KnownClass::Array.index()
    }

    fn array_at(&self, rcvr: Oop, index: Oop) -> Option<Oop> {
        let i = index.to_small_integer()?;
        (self.is_plain_array(rcvr) && i >= 1 && i as usize <= self.mem.heap.num_slots(rcvr))
            .then(|| self.mem.heap.fetch(rcvr, i as usize - 1))
    }

    fn array_at_put(&mut self, rcvr: Oop, index: Oop, value: Oop) -> Option<Oop> {
        let i = index.to_small_integer()?;
        let ok = self.is_plain_array(rcvr)
            && i >= 1
            && i as usize <= self.mem.heap.num_slots(rcvr)
            && !self.mem.heap.header(rcvr).is_immutable();
        ok.then(|| {
            self.mem.heap.store(rcvr, i as usize - 1, value);
            value
        })
    }

    fn special_selector(&self, index: u8) -> Oop {
        let table = self.mem.special_object(special::SPECIAL_SELECTORS);
        self.mem.heap.fetch(table, index as usize)
    }
}

/// Indices in `SPECIAL_SELECTORS` that the interpreter answers itself.
mod special_index {
    pub const DIVIDE: u8 = 9;
    pub const AT: u8 = 16;
    pub const AT_PUT: u8 = 17;
    pub const SIZE: u8 = 18;
    pub const VALUE: u8 = 19;
    pub const VALUE_: u8 = 20;
}

/// `a // b`, rounded toward negative infinity (b is not 0).
#[inline]
fn floor_div(a: i64, b: i64) -> i64 {
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// `a bitShift: b` when it fits in an i64 without losing bits.
#[inline]
fn shifted(a: i64, b: i64) -> Option<i64> {
    if b >= 0 {
        if b >= 63 {
            return (a == 0).then_some(0);
        }
        let r = a << b;
        (r >> b == a).then_some(r)
    } else {
        Some(if b <= -63 { a >> 63 } else { a >> -b })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smalt_compiler::bytecode::special_selector_index;

    #[test]
    fn the_fast_special_indices_name_their_selectors() {
        assert_eq!(special_selector_index("/"), Some(special_index::DIVIDE));
        assert_eq!(special_selector_index("at:"), Some(special_index::AT));
        assert_eq!(special_selector_index("at:put:"), Some(special_index::AT_PUT));
        assert_eq!(special_selector_index("size"), Some(special_index::SIZE));
        assert_eq!(special_selector_index("value"), Some(special_index::VALUE));
        assert_eq!(special_selector_index("value:"), Some(special_index::VALUE_));
        assert_eq!(special_selector_index("\\\\"), Some(10));
        assert_eq!(special_selector_index("//"), Some(11));
        assert_eq!(special_selector_index("bitShift:"), Some(14));
    }

    #[test]
    fn floor_division_and_modulo_round_toward_negative_infinity() {
        for (a, b, q) in [(7, 2, 3), (-7, 2, -4), (7, -2, -4), (-7, -2, 3), (6, 3, 2), (-6, 3, -2), (0, 5, 0)] {
            assert_eq!(floor_div(a, b), q, "{a} // {b}");
            let m = a - floor_div(a, b) * b;
            assert!(m == 0 || (m < 0) == (b < 0), "{a} \\\\ {b} = {m} has the divisor's sign");
        }
    }

    #[test]
    fn shifts_that_would_lose_bits_are_left_to_the_method() {
        assert_eq!(shifted(1, 10), Some(1024));
        assert_eq!(shifted(-1, 62), Some(-1i64 << 62));
        assert_eq!(shifted(3, 62), None);
        assert_eq!(shifted(1, 70), None);
        assert_eq!(shifted(0, 70), Some(0));
        assert_eq!(shifted(-8, -2), Some(-2));
        assert_eq!(shifted(-8, -100), Some(-1));
        assert_eq!(shifted(8, -100), Some(0));
    }
}
