//! The full structural check of an image file: every checksum, the padding,
//! and a walk of the whole heap (every reference in bounds and pointing at a
//! valid header, class indices valid). Reports the first problem found.

use std::path::Path;

use super::format::{self, ImageError, ImageHeader};
use crate::heap::{Oop, Roots};
use crate::interp::{Vm, VmOptions};

/// What `smalt image verify` reports for a good image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub header: ImageHeader,
    pub objects: usize,
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
    let vm = Vm::boot_image(path, VmOptions::default())?;
    let mut roots = SpecialRoot(vm.mem.special);
    vm.mem.heap.verify(&mut roots).map_err(|e| ImageError::Heap {
        path: shown,
        offset: e.offset,
        problem: e.to_string(),
    })?;
    let mut objects = 0;
    vm.mem.heap.for_each_object(|_| objects += 1);
    Ok(VerifyReport { header, objects })
}
