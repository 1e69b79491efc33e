//! Delta images: only the pages of old space that differ from a base image,
//! and the name and identity of that base. Booting one maps the base and
//! then the delta's pages over it; saving one compares every page of old
//! space with the base file's bytes.
//!
//! ```text
//!  offset        size  field
//!  ------------  ----  ------------------------------------------------------
//!             0   116  the image header (format.rs) with FLAG_DELTA set;
//!                      heap bytes = the length of the combined old space,
//!                      heap offset = where the pages start (16 KiB multiple),
//!                      heap checksum = CRC-32C of every byte from 116 to
//!                      the end of the file, base identity = see below
//!           116    12  zero
//!           128     4  page size P (4096)
//!           132     4  base path length L
//!           136     8  page count N
//!           144     L  base path: relative to the delta's directory, or absolute
//!       144 + L   ...  zero up to a multiple of 8, then N page numbers (u64,
//!                      ascending; page k covers heap bytes [k*P, (k+1)*P))
//!           ...   ...  zero up to the heap offset
//!   heap offset   N*P  the pages, in the order of their numbers; bytes past
//!                      the end of old space are zero
//! ```
//!
//! The base identity (32 bytes) is the base's header checksum, heap
//! checksum, heap length, save time and special-objects offset: the header
//! checksum covers every other header field, and the heap checksum the
//! base's whole content. Booting compares it with the base file's header
//! (cheap); `smalt image verify` also recomputes the base's heap checksum.
//!
//! A delta's base is always a full image: a world booted from a delta saves
//! its next delta over the same base, so there are no chains. Saving a delta
//! over its own base file is refused.
//!
//! Pages lie page-aligned in the file, so booting maps runs of consecutive
//! pages straight from it (clean, shared, loaded lazily) where the system's
//! page size divides P, and reads them in otherwise.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::format::{self, ImageError, ImageHeader};
use super::save::replace_file;
use crate::heap::{FileMapping, Heap, MappedBase, Oop};
use crate::interp::{Vm, VmOptions};

/// The page size deltas are saved with: the smallest page of the systems
/// Smalt runs on, so that a small change stays a small delta everywhere.
pub const DELTA_PAGE: usize = 4096;
/// Where the delta's table starts.
const TABLE_OFFSET: usize = 128;
/// At most this many separate mappings per boot; a delta scattered more
/// finely is read in instead (each mapping costs the kernel an area).
const MAX_MAPPED_RUNS: usize = 8192;
/// The longest base path a delta may name.
const MAX_BASE_PATH: usize = 4096;

/// The part of a delta file between its header and its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaTable {
    pub page_size: u32,
    /// The base's path as recorded: relative to the delta's directory, or absolute.
    pub base_path: PathBuf,
    /// The numbers of the pages stored, ascending.
    pub pages: Vec<u64>,
}

impl DeltaTable {
    fn encode(&self) -> Vec<u8> {
        let path = self.base_path.as_os_str().as_bytes();
        let mut b = Vec::with_capacity(16 + path.len() + 8 + 8 * self.pages.len());
        b.extend_from_slice(&self.page_size.to_le_bytes());
        b.extend_from_slice(&(path.len() as u32).to_le_bytes());
        b.extend_from_slice(&(self.pages.len() as u64).to_le_bytes());
        b.extend_from_slice(path);
        b.resize(b.len().next_multiple_of(8), 0);
        for page in &self.pages {
            b.extend_from_slice(&page.to_le_bytes());
        }
        b
    }

