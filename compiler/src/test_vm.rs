//! A tiny bytecode interpreter for tests: SmallIntegers, booleans, nil,
//! arrays and closures, enough to run compiled code and check what it
//! answers. It also checks the compiler's promises as it goes: the stack
//! never exceeds `max_stack`, temps are exactly `num_temps`, closures get
//! the copied values their code declares.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use num_traits::ToPrimitive;

use crate::bytecode::{for_loop, Instruction, SPECIAL_SELECTORS};
use crate::code::{CompiledCode, Literal};

/// The integers `ForLoop` takes its fast path for here: far narrower than
/// the VM's SmallIntegers, so that tests reach the sends that follow it.
pub const FOR_LOOP_SMALL: i64 = 1 << 16;

#[derive(Debug, Clone)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Sym(String),
    Str(String),
    Arr(Rc<RefCell<Vec<V>>>),
    Closure(Rc<Closure>),
    /// A receiver with instance variables.
    Obj(Rc<RefCell<Vec<V>>>),
    /// The `OrderedCollection` global: `new` answers an empty array.
    CollectionClass,
}

impl PartialEq for V {
    fn eq(&self, other: &V) -> bool {
        match (self, other) {
            (V::Nil, V::Nil) => true,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Int(a), V::Int(b)) => a == b,
            (V::Sym(a), V::Sym(b)) | (V::Str(a), V::Str(b)) => a == b,
            (V::Arr(a), V::Arr(b)) => *a.borrow() == *b.borrow(),
            (V::Closure(a), V::Closure(b)) => Rc::ptr_eq(a, b),
            (V::Obj(a), V::Obj(b)) => Rc::ptr_eq(a, b),
            (V::CollectionClass, V::CollectionClass) => true,
            _ => false,
        }
    }
}

pub struct Closure {
    code: CompiledCode,
    copied: Vec<V>,
    receiver: V,
    home: usize,
}

impl std::fmt::Debug for Closure {
    // Copied values may hold collections that hold this closure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a closure in {} with {} args", self.code.selector, self.code.num_args)
    }
}

pub enum Unwind {
    /// A non-local return to the method activation `home`.
    Return(V, usize),
    Error(String),
}

pub struct TestVm {
    pub globals: HashMap<String, V>,
    next_activation: usize,
}

pub fn arr(items: Vec<V>) -> V {
    V::Arr(Rc::new(RefCell::new(items)))
}

impl TestVm {
    pub fn new() -> TestVm {
        let mut globals = HashMap::new();
        globals.insert("OrderedCollection".to_string(), V::CollectionClass);
        TestVm { globals, next_activation: 0 }
    }

    /// Runs a method on `receiver`; answers its value or an error message.
    pub fn run_method(&mut self, code: &CompiledCode, receiver: V, args: Vec<V>) -> Result<V, String> {
        self.next_activation += 1;
        let home = self.next_activation;
        match self.run(code, receiver, args, Vec::new(), home) {
            Ok(v) => Ok(v),
            Err(Unwind::Return(v, h)) if h == home => Ok(v),
            Err(Unwind::Return(..)) => Err("non-local return to a dead method".into()),
            Err(Unwind::Error(e)) => Err(e),
        }
    }

    fn literal(&self, lit: &Literal) -> Result<V, Unwind> {
        Ok(match lit {
            Literal::Nil => V::Nil,
            Literal::True => V::Bool(true),
            Literal::False => V::Bool(false),
            Literal::Integer(n) => V::Int(n.to_i64().ok_or_else(|| Unwind::Error("big integer".into()))?),
            Literal::Symbol(s) => V::Sym(s.clone()),
            Literal::String(s) => V::Str(s.clone()),
            Literal::Array(items) => arr(items.iter().map(|l| self.literal(l)).collect::<Result<_, _>>()?),
            other => return Err(Unwind::Error(format!("unsupported literal {other:?}"))),
        })
    }

