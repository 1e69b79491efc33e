//! The object heap: one contiguous reservation holding every object.
//!
//! Owns object layout (headers, slots), allocation, the scavenger, the
//! mark-compact collector and the verifier. Knows nothing of bytecodes or of
//! what classes mean: a class is only an index in a header.
//!
//! # Spaces
//!
//! ```text
//!  0     8                       old_top          old_limit   nursery_start              end
//!  +-----+--------------------------+-----------------+--------+----------+----------+------+---------+
//!  |mark | old space (bump, sliding |  free: old space| tenure | survivor | survivor | eden | reserve |
//!  |word | mark-compact)            |  grows upward   |headroom|  space 0 |  space 1 |      |         |
//!  +-----+--------------------------+-----------------+--------+----------+----------+------+---------+
//!        ^ nil @8, false @24, true @40                         |<------------ the nursery ----------->|
//! ```
//!
//! * **Old space** starts at the base, so an image file maps straight onto it.
//!   Word 0 is a marker, never an object: no reference is ever offset 0. The
//!   bootstrap allocates `nil`, `false` and `true` first, so they sit at the
//!   fixed offsets [`NIL`], [`FALSE`] and [`TRUE`]. Old space is bump-allocated
//!   and always parseable from offset 8 to `old_top`: objects only ever die in
//!   place and are removed by the sliding compactor, never put on free lists.
//! * **The nursery** sits at the top of the reservation, so "is this object
//!   young?" is one comparison with `nursery_start`. New objects are bumped in
//!   eden; past eden's limit allocation continues in the reserve (and asks for
//!   a collection); past the reserve it continues in old space.
//! * **Survivor spaces**: one holds the survivors of the last scavenge (the
//!   "past" space), the other is empty and receives the next scavenge's.
//! * **Tenure headroom**: allocation stops (returns `None`) once old space
//!   reaches `old_limit`, one nursery's size below the nursery, so that the
//!   scavenger can always tenure every survivor without running out of room.
//!
//! Every object is `[overflow word]? header body...` with at least one body
//! word (see [`header`]). References are byte offsets of the header.
//!
//! # GC
//!
//! **GC happens only when the VM calls [`Heap::collect`] (or [`Heap::scavenge`],
//! [`Heap::full_collect`]) at a safe point; allocation never moves objects;
//! Rust code may hold raw `Oop`s between safe points but none across one.**
//! Every live reference at a safe point must therefore be in the heap or be
//! presented by the [`Roots`] passed to the collector, which updates it in
//! place. This rule is enforced here, by construction: no method of [`Heap`]
//! other than the collection entry points (and [`Heap::forward_references`])
//! moves or rewrites a reference, and those all take `&mut dyn Roots`.
//!
//! Policies, in one place:
//! * *Tenuring*: an object survives its first scavenge into a survivor space
//!   and is tenured to old space by its second (age is which space it is in,
//!   so the header needs no age bits); an object that does not fit in the
//!   survivor space is tenured at once.
//! * *Full collection*: when old space grows past `2 * last live size + 4 *
//!   eden`, or past the low-space line ([`Heap::low_space_line`]: 7/8 of
//!   `old_limit`, less on small heaps), or when the tenure headroom is
//!   entered.
//! * *Stress* ([`HeapConfig::gc_stress`]): `needs_collection` is always true;
//!   every `collect` scavenges and verifies the young part; every 100th
//!   (see [`Heap::set_stress_full_every`]), or every (old space / 4 KiB)th
//!   when that is more, runs a full collection and a full verification (or
//!   sooner, if old space passes its threshold). A failed
//!   verification in stress mode panics: it is a VM bug.
//!   Cost: a scavenge of a small nursery is a few microseconds; a full
//!   collection plus full verification of a 10 MB old space about 10 ms
//!   (release build), so 100k safe points over a 10 MB world take ~10 s and
//!   over a 2 MB world ~2 s. Raise the interval for long stress runs.

mod access;
mod alloc;
mod compact;
mod forward;
pub mod header;
mod layout;
pub mod oop;
pub mod region;
mod scavenge;
mod verify;

use std::time::Duration;

pub use header::{Format, Header};
pub use oop::Oop;
pub use region::{page_size, FileMapping, Near, RegionError};
pub use verify::{Problem, VerifyError};

use region::Region;

