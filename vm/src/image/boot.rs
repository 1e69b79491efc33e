//! Booting: check the header against the file, map the heap part of the
//! file copy-on-write at the heap's base, and resume. No work per object:
//! references are offsets from the base, so the mapping is valid at once.
//! A delta image maps its base first, then its own pages (see [`delta`]).
//! A full image booted from its own file is remembered as the base of the
//! deltas this world may save.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::Path;

use super::delta::{self, OpenedDelta};
use super::format::{self, ImageError, ImageHeader};
use crate::heap::{FileMapping, Format, Heap, MappedBase, Oop};
use crate::interp::{Vm, VmOptions};
use crate::objects::layout::{class, special, KnownClass};

impl Vm {
    /// Boots the image in `path`.
    pub fn boot_image(path: &Path, options: VmOptions) -> Result<Vm, ImageError> {
        Vm::boot_image_at(path, 0, None, options)
    }

    /// Boots the image that starts `start` bytes into the file `path` (a
    /// page multiple) and is `len` bytes long, or runs to the end of the
    /// file: an image appended to an executable by `smalt bundle`.
    pub fn boot_image_at(path: &Path, start: u64, len: Option<u64>, options: VmOptions) -> Result<Vm, ImageError> {
        let shown = path.display().to_string();
        let io = |e: std::io::Error| ImageError::Io { path: shown.clone(), error: e.to_string() };
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(ImageError::Io { path: shown, error: "it is a directory, not a file".into() });
        }
        let len = len.unwrap_or_else(|| meta.len().saturating_sub(start));
        if !start.is_multiple_of(format::HEAP_OFFSET) || start.saturating_add(len) > meta.len() {
            return Err(ImageError::Layout {
                path: shown,
                what: format!("no image of {len} bytes at offset {start} in a file of {} bytes", meta.len()),
            });
        }
        let mut head = vec![0u8; len.min(format::HEAP_OFFSET) as usize];
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        file.read_exact(&mut head).map_err(io)?;
        let header = ImageHeader::decode(&head, len, &shown)?;
        if header.is_delta() {
            if start != 0 {
                return Err(ImageError::Base {
                    path: shown,
                    problem: "a delta cannot run from inside an executable; bundle a full image".into(),
                });
            }
            let table = delta::read_table(&file, &header, meta.len(), &shown)?;
            return Vm::boot_delta(OpenedDelta { file, header, table }, path, options);
        }
        let mapping = FileMapping {
            fd: file.as_raw_fd(),
            file_offset: start + header.heap_offset,
            len: header.heap_bytes as usize,
        };
        let mut heap = Heap::with_file(options.heap.clone(), Some(mapping))
            .map_err(|e| ImageError::Map { path: shown.clone(), error: e.to_string() })?;
        if start == 0 {
            // This file can be the base of a delta saved later.
            heap.set_mapped_base(Some(MappedBase {
                path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
                file,
                file_offset: header.heap_offset,
                len: header.heap_bytes as usize,
                identity: delta::base_identity(&header),
            }));
        }
        Vm::from_booted_heap(heap, &header, options, &shown)
    }

    /// Boots an image held in memory (the world embedded in the executable):
    /// old space is copied, not mapped.
    pub fn boot_image_bytes(bytes: &[u8], label: &str, options: VmOptions) -> Result<Vm, ImageError> {
        let header = ImageHeader::decode(bytes, bytes.len() as u64, label)?;
        let start = header.heap_offset as usize;
        let heap_part = &bytes[start..start + header.heap_bytes as usize];
        let heap = Heap::with_bytes(options.heap.clone(), heap_part)
            .map_err(|e| ImageError::Map { path: label.to_string(), error: e.to_string() })?;
        Vm::from_booted_heap(heap, &header, options, label)
    }

    /// A VM over a heap that holds a saved world. Checks the handful of
    /// objects everything hangs from (not every object: that is `verify`).
    pub(super) fn from_booted_heap(
        heap: Heap,
        header: &ImageHeader,
        options: VmOptions,
        path: &str,
    ) -> Result<Vm, ImageError> {
        let mut vm = Vm::with_existing_heap(heap, options);
        let special_oop = Oop::from_bits(header.special_objects);
        let layout_error = |what: String| ImageError::Layout { path: path.to_string(), what };
        let heap = &vm.mem.heap;
        if !special_oop.is_object() || !heap.is_valid_object(special_oop) {
            return Err(layout_error("the special-objects array is not an object".into()));
        }
        let special_ok = heap.class_index_of(special_oop) == KnownClass::Array.index()
            && heap.format_of(special_oop) == Format::Indexable
            && heap.num_slots(special_oop) == special::COUNT;
        if !special_ok {
            return Err(layout_error("the special-objects array has the wrong shape".into()));
        }
        vm.mem.special = special_oop;
        let table = vm.mem.special_object(special::CLASS_TABLE);
        if !table.is_object()
            || !vm.mem.heap.is_valid_object(table)
            || vm.mem.heap.format_of(table) != Format::Indexable
        {
            return Err(layout_error("the class table is not an Array".into()));
        }
        let classes = vm.mem.heap.num_slots(table) as u32;
        vm.mem.heap.set_class_index_limit(classes);
        let object_class = vm.mem.known_class(KnownClass::Object);
        if !object_class.is_object() || vm.mem.heap.num_slots(object_class) < class::CLASS_SLOTS {
            return Err(layout_error("class Object is missing".into()));
        }
        Ok(vm)
    }
}
