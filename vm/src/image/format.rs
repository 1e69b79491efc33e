//! The image file format: a header, padded to a page, then old space exactly
//! as it lies in memory.
//!
//! ```text
//!  offset  size  field
//!  ------  ----  -----------------------------------------------------------
//!       0     8  magic            89 'S' 'M' 'T' 0D 0A 1A 0A
//!       8     4  format version   2 (1: before immediate Floats)
//!      12     4  byte order       0x01020304 as written by the saver
//!      16     4  word size        8
//!      20     4  flags            bit 0: delta image
//!      24     8  VM identity      CRC-32C of every layout the VM relies on
//!      32     8  heap offset      where the heap starts in the file (page multiple)
//!      40     8  heap bytes       length of the old space stored
//!      48     8  special objects  the Oop of the special-objects array
//!      56     8  saved at         seconds since the Unix epoch
//!      64     4  heap checksum    CRC-32C of the heap bytes (of the pages, for a delta)
//!      68     4  (reserved, 0)
//!      72    32  base identity    delta only: the base image's heap checksum,
//!                                  length and save time (zero otherwise)
//!     104     8  complete marker  "COMPLETE" once every other byte is on disk
//!     112     4  header checksum  CRC-32C of bytes 0..112
//!     116   ...  zero padding up to the heap offset
//!  heap offset   old space: the marker word, nil, false, true, ...
//! ```
//!
//! All integers are little-endian. The magic's high byte and its CR LF pair
//! catch a file that went through a 7-bit or text-mode transfer, as PNG's do.
//! The saver writes the complete marker last, after the rest is synced, so
//! a file cut short by a crash is recognised as incomplete.

use std::fmt;

use smalt_compiler::bytecode::{Opcode, SPECIAL_SELECTORS};

use crate::objects::layout::{code, context, special, KnownClass};

pub const MAGIC: [u8; 8] = [0x89, b'S', b'M', b'T', b'\r', b'\n', 0x1A, b'\n'];
/// Version 2: slots may hold immediate Floats (tag `100`, see
/// [`crate::heap::oop`]), which a version-1 VM would misread; and a version-1
/// image holds boxed Floats that must now be immediate, so it is refused too.
pub const FORMAT_VERSION: u32 = 2;
pub const BYTE_ORDER_MARK: u32 = 0x0102_0304;
pub const WORD_SIZE: u32 = 8;
pub const COMPLETE: [u8; 8] = *b"COMPLETE";
/// Bytes of the header proper (before its padding).
pub const HEADER_BYTES: usize = 116;
/// Where the heap starts: a multiple of every page size Smalt runs on.
pub const HEAP_OFFSET: u64 = 16384;
/// Byte offset of the complete marker, written last.
pub const COMPLETE_OFFSET: u64 = 104;
pub const FLAG_DELTA: u32 = 1;

/// The facts an image header holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHeader {
    pub version: u32,
    pub flags: u32,
    pub vm_identity: u64,
    pub heap_offset: u64,
    pub heap_bytes: u64,
    pub special_objects: u64,
    pub saved_at: u64,
    pub heap_checksum: u32,
    pub base_identity: [u8; 32],
    pub complete: bool,
}

/// Why a file is not an image this VM can boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// The file could not be opened or read.
    Io {
        path: String,
        error: String,
    },
    /// Too short to hold a header.
    TooShort {
        path: String,
        length: u64,
    },
    NotAnImage {
        path: String,
        found: String,
    },
    TextModeDamage {
        path: String,
    },
    Version {
        path: String,
        found: u32,
    },
    ByteOrder {
        path: String,
    },
    WordSize {
        path: String,
        found: u32,
    },
    OtherVm {
        path: String,
        found: u64,
        expected: u64,
    },
    Incomplete {
        path: String,
    },
    HeaderChecksum {
        path: String,
    },
    Length {
        path: String,
        expected: u64,
        found: u64,
    },
    Layout {
        path: String,
        what: String,
    },
    HeapChecksum {
        path: String,
        expected: u32,
        found: u32,
    },
    Heap {
        path: String,
        offset: usize,
        problem: String,
    },
    Map {
        path: String,
        error: String,
    },
    Save {
        path: String,
        error: String,
    },
    Base {
        path: String,
        problem: String,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImageError as E;
        match self {
            E::Io { path, error } => write!(f, "cannot read image {path}: {error}"),
            E::TooShort { path, length } => write!(
                f,
                "{path} is not a Smalt image: expected a header of {HEADER_BYTES} bytes, found a file of {length} bytes"
            ),
            E::NotAnImage { path, found } => write!(
                f,
                "{path} is not a Smalt image: expected the image magic number, found {found}"
            ),
            E::TextModeDamage { path } => write!(
                f,
                "{path} is a damaged Smalt image: its line endings or high bits were changed (was it copied in text mode?)"
            ),
            E::Version { path, found } => write!(
                f,
                "{path} is a Smalt image of format version {found}; this smalt reads version {FORMAT_VERSION}"
            ),
            E::ByteOrder { path } => {
                write!(f, "{path} was saved on a machine of the other byte order; this smalt cannot boot it")
            }
            E::WordSize { path, found } => {
                write!(f, "{path} has {found}-byte words; this smalt needs {WORD_SIZE}-byte words")
            }
            E::OtherVm { path, found, expected } => write!(
                f,
                "{path} was saved by a different build of Smalt (VM identity {found:016x}, this one is {expected:016x}); rebuild the image with this smalt"
            ),
            E::Incomplete { path } => write!(
                f,
                "{path} is an incomplete Smalt image: its save never finished (no complete marker)"
            ),
            E::HeaderChecksum { path } => write!(f, "{path} is a corrupt Smalt image: its header checksum does not match"),
            E::Length { path, expected, found } => write!(
                f,
                "{path} is a truncated or padded Smalt image: expected {expected} bytes, found {found}"
            ),
            E::Layout { path, what } => write!(f, "{path} is a corrupt Smalt image: {what}"),
            E::HeapChecksum { path, expected, found } => write!(
                f,
                "{path} is a corrupt Smalt image: heap checksum {found:08x}, expected {expected:08x}"
            ),
            E::Heap { path, offset, problem } => {
                write!(f, "{path} is a corrupt Smalt image: at heap offset {offset:#x}: {problem}")
            }
            E::Map { path, error } => write!(f, "cannot map image {path}: {error}"),
            E::Save { path, error } => write!(f, "cannot save the image to {path}: {error}"),
            E::Base { path, problem } => write!(f, "cannot boot delta image {path}: {problem}"),
        }
    }
}

