//! The interpreter: the VM's registers, the bytecode loop, sends, returns,
//! and garbage collection at safe points.
//!
//! # GC safety
//!
//! Collection happens only in `Vm::collect_garbage`, called at safe points:
//! method and block activation and backward jumps (and the few primitives that
//! say so). Allocation never collects. So Rust code may hold raw Oops between
//! safe points but never across one: before a collection the registers are
//! stored into the active context, which is saved in the special-objects
//! array, and afterwards everything is reloaded from there.

mod execute;
mod frame;
mod process;
mod returns;
mod send;
mod walkback;

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::heap::{Heap, HeapConfig, Oop, Roots};
use crate::objects::layout::special;
use crate::objects::memory::ObjectMemory;
use crate::VmError;

pub use send::MethodCache;

/// Why an evaluation stopped before its code returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// An exception nobody handled; its report was already written to stderr.
    Unhandled,
    /// `Smalltalk exit: status`.
    Exit(i32),
    /// A failure of the VM itself.
    Vm(VmError),
    /// Ctrl-C raised a UserInterrupt nobody handled; its walkback was
    /// written to stderr.
    Interrupted,
    /// SIGTERM: the program is to run its shut-down list and end.
    Terminated,
    /// The process running the evaluation waits (or is suspended) and no
    /// other process or timer can ever wake it; the walkback of where it
    /// waits was written to stderr.
    Deadlock,
}

impl From<VmError> for Halt {
    fn from(e: VmError) -> Halt {
        Halt::Vm(e)
    }
}

/// Settings fixed when a VM starts.
#[derive(Debug, Clone)]
pub struct VmOptions {
    pub heap: HeapConfig,
    /// The deepest call chain allowed before `recursionTooDeep` is sent.
    pub max_depth: usize,
    /// The program's arguments (`Smalltalk arguments`).
    pub arguments: Vec<String>,
}

impl Default for VmOptions {
    fn default() -> VmOptions {
        VmOptions { heap: heap_config_from_env(), max_depth: 1_000_000, arguments: Vec::new() }
    }
}

/// The default heap settings, with `SMALT_GC_STRESS` (set and not `0`)
/// switching on the stress mode: a collection at every safe point, moving
/// every young survivor, with the heap verified after each.
pub fn heap_config_from_env() -> HeapConfig {
    let stress = std::env::var("SMALT_GC_STRESS").is_ok_and(|v| !v.is_empty() && v != "0");
    HeapConfig { gc_stress: stress, ..HeapConfig::default() }
}

/// The most bytes of stderr kept by [`Vm::start_stderr_copy`].
const STDERR_COPY_LIMIT: usize = 64 << 10;

/// A session id unlikely to repeat: the clock and the process id, mixed
/// (splitmix64), kept within SmallInteger range.
fn new_session_id() -> i64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos ^ (u64::from(std::process::id()) << 32);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 4) as i64
}

/// A running Smalltalk world.
pub struct Vm {
    pub mem: ObjectMemory,
    /// The active context and its cached registers.
    pub(crate) ctx: Oop,
    pub(crate) method: Oop,
    pub(crate) receiver: Oop,
    /// Offset of the next bytecode from the first one.
    pub(crate) ip: usize,
    /// Used indexed slots of the active context (temps, then the stack).
    pub(crate) sp: usize,
    /// Heap offset of the active method's first bytecode (recomputed
    /// whenever a context is loaded, so also after every collection).
    pub(crate) code_base: usize,
    /// How many contexts the chain from the active one down has.
    pub(crate) depth: usize,
    /// The depth at which `recursionTooDeep` is sent next.
    pub(crate) depth_limit: usize,
    pub(crate) cache: MethodCache,
    /// Contexts of evaluations suspended under a nested one (fileIn). GC roots.
    pub(crate) suspended: Vec<Oop>,
    /// The owner process of each evaluation running, innermost last (see
    /// `process`). GC roots.
    pub(crate) owners: Vec<Oop>,
    /// Pending timers. Their Semaphores are GC roots.
    pub(crate) timers: Vec<process::Timer>,
    /// Safe points left until the clock is read for the timers.
    pub(crate) timer_countdown: u32,
    /// Whether the processes left when a program ends are waited for while
    /// only a timer can wake them (a script), or not (the REPL).
    pub drain_waits_for_timers: bool,
    /// OutOfMemory was signalled and old space has not shrunk since.
    low_space_signalled: bool,
    /// OutOfMemory is to be signalled at the next safe point.
    pub(crate) low_space_pending: bool,
    /// A number new in every process that runs a world (`Smalltalk
    /// sessionId`): a handle to something outside the heap records it, and
    /// after an image is booted elsewhere it no longer matches.
    pub(crate) session_id: i64,
    pub options: VmOptions,
    /// When the VM started: the epoch of `Time millisecondClockValue`.
    pub(crate) clock_start: std::time::Instant,
    pub(crate) stdout: io::BufWriter<io::Stdout>,
    /// Whether stdout is a terminal: then each line is written at once, as
    /// it is made; to a pipe or a file, output is written in blocks.
    stdout_is_terminal: bool,
    /// While set, a copy of what is written to stderr (the REPL's `:bt`).
    stderr_copy: Option<Vec<u8>>,
    /// The files Smalltalk has open (`prims::file`).
    pub(crate) open_files: crate::prims::file::OpenFiles,
    /// Set from another thread (a signal handler) to interrupt the running
    /// code at its next safe point.
    pub(crate) interrupt: Arc<AtomicBool>,
    /// Set with `interrupt` when the interruption is SIGTERM.
    pub(crate) terminate: Arc<AtomicBool>,
}

