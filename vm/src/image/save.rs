//! Saving: a full collection, then the header and old space written to a
//! new file beside the target, synced, marked complete, synced again and
//! renamed over the target, and the directory synced. Killed at any moment,
//! the target is either the old image or the new one, whole.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::format::{self, ImageError, ImageHeader};
use crate::heap::{MappedBase, Oop};
use crate::interp::Vm;
use crate::objects::layout::special;

impl Vm {
    /// Runs `write` with the running context (its registers stored) in
    /// the special objects when `resume`, so that the saved image goes on
    /// from there; nil otherwise, and nil again afterwards.
    pub(crate) fn with_active_context_recorded<T>(&mut self, resume: bool, write: impl FnOnce(&mut Vm) -> T) -> T {
        let nil = self.mem.nil();
        let active = if resume && self.ctx != nil {
            self.save_registers();
            self.ctx
        } else {
            nil
        };
        self.mem.set_special_object(special::ACTIVE_CONTEXT, active);
        let result = write(self);
        self.mem.set_special_object(special::ACTIVE_CONTEXT, nil);
        result
    }

    /// Saves the world to `path`. With `resume_context`, booting the image
    /// resumes that context (a `saveImage:` from running code); without, the
    /// image starts at top level.
    ///
    /// # GC
    /// Runs a full collection: every Oop held by the caller is stale
    /// afterwards, except `resume_context`'s chain, which is kept and can be
    /// found again as the active context.
    ///
    /// The collection compacts all of old space, the base this world was
    /// booted from included; the saved file then becomes the base of the
    /// deltas saved later (if the save fails, there is none until the next
    /// full save succeeds: the old base's objects have moved).
    pub fn save_image(&mut self, path: &Path, resume: bool) -> Result<(), ImageError> {
        self.mem.heap.set_base_pinned(false);
        self.full_garbage_collect();
        self.mem.heap.set_base_pinned(true);
        let result = self.with_active_context_recorded(resume, |vm| {
            write_image_file(path, vm.mem.heap.old_space_bytes(), vm.mem.special)
        });
        let base = match &result {
            Ok(header) => File::open(path).ok().map(|file| MappedBase {
                path: fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
                file,
                file_offset: header.heap_offset,
                len: header.heap_bytes as usize,
                identity: super::delta::base_identity(header),
            }),
            Err(_) => None,
        };
        self.mem.heap.set_mapped_base(base);
        result.map(|_| ())
    }
}

/// The header for a full image of these heap bytes.
pub fn full_header(heap: &[u8], special_objects: Oop) -> ImageHeader {
    ImageHeader {
        version: format::FORMAT_VERSION,
        flags: 0,
        vm_identity: format::vm_identity(),
        heap_offset: format::HEAP_OFFSET,
        heap_bytes: heap.len() as u64,
        special_objects: special_objects.bits(),
        saved_at: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        heap_checksum: crc32c::crc32c(heap),
        base_identity: [0; 32],
        complete: true,
    }
}

/// Writes an image of `heap` to `path` crash-safely; answers its header.
pub fn write_image_file(path: &Path, heap: &[u8], special_objects: Oop) -> Result<ImageHeader, ImageError> {
    let header = full_header(heap, special_objects);
    write_atomically(path, &header, &[heap])?;
    Ok(header)
}

/// Writes header, padding and `parts` to a temporary file beside `path`,
/// marks it complete and renames it over `path`.
pub(crate) fn write_atomically(path: &Path, header: &ImageHeader, parts: &[&[u8]]) -> Result<(), ImageError> {
    replace_file(path, |file| {
        let mut incomplete = header.clone();
        incomplete.complete = false;
        file.write_all(&incomplete.encode())?;
        let padding = vec![0u8; header.heap_offset as usize - format::HEADER_BYTES];
        file.write_all(&padding)?;
        for part in parts {
            file.write_all(part)?;
        }
        // Everything else is on disk before the marker that says so.
        file.sync_all()?;
        file.write_all_at(&format::COMPLETE, format::COMPLETE_OFFSET)
    })
    .map_err(|e| ImageError::Save { path: path.display().to_string(), error: e.to_string() })
}

/// Replaces the file at `path` by what `write` writes, crash-safely: into a
/// temporary file in the same directory, synced, renamed over `path`, and
/// the directory synced. On failure the temporary file is removed and
/// `path` is untouched.
pub fn replace_file(path: &Path, write: impl FnOnce(&mut File) -> std::io::Result<()>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into());
    let temp_prefix = format!(".{name}.saving-");
    remove_abandoned_temporaries(&dir, &temp_prefix);
    let temp = dir.join(format!("{temp_prefix}{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        write(&mut file)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes temporary files that savers killed mid-save left beside the
/// image: those whose process is gone. Only where /proc tells which
/// processes live; elsewhere they stay (they are harmless, just clutter).
fn remove_abandoned_temporaries(dir: &Path, prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(prefix)) else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}
