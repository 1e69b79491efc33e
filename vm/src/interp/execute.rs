//! The bytecode loop.

use smalt_compiler::bytecode::{for_loop, quick, SPECIAL_IDENTITY, SPECIAL_SELECTORS};

use super::frame::{frame_base, LoopRegisters};
use super::returns::Returned;
use super::send::MethodCache;
use super::{Halt, Vm};
use crate::heap::{Format, Heap, Near, Oop, NIL};
use crate::objects::layout::{association, closure, code, special, KnownClass};
use crate::prims::index::Primitive;
use crate::{prims, VmError};

/// The opcode bytes, for matching on the byte itself.
mod op {
    use smalt_compiler::bytecode::Opcode;
    pub const PUSH_RECEIVER: u8 = Opcode::PushReceiver as u8;
    pub const PUSH_NIL: u8 = Opcode::PushNil as u8;
    pub const PUSH_TRUE: u8 = Opcode::PushTrue as u8;
    pub const PUSH_FALSE: u8 = Opcode::PushFalse as u8;
    pub const PUSH_THIS_CONTEXT: u8 = Opcode::PushThisContext as u8;
    pub const PUSH_SMALL_INTEGER: u8 = Opcode::PushSmallInteger as u8;
    pub const PUSH_LITERAL: u8 = Opcode::PushLiteral as u8;
    pub const PUSH_GLOBAL: u8 = Opcode::PushGlobal as u8;
    pub const STORE_GLOBAL: u8 = Opcode::StoreGlobal as u8;
    pub const POP_INTO_GLOBAL: u8 = Opcode::PopIntoGlobal as u8;
    pub const PUSH_INST_VAR: u8 = Opcode::PushInstVar as u8;
    pub const STORE_INST_VAR: u8 = Opcode::StoreInstVar as u8;
    pub const POP_INTO_INST_VAR: u8 = Opcode::PopIntoInstVar as u8;
    pub const PUSH_TEMP: u8 = Opcode::PushTemp as u8;
    pub const STORE_TEMP: u8 = Opcode::StoreTemp as u8;
    pub const POP_INTO_TEMP: u8 = Opcode::PopIntoTemp as u8;
    pub const PUSH_REMOTE_TEMP: u8 = Opcode::PushRemoteTemp as u8;
    pub const STORE_REMOTE_TEMP: u8 = Opcode::StoreRemoteTemp as u8;
    pub const POP_INTO_REMOTE_TEMP: u8 = Opcode::PopIntoRemoteTemp as u8;
    pub const PUSH_NEW_ARRAY: u8 = Opcode::PushNewArray as u8;
    pub const PUSH_NEW_TEMP_VECTOR: u8 = Opcode::PushNewTempVector as u8;
    pub const PUSH_CLOSURE: u8 = Opcode::PushClosure as u8;
    pub const POP: u8 = Opcode::Pop as u8;
    pub const DUP: u8 = Opcode::Dup as u8;
    pub const SEND: u8 = Opcode::Send as u8;
    pub const SUPER_SEND: u8 = Opcode::SuperSend as u8;
    pub const SEND_SPECIAL: u8 = Opcode::SendSpecial as u8;
    pub const RETURN_TOP: u8 = Opcode::ReturnTop as u8;
    pub const RETURN_RECEIVER: u8 = Opcode::ReturnReceiver as u8;
    pub const RETURN_NIL: u8 = Opcode::ReturnNil as u8;
    pub const RETURN_TRUE: u8 = Opcode::ReturnTrue as u8;
    pub const RETURN_FALSE: u8 = Opcode::ReturnFalse as u8;
    pub const BLOCK_RETURN: u8 = Opcode::BlockReturn as u8;
    pub const JUMP: u8 = Opcode::Jump as u8;
    pub const JUMP_IF_TRUE: u8 = Opcode::JumpIfTrue as u8;
    pub const JUMP_IF_FALSE: u8 = Opcode::JumpIfFalse as u8;
    pub const EXT: u8 = Opcode::Ext as u8;
    pub const PUSH_TEMPS: u8 = Opcode::PushTemps as u8;
    pub const SEND_SPECIAL_TEMP: u8 = Opcode::SendSpecialTemp as u8;
    pub const SEND_SPECIAL_INT: u8 = Opcode::SendSpecialInt as u8;
    pub const SEND_SPECIAL_TEMPS: u8 = Opcode::SendSpecialTemps as u8;
    pub const POP_INTO_TEMP_PUSH_TEMP: u8 = Opcode::PopIntoTempPushTemp as u8;
    pub const FOR_LOOP: u8 = Opcode::ForLoop as u8;
}

