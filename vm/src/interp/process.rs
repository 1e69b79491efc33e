//! Green threads: the scheduler's side of Processes, Semaphores and timers.
//!
//! The objects are the library's (stdlib/130-Process.st), laid out as
//! `objects::layout::{process, semaphore, scheduler}` say. The scheduler
//! (the global `Processor`, special object PROCESSOR) holds one run queue
//! per priority and the active process; a Semaphore is a LinkedList of the
//! processes waiting on it. The running process keeps its context in the
//! interpreter's registers; every other process keeps its context in its
//! `suspendedContext`, and is in exactly one of these states:
//!
//! - ready: `myList` is the run queue of its priority;
//! - waiting: `myList` is the Semaphore it waits on;
//! - suspended: `myList` is nil and it has a context;
//! - terminated: no context;
//! - parked: `myList` is the scheduler itself. The owner of an evaluation
//!   parks while the other processes run on after its program ended
//!   ([`Vm::run_other_processes`]).
//!
//! Scheduling is by priority, first come first served within one: a process
//! that becomes ready at a higher priority than the running one preempts it
//! at once, and the preempted process stays first in line at its priority.
//! Nothing switches between processes of one priority but a wait or a yield.
//!
//! # Evaluations
//!
//! Every evaluation the Rust side starts (a top-level statement, a message
//! sent from Rust, a nested `fileIn:`) runs on behalf of the process that
//! was active when it started, its owner; its interpret loop ends when the
//! owner's bottom context returns. When the bottom context of any other
//! process returns, that process ends. When no process is ready, the
//! scheduler sleeps until the next timer is due; with no timer pending the
//! owner can never run again: if it waits or is suspended that is a
//! deadlock ([`Halt::Deadlock`]); if it was terminated or is parked, the
//! evaluation ends with nil.
//!
//! # Timers
//!
//! `Processor signal: aSemaphore afterMilliseconds: n` arms a timer on the
//! VM's monotonic millisecond clock. While any is pending, timers are
//! looked at every [`TIMER_CHECK_INTERVAL`] safe points and at every safe
//! point that collects garbage: code without loops, such as a deep
//! recursion, reaches a safe point only when eden fills. When no process
//! is ready the VM sleeps until the first timer is due: waiting never
//! spins. An image keeps its pending timers with the time each had left.

use std::time::Duration;

use smalt_compiler::bytecode::Instruction;
use smalt_compiler::CompiledCode;

use super::{Halt, Vm};
use crate::heap::{Format, Oop};
use crate::install::{BindingScope, SourceSyntax};
use crate::objects::layout::{context, linked_list, process, scheduler, semaphore, special, KnownClass};

/// A Semaphore to signal when the VM's millisecond clock reaches `due`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    pub(crate) due: u64,
    pub(crate) semaphore: Oop,
}

/// Safe points between two looks at the clock while a timer is pending.
pub(crate) const TIMER_CHECK_INTERVAL: u32 = 256;

/// The longest single sleep while waiting for a timer, so that an
/// interrupt is noticed promptly.
const LONGEST_SLEEP: Duration = Duration::from_millis(50);

impl Vm {
    /// The scheduler, or nil while the library is being built.
    pub(crate) fn processor(&self) -> Oop {
        self.mem.special_object(special::PROCESSOR)
    }

    /// The running process (nil before there is a scheduler).
    pub(crate) fn active_process(&self) -> Oop {
        let processor = self.processor();
        if processor == self.mem.nil() {
            processor
        } else {
            self.mem.heap.fetch(processor, scheduler::ACTIVE_PROCESS)
        }
    }

    /// The process whose evaluation the innermost interpret loop runs.
    pub(crate) fn owner(&self) -> Oop {
        self.owners.last().copied().unwrap_or(crate::heap::NIL)
    }

