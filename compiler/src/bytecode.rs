//! The bytecode set: the one contract between the compiler and the interpreter.
//!
//! An instruction is one opcode byte followed by zero, one or two operand bytes
//! (jumps take a signed 16-bit little-endian offset, relative to the end of the
//! jump). Operands that do not fit a byte are widened by an [`Opcode::Ext`]
//! prefix, which supplies the high byte of the *first* operand of the
//! instruction that follows it. Stack effects are written `before -> after`,
//! top of stack rightmost.
//!
//! This module owns encoding, decoding and stack effects; it must not know
//! about heap objects. The interpreter dispatches on the opcode byte itself.

use std::fmt;

/// One opcode byte. The discriminants are the bytes in compiled code; do not
/// reorder them without also changing every stored image.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `-> self`
    PushReceiver = 0,
    /// `-> nil`
    PushNil = 1,
    /// `-> true`
    PushTrue = 2,
    /// `-> false`
    PushFalse = 3,
    /// `-> thisContext`
    PushThisContext = 4,
    /// `(value: i8) -> value`, a SmallInteger in -128..=127.
    PushSmallInteger = 5,
    /// `(lit) -> literals[lit]`
    PushLiteral = 6,
    /// `(lit) -> literals[lit] value`; the literal is a binding (an Association).
    PushGlobal = 7,
    /// `(lit) x -> x`; stores `x` into the binding's value.
    StoreGlobal = 8,
    /// `(lit) x ->`; stores `x` into the binding's value.
    PopIntoGlobal = 9,
    /// `(index) -> self instVarAt: index + 1`
    PushInstVar = 10,
    /// `(index) x -> x`
    StoreInstVar = 11,
    /// `(index) x ->`
    PopIntoInstVar = 12,
    /// `(index) -> temps[index]`; arguments are the first temps.
    PushTemp = 13,
    /// `(index) x -> x`
    StoreTemp = 14,
    /// `(index) x ->`
    PopIntoTemp = 15,
    /// `(index, vector) -> temps[vector] at: index + 1`; a captured variable
    /// that is written lives in a temp vector (an Array held in a temp).
    PushRemoteTemp = 16,
    /// `(index, vector) x -> x`
    StoreRemoteTemp = 17,
    /// `(index, vector) x ->`
    PopIntoRemoteTemp = 18,
    /// `(count) x1 .. xn -> anArray`; brace arrays `{a. b}`.
    PushNewArray = 19,
    /// `(size) -> anArray`, filled with nil: a fresh temp vector.
    PushNewTempVector = 20,
    /// `(lit, copied) c1 .. cn -> aBlockClosure`; `literals[lit]` is the
    /// CompiledBlock, the `copied` values become the closure's copied values.
    PushClosure = 21,
    /// `x ->`
    Pop = 22,
    /// `x -> x x`
    Dup = 23,
    /// `(lit, argc) receiver arg1 .. argn -> result`; `literals[lit]` is the selector.
    Send = 24,
    /// `(lit, argc) receiver arg1 .. argn -> result`; lookup starts in the
    /// superclass of the class that holds the method.
    SuperSend = 25,
    /// `(index) receiver args -> result`: a send of
    /// [`SPECIAL_SELECTORS`]`[index]`, which the interpreter may short-cut for
    /// the classes it knows. Only `==` never sends.
    SendSpecial = 26,
    /// `x ->`: `^x`. From a method, returns to its sender; from a block,
    /// returns from the block's home method (a non-local return).
    ReturnTop = 27,
    /// `->`: `^self`, as `ReturnTop`.
    ReturnReceiver = 28,
    /// `->`: `^nil`, as `ReturnTop`.
    ReturnNil = 29,
    /// `->`: `^true`, as `ReturnTop`.
    ReturnTrue = 30,
    /// `->`: `^false`, as `ReturnTop`.
    ReturnFalse = 31,
    /// `x ->`: the end of a block; returns `x` to whoever sent `value`.
    BlockReturn = 32,
    /// `(offset: i16) ->`
    Jump = 33,
    /// `(offset: i16) bool ->`; a non-Boolean gets `#mustBeBoolean` sent.
    JumpIfTrue = 34,
    /// `(offset: i16) bool ->`; a non-Boolean gets `#mustBeBoolean` sent.
    JumpIfFalse = 35,
    /// `(high)`: prefix; the next instruction's first operand is
    /// `high << 8 | operand`.
    Ext = 36,
    /// `(a, b) -> temps[a] temps[b]`: two `PushTemp`s in one.
    PushTemps = 37,
    /// `(index, temp) receiver -> result`: `PushTemp temp` then
    /// `SendSpecial index`, for a one-argument special selector.
    SendSpecialTemp = 38,
    /// `(index, value: i8) receiver -> result`: `PushSmallInteger value`
    /// then `SendSpecial index`, for a one-argument special selector.
    SendSpecialInt = 39,
    /// `(a, index, b) -> result`: `PushTemp a; PushTemp b; SendSpecial
    /// index`, for a one-argument special selector.
    SendSpecialTemps = 40,
    /// `(a, b) x -> temps[b]`: `PopIntoTemp a; PushTemp b`.
    PopIntoTempPushTemp = 41,
    /// `(counter, limit, step, flags, back: i16, exit: i16) ->`: the step
    /// and test at the bottom of an inlined `to:do:`, after popping the
    /// stack if the flags say so. When the counter, the
    /// limit (both temps) and the step (a temp, or the signed byte itself;
    /// see [`for_loop`]) are SmallIntegers and the sum fits one, it stores
    /// `counter + step` and jumps by `back` while the counter has not
    /// passed the limit, by `exit` once it has. Otherwise it does nothing
    /// and the code that follows (the same step and test as sends) runs.
    /// Both offsets count from the end of the instruction.
    ForLoop = 42,
}