    fn send(&mut self, selector: &str, receiver: V, args: Vec<V>) -> Result<V, Unwind> {
        let err = |m: String| Err(Unwind::Error(m));
        match (selector, &receiver, args.as_slice()) {
            ("value" | "value:" | "value:value:", V::Closure(c), _) => {
                if c.code.num_args as usize != args.len() {
                    return err("wrong argument count".into());
                }
                let c = Rc::clone(c);
                self.run(&c.code, c.receiver.clone(), args, c.copied.clone(), c.home)
            }
            ("+", V::Int(a), [V::Int(b)]) => Ok(V::Int(a.wrapping_add(*b))),
            ("-", V::Int(a), [V::Int(b)]) => Ok(V::Int(a.wrapping_sub(*b))),
            ("*", V::Int(a), [V::Int(b)]) => Ok(V::Int(a.wrapping_mul(*b))),
            ("<", V::Int(a), [V::Int(b)]) => Ok(V::Bool(a < b)),
            (">", V::Int(a), [V::Int(b)]) => Ok(V::Bool(a > b)),
            ("<=", V::Int(a), [V::Int(b)]) => Ok(V::Bool(a <= b)),
            (">=", V::Int(a), [V::Int(b)]) => Ok(V::Bool(a >= b)),
            ("=", a, [b]) => Ok(V::Bool(a == b)),
            ("==", a, [b]) => Ok(V::Bool(a == b)),
            ("~=", a, [b]) => Ok(V::Bool(a != b)),
            ("not", V::Bool(b), []) => Ok(V::Bool(!b)),
            ("isNil", r, []) => Ok(V::Bool(*r == V::Nil)),
            ("notNil", r, []) => Ok(V::Bool(*r != V::Nil)),
            ("new", V::CollectionClass, []) => Ok(arr(Vec::new())),
            ("add:", V::Arr(a), [x]) => {
                a.borrow_mut().push(x.clone());
                Ok(x.clone())
            }
            ("at:", V::Arr(a), [V::Int(i)]) => {
                a.borrow().get((*i as usize).wrapping_sub(1)).cloned().ok_or_else(|| Unwind::Error("index".into()))
            }
            ("size", V::Arr(a), []) => Ok(V::Int(a.borrow().len() as i64)),
            ("yourself", r, []) => Ok(r.clone()),
            ("collectValues", V::Arr(a), []) => {
                let items: Vec<V> = a.borrow().clone();
                let mut out = Vec::new();
                for item in items {
                    match item {
                        V::Closure(_) => out.push(self.send("value", item, Vec::new())?),
                        other => out.push(other),
                    }
                }
                Ok(arr(out))
            }
            _ => self.control(selector, receiver, args),
        }
    }

