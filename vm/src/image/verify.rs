//! The full structural check of an image file: every checksum, the padding,
//! and a walk of the whole heap (every reference in bounds and pointing at a
//! valid header, class indices valid). Reports the first problem found.
//! A delta is checked with its base: see [`delta::verify_delta_file`].

use std::path::{Path, PathBuf};

use super::delta::{self, DeltaTable};
use super::format::{self, ImageError, ImageHeader};
use crate::heap::{Oop, Roots};
use crate::interp::{Vm, VmOptions};

/// What `smalt image verify` reports for a good image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub header: ImageHeader,
    pub objects: usize,
    /// For a delta: its table and where its base was found.
    pub delta: Option<(DeltaTable, PathBuf)>,
}

struct SpecialRoot(Oop);

impl Roots for SpecialRoot {
    fn visit(&mut self, visitor: &mut dyn FnMut(&mut Oop)) {
        visitor(&mut self.0);
    }
}

/// Checks everything in an image file.
pub fn verify_image(path: &Path) -> Result<VerifyReport, ImageError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImageError::Io { path: shown.clone(), error: e.to_string() })?;
    let header = ImageHeader::decode(&bytes, bytes.len() as u64, &shown)?;
    if header.is_delta() {
        let delta = delta::verify_delta_file(path, &bytes, &header)?;
        drop(bytes);
        let objects = verify_heap(path)?;
        return Ok(VerifyReport { header, objects, delta: Some(delta) });
    }
    let start = header.heap_offset as usize;
    if let Some(i) = bytes[format::HEADER_BYTES..start].iter().position(|&b| b != 0) {
        return Err(ImageError::Layout {
            path: shown,
            what: format!("byte {} of the header padding is not zero", format::HEADER_BYTES + i),
        });
    }
    let heap = &bytes[start..start + header.heap_bytes as usize];
    let found = crc32c::crc32c(heap);
    if found != header.heap_checksum {
        return Err(ImageError::HeapChecksum { path: shown, expected: header.heap_checksum, found });
    }
    drop(bytes);
    let objects = verify_heap(path)?;
    Ok(VerifyReport { header, objects, delta: None })
}

/// Boots the image and walks its whole heap; answers how many objects it holds.
fn verify_heap(path: &Path) -> Result<usize, ImageError> {
    let vm = Vm::boot_image(path, VmOptions::default())?;
    let mut roots = SpecialRoot(vm.mem.special);
    vm.mem.heap.verify(&mut roots).map_err(|e| ImageError::Heap {
        path: path.display().to_string(),
        offset: e.offset,
        problem: e.to_string(),
    })?;
    let mut objects = 0;
    vm.mem.heap.for_each_object(|_| objects += 1);
    Ok(objects)
}
