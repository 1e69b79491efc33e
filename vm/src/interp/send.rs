//! Sends: method lookup through a global cache, primitives, activation of
//! methods and blocks, `doesNotUnderstand:`, and the messages the VM sends
//! on its own (`mustBeBoolean`, `cannotReturn:` ...).

use super::frame::{fixed_slots, frame_base, LoopRegisters};
use super::{Halt, Vm};
use crate::heap::{Format, Oop, NIL};
use crate::objects::layout::{closure, code, context, message, special, KnownClass};
use crate::prims::index::Primitive;
use crate::prims::{self, PrimError};
use crate::VmError;
use smalt_compiler::bytecode::quick;

const CACHE_SIZE: usize = 4096;

#[derive(Clone, Copy)]
struct CacheEntry {
    class_index: u32,
    epoch: u32,
    selector: Oop,
    method: Oop,
}

/// Entries in the send-site cache: 16 KiB of them (2048 did no better).
const SITE_CACHE_SIZE: usize = 512;

/// What a send at one bytecode address found for one receiver class: the
/// method and its header word.
#[derive(Clone, Copy)]
struct SiteEntry {
    site: usize,
    epoch: u32,
    class_index: u32,
    method: Oop,
    header: i64,
}

/// The method caches. The global one is keyed by (receiver class index,
/// selector). The send-site one, which the bytecode loop's sends look in
/// first, by the heap address of the send instruction: its probe needs
/// neither the selector nor the method's header, so a send's method is
/// known a few loads sooner (an inline cache kept beside the VM rather
/// than in the code). It is direct-mapped: a polymorphic site takes the
/// global cache's answer each time its class changes.
///
/// Entries are valid only in the epoch they were made in; a collection
/// (which moves methods, so a site's address may hold other code after
/// it) or a change to any method dictionary starts a new epoch. Code
/// objects cannot be written by Smalltalk, so between two such events an
/// address keeps its instruction.
pub struct MethodCache {
    entries: Vec<CacheEntry>,
    sites: Box<[SiteEntry; SITE_CACHE_SIZE]>,
    epoch: u32,
}

impl MethodCache {
    pub fn new() -> MethodCache {
        let empty = CacheEntry { class_index: 0, epoch: 0, selector: NIL, method: NIL };
        let no_site = SiteEntry { site: 0, epoch: 0, class_index: 0, method: NIL, header: 0 };
        MethodCache { entries: vec![empty; CACHE_SIZE], sites: Box::new([no_site; SITE_CACHE_SIZE]), epoch: 1 }
    }

    pub fn invalidate(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.entries.iter_mut().for_each(|e| e.epoch = 0);
            self.sites.iter_mut().for_each(|e| e.epoch = 0);
            self.epoch = 1;
        }
    }

    #[inline]
    fn slot(class_index: u32, selector: Oop) -> usize {
        (((selector.bits() >> 3) ^ (class_index as u64).wrapping_mul(0x9E37_79B9)) as usize) & (CACHE_SIZE - 1)
    }

    /// The entry of the send-site cache for the send at heap address `site`.
    #[inline(always)]
    pub(crate) fn site_slot(site: usize) -> usize {
        (site ^ (site >> 9)) & (SITE_CACHE_SIZE - 1)
    }
}

impl Default for MethodCache {
    fn default() -> Self {
        Self::new()
    }
}

impl Vm {
    /// The method `selector` finds starting at the class with this index.
    #[inline]
    pub(crate) fn lookup(&mut self, class_index: u32, selector: Oop) -> Option<Oop> {
        let slot = MethodCache::slot(class_index, selector);
        let entry = self.cache.entries[slot];
        if entry.epoch == self.cache.epoch && entry.class_index == class_index && entry.selector == selector {
            return Some(entry.method);
        }
        self.lookup_and_cache(class_index, selector, slot)
    }

    /// Whether the send-site cache's entry `slot` (see
    /// [`MethodCache::site_slot`]) holds what the send at heap address
    /// `site` found for receivers of the class with this index, and is
    /// still valid (see [`MethodCache`]).
    #[inline(always)]
    pub(crate) fn site_hit(&self, slot: usize, site: usize, class_index: u32) -> bool {
        let entry = &self.cache.sites[slot];
        entry.site == site && entry.class_index == class_index && entry.epoch == self.cache.epoch
    }