struct VmRoots<'a> {
    special: &'a mut Oop,
    suspended: &'a mut Vec<Oop>,
    owners: &'a mut Vec<Oop>,
    timers: &'a mut Vec<process::Timer>,
}

impl Roots for VmRoots<'_> {
    fn visit(&mut self, visitor: &mut dyn FnMut(&mut Oop)) {
        visitor(self.special);
        for oop in self.suspended.iter_mut().chain(self.owners.iter_mut()) {
            visitor(oop);
        }
        for timer in self.timers.iter_mut() {
            visitor(&mut timer.semaphore);
        }
    }
}

impl Vm {
    /// A VM over an empty heap (the bootstrap fills it).
    pub(crate) fn with_heap(options: VmOptions) -> Result<Vm, VmError> {
        let heap = Heap::new(options.heap.clone()).map_err(|e| VmError::Heap(e.to_string()))?;
        Ok(Vm::with_existing_heap(heap, options))
    }

    /// A VM over a heap made elsewhere (a booted image); the special-objects
    /// array is set by the caller.
    pub(crate) fn with_existing_heap(heap: Heap, options: VmOptions) -> Vm {
        let nil = crate::heap::NIL;
        let depth_limit = options.max_depth;
        Vm {
            mem: ObjectMemory { heap, special: nil, pending_forwards: Vec::new(), reshaped_classes: Vec::new() },
            ctx: nil,
            method: nil,
            receiver: nil,
            ip: 0,
            sp: 0,
            code_base: 0,
            depth: 0,
            depth_limit,
            cache: MethodCache::new(),
            suspended: Vec::new(),
            owners: Vec::new(),
            timers: Vec::new(),
            timer_countdown: process::TIMER_CHECK_INTERVAL,
            drain_waits_for_timers: true,
            low_space_signalled: false,
            low_space_pending: false,
            session_id: new_session_id(),
            options,
            clock_start: std::time::Instant::now(),
            stdout: io::BufWriter::with_capacity(1 << 16, io::stdout()),
            stdout_is_terminal: io::IsTerminal::is_terminal(&io::stdout()),
            stderr_copy: None,
            open_files: Default::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
            terminate: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A full or young collection as the heap asks, at a safe point.
    ///
    /// # GC
    /// Moves objects: every Oop held in a Rust local is stale afterwards.
    pub(crate) fn collect_garbage(&mut self) {
        let full_collections = self.mem.heap.stats().full_collections;
        self.with_vm_roots(|heap, roots| heap.collect(roots));
        if self.mem.heap.stats().full_collections != full_collections {
            self.check_low_space();
        }
    }

    /// A full collection with compaction.
    ///
    /// # GC
    /// Moves objects, as [`Vm::collect_garbage`].
    pub(crate) fn full_garbage_collect(&mut self) {
        self.with_vm_roots(|heap, roots| heap.full_collect(roots));
        self.check_low_space();
        if self.low_space_pending {
            // Called outside a safe point (`Smalltalk garbageCollect`, a
            // failed allocation's retry): the next context entered stops at
            // one, which delivers OutOfMemory while the code that asked is
            // still running, inside its handler. The loop's own entries look
            // only for a collection wanted.
            self.mem.heap.request_collection();
        }
    }

    /// After a full collection: when what survived is past the heap's
    /// low-space line, OutOfMemory is signalled (once) at the next safe
    /// point, while the rest is still free for handling it; below the
    /// cleared line it may be signalled again.
    fn check_low_space(&mut self) {
        let live = self.mem.heap.stats().last_live_bytes;
        if live > self.mem.heap.low_space_line() {
            if !self.low_space_signalled {
                self.low_space_signalled = true;
                self.low_space_pending = true;
            }
        } else if live < self.mem.heap.low_space_cleared_line() {
            self.low_space_signalled = false;
        }
    }

    /// Carries out the one-way becomes a class redefinition asked for.
    pub(crate) fn apply_pending_forwards(&mut self) {
        if self.mem.pending_forwards.is_empty() {
            return;
        }
        let pairs = std::mem::take(&mut self.mem.pending_forwards);
        self.with_vm_roots(|heap, roots| heap.forward_references(roots, &pairs));
    }

    /// Runs `step` (a collection, or a rewrite of references) over the heap
    /// with every root the VM holds; the registers are stored before and
    /// reloaded after, as the step may move the active context.
    fn with_vm_roots(&mut self, step: impl FnOnce(&mut Heap, &mut VmRoots<'_>)) {
        self.before_gc();
        let mut roots = VmRoots {
            special: &mut self.mem.special,
            suspended: &mut self.suspended,
            owners: &mut self.owners,
            timers: &mut self.timers,
        };
        step(&mut self.mem.heap, &mut roots);
        self.after_gc();
    }

    fn before_gc(&mut self) {
        if self.ctx != crate::heap::NIL {
            self.save_registers();
        }
        let ctx = self.ctx;
        self.mem.set_special_object(special::ACTIVE_CONTEXT, ctx);
    }

    fn after_gc(&mut self) {
        let ctx = self.mem.special_object(special::ACTIVE_CONTEXT);
        let nil = self.mem.nil();
        self.mem.set_special_object(special::ACTIVE_CONTEXT, nil);
        self.cache.invalidate();
        if ctx == nil {
            self.ctx = nil;
        } else {
            self.load_context(ctx);
        }
    }

    /// A flag that, once set (from any thread, e.g. on Ctrl-C), stops the
    /// running evaluation at its next safe point with [`Halt::Interrupted`].
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// A flag that, set together with the interrupt flag (on SIGTERM),
    /// stops the program at its next safe point with [`Halt::Terminated`].
    pub fn terminate_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.terminate)
    }

    /// Whether an interrupt is pending; clears it.
    pub(crate) fn take_interrupt(&self) -> bool {
        self.interrupt.swap(false, Ordering::Relaxed)
    }

    /// Writes bytes to standard output, in order with what Smalltalk writes there.
    pub fn write_stdout(&mut self, bytes: &[u8]) {
        let _ = self.stdout.write_all(bytes);
        if self.stdout_is_terminal && bytes.contains(&b'\n') {
            let _ = self.stdout.flush();
        }
    }

    /// Writes bytes to standard error, after what is pending on stdout;
    /// keeps a copy (the last 64 KiB, `STDERR_COPY_LIMIT`) while one is
    /// asked for.
    pub fn write_stderr(&mut self, bytes: &[u8]) {
        self.flush_stdout();
        let _ = io::stderr().write_all(bytes);
        if let Some(copy) = &mut self.stderr_copy {
            copy.extend_from_slice(bytes);
            if copy.len() > STDERR_COPY_LIMIT {
                copy.drain(..copy.len() - STDERR_COPY_LIMIT);
            }
        }
    }

    /// Starts keeping a copy of what Smalltalk writes to stderr.
    pub fn start_stderr_copy(&mut self) {
        self.stderr_copy = Some(Vec::new());
    }

    /// What was written to stderr since [`Vm::start_stderr_copy`]; stops
    /// keeping a copy.
    pub fn take_stderr_copy(&mut self) -> String {
        String::from_utf8_lossy(&self.stderr_copy.take().unwrap_or_default()).into_owned()
    }

    /// Writes pending stdout bytes.
    pub fn flush_stdout(&mut self) {
        let _ = self.stdout.flush();
    }
}

#[cfg(test)]
mod tests {
    use crate::heap::{Format, NIL};
    use crate::objects::layout::KnownClass;
    use crate::prims::integer::tests::test_vm;

    #[test]
    fn a_full_collection_outside_a_safe_point_that_finds_low_space_stops_at_the_next_entry() {
        // `Smalltalk garbageCollect` runs in a primitive: OutOfMemory waits
        // for a safe point, and the loop's entries look only for a wanted
        // collection, so the collection must ask for one.
        let mut vm = test_vm();
        vm.ctx = NIL;
        vm.full_garbage_collect();
        assert!(!vm.low_space_pending && !vm.loop_entry_checks_needed());
        // Kept through a root list of the VM's.
        let slots = vm.mem.heap.low_space_line() / 8;
        let big = vm.mem.allocate(KnownClass::Array, Format::Indexable, slots).expect("room");
        vm.owners.push(big);
        vm.full_garbage_collect();
        assert!(vm.low_space_pending && vm.loop_entry_checks_needed());
    }
}