    /// The control messages the compiler inlines, as real sends: what the
    /// class library does when they are not inlined.
    fn control(&mut self, selector: &str, receiver: V, args: Vec<V>) -> Result<V, Unwind> {
        let err = |m: String| Err(Unwind::Error(m));
        let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Nil);
        match (selector, &receiver) {
            ("ifTrue:", V::Bool(b)) => {
                if *b {
                    self.send("value", arg(0), vec![])
                } else {
                    Ok(V::Nil)
                }
            }
            ("ifFalse:", V::Bool(b)) => {
                if *b {
                    Ok(V::Nil)
                } else {
                    self.send("value", arg(0), vec![])
                }
            }
            ("ifTrue:ifFalse:", V::Bool(b)) => self.send("value", arg(if *b { 0 } else { 1 }), vec![]),
            ("ifFalse:ifTrue:", V::Bool(b)) => self.send("value", arg(if *b { 1 } else { 0 }), vec![]),
            ("and:", V::Bool(b)) => {
                if *b {
                    self.send("value", arg(0), vec![])
                } else {
                    Ok(V::Bool(false))
                }
            }
            ("or:", V::Bool(b)) => {
                if *b {
                    Ok(V::Bool(true))
                } else {
                    self.send("value", arg(0), vec![])
                }
            }
            ("whileTrue:" | "whileFalse:" | "whileTrue" | "whileFalse", V::Closure(_)) => {
                let until = selector.starts_with("whileFalse");
                loop {
                    match self.send("value", receiver.clone(), vec![])? {
                        V::Bool(b) if b != until => {}
                        V::Bool(_) => return Ok(V::Nil),
                        other => return err(format!("{other:?} is not a Boolean")),
                    }
                    if selector.ends_with(':') {
                        self.send("value", arg(0), vec![])?;
                    }
                }
            }
            ("timesRepeat:", V::Int(n)) => {
                for _ in 0..*n {
                    self.send("value", arg(0), vec![])?;
                }
                Ok(receiver.clone())
            }
            ("to:do:" | "to:by:do:", V::Int(start)) => {
                let (V::Int(stop), step, block) =
                    (arg(0), if args.len() == 3 { arg(1) } else { V::Int(1) }, arg(args.len() - 1))
                else {
                    return err("to:do: limit".into());
                };
                let V::Int(step) = step else {
                    return err("to:by:do: step".into());
                };
                let mut i = *start;
                while (step > 0 && i <= stop) || (step < 0 && i >= stop) {
                    self.send("value:", block.clone(), vec![V::Int(i)])?;
                    i += step;
                }
                Ok(receiver.clone())
            }
            ("ifNil:", r) => {
                if *r == V::Nil {
                    self.send("value", arg(0), vec![])
                } else {
                    Ok(receiver.clone())
                }
            }
            ("ifNotNil:", r) => {
                if *r == V::Nil {
                    Ok(V::Nil)
                } else {
                    self.cull(arg(0), receiver.clone())
                }
            }
            ("ifNil:ifNotNil:", r) => {
                if *r == V::Nil {
                    self.send("value", arg(0), vec![])
                } else {
                    self.cull(arg(1), receiver.clone())
                }
            }
            ("ifNotNil:ifNil:", r) => {
                if *r == V::Nil {
                    self.send("value", arg(1), vec![])
                } else {
                    self.cull(arg(0), receiver.clone())
                }
            }
            _ => err(format!("{receiver:?} does not understand #{selector}")),
        }
    }

    /// `aBlock cull: x`: with the argument if the block takes one.
    fn cull(&mut self, block: V, x: V) -> Result<V, Unwind> {
        match &block {
            V::Closure(c) if c.code.num_args == 1 => self.send("value:", block.clone(), vec![x]),
            _ => self.send("value", block, vec![]),
        }
    }

    fn run(
        &mut self,
        code: &CompiledCode,
        receiver: V,
        args: Vec<V>,
        copied: Vec<V>,
        home: usize,
    ) -> Result<V, Unwind> {
        let fail = |m: &str| Unwind::Error(format!("{m} in {}", code.selector));
        if copied.len() != code.num_copied as usize || args.len() != code.num_args as usize {
            return Err(fail("bad activation"));
        }
        let mut temps = args;
        temps.extend(copied);
        if temps.len() > code.num_temps as usize {
            return Err(fail("more arguments and copied values than temps"));
        }
        temps.resize(code.num_temps as usize, V::Nil);
        let mut stack: Vec<V> = Vec::new();
        let mut pc = 0;
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > 100_000 {
                return Err(fail("too many steps"));
            }
            let (insn, next) = Instruction::decode(&code.bytecodes, pc).map_err(|e| fail(&e.to_string()))?;
            pc = next;
            let lit = |i: u16| code.literals.get(i as usize).ok_or_else(|| fail("literal index"));
            let temp = |t: u16| t as usize;
            let pop = |stack: &mut Vec<V>| stack.pop().ok_or_else(|| fail("stack underflow"));
            match insn {
                Instruction::PushReceiver => stack.push(receiver.clone()),
                Instruction::PushNil => stack.push(V::Nil),
                Instruction::PushTrue => stack.push(V::Bool(true)),
                Instruction::PushFalse => stack.push(V::Bool(false)),
                Instruction::PushThisContext => stack.push(V::Sym("thisContext".into())),
                Instruction::PushSmallInteger(v) => stack.push(V::Int(v as i64)),
                Instruction::PushLiteral(l) => {
                    let v = self.literal(lit(l)?)?;
                    stack.push(v);
                }
                Instruction::PushGlobal(l) => {
                    let Literal::Binding(name) = lit(l)? else {
                        return Err(fail("not a binding"));
                    };
                    stack.push(self.globals.get(name).cloned().unwrap_or(V::Nil));
                }
                Instruction::StoreGlobal(l) | Instruction::PopIntoGlobal(l) => {
                    let Literal::Binding(name) = lit(l)? else {
                        return Err(fail("not a binding"));
                    };
                    let v = pop(&mut stack)?;
                    self.globals.insert(name.clone(), v.clone());
                    if matches!(insn, Instruction::StoreGlobal(_)) {
                        stack.push(v);
                    }
                }
                Instruction::PushInstVar(i) => {
                    let V::Obj(o) = &receiver else {
                        return Err(fail("no ivars"));
                    };
                    stack.push(o.borrow().get(i as usize).cloned().ok_or_else(|| fail("ivar index"))?);
                }
                Instruction::StoreInstVar(i) | Instruction::PopIntoInstVar(i) => {
                    let V::Obj(o) = &receiver else {
                        return Err(fail("no ivars"));
                    };
                    let v = pop(&mut stack)?;
                    *o.borrow_mut().get_mut(i as usize).ok_or_else(|| fail("ivar index"))? = v.clone();
                    if matches!(insn, Instruction::StoreInstVar(_)) {
                        stack.push(v);
                    }
                }
                Instruction::PushTemp(t) => stack.push(temps.get(temp(t)).cloned().ok_or_else(|| fail("temp index"))?),
                Instruction::PushTemps(a, b) => {
                    for t in [a, b] {
                        stack.push(temps.get(temp(t as u16)).cloned().ok_or_else(|| fail("temp index"))?);
                    }
                }
                Instruction::StoreTemp(t) | Instruction::PopIntoTemp(t) => {
                    let v = pop(&mut stack)?;
                    *temps.get_mut(temp(t)).ok_or_else(|| fail("temp index"))? = v.clone();
                    if matches!(insn, Instruction::StoreTemp(_)) {
                        stack.push(v);
                    }
                }
                Instruction::PushRemoteTemp { index, vector }
                | Instruction::StoreRemoteTemp { index, vector }
                | Instruction::PopIntoRemoteTemp { index, vector } => {
                    let Some(V::Arr(vec)) = temps.get(vector as usize).cloned() else {
                        return Err(fail("temp vector missing"));
                    };
                    let mut vec = vec.borrow_mut();
                    let slot = vec.get_mut(index as usize).ok_or_else(|| fail("vector index"))?;
                    match insn {
                        Instruction::PushRemoteTemp { .. } => stack.push(slot.clone()),
                        Instruction::StoreRemoteTemp { .. } => {
                            *slot = stack.last().cloned().ok_or_else(|| fail("underflow"))?
                        }
                        _ => *slot = pop(&mut stack)?,
                    }
                }
                Instruction::PushNewArray(n) => {
                    let at = stack.len().checked_sub(n as usize).ok_or_else(|| fail("underflow"))?;
                    let items = stack.split_off(at);
                    stack.push(arr(items));
                }
                Instruction::PushNewTempVector(n) => stack.push(arr(vec![V::Nil; n as usize])),
                Instruction::PushClosure { literal, copied } => {
                    let Literal::Block(block) = lit(literal)? else {
                        return Err(fail("not a block"));
                    };
                    if block.num_copied != copied {
                        return Err(fail("copied count differs from the block's"));
                    }
                    let at = stack.len().checked_sub(copied as usize).ok_or_else(|| fail("underflow"))?;
                    let values = stack.split_off(at);
                    let c = Closure { code: (**block).clone(), copied: values, receiver: receiver.clone(), home };
                    stack.push(V::Closure(Rc::new(c)));
                }
                Instruction::Pop => {
                    pop(&mut stack)?;
                }
                Instruction::Dup => {
                    let v = stack.last().cloned().ok_or_else(|| fail("underflow"))?;
                    stack.push(v);
                }
                Instruction::Send { literal, argc } | Instruction::SuperSend { literal, argc } => {
                    let Literal::Symbol(sel) = lit(literal)? else {
                        return Err(fail("selector"));
                    };
                    let at = stack.len().checked_sub(argc as usize).ok_or_else(|| fail("underflow"))?;
                    let args = stack.split_off(at);
                    let r = pop(&mut stack)?;
                    let v = self.send(&sel.clone(), r, args)?;
                    stack.push(v);
                }
                Instruction::SendSpecialTemp { index, temp: t } => {
                    let arg = temps.get(temp(t as u16)).cloned().ok_or_else(|| fail("temp index"))?;
                    let r = pop(&mut stack)?;
                    let sel = SPECIAL_SELECTORS.get(index as usize).ok_or_else(|| fail("special"))?.0;
                    let v = self.send(sel, r, vec![arg])?;
                    stack.push(v);
                }
                Instruction::SendSpecialTemps { a, index, b } => {
                    let r = temps.get(temp(a as u16)).cloned().ok_or_else(|| fail("temp index"))?;
                    let arg = temps.get(temp(b as u16)).cloned().ok_or_else(|| fail("temp index"))?;
                    let sel = SPECIAL_SELECTORS.get(index as usize).ok_or_else(|| fail("special"))?.0;
                    let v = self.send(sel, r, vec![arg])?;
                    stack.push(v);
                }
                Instruction::PopIntoTempPushTemp(a, b) => {
                    let v = pop(&mut stack)?;
                    *temps.get_mut(temp(a as u16)).ok_or_else(|| fail("temp index"))? = v;
                    stack.push(temps.get(temp(b as u16)).cloned().ok_or_else(|| fail("temp index"))?);
                }
                Instruction::SendSpecialInt { index, value } => {
                    let r = pop(&mut stack)?;
                    let sel = SPECIAL_SELECTORS.get(index as usize).ok_or_else(|| fail("special"))?.0;
                    let v = self.send(sel, r, vec![V::Int(value as i64)])?;
                    stack.push(v);
                }
                Instruction::SendSpecial(i) => {
                    let (sel, argc) = SPECIAL_SELECTORS.get(i as usize).copied().ok_or_else(|| fail("special"))?;
                    let at = stack.len().checked_sub(argc as usize).ok_or_else(|| fail("underflow"))?;
                    let args = stack.split_off(at);
                    let r = pop(&mut stack)?;
                    let v = self.send(sel, r, args)?;
                    stack.push(v);
                }
                Instruction::ReturnTop => {
                    let v = pop(&mut stack)?;
                    return if code.is_block { Err(Unwind::Return(v, home)) } else { Ok(v) };
                }
                Instruction::ReturnReceiver
                | Instruction::ReturnNil
                | Instruction::ReturnTrue
                | Instruction::ReturnFalse => {
                    let v = match insn {
                        Instruction::ReturnReceiver => receiver.clone(),
                        Instruction::ReturnNil => V::Nil,
                        Instruction::ReturnTrue => V::Bool(true),
                        _ => V::Bool(false),
                    };
                    return if code.is_block { Err(Unwind::Return(v, home)) } else { Ok(v) };
                }
                Instruction::BlockReturn => return pop(&mut stack),
                Instruction::ForLoop { counter, limit, step, flags, back, exit } => {
                    if flags & for_loop::POP_FIRST != 0 {
                        pop(&mut stack)?;
                    }
                    let get = |t: u8| match temps.get(t as usize) {
                        Some(V::Int(n)) if n.abs() < FOR_LOOP_SMALL => Some(*n),
                        _ => None,
                    };
                    let step = if flags & for_loop::STEP_IN_TEMP != 0 { get(step) } else { Some(step as i8 as i64) };
                    if let (Some(c), Some(l), Some(s)) = (get(counter), get(limit), step) {
                        if (c + s).abs() < FOR_LOOP_SMALL {
                            temps[counter as usize] = V::Int(c + s);
                            let go_on = if flags & for_loop::DESCENDING != 0 { c + s >= l } else { c + s <= l };
                            pc = (pc as i64 + if go_on { back } else { exit } as i64) as usize;
                        }
                    }
                }
                Instruction::Jump(o) => pc = (pc as i64 + o as i64) as usize,
                Instruction::JumpIfTrue(o) | Instruction::JumpIfFalse(o) => {
                    let V::Bool(b) = pop(&mut stack)? else {
                        return Err(fail("mustBeBoolean"));
                    };
                    if b == matches!(insn, Instruction::JumpIfTrue(_)) {
                        pc = (pc as i64 + o as i64) as usize;
                    }
                }
            }
            if stack.len() > code.max_stack as usize {
                return Err(fail(&format!("stack depth {} beyond max_stack {}", stack.len(), code.max_stack)));
            }
        }
    }
}