/// `nil`: the first object of old space.
pub const NIL: Oop = Oop::from_offset(8);
/// `false`: the second object of old space.
pub const FALSE: Oop = Oop::from_offset(24);
/// `true`: the third object of old space.
pub const TRUE: Oop = Oop::from_offset(40);

/// The class index [`Heap::class_index_of`] answers for a SmallInteger.
pub const SMALL_INTEGER_CLASS_INDEX: u32 = 1;
/// The class index [`Heap::class_index_of`] answers for a Character.
pub const CHARACTER_CLASS_INDEX: u32 = 2;
/// The class index [`Heap::class_index_of`] answers for an immediate Float:
/// that of Float itself, the class of boxed Floats too (the object layout
/// checks it is `KnownClass::Float`).
pub const FLOAT_CLASS_INDEX: u32 = 17;

/// What word 0 of the heap holds ("SMALTHP" + a layout version byte).
pub const HEAP_MARKER: u64 = u64::from_le_bytes(*b"SMALTHP\x01");

/// The largest `max_heap`: the address space every heap's region
/// reserves (32 GiB; see the region's "Masked access").
pub const MAX_HEAP: usize = region::SPAN;

/// How the heap is sized and how hard it collects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapConfig {
    /// Bytes the whole heap may use (default 4 GiB, at most [`MAX_HEAP`]).
    pub max_heap: usize,
    /// Bytes of eden (default 8 MiB); the reserve and each survivor space
    /// are a quarter of this.
    pub eden_bytes: usize,
    /// Collect at every safe point and verify (see the module docs).
    pub gc_stress: bool,
}

impl Default for HeapConfig {
    fn default() -> Self {
        HeapConfig { max_heap: 4 << 30, eden_bytes: 8 << 20, gc_stress: false }
    }
}

/// Why a heap could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeapError {
    /// The address space could not be reserved or the image not mapped.
    Region(RegionError),
    /// The configuration is unusable (named field, and why).
    BadConfig(&'static str),
}

impl std::fmt::Display for HeapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeapError::Region(e) => e.fmt(f),
            HeapError::BadConfig(why) => write!(f, "bad heap configuration: {why}"),
        }
    }
}

impl std::error::Error for HeapError {}

impl From<RegionError> for HeapError {
    fn from(e: RegionError) -> Self {
        HeapError::Region(e)
    }
}

/// Counters for tuning and for the `--stats` output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes of old space in use (live or not yet collected), marker included.
    pub old_used: usize,
    /// Bytes allocated in eden (and the reserve) since the last scavenge.
    pub eden_used: usize,
    /// Bytes in the survivor space holding the last scavenge's survivors.
    pub survivor_used: usize,
    /// How many scavenges have run (full collections' included).
    pub scavenges: u64,
    /// How many full collections have run.
    pub full_collections: u64,
    /// Total bytes copied from the nursery into old space.
    pub bytes_tenured: u64,
    /// Old space's size after the last full collection.
    pub last_live_bytes: usize,
    /// Time spent scavenging (full collections' scavenges included).
    pub scavenge_time: Duration,
    /// Time spent in full collections.
    pub full_collection_time: Duration,
}

/// The references the VM holds outside the heap: visited, and updated in
/// place, by every collection.
///
/// # GC
/// These are the *only* references outside the heap that survive a safe
/// point: an `Oop` kept anywhere else in Rust across a collection is stale.
pub trait Roots {
    /// Calls `visitor` once on every root slot; immediates may be included.
    fn visit(&mut self, visitor: &mut dyn FnMut(&mut Oop));
}

impl Roots for Vec<Oop> {
    fn visit(&mut self, visitor: &mut dyn FnMut(&mut Oop)) {
        self.iter_mut().for_each(visitor);
    }
}

impl Roots for () {
    fn visit(&mut self, _visitor: &mut dyn FnMut(&mut Oop)) {}
}