    /// Reads and checks the table of a delta whose header is `header`;
    /// `head` holds the file's first `header.heap_offset` bytes.
    pub fn decode(head: &[u8], header: &ImageHeader, file_len: u64, path: &str) -> Result<DeltaTable, ImageError> {
        let bad = |what: String| ImageError::Layout { path: path.to_string(), what };
        if (head.len() as u64) < header.heap_offset || head.len() < TABLE_OFFSET + 16 {
            return Err(bad("the delta's page table is cut short".into()));
        }
        let u32_at = |o: usize| u32::from_le_bytes([head[o], head[o + 1], head[o + 2], head[o + 3]]);
        let page_size = u32_at(TABLE_OFFSET);
        let path_len = u32_at(TABLE_OFFSET + 4) as usize;
        let count = u64::from_le_bytes(head[TABLE_OFFSET + 8..TABLE_OFFSET + 16].try_into().unwrap_or([0; 8]));
        if !page_size.is_power_of_two() || page_size < 4096 || !header.heap_offset.is_multiple_of(u64::from(page_size))
        {
            return Err(bad(format!("delta page size {page_size} is not a power of two dividing the heap offset")));
        }
        let p = u64::from(page_size);
        let expected_len = count.checked_mul(p).and_then(|n| n.checked_add(header.heap_offset));
        if expected_len != Some(file_len) {
            return Err(ImageError::Length {
                path: path.to_string(),
                expected: expected_len.unwrap_or(u64::MAX),
                found: file_len,
            });
        }
        let names_start = TABLE_OFFSET + 16;
        let numbers_start = (names_start + path_len).next_multiple_of(8);
        let table_end = count.checked_mul(8).and_then(|n| n.checked_add(numbers_start as u64));
        if path_len == 0 || path_len > MAX_BASE_PATH || table_end.is_none_or(|end| end > header.heap_offset) {
            return Err(bad("the delta's page table does not fit before its pages".into()));
        }
        let base_path = PathBuf::from(std::ffi::OsString::from_vec(head[names_start..names_start + path_len].to_vec()));
        let last_page = header.heap_bytes.div_ceil(p);
        let mut pages = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let at = numbers_start + 8 * i;
            let n = u64::from_le_bytes(head[at..at + 8].try_into().unwrap_or([0; 8]));
            if n >= last_page || pages.last().is_some_and(|&prev| prev >= n) {
                return Err(bad(format!("the delta's page number {n} is out of order or past the heap's end")));
            }
            pages.push(n);
        }
        if header.heap_bytes < 56 || !header.heap_bytes.is_multiple_of(8) {
            return Err(bad(format!("heap length {} is not a whole heap", header.heap_bytes)));
        }
        if !header.special_objects.is_multiple_of(8)
            || header.special_objects < 8
            || header.special_objects >= header.heap_bytes
        {
            return Err(bad(format!(
                "the special-objects array at {:#x} lies outside the heap",
                header.special_objects
            )));
        }
        Ok(DeltaTable { page_size, base_path, pages })
    }
}

/// What identifies a full image as a delta's base (see the module docs).
pub fn base_identity(base: &ImageHeader) -> [u8; 32] {
    let encoded = base.encode();
    let mut id = [0u8; 32];
    id[0..4].copy_from_slice(&encoded[112..116]);
    id[4..8].copy_from_slice(&base.heap_checksum.to_le_bytes());
    id[8..16].copy_from_slice(&base.heap_bytes.to_le_bytes());
    id[16..24].copy_from_slice(&base.saved_at.to_le_bytes());
    id[24..32].copy_from_slice(&base.special_objects.to_le_bytes());
    id
}