impl std::error::Error for ImageError {}

/// A CRC-32C over every layout and number an image's contents depend on:
/// images saved by a VM with another identity are refused.
pub fn vm_identity() -> u64 {
    let mut text = format!("smalt-image-{FORMAT_VERSION};opcodes={};", Opcode::ALL.len());
    for (sel, argc) in SPECIAL_SELECTORS {
        text.push_str(&format!("{sel}/{argc},"));
    }
    for k in KnownClass::ALL {
        text.push_str(&format!("{}={};", k.name(), k.index()));
    }
    text.push_str(&format!("special={};ctx={};lit={};", special::COUNT, context::FIRST_TEMP, code::FIRST_LITERAL));
    for n in 0..1024 {
        if crate::prims::index::Primitive::from_number(n).is_some() {
            text.push_str(&format!("p{n},"));
        }
    }
    text.push_str(&format!("quick={};", smalt_compiler::bytecode::quick::FIRST));
    {
        use smalt_compiler::bytecode::for_loop::*;
        // The ForLoop flags the compiler may set.
        text.push_str(&format!("forloop={};", DESCENDING | STEP_IN_TEMP | POP_FIRST));
    }
    let crc = crc32c::crc32c(text.as_bytes()) as u64;
    (crc << 32) | (text.len() as u64 & 0xFFFF_FFFF)
}