/// The object memory. See the module docs for its layout and GC rules.
pub struct Heap {
    region: Region,
    /// End of old space's objects; the next old allocation goes here.
    old_top: usize,
    /// Old allocation fails past this (the tenure headroom starts here).
    old_limit: usize,
    /// Old space growing past this asks for a full collection.
    old_threshold: usize,
    nursery_start: usize,
    survivor_bytes: usize,
    /// The survivor space holding the last scavenge's survivors.
    past_start: usize,
    past_top: usize,
    /// The empty survivor space the next scavenge copies into.
    future_start: usize,
    eden_start: usize,
    eden_top: usize,
    eden_limit: usize,
    reserve_limit: usize,
    /// Objects bigger than this (bytes) are allocated in old space.
    big_object_bytes: usize,
    /// Old objects that may refer to young ones; each has its remembered bit.
    remembered: Vec<Oop>,
    collection_requested: bool,
    gc_stress: bool,
    stress_full_every: u32,
    stress_count: u32,
    class_index_limit: u32,
    hash_state: u64,
    stats: HeapStats,
    /// The mark bitmap, kept between full collections to reuse its memory.
    mark_bits: Vec<u64>,
    /// The file the start of old space was mapped from, if any.
    base: Option<MappedBase>,
    /// Whether full collections keep the base's objects where they are.
    base_pinned: bool,
}

/// The file whose bytes the first `len` bytes of old space were mapped
/// from (an image's heap part), kept open so that its original bytes can be
/// read again after the private mapping has been written to.
///
/// While a base is set and pinned, a full collection neither moves nor
/// frees anything in `[0, len)`: the base's objects all count as live, and
/// only what lies above them is compacted. So the pages of the base stay
/// where they were and unwritten unless the program writes to them — which
/// keeps them shared between processes and keeps a delta image small. Its
/// dead objects cost no private memory (their pages are the file's) and go
/// at the next unpinned collection (a full image save).
#[derive(Debug)]
pub struct MappedBase {
    /// Where the base was found (absolute, for the delta that names it).
    pub path: std::path::PathBuf,
    /// The base file, open: the same file even if `path` is replaced.
    pub file: std::fs::File,
    /// Where old space starts in `file`.
    pub file_offset: u64,
    /// How many bytes of old space came from the file.
    pub len: usize,
    /// What the image code identifies the file by (opaque to the heap).
    pub identity: [u8; 32],
}

impl std::fmt::Debug for Heap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heap").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

const MIN_SPACE: usize = 16 << 10;

/// Old space this full, in eighths of its capacity, is nearly full
/// ([`Heap::low_space_line`]).
const LOW_SPACE_NUMERATOR: usize = 7;

impl Heap {
    /// Reserves a fresh, empty heap (only the marker word is written).
    pub fn new(config: HeapConfig) -> Result<Heap, HeapError> {
        Heap::with_file(config, None)
    }

    /// Reserves a heap and, if `image` is given, maps that file range over
    /// old space: the old space then holds `image.len` bytes of objects.
    /// The image code checks the file's contents; this only maps them.
    pub fn with_file(config: HeapConfig, image: Option<FileMapping>) -> Result<Heap, HeapError> {
        let eden = (config.eden_bytes.max(MIN_SPACE) + 4095) & !4095;
        let quarter = (eden / 4).max(MIN_SPACE);
        let nursery = eden + 3 * quarter;
        let max = (config.max_heap + 4095) & !4095;
        if max > MAX_HEAP {
            return Err(HeapError::BadConfig("max_heap is larger than 32 GiB, the most a heap may be"));
        }
        if max < 2 * nursery + (1 << 20) {
            return Err(HeapError::BadConfig(
                "max_heap must leave room for twice the nursery (eden_bytes * 1.75) plus 1 MiB",
            ));
        }
        let old_used = match image {
            Some(m) => {
                if m.len < 8 || m.len % 8 != 0 || m.len > max - 2 * nursery {
                    return Err(HeapError::BadConfig("image heap length does not fit the heap"));
                }
                m.len
            }
            None => 8,
        };
        let mut region = Region::reserve_with_file(max, image)?;
        let end = region.len();
        let nursery_start = end - nursery;
        if image.is_none() {
            region.write(0, HEAP_MARKER);
        }
        let mut heap = Heap {
            region,
            old_top: old_used,
            old_limit: nursery_start - nursery,
            old_threshold: 0,
            nursery_start,
            survivor_bytes: quarter,
            past_start: nursery_start,
            past_top: nursery_start,
            future_start: nursery_start + quarter,
            eden_start: nursery_start + 2 * quarter,
            eden_top: nursery_start + 2 * quarter,
            eden_limit: nursery_start + 2 * quarter + eden,
            reserve_limit: end,
            big_object_bytes: eden / 8,
            remembered: Vec::new(),
            collection_requested: false,
            gc_stress: config.gc_stress,
            stress_full_every: 100,
            stress_count: 0,
            class_index_limit: header::MAX_CLASS_INDEX,
            hash_state: 0x9E37_79B9_7F4A_7C15,
            stats: HeapStats::default(),
            mark_bits: Vec::new(),
            base: None,
            base_pinned: true,
        };
        heap.set_old_threshold();
        Ok(heap)
    }