/// An identity, for a person.
pub fn describe_identity(id: &[u8; 32]) -> String {
    let u32_at = |o: usize| u32::from_le_bytes(id[o..o + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |o: usize| u64::from_le_bytes(id[o..o + 8].try_into().unwrap_or([0; 8]));
    format!("saved at {} with {} bytes of heap, heap checksum {:08x}", u64_at(16), u64_at(8), u32_at(4))
}

/// A delta file's header and table, read and checked.
pub struct OpenedDelta {
    pub file: File,
    pub header: ImageHeader,
    pub table: DeltaTable,
}

/// Reads a delta's header and table from `file` (whose header is `header`).
pub fn read_table(file: &File, header: &ImageHeader, file_len: u64, path: &str) -> Result<DeltaTable, ImageError> {
    let io = |e: std::io::Error| ImageError::Io { path: path.to_string(), error: e.to_string() };
    if header.heap_offset > file_len || header.heap_offset > (64 << 20) {
        return Err(ImageError::Layout { path: path.to_string(), what: "the delta's page table is cut short".into() });
    }
    let mut head = vec![0u8; header.heap_offset as usize];
    file.read_exact_at(&mut head, 0).map_err(io)?;
    DeltaTable::decode(&head, header, file_len, path)
}

/// The base a delta names, opened and checked against the identity the
/// delta recorded.
pub struct OpenedBase {
    /// Where it was found (the recorded path, resolved).
    pub path: PathBuf,
    pub file: File,
    pub header: ImageHeader,
}

/// Finds the base of the delta at `delta_path` (a relative recorded path is
/// taken from the delta's directory), and checks that it is a full image
/// with the recorded identity. Errors name both files.
pub fn open_base(delta_path: &Path, delta: &ImageHeader, table: &DeltaTable) -> Result<OpenedBase, ImageError> {
    let shown = delta_path.display().to_string();
    let path = if table.base_path.is_absolute() {
        table.base_path.clone()
    } else {
        delta_path.parent().unwrap_or(Path::new("")).join(&table.base_path)
    };
    let base_error = |problem: String| ImageError::Base { path: shown.clone(), problem };
    let base_shown = path.display().to_string();
    let file = File::open(&path).map_err(|e| {
        base_error(format!(
            "its base image {base_shown} cannot be opened ({e}); the delta holds only the pages that differ from \
             that base: put the base back there, or boot a full image"
        ))
    })?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = vec![0u8; file_len.min(format::HEADER_BYTES as u64) as usize];
    file.read_exact_at(&mut head, 0)
        .map_err(|e| base_error(format!("its base image {base_shown} cannot be read ({e})")))?;
    let header = ImageHeader::decode(&head, file_len, &base_shown)
        .map_err(|e| base_error(format!("its base image is not usable: {e}")))?;
    if header.is_delta() {
        return Err(base_error(format!(
            "its base {base_shown} is itself a delta; a delta's base must be a full image"
        )));
    }
    if base_identity(&header) != delta.base_identity {
        return Err(base_error(format!(
            "{base_shown} is not the base it was saved over: the delta expects an image {}, found one {}; \
             restore that base, or boot a full image",
            describe_identity(&delta.base_identity),
            describe_identity(&base_identity(&header)),
        )));
    }
    Ok(OpenedBase { path, file, header })
}

impl Vm {
    /// Boots a delta image: maps its base, lays the delta's pages over it.
    pub(super) fn boot_delta(delta: OpenedDelta, path: &Path, options: VmOptions) -> Result<Vm, ImageError> {
        let shown = path.display().to_string();
        let OpenedDelta { file, header, table } = delta;
        let base = open_base(path, &header, &table)?;
        let map_error = |e: crate::heap::HeapError| ImageError::Map { path: shown.clone(), error: e.to_string() };
        let base_mapping = FileMapping {
            fd: base.file.as_raw_fd(),
            file_offset: base.header.heap_offset,
            len: base.header.heap_bytes as usize,
        };
        let mut heap = Heap::with_file(options.heap.clone(), Some(base_mapping)).map_err(map_error)?;
        let p = table.page_size as usize;
        let runs = page_runs(&table.pages);
        let mappable = p.is_multiple_of(crate::heap::page_size()) && runs.len() <= MAX_MAPPED_RUNS;
        for (first, index, count) in runs {
            let heap_offset = first as usize * p;
            let file_offset = header.heap_offset + (index * p) as u64;
            if mappable {
                let mapping = FileMapping { fd: file.as_raw_fd(), file_offset, len: count * p };
                heap.overlay_file(heap_offset, mapping).map_err(map_error)?;
            } else {
                let target = heap.old_space_bytes_mut(heap_offset, count * p).map_err(map_error)?;
                file.read_exact_at(target, file_offset)
                    .map_err(|e| ImageError::Io { path: shown.clone(), error: e.to_string() })?;
            }
        }
        heap.set_old_space_length(header.heap_bytes as usize).map_err(map_error)?;
        let identity = base_identity(&base.header);
        let base_path = std::fs::canonicalize(&base.path).unwrap_or(base.path);
        heap.set_mapped_base(Some(MappedBase {
            path: base_path,
            file: base.file,
            file_offset: base.header.heap_offset,
            len: base.header.heap_bytes as usize,
            identity,
        }));
        Vm::from_booted_heap(heap, &header, options, &shown)
    }

    /// Saves a delta image to `path`: the pages of old space that differ
    /// from the base image this world was booted from (or last saved to in
    /// full). With `resume`, booting it resumes the active context, as for
    /// [`Vm::save_image`].
    ///
    /// # GC
    /// Runs a full collection that keeps the base's objects in place: every
    /// Oop held by the caller is stale afterwards.
    pub fn save_delta(&mut self, path: &Path, resume: bool) -> Result<(), ImageError> {
        let save_error = |error: String| ImageError::Save { path: path.display().to_string(), error };
        let Some(base) = self.mem.heap.mapped_base() else {
            return Err(save_error(
                "a delta needs a base image file, and this world was not booted from one (it is the built-in \
                 world or a bundled executable's); write a base with `smalt build-world -o base.image` or \
                 saveImage:, boot it with `smalt -i base.image`, and save the delta from there"
                    .into(),
            ));
        };
        let recorded = recorded_base_path(path, &base.path).map_err(|e| save_error(e.to_string()))?;
        if recorded.is_none() {
            return Err(save_error(
                "it is this world's base image; saving a delta over it would lose the base (save the delta \
                 under another name, or save a full image with saveImage:)"
                    .into(),
            ));
        }
        self.full_garbage_collect();
        let recorded = recorded.unwrap_or_default();
        self.with_active_context_recorded(resume, |vm| {
            write_delta_file(path, &vm.mem.heap, vm.mem.special, recorded).map(|_| ())
        })
    }
}

/// Runs of consecutive page numbers: (first page, its index in the table,
/// how many).
fn page_runs(pages: &[u64]) -> Vec<(u64, usize, usize)> {
    let mut runs: Vec<(u64, usize, usize)> = Vec::new();
    for (i, &n) in pages.iter().enumerate() {
        match runs.last_mut() {
            Some((first, _, count)) if *first + *count as u64 == n => *count += 1,
            _ => runs.push((n, i, 1)),
        }
    }
    runs
}

/// How a delta at `delta` names the base at `base` (absolute): relative to
/// the delta's directory when the base lies under it (so the two can move
/// together), else absolute. None when `delta` is the base itself.
fn recorded_base_path(delta: &Path, base: &Path) -> std::io::Result<Option<PathBuf>> {
    let dir = match delta.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir)?;
    let name = delta.file_name().ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let target = std::fs::canonicalize(dir.join(name)).unwrap_or_else(|_| dir.join(name));
    if target == base {
        return Ok(None);
    }
    Ok(Some(match base.strip_prefix(&dir) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => base.to_path_buf(),
    }))
}