    /// Milliseconds of the VM's monotonic clock.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock_start.elapsed().as_millis() as u64
    }

    /// Whether `oop` has the shape of a Process.
    pub(crate) fn is_process(&self, oop: Oop) -> bool {
        oop.is_object()
            && self.mem.heap.format_of(oop).is_pointers()
            && self.mem.heap.num_slots(oop) >= process::IVARS.len()
    }

    /// Whether `oop` has the shape of a Semaphore.
    pub(crate) fn is_semaphore(&self, oop: Oop) -> bool {
        oop.is_object()
            && self.mem.heap.format_of(oop).is_pointers()
            && self.mem.heap.num_slots(oop) >= semaphore::IVARS.len()
    }

    /// Whether `oop` can be the scheduler: the right slots, and a run queue
    /// (a LinkedList) for every priority.
    pub(crate) fn is_scheduler(&self, oop: Oop) -> bool {
        let heap = &self.mem.heap;
        if !oop.is_object() || !heap.format_of(oop).is_pointers() || heap.num_slots(oop) < scheduler::IVARS.len() {
            return false;
        }
        let queues = heap.fetch(oop, scheduler::RUN_QUEUES);
        let main = heap.fetch(oop, scheduler::MAIN_PROCESS);
        queues.is_object()
            && self.mem.is_instance_of(queues, KnownClass::Array)
            && heap.num_slots(queues) == scheduler::PRIORITIES
            && (0..scheduler::PRIORITIES).all(|i| {
                let q = heap.fetch(queues, i);
                q.is_object() && heap.format_of(q).is_pointers() && heap.num_slots(q) >= 2
            })
            && self.is_process(main)
            && heap.fetch(oop, scheduler::ACTIVE_PROCESS) == main
    }

    pub(crate) fn priority_of(&self, p: Oop) -> usize {
        let n = self.mem.heap.fetch(p, process::PRIORITY).to_small_integer().unwrap_or(1);
        n.clamp(1, scheduler::PRIORITIES as i64) as usize
    }

    fn run_queue(&self, priority: usize) -> Oop {
        let queues = self.mem.heap.fetch(self.processor(), scheduler::RUN_QUEUES);
        self.mem.heap.fetch(queues, priority - 1)
    }

    // ----- linked lists -----

    fn add_last(&mut self, list: Oop, link: Oop) {
        let nil = self.mem.nil();
        let heap = &mut self.mem.heap;
        let last = heap.fetch(list, linked_list::LAST_LINK);
        if last == nil {
            heap.store(list, linked_list::FIRST_LINK, link);
        } else {
            heap.store(last, process::NEXT_LINK, link);
        }
        heap.store(list, linked_list::LAST_LINK, link);
        heap.store(link, process::NEXT_LINK, nil);
    }

    fn add_first(&mut self, list: Oop, link: Oop) {
        let nil = self.mem.nil();
        let heap = &mut self.mem.heap;
        let first = heap.fetch(list, linked_list::FIRST_LINK);
        heap.store(link, process::NEXT_LINK, first);
        heap.store(list, linked_list::FIRST_LINK, link);
        if first == nil {
            heap.store(list, linked_list::LAST_LINK, link);
        }
    }

    /// Takes the first link off `list`; nil if it is empty.
    fn remove_first(&mut self, list: Oop) -> Oop {
        let nil = self.mem.nil();
        let heap = &mut self.mem.heap;
        let first = heap.fetch(list, linked_list::FIRST_LINK);
        if first != nil {
            let next = heap.fetch(first, process::NEXT_LINK);
            heap.store(list, linked_list::FIRST_LINK, next);
            if next == nil {
                heap.store(list, linked_list::LAST_LINK, nil);
            }
            heap.store(first, process::NEXT_LINK, nil);
        }
        first
    }

    /// Takes `link` off `list`; answers whether it was there.
    fn remove_link(&mut self, list: Oop, link: Oop) -> bool {
        let nil = self.mem.nil();
        let heap = &mut self.mem.heap;
        let mut previous = nil;
        let mut current = heap.fetch(list, linked_list::FIRST_LINK);
        while current != nil && current != link {
            previous = current;
            current = heap.fetch(current, process::NEXT_LINK);
        }
        if current == nil {
            return false;
        }
        let next = heap.fetch(link, process::NEXT_LINK);
        if previous == nil {
            heap.store(list, linked_list::FIRST_LINK, next);
        } else {
            heap.store(previous, process::NEXT_LINK, next);
        }
        if heap.fetch(list, linked_list::LAST_LINK) == link {
            heap.store(list, linked_list::LAST_LINK, previous);
        }
        heap.store(link, process::NEXT_LINK, nil);
        true
    }

    // ----- states -----

    /// Puts `p` at the back of the run queue of its priority.
    fn make_ready(&mut self, p: Oop) {
        let queue = self.run_queue(self.priority_of(p));
        self.add_last(queue, p);
        self.mem.heap.store(p, process::MY_LIST, queue);
    }

    /// Takes `p` off whatever list it is in.
    pub(crate) fn unlist(&mut self, p: Oop) {
        let nil = self.mem.nil();
        let list = self.mem.heap.fetch(p, process::MY_LIST);
        if list != nil && list != self.processor() && list.is_object() && self.mem.heap.num_slots(list) >= 2 {
            self.remove_link(list, p);
        }
        self.mem.heap.store(p, process::MY_LIST, nil);
    }

    /// The highest priority with a ready process, 0 if none is ready.
    pub(crate) fn highest_ready_priority(&self) -> usize {
        let nil = self.mem.nil();
        (1..=scheduler::PRIORITIES)
            .rev()
            .find(|&p| self.mem.heap.fetch(self.run_queue(p), linked_list::FIRST_LINK) != nil)
            .unwrap_or(0)
    }

    /// Stores the running process's registers in its `suspendedContext`.
    /// No process runs until [`Vm::run_next`] loads one.
    pub(crate) fn put_active_aside(&mut self) {
        let nil = self.mem.nil();
        if self.ctx != nil {
            self.save_registers();
            let active = self.active_process();
            self.mem.heap.store(active, process::SUSPENDED_CONTEXT, self.ctx);
        }
        self.ctx = nil;
    }

    /// Makes `p` (already off every list) the running process. Answers
    /// false, leaving it terminated, when it has no context it can resume.
    fn load_process(&mut self, p: Oop) -> bool {
        let nil = self.mem.nil();
        let ctx = self.mem.heap.fetch(p, process::SUSPENDED_CONTEXT);
        self.mem.heap.store(p, process::SUSPENDED_CONTEXT, nil);
        self.mem.heap.store(p, process::MY_LIST, nil);
        if !self.is_resumable_context(ctx) {
            return false;
        }
        let processor = self.processor();
        self.mem.heap.store(processor, scheduler::ACTIVE_PROCESS, p);
        self.load_context(ctx);
        self.recount_depth();
        true
    }

    /// Gives the processor to the first ready process of the highest
    /// priority; the running process must have been put aside. Sleeps until
    /// a timer is due when no process is ready; when none is pending, ends
    /// or revives the evaluation's owner (see the module comment).
    pub(crate) fn run_next(&mut self) -> Result<(), Halt> {
        let nil = self.mem.nil();
        loop {
            let priority = self.highest_ready_priority();
            if priority > 0 {
                let queue = self.run_queue(priority);
                let p = self.remove_first(queue);
                if self.load_process(p) {
                    return Ok(());
                }
                continue;
            }
            let owner = self.owner();
            let parked = owner != nil && self.mem.heap.fetch(owner, process::MY_LIST) == self.processor();
            if !self.timers.is_empty() && (!parked || self.drain_waits_for_timers) {
                self.sleep_until_next_timer()?;
                if self.ctx != nil {
                    // An interrupt woke the owner.
                    return Ok(());
                }
                continue;
            }
            return self.nothing_can_run();
        }
    }

    /// No process is ready and no timer pending.
    fn nothing_can_run(&mut self) -> Result<(), Halt> {
        let nil = self.mem.nil();
        let owner = self.owner();
        if owner == nil {
            return Err(Halt::Vm(crate::VmError::Broken("no process is left to run".into())));
        }
        let list = self.mem.heap.fetch(owner, process::MY_LIST);
        let ctx = self.mem.heap.fetch(owner, process::SUSPENDED_CONTEXT);
        if ctx == nil || list == self.processor() {
            // Terminated or parked: its evaluation is over.
            if ctx == nil || !self.is_resumable_context(ctx) {
                let c = self.nil_returning_context()?;
                self.mem.heap.store(owner, process::SUSPENDED_CONTEXT, c);
            }
            self.load_process(owner);
            return Ok(());
        }
        let state = if list == nil {
            "is suspended".to_string()
        } else {
            let class = self.mem.class_name_of(list);
            let article = if class.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
            format!("waits on {article} {class}")
        };
        self.unlist(owner);
        self.load_process(owner);
        let name = self.mem.string_value(self.mem.heap.fetch(owner, process::NAME));
        let who = match name {
            Some(name) => format!("process '{name}'"),
            None => "process".to_string(),
        };
        self.flush_stdout();
        self.write_walkback_to_stderr(&format!(
            "Deadlock: the {who} {state}, and no other process or timer can ever wake it"
        ));
        Err(Halt::Deadlock)
    }

    /// A context that answers nil at once, for an owner that has none left.
    fn nil_returning_context(&mut self) -> Result<Oop, Halt> {
        let mut code = Vec::new();
        Instruction::ReturnNil.encode(&mut code);
        let desc = CompiledCode {
            selector: "DoIt".into(),
            is_block: false,
            num_args: 0,
            num_copied: 0,
            num_temps: 0,
            max_stack: 1,
            primitive: 0,
            literals: Vec::new(),
            bytecodes: code,
            lines: Vec::new(),
            source: String::new(),
            pragmas: Vec::new(),
        };
        let nil = self.mem.nil();
        let method = self
            .mem
            .install_code(&desc, nil, BindingScope::Workspace, SourceSyntax::DoIt, "")
            .map_err(|e| Halt::Vm(crate::VmError::Broken(e.to_string())))?;
        let ctx = self.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + 1)?;
        let heap = &mut self.mem.heap;
        heap.store(ctx, context::PC, Oop::small_integer(0));
        heap.store(ctx, context::STACKP, Oop::small_integer(0));
        heap.store(ctx, context::METHOD, method);
        Ok(ctx)
    }

    /// The bottom context of the running process returned `value`. Answers
    /// it when that ends the evaluation (the process is the owner); else the
    /// process ends and the next one runs.
    pub(crate) fn bottom_returned(&mut self, value: Oop) -> Result<Option<Oop>, Halt> {
        let nil = self.mem.nil();
        let owner = self.owner();
        // An evaluation begun before the scheduler existed has no owner.
        if owner == nil || self.active_process() == owner {
            return Ok(Some(value));
        }
        self.ctx = nil;
        self.run_next()?;
        Ok(None)
    }

    /// Ends the running process (its unwind blocks have run) and runs the next.
    pub(crate) fn terminate_active(&mut self) -> Result<(), Halt> {
        let nil = self.mem.nil();
        let active = self.active_process();
        self.mem.heap.store(active, process::MY_LIST, nil);
        self.mem.heap.store(active, process::SUSPENDED_CONTEXT, nil);
        self.ctx = nil;
        self.run_next()
    }

    /// If a ready process outranks the running one, it runs now; the
    /// running one goes first in line at its priority.
    fn preempt_if_outranked(&mut self) -> Result<(), Halt> {
        if self.ctx == self.mem.nil() {
            return Ok(());
        }
        let active = self.active_process();
        let priority = self.priority_of(active);
        if self.highest_ready_priority() <= priority {
            return Ok(());
        }
        self.put_active_aside();
        let queue = self.run_queue(priority);
        self.add_first(queue, active);
        self.mem.heap.store(active, process::MY_LIST, queue);
        self.run_next()
    }

    // ----- what the primitives do -----

    /// `aProcess resume`: a suspended process becomes ready.
    pub(crate) fn resume_process(&mut self, p: Oop) -> Result<(), Halt> {
        self.make_ready(p);
        self.preempt_if_outranked()
    }

    /// `Processor yield`: the running process goes behind the others of its
    /// priority.
    pub(crate) fn yield_active(&mut self) -> Result<(), Halt> {
        let nil = self.mem.nil();
        let active = self.active_process();
        let queue = self.run_queue(self.priority_of(active));
        if self.mem.heap.fetch(queue, linked_list::FIRST_LINK) == nil {
            return Ok(());
        }
        self.put_active_aside();
        self.make_ready(active);
        self.run_next()
    }

    /// `aProcess suspend` of the running process.
    pub(crate) fn suspend_active(&mut self) -> Result<(), Halt> {
        self.put_active_aside();
        let nil = self.mem.nil();
        let active = self.active_process();
        self.mem.heap.store(active, process::MY_LIST, nil);
        self.run_next()
    }

    /// `aProcess priority: n`.
    pub(crate) fn set_priority(&mut self, p: Oop, priority: usize) -> Result<(), Halt> {
        let list = self.mem.heap.fetch(p, process::MY_LIST);
        let ready = list == self.run_queue(self.priority_of(p));
        self.mem.heap.store(p, process::PRIORITY, Oop::small_integer(priority as i64));
        if ready {
            self.unlist(p);
            self.make_ready(p);
        }
        self.preempt_if_outranked()
    }

    /// `aSemaphore signal`: the first waiting process becomes ready, or the
    /// signal is counted.
    pub(crate) fn signal_semaphore(&mut self, sem: Oop) -> Result<(), Halt> {
        let nil = self.mem.nil();
        let p = self.remove_first(sem);
        if p == nil {
            let excess = self.mem.heap.fetch(sem, semaphore::EXCESS_SIGNALS).to_small_integer().unwrap_or(0);
            self.mem.heap.store(sem, semaphore::EXCESS_SIGNALS, Oop::small_integer(excess.saturating_add(1)));
            return Ok(());
        }
        self.mem.heap.store(p, process::MY_LIST, nil);
        self.make_ready(p);
        self.preempt_if_outranked()
    }

    /// `aSemaphore wait`: takes an excess signal, or the running process
    /// waits in the Semaphore's list.
    pub(crate) fn wait_on_semaphore(&mut self, sem: Oop) -> Result<(), Halt> {
        let excess = self.mem.heap.fetch(sem, semaphore::EXCESS_SIGNALS).to_small_integer().unwrap_or(0);
        if excess > 0 {
            self.mem.heap.store(sem, semaphore::EXCESS_SIGNALS, Oop::small_integer(excess - 1));
            return Ok(());
        }
        let active = self.active_process();
        self.put_active_aside();
        self.add_last(sem, active);
        self.mem.heap.store(active, process::MY_LIST, sem);
        self.run_next()
    }

    // ----- timers -----

    /// Arms a timer that signals `sem` after `ms` milliseconds.
    pub(crate) fn add_timer(&mut self, sem: Oop, ms: u64) {
        let due = self.now_ms().saturating_add(ms);
        self.timers.push(Timer { due, semaphore: sem });
        self.timer_countdown = self.timer_countdown.clamp(1, TIMER_CHECK_INTERVAL);
    }

    /// Disarms the timers of `sem`.
    pub(crate) fn cancel_timers(&mut self, sem: Oop) {
        self.timers.retain(|t| t.semaphore != sem);
    }

    /// Signals the Semaphores of the timers that are due, earliest first.
    pub(crate) fn fire_due_timers(&mut self) -> Result<(), Halt> {
        let now = self.now_ms();
        loop {
            let due = self.timers.iter().enumerate().filter(|(_, t)| t.due <= now).min_by_key(|(_, t)| t.due);
            let Some((i, _)) = due else { return Ok(()) };
            let timer = self.timers.remove(i);
            self.signal_semaphore(timer.semaphore)?;
        }
    }

    /// Sleeps until the first timer is due (or a little while, so that an
    /// interrupt is seen), then fires the due timers.
    fn sleep_until_next_timer(&mut self) -> Result<(), Halt> {
        let first = self.timers.iter().map(|t| t.due).min().unwrap_or(0);
        let now = self.now_ms();
        if first > now {
            self.flush_stdout();
            std::thread::park_timeout(Duration::from_millis(first - now).min(LONGEST_SLEEP));
        }
        if self.interrupt.load(std::sync::atomic::Ordering::Relaxed) && self.take_interrupt() {
            return self.interrupted();
        }
        self.fire_due_timers()
    }

    /// Ctrl-C or SIGTERM, seen at a safe point or while no process runs.
    /// SIGTERM ends the evaluation. Ctrl-C sends `userInterrupt` to the
    /// running context, which signals a UserInterrupt there; while no
    /// process runs, the owner of the evaluation gets it where it waits.
    pub(crate) fn interrupted(&mut self) -> Result<(), Halt> {
        self.flush_stdout();
        if self.terminate.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Halt::Terminated);
        }
        let nil = self.mem.nil();
        if self.ctx == nil {
            let owner = self.owner();
            let woken = owner != nil && {
                self.unlist(owner);
                self.load_process(owner)
            };
            if !woken {
                self.write_stderr(b"Interrupted\n");
                return Err(Halt::Interrupted);
            }
        }
        if self.processor() == nil {
            // The library is still being built: no UserInterrupt yet.
            self.write_walkback_to_stderr("Interrupted");
            return Err(Halt::Interrupted);
        }
        self.save_registers();
        let ctx = self.ctx;
        self.vm_send(special::SELECTOR_USER_INTERRUPT, ctx, &[])
    }

    /// `Context>>privContinue`: the receiver, a sender of the running
    /// context, goes on from where it was interrupted, answering nothing.
    pub(crate) fn continue_context(&mut self, target: Oop) -> bool {
        let nil = self.mem.nil();
        let mut c = self.sender_of(self.ctx);
        while c != target {
            if c == nil {
                return false;
            }
            c = self.sender_of(c);
        }
        if !self.resume_context(target, nil) {
            return false;
        }
        self.pop_n(1);
        true
    }

    /// Before an image is written: the pending timers go into the heap with
    /// the time each has left.
    pub(crate) fn timers_to_heap(&mut self) -> Result<(), crate::VmError> {
        if self.timers.is_empty() {
            // Nothing new in the heap, so that saving twice gives the same bytes.
            let nil = self.mem.nil();
            self.mem.set_special_object(special::TIMERS, nil);
            return Ok(());
        }
        let now = self.now_ms();
        let mut pairs = Vec::with_capacity(self.timers.len() * 2);
        for t in &self.timers {
            pairs.push(t.semaphore);
            pairs.push(Oop::small_integer(t.due.saturating_sub(now) as i64));
        }
        let array = self.mem.new_array_from(&pairs)?;
        self.mem.set_special_object(special::TIMERS, array);
        Ok(())
    }

    /// After an image is written or booted: the timers it kept are armed
    /// again, with the time they had left.
    pub(crate) fn timers_from_heap(&mut self) {
        let nil = self.mem.nil();
        let array = self.mem.special_object(special::TIMERS);
        self.mem.set_special_object(special::TIMERS, nil);
        if array == nil || !self.mem.is_instance_of(array, KnownClass::Array) {
            return;
        }
        let now = self.now_ms();
        let mut timers = Vec::new();
        for i in (0..self.mem.heap.num_slots(array) / 2).map(|i| i * 2) {
            let sem = self.mem.heap.fetch(array, i);
            let left = self.mem.heap.fetch(array, i + 1).to_small_integer().unwrap_or(0).max(0) as u64;
            if self.is_semaphore(sem) {
                timers.push(Timer { due: now + left, semaphore: sem });
            }
        }
        self.timers = timers;
        self.timer_countdown = 1;
    }

    // ----- evaluations -----

    /// After an evaluation stopped with a Halt: the main process is the
    /// running one again, off every list, ready for the next evaluation.
    pub(crate) fn recover_main_process(&mut self) {
        let processor = self.processor();
        if processor == self.mem.nil() {
            return;
        }
        let main = self.mem.heap.fetch(processor, scheduler::MAIN_PROCESS);
        self.unlist(main);
        let nil = self.mem.nil();
        self.mem.heap.store(main, process::SUSPENDED_CONTEXT, nil);
        self.mem.heap.store(processor, scheduler::ACTIVE_PROCESS, main);
    }

    /// The main process of the world (nil before there is a scheduler).
    pub(crate) fn main_process(&self) -> Oop {
        let processor = self.processor();
        if processor == self.mem.nil() {
            processor
        } else {
            self.mem.heap.fetch(processor, scheduler::MAIN_PROCESS)
        }
    }

    /// Lets the other processes run after a program has ended: until none
    /// is ready, and when `drain_waits_for_timers` (a script) until no timer
    /// is pending either. The running process parks meanwhile.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn run_other_processes(&mut self) -> Result<(), Halt> {
        let nil = self.mem.nil();
        let processor = self.processor();
        if processor == nil || self.ctx != nil {
            return Ok(());
        }
        if self.highest_ready_priority() == 0 && (self.timers.is_empty() || !self.drain_waits_for_timers) {
            return Ok(());
        }
        let active = self.active_process();
        let parked = self.nil_returning_context()?;
        self.mem.heap.store(active, process::SUSPENDED_CONTEXT, parked);
        self.mem.heap.store(active, process::MY_LIST, processor);
        self.owners.push(active);
        let result = self.run_next().and_then(|()| self.interpret());
        self.owners.pop();
        self.ctx = nil;
        self.depth = 0;
        self.flush_stdout();
        if result.is_err() {
            self.recover_main_process();
        }
        result.map(|_| ())
    }

    /// `BlockClosure>>asContext`: a context that evaluates a block without
    /// arguments, with no sender.
    pub(crate) fn context_for_block(&mut self, closure_oop: Oop) -> Result<Oop, Halt> {
        let ctx = self.new_block_context(closure_oop)?;
        let nil = self.mem.nil();
        let heap = &mut self.mem.heap;
        let block = heap.fetch(closure_oop, crate::objects::layout::closure::COMPILED_BLOCK);
        let receiver = heap.fetch(closure_oop, crate::objects::layout::closure::RECEIVER);
        let first_copied = crate::objects::layout::closure::FIRST_COPIED;
        for i in 0..heap.num_slots(closure_oop) - first_copied {
            let value = heap.fetch(closure_oop, first_copied + i);
            heap.store(ctx, context::FIRST_TEMP + i, value);
        }
        let num_temps = crate::objects::layout::code::num_temps(self.code_header(block));
        let heap = &mut self.mem.heap;
        heap.store(ctx, context::SENDER, nil);
        heap.store(ctx, context::PC, Oop::small_integer(0));
        heap.store(ctx, context::STACKP, Oop::small_integer(num_temps as i64));
        heap.store(ctx, context::METHOD, block);
        heap.store(ctx, context::CLOSURE, closure_oop);
        heap.store(ctx, context::RECEIVER, receiver);
        Ok(ctx)
    }
}