/// The `flags` of [`Opcode::ForLoop`].
pub mod for_loop {
    /// The loop counts down: it goes on while `counter >= limit`.
    pub const DESCENDING: u8 = 1;
    /// The step operand is a temp's index, not the step itself.
    pub const STEP_IN_TEMP: u8 = 2;
    /// First pop the stack: the value of the body's last statement, which
    /// would otherwise take a `Pop` of its own each time round.
    pub const POP_FIRST: u8 = 4;
}

/// How many operand bytes follow an opcode, and what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operands {
    None,
    /// One unsigned byte (widened by `Ext`).
    Byte,
    /// One signed byte.
    SignedByte,
    /// Two unsigned bytes (the first widened by `Ext`).
    TwoBytes,
    /// A signed 16-bit little-endian jump offset, from the end of the instruction.
    Jump,
    /// Two bytes, never widened by `Ext` (the fused instructions).
    Pair,
    /// Three bytes, never widened by `Ext`.
    Triple,
    /// [`Opcode::ForLoop`]'s four bytes and two jump offsets.
    ForLoop,
}

impl Opcode {
    /// Every opcode, in byte order.
    pub const ALL: [Opcode; 43] = [
        Opcode::PushReceiver,
        Opcode::PushNil,
        Opcode::PushTrue,
        Opcode::PushFalse,
        Opcode::PushThisContext,
        Opcode::PushSmallInteger,
        Opcode::PushLiteral,
        Opcode::PushGlobal,
        Opcode::StoreGlobal,
        Opcode::PopIntoGlobal,
        Opcode::PushInstVar,
        Opcode::StoreInstVar,
        Opcode::PopIntoInstVar,
        Opcode::PushTemp,
        Opcode::StoreTemp,
        Opcode::PopIntoTemp,
        Opcode::PushRemoteTemp,
        Opcode::StoreRemoteTemp,
        Opcode::PopIntoRemoteTemp,
        Opcode::PushNewArray,
        Opcode::PushNewTempVector,
        Opcode::PushClosure,
        Opcode::Pop,
        Opcode::Dup,
        Opcode::Send,
        Opcode::SuperSend,
        Opcode::SendSpecial,
        Opcode::ReturnTop,
        Opcode::ReturnReceiver,
        Opcode::ReturnNil,
        Opcode::ReturnTrue,
        Opcode::ReturnFalse,
        Opcode::BlockReturn,
        Opcode::Jump,
        Opcode::JumpIfTrue,
        Opcode::JumpIfFalse,
        Opcode::Ext,
        Opcode::PushTemps,
        Opcode::SendSpecialTemp,
        Opcode::SendSpecialInt,
        Opcode::SendSpecialTemps,
        Opcode::PopIntoTempPushTemp,
        Opcode::ForLoop,
    ];

    /// The opcode a byte encodes, if any.
    pub fn from_byte(byte: u8) -> Option<Opcode> {
        Opcode::ALL.get(byte as usize).copied()
    }