impl ImageHeader {
    /// The header's bytes, checksum included (and the complete marker if set).
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut b = [0u8; HEADER_BYTES];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&BYTE_ORDER_MARK.to_le_bytes());
        b[16..20].copy_from_slice(&WORD_SIZE.to_le_bytes());
        b[20..24].copy_from_slice(&self.flags.to_le_bytes());
        b[24..32].copy_from_slice(&self.vm_identity.to_le_bytes());
        b[32..40].copy_from_slice(&self.heap_offset.to_le_bytes());
        b[40..48].copy_from_slice(&self.heap_bytes.to_le_bytes());
        b[48..56].copy_from_slice(&self.special_objects.to_le_bytes());
        b[56..64].copy_from_slice(&self.saved_at.to_le_bytes());
        b[64..68].copy_from_slice(&self.heap_checksum.to_le_bytes());
        b[72..104].copy_from_slice(&self.base_identity);
        b[104..112].copy_from_slice(&COMPLETE);
        let crc = crc32c::crc32c(&b[..112]);
        b[112..116].copy_from_slice(&crc.to_le_bytes());
        if !self.complete {
            b[104..112].fill(0);
        }
        b
    }

    /// Reads and checks a header: magic, marker, checksum, version, byte
    /// order, word size, VM identity, and the heap's place in the file.
    pub fn decode(bytes: &[u8], file_len: u64, path: &str) -> Result<ImageHeader, ImageError> {
        let p = || path.to_string();
        // The magic first: a damaged or foreign file is named as such even
        // when it is also too short to hold a header.
        let magic_len = bytes.len().min(8);
        if bytes.is_empty() || bytes[..magic_len] != MAGIC[..magic_len] {
            let damaged = bytes.len() >= 4 && (bytes[1..4] == MAGIC[1..4] || bytes[..4] == [b'S', b'M', b'T', b'\r']);
            return Err(if damaged {
                ImageError::TextModeDamage { path: p() }
            } else {
                ImageError::NotAnImage { path: p(), found: describe_magic(bytes) }
            });
        }
        if bytes.len() < HEADER_BYTES {
            return Err(ImageError::TooShort { path: p(), length: file_len });
        }
        let u32_at = |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[o..o + 8]);
            u64::from_le_bytes(a)
        };
        let complete = bytes[104..112] == COMPLETE;
        if !complete {
            return Err(ImageError::Incomplete { path: p() });
        }
        if crc32c::crc32c(&bytes[..112]) != u32_at(112) {
            return Err(ImageError::HeaderChecksum { path: p() });
        }
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(ImageError::Version { path: p(), found: version });
        }
        if u32_at(12) != BYTE_ORDER_MARK {
            return Err(ImageError::ByteOrder { path: p() });
        }
        if u32_at(16) != WORD_SIZE {
            return Err(ImageError::WordSize { path: p(), found: u32_at(16) });
        }
        let header = ImageHeader {
            version,
            flags: u32_at(20),
            vm_identity: u64_at(24),
            heap_offset: u64_at(32),
            heap_bytes: u64_at(40),
            special_objects: u64_at(48),
            saved_at: u64_at(56),
            heap_checksum: u32_at(64),
            base_identity: bytes[72..104].try_into().unwrap_or([0; 32]),
            complete,
        };
        let expected = vm_identity();
        if header.vm_identity != expected {
            return Err(ImageError::OtherVm { path: p(), found: header.vm_identity, expected });
        }
        if header.heap_offset < HEADER_BYTES as u64 || !header.heap_offset.is_multiple_of(4096) {
            return Err(ImageError::Layout {
                path: p(),
                what: format!("heap offset {} is not a page boundary", header.heap_offset),
            });
        }
        if header.flags & FLAG_DELTA == 0 {
            let expected_len = header.heap_offset.saturating_add(header.heap_bytes);
            if expected_len != file_len {
                return Err(ImageError::Length { path: p(), expected: expected_len, found: file_len });
            }
            if header.heap_bytes < 56 || !header.heap_bytes.is_multiple_of(8) {
                return Err(ImageError::Layout {
                    path: p(),
                    what: format!("heap length {} is not a whole heap", header.heap_bytes),
                });
            }
            if !header.special_objects.is_multiple_of(8)
                || header.special_objects < 8
                || header.special_objects >= header.heap_bytes
            {
                return Err(ImageError::Layout {
                    path: p(),
                    what: format!("the special-objects array at {:#x} lies outside the heap", header.special_objects),
                });
            }
        }
        Ok(header)
    }

    pub fn is_delta(&self) -> bool {
        self.flags & FLAG_DELTA != 0
    }
}

/// The first bytes of a file, shown for a person.
fn describe_magic(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(8)
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect();
    if bytes.is_empty() {
        "an empty file".to_string()
    } else {
        format!("\"{shown}\"")
    }
}

/// Whether the start of a file looks like an image (for `smalt FILE`).
pub fn has_image_magic(start: &[u8]) -> bool {
    start.len() >= 8 && start[..8] == MAGIC
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ImageHeader {
        ImageHeader {
            version: FORMAT_VERSION,
            flags: 0,
            vm_identity: vm_identity(),
            heap_offset: HEAP_OFFSET,
            heap_bytes: 4096,
            special_objects: 56,
            saved_at: 1,
            heap_checksum: 7,
            base_identity: [0; 32],
            complete: true,
        }
    }

    #[test]
    fn a_header_round_trips() {
        let h = header();
        let bytes = h.encode();
        assert_eq!(ImageHeader::decode(&bytes, HEAP_OFFSET + 4096, "x").expect("valid"), h);
    }

    #[test]
    fn every_flipped_header_bit_is_caught() {
        let bytes = header().encode();
        for i in 0..HEADER_BYTES * 8 {
            let mut b = bytes;
            b[i / 8] ^= 1 << (i % 8);
            assert!(ImageHeader::decode(&b, HEAP_OFFSET + 4096, "x").is_err(), "bit {i}");
        }
    }

    #[test]
    fn damage_is_named() {
        let mut b = header().encode();
        assert!(matches!(ImageHeader::decode(&b[..50], 50, "x"), Err(ImageError::TooShort { .. })));
        assert!(matches!(ImageHeader::decode(b"hello world, I am text", 22, "x"), Err(ImageError::NotAnImage { .. })));
        b[104..112].fill(0);
        assert!(matches!(ImageHeader::decode(&b, HEAP_OFFSET + 4096, "x"), Err(ImageError::Incomplete { .. })));
        let b = header().encode();
        assert!(matches!(ImageHeader::decode(&b, HEAP_OFFSET + 4095, "x"), Err(ImageError::Length { .. })));
        let mut text_mode = b.to_vec();
        text_mode.remove(4); // CR LF -> LF
        assert!(matches!(
            ImageHeader::decode(&text_mode, HEAP_OFFSET + 4096, "x"),
            Err(ImageError::TextModeDamage { .. })
        ));
    }
}