/// The numbers of the pages of `old` (old space, `page` bytes each) that
/// differ from the base's bytes; the base reads as zero past its end.
fn changed_pages(old: &[u8], base: &MappedBase, page: usize) -> std::io::Result<Vec<u64>> {
    const CHUNK: usize = 1 << 20;
    let mut changed = Vec::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut at = 0;
    while at < old.len() {
        let n = CHUNK.min(old.len() - at);
        let from_file = base.len.saturating_sub(at).min(n);
        buffer[..n].fill(0);
        base.file.read_exact_at(&mut buffer[..from_file], base.file_offset + at as u64)?;
        for (k, (mine, theirs)) in old[at..at + n].chunks(page).zip(buffer[..n].chunks(page)).enumerate() {
            if mine != theirs {
                changed.push(((at / page) + k) as u64);
            }
        }
        at += n;
    }
    Ok(changed)
}

/// What a saved delta holds.
#[derive(Debug, Clone, Copy)]
pub struct DeltaSummary {
    pub pages: usize,
    pub file_bytes: u64,
}

/// Writes the delta of `heap`'s old space over its mapped base, crash-safely
/// (as a full image is written: beside the target, synced, renamed).
fn write_delta_file(
    path: &Path,
    heap: &Heap,
    special_objects: Oop,
    base_path: PathBuf,
) -> Result<DeltaSummary, ImageError> {
    let save_error = |e: std::io::Error| ImageError::Save { path: path.display().to_string(), error: e.to_string() };
    let base = heap.mapped_base().ok_or_else(|| save_error(std::io::Error::other("no base image")))?;
    let old = heap.old_space_bytes();
    let pages = changed_pages(old, base, DELTA_PAGE).map_err(|e| {
        save_error(std::io::Error::other(format!("cannot read its base image {}: {e}", base.path.display())))
    })?;
    let table = DeltaTable { page_size: DELTA_PAGE as u32, base_path, pages };
    let encoded = table.encode();
    let heap_offset = ((TABLE_OFFSET + encoded.len()) as u64).next_multiple_of(format::HEAP_OFFSET);
    let page_bytes = |n: u64| {
        let start = n as usize * DELTA_PAGE;
        &old[start..old.len().min(start + DELTA_PAGE)]
    };
    // Everything after the header proper, in file order, for the checksum
    // and the writer alike.
    let table_padding = vec![0u8; heap_offset as usize - TABLE_OFFSET - encoded.len()];
    let header_padding = [0u8; TABLE_OFFSET - format::HEADER_BYTES];
    let zeros = [0u8; DELTA_PAGE];
    let mut crc = crc32c::crc32c(&header_padding);
    crc = crc32c::crc32c_append(crc, &encoded);
    crc = crc32c::crc32c_append(crc, &table_padding);
    for &n in &table.pages {
        let bytes = page_bytes(n);
        crc = crc32c::crc32c_append(crc, bytes);
        crc = crc32c::crc32c_append(crc, &zeros[bytes.len()..]);
    }
    let header = ImageHeader {
        version: format::FORMAT_VERSION,
        flags: format::FLAG_DELTA,
        vm_identity: format::vm_identity(),
        heap_offset,
        heap_bytes: old.len() as u64,
        special_objects: special_objects.bits(),
        saved_at: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        heap_checksum: crc,
        base_identity: base.identity,
        complete: true,
    };
    replace_file(path, |file| {
        let mut incomplete = header.clone();
        incomplete.complete = false;
        let mut out = BufWriter::with_capacity(1 << 20, &mut *file);
        out.write_all(&incomplete.encode())?;
        out.write_all(&header_padding)?;
        out.write_all(&encoded)?;
        out.write_all(&table_padding)?;
        for &n in &table.pages {
            let bytes = page_bytes(n);
            out.write_all(bytes)?;
            out.write_all(&zeros[bytes.len()..])?;
        }
        out.flush()?;
        drop(out);
        // Everything else is on disk before the marker that says so.
        file.sync_all()?;
        file.write_all_at(&format::COMPLETE, format::COMPLETE_OFFSET)
    })
    .map_err(save_error)?;
    Ok(DeltaSummary { pages: table.pages.len(), file_bytes: heap_offset + (table.pages.len() * DELTA_PAGE) as u64 })
}