impl Vm {
    /// Runs the active context until the bottom context of this evaluation
    /// returns, answering its value.
    ///
    /// The loop keeps the registers in locals: `ip` is the heap offset of
    /// the next bytecode, `fp` the word index of the active context's first
    /// temp and `sp` that of its first free stack slot. Before anything that
    /// reads the registers from the Vm (a send, a return, a safe point) they
    /// are stored there (`save!`), and afterwards loaded back (`load!`),
    /// as the active context may have changed or moved. `load!` also puts
    /// an old active context in the remembered set (a collection, which
    /// happens only inside such calls, may have taken it out), so that
    /// stores into the frame never need the write barrier.
    ///
    /// # GC
    /// Collects at safe points.
    pub(crate) fn interpret(&mut self) -> Result<Oop, Halt> {
        let mut ip: usize;
        let mut fp: usize;
        let mut sp: usize;
        // The instruction being run: its offset, and that offset masked
        // once (`Heap::near`) to read its operands from.
        let mut at_ip: usize;
        let mut at: Near;
        macro_rules! load {
            () => {{
                ip = self.code_base + self.ip;
                fp = frame_base(self.ctx);
                sp = fp + self.sp;
                let ctx = self.ctx;
                self.mem.heap.remember_if_old(ctx);
            }};
        }
        macro_rules! save {
            () => {{
                self.ip = ip - self.code_base;
                self.sp = sp - fp;
            }};
        }
        // The byte at `ip`, which must be within the instruction being
        // run (`at`), or just after it; advancing `ip`.
        macro_rules! byte {
            () => {{
                let b = self.mem.heap.byte_near(at, ip - at_ip);
                ip += 1;
                b
            }};
        }
        // The opcode of the instruction being run, read again (for arms
        // shared by two opcodes: keeping the byte from the dispatch would
        // cost a store on every instruction).
        macro_rules! opcode {
            () => {
                self.mem.heap.byte_near(at, 0)
            };
        }
        // A jump's signed 16-bit offset, at `ip`.
        macro_rules! jump_offset {
            () => {{
                let lo = byte!();
                let hi = byte!();
                i16::from_le_bytes([lo, hi]) as isize
            }};
        }
        macro_rules! set_frame_word {
            ($index:expr, $value:expr) => {{
                let (index, value): (usize, Oop) = ($index, $value);
                self.mem.heap.set_word_unbarriered(index, value);
            }};
        }
        macro_rules! push {
            ($value:expr) => {{
                let value: Oop = $value;
                set_frame_word!(sp, value);
                sp += 1;
            }};
        }
        macro_rules! pop {
            () => {{
                sp -= 1;
                self.mem.heap.word(sp)
            }};
        }
        macro_rules! top {
            () => {
                self.mem.heap.word(sp - 1)
            };
        }
        // Runs a call that reads or changes the registers in the Vm.
        macro_rules! call {
            ($e:expr) => {{
                save!();
                let r = $e;
                load!();
                r
            }};
        }
        macro_rules! jump {
            ($offset:expr) => {{
                let offset: isize = $offset;
                ip = ip.wrapping_add_signed(offset);
                if offset < 0 && self.attention_needed() {
                    call!(self.safe_point()?);
                }
            }};
        }
        // The registers, lent to a send or a return done on them.
        macro_rules! regs {
            () => {
                LoopRegisters { ip: &mut ip, fp: &mut fp, sp: &mut sp }
            };
        }
        // A return: `^value`, or with `from_block` a block's answer to its
        // caller. The common case is done on the registers; the rest
        // (non-local returns, edited contexts, the bottom of the
        // evaluation) by the general code.
        macro_rules! returned {
            ($value:expr, $from_block:expr) => {{
                let (value, from_block): (Oop, bool) = ($value, $from_block);
                if !self.return_in_loop(value, from_block, regs!()) {
                    save!();
                    let returned =
                        if from_block { self.return_to_sender(value)? } else { self.return_from_method(value)? };
                    if let Returned::Finished(v) = returned {
                        if let Some(v) = self.bottom_returned(v)? {
                            return Ok(v);
                        }
                    }
                    load!();
                }
            }};
        }
        // Enters `code` (a method, or the block of `closure_oop`) with the
        // receiver or closure and `argc` arguments on the stack, answering
        // whether it did; `$general` is the way when the context cannot be
        // made on the registers.
        macro_rules! enter {
            ($code:expr, $header:expr, $argc:expr, $closure:expr, $general:expr) => {{
                if self.enter_in_loop($code, $header, $argc, $closure, regs!()) {
                    if self.loop_entry_checks_needed() {
                        call!(self.entry_checks()?);
                    }
                    true
                } else {
                    call!($general)
                }
            }};
        }
        // `value`, `value:` of a block taking that many arguments: entered
        // here (answering true); false for anything else.
        macro_rules! block_value {
            ($argc:expr) => {{
                let argc: usize = $argc;
                let closure_oop = self.mem.heap.word(sp - 1 - argc);
                match self.block_taking(closure_oop, argc) {
                    Some((block, header)) => enter!(block, header, argc, closure_oop, self.activate_block(argc)?),
                    None => false,
                }
            }};
        }
        // Pushes the answer of a send made in the loop, or, when it is a
        // Boolean and a conditional jump comes next (`ifTrue:`, `whileTrue:`,
        // a loop's test), takes the jump at once.
        macro_rules! answer {
            ($value:expr) => {{
                let answer: Oop = $value;
                // A Boolean (tested first: no memory read) and a jump next.
                let next = if answer == crate::heap::TRUE || answer == crate::heap::FALSE {
                    self.mem.heap.byte_near(at, ip - at_ip)
                } else {
                    op::JUMP
                };
                if next == op::JUMP_IF_FALSE || next == op::JUMP_IF_TRUE {
                    ip += 1;
                    let offset = jump_offset!();
                    let when = if next == op::JUMP_IF_TRUE { crate::heap::TRUE } else { crate::heap::FALSE };
                    if answer == when {
                        jump!(offset);
                    }
                } else {
                    push!(answer);
                }
            }};
        }
        // A send: the method is looked up here, and a quick method (a
        // getter, a setter, `^self`, `^true`, `^false`, `^nil`) answered
        // without storing and reloading the registers around a call. This
        // is `prims::quick::run` again, for the loop's registers: one
        // function shared by both cost nbody 4% more instructions and
        // richards 5% more time (session 5's review).
        macro_rules! send {
            ($selector:expr, $argc:expr) => {{
                let argc: usize = $argc;
                let rcvr = self.mem.heap.word(sp - 1 - argc);
                let class_index = self.mem.heap.class_index_of(rcvr);
                // The send-site cache, keyed by this instruction's address;
                // the selector is read only when it misses. Both ways read
                // the method from the entry, so that no value is merged.
                let slot = MethodCache::site_slot(ip);
                if self.site_hit(slot, ip, class_index) || self.site_fill(slot, ip, class_index, $selector) {
                    let (method, header) = self.site_entry(slot);
                    let primitive = code::primitive(header);
                    let getter = primitive.wrapping_sub(usize::from(quick::RETURN_INST_VAR));
                    let setter = primitive.wrapping_sub(usize::from(quick::SET_INST_VAR));
                    let constant = primitive.wrapping_sub(usize::from(quick::RETURN_SELF));
                    // The markers of `ensure:`, `ifCurtailed:`, `on:do:` and
                    // `privRunHandler` always fail: their methods are entered
                    // as if they had none.
                    let marker = primitive.wrapping_sub(Primitive::UnwindMarker as usize) < 2;
                    if primitive == 0 || marker {
                        if code::num_args(header) == argc {
                            enter!(method, header, argc, NIL, {
                                self.activate_method(method, header, argc)?;
                                true
                            });
                        } else {
                            call!(self.send_to_method(method, header, argc)?);
                        }
                    } else if argc == 0 && getter < 256 && prims::quick::has_slot(self, rcvr, getter) {
                        sp -= 1;
                        push!(self.mem.heap.fetch(rcvr, getter));
                    } else if argc == 1 && setter < 256 && prims::quick::has_slot(self, rcvr, setter) {
                        // `ivar := arg`, answering the receiver.
                        let value = pop!();
                        self.note_slot_write(rcvr, setter);
                        self.mem.heap.store(rcvr, setter, value);
                    } else if constant < 4 {
                        // `^self`, `^true`, `^false`, `^nil`, in that order.
                        let answer = [rcvr, crate::heap::TRUE, crate::heap::FALSE, crate::heap::NIL][constant];
                        sp -= argc + 1;
                        answer!(answer);
                    } else if primitive == Primitive::BlockValue as usize && block_value!(argc) {
                        // `value:value:` and the like: the block is entered.
                    } else {
                        call!(self.send_to_method(method, header, argc)?);
                    }
                } else {
                    call!(self.not_understood($selector, argc)?);
                }
            }};
        }
        // A one-argument special send with the receiver on the stack and the
        // argument in hand: `==`, and SmallInteger arithmetic and comparisons,
        // are answered here; a comparison followed by a conditional jump
        // (`ifTrue:`, `whileTrue:`, loop tests) jumps at once. Anything else
        // is pushed and sent.
        macro_rules! binary_special {
            ($index:expr, $arg:expr) => {{
                let (index, arg): (u8, Oop) = ($index, $arg);
                let rcvr = top!();
                let answer = if index > special_index::LAST_BINARY {
                    if index == special_index::AT {
                        self.array_at(rcvr, arg)
                    } else {
                        None
                    }
                } else if index == SPECIAL_IDENTITY {
                    Some(self.mem.boolean(rcvr == arg))
                } else if let (Some(x), Some(y)) = (rcvr.to_small_integer(), arg.to_small_integer()) {
                    small_integer_special(index, x, y)
                } else if index <= special_index::DIVIDE && (rcvr.is_float() || arg.is_float()) {
                    self.float_special(index, rcvr, arg)
                } else if (index == special_index::EQUAL || index == special_index::NOT_EQUAL) && rcvr.is_character() {
                    // Character>>= is identity (primitive 108); ~= its negation.
                    Some(self.mem.boolean((rcvr == arg) == (index == special_index::EQUAL)))
                } else {
                    None
                };
                match answer {
                    Some(answer) => {
                        sp -= 1;
                        answer!(answer);
                    }
                    None => {
                        push!(arg);
                        if index != special_index::VALUE_ || !block_value!(1) {
                            call!(self.send_special(index)?);
                        }
                    }
                }
            }};
        }
        load!();
        let mut ext: usize = 0;
        loop {
            at_ip = ip;
            at = Heap::near(ip);
            let byte = byte!();
            match byte {
                op::PUSH_TEMP => {
                    let n = ext | byte!() as usize;
                    push!(self.mem.heap.word(fp + n));
                }
                op::PUSH_SMALL_INTEGER => {
                    let v = byte!() as i8;
                    push!(Oop::small_integer(v as i64));
                }
                op::PUSH_TEMPS => {
                    let (a, b) = (byte!() as usize, byte!() as usize);
                    push!(self.mem.heap.word(fp + a));
                    push!(self.mem.heap.word(fp + b));
                }
                op::SEND_SPECIAL => {
                    let index = byte!();
                    match index {
                        0..=special_index::LAST_BINARY | special_index::AT | special_index::VALUE_ => {
                            let arg = pop!();
                            binary_special!(index, arg);
                        }
                        special_index::AT_PUT => {
                            let (rcvr, i, value) = (self.mem.heap.word(sp - 3), self.mem.heap.word(sp - 2), top!());
                            if self.array_at_put(rcvr, i, value).is_some() {
                                sp -= 3;
                                push!(value);
                            } else {
                                call!(self.send_special(index)?);
                            }
                        }
                        special_index::VALUE => {
                            if !block_value!(0) {
                                call!(self.send_special(index)?);
                            }
                        }
                        special_index::SIZE => match self.indexed_size(top!()) {
                            Some(size) => {
                                sp -= 1;
                                push!(size);
                            }
                            None => call!(self.send_special(index)?),
                        },
                        _ => {
                            let argc = SPECIAL_SELECTORS[index as usize].1 as usize;
                            send!(self.special_selector(index), argc);
                        }
                    }
                }
                op::SEND_SPECIAL_TEMP => {
                    let (index, t) = (byte!(), byte!() as usize);
                    binary_special!(index, self.mem.heap.word(fp + t));
                }
                op::SEND_SPECIAL_TEMPS => {
                    let (a, index, b) = (byte!() as usize, byte!(), byte!() as usize);
                    push!(self.mem.heap.word(fp + a));
                    binary_special!(index, self.mem.heap.word(fp + b));
                }
                op::POP_INTO_TEMP_PUSH_TEMP => {
                    let (a, b) = (byte!() as usize, byte!() as usize);
                    let value = pop!();
                    set_frame_word!(fp + a, value);
                    push!(self.mem.heap.word(fp + b));
                }
                op::SEND_SPECIAL_INT => {
                    let (index, value) = (byte!(), byte!() as i8);
                    binary_special!(index, Oop::small_integer(value as i64));
                }
                op::FOR_LOOP => {
                    let (c, l, s, flags) = (byte!() as usize, byte!() as usize, byte!(), byte!());
                    if flags & for_loop::POP_FIRST != 0 {
                        sp -= 1;
                    }
                    let back = jump_offset!();
                    let exit = jump_offset!();
                    let step = if flags & for_loop::STEP_IN_TEMP != 0 {
                        self.mem.heap.word(fp + s as usize).to_small_integer()
                    } else {
                        Some(i64::from(s as i8))
                    };
                    let counter = self.mem.heap.word(fp + c).to_small_integer();
                    let limit = self.mem.heap.word(fp + l).to_small_integer();
                    // Otherwise the sends that follow step and test.
                    if let (Some(i), Some(limit), Some(step)) = (counter, limit, step) {
                        let next = i + step;
                        if let Some(oop) = Oop::try_small_integer(next) {
                            set_frame_word!(fp + c, oop);
                            let go_on = if flags & for_loop::DESCENDING != 0 { next >= limit } else { next <= limit };
                            if go_on {
                                jump!(back);
                            } else {
                                ip = ip.wrapping_add_signed(exit);
                            }
                        }
                    }
                }
                op::POP_INTO_TEMP => {
                    let n = ext | byte!() as usize;
                    let value = pop!();
                    set_frame_word!(fp + n, value);
                }
                op::STORE_TEMP => {
                    let n = ext | byte!() as usize;
                    let value = top!();
                    set_frame_word!(fp + n, value);
                }
                op::PUSH_RECEIVER => push!(self.receiver),
                op::PUSH_NIL => push!(crate::heap::NIL),
                op::PUSH_TRUE => push!(crate::heap::TRUE),
                op::PUSH_FALSE => push!(crate::heap::FALSE),
                op::PUSH_THIS_CONTEXT => {
                    save!();
                    self.save_registers();
                    push!(self.ctx);
                }
                op::PUSH_LITERAL => {
                    let n = ext | byte!() as usize;
                    push!(self.literal(n));
                }
                op::PUSH_GLOBAL => {
                    let n = ext | byte!() as usize;
                    let binding = self.literal(n);
                    push!(self.mem.heap.fetch(binding, association::VALUE));
                }
                op::STORE_GLOBAL | op::POP_INTO_GLOBAL => {
                    let n = ext | byte!() as usize;
                    let binding = self.literal(n);
                    let value = if opcode!() == op::POP_INTO_GLOBAL { pop!() } else { top!() };
                    self.mem.heap.store(binding, association::VALUE, value);
                }
                op::PUSH_INST_VAR => {
                    let n = ext | byte!() as usize;
                    push!(self.mem.heap.fetch(self.receiver, n));
                }
                op::STORE_INST_VAR | op::POP_INTO_INST_VAR => {
                    let n = ext | byte!() as usize;
                    let value = if opcode!() == op::POP_INTO_INST_VAR { pop!() } else { top!() };
                    let r = self.receiver;
                    self.note_slot_write(r, n);
                    self.mem.heap.store(r, n, value);
                }
                op::PUSH_REMOTE_TEMP => {
                    let index = ext | byte!() as usize;
                    let vector = self.mem.heap.word(fp + byte!() as usize);
                    push!(self.mem.heap.fetch(vector, index));
                }
                op::STORE_REMOTE_TEMP | op::POP_INTO_REMOTE_TEMP => {
                    let index = ext | byte!() as usize;
                    let vector = self.mem.heap.word(fp + byte!() as usize);
                    let value = if opcode!() == op::POP_INTO_REMOTE_TEMP { pop!() } else { top!() };
                    self.mem.heap.store(vector, index, value);
                }
                op::PUSH_NEW_ARRAY => {
                    let n = ext | byte!() as usize;
                    // Stored registers, should the allocation fail.
                    let array = call!(self.mem.new_array(n))?;
                    for i in 0..n {
                        let v = self.mem.heap.word(sp - n + i);
                        self.mem.heap.store(array, i, v);
                    }
                    sp -= n;
                    push!(array);
                }
                op::PUSH_NEW_TEMP_VECTOR => {
                    let n = ext | byte!() as usize;
                    let vector = call!(self.mem.new_array(n))?;
                    push!(vector);
                }
                op::PUSH_CLOSURE => {
                    let lit = ext | byte!() as usize;
                    let copied = byte!() as usize;
                    call!(self.push_closure(lit, copied)?);
                }
                op::POP => sp -= 1,
                op::DUP => push!(top!()),
                op::SEND => {
                    let lit = ext | byte!() as usize;
                    let argc = byte!() as usize;
                    send!(self.literal(lit), argc);
                }
                op::SUPER_SEND => {
                    let lit = ext | byte!() as usize;
                    let argc = byte!() as usize;
                    let selector = self.literal(lit);
                    call!(self.super_send(selector, argc)?);
                }
                op::RETURN_TOP => returned!(pop!(), false),
                op::RETURN_RECEIVER => returned!(self.receiver, false),
                op::RETURN_NIL => returned!(NIL, false),
                op::RETURN_TRUE => returned!(crate::heap::TRUE, false),
                op::RETURN_FALSE => returned!(crate::heap::FALSE, false),
                op::BLOCK_RETURN => returned!(pop!(), true),
                op::JUMP => {
                    let offset = jump_offset!();
                    jump!(offset);
                }
                op::JUMP_IF_TRUE | op::JUMP_IF_FALSE => {
                    let offset = jump_offset!();
                    let condition = pop!();
                    let (when, other) = if opcode!() == op::JUMP_IF_TRUE {
                        (crate::heap::TRUE, crate::heap::FALSE)
                    } else {
                        (crate::heap::FALSE, crate::heap::TRUE)
                    };
                    if condition == when {
                        jump!(offset);
                    } else if condition != other {
                        // Back up to the jump, so the answer of mustBeBoolean is tested again.
                        ip -= 3;
                        call!(self.vm_send(special::SELECTOR_MUST_BE_BOOLEAN, condition, &[])?);
                    }
                }
                op::EXT => {
                    ext = (ext << 8) | (byte!() as usize) << 8;
                    continue;
                }
                _ => {
                    save!();
                    return Err(Halt::Vm(VmError::Broken(format!("bad bytecode {} at pc {}", opcode!(), self.ip - 1))));
                }
            }
            ext = 0;
        }
    }

