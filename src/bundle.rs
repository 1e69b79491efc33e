//! Applications as one executable: `smalt bundle APP.image -o APP` copies
//! this executable, appends the image at a page boundary and ends the file
//! with a trailer saying where the image is. At start, smalt looks for the
//! trailer at the end of its own file and, when it finds one, boots the
//! image from there (mapped, as any image) and hands it every argument.
//!
//! ```text
//!  [ the smalt executable ][ zero padding to a multiple of 16 KiB ]
//!  [ the image, byte for byte ]
//!  [ trailer: "SMALTAPP" | image offset (u64 LE) | image length (u64 LE) ]
//! ```

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use smalt_vm::image::{self, format::HEAP_OFFSET, ImageHeader};

const TRAILER_MAGIC: &[u8; 8] = b"SMALTAPP";
const TRAILER_BYTES: u64 = 24;

/// Where an appended image lies in an executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundled {
    pub executable: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// The image appended to the running executable, if it has one.
pub fn find_in_current_exe() -> Option<Bundled> {
    let executable = std::env::current_exe().ok()?;
    find_in(&executable)
}

fn find_in(executable: &Path) -> Option<Bundled> {
    let mut file = File::open(executable).ok()?;
    let size = file.metadata().ok()?.len();
    if size < TRAILER_BYTES {
        return None;
    }
    file.seek(SeekFrom::Start(size - TRAILER_BYTES)).ok()?;
    let mut trailer = [0u8; TRAILER_BYTES as usize];
    file.read_exact(&mut trailer).ok()?;
    if &trailer[..8] != TRAILER_MAGIC {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(trailer[at..at + 8].try_into().unwrap_or([0; 8]));
    let (offset, len) = (word(8), word(16));
    if offset % HEAP_OFFSET != 0 || offset.checked_add(len)? != size - TRAILER_BYTES {
        return None;
    }
    Some(Bundled { executable: executable.to_path_buf(), offset, len })
}

/// Writes `output`: this executable (without any image it carries) with
/// `image_path` appended. The image is checked first; the output is
/// written crash-safely and made executable.
pub fn bundle(image_path: &Path, output: &Path) -> Result<(), String> {
    let shown = image_path.display();
    let image = fs::read(image_path).map_err(|e| format!("cannot read image {shown}: {e}"))?;
    let header = ImageHeader::decode(&image, image.len() as u64, &shown.to_string()).map_err(|e| e.to_string())?;
    if header.heap_offset + header.heap_bytes != image.len() as u64 {
        return Err(format!(
            "{shown}: expected {} bytes of image, found {}",
            header.heap_offset + header.heap_bytes,
            image.len()
        ));
    }
    let executable = std::env::current_exe().map_err(|e| format!("cannot find the smalt executable: {e}"))?;
    let mut vm = fs::read(&executable).map_err(|e| format!("cannot read {}: {e}", executable.display()))?;
    if let Some(carried) = find_in(&executable) {
        vm.truncate(carried.offset as usize);
    }
    let offset = (vm.len() as u64).div_ceil(HEAP_OFFSET) * HEAP_OFFSET;
    let padding = vec![0u8; (offset - vm.len() as u64) as usize];
    let mut trailer = Vec::with_capacity(TRAILER_BYTES as usize);
    trailer.extend_from_slice(TRAILER_MAGIC);
    trailer.extend_from_slice(&offset.to_le_bytes());
    trailer.extend_from_slice(&(image.len() as u64).to_le_bytes());
    image::save::replace_file(output, |file| {
        file.write_all(&vm)?;
        file.write_all(&padding)?;
        file.write_all(&image)?;
        file.write_all(&trailer)?;
        file.set_permissions(fs::Permissions::from_mode(0o755))
    })
    .map_err(|e| format!("cannot write {}: {e}", output.display()))
}