    /// Records the file old space's start was mapped from (or forgets it).
    pub fn set_mapped_base(&mut self, base: Option<MappedBase>) {
        self.base = base;
    }

    /// The file old space's start was mapped from, if any.
    pub fn mapped_base(&self) -> Option<&MappedBase> {
        self.base.as_ref()
    }

    /// Whether full collections keep the mapped base in place (the default).
    /// A full image save turns this off for its collection, to compact all.
    pub fn set_base_pinned(&mut self, pinned: bool) {
        self.base_pinned = pinned;
    }

    /// Where full collections must not move anything below: the end of the
    /// mapped base while it is pinned, else 0.
    fn pinned_end(&self) -> usize {
        match &self.base {
            Some(base) if self.base_pinned => base.len.min(self.old_top),
            _ => 0,
        }
    }

    /// Maps `file` over old space from `offset` on (a page multiple; whole
    /// pages): the changed pages of a delta image over its base.
    pub fn overlay_file(&mut self, offset: usize, file: FileMapping) -> Result<(), HeapError> {
        if offset.saturating_add(file.len) > self.old_limit {
            return Err(HeapError::BadConfig("image heap length does not fit the heap"));
        }
        Ok(self.region.overlay_file(offset, file)?)
    }

    /// Old space's bytes from `offset` on, to be filled by the caller (the
    /// fallback for a delta whose pages cannot be mapped); at most up to
    /// the old-space limit.
    pub fn old_space_bytes_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], HeapError> {
        if offset.saturating_add(len) > self.old_limit {
            return Err(HeapError::BadConfig("image heap length does not fit the heap"));
        }
        Ok(&mut self.region.bytes_mut()[offset..offset + len])
    }

    /// Says that old space holds `len` bytes of objects (after a delta's
    /// pages were laid over its base).
    pub fn set_old_space_length(&mut self, len: usize) -> Result<(), HeapError> {
        if len < 8 || !len.is_multiple_of(8) || len > self.old_limit {
            return Err(HeapError::BadConfig("image heap length does not fit the heap"));
        }
        self.old_top = len;
        self.set_old_threshold();
        Ok(())
    }

    /// Where old space counts as nearly full: the VM signals OutOfMemory
    /// when a full collection leaves more than this alive. It is 7/8 of old
    /// space's capacity (`LOW_SPACE_NUMERATOR`), or less on a heap whose
    /// nursery is a large part of it: a full collection made at the line
    /// comes after a scavenge that may have tenured [`Heap::most_tenured`]
    /// bytes past it, and must still leave room for another such scavenge
    /// while the program handles the signal (allocation stops once a
    /// scavenge has tenured past `old_limit`).
    pub fn low_space_line(&self) -> usize {
        let eighths = self.old_limit / 8 * LOW_SPACE_NUMERATOR;
        eighths.min(self.old_limit.saturating_sub(2 * self.most_tenured()))
    }

    /// Below this, after a full collection, old space is no longer nearly
    /// full: 6/7 of the low-space line, so 3/4 of old space's capacity
    /// where the line is at 7/8. Between the two lines OutOfMemory is not
    /// signalled a second time.
    pub fn low_space_cleared_line(&self) -> usize {
        self.low_space_line() / LOW_SPACE_NUMERATOR * (LOW_SPACE_NUMERATOR - 1)
    }

    /// The most one scavenge can move into old space: everything in eden,
    /// its reserve and the past survivor space.
    pub fn most_tenured(&self) -> usize {
        self.reserve_limit - self.eden_start + self.survivor_bytes
    }

    /// The next full collection is due when old space grows past twice what
    /// the last one left plus four edens, or at the low-space line if that
    /// comes first, so that crossing the line is seen while there is room to
    /// handle it. A heap living just below the line is given an eden's worth
    /// of growth past it where the heap is big enough for that (see
    /// [`Heap::low_space_line`]), so that it does not collect over and over.
    /// Once past the line (OutOfMemory has been signalled), the next is due
    /// at the latest when old space is full.
    fn set_old_threshold(&mut self) {
        let eden = self.eden_limit - self.eden_start;
        let mut threshold = 2 * self.old_top + 4 * eden;
        let line = self.low_space_line();
        if self.old_top < line {
            let latest = self.old_limit.saturating_sub(2 * self.most_tenured());
            threshold = threshold.min(line.max(self.old_top + eden).min(latest));
        }
        self.old_threshold = threshold.min(self.old_limit);
        self.stats.last_live_bytes = self.old_top;
    }

    /// Asks for a collection at the next safe point, as a full eden does.
    pub fn request_collection(&mut self) {
        self.collection_requested = true;
    }

    /// Whether the VM should call [`Heap::collect`] at its next safe point.
    /// Cheap: one flag.
    #[inline]
    pub fn needs_collection(&self) -> bool {
        self.collection_requested || self.gc_stress
    }

    /// In stress mode, run a full collection every `n`th `collect` (n >= 1).
    pub fn set_stress_full_every(&mut self, n: u32) {
        self.stress_full_every = n.max(1);
    }

    /// The largest class index the verifier accepts.
    pub fn set_class_index_limit(&mut self, n: u32) {
        self.class_index_limit = n.min(header::MAX_CLASS_INDEX);
    }

    /// Does what [`Heap::needs_collection`] asked for: a scavenge, then a
    /// full collection if old space has grown well past its last live size.
    ///
    /// # GC
    /// Moves objects: every `Oop` not in the heap or in `roots` is stale after.
    pub fn collect(&mut self, roots: &mut dyn Roots) {
        if self.gc_stress {
            self.stress_count += 1;
            // A full collection costs in proportion to old space, so a big
            // old space is fully collected less often (one per 4 KiB of it
            // at least), keeping a stress run linear in its length.
            let every = self.stress_full_every.max((self.old_top / (4 << 10)) as u32);
            if self.stress_count >= every || self.old_top > self.old_threshold {
                self.stress_count = 0;
                self.full_collect(roots);
                if let Err(e) = self.verify(roots) {
                    panic!("heap verification failed after a stress full collection: {e}");
                }
            } else {
                self.scavenge(roots);
                if let Err(e) = self.verify_young(roots) {
                    panic!("heap verification failed after a stress scavenge: {e}");
                }
            }
            return;
        }
        self.scavenge(roots);
        if self.old_top > self.old_threshold {
            self.full_collect(roots);
        }
    }

    /// The most bytes old space can hold (it may not grow past this).
    pub fn old_space_capacity(&self) -> usize {
        self.old_limit
    }

    /// Counters so far.
    pub fn stats(&self) -> HeapStats {
        HeapStats {
            old_used: self.old_top,
            eden_used: self.eden_top - self.eden_start,
            survivor_used: self.past_top - self.past_start,
            ..self.stats.clone()
        }
    }

    /// Reserves a heap whose old space is a copy of `old_space` (as
    /// [`Heap::old_space_bytes`] gave it): for a world embedded in the
    /// executable, which has no file to map.
    pub fn with_bytes(config: HeapConfig, old_space: &[u8]) -> Result<Heap, HeapError> {
        let mut heap = Heap::with_file(config, None)?;
        if old_space.len() < 8 || !old_space.len().is_multiple_of(8) || old_space.len() > heap.old_limit {
            return Err(HeapError::BadConfig("image heap length does not fit the heap"));
        }
        heap.region.bytes_mut()[..old_space.len()].copy_from_slice(old_space);
        heap.old_top = old_space.len();
        heap.set_old_threshold();
        Ok(heap)
    }

    /// The bytes of old space (marker word included) as they lie in memory:
    /// exactly what an image file stores, and what [`Heap::with_file`] maps
    /// back. Save it only right after [`Heap::full_collect`]: then the nursery
    /// is empty and no header carries the remembered bit, which a booted heap
    /// (whose remembered set starts empty) relies on.
    pub fn old_space_bytes(&self) -> &[u8] {
        &self.region.bytes()[..self.old_top]
    }

    /// The next identity hash: 22 nonzero bits. A Weyl sequence (a running
    /// sum of 2^64 divided by the golden ratio) through one
    /// multiply-xorshift round: an add, a multiply and two shifts per
    /// allocation. The raw sequence alone is evenly spread, but the objects
    /// a program keeps are every k-th allocation (contexts take hashes
    /// too), and HashedCollection's linear probing from `hash \\ size`
    /// clustered badly on such strides (up to 23 probes an insert at three
    /// quarters full, against 3 with the round).
    #[inline(always)]
    fn next_hash(&mut self) -> u32 {
        self.hash_state = self.hash_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = self.hash_state;
        let z = (z ^ (z >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let h = ((z ^ (z >> 32)) >> (64 - 22)) as u32;
        debug_assert!(h <= header::HASH_MASK);
        h.max(1)
    }
}

/// Helpers shared by the unit tests of every heap module.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A small heap with nil, false and true in place (class index 3).
    pub fn small_heap() -> Heap {
        heap_with(HeapConfig { max_heap: 64 << 20, eden_bytes: 256 << 10, gc_stress: false })
    }

    pub fn heap_with(config: HeapConfig) -> Heap {
        let mut heap = Heap::new(config).expect("heap");
        for expected in [NIL, FALSE, TRUE] {
            let oop = heap.allocate_old(3, Format::Empty, 0).expect("room");
            assert_eq!(oop, expected);
        }
        heap
    }

    pub fn check(heap: &Heap, roots: &mut Vec<Oop>) {
        if let Err(e) = heap.verify(roots) {
            panic!("verify: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{check, heap_with, small_heap};
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_heap_larger_than_the_reserved_span_is_refused() {
        let config = HeapConfig { max_heap: MAX_HEAP + 4096, ..HeapConfig::default() };
        let error = Heap::new(config).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("larger than 32 GiB"), "{error}");
        let largest = HeapConfig { max_heap: MAX_HEAP, ..HeapConfig::default() };
        assert!(Heap::new(largest).is_ok());
    }

    #[test]
    fn old_space_maps_back_from_a_file_at_the_same_offsets() {
        let mut heap = small_heap();
        let a = heap.allocate_old(7, Format::Fixed, 2).expect("room");
        let s = heap.allocate_bytes(8, b"saved").expect("room");
        heap.store(a, 0, s);
        heap.store(a, 1, TRUE);
        let mut roots = vec![a];
        heap.full_collect(&mut roots);
        let (a, s) = (roots[0], heap.fetch(roots[0], 0));
        let hash = heap.identity_hash(s);
        let path = std::env::temp_dir().join(format!("smalt-heap-{}.img", std::process::id()));
        let page = vec![0u8; 4096]; // stands in for the image header page
        let mut file = std::fs::File::create(&path).expect("create");
        file.write_all(&page).expect("write");
        file.write_all(heap.old_space_bytes()).expect("write");
        drop(file);
        let file = std::fs::File::open(&path).expect("open");
        let len = heap.stats().old_used;
        let map = FileMapping { fd: file.as_raw_fd(), file_offset: 4096, len };
        let config = HeapConfig { max_heap: 64 << 20, eden_bytes: 256 << 10, gc_stress: false };
        let mut booted = Heap::with_file(config, Some(map)).expect("boot");
        drop(file);
        let _ = std::fs::remove_file(&path);
        let mut roots = vec![a];
        check(&booted, &mut roots);
        assert_eq!(booted.bytes(booted.fetch(a, 0)), b"saved");
        assert_eq!(booted.identity_hash(s), hash);
        assert_eq!(booted.fetch(a, 1), TRUE);
        let young = booted.allocate(9, Format::Fixed, 1).expect("room");
        booted.store(a, 1, young);
        booted.full_collect(&mut roots);
        check(&booted, &mut roots);
        assert_eq!(booted.stats().old_used, len + 16);
    }

    #[test]
    fn a_filling_heap_is_fully_collected_past_the_low_space_line_with_room_left() {
        // Objects kept as they are made: the scavenger tenures the young
        // ones. A full collection must find old space past the line while
        // another scavenge's worth is still free below old_limit, also on
        // heaps whose nursery is a large part of them and when what is kept
        // already sits just below the line.
        for (max_heap, eden_bytes) in [(64 << 20, 256 << 10), (64 << 20, 4 << 20), (16 << 20, 1 << 20)] {
            for slots in [1000, 20000] {
                let mut heap = heap_with(HeapConfig { max_heap, eden_bytes, gc_stress: false });
                let mut roots: Vec<Oop> = Vec::new();
                loop {
                    let kept = heap.allocate(7, Format::Indexable, slots);
                    roots.push(kept.expect("old space filled before a full collection found it nearly full"));
                    if heap.needs_collection() {
                        let full = heap.stats().full_collections;
                        heap.collect(&mut roots);
                        let live = heap.stats().last_live_bytes;
                        if heap.stats().full_collections > full && live > heap.low_space_line() {
                            let free = heap.old_space_capacity() - live;
                            assert!(free >= heap.most_tenured(), "{max_heap} {eden_bytes} {slots}: {free} free");
                            break;
                        }
                    }
                }
                check(&heap, &mut roots);
            }
        }
    }

    #[test]
    fn the_low_space_lines_keep_their_order_on_every_heap() {
        for (max_heap, eden_bytes) in [(16 << 20, 1 << 20), (64 << 20, 4 << 20), (4 << 30, 8 << 20)] {
            let heap = heap_with(HeapConfig { max_heap, eden_bytes, gc_stress: false });
            let (line, cleared) = (heap.low_space_line(), heap.low_space_cleared_line());
            assert!(0 < cleared && cleared < line && line <= heap.old_space_capacity() / 8 * 7, "{max_heap}");
            assert!(line + 2 * heap.most_tenured() <= heap.old_space_capacity(), "{max_heap}");
        }
    }

    /// A random object graph, mutated and collected at random, must keep
    /// exactly the shape a plain Rust model of it has.
    #[test]
    fn random_graphs_survive_every_kind_of_collection() {
        const ROOTS: usize = 40;
        const REFS: usize = 3;
        let mut heap = heap_with(HeapConfig { max_heap: 64 << 20, eden_bytes: 64 << 10, gc_stress: false });
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        // model[id] = the ids slots 1..=REFS refer to.
        let mut model: Vec<[Option<usize>; REFS]> = Vec::new();
        let mut model_roots: Vec<Option<usize>> = vec![None; ROOTS];
        let mut roots: Vec<Oop> = vec![NIL; ROOTS];
        let id_of = |heap: &Heap, o: Oop| heap.fetch(o, 0).as_small_integer() as usize;
        for step in 0..20_000 {
            let i = rand(ROOTS);
            let j = rand(ROOTS);
            match rand(10) {
                0..=2 => {
                    let slots = [REFS + 1, REFS + 1, REFS + 1, 300][rand(4)];
                    let format = [Format::Fixed, Format::Indexable][rand(2)];
                    let o = if rand(5) == 0 {
                        heap.allocate_old(9, format, slots)
                    } else {
                        heap.allocate(9, format, slots)
                    }
                    .expect("room");
                    heap.store(o, 0, Oop::small_integer(model.len() as i64));
                    model.push([None; REFS]);
                    roots[i] = o;
                    model_roots[i] = Some(model.len() - 1);
                }
                3..=6 => {
                    if let Some(holder) = model_roots[i] {
                        let k = rand(REFS);
                        heap.store(roots[i], 1 + k, roots[j]);
                        model[holder][k] = model_roots[j];
                    }
                }
                7..=8 => {
                    if let Some(holder) = model_roots[i] {
                        let k = rand(REFS);
                        let target = heap.fetch(roots[i], 1 + k);
                        roots[j] = target;
                        model_roots[j] = model[holder][k];
                    }
                }
                _ => {
                    roots[i] = NIL;
                    model_roots[i] = None;
                }
            }
            if step % 97 == 0 {
                heap.scavenge(&mut roots);
            } else if step % 1013 == 0 {
                heap.full_collect(&mut roots);
            } else if heap.needs_collection() {
                heap.collect(&mut roots);
            }
            if step % 500 == 0 {
                check(&heap, &mut roots);
                // Compare everything reachable, breadth first.
                let mut seen = std::collections::HashSet::new();
                let mut queue: Vec<(Oop, usize)> =
                    roots.iter().zip(&model_roots).filter_map(|(&o, &m)| m.map(|m| (o, m))).collect();
                while let Some((o, id)) = queue.pop() {
                    assert_eq!(id_of(&heap, o), id);
                    if !seen.insert(id) {
                        continue;
                    }
                    for (k, &expected) in model[id].iter().enumerate() {
                        let target = heap.fetch(o, 1 + k);
                        match expected {
                            Some(t) => queue.push((target, t)),
                            None => assert_eq!(target, NIL),
                        }
                    }
                }
            }
        }
        assert!(heap.stats().scavenges > 200 && heap.stats().full_collections >= 19);
    }
}