    /// The method and its header in the send-site cache's entry `slot`.
    #[inline(always)]
    pub(crate) fn site_entry(&self, slot: usize) -> (Oop, i64) {
        let entry = &self.cache.sites[slot];
        (entry.method, entry.header)
    }

    /// The send-site cache's miss: looks up what `selector` finds for the
    /// class with this index and puts it in entry `slot` for `site`;
    /// false, leaving the entry as it was, when it finds nothing.
    #[inline(never)]
    pub(crate) fn site_fill(&mut self, slot: usize, site: usize, class_index: u32, selector: Oop) -> bool {
        let Some(method) = self.lookup(class_index, selector) else { return false };
        let header = self.code_header(method);
        let epoch = self.cache.epoch;
        self.cache.sites[slot] = SiteEntry { site, epoch, class_index, method, header };
        true
    }

    /// The method cache's miss: a lookup through the class chain.
    #[cold]
    fn lookup_and_cache(&mut self, class_index: u32, selector: Oop, slot: usize) -> Option<Oop> {
        let cls = self.mem.class_at_index(class_index);
        let method = self.mem.lookup_method(cls, selector)?;
        self.cache.entries[slot] = CacheEntry { class_index, epoch: self.cache.epoch, selector, method };
        Some(method)
    }

    /// Sends `selector` to the receiver under `argc` arguments on the stack.
    /// A method without a primitive is activated at once; others go
    /// through [`Vm::invoke`].
    #[inline(always)]
    pub(crate) fn send(&mut self, selector: Oop, argc: usize) -> Result<(), Halt> {
        let receiver = self.stack_value(argc);
        let class_index = self.mem.heap.class_index_of(receiver);
        match self.lookup(class_index, selector) {
            Some(method) => {
                let header = self.code_header(method);
                self.send_to_method(method, header, argc)
            }
            None => self.not_understood(selector, argc),
        }
    }

    /// The rest of a send once its lookup found `method` (whose header word
    /// is `header`).
    #[inline(always)]
    pub(crate) fn send_to_method(&mut self, method: Oop, header: i64, argc: usize) -> Result<(), Halt> {
        let primitive = code::primitive(header);
        if primitive == 0 && code::num_args(header) == argc {
            return self.activate_method(method, header, argc);
        }
        // Getters, setters, ^self ... answer at once.
        if primitive >= usize::from(quick::FIRST) && prims::quick::run(self, primitive, argc).is_ok() {
            return Ok(());
        }
        // value:value: and the like: the block is entered at once.
        if primitive == Primitive::BlockValue as usize && self.activate_block(argc)? {
            return Ok(());
        }
        self.invoke_with_header(method, header, argc)
    }

    /// A send whose lookup found nothing: `doesNotUnderstand:`.
    #[cold]
    pub(crate) fn not_understood(&mut self, selector: Oop, argc: usize) -> Result<(), Halt> {
        let class_index = self.mem.heap.class_index_of(self.stack_value(argc));
        let cls = self.mem.class_at_index(class_index);
        self.send_does_not_understand(selector, argc, cls)
    }

    /// A send whose lookup starts above the class that holds the active method.
    pub(crate) fn super_send(&mut self, selector: Oop, argc: usize) -> Result<(), Halt> {
        let holder = self.method_class_of(self.method);
        let start = if holder == self.mem.nil() { holder } else { self.mem.superclass_of(holder) };
        self.send_from_class(selector, argc, start)
    }

    /// A send whose lookup starts at `start`.
    pub(crate) fn send_from_class(&mut self, selector: Oop, argc: usize, start: Oop) -> Result<(), Halt> {
        match self.mem.lookup_method(start, selector) {
            Some(method) => self.invoke(method, argc),
            None => self.send_does_not_understand(selector, argc, start),
        }
    }