    /// The operand bytes that follow this opcode.
    pub fn operands(self) -> Operands {
        use Opcode::*;
        match self {
            PushReceiver | PushNil | PushTrue | PushFalse | PushThisContext | Pop | Dup | ReturnTop
            | ReturnReceiver | ReturnNil | ReturnTrue | ReturnFalse | BlockReturn => Operands::None,
            PushSmallInteger => Operands::SignedByte,
            PushLiteral | PushGlobal | StoreGlobal | PopIntoGlobal | PushInstVar | StoreInstVar | PopIntoInstVar
            | PushTemp | StoreTemp | PopIntoTemp | PushNewArray | PushNewTempVector | SendSpecial | Ext => {
                Operands::Byte
            }
            PushRemoteTemp | StoreRemoteTemp | PopIntoRemoteTemp | PushClosure | Send | SuperSend => Operands::TwoBytes,
            Jump | JumpIfTrue | JumpIfFalse => Operands::Jump,
            PushTemps | SendSpecialTemp | SendSpecialInt | PopIntoTempPushTemp => Operands::Pair,
            SendSpecialTemps => Operands::Triple,
            ForLoop => Operands::ForLoop,
        }
    }

    /// The instruction's length in bytes, opcode included.
    pub fn length(self) -> usize {
        match self.operands() {
            Operands::None => 1,
            Operands::Byte | Operands::SignedByte => 2,
            Operands::TwoBytes | Operands::Jump | Operands::Pair => 3,
            Operands::Triple => 4,
            Operands::ForLoop => 9,
        }
    }

    /// Whether control never falls through to the next instruction.
    pub fn is_terminator(self) -> bool {
        use Opcode::*;
        matches!(self, ReturnTop | ReturnReceiver | ReturnNil | ReturnTrue | ReturnFalse | BlockReturn | Jump)
    }
}

/// Selectors sent by [`Opcode::SendSpecial`], with their argument counts.
/// The interpreter keeps the same table, as Symbols, in the heap.
pub const SPECIAL_SELECTORS: [(&str, u8); 25] = [
    ("+", 1),
    ("-", 1),
    ("<", 1),
    (">", 1),
    ("<=", 1),
    (">=", 1),
    ("=", 1),
    ("~=", 1),
    ("*", 1),
    ("/", 1),
    ("\\\\", 1),
    ("//", 1),
    ("bitAnd:", 1),
    ("bitOr:", 1),
    ("bitShift:", 1),
    ("==", 1),
    ("at:", 1),
    ("at:put:", 2),
    ("size", 0),
    ("value", 0),
    ("value:", 1),
    ("isNil", 0),
    ("notNil", 0),
    ("class", 0),
    ("~~", 1),
];

/// Index in [`SPECIAL_SELECTORS`] of `==`, which compares identity and never sends.
pub const SPECIAL_IDENTITY: u8 = 15;

/// The index of `selector` in [`SPECIAL_SELECTORS`], if it is one.
pub fn special_selector_index(selector: &str) -> Option<u8> {
    SPECIAL_SELECTORS.iter().position(|(s, _)| *s == selector).map(|i| i as u8)
}

/// Primitive numbers the compiler gives a method whose whole body is one of
/// a few trivial shapes, so that the VM answers it without activating it
/// (Smalltalk-80's "quick" methods). The bytecodes stay as compiled: they
/// run if the primitive fails, and the debugger shows them.
pub mod quick {
    /// `^self`, whatever the arguments (an empty method).
    pub const RETURN_SELF: u16 = 400;
    pub const RETURN_TRUE: u16 = 401;
    pub const RETURN_FALSE: u16 = 402;
    pub const RETURN_NIL: u16 = 403;
    /// `^ivar`: `RETURN_INST_VAR + index` (index < 256), no arguments.
    pub const RETURN_INST_VAR: u16 = 512;
    /// `ivar := arg` (answering self): `SET_INST_VAR + index` (index < 256),
    /// one argument.
    pub const SET_INST_VAR: u16 = 768;
    /// The first quick primitive number.
    pub const FIRST: u16 = RETURN_SELF;
}

/// The quick primitive (see [`quick`]) for a method taking `num_args`
/// arguments with these bytecodes, if its body has one of those shapes.
pub fn quick_primitive(bytecodes: &[u8], num_args: u8) -> Option<u16> {
    use Instruction as I;
    let mut insns = Vec::new();
    let mut pc = 0;
    while pc < bytecodes.len() && insns.len() < 4 {
        let (insn, next) = Instruction::decode(bytecodes, pc).ok()?;
        insns.push(insn);
        pc = next;
    }
    if pc != bytecodes.len() {
        return None;
    }
    match (insns.as_slice(), num_args) {
        ([I::ReturnReceiver], _) => Some(quick::RETURN_SELF),
        ([I::ReturnTrue], _) => Some(quick::RETURN_TRUE),
        ([I::ReturnFalse], _) => Some(quick::RETURN_FALSE),
        ([I::ReturnNil], _) => Some(quick::RETURN_NIL),
        ([I::PushInstVar(n), I::ReturnTop], 0) if *n < 256 => Some(quick::RETURN_INST_VAR + n),
        ([I::PushTemp(0), I::PopIntoInstVar(n), I::ReturnReceiver], 1) if *n < 256 => Some(quick::SET_INST_VAR + n),
        _ => None,
    }
}