    fn push_closure(&mut self, lit: usize, copied: usize) -> Result<(), Halt> {
        let block = self.literal(lit);
        let header = self.code_header(block);
        let slots = closure::FIRST_COPIED + copied;
        let oop = self
            .mem
            .heap
            .allocate_small_pointers(KnownClass::BlockClosure.index(), Format::FixedIndexable, slots)
            .ok_or(VmError::HeapExhausted { requested_slots: slots })?;
        self.save_registers();
        // In the order of the closure's fixed slots (`layout::closure`).
        let fixed = [self.ctx, block, Oop::small_integer(code::num_args(header) as i64), self.receiver];
        self.mem.heap.init_first_slots(oop, &fixed);
        let values = frame_base(self.ctx) + self.sp - copied;
        for i in 0..copied {
            let v = self.mem.heap.word(values + i);
            self.mem.heap.init_slot(oop, closure::FIRST_COPIED + i, v);
        }
        self.pop_n(copied);
        self.push(oop);
        Ok(())
    }

    /// A special send the bytecode loop did not answer itself (its fast
    /// paths, in `binary_special!` and the `SEND_SPECIAL` arm, have been
    /// tried): a full send of the selector.
    fn send_special(&mut self, index: u8) -> Result<(), Halt> {
        let argc = SPECIAL_SELECTORS[index as usize].1 as usize;
        let selector = self.special_selector(index);
        self.send(selector, argc)
    }

