//! Criterion micro-benchmarks of the VM's inner costs:
//! `cargo bench -p smalt-vm --bench micro`.
//!
//! - `send`: a Smalltalk loop of 100,000 sends of a user-defined unary
//!   method, run by the interpreter in a bootstrapped world; the method is
//!   `^self`, a quick method answered without a context;
//! - `activation`: the same with a method (`^1`) that runs in a context of
//!   its own: a send, an activation and a return;
//! - `allocation`: 100,000 `Object new`-sized objects, from Smalltalk
//!   (`Array new: 2` in a loop) and straight from the heap (`Heap::allocate`,
//!   scavenging all-garbage eden whenever it asks to);
//! - `scavenge`: one scavenge of an eden holding 20,000 live objects (a
//!   linked list) and as many dead ones;
//! - `compaction`: one full mark-compact of an old space of 100,000
//!   objects of which every other one is live.
//!
//! The heap-level ones use a bare heap (no classes): class index 5 stands
//! for any pointer class, as in the heap's own unit tests.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use smalt_vm::heap::{Format, Heap, HeapConfig};
use smalt_vm::{Oop, Vm, VmOptions};
use std::hint::black_box;

const CLASS: u32 = 5;

const SOURCE: &str = "
Object subclass: MicroBench [
    MicroBench class >> sends: n [
        | b |
        b := self new.
        1 to: n do: [:i | b noop].
        ^n
    ]
    MicroBench class >> activations: n [
        | b |
        b := self new.
        1 to: n do: [:i | b one].
        ^n
    ]
    MicroBench class >> allocations: n [
        1 to: n do: [:i | Array new: 2].
        ^n
    ]
    noop [ ^self ]
    one [ ^1 ]
]
";

fn world() -> Vm {
    let mut vm = Vm::bootstrap(VmOptions::default()).expect("the world bootstraps");
    vm.file_in(SOURCE, "micro.st").expect("the benchmark class loads");
    vm
}

fn interpreter(c: &mut Criterion) {
    let mut vm = world();
    let mut group = c.benchmark_group("interpreter");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("send", |b| {
        b.iter(|| black_box(vm.evaluate("MicroBench sends: 100000", "bench").expect("runs")))
    });
    group.bench_function("activation", |b| {
        b.iter(|| black_box(vm.evaluate("MicroBench activations: 100000", "bench").expect("runs")))
    });
    group.bench_function("allocation", |b| {
        b.iter(|| black_box(vm.evaluate("MicroBench allocations: 100000", "bench").expect("runs")))
    });
    group.finish();
}

fn bare_heap() -> Heap {
    Heap::new(HeapConfig { max_heap: 1 << 30, ..HeapConfig::default() }).expect("a heap")
}

fn heap_allocation(c: &mut Criterion) {
    let mut heap = bare_heap();
    let mut roots: Vec<Oop> = Vec::new();
    let mut group = c.benchmark_group("heap");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("allocate", |b| {
        b.iter(|| {
            for _ in 0..100_000 {
                let oop = heap.allocate(CLASS, Format::Fixed, 2).expect("room");
                heap.store(oop, 0, Oop::small_integer(1));
                heap.store(oop, 1, Oop::small_integer(2));
                if heap.needs_collection() {
                    heap.scavenge(&mut roots);
                }
            }
        })
    });
    group.finish();
}

/// A fresh heap whose eden holds a list of `live` objects (the root) with
/// as many unreachable ones between them.
fn young_list(live: usize) -> (Heap, Vec<Oop>) {
    let mut heap = bare_heap();
    let mut head = Oop::small_integer(0);
    for i in 0..live {
        let node = heap.allocate(CLASS, Format::Fixed, 2).expect("room");
        heap.store(node, 0, head);
        heap.store(node, 1, Oop::small_integer(i as i64));
        let dead = heap.allocate(CLASS, Format::Fixed, 2).expect("room");
        heap.store(dead, 0, node);
        heap.store(dead, 1, Oop::small_integer(0));
        head = node;
    }
    (heap, vec![head])
}

/// A fresh heap whose old space holds `count` objects, every other one
/// on a list from the root and the rest unreachable.
fn old_list(count: usize) -> (Heap, Vec<Oop>) {
    let mut heap = bare_heap();
    let mut head = Oop::small_integer(0);
    for i in 0..count {
        let node = heap.allocate_old(CLASS, Format::Fixed, 2).expect("room");
        heap.store(node, 1, Oop::small_integer(i as i64));
        if i % 2 == 0 {
            heap.store(node, 0, head);
            head = node;
        } else {
            heap.store(node, 0, Oop::small_integer(0));
        }
    }
    (heap, vec![head])
}

fn collection(c: &mut Criterion) {
    let mut group = c.benchmark_group("gc");
    group.throughput(Throughput::Elements(20_000));
    group.bench_function("scavenge", |b| {
        b.iter_batched(
            || young_list(20_000),
            |(mut heap, mut roots)| {
                heap.scavenge(&mut roots);
                (heap, roots)
            },
            BatchSize::PerIteration,
        )
    });
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("compaction", |b| {
        b.iter_batched(
            || old_list(100_000),
            |(mut heap, mut roots)| {
                heap.full_collect(&mut roots);
                (heap, roots)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, interpreter, heap_allocation, collection);
criterion_main!(benches);