    /// The class a method is installed in (for a block, its home method's).
    pub(crate) fn method_class_of(&self, mut method: Oop) -> Oop {
        while self.mem.is_instance_of(method, KnownClass::CompiledBlock) {
            method = self.mem.heap.fetch(method, code::OUTER_CODE);
        }
        if method.is_object() && self.mem.heap.format_of(method).is_code() {
            self.mem.heap.fetch(method, code::METHOD_CLASS)
        } else {
            self.mem.nil()
        }
    }

    /// Runs `method` for the receiver and arguments on the stack: its
    /// primitive if it has one that succeeds, else its code.
    pub(crate) fn invoke(&mut self, method: Oop, argc: usize) -> Result<(), Halt> {
        let header = self.code_header(method);
        self.invoke_with_header(method, header, argc)
    }

    /// [`Vm::invoke`] with the method's header word in hand.
    fn invoke_with_header(&mut self, method: Oop, header: i64, argc: usize) -> Result<(), Halt> {
        let primitive = code::primitive(header);
        if primitive != 0 {
            match prims::dispatch(self, primitive, argc) {
                Ok(()) => return Ok(()),
                Err(PrimError::Fail) => {}
                Err(PrimError::Halt(h)) => return Err(h),
            }
        }
        if code::num_args(header) != argc {
            return Err(Halt::Vm(VmError::Broken(format!(
                "method {} takes {} arguments but was sent with {argc}",
                self.mem.string_value(self.mem.heap.fetch(method, code::SELECTOR)).unwrap_or_default(),
                code::num_args(header)
            ))));
        }
        self.activate_method(method, header, argc)
    }

    /// Makes a context for `method` (whose header word is `header`) with the
    /// receiver and arguments on the stack, pops them, and makes it active.
    ///
    /// # GC
    /// A safe point: may collect after the new context is active.
    #[inline(always)]
    pub(crate) fn activate_method(&mut self, method: Oop, header: i64, argc: usize) -> Result<(), Halt> {
        let num_temps = code::num_temps(header);
        let frame = num_temps + code::max_stack(header);
        let ctx = self.allocate_context(frame)?;
        // The receiver and arguments, as heap word indices in the sender's frame.
        let args = frame_base(self.ctx) + self.sp - argc;
        let receiver = self.mem.heap.word(args - 1);
        self.take_arguments(ctx, args, argc);
        self.enter_context(ctx, method, header, receiver, self.mem.nil())
    }

    /// Moves the `argc` arguments at heap word `args` of the active frame
    /// into the new context's first temps, and pops them and the receiver
    /// (or block) below them.
    #[inline(always)]
    fn take_arguments(&mut self, ctx: Oop, args: usize, argc: usize) {
        for i in 0..argc {
            let arg = self.mem.heap.word(args + i);
            self.mem.heap.init_slot(ctx, context::FIRST_TEMP + i, arg);
        }
        self.pop_n(argc + 1);
    }

    /// Fills a new context's fixed slots, links it to the active one and
    /// enters it; then the safe point and the depth check. `header` is
    /// `method`'s header word.
    ///
    /// # GC
    /// A safe point.
    #[inline(always)]
    fn enter_context(
        &mut self,
        ctx: Oop,
        method: Oop,
        header: i64,
        receiver: Oop,
        closure_oop: Oop,
    ) -> Result<(), Halt> {
        self.save_registers();
        let num_temps = code::num_temps(header);
        let fixed = fixed_slots(self.ctx, num_temps, method, closure_oop, receiver);
        self.mem.heap.init_first_slots(ctx, &fixed);
        self.ctx = ctx;
        self.method = method;
        self.receiver = receiver;
        self.ip = 0;
        self.sp = num_temps;
        self.code_base = code::code_base(method, header);
        self.depth += 1;
        if self.entry_checks_needed() {
            self.entry_checks()?;
        }
        Ok(())
    }