/// A decoded instruction, with its operands widened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instruction {
    PushReceiver,
    PushNil,
    PushTrue,
    PushFalse,
    PushThisContext,
    PushSmallInteger(i8),
    PushLiteral(u16),
    PushGlobal(u16),
    StoreGlobal(u16),
    PopIntoGlobal(u16),
    PushInstVar(u16),
    StoreInstVar(u16),
    PopIntoInstVar(u16),
    PushTemp(u16),
    StoreTemp(u16),
    PopIntoTemp(u16),
    PushRemoteTemp { index: u16, vector: u8 },
    StoreRemoteTemp { index: u16, vector: u8 },
    PopIntoRemoteTemp { index: u16, vector: u8 },
    PushNewArray(u16),
    PushNewTempVector(u16),
    PushClosure { literal: u16, copied: u8 },
    Pop,
    Dup,
    Send { literal: u16, argc: u8 },
    SuperSend { literal: u16, argc: u8 },
    SendSpecial(u8),
    ReturnTop,
    ReturnReceiver,
    ReturnNil,
    ReturnTrue,
    ReturnFalse,
    BlockReturn,
    Jump(i16),
    JumpIfTrue(i16),
    JumpIfFalse(i16),
    PushTemps(u8, u8),
    SendSpecialTemp { index: u8, temp: u8 },
    SendSpecialInt { index: u8, value: i8 },
    SendSpecialTemps { a: u8, index: u8, b: u8 },
    PopIntoTempPushTemp(u8, u8),
    ForLoop { counter: u8, limit: u8, step: u8, flags: u8, back: i16, exit: i16 },
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The byte at `pc` is not an opcode.
    BadOpcode { pc: usize, byte: u8 },
    /// The instruction at `pc` runs past the end of the code.
    Truncated { pc: usize },
    /// An `Ext` prefix at `pc` precedes an instruction without a widenable operand.
    BadExtension { pc: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadOpcode { pc, byte } => write!(f, "byte {byte} at pc {pc} is not an opcode"),
            DecodeError::Truncated { pc } => write!(f, "instruction at pc {pc} is cut short"),
            DecodeError::BadExtension { pc } => {
                write!(f, "extension at pc {pc} precedes an instruction that cannot take one")
            }
        }
    }
}

impl Instruction {
    /// The opcode this instruction is encoded with.
    pub fn opcode(&self) -> Opcode {
        use Instruction as I;
        match self {
            I::PushReceiver => Opcode::PushReceiver,
            I::PushNil => Opcode::PushNil,
            I::PushTrue => Opcode::PushTrue,
            I::PushFalse => Opcode::PushFalse,
            I::PushThisContext => Opcode::PushThisContext,
            I::PushSmallInteger(_) => Opcode::PushSmallInteger,
            I::PushLiteral(_) => Opcode::PushLiteral,
            I::PushGlobal(_) => Opcode::PushGlobal,
            I::StoreGlobal(_) => Opcode::StoreGlobal,
            I::PopIntoGlobal(_) => Opcode::PopIntoGlobal,
            I::PushInstVar(_) => Opcode::PushInstVar,
            I::StoreInstVar(_) => Opcode::StoreInstVar,
            I::PopIntoInstVar(_) => Opcode::PopIntoInstVar,
            I::PushTemp(_) => Opcode::PushTemp,
            I::StoreTemp(_) => Opcode::StoreTemp,
            I::PopIntoTemp(_) => Opcode::PopIntoTemp,
            I::PushRemoteTemp { .. } => Opcode::PushRemoteTemp,
            I::StoreRemoteTemp { .. } => Opcode::StoreRemoteTemp,
            I::PopIntoRemoteTemp { .. } => Opcode::PopIntoRemoteTemp,
            I::PushNewArray(_) => Opcode::PushNewArray,
            I::PushNewTempVector(_) => Opcode::PushNewTempVector,
            I::PushClosure { .. } => Opcode::PushClosure,
            I::Pop => Opcode::Pop,
            I::Dup => Opcode::Dup,
            I::Send { .. } => Opcode::Send,
            I::SuperSend { .. } => Opcode::SuperSend,
            I::SendSpecial(_) => Opcode::SendSpecial,
            I::ReturnTop => Opcode::ReturnTop,
            I::ReturnReceiver => Opcode::ReturnReceiver,
            I::ReturnNil => Opcode::ReturnNil,
            I::ReturnTrue => Opcode::ReturnTrue,
            I::ReturnFalse => Opcode::ReturnFalse,
            I::BlockReturn => Opcode::BlockReturn,
            I::Jump(_) => Opcode::Jump,
            I::JumpIfTrue(_) => Opcode::JumpIfTrue,
            I::JumpIfFalse(_) => Opcode::JumpIfFalse,
            I::PushTemps(..) => Opcode::PushTemps,
            I::SendSpecialTemp { .. } => Opcode::SendSpecialTemp,
            I::SendSpecialInt { .. } => Opcode::SendSpecialInt,
            I::SendSpecialTemps { .. } => Opcode::SendSpecialTemps,
            I::PopIntoTempPushTemp(..) => Opcode::PopIntoTempPushTemp,
            I::ForLoop { .. } => Opcode::ForLoop,
        }
    }

