//! The heap's address-space reservation: the one module of Smalt with `unsafe`.
//!
//! A [`Region`] owns one contiguous mapping of `len` bytes and hands it out
//! as ordinary Rust slices (`&[u64]`, `&mut [u8]`, ...) borrowed from the
//! region itself, so such an access is bounds-checked by the slice and the
//! borrow checker rules out aliasing. It knows nothing of objects.
//!
//! # Masked access
//!
//! The single words and bytes the interpreter and the collectors read and
//! write by index ([`Region::word`], [`Region::set_word`], [`Region::byte`],
//! [`Region::read`], [`Region::write`]) are not bounds-checked: the mapping
//! reserves [`SPAN`] bytes (32 GiB, a power of two) and a guard page
//! whatever `len` is, and the index is masked to the span, so that every
//! index, right or wrong, lands inside the mapping. An index past `len` is
//! a bug in the caller: debug builds (and so the tests) panic on it; a
//! release build reads or writes some other word of the mapping, which is
//! wrong but memory-safe. A [`Near`] offset, masked once, reads the bytes
//! just after it with no mask of their own (the guard page is for them):
//! the bytecode loop masks once per instruction, not once per byte. The
//! mapping past `len` is never used otherwise and, untouched, costs
//! nothing. Together these made the benchmarks about 9% faster than
//! bounds-checked slices (PERFORMANCE.md, item 42).
//!
//! # Mapping policy
//!
//! The whole reservation is mapped read-write at once with
//! `MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE`. Linux backs pages lazily
//! (zero-filled on first touch) and, with `MAP_NORESERVE`, charges no swap for
//! the untouched part, so the 32 GiB reservation costs nothing until it is used.
//! Mapping everything readable is what lets the region expose the heap as
//! one slice: there is no uncommitted hole that a bounds-checked offset
//! could still fall into; and what lets a masked index land anywhere in
//! the span. (A system with strict overcommit,
//! `vm.overcommit_memory = 2`, or a limit below 32 GiB on the address
//! space or the data size, `ulimit -v` or `ulimit -d`, refuses the
//! reservation whatever `max_heap` is: Smalt needs the kernel's default,
//! heuristic overcommit and no such limit.) [`Region::discard`]
//! gives pages back to the kernel after a full collection shrinks the old
//! space.
//!
//! ```text
//!  base (page-aligned)                    base + len       base + SPAN + GUARD
//!  |<------------- the heap: len -------->|<--- never used --->|
//!  [ file pages, MAP_PRIVATE|MAP_FIXED ][ anonymous ...        ]
//!  |<--- FileMapping::len, rounded ---->|
//!  |<--------------------- one mapping ----------------------->|
//! ```
//!
//! An image boots by passing a [`FileMapping`]: its heap part is then mapped
//! over the start of the reservation, copy-on-write, so the pages stay shared
//! with every other process booted from the same file until written.
//!
//! A file mapping keeps the usual caveat of every `mmap`: if another process
//! truncates the file while it is mapped, touching a vanished page raises
//! `SIGBUS`. Image files are written beside their target and renamed into
//! place, never truncated in place, so a running image never sees that.

use std::fmt;
use std::os::fd::RawFd;
use std::ptr::NonNull;

/// A file range to map copy-on-write at the start of a new region.
#[derive(Debug, Clone, Copy)]
pub struct FileMapping {
    /// An open, readable file descriptor; the region does not close it.
    pub fd: RawFd,
    /// Where the heap part starts in the file; a multiple of the page size.
    pub file_offset: u64,
    /// How many bytes of heap the file holds; at most the region's length.
    pub len: usize,
}

/// Why a region could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionError {
    /// The kernel refused the reservation (`errno` given).
    Reserve { bytes: usize, errno: i32 },
    /// The file could not be mapped over the reservation (`errno` given).
    MapFile { errno: i32 },
    /// The file mapping does not fit: bad alignment, longer than the region,
    /// or the file is shorter than `file_offset + len`.
    BadFileRange(&'static str),
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::Reserve { bytes, errno } => write!(
                f,
                "could not reserve {bytes} bytes of address space (errno {errno}); \
                 every heap reserves 32 GiB of it, whatever its size: is the \
                 process's address space or data size limited (ulimit -v, ulimit -d)?"
            ),
            RegionError::MapFile { errno } => {
                write!(f, "could not map the image file into the heap (errno {errno})")
            }
            RegionError::BadFileRange(why) => write!(f, "image heap range is unusable: {why}"),
        }
    }
}