    /// Activates `code`, a method or the block of `closure_oop` (nil for a
    /// method), for the bytecode loop and on its registers: the receiver
    /// (or the closure) and `argc` arguments are the top of the active
    /// stack. The caller's pc and stack pointer go straight into its
    /// context and the new context's into the registers, with no trip
    /// through the Vm's fields. Answers false, having done nothing, when
    /// the new context cannot be bumped in eden; [`Vm::activate_method`]
    /// or [`Vm::activate_block`] then does it the general way. The caller
    /// does [`Vm::entry_checks`] when [`Vm::loop_entry_checks_needed`].
    #[inline(always)]
    pub(crate) fn enter_in_loop(
        &mut self,
        code: Oop,
        header: i64,
        argc: usize,
        closure_oop: Oop,
        regs: LoopRegisters<'_>,
    ) -> bool {
        let LoopRegisters { ip, fp, sp } = regs;
        let num_temps = code::num_temps(header);
        let slots = context::FIRST_TEMP + num_temps + code::max_stack(header);
        let heap = &mut self.mem.heap;
        let args = *sp - argc;
        let receiver =
            if closure_oop == NIL { heap.word(args - 1) } else { heap.fetch(closure_oop, closure::RECEIVER) };
        let fixed = fixed_slots(self.ctx, num_temps, code, closure_oop, receiver);
        let Some(ctx) = heap.allocate_in_eden(KnownClass::Context.index(), Format::FixedIndexable, slots, &fixed)
        else {
            return false;
        };
        // The caller's registers: SmallIntegers, which need no barrier.
        let caller = *fp - context::FIRST_TEMP;
        heap.set_word_unbarriered(caller + context::PC, Oop::small_integer((*ip - self.code_base) as i64));
        heap.set_word_unbarriered(caller + context::STACKP, Oop::small_integer((args - 1 - *fp) as i64));
        // The new context is young: no barrier either for the arguments
        // and the closure's copied values.
        let new_fp = frame_base(ctx);
        for i in 0..argc {
            let arg = heap.word(args + i);
            heap.set_word_unbarriered(new_fp + i, arg);
        }
        if closure_oop != NIL {
            for i in 0..heap.num_slots(closure_oop) - closure::FIRST_COPIED {
                let value = heap.fetch(closure_oop, closure::FIRST_COPIED + i);
                heap.set_word_unbarriered(new_fp + argc + i, value);
            }
        }
        self.ctx = ctx;
        self.method = code;
        self.receiver = receiver;
        self.code_base = code::code_base(code, header);
        self.depth += 1;
        *ip = self.code_base;
        *fp = new_fp;
        *sp = new_fp + num_temps;
        true
    }

    /// Whether a context just entered needs [`Vm::entry_checks`].
    #[inline(always)]
    pub(crate) fn entry_checks_needed(&self) -> bool {
        self.attention_needed() || self.depth > self.depth_limit
    }

    /// [`Vm::entry_checks_needed`] for a context the loop entered itself
    /// ([`Vm::enter_in_loop`]): only a collection wanted (so that
    /// `SMALT_GC_STRESS` collects at every activation, as it does
    /// elsewhere) and the depth. Timers, an interrupt and low space can
    /// wait for the next safe point: every backward jump has one, and so
    /// has the first activation after eden fills, which the loop leaves to
    /// the general way, so no run of sends goes long without one.
    #[inline(always)]
    pub(crate) fn loop_entry_checks_needed(&self) -> bool {
        self.mem.heap.needs_collection() || self.depth > self.depth_limit
    }

    /// What follows entering a context when [`Vm::entry_checks_needed`]:
    /// the safe point, and `RecursionTooDeep` past the depth limit.
    ///
    /// # GC
    /// A safe point.
    #[inline(never)]
    pub(crate) fn entry_checks(&mut self) -> Result<(), Halt> {
        if self.attention_needed() {
            self.safe_point()?;
        }
        if self.depth > self.depth_limit {
            // Room to handle the error; restored once the chain is short again.
            self.depth_limit = self.depth + 10_000;
            let ctx = self.ctx;
            self.vm_send(special::SELECTOR_RECURSION_TOO_DEEP, ctx, &[])?;
        }
        Ok(())
    }