/// The checks `smalt image verify` makes of a delta beyond booting it: the
/// padding, the checksum of everything after the header, the base's
/// identity and the base's own heap checksum. Answers the table and the
/// base's path.
pub fn verify_delta_file(path: &Path, bytes: &[u8], header: &ImageHeader) -> Result<(DeltaTable, PathBuf), ImageError> {
    let shown = path.display().to_string();
    let table = DeltaTable::decode(bytes, header, bytes.len() as u64, &shown)?;
    if let Some(i) = bytes[format::HEADER_BYTES..TABLE_OFFSET].iter().position(|&b| b != 0) {
        return Err(ImageError::Layout {
            path: shown,
            what: format!("byte {} of the header padding is not zero", format::HEADER_BYTES + i),
        });
    }
    let found = crc32c::crc32c(&bytes[format::HEADER_BYTES..]);
    if found != header.heap_checksum {
        return Err(ImageError::HeapChecksum { path: shown, expected: header.heap_checksum, found });
    }
    let base = open_base(path, header, &table)?;
    let mut heap = vec![0u8; base.header.heap_bytes as usize];
    let base_shown = base.path.display().to_string();
    base.file
        .read_exact_at(&mut heap, base.header.heap_offset)
        .map_err(|e| ImageError::Io { path: base_shown.clone(), error: e.to_string() })?;
    let found = crc32c::crc32c(&heap);
    if found != base.header.heap_checksum {
        return Err(ImageError::Base {
            path: shown,
            problem: ImageError::HeapChecksum { path: base_shown, expected: base.header.heap_checksum, found }
                .to_string(),
        });
    }
    Ok((table, base.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(heap_offset: u64, heap_bytes: u64) -> ImageHeader {
        ImageHeader {
            version: format::FORMAT_VERSION,
            flags: format::FLAG_DELTA,
            vm_identity: format::vm_identity(),
            heap_offset,
            heap_bytes,
            special_objects: 56,
            saved_at: 1,
            heap_checksum: 0,
            base_identity: [0; 32],
            complete: true,
        }
    }

    #[test]
    fn a_table_round_trips() {
        let table = DeltaTable { page_size: 4096, base_path: PathBuf::from("base.image"), pages: vec![0, 3, 4, 9] };
        let mut head = vec![0u8; format::HEAP_OFFSET as usize];
        let encoded = table.encode();
        head[TABLE_OFFSET..TABLE_OFFSET + encoded.len()].copy_from_slice(&encoded);
        let h = header(format::HEAP_OFFSET, 10 * 4096);
        let file_len = format::HEAP_OFFSET + 4 * 4096;
        assert_eq!(DeltaTable::decode(&head, &h, file_len, "d").expect("valid"), table);
        assert!(matches!(DeltaTable::decode(&head, &h, file_len - 1, "d"), Err(ImageError::Length { .. })));
        let short_heap = header(format::HEAP_OFFSET, 9 * 4096);
        assert!(matches!(DeltaTable::decode(&head, &short_heap, file_len, "d"), Err(ImageError::Layout { .. })));
    }

    #[test]
    fn pages_are_grouped_into_runs() {
        assert_eq!(page_runs(&[0, 1, 2, 5, 7, 8]), vec![(0, 0, 3), (5, 3, 1), (7, 4, 2)]);
        assert!(page_runs(&[]).is_empty());
    }

    #[test]
    fn every_identity_field_is_named() {
        let mut base = header(format::HEAP_OFFSET, 4096);
        base.flags = 0;
        base.heap_checksum = 0xABCD_EF01;
        base.saved_at = 1234;
        let shown = describe_identity(&base_identity(&base));
        assert_eq!(shown, "saved at 1234 with 4096 bytes of heap, heap checksum abcdef01");
        let mut other = base.clone();
        other.special_objects += 8;
        assert_ne!(base_identity(&base), base_identity(&other));
    }
}