    /// The first operand as it is widened by `Ext`, and the second raw byte.
    fn operand_values(&self) -> (u16, u8) {
        use Instruction as I;
        match *self {
            I::PushSmallInteger(v) => (v as u8 as u16, 0),
            I::PushLiteral(n)
            | I::PushGlobal(n)
            | I::StoreGlobal(n)
            | I::PopIntoGlobal(n)
            | I::PushInstVar(n)
            | I::StoreInstVar(n)
            | I::PopIntoInstVar(n)
            | I::PushTemp(n)
            | I::StoreTemp(n)
            | I::PopIntoTemp(n)
            | I::PushNewArray(n)
            | I::PushNewTempVector(n) => (n, 0),
            I::SendSpecial(n) => (n as u16, 0),
            I::PushRemoteTemp { index, vector }
            | I::StoreRemoteTemp { index, vector }
            | I::PopIntoRemoteTemp { index, vector } => (index, vector),
            I::PushClosure { literal, copied } => (literal, copied),
            I::Send { literal, argc } | I::SuperSend { literal, argc } => (literal, argc),
            I::PushTemps(a, b) => (a as u16, b),
            I::SendSpecialTemp { index, temp } => (index as u16, temp),
            I::SendSpecialInt { index, value } => (index as u16, value as u8),
            I::PopIntoTempPushTemp(a, b) => (a as u16, b),
            I::SendSpecialTemps { a, index, .. } => (a as u16, index),
            _ => (0, 0),
        }
    }

    /// The encoded length, including any `Ext` prefix.
    pub fn encoded_len(&self) -> usize {
        let op = self.opcode();
        let (first, _) = self.operand_values();
        let ext = matches!(op.operands(), Operands::Byte | Operands::TwoBytes) && first > 0xFF;
        op.length() + if ext { 2 } else { 0 }
    }

    /// Appends the encoding to `code`: an `Ext` prefix when the first operand
    /// needs more than a byte, then the opcode and its operands.
    pub fn encode(&self, code: &mut Vec<u8>) {
        let op = self.opcode();
        let (first, second) = self.operand_values();
        match op.operands() {
            Operands::None => code.push(op as u8),
            Operands::SignedByte => code.extend_from_slice(&[op as u8, first as u8]),
            Operands::Byte | Operands::TwoBytes => {
                if first > 0xFF {
                    code.extend_from_slice(&[Opcode::Ext as u8, (first >> 8) as u8]);
                }
                code.extend_from_slice(&[op as u8, first as u8]);
                if op.operands() == Operands::TwoBytes {
                    code.push(second);
                }
            }
            Operands::Jump => {
                let offset = match *self {
                    Instruction::Jump(o) | Instruction::JumpIfTrue(o) | Instruction::JumpIfFalse(o) => o,
                    _ => 0,
                };
                let [lo, hi] = offset.to_le_bytes();
                code.extend_from_slice(&[op as u8, lo, hi]);
            }
            Operands::Pair => code.extend_from_slice(&[op as u8, first as u8, second]),
            Operands::Triple => {
                let third = match *self {
                    Instruction::SendSpecialTemps { b, .. } => b,
                    _ => 0,
                };
                code.extend_from_slice(&[op as u8, first as u8, second, third]);
            }
            Operands::ForLoop => {
                if let Instruction::ForLoop { counter, limit, step, flags, back, exit } = *self {
                    let ([b0, b1], [e0, e1]) = (back.to_le_bytes(), exit.to_le_bytes());
                    code.extend_from_slice(&[op as u8, counter, limit, step, flags, b0, b1, e0, e1]);
                }
            }
        }
    }