impl std::error::Error for RegionError {}

/// What a masked offset is masked to: 32 GiB of address space, reserved
/// (not committed) for every region, and so the largest heap Smalt makes.
pub const SPAN: usize = 1 << 35;
/// Bytes mapped past the span, so that a masked offset plus less than this
/// is still inside the mapping ([`Near`]).
const GUARD: usize = 4096;
const WORD_MASK: usize = SPAN / 8 - 1;
const BYTE_MASK: usize = SPAN - 1;

/// A byte offset masked into the span: it and the `GUARD` bytes after it
/// are inside the mapping, so reading a few bytes on from it
/// ([`Region::byte_near`]) needs no mask of its own. The bytecode loop
/// makes one for each instruction and reads its operands from it.
#[derive(Debug, Clone, Copy)]
pub struct Near(usize);

/// One contiguous, readable and writable mapping, accessed through slices
/// and masked indices.
pub struct Region {
    base: NonNull<u64>,
    /// The usable length in bytes, a page multiple.
    len: usize,
}

// SAFETY (for both impls): a Region is the sole owner of its mapping; no other
// pointer to it exists outside the slices it lends out under Rust's borrow
// rules, so moving it to or sharing it with another thread is as safe as
// doing so with a `Vec<u64>`.
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

/// The system's page size: the granularity of mapping a file.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; it only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size <= 0 {
        4096
    } else {
        size as usize
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `n` rounded up to a multiple of `to` (a power of two).
const fn round_up(n: usize, to: usize) -> usize {
    (n + to - 1) & !(to - 1)
}

impl Region {
    /// Reserves `len` bytes (rounded up to a page), zero-filled.
    pub fn reserve(len: usize) -> Result<Region, RegionError> {
        Region::reserve_with_file(len, None)
    }

    /// Reserves `len` bytes (rounded up to a page) and, if `file` is given,
    /// maps that file range copy-on-write over the start of the reservation.
    pub fn reserve_with_file(len: usize, file: Option<FileMapping>) -> Result<Region, RegionError> {
        let page = page_size();
        let len = round_up(len.max(page), page);
        if len > SPAN {
            return Err(RegionError::Reserve { bytes: len, errno: libc::ENOMEM });
        }
        // SAFETY: a fresh anonymous mapping at an address of the kernel's
        // choosing touches no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SPAN + GUARD,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(RegionError::Reserve { bytes: SPAN + GUARD, errno: errno() });
        }
        let Some(base) = NonNull::new(ptr.cast::<u64>()) else {
            return Err(RegionError::Reserve { bytes: SPAN + GUARD, errno: libc::ENOMEM });
        };
        let region = Region { base, len };
        if let Some(file) = file {
            region.map_file(file)?;
        }
        Ok(region)
    }

    fn map_file(&self, file: FileMapping) -> Result<(), RegionError> {
        self.map_file_at(0, file)
    }

    /// Maps `file` copy-on-write over the region's pages from byte `offset`
    /// on (a page multiple): a delta image's changed pages over its base.
    /// The file range must be whole pages, all inside the file.
    pub fn overlay_file(&mut self, offset: usize, file: FileMapping) -> Result<(), RegionError> {
        if !file.len.is_multiple_of(page_size()) {
            return Err(RegionError::BadFileRange("an overlay is not a whole number of pages"));
        }
        self.map_file_at(offset, file)
    }

    /// Maps `file` over `[offset, offset + file.len rounded up to a page)`.
    /// Takes `&self` for construction; [`Region::overlay_file`] is the
    /// `&mut` entry point for a region already lent out.
    fn map_file_at(&self, offset: usize, file: FileMapping) -> Result<(), RegionError> {
        let page = page_size();
        if file.file_offset & (page as u64 - 1) != 0 || offset & (page - 1) != 0 {
            return Err(RegionError::BadFileRange("file offset is not page-aligned"));
        }
        if file.len == 0 {
            return Ok(());
        }
        let map_len = round_up(file.len, page);
        if map_len > self.len || offset > self.len - map_len {
            return Err(RegionError::BadFileRange("heap part is larger than the reservation"));
        }
        // SAFETY: `stat` is plain old data; fstat fills it or fails.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat only writes into `st`, which is valid for writes.
        if unsafe { libc::fstat(file.fd, &mut st) } != 0 {
            return Err(RegionError::MapFile { errno: errno() });
        }
        let needed = file.file_offset.saturating_add(file.len as u64);
        if (st.st_size as u64) < needed {
            return Err(RegionError::BadFileRange("file is shorter than its heap part"));
        }
        // SAFETY: the target range [base + offset, base + offset + map_len)
        // lies inside our own mapping (checked above), and no slice into it
        // is alive: during construction nothing has borrowed the region yet,
        // and `overlay_file` holds `&mut self`. MAP_FIXED replaces exactly
        // those pages. Every mapped page is at least partly inside the file,
        // so no access can fault with SIGBUS (bytes past EOF in the last page
        // read 0).
        let ptr = unsafe {
            libc::mmap(
                self.base.as_ptr().cast::<u8>().add(offset).cast(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                file.fd,
                file.file_offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(RegionError::MapFile { errno: errno() });
        }
        Ok(())
    }

    /// The size of the region in bytes (a multiple of the page size).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty (never, but clippy asks).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole region as words; word `i` is at byte offset `8 * i`.
    #[inline]
    pub fn words(&self) -> &[u64] {
        // SAFETY: base is page-aligned (so u64-aligned), the mapping is
        // `len` bytes long, readable, initialised (zero-fill or file data) and
        // lives as long as `self`; the shared borrow of `self` rules out a
        // concurrent `&mut`.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len / 8) }
    }

    /// The whole region as mutable words.
    #[inline]
    pub fn words_mut(&mut self) -> &mut [u64] {
        // SAFETY: as in `words`, and the mapping is writable; the exclusive
        // borrow of `self` makes this the only live view.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len / 8) }
    }

    /// The whole region as bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: as in `words`; u8 has no alignment requirement and every
        // bit pattern is a valid u8.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr().cast::<u8>(), self.len) }
    }

    /// The whole region as mutable bytes.
    #[inline]
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `words_mut`.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr().cast::<u8>(), self.len) }
    }

    /// Word `index` (byte offset `8 * index`), masked (see the module's
    /// "Masked access"): `index` must be below `len / 8`.
    #[inline(always)]
    pub fn word(&self, index: usize) -> u64 {
        debug_assert!(index < self.len / 8, "heap word {index} past the end ({} words)", self.len / 8);
        // SAFETY: `index & WORD_MASK` is below `SPAN / 8`, and the mapping is
        // `SPAN + GUARD` bytes long, u64-aligned, readable and initialised
        // (zero-fill or file data); the shared borrow of `self` rules out a
        // concurrent `&mut` view.
        unsafe { *self.base.as_ptr().add(index & WORD_MASK) }
    }

    /// Stores `value` as word `index`, masked like [`Region::word`].
    #[inline(always)]
    pub fn set_word(&mut self, index: usize, value: u64) {
        debug_assert!(index < self.len / 8, "heap word {index} past the end ({} words)", self.len / 8);
        // SAFETY: as in `word`, and the mapping is writable; the exclusive
        // borrow of `self` makes this the only live access.
        unsafe { *self.base.as_ptr().add(index & WORD_MASK) = value }
    }

    /// The byte at `offset`, masked like [`Region::word`]: `offset` must be
    /// below `len`.
    #[inline(always)]
    pub fn byte(&self, offset: usize) -> u8 {
        self.byte_near(Region::near(offset), 0)
    }

    /// `offset` masked into the span.
    #[inline(always)]
    pub fn near(offset: usize) -> Near {
        Near(offset & BYTE_MASK)
    }

    /// The byte `k` bytes after `at` (`k` below 4096; in the bytecode loop
    /// a constant, so that this is one load): what [`Region::byte`] gives
    /// at `offset + k` when `at` is `Region::near(offset)`.
    #[inline(always)]
    pub fn byte_near(&self, at: Near, k: usize) -> u8 {
        debug_assert!(k < GUARD, "byte {k} after a near offset");
        debug_assert!(at.0 + k < self.len, "heap byte {:#x} past the end ({:#x})", at.0 + k, self.len);
        // SAFETY: `at.0` is below `SPAN` (a `Near` is made only by masking)
        // and `k & (GUARD - 1)` below `GUARD`, so the byte is inside the
        // mapping of `SPAN + GUARD` bytes, which is readable and
        // initialised; every bit pattern is a u8.
        unsafe { *self.base.as_ptr().cast::<u8>().add(at.0 + (k & (GUARD - 1))) }
    }

    /// The word at byte `offset` (a multiple of 8), masked like
    /// [`Region::word`].
    #[inline(always)]
    pub fn read(&self, offset: usize) -> u64 {
        debug_assert!(offset & 7 == 0, "unaligned heap read at {offset:#x}");
        self.word(offset >> 3)
    }

    /// Stores `value` at byte `offset` (a multiple of 8), masked like
    /// [`Region::word`].
    #[inline(always)]
    pub fn write(&mut self, offset: usize, value: u64) {
        debug_assert!(offset & 7 == 0, "unaligned heap write at {offset:#x}");
        self.set_word(offset >> 3, value)
    }

    /// The `n` words starting at byte `offset`.
    #[inline]
    pub fn word_range(&self, offset: usize, n: usize) -> &[u64] {
        debug_assert!(offset & 7 == 0);
        let i = offset >> 3;
        &self.words()[i..i + n]
    }

    /// The `n` words starting at byte `offset`, mutably.
    #[inline]
    pub fn word_range_mut(&mut self, offset: usize, n: usize) -> &mut [u64] {
        debug_assert!(offset & 7 == 0);
        let i = offset >> 3;
        &mut self.words_mut()[i..i + n]
    }

    /// Copies `n` words from byte offset `from` to byte offset `to`; the
    /// ranges may overlap (memmove).
    #[inline]
    pub fn copy_words(&mut self, from: usize, to: usize, n: usize) {
        debug_assert!(from & 7 == 0 && to & 7 == 0);
        let f = from >> 3;
        self.words_mut().copy_within(f..f + n, to >> 3);
    }

    /// Gives the whole pages inside `[offset, offset + len)` back to the
    /// kernel. Their contents become unspecified (zero for anonymous memory,
    /// the file's bytes for a file-backed page) but stay readable and
    /// writable; callers use this only for free space.
    pub fn discard(&mut self, offset: usize, len: usize) {
        let page = page_size();
        let end = offset.saturating_add(len).min(self.len);
        let start = round_up(offset, page);
        let end = end & !(page - 1);
        if start >= end {
            return;
        }
        // SAFETY: [start, end) is page-aligned and inside our mapping, and we
        // hold `&mut self`, so no slice into those pages is alive. MADV_DONTNEED
        // on a private mapping leaves the pages mapped and readable.
        unsafe {
            libc::madvise(self.base.as_ptr().cast::<u8>().add(start).cast(), end - start, libc::MADV_DONTNEED);
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: base and `SPAN + GUARD` are exactly the mapping made in
        // `reserve_with_file` (a file mapping replaced part of it in place),
        // and no slice borrowed from `self` can outlive this call.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), SPAN + GUARD);
        }
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region").field("len", &self.len).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_big_reservation_is_cheap_zeroed_and_writable() {
        let mut r = Region::reserve(1 << 32).expect("reserve 4 GiB");
        assert_eq!(r.read(0), 0);
        assert_eq!(r.read(r.len() - 8), 0);
        r.write(r.len() - 8, 7);
        r.write(8, 0x1122_3344_5566_7788);
        assert_eq!(r.bytes()[8], 0x88);
        assert_eq!(r.read(r.len() - 8), 7);
        r.copy_words(8, 16, 1);
        assert_eq!(r.read(16), 0x1122_3344_5566_7788);
        r.discard(0, 1 << 20);
        assert_eq!(r.read(8), 0);
    }

    #[test]
    #[should_panic]
    fn out_of_bounds_slices_panic_instead_of_faulting() {
        let r = Region::reserve(4096).expect("reserve");
        let _ = r.words()[r.len() / 8];
    }

    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "past the end"))]
    fn masked_accesses_past_the_end_stay_inside_the_mapping() {
        let mut r = Region::reserve(3 * page_size()).expect("reserve");
        r.write(8, 42);
        // A release build wraps around to the start; a debug build panics.
        assert_eq!(r.read(SPAN + 8), 42);
        assert_eq!(r.byte(SPAN + 8), 42);
        // The last word of the span, never written.
        assert_eq!(r.word(usize::MAX), 0);
        // The guard page after the span.
        assert_eq!(r.byte_near(Region::near(SPAN - 1), 100), 0);
    }

    #[test]
    fn masked_and_near_accesses_read_what_the_slices_hold() {
        let page = page_size();
        for pages in [1, 3, 100] {
            let mut r = Region::reserve(pages * page).expect("reserve");
            let last = r.len() - 8;
            r.write(last, 0x0807_0605_0403_0201);
            assert_eq!(r.word(last / 8), 0x0807_0605_0403_0201);
            assert_eq!(r.byte(last), 1);
            let at = Region::near(last);
            let bytes: Vec<u8> = (0..8).map(|k| r.byte_near(at, k)).collect();
            assert_eq!(bytes, r.bytes()[last..].to_vec());
            r.set_word(0, 1);
            assert_eq!(r.words()[0], 1);
        }
        assert!(matches!(Region::reserve(SPAN + 1), Err(RegionError::Reserve { .. })));
    }

    #[test]
    fn a_file_maps_copy_on_write_at_the_base() {
        let path = std::env::temp_dir().join(format!("smalt-region-{}.bin", std::process::id()));
        let mut file = std::fs::File::create(&path).expect("create");
        file.write_all(&0xDEAD_BEEFu64.to_le_bytes()).expect("write");
        file.write_all(&[1u8; 100]).expect("write");
        drop(file);
        let file = std::fs::File::open(&path).expect("open");
        let map = FileMapping { fd: file.as_raw_fd(), file_offset: 0, len: 108 };
        let mut r = Region::reserve_with_file(1 << 20, Some(map)).expect("map");
        assert_eq!(r.read(0), 0xDEAD_BEEF);
        assert_eq!(r.bytes()[107], 1);
        assert_eq!(r.bytes()[108], 0);
        r.write(0, 5);
        assert_eq!(r.read(0), 5);
        assert_eq!(r.read(1 << 19), 0);
        let too_long = FileMapping { fd: file.as_raw_fd(), file_offset: 0, len: 4096 };
        assert!(matches!(Region::reserve_with_file(1 << 20, Some(too_long)), Err(RegionError::BadFileRange(_))));
        drop(r);
        let _ = std::fs::remove_file(&path);
        assert_eq!(std::fs::read(&path).ok().map(|b| b[0]), None);
    }

    #[test]
    fn pages_of_another_file_map_over_the_middle_of_a_region() {
        let page = page_size();
        let path = std::env::temp_dir().join(format!("smalt-overlay-{}.bin", std::process::id()));
        let mut bytes = vec![1u8; 3 * page];
        bytes[page..2 * page].fill(2);
        std::fs::write(&path, &bytes).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let _ = std::fs::remove_file(&path);
        let mut r = Region::reserve(1 << 20).expect("reserve");
        r.write(0, 9);
        let two = FileMapping { fd: file.as_raw_fd(), file_offset: page as u64, len: 2 * page };
        r.overlay_file(4 * page, two).expect("overlay");
        assert_eq!(r.read(0), 9);
        assert_eq!(r.bytes()[4 * page - 1], 0);
        assert_eq!(r.bytes()[4 * page], 2);
        assert_eq!(r.bytes()[5 * page], 1);
        assert_eq!(r.bytes()[6 * page], 0);
        r.write(4 * page, 7);
        assert_eq!(r.read(4 * page), 7);
        let partial = FileMapping { fd: file.as_raw_fd(), file_offset: 0, len: page + 8 };
        assert!(matches!(r.overlay_file(0, partial), Err(RegionError::BadFileRange(_))));
        let past_end = FileMapping { fd: file.as_raw_fd(), file_offset: 0, len: page };
        assert!(matches!(r.overlay_file(r.len(), past_end), Err(RegionError::BadFileRange(_))));
        let unaligned = FileMapping { fd: file.as_raw_fd(), file_offset: 0, len: page };
        assert!(matches!(r.overlay_file(8, unaligned), Err(RegionError::BadFileRange(_))));
    }
}