    /// `+ - < > <= >= = ~= * /` with a Float and a Float or SmallInteger, as
    /// the Float primitives answer them (division by zero is left to them).
    #[inline(always)]
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

    #[inline]
    fn array_at(&self, rcvr: Oop, index: Oop) -> Option<Oop> {
        let i = usize::try_from(index.to_small_integer()?).ok()?.checked_sub(1)?;
        if !rcvr.is_object() {
            return None;
        }
        let class_index = self.mem.heap.class_index_of(rcvr);
        if class_index == KnownClass::Array.index() {
            (i < self.mem.heap.num_slots(rcvr)).then(|| self.mem.heap.fetch(rcvr, i))
        } else if self.is_byte_string(rcvr, class_index) {
            // A byte string's element is the Character of that code point.
            self.mem.heap.bytes(rcvr).get(i).map(|&b| Oop::character(u32::from(b)))
        } else {
            None
        }
    }

    /// Whether `rcvr`, of the class with this index, is a String or Symbol
    /// itself holding one byte per character.
    #[inline]
    fn is_byte_string(&self, rcvr: Oop, class_index: u32) -> bool {
        (class_index == KnownClass::String.index() || class_index == KnownClass::Symbol.index())
            && matches!(self.mem.heap.format_of(rcvr), Format::Bytes { .. })
    }