    /// Decodes the instruction at `pc`, consuming an `Ext` prefix if there is
    /// one; answers the instruction and the pc of the next one.
    pub fn decode(code: &[u8], pc: usize) -> Result<(Instruction, usize), DecodeError> {
        let byte = *code.get(pc).ok_or(DecodeError::Truncated { pc })?;
        let op = Opcode::from_byte(byte).ok_or(DecodeError::BadOpcode { pc, byte })?;
        if op == Opcode::Ext {
            let high = *code.get(pc + 1).ok_or(DecodeError::Truncated { pc })? as u16;
            let (inner, next) = Self::decode_plain(code, pc + 2, high << 8)?;
            let inner_op = inner.opcode();
            if !matches!(inner_op.operands(), Operands::Byte | Operands::TwoBytes) || inner_op == Opcode::Ext {
                return Err(DecodeError::BadExtension { pc });
            }
            return Ok((inner, next));
        }
        Self::decode_plain(code, pc, 0)
    }

    fn decode_plain(code: &[u8], pc: usize, high: u16) -> Result<(Instruction, usize), DecodeError> {
        use Instruction as I;
        let byte = *code.get(pc).ok_or(DecodeError::Truncated { pc })?;
        let op = Opcode::from_byte(byte).ok_or(DecodeError::BadOpcode { pc, byte })?;
        if op == Opcode::Ext {
            return Err(DecodeError::BadExtension { pc });
        }
        let len = op.length();
        if pc + len > code.len() {
            return Err(DecodeError::Truncated { pc });
        }
        let b1 = if len > 1 { code[pc + 1] } else { 0 };
        let b2 = if len > 2 { code[pc + 2] } else { 0 };
        let b3 = if len > 3 { code[pc + 3] } else { 0 };
        let wide = high | b1 as u16;
        let jump = i16::from_le_bytes([b1, b2]);
        let insn = match op {
            Opcode::PushReceiver => I::PushReceiver,
            Opcode::PushNil => I::PushNil,
            Opcode::PushTrue => I::PushTrue,
            Opcode::PushFalse => I::PushFalse,
            Opcode::PushThisContext => I::PushThisContext,
            Opcode::PushSmallInteger => I::PushSmallInteger(b1 as i8),
            Opcode::PushLiteral => I::PushLiteral(wide),
            Opcode::PushGlobal => I::PushGlobal(wide),
            Opcode::StoreGlobal => I::StoreGlobal(wide),
            Opcode::PopIntoGlobal => I::PopIntoGlobal(wide),
            Opcode::PushInstVar => I::PushInstVar(wide),
            Opcode::StoreInstVar => I::StoreInstVar(wide),
            Opcode::PopIntoInstVar => I::PopIntoInstVar(wide),
            Opcode::PushTemp => I::PushTemp(wide),
            Opcode::StoreTemp => I::StoreTemp(wide),
            Opcode::PopIntoTemp => I::PopIntoTemp(wide),
            Opcode::PushRemoteTemp => I::PushRemoteTemp { index: wide, vector: b2 },
            Opcode::StoreRemoteTemp => I::StoreRemoteTemp { index: wide, vector: b2 },
            Opcode::PopIntoRemoteTemp => I::PopIntoRemoteTemp { index: wide, vector: b2 },
            Opcode::PushNewArray => I::PushNewArray(wide),
            Opcode::PushNewTempVector => I::PushNewTempVector(wide),
            Opcode::PushClosure => I::PushClosure { literal: wide, copied: b2 },
            Opcode::Pop => I::Pop,
            Opcode::Dup => I::Dup,
            Opcode::Send => I::Send { literal: wide, argc: b2 },
            Opcode::SuperSend => I::SuperSend { literal: wide, argc: b2 },
            Opcode::SendSpecial => I::SendSpecial(b1),
            Opcode::ReturnTop => I::ReturnTop,
            Opcode::ReturnReceiver => I::ReturnReceiver,
            Opcode::ReturnNil => I::ReturnNil,
            Opcode::ReturnTrue => I::ReturnTrue,
            Opcode::ReturnFalse => I::ReturnFalse,
            Opcode::BlockReturn => I::BlockReturn,
            Opcode::Jump => I::Jump(jump),
            Opcode::JumpIfTrue => I::JumpIfTrue(jump),
            Opcode::JumpIfFalse => I::JumpIfFalse(jump),
            Opcode::Ext => return Err(DecodeError::BadExtension { pc }),
            Opcode::PushTemps => I::PushTemps(b1, b2),
            Opcode::SendSpecialTemp => I::SendSpecialTemp { index: b1, temp: b2 },
            Opcode::SendSpecialInt => I::SendSpecialInt { index: b1, value: b2 as i8 },
            Opcode::SendSpecialTemps => I::SendSpecialTemps { a: b1, index: b2, b: b3 },
            Opcode::PopIntoTempPushTemp => I::PopIntoTempPushTemp(b1, b2),
            Opcode::ForLoop => I::ForLoop {
                counter: b1,
                limit: b2,
                step: b3,
                flags: code[pc + 4],
                back: i16::from_le_bytes([code[pc + 5], code[pc + 6]]),
                exit: i16::from_le_bytes([code[pc + 7], code[pc + 8]]),
            },
        };
        Ok((insn, pc + len))
    }