    /// Whether a safe point has anything to do: a collection, a signal to
    /// deliver, timers to look at.
    #[inline(always)]
    pub(crate) fn attention_needed(&self) -> bool {
        self.mem.heap.needs_collection()
            || self.low_space_pending
            || !self.timers.is_empty()
            || self.interrupt.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Collects garbage if the heap asks for it; delivers OutOfMemory,
    /// timers and interrupts. Callers on hot paths test
    /// [`Vm::attention_needed`] first.
    ///
    /// # GC
    /// A safe point.
    /// Also where an interrupt stops the running code.
    #[inline(never)]
    pub(crate) fn safe_point(&mut self) -> Result<(), Halt> {
        let collecting = self.mem.heap.needs_collection();
        if collecting {
            self.collect_garbage();
        }
        if self.low_space_pending {
            self.low_space_pending = false;
            self.save_registers();
            let ctx = self.ctx;
            return self.vm_send(special::SELECTOR_OUT_OF_MEMORY, ctx, &[]);
        }
        if !self.timers.is_empty() {
            self.timer_countdown -= 1;
            // After a collection too: a recursion without loops (whose
            // sends the loop enters without a safe point) reaches one only
            // when eden fills, which may take far longer than it takes
            // other code to reach the countdown's 256.
            if self.timer_countdown == 0 || collecting {
                self.timer_countdown = super::process::TIMER_CHECK_INTERVAL;
                self.fire_due_timers()?;
            }
        }
        if self.interrupt.load(std::sync::atomic::Ordering::Relaxed) && self.take_interrupt() {
            return self.interrupted();
        }
        Ok(())
    }

    /// Activates a block closure with `argc` arguments on the stack (the
    /// closure below them). Fails (answers false) when the counts differ.
    ///
    /// # GC
    /// A safe point.
    #[inline(always)]
    pub(crate) fn activate_block(&mut self, argc: usize) -> Result<bool, Halt> {
        let args = frame_base(self.ctx) + self.sp - argc;
        let closure_oop = self.mem.heap.word(args - 1);
        let Some((block, header)) = self.block_taking(closure_oop, argc) else { return Ok(false) };
        let ctx = self.allocate_context(code::num_temps(header) + code::max_stack(header))?;
        self.take_arguments(ctx, args, argc);
        self.enter_block(ctx, closure_oop, block, header, argc)?;
        Ok(true)
    }

    /// The CompiledBlock and its header, if `closure_oop` is a BlockClosure
    /// whose block takes `argc` arguments.
    #[inline]
    pub(crate) fn block_taking(&self, closure_oop: Oop, argc: usize) -> Option<(Oop, i64)> {
        if !self.mem.is_instance_of(closure_oop, KnownClass::BlockClosure) {
            return None;
        }
        let block = self.mem.heap.fetch(closure_oop, closure::COMPILED_BLOCK);
        let header = self.code_header(block);
        (code::num_args(header) == argc).then_some((block, header))
    }

    /// Whether `closure_oop` is a block taking `argc` arguments.
    pub(crate) fn block_accepts(&self, closure_oop: Oop, argc: usize) -> bool {
        self.block_taking(closure_oop, argc).is_some()
    }

    /// Activates a block closure (checked by `block_accepts`) with arguments
    /// given from Rust, not taken from the active context's stack; the
    /// block's answer is pushed on that stack when it returns.
    ///
    /// # GC
    /// A safe point.
    pub(crate) fn activate_closure(&mut self, closure_oop: Oop, args: &[Oop]) -> Result<(), Halt> {
        let ctx = self.new_block_context(closure_oop)?;
        for (i, arg) in args.iter().enumerate() {
            self.mem.heap.init_slot(ctx, context::FIRST_TEMP + i, *arg);
        }
        self.enter_block_context(ctx, closure_oop, args.len())
    }

    /// A context big enough for the block's temps and stack.
    pub(crate) fn new_block_context(&mut self, closure_oop: Oop) -> Result<Oop, Halt> {
        let header = self.code_header(self.mem.heap.fetch(closure_oop, closure::COMPILED_BLOCK));
        self.allocate_context(code::num_temps(header) + code::max_stack(header))
    }

    /// A new Context with `frame` slots for temps and stack, all nil.
    #[inline]
    fn allocate_context(&mut self, frame: usize) -> Result<Oop, Halt> {
        let slots = context::FIRST_TEMP + frame;
        let class_index = KnownClass::Context.index();
        let ctx = self.mem.heap.allocate_small_pointers(class_index, Format::FixedIndexable, slots);
        Ok(ctx.ok_or(VmError::HeapExhausted { requested_slots: slots })?)
    }

    /// Copies the closure's captured values in after its `argc` arguments
    /// and enters the context.
    ///
    /// # GC
    /// A safe point.
    fn enter_block_context(&mut self, ctx: Oop, closure_oop: Oop, argc: usize) -> Result<(), Halt> {
        let block = self.mem.heap.fetch(closure_oop, closure::COMPILED_BLOCK);
        let header = self.code_header(block);
        self.enter_block(ctx, closure_oop, block, header, argc)
    }

    /// [`Vm::enter_block_context`] with the block and its header in hand.
    #[inline(always)]
    fn enter_block(&mut self, ctx: Oop, closure_oop: Oop, block: Oop, header: i64, argc: usize) -> Result<(), Halt> {
        let heap = &mut self.mem.heap;
        let receiver = heap.fetch(closure_oop, closure::RECEIVER);
        for i in 0..heap.num_slots(closure_oop) - closure::FIRST_COPIED {
            let value = heap.fetch(closure_oop, closure::FIRST_COPIED + i);
            heap.init_slot(ctx, context::FIRST_TEMP + argc + i, value);
        }
        self.enter_context(ctx, block, header, receiver, closure_oop)
    }

    /// Replaces the send on the stack by `doesNotUnderstand:` with a Message.
    fn send_does_not_understand(&mut self, selector: Oop, argc: usize, lookup_class: Oop) -> Result<(), Halt> {
        let mut args = Vec::with_capacity(argc);
        for i in 0..argc {
            args.push(self.stack_value(argc - 1 - i));
        }
        let args = self.mem.new_array_from(&args)?;
        let msg = self.mem.allocate(KnownClass::Message, Format::Fixed, 3)?;
        self.mem.heap.store(msg, message::SELECTOR, selector);
        self.mem.heap.store(msg, message::ARGUMENTS, args);
        self.mem.heap.store(msg, message::LOOKUP_CLASS, lookup_class);
        self.pop_n(argc);
        let receiver = self.pop();
        let dnu = self.mem.special_object(special::SELECTOR_DOES_NOT_UNDERSTAND);
        let class_index = self.mem.heap.class_index_of(receiver);
        let Some(method) = self.lookup(class_index, dnu) else {
            return Err(Halt::Vm(VmError::Broken(format!(
                "{} does not understand #{} and has no doesNotUnderstand: method",
                self.mem.class_name_of(receiver),
                self.mem.string_value(selector).unwrap_or_default()
            ))));
        };
        self.activate_with(method, receiver, &[msg])
    }

    /// Sends a message the VM sends on its own (the selector is a special
    /// object) with the given receiver and arguments, without using the
    /// active context's stack; the answer is pushed on the active context's
    /// stack when the method returns. Primitives are not tried: these
    /// selectors are Smalltalk methods.
    ///
    /// # GC
    /// A safe point.
    pub(crate) fn vm_send(&mut self, selector_index: usize, receiver: Oop, args: &[Oop]) -> Result<(), Halt> {
        let selector = self.mem.special_object(selector_index);
        let class_index = self.mem.heap.class_index_of(receiver);
        let Some(method) = self.lookup(class_index, selector) else {
            return Err(Halt::Vm(VmError::Broken(format!(
                "{} has no method #{}, which the VM sends",
                self.mem.class_name_of(receiver),
                self.mem.string_value(selector).unwrap_or_default()
            ))));
        };
        self.activate_with(method, receiver, args)
    }

    /// Activates `method` with a receiver and arguments given from Rust
    /// rather than on the stack; its answer is pushed on the active
    /// context's stack when it returns.
    ///
    /// # GC
    /// A safe point.
    pub(crate) fn activate_with(&mut self, method: Oop, receiver: Oop, args: &[Oop]) -> Result<(), Halt> {
        let header = self.code_header(method);
        let ctx = self.allocate_context(code::num_temps(header) + code::max_stack(header))?;
        for (i, arg) in args.iter().enumerate() {
            self.mem.heap.init_slot(ctx, context::FIRST_TEMP + i, *arg);
        }
        let nil = self.mem.nil();
        self.enter_context(ctx, method, header, receiver, nil)
    }
}