    /// `size` of an Array, or a String or Symbol of bytes, itself.
    #[inline]
    fn indexed_size(&self, rcvr: Oop) -> Option<Oop> {
        if !rcvr.is_object() {
            return None;
        }
        let class_index = self.mem.heap.class_index_of(rcvr);
        let size = if class_index == KnownClass::Array.index() {
            self.mem.heap.num_slots(rcvr)
        } else if self.is_byte_string(rcvr, class_index) {
            self.mem.heap.byte_len(rcvr)
        } else {
            return None;
        };
        Some(Oop::small_integer(size as i64))
    }

    #[inline]
    fn array_at_put(&mut self, rcvr: Oop, index: Oop, value: Oop) -> Option<Oop> {
        let i = index.to_small_integer()?;
        // Array itself: a subclass may redefine at:put:.
        let ok = self.mem.is_instance_of(rcvr, KnownClass::Array)
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

// The `send!` macro tells the two marker primitives by their order.
const _: () = assert!(Primitive::HandlerMarker as usize == Primitive::UnwindMarker as usize + 1);

// The `send!` macro answers the quick constants by their order.
const _: () = assert!(
    quick::RETURN_TRUE == quick::RETURN_SELF + 1
        && quick::RETURN_FALSE == quick::RETURN_SELF + 2
        && quick::RETURN_NIL == quick::RETURN_SELF + 3
);

/// Indices in `SPECIAL_SELECTORS` that the interpreter answers itself.
mod special_index {
    /// The last of the binary selectors answered for two SmallIntegers
    /// (`+` to `bitShift:`, and `==`).
    pub const LAST_BINARY: u8 = 15;
    pub const EQUAL: u8 = 6;
    pub const NOT_EQUAL: u8 = 7;
    pub const DIVIDE: u8 = 9;
    pub const AT: u8 = 16;
    pub const AT_PUT: u8 = 17;
    pub const SIZE: u8 = 18;
    pub const VALUE: u8 = 19;
    pub const VALUE_: u8 = 20;
}

/// `a op b` for two SmallIntegers, when the answer is one or a Boolean.
#[inline(always)]
fn small_integer_special(index: u8, a: i64, b: i64) -> Option<Oop> {
    let boolean = |v: bool| if v { crate::heap::TRUE } else { crate::heap::FALSE };
    match index {
        0 => a.checked_add(b).and_then(Oop::try_small_integer),
        1 => a.checked_sub(b).and_then(Oop::try_small_integer),
        2 => Some(boolean(a < b)),
        3 => Some(boolean(a > b)),
        4 => Some(boolean(a <= b)),
        5 => Some(boolean(a >= b)),
        6 => Some(boolean(a == b)),
        7 => Some(boolean(a != b)),
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

/// `a // b`, rounded toward negative infinity (b is not 0).
#[inline(always)]
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
        assert_eq!(special_selector_index("="), Some(special_index::EQUAL));
        assert_eq!(special_selector_index("~="), Some(special_index::NOT_EQUAL));
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