    /// The change in stack depth this instruction makes.
    pub fn stack_effect(&self) -> isize {
        use Instruction as I;
        match *self {
            I::PushReceiver
            | I::PushNil
            | I::PushTrue
            | I::PushFalse
            | I::PushThisContext
            | I::PushSmallInteger(_)
            | I::PushLiteral(_)
            | I::PushGlobal(_)
            | I::PushInstVar(_)
            | I::PushTemp(_)
            | I::PushRemoteTemp { .. }
            | I::PushNewTempVector(_)
            | I::Dup => 1,
            I::PushTemps(..) => 2,
            I::PopIntoTempPushTemp(..) => 0,
            I::ForLoop { flags, .. } => -isize::from(flags & for_loop::POP_FIRST != 0),
            I::SendSpecialTemps { index, .. } => 2 - SPECIAL_SELECTORS[index as usize].1 as isize,
            I::SendSpecialTemp { index, .. } | I::SendSpecialInt { index, .. } => {
                1 - SPECIAL_SELECTORS[index as usize].1 as isize
            }
            I::StoreGlobal(_) | I::StoreInstVar(_) | I::StoreTemp(_) | I::StoreRemoteTemp { .. } => 0,
            I::PopIntoGlobal(_)
            | I::PopIntoInstVar(_)
            | I::PopIntoTemp(_)
            | I::PopIntoRemoteTemp { .. }
            | I::Pop
            | I::ReturnTop
            | I::BlockReturn
            | I::JumpIfTrue(_)
            | I::JumpIfFalse(_) => -1,
            I::PushNewArray(n) => 1 - n as isize,
            I::PushClosure { copied, .. } => 1 - copied as isize,
            I::Send { argc, .. } | I::SuperSend { argc, .. } => -(argc as isize),
            I::SendSpecial(i) => -(SPECIAL_SELECTORS[i as usize].1 as isize),
            I::ReturnReceiver | I::ReturnNil | I::ReturnTrue | I::ReturnFalse | I::Jump(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(insn: Instruction) {
        let mut code = Vec::new();
        insn.encode(&mut code);
        assert_eq!(code.len(), insn.encoded_len(), "{insn:?}");
        let (decoded, next) = Instruction::decode(&code, 0).expect("decodes");
        assert_eq!(decoded, insn);
        assert_eq!(next, code.len());
    }

    #[test]
    fn every_opcode_byte_matches_its_position() {
        for (i, op) in Opcode::ALL.iter().enumerate() {
            assert_eq!(*op as u8 as usize, i);
            assert_eq!(Opcode::from_byte(i as u8), Some(*op));
        }
        assert_eq!(Opcode::from_byte(Opcode::ALL.len() as u8), None);
    }

    #[test]
    fn every_instruction_round_trips_narrow_and_wide() {
        use Instruction as I;
        for n in [0u16, 7, 255, 256, 4000, u16::MAX] {
            for insn in [
                I::PushLiteral(n),
                I::PushGlobal(n),
                I::StoreGlobal(n),
                I::PopIntoGlobal(n),
                I::PushInstVar(n),
                I::StoreInstVar(n),
                I::PopIntoInstVar(n),
                I::PushTemp(n),
                I::StoreTemp(n),
                I::PopIntoTemp(n),
                I::PushRemoteTemp { index: n, vector: 3 },
                I::StoreRemoteTemp { index: n, vector: 3 },
                I::PopIntoRemoteTemp { index: n, vector: 3 },
                I::PushNewArray(n),
                I::PushNewTempVector(n),
                I::PushClosure { literal: n, copied: 2 },
                I::Send { literal: n, argc: 2 },
                I::SuperSend { literal: n, argc: 1 },
            ] {
                round_trip(insn);
            }
        }
        for insn in [
            I::PushReceiver,
            I::PushNil,
            I::PushTrue,
            I::PushFalse,
            I::PushThisContext,
            I::PushSmallInteger(-128),
            I::PushSmallInteger(127),
            I::Pop,
            I::Dup,
            I::SendSpecial(0),
            I::SendSpecial(24),
            I::ReturnTop,
            I::ReturnReceiver,
            I::ReturnNil,
            I::ReturnTrue,
            I::ReturnFalse,
            I::BlockReturn,
            I::Jump(-300),
            I::JumpIfTrue(0),
            I::JumpIfFalse(i16::MAX),
            I::PushTemps(0, 255),
            I::SendSpecialTemp { index: 0, temp: 255 },
            I::SendSpecialInt { index: 14, value: -128 },
            I::SendSpecialInt { index: 2, value: 127 },
            I::SendSpecialTemps { a: 3, index: 7, b: 255 },
            I::PopIntoTempPushTemp(255, 0),
            I::ForLoop { counter: 3, limit: 255, step: -2i8 as u8, flags: for_loop::DESCENDING, back: -300, exit: 14 },
            I::ForLoop { counter: 0, limit: 1, step: 2, flags: for_loop::STEP_IN_TEMP, back: i16::MIN, exit: i16::MAX },
        ] {
            round_trip(insn);
        }
    }

    #[test]
    fn trivial_method_bodies_get_quick_primitives() {
        use Instruction as I;
        let code = |insns: &[Instruction]| {
            let mut bytes = Vec::new();
            insns.iter().for_each(|i| i.encode(&mut bytes));
            bytes
        };
        assert_eq!(quick_primitive(&code(&[I::ReturnReceiver]), 2), Some(quick::RETURN_SELF));
        assert_eq!(quick_primitive(&code(&[I::ReturnFalse]), 0), Some(quick::RETURN_FALSE));
        assert_eq!(quick_primitive(&code(&[I::PushInstVar(3), I::ReturnTop]), 0), Some(quick::RETURN_INST_VAR + 3));
        assert_eq!(
            quick_primitive(&code(&[I::PushTemp(0), I::PopIntoInstVar(255), I::ReturnReceiver]), 1),
            Some(quick::SET_INST_VAR + 255)
        );
        // Not quick: an argument where none is expected, a wide index, more code.
        assert_eq!(quick_primitive(&code(&[I::PushInstVar(3), I::ReturnTop]), 1), None);
        assert_eq!(quick_primitive(&code(&[I::PushInstVar(256), I::ReturnTop]), 0), None);
        assert_eq!(quick_primitive(&code(&[I::PushTemp(0), I::PopIntoInstVar(1), I::ReturnReceiver]), 2), None);
        assert_eq!(quick_primitive(&code(&[I::PushInstVar(0), I::Pop, I::ReturnReceiver]), 0), None);
        assert!(u16::from(u8::MAX) + quick::SET_INST_VAR <= 0x3FF, "fits a method header's primitive field");
    }

    #[test]
    fn an_extension_cannot_widen_a_fused_instruction() {
        assert_eq!(
            Instruction::decode(&[Opcode::Ext as u8, 1, Opcode::PushTemps as u8, 0, 1], 0),
            Err(DecodeError::BadExtension { pc: 0 })
        );
    }

    #[test]
    fn decoding_rejects_bad_bytes() {
        assert_eq!(Instruction::decode(&[200], 0), Err(DecodeError::BadOpcode { pc: 0, byte: 200 }));
        assert_eq!(Instruction::decode(&[Opcode::Send as u8, 1], 0), Err(DecodeError::Truncated { pc: 0 }));
        assert_eq!(
            Instruction::decode(&[Opcode::Ext as u8, 1, Opcode::Pop as u8], 0),
            Err(DecodeError::BadExtension { pc: 0 })
        );
    }

    #[test]
    fn special_selectors_know_their_arity() {
        for (sel, argc) in SPECIAL_SELECTORS {
            let colons = sel.matches(':').count() as u8;
            let binary = !sel.chars().next().is_some_and(|c| c.is_alphabetic());
            assert_eq!(argc, if binary { 1 } else { colons }, "{sel}");
        }
        assert_eq!(SPECIAL_SELECTORS[SPECIAL_IDENTITY as usize].0, "==");
        assert_eq!(special_selector_index("at:put:"), Some(17));
    }
}
